"""No command overwrites its own input, and a failing multi-output command leaves no earlier output.

Every command that writes files is run with an output that *is* one of its inputs (by name, through
a symlink, through a hard link): it must refuse in one line, exit 1, and leave the input
byte-identical. Then the multi-output commands are made to fail after (or before) their first
output: nothing may be left, not even a hidden temporary file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from facemimic.cli import cli


def run(*args, cwd: Path):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, [str(a) for a in args])
    finally:
        os.chdir(old)


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, samples) -> Path:
    """Real inputs made once: a photo, a WAV, tracks in three formats, a dataset, a short video."""
    d = tmp_path_factory.mktemp("inputs")
    shutil.copy(samples / "single_face.jpg", d / "f.jpg")
    shutil.copy(samples / "single_face.jpg", d / "me.png")  # a JPEG under a .png name, as people do
    for args in (["say", "Hello there", "-o", "v.wav"],
                 ["express", "neutral 0.5s > happy 1s", "--seed", "1", "-o", "t.jsonl"],
                 ["express", "neutral 0.5s > happy 1s", "--seed", "1", "-o", "c.csv"],
                 ["express", "neutral 0.5s > happy 1s", "--seed", "1", "-o", "t.npz"],
                 ["label", "t.jsonl", "--at", "0-1.5=happy", "-o", "d.npz"],
                 ["avatar", "new", "-o", "a.json", "--hair-style", "bob"],
                 ["avatar", "render", "t.jsonl", "-o", "v.mp4", "--size", "64", "--audio", "v.wav"]):
        result = run(*args, cwd=d)
        assert result.exit_code == 0, (args, result.output)
    return d


# (command line, the input it must not overwrite). {o} is the output, named as the input itself, a
# symlink to it or a hard link to it; {x} is the input where the command also reads it by an option.
SAME_FILE_CASES = [
    (["track", "f.jpg", "-o", "{o}", "--format", "jsonl"], "f.jpg"),
    (["calibrate", "f.jpg", "-o", "{o}"], "f.jpg"),
    (["export", "t.jsonl", "-o", "{o}", "--format", "gltf"], "t.jsonl"),
    (["lipsync", "v.wav", "-o", "{o}", "--format", "tsv"], "v.wav"),
    (["analyze", "c.csv", "--csv", "{o}"], "c.csv"),
    (["label", "t.npz", "--at", "0-1=happy", "-o", "{o}"], "t.npz"),
    (["train", "d.npz", "-o", "{o}", "--epochs", "1"], "d.npz"),
    (["avatar", "render", "t.jsonl", "-o", "{o}", "--size", "64", "--audio", "{x}"], "v.mp4"),
    (["avatar", "render", "t.jsonl", "-o", "{o}", "--avatar", "{x}"], "a.json"),
    (["avatar", "new", "-o", "{o}", "--from", "{x}"], "a.json"),
    (["express", "happy", "-o", "{o}", "--model", "{x}"], "d.npz"),
    (["animate", "f.jpg", "-o", "{o}", "--expression", "happy", "--audio", "{x}"], "v.mp4"),
]


@pytest.mark.parametrize("how", ["name", "symlink", "hardlink"])
@pytest.mark.parametrize("args,protected", SAME_FILE_CASES, ids=[" ".join(a[:2]) for a, _ in SAME_FILE_CASES])
def test_an_output_that_is_an_input_is_refused(inputs, tmp_path, args, protected, how):
    work = tmp_path
    for f in inputs.iterdir():
        shutil.copy(f, work / f.name)
    name = protected
    if how == "symlink":
        (work / ("link" + Path(protected).suffix)).symlink_to(work / protected)
        name = "link" + Path(protected).suffix
    elif how == "hardlink":
        os.link(work / protected, work / ("hard" + Path(protected).suffix))
        name = "hard" + Path(protected).suffix
    line = [a.format(o=name, x=protected) for a in args]
    before = {p.name: digest(p) for p in work.iterdir() if p.is_file()}
    result = run(*line, cwd=work)
    assert result.exit_code == 1, result.output
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith(f"Error: {name}: "), lines
    assert "is also an input" in lines[0] or "is the same file as the input" in lines[0]
    after = {p.name: digest(p) for p in work.iterdir() if p.is_file()}
    assert after == before  # byte-identical, and no new file (no temp file either)


def test_animate_never_replaces_the_photo_with_its_preview(inputs, tmp_path):
    shutil.copy(inputs / "me.png", tmp_path / "me.png")
    before = digest(tmp_path / "me.png")
    result = run("animate", "me.png", "-o", "me.mp4", "--expression", "happy", "--duration", "1", cwd=tmp_path)
    assert result.exit_code == 1
    assert error_lines(result) == ["Error: me.png: the preview of me.mp4 would overwrite the source image; "
                                   "choose another output name"]
    assert digest(tmp_path / "me.png") == before and sorted(os.listdir(tmp_path)) == ["me.png"]


def test_one_file_named_as_two_outputs_is_refused(tmp_path):
    result = run("say", "Hello", "-o", "a.wav", "--phones", "./a.wav", cwd=tmp_path)
    assert result.exit_code == 1
    assert error_lines(result) == ["Error: a.wav: is named twice as an output (also as 'a.wav')"]
    assert os.listdir(tmp_path) == []


# -- multi-output commands: all or nothing --------------------------------------------------------
def left(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("args", [
    ["say", "Hello there", "-o", "hi.wav", "--track", "t.xyz"],
    ["say", "Hello there", "-o", "hi.wav", "--cues", "c.tsv", "--track", "nope/t.jsonl"],
    ["lipsync", "{in}/v.wav", "-o", "o.tsv", "--track", "t.xyz"],
    ["train", "{in}/d.npz", "-o", "m.npz", "--epochs", "1", "--plot", "plots/loss.png"],
    ["train", "{in}/d.npz", "-o", "m.npz", "--epochs", "1", "--plot", "m.npz/loss.png"],
    ["analyze", "{in}/c.csv", "--csv", "e.csv", "--plot", "e.xyz"],
    ["avatar", "new", "-o", "a.json", "--preview", "a.xyz"],
    ["avatar", "new", "-o", "a.json", "--preview", "gone/a.png"],
    ["track", "{in}/f.jpg", "-o", "t.jsonl", "--preview", "gone/p.mp4"],
    ["animate", "{in}/f.jpg", "-o", "x.mp4", "--track", "{in}/t.jsonl", "--no-calibrate", "--no-refine",
     "--audio", "{in}/nosuch.wav"],
    ["demo", "-o", "d", "--avatar", "nosuch"],
], ids=lambda a: " ".join(a[:1] + a[-2:]))
def test_a_failing_multi_output_command_writes_nothing(inputs, tmp_path, args):
    result = run(*[a.format(**{"in": inputs}) for a in args], cwd=tmp_path)
    assert result.exit_code != 0
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    assert left(tmp_path) == []  # no first output, no temporary file, no folder


def test_say_fails_late_and_still_writes_nothing(tmp_path, monkeypatch):
    """The WAV is finished before the track fails (an error after the first output): the set
    removes the WAV too."""
    import facemimic.expressions.io as track_io

    def broken(track, path, **kw):
        raise track_io.UnknownNameError("simulated failure while writing the track")

    monkeypatch.setattr(track_io, "write_track", broken)
    result = run("say", "Hello there", "-o", "hi.wav", "--cues", "c.tsv", "--track", "t.jsonl", cwd=tmp_path)
    assert result.exit_code == 1 and "simulated failure" in result.output
    assert left(tmp_path) == []


def test_demo_interrupted_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C during the last step (the contact sheet, after the video): none of the five files,
    and not the folder the demo created."""
    import facemimic.demo as demo

    def interrupted(*a, **k):
        assert len([p for p in (tmp_path / "out" / "d").iterdir()]) >= 4  # four finished temporary files
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "contact_sheet", interrupted)
    result = run("demo", "-o", "out/d", "--size", "64", cwd=tmp_path)
    assert result.exit_code == 130
    assert error_lines(result)[-1] == "Interrupted."
    assert left(tmp_path) == []


@pytest.mark.parametrize("where,message", [
    ("afile/demo", "Error: afile/demo: lies under the file 'afile', not a folder"),
    ("afile/a/b", "Error: afile/a/b: lies under the file 'afile', not a folder"),
    ("/proc/demo", "Error: /proc/demo: folder '/proc' is not writable"),
])
def test_demo_into_a_bad_folder_is_one_line(tmp_path, where, message):
    (tmp_path / "afile").write_text("keep me")
    result = run("demo", "-o", where, cwd=tmp_path)
    assert result.exit_code == 1
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert left(tmp_path) == ["afile"] and (tmp_path / "afile").read_text() == "keep me"


def test_track_never_writes_over_a_photo_of_its_folder_or_glob(inputs, tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    shutil.copy(inputs / "f.jpg", shots / "a.jpg")
    before = digest(shots / "a.jpg")
    for source in ("shots", "shots/*.jpg"):
        result = run("track", source, "-o", "shots/a.jpg", "--format", "jsonl", cwd=tmp_path)
        assert result.exit_code == 1
        assert error_lines(result) == ["Error: shots/a.jpg: is also an input; refusing to overwrite it "
                                       "(choose another output name)"]
    assert digest(shots / "a.jpg") == before and os.listdir(shots) == ["a.jpg"]


def test_an_unexpected_system_error_is_one_line(inputs, tmp_path, monkeypatch):
    """The CLI root's last resort: an OSError no stage turned into a FaceMimicError."""
    import errno

    import facemimic.expressions.io as track_io

    def failing_disk(path, *a, **k):
        raise OSError(errno.EIO, os.strerror(errno.EIO), str(path))

    monkeypatch.setattr(track_io, "read_track", failing_disk)
    result = run("export", inputs / "t.jsonl", "-o", "t.glb", cwd=tmp_path)
    assert result.exit_code == 1
    assert error_lines(result) == [f"Error: {inputs / 't.jsonl'}: input/output error (the disk may be failing)"]
    assert os.listdir(tmp_path) == []
