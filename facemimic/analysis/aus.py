"""Decode FACS Action Unit intensities from expression vectors (the inverse of the AU table).

Solves, per frame, ``min_a ||A a - x||^2 + lam * sum(a)`` with ``0 <= a <= 1``, where ``A`` is the
one AU -> UE table of :mod:`facemimic.emotions.facs` and ``x`` the 88 UE weights plus eye closure.
Accelerated projected gradient (FISTA) on the whole batch at once, so a 10-minute track decodes in
a fraction of a second.
"""

from __future__ import annotations

import numpy as np

from ..emotions.facs import AU_TO_X_FLAT, N_AU, N_X

_A = AU_TO_X_FLAT.astype(np.float64)
_AtA = _A.T @ _A
_STEP = 1.0 / float(np.linalg.eigvalsh(_AtA).max())


def decode_aus(x: np.ndarray, *, iterations: int = 120, sparsity: float = 0.01) -> np.ndarray:
    """Per-side AU intensities that best explain expression vectors.

    Parameters
    ----------
    x : np.ndarray [shape=(T, 90)]
        88 UE weights then eye closure (left, right); NaN rows give NaN.
    iterations : int
        FISTA iterations (120 reaches ~1e-4 of the optimum on generated data).
    sparsity : float
        L1 weight: prefers the fewest AUs that explain the face.

    Returns
    -------
    np.ndarray [shape=(T, N_AU, 2), dtype=float32] in [0, 1]: ``[..., 0]`` left, ``[..., 1]`` right.
    """
    x = np.atleast_2d(np.asarray(x, np.float64))
    if x.shape[-1] != N_X:
        from ..errors import ShapeError

        raise ShapeError("expression vectors", x.shape, f"(T, {N_X})")
    bad = ~np.isfinite(x).all(axis=1)
    x = np.nan_to_num(x)
    aty = x @ _A - sparsity
    a = np.clip(aty * _STEP, 0, 1)
    y, t = a.copy(), 1.0
    for _ in range(iterations):
        grad = y @ _AtA - aty
        a_new = np.clip(y - _STEP * grad, 0.0, 1.0)
        t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
        y = a_new + ((t - 1) / t_new) * (a_new - a)
        a, t = a_new, t_new
    out = a.reshape(len(x), N_AU, 2).astype(np.float32)
    out[bad] = np.nan
    return out
