"""The helper processes behind say(): they recover when killed and leave with their user."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np

from facemimic.phonetics.espeak import engine
from facemimic.voice import say

TEXT = "Give me a moment; I will be right back."


def _helper_pid(voice: str) -> int:
    return engine().speaker._helpers[voice]._proc.pid  # the process this test kills


def test_a_killed_helper_is_replaced_and_speaks_the_same():
    say("Warm up the in-process utterance.", voice="en-us+m3")  # whatever came first
    a = say(TEXT, voice="en-us+m3")
    os.kill(_helper_pid("en-us+m3"), signal.SIGKILL)
    b = say(TEXT, voice="en-us+m3")
    assert np.array_equal(a.audio, b.audio) and a.phones == b.phones


def test_helpers_leave_with_the_process_that_started_them():
    code = ("from facemimic.voice import say; from facemimic.phonetics.espeak import engine; "
            "say('one'); say('two'); say('three', voice='en-us+f3'); "
            "print(' '.join(str(h._proc.pid) for h in engine().speaker._helpers.values()))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    pids = [int(p) for p in r.stdout.split()]
    assert len(pids) == 2  # 'en-us' and 'en-us+f3'
    deadline = time.monotonic() + 20
    while any(os.path.exists(f"/proc/{p}") for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)


def test_ctrl_c_while_a_helper_speaks_stops_it_and_the_next_call_works():
    """Ctrl-C during a long utterance: KeyboardInterrupt at once, that helper is gone (its answer
    would be stale), and the next call starts a new one that speaks as before."""
    import threading

    voice = "en-us+m7"
    ref = say(TEXT, voice=voice)  # starts the helper (or speaks in-process if first)
    say(TEXT, voice=voice)
    helper = _helper_pid(voice)
    long_text = " ".join(["The quick brown fox jumps over the lazy dog."] * 400)  # ~15 min at 80 wpm
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    # Ctrl-C as in a user's process: a parallel test worker (pytest-xdist) ignores SIGINT.
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    t0 = time.monotonic()
    timer.start()
    try:
        say(long_text, voice=voice, rate=80)
        interrupted = False
    except KeyboardInterrupt:
        interrupted = True
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, handler)
    assert interrupted and time.monotonic() - t0 < 10
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{helper}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{helper}")
    again = say(TEXT, voice=voice)
    assert np.array_equal(again.audio, ref.audio) and again.phones == ref.phones


def test_without_a_python_to_start_helpers_it_speaks_in_process_with_a_warning():
    """An embedding application whose sys.executable is no Python: a warning, then speech."""
    code = ("import sys, warnings; from facemimic.voice import say; say('one'); "
            "sys.executable = '/nonexistent/python'; "
            "w = warnings.catch_warnings(record=True); caught = w.__enter__(); warnings.simplefilter('always'); "
            "sp = say('two words'); print(sp.duration > 0.3, len(caught), str(caught[0].message))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    ok, n, message = r.stdout.split(" ", 2)
    assert ok == "True" and n == "1" and "cannot start the espeak-ng helper" in message
    assert "speaking in-process" in message
