"""``facemimic stream`` end to end: real files and a real video in, real UDP receivers out."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.deliver.osc import UdpTransport
from facemimic.deliver.pacing import ManualClock
from facemimic.deliver.streamers import StreamOptions, get_streamer, stream_frames
from facemimic.expressions.frame import ExpressionFrame
from facemimic.expressions.io import write_track
from facemimic.expressions.track import ExpressionTrack

P = "/avatar/parameters/"


def short_track(n: int = 6, fps: float = 30.0) -> ExpressionTrack:
    frames = [ExpressionFrame.from_shapes({"JawOpen": 0.1 * (i + 1), "MouthFrownRight": 0.6}, time=i / fps,
                                          head_rotation=(5.0 * i, 0.0, 0.0)) for i in range(n)]
    return ExpressionTrack.from_frames(frames, fps=fps)


def invoke(*args):
    return CliRunner().invoke(cli, ["stream", *map(str, args)])


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "npz"])
def test_track_files_stream_to_vrchat(tmp_path, osc_receiver, fmt):
    path = write_track(short_track(), tmp_path / f"take.{fmt}")
    res = invoke(path, "--to", "vrchat", "--port", osc_receiver.port, "--binary", "SmileFrownRight=3+neg")
    assert res.exit_code == 0, res.output
    assert "Done: 6 frames" in res.output and "receiver errors 0" in res.output
    msgs = osc_receiver.wait()
    jaw = [args[0] for a, args in msgs if a == f"{P}FT/v2/JawOpen"]
    assert jaw == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], abs=1e-6)
    bits = {a.rsplit("SmileFrownRight", 1)[1]: args[0] for a, args in msgs if "SmileFrownRight" in a and a[-1] != "t"}
    assert bits == {"1": False, "2": False, "4": True, "Negative": True}  # -0.6, 3 bits + sign
    yaw = [args[0] for a, args in msgs if a == f"{P}FT/v2/Head/Yaw"]
    assert yaw == pytest.approx([5.0 * i / 90 for i in range(6)], abs=1e-6)


def test_track_to_vmc_perfect_sync_seen_by_oscdump(tmp_path, osc_dump):
    path = write_track(short_track(3), tmp_path / "take.jsonl")
    res = invoke(path, "--to", "vmc", "--port", osc_dump.port, "--perfect-sync")
    assert res.exit_code == 0, res.output
    records = osc_dump.wait()
    applies = [i for i, r in enumerate(records) if r[0] == "/VMC/Ext/Blend/Apply"]
    assert len(applies) == 3
    jaw = [float(args[1]) for a, _, args in records if a == "/VMC/Ext/Blend/Val" and args[0] == '"jawOpen"']
    assert jaw == pytest.approx([0.1, 0.2, 0.3], abs=1e-6)


def test_avatar_config_limits_what_is_sent(tmp_path, osc_receiver, osc_avatar_config):
    path = write_track(short_track(2), tmp_path / "take.jsonl")
    res = invoke(path, "--to", "vrchat", "--port", osc_receiver.port, "--avatar-config", osc_avatar_config)
    assert res.exit_code == 0, res.output
    addresses = {a for a, _ in osc_receiver.wait()}
    assert f"{P}FT/v2/JawOpen" in addresses and f"{P}FT/v2/SmileFrownRight4" in addresses
    assert f"{P}FT/v2/MouthFrownRight" not in addresses  # not on this avatar
    assert all(a.startswith(P) for a in addresses)


def test_avatar_folder_and_auto(tmp_path, osc_receiver, osc_avatar_config, monkeypatch):
    folder = tmp_path / "OSC" / "usr_1" / "Avatars"
    folder.mkdir(parents=True)
    (folder / osc_avatar_config.name).write_bytes(osc_avatar_config.read_bytes())
    path = write_track(short_track(2), tmp_path / "take.jsonl")
    res = invoke(path, "--to", "vrchat", "--port", osc_receiver.port, "--avatar-config", folder, "--listen-port", 0)
    assert res.exit_code == 0, res.output
    addresses = {a for a, _ in osc_receiver.wait()}
    assert f"{P}FT/v2/MouthX8" in addresses and f"{P}FT/v2/MouthFrownRight" not in addresses
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "nohome"))
    res = invoke(path, "--to", "vrchat", "--avatar-config", "auto")
    assert res.exit_code == 1 and "no VRChat OSC folder found" in res.output


def test_loop_and_duration(tmp_path, osc_receiver):
    path = write_track(short_track(6), tmp_path / "take.npz")  # 0.2 s long
    res = invoke(path, "--to", "vmc", "--port", osc_receiver.port, "--loop", "--duration", "0.7")
    assert res.exit_code == 0, res.output
    msgs = osc_receiver.wait()
    times = [args[0] for a, args in msgs if a == "/VMC/Ext/T"]
    assert len(times) >= 12  # ~21 frames in 0.7 s: the 6-frame track played at least twice
    assert all(b > a for a, b in zip(times, times[1:]))  # media time keeps increasing across loops
    assert times[-1] < 0.75


def test_video_streams_through_capture(samples, osc_receiver):
    res = invoke(samples / "single_face.mp4", "--to", "vmc", "--port", osc_receiver.port)
    assert res.exit_code == 0, res.output
    msgs = osc_receiver.wait()
    oks = [args for a, args in msgs if a == "/VMC/Ext/OK"]
    assert len(oks) == 72 + 1 and oks[0] == (1, 3, 0, 1)  # every video frame had a face; stop says 0
    smile = [args[1] for a, args in msgs if a == "/VMC/Ext/Blend/Val" and args[0] == "Joy"]
    assert max(smile) > 0.5  # the person in the clip smiles
    # Played in real time: 72 frames at 30 fps span 2.37 s of media time.
    elapsed = float(res.output.split(" in ")[1].split("s")[0])
    assert 2.3 <= elapsed < 20


def test_receiver_not_listening_keeps_going(tmp_path):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = write_track(short_track(8), tmp_path / "take.jsonl")
    res = invoke(path, "--to", "vrchat", "--port", port)
    assert res.exit_code == 0, res.output
    assert "Done: 8 frames" in res.output
    errors = int(res.output.split("receiver errors ")[1].split()[0])
    assert errors >= 1  # ICMP port unreachable counted, not fatal


@pytest.mark.parametrize("args, message", [
    (["--to", "vrcaht"], "valid targets: vrchat, vmc"),
    (["--to", "vrchat", "--port", "70000"], "invalid port 70000"),
    (["--to", "vmc", "--host", "no.such.host.invalid"], "invalid host 'no.such.host.invalid'"),
    (["--to", "vrchat", "--binary", "JawOpn=3"], "did you mean JawOpen"),
    (["--to", "vrchat", "--avatar-config", "missing.json"], "missing.json: file not found"),
    (["--to", "vrchat", "--prefix", "F T"], "invalid parameter prefix"),
    (["--to", "vrchat", "--duration", "-1"], "--duration must be a positive"),
])
def test_bad_options_give_one_line_errors(tmp_path, args, message):
    path = write_track(short_track(2), tmp_path / "take.jsonl")
    res = CliRunner().invoke(cli, ["stream", str(path), *args])
    assert res.exit_code == 1, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]


def test_bad_sources(tmp_path):
    res = invoke(tmp_path / "missing.jsonl", "--to", "vmc")
    assert res.exit_code == 1 and "missing.jsonl: file not found" in res.output
    bad = tmp_path / "broken.jsonl"
    bad.write_text("hello\n")
    res = invoke(bad, "--to", "vmc")
    assert res.exit_code == 1 and "broken.jsonl" in res.output
    res = invoke(tmp_path / "x.jsonl", "--camera", "0", "--to", "vmc")
    assert res.exit_code == 2 and "not both" in res.output
    res = invoke("camera:x", "--to", "vmc")
    assert res.exit_code == 2 and "camera:0" in res.output
    res = CliRunner().invoke(cli, ["stream", "--to", "vmc"])
    assert res.exit_code == 2 and "missing SOURCE" in res.output


def test_ctrl_c_stops_cleanly_and_says_tracking_is_off(osc_receiver):
    def frames():
        for i in range(10):
            yield ExpressionFrame.from_shapes({"JawOpen": 0.5}, time=i / 30)
        raise KeyboardInterrupt

    clock = ManualClock()
    with UdpTransport("127.0.0.1", osc_receiver.port) as tr:
        stats = stream_frames(frames(), get_streamer("vrchat"), tr, options=StreamOptions(), clock=clock,
                              sleep=clock.sleep)
    assert stats.interrupted and stats.frames_sent == 10
    eye = [args[0] for a, args in osc_receiver.wait() if a == P + "EyeTrackingActive"]
    assert eye == [True, False]


def test_ctrl_c_in_cli_prints_summary(tmp_path, osc_receiver, monkeypatch):
    import facemimic.deliver.streamers as streamers

    def interrupted(track, **_):
        yield track[0]
        raise KeyboardInterrupt

    monkeypatch.setattr(streamers, "track_frames", interrupted)
    path = write_track(short_track(4), tmp_path / "take.jsonl")
    res = invoke(path, "--to", "vrchat", "--port", osc_receiver.port)
    assert res.exit_code == 0, res.output
    assert "Interrupted: 1 frames" in res.output


def test_help_lists_the_targets():
    res = CliRunner().invoke(cli, ["stream", "--help"])
    assert res.exit_code == 0
    for word in ("--to", "vrchat", "vmc", "--avatar-config", "--perfect-sync", "--max-hz", "--loop"):
        assert word in res.output
    assert "stream" in CliRunner().invoke(cli, ["--help"]).output


class StallingClock(ManualClock):
    """A manual clock that loses ``stall`` seconds once, the ``at``-th time it is read."""

    def __init__(self, at: int, stall: float) -> None:
        super().__init__(0.0)
        self.reads, self.at, self.stall = 0, at, stall

    def __call__(self) -> float:
        self.reads += 1
        if self.reads == self.at:
            self.now += self.stall
        return self.now


def test_stale_frames_are_dropped_after_a_stall(osc_receiver):
    frames = [ExpressionFrame.from_shapes({"JawOpen": i / 100}, time=i / 30) for i in range(60)]
    clock = StallingClock(at=40, stall=0.5)  # the sender freezes for half a second mid-file
    with UdpTransport("127.0.0.1", osc_receiver.port) as tr:
        stats = stream_frames(frames, get_streamer("vmc"), tr, clock=clock, sleep=clock.sleep, droppable=True)
    # Frames more than max_lag (0.25 s) late are skipped, then playback is on time again.
    assert 5 <= stats.frames_dropped <= 10
    assert stats.frames_sent + stats.frames_dropped == 60
    jaw = [args[1] for a, args in osc_receiver.wait() if a == "/VMC/Ext/Blend/Val" and args[0] == "A"]
    assert jaw[-1] == pytest.approx(0.59, abs=1e-6)  # the last frame arrived


def test_status_callback_and_multi_face_tracks(osc_receiver):
    frames = []
    for i in range(90):  # two faces, 3 s at 30 fps
        frames.append(ExpressionFrame.from_shapes({"JawOpen": 0.2}, time=i / 30, face_id=0))
        frames.append(ExpressionFrame.from_shapes({"JawOpen": 0.9}, time=i / 30, face_id=3))
    track = ExpressionTrack.from_frames(frames, fps=30)
    from facemimic.deliver.streamers import track_frames

    seen = []
    clock = ManualClock()
    with UdpTransport("127.0.0.1", osc_receiver.port) as tr:
        stats = stream_frames(track_frames(track, face_id=3), get_streamer("vmc"), tr, clock=clock,
                              sleep=clock.sleep, on_status=lambda st: seen.append((st.elapsed, st.fps, st.line())))
    assert stats.frames_sent == 90 and stats.frames_in == 90
    assert [round(e, 2) for e, _, _ in seen[:3]] == [0.5, 1.0, 1.5]  # every 0.5 s of (injected) time
    assert all(f == pytest.approx(30, rel=0.1) for _, f, _ in seen[:-1])
    assert "30.3 fps" in seen[-1][2] and "receiver errors 0" in seen[-1][2]  # 90 frames in 89/30 s
    a = [args[1] for a, args in osc_receiver.wait() if a == "/VMC/Ext/Blend/Val" and args[0] == "A"]
    assert len(a) == 90 and a == pytest.approx([0.9] * 90)  # only face 3
    from facemimic.errors import ParameterError

    with pytest.raises(ParameterError, match=r"no face 7 \(faces: 0, 3\)"):
        list(track_frames(track, face_id=7))


def test_show_plan_lists_what_an_avatar_gets(osc_avatar_config):
    res = CliRunner().invoke(cli, ["stream", "--to", "vrchat", "--show-plan", "--avatar-config",
                                   str(osc_avatar_config)])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Jerry UE Template Test" in out and "Floats (8):" in out and "Binary families (27):" in out
    assert f"{P}FT/v2/MouthX{{1,2,4,8}}  4 bits + Negative" in out
    assert f"{P}FT/v2/TongueOut{{1,2,4}}  3 bits\n" in out
    assert "TongueRoll" not in out and "CheekPuffLeft" not in out  # decoys
    assert "Tracking flags: /avatar/parameters/EyeTrackingActive, /avatar/parameters/LipTrackingActive" in out
    res = CliRunner().invoke(cli, ["stream", "--to", "vmc", "--show-plan"])
    assert res.exit_code == 0 and "/VMC/Ext/Blend/Val x 17 (vrm0): Neutral A I U E O Blink" in res.output


def test_missing_camera_fails_before_sending(osc_receiver):
    res = invoke("--camera", 57, "--to", "vrchat", "--port", osc_receiver.port)
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: camera 57")
    assert osc_receiver.wait(quiet=0.2) == []  # nothing was sent
