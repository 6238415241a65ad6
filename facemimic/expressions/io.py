"""Track files: JSON Lines, CSV and NPZ, behind one writer/reader registry.

Every writer streams (frames are written as they come, so a 10-minute capture never sits in memory
for JSONL/CSV) and is atomic: it writes ``<name>.<random>.tmp`` beside the target and renames it on
success, so a failed or interrupted run never leaves a half-written file.

Schema version 1 (documented in the README, "Track files"):

* **JSONL**: line 1 is a header ``{"format": "facemimic.track", "schema": 1, "fps", "names",
  "metadata"}``; then one object per frame: ``t``, ``face``, ``present``, ``confidence``,
  ``head`` ``{yaw, pitch, roll, x, y, z}``, ``eyes`` ``{left: {gaze: [x, y], openness},
  right: …}``, ``weights`` (88 numbers in ``names`` order). Gaps have ``present: false`` and
  ``weights``/``head`` ``null``.
* **CSV**: one header row of named columns (see :data:`CSV_COLUMNS`), one row per frame; gaps have
  empty cells. No comment lines, so ``pandas.read_csv`` reads it as is.
* **NPZ**: the column arrays of :meth:`ExpressionTrack.to_arrays` plus ``header`` (the JSON header
  as a string).
"""

from __future__ import annotations

import csv
import json
import math
import zipfile
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..common.files import AtomicFile, AtomicOutput
from ..errors import InputError, UnknownNameError, suggest
from .frame import ExpressionFrame
from .names import N_UE, UE_NAMES
from .track import ExpressionTrack

SCHEMA_VERSION = 1
FORMAT_TAG = "facemimic.track"
_EYE_COLS = ("gaze_left_x", "gaze_left_y", "gaze_right_x", "gaze_right_y", "openness_left", "openness_right")
_HEAD_COLS = ("head_yaw", "head_pitch", "head_roll", "head_x", "head_y", "head_z")
CSV_COLUMNS: tuple[str, ...] = ("time", "face_id", "present", "confidence") + _HEAD_COLS + _EYE_COLS + UE_NAMES


def header(fps: float, metadata: dict | None = None) -> dict:
    """The JSON header shared by JSONL and NPZ files."""
    return {"format": FORMAT_TAG, "schema": SCHEMA_VERSION, "fps": float(fps),
            "names": list(UE_NAMES), "metadata": metadata or {}}


def _num(x: float, nd: int = 6):
    x = float(x)
    return None if not math.isfinite(x) else round(x, nd)


class TrackWriter(AtomicOutput):
    """Streams frames into a file. Use as a context manager; on an exception nothing is left."""

    name = ""
    extension = ""

    def __init__(self, path: str | Path, *, fps: float, metadata: dict | None = None) -> None:
        self.path = Path(path)
        self.fps = fps
        self.metadata = metadata or {}
        self.count = 0
        self._out = self._open()

    def _open(self) -> AtomicFile:
        return AtomicFile(self.path)

    def write(self, frame: ExpressionFrame) -> None:
        raise NotImplementedError  # pragma: no cover - every registered writer overrides it

    def write_all(self, frames: Iterable[ExpressionFrame]) -> None:
        for f in frames:
            self.write(f)

    def close(self) -> Path:
        return self._out.commit()

    def abort(self) -> None:
        self._out.discard()


class JsonlWriter(TrackWriter):
    name, extension = "jsonl", ".jsonl"

    def _open(self) -> AtomicFile:
        out = AtomicFile(self.path)
        out.file.write(json.dumps(header(self.fps, self.metadata)) + "\n")
        return out

    def write(self, f: ExpressionFrame) -> None:
        obj = {
            "t": round(f.time, 6), "face": f.face_id, "present": f.present,
            "confidence": _num(f.confidence, 4),
            "head": None if not f.present else dict(zip(
                ("yaw", "pitch", "roll", "x", "y", "z"),
                [_num(v, 3) for v in f.head_rotation] + [_num(v, 5) for v in f.head_position])),
            "eyes": {"left": {"gaze": [_num(v, 5) for v in f.gaze_left], "openness": _num(f.openness_left, 5)},
                     "right": {"gaze": [_num(v, 5) for v in f.gaze_right], "openness": _num(f.openness_right, 5)}},
            "weights": None if not f.present else [_num(v, 5) for v in f.weights],
        }
        self._out.file.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self.count += 1


class CsvWriter(TrackWriter):
    name, extension = "csv", ".csv"

    def _open(self) -> AtomicFile:
        out = AtomicFile(self.path, newline="")
        self._csv = csv.writer(out.file)
        self._csv.writerow(CSV_COLUMNS)
        return out

    def write(self, f: ExpressionFrame) -> None:
        def cell(v, nd=5):
            v = _num(v, nd)
            return "" if v is None else v

        row = [round(f.time, 6), f.face_id, int(f.present), cell(f.confidence, 4)]
        row += [cell(v, 3) for v in f.head_rotation] + [cell(v, 5) for v in f.head_position]
        row += [cell(v) for v in (*f.gaze_left, *f.gaze_right, f.openness_left, f.openness_right)]
        row += [cell(v) for v in f.weights]
        self._csv.writerow(row)
        self.count += 1


class NpzWriter(TrackWriter):
    """Collects frames (NumPy's format needs whole arrays) and writes them on close."""

    name, extension = "npz", ".npz"

    def _open(self) -> AtomicFile:
        self._frames: list[ExpressionFrame] = []
        return AtomicFile(self.path, mode="wb")

    def write(self, f: ExpressionFrame) -> None:
        self._frames.append(f)
        self.count += 1

    def close(self) -> Path:
        track = ExpressionTrack.from_frames(self._frames, fps=self.fps, metadata=self.metadata)
        np.savez_compressed(self._out.file, header=np.array(json.dumps(header(self.fps, self.metadata))),
                            **track.to_arrays())
        return self._out.commit()


WRITERS: dict[str, type[TrackWriter]] = {w.name: w for w in (JsonlWriter, CsvWriter, NpzWriter)}
TRACK_FORMATS: tuple[str, ...] = tuple(WRITERS)


def get_writer(fmt: str) -> type[TrackWriter]:
    """The writer class for a format name (``jsonl``, ``csv``, ``npz``)."""
    try:
        return WRITERS[fmt.lower().lstrip(".")]
    except KeyError:
        raise UnknownNameError(
            f"unknown track format {fmt!r}{suggest(fmt, list(WRITERS))}; valid: {', '.join(WRITERS)}"
        ) from None


def format_for_path(path: str | Path, fmt: str | None = None) -> str:
    """Explicit ``fmt`` if given, else the format named by the file extension."""
    if fmt:
        return get_writer(fmt).name
    ext = Path(path).suffix.lower()
    for w in WRITERS.values():
        if w.extension == ext:
            return w.name
    raise UnknownNameError(f"{path}: cannot tell the track format from {ext or 'no extension'!r}; "
                           f"use one of {', '.join(w.extension for w in WRITERS.values())} or --format")


def open_writer(path: str | Path, *, fps: float, fmt: str | None = None, metadata: dict | None = None) -> TrackWriter:
    """A streaming writer for ``path`` (format from ``fmt`` or the extension)."""
    return get_writer(format_for_path(path, fmt))(path, fps=fps, metadata=metadata)


def write_track(track: ExpressionTrack, path: str | Path, *, fmt: str | None = None) -> Path:
    """Write a whole track atomically; returns the path written."""
    with open_writer(path, fps=track.fps, fmt=fmt, metadata=track.metadata) as w:
        w.write_all(track)
    return Path(path)


# ---------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------
def _check_header(path: Path, head: dict) -> None:
    if head.get("format") != FORMAT_TAG:
        raise InputError(path, "not a FaceMimic track (missing format header)")
    if int(head.get("schema", 0)) > SCHEMA_VERSION:
        raise InputError(path, f"track schema {head.get('schema')} is newer than this FaceMimic "
                               f"reads ({SCHEMA_VERSION}); upgrade FaceMimic")
    if list(head.get("names", [])) != list(UE_NAMES):
        raise InputError(path, "track uses a different shape list than Unified Expressions")


def _frame_from_json(obj: dict) -> ExpressionFrame:
    eyes = obj["eyes"]
    present = bool(obj["present"])
    nanify = lambda v: float("nan") if v is None else float(v)  # noqa: E731
    if present:
        head = obj["head"]
        rot = tuple(nanify(head[k]) for k in ("yaw", "pitch", "roll"))
        pos = tuple(nanify(head[k]) for k in ("x", "y", "z"))
        weights = np.array([nanify(v) for v in obj["weights"]], np.float32)
    else:
        rot = pos = (float("nan"),) * 3
        weights = np.full(N_UE, np.nan, np.float32)
    return ExpressionFrame(
        time=float(obj["t"]), weights=weights,
        gaze_left=tuple(nanify(v) for v in eyes["left"]["gaze"]),
        gaze_right=tuple(nanify(v) for v in eyes["right"]["gaze"]),
        openness_left=nanify(eyes["left"]["openness"]), openness_right=nanify(eyes["right"]["openness"]),
        head_rotation=rot, head_position=pos, confidence=nanify(obj["confidence"]),
        face_id=int(obj["face"]), present=present)


def iter_jsonl(path: str | Path) -> tuple[dict, Iterator[ExpressionFrame]]:
    """Header and a lazy frame iterator for a JSONL track (for streaming long files)."""
    path = Path(path)
    fh = path.open("r", encoding="utf-8")
    try:
        head = json.loads(fh.readline() or "{}")
    except json.JSONDecodeError:
        fh.close()
        raise InputError(path, "not a FaceMimic track (first line is not JSON)") from None
    try:
        _check_header(path, head)
    except InputError:
        fh.close()
        raise

    def frames() -> Iterator[ExpressionFrame]:
        with fh:
            for n, line in enumerate(fh, start=2):
                if not line.strip():
                    continue
                try:
                    yield _frame_from_json(json.loads(line))
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
                    raise InputError(path, f"line {n} is not a valid frame ({e})") from None

    return head, frames()


def _read_jsonl(path: Path) -> ExpressionTrack:
    head, frames = iter_jsonl(path)
    return ExpressionTrack.from_frames(frames, fps=head["fps"], metadata=head.get("metadata", {}))


def _read_csv(path: Path) -> ExpressionTrack:
    with path.open("r", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        cols = next(reader, None)
        if cols is None or tuple(cols) != CSV_COLUMNS:
            raise InputError(path, "not a FaceMimic track CSV (unexpected header row)")
        rows = [r for r in reader if r]
    if rows and any(len(r) != len(CSV_COLUMNS) for r in rows):
        raise InputError(path, "a row has the wrong number of columns")
    data = np.array([[float(c) if c != "" else np.nan for c in r] for r in rows], np.float64).reshape(
        len(rows), len(CSV_COLUMNS))
    c = {name: i for i, name in enumerate(CSV_COLUMNS)}
    col = lambda *names: data[:, [c[n] for n in names]]  # noqa: E731
    t = data[:, 0]
    # CSV has no header for metadata: the frame rate is the median frame step (times are rounded
    # to the microsecond, so round the rate to 1e-3: 24, 29.97, 23.976 survive).
    fps = round(1.0 / float(np.median(np.diff(np.unique(t)))), 3) if len(np.unique(t)) > 1 else 30.0
    return ExpressionTrack.from_arrays({
        "time": t, "face_id": data[:, 1], "present": data[:, 2] > 0.5, "confidence": data[:, 3],
        "head_rotation": col(*_HEAD_COLS[:3]), "head_position": col(*_HEAD_COLS[3:]),
        "gaze": col(*_EYE_COLS[:4]).reshape(-1, 2, 2), "openness": col(*_EYE_COLS[4:]),
        "weights": col(*UE_NAMES),
    }, fps=fps)


def _read_npz(path: Path) -> ExpressionTrack:
    try:
        with np.load(path, allow_pickle=False) as z:
            head = json.loads(str(z["header"]))
            _check_header(path, head)
            arrays = {k: z[k] for k in z.files if k != "header"}
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise InputError(path, f"not a readable FaceMimic NPZ track ({e})") from None
    return ExpressionTrack.from_arrays(arrays, fps=head["fps"], metadata=head.get("metadata", {}))


READERS = {"jsonl": _read_jsonl, "csv": _read_csv, "npz": _read_npz}


def read_track(path: str | Path, *, fmt: str | None = None) -> ExpressionTrack:
    """Read a track written by :func:`write_track` (format from ``fmt`` or the extension)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty")
    name = format_for_path(path, fmt)
    try:
        return READERS[name](path)
    except UnicodeDecodeError:
        raise InputError(path, f"not a {name.upper()} text file") from None
