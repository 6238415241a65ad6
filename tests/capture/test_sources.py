"""Decoding every kind of input: images (RGBA, huge, broken), folders/globs, videos (HEVC,
rotation metadata, truncated, empty), cameras and NumPy frames."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import warnings
import zlib
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from facemimic.capture.options import CaptureOptions
from facemimic.capture.sources import (
    SkippedInputWarning, fit_within, open_source, read_image, to_rgb_uint8,
)
from facemimic.errors import InputError, ParameterError, ShapeError

OPTS = CaptureOptions()


def _png_header_only(path, width: int, height: int) -> None:
    """A PNG whose header claims width x height (no pixel data): what a decompression bomb or a
    gigantic scan looks like to a header reader."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


def test_fit_within_keeps_aspect_and_never_upscales():
    img = np.zeros((360, 640, 3), np.uint8)
    assert fit_within(img, 1280) is img
    assert fit_within(img, 320).shape == (180, 320, 3)
    tall = np.zeros((2000, 500, 3), np.uint8)
    assert fit_within(tall, 1000).shape == (1000, 250, 3)


def test_to_rgb_uint8_handles_grey_float_and_rgba():
    grey = np.full((10, 12), 7, np.uint8)
    rgb, alpha = to_rgb_uint8(grey, label="g")
    assert rgb.shape == (10, 12, 3) and alpha is None and rgb.flags.c_contiguous
    f, _ = to_rgb_uint8(np.ones((10, 10, 3), np.float32), label="f")
    assert f.dtype == np.uint8 and f.max() == 255
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:5, ..., 3] = 255  # top half opaque red, bottom transparent
    out, a = to_rgb_uint8(rgba, label="a")
    assert a.shape == (10, 10) and out[0, 0].tolist() == [255, 0, 0] and out[9, 0].tolist() == [128, 128, 128]
    with pytest.raises(ShapeError):
        to_rgb_uint8(np.zeros((10, 10, 2), np.uint8), label="bad")
    with pytest.raises(ParameterError):
        to_rgb_uint8(np.zeros((10, 10, 3), np.int64), label="bad")


def test_rgba_portrait_keeps_alpha_and_finds_the_face(samples):
    rgb, alpha, size = read_image(samples / "Image_with_alpha.png", max_side=2560, max_megapixels=100)
    assert rgb.shape[2] == 3 and alpha is not None and alpha.shape == rgb.shape[:2]
    assert alpha.dtype == np.uint8 and alpha.max() == 255  # this sample's alpha is fully opaque
    src = open_source(samples / "Image_with_alpha.png", OPTS)
    (frame,) = list(src.frames())
    assert frame.alpha is not None
    from facemimic.capture.api import track

    assert track(samples / "Image_with_alpha.png").present.all()


def test_fifty_megapixel_photo_decodes_reduced_with_flat_memory(samples, tmp_path):
    """A 50-MP JPEG is decoded at 1/4 scale: the process never holds the full 150 MB image."""
    big = tmp_path / "big.jpg"
    img = cv2.imread(str(samples / "single_face.jpg"))
    cv2.imwrite(str(big), cv2.resize(img, (8660, 5774), interpolation=cv2.INTER_NEAREST), [cv2.IMWRITE_JPEG_QUALITY, 80])
    del img
    # One fresh interpreter: warm up on the small photo, then the big one; compare peak RSS.
    code = (
        "import resource, sys\n"
        "from facemimic.capture.api import track\n"
        "peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
        "assert track(sys.argv[1]).present.all()\n"
        "before = peak()\n"
        "assert track(sys.argv[2]).present.all(), 'no face in the big photo'\n"
        "print(before, peak())\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(samples / "single_face.jpg"), str(big)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    before, after = (int(v) for v in out.stdout.split()[-2:])
    # Measured: +72 MB peak with the reduced decode (imports, decoder buffers, a 2165x1444
    # image); +286 MB with a full decode (the 150 MB image, then its RGB copy).
    assert after - before < 150, (before, after)


def test_absurd_image_size_is_refused_before_decoding(tmp_path):
    p = tmp_path / "huge.png"
    _png_header_only(p, 40000, 40000)
    with pytest.raises(InputError, match="huge.png: image is 1600 megapixels, larger than the 400-megapixel limit"):
        read_image(p, max_side=1280, max_megapixels=OPTS.max_megapixels)


@pytest.mark.parametrize("content, problem", [(b"", "empty"), (b"not an image at all", "not an image")])
def test_broken_image_files(tmp_path, content, problem):
    p = tmp_path / "x.jpg"
    p.write_bytes(content)
    with pytest.raises(InputError, match=f"x.jpg: .*{problem}"):
        list(open_source(p, OPTS).frames())


def test_missing_file_and_empty_glob(tmp_path):
    with pytest.raises(InputError, match="nope.mp4: file not found"):
        open_source(tmp_path / "nope.mp4", OPTS)
    with pytest.raises(InputError, match="no image files match"):
        open_source(str(tmp_path / "*.jpg"), OPTS)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="folder holds no image files"):
        open_source(tmp_path / "empty", OPTS)


def test_folder_is_sorted_and_skips_bad_files_with_a_warning(samples, tmp_path):
    for name in ("b_surprise.jpg", "a_smile.jpg"):
        src = "0-f1-su-ph.jpg" if "surprise" in name else "single_face.jpg"
        shutil.copy(samples / src, tmp_path / name)
    (tmp_path / "c_broken.png").write_bytes(b"\x89PNG garbage")
    (tmp_path / "notes.txt").write_text("ignored: not an image extension")
    src = open_source(tmp_path, OPTS)
    assert src.kind == "images" and src.still
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = list(src.frames())
    assert [f.name.rsplit("/", 1)[-1] for f in frames] == ["a_smile.jpg", "b_surprise.jpg"]
    assert [f.index for f in frames] == [0, 1]
    msgs = [str(w.message) for w in caught if issubclass(w.category, SkippedInputWarning)]
    assert len(msgs) == 1 and "c_broken.png" in msgs[0]
    # A glob selects the same way.
    assert len(list(open_source(str(tmp_path / "*.jpg"), OPTS).frames())) == 2


def test_hevc_video_times_come_from_pts(samples):
    src = open_source(samples / "face_noface.mov", OPTS)
    assert src.kind == "video" and not src.still
    frames = list(src.frames())
    assert len(frames) == 169
    t = np.array([f.time for f in frames])
    assert t[0] == 0.0 and np.all(np.diff(t) > 0)
    # A variable-rate phone clip: steps of 1/30 s and 1/24 s (and a 14 ms one) straight from the
    # PTS; index / fps would make them all 1/26.4 s.
    steps = np.round(np.diff(t), 4)
    assert {0.0333, 0.0417} <= set(steps.tolist()) and steps.min() < 0.02
    assert t[-1] == pytest.approx(6.3603515625)
    assert frames[0].image.shape == (540, 960, 3)


def test_large_video_frames_are_downscaled_not_stretched(samples):
    src = open_source(samples / "no_face.mp4", CaptureOptions(max_side=480))
    f = next(iter(src.frames()))
    src.close()
    assert f.image.shape == (270, 480, 3) and f.original_size == (960, 540)


def _write_rotated_clip(path, rgb, rotation: int, n: int = 6):
    """Store the picture turned by -rotation (as a phone does) plus a display matrix saying how
    to turn it back."""
    stored = np.ascontiguousarray(np.rot90(rgb, -rotation // 90))
    h, w = stored.shape[:2]
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=Fraction(10))
        s.width, s.height, s.pix_fmt = w - w % 2, h - h % 2, "yuv420p"
        s.set_display_rotation(rotation)
        for i in range(n):
            vf = av.VideoFrame.from_ndarray(stored[: h - h % 2, : w - w % 2], format="rgb24")
            vf.pts = i
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)


def test_rotation_metadata_is_honoured(smile_rgb, smile_track, tmp_path):
    from facemimic.capture.api import track

    path = tmp_path / "rotated.mp4"
    _write_rotated_clip(path, smile_rgb, 90)
    with av.open(str(path)) as c:
        first = next(c.decode(video=0))
        assert first.rotation == 90
        stored = first.to_ndarray(format="rgb24")
    # Ignoring the metadata, the stored face is lying on its side (roll ~ +90).
    assert track(stored)[0].head_rotation[2] > 70
    tr = track(path, smoothing="off")
    assert tr.present.all()
    # Upright again: the same roll as the photo (not +-90).
    assert tr.head_rotation[:, 2].mean() == pytest.approx(smile_track[0].head_rotation[2], abs=5)


def test_truncated_zero_length_and_non_media_videos(samples, tmp_path):
    data = (samples / "WolfgangLanger_Pexels.mp4").read_bytes()  # index first: decodes partly
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match=r"cut.mp4: video is truncated: decoded \d+ of 472 frames"):
        list(open_source(cut, OPTS).frames())
    data = (samples / "single_face.mp4").read_bytes()  # index last: cannot even open
    cut2 = tmp_path / "cut2.mp4"
    cut2.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cut2.mp4: MP4/MOV video is truncated or corrupt"):
        open_source(cut2, OPTS)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty.mp4: file is empty"):
        open_source(empty, OPTS)
    text = tmp_path / "text.mov"
    text.write_text("this is not a movie\n" * 20)
    with pytest.raises(InputError, match="text.mov: not a video or image FFmpeg can read"):
        open_source(text, OPTS)


def test_unavailable_camera_is_one_clear_error():
    with pytest.raises(InputError, match=r"^camera 9: cannot be opened"):
        open_source(9, OPTS)


def test_numpy_sources(smile_rgb):
    still = open_source(smile_rgb, OPTS)
    assert still.still and len(list(still.frames())) == 1
    clip = open_source(np.stack([smile_rgb] * 3), OPTS)
    assert not clip.still
    assert [f.time for f in clip.frames()] == pytest.approx([0, 1 / 30, 2 / 30])
    timed = open_source(iter([(0.0, smile_rgb), (0.5, smile_rgb)]), OPTS)
    assert [f.time for f in timed.frames()] == [0.0, 0.5]
    backwards = open_source([(1.0, smile_rgb), (0.5, smile_rgb)], OPTS)
    with pytest.raises(ParameterError, match="times must increase"):
        list(backwards.frames())
    with pytest.raises(ParameterError):
        open_source(True, OPTS)
    with pytest.raises(ParameterError):
        open_source(object(), OPTS)


def test_camera_source_with_a_fake_device_and_clock(samples, monkeypatch):
    """The webcam path, fed by OpenCV reading a real clip in place of a device; timestamps come
    from the injected clock, not from the file."""
    real = cv2.VideoCapture
    opened = []

    def fake_capture(index):
        opened.append(index)
        return real(str(samples / "single_face.mp4"))

    monkeypatch.setattr(cv2, "VideoCapture", fake_capture)
    ticks = iter(100.0 + 0.0625 * np.arange(1000))  # exact in binary
    from facemimic.capture.api import track

    tr = track(2, duration=0.5, clock=lambda: float(next(ticks)))
    assert opened == [2]
    assert tr.metadata["source"] == "camera 2" and tr.metadata["source_kind"] == "camera"
    assert tr.time.tolist() == (np.arange(8) * 0.0625).tolist()  # 0 .. 0.4375 s, then stop at 0.5
    assert tr.present.all()


def test_a_cut_photo_is_refused_by_every_stage_with_one_line(samples, tmp_path):
    """The first 60 kB of single_face.jpg (a cut download; decoders fill the rest with grey): track,
    animate and avatar3d each refuse it with the same line naming the file, exit 1, write nothing;
    a cut PNG too; a whole JPEG with data appended after its end (a phone's motion photo) is used."""
    from facemimic.capture.sources import _cut_short

    whole = (samples / "single_face.jpg").read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[:60_000])
    png = tmp_path / "cut.png"
    png.write_bytes((samples / "Image_with_alpha.png").read_bytes()[:30_000])
    appended = tmp_path / "motion.jpg"
    appended.write_bytes(whole + b"\0" * 64 + b"ftypmp42" + bytes(range(256)) * 64)
    assert _cut_short(cut) and _cut_short(png) and not _cut_short(appended)
    for good in ("single_face.jpg", "0-f1-su-ph.jpg", "Image_with_alpha.png", "multi_face.jpg"):
        assert not _cut_short(samples / good)
    runs = [("track", str(cut), "-o", str(tmp_path / "t.jsonl")),
            ("track", str(png), "-o", str(tmp_path / "p.jsonl")),
            ("animate", str(cut), "--expression", "happy", "-o", str(tmp_path / "a.mp4")),
            ("avatar3d", str(cut), "-o", str(tmp_path / "a.vrm"))]
    for args in runs:
        r = subprocess.run([sys.executable, "-m", "facemimic", *args], capture_output=True, text=True, timeout=120)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert r.returncode == 1, (args, r.stderr)
        assert lines == [f"Error: {args[1]}: image file is cut short (its end is missing); copy or download it again"], args
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.jpg", "cut.png", "motion.jpg"]
    rgb, _, size = read_image(appended, max_side=640, max_megapixels=100)
    assert size == tuple(cv2.imread(str(samples / "single_face.jpg")).shape[1::-1])


def test_track_of_none_is_named():
    """``track(None)`` is the package's own one-line error, not pathlib's TypeError (guard: it already was)."""
    import facemimic
    from facemimic.errors import ParameterError

    with pytest.raises(ParameterError, match=r"^cannot capture from NoneType; pass a path, camera index or frames$"):
        facemimic.track(None)
    with pytest.raises(ParameterError, match=r"^cannot capture from NoneType"):
        next(iter(facemimic.capture_frames(None)))
