"""SIGTERM unwinds like Ctrl-C, so an interrupted command leaves no temporary files.

Python turns Ctrl-C into :class:`KeyboardInterrupt`, which runs every ``with AtomicFile`` /
``OutputSet`` exit and removes the temporary files. SIGTERM (``kill``, a service manager, a CI
timeout) would otherwise end the process on the spot and leave them. :func:`sigterm_unwinds`
makes SIGTERM raise :class:`Terminated` in the main thread instead.

An interrupt's exception is raised wherever the main thread happens to be, and three kinds of place
cannot take it; within :func:`sigterm_unwinds` each gets it later:

* **A callback from C** (PyAV writing an MP4 through a Python file object, a ctypes callback, a
  ``__del__``) can only print the exception ("Exception ignored in ...") and go on: the command
  used to run to the end and write its outputs after the user had stopped it. A swallowed
  interrupt is sent again, so it lands once the main thread is back in ordinary Python code.
* **A lock half taken**: ``threading.Condition.__enter__`` (under every ``queue.Queue`` and
  ``Future``) has taken its lock but its ``with`` has not begun, so an exception there leaves the
  lock held for good and the thread on the other side of the queue or future waits forever (a
  hang at exit). There the interrupt is sent again a moment later instead.
* **A native call on another thread**: MediaPipe runs each call on its own worker thread while the
  caller waits; an interrupt raised in the wait left the worker reading an image the unwinding
  caller had freed (a segmentation fault). :func:`interrupts_deferred` holds interrupts to the
  end of such calls.

A library that wraps whatever its callback raised (MediaPipe's import cut short inside a
dataclass's ``__set_name__`` becomes a ``RuntimeError``) is seen through by :func:`interrupt_behind`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

TERMINATED_EXIT = 128 + signal.SIGTERM  # 143, what the shell reports for a process killed by SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived. A :class:`KeyboardInterrupt`, so code that cleans up after Ctrl-C does the
    same here (a webcam capture keeps what it recorded; a file run discards its outputs)."""


# Inside interrupts_deferred (main thread only): its nesting depth, and the interrupt held for its end.
_deferring = 0
_held: KeyboardInterrupt | None = None
_resender: "_Resender | None" = None  # while sigterm_unwinds is active


def _lock_half_taken(frame) -> bool:
    """Whether ``frame`` is ``threading.Condition.__enter__``: its lock taken, its ``with`` not yet
    begun, so an exception raised there would leave the lock held for good."""
    code = getattr(frame, "f_code", None)
    return code is not None and code.co_name == "__enter__" and code.co_filename == threading.__file__


def _exception(signum: int) -> KeyboardInterrupt:
    """The exception ``signum`` unwinds with."""
    if signum == signal.SIGTERM:
        # One unwind is enough: a second SIGTERM must not cut the clean-up short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        return Terminated()
    return KeyboardInterrupt()


def _on_interrupt(signum: int, frame) -> None:
    """The handler of SIGTERM and Ctrl-C: held inside :func:`interrupts_deferred`, sent again where
    the main thread holds a half-taken lock, else raised."""
    global _held
    if _deferring:
        _held = _held or _exception(signum)
        return
    if _resender is not None:
        if _lock_half_taken(frame):
            _resender.ask(signum)
            return
        _resender.pending = None  # delivered now
    raise _exception(signum)


def raise_pending() -> None:
    """Raise now an interrupt that is waiting to be sent again (a callback swallowed it moments ago).

    Called before outputs are committed: the files of a run the user stopped must not land in the
    two milliseconds before the interrupt comes back."""
    if _resender is None or _resender.pending is None:
        return
    signum, _resender.pending = _resender.pending, None
    raise _exception(signum)


def _raises_on_ctrl_c(handler) -> bool:
    return handler is signal.default_int_handler or handler is _on_interrupt


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold a Ctrl-C (and, within :func:`sigterm_unwinds`, a SIGTERM) that arrives within the block
    and raise it when the block ends.

    For calls into native code that must not be abandoned half way: MediaPipe runs each call on its
    own worker thread while the caller waits, so an interrupt raised in the wait left the worker
    reading an image the unwinding caller had already freed (a segmentation fault: 2 of 3 forty-
    second runs of randomly interrupted detect calls crashed) or holding a lock nothing would
    release (a hang at exit). A held interrupt costs at most one call's time (~20 ms for a
    landmarker pass). Outside the main thread it does nothing: signals interrupt only the main
    thread."""
    global _deferring, _held
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _deferring += 1
    previous_int = signal.getsignal(signal.SIGINT)
    held_here = previous_int is not None  # None: a handler set outside Python (an embedding app) stays
    if held_here:
        signal.signal(signal.SIGINT, _on_interrupt)
    try:
        yield
    finally:
        if held_here:
            signal.signal(signal.SIGINT, previous_int)
        _deferring -= 1
        if not _deferring and _held is not None:
            held, _held = _held, None
            if isinstance(held, Terminated) or _raises_on_ctrl_c(previous_int):
                raise held
            if callable(previous_int):  # a handler of the caller's own: it decides what Ctrl-C does
                previous_int(int(signal.SIGINT), None)
            elif previous_int == signal.SIG_DFL:
                signal.raise_signal(signal.SIGINT)


def interrupt_behind(error: BaseException | None) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM behind ``error``: itself, or one it was raised from or while handling
    (a library that wraps whatever its callback raised), else None."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


class _Resender:
    """Sends an interrupt's signal to this process again, a moment later, from a helper thread.

    Asked by the signal handler where the main thread holds a half-taken lock, and by
    ``sys.unraisablehook``, which sees an exception a C caller could not pass on (printing nothing
    for an interrupt). A moment later the main thread is most likely back in ordinary Python code,
    where the handler raises it properly; if not, it is asked again. Sent from the hook itself, the
    handler would run before the hook returned and be lost. ``sys.excepthook`` keeps quiet about an
    interrupt too: Cython prints the exception through it before reporting it unraisable."""

    def __init__(self) -> None:
        self._asked = threading.Event()
        self.pending: int | None = None  # the signal to send again; None once it was delivered
        self._done = False
        self._hooks = sys.unraisablehook, sys.excepthook
        self._thread = threading.Thread(target=self._run, name="facemimic-signal-again", daemon=True)
        self._thread.start()
        sys.unraisablehook, sys.excepthook = self._unraisable, self._excepthook

    def _run(self) -> None:
        while True:
            self._asked.wait()
            if self._done:
                return
            time.sleep(0.002)
            self._asked.clear()
            signum = self.pending
            if signum is not None:  # else raised meanwhile (raise_pending)
                os.kill(os.getpid(), signum)

    def ask(self, signum: int) -> None:
        """Send ``signum`` again soon (from the main thread: a handler or a hook)."""
        self.pending = signum
        try:
            self._asked.set()
        except KeyboardInterrupt:  # the signal came back before the hook returned: ask again
            self._asked.set()

    def _unraisable(self, info) -> None:
        error = info.exc_value
        if isinstance(error, Terminated):
            signal.signal(signal.SIGTERM, _on_interrupt)  # its raise had set SIG_IGN
            self.ask(signal.SIGTERM)
        elif isinstance(error, KeyboardInterrupt) and _raises_on_ctrl_c(signal.getsignal(signal.SIGINT)):
            self.ask(signal.SIGINT)
        else:
            self._hooks[0](info)

    def _excepthook(self, kind, error, traceback) -> None:
        if not isinstance(error, KeyboardInterrupt):
            self._hooks[1](kind, error, traceback)

    def close(self) -> None:
        sys.unraisablehook, sys.excepthook = self._hooks
        self._done = True
        self._asked.set()


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread, and an interrupt
    (SIGTERM or Ctrl-C) that arrives where it cannot be taken (a callback from C, a half-taken
    lock) is raised again once it can; the previous handlers and hooks are restored afterwards.
    Outside the main thread (where Python cannot set handlers) it does nothing."""
    global _resender
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_term = signal.signal(signal.SIGTERM, _on_interrupt)
    own_int = signal.getsignal(signal.SIGINT) is signal.default_int_handler  # else the caller's stays
    if own_int:
        signal.signal(signal.SIGINT, _on_interrupt)
    outer, _resender = _resender, _Resender()
    try:
        yield
    finally:
        _resender.close()
        _resender = outer
        if own_int:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, previous_term)
