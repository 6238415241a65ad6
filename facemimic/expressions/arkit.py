"""ARKit-52 (and MediaPipe-52) <-> Unified Expressions, as one table.

The table is the VRCFaceTracking docs' ARKit compatibility table as the LiveLink/FoxyFace modules
implement it (spec ``unified-expressions.md`` §3.2): each ARKit shape drives one or more UE shapes
with weight 1. ``eyeBlink*`` and ``eyeLook*`` drive the eye data (openness, gaze), not shapes.

UE -> ARKit takes, for each ARKit shape, the mean of the UE shapes it drives, so ARKit -> UE -> ARKit
is the identity on the 52 shapes (eyes via openness and gaze).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError
from .names import ARKIT_INDEX, ARKIT_NAMES, MEDIAPIPE_NAMES, N_ARKIT, N_UE, UE_INDEX

# ARKit shape -> the UE shapes it sets (weight 1 each). Eye blink/look shapes are handled below.
ARKIT_TO_UE: dict[str, tuple[str, ...]] = {
    "browDownLeft": ("BrowLowererLeft", "BrowPinchLeft"),
    "browDownRight": ("BrowLowererRight", "BrowPinchRight"),
    "browInnerUp": ("BrowInnerUpLeft", "BrowInnerUpRight"),
    "browOuterUpLeft": ("BrowOuterUpLeft",),
    "browOuterUpRight": ("BrowOuterUpRight",),
    "cheekPuff": ("CheekPuffLeft", "CheekPuffRight"),
    "cheekSquintLeft": ("CheekSquintLeft",),
    "cheekSquintRight": ("CheekSquintRight",),
    "eyeSquintLeft": ("EyeSquintLeft",),
    "eyeSquintRight": ("EyeSquintRight",),
    "eyeWideLeft": ("EyeWideLeft",),
    "eyeWideRight": ("EyeWideRight",),
    "jawForward": ("JawForward",),
    "jawLeft": ("JawLeft",),
    "jawOpen": ("JawOpen",),
    "jawRight": ("JawRight",),
    "mouthClose": ("MouthClosed",),
    "mouthDimpleLeft": ("MouthDimpleLeft",),
    "mouthDimpleRight": ("MouthDimpleRight",),
    "mouthFrownLeft": ("MouthFrownLeft",),
    "mouthFrownRight": ("MouthFrownRight",),
    "mouthFunnel": ("LipFunnelUpperLeft", "LipFunnelUpperRight", "LipFunnelLowerLeft", "LipFunnelLowerRight"),
    "mouthLeft": ("MouthUpperLeft", "MouthLowerLeft"),
    "mouthLowerDownLeft": ("MouthLowerDownLeft",),
    "mouthLowerDownRight": ("MouthLowerDownRight",),
    "mouthPressLeft": ("MouthPressLeft",),
    "mouthPressRight": ("MouthPressRight",),
    "mouthPucker": ("LipPuckerUpperLeft", "LipPuckerUpperRight", "LipPuckerLowerLeft", "LipPuckerLowerRight"),
    "mouthRight": ("MouthUpperRight", "MouthLowerRight"),
    "mouthRollLower": ("LipSuckLowerLeft", "LipSuckLowerRight"),
    "mouthRollUpper": ("LipSuckUpperLeft", "LipSuckUpperRight"),
    "mouthShrugLower": ("MouthRaiserLower",),
    "mouthShrugUpper": ("MouthRaiserUpper",),
    "mouthSmileLeft": ("MouthCornerPullLeft", "MouthCornerSlantLeft"),
    "mouthSmileRight": ("MouthCornerPullRight", "MouthCornerSlantRight"),
    "mouthStretchLeft": ("MouthStretchLeft",),
    "mouthStretchRight": ("MouthStretchRight",),
    "mouthUpperUpLeft": ("MouthUpperUpLeft",),
    "mouthUpperUpRight": ("MouthUpperUpRight",),
    "noseSneerLeft": ("NoseSneerLeft",),
    "noseSneerRight": ("NoseSneerRight",),
    "tongueOut": ("TongueOut",),
}
ARKIT_EYE_SHAPES = tuple(n for n in ARKIT_NAMES if n.startswith(("eyeBlink", "eyeLook")))

# An ARKit eyeLook* weight of 1.0 is taken as this many degrees of eye rotation.
EYE_LOOK_FULL_DEG = 30.0


def _build_matrix() -> np.ndarray:
    m = np.zeros((N_UE, N_ARKIT), np.float32)
    for ark, ues in ARKIT_TO_UE.items():
        for ue in ues:
            m[UE_INDEX[ue], ARKIT_INDEX[ark]] = 1.0
    return m


# ue = ARKIT_TO_UE_MATRIX @ arkit   (88 x 52); eye shapes have all-zero columns.
ARKIT_TO_UE_MATRIX = _build_matrix()
# arkit = UE_TO_ARKIT_MATRIX @ ue   (52 x 88): each ARKit shape is the mean of its UE targets.
_col = ARKIT_TO_UE_MATRIX.sum(axis=0)
UE_TO_ARKIT_MATRIX = (ARKIT_TO_UE_MATRIX / np.where(_col > 0, _col, 1)).T.astype(np.float32)
# Which UE shapes ARKit/MediaPipe can drive at all (the rest stay 0 in capture).
UE_DRIVEN_BY_ARKIT = ARKIT_TO_UE_MATRIX.any(axis=1)

_I = ARKIT_INDEX


def _deg_to_gaze(deg: np.ndarray) -> np.ndarray:
    return np.tan(np.radians(deg)).astype(np.float32)


def arkit_to_ue(arkit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convert ARKit-52 weights to UE weights plus eye gaze and openness.

    Parameters
    ----------
    arkit : np.ndarray [shape=(..., 52)]
        Weights in :data:`ARKIT_NAMES` order.

    Returns
    -------
    weights : np.ndarray [shape=(..., 88), dtype=float32]
    gaze : np.ndarray [shape=(..., 2, 2)]
        ``[left, right] x [x, y]`` in VRCFT units (``tan`` of the angle; +x right, +y up).
    openness : np.ndarray [shape=(..., 2)]
        ``[left, right]``, ``1 - eyeBlink``.
    """
    a = np.asarray(arkit, np.float32)
    if a.shape[-1] != N_ARKIT:
        raise ShapeError("arkit", a.shape, f"(..., {N_ARKIT})")
    weights = a @ ARKIT_TO_UE_MATRIX.T
    full = EYE_LOOK_FULL_DEG
    # Subject's left eye looks to the subject's right (+x) when it looks *in*, towards the nose.
    lx = (a[..., _I["eyeLookInLeft"]] - a[..., _I["eyeLookOutLeft"]]) * full
    rx = (a[..., _I["eyeLookOutRight"]] - a[..., _I["eyeLookInRight"]]) * full
    ly = (a[..., _I["eyeLookUpLeft"]] - a[..., _I["eyeLookDownLeft"]]) * full
    ry = (a[..., _I["eyeLookUpRight"]] - a[..., _I["eyeLookDownRight"]]) * full
    gaze = _deg_to_gaze(np.stack([np.stack([lx, ly], -1), np.stack([rx, ry], -1)], -2))
    openness = 1.0 - np.stack([a[..., _I["eyeBlinkLeft"]], a[..., _I["eyeBlinkRight"]]], -1)
    return weights.astype(np.float32), gaze, np.clip(openness, 0, 1).astype(np.float32)


def ue_to_arkit(weights: np.ndarray, gaze: np.ndarray | None = None,
                openness: np.ndarray | None = None) -> np.ndarray:
    """Convert UE weights (and optionally eye data) to ARKit-52 weights.

    Parameters
    ----------
    weights : np.ndarray [shape=(..., 88)]
    gaze : np.ndarray [shape=(..., 2, 2)], optional
        Drives ``eyeLook*``; zero when omitted.
    openness : np.ndarray [shape=(..., 2)], optional
        Drives ``eyeBlink* = 1 - openness``; eyes open when omitted.

    Returns
    -------
    np.ndarray [shape=(..., 52), dtype=float32]
    """
    w = np.asarray(weights, np.float32)
    if w.shape[-1] != N_UE:
        raise ShapeError("weights", w.shape, f"(..., {N_UE})")
    out = w @ UE_TO_ARKIT_MATRIX.T
    if openness is not None:
        o = np.asarray(openness, np.float32)
        out[..., _I["eyeBlinkLeft"]] = 1 - o[..., 0]
        out[..., _I["eyeBlinkRight"]] = 1 - o[..., 1]
    if gaze is not None:
        g = np.degrees(np.arctan(np.asarray(gaze, np.float32))) / EYE_LOOK_FULL_DEG
        lx, ly, rx, ry = g[..., 0, 0], g[..., 0, 1], g[..., 1, 0], g[..., 1, 1]
        pos = lambda x: np.clip(x, 0, 1)  # noqa: E731
        out[..., _I["eyeLookInLeft"]], out[..., _I["eyeLookOutLeft"]] = pos(lx), pos(-lx)
        out[..., _I["eyeLookOutRight"]], out[..., _I["eyeLookInRight"]] = pos(rx), pos(-rx)
        out[..., _I["eyeLookUpLeft"]], out[..., _I["eyeLookDownLeft"]] = pos(ly), pos(-ly)
        out[..., _I["eyeLookUpRight"]], out[..., _I["eyeLookDownRight"]] = pos(ry), pos(-ry)
    return np.clip(out, 0, 1).astype(np.float32)


def mediapipe_to_arkit(scores: np.ndarray) -> np.ndarray:
    """MediaPipe's 52 scores (``_neutral`` first, no ``tongueOut``) -> ARKit-52 (tongueOut = 0).

    Parameters
    ----------
    scores : np.ndarray [shape=(..., 52)] in :data:`MEDIAPIPE_NAMES` order.
    """
    s = np.asarray(scores, np.float32)
    if s.shape[-1] != len(MEDIAPIPE_NAMES):
        raise ShapeError("mediapipe scores", s.shape, f"(..., {len(MEDIAPIPE_NAMES)})")
    out = np.zeros(s.shape[:-1] + (N_ARKIT,), np.float32)
    out[..., _MP_TO_ARKIT_DST] = s[..., _MP_TO_ARKIT_SRC]
    return out


_MP_TO_ARKIT_SRC = np.array([i for i, n in enumerate(MEDIAPIPE_NAMES) if n in ARKIT_INDEX])
_MP_TO_ARKIT_DST = np.array([ARKIT_INDEX[MEDIAPIPE_NAMES[i]] for i in _MP_TO_ARKIT_SRC])

assert math.isclose(float(ARKIT_TO_UE_MATRIX[:, [ARKIT_INDEX[n] for n in ARKIT_EYE_SHAPES]].sum()), 0.0)
