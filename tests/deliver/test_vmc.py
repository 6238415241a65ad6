"""VMC protocol output: message order, names, values and Unity-frame head/eye rotations.

Quaternions are checked against rotation matrices built here: Unity's ``Quaternion.Euler(x, y, z)``
rotates about Z, then X, then Y (fixed axes), i.e. ``R = Ry(y) · Rx(x) · Rz(z)``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from facemimic.deliver.osc import UdpTransport
from facemimic.deliver.pacing import ManualClock
from facemimic.deliver.streamers import StreamOptions, get_streamer, stream_frames
from facemimic.deliver.vmc import VMCEncoder, VMCOptions, eye_quaternion, head_quaternion
from facemimic.deliver.vrm_mapping import frame_weights
from facemimic.expressions.frame import ExpressionFrame
from facemimic.expressions.names import ARKIT_NAMES, VRM0_CLIPS

FORWARD, UP = np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0])  # Unity: +Z forward, +Y up, +X right


def quat_matrix(q):
    """Rotation matrix of a unit quaternion (x, y, z, w)."""
    x, y, z, w = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def axis_matrix(axis: str, deg: float):
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return {"x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
            "y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
            "z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])}[axis]


def unity_euler(pitch, yaw, roll):
    """Quaternion.Euler(pitch, yaw, roll) as a matrix: Z first, then X, then Y (fixed axes)."""
    return axis_matrix("y", yaw) @ axis_matrix("x", pitch) @ axis_matrix("z", roll)


def rotate(q, v):
    return quat_matrix(q) @ np.asarray(v, float)


def test_pure_yaw_is_a_positive_y_rotation_towards_the_right():
    q = head_quaternion(30.0, 0.0, 0.0)
    assert q == pytest.approx((0.0, math.sin(math.radians(15)), 0.0, math.cos(math.radians(15))))
    # Subject turns to their right -> the avatar's forward swings to +X (its right).
    fwd = rotate(q, FORWARD)
    assert fwd[0] > 0.49 and abs(fwd[1]) < 1e-9
    assert head_quaternion(-30.0, 0.0, 0.0)[1] < 0


def test_pitch_down_and_roll_left():
    assert rotate(head_quaternion(0.0, 20.0, 0.0), FORWARD)[1] < -0.3  # +pitch: nose goes down (-Y)
    q = head_quaternion(0.0, 0.0, 15.0)
    assert q[0] == 0 and q[1] == 0 and q[2] > 0  # pure +Z
    assert rotate(q, UP)[0] < -0.2  # +roll: top of the head tilts to the avatar's left (-X)


@pytest.mark.parametrize("ypr", [(20, -10, 5), (-45, 30, -12), (170, 5, 60), (0, 89, 0)])
def test_composition_is_unity_euler_order(ypr):
    yaw, pitch, roll = ypr
    got = head_quaternion(yaw, pitch, roll)
    np.testing.assert_allclose(quat_matrix(got), unity_euler(pitch, yaw, roll), atol=1e-9)
    assert got[3] >= 0  # canonical hemisphere
    assert math.isclose(sum(c * c for c in got), 1.0, rel_tol=1e-9)


def test_eye_quaternion_from_gaze():
    q = eye_quaternion(math.tan(math.radians(20)), math.tan(math.radians(10)))  # right and up
    d = rotate(q, FORWARD)
    assert d[0] > 0 and d[1] > 0
    assert math.degrees(math.atan2(d[0], d[2])) == pytest.approx(20, abs=1e-6)


def send(frames, port, *, clock=None, gap="hold", **options):
    streamer = get_streamer("vmc", **options)
    clock = clock or ManualClock(10.0)
    with UdpTransport("127.0.0.1", port) as tr:
        return stream_frames(frames, streamer, tr, options=StreamOptions(gap=gap), clock=clock, sleep=clock.sleep)


FRAME = ExpressionFrame.from_shapes(
    {"JawOpen": 0.7}, time=0.0, openness_left=0.3, openness_right=1.0, head_rotation=(20.0, -10.0, 5.0),
    head_position=(0.01, -0.02, 0.6), gaze_left=(0.1, 0.0), gaze_right=(0.1, 0.0))


def test_frame_order_values_and_bones_python_osc(osc_receiver):
    moved = FRAME.replace(time=1 / 30, head_position=(0.06, -0.02, 0.5))
    stats = send([FRAME, moved], osc_receiver.port)
    msgs = osc_receiver.wait(count=stats.messages)
    assert len(msgs) == stats.messages == 2 * (2 + 3 + 17 + 1) + 1
    # One bundle per frame, each in VMC order, then OK with tracking 0 at stop.
    assert len(osc_receiver.datagrams) == 3
    from pythonosc.osc_packet import OscPacket
    for d in osc_receiver.datagrams[:2]:
        addrs = [m.message.address for m in OscPacket(d).messages]
        assert addrs == (["/VMC/Ext/OK", "/VMC/Ext/T"] + ["/VMC/Ext/Bone/Pos"] * 3
                         + ["/VMC/Ext/Blend/Val"] * 17 + ["/VMC/Ext/Blend/Apply"])
    first = msgs[:23]
    assert first[0] == ("/VMC/Ext/OK", (1, 3, 0, 1))
    assert first[1] == ("/VMC/Ext/T", (0.0,))
    bone, *pose = first[2][1]
    assert bone == "Head"
    assert pose[:3] == [0.0, 0.0, 0.0]  # the first tracked position is the origin
    np.testing.assert_allclose(quat_matrix(pose[3:]), unity_euler(-10, 20, 5), atol=2e-6)  # float32 on the wire
    assert first[3][1][0] == "LeftEye" and first[4][1][0] == "RightEye"
    clips = {name: value for _, (name, value) in first[5:22]}
    assert list(clips) == list(VRM0_CLIPS)
    # Independent expectations: jaw 0.7 with no rounding/spreading is a pure "A";
    # the left eye 70 % closed, the right open -> Blink_L 0.7, common Blink 0.
    assert clips["A"] == pytest.approx(0.7, abs=1e-6)
    assert clips["I"] == clips["U"] == clips["E"] == clips["O"] == 0.0
    assert clips["Blink_L"] == pytest.approx(0.7, abs=1e-6) and clips["Blink"] == 0 and clips["Blink_R"] == 0
    assert clips["LookRight"] == pytest.approx(math.degrees(math.atan(0.1)) / 30, abs=1e-6)
    assert clips["LookLeft"] == 0
    # Second frame: the head moved 5 cm to image-right and 10 cm closer -> Unity -X and +Z.
    second = msgs[23:46]
    assert second[1][1][0] == pytest.approx(1 / 30, abs=1e-6)
    pos = second[2][1][1:4]
    assert pos == pytest.approx([-0.05, 0.0, 0.1], abs=1e-6)
    assert msgs[-1] == ("/VMC/Ext/OK", (1, 3, 0, 0))


def test_type_tags_as_seen_by_oscdump(osc_dump):
    stats = send([FRAME], osc_dump.port, standard="arkit")
    records = osc_dump.wait(count=stats.messages)
    assert len(records) == stats.messages == 2 + 3 + 52 + 1 + 1
    tags = {}
    for address, types, args in records:
        tags.setdefault(address, set()).add(types)
    assert tags == {"/VMC/Ext/OK": {"iiii"}, "/VMC/Ext/T": {"f"}, "/VMC/Ext/Bone/Pos": {"sfffffff"},
                    "/VMC/Ext/Blend/Val": {"sf"}, "/VMC/Ext/Blend/Apply": {""}}
    vals = {args[0].strip('"'): float(args[1]) for a, _, args in records if a == "/VMC/Ext/Blend/Val"}
    assert list(vals) == list(ARKIT_NAMES)  # perfect sync: the 52 ARKit names, in order
    assert vals["jawOpen"] == pytest.approx(0.7, abs=1e-6)
    assert vals["eyeBlinkLeft"] == pytest.approx(0.7, abs=1e-6) and vals["eyeBlinkRight"] == 0
    assert records[-2][0] == "/VMC/Ext/Blend/Apply"  # Apply closes the frame, before the stop OK
    bones = [args[0] for a, _, args in records if a == "/VMC/Ext/Bone/Pos"]
    assert bones == ['"Head"', '"LeftEye"', '"RightEye"']


def test_gap_holds_values_and_reports_tracking_lost():
    enc = VMCEncoder(VMCOptions(eye_bones=False))
    enc.encode(FRAME, 0.0)
    out = enc.encode(ExpressionFrame.gap(0.1, last=FRAME), 0.1)
    from pythonosc.osc_message import OscMessage
    msgs = [OscMessage(e[4:]) for e in out]
    assert msgs[0].params == [1, 3, 0, 0]  # tracking lost
    vals = {m.params[0]: m.params[1] for m in msgs if m.address == "/VMC/Ext/Blend/Val"}
    assert vals["A"] == pytest.approx(0.7, abs=1e-6)  # held
    head = [m.params for m in msgs if m.address == "/VMC/Ext/Bone/Pos"]
    assert head and head[0][0] == "Head"  # last pose held


def test_ease_relaxes_the_avatar_during_a_long_gap(osc_receiver):
    frames = [FRAME.replace(time=i / 30) for i in range(10)]
    frames += [ExpressionFrame.gap(t, last=FRAME) for t in np.arange(10, 60) / 30]
    stats = send(frames, osc_receiver.port, gap="ease-to-neutral")
    msgs = osc_receiver.wait(count=stats.messages)
    a = [args[1] for addr, args in msgs if addr == "/VMC/Ext/Blend/Val" and args[0] == "A"]
    assert a[0] == pytest.approx(0.7, abs=1e-6) and a[-1] == 0.0


def test_vrm_mapping_matches_sent_values():
    values = frame_weights(FRAME, "vrm0")
    enc = VMCEncoder()
    assert enc.blend_values(FRAME) == values
    with pytest.raises(Exception, match="vrm0 or arkit"):
        VMCOptions(standard="vrm2")
