"""Acoustic bilabial-closure detector: finds the P/B/M that the phone recogniser missed.

pocketsphinx's phone loop confuses P/B/M with F, V, D, N and K (the lips close for only
50-80 ms and the difference lies mostly in formant transitions), and a missed closure is the
most visible lip-sync error. Next to the recogniser a tiny NumPy network looks at ±80 ms of log
mel spectra around every 10 ms frame and gives the probability that the lips are closed for a
stop (P/B: closure silence or voice bar, then a flat, weak burst) or a nasal (M: low-frequency
murmur, damped upper formants). Where it is confident and the recogniser heard no bilabial
nearby, a P/B/M phone is inserted.

The weights (``bilabial_weights.npz``, 43 kB, SHA-256 checked against the asset manifest of
:mod:`facemimic.common.assets`) are trained by ``eval/lipsync/train_bilabial.py``
on MBROLA speech of random word strings and 40 tuning sentences, none of them in the evaluation
set; the decision setting (threshold, minimum run, peak) is chosen on held-out tuning sentences.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..common.assets import asset_location, load_shipped_npz
from ..errors import ParameterError
from ..phonetics.phones import NOISE, SILENCE, VOWELS, Phone

SR = 16000
HOP = 160  # 10 ms
WIN = 400  # 25 ms
NFFT = 512
N_MELS = 24
#: Context frames stacked around each frame (10 ms units): ±80 ms, denser near the centre.
OFFSETS = (-8, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, 8)
WEIGHTS_ASSET = "lipsync/bilabial_weights.npz"  # its name in the asset manifest
WEIGHTS_PATH = asset_location(WEIGHTS_ASSET)
BILABIALS = ("P", "B", "M")
_NOT_BILABIAL = {"P": "T", "B": "D", "M": "N"}  # what a vetoed closure most likely was


@dataclass(frozen=True)
class ClosureOptions:
    """How detected closures are turned into phones."""

    threshold: float = 0.5  # frame probability of a closed-lip bilabial (chosen on the tuning set)
    min_frames: int = 3  # a detection must last this many 10 ms frames
    peak: float = 0.0  # ... and reach this (smoothed) probability somewhere (hysteresis; 0: off)
    near: float = 0.04  # s: a recognised P/B/M this close to a detection already explains it
    min_duration: float = 0.05  # s: an inserted closure lasts at least this long
    veto: float = 0.0  # a recognised P/B/M whose peak probability stays below this is relabelled (0: off)
    veto_window: float = 0.02  # s: the peak is looked for this far beyond the recognised phone
    consonants_only: bool = True  # insert only where the recogniser heard a consonant

    def __post_init__(self) -> None:
        if not 0 < self.threshold < 1:
            raise ParameterError(f"closure threshold must be in (0, 1), got {self.threshold!r}")
        if self.min_frames < 1 or self.near < 0 or self.min_duration <= 0:
            raise ParameterError("closure min_frames >= 1, near >= 0 and min_duration > 0 required")


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` without BLAS. OpenBLAS wakes a thread per core for these small products and
    leaves it spinning while pocketsphinx decodes the next segment: measured +70 % CPU time on
    a 2-core machine. NumPy's own einsum loop is single-threaded and fast enough here (~10 ms for
    30 s of audio)."""
    return np.einsum("ij,jk->ik", a.astype(np.float32, copy=False), b.astype(np.float32, copy=False))


@functools.lru_cache(maxsize=1)
def _window() -> np.ndarray:
    return np.hamming(WIN).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _mel_matrix() -> np.ndarray:
    """(NFFT//2+1, N_MELS) triangular mel filterbank, 60 Hz - 7.6 kHz."""
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    pts = hz(np.linspace(mel(60.0), mel(7600.0), N_MELS + 2))
    freqs = np.arange(NFFT // 2 + 1) * SR / NFFT
    fb = np.zeros((len(freqs), N_MELS), np.float32)
    for k in range(N_MELS):
        lo, c, hi = pts[k], pts[k + 1], pts[k + 2]
        fb[:, k] = np.clip(np.minimum((freqs - lo) / (c - lo), (hi - freqs) / (hi - c)), 0, None)
    return fb


def log_mel(pcm: np.ndarray) -> np.ndarray:
    """Log mel energies of 25 ms frames every 10 ms.

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,), int16 or float]
        16 kHz mono.

    Returns
    -------
    np.ndarray [shape=(ceil(n / 160), N_MELS + 1), float32]
        Row ``i`` describes the frame centred at ``i * 10 ms + 12.5 ms``; the last column is the
        total log energy.
    """
    x = np.asarray(pcm, np.float32) / 32768.0
    n = max(int(np.ceil(len(x) / HOP)), 1)
    x = np.concatenate([x, np.zeros(n * HOP + WIN - len(x), np.float32)])
    x[1:] -= 0.97 * x[:-1].copy()  # pre-emphasis, as speech front-ends do
    frames = np.lib.stride_tricks.sliding_window_view(x, WIN)[::HOP][:n] * _window()
    spec = np.fft.rfft(frames, NFFT, axis=1)  # (SciPy's float32 FFT is faster but costs 0.3 s to import)
    power = spec.real ** 2 + spec.imag ** 2
    mel = np.log(_matmul(power, _mel_matrix()) + 1e-8)
    energy = np.log(power.sum(axis=1) + 1e-8)
    return np.concatenate([mel, energy[:, None]], axis=1).astype(np.float32)


def context_features(lm: np.ndarray) -> np.ndarray:
    """Stack normalised log-mel frames at :data:`OFFSETS` around each frame.

    Spectra are mean-normalised per segment (like cepstral mean normalisation, so loudness and
    channel do not matter) and energy is taken relative to the segment's loudest frame.

    Returns
    -------
    np.ndarray [shape=(T, len(OFFSETS) * (N_MELS + 1)), float32]
    """
    f = lm.copy()
    f[:, :N_MELS] -= f[:, :N_MELS].mean(axis=0, keepdims=True)
    f[:, N_MELS] -= f[:, N_MELS].max()
    f[:, N_MELS] = np.maximum(f[:, N_MELS], -15.0)
    t = len(f)
    pad = max(abs(o) for o in OFFSETS)
    fp = np.concatenate([np.repeat(f[:1], pad, 0), f, np.repeat(f[-1:], pad, 0)])
    return np.concatenate([fp[pad + o:pad + o + t] for o in OFFSETS], axis=1)


@functools.lru_cache(maxsize=1)
def load_weights() -> dict[str, np.ndarray]:
    """The detector's weights (feature normalisation, one hidden layer, softmax over other/PB/M),
    verified by SHA-256 (a missing, changed or unlisted file raises :class:`ModelAssetError`)."""
    return load_shipped_npz(WEIGHTS_ASSET)


def forward(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    """Class probabilities (T, 3) = (other, P/B, M) of standardised-here features ``x`` (T, F)."""
    h = np.maximum(_matmul((x - w["mu"]) / w["sd"], w["w1"]) + w["b1"], 0.0)
    z = _matmul(h, w["w2"]) + w["b2"]
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def closure_probability(pcm: np.ndarray) -> np.ndarray:
    """Per 10 ms frame: probabilities (T, 3) of (no bilabial, P/B closure, M closure).

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,), int16]
        16 kHz mono speech segment (a VAD segment, a few seconds).
    """
    if len(pcm) < WIN:
        return np.tile(np.array([[1.0, 0.0, 0.0]], np.float32), (max(int(np.ceil(len(pcm) / HOP)), 1), 1))
    return forward(context_features(log_mel(pcm)), load_weights())


def detections(prob: np.ndarray, options: ClosureOptions) -> list[tuple[int, int, str]]:
    """Runs of frames ``[a, b)`` where the lips are probably closed, with ``B`` or ``M``."""
    p = prob[:, 1] + prob[:, 2]
    p = np.convolve(p, np.ones(3) / 3, mode="same")  # one-frame blips are not closures
    on = np.concatenate([[0], (p >= options.threshold).astype(np.int8), [0]])
    edges = np.diff(on)
    out = []
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        if b - a >= options.min_frames and p[a:b].max() >= options.peak:
            name = "M" if prob[a:b, 2].sum() > prob[a:b, 1].sum() else "B"
            out.append((int(a), int(b), name))
    return out


def add_missed_closures(phones: list[Phone], prob: np.ndarray, *, offset: float = 0.0,
                        options: ClosureOptions | None = None) -> list[Phone]:
    """Insert a P/B/M where the detector hears a closure that ``phones`` lack.

    Parameters
    ----------
    phones : list of Phone
        Contiguous recognised phones of one segment (absolute times).
    prob : np.ndarray [shape=(T, 3)]
        :func:`closure_probability` of the segment; frame ``i`` covers
        ``offset + i * 10 ms .. + 10 ms`` (its 25 ms window is centred 2.5 ms later).
    offset : float
        Time of the segment's first sample.

    Returns
    -------
    list of Phone
        ``phones`` with the detected closures carved in (neighbours shortened or split).
    """
    opt = options or ClosureOptions()
    out = list(phones)
    if opt.veto > 0:
        p = prob[:, 1] + prob[:, 2]
        for i, ph in enumerate(out):
            if ph.name in BILABIALS:
                k = int(round(opt.veto_window * SR / HOP))
                a = max(int((ph.start - offset) * SR / HOP) - k, 0)
                b = min(int(np.ceil((ph.end - offset) * SR / HOP)) + k, len(p))
                if b > a and p[a:b].max() < opt.veto:
                    out[i] = Phone(ph.start, ph.end, _NOT_BILABIAL[ph.name], ph.word)
    for a, b, name in detections(prob, opt):
        t0, t1 = offset + a * HOP / SR, offset + b * HOP / SR
        if any(p.name in BILABIALS and p.start < t1 + opt.near and p.end > t0 - opt.near for p in out):
            continue
        if opt.consonants_only:
            mid = 0.5 * (t0 + t1)
            under = [p for p in out if p.start <= mid < p.end]
            # never inside a vowel (a visible wrong closure), nor in what the recogniser took for
            # silence or noise (music and hum look like a nasal murmur to the detector)
            if not under or under[0].name in VOWELS or under[0].name in (SILENCE, NOISE):
                continue
        if t1 - t0 < opt.min_duration:
            mid = 0.5 * (t0 + t1)
            t0, t1 = mid - opt.min_duration / 2, mid + opt.min_duration / 2
        out = _carve(out, Phone(t0, t1, name))
    return out


def _carve(phones: list[Phone], new: Phone) -> list[Phone]:
    """Put ``new`` into a contiguous phone list, cutting what it overlaps."""
    out: list[Phone] = []
    placed = False
    for p in phones:
        if p.end <= new.start or p.start >= new.end:
            if not placed and p.start >= new.end:
                out.append(new)
                placed = True
            out.append(p)
            continue
        if p.start < new.start:
            out.append(Phone(p.start, new.start, p.name, p.word))
        if not placed:
            out.append(new)
            placed = True
        if p.end > new.end:
            out.append(Phone(new.end, p.end, p.name, p.word))
    if not placed:
        out.append(new)
    # A closure reaching past the segment's phones would leave a gap; clip it to their span.
    if phones:
        lo, hi = phones[0].start, phones[-1].end
        out = [Phone(max(p.start, lo), min(p.end, hi), p.name, p.word) for p in out]
        out = [p for p in out if p.end - p.start > 1e-6]
    return out


__all__ = [
    "ClosureOptions",
    "add_missed_closures",
    "closure_probability",
    "context_features",
    "detections",
    "log_mel",
]
