"""The oblique brow of AU1+4 (sadness, fear): raising the inner brow and lowering the brow together
must not cancel at the inner end (issue #15 §2; head3d/combos.py)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def avatar(photo_avatar):
    return photo_avatar("single_face.jpg")


def _brow(avatar, **named):
    """Brow measures (IPD; [left, right]) of the avatar's rendered landmarks with ARKit weights
    ``named`` (``browDown``: both sides), as FaceMimic's renderer poses them."""
    from facemimic.expressions import geometry as geo
    from facemimic.expressions.names import ARKIT_NAMES
    from facemimic.head3d.targets import blended
    from facemimic.head3d.unit import _SIZE, _as_landmarks

    w = np.zeros(len(ARKIT_NAMES))
    for name, v in named.items():
        for n in ((name + "Left", name + "Right") if name + "Left" in ARKIT_NAMES else (name,)):
            w[ARKIT_NAMES.index(n)] = v
    face = avatar.head.skin.positions[:478]
    skin, _ = blended(avatar.head, avatar.expressions, w, avatar.combinations)
    rest = geo.rest_face(_as_landmarks(face), _SIZE)
    m0, m = (geo.measure(_as_landmarks(p)[None], _SIZE, rest=rest) for p in (face, skin[:478]))
    return {k: np.asarray(getattr(m, k))[0] - np.asarray(getattr(m0, k))[0]
            for k in ("brow_inner_raise", "brow_outer_raise", "brow_pinch", "brow_lower")}


def test_sad_brow_keeps_its_inner_end_raised_and_drawn_together(avatar):
    """The generate stage's sad brow (browInnerUp 0.76, browDown 0.33): the inner end as high as the
    raiser alone puts it (the sum of the two targets left it at a third of that), still pinched."""
    raised = _brow(avatar, browInnerUp=0.76)
    down = _brow(avatar, browDown=0.33)
    sad = _brow(avatar, browInnerUp=0.76, browDown=0.33)
    assert (sad["brow_inner_raise"] > 0.85 * raised["brow_inner_raise"]).all(), (sad, raised)
    # browDown 0.33 brings the inner ends in as a real frown of that depth does (0.4 of BrowPinch's
    # 0.06 IPD at browDown 1: 0.008 IPD here)
    assert (sad["brow_pinch"] > 0.8 * down["brow_pinch"]).all() and (down["brow_pinch"] > 0.006).all(), (sad, down)
    # the rest of the brow still comes down: the tail lower than with the raiser alone
    assert (sad["brow_outer_raise"] < raised["brow_outer_raise"] - 0.003).all(), (sad, raised)


def test_a_frown_stays_a_frown(avatar):
    """Anger's brow (browDown 0.7, a trace of browInnerUp 0.05): the combination takes back only the
    raiser's share; the brow comes down as the lowerer alone brings it, less that share."""
    alone = _brow(avatar, browDown=0.7)
    angry = _brow(avatar, browDown=0.7, browInnerUp=0.05)
    assert (angry["brow_lower"] > 0.8 * alone["brow_lower"]).all() and (alone["brow_lower"] > 0.05).all(), (angry, alone)
    assert np.allclose(angry["brow_pinch"], alone["brow_pinch"], atol=0.005), (angry, alone)


def test_combination_weight_is_the_smaller_driver():
    from facemimic.expressions.names import ARKIT_NAMES
    from facemimic.head3d.combos import COMBINATION_NAMES, combination_weights

    w = np.zeros(len(ARKIT_NAMES))
    w[ARKIT_NAMES.index("browInnerUp")] = 0.76
    w[ARKIT_NAMES.index("browDownLeft")] = 0.33
    got = dict(zip(COMBINATION_NAMES, combination_weights(w)))
    assert got == {"browInnerUp_browDownLeft": pytest.approx(0.33), "browInnerUp_browDownRight": 0.0}


def test_grief_brow_draws_its_inner_ends_together(avatar):
    """AU1+4 raises the inner heads *and* bunches them: with both drivers at 1 the inner ends come in
    by BrowPinch's full extent (0.06 IPD; the plain sum of the two targets gave 0.037, the raiser's
    spread cancelling most of the lowerer's pull), on the driven side only."""
    from facemimic.expressions import geometry as geo

    full = geo.CHANNELS["BrowPinchLeft"].full_extent
    grief = _brow(avatar, browInnerUp=1.0, browDown=1.0)
    assert np.allclose(grief["brow_pinch"], full, atol=0.1 * full), grief
    # sad's weights: more pinch than the two shapes alone add up to
    raised, down = _brow(avatar, browInnerUp=0.76), _brow(avatar, browDown=0.33)
    sad = _brow(avatar, browInnerUp=0.76, browDown=0.33)
    assert (sad["brow_pinch"] > 1.25 * (raised["brow_pinch"] + down["brow_pinch"])).all(), (sad, raised, down)
    # one brow lowered under both raised: the other brow pinches as the raiser alone has it
    one = _brow(avatar, browInnerUp=1.0, browDownLeft=1.0)
    alone = _brow(avatar, browInnerUp=1.0)
    side = geo.CHANNELS["BrowPinchLeft"].side
    assert one["brow_pinch"][side] > 0.9 * full and abs(one["brow_pinch"][1 - side] - alone["brow_pinch"][1 - side]) < 0.003, (one, alone)
