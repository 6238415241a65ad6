"""The avatar's 52 ARKit + 88 Unified Expressions morph targets, from the learned landmark basis.

Every target is a combination of the learned per-landmark displacements (:mod:`.learn`: one per
ARKit shape, regressed from real tracked faces in FaceMimic's unit), carried from the landmarks to
every vertex of the head by the head's ``follow`` maps (:mod:`.head`) — nothing is drawn by hand:

* ARKit ``name``: that shape's displacement;
* a UE shape: the ARKit combination FaceMimic's own table gives it (``ue_to_arkit`` of the shape
  alone), so a UE target and the ARKit targets it stands for move the face the same way — except
  the one-sided halves of a two-sided ARKit shape (:func:`side_split`: BrowInnerUpLeft of
  browInnerUp, CheekPuffLeft of cheekPuff, LipSuckUpperLeft of mouthRollUpper …), which are that
  shape's motion on their own side of the face at full size, not half of it on both. Names the
  two vocabularies share once side and case are ignored (``JawOpen``/``jawOpen``, 27 of them) are
  one target, so every one of the 52 + 88 names resolves to exactly one target (113 in all);
* with both sets (the default), the two brow combination shapes of :mod:`.combos` (115 targets in all), which a
  player drives by the smaller of their two ARKit weights (the file's mesh ``extras.combinations``);
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


def side_split(name: str) -> tuple[str, str] | None:
    """(two-sided ARKit shape, side) for a UE name that stands for one side of it, else None.

    ``ue_to_arkit`` gives BrowInnerUpLeft alone half of browInnerUp, which moves both inner brows
    half their extent: BrowInnerUpLeft at 1 drew 0.5-0.6 of BrowInnerUp's full extent on its own
    side and as much on the other (docs/units.md, issue #11: a weight is the fraction of the
    channel's full extent on its own side). Such a UE target is the ARKit shape's motion faded to
    its own side of the midline instead (:func:`.unit.own_side`, whose two sides sum to one): at
    1 it moves its own side as the ARKit shape at 1 does and leaves the other, and the two sides at
    equal weights still sum to the ARKit shape at that weight, as before."""
    if name in ARKIT_NAMES or not name.endswith(("Left", "Right")):
        return None
    mix = arkit_mix(name)
    nz = np.flatnonzero(np.abs(mix) > 1e-6)
    if len(nz) != 1 or abs(mix[nz[0]] - 0.5) > 1e-6 or ARKIT_NAMES[nz[0]].endswith(("Left", "Right")):
        return None  # not a side's half (MouthUpperLeft is half of mouthLeft: a direction, not a side)
    return ARKIT_NAMES[nz[0]], "Left" if name.endswith("Left") else "Right"


def landmark_deltas(face: np.ndarray, expressions: np.ndarray, names) -> np.ndarray:
    """Each named target's landmark displacements (T, 478, 3), IPD units, on ``face`` (478, 3, the
    rest landmarks the basis was sized on): the ARKit mix of :func:`arkit_mix`, or for a side's half
    (:func:`side_split`) its ARKit shape on that side only."""
    from .unit import own_side

    mix = np.stack([arkit_mix(n) for n in names])  # (T, 52)
    deltas = np.einsum("tk,kvc->tvc", mix, expressions)
    for i, n in enumerate(names):
        split = side_split(n)
        if split is not None:
            deltas[i] = expressions[ARKIT_NAMES.index(split[0])] * own_side(face, split[1])[:, None]
    return deltas


def _eye_rotation(yaw: float, pitch: float) -> np.ndarray:
    """Turns the eye's front (+z) by ``yaw`` towards +x and ``pitch`` towards +y (radians)."""
    ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rx = np.array([[1, 0, 0], [0, np.cos(-pitch), -np.sin(-pitch)], [0, np.sin(-pitch), np.cos(-pitch)]])
    return ry @ rx


def head_deltas(head: Head, landmark_delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertex displacements of the skin (..., Ns, 3) and the parts (..., Np, 3) for landmark
    displacements (..., 478, 3) (one set, or a stack of T sets at once)."""
    d = np.asarray(landmark_delta, np.float64)
    skin, parts = _follow(head.skin.follow, d), _follow(head.parts.follow, d)
    for label, centre in head.parts.eye_centres.items():
        corners = d[..., list(EYE_CORNERS[label]), :].mean(axis=-2)
        rel = d[..., IRISES[label], :] - corners
        yaw = np.arcsin(np.clip(rel[..., 0] / EYE_RADIUS, -0.9, 0.9))
        pitch = np.arcsin(np.clip(rel[..., 1] / EYE_RADIUS, -0.9, 0.9))
        sel = np.flatnonzero(head.parts.part == label)
        p = head.parts.positions[sel] - centre
        rot = _eye_rotations(np.atleast_1d(yaw), np.atleast_1d(pitch))  # (T, 3, 3)
        turned = np.einsum("tij,nj->tni", rot, p) - p
        parts[..., sel, :] = turned.reshape(parts[..., sel, :].shape)
    return skin, parts


def _follow(follow: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``follow`` (N, L) applied to displacements (..., L, 3), as one matrix product (BLAS)."""
    lead = d.shape[:-2]
    flat = np.moveaxis(d.reshape((-1,) + d.shape[-2:]), 1, 0).reshape(d.shape[-2], -1)  # (L, T*3)
    out = (follow @ flat).reshape(follow.shape[0], -1, 3)  # (N, T, 3)
    return np.moveaxis(out, 1, 0).reshape(lead + (follow.shape[0], 3))


def _eye_rotations(yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    return np.stack([_eye_rotation(float(y), float(p)) for y, p in zip(yaw, pitch)])


def build_targets(head: Head, expressions: np.ndarray, shapes: str = "arkit+ue",
                  combinations: np.ndarray | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every target's (skin, parts) displacements, IPD units, by name (see :func:`target_names`).

    ``expressions`` is the learned basis (52, 478, 3); ``combinations`` (C, 478, 3, :mod:`.combos`)
    adds the combination shapes after the named ones with the full set (``"arkit+ue"``; a file of one
    vocabulary keeps exactly its names)."""
    names = target_names(shapes)
    deltas = landmark_deltas(head.skin.positions[:478], np.asarray(expressions, np.float64), names)
    if combinations is not None and shapes == "arkit+ue":
        from .combos import COMBINATION_NAMES

        names = names + COMBINATION_NAMES
        deltas = np.concatenate([deltas, np.asarray(combinations, np.float64)])
    skin, parts = head_deltas(head, deltas)
    return {n: (skin[i], parts[i]) for i, n in enumerate(names)}


def blended(head: Head, expressions: np.ndarray, arkit: np.ndarray,
            combinations: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Skin and parts positions (IPD units) with ARKit weights (52,) applied — what a renderer that
    sets the ARKit targets to ``arkit`` shows; with ``combinations`` (C, 478, 3, :mod:`.combos`)
    also the combination shapes those weights drive."""
    arkit = np.asarray(arkit, np.float64)
    delta = np.einsum("k,kvc->vc", arkit, expressions)
    if combinations is not None:
        from .combos import combination_weights

        delta = delta + np.einsum("k,kvc->vc", combination_weights(arkit), combinations)
    skin, parts = head_deltas(head, delta)
    return head.skin.positions + skin, head.parts.positions + parts
