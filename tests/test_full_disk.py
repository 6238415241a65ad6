"""A full disk is one line naming the output, a non-zero exit and no file left, in every command.

Three ways to fill a disk without root or a special file system:

* ``/dev/full`` — the kernel answers every write with ENOSPC (a real device, any Linux);
* ``RLIMIT_FSIZE`` on a subprocess — the kernel refuses writes past the limit (EFBIG);
* ``os.write`` failing with ENOSPC for files in one folder — the system call every FaceMimic output
  goes through (``facemimic.common.files``), so each command meets the full disk exactly where a
  real one would stop it: mid-video, mid-track, while flushing on commit.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from facemimic.cli import cli

FACEMIMIC = str(Path(sys.executable).with_name("facemimic"))


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def src(tmp_path_factory, samples) -> Path:
    """Real inputs: a photo, a short video, a WAV, tracks, a dataset."""
    d = tmp_path_factory.mktemp("in")
    shutil.copy(samples / "single_face.jpg", d / "f.jpg")
    shutil.copy(samples / "single_face.mp4", d / "clip.mp4")
    runner = CliRunner()
    for args in (["say", "Hello there, nice to meet you", "-o", d / "v.wav"],
                 ["express", "neutral 0.5s > happy 1.5s", "--seed", "2", "-o", d / "t.jsonl"],
                 ["express", "neutral 0.5s > happy 1.5s", "--seed", "2", "-o", d / "c.csv"],
                 ["label", d / "t.jsonl", "--at", "0-2=happy", "-o", d / "d.npz"]):
        result = runner.invoke(cli, [str(a) for a in args])
        assert result.exit_code == 0, (args, result.output)
    return d


@pytest.fixture
def full_disk(tmp_path, monkeypatch) -> Path:
    """A folder whose disk is full: every write to a file in it fails with ENOSPC."""
    out = tmp_path / "out"
    out.mkdir()
    root = str(out.resolve()) + os.sep
    real_write = os.write

    def write(fd, data):
        try:
            where = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            where = ""
        if where.startswith(root):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    return out


COMMANDS = [
    ["avatar", "render", "{in}/t.jsonl", "-o", "{out}/v.mp4", "--size", "64"],
    ["avatar", "render", "{in}/t.jsonl", "-o", "{out}/v.png", "--at", "1"],
    ["avatar", "new", "-o", "{out}/a.json", "--preview", "{out}/a.png"],
    ["express", "happy", "-o", "{out}/e.jsonl"],
    ["express", "neutral 1s > surprised 1s", "-o", "{out}/e.npz"],
    ["calibrate", "{in}/f.jpg", "-o", "{out}/me.json"],
    ["label", "{in}/t.jsonl", "--at", "0-1=happy", "-o", "{out}/d.npz"],
    ["analyze", "{in}/c.csv", "--csv", "{out}/e.csv", "--plot", "{out}/e.png"],
    ["track", "{in}/f.jpg", "-o", "{out}/t.jsonl"],
    ["track", "{in}/clip.mp4", "-o", "{out}/t.csv", "--preview", "{out}/p.mp4"],
    ["say", "Hello there", "-o", "{out}/hi.wav", "--track", "{out}/hi.jsonl"],
    ["lipsync", "{in}/v.wav", "-o", "{out}/o.tsv", "--track", "{out}/o.jsonl", "-q"],
    ["train", "{in}/d.npz", "-o", "{out}/m.npz", "--epochs", "1"],
    ["export", "{in}/t.jsonl", "-o", "{out}/t.glb"],
    ["demo", "-o", "{out}/demo", "--size", "64"],
    ["animate", "{in}/f.jpg", "-o", "{out}/x.mp4", "--expression", "happy", "--duration", "1",
     "--no-calibrate", "--no-refine", "--size", "192", "--crop", "face"],
    ["avatar3d", "{in}/f.jpg", "-o", "{out}/me.vrm", "--preview", "{out}/me.png"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_full_disk_is_one_line_and_leaves_nothing(src, full_disk, args):
    result = CliRunner().invoke(cli, [a.format(**{"in": src, "out": full_disk}) for a in args])
    assert result.exit_code == 1, result.output
    last = lines(result.output)[-1]
    assert last.startswith(f"Error: {full_disk}/") and last.endswith(": no space left on device"), result.output
    assert "Traceback" not in result.output
    assert [p for p in full_disk.rglob("*")] == []  # no output, no temporary file, no folder it made


def test_dev_full_is_a_real_full_disk(src):
    for args in (["express", "happy", "-o", "/dev/full", "--format", "jsonl"],
                 ["track", str(src / "f.jpg"), "-o", "/dev/full", "--format", "jsonl", "-q"]):
        p = subprocess.run([FACEMIMIC, *args], capture_output=True, text=True, timeout=300)
        assert p.returncode == 1
        assert lines(p.stderr) == ["Error: /dev/full: no space left on device"], p.stderr
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full")  # still the device


def _file_size_limit():  # in the child: the kernel refuses writes past 20 kB (EFBIG, not a signal)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


@pytest.mark.parametrize("args", [
    ["avatar", "render", "{in}/t.jsonl", "-o", "v.mp4"],
    ["track", "{in}/clip.mp4", "-o", "t.jsonl", "-q"],
], ids=lambda a: a[0])
def test_a_kernel_refused_write_is_one_line(src, tmp_path, args):
    p = subprocess.run([FACEMIMIC, *[a.format(**{"in": src}) for a in args]], cwd=tmp_path,
                       preexec_fn=_file_size_limit, capture_output=True, text=True, timeout=300)
    assert p.returncode == 1
    assert lines(p.stderr)[-1] == f"Error: {args[args.index('-o') + 1]}: file too large for this file system", p.stderr
    assert list(tmp_path.iterdir()) == []
