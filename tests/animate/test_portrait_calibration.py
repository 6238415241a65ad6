"""Calibration probes the portrait as it is drawn (issue #11): the jaw with the seal the model adds."""

from __future__ import annotations

import numpy as np

from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.animate.portrait.calibrate import GROUP_GAIN_RANGE, KNOTS, StillTracker, _probe_seal, rest_of, retrack
from facemimic.expressions import geometry
from facemimic.expressions.frame import ExpressionFrame as F


def _chin_drop(anim, image) -> float:
    x0, y0, x1, y1 = anim.warp.roi
    size = (x1 - x0, y1 - y0)
    centre = anim.points.mean(0) - (x0, y0)
    with StillTracker() as t:
        photo, got = retrack([anim.image[y0:y1, x0:x1], image[y0:y1, x0:x1]], centre, tracker=t)
    rest, _ = rest_of(photo, size)
    assert rest is not None and got is not None
    # photo and render measured as one person (one IPD for both: the render's iris distance alone
    # reads a few per cent wider as the jaw drops)
    lm = np.stack([np.asarray(photo.landmarks, np.float64), np.asarray(got.landmarks, np.float64)])
    return float(geometry.measure(lm, size, rest).jaw_drop[1])


def test_jaw_probes_carry_the_seal_and_reach_the_unit_on_a_toothy_photo(samples):
    """single_face.jpg's lips are parted 0.2 IPD; a JawOpen request is drawn with that gap sealed
    from below, and the jaw is calibrated that way (sealed lips make MediaPipe read the chin
    shorter than a gaping mouth's): JawOpen 0.3 re-tracks the chin within 20 % of 0.3 x 0.75 IPD."""
    anim = PortraitAnimator(str(samples / "single_face.jpg"), PortraitOptions(size=512))
    assert _probe_seal(anim.model, ("jaw_open",), 0.4) == 1.0  # the whole photo gap closes under a 0.3 IPD jaw gap
    w = 0.3
    got = _chin_drop(anim, anim.render(F.from_shapes({"JawOpen": w})))
    want = w * geometry.CHANNELS["JawOpen"].full_extent
    assert abs(got / want - 1) <= 0.2, (got, want, anim.stats.calibration["jaw"])


def test_jaw_curve_gain_is_bounded_where_the_chin_reading_stalls(samples):
    """0-f1-su-ph.jpg's chin sits near the picture's bottom edge and its sealed reading stalls:
    the jaw's curve still asks at most GROUP_GAIN_RANGE's gain over the unit's own amount, and a
    closed-lipped photo needs no seal."""
    anim = PortraitAnimator(str(samples / "0-f1-su-ph.jpg"), PortraitOptions(size=512))
    curve = np.asarray(anim.stats.calibration["jaw"]["curve"])
    pos = KNOTS > 0
    assert np.all(curve[pos] <= GROUP_GAIN_RANGE["jaw"][1] * KNOTS[pos] + 1e-3), curve
    closed = PortraitAnimator(str(samples / "15-f13-anc-ph.jpg"), PortraitOptions(size=384, calibrate=False))
    assert _probe_seal(closed.model, ("jaw_open",), 0.4) == 0.0

