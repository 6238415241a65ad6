"""A language-independent mouth-shape classifier per 10 ms frame, and how it corrects the phone loop.

Without a transcript the phones come from pocketsphinx's *English* phone loop (the only acoustic
model in its wheel); in German, French, Spanish and Italian it mishears vowels and consonants the
English model lacks, and no tuning of the loop moved macro recall by more than ±2 points
(docs/journal/lipsync.md, Languages). This module adds a small NumPy network trained on many languages
and voices (``eval/lipsync/train_frame_classes.py``: espeak-ng voices and variants in 7
languages, MBROLA voices that are *not* in any evaluation set, real English recordings) that
looks at ±100 ms of log-mel spectra around each frame and gives the probability of each of the
nine mouth shapes A–H, X (the spec's canonical shape of the phone being spoken).

:func:`rescore_phones` then re-labels each recognised phone whose frames the network hears as
another shape, clearly enough to outweigh the phone loop (a fixed bonus, chosen on voices held out
of training): the loop keeps its segmentation and its timing, the network decides the shape.
Lip closures (P/B/M) and silence are left to the loop and the closure detector
(:mod:`.bilabial`): the network never adds or removes an A or an X.

The weights (``frame_classes_weights.npz``) hold the feature normalisation, two hidden ReLU layers
and the decision setting (``keep_bonus``).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from ..common.assets import asset_location, load_shipped_npz
from ..errors import ModelAssetError
from ..phonetics.phones import NOISE, SILENCE, VOWELS, Phone
from .bilabial import HOP, N_MELS, SR, WIN, _matmul, log_mel

SHAPES = "ABCDEFGHX"  # the network's classes, in this order
#: Context frames stacked around each frame (10 ms units): ±100 ms, denser near the centre.
OFFSETS = (-10, -8, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, 8, 10)
WEIGHTS_ASSET = "lipsync/frame_classes_weights.npz"  # its name in the asset manifest
WEIGHTS_PATH = asset_location(WEIGHTS_ASSET)
# Shapes a re-labelled phone may take: never A (closures are the detector's) nor X (silence is the VAD's).
CANDIDATES = "BCDEFGH"
_CANONICAL = {"P": "A", "B": "A", "M": "A", "EH": "C", "AE": "C", "AH": "C", "AA": "D", "AO": "E", "ER": "E",
              "UW": "F", "UH": "F", "W": "F", "F": "G", "V": "G", "L": "H"}  # else B (scoring.CANONICAL)
_DIPHTHONGS = {"EY": "CB", "AY": "DB", "OW": "EF", "AW": "DE", "OY": "EB"}
# The phone that stands for a shape when a recognised phone is re-labelled (vowel, consonant).
_STAND_IN = {"B": ("IH", "T"), "C": ("EH", "EH"), "D": ("AA", "AA"), "E": ("AO", "AO"),
             "F": ("UW", "W"), "G": ("F", "F"), "H": ("L", "L")}
_KEEP = frozenset({SILENCE, NOISE, "P", "B", "M", "HH"})  # left alone (HH takes its neighbour's shape)


def context_features(lm: np.ndarray) -> np.ndarray:
    """Per-segment normalised log-mel frames stacked at :data:`OFFSETS` around each frame.

    Parameters
    ----------
    lm : np.ndarray [shape=(T, N_MELS + 1)]
        :func:`.bilabial.log_mel` of one speech segment.

    Returns
    -------
    np.ndarray [shape=(T, len(OFFSETS) * (N_MELS + 1)), float32]
        Spectra minus the segment's mean (channel and loudness do not matter), energy relative to
        the segment's loudest frame (floored at -15).
    """
    f = lm.copy()
    f[:, :N_MELS] -= f[:, :N_MELS].mean(axis=0, keepdims=True)
    f[:, N_MELS] = np.maximum(f[:, N_MELS] - f[:, N_MELS].max(), -15.0)
    t, pad = len(f), max(abs(o) for o in OFFSETS)
    fp = np.concatenate([np.repeat(f[:1], pad, 0), f, np.repeat(f[-1:], pad, 0)])
    return np.concatenate([fp[pad + o:pad + o + t] for o in OFFSETS], axis=1).astype(np.float32)


@functools.lru_cache(maxsize=2)
def load_weights(path: str | None = None) -> dict[str, np.ndarray]:
    """The classifier's arrays (``mu``, ``sd``, ``w1``, ``b1``, ``w2``, ``b2``, ``w3``, ``b3``,
    ``keep_bonus``): the shipped ones, verified by SHA-256 against the asset manifest
    (:mod:`facemimic.common.assets`), or those of another ``.npz`` made by
    ``eval/lipsync/train_frame_classes.py`` (``path``, for experiments)."""
    if path is None:
        w = load_shipped_npz(WEIGHTS_ASSET)
        p = WEIGHTS_PATH
    else:
        p = Path(path)
        try:
            with np.load(p, allow_pickle=False) as z:
                w = {k: z[k] for k in z.files}
        except (OSError, ValueError) as e:
            raise ModelAssetError(f"{p}: cannot read the frame-shape classifier ({e})") from None
    missing = {"mu", "sd", "w1", "b1", "w2", "b2", "w3", "b3", "keep_bonus"} - set(w)
    if missing:
        raise ModelAssetError(f"{p}: frame-shape classifier lacks {sorted(missing)}")
    return w


def forward(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    """Log-probabilities (T, 9) over :data:`SHAPES` of raw features ``x`` (T, F)."""
    h = np.maximum(_matmul((x - w["mu"]) / w["sd"], w["w1"]) + w["b1"], 0.0)
    h = np.maximum(_matmul(h, w["w2"]) + w["b2"], 0.0)
    z = _matmul(h, w["w3"]) + w["b3"]
    z -= z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def shape_log_probs(pcm: np.ndarray, weights: dict[str, np.ndarray] | None = None, *,
                    mel: np.ndarray | None = None) -> np.ndarray:
    """Per 10 ms frame of a speech segment: log-probabilities of the nine shapes.

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,), int16]
        16 kHz mono speech segment; frame ``i`` is centred at ``i * 10 ms + 12.5 ms``.
    mel : np.ndarray [shape=(T, N_MELS + 1)], optional
        :func:`.bilabial.log_mel` of ``pcm``, when already computed (the closure detector's).

    Returns
    -------
    np.ndarray [shape=(ceil(n / 160), 9), float32]
    """
    w = weights if weights is not None else load_weights()
    if len(pcm) < WIN:
        out = np.full((max(int(np.ceil(len(pcm) / HOP)), 1), len(SHAPES)), -20.0, np.float32)
        out[:, SHAPES.index("X")] = 0.0
        return out
    return forward(context_features(log_mel(pcm) if mel is None else mel), w).astype(np.float32)


def _loop_shapes(name: str) -> str:
    return _DIPHTHONGS.get(name) or _CANONICAL.get(name, "B")


def rescore_phones(phones: list[Phone], log_probs: np.ndarray, *, offset: float = 0.0,
                   keep_bonus: float | None = None, vowels_only: bool | None = None) -> list[Phone]:
    """Re-label recognised phones whose frames the classifier hears as another mouth shape.

    For each phone (not silence, noise, P/B/M or HH) the mean log-probability of its frames is
    compared per shape: the loop's own shape (a diphthong: its two shapes, 60/40) gets
    ``keep_bonus``; when another shape of :data:`CANDIDATES` still scores higher, the phone is
    replaced by a stand-in phone of that shape (same times; a vowel stays a vowel where it can).

    Parameters
    ----------
    phones : list of Phone
        Recognised phones of one segment, absolute times.
    log_probs : np.ndarray [shape=(T, 9)]
        :func:`shape_log_probs` of the segment whose first sample is at ``offset`` seconds.
    keep_bonus : float, optional
        Nats per frame in favour of the loop's shape; default: the one stored with the weights.
        ``math.inf`` keeps every phone.
    vowels_only : bool, optional
        Re-label only recognised vowels; default: as stored with the weights.

    Returns
    -------
    list of Phone
    """
    if keep_bonus is None:
        keep_bonus = float(load_weights()["keep_bonus"])
    if vowels_only is None:
        vowels_only = bool(load_weights().get("vowels_only", False))
    if math.isinf(keep_bonus) or len(log_probs) == 0:
        return list(phones)
    idx = {s: k for k, s in enumerate(SHAPES)}
    cand = np.array([idx[s] for s in CANDIDATES])
    centres = offset + (np.arange(len(log_probs)) * HOP + WIN / 2) / SR
    out = []
    for p in phones:
        if p.name in _KEEP or (vowels_only and p.name not in VOWELS):
            out.append(p)
            continue
        sel = np.flatnonzero((centres >= p.start) & (centres < p.end))
        if len(sel) == 0:
            out.append(p)
            continue
        lp = log_probs[sel]
        shapes = _loop_shapes(p.name)
        if len(shapes) == 2:
            cut = max(1, int(round(0.6 * len(sel))))
            own = (lp[:cut, idx[shapes[0]]].sum() + lp[cut:, idx[shapes[1]]].sum()) / len(sel)
        else:
            own = lp[:, idx[shapes]].mean()
        means = lp[:, cand].mean(axis=0)
        best = int(np.argmax(means))
        if means[best] > own + keep_bonus and CANDIDATES[best] != shapes:
            vowel, consonant = _STAND_IN[CANDIDATES[best]]
            out.append(Phone(p.start, p.end, vowel if p.name in VOWELS else consonant, p.word))
        else:
            out.append(p)
    return out


__all__ = ["CANDIDATES", "OFFSETS", "SHAPES", "context_features", "forward", "load_weights", "rescore_phones",
           "shape_log_probs"]
