"""``ExpressionTrack``: a time series of :class:`ExpressionFrame` stored column-wise.

Columns are NumPy arrays (one row per frame, several faces interleaved by ``face_id``), so that
resampling, merging and file I/O are vectorised; ``track[i]`` and iteration give frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np

from ..errors import InputError, ParameterError, ShapeError, is_number
from .frame import ExpressionFrame
from .names import N_UE, UE_NAMES
from .regions import expand_regions, region_mask

# Column name -> (dtype, per-row shape). The order is also the NPZ order.
COLUMNS: dict[str, tuple[type, tuple[int, ...]]] = {
    "time": (np.float64, ()),
    "weights": (np.float32, (N_UE,)),
    "gaze": (np.float32, (2, 2)),  # [eye: left, right][x, y]
    "openness": (np.float32, (2,)),  # left, right
    "head_rotation": (np.float32, (3,)),  # yaw, pitch, roll (degrees)
    "head_position": (np.float32, (3,)),  # x, y, z (metres)
    "confidence": (np.float32, ()),
    "face_id": (np.int32, ()),
    "present": (np.bool_, ()),
}
# fill_gaps methods. "ease" was the old name of "interpolate"; the live streamers' GapFiller has an
# "ease-to-neutral" mode that does something else, so the old word is refused, never guessed.
GAP_FILLS: tuple[str, ...] = ("hold", "interpolate", "neutral")
# The highest rate resample() builds: the bound of every fps option (ExportOptions, LipSyncOptions).
MAX_RESAMPLE_FPS = 1000.0
_RENAMED_GAP_FILLS = {"ease": "interpolate"}


class FrameIndexError(ParameterError, IndexError):
    """A frame number out of range, or a key a track cannot be indexed by (the message says which)."""


def _seconds(name: str, value, *, infinite: bool = False) -> float:
    """``value`` as seconds: a real number, not NaN (nor infinite unless ``infinite``)."""
    if not is_number(value):
        raise ParameterError(f"{name} must be a number of seconds, got {value!r}")
    v = float(value)
    if np.isnan(v) or (np.isinf(v) and not infinite):
        raise ParameterError(f"{name} must be a {'' if infinite else 'finite '}number of seconds, got {v!r}")
    return v


def _column(name: str, value, n: int) -> np.ndarray:
    dtype, shape = COLUMNS[name]
    a = np.array(value, dtype=dtype, copy=True)
    if a.shape != (n, *shape):
        raise ShapeError(name, a.shape, str((n, *shape)) if shape else f"({n},)")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class ExpressionTrack:
    """Frames of one or more faces over time, plus the nominal frame rate and metadata.

    Build one with :meth:`from_frames` or :meth:`from_arrays`; every operation returns a new track.
    """

    time: np.ndarray  # (T,) seconds, non-decreasing
    weights: np.ndarray  # (T, 88) float32, NaN in gaps
    gaze: np.ndarray  # (T, 2, 2)
    openness: np.ndarray  # (T, 2)
    head_rotation: np.ndarray  # (T, 3)
    head_position: np.ndarray  # (T, 3)
    confidence: np.ndarray  # (T,)
    face_id: np.ndarray  # (T,)
    present: np.ndarray  # (T,) bool
    fps: float = 30.0
    metadata: dict = field(default_factory=dict)
    landmarks: np.ndarray | None = None  # (T, L, 3) or None
    origin: str = ""  # the file this track was read from ("" if made in memory), named in errors

    def __post_init__(self) -> None:
        n = int(np.shape(self.time)[0]) if np.ndim(self.time) else 0
        for name in COLUMNS:
            object.__setattr__(self, name, _column(name, getattr(self, name), n))
        if self.landmarks is not None:
            lm = np.array(self.landmarks, np.float32, copy=True)
            if lm.ndim != 3 or lm.shape[0] != n or lm.shape[2] != 3:
                raise ShapeError("landmarks", lm.shape, f"({n}, L, 3)")
            lm.setflags(write=False)
            object.__setattr__(self, "landmarks", lm)
        if not (self.fps > 0 and np.isfinite(self.fps)):
            raise ParameterError(f"fps must be a positive number, got {self.fps!r}")
        if n > 1 and np.any(np.diff(self.time) < 0):
            i = int(np.flatnonzero(np.diff(self.time) < 0)[0]) + 1
            self._fail(f"track times must be non-decreasing (frame {i} at {self.time[i]:g} s comes after "
                       f"{self.time[i - 1]:g} s)")
        object.__setattr__(self, "fps", float(self.fps))
        object.__setattr__(self, "origin", str(self.origin or ""))
        object.__setattr__(self, "metadata", dict(self.metadata))

    def _fail(self, problem: str):
        """Raise ``problem`` naming the source file when the track came from one."""
        if self.origin:
            raise InputError(self.origin, problem)
        raise ParameterError(problem)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_frames(cls, frames: Iterable[ExpressionFrame], *, fps: float = 30.0,
                    metadata: dict | None = None, origin: str = "") -> "ExpressionTrack":
        """Stack frames (in time order) into a track. Landmarks are kept only if every frame has
        them with the same count (gaps get NaN landmarks when the others agree)."""
        frames = list(frames)
        n = len(frames)
        bad = next((i for i, f in enumerate(frames) if not isinstance(f, ExpressionFrame)), None)
        if bad is not None:  # failed with "'int' object has no attribute 'landmarks'"
            raise ParameterError(f"frame {bad} must be an ExpressionFrame, got {type(frames[bad]).__name__}")
        lm = None
        shapes = {f.landmarks.shape for f in frames if f.landmarks is not None}
        if n and len(shapes) == 1 and all(f.landmarks is not None or not f.present for f in frames):
            (shape,) = shapes
            lm = np.full((n, *shape), np.nan, np.float32)
            for i, f in enumerate(frames):
                if f.landmarks is not None:
                    lm[i] = f.landmarks
        return cls(
            time=np.array([f.time for f in frames], np.float64),
            weights=np.stack([f.weights for f in frames]) if n else np.zeros((0, N_UE), np.float32),
            gaze=np.array([(f.gaze_left, f.gaze_right) for f in frames], np.float32).reshape(n, 2, 2),
            openness=np.array([f.openness for f in frames], np.float32).reshape(n, 2),
            head_rotation=np.array([f.head_rotation for f in frames], np.float32).reshape(n, 3),
            head_position=np.array([f.head_position for f in frames], np.float32).reshape(n, 3),
            confidence=np.array([f.confidence for f in frames], np.float32),
            face_id=np.array([f.face_id for f in frames], np.int32),
            present=np.array([f.present for f in frames], np.bool_),
            fps=fps, metadata=metadata or {}, landmarks=lm, origin=origin,
        )

    @classmethod
    def from_arrays(cls, arrays: dict, *, fps: float = 30.0, metadata: dict | None = None,
                    origin: str = "") -> "ExpressionTrack":
        """Build from a dict of column arrays (see :meth:`to_arrays`); missing optional columns get
        defaults (eyes open and centred, head level, confidence 1, face 0, present where weights
        are finite)."""
        if "weights" not in arrays:
            raise ParameterError("arrays need at least 'weights' (T, 88)")
        w = np.asarray(arrays["weights"], np.float32)
        if w.ndim != 2 or w.shape[1] != N_UE:
            raise ShapeError("weights", w.shape, f"(T, {N_UE})")
        n = w.shape[0]
        time = arrays.get("time")
        if time is None:
            time = np.arange(n) / fps
        present = arrays.get("present")
        if present is None:
            present = np.isfinite(w).all(axis=1)
        return cls(
            time=time, weights=w,
            gaze=arrays.get("gaze", np.zeros((n, 2, 2))),
            openness=arrays.get("openness", np.ones((n, 2))),
            head_rotation=arrays.get("head_rotation", np.zeros((n, 3))),
            head_position=arrays.get("head_position", np.zeros((n, 3))),
            confidence=arrays.get("confidence", np.ones(n)),
            face_id=arrays.get("face_id", np.zeros(n)),
            present=present, fps=fps, metadata=metadata or {}, landmarks=arrays.get("landmarks"), origin=origin,
        )

    @classmethod
    def empty(cls, *, fps: float = 30.0, metadata: dict | None = None) -> "ExpressionTrack":
        return cls.from_frames([], fps=fps, metadata=metadata)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Column arrays by name (``time``, ``weights`` (T, 88), ``gaze`` (T, 2, 2), …)."""
        out = {name: getattr(self, name) for name in COLUMNS}
        if self.landmarks is not None:
            out["landmarks"] = self.landmarks
        return out

    def _take(self, index) -> "ExpressionTrack":
        arrays = {k: v[index] for k, v in self.to_arrays().items()}
        return ExpressionTrack.from_arrays(arrays, fps=self.fps, metadata=self.metadata, origin=self.origin)

    # -- sequence protocol ----------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.time.shape[0])

    def frame(self, i: int) -> ExpressionFrame:
        """Row ``i`` as an :class:`ExpressionFrame` (negative ``i`` counts from the end)."""
        i = self._row(i)
        g, o, hr, hp = self.gaze[i], self.openness[i], self.head_rotation[i], self.head_position[i]
        return ExpressionFrame(
            time=float(self.time[i]), weights=self.weights[i],
            gaze_left=(float(g[0, 0]), float(g[0, 1])), gaze_right=(float(g[1, 0]), float(g[1, 1])),
            openness_left=float(o[0]), openness_right=float(o[1]),
            head_rotation=tuple(float(x) for x in hr), head_position=tuple(float(x) for x in hp),
            confidence=float(self.confidence[i]), face_id=int(self.face_id[i]),
            present=bool(self.present[i]),
            landmarks=None if self.landmarks is None else self.landmarks[i],
        )

    def _row(self, i) -> int:
        """``i`` as a row number in range; :class:`FrameIndexError` otherwise (NumPy's own
        IndexError named no frame and no track length)."""
        n = len(self)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise FrameIndexError(f"a frame number must be an int, got {i!r} ({type(i).__name__})")
        if not -n <= i < n:
            raise FrameIndexError(f"frame {i} out of range for a track of {n} frames")
        return int(i) % n

    def __getitem__(self, key):
        """``track[i]``: one frame; ``track[a:b]``, ``track[mask]``, ``track[rows]``: a track."""
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            return self.frame(key)
        if isinstance(key, (str, bytes, float, bool)) or key is None:
            hint = f"; for one shape's weights over time use track.channel({key!r})" if isinstance(key, str) else ""
            raise FrameIndexError(f"a track is indexed by frame number, slice, boolean mask or row numbers, "
                                  f"got {key!r}{hint}")
        return self._take(key)

    def __iter__(self) -> Iterator[ExpressionFrame]:
        for i in range(len(self)):
            yield self.frame(i)

    @property
    def frames(self) -> tuple[ExpressionFrame, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        return (f"ExpressionTrack({len(self)} frames, {self.duration:.2f} s, {self.fps:g} fps, "
                f"faces={list(self.face_ids())}, present={self.present_ratio:.0%})")

    # -- summaries ------------------------------------------------------------------------------
    @property
    def duration(self) -> float:
        """Seconds from the first to one frame past the last frame."""
        if len(self) == 0:
            return 0.0
        return float(self.time[-1] - self.time[0] + 1.0 / self.fps)

    @property
    def present_ratio(self) -> float:
        """Fraction of rows with a face (0 for an empty track)."""
        return float(self.present.mean()) if len(self) else 0.0

    def face_ids(self) -> tuple[int, ...]:
        return tuple(int(i) for i in np.unique(self.face_id))

    def for_face(self, face_id: int) -> "ExpressionTrack":
        """Only the rows of one face."""
        return self._take(self.face_id == face_id)

    def single_face(self, face_id: int | None = None) -> "ExpressionTrack":
        """The rows of one face: ``face_id``, or the lowest id in the track.

        Raises :class:`ParameterError` for an empty track or an id the track does not have
        (:class:`InputError` naming the file for a track read from one).
        """
        if len(self) == 0:
            self._fail("the track has no frames")
        ids = self.face_ids()
        fid = ids[0] if face_id is None else int(face_id)
        if fid not in ids:
            self._fail(f"face {fid} is not in the track (faces: {', '.join(map(str, ids))})")
        return self.for_face(fid)

    def channel(self, name: str) -> np.ndarray:
        """One UE shape's weights over time, shape (T,)."""
        from .names import ue_index

        return self.weights[:, ue_index(name)]

    # -- time operations ------------------------------------------------------------------------
    def slice(self, start: float | None = None, end: float | None = None) -> "ExpressionTrack":
        """Rows with ``start <= time < end`` (times are kept, not shifted)."""
        keep = np.ones(len(self), bool)  # a NaN bound kept no row at all: refused; inf is open
        if start is not None:
            keep &= self.time >= _seconds("start", start, infinite=True)
        if end is not None:
            keep &= self.time < _seconds("end", end, infinite=True)
        return self._take(keep)

    def shifted(self, offset: float) -> "ExpressionTrack":
        """The same track with ``offset`` seconds added to every time."""
        a = self.to_arrays()
        a["time"] = self.time + _seconds("offset", offset)  # NaN made every time NaN
        return ExpressionTrack.from_arrays(a, fps=self.fps, metadata=self.metadata, origin=self.origin)

    def with_metadata(self, **items) -> "ExpressionTrack":
        return ExpressionTrack.from_arrays(self.to_arrays(), fps=self.fps,
                                           metadata={**self.metadata, **items}, origin=self.origin)

    def resample(self, fps: float, *, start: float | None = None, end: float | None = None) -> "ExpressionTrack":
        """Resample every face to a new frame rate by linear interpolation.

        A new sample lies in a gap (``present`` False, NaN weights) when either neighbouring
        source frame is a gap; gaze and openness interpolate across gaps because they are held.
        Landmarks are dropped unless the rate is unchanged.
        """
        # 1000 fps is the bound every other fps option of the library has (ExportOptions,
        # LipSyncOptions); resample(1e6) built about a million frames per second of track.
        if not is_number(fps) or not 0 < fps <= MAX_RESAMPLE_FPS:
            raise ParameterError(f"fps must be in (0, {MAX_RESAMPLE_FPS:g}], got {fps!r}")
        if len(self) == 0:
            return ExpressionTrack.from_frames([], fps=fps, metadata=self.metadata, origin=self.origin)
        parts = []
        t0 = self.time[0] if start is None else _seconds("start", start)
        t1 = self.time[-1] if end is None else _seconds("end", end)
        n_out = int(np.floor((t1 - t0) * fps + 1e-6)) + 1
        t_new = t0 + np.arange(max(n_out, 0)) / fps
        for fid in self.face_ids():
            parts.append(_resample_face(self.for_face(fid), t_new, fid))
        merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        order = np.lexsort((merged["face_id"], merged["time"]))
        merged = {k: v[order] for k, v in merged.items()}
        return ExpressionTrack.from_arrays(merged, fps=fps, metadata=self.metadata, origin=self.origin)

    def fill_gaps(self, method: str = "hold") -> "ExpressionTrack":
        """Replace gap rows so sinks never see NaN.

        ``hold`` repeats the last seen face (the first seen before it); ``neutral`` puts a resting
        face; ``interpolate`` moves linearly from the last seen face to the next one (hold at the
        ends). Rows keep ``present=False`` so the gap stays visible.
        """
        check_gap_fill(method)
        a = {k: np.array(v, copy=True) for k, v in self.to_arrays().items()}
        for fid in self.face_ids():
            rows = np.flatnonzero(self.face_id == fid)
            ok = self.present[rows]
            if ok.all():
                continue
            for col, neutral in (("weights", 0.0), ("head_rotation", 0.0), ("head_position", 0.0)):
                v = a[col][rows]
                if method == "neutral" or not ok.any():
                    v[~ok] = neutral
                else:
                    v[~ok] = _fill(self.time[rows], v, ok, method)
                a[col][rows] = v
        return ExpressionTrack.from_arrays(a, fps=self.fps, metadata=self.metadata, origin=self.origin)


def check_gap_fill(method: str) -> str:
    """``method`` if it is one of :data:`GAP_FILLS`; a :class:`ParameterError` naming the new
    spelling for a renamed one (``ease`` -> ``interpolate``)."""
    if method in GAP_FILLS:
        return method
    if method in _RENAMED_GAP_FILLS:
        raise ParameterError(f"gap fill {method!r} is now called {_RENAMED_GAP_FILLS[method]!r} (linear from the "
                             f"last seen face to the next); valid: {', '.join(GAP_FILLS)}")
    raise ParameterError(f"unknown gap fill {method!r}; valid: {', '.join(GAP_FILLS)}")


def _fill(t: np.ndarray, v: np.ndarray, ok: np.ndarray, method: str) -> np.ndarray:
    """Values for the gap rows of ``v`` (rows × channels) from the present rows."""
    flat = v.reshape(len(v), -1)
    idx_ok = np.flatnonzero(ok)
    gaps = np.flatnonzero(~ok)
    if method == "hold":
        prev = np.searchsorted(idx_ok, gaps, side="right") - 1
        src = idx_ok[np.clip(prev, 0, len(idx_ok) - 1)]
        out = flat[src]
    else:  # interpolate: linear in time between the surrounding present rows, per channel
        out = np.stack([np.interp(t[gaps], t[idx_ok], flat[idx_ok, c]) for c in range(flat.shape[1])], 1)
    return out.reshape((len(gaps),) + v.shape[1:])


def _resample_face(tr: ExpressionTrack, t_new: np.ndarray, fid: int) -> dict[str, np.ndarray]:
    t = tr.time
    n = len(t_new)
    if len(t) == 1:
        pos = np.zeros(n, np.int64)
        frac = np.zeros(n)
    else:
        pos = np.clip(np.searchsorted(t, t_new, side="right") - 1, 0, len(t) - 2)
        span = np.maximum(t[pos + 1] - t[pos], 1e-12)
        frac = np.clip((t_new - t[pos]) / span, 0.0, 1.0)
    nxt = np.minimum(pos + 1, len(t) - 1)

    def lerp(a: np.ndarray) -> np.ndarray:
        f = frac.reshape((n,) + (1,) * (a.ndim - 1))
        return (a[pos] * (1 - f) + a[nxt] * f).astype(a.dtype)

    # A sample on a source frame takes that frame's flag; between two frames both must be present.
    present = np.where(frac <= 0, tr.present[pos],
                       np.where(frac >= 1, tr.present[nxt], tr.present[pos] & tr.present[nxt]))
    weights = lerp(np.nan_to_num(tr.weights))
    weights[~present] = np.nan
    rot = lerp(np.nan_to_num(tr.head_rotation))
    posn = lerp(np.nan_to_num(tr.head_position))
    rot[~present] = np.nan
    posn[~present] = np.nan
    return {
        "time": t_new.copy(), "weights": weights, "gaze": lerp(tr.gaze), "openness": lerp(tr.openness),
        "head_rotation": rot, "head_position": posn, "confidence": lerp(tr.confidence),
        "face_id": np.full(n, fid, np.int32), "present": present,
    }


def merge_tracks(
    base: ExpressionTrack,
    over: ExpressionTrack,
    regions: "str | list[str] | tuple[str, ...] | np.ndarray" = "speech",
    *,
    strength: float = 1.0,
    mode: str = "replace",
) -> ExpressionTrack:
    """Lay ``over``'s regions on top of ``base`` (e.g. a lip-sync mouth over a generated mood).

    ``over`` is resampled onto ``base``'s times (face 0 of ``over`` drives every face of ``base``).
    Where ``over`` has no face, ``base`` shows through.

    Parameters
    ----------
    regions : str, list of str, or np.ndarray [shape=(88,)]
        Region names (``speech``, ``mouth``, ``eyes``, ``head`` … see :data:`REGIONS`) or a soft
        mask in [0, 1] over the 88 UE shapes.
    strength : float
        Multiplies the mask: 0 keeps ``base``, 1 takes ``over`` fully inside the regions.
    mode : {"replace", "add", "max"}
        ``replace`` crossfades by the mask; ``add`` adds ``over``'s weights (clipped to 1); ``max``
        keeps the larger weight.
    """
    for name, tr in (("base", base), ("over", over)):  # a list of frames failed on .to_arrays / len()
        if not isinstance(tr, ExpressionTrack):
            raise ParameterError(f"{name} must be an ExpressionTrack, got {type(tr).__name__}")
    if mode not in ("replace", "add", "max"):
        raise ParameterError(f"unknown merge mode {mode!r}; valid: replace, add, max")
    if not 0.0 <= strength <= 1.0:
        raise ParameterError(f"strength must be in [0, 1], got {strength!r}")
    if isinstance(regions, np.ndarray):
        mask = np.asarray(regions, np.float32)
        if mask.shape != (N_UE,):
            raise ShapeError("region mask", mask.shape, f"({N_UE},)")
        names: tuple[str, ...] = ()
    else:
        names = expand_regions(regions)
        mask = region_mask(names)
    mask = np.clip(mask * strength, 0.0, 1.0)

    src = over.for_face(over.face_ids()[0]) if len(over) else over
    a = {k: np.array(v, copy=True) for k, v in base.to_arrays().items()}
    if len(src) == 0 or len(base) == 0:
        return ExpressionTrack.from_arrays(a, fps=base.fps, metadata=base.metadata, origin=base.origin)
    res = _resample_face(src, base.time, 0)
    inside = (base.time >= src.time[0] - 0.5 / src.fps) & (base.time <= src.time[-1] + 0.5 / src.fps)
    use = res["present"] & inside & base.present
    w_b, w_o = a["weights"][use], res["weights"][use]
    if mode == "replace":
        w_new = w_b * (1 - mask) + w_o * mask
    elif mode == "add":
        w_new = np.clip(w_b + w_o * mask, 0.0, 1.0)
    else:
        w_new = np.maximum(w_b, w_o * mask)
    a["weights"][use] = w_new
    s = float(strength)
    if "eyes" in names:
        a["gaze"][use] = a["gaze"][use] * (1 - s) + res["gaze"][use] * s
        a["openness"][use] = a["openness"][use] * (1 - s) + res["openness"][use] * s
    if "head" in names:
        a["head_rotation"][use] = a["head_rotation"][use] * (1 - s) + res["head_rotation"][use] * s
    meta = {**base.metadata, "merged": [*base.metadata.get("merged", []),
                                        {"regions": list(names) or "mask", "mode": mode, "strength": s}]}
    return ExpressionTrack.from_arrays(a, fps=base.fps, metadata=meta, origin=base.origin)


__all__ = ["ExpressionTrack", "merge_tracks", "check_gap_fill", "COLUMNS", "GAP_FILLS", "UE_NAMES"]
