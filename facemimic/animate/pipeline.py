"""Two-stage frame pipeline: stage one on the calling thread, stage two on a worker, in order.

Why: on a 2-core machine the closed loop's per-frame work splits into a chain that cannot overlap
with itself (render a trial, re-track it, correct: the next frame needs the correction) and work
that only follows it (the final render and the video encoding). NumPy, OpenCV, MediaPipe and the
H.264 encoder release the GIL for most of their work, so running the second part one frame behind
on another thread uses both cores (measured: see docs/journal/animate.md, "Measured").

>>> run_two_stage(frames, anim.plan, lambda plan: video.write(anim.draw(plan, scratch=s)))  # doctest: +SKIP
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
U = TypeVar("U")

_DONE = object()


def run_two_stage(items: Iterable[T], first: Callable[[T], U], second: Callable[[U], None], *,
                  depth: int = 3, progress: Callable[[int], None] | None = None) -> int:
    """``second(first(item))`` for every item, in order: ``first`` here, ``second`` on a worker
    thread up to ``depth`` items behind.

    Parameters
    ----------
    items : iterable
        The work, in order.
    first : callable
        Runs on the calling thread, item by item, in order.
    second : callable
        Runs on one worker thread, in the same order; it must not share mutable state with
        ``first`` (give it its own buffers).
    depth : int
        How many results of ``first`` may wait for ``second``.
    progress : callable, optional
        ``progress(done)`` on the calling thread, once for every item ``second`` has finished
        (1, 2, … in order; some calls may come together).

    Returns
    -------
    int
        Items completed.

    Raises
    ------
    Whatever ``first`` or ``second`` raised (the other stage is stopped first, and the worker has
    always finished when this returns or raises, so the caller may close what ``second`` writes to).
    """
    q: queue.Queue = queue.Queue(maxsize=max(int(depth), 1))
    stop = threading.Event()
    failure: list[BaseException] = []
    done = [0]

    def work() -> None:
        try:
            while True:
                try:
                    item = q.get(timeout=0.05)
                except queue.Empty:
                    if stop.is_set():
                        return
                    continue
                if item is _DONE or stop.is_set():
                    return
                second(item)
                done[0] += 1
        except BaseException as e:  # noqa: BLE001 - handed to the calling thread and raised there
            failure.append(e)
            stop.set()

    worker = threading.Thread(target=work, name="facemimic-frame-writer", daemon=True)
    worker.start()
    reported = 0

    def report() -> None:
        nonlocal reported
        if progress is None:
            return
        finished = done[0]
        while reported < finished:
            reported += 1
            progress(reported)

    try:
        for item in items:
            result = first(item)
            while True:
                if stop.is_set():  # the worker failed: its error is raised below
                    break
                try:
                    q.put(result, timeout=0.05)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                break
            report()
        else:
            while not stop.is_set():
                try:
                    q.put(_DONE, timeout=0.05)
                    break
                except queue.Full:
                    continue
            worker.join()
    finally:
        if worker.is_alive():  # an error here (or Ctrl-C): stop the worker before the caller cleans up
            stop.set()
            worker.join()
    if failure:
        raise failure[0]
    report()
    return done[0]
