"""call_in_child: a call in a forked child, its result or error back, nothing left running."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from facemimic.errors import FaceMimicError, ParameterError
from facemimic.phonetics.forked import call_in_child

_STATE = {"n": 0}


def _bump():
    _STATE["n"] += 1
    return _STATE["n"], os.getpid()


def test_result_comes_back_and_the_child_changes_nothing_here():
    n, pid = call_in_child(_bump)
    assert (n, _STATE["n"]) == (1, 0) and pid != os.getpid()
    assert call_in_child(_bump)[0] == 1  # every child starts from this process as it is


def test_errors_come_back_as_they_were_raised():
    def bad():
        raise ParameterError("rate must be 80..450 words per minute, got 5")

    with pytest.raises(ParameterError, match="got 5"):
        call_in_child(bad)


def test_a_child_killed_by_a_signal_is_a_one_line_error():
    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(FaceMimicError, match="synthesis failed: its worker process was killed by signal 9") as e:
        call_in_child(die, what="synthesis")
    assert "\n" not in str(e.value)


def test_ctrl_c_while_waiting_kills_and_reaps_the_child(tmp_path):
    pidfile = tmp_path / "child.pid"

    def slow():
        pidfile.write_text(str(os.getpid()))
        time.sleep(60)

    def interrupt_when_started():
        deadline = time.monotonic() + 30
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    t0 = time.monotonic()
    threading.Thread(target=interrupt_when_started, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        call_in_child(slow)
    assert time.monotonic() - t0 < 30
    child = int(pidfile.read_text())
    assert not os.path.exists(f"/proc/{child}")  # killed and reaped: not even a zombie
