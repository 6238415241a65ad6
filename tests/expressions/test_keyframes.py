"""merge_keyframes: manual keyframe lanes over a generated track (the studio timeline's merge)."""

import numpy as np
import pytest

from facemimic.errors import ParameterError, UnknownNameError
from facemimic.expressions.keyframes import keyframe_curve, merge_keyframes
from facemimic.expressions.names import ue_index
from facemimic.generate.clips import clip


@pytest.fixture(scope="module")
def generated():
    return clip("neutral 0.5s > happy 2.5s", seed=4, fps=30.0, talking=True)


def test_keys_rule_between_first_and_last_and_fade_outside(generated):
    jaw = ue_index("JawOpen")
    keys = [(1.0, 0.8), (1.5, 0.2), (2.0, 0.6)]
    out = merge_keyframes(generated, {"JawOpen": keys, "HeadYaw": [(0.5, 12.0), (2.5, -6.0)]}, fade=0.2)
    t, w = out.time, out.weights[:, jaw]
    # on the keys exactly, and smooth between (Catmull-Rom through the middle key)
    for kt, kv in keys:
        assert w[np.argmin(np.abs(t - kt))] == pytest.approx(kv, abs=1e-5)
    inside = (t >= 1.0) & (t <= 2.0)
    assert np.all(w[inside] >= 0.2 - 0.05) and np.all(w[inside] <= 0.8 + 0.05)
    # outside the fade the generated value is untouched; in the fade it lies between the two
    far = (t < 1.0 - 0.2) | (t > 2.0 + 0.2)
    np.testing.assert_array_equal(w[far], generated.weights[far, jaw])
    i = np.argmin(np.abs(t - 0.9))
    assert min(generated.weights[i, jaw], 0.8) - 1e-6 <= w[i] <= max(generated.weights[i, jaw], 0.8) + 1e-6
    # no jump at the joins: the steepest step is the min-jerk fade's (1.875 x 0.8 over 6 frames)
    assert np.abs(np.diff(w)).max() < 1.875 * 0.8 / 6 + 0.03
    # other channels keep the generator's values; the head follows its own lane
    others = np.ones(88, bool)
    others[jaw] = False
    np.testing.assert_array_equal(out.weights[:, others], generated.weights[:, others])
    np.testing.assert_array_equal(out.gaze, generated.gaze)
    assert out.head_rotation[np.argmin(np.abs(t - 0.5)), 0] == pytest.approx(12.0, abs=1e-4)
    assert out.head_rotation[np.argmin(np.abs(t - 2.5)), 0] == pytest.approx(-6.0, abs=1e-4)
    np.testing.assert_array_equal(out.head_rotation[:, 1:], generated.head_rotation[:, 1:])
    assert out.metadata["keyframes"]["replace"]["JawOpen"] == [[1.0, 0.8], [1.5, 0.2], [2.0, 0.6]]
    assert out.metadata["blinks"] == generated.metadata["blinks"]


def test_offset_keys_bend_a_sampled_curve_and_keep_its_detail(generated):
    # the head lane: keys every 0.5 s are offsets; zeros change nothing, one dragged key bends the
    # curve around it and leaves the generated drift (and its saccade-following jumps) elsewhere
    t = generated.time
    times = np.arange(0.0, 3.0, 0.5)
    zeros = merge_keyframes(generated, {"HeadYaw": np.c_[times, np.zeros(len(times))]}, mode="add")
    np.testing.assert_allclose(zeros.head_rotation, generated.head_rotation, atol=1e-5)
    deltas = np.zeros(len(times))
    deltas[3] = 10.0  # the key at 1.5 s dragged up by 10 degrees
    bent = merge_keyframes(generated, {"HeadYaw": np.c_[times, deltas]}, mode="add")
    d = bent.head_rotation[:, 0] - generated.head_rotation[:, 0]
    assert d[np.argmin(np.abs(t - 1.5))] == pytest.approx(10.0, abs=1e-3)
    away = (t <= 1.0) | (t >= 2.0)
    assert np.abs(d[away]).max() < 1e-4
    assert bent.metadata["keyframes"]["add"]["HeadYaw"][3] == [1.5, 10.0]
    both = merge_keyframes(bent, {"JawOpen": [(1.0, 0.5)]})
    assert set(both.metadata["keyframes"]) == {"add", "replace"}
    with pytest.raises(ParameterError, match="unknown keyframe mode 'mul'"):
        merge_keyframes(generated, {}, mode="mul")


def test_pose_channels_and_clipping(generated):
    out = merge_keyframes(generated, {"EyeOpennessLeft": [(1.0, 0.0)], "GazeX": [(0.2, 0.4), (0.8, 0.4)],
                                      "MouthCornerPullLeft": [(1.0, 1.7), (1.2, 1.7)]}, fade=0.0)
    t = out.time
    i = np.argmin(np.abs(t - 1.0))
    assert out.openness[i, 0] == 0.0 and out.openness[i, 1] == generated.openness[i, 1]
    inside = (t >= 0.2) & (t <= 0.8)
    assert np.all(out.gaze[inside, :, 0] == pytest.approx(0.4))
    assert out.weights[i, ue_index("MouthCornerPullLeft")] == 1.0  # weights stay in [0, 1]


@pytest.mark.parametrize("lanes, error, fragment", [
    ({"JawOpn": [(0, 1)]}, UnknownNameError, "unknown keyframe channel 'JawOpn'"),
    ({"JawOpen": [(0, 1, 2)]}, ParameterError, "keys must be [[time, value]"),
    ({"JawOpen": [(0.5, 1), (0.5, 0)]}, ParameterError, "two keys at the same time (0.5 s)"),
    ({"JawOpen": [(0.5, float("nan"))]}, ParameterError, "numbers"),
])
def test_bad_lanes_are_one_line_errors(generated, lanes, error, fragment):
    with pytest.raises(error) as info:
        merge_keyframes(generated, lanes)
    assert fragment in str(info.value) and "\n" not in str(info.value)
