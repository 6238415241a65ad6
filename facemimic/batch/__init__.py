"""Batch: a corpus of files -> a Parquet dataset, on a local process pool or a Ray cluster.

    >>> from facemimic.batch import BatchOptions, WorkSpec, run_batch          # doctest: +SKIP
    >>> run_batch(["videos/**/*.mp4"], "dataset/", BatchOptions(WorkSpec("track"), workers=2))  # doctest: +SKIP
    >>> import pandas as pd; pd.read_parquet("dataset/")                         # doctest: +SKIP

Modules, one job each: :mod:`options` (what to do, where to run), :mod:`corpus` (patterns -> files,
source ids, content hashes), :mod:`work` (one file -> rows, in a worker), :mod:`engines` (local pool,
Ray Data), :mod:`dataset` (partitions, manifest, readers), :mod:`schema` (the columns),
:mod:`runner` (plan, run, commit). Nothing heavy is imported here.
"""

from __future__ import annotations

from importlib import import_module

_LAZY = {
    "BatchOptions": "options", "WorkSpec": "options", "TASKS": "options",
    "run_batch": "runner", "BatchSummary": "runner",
    "read_dataset": "dataset", "read_manifest": "dataset", "read_tracks": "dataset", "is_dataset": "dataset",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_LAZY)
