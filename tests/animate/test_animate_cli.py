"""``facemimic animate`` end to end: real portraits, MP4s read back with PyAV, PNG previews with PIL."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.expressions.io import write_track
from facemimic.expressions.track import ExpressionTrack


@pytest.fixture(scope="module")
def small_track(tmp_path_factory) -> Path:
    """0.6 s at 10 fps: the jaw opens and closes, one blink, a glance."""
    from facemimic.expressions.names import ue_index

    n = 6
    w = np.zeros((n, 88), np.float32)
    w[:, ue_index("JawOpen")] = np.sin(np.linspace(0, np.pi, n)) * 0.7
    openness = np.ones((n, 2), np.float32)
    openness[3] = 0.1
    gaze = np.zeros((n, 2, 2), np.float32)
    gaze[4:, :, 0] = 0.3
    tr = ExpressionTrack.from_arrays({"time": np.arange(n) / 10.0, "weights": w, "openness": openness,
                                      "gaze": gaze}, fps=10.0)
    path = tmp_path_factory.mktemp("track") / "jaw.jsonl"
    write_track(tr, path)
    return path


@pytest.fixture(scope="module")
def tone(tmp_path_factory) -> Path:
    """1.0 s of a 220 Hz tone, mono 16 kHz WAV (longer than the 0.6 s track)."""
    path = tmp_path_factory.mktemp("audio") / "tone.wav"
    t = np.arange(16000) / 16000
    pcm = (np.sin(2 * np.pi * 220 * t) * 8000).astype(np.int16)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(16000)
        f.writeframes(pcm.tobytes())
    return path


def _read(path: Path):
    import av

    with av.open(str(path)) as c:
        meta = dict(c.metadata)
        codecs = {s.type: s.codec_context.name for s in c.streams}
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        audio_s = None
        if c.streams.audio:
            s = c.streams.audio[0]
            audio_s = float(s.duration * s.time_base) if s.duration else None
    return meta, codecs, frames, audio_s


def _run(*args):
    return CliRunner().invoke(cli, ["animate", *map(str, args)], catch_exceptions=False)


def test_track_drives_a_portrait_into_a_marked_h264(samples, small_track, tmp_path):
    out = tmp_path / "jaw.mp4"
    r = _run(samples / "single_face.jpg", "-o", out, "--track", small_track, "--crop", "face", "--size", "192",
             "--fps", "10", "--no-calibrate")
    assert r.exit_code == 0, r.output
    meta, codecs, frames, audio_s = _read(out)
    assert codecs == {"video": "h264"} and audio_s is None
    assert len(frames) == 6 and frames[0].shape == (192, 192, 3)
    assert "synthetic" in meta["comment"].lower() and "single_face.jpg" in meta["description"]
    # The face moves: the jaw-open frame differs from the first around the mouth.
    assert np.abs(frames[3].astype(int) - frames[0].astype(int)).mean() > 0.5
    # Visible mark in the bottom-right corner (white text on a dark box), not in the top-left.
    corner = frames[0][-14:, -60:].astype(int)
    assert corner.max() > 200 and corner.min() < 90
    from PIL import Image

    png = Image.open(out.with_suffix(".png"))
    assert png.size == (192, 192) and "Synthetic" in png.info.get("Comment", "")
    assert not list(tmp_path.glob("*.tmp*")) and sorted(p.name for p in tmp_path.iterdir()) == ["jaw.mp4", "jaw.png"]


def test_audio_is_muxed_and_the_video_lasts_as_long_as_the_sound(samples, small_track, tone, tmp_path):
    out = tmp_path / "sound.mp4"
    r = _run(samples / "single_face.jpg", "-o", out, "--track", small_track, "--audio", tone, "--crop", "face",
             "--size", "192", "--fps", "10", "--no-calibrate", "--no-mark")
    assert r.exit_code == 0, r.output
    meta, codecs, frames, audio_s = _read(out)
    assert codecs == {"video": "h264", "audio": "aac"}
    assert len(frames) == 10  # 1.0 s of sound at 10 fps, though the motion lasts 0.6 s
    assert audio_s is None or abs(audio_s - 1.0) < 0.1
    # After the track the face rests: the last two frames are identical (no mark, no motion).
    assert np.abs(frames[-1].astype(int) - frames[-2].astype(int)).mean() < 0.5
    corner = frames[0][-14:, -60:].astype(int)
    assert np.abs(corner - frames[0][-28:-14, -60:].astype(int)).mean() < 40  # no mark drawn


def test_avatar_source_uses_the_builtin_avatar(small_track, tmp_path):
    out = tmp_path / "avatar.mp4"
    r = _run("avatar:neko", "-o", out, "--track", small_track, "--size", "128", "--fps", "10")
    assert r.exit_code == 0, r.output
    meta, codecs, frames, _ = _read(out)
    assert len(frames) == 6 and frames[0].shape == (128, 128, 3) and "neko" in meta["description"].lower()


def test_a_duration_the_driver_ignores_is_said_not_silently_dropped(small_track, tmp_path):
    """--duration times --expression / --mood alone: with --track the video lasts as long as the
    track (6 frames here), and the user who asked 3 s is told so."""
    out = tmp_path / "timed.mp4"
    r = _run("avatar:neko", "-o", out, "--track", small_track, "--size", "128", "--fps", "10", "--duration", "3")
    assert r.exit_code == 0, r.output
    assert "Warning: duration 3 s is ignored with --track" in r.output, r.output
    assert len(_read(out)[2]) == 6


@pytest.mark.parametrize("args, message", [
    (["--expression", "happy", "--track", "x.jsonl"], "one driver"),
    ([], "nothing drives the face"),
    (["--text", "hello"], "--text"),
])
def test_driver_mistakes_are_one_line_errors(samples, tmp_path, args, message):
    r = CliRunner().invoke(cli, ["animate", str(samples / "single_face.jpg"), "-o", str(tmp_path / "x.mp4"), *args])
    assert r.exit_code == 1 and message in r.output and r.output.count("\n") == 1
    assert not any(tmp_path.iterdir())


def test_a_driving_video_without_a_face_is_named(samples, tmp_path):
    # was "Error: no face was found in the driving video": which file, with a portrait beside it?
    r = CliRunner().invoke(cli, ["animate", str(samples / "single_face.jpg"), "-o", str(tmp_path / "x.mp4"),
                                 "--drive", str(samples / "no_face.mp4"), "--no-calibrate"])
    lines = r.output.strip().splitlines()
    assert r.exit_code == 1 and len(lines) == 1, r.output
    assert lines[0].startswith(f"Error: {samples / 'no_face.mp4'}: no face found in any of its "), r.output
    assert not any(tmp_path.iterdir())


def test_unwritable_output_fails_before_any_work(samples, small_track, tmp_path):
    target = tmp_path / "missing" / "out.mp4"
    r = CliRunner().invoke(cli, ["animate", str(samples / "single_face.jpg"), "-o", str(target),
                                 "--track", str(small_track)])
    assert r.exit_code == 1 and r.output.startswith("Error:") and "does not exist" in r.output
    assert not target.parent.exists()


def test_no_face_and_bad_face_number_are_refused(samples, small_track, tmp_path):
    out = tmp_path / "x.mp4"
    r = CliRunner().invoke(cli, ["animate", str(samples / "free-mountain-vector-01.jpg"), "-o", str(out),
                                 "--track", str(small_track), "--no-calibrate"])
    assert r.exit_code == 1 and "free-mountain-vector-01.jpg" in r.output and "no face" in r.output
    r = CliRunner().invoke(cli, ["animate", str(samples / "multi_face.jpg"), "-o", str(out),
                                 "--track", str(small_track), "--face", "9", "--no-calibrate"])
    assert r.exit_code == 1 and "5 faces" in r.output
    r = CliRunner().invoke(cli, ["animate", str(tmp_path / "nope.jpg"), "-o", str(out), "--track", str(small_track)])
    assert r.exit_code == 1 and "nope.jpg: file not found" in r.output
    assert not out.exists() and not out.with_suffix(".png").exists()


def test_relative_motion_copies_changes_not_the_drivers_resting_face():
    from facemimic.animate.drivers import relative_motion
    from facemimic.expressions.names import ue_index

    n = 4
    w = np.zeros((n, 88), np.float32)
    j, s = ue_index("JawOpen"), ue_index("MouthCornerPullLeft")
    w[:, s] = [0.3, 0.3, 0.65, 1.0]
    w[:, j] = [0.1, 0.55, 0.1, 0.0]
    head = np.array([[5, 1, 0], [5, 1, 0], [15, 1, 0], [5, -2, 0]], np.float32)
    openness = np.array([[0.8, 0.8], [0.4, 0.8], [0.8, 0.8], [0.9, 0.9]], np.float32)
    tr = ExpressionTrack.from_arrays({"time": np.arange(n) / 30, "weights": w, "head_rotation": head,
                                      "openness": openness}, fps=30)
    rel = relative_motion(tr, "first")
    # in the unit the motion from the rest is a difference of extents
    np.testing.assert_allclose(rel.weights[:, s], [0, 0, 0.35, 0.7], atol=1e-6)
    np.testing.assert_allclose(rel.weights[:, j], [0, 0.45, 0, 0], atol=1e-6)
    np.testing.assert_allclose(rel.head_rotation[:, 0], [0, 0, 10, 0], atol=1e-6)
    np.testing.assert_allclose(rel.openness[:, 0], [1, 0.5, 1, 1], atol=1e-6)


def test_relative_motion_from_the_resting_face_keeps_what_the_first_frame_hides():
    """A video opening on a frown: from its first frame, the frown relaxing is lost (weights cannot
    go below zero); from the driver's resting face over the video, every change is kept."""
    from facemimic.animate.drivers import relative_motion
    from facemimic.errors import UnknownNameError
    from facemimic.expressions.names import ue_index

    n = 40
    w = np.zeros((n, 88), np.float32)
    b = ue_index("BrowLowererLeft")
    w[:, b] = 0.05
    w[:5, b] = 0.6  # opens frowning
    w[20:25, b] = 0.4  # frowns again later
    head = np.zeros((n, 3), np.float32)
    head[:, 1] = 2.0
    head[0, 1] = 9.0  # first frame looks down
    openness = np.full((n, 2), 0.9, np.float32)
    openness[10:12] = 0.0  # a blink
    tr = ExpressionTrack.from_arrays({"time": np.arange(n) / 30, "weights": w, "head_rotation": head,
                                      "openness": openness}, fps=30)
    first = relative_motion(tr, "first")
    assert np.all(first.weights[20:25, b] == 0)  # the later frown is below the first frame: lost
    rest = relative_motion(tr)
    np.testing.assert_allclose(rest.weights[20:25, b], 0.4 - 0.05, atol=1e-6)
    np.testing.assert_allclose(rest.weights[30:, b], 0, atol=1e-6)
    np.testing.assert_allclose(rest.head_rotation[:, 1], np.where(np.arange(n) == 0, 7.0, 0.0), atol=1e-6)
    np.testing.assert_allclose(rest.openness[:, 0], np.where((np.arange(n) >= 10) & (np.arange(n) < 12), 0, 1))
    assert rest.metadata["relative_to"] == "rest"
    with pytest.raises(UnknownNameError, match="valid: rest, first"):
        relative_motion(tr, "middle")


def test_closed_loop_renders_the_same_clip_with_corrections(samples, small_track, tmp_path):
    """The closed loop (on by default) re-tracks every frame: the video is written the same way and
    differs from the open-loop one (--no-refine) only where the loop corrected jaw, smile, lids or brows."""
    outs = []
    for extra in (("--no-refine",), ()):
        out = tmp_path / f"jaw{len(extra)}.mp4"
        r = _run(samples / "single_face.jpg", "-o", out, "--track", small_track, "--crop", "face", "--size", "192",
                 "--fps", "10", "--no-calibrate", *extra)
        assert r.exit_code == 0, r.output
        outs.append(_read(out)[2])
    plain, looped = (np.stack(f).astype(np.int16) for f in outs)
    assert plain.shape == looped.shape == (6, 192, 192, 3)
    diff = np.abs(plain - looped).max(axis=(0, 3))
    assert diff.max() > 8  # the loop moved something
    assert diff[:20].max() <= 6 and diff[:, :20].max() <= 6  # not the borders (beyond codec noise)


def test_say_speaks_and_moves_the_lips(samples, tmp_path):
    out = tmp_path / "hello.mp4"
    r = _run(samples / "0-f15-hao-ph.jpg", "-o", out, "--say", "Hello, how are you?", "--mood", "cheerful",
             "--crop", "face", "--size", "192", "--fps", "15", "--no-calibrate", "--seed", "3")
    assert r.exit_code == 0, r.output
    meta, codecs, frames, audio_s = _read(out)
    assert codecs == {"video": "h264", "audio": "aac"}
    assert 0.8 < len(frames) / 15 < 4.0
    assert "voice" in meta["description"]
    # Speech opens the mouth: the lower-middle of the face changes over the clip.
    stack = np.stack([f[110:160, 60:132].astype(np.float32) for f in frames])
    assert stack.std(0).mean() > 2.0


def test_drive_reenacts_a_real_video(samples, tmp_path):
    out = tmp_path / "mimic.mp4"
    r = _run(samples / "0-f15-hao-ph.jpg", "-o", out, "--drive", samples / "single_face.mp4", "--crop", "face",
             "--size", "192", "--fps", "10", "--no-calibrate")
    assert r.exit_code == 0, r.output
    meta, codecs, frames, _ = _read(out)
    assert "reenactment of single_face.mp4" in meta["description"]
    assert abs(len(frames) - 24) <= 2  # 2.4 s of driving video at 10 fps
    # The driver blinks and smiles: the portrait changes over time.
    stack = np.stack([f.astype(np.float32) for f in frames])
    assert stack.std(0).mean() > 0.5


def test_expression_timeline_drives_the_face(samples, tmp_path):
    out = tmp_path / "moods.mp4"
    r = _run(samples / "0-f15-hao-ph.jpg", "-o", out, "--expression", "neutral 0.3s > surprised 0.7s",
             "--crop", "face", "--size", "192", "--fps", "10", "--no-calibrate", "--seed", "1")
    assert r.exit_code == 0, r.output
    _, codecs, frames, _ = _read(out)
    assert codecs == {"video": "h264"} and len(frames) == 10
    assert np.abs(frames[-1].astype(int) - frames[0].astype(int)).mean() > 0.5


def test_audio_alone_is_lip_synced_with_its_transcript(samples, tmp_path):
    from facemimic.common.audio import write_wav
    from facemimic.voice import say

    speech = say("Open your mouth wide.")
    wav = write_wav(tmp_path / "speech.wav", speech.audio, speech.sample_rate)
    out = tmp_path / "talk.mp4"
    r = _run(samples / "0-f15-hao-ph.jpg", "-o", out, "--audio", wav, "--text", "Open your mouth wide.",
             "--crop", "face", "--size", "192", "--fps", "15", "--no-calibrate", "--seed", "2")
    assert r.exit_code == 0, r.output
    meta, codecs, frames, _ = _read(out)
    assert codecs == {"video": "h264", "audio": "aac"} and "lip sync of speech.wav" in meta["description"]
    assert abs(len(frames) / 15 - speech.duration) < 0.2
    stack = np.stack([f[110:160, 60:132].astype(np.float32) for f in frames])
    assert stack.std(0).mean() > 2.0


def test_default_rest_follows_the_driver(samples, tmp_path):
    """`--rest auto`: a generated expression is absolute (a smiling photo asked for "sad" relaxes
    its smile), while speech, tracks and reenactment (the driver's changes) keep the photo's own face
    as the rest."""
    from facemimic.animate.drivers import DriverSpec, default_rest

    assert default_rest(DriverSpec(expression="sad")) == "neutral"
    assert default_rest(DriverSpec(mood="sad")) == "neutral"
    assert default_rest(DriverSpec(say="hi", mood="sad")) == "source"
    assert default_rest(DriverSpec(drive="x.mp4")) == "source"
    assert default_rest(DriverSpec(track="x.jsonl")) == "source"
    # On the broadly smiling photo, a neutral expression with the default relaxes the smile and
    # `--rest source` keeps it (same seed: the same gaze, blinks and head drift in both).
    smile = {}
    from facemimic.animate.portrait.calibrate import retrack

    for rest in ("auto", "source"):
        out = tmp_path / f"{rest}.mp4"
        r = _run(samples / "0-f15-hao-ph.jpg", "-o", out, "--expression", "neutral 0.2s",
                 "--crop", "face", "--size", "256", "--fps", "10", "--no-calibrate", "--no-mark",
                 "--seed", "1", "--rest", rest)
        assert r.exit_code == 0, r.output
        got = retrack([_read(out)[2][0]])[0]
        smile[rest] = 0.5 * (got.weight("MouthCornerPullLeft") + got.weight("MouthCornerPullRight"))
    assert smile["source"] > 0.5 and smile["auto"] < smile["source"] - 0.2, smile


def test_reenacted_eye_closure_is_a_share_of_each_faces_own_open_aperture(samples):
    """EyeClosed is relative to each face's own open aperture (docs/units.md): the driver's
    relative openness follows its lids as that share, and the portrait closes that share of its
    own (narrower) aperture, measured on the re-tracked output."""
    import av

    from dataclasses import replace

    from facemimic.animate.drivers import relative_motion
    from facemimic.animate.portrait.animator import PortraitAnimator
    from facemimic.animate.portrait.calibrate import StillTracker, retrack
    from facemimic.capture.api import track as capture_track
    from facemimic.expressions import geometry
    from facemimic.expressions.frame import ExpressionFrame

    video = samples / "WolfgangLanger_Pexels.mp4"
    raw = capture_track(str(video), keep_landmarks=True)
    lm = raw.to_arrays()["landmarks"]
    with av.open(str(video)) as c:
        size = (c.streams.video[0].codec_context.width, c.streams.video[0].codec_context.height)
    aperture = geometry.measure(lm, size, geometry.estimate_rest(lm, size)).eye_aperture.mean(-1)
    closure = 1 - np.asarray(relative_motion(raw).to_arrays()["openness"], float).mean(-1)
    ok = np.isfinite(aperture) & np.isfinite(closure)
    share = 1 - aperture / np.median(aperture[ok & (closure <= 0.05)])
    slope, _ = np.polyfit(closure[ok], share[ok], 1)
    assert np.corrcoef(closure[ok], share[ok])[0, 1] > 0.9
    assert 0.8 < slope < 1.25  # one for one: a half-closed driver is a half-closed portrait

    anim = PortraitAnimator(str(samples / "single_face.jpg"), size=512, refine=False)
    x0, y0, x1, y1 = anim.warp.roi
    centre = anim.points.mean(0) - (x0, y0)
    shots = [anim.image] + [anim.render(replace(ExpressionFrame.neutral(), openness_left=1 - c,
                                                openness_right=1 - c)) for c in (0.25, 0.5)]
    anim.close()
    with StillTracker() as tr:
        got = retrack([s[y0:y1, x0:x1] for s in shots], centre, tracker=tr)
    ap = geometry.measure(np.stack([np.asarray(f.landmarks, np.float64) for f in got]),
                          (x1 - x0, y1 - y0)).eye_aperture.mean(-1)
    assert ap[0] < np.median(aperture[ok & (closure <= 0.05)])  # the photo's eyes are narrower
    np.testing.assert_allclose(1 - ap[1:] / ap[0], (0.25, 0.5), rtol=0.2)
