"""The dataset folder: one Parquet partition per source file, a manifest, and readers.

Layout (docs/batch.md)::

    dataset/
      _dataset.json                        task, options and schema version of the dataset
      _manifest.parquet                    one row per input file: status, error, frames, timings
      _manifest.jsonl                      the same rows as they finished, newest last (the journal)
      source_id=<stem>-<hash>/frames.parquet   the rows of one file

Names starting with ``_`` or ``.`` are skipped by Parquet readers (pyarrow, pandas, DuckDB's hive
globs, Ray Data), so ``pandas.read_parquet("dataset/")`` reads exactly the frames, with
``source_id`` from the folder name.

Consistency: a partition is written under a temporary name and renamed into place
(:class:`~facemimic.common.files.AtomicFile`), and only then is its manifest line appended (and
flushed to disk). An interrupted run therefore leaves whole partitions and a manifest that claims
none it does not have; a partition without a manifest line is simply done again on the next run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..errors import InputError, OutputError

DATASET_TAG = "facemimic.batch"
PARTITION_KEY = "source_id"
PARTITION_FILE = "frames.parquet"
INFO_FILE = "_dataset.json"
MANIFEST_FILE = "_manifest.parquet"
JOURNAL_FILE = "_manifest.jsonl"
LOCK_FILE = "_batch.lock"  # held by the run writing the dataset (runner._lock)


def partition_path(root: str | Path, source_id: str) -> Path:
    """Where the rows of ``source_id`` live."""
    return Path(root) / f"{PARTITION_KEY}={source_id}" / PARTITION_FILE


def write_partition(root: str | Path, source_id: str, table) -> Path:
    """Write one file's rows atomically (temporary name, then rename over any older version)."""
    import pyarrow.parquet as pq

    from ..common.files import AtomicFile

    target = partition_path(root, source_id)
    target.parent.mkdir(exist_ok=True)
    with AtomicFile(target, "wb") as out:
        pq.write_table(table, out.file, compression="zstd")
    return target


def remove_partition(root: str | Path, source_id: str) -> None:
    """Drop a file's rows (its new content failed or has no face: old rows would be stale)."""
    folder = partition_path(root, source_id).parent
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)


def open_dataset_folder(root: str | Path, task: str, spec_info: dict) -> Path:
    """Create (or reopen) a dataset folder for ``task``; refuse a folder that holds something else.

    Leftovers of an interrupted run (temporary files, empty partition folders) are removed.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise OutputError(root, "is a file, not a dataset folder")
    if not root.parent.is_dir():
        raise OutputError(root, f"folder {str(root.parent)!r} does not exist")
    info_path = root / INFO_FILE
    if root.is_dir():
        if info_path.exists():
            info = read_info(root)
            if info.get("task") != task:
                raise OutputError(root, f"holds a {info.get('task')!r} dataset; write {task!r} rows to another folder")
        elif any(not p.name.startswith(".") and p.name != LOCK_FILE for p in root.iterdir()):
            raise OutputError(root, "is a folder that is not a FaceMimic batch dataset (and not empty)")
    try:
        root.mkdir(exist_ok=True)
        for p in root.iterdir():  # an interrupted run's temporary files and empty partition folders
            if p.is_dir() and p.name.startswith(PARTITION_KEY + "="):
                for tmp in p.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
                if not any(p.iterdir()):
                    p.rmdir()
            elif p.name.startswith(".") and p.name.endswith(".tmp"):
                p.unlink(missing_ok=True)
        from ..common.files import AtomicFile

        with AtomicFile(info_path, "w") as out:
            json.dump({"format": DATASET_TAG, "task": task, **spec_info}, out.file, indent=1)
    except OSError as e:
        from ..common.files import write_error

        raise write_error(root, e) from None
    return root


def read_info(root: str | Path) -> dict:
    """The dataset's ``_dataset.json`` (task, options, schema)."""
    from ..common.files import read_json_file

    info = read_json_file(Path(root) / INFO_FILE, "dataset description")
    if not isinstance(info, dict) or info.get("format") != DATASET_TAG:
        raise InputError(Path(root) / INFO_FILE, "not a FaceMimic batch dataset description")
    return info


class Manifest:
    """The per-file records of a dataset: ``_manifest.parquet`` plus the journal's newer lines.

    :meth:`record` appends one JSON line and flushes it to disk (cheap, safe against a kill at any
    moment); :meth:`save` folds everything into ``_manifest.parquet`` atomically (end of a run,
    also after Ctrl-C) and empties the journal.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.rows: dict[str, dict] = {}  # source_id -> record
        table_path = self.root / MANIFEST_FILE
        if table_path.exists():
            import pyarrow.parquet as pq

            try:
                for r in pq.read_table(table_path).to_pylist():
                    self.rows[r["source_id"]] = r
            except Exception as e:  # noqa: BLE001 - a damaged manifest is named, never a traceback
                raise InputError(table_path, f"damaged manifest ({e}); delete it to process every file again") from None
        journal = self.root / JOURNAL_FILE
        if journal.exists():
            with journal.open(encoding="utf-8") as f:
                for line in f:
                    try:
                        r = json.loads(line)
                    except json.JSONDecodeError:  # the last line of a run killed mid-write
                        continue
                    self.rows[r["source_id"]] = r
        self._journal = None

    def get(self, source_id: str) -> dict | None:
        return self.rows.get(source_id)

    def record(self, row: dict) -> None:
        """Add or replace a file's record (journal line, flushed and synced)."""
        from .schema import MANIFEST_SCHEMA

        row = {f.name: row.get(f.name) for f in MANIFEST_SCHEMA}
        self.rows[row["source_id"]] = row
        if self._journal is None:
            self._journal = (self.root / JOURNAL_FILE).open("a", encoding="utf-8")
        self._journal.write(json.dumps(row) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def save(self) -> Path:
        """Write ``_manifest.parquet`` (sorted by path) atomically and clear the journal."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..common.files import AtomicFile
        from .schema import MANIFEST_SCHEMA

        rows = sorted(self.rows.values(), key=lambda r: r["path"])
        table = pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA)
        with AtomicFile(self.root / MANIFEST_FILE, "wb") as out:
            pq.write_table(table, out.file)
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        (self.root / JOURNAL_FILE).unlink(missing_ok=True)
        return self.root / MANIFEST_FILE


# -- readers ------------------------------------------------------------------------------------
def _check_dataset(root: str | Path) -> Path:
    root = Path(root)
    if not root.exists():
        raise InputError(root, "dataset folder not found")
    if not root.is_dir() or not (root / INFO_FILE).exists():
        raise InputError(root, "not a FaceMimic batch dataset (no _dataset.json; make one with `facemimic batch`)")
    return root


def is_dataset(path: str | Path) -> bool:
    """Whether ``path`` is a batch dataset folder."""
    return Path(path).is_dir() and (Path(path) / INFO_FILE).exists()


def read_manifest(root: str | Path):
    """The manifest as a ``pyarrow.Table`` (one row per input file; journal lines included)."""
    import pyarrow as pa

    from .schema import MANIFEST_SCHEMA

    m = Manifest(_check_dataset(root))
    return pa.Table.from_pylist(sorted(m.rows.values(), key=lambda r: r["path"]), schema=MANIFEST_SCHEMA)


def read_dataset(root: str | Path, *, columns: list[str] | None = None, filters=None):
    """The rows of a dataset as one ``pyarrow.Table`` (``source_id`` from the partition folders).

    Parameters
    ----------
    root : path
        The dataset folder.
    columns : list of str, optional
        Columns to read (all by default).
    filters : optional
        pyarrow filter expression or DNF list, e.g. ``[("source_id", "=", sid)]``.
    """
    import pyarrow.dataset as ds

    from .schema import schema

    root = _check_dataset(root)
    task = read_info(root)["task"]
    import pyarrow as pa

    part = ds.partitioning(pa.schema([pa.field(PARTITION_KEY, pa.string())]), flavor="hive")
    d = ds.dataset(root, format="parquet", partitioning=part, schema=schema(task).append(
        pa.field(PARTITION_KEY, pa.string())))
    expr = filters if filters is None or isinstance(filters, ds.Expression) else _dnf(filters)
    return d.to_table(columns=columns, filter=expr)


def _dnf(filters) -> "object":
    import pyarrow.compute as pc

    ops = {"=": lambda f, v: f == v, "==": lambda f, v: f == v, "!=": lambda f, v: f != v,
           "in": lambda f, v: f.isin(v)}
    expr = None
    for name, op, value in filters:
        term = ops[op](pc.field(name), value)
        expr = term if expr is None else expr & term
    return expr


def read_tracks(root: str | Path, *, source: str | None = None) -> dict:
    """``{path: ExpressionTrack}`` for the files of a ``track``/``analyze`` dataset (or only ``source``:
    a source id, a path, or a file name that names one file).

    Raises
    ------
    InputError
        Not a capture dataset, or ``source`` names no file / several files of it.
    """
    import numpy as np

    from ..expressions.names import UE_NAMES
    from ..expressions.track import ExpressionTrack

    root = _check_dataset(root)
    info = read_info(root)
    if info["task"] not in ("track", "analyze"):
        raise InputError(root, f"a {info['task']!r} dataset holds no face tracks (use one from `batch track` or "
                               "`batch analyze`)")
    done = [r for r in Manifest(root).rows.values() if r["status"] == "done"]
    if source is not None:
        hits = [r for r in done if source in (r["source_id"], r["path"], Path(r["path"]).name)]
        if not hits:
            names = ", ".join(sorted(Path(r["path"]).name for r in done)[:8])
            raise InputError(root, f"no file {source!r} done in this dataset; files: {names or 'none'}")
        if len(hits) > 1:
            raise InputError(root, f"{source!r} names {len(hits)} files; give a source id: "
                                   + ", ".join(r["source_id"] for r in hits))
        done = hits
    out = {}
    capture = info.get("spec", {}).get("capture", {})
    units = capture.get("units", "extent")
    for r in sorted(done, key=lambda r: r["path"]):
        t = read_dataset(root, filters=[(PARTITION_KEY, "=", r["source_id"])])
        t = t.sort_by([("frame", "ascending"), ("face_id", "ascending")])
        col = {name: t.column(name).to_numpy(zero_copy_only=False) for name in t.column_names
               if name not in ("path", "content_hash", PARTITION_KEY)}
        n = t.num_rows
        arrays = {"time": col["time"], "weights": np.stack([col[c] for c in UE_NAMES], 1) if n else
                  np.zeros((0, len(UE_NAMES)), np.float32),
                  "gaze": np.stack([col["gaze_left_x"], col["gaze_left_y"], col["gaze_right_x"],
                                    col["gaze_right_y"]], 1).reshape(n, 2, 2),
                  "openness": np.stack([col["openness_left"], col["openness_right"]], 1),
                  "head_rotation": np.stack([col["head_yaw"], col["head_pitch"], col["head_roll"]], 1),
                  "head_position": np.stack([col["head_x"], col["head_y"], col["head_z"]], 1),
                  "confidence": col["confidence"], "face_id": col["face_id"], "present": col["present"]}
        fps = r["frames"] / r["duration"] if r["duration"] else 30.0
        # the unit and MediaPipe's mode, so readers of MediaPipe-scale weights convert them (docs/units.md)
        mode = "image" if capture.get("smoothing") == "raw" or r["frames"] == 1 else "video"
        meta = {"source": r["path"], "units": units, "capture": {"mode": mode, **capture},
                "batch": {"dataset": str(root), "source_id": r["source_id"]}}
        out[r["path"]] = ExpressionTrack.from_arrays(arrays, fps=fps, metadata=meta, origin=str(root))
    return out


__all__ = ["Manifest", "is_dataset", "open_dataset_folder", "partition_path", "read_dataset", "read_info",
           "read_manifest", "read_tracks", "remove_partition", "write_partition"]
