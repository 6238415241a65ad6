"""Combination (corrective) shapes: what two targets do together that their sum does not.

Morph targets add. Raising the inner brow (browInnerUp, AU1) and lowering the brow (browDown, AU4)
therefore cancel at the brow's inner end, which both move most: the generate stage's sad face
(browInnerUp 0.76, browDown 0.33) raised the inner end by 0.035 IPD and left the brow level, and
fear's brow read as surprise. A real face shows the oblique brow of AU1+4 instead: the frontalis wins
at the inner end (raised as far as AU1 alone raises it) while the corrugator still draws the inner
ends together and lowers the rest of the brow — the brow slants up towards the nose.

So each brow has a combination shape ``browInnerUp_browDownLeft`` / ``...Right``: at weight 1 it gives
back the inner-end height that browDown took (its own side; the pinch, the outer end and the other
brow unchanged), by the smoothest added motion over the landmarks (:func:`.unit.brows_to_unit`'s
kernel). It is driven by the smaller of its two weights, so the raiser wins at the inner end as far
as both are on, and the lowerer keeps what it has beyond the raiser (anger's browDown 0.7 with
browInnerUp 0.05 stays a frown). FaceMimic's renderer and file player apply it, and
``facemimic export`` writes its curve (the mesh's ``extras.combinations`` gives the rule); the file
also carries it as a morph target of its own (a live driver that does not know the rule shows the
plain sum).
"""

from __future__ import annotations

import numpy as np

from ..expressions import geometry as geo
from ..expressions.names import ARKIT_NAMES

# (name, driver a, driver b, the brow's side in the measures' [left, right])
COMBINATIONS = (("browInnerUp_browDownLeft", "browInnerUp", "browDownLeft", geo.CHANNELS["BrowLowererLeft"].side),
                ("browInnerUp_browDownRight", "browInnerUp", "browDownRight", geo.CHANNELS["BrowLowererRight"].side))
COMBINATION_NAMES = tuple(c[0] for c in COMBINATIONS)
_DRIVERS = np.array([[ARKIT_NAMES.index(a), ARKIT_NAMES.index(b)] for _, a, b, _ in COMBINATIONS])


def combination_weights(arkit: np.ndarray) -> np.ndarray:
    """Each combination shape's weight (..., C) for ARKit weights (..., 52): the smaller of its two
    drivers (0 when either is off)."""
    a = np.clip(np.asarray(arkit, np.float64), 0.0, None)
    return np.minimum(a[..., _DRIVERS[:, 0]], a[..., _DRIVERS[:, 1]])


def combination_shapes(face: np.ndarray, expressions: np.ndarray) -> np.ndarray:
    """The combination shapes (C, 478, 3) for a calibrated basis ``expressions`` (52, 478, 3) on
    ``face`` (478, 3): each gives back, on its own brow's inner end, the height its browDown took,
    leaving the pinch, the outer end and the other brow as the sum of the two shapes has them."""
    from .unit import COMPLETE_SMOOTH, _SIZE, _as_landmarks, _measure_jacobians

    measures = ("brow_inner_raise", "brow_pinch", "brow_outer_raise")
    jac = _measure_jacobians(face, measures)
    rest = geo.rest_face(_as_landmarks(face), _SIZE)
    m0 = geo.measure(_as_landmarks(face)[None], _SIZE, rest=rest)
    d = np.linalg.norm(face[:, None] - face[None], axis=-1)
    kernel = np.exp(-(d / COMPLETE_SMOOTH) ** 2)  # (V, V)
    out = np.zeros((len(COMBINATIONS),) + face.shape)
    for c, (_, _, down, own) in enumerate(COMBINATIONS):
        lowered = geo.measure(_as_landmarks(face + expressions[ARKIT_NAMES.index(down)])[None], _SIZE, rest=rest)
        took = float(np.asarray(lowered.brow_inner_raise)[0, own] - np.asarray(m0.brow_inner_raise)[0, own])
        rows, want = [], []
        for measure in measures:
            for side in (own, 1 - own):
                rows.append(jac[measure][side])
                want.append(-took if (measure == "brow_inner_raise" and side == own) else 0.0)
        j = np.stack(rows)  # (6, V*3)
        basis = np.einsum("vw,jwc->vcj", kernel, j.reshape(len(rows), *face.shape)).reshape(face.size, len(rows))
        out[c] = (basis @ np.linalg.solve(j @ basis, np.asarray(want))).reshape(face.shape)
    return out
