"""``analyze``: per-frame emotion probabilities, valence/arousal and AU intensities for any input.

    >>> from facemimic.analysis.api import analyze
    >>> result = analyze("talk.mp4")               # video/image via the capture API  # doctest: +SKIP
    >>> result.summary()                           # dominant states over time         # doctest: +SKIP
    >>> result.to_csv("emotions.csv"); result.plot("emotions.png")                      # doctest: +SKIP

Inputs: an image or video file, a camera index, a saved track (``.jsonl``/``.csv``/``.npz``), an
:class:`ExpressionTrack`, a list of :class:`ExpressionFrame`, or an array of UE weights (T, 88) /
expression vectors (T, 90). Gap rows (no face) are kept with NaN probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError, ParameterError
from ..expressions.frame import ExpressionFrame
from ..expressions.names import N_UE
from ..expressions.track import ExpressionTrack
from ..emotions.states import AROUSAL, BASIC, STATE_NAMES, VALENCE
from ..emotions.facs import AU_LABELS, N_X
from .aus import decode_aus
from .classifier import features, load_classifier

TRACK_SUFFIXES = (".jsonl", ".csv", ".npz")


@dataclass(frozen=True)
class Segment:
    """A run of frames with the same dominant state."""

    start: float  # seconds
    end: float  # seconds (exclusive: the next frame's time)
    state: str  # dominant basic emotion over the run
    probability: float  # its mean probability over the run
    detail: str  # the most likely fine-grained state over the run


@dataclass(frozen=True, eq=False)
class Analysis:
    """Per-frame analysis of one face."""

    time: np.ndarray  # (T,) seconds
    present: np.ndarray  # (T,) bool: a face was seen
    states: np.ndarray  # (T, S) probabilities over STATE_NAMES (NaN in gaps)
    basic: np.ndarray  # (T, 8) probabilities over BASIC (neutral + 7 basic emotions)
    valence: np.ndarray  # (T,) -1..1, probability-weighted over the states
    arousal: np.ndarray  # (T,) -1..1
    aus: np.ndarray  # (T, N_AU, 2) per-side AU intensities decoded from the UE weights
    source: str = ""  # what was analysed
    metadata: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.time)

    def top_states(self, i: int, n: int = 3) -> list[tuple[str, float]]:
        """The ``n`` most likely fine-grained states at frame ``i``."""
        if not self.present[i]:
            return []
        order = np.argsort(-self.states[i])[:n]
        return [(STATE_NAMES[k], float(self.states[i, k])) for k in order]

    def top_basic(self, i: int, n: int = 2) -> list[tuple[str, float]]:
        """The ``n`` most likely basic emotions (or neutral) at frame ``i``."""
        if not self.present[i]:
            return []
        order = np.argsort(-self.basic[i])[:n]
        return [(BASIC[k], float(self.basic[i, k])) for k in order]

    def dominant(self) -> np.ndarray:
        """Dominant basic emotion per frame ("" in gaps), shape (T,)."""
        out = np.full(len(self), "", dtype="<U16")
        ok = self.present
        out[ok] = np.array(BASIC)[np.nanargmax(self.basic[ok], axis=1)] if ok.any() else []
        return out

    def mean_basic(self) -> dict[str, float]:
        """Mean basic-emotion probabilities over the frames with a face."""
        if not self.present.any():
            return {b: 0.0 for b in BASIC}
        m = np.nanmean(self.basic[self.present], axis=0)
        return {b: float(v) for b, v in zip(BASIC, m)}

    def summary(self, *, smooth: float = 0.5, min_length: float = 0.3) -> list[Segment]:
        """Dominant basic emotion over time as segments.

        Probabilities are averaged over a ``smooth``-second window first; runs shorter than
        ``min_length`` seconds merge into their neighbour.
        """
        if len(self) == 0 or not self.present.any():
            return []
        t = self.time
        step = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
        k = max(1, int(round(smooth / max(step, 1e-6))))
        b = np.where(self.present[:, None], np.nan_to_num(self.basic), 0.0)
        s = np.where(self.present[:, None], np.nan_to_num(self.states), 0.0)
        kern = np.ones(k) / k
        sm = np.stack([np.convolve(b[:, j], kern, mode="same") for j in range(b.shape[1])], 1)
        lab = np.where(self.present, sm.argmax(1), -1)
        runs = []
        i = 0
        while i < len(lab):
            j = i
            while j + 1 < len(lab) and lab[j + 1] == lab[i]:
                j += 1
            runs.append([i, j, int(lab[i])])
            i = j + 1
        # merge short runs into the previous one
        merged: list[list[int]] = []
        for r in runs:
            dur = t[r[1]] - t[r[0]] + step
            if merged and (dur < min_length or merged[-1][2] == r[2]):
                merged[-1][1] = r[1]
            else:
                merged.append(r)
        out = []
        for a, z, lab_i in merged:
            if lab_i < 0:
                continue
            sl = slice(a, z + 1)
            ok = self.present[sl]
            if not ok.any():
                continue
            mb = b[sl][ok].mean(0)
            ms = s[sl][ok].mean(0)
            best = int(mb.argmax())
            out.append(Segment(float(t[a]), float(t[z] + step), BASIC[best], float(mb[best]),
                               STATE_NAMES[int(ms.argmax())]))
        return out

    def to_csv(self, path) -> Path:
        """One row per frame: time, present, dominant, detail, valence, arousal, p_<basic>…, state_<state>…, AU…

        The state columns are ``state_<name>`` (spaces as ``_``), as in ``facemimic batch analyze``'s
        dataset: eight state names are also basic emotions (``happy``, ``sad`` …), and ``p_`` for
        both would give the CSV duplicate column names."""
        import csv

        from ..common.files import AtomicFile

        with AtomicFile(path, "w", newline="") as out:
            w = csv.writer(out.file)
            w.writerow(["time", "present", "dominant", "detail", "valence", "arousal"]
                       + [f"p_{b}" for b in BASIC] + ["state_" + s.replace(" ", "_") for s in STATE_NAMES]
                       + list(AU_LABELS))
            dom = self.dominant()
            au = np.nanmean(self.aus, axis=2) if len(self) else np.zeros((0, len(AU_LABELS)))
            for i in range(len(self)):
                if not self.present[i]:
                    w.writerow([f"{self.time[i]:.4f}", 0, "", "", "", ""] + [""] * (len(BASIC) + len(STATE_NAMES)
                                                                                 + len(AU_LABELS)))
                    continue
                w.writerow([f"{self.time[i]:.4f}", 1, dom[i], STATE_NAMES[int(np.argmax(self.states[i]))],
                            f"{self.valence[i]:.4f}", f"{self.arousal[i]:.4f}"]
                           + [f"{v:.4f}" for v in self.basic[i]] + [f"{v:.4f}" for v in self.states[i]]
                           + [f"{v:.4f}" for v in au[i]])
        return out.path

    def plot(self, path, *, title: str | None = None) -> Path:
        """Timeline plot: stacked basic-emotion probabilities, valence and arousal (matplotlib Agg).

        The format follows ``path``'s extension: ``.png``, ``.jpg``, ``.gif``, ``.webp``, ``.svg``
        or ``.pdf`` (:func:`facemimic.common.images.save_figure`); anything else is an
        :class:`OutputError` raised before any drawing.
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from ..common.images import check_image_path, save_figure

        check_image_path(path, vector=True)
        colors = {"neutral": "#bbbbbb", "happy": "#f2c14e", "sad": "#4e79a7", "surprised": "#76b7b2",
                  "fearful": "#b07aa1", "angry": "#e15759", "disgusted": "#59a14f", "contempt": "#9c755f"}
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 5), dpi=100, sharex=True,
                                       gridspec_kw={"height_ratios": [3, 1.4]})
        t = self.time
        b = np.where(self.present[:, None], np.nan_to_num(self.basic), 0.0)
        if len(t) == 1:  # a photo: show it as a short bar
            t = np.array([t[0], t[0] + 1.0])
            b = np.repeat(b, 2, axis=0)
        ax1.stackplot(t, b.T, labels=list(BASIC), colors=[colors[k] for k in BASIC])
        ax1.set_ylim(0, 1)
        ax1.set_ylabel("probability")
        ax1.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        for seg in self.summary():
            ax1.text((seg.start + seg.end) / 2, 1.02, seg.state, ha="center", va="bottom", fontsize=8)
        va = np.where(self.present, self.valence, np.nan)
        ar = np.where(self.present, self.arousal, np.nan)
        if len(self.time) == 1:
            va, ar = np.repeat(va, 2), np.repeat(ar, 2)
        ax2.plot(t, va, label="valence", color="#e15759")
        ax2.plot(t, ar, label="arousal", color="#4e79a7")
        ax2.axhline(0, color="#888", lw=0.5)
        ax2.set_ylim(-1, 1)
        ax2.set_xlabel("time (s)")
        ax2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        fig.suptitle(title or f"FaceMimic emotion analysis: {self.source}", fontsize=10)
        fig.tight_layout()
        try:
            return save_figure(fig, path)
        finally:
            plt.close(fig)


def _to_track(source, capture_options: dict | None) -> tuple[ExpressionTrack, str]:
    if isinstance(source, ExpressionTrack):
        return source, source.metadata.get("source", "track")
    if isinstance(source, ExpressionFrame):
        return ExpressionTrack.from_frames([source]), "frame"
    if isinstance(source, (list, tuple)) and source and all(isinstance(f, ExpressionFrame) for f in source):
        return ExpressionTrack.from_frames(list(source)), "frames"
    if isinstance(source, np.ndarray) and source.ndim in (1, 2) and source.shape[-1] in (N_UE, N_X):
        a = np.atleast_2d(source).astype(np.float32)
        arrays = {"weights": a[:, :N_UE]}
        if a.shape[1] == N_X:
            arrays["openness"] = 1.0 - a[:, N_UE:]
        return ExpressionTrack.from_arrays(arrays), "array"
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() in TRACK_SUFFIXES:
        from ..expressions.io import read_track

        return read_track(source), str(source)
    if isinstance(source, (str, Path)) and not str(source).isdigit() and not Path(source).exists():
        raise InputError(source, "file not found")
    from ..capture.api import track

    return track(source, **(capture_options or {})), str(source)


def in_unit(tr: ExpressionTrack) -> ExpressionTrack:
    """``tr`` with its weights in the unit the analyser is trained in (docs/units.md).

    A track in MediaPipe's scale (``track --units mediapipe``, ``express --as-tracked``, or captured
    before tracks recorded their unit) is converted through capture's response curves
    (``capture.api.scores_to_extent``, in the MediaPipe mode it was captured in); eye openness is
    the same in both units. Any other track is returned as it is.
    """
    from ..capture.api import scores_to_extent, track_units

    meta = tr.metadata or {}
    # ``express --as-tracked`` poses written before tracks recorded their unit hold MediaPipe's scale too.
    legacy_as_tracked = bool(meta.get("as_tracked")) and "units" not in meta
    if track_units(meta) != "mediapipe" and not legacy_as_tracked:
        return tr
    mode = (meta.get("capture") or {}).get("mode", "image")
    arrays = tr.to_arrays()
    arrays["weights"] = scores_to_extent(arrays["weights"], mode if mode in ("image", "video") else "image")
    return ExpressionTrack.from_arrays(arrays, fps=tr.fps, metadata={**meta, "units": "extent"}, origin=tr.origin)


def analyze(source, *, face_id: int | None = None, capture_options: dict | None = None) -> Analysis:
    """Analyse emotions in a track, file, camera or array.

    Parameters
    ----------
    source : path, int, ExpressionTrack, list of ExpressionFrame, or np.ndarray [shape=(T, 88) or (T, 90)]
        Images and videos (and camera indices) go through the capture API (in the unit, its
        default). Tracks in MediaPipe's scale (their header says ``"units": "mediapipe"``) are
        converted to the unit first (:func:`in_unit`); arrays and frames are taken to be in the unit.
    face_id : int, optional
        Which face of a multi-face track (default: the first).
    capture_options : dict, optional
        Passed to :func:`facemimic.capture.api.track` (``max_faces=…``, ``duration=…``).

    Returns
    -------
    Analysis
        ``states`` (T, S) and ``basic`` (T, 8) probabilities, ``valence``/``arousal`` (T,),
        ``aus`` (T, N_AU, 2), with :meth:`Analysis.summary`, :meth:`~Analysis.to_csv`, :meth:`~Analysis.plot`.
    """
    tr, name = _to_track(source, capture_options)
    tr = in_unit(tr)  # the analyser reads weights in the unit; MediaPipe-scale tracks are converted
    if len(tr):
        fids = tr.face_ids()
        fid = fids[0] if face_id is None else face_id
        if fid not in fids:
            raise ParameterError(f"face {face_id} is not in {name}; faces: {', '.join(map(str, fids))}")
        tr = tr.for_face(fid)
    from ..emotions.facs import track_to_x

    x, present = track_to_x(tr)
    n = len(tr)
    states = np.full((n, len(STATE_NAMES)), np.nan, np.float32)
    basic = np.full((n, len(BASIC)), np.nan, np.float32)
    aus = np.full((n, len(AU_LABELS), 2), np.nan, np.float32)
    if present.any():
        from ..common.nn import single_blas_thread

        clf = load_classifier()
        with single_blas_thread():
            a = decode_aus(x[present])
            ps, pb = clf.predict(features(x[present], a))
        states[present], basic[present], aus[present] = ps, pb, a
    valence = np.where(present, np.nan_to_num(states) @ VALENCE, np.nan).astype(np.float32)
    arousal = np.where(present, np.nan_to_num(states) @ AROUSAL, np.nan).astype(np.float32)
    return Analysis(time=np.asarray(tr.time, np.float64), present=present, states=states, basic=basic,
                    valence=valence, arousal=arousal, aus=aus, source=name, metadata=dict(tr.metadata))


__all__ = ["Analysis", "Segment", "analyze", "in_unit"]
