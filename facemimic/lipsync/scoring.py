"""Lip-sync scores on 10 ms frames (the method of the project's lip-sync spec, section 4).

Ground truth is a list of timed phones (exact, from the synthesiser); a prediction is either timed
phones (rendered with the same canonical table) or mouth cues (Rhubarb shapes A–H, X).

Scores: *exact* shape agreement, *macro recall* over the nine shapes (balanced accuracy), the
recall and precision of bilabial closures (P/B/M), and the phone error rate (PER).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..phonetics.phones import SILENCE, Phone

SHAPES = "ABCDEFGHX"
FRAME = 0.01  # 10 ms

# One canonical shape per phone (spec §4 table); diphthongs split 60/40.
CANONICAL: dict[str, str] = {
    "P": "A", "B": "A", "M": "A",
    **{p: "B" for p in ("T", "D", "K", "G", "S", "Z", "SH", "ZH", "CH", "JH", "TH", "DH", "N", "NG",
                        "R", "Y", "IY", "IH")},
    "EH": "C", "AE": "C", "AH": "C", "AA": "D", "AO": "E", "ER": "E", "UW": "F", "UH": "F", "W": "F",
    "F": "G", "V": "G", "L": "H", SILENCE: "X", "NOISE": "B",
}
DIPHTHONGS = {"EY": "CB", "AY": "DB", "OW": "EF", "AW": "DE", "OY": "EB"}
BILABIALS = frozenset({"P", "B", "M"})
VISUAL_CLASS = {"A": 0, "X": 0, "G": 0, "B": 1, "C": 2, "D": 2, "H": 2, "E": 3, "F": 3}


def _n_frames(duration: float) -> int:
    return int(np.ceil(duration / FRAME - 1e-6))


def phones_to_frames(phones: list[Phone], duration: float) -> np.ndarray:
    """Canonical shape letter per 10 ms frame, shape ``(ceil(duration / 0.01),)`` of str."""
    n = _n_frames(duration)
    out = np.full(n, "X", dtype="<U1")
    ph = list(phones)
    for i, p in enumerate(ph):
        a, b = int(round(p.start / FRAME)), int(round(p.end / FRAME))
        a, b = max(a, 0), min(b, n)
        if b <= a:
            continue
        name = p.name
        if name == "HH":  # takes the shape of the following sound
            nxt = ph[i + 1].name if i + 1 < len(ph) else SILENCE
            name = nxt if nxt != "HH" else SILENCE
        if name in DIPHTHONGS:
            s1, s2 = DIPHTHONGS[name]
            cut = a + int(round(0.6 * (b - a)))
            out[a:cut], out[cut:b] = s1, s2
        else:
            out[a:b] = CANONICAL.get(name, "B")
    return out


def cues_to_frames(cues, duration: float) -> np.ndarray:
    """Shape letter per 10 ms frame from cues with ``start``/``end``/``shape``."""
    n = _n_frames(duration)
    out = np.full(n, "X", dtype="<U1")
    for c in cues:
        a, b = max(int(round(c.start / FRAME)), 0), min(int(round(c.end / FRAME)), n)
        if b > a:
            out[a:b] = c.shape
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def closure_scores(truth_phones: list[Phone], pred: np.ndarray, *, tol: int = 4) -> tuple[int, int, int, int]:
    """(hits, bilabial segments, predicted A-runs on a bilabial, predicted A-runs).

    A bilabial segment is hit when the prediction shows A or X within ``tol`` frames of it.
    """
    n = len(pred)
    segs = []
    for p in truth_phones:
        if p.name in BILABIALS:
            a, b = int(round(p.start / FRAME)), int(round(p.end / FRAME))
            if segs and a <= segs[-1][1]:  # "m b" in a row is one closure
                segs[-1] = (segs[-1][0], b)
            else:
                segs.append((a, b))
    closed = np.isin(pred, ["A", "X"])
    hits = sum(bool(closed[max(a - tol, 0):min(b + tol, n)].any()) for a, b in segs)
    bil = np.zeros(n, bool)
    for a, b in segs:
        bil[max(a - tol, 0):min(b + tol, n)] = True
    runs = _runs(pred == "A")
    good = sum(bool(bil[a:b].any()) for a, b in runs)
    return hits, len(segs), good, len(runs)


def levenshtein(a: list[str], b: list[str]) -> int:
    """Edit distance between two sequences."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def phone_sequence(phones: list[Phone]) -> list[str]:
    """Phone names without silence/noise, repeats merged."""
    out: list[str] = []
    for p in phones:
        if p.name in (SILENCE, "NOISE"):
            continue
        if not out or out[-1] != p.name:
            out.append(p.name)
    return out


@dataclass
class Score:
    """Accumulated frame counts; add several files, then read the percentages."""

    frames: int = 0
    exact: int = 0
    close: int = 0
    per_shape_hit: np.ndarray = None  # (9,) frames where truth == shape and prediction agrees
    per_shape_n: np.ndarray = None  # (9,) frames where truth == shape
    closure_hits: int = 0
    closures: int = 0
    a_runs_good: int = 0
    a_runs: int = 0
    phone_edits: int = 0
    ref_phones: int = 0

    def __post_init__(self) -> None:
        if self.per_shape_hit is None:
            self.per_shape_hit = np.zeros(9, np.int64)
            self.per_shape_n = np.zeros(9, np.int64)

    def add(self, truth: list[Phone], pred_frames: np.ndarray, duration: float,
            pred_phones: list[Phone] | None = None) -> "Score":
        t = phones_to_frames(truth, duration)
        p = pred_frames[: len(t)]
        if len(p) < len(t):
            p = np.concatenate([p, np.full(len(t) - len(p), "X")])
        self.frames += len(t)
        self.exact += int((t == p).sum())
        tc = np.vectorize(VISUAL_CLASS.get)(t) if len(t) else t
        pc = np.vectorize(VISUAL_CLASS.get)(p) if len(p) else p
        self.close += int((tc == pc).sum())
        for k, s in enumerate(SHAPES):
            m = t == s
            self.per_shape_n[k] += int(m.sum())
            self.per_shape_hit[k] += int((p[m] == s).sum())
        h, n, g, r = closure_scores(truth, p)
        self.closure_hits += h
        self.closures += n
        self.a_runs_good += g
        self.a_runs += r
        if pred_phones is not None:
            ref = phone_sequence(truth)
            self.phone_edits += levenshtein(ref, phone_sequence(pred_phones))
            self.ref_phones += len(ref)
        return self

    @property
    def exact_pct(self) -> float:
        return 100.0 * self.exact / max(self.frames, 1)

    @property
    def close_pct(self) -> float:
        return 100.0 * self.close / max(self.frames, 1)

    @property
    def macro_recall(self) -> float:
        """Mean per-shape recall over the shapes present in the truth, in %."""
        present = self.per_shape_n > 0
        return 100.0 * float(np.mean(self.per_shape_hit[present] / self.per_shape_n[present]))

    @property
    def closure_recall(self) -> float:
        return 100.0 * self.closure_hits / max(self.closures, 1)

    @property
    def closure_precision(self) -> float:
        return 100.0 * self.a_runs_good / max(self.a_runs, 1)

    @property
    def per(self) -> float:
        return 100.0 * self.phone_edits / max(self.ref_phones, 1)

    def summary(self) -> dict:
        return {"exact": round(self.exact_pct, 1), "close": round(self.close_pct, 1),
                "macro_recall": round(self.macro_recall, 1),
                "closure_recall": round(self.closure_recall, 1),
                "closure_precision": round(self.closure_precision, 1),
                "per": round(self.per, 1) if self.ref_phones else None,
                "frames": self.frames, "closures": self.closures}
