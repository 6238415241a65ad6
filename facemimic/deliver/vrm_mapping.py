"""Unified Expressions -> VRM 0.x clips, VRM 1.0 presets and ARKit-52 ("perfect sync") weights.

VMC receivers and VRM avatars know a handful of preset clips, not the 88 UE shapes, so this module
folds UE weights plus eye data into them. The rules are deliberately simple, monotone and
documented (``docs/streaming.md``); every output is clipped to [0, 1] and NaN (a tracking gap)
passes through as NaN.

VRM 0.x clip     formula (``S(x)`` = UE weight, ``[s]`` = VRCFT simple expression, mean = L/R mean)
---------------  -------------------------------------------------------------------------------
A, I, U, E, O    vowels from ``open = JawOpen − MouthClosed``, ``round = max(mean LipFunnel,
                 mean LipPucker)``, ``spread = mean MouthStretch``:
                 A = open·(1−round)·(1−spread/2), I = spread·(1−open)·(1−round),
                 U = round·(1−open), E = spread·open·(1−round), O = round·open
Blink_L/_R/Blink eye closure ``c = 1 − openness``; Blink = min(cL, cR) and Blink_L/R = c − Blink,
                 so avatars whose clips add up (UniVRM) close each eye by exactly ``c``
Joy              mean(MouthSmileRight, MouthSmileLeft)[s]
Angry            mean(BrowDownRight, BrowDownLeft)[s]
Sorrow           max(mean MouthFrown, mean BrowInnerUp − mean BrowOuterUp)
Fun              0 (a "relaxed" face has no distinct UE signature; left to the avatar)
LookUp/Down/     gaze angle / :data:`LOOK_FULL_DEG` (both eyes' mean; ``LookLeft`` is the subject's
Left/Right       own left, as in UniVRM's ``VRMLookAtBlendShapeApplyer``)
Neutral          0
VRM 1.0 only:    surprised = min(mean BrowUp[s], max(mean EyeWide, open))
---------------  -------------------------------------------------------------------------------

ARKit-52 uses :func:`facemimic.expressions.arkit.ue_to_arkit` (the inverse of the capture table),
so a face captured from MediaPipe round-trips to the same 52 values.
"""

from __future__ import annotations

import numpy as np

from ..expressions.arkit import ue_to_arkit
from ..expressions.vrcft import frame_inputs
from ..expressions.names import ARKIT_NAMES, UE_INDEX, VRM0_CLIPS, VRM0_TO_VRM1, VRM1_PRESETS

# Gaze angle (degrees) that drives a Look* clip fully; VRM 0.x's default lookAt curve for
# blendshape-type avatars saturates at a similar angle and the ARKit table uses 30° too.
LOOK_FULL_DEG = 30.0

__all__ = [
    "LOOK_FULL_DEG", "VRM0_CLIPS", "VRM1_PRESETS", "ARKIT_NAMES",
    "vrm0_weights", "vrm1_weights", "arkit_weights", "frame_weights", "STANDARDS",
]


def _mean(w: np.ndarray, *names: str) -> np.ndarray:
    return sum(w[..., UE_INDEX[n]] for n in names) / len(names)


def _clip(x: np.ndarray) -> np.ndarray:
    # np.clip keeps NaN, so gaps stay visible downstream.
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def _features(w: np.ndarray, g: np.ndarray, o: np.ndarray) -> dict[str, np.ndarray]:
    S = lambda n: w[..., UE_INDEX[n]]  # noqa: E731
    f: dict[str, np.ndarray] = {}
    f["open"] = _clip(S("JawOpen") - S("MouthClosed"))
    f["round"] = _clip(np.maximum(
        _mean(w, "LipFunnelUpperRight", "LipFunnelUpperLeft", "LipFunnelLowerRight", "LipFunnelLowerLeft"),
        _mean(w, "LipPuckerUpperRight", "LipPuckerUpperLeft", "LipPuckerLowerRight", "LipPuckerLowerLeft")))
    f["spread"] = _clip(_mean(w, "MouthStretchRight", "MouthStretchLeft"))
    smile = [0.80 * S(f"MouthCornerPull{d}") + 0.20 * S(f"MouthCornerSlant{d}") for d in ("Right", "Left")]
    f["smile"] = _clip((smile[0] + smile[1]) * 0.5)
    brow_down = [0.75 * S(f"BrowLowerer{d}") + 0.25 * S(f"BrowPinch{d}") for d in ("Right", "Left")]
    f["brow_down"] = _clip((brow_down[0] + brow_down[1]) * 0.5)
    brow_up = [0.60 * S(f"BrowOuterUp{d}") + 0.40 * S(f"BrowInnerUp{d}") for d in ("Right", "Left")]
    f["brow_up"] = _clip((brow_up[0] + brow_up[1]) * 0.5)
    f["sorrow"] = _clip(np.maximum(
        _mean(w, "MouthFrownRight", "MouthFrownLeft"),
        _mean(w, "BrowInnerUpRight", "BrowInnerUpLeft") - _mean(w, "BrowOuterUpRight", "BrowOuterUpLeft")))
    f["wide"] = _clip(_mean(w, "EyeWideRight", "EyeWideLeft"))
    closed = _clip(1.0 - o)  # (..., 2) left, right
    f["blink"] = np.minimum(closed[..., 0], closed[..., 1])
    f["blink_l"] = closed[..., 0] - f["blink"]
    f["blink_r"] = closed[..., 1] - f["blink"]
    # Gaze is tan(angle) (VRCFT units); average both eyes, convert to degrees.
    deg = np.degrees(np.arctan(g.mean(axis=-2)))  # (..., 2) x (+right), y (+up)
    f["look_right"] = _clip(deg[..., 0] / LOOK_FULL_DEG)
    f["look_left"] = _clip(-deg[..., 0] / LOOK_FULL_DEG)
    f["look_up"] = _clip(deg[..., 1] / LOOK_FULL_DEG)
    f["look_down"] = _clip(-deg[..., 1] / LOOK_FULL_DEG)
    return f


def vrm0_weights(weights: np.ndarray, gaze: np.ndarray | None = None,
                 openness: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """VRM 0.x BlendShapeProxy preset clip weights (the names VMC receivers expect).

    Parameters
    ----------
    weights : np.ndarray [shape=(..., 88)]
        UE weights; NaN rows (gaps) give NaN clips.
    gaze : np.ndarray [shape=(..., 2, 2)], optional
        ``[left, right] x [x, y]`` in VRCFT units; straight ahead when omitted.
    openness : np.ndarray [shape=(..., 2)], optional
        ``[left, right]``, 1 open; open when omitted.

    Returns
    -------
    dict[str, np.ndarray [shape=(...)]]
        ``{clip: weight}`` for all 17 :data:`VRM0_CLIPS`, in that order, each in [0, 1].
    """
    w, g, o = frame_inputs(weights, gaze, openness)
    f = _features(w, g, o)
    op, rd, sp = f["open"], f["round"], f["spread"]
    zero = np.zeros(w.shape[:-1], np.float32) + np.where(np.isnan(w[..., 0]), np.nan, 0).astype(np.float32)
    out = {
        "Neutral": zero,
        "A": _clip(op * (1 - rd) * (1 - 0.5 * sp)),
        "I": _clip(sp * (1 - op) * (1 - rd)),
        "U": _clip(rd * (1 - op)),
        "E": _clip(sp * op * (1 - rd)),
        "O": _clip(rd * op),
        "Blink": f["blink"],
        "Joy": f["smile"],
        "Angry": f["brow_down"],
        "Sorrow": f["sorrow"],
        "Fun": zero,
        "LookUp": f["look_up"],
        "LookDown": f["look_down"],
        "LookLeft": f["look_left"],
        "LookRight": f["look_right"],
        "Blink_L": f["blink_l"],
        "Blink_R": f["blink_r"],
    }
    return {name: out[name] for name in VRM0_CLIPS}


def vrm1_weights(weights: np.ndarray, gaze: np.ndarray | None = None,
                 openness: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """VRM 1.0 expression preset weights (``happy`` … ``neutral``, schema order).

    Same rules as :func:`vrm0_weights` renamed by the VMC spec's table (Joy -> happy, A -> aa …),
    plus ``surprised`` (new in 1.0). Shapes as in :func:`vrm0_weights`.
    """
    w, g, o = frame_inputs(weights, gaze, openness)
    v0 = vrm0_weights(w, g, o)
    out = {VRM0_TO_VRM1[k]: v for k, v in v0.items()}
    f = _features(w, g, o)
    out["surprised"] = _clip(np.minimum(f["brow_up"], np.maximum(f["wide"], f["open"])))
    return {name: out[name] for name in VRM1_PRESETS}


def arkit_weights(weights: np.ndarray, gaze: np.ndarray | None = None,
                  openness: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The 52 ARKit blendshape weights for "perfect sync" avatars, via ``ue_to_arkit``.

    Shapes as in :func:`vrm0_weights`; returns ``{arkit name: (...)}`` in :data:`ARKIT_NAMES` order.
    """
    w, g, o = frame_inputs(weights, gaze, openness)
    a = ue_to_arkit(w, g, o)
    a = np.where(np.isnan(w[..., :1]), np.nan, a).astype(np.float32)
    return {name: a[..., i] for i, name in enumerate(ARKIT_NAMES)}


# Name of each target standard -> its conversion; used by the VMC streamer and the exporters.
STANDARDS = {"vrm0": vrm0_weights, "vrm1": vrm1_weights, "arkit": arkit_weights}


def frame_weights(frame, standard: str = "vrm0") -> dict[str, float]:
    """One :class:`ExpressionFrame` -> ``{clip name: float}`` for ``standard`` (vrm0|vrm1|arkit)."""
    try:
        convert = STANDARDS[standard]
    except KeyError:
        from ..errors import UnknownNameError

        raise UnknownNameError(f"unknown blendshape standard {standard!r}; "
                               f"choose one of {', '.join(STANDARDS)}") from None
    out = convert(frame.weights, frame.gaze, np.array(frame.openness, np.float32))
    return {k: float(v) for k, v in out.items()}
