"""Outputs checked up front and committed together (facemimic.common.outputs), full disks and
SIGTERM in the atomic layer (facemimic.common.files, facemimic.common.signals)."""

import errno
import os
import signal

import pytest

from facemimic.common.files import AtomicFile
from facemimic.common.outputs import OutputSet, check_output, same_file
from facemimic.common.signals import Terminated, sigterm_unwinds
from facemimic.errors import OutputError


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_same_file_sees_through_symlinks_and_hard_links(tmp_path):
    a = tmp_path / "a.jpg"
    a.write_bytes(b"photo")
    (tmp_path / "link.jpg").symlink_to(a)
    os.link(a, tmp_path / "hard.jpg")
    (tmp_path / "sub").mkdir()
    assert same_file(a, tmp_path / "link.jpg") and same_file(a, tmp_path / "hard.jpg")
    assert same_file(a, tmp_path / "sub" / ".." / "a.jpg")
    assert not same_file(a, tmp_path / "b.jpg")
    # Missing files compare by resolved path: a dangling link to the output is the output.
    (tmp_path / "dangling").symlink_to(tmp_path / "new.txt")
    assert same_file(tmp_path / "dangling", tmp_path / "new.txt")


def test_check_output_refuses_inputs_folders_and_bad_parents(tmp_path):
    src = tmp_path / "f.jpg"
    src.write_bytes(b"photo")
    (tmp_path / "l.jpg").symlink_to(src)
    with pytest.raises(OutputError, match=r"f.jpg: is also an input; refusing to overwrite it"):
        check_output(src, inputs=[src])
    with pytest.raises(OutputError, match=r"l.jpg: is the same file as the input '.*f.jpg'"):
        check_output(tmp_path / "l.jpg", inputs=[None, str(src)])
    with pytest.raises(OutputError, match="is a folder"):
        check_output(tmp_path)
    with pytest.raises(OutputError, match=r"folder '.*nope' does not exist"):
        check_output(tmp_path / "nope" / "x.json")
    with pytest.raises(OutputError, match=r"cannot write under '.*f.jpg': it is a file, not a folder"):
        check_output(src / "deeper" / "x.json")
    with pytest.raises(OutputError, match=r"folder '/proc' is not writable"):
        check_output("/proc/x.json")  # refused even to root, by a real probe
    assert check_output(tmp_path / "out.json", inputs=[src]) == tmp_path / "out.json"
    assert str(check_output("/dev/null")) == "/dev/null"  # a device: written directly, never replaced
    assert names(tmp_path) == ["f.jpg", "l.jpg"]  # the probes left nothing


def test_output_set_commits_all_files_together(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.jsonl"
    with OutputSet([a, b, None]) as outputs:
        with AtomicFile(a, "wb") as f:
            f.file.write(b"RIFF")
        assert not a.exists()  # staged: finished, still under its temporary name
        assert outputs.staged(a).read_bytes() == b"RIFF"  # readable inside the block
        with AtomicFile(b) as f:
            f.file.write("{}\n")
        temps = names(tmp_path)
        assert len(temps) == 2 and all(n.startswith((".a.wav.", ".b.jsonl.")) and n.endswith(".tmp") for n in temps)
    assert a.read_bytes() == b"RIFF" and b.read_text() == "{}\n"
    assert names(tmp_path) == ["a.wav", "b.jsonl"]


def test_output_set_leaves_nothing_when_a_later_output_fails(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.jsonl"
    a.write_bytes(b"old")  # an earlier result stays as it was
    with pytest.raises(ValueError, match="bad format"):
        with OutputSet([a, b]):
            with AtomicFile(a, "wb") as f:
                f.file.write(b"new")
            half = AtomicFile(b)  # opened, never finished: the set removes it too
            half.file.write("partial")
            raise ValueError("bad format")
    assert names(tmp_path) == ["a.wav"] and a.read_bytes() == b"old"
    with pytest.raises(KeyboardInterrupt):
        with OutputSet([b]):
            with AtomicFile(b) as f:
                f.file.write("x")
            raise KeyboardInterrupt
    assert names(tmp_path) == ["a.wav"]


def test_output_set_refuses_before_anything_is_written(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("time\n0\n")
    with pytest.raises(OutputError, match="in.csv: is also an input"):
        OutputSet([tmp_path / "ok.png", src], inputs=[src])
    with pytest.raises(OutputError, match=r"b.wav: is named twice as an output \(also as '.*b.wav'\)"):
        OutputSet([tmp_path / "b.wav", tmp_path / "." / "b.wav"])
    assert names(tmp_path) == ["in.csv"] and src.read_text() == "time\n0\n"


def test_nested_sets_commit_with_the_outer_one(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    with pytest.raises(RuntimeError):
        with OutputSet([a]):
            with OutputSet([b]):
                with AtomicFile(b) as f:
                    f.file.write("inner")
            assert not b.exists()  # waits for the outer set
            raise RuntimeError("the outer command fails")
    assert names(tmp_path) == []
    with OutputSet([a]):
        with OutputSet([b]):
            with AtomicFile(b) as f:
                f.file.write("inner")
        with AtomicFile(a) as f:
            f.file.write("outer")
    assert a.read_text() == "outer" and b.read_text() == "inner"


def test_files_outside_the_set_commit_at_once(tmp_path):
    cache = tmp_path / "cache.npz"
    with OutputSet([tmp_path / "out.txt"]):
        with AtomicFile(cache, "wb") as f:
            f.file.write(b"cached")
        assert cache.read_bytes() == b"cached"  # a side file (a cache, a temp WAV) is usable at once
        with AtomicFile(tmp_path / "out.txt") as f:
            f.file.write("out")
    assert names(tmp_path) == ["cache.npz", "out.txt"]


def test_atomic_file_replaces_a_symlinks_target_not_the_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with AtomicFile(link) as f:
        f.file.write("new")
    assert link.is_symlink() and real.read_text() == "new"


def test_devices_are_written_directly_and_dev_full_is_a_full_disk(tmp_path):
    with AtomicFile("/dev/null", "wb") as f:
        f.file.write(b"x" * 100_000)
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    # /dev/full: every write fails with ENOSPC, for real, in the kernel.
    with pytest.raises(OutputError, match="^/dev/full: no space left on device$"):
        with AtomicFile("/dev/full") as f:
            f.file.write("x" * 100_000)
    with pytest.raises(OutputError, match="^/dev/full: no space left on device$"):
        with AtomicFile("/dev/full") as f:
            f.file.write("small")  # still in the buffer: fails when the commit flushes it
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full")  # never replaced


def test_a_full_disk_leaves_no_temporary_file(tmp_path, monkeypatch):
    real_write = os.write

    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OutputError, match=r"big.bin: no space left on device$"):
        with AtomicFile(tmp_path / "big.bin", "wb") as f:
            f.file.write(b"x" * 100_000)  # larger than the buffer: fails inside the block
    with pytest.raises(OutputError, match=r"small.txt: no space left on device$"):
        with AtomicFile(tmp_path / "small.txt") as f:
            f.file.write("small")  # fails when the commit flushes
    def full_for_a(fd, data):  # only a.txt's disk is full
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".a.txt."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_for_a)
    with pytest.raises(OutputError, match=r"a.txt: no space left on device$"):
        with OutputSet([tmp_path / "a.txt", tmp_path / "b.txt"]):
            with AtomicFile(tmp_path / "b.txt") as f:
                f.file.write("b")  # would have been fine
            with AtomicFile(tmp_path / "a.txt") as f:
                f.file.write("a")
    monkeypatch.setattr(os, "write", real_write)
    assert names(tmp_path) == []


def test_sigterm_unwinds_like_ctrl_c_and_the_handler_is_restored(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated):
        with sigterm_unwinds():
            with AtomicFile(tmp_path / "half.jsonl") as f:
                f.file.write("{}\n")
                os.kill(os.getpid(), signal.SIGTERM)  # the handler raises at the next bytecode
                f.file.write("never reached\n")
    assert isinstance(Terminated(), KeyboardInterrupt)
    assert signal.getsignal(signal.SIGTERM) == before
    assert names(tmp_path) == []


def test_a_swallowed_write_error_still_stops_the_commit(tmp_path, monkeypatch):
    """A library that catches the error and carries on (PyAV seeks and flushes again while it
    finishes an MP4) must not get a damaged file committed, nor a second error."""
    real_write = os.write
    calls = []

    def full_once(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_once)
    f = AtomicFile(tmp_path / "clip.mp4", "wb")
    with pytest.raises(OutputError):
        f.file.write(b"x" * 100_000)
    f.file.write(b"y" * 100_000)  # dropped quietly: the file is lost already
    f.file.seek(0)
    with pytest.raises(OutputError, match=r"clip.mp4: no space left on device$"):
        f.commit()
    assert len(calls) == 1 and names(tmp_path) == []


def test_dev_stdout_into_a_pipe_is_written_not_replaced():
    """``-o /dev/stdout`` is a link to /proc/self/fd/1, a pipe here: written through, never
    replaced by a file (as root, a rename would have replaced /dev/stdout itself)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    facemimic = str(Path(sys.executable).with_name("facemimic"))
    p = subprocess.run([facemimic, "express", "happy", "--seed", "1", "-o", "/dev/stdout", "--format", "jsonl"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    header, frame = (json.loads(line) for line in p.stdout.splitlines())
    assert header["format"] == "facemimic.track" and len(frame["weights"]) == 88
    assert os.path.islink("/dev/stdout")
