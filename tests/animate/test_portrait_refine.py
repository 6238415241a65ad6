"""Closed-loop refinement: every frame re-tracked, jaw / smile / lids corrected towards the request."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from facemimic.animate.portrait import refine
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.animate.portrait.calibrate import StillTracker, retrack
from facemimic.animate.portrait.model import DRIVE_CLOSE_LEFT, DRIVE_CLOSE_RIGHT, N_DRIVE
from facemimic.expressions.frame import ExpressionFrame as F


class _Plant:
    """A stand-in tracker whose eyes read back only 60 % of the closure drawn (an under-reading
    tracker), so the loop's control law can be checked exactly."""

    def __init__(self):
        self.drawn = 0.0

    def faces(self, image):
        open_ = 1.0 - 0.6 * self.drawn
        return [SimpleNamespace(present=True, openness_left=open_, openness_right=open_,
                                landmarks=np.full((478, 3), 0.5), weight=lambda name: 0.0)]


def _loop(plant):
    anim = SimpleNamespace(options=SimpleNamespace(rest="neutral"), warp=SimpleNamespace(roi=(0, 0, 4, 4)),
                           points=np.full((478, 2), 2.0), image=np.zeros((4, 4, 3), np.uint8))
    return refine.ClosedLoop(anim, tracker=plant)


def _drive(closure: float) -> np.ndarray:
    d = np.zeros(N_DRIVE, np.float32)
    d[DRIVE_CLOSE_RIGHT] = d[DRIVE_CLOSE_LEFT] = closure
    return d


def test_the_loop_converges_on_an_under_reading_tracker_and_restarts_on_a_jump():
    plant = _Plant()
    loop = _loop(plant)

    def render(d):
        plant.drawn = float(d[DRIVE_CLOSE_RIGHT])
        return np.zeros((4, 4, 3), np.uint8)

    out = None
    for _ in range(20):  # a held request: lids asked to close by 0.2
        out = loop.correct(_drive(0.2), render)
    # the tracker reads 60 % of what is drawn: the loop draws ~0.33 so that 0.2 reads back
    assert out[DRIVE_CLOSE_RIGHT] == pytest.approx(0.2 / 0.6, abs=0.01)
    assert out[DRIVE_CLOSE_LEFT] == pytest.approx(0.2 / 0.6, abs=0.01)
    # a blink starts: the request jumps, the held correction is dropped before this frame's step
    loop.correct(_drive(0.9), render)
    assert plant.drawn == pytest.approx(0.9)  # rendered without the old correction
    # never more than LIMIT away from the request
    for _ in range(20):
        out = loop.correct(_drive(0.9), render)
    assert out[DRIVE_CLOSE_RIGHT] == pytest.approx(0.9 + refine.LIMIT)


class _BrowPlant:
    """A stand-in tracker that reads the inner raise at 80 % and the lowering at 30 % of what is
    drawn, each side alike (as the real one, it favours one brow reading over the other)."""

    def __init__(self):
        self.up = self.down = 0.0

    def faces(self, image):
        vals = {"BrowInnerUpRight": 0.8 * self.up, "BrowInnerUpLeft": 0.8 * self.up,
                "BrowLowererRight": 0.3 * self.down, "BrowLowererLeft": 0.3 * self.down}
        return [SimpleNamespace(present=True, openness_left=1.0, openness_right=1.0,
                                landmarks=np.full((478, 3), 0.5), weight=lambda name: vals.get(name, 0.0))]


def test_brows_are_corrected_one_at_a_time_or_for_their_balance():
    from facemimic.expressions.names import ue_index

    up, down = ue_index("BrowInnerUpRight"), ue_index("BrowLowererRight")
    plant = _BrowPlant()
    loop = _loop(plant)

    def render(d):
        plant.up, plant.down = float(d[up]), float(d[down])
        return np.zeros((4, 4, 3), np.uint8)

    def drive(u, dn):
        d = np.zeros(N_DRIVE, np.float32)
        for side in ("Right", "Left"):
            d[ue_index("BrowInnerUp" + side)], d[ue_index("BrowLowerer" + side)] = u, dn
        return d

    for _ in range(20):  # raise only: the raise is corrected, the lowering left alone
        out = loop.correct(drive(0.4, 0.0), render)
    assert out[up] == pytest.approx(0.5, abs=0.01) and out[down] == 0.0
    loop.reset()
    for _ in range(30):  # both asked evenly: only their balance is corrected
        out = loop.correct(drive(0.3, 0.3), render)
    assert 0.8 * out[up] == pytest.approx(0.3 * out[down], abs=0.02)  # read back evenly
    assert out[up] + out[down] == pytest.approx(0.6, abs=0.01)  # the total request is kept


def test_refine_reads_back_closer_on_a_real_portrait(samples):
    """A smile of 0.5 on a smiling photo relaxed to neutral: open-loop calibration over-shoots it
    (re-tracked ~0.7); with the loop the reading comes to the request over a few frames."""
    path = str(samples / "0-f15-hao-ph.jpg")
    frame = F.from_shapes({"MouthCornerPullLeft": 0.5, "MouthCornerPullRight": 0.5})
    plain = PortraitAnimator(path, PortraitOptions(size=384, rest="neutral"))
    with PortraitAnimator(path, PortraitOptions(size=384, rest="neutral", refine=True)) as looped:
        for _ in range(10):  # a held expression: the correction builds up over frames
            img_loop = looped.render(frame).copy()
        assert looped._loop.lost == 0
    img_plain = plain.render(frame).copy()
    with StillTracker() as t:
        got_plain, got_loop = retrack([img_plain, img_loop], plain.points.mean(0), tracker=t)

    def smile(f):
        return 0.5 * (f.weight("MouthCornerPullLeft") + f.weight("MouthCornerPullRight"))

    err_plain, err_loop = abs(smile(got_plain) - 0.5), abs(smile(got_loop) - 0.5)
    assert err_loop < err_plain - 0.05, (smile(got_plain), smile(got_loop))
    assert err_loop < 0.1, smile(got_loop)
    # the rest of the face is left alone: the jaw reads as before
    assert abs(got_loop.weight("JawOpen") - got_plain.weight("JawOpen")) < 0.05
