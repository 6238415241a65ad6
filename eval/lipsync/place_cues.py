"""Place-of-articulation cues of a closure candidate: lips, or tongue tip / back? (issue #16 §3, session 10).

    python eval/lipsync/place_cues.py mfa extra mbrola-tune espeak-tune   # AUC of each cue, by group

(recorded sets, ``real_combine.py record``; tuning sets only.) Not shipped: the veto built on these
cues (``place_veto.py``) failed its held-out rule (docs/journal/lipsync.md, Session 10).

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
and synthetic alike; docs/journal/lipsync.md, Session 10) before they were used.
"""

from __future__ import annotations

import numpy as np

SR = 16000
N_CUES = 4
#: Values for a cue that cannot be measured (no voiced frame at the edge, a span at the segment's end).
NEUTRAL = np.array([0.0, 1.5, 1.7, 2.8])
_LPC_SR = 10000  # formants below 5 kHz: LPC on audio resampled to 10 kHz (order 12, Praat-like)
_ORDER = 12
# the murmur, the burst and its sibilant guard (SIBILANT_KHZ) live in facemimic/lipsync/closure_place.py
#: Session 11: where the murmur and the burst are read. "span": over the phone loop's span and the
#: 20 ms after it (session 10); "closure": over the closure proper (:func:`closure_extent`) and the
#: 20 ms after its release. The phone loop places its P/B/M tens of ms off the closure (session 10's
#: lost espeak-ng closure: a P starting on the /l/ before the B, so the span's "murmur" was the /l/).
CUE_SPAN = "span"
#: :func:`closure_extent`'s settings (search margin, shortest and longest closure, s; rise, dB).
CLOSURE_SEARCH, CLOSURE_SHORTEST, CLOSURE_LONGEST, CLOSURE_RISE_DB = 0.03, 0.02, 0.04, 6.0


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


def closure_extent(x: np.ndarray, start: float, end: float, **settings) -> tuple[float, float]:
    """:func:`facemimic.lipsync.closure_place.closure_extent` (session 11, shipped) with this
    module's experiment settings (:data:`CLOSURE_SEARCH` ...) unless given."""
    from facemimic.lipsync.closure_place import closure_extent as extent

    settings = {"search": CLOSURE_SEARCH, "shortest": CLOSURE_SHORTEST, "longest": CLOSURE_LONGEST,
                "rise_db": CLOSURE_RISE_DB, **settings}
    return extent(x, start, end, **settings)


def murmur_extent(x: np.ndarray, start: float, end: float, *, search: float = 0.03, length: float = 0.02,
                  low_share_db: float = -3.0, floor_db: float = 35.0) -> tuple[float, float] | None:
    """Session 11 experiment (tuning only): the quietest *voiced* ``length`` s of ``[start - search,
    end + search)`` — 5 ms frames with at least half their power under 500 Hz (``low_share_db``) and
    within ``floor_db`` of the region's loudest frame: a nasal murmur or voice bar, not a stop's
    silent gap or a pause (where the quietest stretch of real speech often lies). None if none."""
    hop = 80
    a0, b0 = max(int((start - search) * SR), 0), min(int((end + search) * SR), len(x))
    n, k = (b0 - a0) // hop, max(int(round(length * SR / hop)), 1)
    if n < k:
        return None
    frames = np.asarray(x[a0:a0 + n * hop], np.float64).reshape(n, hop)
    spec = np.abs(np.fft.rfft(frames * np.hanning(hop), 256, axis=1)) ** 2
    freqs = np.fft.rfftfreq(256, 1 / SR)
    total = spec.sum(1) + 1e-9
    low = 10 * np.log10(spec[:, (freqs >= 60) & (freqs < 500)].sum(1) / total + 1e-12)
    level = 10 * np.log10((frames ** 2).mean(1) + 1.0)
    voiced = (low >= low_share_db) & (level >= level.max() - floor_db)
    mean = np.convolve(level, np.ones(k) / k, "valid")
    ok = np.convolve(voiced.astype(float), np.ones(k), "valid") >= k
    if not ok.any():
        return None
    i = int(np.flatnonzero(ok)[np.argmin(mean[ok])])
    return (a0 + i * hop) / SR, (a0 + (i + k) * hop) / SR


def _murmur_and_burst(x: np.ndarray, a: int, b: int) -> tuple[float, float]:
    """Murmur balance over samples ``[a, b)`` and burst centroid after ``b`` (:func:`place_cues`;
    one implementation with the package's :mod:`facemimic.lipsync.closure_place`)."""
    from facemimic.lipsync.closure_place import burst_centroid, murmur_balance

    return murmur_balance(x, a, b), burst_centroid(x, b)


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
    if CUE_SPAN == "closure":
        c0, c1 = closure_extent(x, start, end)
        a, b = int(c0 * SR), int(c1 * SR)
    out[:2] = _murmur_and_burst(x, a, b)
    if CUE_SPAN == "voiced":  # experiment: murmur over the quietest voiced stretch, burst after the closure proper
        from facemimic.lipsync.closure_place import burst_centroid, murmur_balance

        c0, c1 = closure_extent(x, start, end)
        out[1] = burst_centroid(x, int(c1 * SR))
        m = murmur_extent(x, start, end)
        out[0] = murmur_balance(x, int(m[0] * SR), int(m[1] * SR)) if m else murmur_balance(x, a, b)
    if CUE_SPAN == "either":  # the more labial reading of the two places (session 11)
        c0, c1 = closure_extent(x, start, end)
        m, u = _murmur_and_burst(x, int(c0 * SR), int(c1 * SR))
        out[0], out[1] = max(out[0], m), min(out[1], u)
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
    "N" (n, ng), "TD", "KG", "THDH", "LR" (l, r, y, hh; session 11) or "other"."""
    names = {q.name for q in truth if q.end > t0 - 0.03 and q.start < t1 + 0.03}
    if true:
        return "M" if "M" in names else "PB"
    for group, members in (("N", {"N", "NG"}), ("TD", {"T", "D"}), ("KG", {"K", "G"}), ("THDH", {"TH", "DH"}),
                           ("LR", {"L", "R", "Y", "HH"})):
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

    argv = sys.argv[1:] if argv is None else argv
    import place_cues as module  # what ccl.collect calls (this file may be running as __main__)

    span = module.CUE_SPAN = next((m for m in ("closure", "either", "voiced") if f"--{m}" in argv), "span")
    for a in argv:  # --search=S --shortest=S --longest=S --rise=DB: closure_extent's settings
        if a.startswith(("--search=", "--shortest=", "--longest=", "--rise=")):
            key, value = a[2:].split("=")
            setattr(module, {"rise": "CLOSURE_RISE_DB"}.get(key, "CLOSURE_" + key.upper()), float(value))
    if span != "span":
        span += (f" (search ±{module.CLOSURE_SEARCH * 1000:.0f} ms, {module.CLOSURE_SHORTEST * 1000:.0f}-"
                 f"{module.CLOSURE_LONGEST * 1000:.0f} ms, rise {module.CLOSURE_RISE_DB:.0f} dB)")
    names = [a for a in argv if not a.startswith("--")] or ["mfa", "extra", "mbrola-tune", "espeak-tune"]
    ccl.PA_CANDIDATES, ccl.PLACE_CUES = True, True
    rows, liquid = [], []
    for n in names:
        data = rc.load(n)
        truth = {i: t for i, _, t, _, _ in data["items"]}
        per, labels = ccl.collect(data)
        cs = [(key[0], c) for key, v in per.items() for c in v]
        for (i, c), (_, lab, _) in zip(cs, labels):
            rows.append((n, truth_group(truth[i], c[1], c[2], lab), np.array(c[4][-N_CUES:])))
            # session 11: true closures next to an l/r/y/hh (the lost espeak-ng "L B IY")
            near = {q.name for q in truth[i] if q.end > c[1] - 0.03 and q.start < c[2] + 0.03}
            liquid.append(bool(lab and near & {"L", "R", "Y", "HH"}))
    cues = np.array([r[2] for r in rows])
    mu, sd = cues[:, :2].mean(0), cues[:, :2].std(0)
    zs = (cues[:, 0] - mu[0]) / sd[0] - (cues[:, 1] - mu[1]) / sd[1]
    rows = [(r[0], "PBM-LR" if lq else r[1], r[2], z) for r, lq, z in zip(rows, liquid, zs)]
    print(f"cues read over the {span}; z = murmur(std) - burst(std), murmur mean {mu[0]:.3f} sd {sd[0]:.3f}, "
          f"burst mean {mu[1]:.3f} sd {sd[1]:.3f}")
    for n in names:
        tl = sorted(r[3] for r in rows if r[0] == n and r[1] == "PBM-LR")
        fl = sorted(r[3] for r in rows if r[0] == n and r[1] == "LR")
        if tl:
            print(f"{n:12s} true closures next to l/r/y/hh: {len(tl)}, z < -0.5: {sum(z < -0.5 for z in tl)}, "
                  f"z < 0: {sum(z < 0 for z in tl)}; false at l/r/y/hh: {len(fl)}, z < -0.5: {sum(z < -0.5 for z in fl)}")
    pairs = (("M", "N"), ("PB", "TD"), ("PB", "KG"), ("PB", "THDH"), ("M", "TD"), ("PBM-LR", "LR"), ("PBM", "NTD"),
             ("PBM", "false"))
    members = {"PBM": {"M", "PB", "PBM-LR"}, "NTD": {"N", "TD", "THDH"},
               "false": {"N", "TD", "KG", "THDH", "LR", "other"}}
    print("AUC of each cue (true group scored high: murmur and z as is, burst and formants negated)")
    real = {"mfa", "extra"} & set(names)
    pools = [(n, {n}) for n in names]
    pools += [("real", real), ("synthetic", set(names) - real)] if real and set(names) - real else []
    for n, sets_ in pools:
        for pos, neg in pairs:
            ps, ns = members.get(pos, {pos}), members.get(neg, {neg})
            sel = [r for r in rows if r[0] in sets_ and r[1] in ps | ns]
            y = np.array([r[1] in ps for r in sel], float)
            if y.sum() < 3 or (1 - y).sum() < 3:
                continue
            c = np.array([r[2] for r in sel])
            aucs = ([rcs._auc(c[:, 0], y)] + [rcs._auc(-c[:, k], y) for k in (1, 2, 3)]
                    + [rcs._auc(np.array([r[3] for r in sel]), y)])
            print(f"{n:12s} {pos}({int(y.sum())}) vs {neg}({int((1 - y).sum())}): "
                  + "  ".join(f"{name} {a:.2f}" for name, a in zip(CUE_NAMES + ("z",), aucs)))
    return 0


__all__ = ["CUE_NAMES", "N_CUES", "NEUTRAL", "lpc_formants", "place_cues", "truth_group"]


if __name__ == "__main__":
    raise SystemExit(main())
