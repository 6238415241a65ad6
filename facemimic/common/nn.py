"""A tiny multilayer perceptron with hand-written backprop and Adam, in NumPy.

Enough for FaceMimic's small models (the conditional VAE generator and the emotion classifier),
so that neither training nor inference ever needs torch. Parameters are plain float32 arrays in a
dict keyed ``"{prefix}W{i}"``/``"{prefix}b{i}"``, which is also how they are saved in ``.npz``.
"""

from __future__ import annotations

import numpy as np


def init_mlp(sizes: "list[int]", *, rng: np.random.Generator, prefix: str = "") -> dict[str, np.ndarray]:
    """Glorot-uniform weights for an MLP with layer widths ``sizes`` (input first, output last)."""
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lim = np.sqrt(6.0 / (a + b))
        params[f"{prefix}W{i}"] = rng.uniform(-lim, lim, (a, b)).astype(np.float32)
        params[f"{prefix}b{i}"] = np.zeros(b, np.float32)
    return params


def n_layers(params: dict, prefix: str = "") -> int:
    """How many dense layers ``params`` holds under ``prefix``."""
    n = 0
    while f"{prefix}W{n}" in params:
        n += 1
    return n


def mlp_forward(params: dict, x: np.ndarray, *, prefix: str = "", keep: bool = False):
    """Forward pass: tanh on hidden layers, identity on the output.

    Parameters
    ----------
    x : np.ndarray [shape=(B, D_in)]
    keep : bool
        Also return the per-layer activations that :func:`mlp_backward` needs.

    Returns
    -------
    y : np.ndarray [shape=(B, D_out)]
    cache : list of np.ndarray (only when ``keep``)
    """
    n = n_layers(params, prefix)
    acts = [x]
    h = x
    for i in range(n):
        h = h @ params[f"{prefix}W{i}"] + params[f"{prefix}b{i}"]
        if i < n - 1:
            h = np.tanh(h)
        acts.append(h)
    return (h, acts) if keep else h


def mlp_backward(params: dict, acts: list, grad_out: np.ndarray, *, prefix: str = "",
                 grads: dict | None = None) -> tuple[dict, np.ndarray]:
    """Backward pass for :func:`mlp_forward`; returns (parameter gradients, gradient w.r.t. input)."""
    grads = {} if grads is None else grads
    n = n_layers(params, prefix)
    g = grad_out
    for i in range(n - 1, -1, -1):
        if i < n - 1:
            g = g * (1.0 - acts[i + 1] ** 2)  # tanh'
        grads[f"{prefix}W{i}"] = acts[i].T @ g
        grads[f"{prefix}b{i}"] = g.sum(axis=0)
        g = g @ params[f"{prefix}W{i}"].T
    return grads, g


class Adam:
    """Adam optimiser over a parameter dict (updates in place)."""

    def __init__(self, params: dict, *, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self.params, self.lr, self.b1, self.b2, self.eps, self.wd = params, lr, beta1, beta2, eps, weight_decay
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, grads: dict, *, lr: float | None = None) -> None:
        self.t += 1
        lr = self.lr if lr is None else lr
        c1 = 1 - self.b1 ** self.t
        c2 = 1 - self.b2 ** self.t
        for k, g in grads.items():
            if self.wd and k.split("W")[-1].isdigit() and "W" in k:
                g = g + self.wd * self.params[k]
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g * g
            self.params[k] -= (lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + self.eps)).astype(np.float32)


def single_blas_thread():
    """Context manager: one BLAS thread inside (small matrices are fastest that way, and
    several threads fight other processes for the cores). A no-op without ``threadpoolctl``."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - declared dependency
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def write_npz(fh, arrays: dict) -> None:
    """Write arrays as a compressed ``.npz`` whose bytes depend only on the arrays.

    ``np.savez_compressed`` stamps each member with the current time, so retraining identical
    weights would change the file's SHA-256; fixed timestamps make the shipped weights
    reproducible byte for byte.
    """
    import io
    import zipfile

    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax."""
    z = logits - logits.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function without overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))
