"""The closed loop's follow guard on a request still ramping to its apex (portrait.refine.FollowGuard):
a generated clip's apex is reached by a ramp, and a reading that peaks and falls as its control
grows (MediaPipe's frown on 15-f13-anc-ph.jpg: right side re-tracked 0.60 of the unit at a drive of
0.7, 0.39-0.43 at 0.9-1.1) must not be chased past its peak while the request is still rising."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from facemimic.animate.portrait import refine
from facemimic.animate.portrait.model import N_DRIVE
from facemimic.expressions.names import ue_index

_SLOT = refine._SLOT["MouthFrownLeft"]


class _PeakPlant:
    """Re-tracking stand-in: every slot reads what is drawn, except the left frown, which reads
    0.8 x its drive up to 0.6 (peak 0.48) and falls 1:1 past it."""

    def __init__(self):
        self.drawn = np.zeros(N_DRIVE, np.float32)

    def faces(self, image):
        return [SimpleNamespace(present=True, landmarks=np.full((478, 3), 0.5))]

    def read(self, *_args) -> np.ndarray:
        r = np.array([self.drawn[i] for i, _ in refine.LOOP], np.float32)
        x = float(self.drawn[ue_index("MouthFrownLeft")])
        r[_SLOT] = 0.8 * x if x <= 0.6 else 0.48 - 1.0 * (x - 0.6)
        return r


def _loop(plant, monkeypatch):
    monkeypatch.setattr(refine, "readings", plant.read)
    monkeypatch.setattr(refine, "rest_of", lambda frame, size: (np.zeros((478, 3)), np.ones(2)))
    model = SimpleNamespace(rest=np.zeros(N_DRIVE, np.float32), photo_gap=0.0, lip_gap=lambda x, gap: 0.0)
    anim = SimpleNamespace(warp=SimpleNamespace(roi=(0, 0, 4, 4)), model=model,
                           points=np.full((478, 2), 2.0), image=np.zeros((4, 4, 3), np.uint8),
                           drawn_gap=lambda drive: 1.0)
    return refine.ClosedLoop(anim, tracker=plant)


def test_a_ramping_request_is_not_chased_past_the_readings_peak(monkeypatch):
    """The request rises 0.40 -> 0.55 by 0.015 a frame (under refine.JUMP: no restart), more than
    the reading can show (peak 0.48 at a drive of 0.6; the request alone reads 0.44 at the top):
    at the ramp's top the reading is still near its peak and the correction well short of the
    limit (judged only on a steady request, the loop chased it and the reading fell to 0.18)."""
    plant = _PeakPlant()
    loop = _loop(plant, monkeypatch)

    def render(d):
        plant.drawn = np.asarray(d, np.float32).copy()
        return np.zeros((4, 4, 3), np.uint8)

    ramp = np.round(np.arange(0.40, 0.55 + 1e-6, 0.015), 4)
    got = []
    for w in ramp:
        request = np.zeros(N_DRIVE, np.float32)
        request[ue_index("MouthFrownLeft")] = w
        render(loop.correct(request, render))  # the final drive, as the animator draws it
        got.append(float(plant.read()[_SLOT]))
    assert got[-1] > 0.38, got  # near the peak at the apex (0.48), not past it
    assert float(loop.corr[_SLOT]) < 0.2, loop.corr[_SLOT]
    assert loop.guard.hi[_SLOT] < refine.LIMIT  # bounded on the side it was pushing
