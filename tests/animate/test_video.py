"""The shared MP4 writer: read back with PyAV (frames, size, codecs, metadata), audio muxed as AAC,
the visible mark, and nothing half-written on failure."""

from __future__ import annotations

import wave

import av
import numpy as np
import pytest

from facemimic.animate.video import MARK_TEXT, VideoWriter, add_mark, write_video
from facemimic.errors import InputError, OutputError, ParameterError, ShapeError


def frames(n: int, h: int = 96, w: int = 128):
    """A moving bright square on a gradient: frames a codec cannot fake."""
    for i in range(n):
        img = np.zeros((h, w, 3), np.uint8)
        img[..., 2] = np.linspace(40, 200, w, dtype=np.uint8)[None, :]
        x = 4 + 3 * i
        img[20:50, x:x + 30] = (250, 240, 30)
        yield img


@pytest.fixture(scope="module")
def tone(tmp_path_factory):
    """A real 16 kHz mono WAV, 2 s of 440 Hz."""
    path = tmp_path_factory.mktemp("audio") / "tone.wav"
    sr = 16000
    t = np.arange(2 * sr) / sr
    pcm = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    return path


def test_h264_with_aac_audio_and_synthetic_metadata(tmp_path, tone):
    out = write_video(frames(24), tmp_path / "v.mp4", fps=24, audio=tone, description="unit test")
    with av.open(str(out)) as c:
        meta = c.metadata
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.name == "h264" and (v.width, v.height) == (128, 96)
        assert a.codec_context.name == "aac"
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(decoded) == 24
    assert "Synthetic" in meta["comment"] and "FaceMimic" in meta["comment"]
    assert "AI-generated" in meta["description"] and "unit test" in meta["description"]
    # The square moved: frames differ where it went.
    assert np.abs(decoded[0].astype(int) - decoded[-1]).mean() > 5
    with av.open(str(out)) as c:
        samples = sum(f.samples for f in c.decode(audio=0))
        rate = c.streams.audio[0].rate
    assert abs(samples / rate - 1.0) < 0.05  # cut to the video's 1 s, not the WAV's 2 s
    assert out.stat().st_mode & 0o044  # readable by others, like any file the user makes


def test_visible_mark_and_no_mark(tmp_path):
    marked = write_video(frames(3, 240, 320), tmp_path / "m.mp4", fps=10)
    plain = write_video(frames(3, 240, 320), tmp_path / "p.mp4", fps=10, mark=False)
    with av.open(str(marked)) as c:
        m = next(c.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    with av.open(str(plain)) as c:
        p = next(c.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    corner = np.abs(m - p)[200:, 160:].mean()
    elsewhere = np.abs(m - p)[:120, :160].mean()
    assert corner > 10 * max(elsewhere, 0.2)
    assert "FaceMimic" in MARK_TEXT and "AI-generated" in MARK_TEXT
    img = np.zeros((64, 64, 3), np.uint8)
    assert add_mark(img).any()  # even tiny frames get a (clipped) mark


def test_odd_sizes_are_padded_to_even(tmp_path):
    out = write_video(frames(2, 51, 77), tmp_path / "odd.mp4", fps=5)
    with av.open(str(out)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (78, 52)
        assert sum(1 for _ in c.decode(video=0)) == 2


def test_failure_mid_way_leaves_nothing(tmp_path):
    target = tmp_path / "half.mp4"
    with pytest.raises(RuntimeError):
        with VideoWriter(target, width=128, height=96, fps=10) as w:
            for i, f in enumerate(frames(5)):
                w.write(f)
                if i == 2:
                    raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_wrong_frame_size_is_a_shape_error_and_nothing_is_kept(tmp_path):
    with pytest.raises(ShapeError, match=r"\(96, 128, 3\)"):
        write_video([np.zeros((96, 128, 3), np.uint8), np.zeros((90, 128, 3), np.uint8)], tmp_path / "x.mp4")
    assert list(tmp_path.iterdir()) == []


def test_bad_outputs_and_inputs(tmp_path, tone):
    with pytest.raises(OutputError, match="does not exist"):
        write_video(frames(2), tmp_path / "no" / "x.mp4")
    with pytest.raises(InputError, match="audio file not found"):
        write_video(frames(2), tmp_path / "x.mp4", audio=tmp_path / "missing.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all" * 10)
    with pytest.raises(InputError, match="junk.wav: not a readable audio"):
        write_video(frames(2), tmp_path / "x.mp4", audio=junk)
    with pytest.raises(ParameterError, match="no frames"):
        write_video([], tmp_path / "x.mp4")
    with pytest.raises(ParameterError, match="fps"):
        VideoWriter(tmp_path / "x.mp4", width=64, height=64, fps=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.wav"]
