"""``run_batch``: plan a corpus against its dataset, run the engine, commit each file as it finishes.

Planning (all in the driver): expand the patterns, hash every file (reusing the manifest's hash
when size and modification time are unchanged), then skip the files whose manifest record is
``done`` or ``no_face`` for the same content hash and options. A file whose last attempt failed is
tried again, once per run; one that failed ``MAX_ATTEMPTS`` times in a row is left alone (and
reported) until its content or the options change, or ``force`` is given.

Committing: the driver writes each finished file's partition atomically, then appends its manifest
line; Ctrl-C or SIGTERM stops the workers, folds the journal into ``_manifest.parquet`` and leaves
only whole partitions behind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .corpus import SourceFile, content_hash, expand
from .dataset import Manifest, open_dataset_folder, remove_partition, write_partition
from .options import SCHEMA_VERSION, BatchOptions, WorkSpec
from .work import FileResult, one_line

# A file is attempted at most this many times in a row (over runs) while it keeps failing.
MAX_ATTEMPTS = 2
FINAL = ("done", "no_face")


@dataclass
class BatchSummary:
    """What a run did (also what the progress callback sees while it runs)."""

    total: int = 0  # files in the corpus
    skipped: int = 0  # already done with the same content and options
    gave_up: int = 0  # failed MAX_ATTEMPTS times before; not tried this run
    todo: int = 0  # files sent to workers this run
    finished: int = 0  # of those, finished so far
    done: int = 0
    no_face: int = 0
    failed: int = 0
    frames: int = 0  # input frames processed this run
    rows: int = 0
    started: float = field(default_factory=time.perf_counter)
    errors: list = field(default_factory=list)  # one line per failed / faceless file this run

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def plan(files: list[SourceFile], manifest: Manifest, key: str, *, force: bool, summary: BatchSummary):
    """``[(SourceFile, content hash or None, failed attempts so far, error or "")]`` to process (a file
    that cannot even be read for its hash comes with its error); counts skips into ``summary``."""
    todo = []
    for f in files:
        rec = manifest.get(f.source_id)
        try:
            h = content_hash(f, rec)
        except Exception as e:  # noqa: BLE001 - an unreadable file is recorded, the batch goes on
            failed_before = rec is not None and rec["status"] == "failed" and not rec.get("content_hash")
            todo.append((f, None, (rec.get("attempts") or 0) if failed_before else 0, one_line(f.path, e)))
            continue
        same = rec is not None and rec.get("content_hash") == h and rec.get("options_key") == key
        if same and not force:
            if rec["status"] in FINAL:
                summary.skipped += 1
                continue
            if (rec.get("attempts") or 0) >= MAX_ATTEMPTS:
                summary.gave_up += 1
                summary.errors.append(f"{rec.get('error')} (failed {rec.get('attempts')} times; not retried)")
                continue
        attempts = (rec.get("attempts") or 0) if (same and rec["status"] == "failed" and not force) else 0
        todo.append((f, h, attempts, ""))
    return todo


def normalized(spec: WorkSpec) -> WorkSpec:
    """``spec`` with only the capture options that differ from the defaults (checked now, not once per
    file in the workers), so ``max_faces=1`` given or not is the same run and the same resume key."""
    if spec.task not in ("track", "analyze"):
        return replace(spec, capture=())
    from ..capture.api import CaptureOptions

    chosen = CaptureOptions.from_kwargs(None, **spec.capture_kwargs)
    default = CaptureOptions()
    return replace(spec, capture=tuple((f.name, getattr(chosen, f.name)) for f in fields(CaptureOptions)
                                       if getattr(chosen, f.name) != getattr(default, f.name)))


def run_batch(patterns: "list[str] | tuple[str, ...]", output: str | Path, options: BatchOptions | None = None,
              *, progress: Callable[[BatchSummary, FileResult | None], None] | None = None) -> BatchSummary:
    """Process every file matched by ``patterns`` into the Parquet dataset ``output``.

    Parameters
    ----------
    patterns : list of str
        Files, folders or glob patterns (``"videos/**/*.mp4"``).
    output : path
        The dataset folder (created; reopened to resume).
    options : BatchOptions, optional
        Task, capture/lip-sync options, engine, workers, cluster address, ``force``.
    progress : callable, optional
        ``progress(summary, result)`` after planning (result None) and after each file.

    Returns
    -------
    BatchSummary
        Counts, frames, rows and the error line of each file that failed or had no face.

    Raises
    ------
    InputError, OutputError, ParameterError
        No file matched, the output folder is unusable, a bad option. A bad *file* never raises.
    """
    from ..expressions.track import ExpressionTrack  # noqa: F401 - fail here, not in every worker
    from .engines import default_workers, run_local, run_ray

    opts = options or BatchOptions()
    spec = normalized(opts.spec)
    key = spec.key()
    suffixes = None
    if spec.task == "lipsync":
        from .corpus import AUDIO_SUFFIXES, VIDEO_SUFFIXES

        suffixes = AUDIO_SUFFIXES + VIDEO_SUFFIXES
    files = expand(list(patterns), suffixes=suffixes, exclude=output)
    created = not Path(output).exists()
    root = open_dataset_folder(output, spec.task, {"schema": SCHEMA_VERSION, "spec": spec.describe(),
                                                   "options_key": key})
    try:
        lock = _lock(root)
    except BaseException:
        _forget(root, created, None)
        raise
    manifest = Manifest(root)
    summary = BatchSummary(total=len(files))
    todo = plan(files, manifest, key, force=opts.force, summary=summary)
    summary.todo = len(todo)
    by_id = {f.source_id: (f, attempts) for f, _h, attempts, _e in todo}
    forget = False
    try:
        # Unreadable files fail at once, without a worker.
        runnable = []
        for f, h, attempts, error in todo:
            if h is None:
                _commit(root, manifest, FileResult(f.source_id, f.path, "", "failed", error=error), f, key,
                        spec.task, attempts, summary, progress)
            else:
                runnable.append((f.path, f.source_id, h))
        if progress:
            progress(summary, None)
        if runnable:
            if opts.engine == "ray":
                results = run_ray(runnable, spec, opts.workers, opts.address)
            else:
                results = run_local(runnable, spec, opts.workers or default_workers())
            try:
                for res in results:
                    f, attempts = by_id[res.source_id]
                    _commit(root, manifest, res, f, key, spec.task, attempts, summary, progress)
            finally:
                results.close()  # Ctrl-C / SIGTERM: stop the workers now
    except BaseException:
        # A run that failed before recording any file (a Ray cluster that cannot be reached, Ctrl-C
        # while workers start) leaves no dataset of its own making behind: nothing half-written.
        forget = created and not manifest.rows
        raise
    finally:
        if forget:
            lock.close()
            _forget(root, created, manifest)
        else:
            try:
                manifest.save()
            finally:
                lock.close()
    return summary


def _forget(root: Path, created: bool, manifest) -> None:
    """Remove a dataset folder this run created and recorded nothing in (else leave it as it is)."""
    import shutil

    if not created or (manifest is not None and manifest.rows):
        return
    from .dataset import INFO_FILE, JOURNAL_FILE, LOCK_FILE, MANIFEST_FILE

    if {p.name for p in root.iterdir()} <= {INFO_FILE, LOCK_FILE, MANIFEST_FILE, JOURNAL_FILE}:
        shutil.rmtree(root, ignore_errors=True)


def _lock(root: Path):
    """An exclusive lock on the dataset for this run (``_batch.lock``): two runs writing one dataset at
    once would each fold the other's records away."""
    from ..errors import OutputError

    from .dataset import LOCK_FILE

    f = (root / LOCK_FILE).open("a")
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; one run at a time is up to the user
        return f
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise OutputError(root, "another `facemimic batch` run is writing this dataset") from None
    return f


def _commit(root: Path, manifest: Manifest, res: FileResult, f: SourceFile, key: str, task: str, attempts: int,
            summary: BatchSummary, progress) -> None:
    """Partition first (atomic), then the manifest line: a recorded ``done`` always has its rows."""
    t0 = time.perf_counter()
    if res.status == "done":
        write_partition(root, res.source_id, res.table)
    else:
        remove_partition(root, res.source_id)  # rows of an older version of the file would be stale
    write_s = time.perf_counter() - t0
    manifest.record({
        "source_id": res.source_id, "path": res.path, "content_hash": res.content_hash or None, "size": f.size,
        "mtime_ns": f.mtime_ns, "options_key": key, "task": task, "status": res.status, "error": res.error,
        "attempts": attempts + 1 if res.status == "failed" else 0, "frames": res.frames, "rows": res.rows,
        "faces": res.faces, "duration": res.duration, "seconds": round(res.seconds, 4), "cpu_seconds": round(res.cpu_seconds, 4),
        "write_seconds": round(write_s, 4), "worker": res.worker, "worker_rss_mb": round(res.worker_rss_mb, 1),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    summary.finished += 1
    summary.frames += res.frames
    summary.rows += res.rows
    setattr(summary, res.status, getattr(summary, res.status) + 1)
    if res.error:
        summary.errors.append(res.error)
    if progress:
        progress(summary, res)


__all__ = ["BatchSummary", "MAX_ATTEMPTS", "normalized", "plan", "run_batch"]
