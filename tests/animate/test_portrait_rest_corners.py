"""A smiling photo's neutral rest keeps its mouth corners at a neutral face's height, each side on
its own, on the frames the closed loop draws too (issue #12).

- The closed loop chased the corners' pull at rest: the rest's pull, taken off in template amounts,
  leaves the mouth narrower than the population's, which the pull's reading took for too much pull
  taken off, and the loop drew pull back, lifting the corners into a smirk from the first frame
  (the astronaut's left corner 0.035 IPD above the lips' middle, 0.049 by the fourth frame). Its
  pull slots now hold what the frame asks for (``refine.py``).
- The rest itself left an uneven smile's higher corner 0.02-0.026 IPD up (single_face.jpg's and
  0-f15-hao's left): ``calibrate.rest_corners`` puts each corner at the population's neutral height
  as re-tracked on the rendered rest.

Measured on re-tracked renders."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from facemimic.animate.portrait import calibrate, refine
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.expressions import ExpressionFrame, geometry


def _corners(images) -> np.ndarray:
    """(T, 2, 2) re-tracked [out, up] of the (left, right) mouth corners, IPD, against the
    population's neutral."""
    out = []
    for frame in calibrate.retrack(images):
        h, w = images[0].shape[:2]
        m = geometry.measure(np.asarray(frame.landmarks, np.float64), (w, h))
        out.append(np.stack([m.corner_out, m.corner_up], axis=1))
    return np.asarray(out)


def test_the_loops_first_frames_of_a_smiling_photos_rest_keep_the_corners_level(samples):
    anim = PortraitAnimator(samples / "single_face.jpg", PortraitOptions(size=256, rest="neutral", refine=True))
    try:
        frames = [anim.render(ExpressionFrame.neutral()) for _ in range(4)]
    finally:
        anim.close()
    up = _corners(frames)[:, :, 1]
    print("first frames' corner rise (left, right):", up.round(3).tolist())
    # old: left 0.024, 0.023, 0.021, 0.034 (fresh calibration): the loop drew the smile's pull back.
    # The same code reads the left corner 0.0103 on an AVX2-only AMD EPYC (thirty-first session; under
    # 0.01 on the machines before): the bound sits between that and the old fault
    assert np.all(up.mean(axis=0) <= 0.0125), up
    assert np.all(up <= 0.015), up
    assert np.all(up >= -0.025), up  # not pushed down past a neutral face's either


@pytest.mark.parametrize("photo", ["single_face.jpg", "0-f15-hao-ph.jpg"])
def test_a_smiling_photos_rest_puts_each_corner_at_a_neutral_faces_height(samples, photo):
    anim = PortraitAnimator(samples / photo, PortraitOptions(size=256, rest="neutral", refine=False))
    report = anim.stats.rest_corners
    up = _corners([anim.render(None)])[0][:, 1]
    print(photo, "rest corners' rise (left, right):", up.round(3).tolist(), "report", report)
    # old (fresh calibration): single_face +0.020 / -0.020, hao +0.017 / -0.014: the higher corner
    # of an uneven smile left standing
    assert np.all(up <= 0.012), up
    assert np.all(up >= -0.025), up
    # moved by the rest's own templates, each side by its own amounts
    assert np.any(np.abs(np.asarray(report["amounts"])) > 0.01), report


def test_a_photo_without_a_smile_keeps_its_rest(samples):
    """15-f13-anc-ph.jpg does not smile: its rest's corners are not moved (nothing re-tracked)."""
    anim = PortraitAnimator(samples / "15-f13-anc-ph.jpg", PortraitOptions(size=256, rest="neutral", refine=False))
    assert anim.stats.rest_corners["before"] is None
    assert np.allclose(np.asarray(anim.stats.rest_corners["amounts"]), 0.0)


class _Plant:
    """Re-tracking stand-in: each loop slot reads what is drawn relative to the rest (drive minus
    the photo's own weights), the left corner's pull ``bias`` lower (a rest whose narrow mouth
    reads as its pull taken off too far)."""

    def __init__(self, rest: np.ndarray, bias: float):
        self.rest, self.bias = rest, bias
        self.drawn = np.zeros_like(rest)

    def faces(self, image):
        return [SimpleNamespace(present=True, landmarks=np.full((478, 3), 0.5))]

    def read(self, *_args) -> np.ndarray:
        out = np.array([self.drawn[i] - self.rest[i] for i, _ in refine.LOOP], np.float32)
        out[refine._SLOT["MouthCornerPullLeft"]] -= self.bias
        return out


def test_the_loop_does_not_draw_back_the_pull_a_neutral_rest_takes_off(monkeypatch):
    """rest="neutral": a frame that asks for no pull leaves the corners' pull as the rest's
    templates draw it (the old loop added +0.2 of pull here: the astronaut's smirk); a frame that
    asks for a smile still has its pull corrected."""
    from facemimic.animate.portrait.model import N_DRIVE
    from facemimic.expressions.names import ue_index

    pull = ue_index("MouthCornerPullLeft")
    rest = np.zeros(N_DRIVE, np.float32)
    rest[pull] = 0.6  # the photo's own smile
    plant = _Plant(rest, bias=0.2)
    monkeypatch.setattr(refine, "readings", plant.read)
    monkeypatch.setattr(refine, "rest_of", lambda frame, size: (np.zeros((478, 3)), np.ones(2)))
    model = SimpleNamespace(rest=rest, photo_gap=0.0, lip_gap=lambda x, gap: 0.0, absolute=True)
    anim = SimpleNamespace(warp=SimpleNamespace(roi=(0, 0, 4, 4)), model=model,
                           points=np.full((478, 2), 2.0), image=np.zeros((4, 4, 3), np.uint8),
                           drawn_gap=lambda drive: 1.0)

    def render(d):
        plant.drawn = np.asarray(d, np.float32).copy()
        return np.zeros((4, 4, 3), np.uint8)

    for asked, moved in ((0.0, False), (0.8, True)):
        loop = refine.ClosedLoop(anim, tracker=plant)
        drive = np.zeros(N_DRIVE, np.float32)
        drive[pull] = asked
        for _ in range(10):
            out = loop.correct(drive, render)
        print(f"pull asked {asked}: drawn {out[pull]:.3f}")
        if moved:
            assert out[pull] > asked + 0.1, out[pull]  # a smile's under-read pull is still corrected
        else:
            assert abs(out[pull] - asked) < 1e-6, out[pull]  # old: 0.2 (LIMIT 0.35)
