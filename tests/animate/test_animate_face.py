"""``facemimic.animate_face()``: the driver as keywords, a track in memory, portraits and the avatar."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

import facemimic
from facemimic.errors import ParameterError


def _video(path: Path) -> tuple[int, int, bool, str]:
    """(video frames, height, has audio, comment tag) read back with PyAV."""
    import av

    with av.open(str(path)) as c:
        comment = c.metadata.get("comment", "")
        audio = any(s.type == "audio" for s in c.streams)
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return len(frames), frames[0].shape[0], audio, comment


def test_the_avatar_performs_a_track_in_memory(tmp_path, monkeypatch):
    track = facemimic.express_clip("neutral 0.4s > surprised 0.6s", seed=3, fps=30)
    # A temp folder of this test's own: the suite's other workers write facemimic-track-* into the
    # shared one at the same time (a glob there raced with them).
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    made = []
    real = tempfile.TemporaryDirectory

    def recording(*args, **kwargs):
        made.append(kwargs.get("prefix"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryDirectory", recording)
    result = facemimic.animate_face("avatar:neko", tmp_path / "neko.mp4", track=track,
                                    options=facemimic.PortraitOptions(size=256))
    assert "facemimic-track-" in made  # the track in memory went through a temporary file ...
    assert not list(private.glob("facemimic-track-*"))  # ... which is gone
    frames, height, audio, comment = _video(result.video)
    assert result.frames == frames == 30 and height == 256 and not audio
    assert "AI-generated" in comment or "Synthetic" in comment
    assert result.preview.is_file() and result.preview.suffix == ".png"


def test_a_track_file_gives_the_same_video_as_the_track(tmp_path):
    track = facemimic.express_clip("happy", duration=0.5, seed=4, fps=30)
    path = facemimic.write_track(track, tmp_path / "happy.jsonl")
    a = facemimic.animate_face("avatar", tmp_path / "a.mp4", track=track, mark=False)
    b = facemimic.animate_face("avatar", tmp_path / "b.mp4", track=str(path), mark=False)
    assert a.frames == b.frames == 15
    from PIL import Image

    pa = np.asarray(Image.open(a.preview), np.int16)
    pb = np.asarray(Image.open(b.preview), np.int16)
    assert np.abs(pa - pb).max() <= 2  # the same face (the file keeps 6 decimals)


def test_a_photo_speaks_with_the_built_in_voice(samples, tmp_path):
    result = facemimic.animate_face(samples / "single_face.jpg", tmp_path / "hello.mp4", say="Hello!",
                                    mood="cheerful", seed=1,
                                    options=facemimic.PortraitOptions(size=256, calibrate=False))
    frames, height, audio, _ = _video(result.video)
    assert audio and result.audio and frames == result.frames
    spoken = facemimic.say("Hello!").duration  # the same voice, so the same length
    assert abs(result.frames - spoken * result.fps) <= 1.5
    assert max(result.size) == 256


def _frames(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def test_without_options_a_photo_is_drawn_as_the_cli_draws_it(samples, tmp_path):
    """``animate_face(photo, say=...)`` without options is ``facemimic animate photo --say ...``: the
    same decoded frames (the closed loop on, the rest the driver means), not the open-loop
    renderer ``PortraitOptions()`` alone gives, whose speech gapes (issue #11)."""
    from click.testing import CliRunner

    from facemimic.cli import cli

    photo, text = samples / "single_face.jpg", "Maybe Bob paid."
    r = CliRunner().invoke(cli, ["animate", str(photo), "-o", str(tmp_path / "cli.mp4"), "--say", text,
                                 "--seed", "1"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    api = facemimic.animate_face(photo, tmp_path / "api.mp4", say=text, seed=1)  # the seed: the idle face
    assert np.array_equal(_frames(api.video), _frames(tmp_path / "cli.mp4"))


def test_nothing_to_do_is_refused_before_any_file_is_written(tmp_path):
    with pytest.raises(ParameterError, match="nothing drives the face"):
        facemimic.animate_face("avatar", tmp_path / "x.mp4")
    with pytest.raises(ParameterError, match="give one driver"):
        facemimic.animate_face("avatar", tmp_path / "x.mp4", say="hi", expression="happy")
    assert list(tmp_path.iterdir()) == []


def test_a_track_that_is_not_a_file_or_a_track_is_named(tmp_path):
    """``track=express(...)`` (a list of frames) was taken as a file name: ``OSError: [Errno 36]
    File name too long: '[ExpressionFrame(time=0.0, weights=array([…``."""
    out = tmp_path / "t.mp4"
    frames = facemimic.express("happy", variations=2, seed=1)
    with pytest.raises(ParameterError) as e:
        facemimic.animate_face("avatar", out, track=frames)
    assert str(e.value) == ("track must be a track file or an ExpressionTrack, got list "
                            "(ExpressionTrack.from_frames makes one from frames)")
    with pytest.raises(ParameterError, match=r"^track must be a track file or an ExpressionTrack, got int$"):
        facemimic.animate_face("avatar", out, track=5)
    assert list(tmp_path.iterdir()) == []


def test_a_source_or_output_that_is_not_a_path_is_named(tmp_path):
    """``animate_face(None, out, …)`` and ``animate_face(photo, None, …)`` failed inside pathlib:
    ``TypeError: expected str, bytes or os.PathLike object, not NoneType``."""
    from facemimic.samples import sample_path

    photo = sample_path("single_face.jpg")
    for source in (None, 5):
        with pytest.raises(ParameterError, match=r"^source must be an image file, an \(H, W, 3\|4\) uint8 array or "
                                                 rf"'avatar\[:STYLE\]', got {type(source).__name__}$"):
            facemimic.animate_face(source, tmp_path / "x.mp4", expression="happy")
    with pytest.raises(ParameterError, match=r"^the output must be an .mp4 file path, got NoneType$"):
        facemimic.animate_face(photo, None, expression="happy")
    assert list(tmp_path.iterdir()) == []
