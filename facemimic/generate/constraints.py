"""Anatomical constraint projection: generated expressions never combine impossible shapes.

Each rule is a pair of channels of the expression vector (88 UE weights + eye closure) that one
face cannot show strongly at once, with a budget ``a + b <= limit``; a violating pair is scaled back
onto the budget (a projection that keeps the ratio of the two). Rules:

* an eye cannot be wide open (``EyeWide``) and closed at once;
* lips cannot stay together (``MouthClosed``) while the jaw hangs open: ``MouthClosed`` is a
  corrective that only exists with ``JawOpen`` (ARKit ``mouthClose``), so it is capped by both
  ``JawOpen`` and ``1 - JawOpen``;
* pressed lips (``MouthPress``) need a closed jaw; lips cannot be sucked in and funnelled/puckered
  out at once; cheeks cannot puff and suck at once; nostrils cannot flare and compress at once;
* the jaw and the lips shift to one side at a time (``JawLeft``/``JawRight``, ``MouthUpper*``);
* a tongue cannot stick out of a closed jaw (``JawOpen >= 0.25 * TongueOut``).
"""

from __future__ import annotations

import numpy as np

from ..emotions.facs import X_INDEX

_I = X_INDEX


def _pairs() -> list[tuple[int, int, float]]:
    p = []
    for s in ("Left", "Right"):
        p.append((_I[f"EyeWide{s}"], _I[f"EyeClosed{s}"], 1.0))
        p.append((_I[f"MouthPress{s}"], _I["JawOpen"], 1.0))
        p.append((_I[f"CheekPuff{s}"], _I[f"CheekSuck{s}"], 1.0))
        p.append((_I[f"NasalDilation{s}"], _I[f"NasalConstrict{s}"], 1.0))
        for ul in ("Upper", "Lower"):
            p.append((_I[f"LipSuck{ul}{s}"], _I[f"LipFunnel{ul}{s}"], 1.0))
            p.append((_I[f"LipSuck{ul}{s}"], _I[f"LipPucker{ul}{s}"], 1.0))
    p.append((_I["JawLeft"], _I["JawRight"], 0.0))
    p.append((_I["MouthUpperLeft"], _I["MouthUpperRight"], 0.0))
    p.append((_I["MouthLowerLeft"], _I["MouthLowerRight"], 0.0))
    return p


PAIRS = _pairs()


def project(x: np.ndarray) -> np.ndarray:
    """Project expression vectors onto the anatomically possible set.

    Parameters
    ----------
    x : np.ndarray [shape=(..., 90)]
        UE weights then eye closure (left, right).

    Returns
    -------
    np.ndarray [shape=(..., 90), dtype=float32], clipped to [0, 1] with every rule above satisfied.
    """
    out = np.clip(np.asarray(x, np.float32), 0.0, 1.0).copy()
    for a, b, limit in PAIRS:
        va, vb = out[..., a], out[..., b]
        if limit == 0.0:  # only one of the two: keep the net shift on the stronger side
            d = va - vb
            out[..., a], out[..., b] = np.maximum(d, 0), np.maximum(-d, 0)
            continue
        total = va + vb
        scale = np.where(total > limit, limit / np.maximum(total, 1e-9), 1.0)
        out[..., a], out[..., b] = va * scale, vb * scale
    jaw = out[..., _I["JawOpen"]]
    out[..., _I["MouthClosed"]] = np.minimum(out[..., _I["MouthClosed"]], np.minimum(jaw, 1.0 - jaw))
    out[..., _I["JawOpen"]] = np.maximum(jaw, 0.25 * out[..., _I["TongueOut"]])
    return out


def violations(x: np.ndarray, *, tol: float = 1e-4) -> np.ndarray:
    """Number of broken rules per expression vector, shape ``x.shape[:-1]`` (0 = plausible)."""
    x = np.asarray(x, np.float32)
    n = np.zeros(x.shape[:-1], np.int32)
    for a, b, limit in PAIRS:
        if limit == 0.0:
            n += (np.minimum(x[..., a], x[..., b]) > tol)
        else:
            n += (x[..., a] + x[..., b] > limit + tol)
    jaw = x[..., _I["JawOpen"]]
    n += x[..., _I["MouthClosed"]] > np.minimum(jaw, 1 - jaw) + tol
    n += jaw + tol < 0.25 * x[..., _I["TongueOut"]]
    n += ((x < -tol) | (x > 1 + tol)).any(axis=-1)
    return n
