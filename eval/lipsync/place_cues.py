"""Place-of-articulation cues of a closure candidate: lips, or tongue tip / back? (issue #16 §3, session 10).

    python eval/lipsync/place_cues.py mfa extra mbrola-tune espeak-tune   # AUC of each cue, by group

(recorded sets, ``real_combine.py record``; tuning sets only.) Not shipped: the veto built on these
cues (``place_veto.py``) failed its held-out rule (docs/lipsync.md, Session 10).

Without a transcript the phone loop hears P/B/M where real speakers say N, T, D, K (session 10's
error analysis of the real tuning recordings: of 37 false closures shown, 11 were /n ng/ and 9
/t d k g/). Phonetics separates the places by cues a short-time spectrum can measure:

* the **nasal murmur** — /m/'s murmur keeps its energy low (a strong first nasal resonance under
  ~1 kHz), /n/'s keeps more around 1.5–2 kHz: band level 750–1250 Hz minus 1450–2200 Hz;
* the **release burst** — labial bursts are diffuse and fall with frequency (low centroid),
  alveolar ones rise into the high band, velar ones are compact mid peaks: the spectral centroid
  above 500 Hz of the 20 ms after the candidate (not read where a sibilant follows: its noise
  would be taken for an alveolar burst);
* the **formant transitions** — lips closing lower F2 and F3 at the vowel's edge (F2 locus
  ~0.8–1 kHz), alveolars point F2 to ~1.7–1.8 kHz: F2 and F3 (LPC) of the voiced frames within
  35 ms of either edge.

Measured on the tuning candidates (true /m/ against false /n/, true /p b/ against false /t d/; real
and synthetic alike; docs/lipsync.md, Session 10) before they were used.
"""

from __future__ import annotations

import numpy as np

SR = 16000
N_CUES = 4
#: Values for a cue that cannot be measured (no voiced frame at the edge, a span at the segment's end).
NEUTRAL = np.array([0.0, 1.5, 1.7, 2.8])
_LPC_SR = 10000  # formants below 5 kHz: LPC on audio resampled to 10 kHz (order 12, Praat-like)
_ORDER = 12
#: Frication centred above this (kHz) 20-60 ms after a span is a sibilant: no burst reading there.
SIBILANT_KHZ = 3.0


def _band_level(power: np.ndarray, freqs: np.ndarray, lo: float, hi: float) -> float:
    return float(10 * np.log10(power[(freqs >= lo) & (freqs < hi)].mean() + 1e-6))


def _spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)), 1024)) ** 2
    return power, np.fft.rfftfreq(1024, 1 / SR)


def _centroid(x: np.ndarray) -> float:
    """Spectral centroid above 500 Hz (kHz); :data:`NEUTRAL`'s value for silence."""
    power, freqs = _spectrum(x)
    hi = freqs > 500
    total = power[hi].sum()
    return float((power[hi] * freqs[hi]).sum() / total) / 1000 if total > 0 else float(NEUTRAL[1])


def lpc_formants(frame: np.ndarray, sr: int = _LPC_SR, order: int = _ORDER) -> list[float]:
    """Formant frequencies (Hz, ascending; bandwidth < 500 Hz, 150–4800 Hz) of one frame by
    autocorrelation LPC (pre-emphasis 0.7, Hamming window)."""
    from scipy.linalg import solve_toeplitz
    from scipy.signal import lfilter

    x = lfilter([1, -0.7], [1], frame * np.hamming(len(frame)))
    r = np.correlate(x, x, "full")[len(x) - 1:len(x) + order]
    if r[0] <= 0:
        return []
    r[0] *= 1.0001  # a little white noise keeps the Toeplitz system solvable
    try:
        a = solve_toeplitz(r[:order], -r[1:order + 1])
    except (np.linalg.LinAlgError, ValueError):
        return []
    roots = np.roots(np.concatenate([[1.0], a]))
    roots = roots[np.imag(roots) > 0]
    f = np.angle(roots) * sr / (2 * np.pi)
    bw = -sr / np.pi * np.log(np.abs(roots) + 1e-12)
    return sorted(f[(f > 150) & (f < 4800) & (bw < 500)])


def _edge_formants(x: np.ndarray, c0: float, c1: float) -> tuple[float, float]:
    """Median F2, F3 (Hz) of the voiced 25 ms frames (5 ms hop) centred within 35 ms outside either
    edge of the span ``[c0, c1)`` (s) of ``x`` (float, 16 kHz); NaN where none."""
    from scipy.signal import resample_poly

    y = resample_poly(x, 5, 8)
    n, hop = int(0.025 * _LPC_SR), int(0.005 * _LPC_SR)
    starts = np.arange(0, max(len(y) - n, 0), hop)
    if not len(starts):
        return np.nan, np.nan
    centres = starts / _LPC_SR + 0.0125
    energy = np.array([10 * np.log10((y[i:i + n] ** 2).mean() + 1e-3) for i in starts])
    near = ((centres >= c0 - 0.035) & (centres < c0 + 0.005)) | ((centres >= c1 - 0.005) & (centres < c1 + 0.035))
    pick = near & (energy >= energy.max() - 25)  # voiced: within 25 dB of the clip's loudest frame
    f2, f3 = [], []
    for i in starts[pick]:
        fs = lpc_formants(y[i:i + n])
        if len(fs) < 2 or fs[0] >= 1100:  # F1 must be below 1.1 kHz
            continue
        rest = [f for f in fs if f > fs[0] + 250]
        if rest:
            f2.append(rest[0])
            above = [f for f in rest if f > rest[0] + 300]
            if above:
                f3.append(above[0])
    return (float(np.median(f2)) if f2 else np.nan), (float(np.median(f3)) if f3 else np.nan)


def place_cues(pcm: np.ndarray, start: float, end: float) -> np.ndarray:
    """The four place cues of a candidate spanning ``[start, end)`` seconds of ``pcm``.

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,)]
        16 kHz audio (int16 or float) holding the candidate and, where there is any, 250 ms either side.
    start, end : float
        The candidate's span in seconds from ``pcm``'s first sample.

    Returns
    -------
    np.ndarray [shape=(4,)]
        Murmur balance (level 750–1250 Hz minus 1450–2200 Hz over the span, dB / 10), release
        burst centroid (kHz, above 500 Hz, 20 ms after the span), F2 and F3 at the span's edges
        (kHz); :data:`NEUTRAL` where a cue cannot be measured.
    """
    x = np.asarray(pcm, np.float64)
    out = NEUTRAL.copy()
    a, b = int(start * SR), int(end * SR)
    span = x[max(a, 0):max(b, a + 160)]
    if len(span) >= 160:
        power, freqs = _spectrum(span)
        out[0] = (_band_level(power, freqs, 750, 1250) - _band_level(power, freqs, 1450, 2200)) / 10
    burst = x[max(b, 0):max(b, 0) + 320]
    after = x[max(b, 0) + 320:max(b, 0) + 960]
    # a sibilant straight after the span (/p s/, /m s/) hides the burst under its own high noise
    if len(burst) >= 160 and not (len(after) >= 320 and _centroid(after) > SIBILANT_KHZ):
        out[1] = _centroid(burst)
    lo, hi_ = max(a - int(0.25 * SR), 0), min(b + int(0.25 * SR), len(x))
    f2, f3 = _edge_formants(x[lo:hi_], (a - lo) / SR, (b - lo) / SR)
    if np.isfinite(f2):
        out[2] = f2 / 1000
    if np.isfinite(f3):
        out[3] = f3 / 1000
    return out


CUE_NAMES = ("murmur 1k-1.8k", "burst centroid", "F2 edge", "F3 edge")


def truth_group(truth, t0: float, t1: float, true: bool) -> str:
    """"M" or "PB" for a true closure (an M within ±30 ms), else what the truth has there:
    "N" (n, ng), "TD", "KG", "THDH" or "other"."""
    names = {q.name for q in truth if q.end > t0 - 0.03 and q.start < t1 + 0.03}
    if true:
        return "M" if "M" in names else "PB"
    for group, members in (("N", {"N", "NG"}), ("TD", {"T", "D"}), ("KG", {"K", "G"}), ("THDH", {"TH", "DH"})):
        if names & members:
            return group
    return "other"


def main(argv=None) -> int:
    import sys
    from pathlib import Path

    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    import closure_classifier as ccl
    import real_closure_score as rcs
    import real_combine as rc

    names = (sys.argv[1:] if argv is None else argv) or ["mfa", "extra", "mbrola-tune", "espeak-tune"]
    ccl.PA_CANDIDATES, ccl.PLACE_CUES = True, True
    rows = []
    for n in names:
        data = rc.load(n)
        truth = {i: t for i, _, t, _, _ in data["items"]}
        per, labels = ccl.collect(data)
        cs = [(key[0], c) for key, v in per.items() for c in v]
        rows += [(n, truth_group(truth[i], c[1], c[2], lab), np.array(c[4][-N_CUES:]))
                 for (i, c), (_, lab, _) in zip(cs, labels)]
    pairs = (("M", "N"), ("PB", "TD"), ("PB", "KG"), ("PB", "THDH"), ("M", "TD"))
    print("AUC of each cue (true group scored high: murmur as is, burst and formants negated)")
    real = {"mfa", "extra"} & set(names)
    pools = [(n, {n}) for n in names]
    pools += [("real", real), ("synthetic", set(names) - real)] if real and set(names) - real else []
    for n, members in pools:
        for pos, neg in pairs:
            sel = [r for r in rows if r[0] in members and r[1] in (pos, neg)]
            y = np.array([r[1] == pos for r in sel], float)
            if y.sum() < 3 or (1 - y).sum() < 3:
                continue
            c = np.array([r[2] for r in sel])
            aucs = [rcs._auc(c[:, 0], y)] + [rcs._auc(-c[:, k], y) for k in (1, 2, 3)]
            print(f"{n:12s} {pos}({int(y.sum())}) vs {neg}({int((1 - y).sum())}): "
                  + "  ".join(f"{name} {a:.2f}" for name, a in zip(CUE_NAMES, aucs)))
    return 0


__all__ = ["CUE_NAMES", "N_CUES", "NEUTRAL", "lpc_formants", "place_cues", "truth_group"]


if __name__ == "__main__":
    raise SystemExit(main())
