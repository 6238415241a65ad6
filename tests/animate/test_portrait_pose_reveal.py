"""A turned photo is not turned back towards the camera (issue #12 §2: no seams, the sitter kept).

On a face the photo shows turned 34 degrees (45-m7-di-ph.jpg) the far cheek and eye lie behind the
nose: MediaPipe puts their landmarks there, and their triangles carry the nose's own pixels. A
head turn back towards the camera (the generated clips sway by a few degrees) pulled those
triangles into view, and every such frame showed a second, ghostly nose and eye beside the real
ones. Turning further away only hides more, which the far-to-near drawing order handles."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.expressions.frame import ExpressionFrame


def _turned(anim, yaw):
    return anim.render(ExpressionFrame.neutral().replace(head_rotation=(yaw, 0.0, 0.0)))


@pytest.fixture(scope="module")
def turned(samples):
    return PortraitAnimator(samples / "45-m7-di-ph.jpg", PortraitOptions(size=256, calibrate=False))


def test_the_photos_own_yaw_is_read_from_its_landmarks(turned, samples):
    assert turned.pose.source_yaw > 30  # turned to the subject's right, as the tracker says (34)
    assert np.sign(turned.pose.source_yaw) == np.sign(turned.stats.source_yaw)
    frontal = PortraitAnimator(samples / "single_face.jpg", PortraitOptions(size=256, calibrate=False))
    assert abs(frontal.pose.source_yaw) < 15


def test_a_turned_photo_is_not_turned_back_but_still_turns_away(turned):
    back = -6.5 * np.sign(turned.pose.source_yaw)
    assert np.array_equal(_turned(turned, back), turned.image)  # nothing revealed, nothing ghosted
    away = _turned(turned, -back)
    nose = turned.points[1].astype(int)
    patch = (slice(nose[1] - 10, nose[1] + 10), slice(nose[0] - 10, nose[0] + 10))
    assert np.abs(away[patch].astype(int) - turned.image[patch].astype(int)).mean() > 3  # the nose moved


def test_a_frontal_photo_turns_both_ways(samples):
    anim = PortraitAnimator(samples / "single_face.jpg", PortraitOptions(size=256, calibrate=False))
    for yaw in (-6.5, 6.5):
        motion = anim.pose.motion(np.array([yaw, 0.0, 0.0]))
        assert np.abs(motion[1, 0]) > 2.0, yaw  # the nose tip moves sideways by pixels
