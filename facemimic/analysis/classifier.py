"""The emotion classifier: decoded AUs + UE weights -> state and basic-emotion probabilities.

A small MLP (features -> 128 tanh -> two softmax heads) in NumPy. Head 1 gives probabilities over
every state of the emotion space; head 2 over neutral + the 7 basic emotions (a compound is the
blend of its two components there). Features are mirror-invariant (mean and |difference| of the
two sides), so a smirk on either side reads the same.

Training data (``fit_classifier``): FACS-grounded samples of every state and style at intensities
0.1-1 (faint displays are labelled partly neutral), two-state mixtures with soft labels, and real
tracked frames with labels, all in the unit of docs/units.md (captures in the unit; MediaPipe-scale
tracks are converted by :func:`facemimic.analysis.api.in_unit`). **Calibration for real captures**:
real people show brows, cheek raise, wide eyes, nose wrinkles, squints and frowns at a fraction of
the FACS prototypes' apex (in the unit the capture measurement model's gains are 0.05-0.75 on those
channels; with MediaPipe's scores they were dead or weak), and talking moves the jaw, so half of the
synthetic samples are degraded that way (random gains per channel group, capture noise, speech jaw
motion, partial blinks) and the real labelled frames are repeated.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..common.assets import asset_location, shipped_path
from ..errors import ModelAssetError
from ..expressions.names import N_UE, UE_MIRROR
from ..emotions.states import (
    BASIC,
    BASIC_COMPOSITION,
    N_STATES,
    STATE_INDEX,
    STATE_NAMES,
    STYLES,
)
from ..emotions.facs import CLOSURE_LEFT, CLOSURE_RIGHT, N_AU, N_X, X_INDEX
from ..common.nn import (
    Adam,
    init_mlp,
    mlp_backward,
    mlp_forward,
    single_blas_thread,
    softmax,
    write_npz,
)
from .aus import decode_aus

CLASSIFIER_TAG = "facemimic.analyzer"
ANALYZER_ASSET = "analysis/weights/analyzer.npz"  # its name in the asset manifest
ANALYZER_PATH = asset_location(ANALYZER_ASSET)
_X_MIRROR = np.array(list(UE_MIRROR) + [CLOSURE_RIGHT, CLOSURE_LEFT])
N_FEATURES = 2 * N_AU + 2 * N_X
HIDDEN = 128


def features(x: np.ndarray, aus: np.ndarray | None = None) -> np.ndarray:
    """Mirror-invariant features of expression vectors, shape (T, N_FEATURES).

    ``[mean AU over sides (N_AU), |AU left - right| (N_AU), (x + mirror x)/2 (90), |x - mirror x|/2 (90)]``
    """
    x = np.nan_to_num(np.atleast_2d(np.asarray(x, np.float32)))
    a = decode_aus(x) if aus is None else np.nan_to_num(aus)
    xm = x[:, _X_MIRROR]
    return np.concatenate([a.mean(-1), np.abs(a[..., 0] - a[..., 1]), (x + xm) / 2, np.abs(x - xm) / 2],
                          axis=1).astype(np.float32)


@dataclass(eq=False)
class EmotionClassifier:
    """Weights and normalisation of the classifier."""

    params: dict  # "W0", "b0", "W1", "b1" (output = S state logits then 8 basic logits)
    mean: np.ndarray  # (N_FEATURES,) feature mean
    scale: np.ndarray  # (N_FEATURES,) feature std
    header: dict = field(default_factory=dict)

    def predict(self, feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(state probabilities (T, S), basic probabilities (T, 8)) from :func:`features`."""
        logits = mlp_forward(self.params, (feats - self.mean) / self.scale)
        return softmax(logits[:, :N_STATES]), softmax(logits[:, N_STATES:])

    def save(self, path) -> Path:
        from ..common.files import AtomicFile

        with AtomicFile(path, "wb") as out:
            write_npz(out.file, {"header": np.array(json.dumps(self.header, sort_keys=True)), "mean": self.mean,
                                 "scale": self.scale, **self.params})
        return out.path


_CACHE: dict = {}


def load_classifier(path=None) -> EmotionClassifier:
    """The shipped analyser or one at ``path``; raises :class:`ModelAssetError` naming the file.

    The shipped ``analyzer.npz`` is checked by SHA-256 against the asset manifest
    (:mod:`facemimic.common.assets`) before it is opened; a file at ``path`` is a user's model,
    checked for format only.
    """
    p = shipped_path(ANALYZER_ASSET) if path is None else Path(path)
    key = (str(p), p.stat().st_mtime if p.exists() else 0)
    if key in _CACHE:
        return _CACHE[key]
    if not p.exists():
        raise ModelAssetError(f"{p}: analyser weights not found")
    try:
        with np.load(p, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            params = {k: z[k] for k in z.files if k[0] in "Wb"}
            mean, scale = z["mean"], z["scale"]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as e:
        raise ModelAssetError(f"{p}: not a readable analyser file ({e})") from None
    if header.get("format") != CLASSIFIER_TAG or header.get("states") != list(STATE_NAMES) or mean.shape != (N_FEATURES,):
        raise ModelAssetError(f"{p}: analyser was trained for a different emotion vocabulary; retrain it")
    clf = EmotionClassifier(params, mean, scale, header)
    _CACHE[key] = clf
    return clf


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------
_I = X_INDEX
# Channels real captures read below the FACS prototypes, with the gain range to simulate. First set for
# MediaPipe's scores; kept in the unit because a table re-ranged to the unit's measured gains (brows
# 0.15-1, cheeks and sneer 0.1-1, wide eyes 0.3-1.1, frowns 0-1), and the measured model itself, did no
# better on unseen people (docs/generate.md).
_WEAK_GROUPS = {
    "brows": ([i for n, i in _I.items() if n.startswith("Brow")], (0.25, 1.0)),
    "cheeks": ([_I["CheekSquintLeft"], _I["CheekSquintRight"]], (0.0, 0.6)),
    "wide": ([_I["EyeWideLeft"], _I["EyeWideRight"]], (0.0, 0.7)),
    "sneer": ([_I["NoseSneerLeft"], _I["NoseSneerRight"]], (0.0, 0.7)),
    "squint": ([_I["EyeSquintLeft"], _I["EyeSquintRight"]], (0.3, 1.2)),
    "frown": ([_I["MouthFrownLeft"], _I["MouthFrownRight"]], (0.2, 1.0)),
}
_NOT_TRACKED = [i for n, i in _I.items() if n.startswith(("Tongue", "NeckFlex", "Nasal", "CheekSuck", "JawClench",
                                                           "MouthTightener", "MouthUpperDeepen", "LipSuckCorner",
                                                           "JawBackward", "JawMandible", "SoftPalate", "Throat"))]


def degrade_like_tracker(x: np.ndarray, rng: np.random.Generator, tracker=None) -> np.ndarray:
    """Make synthetic expression vectors look like captures of real faces (in the unit).

    With a measured ``tracker`` (:class:`~facemimic.generate.tracker_model.TrackerModel`), each
    sample goes through the tracker's measurement model with its gains jittered per channel pair
    (log-normal, sigma 0.35: people and lighting differ); without one, weak channel groups get
    random gains from a fixed table and shapes MediaPipe never outputs are zeroed. Tracker noise,
    partial blinks and speech-like jaw motion are added in both cases.
    """
    x = np.array(x, np.float32, copy=True)
    n = len(x)
    if tracker is not None:
        jitter = np.exp(rng.normal(0, 0.35, (n, N_X))).astype(np.float32)
        jitter = np.sqrt(jitter * jitter[:, _X_MIRROR])  # both sides of a shape move together
        x = np.clip(tracker.floor + tracker.gain * jitter * x, 0, 1) * tracker.reported
    else:
        for idx, (lo, hi) in _WEAK_GROUPS.values():
            x[:, idx] *= rng.uniform(lo, hi, (n, 1)).astype(np.float32)
    x[:, _NOT_TRACKED] = 0.0
    x += np.abs(rng.normal(0, 0.02, x.shape)).astype(np.float32) * (rng.random(x.shape) < 0.3)
    blink = rng.uniform(0, 0.35, n).astype(np.float32) * (rng.random(n) < 0.5)
    x[:, CLOSURE_LEFT] += blink
    x[:, CLOSURE_RIGHT] += blink
    talk = rng.uniform(0, 0.25, n).astype(np.float32) * (rng.random(n) < 0.35)
    x[:, _I["JawOpen"]] += talk
    x[:, [_I["MouthLowerDownLeft"], _I["MouthLowerDownRight"]]] += 0.5 * talk[:, None]
    if tracker is not None:
        x *= tracker.reported  # a tracker outputs nothing, not even noise, on shapes it does not have
    return np.clip(x, 0, 1)


def synthetic_training_set(n: int, *, rng: np.random.Generator,
                           tracker=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expression vectors (n, 90), state targets (n, S), basic targets (n, 8)) from the FACS sampler."""
    from ..generate.api import apply_asymmetry, ramp_intensity, random_conditions, sample_facs

    m, styles = random_conditions(n, rng=rng, p_mix=0.25, style_p=(0.6, 0.15, 0.15, 0.1))
    x = sample_facs(m, styles, rng=rng, mirror_p=0.5)
    intensity = rng.uniform(0.1, 1.0, n).astype(np.float32)
    x = ramp_intensity(x, intensity)
    for k in np.flatnonzero(rng.random(n) < 0.3):
        x[k] = apply_asymmetry(x[k:k + 1], float(rng.uniform(-0.4, 0.4)))[0]
    tracked = rng.random(n) < 0.5
    x[tracked] = degrade_like_tracker(x[tracked], rng, tracker)
    # Targets: the mixture (normalised), faint displays partly neutral.
    t = m / m.sum(1, keepdims=True)
    sure = np.clip((intensity - 0.1) / 0.25, 0, 1)[:, None]
    neutral = np.zeros_like(t)
    neutral[:, STATE_INDEX["neutral"]] = 1
    t = sure * t + (1 - sure) * neutral
    return x, t.astype(np.float32), (t @ BASIC_COMPOSITION).astype(np.float32)


def fit_classifier(real_x: np.ndarray | None = None, real_labels: np.ndarray | None = None, *,
                   n_synthetic: int = 40000, epochs: int = 10, real_repeat: int = 20, seed: int = 0,
                   tracker=None, progress=None) -> tuple[EmotionClassifier, list[dict]]:
    """Train the classifier (see module docstring). Returns (classifier, per-epoch history).

    ``tracker``: a :class:`~facemimic.generate.tracker_model.TrackerModel` measured on real frames
    (the shipped one by default: ``"default"``; None = the fixed table of weak-channel gains). For
    honest validation on unseen people, pass one fitted without them.
    """
    if isinstance(tracker, str) and tracker == "default":
        from ..generate.api import load_tracker_model

        tracker = load_tracker_model()
    with single_blas_thread():
        return _fit(real_x, real_labels, n_synthetic, epochs, real_repeat, seed, progress, tracker)


def _fit(real_x, real_labels, n_synthetic, epochs, real_repeat, seed, progress, tracker=None):
    rng = np.random.default_rng([seed, 7])
    x, ts, tb = synthetic_training_set(n_synthetic, rng=rng, tracker=tracker)
    n_real = 0
    if real_x is not None and len(real_x):
        lab = np.asarray(real_labels)
        keep = lab != ""
        rx = np.asarray(real_x, np.float32)[keep]
        n_real = len(rx)
        rt = np.zeros((n_real, N_STATES), np.float32)
        rt[np.arange(n_real), [STATE_INDEX[s] for s in lab[keep]]] = 1
        x = np.concatenate([x] + [rx] * real_repeat)
        ts = np.concatenate([ts] + [rt] * real_repeat)
        tb = np.concatenate([tb] + [rt @ BASIC_COMPOSITION] * real_repeat)
    f = features(x)
    mean, scale = f.mean(0), f.std(0) + 1e-3
    fz = (f - mean) / scale
    params = init_mlp([N_FEATURES, HIDDEN, N_STATES + len(BASIC)], rng=rng)
    opt = Adam(params, lr=2e-3, weight_decay=1e-4)
    n, batch = len(fz), 256
    history = []
    steps, step = epochs * int(np.ceil(n / batch)), 0
    for ep in range(epochs):
        order = rng.permutation(n)
        tot = 0.0
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            out, acts = mlp_forward(params, fz[idx], keep=True)
            ps, pb = softmax(out[:, :N_STATES]), softmax(out[:, N_STATES:])
            b = len(idx)
            g = np.concatenate([(ps - ts[idx]) / b, (pb - tb[idx]) / b], 1)
            grads, _ = mlp_backward(params, acts, g)
            opt.step(grads, lr=2e-3 * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * step / steps))))
            step += 1
            tot -= float((ts[idx] * np.log(ps + 1e-9)).sum() + (tb[idx] * np.log(pb + 1e-9)).sum())
        history.append({"epoch": ep + 1, "loss": tot / n})
        if progress:
            progress(ep + 1, epochs, tot / n)
    header = {"format": CLASSIFIER_TAG, "schema": 1, "states": list(STATE_NAMES), "basic": list(BASIC),
              "styles": list(STYLES), "training": {"seed": seed, "n_synthetic": n_synthetic, "n_real": n_real,
                                                    "epochs": epochs, "real_repeat": real_repeat,
                                                    "tracker_model": None if tracker is None else list(tracker.sources)}}
    return EmotionClassifier(params, mean.astype(np.float32), scale.astype(np.float32), header), history


assert N_UE == 88
