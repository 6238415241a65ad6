"""Seam measures of the portrait warp.

A warp shows a *seam* where the moved face meets the region held still: a hard edge along the
boundary of the warped region, or a tear inside it (a gap showing the unwarped photo, a layer of
the face sliding over another, specks where a coarse raster extrapolates a thin triangle).

* :func:`boundary_step`: mean colour step across a closed curve (just outside minus just inside,
  along the normal). Across the warp's boundary (its still anchor ring) an animated frame should
  step no more than the photo does across the same curve.
* :func:`largest_jump`: the largest source distance between neighbouring output pixels of a
  coordinate map: tens of pixels at a tear, a few where the warp merely stretches.
"""

from __future__ import annotations

import numpy as np


def resample_closed(curve: np.ndarray, spacing: float = 1.0) -> np.ndarray:
    """Points (K, 2) every ``spacing`` px along the closed polyline ``curve`` (N, 2)."""
    c = np.asarray(curve, np.float64)
    seg = np.roll(c, -1, 0) - c
    length = np.linalg.norm(seg, axis=1)
    cum = np.concatenate([[0.0], np.cumsum(length)])
    total = float(cum[-1])
    if total <= 0:
        return c[:1].copy()
    s = np.arange(0.0, total, max(spacing, 1e-3))
    i = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(c) - 1)
    t = (s - cum[i]) / np.maximum(length[i], 1e-12)
    return c[i] + seg[i] * t[:, None]


def boundary_step(image: np.ndarray, curve: np.ndarray, *, offset: float = 1.5,
                  mask: np.ndarray | None = None) -> float:
    """Mean colour step across a closed curve.

    Parameters
    ----------
    image : np.ndarray [shape=(H, W, C), dtype=uint8]
        RGB (or RGBA: the colour channels are used).
    curve : np.ndarray [shape=(N, 2)]
        Closed polyline in pixels (the last point joins the first).
    offset : float
        Pixels either side of the curve where the colours are compared.
    mask : np.ndarray [shape=(K,), dtype=bool], optional
        Which of the resampled points (1 px apart, see :func:`resample_closed`) count.

    Returns
    -------
    float
        Mean over the curve's points inside the image of the Euclidean RGB distance between
        the colours ``offset`` px outside and inside, in 0..255 units.
    """
    import cv2

    p = resample_closed(curve, 1.0)
    tangent = np.roll(p, -1, 0) - np.roll(p, 1, 0)
    normal = np.stack([tangent[:, 1], -tangent[:, 0]], 1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    a, b = p + offset * normal, p - offset * normal
    h, w = image.shape[:2]
    ok = np.all((a >= 0) & (b >= 0) & (a <= (w - 1, h - 1)) & (b <= (w - 1, h - 1)), axis=1)
    if mask is not None:
        ok &= np.asarray(mask, bool)[:len(ok)]
    if not ok.any():
        return float("nan")
    rgb = np.ascontiguousarray(image[..., :3]).astype(np.float32)

    def sample(q):
        m = q[ok].astype(np.float32).reshape(-1, 1, 2)
        return cv2.remap(rgb, m, None, cv2.INTER_LINEAR).reshape(-1, 3)

    return float(np.linalg.norm(sample(a) - sample(b), axis=1).mean())



def largest_jump(coordinate_map: np.ndarray) -> float:
    """The largest distance (px) between the source positions of two neighbouring output pixels
    in a warp's coordinate map (h, w, 2): a tear (the image cut open, a gap showing the unwarped
    photo, a layer of the face sliding over another) makes it tens of pixels; a smooth warp keeps
    it near its largest stretch (a few pixels)."""
    m = np.asarray(coordinate_map, np.float32)
    jx = np.linalg.norm(np.diff(m, axis=1), axis=2).max(initial=0.0)
    jy = np.linalg.norm(np.diff(m, axis=0), axis=2).max(initial=0.0)
    return float(max(jx, jy))
