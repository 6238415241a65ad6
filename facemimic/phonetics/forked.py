"""Run one call in a forked child and bring its result back: a fresh copy of the process state.

The espeak-ng helper (:mod:`.speaker`) never synthesises itself: it forks a child per utterance,
so every utterance starts from the state the helper had after loading the voice, and whatever
espeak-ng's C globals keep is lost with the child. The child only runs the call, pickles the
result into a pipe and leaves with ``os._exit`` (no atexit handlers, no flushing of buffers).

Forking is only safe in a process that runs no other threads: a fork taken while another thread
is inside OpenBLAS hangs that thread for ever (its at-fork handler; measured with NumPy 2's
OpenBLAS 0.3.31). So the user's process never forks for speech; only the helper does.
"""

from __future__ import annotations

import os
import pickle
import signal
from typing import Callable, TypeVar

from ..errors import FaceMimicError

T = TypeVar("T")

_CHUNK = 1 << 20  # bytes read from the pipe at a time


def fork_available() -> bool:
    """True where this platform can fork (POSIX)."""
    return hasattr(os, "fork")


def call_in_child(fn: Callable[[], T], *, what: str = "the call") -> T:
    """``fn()`` run in a forked child of this (single-threaded) process; its result or exception.

    Parameters
    ----------
    fn : callable
        Takes no arguments; it sees a copy of this process as it is now. Whatever it changes
        (C library globals included) is lost when it returns. Its result must pickle.
    what : str
        Names the work in the error raised when the child dies without an answer.

    Returns
    -------
    The value ``fn()`` returned in the child.

    Raises
    ------
    Exception
        What ``fn()`` raised in the child (re-raised here when it pickles; otherwise a
        :class:`~facemimic.errors.FaceMimicError` quoting it).
    FaceMimicError
        The child died before answering (killed by a signal, out of memory).
    KeyboardInterrupt
        Ctrl-C while waiting: the child is killed and reaped first (it ignores SIGINT itself).
    """
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except BaseException:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # pragma: no cover - the child's side; it never returns
        _run_child(fn, read_fd, write_fd)
    os.close(write_fd)
    try:
        data = _read_all(read_fd)
    except BaseException:
        _kill(pid)  # Ctrl-C (or any error) while waiting: no orphan keeps running
        raise
    finally:
        os.close(read_fd)
        status = _reap(pid)
    if not data:
        raise FaceMimicError(f"{what} failed: its worker process {_describe(status)}")
    ok, value = pickle.loads(data)  # written just now by our own child
    if ok:
        return value
    raise value


def _run_child(fn: Callable[[], T], read_fd: int, write_fd: int) -> None:  # pragma: no cover
    status = 1
    try:
        os.close(read_fd)
        try:
            # Ctrl-C reaches the whole process group: the parent handles it and kills us.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        except (ValueError, OSError):
            pass
        try:
            payload = pickle.dumps((True, fn()), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # noqa: BLE001 - every error goes back to the caller
            payload = _pickled_error(e)
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view):]
        status = 0
    finally:
        os._exit(status)


def _pickled_error(e: Exception) -> bytes:  # pragma: no cover - runs in the child
    try:
        data = pickle.dumps((False, e), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)  # an exception with a custom __init__ may not come back: check here
        return data
    except Exception:  # noqa: BLE001
        return pickle.dumps((False, FaceMimicError(f"{type(e).__name__}: {e}")))


def _read_all(fd: int) -> bytes:
    parts = []
    while chunk := os.read(fd, _CHUNK):
        parts.append(chunk)
    return b"".join(parts)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> int:
    """Wait for the child (no zombie is left); its wait status."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:  # reaped elsewhere (SIGCHLD set to SIG_IGN)
        return 0
    except KeyboardInterrupt:
        _kill(pid)  # Ctrl-C while reaping: end it, reap it, then let the interrupt through
        os.waitpid(pid, 0)
        raise


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by signal {os.WTERMSIG(status)}"
    return f"exited with status {os.waitstatus_to_exitcode(status)} without an answer"
