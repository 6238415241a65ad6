"""The avatar's brow targets in FaceMimic's unit: one-sided, and browDown pinching as it lowers."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def avatar(photo_avatar):
    """A real person's avatar (0-f15-hao-ph.jpg)."""

    return photo_avatar("0-f15-hao-ph.jpg")


@pytest.fixture(scope="module")
def measured(avatar):
    """Brow measures (full extents, [left, right]) of each brow target at weight 1 on a real avatar."""
    from facemimic.expressions import geometry as geo
    from facemimic.expressions.names import ARKIT_NAMES
    from facemimic.head3d.unit import _SIZE, _as_landmarks

    face = avatar.head.skin.positions[:478]  # the rest face the targets were sized on
    rest = geo.rest_face(_as_landmarks(face), _SIZE)
    m0 = geo.measure(_as_landmarks(face)[None], _SIZE, rest=rest)
    full = {"brow_lower": 0.1, "brow_pinch": 0.06, "brow_outer_raise": geo.CHANNELS["BrowOuterUpLeft"].full_extent,
            "brow_inner_raise": 0.12}
    assert geo.CHANNELS["BrowLowererLeft"].full_extent == 0.1 and geo.CHANNELS["BrowPinchLeft"].full_extent == 0.06
    out = {}
    for name in ("browDownLeft", "browDownRight", "browOuterUpLeft", "browOuterUpRight"):
        m = geo.measure(_as_landmarks(face + avatar.expressions[ARKIT_NAMES.index(name)])[None], _SIZE, rest=rest)
        out[name] = {k: (np.asarray(getattr(m, k))[0] - np.asarray(getattr(m0, k))[0]) / v for k, v in full.items()}
    side = {"Left": geo.CHANNELS["BrowLowererLeft"].side, "Right": geo.CHANNELS["BrowLowererRight"].side}
    return out, side


def test_brow_down_lowers_and_pinches_its_own_brow_only(measured):
    """browDown lowers its brow by BrowLowerer's full extent and brings the inner end in as real frowns
    do (0.3-0.5 of BrowPinch's 0.06 IPD; the CK+ apexes read 0.04-0.32 at 0.33-0.99 of the lowering)."""
    out, side = measured
    for s, other in (("Left", "Right"), ("Right", "Left")):
        m = out["browDown" + s]
        assert 0.9 < m["brow_lower"][side[s]] < 1.1 and 0.3 < m["brow_pinch"][side[s]] < 0.5, m
        assert abs(m["brow_lower"][side[other]]) < 0.1 and abs(m["brow_pinch"][side[other]]) < 0.1, m


def test_outer_brow_raise_neither_pinches_nor_spreads(measured):
    out, side = measured
    for s, other in (("Left", "Right"), ("Right", "Left")):
        m = out["browOuterUp" + s]
        assert m["brow_outer_raise"][side[s]] > 0.8, m  # it still raises its own outer brow
        assert np.abs(m["brow_pinch"]).max() < 0.1, m
        assert abs(m["brow_outer_raise"][side[other]]) < 0.1 and abs(m["brow_lower"][side[other]]) < 0.1, m


def test_brow_down_lowers_the_whole_brow_as_real_frowns_do(measured):
    """AU4 as real lowered brows show it to the capture's landmarks (CK+ apexes against the same
    person's neutral frame): the inner two thirds come down alike, the tail 0.65 as far. The earlier
    slant lowered the inner end 3x the middle and the tail not at all, and re-tracked at 0.44."""
    out, side = measured
    for s in ("Left", "Right"):
        m = out["browDown" + s]
        inner = -m["brow_inner_raise"][side[s]] * 0.12  # IPD down
        middle = 2 * m["brow_lower"][side[s]] * 0.1 - inner  # brow_lower is the mean of inner and middle
        outer = -m["brow_outer_raise"][side[s]] * 0.12
        assert 0.75 < inner / middle < 1.1 and 0.5 < outer / middle < 0.8, (inner, middle, outer)


def test_brow_down_hoods_the_eye_as_real_frowns_do(avatar):
    """AU4 drags the skin below the brow onto the upper lid: on CK+ anger apexes against the same
    person's neutral frame the lid's fold comes down 0.68 of the brow's drop at its middle, the lid
    margin 0.43, and the lower lid not at all (it rises with AU7). The learned shape lowered the lower
    lid 0.09-0.11 of the drop and the right margin 0.29, the fold 0.53: the eye hardly narrowed
    (aperture 0.20-0.27 of the drop, 0.43 on the real faces)."""
    from facemimic.expressions.names import ARKIT_NAMES

    face = avatar.head.skin.positions[:478]
    assert face.shape == (478, 3)
    # per side: brow (upper inner, lower inner, upper middle, lower middle), lid margin's middle,
    # fold's middle, lower lid's middle (MediaPipe indices)
    sides = {"browDownLeft": ((336, 285, 334, 282), 386, 257, 374),
             "browDownRight": ((107, 55, 105, 52), 159, 27, 145)}
    for name, (brow, margin, fold, lower) in sides.items():
        d = avatar.expressions[ARKIT_NAMES.index(name)][:, 1]  # (478,) height change at weight 1, IPD
        drop = -d[list(brow)].mean()
        assert drop > 0.08, (name, drop)
        got = {"margin": -d[margin] / drop, "fold": -d[fold] / drop, "lower": -d[lower] / drop}
        assert 0.37 < got["margin"] < 0.5 and 0.6 < got["fold"] < 0.75, (name, got)
        assert abs(got["lower"]) < 0.04, (name, got)
        assert got["margin"] - got["lower"] > 0.38, (name, got)  # the eye narrows


def test_brow_down_slides_the_brow_in_as_real_frowns_do(avatar):
    """AU4 draws the whole brow towards the midline, its middle most (CK+ apexes against the same
    person's neutral frame, 8 sides: upper edge 0.26 / 0.43 / 0.32 of the brow's drop at the inner
    end / middle / tail), so the inner head bunches. The shape sized to BrowPinch's full extent pulled
    the inner end alone (0.47 of the drop, the middle 0.10, the tail 0.07): it stretched the inner brow."""
    from facemimic.expressions.names import ARKIT_NAMES
    from facemimic.head3d.unit import MIDLINE

    face = avatar.head.skin.positions[:478]
    mid = face[list(MIDLINE), 0].mean()
    # per side: upper edge inner end, middle, tail; lower edge inner end, middle (MediaPipe indices)
    for name, points in (("browDownLeft", (336, 334, 300, 285, 282)), ("browDownRight", (107, 105, 70, 55, 52))):
        d = avatar.expressions[ARKIT_NAMES.index(name)]
        toward = -np.sign(face[points[0], 0] - mid)
        drop = -d[list(points), 1][[0, 1, 3, 4]].mean()
        inward = toward * d[list(points), 0] / drop
        assert 0.7 < drop / 0.1 < 1.3, (name, drop)
        upper_in, upper_mid, tail, lower_in, lower_mid = inward
        assert 0.18 < upper_in < 0.34 and 0.33 < upper_mid < 0.53 and 0.22 < tail < 0.42, (name, inward)
        assert upper_mid - upper_in > 0.1 and lower_mid - lower_in > 0.1, (name, inward)  # the inner head bunches
