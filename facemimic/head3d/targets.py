"""The avatar's 52 ARKit + 88 Unified Expressions morph targets, from the learned landmark basis.

Every target is a combination of the learned per-landmark displacements (:mod:`.learn`: one per
ARKit shape, regressed from real tracked faces in FaceMimic's unit), carried from the landmarks to
every vertex of the head by the head's ``follow`` maps (:mod:`.head`) — nothing is drawn by hand:

* ARKit ``name``: that shape's displacement;
* a UE shape: the ARKit combination FaceMimic's own table gives it (``ue_to_arkit`` of the shape
  alone), so a UE target and the ARKit targets it stands for move the face the same way — except
  the one-sided halves of a two-sided ARKit shape (:func:`side_split`: BrowInnerUpLeft of
  browInnerUp, CheekPuffLeft of cheekPuff, LipSuckUpperLeft of mouthRollUpper …), which are that
  shape's motion on their own side of the face at full size, not half of it on both; and the UE
  channels ARKit merges into one shape (:func:`merged_split`: MouthCornerPull / MouthCornerSlant of
  mouthSmile, BrowLowerer / BrowPinch of browDown, the four LipPucker / LipFunnel quadrants), which
  are each their own part of it (:func:`merged_part`), at its full extent alone. Names the
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


# UE channels that ARKit carries in one shape (``ue_to_arkit`` averages them, so each alone drew
# half of it: MouthCornerPullLeft at 1 pulled the corner 0.5 of its full extent). Each is the part of
# the shared shape's motion that its own measure (expressions.geometry) reads, so that alone at 1 it
# reaches its full extent and the parts still sum to the shape at the weights a real face reads
# (:func:`merged_part`).
MERGED = {"MouthCornerPull": ("mouthSmile", "pull"), "MouthCornerSlant": ("mouthSmile", "slant"),
          "BrowLowerer": ("browDown", "lower"), "BrowPinch": ("browDown", "pinch")}
QUADRANT_SHAPES = {"LipPucker": "mouthPucker", "LipFunnel": "mouthFunnel"}
# The lip landmarks both lips share (the outer and inner mouth corners): half in each lip's quadrant.
LIP_CORNERS = (61, 291, 78, 308)
CORNER_BLEND = 0.12  # IPD from the mouth corners (the mouth is ~1 IPD wide)


def merged_split(name: str) -> tuple[str, str, str] | None:
    """(ARKit shape, part, side or quadrant) for a UE name that is part of one ARKit shape, else None:
    ``("mouthSmileLeft", "pull", "Left")``, ``("mouthPucker", "quadrant", "UpperLeft")``."""
    for stem, (shape, part) in MERGED.items():
        for side in ("Left", "Right"):
            if name == stem + side:
                return shape + side, part, side
    for stem, shape in QUADRANT_SHAPES.items():
        if name.startswith(stem) and name[len(stem):] in ("UpperLeft", "UpperRight", "LowerLeft", "LowerRight"):
            return shape, "quadrant", name[len(stem):]
    return None


def quadrant_weight(face: np.ndarray, quadrant: str) -> np.ndarray:
    """(478,) the share of a whole-mouth shape's motion ``quadrant`` ("UpperLeft" …) carries on
    ``face`` (478, 3): its lip (the closed lips' line, :func:`.unit._below_lip_line`; the corners
    half) times its side (:func:`.unit.own_side`, smooth across the midline). The four quadrants'
    weights sum to one at every landmark."""
    from .unit import _below_lip_line, own_side

    from .rest import LOWER_INNER, UPPER_INNER

    below, _ = _below_lip_line(face)
    upper = np.where(below, 0.0, 1.0)
    # the closed lips' inner edges touch: half each, so one lip's quadrant does not part them (an
    # upper-only pucker opened a slot between the lips showing the teeth)
    upper[list(LIP_CORNERS) + list(UPPER_INNER) + list(LOWER_INNER)] = 0.5
    # and towards the corners, where both lips meet, the split fades to half each over CORNER_BLEND
    # (a lip moving in full beside a corner moving half folded over it)
    near = np.linalg.norm(face[:, None, :2] - face[None, [61, 291], :2], axis=-1).min(axis=1)
    t = np.clip(near / CORNER_BLEND, 0, 1)
    upper = 0.5 + (upper - 0.5) * t * t * (3 - 2 * t)
    lip = upper if quadrant.startswith("Upper") else 1.0 - upper
    return lip * own_side(face, "Left" if quadrant.endswith("Left") else "Right")


def merged_part(face: np.ndarray, delta: np.ndarray, part: str, side: str) -> np.ndarray:
    """The ``part`` of an ARKit shape's landmark motion ``delta`` (478, 3) on ``face`` (478, 3) that a
    UE channel carries alone; the parts of one shape sum to ``delta`` exactly.

    * ``"pull"`` / ``"slant"`` (mouthSmile): geometry reads the corner's pull along the zygomatic line
      (SMILE_ANGLE_DEG up-out) and its rise (slant), two measures at an angle. Each landmark's motion
      in the face plane is split on the dual pair of directions: the slant part moves across the
      zygomatic line (up and a little in: the rise, with no pull), the pull part straight out (the
      pull, with no rise); depth goes with each part in proportion to its in-plane motion. So pull
      alone at 1 pulls the corner its full extent and leaves its height, slant alone raises it its
      full extent and leaves the pull, and both at w are the smile at w.
    * ``"lower"`` / ``"pinch"`` (browDown): the vertical and depth motion (brow_lower) / the
      horizontal (brow_pinch), the latter times :func:`pinch_gain`: browDown draws AU4's pinch,
      0.4 of the pinch's full extent per unit of lowering, so its own sideways motion would pinch
      0.4 at BrowPinch 1. Lowerer w and pinch 0.4 w (what a real AU4 reads) are browDown at w.
    * ``"quadrant"``: the motion times :func:`quadrant_weight`.
    """
    d = np.asarray(delta, np.float64)
    if part == "quadrant":
        return d * quadrant_weight(face, side)[:, None]
    out = np.zeros_like(d)
    if part == "lower":
        out[:, 1:] = d[:, 1:]
        return out
    if part == "pinch":
        out[:, 0] = d[:, 0] * pinch_gain(face, d, side)
        return out
    from ..expressions.geometry import SMILE_ANGLE_DEG

    ang, sign = np.radians(SMILE_ANGLE_DEG), 1.0 if side == "Left" else -1.0
    rise = d[:, 1] / np.cos(ang)  # along (-sin, cos) (outward, up): across the zygomatic line
    slant_xy = np.stack([-sign * np.sin(ang) * rise, d[:, 1]], axis=1)
    pull_xy = d[:, :2] - slant_xy  # straight out: d_x + tan(ang) d_y outward, no rise
    # depth: each part keeps to the face's surface as it moves across it (dz/dx of the rest face times
    # its own sideways motion: the pull goes back round the cheek, the slant's inward motion comes
    # forward; the teeth showed through the cheek beside a slanted corner otherwise); what is left of
    # the shape's depth motion goes with each part in proportion to its in-plane motion
    slope = _surface_slope(face)
    a, b = np.linalg.norm(pull_xy, axis=1), np.linalg.norm(slant_xy, axis=1)
    share = np.divide(a, a + b, out=np.full_like(a, 0.5), where=a + b > 1e-12)
    rest_z = d[:, 2] - slope * d[:, 0]
    if part == "pull":
        out[:, :2], out[:, 2] = pull_xy, slope * pull_xy[:, 0] + rest_z * share
    else:
        out[:, :2], out[:, 2] = slant_xy, slope * slant_xy[:, 0] + rest_z * (1.0 - share)
    return out


def pinch_gain(face: np.ndarray, delta: np.ndarray, side: str) -> float:
    """The factor that takes browDown's sideways motion ``delta[:, 0]`` (478, 3) on ``face``
    (478, 3) to the pinch's full extent (geometry's brow_pinch on ``side``); 1 where browDown
    hardly pinches (under a tenth of the extent)."""
    from ..expressions import geometry as geo
    from .unit import _SIZE, _as_landmarks

    sideways = np.zeros_like(delta)
    sideways[:, 0] = delta[:, 0]
    rest = geo.rest_face(_as_landmarks(face), _SIZE)
    got = geo.brow_pinch(_as_landmarks(np.stack([face, face + sideways])), _SIZE, rest=rest)
    moved = float(got[1, 0 if side == "Left" else 1] - got[0, 0 if side == "Left" else 1])
    full = geo.CHANNELS["BrowPinch" + side].full_extent
    return full / moved if moved > 0.1 * full else 1.0


SLOPE_NEIGHBOURS = 12


def _surface_slope(face: np.ndarray) -> np.ndarray:
    """(478,) dz/dx of the face's surface at each landmark of ``face`` (478, 3): a plane fitted to
    its :data:`SLOPE_NEIGHBOURS` nearest landmarks (in x, y)."""
    d = np.linalg.norm(face[:, None, :2] - face[None, :, :2], axis=-1)
    near = np.argsort(d, axis=1)[:, :SLOPE_NEIGHBOURS + 1]  # itself and its neighbours
    p = face[near]  # (478, 13, 3)
    x = np.concatenate([np.ones(p.shape[:2] + (1,)), p[:, :, :2]], axis=2)  # (478, 13, 3): 1, x, y
    xt = np.swapaxes(x, 1, 2)
    # every landmark's least-squares plane at once (the normal equations, batched)
    return np.linalg.solve(xt @ x, (xt @ p[:, :, 2:]))[:, 1, 0]


def landmark_deltas(face: np.ndarray, expressions: np.ndarray, names) -> np.ndarray:
    """Each named target's landmark displacements (T, 478, 3), IPD units, on ``face`` (478, 3, the
    rest landmarks the basis was sized on): the ARKit mix of :func:`arkit_mix`, or for a side's half
    (:func:`side_split`) its ARKit shape on that side only, or for a part of one ARKit shape
    (:func:`merged_split`) that part of its motion (:func:`merged_part`)."""
    from .unit import own_side

    mix = np.stack([arkit_mix(n) for n in names])  # (T, 52)
    deltas = np.einsum("tk,kvc->tvc", mix, expressions)
    for i, n in enumerate(names):
        split = side_split(n)
        if split is not None:
            deltas[i] = expressions[ARKIT_NAMES.index(split[0])] * own_side(face, split[1])[:, None]
        merged = merged_split(n)
        if merged is not None:
            deltas[i] = merged_part(face, expressions[ARKIT_NAMES.index(merged[0])], merged[1], merged[2])
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
