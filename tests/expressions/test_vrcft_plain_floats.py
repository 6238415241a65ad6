"""``vrcft_parameters`` gives plain Python floats for one frame (as the README shows) and float32
arrays for a batch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facemimic.expressions import ExpressionFrame, vrcft_parameters
from facemimic.expressions.vrcft import PARAMETER_NAMES, frame_parameters


def test_one_frame_gives_plain_floats():
    frame = ExpressionFrame.from_shapes({"JawOpen": 0.6, "MouthCornerPullLeft": 0.8})
    params = vrcft_parameters(frame.weights)
    assert len(params) == len(PARAMETER_NAMES) == 182
    assert all(type(v) is float for v in params.values())
    assert params["v2/JawOpen"] == pytest.approx(0.6)
    assert params["v2/SmileSadLeft"] == pytest.approx(0.8 * 0.8)  # MouthSmileLeft = 0.8 pull + 0.2 slant
    assert json.loads(json.dumps(params)) == params  # serialises as is


def test_a_batch_gives_arrays_that_match_the_single_frames():
    rng = np.random.default_rng(5)
    w = rng.random((3, 88), dtype=np.float32)
    batch = vrcft_parameters(w)
    for k, v in batch.items():
        assert isinstance(v, np.ndarray) and v.shape == (3,) and v.dtype == np.float32
    for i in range(3):
        one = vrcft_parameters(w[i])
        assert all(one[k] == float(batch[k][i]) for k in one)


def test_frame_parameters_includes_eyes_and_head():
    frame = ExpressionFrame(time=0.0, weights=np.zeros(88, np.float32), openness_left=0.2, openness_right=1.0,
                            head_rotation=(45.0, 0.0, 0.0), head_position=(0.0, 0.0, 0.0))
    p = frame_parameters(frame)
    assert all(type(v) is float for v in p.values())
    assert p["v2/EyeOpenLeft"] == pytest.approx(0.2) and p["v2/Head/Yaw"] == pytest.approx(0.5)
