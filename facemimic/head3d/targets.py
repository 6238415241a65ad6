"""The avatar's 52 ARKit + 88 Unified Expressions morph targets, from the learned landmark basis.

Every target is a combination of the learned per-landmark displacements (:mod:`.learn`: one per
ARKit shape, regressed from real tracked faces in FaceMimic's unit), carried from the landmarks to
every vertex of the head by the head's ``follow`` maps (:mod:`.head`) — nothing is drawn by hand:

* ARKit ``name``: that shape's displacement;
* a UE shape: the ARKit combination FaceMimic's own table gives it (``ue_to_arkit`` of the shape
  alone), so a UE target and the ARKit targets it stands for move the face the same way. Names the
  two vocabularies share once side and case are ignored (``JawOpen``/``jawOpen``, 27 of them) are
  one target, so every one of the 52 + 88 names resolves to exactly one target (113 in all);
* eyeballs turn so their pupil follows the iris landmarks' displacement relative to the eye's
  corners (gaze targets turn them; blinks and smiles hardly do).
"""

from __future__ import annotations

import numpy as np

from ..expressions.arkit import ue_to_arkit
from ..expressions.names import ARKIT_NAMES, N_UE, UE_NAMES
from .head import EYE_RADIUS, Head
from .topology import LEFT_IRIS, RIGHT_IRIS

EYE_CORNERS = {"eye_left": (362, 263), "eye_right": (33, 133)}
IRISES = {"eye_left": LEFT_IRIS, "eye_right": RIGHT_IRIS}
SHAPE_SETS = ("arkit+ue", "arkit", "ue")


def _key(name: str) -> str:
    return name.lower()


def target_names(shapes: str = "arkit+ue") -> tuple[str, ...]:
    """The morph target names written for ``shapes`` (``"arkit+ue"``: the 52 ARKit names, then the
    UE names that are not also ARKit names; ``"arkit"``; ``"ue"``: the 88 UE names)."""
    if shapes == "arkit":
        return tuple(ARKIT_NAMES)
    if shapes == "ue":
        return tuple(UE_NAMES)
    arkit = {_key(n) for n in ARKIT_NAMES}
    return tuple(ARKIT_NAMES) + tuple(n for n in UE_NAMES if _key(n) not in arkit)


def arkit_mix(name: str) -> np.ndarray:
    """The ARKit weights (52,) a target name stands for (ARKit one-hot, or ``ue_to_arkit`` of a UE shape)."""
    if name in ARKIT_NAMES:
        out = np.zeros(len(ARKIT_NAMES))
        out[ARKIT_NAMES.index(name)] = 1.0
        return out
    w = np.zeros(N_UE, np.float32)
    w[UE_NAMES.index(name)] = 1.0
    return ue_to_arkit(w).astype(np.float64)


def _eye_rotation(yaw: float, pitch: float) -> np.ndarray:
    """Turns the eye's front (+z) by ``yaw`` towards +x and ``pitch`` towards +y (radians)."""
    ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rx = np.array([[1, 0, 0], [0, np.cos(-pitch), -np.sin(-pitch)], [0, np.sin(-pitch), np.cos(-pitch)]])
    return ry @ rx


def head_deltas(head: Head, landmark_delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertex displacements of the skin (Ns, 3) and the parts (Np, 3) for landmark displacements (478, 3)."""
    skin = head.skin.follow @ landmark_delta
    parts = head.parts.follow @ landmark_delta
    for label, centre in head.parts.eye_centres.items():
        corners = landmark_delta[list(EYE_CORNERS[label])].mean(axis=0)
        rel = landmark_delta[IRISES[label]] - corners
        rot = _eye_rotation(float(np.arcsin(np.clip(rel[0] / EYE_RADIUS, -0.9, 0.9))),
                            float(np.arcsin(np.clip(rel[1] / EYE_RADIUS, -0.9, 0.9))))
        sel = head.parts.part == label
        p = head.parts.positions[sel] - centre
        parts[sel] = p @ rot.T - p
    return skin, parts


def build_targets(head: Head, expressions: np.ndarray, shapes: str = "arkit+ue") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every target's (skin, parts) displacements, IPD units, by name (see :func:`target_names`).

    ``expressions`` is the learned basis (52, 478, 3)."""
    out = {}
    for name in target_names(shapes):
        out[name] = head_deltas(head, np.einsum("k,kvc->vc", arkit_mix(name), expressions))
    return out


def blended(head: Head, expressions: np.ndarray, arkit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skin and parts positions (IPD units) with ARKit weights (52,) applied — what a renderer that
    sets the ARKit targets to ``arkit`` shows."""
    skin, parts = head_deltas(head, np.einsum("k,kvc->vc", np.asarray(arkit, np.float64), expressions))
    return head.skin.positions + skin, head.parts.positions + parts
