"""Engines: spread files over workers and hand back one ``FileResult`` per file as it finishes.

* ``local``: a process pool on this machine (no extra dependency). Each pool process builds one
  :class:`FileWorker` when it starts and keeps it for its lifetime.
* ``ray``: Ray Data, ``map_batches`` with a callable class over an actor pool, one file per batch;
  the same code runs on a laptop (Ray started locally) or a cluster (``address``). Each actor holds
  one :class:`FileWorker`.

Both call the same :meth:`FileWorker.process` on the same paths, so they give identical rows. Results
come back to the caller (the driver), which alone writes the dataset: workers need to read the
input files but never write anywhere.
"""

from __future__ import annotations

import os
import pickle
from contextlib import contextmanager
from typing import Iterator

from .options import WorkSpec

# (path, source_id, content_hash) of one file to process
Item = tuple[str, str, str]
# One core per worker: BLAS thread pools inside each would oversubscribe the machine. Set in a
# worker before it imports NumPy (this module imports neither NumPy nor .work at the top for that).
WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# What a Ray started here for one run does without (documented opt-outs; a cluster given with
# --address is left as its owners configured it): usage stats, which also makes Ray Data's driver poll
# a Prometheus server every 10 s during a run.
LOCAL_RAY_ENV = {**WORKER_ENV, "RAY_USAGE_STATS_ENABLED": "0"}
# ray.init for that Ray ("local": a new instance, not one that `ray start` left running), with neither
# dashboard nor the workers' output copied to this terminal
LOCAL_RAY_INIT = {"address": "local", "include_dashboard": False, "log_to_driver": False}

_WORKER = None  # this pool process's FileWorker (local engine)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` set in ``os.environ`` for the block; each variable's previous value (or its
    absence) is restored after it."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _init_local(spec: WorkSpec) -> None:
    import signal

    for k, v in WORKER_ENV.items():
        os.environ.setdefault(k, v)
    # Ctrl-C reaches the whole process group: the driver decides what happens, workers carry on
    # until it stops them (so no worker dies half-way through a message).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .work import FileWorker

    global _WORKER
    _WORKER = FileWorker(spec)


def _process_local(item: Item):
    return _WORKER.process(*item)


def _failed(item: Item, error: str):
    from .work import FileResult

    return FileResult(source_id=item[1], path=item[0], content_hash=item[2], status="failed", error=error)


def run_local(items: list[Item], spec: WorkSpec, workers: int) -> Iterator:
    """Process ``items`` on a pool of ``workers`` processes; yields results in completion order.

    A worker process that dies (a crash inside native code) does not stop the batch: the files that
    were in flight are done again afterwards one at a time in a fresh process, so a file that crashes
    its worker again fails alone, with that reason, and the others get their rows.
    """
    from collections import deque

    suspects: list[Item] = []
    yield from _pool_run(deque(items), spec, workers, suspects)
    for it in suspects:
        crashed: list[Item] = []
        yield from _pool_run(deque([it]), spec, 1, crashed)
        if crashed:
            yield _failed(it, f"{it[0]}: the worker process died on this file (killed or crashed)")


def _pool_run(queue, spec: WorkSpec, workers: int, crashed: list) -> Iterator:
    """Run ``queue`` through pools; items in flight when a pool breaks go to ``crashed``."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    while queue:
        # spawn: a clean interpreter per worker (forking a driver that runs a progress thread, or
        # has Ray loaded, is unsafe)
        n = max(1, min(workers, len(queue)))
        pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_local, initargs=(spec,))
        try:
            pending: dict = {}
            broken = False
            while (queue or pending) and not broken:
                while queue and len(pending) < n:  # at most one file in flight per worker
                    it = queue.popleft()
                    pending[pool.submit(_process_local, it)] = it
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    it = pending.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        crashed.append(it)
                        continue
                    yield result
            crashed.extend(pending.values())  # in flight when the pool broke
        finally:
            _stop_pool(pool)


def _stop_pool(pool) -> None:
    """Shut a pool down now: queued work cancelled, running workers terminated (Ctrl-C, SIGTERM)."""
    procs = list(getattr(pool, "_processes", {}).values())  # no public handle before Python 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


class RayFileWorker:
    """The Ray Data callable class: one :class:`FileWorker` per actor, one file per batch."""

    def __init__(self, spec: WorkSpec) -> None:
        for k, v in WORKER_ENV.items():
            os.environ.setdefault(k, v)
        from .work import FileWorker

        self.worker = FileWorker(spec)

    def __call__(self, batch: dict) -> dict:
        import numpy as np

        out = [pickle.dumps(self.worker.process(str(p), str(s), str(h)))
               for p, s, h in zip(batch["path"], batch["source_id"], batch["content_hash"])]
        return {"result": np.array(out, dtype=object)}


def run_ray(items: list[Item], spec: WorkSpec, workers: int | None, address: str | None) -> Iterator:
    """Process ``items`` with Ray Data on an actor pool; yields results as they finish.

    Ray is started locally (all CPUs, see ``LOCAL_RAY_ENV`` and ``LOCAL_RAY_INIT``) unless it is
    already running in this process or ``address`` (or ``RAY_ADDRESS``) names a cluster, which is
    joined as it is configured; a Ray started here is shut down at the end.
    """
    import logging

    try:
        import ray
        import ray.data
    except ImportError:
        from ..errors import ParameterError

        raise ParameterError('--engine ray needs Ray: pip install "facemimic[ray]"') from None
    started = not ray.is_initialized()
    address = address or os.environ.get("RAY_ADDRESS") or None  # Ray's own variable names a cluster too
    local = started and address is None
    with environment(LOCAL_RAY_ENV if local else {}):
        try:
            if local:
                # A Ray of our own on this machine: its raylet, and so every worker it starts, inherits
                # this environment. (A job runtime_env would do the same but makes Ray start a fresh
                # worker process for each actor instead of using the ones it prestarted: 3.4 CPU seconds
                # more per run.)
                ray.init(**LOCAL_RAY_INIT, logging_level=logging.ERROR)
            elif started:
                # A cluster: its configuration is its owners'; this job only asks for its workers' environment.
                ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR,
                         runtime_env={"env_vars": dict(WORKER_ENV)})
            logging.getLogger("ray.data").setLevel(logging.WARNING)
            ctx = ray.data.DataContext.get_current()
            ctx.enable_progress_bars = False  # the CLI shows its own bar
            ctx.verbose_progress = False
            n = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
            n = max(1, min(n, len(items)))
            ds = ray.data.from_items([{"path": p, "source_id": s, "content_hash": h} for p, s, h in items],
                                     override_num_blocks=len(items))
            results = ds.map_batches(RayFileWorker, fn_constructor_kwargs={"spec": spec}, batch_size=1,
                                     batch_format="numpy", num_cpus=1,
                                     compute=ray.data.ActorPoolStrategy(size=n, max_tasks_in_flight_per_actor=1))
            batches = iter(results.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0))
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    break
                except Exception as e:  # noqa: BLE001 - Ray gave up (an actor crashed past its retries, a node was lost)
                    from ..errors import FaceMimicError

                    first = next((ln for ln in str(e).splitlines() if ln.strip()), type(e).__name__)
                    raise FaceMimicError(f"the Ray run stopped ({first.strip()[:300]}); the files finished so far "
                                         "are in the dataset: run again to continue") from None
                for blob in batch["result"]:
                    yield pickle.loads(blob)  # written by RayFileWorker just above, in our own workers
        finally:
            if started and ray.is_initialized():
                ray.shutdown()


def default_workers() -> int:
    """Local workers when none are asked for: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


__all__ = ["RayFileWorker", "default_workers", "run_local", "run_ray"]
