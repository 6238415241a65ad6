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
import zlib
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..common.files import AtomicFile, AtomicOutput
from ..errors import InputError, ParameterError, UnknownNameError, suggest
from .frame import ExpressionFrame
from .names import N_UE, UE_NAMES
from .track import COLUMNS, ExpressionTrack

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
                           f"use one of {', '.join(w.extension for w in WRITERS.values())}")


def open_writer(path: str | Path, *, fps: float, fmt: str | None = None, metadata: dict | None = None) -> TrackWriter:
    """A streaming writer for ``path`` (format from ``fmt`` or the extension)."""
    return get_writer(format_for_path(path, fmt))(path, fps=fps, metadata=metadata)


def write_track(track: ExpressionTrack, path: str | Path, *, fmt: str | None = None) -> Path:
    """Write a whole track atomically; returns the path written."""
    if not isinstance(track, ExpressionTrack):  # a list of frames failed with "'list' … no attribute 'fps'"
        hint = " (ExpressionTrack.from_frames makes one from frames)" if isinstance(track, (list, tuple)) else ""
        raise ParameterError(f"expected an ExpressionTrack, got {type(track).__name__}{hint}")
    with open_writer(path, fps=track.fps, fmt=fmt, metadata=track.metadata) as w:
        w.write_all(track)
    return Path(path)


# ---------------------------------------------------------------------------------------------
# Readers
#
# Every problem in a file is an InputError naming the file and, where it applies, the line (JSONL,
# CSV) or frame (NPZ) and the column or channel, so one bad cell never surfaces as a traceback.
# ---------------------------------------------------------------------------------------------
# UE weights are 0..1 (some tools use -1..1); past this a file is broken or on a 0-100 scale.
MAX_ABS_WEIGHT = 10.0
# The other channels of a frame with a face: (column, per-component names, largest |value|, unit).
# NaN (unknown, e.g. no head matrix) is allowed there; infinities and absurd sizes are not.
_CHANNEL_LIMITS = (
    ("head_rotation", _HEAD_COLS[:3], 360.0, "degrees"),
    ("head_position", _HEAD_COLS[3:], 100.0, "metres"),
    ("gaze", _EYE_COLS[:4], 10.0, "VRCFT gaze units"),
    ("openness", _EYE_COLS[4:], 10.0, ""),
    ("confidence", ("confidence",), 10.0, ""),
)
_SHOW_LIMIT = 40  # cells and values are quoted up to this many characters in messages


def _show(value) -> str:
    """A value quoted for a one-line message, cut short if long."""
    text = repr(value)
    return text if len(text) <= _SHOW_LIMIT else text[:_SHOW_LIMIT] + "…"


def _check_header(path: Path, head) -> None:
    if not isinstance(head, dict) or head.get("format") != FORMAT_TAG:
        raise InputError(path, "not a FaceMimic track (missing format header)")
    schema = head.get("schema", 0)
    if isinstance(schema, bool) or not isinstance(schema, (int, float)):
        raise InputError(path, f"header: schema {_show(schema)} is not a version number")
    if schema > SCHEMA_VERSION:
        raise InputError(path, f"track schema {schema} is newer than this FaceMimic "
                               f"reads ({SCHEMA_VERSION}); upgrade FaceMimic")
    if list(head.get("names", [])) != list(UE_NAMES):
        raise InputError(path, "track uses a different shape list than Unified Expressions")
    fps = head.get("fps")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not (math.isfinite(fps) and fps > 0):
        raise InputError(path, f"header: fps {_show(fps)} is not a positive number")
    if not isinstance(head.get("metadata", {}), dict):
        raise InputError(path, "header: metadata is not a JSON object")


def _check_values(path: Path, cols: dict, where, *, prev_time: float | None = None) -> None:
    """Refuse impossible values in raw (float64) columns before they become a track.

    Times must be finite and non-decreasing (also after ``prev_time``); frames with a face
    (``present``) need 88 finite weights within :data:`MAX_ABS_WEIGHT` and no infinite or absurd
    head, gaze, openness or confidence. Gap rows may hold anything (they carry NaN by design).
    ``where(i)`` names row ``i`` (``"line 14"``, ``"frame 12"``).
    """
    t = np.asarray(cols["time"], np.float64) if "time" in cols else None
    if t is not None and len(t):
        bad = ~np.isfinite(t)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(path, f"{where(i)}, time: {t[i]:g} is not a finite number of seconds")
        tt = t if prev_time is None else np.concatenate([[prev_time], t])
        back = np.flatnonzero(np.diff(tt) < 0)
        if back.size:
            i = int(back[0]) + (1 if prev_time is None else 0)
            before = tt[back[0]]
            raise InputError(path, f"{where(i)}, time: {t[i]:g} s comes before the previous frame's {before:g} s "
                                   f"(track times must be non-decreasing)")
    w = np.asarray(cols["weights"], np.float64)
    present = (np.asarray(cols["present"], bool) if "present" in cols
               else np.isfinite(w).all(axis=1))  # as ExpressionTrack.from_arrays decides it
    rows = np.flatnonzero(present)
    if rows.size == 0:
        return
    wp = w[rows]
    bad = ~(np.abs(wp) <= MAX_ABS_WEIGHT)  # NaN fails the comparison, so it is bad too
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        v = wp[r, c]
        if not np.isfinite(v):
            problem = (f"weight {v:g} in a frame with a face (present); every weight there must be a finite "
                       f"number (only gap frames, present = false, may lack weights)")
        else:
            problem = (f"weight {v:g} is out of range (weights are 0..1; more than {MAX_ABS_WEIGHT:g} in size "
                       f"is refused: a broken file or a 0-100 scale?)")
        raise InputError(path, f"{where(int(rows[r]))}, {UE_NAMES[c]}: {problem}")
    for col, names, limit, unit in _CHANNEL_LIMITS:
        if col not in cols:
            continue
        a = np.asarray(cols[col], np.float64).reshape(len(w), -1)[rows]
        bad = np.abs(a) > limit  # NaN (unknown) passes, infinities do not
        if bad.any():
            r, c = (int(v) for v in np.argwhere(bad)[0])
            size = f"|value| > {limit:g}" + (f" {unit}" if unit else "")
            raise InputError(path, f"{where(int(rows[r]))}, {names[c]}: {a[r, c]:g} is out of range ({size})")


# -- JSON Lines --------------------------------------------------------------------------------
class _BadField(Exception):
    """A field of one JSONL frame is malformed (message: ``field: problem``)."""


def _json_number(value, name: str) -> float:
    if value is None:
        return float("nan")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _BadField(f"{name}: {_show(value)} is not a number")
    return float(value)


def _json_get(obj, key: str, name: str | None = None):
    if not isinstance(obj, dict):
        raise _BadField(f"{name or key}: expected an object, got {_show(obj)}")
    if key not in obj:
        raise _BadField(f"missing {name or key!r}")
    return obj[key]


_JSON_NUMBER_TYPES = {int, float}


def _json_numbers(value, n: int, name: str, labels=None) -> list[float]:
    if not isinstance(value, list) or len(value) != n:
        got = f"{len(value)} values" if isinstance(value, list) else _show(value)
        raise _BadField(f"{name}: expected a list of {n} numbers, got {got}")
    if set(map(type, value)) <= _JSON_NUMBER_TYPES:  # the usual case, in C
        return list(map(float, value))
    return [_json_number(v, f"{name}[{k}]" + (f" ({labels[k]})" if labels else "")) for k, v in enumerate(value)]


def _plausible(t: float, prev_time: float | None, present: bool, weights: list, hv: list, gaze: list,
               opens: list, conf: float) -> bool:
    """Cheap scalar version of :func:`_check_values` for one frame (False: look closer)."""
    if not math.isfinite(t) or (prev_time is not None and t < prev_time):
        return False
    if not present:
        return True
    # A sum of bounded finite numbers is finite, so a non-finite sum means NaN or inf somewhere.
    if not (math.isfinite(sum(weights)) and min(weights) >= -MAX_ABS_WEIGHT and max(weights) <= MAX_ABS_WEIGHT):
        return False
    for values, (_, _, limit, _) in zip((hv[:3], hv[3:], gaze, opens, (conf,)), _CHANNEL_LIMITS):
        for v in values:
            if abs(v) > limit:  # NaN (unknown) passes, infinities do not
                return False
    return True


def _frame_from_json(path: Path, where: str, obj, prev_time: float | None) -> ExpressionFrame:
    """One checked frame from a parsed JSONL object (``where`` names its line)."""
    if not isinstance(obj, dict):
        raise _BadField(f"expected a frame object, got {_show(obj)}")
    t = _json_number(_json_get(obj, "t"), "t")
    present = _json_get(obj, "present")
    if present not in (True, False, 0, 1):
        raise _BadField(f"present: {_show(present)} is not true or false")
    present = bool(present)
    face = _json_get(obj, "face")
    if isinstance(face, bool) or not isinstance(face, int) or face < 0:
        raise _BadField(f"face: {_show(face)} is not a face id (0, 1, …)")
    eyes = _json_get(obj, "eyes")
    gaze, opens = [], []
    for side in ("left", "right"):
        eye = _json_get(eyes, side, f"eyes.{side}")
        gaze += _json_numbers(_json_get(eye, "gaze", f"eyes.{side}.gaze"), 2, f"eyes.{side}.gaze")
        opens.append(_json_number(_json_get(eye, "openness", f"eyes.{side}.openness"), f"eyes.{side}.openness"))
    conf = _json_number(obj.get("confidence"), "confidence")
    if present:
        head = _json_get(obj, "head")
        hv = [_json_number(_json_get(head, k, f"head.{k}"), f"head.{k}") for k in ("yaw", "pitch", "roll", "x", "y", "z")]
        weights = _json_numbers(_json_get(obj, "weights"), N_UE, "weights", UE_NAMES)
    else:
        hv = [float("nan")] * 6
        weights = [float("nan")] * N_UE
    if not _plausible(t, prev_time, present, weights, hv, gaze, opens, conf):
        _check_values(path, {"time": [t], "present": [present], "weights": [weights], "head_rotation": [hv[:3]],
                             "head_position": [hv[3:]], "gaze": [gaze], "openness": [opens], "confidence": [conf]},
                      lambda i: where, prev_time=prev_time)
    return ExpressionFrame(
        time=t, weights=np.array(weights, np.float32), gaze_left=tuple(gaze[:2]), gaze_right=tuple(gaze[2:]),
        openness_left=opens[0], openness_right=opens[1], head_rotation=tuple(hv[:3]),
        head_position=tuple(hv[3:]), confidence=conf, face_id=face, present=present)


def iter_jsonl(path: str | Path) -> tuple[dict, Iterator[ExpressionFrame]]:
    """Header and a lazy frame iterator for a JSONL track (for streaming long files).

    Each frame is checked as it is read (see :func:`read_track`); a bad line raises
    :class:`InputError` naming the file, the line and the field.
    """
    path = Path(path)
    fh = path.open("r", encoding="utf-8")
    try:
        head = json.loads(fh.readline() or "{}")
        _check_header(path, head)
    except json.JSONDecodeError:
        fh.close()
        raise InputError(path, "not a FaceMimic track (first line is not JSON)") from None
    except BaseException:
        fh.close()
        raise

    def frames() -> Iterator[ExpressionFrame]:
        prev = None
        with fh:
            for n, line in enumerate(fh, start=2):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputError(path, f"line {n} is not JSON ({e.msg} at column {e.colno})") from None
                try:
                    frame = _frame_from_json(path, f"line {n}", obj, prev)
                except _BadField as e:
                    raise InputError(path, f"line {n}, {e}") from None
                prev = frame.time
                yield frame

    return head, frames()


def _read_jsonl(path: Path) -> ExpressionTrack:
    head, frames = iter_jsonl(path)
    return ExpressionTrack.from_frames(frames, fps=head["fps"], metadata=head.get("metadata", {}), origin=str(path))


# -- CSV ---------------------------------------------------------------------------------------
_TIME, _FACE, _PRESENT = 0, 1, 2
_BOOL_CELLS = {"true": 1.0, "false": 0.0}  # pandas writes a bool column as True/False


def _csv_row(path: Path, line: int, cells: list[str]) -> list[float]:
    """Numbers of one CSV row (empty cell = NaN), or an InputError naming the line and column."""
    try:
        out = [float(c) if c else math.nan for c in cells]
    except ValueError:
        out = []
        for j, c in enumerate(cells):
            try:
                out.append(float(c) if c.strip() else math.nan)
            except ValueError:
                if j == _PRESENT and c.strip().lower() in _BOOL_CELLS:
                    out.append(_BOOL_CELLS[c.strip().lower()])
                    continue
                raise InputError(path, f"line {line}, column {CSV_COLUMNS[j]}: {_show(c)} is not a number") from None
    for j, rule in ((_TIME, "a time in seconds"), (_FACE, "a face id (0, 1, …)"), (_PRESENT, "0 or 1")):
        v = out[j]
        if math.isnan(v):
            raise InputError(path, f"line {line}, column {CSV_COLUMNS[j]}: empty; every row needs {rule}")
        if j == _FACE and not (v >= 0 and v == int(v) and v < 2 ** 31):
            raise InputError(path, f"line {line}, column face_id: {_show(cells[j])} is not {rule}")
        if j == _PRESENT and v not in (0.0, 1.0):
            raise InputError(path, f"line {line}, column present: {_show(cells[j])} is not {rule}")
    return out


def _read_csv(path: Path) -> ExpressionTrack:
    rows, lines = [], []
    with path.open("r", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        try:
            cols = next(reader, None)
            if cols is None or tuple(c.strip() for c in cols) != CSV_COLUMNS:
                if cols and cols[0].strip() == "variation":
                    raise InputError(path, "an old `facemimic express` pose table, not a track; write it again "
                                           "with `facemimic express … -o FILE.csv`")
                raise InputError(path, "not a FaceMimic track CSV (unexpected header row)")
            for r in reader:
                if not r or not any(c.strip() for c in r):
                    continue
                if len(r) != len(CSV_COLUMNS):
                    raise InputError(path, f"line {reader.line_num}: {len(r)} cells, expected {len(CSV_COLUMNS)} "
                                           f"(one per header column)")
                rows.append(_csv_row(path, reader.line_num, r))
                lines.append(reader.line_num)
        except csv.Error as e:
            raise InputError(path, f"line {reader.line_num}: not valid CSV ({e})") from None
    data = np.array(rows, np.float64).reshape(len(rows), len(CSV_COLUMNS))
    c = {name: i for i, name in enumerate(CSV_COLUMNS)}
    col = lambda *names: data[:, [c[n] for n in names]]  # noqa: E731
    t = data[:, _TIME]
    cols = {"time": t, "face_id": data[:, _FACE], "present": data[:, _PRESENT] > 0.5, "confidence": data[:, 3],
            "head_rotation": col(*_HEAD_COLS[:3]), "head_position": col(*_HEAD_COLS[3:]),
            "gaze": col(*_EYE_COLS[:4]).reshape(-1, 2, 2), "openness": col(*_EYE_COLS[4:]),
            "weights": col(*UE_NAMES)}
    _check_values(path, cols, lambda i: f"line {lines[i]}")
    # CSV has no header for metadata: the frame rate is the median frame step (times are rounded
    # to the microsecond, so round the rate to 1e-3: 24, 29.97, 23.976 survive).
    fps = round(1.0 / float(np.median(np.diff(np.unique(t)))), 3) if len(np.unique(t)) > 1 else 30.0
    return ExpressionTrack.from_arrays(cols, fps=fps, origin=str(path))


# -- NPZ ---------------------------------------------------------------------------------------
_NPZ_ARRAYS = (*COLUMNS, "landmarks")


def _read_npz(path: Path) -> ExpressionTrack:
    # np.load reads a file that is not a zip as a pickle and then blames pickling: look first.
    if not zipfile.is_zipfile(path):
        raise InputError(path, "not an .npz archive (an NPZ track is a zip of arrays; this file is not one)")
    key = "header"
    try:
        with np.load(path, allow_pickle=False) as z:
            if "header" not in z.files:
                raise InputError(path, "not a FaceMimic NPZ track (it has no 'header' array)")
            head = json.loads(str(z["header"]))
            _check_header(path, head)
            raw = {}
            for key in z.files:
                if key in _NPZ_ARRAYS:
                    raw[key] = z[key]
    except InputError:
        raise
    except json.JSONDecodeError:
        raise InputError(path, "not a FaceMimic NPZ track (its 'header' array is not JSON)") from None
    except ValueError as e:
        if "pickle" in str(e):  # an object array: FaceMimic never writes one
            raise InputError(path, f"array {key!r} holds Python objects, not numbers") from None
        raise InputError(path, f"array {key!r} cannot be read ({e})") from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
        raise InputError(path, f"damaged NPZ file ({e})") from None
    arrays = {}
    for key, a in raw.items():
        dtype = np.bool_ if key == "present" else np.float64
        if a.dtype.kind not in "biuf":
            raise InputError(path, f"array {key!r} holds {a.dtype} values, not numbers")
        arrays[key] = a.astype(dtype)
    if "weights" not in arrays:
        raise InputError(path, "not a FaceMimic NPZ track (it has no 'weights' array)")
    shape = arrays["weights"].shape
    if len(shape) != 2 or shape[1] != N_UE:
        raise InputError(path, f"array 'weights' has shape {shape}, expected (T, {N_UE})")
    for key, a in arrays.items():
        want = (shape[0], *COLUMNS[key][1]) if key in COLUMNS else None
        if want is not None and a.shape != want:
            raise InputError(path, f"array {key!r} has shape {a.shape}, expected {want}")
    _check_values(path, arrays, lambda i: f"frame {i}")
    try:
        return ExpressionTrack.from_arrays(arrays, fps=head["fps"], metadata=head.get("metadata", {}),
                                           origin=str(path))
    except ParameterError as e:  # e.g. landmarks of the wrong shape
        raise InputError(path, str(e)) from None


READERS = {"jsonl": _read_jsonl, "csv": _read_csv, "npz": _read_npz}


def read_track(path: str | Path, *, fmt: str | None = None) -> ExpressionTrack:
    """Read a track written by :func:`write_track` (format from ``fmt`` or the extension).

    Every problem is one :class:`InputError` naming the file and, where it applies, the line
    (JSONL, CSV) or frame (NPZ) and the column: cells that are not numbers, malformed lines,
    times that go backwards, and frames with a face (``present``) whose weights are missing, not
    finite or larger than :data:`MAX_ABS_WEIGHT`. Gap frames (``present`` false) may hold NaN.
    The track's ``origin`` is the path, so later errors (no frames, unknown face) name it too.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "is a folder, not a track file")
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty")
    name = format_for_path(path, fmt)
    try:
        return READERS[name](path)
    except UnicodeDecodeError:
        raise InputError(path, f"not a {name.upper()} text file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
