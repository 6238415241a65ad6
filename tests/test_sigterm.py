"""SIGTERM mid-run (``kill``, a service manager, a CI timeout) cleans up like Ctrl-C.

Real ``facemimic`` subprocesses are terminated while they write: the exit status is 143, stderr is
the one line ``Terminated.``, and neither the output nor a hidden temporary file is left.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

FACEMIMIC = str(Path(sys.executable).with_name("facemimic"))


@pytest.fixture(scope="module")
def long_track(tmp_path_factory) -> Path:
    """A minute of generated expressions: long enough to be terminated mid-render."""
    path = tmp_path_factory.mktemp("long") / "long.jsonl"
    subprocess.run([FACEMIMIC, "express", "neutral 1s > happy 29s > surprised 30s", "--seed", "3", "-o",
                    str(path)], check=True, capture_output=True, timeout=300)
    return path


def terminate_mid_write(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Start ``facemimic ARGS``, wait until it is writing (a temporary file exists), send SIGTERM."""
    before = set(p.name for p in cwd.rglob("*"))
    proc = subprocess.Popen([FACEMIMIC, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 240
    while not any(p.name.endswith(".tmp") for p in cwd.rglob(".*")):
        assert proc.poll() is None, f"finished before it could be terminated: {proc.communicate()}"
        assert time.monotonic() < deadline, "never started writing"
        time.sleep(0.05)
    time.sleep(0.3)  # well inside the run
    assert proc.poll() is None, "finished before it could be terminated"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    left = sorted(str(p.relative_to(cwd)) for p in cwd.rglob("*") if p.name not in before)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), left


def assert_clean_termination(result, left, *, banner: str | None = None):
    """Exit 143, ``Terminated.`` as the only line after the command's own ``banner`` line (if it
    prints one before the work starts), nothing left."""
    assert result.returncode == 143, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ([banner] if banner else []) + ["Terminated."], result.stderr
    assert left == []  # no output, no temporary file, no folder


def test_sigterm_during_track_leaves_nothing(samples, tmp_path):
    shutil.copy(samples / "WolfgangLanger_Pexels.mp4", tmp_path / "talk.mp4")
    result, left = terminate_mid_write(["track", "talk.mp4", "-o", "x.jsonl", "--preview", "x.mp4"], tmp_path)
    assert_clean_termination(result, left)


def test_sigterm_during_avatar_render_leaves_nothing(long_track, tmp_path):
    result, left = terminate_mid_write(["avatar", "render", str(long_track), "-o", "v.mp4", "--size", "256"],
                                       tmp_path)
    assert_clean_termination(result, left)


def test_sigterm_during_animate_leaves_nothing(samples, long_track, tmp_path):
    shutil.copy(samples / "single_face.jpg", tmp_path / "me.jpg")
    result, left = terminate_mid_write(["animate", "me.jpg", "-o", "me.mp4", "--track", str(long_track),
                                        "--no-refine", "--no-calibrate"], tmp_path)
    assert_clean_termination(result, left)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["me.jpg"]


def test_sigterm_during_demo_leaves_none_of_its_files(tmp_path):
    result, left = terminate_mid_write(["demo", "-o", "out/demo"], tmp_path)
    assert_clean_termination(result, left, banner="FaceMimic demo: the avatar says 4 lines with changing moods "
                                                  "(happy, surprised, skeptical, laughing).")
    assert list(tmp_path.iterdir()) == []  # not even the folders it created


def test_nothing_prints_after_terminated(tmp_path):
    """A native thread still writing to fd 2 after SIGTERM unwound the command (MediaPipe's graph
    logged a "Feedback manager ..." warning after ``Terminated.`` under load) stays silent: the
    user sees exactly the one line."""
    script = tmp_path / "late.py"
    script.write_text(
        "import os, threading, time, click\n"
        "from facemimic.cli import LazyGroup\n"
        "from facemimic.common.signals import Terminated\n"
        "@click.group(cls=LazyGroup)\n"
        "def g():\n"
        "    pass\n"
        "@g.command()\n"
        "def work():\n"
        "    def late():\n"
        "        time.sleep(0.3)\n"
        "        os.write(2, b'W0000 native line after the end\\n')\n"
        "    threading.Thread(target=late).start()  # not a daemon: it outlives the command\n"
        "    raise Terminated()\n"
        "g(['work'])\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert_clean_termination(result, [])


# A signal's exception can land in Python code a C library calls back, which can only print it
# and go on: PyAV writes an MP4 through the output's Python file object. Swallowed there, the
# command used to run to the end and write its outputs (rc 0; the suite's rare "hang" was such a
# run outliving the test's 60 s). The script sends the signal from inside the preview's third
# write, so the handler runs inside PyAV's callback every time.
_SIGNAL_INSIDE_PYAV_WRITE = """\
import os, signal, sys
from facemimic.cli import cli

real_write, calls = os.write, []

def write(fd, data):
    try:
        name = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        name = ""
    if ".x.mp4." in name:  # the preview's temporary file
        calls.append(fd)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIG%s)
    return real_write(fd, data)

os.write = write
cli(["track", "talk.mp4", "-o", "x.jsonl", "--preview", "x.mp4", "--duration", "4"], prog_name="facemimic")
"""


@pytest.mark.parametrize("name, code, line", [("TERM", 143, "Terminated."), ("INT", 130, "Interrupted.")])
def test_a_signal_inside_pyavs_write_callback_still_stops_the_command(samples, tmp_path, name, code, line):
    shutil.copy(samples / "WolfgangLanger_Pexels.mp4", tmp_path / "talk.mp4")
    script = tmp_path / "inside.py"
    script.write_text(_SIGNAL_INSIDE_PYAV_WRITE % name)
    # a job started in the background by a non-interactive shell (a CI runner) ignores SIGINT, and
    # its children inherit that: the child gets Ctrl-C's default action, as in a terminal
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=240, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert result.returncode == code, result.stderr
    assert [ln for ln in result.stderr.splitlines() if ln.strip()] == [line], result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inside.py", "talk.mp4"]


def test_sigterm_that_a_library_wraps_in_its_own_error_still_terminates(tmp_path):
    """MediaPipe's import cut short inside a dataclass's ``__set_name__`` surfaced as a
    ``RuntimeError`` traceback, exit 1, instead of ``Terminated.``."""
    script = tmp_path / "wrapped.py"
    script.write_text(
        "import os, signal, click\n"
        "from facemimic.cli import LazyGroup\n"
        "@click.group(cls=LazyGroup)\n"
        "def g():\n"
        "    pass\n"
        "@g.command()\n"
        "def work():\n"
        "    class Field:\n"
        "        def __set_name__(self, owner, name):\n"
        "            os.kill(os.getpid(), signal.SIGTERM)\n"
        "            sum(range(3))  # the handler runs at this call, inside __set_name__\n"
        "    class Owner:\n"
        "        metadata = Field()\n"
        "g(['work'])\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert_clean_termination(result, [])
