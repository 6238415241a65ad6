"""Independent jobs on several cores: fork the process after the models are loaded.

pocketsphinx holds the GIL while it decodes, so threads do not help. A forked child shares the
loaded decoders (copy-on-write, nothing to load again) and sends its results back through a
pipe. Forking is used only where it is safe: on Linux, from a process with no other thread
running (a lock held by another thread would stay locked in the child forever). Anywhere else
the jobs simply run one after another; results are the same either way, provided each job is
independent of what ran before it in the process.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from typing import Callable, Sequence, TypeVar

J = TypeVar("J")
R = TypeVar("R")


def cpu_workers() -> int:
    """Cores this process may run on (its affinity mask), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


def can_fork() -> bool:
    """True where :func:`fork_map` forks: Linux, and no other thread alive in this process."""
    return hasattr(os, "fork") and sys.platform.startswith("linux") and threading.active_count() == 1


def _shares(costs: Sequence[float], workers: int) -> list[list[int]]:
    """Job indices per worker, longest first onto the least loaded worker (balanced loads)."""
    loads = [0.0] * workers
    shares: list[list[int]] = [[] for _ in range(workers)]
    for i in sorted(range(len(costs)), key=lambda i: -costs[i]):
        w = loads.index(min(loads))
        shares[w].append(i)
        loads[w] += costs[i]
    return [sorted(s) for s in shares if s]


def fork_map(fn: Callable[[J], R], jobs: Sequence[J], *, workers: int,
             costs: Sequence[float] | None = None) -> tuple[list[R], int]:
    """``[fn(job) for job in jobs]``, spread over up to ``workers`` processes.

    Parameters
    ----------
    fn : callable
        Runs one job; must not depend on jobs run before it in the same process. Its results
        must pickle. An exception it raises in a child makes the parent run that child's jobs
        itself, so errors surface where they would have without forking.
    jobs : sequence
    workers : int
        Processes to use, this one included (1: no fork).
    costs : sequence of float, optional
        Expected cost per job, to balance the shares (default: equal).

    Returns
    -------
    (results, processes)
        Results in job order, and how many processes shared the work.
    """
    jobs = list(jobs)
    workers = min(int(workers), len(jobs))
    if workers <= 1 or not can_fork():
        return [fn(j) for j in jobs], 1
    shares = _shares(list(costs) if costs is not None else [1.0] * len(jobs), workers)
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int, list[int]]] = []
    for share in shares[1:]:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: run the share, send it back, never return to the caller
            try:
                os.close(r)
                try:
                    data = pickle.dumps([fn(jobs[i]) for i in share], pickle.HIGHEST_PROTOCOL)
                except BaseException:  # noqa: BLE001 - the parent redoes the share
                    data = b""
                with os.fdopen(w, "wb") as f:
                    f.write(data)
            finally:
                os._exit(0)
        os.close(w)
        children.append((pid, r, share))
    results: dict[int, R] = {}
    finished = False
    try:
        for i in shares[0]:
            results[i] = fn(jobs[i])
        finished = True
    finally:
        done = []
        for pid, r, share in children:
            if not finished:  # this process failed: the children's work is of no use
                import signal

                os.kill(pid, signal.SIGKILL)
            with os.fdopen(r, "rb") as f:
                data = f.read()
            os.waitpid(pid, 0)
            done.append((share, data))
    for share, data in done:
        try:
            got = pickle.loads(data) if data else None
        except Exception:  # noqa: BLE001 - a damaged answer: redo the share here
            got = None
        if got is None or len(got) != len(share):
            got = [fn(jobs[i]) for i in share]
        results.update(zip(share, got))
    return [results[i] for i in range(len(jobs))], len(shares)


__all__ = ["can_fork", "cpu_workers", "fork_map"]
