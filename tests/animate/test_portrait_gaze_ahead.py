"""A neutral rest leaves a look into the camera where it is (issue #12, the astronaut's identity).

``rest="neutral"`` takes the photo's gaze off (the irises set ahead), but a face looking into the
lens reads a few degrees off, each eye its own way (the astronaut: x 0.076 right eye, -0.015 left,
the eyes "diverging"; 0-f15-hao 0.08 / 0.06). Moving her irises by that repainted both eyes on
every frame (inpainted sclera, a resampled iris: paler, softer eyes; dlib distance of the rest
frame to the photo 0.417 -> 0.393 without it). A reading within ``GAZE_AHEAD`` of ahead is now left
as the photo draws it; a gaze further off keeps its excess (t1-left's downcast eyes are still
asked up).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from facemimic.animate.portrait import animator
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions


def _gaze(right, left):
    return SimpleNamespace(gaze_right=tuple(right), gaze_left=tuple(left))


def test_a_look_into_the_camera_is_not_moved():
    g = animator.photo_gaze(_gaze((0.076, -0.034), (-0.015, -0.037)))  # the astronaut's reading
    assert np.array_equal(g, np.zeros((2, 2)))


def test_a_gaze_further_off_keeps_its_excess():
    """Continuous in the reading: each eye's vector shortened by GAZE_AHEAD, its direction kept."""
    a = animator.GAZE_AHEAD
    g = animator.photo_gaze(_gaze((0.0, -0.3), (0.3, 0.4)))
    assert g[0] == pytest.approx([0.0, -(0.3 - a)])
    assert g[1] == pytest.approx(np.array([0.3, 0.4]) * (0.5 - a) / 0.5)
    just = animator.photo_gaze(_gaze((a + 1e-4, 0.0), (0.0, 0.0)))
    assert float(np.abs(just).max()) < 2e-4


def test_the_rest_draws_eyes_that_look_ahead_as_the_photo_does(samples):
    """0-f15-hao looks into the lens (reads 0.08 / 0.06 off): the rest frame's eye patches are the
    photo's own (the old rest moved both irises and repainted the eyes)."""
    opts = PortraitOptions(size=256, rest="neutral", refine=False, calibrate=False)
    with PortraitAnimator(str(samples / "0-f15-hao-ph.jpg"), opts) as anim:
        raw = np.array([anim.face_frame.gaze_right, anim.face_frame.gaze_left])
        assert 0.05 < float(np.abs(raw).max()) < animator.GAZE_AHEAD, raw  # a reading, not zero
        out = anim.eyes.apply(anim.image, np.zeros((2, 2)) - anim._src_gaze)
        assert out is anim.image
