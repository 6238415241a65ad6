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
