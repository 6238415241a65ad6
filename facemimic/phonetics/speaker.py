"""espeak-ng helper processes: every utterance from the state of a fresh process.

espeak-ng keeps synthesiser state between utterances (see :mod:`.espeak`), so the user's process
synthesises in-process at most once, while its espeak-ng is still fresh; later utterances go to a
helper. A helper is started with ``subprocess`` (a new interpreter: no fork of the user's threads)
for one voice: it loads espeak-ng and that voice, exactly as a fresh process does, never
synthesises and never switches voice itself (each switch queues a command that only synthesis
consumes: 28 of them make the next utterance lose its first phoneme event), and forks one child
per utterance, which starts from that pristine state and takes its changes with it when it ends.

Forking is safe there and only there: the helper runs no other threads. Forking the user's
process instead would hang any of its threads that is inside OpenBLAS at that moment for ever
(OpenBLAS's at-fork handler; measured with NumPy 2's OpenBLAS 0.3.31), and MediaPipe, the
portrait loop's workers and the studio all run NumPy in threads.

A helper runs :func:`main` for one voice in ``sys.executable`` and talks over its stdin/stdout
in frames (8-byte big-endian length + pickle); it leaves when its stdin closes (the user's process
ended). At most :data:`MAX_HELPERS` run at a time (the least recently used one stops).
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO

from ..errors import FaceMimicError

_LENGTH = struct.Struct(">Q")
READY = "ready"  # the helper's first frame: (READY, sample rate)
# The helper's command: this package found as in the user's process (appended to sys.path, so it
# shadows nothing), and no current-directory entry (a stray numpy.py there must not load).
_BOOT = ("import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')] + [{root!r}]; "
         "from facemimic.phonetics.speaker import main; sys.exit(main(sys.argv[1]))")


class HelperStartError(FaceMimicError):
    """A helper process could not be started (no usable Python at ``sys.executable``)."""


def write_frame(stream: BinaryIO, obj) -> None:
    """Write one frame (length + pickle of ``obj``) and flush it."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: BinaryIO):
    """Read one frame; ``None`` at a clean end of the stream.

    Raises
    ------
    EOFError
        The stream ended inside a frame (the other side died while writing).
    """
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    data = _read_exactly(stream, _LENGTH.unpack(head)[0])
    if data is None:
        raise EOFError("the stream ended inside a frame")
    return pickle.loads(data)  # from our own helper or our own parent


def _read_exactly(stream: BinaryIO, n: int) -> bytes | None:
    parts, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            if left == n:
                return None
            raise EOFError("the stream ended inside a frame")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


MAX_HELPERS = 4  # voices with a helper running at a time (~30 MB and ~0.25 s to start each)


class Speaker:
    """The user's side: a helper process per voice, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._helpers: dict[str, _Helper] = {}  # voice -> helper, least recently used first

    def synth(self, text: str, *, voice: str, rate: int, pitch: int, ipa: bool):
        """(int16 samples, events) of ``text`` spoken by a fresh espeak-ng in ``voice``'s helper.

        Raises
        ------
        HelperStartError
            No helper can be started here.
        FaceMimicError
            The helper died twice in this call; the next call starts a new one.
        """
        with self._lock:
            helper = self._helpers.pop(voice, None)
            if helper is None or not helper.usable():
                helper = _Helper(voice)
            self._helpers[voice] = helper  # now the most recently used
            while len(self._helpers) > MAX_HELPERS:
                self._helpers.pop(next(iter(self._helpers))).close()
        return helper.synth((text, int(rate), int(pitch), bool(ipa)))

    def close(self) -> None:
        """Stop every helper (they also stop by themselves when this process ends)."""
        with self._lock:
            helpers, self._helpers = list(self._helpers.values()), {}
        for h in helpers:
            h.close()


class _Helper:
    """One helper process for one voice, one request at a time."""

    def __init__(self, voice: str) -> None:
        self.voice = voice
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._pid = os.getpid()  # a fork of this process must start helpers of its own
        self._closed = False  # evicted: a call already under way still gets its answer

    def usable(self) -> bool:
        return self._pid == os.getpid() and (self._proc is None or self._proc.poll() is None)

    def synth(self, request):
        with self._lock:
            for attempt in (1, 2):  # a helper found dead (killed meanwhile) is replaced once
                proc = self._running()
                try:
                    write_frame(proc.stdin, request)
                    reply = read_frame(proc.stdout)
                except BaseException as e:
                    # Ctrl-C, a dead helper: the stream may be half-way through a frame; drop it
                    code = self._stop(kill=True)
                    if not isinstance(e, (OSError, EOFError)):
                        raise
                    reply, problem = None, f"died ({e})"
                else:
                    if reply is not None:
                        break
                    code = self._stop(kill=True)
                    problem = f"exited (status {code})"
                if attempt == 2:
                    raise FaceMimicError(f"the espeak-ng helper process for voice {self.voice!r} {problem}")
            if self._closed:  # evicted while this call waited for it: leave nothing running
                self._stop(kill=False)
        ok, value = reply
        if ok:
            return value
        raise value

    def close(self) -> None:
        self._closed = True
        with self._lock:
            if self._pid == os.getpid():  # in a fork, the helper is the parent's
                self._stop(kill=False)

    def _running(self) -> subprocess.Popen:
        if self._proc is not None:
            return self._proc
        boot = _BOOT.format(root=str(Path(__file__).resolve().parents[2]))
        try:
            proc = subprocess.Popen([sys.executable, "-c", boot, self.voice], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, close_fds=True,
                                    start_new_session=True)  # Ctrl-C in a terminal is ours, not its
        except OSError as e:
            raise HelperStartError(f"cannot start the espeak-ng helper process with {sys.executable}: {e}") \
                from None
        self._proc = proc
        try:
            hello = read_frame(proc.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            hello = None
        if not (isinstance(hello, tuple) and hello[:1] == (READY,)):
            code = self._stop(kill=True)
            raise HelperStartError(f"the espeak-ng helper process for voice {self.voice!r} did not start "
                                   f"(status {code})")
        return proc

    def _stop(self, *, kill: bool) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        try:
            if kill:
                proc.kill()
            else:
                proc.stdin.close()  # the helper leaves at the end of its input
            return proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            return proc.wait()
        finally:
            for stream in (proc.stdin, proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass


_PARENT_GONE = 3  # a child's exit status: its stdin ended (the user's process closed or died)
_PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


def main(voice: str) -> int:  # pragma: no cover - the helper process (tests drive it through say)
    """The helper's loop for ``voice``: one forked child per request, one at a time.

    Each child is forked in advance and reads the next request itself, speaks it and writes the
    answer straight back (no relaying through the helper: one fork and two process wake-ups per
    utterance, not four); the helper only waits for it and forks the next. The children are forked
    from this process, which never synthesises, so all start from the same state.
    """
    import ctypes

    import numpy as np

    from .espeak import engine

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the user's process handles Ctrl-C and kills us
    # Frames go to the original stdout; anything else printed (by C code too) goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = os.fdopen(0, "rb", buffering=0)  # unbuffered: each child reads exactly its own frame
    eng = engine()
    eng.set_voice(voice)  # once, as a fresh process does; never another (see the module docstring)
    # NumPy makes its ctypes array types on first use (~0.5 ms): here, not in every child
    one = (ctypes.c_short * 1)()
    np.ctypeslib.as_array(ctypes.cast(one, ctypes.POINTER(ctypes.c_short)), (1,)).copy()
    write_frame(out, (READY, eng.sample_rate))
    prctl = getattr(ctypes.CDLL(None), "prctl", None)  # Linux: a child waiting for work dies with us
    helper = os.getpid()
    while True:
        pid = os.fork()
        if pid == 0:
            if prctl is not None:
                prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != helper:  # we died meanwhile
                os._exit(_PARENT_GONE)
            _answer_one(eng, inp, out)
        status = os.waitpid(pid, 0)[1]
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == _PARENT_GONE:
            return 0
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            # it died inside espeak-ng before answering: answer for it
            how = (f"was killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                   else f"exited with status {os.waitstatus_to_exitcode(status)}")
            write_frame(out, (False, FaceMimicError(f"espeak-ng speech synthesis failed: its worker {how}")))


def _answer_one(eng, inp: BinaryIO, out: BinaryIO) -> None:  # pragma: no cover - a helper's child
    code = 1
    try:
        request = read_frame(inp)
        if request is None:
            code = _PARENT_GONE
        else:
            text, rate, pitch, ipa = request
            try:
                reply = (True, eng.synth_here(text, rate=rate, pitch=pitch, ipa=ipa))
            except Exception as e:  # noqa: BLE001 - every error goes back to the caller
                reply = (False, e if _pickles(e) else FaceMimicError(f"{type(e).__name__}: {e}"))
            write_frame(out, reply)
            code = 0
    finally:
        os._exit(code)  # no atexit handlers, no flushing of anything else


def _pickles(e: Exception) -> bool:  # pragma: no cover - runs in the helper
    try:
        pickle.loads(pickle.dumps(e))
        return True
    except Exception:  # noqa: BLE001
        return False


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1]))
