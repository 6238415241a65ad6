"""SIGTERM unwinds like Ctrl-C, so an interrupted command leaves no temporary files.

Python turns Ctrl-C into :class:`KeyboardInterrupt`, which runs every ``with AtomicFile`` /
``OutputSet`` exit and removes the temporary files. SIGTERM (``kill``, a service manager, a CI
timeout) would otherwise end the process on the spot and leave them. :func:`sigterm_unwinds`
makes SIGTERM raise :class:`Terminated` in the main thread instead.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

TERMINATED_EXIT = 128 + signal.SIGTERM  # 143, what the shell reports for a process killed by SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived. A :class:`KeyboardInterrupt`, so code that cleans up after Ctrl-C does the
    same here (a webcam capture keeps what it recorded; a file run discards its outputs)."""


def _raise_terminated(signum, frame) -> None:
    # One unwind is enough: a second SIGTERM must not cut the clean-up short.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread; the previous
    handler is restored afterwards. Outside the main thread (where Python cannot set handlers)
    it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
