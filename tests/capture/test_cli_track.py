"""``facemimic track`` through click's runner: outputs read back by independent parsers, errors
as one line with a non-zero exit and nothing half-written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import av
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.expressions.names import UE_NAMES


def _run(*args):
    return CliRunner().invoke(cli, ["track", *map(str, args)])


def test_video_to_jsonl_with_preview(samples, tmp_path):
    out, prev = tmp_path / "talk.jsonl", tmp_path / "talk_preview.mp4"
    r = _run(samples / "single_face.mp4", "-o", out, "--preview", prev, "--duration", "1")
    assert r.exit_code == 0, r.output
    assert "Wrote" in r.output and "100% with a face" in r.output and "1 face(s) seen" in r.output
    lines = out.read_text().splitlines()
    head = json.loads(lines[0])
    assert head["format"] == "facemimic.track" and head["names"] == list(UE_NAMES)
    assert head["fps"] == pytest.approx(30.0) and head["metadata"]["capture"]["smoothing"] == "light"
    rows = [json.loads(line) for line in lines[1:]]
    assert len(rows) == 30 and all(row["present"] for row in rows)
    smile = [row["weights"][UE_NAMES.index("MouthCornerPullLeft")] for row in rows]
    # single_face.mp4 starts with a neutral face and breaks into a smile within the first second.
    assert smile[0] < 0.2 and max(smile) > 0.6
    with av.open(str(prev)) as c:  # the preview is a real, decodable H.264 video
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        assert sum(1 for _ in c.decode(s)) == 30
    assert not list(tmp_path.glob(".*.tmp"))


def test_group_photo_to_csv_read_by_pandas(samples, tmp_path):
    out = tmp_path / "group.csv"
    r = _run(samples / "multi_face.jpg", "--max-faces", 5, "-o", out)
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert len(df) == 5 and sorted(df["face_id"]) == [0, 1, 2, 3, 4] and df["present"].all()
    assert list(df.columns[-len(UE_NAMES):]) == list(UE_NAMES)


def test_folder_to_npz_skips_a_bad_file(samples, tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    shutil.copy(samples / "single_face.jpg", shots / "1.jpg")
    shutil.copy(samples / "0-f1-su-ph.jpg", shots / "2.jpg")
    (shots / "3.jpg").write_bytes(b"broken")
    out = tmp_path / "shots.npz"
    r = _run(shots, "-o", out, "--smoothing", "off")
    assert r.exit_code == 0, r.output
    assert "Warning: skipped" in r.output and "3.jpg" in r.output
    with np.load(out, allow_pickle=False) as z:
        assert z["weights"].shape == (2, len(UE_NAMES)) and z["present"].all()
        jaw = z["weights"][:, UE_NAMES.index("JawOpen")]
        # The surprised gape opens the jaw (0.51 of full extent) well past the toothy smile (0.31
        # against the population rest, which carries +-0.18 of person-to-person spread; docs/units.md).
        assert jaw[1] > jaw[0] + 0.15


def test_default_output_name_and_format(samples, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = _run(samples / "single_face.jpg", "--format", "csv", "-q")
    assert r.exit_code == 0 and r.output == ""
    assert (tmp_path / "single_face.csv").exists()


@pytest.mark.parametrize("make, expect", [
    (lambda d, s: d / "missing.mp4", "missing.mp4: file not found"),
    (lambda d, s: _write(d / "notes.mp4", b"just text, not a video" * 10), "notes.mp4: not a video or image FFmpeg can read"),
    (lambda d, s: _write(d / "zero.mp4", b""), "zero.mp4: file is empty"),
    (lambda d, s: _write(d / "cut.mp4", (s / "WolfgangLanger_Pexels.mp4").read_bytes()[:120_000]), "cut.mp4: video is truncated"),
    (lambda d, s: s / "free-mountain-vector-01.jpg", "free-mountain-vector-01.jpg: no face found in the image"),
    (lambda d, s: _huge_png(d / "huge.png"), "huge.png: image is 1600 megapixels"),
])
def test_bad_inputs_are_one_line_errors_and_write_nothing(samples, tmp_path, make, expect):
    src = make(tmp_path, samples)
    out = tmp_path / "out.jsonl"
    r = _run(src, "-o", out)
    assert r.exit_code == 1, r.output
    err = [line for line in r.output.splitlines() if line.startswith("Error:")]
    assert len(err) == 1 and expect in err[0], r.output
    assert "Traceback" not in r.output
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl.*"))


def test_unavailable_camera_and_unwritable_output(samples, tmp_path):
    r = _run("--camera", 7, "-o", tmp_path / "cam.jsonl")
    assert r.exit_code == 1 and "Error: camera 7: cannot be opened" in r.output
    r = _run(samples / "single_face.jpg", "-o", tmp_path / "no_such_dir" / "x.jsonl")
    assert r.exit_code == 1 and "Error:" in r.output and "does not exist" in r.output
    r = _run(samples / "single_face.jpg", "-o", tmp_path / "x.yaml")
    assert r.exit_code == 1 and "cannot tell the track format" in r.output


def test_usage_errors(samples):
    assert _run().exit_code == 2  # neither INPUT nor --camera
    assert _run(samples / "single_face.jpg", "--camera", 0).exit_code == 2
    r = _run(samples / "single_face.jpg", "--smoothing", "wobbly")
    assert r.exit_code == 2 and "wobbly" in r.output
    r = _run(samples / "single_face.jpg", "--preview", "p.gif")
    assert r.exit_code == 1 and "--preview must be an .mp4" in r.output


def test_track_help_is_lazy_in_a_fresh_interpreter():
    code = ("import sys; from facemimic.cli import cli\n"
            "for args in (['--help'], ['track', '--help']):\n"
            "    try:\n        cli(args, standalone_mode=False)\n    except SystemExit:\n        pass\n"
            "print('HEAVY', [m for m in ('mediapipe', 'cv2', 'av', 'numpy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "--max-faces" in out and "HEAVY []" in out, out


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _huge_png(path):
    """A PNG whose header claims 40000 x 40000 pixels (no pixel data follows)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


def test_camera_capture_to_file(samples, tmp_path, monkeypatch):
    import cv2

    real = cv2.VideoCapture
    monkeypatch.setattr(cv2, "VideoCapture", lambda index: real(str(samples / "single_face.mp4")))
    out = tmp_path / "cam.csv"
    r = _run("--camera", 0, "--duration", 0.2, "-o", out, "--camera-size", "640x360")
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert len(df) >= 1 and df["present"].all() and df["time"].is_monotonic_increasing
