"""ExpressionFrame: the fields a frame refuses on construction, and what it still takes."""

import math
import time

import numpy as np
import pytest

import facemimic
from facemimic.errors import ParameterError, ShapeError
from facemimic.expressions import ExpressionFrame


@pytest.fixture(scope="module")
def happy():
    return facemimic.express("happy", seed=1)[0]


@pytest.mark.parametrize("change, match", [
    ({"time": None}, "time must be a number of seconds, got None"),
    ({"time": "1.0"}, "time must be a number of seconds"),
    ({"time": math.inf}, "time must be a number of seconds, got inf"),
    ({"gaze_left": (0.1, 0.2, 0.3)}, r"gaze_left has shape \(3,\), expected \(2,\)"),
    ({"gaze_right": 0.5}, "gaze_right has shape"),
    ({"head_rotation": (1.0, 2.0)}, "head_rotation has shape"),
    ({"head_position": "xyz"}, "head_position has shape"),
    ({"gaze_left": (None, 0.0)}, r"gaze_left\[0\] must be a number, got None"),
    ({"confidence": None}, "confidence must be a number, got None"),
    ({"openness_right": "open"}, "openness_right must be a number, got 'open'"),
])
def test_bad_fields_are_refused_when_the_frame_is_built(happy, change, match):
    # these used to build a frame that failed only in a writer or exporter (time=None, a 3-long gaze)
    with pytest.raises(ParameterError, match=match):
        happy.replace(**change)


def test_wrong_lengths_are_shape_errors(happy):
    with pytest.raises(ShapeError) as e:
        happy.replace(gaze_left=(0.1, 0.2, 0.3))
    assert e.value.actual_shape == (3,) and e.value.expected_shape == "(2,)"


def test_nan_and_inf_values_are_still_allowed(happy):
    gap = ExpressionFrame.gap(1.0, last=happy)  # NaN weights and head on a gap frame
    assert not gap.present and np.isnan(gap.weights).all() and gap.gaze_left == happy.gaze_left
    # capture's degenerate head pose is NaN on a frame with a face
    posed = happy.replace(head_rotation=(math.nan,) * 3, head_position=(math.nan,) * 3)
    assert posed.present and np.isnan(posed.head_rotation).all()
    # a live frame with no stamp of its own: the smoother stamps it by its clock
    assert math.isnan(happy.replace(time=math.nan).time)
    # infinite weights, gaze or openness are held or clamped by the streamers and renderers (issue
    # #10), so a live stream never stops on one frame
    wild = happy.replace(weights={"JawOpen": math.inf}, gaze_left=(math.inf, 0.0), openness_left=-math.inf)
    assert wild.weight("JawOpen") == math.inf
    assert ExpressionFrame(time=np.float32(0.5), weights=happy.weights, gaze_left=np.zeros(2)).time == 0.5


def test_captured_frames_still_build():
    from facemimic.samples import sample_path

    tr = facemimic.track(sample_path("single_face.jpg"))
    frames = list(tr)
    assert frames and frames[0].present and len(frames[0].gaze_left) == 2


def test_the_check_is_cheap(happy):
    """Frames are built once per video frame: the checks keep construction in the microseconds."""
    kw = dict(time=0.5, weights=happy.weights, gaze_left=happy.gaze_left, gaze_right=happy.gaze_right,
              head_rotation=happy.head_rotation, head_position=(0.0, 0.1, 0.5), confidence=0.9)
    n = 2000
    best = min(_per_call(lambda: ExpressionFrame(**kw), n) for _ in range(3))
    assert best < 100e-6, f"{best * 1e6:.1f} us per frame"


def _per_call(fn, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n
