"""Training data for the generator and the analyser.

Two sources, one format:

* **FACS-grounded samples** (:func:`sample_facs`): for a mixture of states and a style, draw the
  apex AU intensities each state's FACS definition allows (core AUs within their ranges, optional
  AUs with their probabilities), add person-to-person variation (overall gain, left/right
  imbalance, which side a one-sided display uses) and turn them into UE through the one AU table.
* **Real tracked frames**: tracks of real faces (the capture API on real photos/videos) cut into
  labelled spans — by ``facemimic label`` (users) or by the default recipe in
  :func:`real_frames` (FaceMimic's sample media, labelled by eye).

A dataset file is an NPZ: ``x`` (N, 90) float32 expression vectors (88 UE + eye closure L/R),
``labels`` (N,) state names ("" = unlabelled), ``time`` (N,) seconds in the source, ``source`` (N,)
file names and ``header`` (JSON: ``format: facemimic.dataset``, ``schema``, ``names``).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FaceMimicError, InputError
from .constraints import project
from ..emotions.states import N_STATES, STATE_NAMES, STATES, STYLES, get_state
from ..emotions.facs import AU_POS, N_AU, N_X, X_NAMES, au_to_x, track_to_x
from ..expressions.names import N_UE

DATASET_TAG = "facemimic.dataset"
DATASET_SCHEMA = 1
# Below this many labelled frames a fine-tune learns noise, not a person's expression.
MIN_LABELLED_FRAMES = 20

_ANIME_BOOST = {1: 1.2, 2: 1.2, 4: 1.15, 25: 1.2, 26: 1.3, 27: 1.2}
_ANIME_DAMP = {9: 0.0, 10: 0.5, 11: 0.0, 7: 0.5, 20: 0.6, 14: 0.5, 38: 0.0, 21: 0.0}


def _state_aus(state, n: int, style: str, rng: np.random.Generator) -> np.ndarray:
    """Apex AU intensities for ``n`` displays of one state, shape (n, N_AU, 2)."""
    a = np.zeros((n, N_AU, 2), np.float32)
    for r in state.aus:
        lo, hi, p = r.low, r.high, r.p
        if style == "subtle":
            lo, hi, p = lo * 0.5, hi * 0.65, p * 0.4 if r.p < 1 else 1.0
        elif style == "exaggerated":
            lo, hi = min(1.0, (lo + hi) / 2 + 0.15), min(1.0, hi + 0.15)
            p = max(p, 0.8) if r.p < 1 else 1.0
        present = rng.random(n) < p
        val = rng.uniform(lo, hi, n) * present
        for s in r.sides:
            col = a[:, AU_POS[r.au], s]
            np.maximum(col, val, out=col)
    if style == "anime":
        for au, g in _ANIME_BOOST.items():
            a[:, AU_POS[au]] *= g
        nose = a[:, AU_POS[9]].copy()
        for au, g in _ANIME_DAMP.items():
            a[:, AU_POS[au]] *= g
        a[:, AU_POS[4]] = np.maximum(a[:, AU_POS[4]], 0.6 * nose)
        # Anime "^ ^" eyes: a strong smile closes the eyes into arcs instead of raising cheeks.
        smile = a[:, AU_POS[12]].mean(-1, keepdims=True)
        a[:, AU_POS[43]] = np.maximum(a[:, AU_POS[43]], np.where(smile > 0.5, 0.9 * a[:, AU_POS[6]] / 0.9, 0))
        a[:, AU_POS[6]] *= 0.3
    return np.clip(a, 0, 1)


def sample_facs(mixtures: np.ndarray, styles: "np.ndarray | list[str]", *, rng: np.random.Generator,
                person_variation: bool = True, mirror_p: float = 0.0) -> np.ndarray:
    """FACS-grounded apex expression vectors for a batch of state mixtures.

    Parameters
    ----------
    mixtures : np.ndarray [shape=(B, S)]
        Relative weights over :data:`STATE_NAMES` (largest = 1, see ``mixture_vector``). Each
        state's AUs are scaled by its weight and combined by maximum, so a secondary state colours
        the dominant one.
    styles : sequence of str, length B
    rng : np.random.Generator
    mirror_p : float
        Probability of mirroring a sample. 0 for generator training: one-sided displays stay on
        their defined side (a VAE would average the two sides into a symmetric face) and the
        generator mirrors them per variation instead. The analyser trains with 0.5.

    Returns
    -------
    np.ndarray [shape=(B, 90), dtype=float32], projected onto the plausible set.
    """
    m = np.asarray(mixtures, np.float32)
    b = m.shape[0]
    styles = np.asarray(styles)
    au = np.zeros((b, N_AU, 2), np.float32)
    for si, name in enumerate(STATE_NAMES):
        rows = np.flatnonzero(m[:, si] > 0)
        if rows.size == 0:
            continue
        for style in STYLES:
            r = rows[styles[rows] == style]
            if r.size:
                part = _state_aus(STATES[name], r.size, style, rng) * m[r, si, None, None]
                au[r] = np.maximum(au[r], part)
    if person_variation:
        natural = ~np.isin(styles, ["anime"])
        gain = np.where(natural, rng.uniform(0.85, 1.1, b), 1.0).astype(np.float32)
        d = np.where(natural, rng.normal(0, 0.06, b), 0.0).astype(np.float32)
        au[:, :, 0] *= (gain * (1 + d))[:, None]
        au[:, :, 1] *= (gain * (1 - d))[:, None]
    # One-sided displays (contempt, smug, a raised brow) use either side across people.
    flip = rng.random(b) < mirror_p
    au[flip] = au[flip][:, :, ::-1]
    return project(au_to_x(np.clip(au, 0, 1)))


def random_conditions(n: int, *, rng: np.random.Generator, p_mix: float = 0.3,
                      style_p=(0.55, 0.15, 0.15, 0.15)) -> tuple[np.ndarray, np.ndarray]:
    """Random training conditions: mostly pure states, some two-state mixtures.

    Returns
    -------
    mixtures : np.ndarray [shape=(n, S)] (largest weight 1)
    styles : np.ndarray [shape=(n,)] of style names
    """
    m = np.zeros((n, N_STATES), np.float32)
    first = rng.integers(0, N_STATES, n)
    m[np.arange(n), first] = 1.0
    mix = np.flatnonzero(rng.random(n) < p_mix)
    second = rng.integers(0, N_STATES, mix.size)
    ok = second != first[mix]
    m[mix[ok], second[ok]] = rng.uniform(0.2, 1.0, ok.sum())
    styles = rng.choice(np.array(STYLES), n, p=np.asarray(style_p) / np.sum(style_p))
    return m, styles


# ---------------------------------------------------------------------------------------------
# Dataset files
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LabelledFrames:
    """Expression vectors with state labels (one row per tracked frame)."""

    x: np.ndarray  # (N, 90) float32: 88 UE weights + eye closure (left, right)
    labels: np.ndarray  # (N,) str: canonical state name, "" where unlabelled
    time: np.ndarray  # (N,) float64 seconds in the source
    source: np.ndarray  # (N,) str: source file name

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def labelled(self) -> "LabelledFrames":
        keep = self.labels != ""
        return LabelledFrames(self.x[keep], self.labels[keep], self.time[keep], self.source[keep])

    def counts(self) -> dict[str, int]:
        names, n = np.unique(self.labels[self.labels != ""], return_counts=True)
        return {str(a): int(b) for a, b in zip(names, n)}

    @staticmethod
    def concat(parts: "list[LabelledFrames]") -> "LabelledFrames":
        if not parts:
            return LabelledFrames(np.zeros((0, N_X), np.float32), np.zeros(0, "<U32"), np.zeros(0), np.zeros(0, "<U64"))
        return LabelledFrames(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("x", "labels", "time", "source")))


def weights_in_unit(weights: np.ndarray, metadata: dict | None) -> np.ndarray:
    """A track's (T, 88) weights in the unit of docs/units.md (what the generator learns in).

    A track in MediaPipe's scale (``track --units mediapipe``, or captured before tracks recorded
    their unit) is converted through capture's response curves, in the MediaPipe mode it was
    captured in; any other track is already in the unit.
    """
    from ..capture.api import scores_to_extent, track_units

    meta = metadata or {}
    if track_units(meta) != "mediapipe":
        return weights
    mode = (meta.get("capture") or {}).get("mode", "image")
    return scores_to_extent(weights, mode if mode in ("image", "video") else "image")


def label_track(track, spans: "list[tuple[float, float, str]]", *, source: str = "") -> LabelledFrames:
    """Label the frames of a track that fall in ``[start, end)`` spans; others stay unlabelled.

    The frames are taken in the unit (:func:`weights_in_unit`): a MediaPipe-scale track is converted.
    """
    x, present = track_to_x(track)
    x[:, :N_UE] = np.clip(np.nan_to_num(weights_in_unit(x[:, :N_UE], track.metadata)), 0, 1)
    labels = np.full(len(track), "", "<U32")
    for start, end, name in spans:
        labels[(track.time >= start) & (track.time < end)] = get_state(name).name
    keep = present
    return LabelledFrames(x[keep], labels[keep], np.asarray(track.time)[keep],
                          np.full(int(keep.sum()), source, "<U64"))


def save_dataset(data: LabelledFrames, path: "str | Path", *, metadata: dict | None = None) -> Path:
    """Write a dataset NPZ atomically."""
    from ..common.files import AtomicFile

    head = {"format": DATASET_TAG, "schema": DATASET_SCHEMA, "names": list(X_NAMES), "units": "extent",
            "counts": data.counts(), "metadata": metadata or {}}
    with AtomicFile(path, "wb") as out:
        np.savez_compressed(out.file, x=data.x.astype(np.float32), labels=data.labels.astype("<U32"),
                            time=data.time.astype(np.float64), source=data.source.astype("<U64"),
                            header=np.array(json.dumps(head)))
    return out.path


def load_dataset(path: "str | Path") -> LabelledFrames:
    """Read a dataset NPZ written by :func:`save_dataset` (``facemimic label``).

    A track file (``.jsonl``/``.csv``, or a track ``.npz``) is refused with a pointer to
    ``facemimic label``; a file that is not an NPZ at all is named as such (not as a pickle).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "is a folder, not a dataset file")
    if path.stat().st_size == 0:
        raise InputError(path, "dataset file is empty")
    if path.suffix.lower() in (".jsonl", ".csv"):
        raise InputError(path, _TRACK_NOT_DATASET)
    # np.load reads a file that is not a zip as a pickle and then blames pickling: look first.
    if not zipfile.is_zipfile(path):
        raise InputError(path, "not an .npz archive (a dataset is a zip of arrays; this file is not one)")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "header" not in z.files:
                raise InputError(path, "not a FaceMimic dataset (it has no 'header' array)")
            head = json.loads(str(z["header"]))
            if isinstance(head, dict) and head.get("format") == "facemimic.track":
                raise InputError(path, _TRACK_NOT_DATASET)
            missing = [k for k in ("x", "labels", "time", "source") if k not in z.files]
            if missing:
                raise InputError(path, f"not a FaceMimic dataset (no {', '.join(map(repr, missing))} array)")
            arrays = {k: z[k] for k in ("x", "labels", "time", "source")}
    except InputError:
        raise
    except json.JSONDecodeError:
        raise InputError(path, "not a FaceMimic dataset (its 'header' array is not JSON)") from None
    except ValueError as e:
        problem = "an array holds Python objects, not numbers or text" if "pickle" in str(e) else str(e)
        raise InputError(path, f"not a FaceMimic dataset ({problem})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise InputError(path, f"damaged dataset file ({e})") from None
    if not isinstance(head, dict) or head.get("format") != DATASET_TAG:
        raise InputError(path, "not a FaceMimic dataset (missing format header)")
    x = arrays["x"]
    if list(head.get("names", [])) != list(X_NAMES) or x.ndim != 2 or x.shape[1] != N_X:
        raise InputError(path, f"dataset vectors must have the {N_X} FaceMimic channels")
    if x.dtype.kind not in "biuf" or arrays["time"].dtype.kind not in "biuf":
        raise InputError(path, "dataset arrays 'x' and 'time' must hold numbers")
    n = x.shape[0]
    for k in ("labels", "time", "source"):
        if arrays[k].shape != (n,):
            raise InputError(path, f"dataset array {k!r} has shape {arrays[k].shape}, expected ({n},)")
    x = x.astype(np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        i, c = (int(v) for v in np.argwhere(bad)[0])
        raise InputError(path, f"row {i}, {X_NAMES[c]}: {x[i, c]:g} is not a finite number")
    units = head.get("units", "mediapipe")
    if units not in ("extent", "mediapipe"):
        raise InputError(path, f"dataset is in unknown units {units!r} (extent or mediapipe)")
    if units == "mediapipe":
        # Written before datasets recorded their unit: `facemimic label` captured MediaPipe's scores.
        x[:, :N_UE] = _legacy_to_unit(x[:, :N_UE], arrays["source"])
    return LabelledFrames(x, arrays["labels"].astype("<U32"), arrays["time"].astype(np.float64),
                          arrays["source"].astype("<U64"))


_VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".gif")


def _legacy_to_unit(weights: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """MediaPipe-scale dataset weights (N, 88) -> the unit, per source (videos were captured in
    MediaPipe's VIDEO mode, photos in its IMAGE mode)."""
    from ..capture.api import scores_to_extent

    out = np.array(weights, np.float32, copy=True)
    video = np.array([str(s).lower().endswith(_VIDEO_SUFFIXES) for s in sources], bool)
    for mode, rows in (("video", video), ("image", ~video)):
        if rows.any():
            out[rows] = scores_to_extent(out[rows], mode)
    return np.clip(out, 0.0, 1.0)


_TRACK_NOT_DATASET = ("a track file, not a training dataset: label it first, e.g. "
                      "`facemimic label TRACK --at 0:03-0:05=happy -o data.npz`")


# ---------------------------------------------------------------------------------------------
# Real tracked frames from FaceMimic's sample media (labelled by eye; see docs/generate.md)
# ---------------------------------------------------------------------------------------------
# (sample file, [(start s, end s, state)]); photos use (0, inf).
REAL_LABELS: tuple[tuple[str, tuple[tuple[float, float, str], ...]], ...] = (
    ("0-f1-su-ph.jpg", ((0.0, np.inf, "surprised"),)),
    ("0-f15-hao-ph.jpg", ((0.0, np.inf, "happy"),)),
    ("15-f13-anc-ph.jpg", ((0.0, np.inf, "angry"),)),
    ("45-m7-di-ph.jpg", ((0.0, np.inf, "disgusted"),)),
    ("single_face.jpg", ((0.0, np.inf, "happy"),)),
    ("single_face.mp4", ((0.0, np.inf, "happy"),)),
    # 23.976 fps; checked frame by frame: sad (frames 0-24), crying with eyes squeezed (24-130),
    # anxious/fearful with a hand over the mouth (168-225), then laughing/happy (264-471).
    ("WolfgangLanger_Pexels.mp4", ((0.0, 1.0, "sad"), (1.0, 5.0, "crying"), (7.0, 9.4, "fearful"),
                                   (11.0, 20.0, "happy"))),
)


# Spans whose mouth is hidden by a hand: they teach the analyser (upper face) but not the generator.
MOUTH_OCCLUDED = (("WolfgangLanger_Pexels.mp4", "fearful"), ("WolfgangLanger_Pexels.mp4", "crying"))
# Frame-accurate (checked by eye): when a hand actually covers the mouth, (source, start s, end s).
# The crying before 2.4 s is unoccluded, so the tracker model can measure how the tracker reports it.
HAND_OVER_MOUTH = (("WolfgangLanger_Pexels.mp4", 2.4, 9.4),)


def hand_over_mouth(source: np.ndarray, time: np.ndarray) -> np.ndarray:
    """True for frames whose mouth a hand covers (:data:`HAND_OVER_MOUTH`)."""
    source, time = np.asarray(source), np.asarray(time)
    out = np.zeros(len(source), bool)
    for src, a, b in HAND_OVER_MOUTH:
        out |= (source == src) & (time >= a) & (time < b)
    return out


def tracker_fit_frames(real: LabelledFrames) -> LabelledFrames:
    """The real frames the shipped tracker model is fitted on: everything but the frames held out
    for the plausibility check and the frames with a hand over the mouth."""
    keep = ~held_out(real.source, real.time) & ~hand_over_mouth(real.source, real.time)
    return LabelledFrames(real.x[keep], real.labels[keep], real.time[keep], real.source[keep])


def held_out(source: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Frames kept out of generator training for the plausibility check: every 4th half-second of
    the sample videos (so the check has real laughing, crying and talking frames the model never saw)."""
    video = np.isin(source, ["WolfgangLanger_Pexels.mp4", "single_face.mp4"])
    return video & (np.floor(np.asarray(time) / 0.5).astype(int) % 4 == 3)


def _capture_fingerprint() -> str:
    """Short hash of what makes a captured weight, so cached tracks are redone when it changes: the
    capture code, its shipped response curves and the unit's geometric definition."""
    import hashlib

    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parent.parent
    files = [*sorted((pkg / "capture").glob("*.py")), *sorted((pkg / "capture" / "weights").glob("*.json")),
             pkg / "expressions" / "geometry.py"]
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


# Capture options per sample (multi_face.jpg shows five people; the default tracks one face).
SAMPLE_TRACK_OPTIONS = {"multi_face.jpg": {"max_faces": 5}}


def tracked_sample(name: str, *, units: str = "extent", cache: bool = True):
    """Track one sample media file with the capture API (cached next to the samples, keyed by the
    capture code's hash and the options; a read-only cache folder only disables caching).

    ``units``: ``"extent"`` (the unit of docs/units.md, what the generator and analyser learn
    from) or ``"mediapipe"`` (MediaPipe's scores, what :meth:`Generation.as_tracked` is checked on).
    """
    from ..expressions.io import read_track, write_track
    from ..samples import sample_path

    src = sample_path(name)
    opts = {"units": units, **SAMPLE_TRACK_OPTIONS.get(name, {})}
    tag = "".join(f".{k}{v}" for k, v in sorted(opts.items()))
    cached = src.parent / "tracked" / f"{name}.{_capture_fingerprint()}{tag}.track.npz"
    if cache and cached.exists():
        return read_track(cached)
    from ..capture.api import track

    tr = track(src, **opts)
    if cache:
        try:
            cached.parent.mkdir(exist_ok=True)
            write_track(tr, cached)
        except (OSError, FaceMimicError):
            pass  # caching is an optimisation only
    return tr


def real_frames(*, labels=REAL_LABELS, units: str = "extent", progress=None) -> LabelledFrames:
    """Real tracked frames of FaceMimic's sample media with their by-eye labels (:data:`REAL_LABELS`),
    in ``units`` (see :func:`tracked_sample`)."""
    parts = []
    for k, (name, spans) in enumerate(labels):
        tr = tracked_sample(name, units=units)
        parts.append(label_track(tr, list(spans), source=name))
        if progress:
            progress(k + 1, len(labels), name)
    return LabelledFrames.concat(parts)
