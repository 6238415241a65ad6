"""Per-channel monotone curves sampled on a uniform grid of knots, one table per mode.

Capture's response curves (MediaPipe's score -> weight in the unit) and generation's MediaPipe
response (weight in the unit -> MediaPipe's score) are both tables of this form: row ``i`` holds
channel ``i``'s value at inputs 0, 1/(K-1), ..., 1, so a lookup is one multiply and one linear
interpolation, vectorised over frames and channels.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..errors import ModelAssetError


def identity_tables(n_channels: int, n_knots: int, modes) -> dict[str, np.ndarray]:
    """``{mode: (n_channels, n_knots)}`` tables that return their input (the grid itself)."""
    grid = np.linspace(0.0, 1.0, n_knots)
    return {m: np.tile(grid, (n_channels, 1)) for m in modes}


def knot_lookup(table: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each channel's curve at ``values`` (clipped to [0, 1]); NaN stays NaN.

    Parameters
    ----------
    table : np.ndarray [shape=(C, K)]
        Channel ``i``'s curve at inputs ``linspace(0, 1, K)``.
    values : np.ndarray [shape=(..., C)]

    Returns
    -------
    np.ndarray [shape=(..., C), dtype=float32]
    """
    n_channels, n_knots = table.shape
    pos = np.clip(np.asarray(values, np.float32), 0.0, 1.0) * (n_knots - 1)
    finite = np.isfinite(pos)
    pos = np.where(finite, pos, 0.0)
    i0 = np.minimum(pos.astype(np.int64), n_knots - 2)
    frac = pos - i0
    flat = table.ravel()
    base = np.arange(n_channels) * n_knots + i0
    out = flat[base] + frac * (flat[base + 1] - flat[base])
    return np.where(finite, out, np.nan).astype(np.float32)


def tables_to_json(tag: str, about: str, tables: Mapping[str, np.ndarray], index: Mapping[str, int],
                   fitted) -> dict:
    """The JSON form: ``{"format", "version", "about", "knots", "curves": {name: {mode: knots}}}``."""
    n_knots = next(iter(tables.values())).shape[1]
    return {"format": tag, "version": 1, "about": about, "knots": n_knots,
            "curves": {n: {m: [round(float(v), 4) for v in t[index[n]]] for m, t in tables.items()}
                       for n in fitted}}


def tables_from_json(data, *, source: str, tag: str, what: str, index: Mapping[str, int], n_channels: int,
                     n_knots: int, modes) -> tuple[dict[str, np.ndarray], tuple[str, ...], str]:
    """Parse :func:`tables_to_json`'s form into read-only tables, the fitted names and the note.

    Channels without an entry keep the identity. Anything else raises :class:`ModelAssetError`
    naming ``source``: another format or knot count, unknown channel names, knots that are not
    ``n_knots`` finite non-decreasing numbers.
    """
    if not isinstance(data, dict) or data.get("format") != tag or data.get("knots") != n_knots:
        raise ModelAssetError(f"{source}: not {what} ({tag}, {n_knots} knots)")
    curves = data.get("curves")
    if not isinstance(curves, dict):
        raise ModelAssetError(f"{source}: 'curves' must map channel names to per-mode knots")
    tables = identity_tables(n_channels, n_knots, modes)
    for name, per_mode in curves.items():
        if name not in index or not isinstance(per_mode, dict):
            raise ModelAssetError(f"{source}: bad curve entry {name!r}")
        for m in modes:
            k = np.asarray(per_mode.get(m), np.float64)
            if k.shape != (n_knots,) or not np.all(np.isfinite(k)) or np.any(np.diff(k) < 0):
                raise ModelAssetError(f"{source}: curve {name}/{m} must be {n_knots} finite non-decreasing numbers")
            tables[m][index[name]] = k
    for t in tables.values():
        t.setflags(write=False)
    return tables, tuple(curves), str(data.get("about", ""))
