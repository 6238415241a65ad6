"""Where the lips closed: a closure candidate's place of articulation (issue #16 §3, session 11).

Without a transcript the English phone loop hears P/B/M where real speakers say N, T, D, TH (of
the false closures on the real tuning recordings, 25 of 37 sat at an alveolar or dental place).
Two acoustic cues tell the lips from the tongue tip, read over the **closure proper** — the
quietest 20–40 ms near the candidate (:func:`closure_extent`), because the loop places its P/B/M
tens of ms off the closure (session 10: a P starting on the /l/ before a B read the /l/):

* the **nasal murmur balance** — /m/'s murmur keeps its energy under ~1 kHz, /n/'s keeps more
  around 1.5–2 kHz: band level 750–1250 Hz minus 1450–2200 Hz (:func:`murmur_balance`);
* the **release burst** — labial bursts are diffuse and low, alveolar ones high: the spectral
  centroid above 500 Hz of the 20 ms after the release (:func:`burst_centroid`; not read where a
  sibilant follows, whose noise would pass for an alveolar burst).

:func:`place_score` combines them in standard units of the English tuning candidates (labial:
high). :func:`closure_candidates.classify_closures <facemimic.lipsync.closure_candidates.classify_closures>`
drops a recognised P/B/M it would keep when the candidate classifier scored it under
:data:`VETO_SCORE` and its place score is under :data:`VETO_PLACE`. Both levels, and the choice
of the closure proper, were picked on tuning recordings only by a rule fixed before the held-out
sets were scored (docs/journal/lipsync.md, "Session 11"; ``eval/lipsync/place_veto.py``).
"""

from __future__ import annotations

import numpy as np

SR = 16000
#: Frication centred above this (kHz) 20-60 ms after the closure is a sibilant: no burst reading there.
SIBILANT_KHZ = 3.0
#: Cue values where a cue cannot be measured (too little audio): murmur balance, burst centroid (kHz).
NEUTRAL_MURMUR, NEUTRAL_BURST = 0.0, 1.5
#: Mean and s.d. of (murmur balance, burst centroid) over the English tuning candidates (session 11).
PLACE_MEAN = (0.4935537816274234, 1.7659231948379581)
PLACE_SD = (0.8883241706118195, 0.7753411059743607)
#: The veto: a kept recognised P/B/M scored under VETO_SCORE with a place score under VETO_PLACE.
VETO_SCORE, VETO_PLACE = 0.4, -1.5


def closure_extent(x: np.ndarray, start: float, end: float, *, search: float = 0.03, shortest: float = 0.02,
                   longest: float = 0.04, rise_db: float = 6.0) -> tuple[float, float]:
    """The closure proper near a candidate: the quietest stretch of ``[start - search, end + search)``.

    The lips' closure is the candidate's energy dip (a stop's silence or voice bar, a nasal's
    murmur under the vowels). The quietest ``shortest`` seconds (5 ms frames) of the search region
    seed it; it grows a frame at a time, on the quieter side, while that frame is within
    ``rise_db`` of the seed's mean level, up to ``longest`` seconds.

    Parameters
    ----------
    x : np.ndarray [shape=(n,)]
        16 kHz audio (int16 units, float).
    start, end : float
        The candidate's span in seconds from ``x``'s first sample.
    search, shortest, longest : float
        Search margin either side, shortest and longest closure (s).
    rise_db : float
        How far above the seed's mean level the closure may grow (dB).

    Returns
    -------
    (float, float)
        The closure's start and end in seconds; ``(start, end)`` where the search region is
        shorter than ``shortest``.
    """
    hop = 80  # 5 ms
    a0 = max(int((start - search) * SR), 0)
    b0 = min(int((end + search) * SR), len(x))
    n = (b0 - a0) // hop
    k = max(int(round(shortest * SR / hop)), 1)
    if n < k:
        return start, end
    frames = np.asarray(x[a0:a0 + n * hop], np.float64).reshape(n, hop)
    level = 10 * np.log10((frames ** 2).mean(1) + 1.0)  # +1: int16 units, digital silence reads 0 dB
    mean = np.convolve(level, np.ones(k) / k, "valid")
    i = int(np.argmin(mean))
    lo, hi, ceiling = i, i + k, mean[i] + rise_db
    most = max(int(round(longest * SR / hop)), k)
    while hi - lo < most:
        left = level[lo - 1] if lo > 0 else np.inf
        right = level[hi] if hi < n else np.inf
        if min(left, right) > ceiling:
            break
        if left <= right:
            lo -= 1
        else:
            hi += 1
    return (a0 + lo * hop) / SR, (a0 + hi * hop) / SR


def _spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)), 1024)) ** 2
    return power, np.fft.rfftfreq(1024, 1 / SR)


def _band_level(power: np.ndarray, freqs: np.ndarray, lo: float, hi: float) -> float:
    return float(10 * np.log10(power[(freqs >= lo) & (freqs < hi)].mean() + 1e-6))


def _centroid(x: np.ndarray) -> float:
    power, freqs = _spectrum(x)
    hi = freqs > 500
    total = power[hi].sum()
    return float((power[hi] * freqs[hi]).sum() / total) / 1000 if total > 0 else NEUTRAL_BURST


def murmur_balance(x: np.ndarray, a: int, b: int) -> float:
    """Band level 750–1250 Hz minus 1450–2200 Hz (dB / 10) of samples ``[a, b)`` of ``x`` (at
    least 10 ms from ``a``); :data:`NEUTRAL_MURMUR` where there is less audio."""
    span = np.asarray(x[max(a, 0):max(b, a + 160)], np.float64)
    if len(span) < 160:
        return NEUTRAL_MURMUR
    power, freqs = _spectrum(span)
    return (_band_level(power, freqs, 750, 1250) - _band_level(power, freqs, 1450, 2200)) / 10


def burst_centroid(x: np.ndarray, b: int) -> float:
    """Spectral centroid above 500 Hz (kHz) of the 20 ms of ``x`` from sample ``b`` (a release);
    :data:`NEUTRAL_BURST` where there is too little audio or a sibilant (centred above
    :data:`SIBILANT_KHZ`) follows 20–60 ms after ``b`` (/p s/, /m s/: its noise is no burst)."""
    b = max(b, 0)
    burst = np.asarray(x[b:b + 320], np.float64)
    after = np.asarray(x[b + 320:b + 960], np.float64)
    if len(burst) < 160 or (len(after) >= 320 and _centroid(after) > SIBILANT_KHZ):
        return NEUTRAL_BURST
    return _centroid(burst)


def place_cues(pcm: np.ndarray, start: float, end: float) -> tuple[float, float]:
    """Murmur balance over the closure proper near ``[start, end)`` (s) of ``pcm`` and the burst
    centroid after its release (kHz); see :func:`closure_extent`."""
    x = np.asarray(pcm, np.float64)
    c0, c1 = closure_extent(x, start, end)
    a, b = int(c0 * SR), int(c1 * SR)
    return murmur_balance(x, a, b), burst_centroid(x, b)


def place_score(pcm: np.ndarray, start: float, end: float) -> float:
    """How labial a closure candidate sounds: murmur minus burst in standard units (high: lips).

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,)]
        16 kHz audio of the segment holding the candidate (int16 or float in int16 units).
    start, end : float
        The candidate's span in seconds from ``pcm``'s first sample.

    Returns
    -------
    float
        ``(murmur - PLACE_MEAN[0]) / PLACE_SD[0] - (burst - PLACE_MEAN[1]) / PLACE_SD[1]``.
    """
    murmur, burst = place_cues(pcm, start, end)
    return (murmur - PLACE_MEAN[0]) / PLACE_SD[0] - (burst - PLACE_MEAN[1]) / PLACE_SD[1]


def vetoed(pcm: np.ndarray, start: float, end: float, score: float) -> bool:
    """Whether a recognised P/B/M the candidate classifier keeps with ``score`` is dropped:
    ``score < VETO_SCORE`` and :func:`place_score` ``< VETO_PLACE`` (times as for :func:`place_score`)."""
    return score < VETO_SCORE and place_score(pcm, start, end) < VETO_PLACE


__all__ = ["PLACE_MEAN", "PLACE_SD", "VETO_PLACE", "VETO_SCORE", "burst_centroid", "closure_extent",
           "murmur_balance", "place_cues", "place_score", "vetoed"]
