"""The mouth geometry a Unified Expressions frame implies, in face-normalised units.

:mod:`.geometry` measures faces: landmarks -> IPD-unit measures -> UE weights. This module goes
the other way for the mouth: UE weights -> the chin drop, inner-lip gap and lip shapes they stand
for, so that tracks made without a face (lip sync, generation, hand-made) can be checked against
real faces in the same units (``docs/units.md``, "The lip gap a frame implies").

The inner-lip gap is not a channel of its own. A UE frame implies it through three motions that
each move one lip:

* the **jaw** carries the lower lip down as far as the chin drops (relaxed lips), unless
  ``MouthClosed`` keeps the lips together: ``MOUTH_CLOSED_GAP_EXTENT * (JawOpen - MouthClosed)``,
  the relation that defines ``MouthClosed`` in :func:`.geometry.geometric_weights`;
* ``MouthUpperUp`` lifts the upper lip towards the nose by its extent (0.10 IPD at 1.0);
* ``MouthLowerDown`` pulls the lower lip towards the chin by its extent (0.25 IPD at 1.0).

Measured on the real frames of ``WolfgangLanger_Pexels.mp4`` and ``single_face.mp4`` against their
own rest (544 frames): ``lip_gap ~ jaw_drop + upper_lip_raise + lower_lip_depress`` with unit
coefficients misses by 0.028 IPD on average (r = 0.94; the jaw alone: 0.069, r = 0.63).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ShapeError
from .geometry import MOUTH_CLOSED_GAP_EXTENT, weight_to_extent
from .names import N_UE, UE_INDEX

#: Inner-lip gap (IPD) at or below which the lips count as meeting (issue #11's bilabial target).
LIPS_MEET_GAP = 0.03


def _mean(w: np.ndarray, stem: str, parts=("Right", "Left")) -> np.ndarray:
    return (w[..., UE_INDEX[stem + parts[0]]] + w[..., UE_INDEX[stem + parts[1]]]) / 2


def _quadrants(w: np.ndarray, stem: str) -> np.ndarray:
    return np.mean([w[..., UE_INDEX[f"{stem}{p}{s}"]] for p in ("Upper", "Lower") for s in ("Right", "Left")],
                   axis=0)


@dataclass(frozen=True)
class MouthGeometry:
    """What a UE frame asks of the mouth, in IPD units (arrays shaped like the frames).

    Same names and meanings as :class:`.geometry.FaceMeasures`; sided channels are averaged
    over both sides.
    """

    jaw_drop: np.ndarray  # chin moved away from the nose (JawOpen)
    lip_gap: np.ndarray  # inner-lip gap 13-14 (jaw, MouthClosed, upper/lower lip), >= 0
    upper_lip_raise: np.ndarray  # MouthUpperUp
    lower_lip_depress: np.ndarray  # MouthLowerDown
    smile_pull: np.ndarray  # MouthCornerPull
    corner_stretch: np.ndarray  # MouthStretch
    mouth_narrowing: np.ndarray  # LipPucker (mean of the four quadrants)
    lip_protrusion: np.ndarray  # LipFunnel (mean of the four quadrants)
    lip_thinning: np.ndarray  # MouthPress


def implied_mouth(weights) -> MouthGeometry:
    """The mouth geometry UE weights stand for (the inverse direction of :mod:`.geometry`).

    Parameters
    ----------
    weights : np.ndarray [shape=(88,) or (..., 88)]
        UE weights in the unit (fraction of each shape's full extent), VRCFT order
        (:data:`.names.UE_NAMES`).

    Returns
    -------
    MouthGeometry
        Arrays of shape ``()`` or ``(...)``, IPD units.
    """
    w = np.asarray(weights, np.float64)
    if w.shape[-1:] != (N_UE,):
        raise ShapeError("weights", w.shape, f"(..., {N_UE}) UE weights")
    jaw = np.clip(w[..., UE_INDEX["JawOpen"]], 0.0, None)
    closed = np.clip(w[..., UE_INDEX["MouthClosed"]], 0.0, jaw)  # VRCFT: MouthClosed <= JawOpen
    upper = weight_to_extent("MouthUpperUpLeft", _mean(w, "MouthUpperUp"))
    lower = weight_to_extent("MouthLowerDownLeft", _mean(w, "MouthLowerDown"))
    gap = MOUTH_CLOSED_GAP_EXTENT * (jaw - closed) + upper + lower
    return MouthGeometry(
        jaw_drop=weight_to_extent("JawOpen", jaw),
        lip_gap=np.clip(gap, 0.0, None),
        upper_lip_raise=upper, lower_lip_depress=lower,
        smile_pull=weight_to_extent("MouthCornerPullLeft", _mean(w, "MouthCornerPull")),
        corner_stretch=weight_to_extent("MouthStretchLeft", _mean(w, "MouthStretch")),
        mouth_narrowing=weight_to_extent("LipPuckerUpperLeft", _quadrants(w, "LipPucker")),
        lip_protrusion=weight_to_extent("LipFunnelUpperLeft", _quadrants(w, "LipFunnel")),
        lip_thinning=weight_to_extent("MouthPressLeft", _mean(w, "MouthPress")),
    )


def implied_lip_gap(weights) -> np.ndarray:
    """Inner-lip gap (IPD) implied by UE weights ``(..., 88)``: :func:`implied_mouth`'s ``lip_gap``."""
    return implied_mouth(weights).lip_gap
