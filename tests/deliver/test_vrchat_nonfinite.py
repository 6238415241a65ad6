"""The VRChat encoder never sends ±inf, NaN or out-of-range values, whatever the frames hold
(issue #10: a track holding inf went out as ±inf on ``FT/v2/JawOpen``).

Frames go through the real streaming loop and UDP socket to python-osc's server on 127.0.0.1.
"""

from __future__ import annotations

import math

import pytest

from facemimic.deliver.osc import UdpTransport
from facemimic.deliver.pacing import ManualClock
from facemimic.deliver.streamers import StreamOptions, get_streamer, stream_frames
from facemimic.expressions.frame import ExpressionFrame

P = "/avatar/parameters/FT/v2/"
INF = math.inf


def _stream(frames, port, **vrchat):
    clock = ManualClock()
    with UdpTransport("127.0.0.1", port) as tr:
        return stream_frames(frames, get_streamer("vrchat", **vrchat), tr,
                             options=StreamOptions(gap="hold"), clock=clock, sleep=clock.sleep)


def test_infinite_and_absurd_weights_are_never_sent(osc_receiver):
    jaw = [0.3, INF, -INF, 5.0, -2.0, 0.4]
    frames = [ExpressionFrame.from_shapes({"JawOpen": v, "JawRight": 0.2}, time=i / 30)
              for i, v in enumerate(jaw)]
    stats = _stream(frames, osc_receiver.port, native_eyes="on")
    assert stats.frames_sent == len(jaw)
    msgs = osc_receiver.wait()
    floats = [(a, args[0]) for a, args in msgs if args and isinstance(args[0], float)]
    assert floats, "nothing was received"
    bad = [(a, v) for a, v in floats if not math.isfinite(v)]
    assert bad == []
    sent_jaw = [v for a, v in floats if a == P + "JawOpen"]
    # 0.3, then inf/-inf are held (not sent), 5 and -2 clamp to the range [0, 1], then 0.4.
    assert sent_jaw == pytest.approx([0.3, 1.0, 0.0, 0.4], abs=1e-6)
    # The parameters that do not read JawOpen keep flowing: JawX is sent in the first frame and
    # never blanked by the infinite frames (no NaN/inf spreads through the fast evaluator).
    assert [v for a, v in floats if a == P + "JawX"] == pytest.approx([0.2], abs=1e-6)
    # Every float stays in VRChat's parameter range.
    assert all(-1.0 <= v <= 1.0 for a, v in floats if a.startswith(P)), \
        [(a, v) for a, v in floats if a.startswith(P) and not -1 <= v <= 1]


def test_signed_parameters_clamp_to_minus_one_and_eyes_stay_finite(osc_receiver):
    frames = [ExpressionFrame.from_shapes({"JawLeft": 3.0}, time=0.0, gaze_left=(INF, 0.0),
                                          openness_left=INF),
              ExpressionFrame.from_shapes({"JawLeft": 0.5}, time=1 / 30, gaze_left=(0.5, 0.0),
                                          openness_left=-INF)]
    _stream(frames, osc_receiver.port, native_eyes="on")
    msgs = osc_receiver.wait()
    jaw_x = [args[0] for a, args in msgs if a == P + "JawX"]
    assert jaw_x == pytest.approx([-1.0, -0.5], abs=1e-6)  # -3 clamps to -1; JawX is signed
    for a, args in msgs:
        for v in args:
            if isinstance(v, float):
                assert math.isfinite(v), (a, args)
    closed = [args[0] for a, args in msgs if a == "/tracking/eye/EyesClosedAmount"]
    assert closed and all(0.0 <= v <= 1.0 for v in closed)
    gaze = [args for a, args in msgs if a == "/tracking/eye/LeftRightPitchYaw"]
    assert gaze and all(all(math.isfinite(v) for v in g) for g in gaze)
