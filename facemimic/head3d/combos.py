"""Combination (corrective) shapes: what two targets do together that their sum does not.

Morph targets add. Raising the inner brow (browInnerUp, AU1) and lowering the brow (browDown, AU4)
therefore cancel at the brow's inner end, which both move most: the generate stage's sad face
(browInnerUp 0.76, browDown 0.33) raised the inner end by 0.035 IPD and left the brow level, and
fear's brow read as surprise. A real face shows the oblique brow of AU1+4 instead: the frontalis wins
at the inner end (raised as far as AU1 alone raises it) while the corrugator still draws the inner
ends together and lowers the rest of the brow — the brow slants up towards the nose.

So each brow has a combination shape ``browInnerUp_browDownLeft`` / ``...Right``: at weight 1 it gives
back the inner-end height that browDown took, and slides the brow towards the midline along
browDown's own inward profile (:data:`.unit.BROW_DOWN_INWARD`) until the inner end has come in by
BrowPinch's full extent — the raised inner brow's spread had cancelled most of the lowerer's pinch
(0.62 of the extent with both at 1, 0.33 at sad's weights), where the grief brow's inner heads rise
*and* bunch. Its own side only; the outer end and the other brow stay as the sum of the two shapes
has them, by the smoothest added motion over the landmarks (:func:`.unit.brows_to_unit`'s kernel).
It is driven by the smaller of its two weights, so the raiser wins at the inner end as far as both
are on, and the lowerer keeps what it has beyond the raiser (anger's browDown 0.7 with
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
    and slides that brow in along browDown's own inward profile until, with both drivers at 1, the
    inner end has come in by BrowPinch's full extent; the outer end and the other brow as the sum
    of the two shapes has them."""
    from .unit import BROW_DOWN_INWARD, BROW_DOWN_POINTS, COMPLETE_SMOOTH, _SIZE, _as_landmarks, _measure_jacobians

    measures = ("brow_inner_raise", "brow_pinch", "brow_outer_raise")
    jac = _measure_jacobians(face, measures)
    rest = geo.rest_face(_as_landmarks(face), _SIZE)

    def measured(points: np.ndarray):
        return geo.measure(_as_landmarks(points)[None], _SIZE, rest=rest)

    m0 = measured(face)
    full_pinch = geo.CHANNELS["BrowPinchLeft"].full_extent
    d = np.linalg.norm(face[:, None] - face[None], axis=-1)
    kernel = np.exp(-(d / COMPLETE_SMOOTH) ** 2)  # (V, V)
    out = np.zeros((len(COMBINATIONS),) + face.shape)
    for c, (_, up, down, own) in enumerate(COMBINATIONS):
        lowered = measured(face + expressions[ARKIT_NAMES.index(down)])
        took = float(np.asarray(lowered.brow_inner_raise)[0, own] - np.asarray(m0.brow_inner_raise)[0, own])
        rows, want = [], []
        for measure in measures:
            for side in (own, 1 - own):
                if measure == "brow_pinch" and side == own:
                    continue  # the slide below sets it
                rows.append(jac[measure][side])
                want.append(-took if (measure == "brow_inner_raise" and side == own) else 0.0)
        # The slide: a raised inner brow reads as spreading (the frontalis lifts it up and out), so the
        # sum of the two shapes pinched 0.33 of BrowPinch's extent at sad's weights and 0.62 at full
        # ones; the corrugator still draws the whole brow in (AU1+4, the grief brow), the middle most,
        # as browDown's profile (unit.BROW_DOWN_INWARD, from CK+ frowns) has it.
        inward = -1.0 if own == geo.CHANNELS["BrowLowererLeft"].side else 1.0  # towards the midline (+x: subject's left)
        slide_rows = np.zeros((len(BROW_DOWN_INWARD), face.size))
        slide_rows[np.arange(len(BROW_DOWN_INWARD)), 3 * np.asarray(BROW_DOWN_POINTS[own][:len(BROW_DOWN_INWARD)])] = 1.0
        j = np.concatenate([np.stack(rows), slide_rows])  # (R, V*3): measure rows, then each brow point's x
        basis = np.einsum("vw,jwc->vcj", kernel, j.reshape(len(j), *face.shape)).reshape(face.size, len(j))
        gram = j @ basis
        profile = inward * np.asarray(BROW_DOWN_INWARD)

        def shape(scale: float) -> np.ndarray:
            rhs = np.concatenate([want, scale * profile])
            return (basis @ np.linalg.solve(gram, rhs)).reshape(face.shape)

        both = face + expressions[ARKIT_NAMES.index(up)] + expressions[ARKIT_NAMES.index(down)]
        pinch = [float(np.asarray(measured(both + shape(s)).brow_pinch)[0, own] - np.asarray(m0.brow_pinch)[0, own])
                 for s in (0.0, 1.0)]
        # the measure is linear in the slide to well within its extent: one secant step sizes it
        scale = (full_pinch - pinch[0]) / (pinch[1] - pinch[0]) if pinch[1] != pinch[0] else 0.0
        out[c] = shape(max(scale, 0.0))
    return out
