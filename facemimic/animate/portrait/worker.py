"""One background thread, started on first use, that a forked child starts afresh.

The portrait renderer draws the mouth's interior and the creases' masks beside its warp, and the
lagged closed loop re-tracks each drawn frame while the next is planned: each on one such thread.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor


class OneThread:
    """A lazily started one-thread executor. A forked child inherits the executor but not its
    thread (work submitted there would never run), so a submit in another process starts a new one."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0

    @property
    def running(self) -> bool:
        """Whether a thread has been started and not closed."""
        return self._pool is not None

    def submit(self, fn, /, *args, **kwargs) -> Future:
        """Run ``fn(*args, **kwargs)`` on the thread (started now if needed)."""
        if self._pool is None or self._pid != os.getpid():
            self._pool = ThreadPoolExecutor(1, thread_name_prefix=self.name)
            self._pid = os.getpid()
        return self._pool.submit(fn, *args, **kwargs)

    def close(self) -> None:
        """Finish what was submitted and stop the thread (a later submit starts another)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
