"""Unified Expressions -> every VRCFaceTracking **v2 avatar parameter**, with VRCFT's formulas.

Sources: VRCFT ``UnifiedExpressionsParameters.cs`` (base ∪ simple ∪ combined),
``UnifiedSimpleExpressions.cs`` and ``UnifiedHeadParameters.cs``; spec ``unified-expressions.md``
§1.2 and §2.2 (code wins where the docs disagree). All functions are vectorised over leading axes.

Pupils are not measured by FaceMimic: ``PupilDilation`` is VRCFT's "undefined" value 0.5 and the
pupil diameters assume a nominal 4 mm pupil (:data:`NOMINAL_PUPIL_MM`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import ShapeError
from .names import N_UE, UE_INDEX, UE_NAMES, UE_SIMPLE_NAMES

PREFIX = "v2/"
NOMINAL_PUPIL_MM = 4.0
HEAD_ANGLE_RANGE_DEG = 90.0  # VRCFT Head/Yaw|Pitch|Roll = angle / 90°
HEAD_POSITION_RANGE_M = 0.5  # VRCFT Head/PosX = 1 means 0.5 m


class FormulaInputs:
    """What a formula in :data:`COMBINED_FORMULAS` reads: ``S(name)`` (a UE weight), ``mean(*names)``,
    gaze ``g`` (..., 2, 2) and openness ``o`` (..., 2). Public so fast evaluators can reuse formulas."""

    def __init__(self, weights, gaze, openness):
        self.w, self.g, self.o = weights, gaze, openness

    def S(self, name: str) -> np.ndarray:  # noqa: N802 - mirrors the spec's S(x)
        return self.w[..., UE_INDEX[name]]

    def mean(self, *names: str) -> np.ndarray:
        return sum(self.S(n) for n in names) / len(names)


def _simple(x: FormulaInputs) -> dict[str, np.ndarray]:
    S = x.S
    out = {}
    for side in ("Right", "Left"):
        out[f"BrowUp{side}"] = 0.60 * S(f"BrowOuterUp{side}") + 0.40 * S(f"BrowInnerUp{side}")
        out[f"BrowDown{side}"] = 0.75 * S(f"BrowLowerer{side}") + 0.25 * S(f"BrowPinch{side}")
        out[f"MouthSmile{side}"] = 0.80 * S(f"MouthCornerPull{side}") + 0.20 * S(f"MouthCornerSlant{side}")
        out[f"MouthSad{side}"] = np.maximum(S(f"MouthFrown{side}"), S(f"MouthStretch{side}"))
    return {n: out[n] for n in UE_SIMPLE_NAMES}


Formula = Callable[[FormulaInputs, dict], np.ndarray]


def _lr(fmt: str) -> list[str]:
    return [fmt.format(s) for s in ("Right", "Left")]


def _combined_table() -> list[tuple[str, Formula]]:
    """(parameter name without ``v2/``, formula(x, simple)) in VRCFT's definition order.

    Gaze vectors expand to ``…X``/``…Y``; the 77 VRCFT definitions give 80 float parameters.
    """
    t: list[tuple[str, Formula]] = []
    add = lambda name, f: t.append((name, f))  # noqa: E731
    mean2 = lambda a, b: (a + b) * 0.5  # noqa: E731
    # Eyes: gaze is [left, right] x [x, y]; openness [left, right].
    add("EyeX", lambda x, s: x.g[..., :, 0].mean(-1))
    add("EyeY", lambda x, s: x.g[..., :, 1].mean(-1))
    add("EyeLeftX", lambda x, s: x.g[..., 0, 0])
    add("EyeLeftY", lambda x, s: x.g[..., 0, 1])
    add("EyeRightX", lambda x, s: x.g[..., 1, 0])
    add("EyeRightY", lambda x, s: x.g[..., 1, 1])
    add("PupilDilation", lambda x, s: np.full(x.o.shape[:-1], 0.5, np.float32))
    add("PupilDiameterLeft", lambda x, s: np.full(x.o.shape[:-1], NOMINAL_PUPIL_MM * 0.1, np.float32))
    add("PupilDiameterRight", lambda x, s: np.full(x.o.shape[:-1], NOMINAL_PUPIL_MM * 0.1, np.float32))
    add("PupilDiameter", lambda x, s: np.full(x.o.shape[:-1], 2 * NOMINAL_PUPIL_MM * 0.05, np.float32))
    add("EyeOpenLeft", lambda x, s: x.o[..., 0])
    add("EyeOpenRight", lambda x, s: x.o[..., 1])
    add("EyeOpen", lambda x, s: x.o.mean(-1))
    add("EyeClosedLeft", lambda x, s: 1 - x.o[..., 0])
    add("EyeClosedRight", lambda x, s: 1 - x.o[..., 1])
    add("EyeClosed", lambda x, s: 1 - x.o.mean(-1))
    add("EyeWide", lambda x, s: np.maximum(x.S("EyeWideLeft"), x.S("EyeWideRight")))
    add("EyeLidLeft", lambda x, s: x.o[..., 0] * 0.75 + x.S("EyeWideLeft") * 0.25)
    add("EyeLidRight", lambda x, s: x.o[..., 1] * 0.75 + x.S("EyeWideRight") * 0.25)
    add("EyeLid", lambda x, s: x.o.mean(-1) * 0.75 + x.mean("EyeWideLeft", "EyeWideRight") * 0.25)
    add("EyeSquint", lambda x, s: np.maximum(x.S("EyeSquintLeft"), x.S("EyeSquintRight")))
    add("EyesSquint", lambda x, s: np.maximum(x.S("EyeSquintLeft"), x.S("EyeSquintRight")))
    # Brows.
    add("BrowUp", lambda x, s: mean2(s["BrowUpRight"], s["BrowUpLeft"]))
    add("BrowDown", lambda x, s: mean2(s["BrowDownRight"], s["BrowDownLeft"]))
    add("BrowInnerUp", lambda x, s: x.mean("BrowInnerUpLeft", "BrowInnerUpRight"))
    add("BrowOuterUp", lambda x, s: x.mean("BrowOuterUpLeft", "BrowOuterUpRight"))
    for side in ("Right", "Left"):
        add(f"BrowExpression{side}", lambda x, s, d=side: np.minimum(
            1, 0.5 * x.S(f"BrowInnerUp{d}") + 0.5 * x.S(f"BrowOuterUp{d}")) - s[f"BrowDown{d}"])
    add("BrowExpression", lambda x, s: (
        np.minimum(1, (x.S("BrowInnerUpRight") + x.S("BrowOuterUpRight")) * 0.5) - s["BrowDownRight"]
        + np.minimum(1, (x.S("BrowInnerUpLeft") + x.S("BrowOuterUpLeft")) * 0.5) - s["BrowDownLeft"]) * 0.5)
    # Jaw and cheeks.
    add("JawX", lambda x, s: x.S("JawRight") - x.S("JawLeft"))
    add("JawZ", lambda x, s: x.S("JawForward") - x.S("JawBackward"))
    add("CheekSquint", lambda x, s: x.mean(*_lr("CheekSquint{}")))
    add("CheekSuck", lambda x, s: x.mean(*_lr("CheekSuck{}")))
    for side in ("Left", "Right"):
        add(f"CheekPuffSuck{side}", lambda x, s, d=side: x.S(f"CheekPuff{d}") - x.S(f"CheekSuck{d}"))
    add("CheekPuffSuck", lambda x, s: x.mean(*_lr("CheekPuff{}")) - x.mean(*_lr("CheekSuck{}")))
    # Mouth sideways.
    add("MouthUpperX", lambda x, s: x.S("MouthUpperRight") - x.S("MouthUpperLeft"))
    add("MouthLowerX", lambda x, s: x.S("MouthLowerRight") - x.S("MouthLowerLeft"))
    add("MouthX", lambda x, s: x.mean("MouthUpperRight", "MouthLowerRight") - x.mean("MouthUpperLeft", "MouthLowerLeft"))
    # Lips.
    for kind in ("Suck", "Funnel", "Pucker"):
        for part in ("Upper", "Lower"):
            add(f"Lip{kind}{part}", lambda x, s, k=kind, p=part: x.mean(*_lr(f"Lip{k}{p}{{}}")))
    for side in ("Right", "Left"):
        add(f"LipPucker{side}", lambda x, s, d=side: x.mean(f"LipPuckerUpper{d}", f"LipPuckerLower{d}"))
    for kind in ("Suck", "Funnel", "Pucker"):
        add(f"Lip{kind}", lambda x, s, k=kind: x.mean(*_lr(f"Lip{k}Upper{{}}"), *_lr(f"Lip{k}Lower{{}}")))
    for part in ("Upper", "Lower"):
        add(f"LipSuckFunnel{part}", lambda x, s, p=part: x.mean(*_lr(f"LipSuck{p}{{}}")) - x.mean(*_lr(f"LipFunnel{p}{{}}")))
    for part in ("Upper", "Lower"):
        for side in ("Left", "Right"):
            add(f"LipSuckFunnel{part}{side}",
                lambda x, s, p=part, d=side: x.S(f"LipSuck{p}{d}") - x.S(f"LipFunnel{p}{d}"))
    # Mouth opening and shapes.
    add("MouthUpperUp", lambda x, s: x.mean(*_lr("MouthUpperUp{}")))
    add("MouthLowerDown", lambda x, s: x.mean(*_lr("MouthLowerDown{}")))
    add("MouthOpen", lambda x, s: 0.25 * (x.S("MouthUpperUpRight") + x.S("MouthUpperUpLeft")
                                          + x.S("MouthLowerDownRight") + x.S("MouthLowerDownLeft")))
    for kind in ("Stretch", "Tightener", "Press", "Dimple"):
        add(f"Mouth{kind}", lambda x, s, k=kind: x.mean(*_lr(f"Mouth{k}{{}}")))
    add("NoseSneer", lambda x, s: x.mean(*_lr("NoseSneer{}")))
    add("MouthTightenerStretch", lambda x, s: x.mean(*_lr("MouthTightener{}")) - x.mean(*_lr("MouthStretch{}")))
    for side in ("Left", "Right"):
        add(f"MouthTightenerStretch{side}", lambda x, s, d=side: x.S(f"MouthTightener{d}") - x.S(f"MouthStretch{d}"))
    for side in ("Left", "Right"):
        add(f"MouthCornerY{side}", lambda x, s, d=side: x.S(f"MouthCornerSlant{d}") - x.S(f"MouthFrown{d}"))
    add("MouthCornerY", lambda x, s: (x.S("MouthCornerSlantLeft") - x.S("MouthFrownLeft")
                                      + x.S("MouthCornerSlantRight") - x.S("MouthFrownRight")) * 0.5)
    for side in ("Right", "Left"):
        add(f"SmileFrown{side}", lambda x, s, d=side: s[f"MouthSmile{d}"] - x.S(f"MouthFrown{d}"))
    add("SmileFrown", lambda x, s: 0.5 * (s["MouthSmileRight"] + s["MouthSmileLeft"])
        - 0.5 * (x.S("MouthFrownRight") + x.S("MouthFrownLeft")))
    for side in ("Right", "Left"):
        add(f"SmileSad{side}", lambda x, s, d=side: s[f"MouthSmile{d}"] - s[f"MouthSad{d}"])
    add("SmileSad", lambda x, s: mean2(s["MouthSmileRight"], s["MouthSmileLeft"])
        - mean2(s["MouthSadRight"], s["MouthSadLeft"]))
    # Tongue.
    add("TongueX", lambda x, s: x.S("TongueRight") - x.S("TongueLeft"))
    add("TongueY", lambda x, s: x.S("TongueUp") - x.S("TongueDown"))
    add("TongueArchY", lambda x, s: x.S("TongueCurlUp") - x.S("TongueBendDown"))
    add("TongueShape", lambda x, s: x.S("TongueFlat") - x.S("TongueSquish"))
    return t


COMBINED_FORMULAS: tuple[tuple[str, Formula], ...] = tuple(_combined_table())
COMBINED_NAMES: tuple[str, ...] = tuple(n for n, _ in COMBINED_FORMULAS)
# The 77 VRCFT combined definitions (a gaze Vector2 counts once: Eye, EyeLeft, EyeRight).
COMBINED_DEFINITIONS: tuple[str, ...] = tuple(dict.fromkeys(
    n[:-1] if n in ("EyeX", "EyeY", "EyeLeftX", "EyeLeftY", "EyeRightX", "EyeRightY") else n
    for n in COMBINED_NAMES))
HEAD_NAMES: tuple[str, ...] = ("Head/Yaw", "Head/Pitch", "Head/Roll", "Head/PosX", "Head/PosY", "Head/PosZ")
# Every float v2 parameter, without the ``v2/`` prefix: base, simple, combined, head.
PARAMETER_NAMES: tuple[str, ...] = UE_NAMES + UE_SIMPLE_NAMES + COMBINED_NAMES + HEAD_NAMES


def frame_inputs(weights: np.ndarray, gaze: np.ndarray | None = None,
                 openness: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked float32 ``(weights (..., 88), gaze (..., 2, 2), openness (..., 2))``; missing eyes are
    straight ahead and open. Raises :class:`ShapeError` naming the array that does not fit."""
    w = np.asarray(weights, np.float32)
    if w.shape[-1:] != (N_UE,):
        raise ShapeError("weights", w.shape, f"(..., {N_UE})")
    lead = w.shape[:-1]
    g = np.zeros(lead + (2, 2), np.float32) if gaze is None else np.asarray(gaze, np.float32)
    o = np.ones(lead + (2,), np.float32) if openness is None else np.asarray(openness, np.float32)
    if g.shape != lead + (2, 2):
        raise ShapeError("gaze", g.shape, str(lead + (2, 2)))
    if o.shape != lead + (2,):
        raise ShapeError("openness", o.shape, str(lead + (2,)))
    return w, g, o


def simple_expressions(weights: np.ndarray) -> dict[str, np.ndarray]:
    """The 8 ``UnifiedSimpleExpressions`` (BrowUpRight … MouthSadLeft) from UE weights.

    Parameters
    ----------
    weights : np.ndarray [shape=(..., 88)]
    """
    w = np.asarray(weights, np.float32)
    if w.shape[-1] != N_UE:
        raise ShapeError("weights", w.shape, f"(..., {N_UE})")
    return _simple(FormulaInputs(w, None, None))


def vrcft_parameters(
    weights: np.ndarray,
    gaze: np.ndarray | None = None,
    openness: np.ndarray | None = None,
    head_rotation: np.ndarray | None = None,
    head_position: np.ndarray | None = None,
    *,
    head_origin: "tuple[float, float, float] | None" = None,
    prefix: str = PREFIX,
) -> "dict[str, float] | dict[str, np.ndarray]":
    """All VRCFT v2 float avatar parameters for one frame or a batch of frames.

    Parameters
    ----------
    weights : np.ndarray [shape=(..., 88)]
    gaze : np.ndarray [shape=(..., 2, 2)], optional
        ``[left, right] x [x, y]``; straight ahead when omitted.
    openness : np.ndarray [shape=(..., 2)], optional
        ``[left, right]``; open when omitted.
    head_rotation : np.ndarray [shape=(..., 3)], optional
        yaw, pitch, roll in degrees (FaceMimic's convention is VRCFT's, divided by 90°).
    head_position : np.ndarray [shape=(..., 3)], optional
        Camera-frame metres (x image-right, y down, z away). Converted to VRCFT's user frame
        (x to the subject's right, y up, z towards the camera) relative to ``head_origin``
        (default: the camera-frame origin), over 0.5 m = 1.
    prefix : str
        Prepended to every name (``"v2/"``; a user prefix such as ``"FT/v2/"`` also works).

    Returns
    -------
    dict[str, float] for one frame (``weights`` of shape (88,)), else dict[str, np.ndarray [shape=(...)]]
        ``{prefix + name: value}`` for the 88 base shapes, 8 simple, 80 combined floats and 6 head
        parameters, in :data:`PARAMETER_NAMES` order: plain Python floats for one frame, float32
        arrays over the leading axes for a batch.
    """
    w, g, o = frame_inputs(weights, gaze, openness)
    lead = w.shape[:-1]
    x = FormulaInputs(w, g, o)
    simple = _simple(x)
    out: dict[str, np.ndarray] = {}
    for i, name in enumerate(UE_NAMES):
        out[prefix + name] = w[..., i]
    for name in UE_SIMPLE_NAMES:
        out[prefix + name] = simple[name]
    for name, f in COMBINED_FORMULAS:
        out[prefix + name] = np.asarray(f(x, simple), np.float32)
    rot = np.zeros(lead + (3,), np.float32) if head_rotation is None else np.asarray(head_rotation, np.float32)
    pos = np.zeros(lead + (3,), np.float32) if head_position is None else np.asarray(head_position, np.float32)
    origin = np.zeros(3, np.float32) if head_origin is None else np.asarray(head_origin, np.float32)
    rel = pos - origin
    head = (
        rot[..., 0] / HEAD_ANGLE_RANGE_DEG,
        rot[..., 1] / HEAD_ANGLE_RANGE_DEG,
        rot[..., 2] / HEAD_ANGLE_RANGE_DEG,
        -rel[..., 0] / HEAD_POSITION_RANGE_M,  # camera x is image-right = subject's left
        -rel[..., 1] / HEAD_POSITION_RANGE_M,  # camera y is down
        -rel[..., 2] / HEAD_POSITION_RANGE_M,  # camera z is away from the camera
    )
    for name, v in zip(HEAD_NAMES, head):
        out[prefix + name] = np.clip(v, -1.0, 1.0).astype(np.float32)
    if not lead:  # one frame: plain floats (0-d arrays print and serialise badly)
        return {k: float(v) for k, v in out.items()}
    return out


def frame_parameters(frame, *, prefix: str = PREFIX, head_origin=None) -> dict[str, float]:
    """:func:`vrcft_parameters` for one :class:`ExpressionFrame` (eyes and head included), as plain floats."""
    return vrcft_parameters(frame.weights, frame.gaze, np.array(frame.openness, np.float32),
                            np.array(frame.head_rotation, np.float32),
                            np.array(frame.head_position, np.float32), head_origin=head_origin, prefix=prefix)


assert len(COMBINED_DEFINITIONS) == 77, len(COMBINED_DEFINITIONS)
