"""The outside judges read the held expression, not one frame (benchmarks/portrait_judges.py): one
apex frame's label flips under coding changes below a grey level (sixteenth session), so each judge's
probabilities are also averaged over the apex hold of the CLI's own generated clip."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import portrait_judges as pj  # noqa: E402


@pytest.mark.parametrize("emotion", ["happy", "disgusted"])
def test_the_hold_is_the_run_of_frames_around_the_apex_of_the_clis_own_clip(emotion):
    weights = pj.driving_weights(emotion, 20)  # `animate --expression E --duration 2 --fps 10 --seed 1`
    assert weights is not None
    apex = pj.apex_index([], weights)
    hold = pj.hold_indices(weights, apex)
    assert apex in hold and len(hold) >= 5
    assert hold == list(range(hold[0], hold[-1] + 1))  # one run: the rise and the fade are left out
    assert hold[0] > 0 and hold[-1] < 19
    s = np.abs(weights).sum(axis=1)
    assert s[hold].min() >= pj.HOLD_SHARE * s.max() > s[hold[0] - 1]
    assert pj.hold_indices(None, 7) == [7]  # no driving weights: the apex alone


def test_mean_scores_average_the_frames_a_judge_saw():
    got = pj.mean_scores([{"happy": 0.9, "sad": 0.1}, None, {"happy": 0.3, "sad": 0.7}])
    assert got == pytest.approx({"happy": 0.6, "sad": 0.4})
    assert pj.top(got)[0] == "happy"
    assert pj.mean_scores([None, None]) is None
