"""The stretch (AU20, ARKit mouthStretch) pulls its own mouth corner out and leaves the lips' height; the
press (AU24, mouthPress) thins the lips and leaves the corners' height (issue #15, ninth session),
measured on real photos' avatars in the face frame (IPD, y up)."""

from __future__ import annotations

import numpy as np
from head3d_photos import arkit_shape


def test_the_stretch_pulls_the_corners_out_and_leaves_the_lips_height(basis):
    """AU20 pulls the mouth's corners towards the ears; the learned mouthStretch lifted the lips 0.03 IPD
    and the chin 0.067 (AU17 in the data) and slid the other corner in, so over the still upper teeth
    fear's stretch bared them (a grimace)."""
    from facemimic.expressions import geometry as geo
    from facemimic.head3d.unit import measured_extents

    for side, corner, other in (("Left", 291, 61), ("Right", 61, 291)):
        d = arkit_shape(basis, "mouthStretch" + side)
        lips = [0, 13, 14, 17, 82, 312, 87, 317, 152, corner, other]
        assert np.abs(d[lips, 1]).max() < 0.005, (side, d[lips, 1].round(3))
        assert abs(d[other, 0]) < 0.005 and abs(d[corner, 0]) > 0.15, (side, d[[corner, other], 0])
        own = geo.CHANNELS["MouthStretch" + side].side
        stretch = measured_extents(basis[0], d, ("corner_stretch",))["corner_stretch"]
        assert 0.95 < stretch[own] < 1.05 and abs(stretch[1 - own]) < 0.05, (side, stretch)


def test_the_press_thins_the_lips_and_leaves_the_corners_height(basis):
    """The learned press raised the lips' meeting line in the middle and the sizing (corner_up is read
    against the mouth's centre) lifted both corners with it, 0.045 IPD while the upper lip's border
    stayed: anger's pressed mouth was an upturned closed smile."""
    from facemimic.expressions import geometry as geo
    from facemimic.head3d.unit import measured_extents

    for side in ("Left", "Right"):
        d = arkit_shape(basis, "mouthPress" + side)
        assert np.abs(d[[61, 291], 1]).max() < 0.003, (side, d[[61, 291], 1])
        assert abs(d[0, 1]) < 0.02, (side, d[0, 1])  # the upper lip's border stays
        own = geo.CHANNELS["MouthPress" + side].side
        thinned = measured_extents(basis[0], d, ("lip_thinning",))["lip_thinning"]
        assert 0.95 < thinned[own] < 1.05, (side, thinned)
        # the lower lip meets the upper one: it rises in the middle, so the pressed line arches
        assert d[14, 1] > 0.02, (side, d[14, 1])


def test_the_frown_pulls_its_corner_down_and_leaves_the_mouths_centre(basis):
    """AU15 pulls the mouth corner down (the unit: about 6 mm). corner_down is read against the lips'
    centre (13/14), and the frown's completion met it by raising that centre: the learned-and-completed
    mouthFrownLeft lowered its corner 0.049 IPD, raised the lips' middle 0.048 and the other corner
    0.042, so a sad face lifted its closed mouth instead of turning its corners down."""
    from facemimic.expressions import geometry as geo
    from facemimic.head3d.unit import measured_extents

    for side, corner, other in (("Left", 291, 61), ("Right", 61, 291)):
        d = arkit_shape(basis, "mouthFrown" + side)
        own = geo.CHANNELS["MouthFrown" + side].side
        down = measured_extents(basis[0], d, ("corner_down",))["corner_down"]
        assert 0.95 < down[own] < 1.05 and abs(down[1 - own]) < 0.1, (side, down)
        # most of it is the corner's own descent, not the centre's rise
        assert d[corner, 1] < -0.7 * geo.CHANNELS["MouthFrown" + side].full_extent, (side, d[corner, 1])
        assert np.abs(d[[13, 14, other], 1]).max() < 0.025, (side, d[[13, 14, other], 1].round(3))


def test_the_smile_curves_the_lower_lip_up_and_parts_the_lips_in_a_crescent(basis):
    """AU12 pulls the corners up and back while the lower lip's middle stays: the lower inner lip
    bends into a U (CK+ S052_004: 0.20 of the corner's rise half way to the corner, the upper inner lip
    0.43) and the lips part over the upper teeth. The sized smile moved both inner lips alike,
    in proportion to the distance from the middle: a V-shaped mouth whose teeth showed as a flat band."""
    face = basis[0]
    for side, corner, upper, lower in (("Left", 291, 311, 402), ("Right", 61, 81, 178)):
        d = arkit_shape(basis, "mouthSmile" + side)
        rise = d[corner, 1]
        assert rise > 0.14, (side, rise)
        assert d[lower, 1] < 0.75 * d[upper, 1], (side, d[[upper, lower], 1])  # the lower lip lags: a U
        assert d[upper, 1] - d[lower, 1] > 0.01, (side, d[[upper, lower], 1])  # and the lips part there
        assert abs(d[14, 1]) < 0.006, (side, d[14, 1])  # the lower lip's middle stays (the upper's rises: below)


def test_the_smile_lifts_the_upper_lip_off_the_teeth_and_keeps_the_unit(basis):
    """Real posed smiles raise the whole upper lip with the corners (CK+ S052_004, S055_005, S074_005
    against their neutral first frames: the inner middle 13 +0.09-0.11 IPD, the border 0 +0.055-0.074);
    the learned smile kept it where it was (13 +0.002, 0 -0.005 at mouthSmile 1), so the lips parted
    only at the sides: a flat slot of teeth. Each smile now lifts the upper lip, the lower lip's middle
    stays (the lips part in the middle too), and corner_up and smile_pull stay at the unit."""
    from facemimic.expressions import geometry as geo
    from facemimic.head3d.unit import measured_extents

    face = basis[0]
    both = arkit_shape(basis, "mouthSmileLeft") + arkit_shape(basis, "mouthSmileRight")
    assert both[13, 1] > 0.02 and both[0, 1] > 0.01, both[[13, 0], 1].round(3)  # old: 0.00 / -0.01
    assert both[13, 1] - both[14, 1] > 0.02, both[[13, 14], 1].round(3)  # parted in the middle
    for side in ("Left", "Right"):
        d = arkit_shape(basis, "mouthSmile" + side)
        own = geo.CHANNELS["MouthCornerPull" + side].side
        m = measured_extents(face, d, ("corner_up", "smile_pull"))
        assert 0.94 < m["corner_up"][own] < 1.04 and 0.95 < m["smile_pull"][own] < 1.05, (side, m)
        assert abs(m["corner_up"][1 - own]) < 0.08, (side, m)  # the other corner hardly reads it


def test_a_smile_from_a_down_turned_rest_lifts_its_corners_as_from_a_typical_rest(photo_avatar):
    """0-f1-su-ph's rest face (its photo's surprise left in it) rests the corners 0.121 IPD below the
    lips' middle, the shape model's mean face 0.045: the smile's full lift left its corners level with
    the lips' middle at the generated happy face's weight, a grimace. mouthSmile also lifts each
    corner by that difference; a rest at or above the mean face's is lifted by the unit's extent alone."""
    from facemimic.expressions import geometry as geo
    from facemimic.expressions.names import ARKIT_NAMES
    from facemimic.head3d.learn import load_face_model
    from facemimic.head3d.rest import lips_closed
    from facemimic.head3d.unit import full_extent

    def rest_rise(p):  # the corners' height over the lips' middle (IPD, y up)
        return p[list(geo.MOUTH_CORNER), 1] - (p[13, 1] + p[14, 1]) / 2

    typical = rest_rise(lips_closed(load_face_model().mean)).mean()
    avatar = photo_avatar("0-f1-su-ph.jpg")
    face = avatar.head.skin.positions[:478]
    assert np.all(rest_rise(face) < typical - 0.05), (rest_rise(face), typical)
    both = avatar.expressions[ARKIT_NAMES.index("mouthSmileLeft")] + avatar.expressions[ARKIT_NAMES.index("mouthSmileRight")]
    smiling = face + both
    mid = (smiling[13, 1] + smiling[14, 1]) / 2
    rise = smiling[list(geo.MOUTH_CORNER), 1] - mid
    # at full weight the corners stand as high above the lips' middle as a typical rest's full smile
    assert np.all(rise > typical + 0.9 * full_extent("corner_up")), (rise, typical)
    # and at the generated happy face's weight (0.63) above it, not level with it
    part = face + 0.63 * both
    assert np.all(part[list(geo.MOUTH_CORNER), 1] - (part[13, 1] + part[14, 1]) / 2 > 0.02)
