"""Training the generator (conditional VAE) with hand-written backprop and Adam, on the CPU.

Data: FACS-grounded samples (:func:`dataset.sample_facs`) for random mixtures and styles, plus real
tracked frames with state labels (conditioned as that state, ``natural`` style). Fine-tuning on a
user's own recordings ("learn my smile") starts from the default weights and replays FACS samples
of every state the user did *not* label, so the rest of the emotion space is kept.

Loss per sample: ``||x - x_hat||^2 / (2 sigma^2) + KL(q(z|x,c) || N(0, I))`` with sigma 0.06 (a
Gaussian likelihood, i.e. an ELBO with beta 1).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import InputError, ParameterError
from .dataset import MIN_LABELLED_FRAMES, LabelledFrames, random_conditions, sample_facs
from ..emotions.states import N_STATES, STATE_INDEX
from ..emotions.facs import N_X, X_NAMES
from .model import HIDDEN, LATENT, N_COND, GeneratorModel, condition, new_header
from ..common.nn import Adam, init_mlp, mlp_backward, mlp_forward, sigmoid, single_blas_thread

SIGMA = 0.06
# Upper bound on passes: an epoch over the default data takes about 0.3-0.6 s on one core, so
# 1000 epochs is minutes; a larger number is a typo that would otherwise run for days.
MAX_EPOCHS = 1000
MAX_SEED = 2**32 - 1  # what every NumPy generator accepts


@dataclass(frozen=True)
class TrainOptions:
    """How to train or fine-tune the generator."""

    epochs: int = 12  # passes over the training set
    n_synthetic: int = 60000  # FACS-grounded samples (fresh for each run, seeded)
    batch: int = 256  # samples per Adam step
    lr: float = 2e-3  # peak learning rate (cosine decay to 5 %)
    real_repeat: int = 8  # each real labelled frame appears this many times per epoch
    seed: int = 0  # everything is deterministic for a seed
    finetune: bool = False  # start from ``init`` and replay only states absent from the real data
    full_mask: bool = False  # real frames supervise every channel (a user's own capture rig), not only reliable ones

    def __post_init__(self) -> None:
        for name in ("epochs", "n_synthetic", "batch", "real_repeat"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < (0 if name in ("n_synthetic", "real_repeat") else 1):
                raise ParameterError(f"{name} must be a positive integer, got {v!r}")
        if self.epochs > MAX_EPOCHS:
            raise ParameterError(f"epochs must be 1 to {MAX_EPOCHS}, got {self.epochs}")
        check_seed(self.seed)
        if not (0 < self.lr < 1):
            raise ParameterError(f"lr must be in (0, 1), got {self.lr!r}")


def check_seed(seed) -> int:
    """``seed`` if it is an integer from 0 to :data:`MAX_SEED`, else a :class:`ParameterError`."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ParameterError(f"seed must be an integer from 0 to {MAX_SEED}, got {seed!r}")
    return int(seed)


# Channels real frames supervise (mouth, jaw, eye squint, eye closure). Captured in the unit (issue #11),
# brows, cheek raise, nose wrinkle and wide eyes are measured now instead of being dead MediaPipe scores,
# but the default data shows most of them on one posed photo per state, at a fraction of the FACS
# prototype (capture measurement model gains 0.15-0.75, docs/generate.md); letting those frames
# supervise them would teach a smile without cheek raise. `train --all-channels` lifts the mask.
_RELIABLE = np.array([i for i, n in enumerate(X_NAMES) if n.startswith(
    ("MouthCornerPull", "MouthCornerSlant", "MouthUpperUp", "MouthLowerDown", "MouthStretch", "MouthPress",
     "MouthFrown", "MouthDimple", "MouthRaiser", "LipPucker", "LipFunnel", "LipSuck", "JawOpen", "EyeSquint",
     "EyeClosed"))])


def _real_part(real: LabelledFrames | None, *, full_mask: bool = False):
    """(x, condition, loss mask) of the labelled real frames."""
    if real is None or len(real) == 0:
        return np.zeros((0, N_X), np.float32), np.zeros((0, N_COND), np.float32), np.zeros((0, N_X), np.float32)
    lab = real.labelled
    m = np.zeros((len(lab), N_STATES), np.float32)
    m[np.arange(len(lab)), [STATE_INDEX[s] for s in lab.labels]] = 1.0
    mask = np.ones((len(lab), N_X), np.float32)
    if not full_mask:
        mask[:] = 0
        mask[:, _RELIABLE] = 1
    return lab.x.astype(np.float32), condition(m, "natural"), mask


def check_training_data(real: LabelledFrames, *, name: str = "dataset") -> LabelledFrames:
    """Refuse empty, unlabelled or too-small datasets with a message that says what is needed."""
    if len(real) == 0:
        raise InputError(name, "dataset is empty (no tracked frames with a face)")
    lab = real.labelled
    if len(lab) == 0:
        raise InputError(name, "dataset has no labelled frames; label spans with `facemimic label VIDEO "
                               "--at 0:03-0:05=happy`")
    if len(lab) < MIN_LABELLED_FRAMES:
        raise InputError(name, f"dataset too small to train on: {len(lab)} labelled frames, need at least "
                               f"{MIN_LABELLED_FRAMES} (about one second of video per state)")
    return lab


def train_generator(real: LabelledFrames | None = None, *, options: TrainOptions = TrainOptions(),
                    init: GeneratorModel | None = None,
                    progress: Callable[[int, int, float], None] | None = None,
                    clock: Callable[[], float] = time.perf_counter) -> tuple[GeneratorModel, list[dict]]:
    """Train (or fine-tune) the conditional VAE.

    Parameters
    ----------
    real : LabelledFrames, optional
        Real tracked frames; only labelled rows are used.
    options : TrainOptions
    init : GeneratorModel, optional
        Weights to start from (fine-tuning); a fresh model when None.
    progress : callable(epoch, epochs, loss), optional
    clock : callable
        Time source for the training record (injectable for tests).

    Returns
    -------
    model : GeneratorModel
    history : list of dict
        Per epoch: ``epoch``, ``loss``, ``recon`` (mean squared error per channel), ``kl``.
    """
    with single_blas_thread():
        return _train(real, options, init, progress, clock)


def _train(real, options, init, progress, clock):
    o = options
    rng = np.random.default_rng(o.seed)
    t0 = clock()
    xr, cr, mr = _real_part(real, full_mask=o.full_mask)
    labelled_states = set(np.flatnonzero(cr[:, :N_STATES].max(axis=0) > 0)) if len(cr) else set()
    m, styles = random_conditions(o.n_synthetic, rng=rng)
    if o.finetune and labelled_states:
        # Let the user's frames define their states in the natural style: no FACS replay for them.
        own = np.isin(m.argmax(axis=1), list(labelled_states)) & (styles == "natural")
        m, styles = m[~own], styles[~own]
    xs = sample_facs(m, styles, rng=rng)
    cs = condition(m, styles)
    x_all = np.concatenate([xs] + [xr] * o.real_repeat).astype(np.float32)
    c_all = np.concatenate([cs] + [cr] * o.real_repeat).astype(np.float32)
    w_all = np.concatenate([np.ones_like(xs)] + [mr] * o.real_repeat).astype(np.float32)
    if len(x_all) == 0:
        raise ParameterError("nothing to train on: no synthetic samples and no labelled frames")

    if init is not None:
        params = {k: v.copy() for k, v in init.params.items()}
    else:
        params = init_mlp([N_X + N_COND, HIDDEN, HIDDEN, 2 * LATENT], rng=rng, prefix="enc")
        params.update(init_mlp([LATENT + N_COND, HIDDEN, HIDDEN, N_X], rng=rng, prefix="dec"))
        params["decb2"][:] = -4.0  # start near the resting face (sigmoid(-4) ~ 0.02)
    opt = Adam(params, lr=o.lr)
    n = len(x_all)
    steps = o.epochs * int(np.ceil(n / o.batch))
    step = 0
    history = []
    for epoch in range(o.epochs):
        order = rng.permutation(n)
        tot = rec = kl_tot = 0.0
        for s in range(0, n, o.batch):
            idx = order[s:s + o.batch]
            x, c, w = x_all[idx], c_all[idx], w_all[idx]
            b = len(idx)
            lr = o.lr * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * step / steps)))
            # -- forward
            enc_out, enc_acts = mlp_forward(params, np.concatenate([x, c], 1), prefix="enc", keep=True)
            mu, logvar = enc_out[:, :LATENT], np.clip(enc_out[:, LATENT:], -8, 8)
            eps = rng.standard_normal(mu.shape).astype(np.float32)
            std = np.exp(0.5 * logvar)
            z = mu + std * eps
            logits, dec_acts = mlp_forward(params, np.concatenate([z, c], 1), prefix="dec", keep=True)
            y = sigmoid(logits)
            err = (y - x) * w  # masked channels give no gradient
            recon = 0.5 * (err ** 2).sum(1) / SIGMA ** 2
            kl = 0.5 * (mu ** 2 + np.exp(logvar) - 1 - logvar).sum(1)
            # -- backward (mean over the batch)
            g_logits = (err / SIGMA ** 2) * y * (1 - y) / b
            grads, g_in = mlp_backward(params, dec_acts, g_logits, prefix="dec")
            g_z = g_in[:, :LATENT]
            g_mu = g_z + mu / b
            g_logvar = g_z * eps * 0.5 * std + 0.5 * (np.exp(logvar) - 1) / b
            grads, _ = mlp_backward(params, enc_acts, np.concatenate([g_mu, g_logvar], 1), prefix="enc", grads=grads)
            opt.step(grads, lr=lr)
            step += 1
            tot += float((recon + kl).sum())
            rec += float((err ** 2).sum())
            kl_tot += float(kl.sum())
        history.append({"epoch": epoch + 1, "loss": tot / n, "recon": rec / (n * N_X), "kl": kl_tot / n})
        if progress:
            progress(epoch + 1, o.epochs, tot / n)
    header = new_header(seed=o.seed, epochs=o.epochs, n_synthetic=int(len(xs)), n_real=int(len(xr)),
                        real_repeat=o.real_repeat, finetune=bool(o.finetune),
                        real_states=sorted(str(s) for s in (real.labelled.counts() if real is not None else {})),
                        final_loss=round(history[-1]["loss"], 4))
    history[-1]["seconds"] = round(clock() - t0, 1)  # timing stays out of the file: same data, same bytes
    return GeneratorModel(params=params, header=header), history


def plot_history(history: list[dict], path) -> None:
    """Save the training curves (loss, reconstruction error, KL) as an image (matplotlib, Agg);
    the format follows ``path``'s extension (:func:`facemimic.common.images.save_figure`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..common.images import check_image_path, save_figure

    check_image_path(path, vector=True)
    ep = [h["epoch"] for h in history]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3), dpi=100)
    axes[0].plot(ep, [h["loss"] for h in history], "o-", label="loss (ELBO)")
    axes[0].plot(ep, [h["kl"] for h in history], "s--", label="KL")
    axes[0].set_xlabel("epoch")
    axes[0].legend()
    axes[1].plot(ep, [h["recon"] for h in history], "o-", color="C2")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("reconstruction MSE / channel")
    fig.tight_layout()
    try:
        save_figure(fig, path)
    finally:
        plt.close(fig)
