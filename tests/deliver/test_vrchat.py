"""VRChat / VRCFT v2 avatar parameters over OSC, checked by two independent receivers.

Expected values are computed here from the spec's formulas (unified-expressions.md §2.1, §2.2), not
with FaceMimic's own conversion code.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from facemimic.deliver.osc import UdpTransport, pack_bundles
from facemimic.deliver.pacing import ManualClock
from facemimic.deliver.streamers import StreamOptions, get_streamer, stream_frames
from facemimic.deliver.vrchat import (
    BinarySpec, VRChatEncoder, VRChatOptions, binary_index, encode_binary, load_avatar_config,
    matches_name, parse_binary_spec, plan_parameters)
from facemimic.errors import InputError, ParameterError, UnknownNameError
from facemimic.expressions.frame import ExpressionFrame
from facemimic.expressions.names import UE_NAMES, UE_SIMPLE_NAMES
from facemimic.expressions.vrcft import COMBINED_NAMES

P = "/avatar/parameters/"

# A face whose parameters land away from binary step edges (values chosen so float32 rounding
# cannot flip a bit).
SHAPES = {
    "BrowInnerUpLeft": 0.1, "BrowOuterUpLeft": 0.1, "BrowLowererLeft": 0.6, "BrowPinchLeft": 0.2,
    "BrowInnerUpRight": 0.7, "BrowOuterUpRight": 0.5,
    "MouthFrownRight": 0.6, "MouthCornerPullLeft": 0.9, "MouthCornerSlantLeft": 0.5,
    "MouthUpperRight": 0.5, "MouthLowerRight": 0.3, "MouthUpperLeft": 0.1,
    "JawOpen": 0.55, "MouthClosed": 0.1, "MouthUpperUpLeft": 0.3, "MouthUpperUpRight": 0.5,
    "EyeWideLeft": 0.2, "TongueOut": 1.0, "JawLeft": 0.7, "CheekSuckLeft": 0.3,
    "MouthStretchLeft": 0.25,
}
EYES = dict(gaze_left=(0.2, -0.1), gaze_right=(0.3, -0.05), openness_left=0.8, openness_right=0.9)


def face(**extra) -> ExpressionFrame:
    return ExpressionFrame.from_shapes(SHAPES, **{**EYES, **extra})


def S(name: str) -> float:
    return float(np.float32(SHAPES.get(name, 0.0)))


# -- the spec's formulas, written out independently ----------------------------------------------
def smile(side):  # UnifiedSimpleExpressions MouthSmile
    return 0.8 * S(f"MouthCornerPull{side}") + 0.2 * S(f"MouthCornerSlant{side}")


def sad(side):
    return max(S(f"MouthFrown{side}"), S(f"MouthStretch{side}"))


def brow_down(side):
    return 0.75 * S(f"BrowLowerer{side}") + 0.25 * S(f"BrowPinch{side}")


EXPECTED = {
    "BrowExpressionLeft": min(1, 0.5 * S("BrowInnerUpLeft") + 0.5 * S("BrowOuterUpLeft")) - brow_down("Left"),
    "BrowExpressionRight": min(1, 0.5 * S("BrowInnerUpRight") + 0.5 * S("BrowOuterUpRight")) - brow_down("Right"),
    "SmileSad": (smile("Right") + smile("Left")) / 2 - (sad("Right") + sad("Left")) / 2,
    "SmileFrownRight": smile("Right") - S("MouthFrownRight"),
    "SmileFrownLeft": smile("Left") - S("MouthFrownLeft"),
    "MouthX": (S("MouthUpperRight") + S("MouthLowerRight")) / 2 - (S("MouthUpperLeft") + S("MouthLowerLeft")) / 2,
    "JawX": S("JawRight") - S("JawLeft"),
    "CheekPuffSuckLeft": S("CheekPuffLeft") - S("CheekSuckLeft"),
    "MouthUpperUp": (S("MouthUpperUpRight") + S("MouthUpperUpLeft")) / 2,
    "EyeLidLeft": 0.8 * 0.75 + S("EyeWideLeft") * 0.25,
    "EyeLeftX": 0.2, "EyeY": (-0.1 - 0.05) / 2, "JawOpen": S("JawOpen"), "MouthClosed": S("MouthClosed"),
    "TongueOut": 1.0,
}


def expected_bits(value: float, bits: int, negative: bool) -> dict[str, bool]:
    """Spec §2.1 written out: Negative=(v<0); |v|>0.99999 -> all; else int(|v|*2^N) bit i -> Name{2^i}."""
    out = {}
    if negative:
        out["Negative"] = value < 0
    if value < 0 and not negative:
        big = 0
    elif abs(value) > 0.99999:
        big = 2 ** bits - 1
    else:
        big = int(abs(value) * 2 ** bits)
    for i in range(bits):
        out[str(2 ** i)] = bool(big >> i & 1)
    return out


def run(frames, receiver_port, *, clock=None, max_hz=60.0, gap="ease-to-neutral", **options):
    streamer = get_streamer("vrchat", **options)
    clock = clock or ManualClock(100.0)
    with UdpTransport("127.0.0.1", receiver_port) as tr:
        stats = stream_frames(frames, streamer, tr, options=StreamOptions(max_hz=max_hz, gap=gap),
                              clock=clock, sleep=clock.sleep)
    return stats


# -- binary encoding ------------------------------------------------------------------------------
def test_binary_three_bits_negative_of_minus_0_6():
    neg, bits = encode_binary(-0.6, bits=3, negative=True)
    # 0.6 * 8 = 4.8 -> 4 = 0b100: Name1 off, Name2 off, Name4 on; Negative on.
    assert neg is True and bits == (False, False, True)
    assert encode_binary(-0.6, bits=3, negative=False) == (None, (False, False, False))
    assert encode_binary(1.0, bits=3) == (None, (True, True, True))
    assert encode_binary(0.999995, bits=4) == (None, (True,) * 4)


@settings(max_examples=300, deadline=None)
@given(v=st.floats(-1.5, 1.5, allow_nan=False), bits=st.integers(1, 8), negative=st.booleans())
def test_binary_encoding_matches_spec_for_any_value(v, bits, negative):
    neg, got = encode_binary(v, bits=bits, negative=negative)
    want = expected_bits(v, bits, negative)
    assert got == tuple(want[str(2 ** i)] for i in range(bits))
    assert neg == (want["Negative"] if negative else None)
    # What an avatar decodes is within one step below |v| (or exactly 1 when saturated).
    if negative or v >= 0:
        decoded = sum(2 ** i for i, b in enumerate(got) if b) / 2 ** bits
        if abs(v) <= 0.99999:
            assert decoded <= abs(v) < decoded + 1 / 2 ** bits + 1e-12


def test_binary_spec_parsing():
    assert parse_binary_spec("MouthX=4+neg") == ("MouthX", BinarySpec(4, True))
    assert parse_binary_spec("v2/JawOpen=3") == ("JawOpen", BinarySpec(3, False))
    with pytest.raises(UnknownNameError, match="did you mean"):
        parse_binary_spec("JawOpn=3")
    for bad in ("JawOpen", "JawOpen=x", "JawOpen=0", "JawOpen=17"):
        with pytest.raises(ParameterError):
            parse_binary_spec(bad)


# -- VRCFT matching rule -------------------------------------------------------------------------
@pytest.mark.parametrize("param, ok", [
    ("v2/JawOpen", True), ("FT/v2/JawOpen", True), ("Any/Nest/v2/JawOpen", True),
    ("/avatar/parameters/FT/v2/JawOpen", True), ("JawOpen", False), ("v1/v2/JawOpen", False),
    ("FT/v12/v2/JawOpen", False), ("FT/v2/JawOpenX", False), ("FT/v2/XJawOpen", False),
])
def test_vrcft_relevance_rule(param, ok):
    assert matches_name(param, "v2/JawOpen") is ok


def test_binary_index_rule():
    assert binary_index("FT/v2/MouthX8", "v2/MouthX") == 3
    assert binary_index("v2/MouthX1", "v2/MouthX") == 0
    assert binary_index("FT/v2/MouthX6", "v2/MouthX") is None  # not a power of two
    assert binary_index("FT/v2/MouthXNegative", "v2/MouthX") is None
    assert binary_index("v3/v2/MouthX2", "v2/MouthX") is None


def test_plan_from_jerry_avatar(osc_avatar_config, osc_jerry_layout):
    avatar = load_avatar_config(osc_avatar_config)
    plan = plan_parameters(avatar=avatar)
    assert {n for n, _ in plan.floats} == set(osc_jerry_layout["floats"])
    assert all(a == f"{P}FT/v2/{n}" for n, a in plan.floats)
    bits = {t.name: (t.n_bits, t.negative is not None) for t in plan.binaries}
    assert bits == osc_jerry_layout["binaries"]
    assert [n for n, _ in plan.active] == ["EyeTrackingActive", "LipTrackingActive"]
    # The avatar has gaze and lid parameters, so VRChat's native eye OSC stays off (VRCFT's rule).
    assert not plan.native_gaze and not plan.native_closed
    assert plan.bools == ()


def test_avatar_config_errors(tmp_path):
    bad = tmp_path / "avtr_bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="avtr_bad.json: not valid JSON"):
        load_avatar_config(bad)
    bad.write_text(json.dumps({"id": "x"}), encoding="utf-8")
    with pytest.raises(InputError, match="no 'parameters' list"):
        load_avatar_config(bad)
    bad.write_text(json.dumps({"parameters": [{"name": "A", "input": {"address": "/a", "type": "Double"}}]}))
    with pytest.raises(InputError, match="bad input"):
        load_avatar_config(bad)
    with pytest.raises(InputError, match="file not found"):
        load_avatar_config(tmp_path / "missing.json")


# -- on the wire -----------------------------------------------------------------------------------
def test_jerry_avatar_gets_exactly_its_parameters(osc_receiver, osc_avatar_config, osc_jerry_layout):
    avatar = load_avatar_config(osc_avatar_config)
    stats = run([face(time=0.0)], osc_receiver.port, avatar=avatar)
    msgs = osc_receiver.wait(count=stats.messages)
    got = {}
    for address, args in msgs:
        got.setdefault(address, []).append(args)
    settable = {p.address: p.type for p in avatar.parameters}
    # Only the avatar's own addresses, nothing else (no decoys, toggles or built-ins).
    assert set(got) <= set(settable)
    for name, _ in osc_jerry_layout["decoys"]:
        assert P + name not in got
    assert P + "Toggles/Hat" not in got and P + "Hue" not in got
    # Start: tracking-active bools true; stop: false. ExpressionTrackingActive is not on this avatar.
    assert got[P + "EyeTrackingActive"] == [(True,), (False,)]
    assert got[P + "LipTrackingActive"] == [(True,), (False,)]
    # Types: floats are floats, everything else bools (python-osc gives bool for T/F).
    for address, values in got.items():
        for (v,) in values:
            assert isinstance(v, float if settable[address] == "Float" else bool), address
    # Float values (float32 on the wire).
    for n in ("JawOpen", "MouthClosed", "MouthUpperUp", "EyeLidLeft", "EyeLeftX", "EyeY"):
        (value,), = got[f"{P}FT/v2/{n}"]
        assert value == pytest.approx(EXPECTED[n], abs=1e-6), n
    # Binary families: exact bits (and every bit and Negative is sent).
    for n, bits, neg in (("SmileFrownRight", 3, True), ("SmileFrownLeft", 3, True),
                         ("BrowExpressionLeft", 3, True), ("BrowExpressionRight", 3, True),
                         ("MouthX", 4, True), ("JawX", 3, True), ("CheekPuffSuckLeft", 3, True),
                         ("TongueOut", 3, False)):
        want = expected_bits(EXPECTED[n], bits, neg)
        have = {k: got[f"{P}FT/v2/{n}{k}"][0][0] for k in want}
        assert have == want, n
    # The spec example: SmileFrownRight = -0.6 -> Negative, 4 only.
    assert EXPECTED["SmileFrownRight"] == pytest.approx(-0.6, abs=1e-6)
    assert [got[f"{P}FT/v2/SmileFrownRight{k}"][0][0] for k in ("Negative", "1", "2", "4")] == [True, False, False, True]
    assert not any(a.startswith("/tracking/eye/") for a in got)


def test_all_parameters_without_avatar_as_seen_by_oscdump(osc_dump):
    stats = run([face(time=0.0)], osc_dump.port, prefix="FT", native_eyes="on", binary={"MouthX": BinarySpec(4, True)})
    records = osc_dump.wait(count=stats.messages)
    assert len(records) == stats.messages
    by_address = {}
    for address, types, args in records:
        by_address.setdefault(address, []).append((types, args))
    floats = [n for n in by_address if n.startswith(P + "FT/v2/") and by_address[n][0][0] == "f"]
    # 88 base + 8 simple + 80 combined + 6 head floats.
    assert len(floats) == 88 + 8 + 80 + 6 == 182
    assert {f"{P}FT/v2/{n}" for n in UE_NAMES + UE_SIMPLE_NAMES + COMBINED_NAMES} <= set(floats)
    for n in ("BrowExpressionLeft", "BrowExpressionRight", "SmileSad", "MouthX", "SmileFrownRight"):
        (types, args), = by_address[f"{P}FT/v2/{n}"]
        assert types == "f"
        assert float(args[0]) == pytest.approx(EXPECTED[n], abs=2e-6), n
    want = expected_bits(EXPECTED["MouthX"], 4, True)
    for k, bit in want.items():
        (types, _), = by_address[f"{P}FT/v2/MouthX{k}"]
        assert types == ("T" if bit else "F"), k
    assert [t for t, _ in by_address[P + "EyeTrackingActive"]] == ["T", "F"]
    # VRChat native eyes: [L.pitch, L.yaw, R.pitch, R.yaw] degrees, +pitch down, +yaw right.
    (types, args), = by_address["/tracking/eye/LeftRightPitchYaw"]
    assert types == "ffff"
    want = [-math.degrees(math.atan(-0.1)), math.degrees(math.atan(0.2)),
            -math.degrees(math.atan(-0.05)), math.degrees(math.atan(0.3))]
    assert [float(a) for a in args] == pytest.approx(want, abs=2e-5)
    assert want[0] > 0  # gaze y < 0 (down) is a positive (downward) pitch
    (types, args), = by_address["/tracking/eye/EyesClosedAmount"]
    assert types == "f" and float(args[0]) == pytest.approx(1 - (0.8 + 0.9) / 2, abs=1e-6)


def test_bundles_stay_within_4096_bytes(osc_receiver):
    enc = VRChatEncoder(VRChatOptions(binary={n: BinarySpec(8, True) for n in COMBINED_NAMES}))
    elements = enc.start(0.0) + enc.encode(face(), 0.0)
    assert len(elements) > 900
    datagrams = pack_bundles(elements)
    assert len(datagrams) > 1 and all(len(d) <= 4096 for d in datagrams)
    with UdpTransport("127.0.0.1", osc_receiver.port) as tr:
        tr.send(datagrams)
    msgs = osc_receiver.wait(count=len(elements))
    assert len(msgs) == len(elements)
    assert all(len(d) <= 4096 and d.startswith(b"#bundle\x00") for d in osc_receiver.datagrams)
    # Order survives the split: python-osc sees the same address sequence we encoded.
    from pythonosc.osc_message import OscMessage
    assert [a for a, _ in msgs] == [OscMessage(e[4:]).address for e in elements]


def test_send_on_change_and_keepalive():
    enc = VRChatEncoder(VRChatOptions(keepalive_s=1.0, tracking_active=False))
    first = enc.encode(face(), 0.0)
    assert len(first) == 182
    assert enc.encode(face(), 0.1) == []  # nothing changed
    moved = enc.encode(face().replace(weights={"JawOpen": 0.6}), 0.2)
    from pythonosc.osc_message import OscMessage
    assert [OscMessage(e[4:]).address for e in moved] == [f"{P}FT/v2/JawOpen"]
    # JawOpen changes only its own parameter; a mouth-corner change moves its combined ones too.
    moved = {OscMessage(e[4:]).address.rsplit("/", 1)[1]
             for e in enc.encode(face().replace(weights={"JawOpen": 0.6, "MouthFrownRight": 0.2}), 0.3)}
    assert moved == {"MouthFrownRight", "MouthSadRight", "MouthCornerYRight", "MouthCornerY", "SmileFrownRight",
                     "SmileFrown", "SmileSadRight", "SmileSad"}
    assert len(enc.encode(face().replace(weights={"JawOpen": 0.6, "MouthFrownRight": 0.2}), 1.31)) == 182


def test_rate_cap_with_injected_clock(osc_receiver):
    # 2 s of frames at 120 fps, capped at 60 Hz: half go out, evenly.
    frames = [ExpressionFrame.from_shapes({"JawOpen": (i % 10) / 10}, time=i / 120) for i in range(240)]
    clock = ManualClock(50.0)
    stats = run(frames, osc_receiver.port, clock=clock, max_hz=60, tracking_active=False)
    # Every other frame, plus the last (held back by the cap) flushed at the end.
    assert stats.frames_sent == 121 and stats.frames_capped == 119
    assert stats.fps == pytest.approx(60, rel=0.02)
    jaw = [args[0] for a, args in osc_receiver.wait() if a == f"{P}FT/v2/JawOpen"]
    assert len(jaw) == 121  # JawOpen changes every sent frame
    assert jaw[:5] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])  # frames 0, 2, 4 …
    # A 30 fps source is not thinned by the 60 Hz cap.
    stats = run(frames[::4], osc_receiver.port, clock=ManualClock(0.0), max_hz=60, tracking_active=False)
    assert stats.frames_sent == 60 and stats.frames_capped == 0


@pytest.mark.parametrize("gap", ["hold", "ease-to-neutral"])
def test_face_lost_flips_tracking_active_and_holds_or_eases(osc_receiver, gap):
    frames = []
    last = None
    for i in range(150):  # 0-1 s face, 1-4 s no face, 4-5 s face again (30 fps)
        t = i / 30
        if 1.0 <= t < 4.0:
            frames.append(ExpressionFrame.gap(t, last=last))
        else:
            last = face(time=t)
            frames.append(last)
    stats = run(frames, osc_receiver.port, gap=gap, lost_after_s=1.0, keepalive_s=10.0)
    msgs = osc_receiver.wait(count=stats.messages)
    eye = [args[0] for a, args in msgs if a == P + "EyeTrackingActive"]
    assert eye == [True, False, True, False]  # start, lost > 1 s, back, stop
    jaw = [args[0] for a, args in msgs if a == f"{P}FT/v2/JawOpen"]
    if gap == "hold":
        assert jaw == [pytest.approx(0.55)]  # held: never changes, never resent
    else:
        assert jaw[0] == pytest.approx(0.55) and min(jaw) == 0.0  # eased to neutral …
        assert jaw[-1] == pytest.approx(0.55)  # … and back with the face
        assert all(b <= a for a, b in zip(jaw[:-1], jaw[1:-1]))  # monotone ease


def test_real_tracked_video_reaches_vrchat(osc_receiver, osc_tracked, osc_avatar_config):
    """single_face.mp4 tracked for real -> Jerry avatar: floats and bits follow the track."""
    track = osc_tracked
    assert len(track) == 72 and track.present.all()
    avatar = load_avatar_config(osc_avatar_config)
    stats = run(list(track), osc_receiver.port, avatar=avatar, keepalive_s=100.0)
    assert stats.frames_sent == 72 and stats.errors == 0
    msgs = osc_receiver.wait(count=stats.messages)
    jaw = np.array([args[0] for a, args in msgs if a == f"{P}FT/v2/JawOpen"])
    truth = track.channel("JawOpen").astype(np.float32)
    # Send-on-change: the received sequence is the track with repeats removed.
    dedup = [truth[0]] + [b for a, b in zip(truth[:-1], truth[1:]) if b != a]
    assert jaw == pytest.approx(np.array(dedup), abs=1e-7)
    # The smile this clip shows drives SmileFrownLeft's bits. Replay the bools as an avatar would
    # and decode: the peak smile was delivered, and the final state is the last frame's encoding.
    i = {n: k for k, n in enumerate(UE_NAMES)}
    w = track.weights
    truth = 0.8 * w[:, i["MouthCornerPullLeft"]] + 0.2 * w[:, i["MouthCornerSlantLeft"]] - w[:, i["MouthFrownLeft"]]
    assert truth.max() > 0.5  # the person smiles
    state, decoded = {}, []
    for a, args in msgs:
        if "/FT/v2/SmileFrownLeft" in a:
            state[a.rsplit("SmileFrownLeft", 1)[1]] = args[0]
            if len(state) == 4:
                sign = -1 if state["Negative"] else 1
                decoded.append(sign * (state["1"] + 2 * state["2"] + 4 * state["4"]) / 8)
    assert max(decoded) == math.floor(float(truth.max()) * 8) / 8
    assert state == expected_bits(float(truth[-1]), 3, True)


def test_follows_vrchat_avatar_changes(tmp_path, osc_avatar_config):
    """A VRChat OSC folder + /avatar/change (as VRChat sends on 9001): the plan follows the avatar."""
    import os

    from pythonosc.osc_message import OscMessage
    from pythonosc.udp_client import SimpleUDPClient

    folder = tmp_path / "usr_test" / "Avatars"
    folder.mkdir(parents=True)
    jerry = json.loads(osc_avatar_config.read_text(encoding="utf-8-sig"))
    (folder / f"{jerry['id']}.json").write_text(json.dumps(jerry), encoding="utf-8-sig")
    small = {"id": "avtr_small", "name": "Small", "parameters": [
        {"name": "v2/JawOpen", "input": {"address": f"{P}v2/JawOpen", "type": "Float"}},
        {"name": "EyeTrackingActive", "input": {"address": f"{P}EyeTrackingActive", "type": "Bool"}}]}
    (folder / "avtr_small.json").write_text(json.dumps(small), encoding="utf-8")
    os.utime(folder / f"{jerry['id']}.json", (1e9, 1e9))  # the small avatar is the newest file
    streamer = get_streamer("vrchat", avatar_folder=folder, listen_port=0)
    try:
        addresses = lambda els: {OscMessage(e[4:]).address for e in els}  # noqa: E731
        # This avatar has no eye parameters, so VRChat's native eye tracking is used (VRCFT's rule).
        assert addresses(streamer.start(0.0) + streamer.encode(face(), 0.0)) == {
            f"{P}v2/JawOpen", f"{P}EyeTrackingActive", "/tracking/eye/LeftRightPitchYaw",
            "/tracking/eye/EyesClosedAmount"}
        vrchat = SimpleUDPClient("127.0.0.1", streamer.listener.port)
        vrchat.send_message("/avatar/change", jerry["id"])
        for i in range(200):  # the change arrives asynchronously over UDP
            sent = addresses(streamer.encode(face(), 0.01 * (i + 1)))
            if streamer.avatar_changes:
                break
        assert f"{P}FT/v2/MouthX8" in sent and f"{P}FT/v2/JawOpen" in sent and f"{P}v2/JawOpen" not in sent
        assert "Jerry UE Template Test" in streamer.note
        vrchat.send_message("/avatar/change", "avtr_unknown")
        for i in range(200):
            sent = addresses(streamer.encode(face(), 3 + 0.01 * i))
            if streamer.avatar_changes == 2:
                break
        assert f"{P}FT/v2/MouthFrownRight" in sent  # no config: every parameter at the default prefix
        assert "avtr_unknown.json: file not found" in streamer.note
    finally:
        streamer.close()


def test_listen_port_in_use_is_a_clear_error(osc_receiver, tmp_path):
    with pytest.raises(ParameterError, match=f"cannot listen on 127.0.0.1:{osc_receiver.port}"):
        get_streamer("vrchat", avatar_folder=tmp_path, listen_port=osc_receiver.port)


def test_fast_evaluator_equals_vrcft_parameters():
    """The measured affine map + nonlinear formulas reproduce vrcft_parameters (incl. clipping, gaps)."""
    from facemimic.deliver.vrchat import ParameterEvaluator
    from facemimic.expressions.vrcft import PARAMETER_NAMES, vrcft_parameters

    ev = ParameterEvaluator(head_origin=(0.0, 0.0, 0.5))
    assert not ev.exact_only
    assert set(ev.nonlinear) == {"MouthSadRight", "MouthSadLeft", "EyeWide", "EyeSquint", "EyesSquint",
                                 "SmileSadRight", "SmileSadLeft", "SmileSad"}
    rng = np.random.default_rng(7)
    frames = [ExpressionFrame(time=0.0, weights=rng.random(88, dtype=np.float32),
                              gaze_left=tuple(rng.uniform(-1, 1, 2)), gaze_right=tuple(rng.uniform(-1, 1, 2)),
                              openness_left=float(rng.random()), openness_right=float(rng.random()),
                              head_rotation=tuple(rng.uniform(-150, 150, 3)),  # beyond ±90°: clipped
                              head_position=tuple(rng.uniform(-0.5, 1.5, 3))) for _ in range(50)]
    frames.append(ExpressionFrame.gap(1.0, last=frames[0]))
    for f in frames:
        ref = vrcft_parameters(f.weights, f.gaze, np.array(f.openness, np.float32),
                               np.array(f.head_rotation, np.float32), np.array(f.head_position, np.float32),
                               head_origin=(0.0, 0.0, 0.5), prefix="")
        want = np.array([float(ref[n]) for n in PARAMETER_NAMES])
        np.testing.assert_allclose(ev(f), want, atol=2e-6, equal_nan=True)
    gap = ev(frames[-1])
    assert np.isnan(gap[0]) and not np.isnan(gap[list(PARAMETER_NAMES).index("EyeLeftX")])  # eyes hold


def test_head_position_is_relative_to_the_first_tracked_position():
    from pythonosc.osc_message import OscMessage

    enc = VRChatEncoder(VRChatOptions(tracking_active=False))
    values = lambda els: {OscMessage(e[4:]).address.rsplit("/", 1)[1]: OscMessage(e[4:]).params[0]  # noqa: E731
                          for e in els}
    first = values(enc.encode(face(head_position=(0.02, -0.03, 0.65), head_rotation=(45.0, -9.0, 18.0)), 0.0))
    assert (first["PosX"], first["PosY"], first["PosZ"]) == (0.0, 0.0, 0.0)
    assert (first["Yaw"], first["Pitch"], first["Roll"]) == pytest.approx((0.5, -0.1, 0.2), abs=1e-6)  # ÷ 90°
    # 5 cm to image-right (the subject's left), 10 cm up, 20 cm closer to the camera; ÷ 0.5 m.
    moved = values(enc.encode(face(head_position=(0.07, -0.13, 0.45)), 0.1))
    assert (moved["PosX"], moved["PosY"], moved["PosZ"]) == pytest.approx((-0.1, 0.2, 0.4), abs=1e-6)
    fixed = VRChatEncoder(VRChatOptions(tracking_active=False, head_origin=(0.0, 0.0, 0.0)))
    assert values(fixed.encode(face(head_position=(0.0, 0.0, 0.65)), 0.0))["PosZ"] == -1.0  # clipped
