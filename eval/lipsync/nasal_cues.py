"""Session 12 (issue #16 §3): does a closure candidate sound like /m/ or like /n ng/? Tuning sets only.

    python eval/lipsync/nasal_cues.py oracle                  # true /m/ vs true /n ng/ phones, real tuning voices
    python eval/lipsync/nasal_cues.py cands mfa extra mbrola-tune espeak-tune   # tuning candidates, by group

Session 10's error analysis left 11 of the real tuning voices' false closures at /n ng/ (the phone
loop hears M where the speaker said N); session 11's place veto reads its murmur over the closure
proper, which on real voices finds a stop gap or a pause more often than the nasal murmur (real
/m/ vs /n/ AUC 0.51 there against 0.80 over the loop's span). Acoustic phonetics of the nasal
murmur and its edges, each measured here as an AUC (/m/ scored high) before any is used:

* **anti-formant balance** — the oral cavity behind the closure puts a zero (anti-resonance) in
  the murmur's spectrum: /m/ ~0.75–1.25 kHz, /n/ ~1.45–2.2 kHz, /ng/ higher. Measured as band
  level 750–1250 minus 1450–2200 Hz (session 10's) and 800–1300 minus 1500–2500 Hz, raw and
  normalised by the same balance over the segment's voiced frames (channel, speaker). On these
  voices /m/ reads *high* (session 10 found the same sign): its murmur keeps more at 1 kHz;
* **spectral valley** — the frequency of the deepest dip of the murmur's smoothed spectrum
  between 0.6 and 2.8 kHz (low: /m/);
* **low-frequency share** of the murmur (under 400 Hz against 0–4 kHz);
* **murmur duration** — the voiced, weak-above-1-kHz stretch around the candidate;
* **F2 at the edges** — F2 (LPC) of the vowel next to the murmur against F2 40–70 ms further in
  (F2 falls into and rises out of a bilabial; an alveolar's locus is ~1.7–1.8 kHz).

Where the murmur is read: ``span`` (the loop's P/B/M), ``murmur`` (:func:`murmur_region`: the
frames near the candidate that are voiced and weak above 1 kHz, as a nasal murmur is), ``truth``
(the true phone: ``oracle`` only, an upper bound of what a cue can do on these voices).
Measured (docs/journal/lipsync.md, "Session 12"): the balance over the span (:func:`span_balance`) ranks
the real tuning voices' recognised /m/ over false /n ng/ at AUC 0.90 and is the veto cue of
``nasal_veto.py`` (not shipped); the valley and the low share rank the wrong way (0.30, 0.33).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

SR = 16000
HOP, WIN = 80, 320  # 5 ms hop, 20 ms frames
CUES = ("bal 750-1250 vs 1450-2200", "bal 800-1300 vs 1500-2500", "bal norm (seg voiced)", "bal wide norm",
        "valley kHz (neg)", "low share <400", "murmur dur", "F2 edge (neg)", "F2 edge - far (neg)")


def _frames(x: np.ndarray) -> np.ndarray:
    n = max((len(x) - WIN) // HOP + 1, 0)
    if n == 0:
        return np.zeros((0, WIN))
    idx = np.arange(WIN)[None, :] + HOP * np.arange(n)[:, None]
    return x[idx] * np.hanning(WIN)


def _power(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.abs(np.fft.rfft(frames, 512, axis=1)) ** 2, np.fft.rfftfreq(512, 1 / SR)


def _band(p, f, lo, hi):
    return 10 * np.log10(p[..., (f >= lo) & (f < hi)].mean(-1) + 1e-3)


class Segment:
    """Per-5-ms-frame spectra of one segment's audio ``x`` (16 kHz, int16 units), computed once."""

    def __init__(self, x: np.ndarray):
        self.x = np.asarray(x, np.float64)
        self.p, self.f = _power(_frames(self.x))
        tot = self.p[:, (self.f >= 50) & (self.f < 4000)].sum(1) + 1e-3
        self.level = 10 * np.log10(tot)
        self.low = self.p[:, (self.f >= 50) & (self.f < 400)].sum(1) / tot
        self.hi = _band(self.p, self.f, 1000, 4000)
        loud = self.level >= np.percentile(self.level, 70) - 6 if len(self.level) else self.level > 0
        self.voiced = loud & (self.low > 0.3)
        # the segment's own balance over its voiced frames: channel and speaker tilt (normaliser)
        pv = self.p[self.voiced] if self.voiced.any() else self.p
        self.norm = (float(np.median(_band(pv, self.f, 750, 1250) - _band(pv, self.f, 1450, 2200))),
                     float(np.median(_band(pv, self.f, 800, 1300) - _band(pv, self.f, 1500, 2500))))

    def frame_of(self, t: float) -> int:
        return int(round((t - WIN / 2 / SR) * SR / HOP))


def murmur_region(seg: Segment, start: float, end: float, *, search: float = 0.03) -> tuple[int, int] | None:
    """Frames ``[a, b)`` of a nasal murmur near ``[start, end)`` s: voiced (>= 30 % of 0–4 kHz power
    under 400 Hz, within 30 dB of the segment's loud frames) and weak above 1 kHz (<= the region's
    quietest-above-1-kHz voiced frame + 8 dB); the longest such run. None where none."""
    n = len(seg.level)
    a0, b0 = max(seg.frame_of(start - search), 0), min(seg.frame_of(end + search) + 1, n)
    if b0 - a0 < 2:
        return None
    top = np.percentile(seg.level, 90)
    ok = (seg.low[a0:b0] >= 0.3) & (seg.level[a0:b0] >= top - 30)
    if not ok.any():
        return None
    floor = seg.hi[a0:b0][ok].min()
    ok &= seg.hi[a0:b0] <= floor + 8
    edges = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    runs = list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))
    a, b = max(runs, key=lambda r: (r[1] - r[0], -r[0]))
    return a0 + int(a), a0 + int(b)


def _smoothed_valley(p: np.ndarray, f: np.ndarray) -> float:
    """Frequency (kHz) of the deepest dip of the cepstrally smoothed log spectrum in 0.6–2.8 kHz."""
    logp = np.log(p + 1e-3)
    cep = np.fft.irfft(logp)
    cep[25:len(cep) - 25] = 0  # keep the envelope (quefrency < ~1.5 ms)
    env = np.fft.rfft(cep).real[:len(f)]
    sel = (f >= 600) & (f <= 2800)
    return float(f[sel][np.argmin(env[sel])]) / 1000


def _f2(seg: Segment, i: int) -> float:
    from place_cues import lpc_formants
    from scipy.signal import resample_poly

    a = i * HOP
    fr = seg.x[a:a + 400]
    if len(fr) < 400:
        return np.nan
    fs = lpc_formants(resample_poly(fr, 5, 8))
    if len(fs) < 2 or fs[0] >= 1100:
        return np.nan
    rest = [v for v in fs if v > fs[0] + 250]
    return rest[0] / 1000 if rest else np.nan


def cues(seg: Segment, a: int, b: int) -> np.ndarray:
    """The :data:`CUES` over murmur frames ``[a, b)`` of ``seg`` (NaN where not measurable)."""
    n = len(seg.level)
    a, b = max(a, 0), min(max(b, a + 1), n)
    out = np.full(len(CUES), np.nan)
    if b <= a:
        return out
    p = seg.p[a:b].mean(0)
    f = seg.f
    b1 = (_band(p, f, 750, 1250) - _band(p, f, 1450, 2200)) / 10
    b2 = (_band(p, f, 800, 1300) - _band(p, f, 1500, 2500)) / 10
    out[0], out[1] = b1, b2
    out[2], out[3] = b1 - seg.norm[0] / 10, b2 - seg.norm[1] / 10
    out[4] = -_smoothed_valley(p, f)
    out[5] = float(p[(f >= 50) & (f < 400)].sum() / (p[(f >= 50) & (f < 4000)].sum() + 1e-3))
    out[6] = (b - a) * HOP / SR
    edge, far = [], []
    for i0, step in ((a - 4, -1), (b, 1)):  # 20 ms frames just outside the murmur, and 40-70 ms further
        e = _f2(seg, i0)
        g = _f2(seg, i0 + step * 10)
        if np.isfinite(e):
            edge.append(e)
            if np.isfinite(g):
                far.append(e - g)
    out[7] = -np.mean(edge) if edge else np.nan
    out[8] = -np.mean(far) if far else np.nan
    return out


#: Mean and s.d. of :func:`span_balance` over the English tuning sets' recognised P/B/M (session 12).
SPAN_BALANCE_MEAN, SPAN_BALANCE_SD = 0.6786403532828975, 1.0854975679676642


def span_balance(pcm: np.ndarray, start: float, end: float) -> float:
    """The nasal murmur's balance over a candidate's own span (session 12's veto cue, not shipped).

    Band level 750–1250 Hz minus 1450–2200 Hz (dB / 10) of the mean power spectrum of the 20 ms
    Hann frames (5 ms hop; frame ``i`` = samples ``[80 i, 80 i + 320)``) centred in ``[start, end)``:
    the phone loop's P/B/M span, not session 11's closure proper — a nasal's murmur is voiced, so it
    is rarely the quietest stretch near the candidate, but the loop's span covers it. The same
    number as :func:`cues`' first over ``Segment(pcm)``, computed on the span's frames only.

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,)]
        16 kHz audio of the segment (int16 units).
    start, end : float
        The candidate's span in seconds from ``pcm``'s first sample.

    Returns
    -------
    float
        The balance (true /m/ high, false /n ng/ low); :data:`SPAN_BALANCE_MEAN` (neutral) where the
        span holds no whole frame.
    """
    x = np.asarray(pcm, np.float64)
    n = max((len(x) - WIN) // HOP + 1, 0)
    a = int(round((start - WIN / 2 / SR) * SR / HOP))
    b = int(round((end - WIN / 2 / SR) * SR / HOP))
    a, b = max(a, 0), min(max(b, a + 1), n)
    if b <= a:
        return SPAN_BALANCE_MEAN
    p, f = _power(_frames(x[a * HOP:(b - 1) * HOP + WIN]))  # frames a .. b - 1
    p = p.mean(0)
    return float((_band(p, f, 750, 1250) - _band(p, f, 1450, 2200)) / 10)


def auc(score, y) -> float:
    score, y = np.asarray(score, float), np.asarray(y, bool)
    ok = np.isfinite(score)
    s, y = score[ok], y[ok]
    if y.sum() == 0 or (~y).sum() == 0:
        return np.nan
    from scipy.stats import rankdata

    r = rankdata(s)
    return float((r[y].sum() - y.sum() * (y.sum() + 1) / 2) / (y.sum() * (~y).sum()))


def oracle(shift: float = 0.0) -> None:
    """True /m/ against true /n ng/ phones of the real tuning voices, murmur read over the true
    phone (moved by ``shift`` s) and over :func:`murmur_region` near it."""
    import real_speech as rs

    items = rs.train_items() + rs.extra_train_items()
    rows = {"truth": [], "murmur": []}
    ys = []
    for it in items:
        seg = Segment(it.audio.astype(np.float64))
        for q in it.phones:
            if q.name not in ("M", "N", "NG") or q.end - q.start < 0.03:
                continue
            s, e = q.start + shift, q.end + shift
            ys.append(q.name == "M")
            rows["truth"].append(cues(seg, seg.frame_of(s), seg.frame_of(e)))
            m = murmur_region(seg, s, e)
            rows["murmur"].append(cues(seg, *m) if m else np.full(len(CUES), np.nan))
    y = np.array(ys)
    print(f"oracle (shift {shift * 1000:+.0f} ms): real tuning voices, /m/ {y.sum()} vs /n ng/ {(~y).sum()}")
    for where, r in rows.items():
        r = np.array(r)
        print(f"  read over {where:7s}: " + "  ".join(f"{c} {auc(r[:, k], y):.2f}" for k, c in enumerate(CUES)))


def collect_cands(names) -> list[tuple]:
    """(set, recording, kind, start, end, group, true closure, cues over span, cues over murmur region,
    candidate features) of every candidate of the recorded sets ``names`` (``closure_classifier.collect``)."""
    import closure_classifier as ccl
    import real_combine as rc
    from place_cues import truth_group

    ccl.PA_CANDIDATES = True
    out = []
    for n in names:
        data = rc.load(n)
        truth = {i: t for i, _, t, _, _ in data["items"]}
        audio = {i: (a, sr) for i, _, _, a, sr in data["items"]}
        per, labels = ccl.collect(data)
        lab = iter(labels)
        for (id_, k), cs in per.items():
            phones, prob, offset, _ = data["segments"][id_][k]
            seg = Segment(rc.segment_audio(*audio[id_], offset, len(prob)).astype(np.float64))
            for c in cs:
                kind, t0, t1, name, feats = c
                y = bool(next(lab)[1])  # a true P/B/M within 40 ms (closure_classifier.collect's label)
                g = truth_group(truth[id_], t0, t1, y)
                s0, s1 = t0 - offset, t1 - offset
                span = cues(seg, seg.frame_of(s0), seg.frame_of(s1))
                m = murmur_region(seg, s0, s1)
                mur = cues(seg, *m) if m else np.full(len(CUES), np.nan)
                out.append((n, id_, kind, t0, t1, g, y, span, mur, feats))
    return out


def report_cands(rows, names) -> None:
    real = {"mfa", "extra"}
    pools = [(n, {n}) for n in names] + [("real", real & set(names)), ("synthetic", set(names) - real)]
    for label, sets_ in pools:
        if not sets_:
            continue
        for pair, pos, neg, kinds in (("M vs N", {"M"}, {"N"}, None), ("M vs N (rec)", {"M"}, {"N"}, {"rec"}),
                                      ("true vs false (rec)", {"M", "PB"}, None, {"rec"})):
            sel = [r for r in rows if r[0] in sets_ and (kinds is None or r[2] in kinds)
                   and (r[5] in pos or (r[5] in neg if neg else not r[6]))]
            y = np.array([r[5] in pos for r in sel])
            if y.sum() < 3 or (~y).sum() < 3:
                continue
            for where, j in (("span", 7), ("murmur", 8)):
                c = np.array([r[j] for r in sel])
                print(f"{label:10s} {pair:20s} ({y.sum()}/{(~y).sum()}) {where:6s}: "
                      + "  ".join(f"{cn} {auc(c[:, k], y):.2f}" for k, cn in enumerate(CUES)), flush=True)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] == "oracle":
        for shift in (0.0, -0.03, 0.03):
            oracle(shift)
        return 0
    if argv[0] == "cands":
        names = argv[1:] or ["mfa", "extra", "mbrola-tune", "espeak-tune"]
        report_cands(collect_cands(names), names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
