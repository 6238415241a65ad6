"""Primitives -> RGB frames with OpenCV's anti-aliased polygon fill.

Speed comes from drawing opaque shapes straight into the frame (OpenCV blends the anti-aliased edge
with what is already there, 1/16-pixel precision via ``shift=4``), caching the background gradient,
and confining every translucent, blurred or clipped shape to its bounding box.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import cv2
import numpy as np

from .primitives import RGB, Clip, Drawing, Shape

_SHIFT = 4  # fixed-point bits: coordinates are drawn at 1/16 pixel
_ONE = 1 << _SHIFT


@lru_cache(maxsize=8)
def _background(width: int, height: int, top: RGB, bottom: RGB) -> np.ndarray:
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    col = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    img = np.repeat(np.round(col)[:, None, :], width, axis=1).astype(np.uint8)
    img.setflags(write=False)
    return img


_STATIC: dict = {}  # static_key -> background + unchanging items, drawn once


def _static(drawing: Drawing) -> np.ndarray:
    """The background with the drawing's static items (body, …) already on it, cached by key."""
    bg = _background(drawing.width, drawing.height, drawing.background[0], drawing.background[1])
    if not drawing.static or drawing.static_key is None:
        return bg
    key = (drawing.static_key, drawing.width, drawing.height, drawing.background)
    img = _STATIC.get(key)
    if img is None:
        img = bg.copy()
        for item in drawing.items[:drawing.static]:
            _draw_clip(img, item) if isinstance(item, Clip) else _draw(img, item)
        img.setflags(write=False)
        if len(_STATIC) >= 8:
            _STATIC.pop(next(iter(_STATIC)))
        _STATIC[key] = img
    return img


def _fixed(points: np.ndarray, ox: float, oy: float) -> np.ndarray:
    # Drawing coordinates follow SVG (pixel i covers [i, i+1)); OpenCV puts pixel i's centre at i.
    p = (points - np.array([ox + 0.5, oy + 0.5], np.float32)) * _ONE
    return np.round(p).astype(np.int32).reshape(-1, 1, 2)


def _bbox(points: np.ndarray, pad: float, w: int, h: int) -> tuple[int, int, int, int] | None:
    x0 = max(int(np.floor(points[:, 0].min() - pad)), 0)
    y0 = max(int(np.floor(points[:, 1].min() - pad)), 0)
    x1 = min(int(np.ceil(points[:, 0].max() + pad)) + 1, w)
    y1 = min(int(np.ceil(points[:, 1].max() + pad)) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def _paint(img: np.ndarray, s: Shape, ox: float, oy: float) -> None:
    """Draw ``s`` opaquely into ``img`` whose top-left is at (ox, oy) in drawing pixels."""
    pts = _fixed(s.points, ox, oy)
    if s.fill is not None and s.closed and len(s.points) >= 3:
        cv2.fillPoly(img, [pts], s.fill, cv2.LINE_AA, _SHIFT)
    if s.stroke is not None and s.width > 0:
        # OpenCV's anti-aliased lines come out about half a pixel wider than asked: compensate.
        cv2.polylines(img, [pts], s.closed, s.stroke, max(1, int(round(s.width - 0.5))), cv2.LINE_AA, _SHIFT)


def _blend(roi: np.ndarray, layer: np.ndarray, alpha: np.ndarray | float) -> None:
    """``roi = roi + (layer - roi) * alpha`` in place; ``alpha`` scalar or (h, w) float32."""
    if np.isscalar(alpha):
        cv2.addWeighted(layer, float(alpha), roi, 1.0 - float(alpha), 0.0, dst=roi)
        return
    roi[:] = cv2.blendLinear(layer, roi, alpha, 1.0 - alpha)


def _draw(img: np.ndarray, s: Shape, ox: float = 0.0, oy: float = 0.0) -> None:
    if len(s.points) < 2 or s.opacity <= 0:
        return
    if s.opacity >= 1.0 and s.blur <= 0:
        _paint(img, s, ox, oy)
        return
    h, w = img.shape[:2]
    local = s.points - np.array([ox, oy], np.float32)
    box = _bbox(local, s.width + 3 * s.blur + 2, w, h)
    if box is None:
        return
    x0, y0, x1, y1 = box
    roi = img[y0:y1, x0:x1]
    if s.blur > 0:
        # Soft shape: a blurred coverage mask of one colour.
        mask = np.zeros(roi.shape[:2], np.uint8)
        _paint(mask, Shape(s.points, 255 if s.fill is not None else None, 255 if s.stroke is not None else None,
                           s.width, s.closed), ox + x0, oy + y0)
        # Blur a reduced copy (a soft mask has no detail to lose): ~10x cheaper for big sigmas.
        f = max(1, int(round(s.blur / 2.5)))
        if f > 1 and min(mask.shape) >= 4 * f:
            small = cv2.resize(mask, (mask.shape[1] // f, mask.shape[0] // f), interpolation=cv2.INTER_AREA)
            small = cv2.GaussianBlur(small, (0, 0), s.blur / f)
            soft = cv2.resize(small, (mask.shape[1], mask.shape[0]), interpolation=cv2.INTER_LINEAR)
        else:
            soft = cv2.GaussianBlur(mask, (0, 0), s.blur)
        m = soft.astype(np.float32) * (s.opacity / 255.0)
        colour = np.empty_like(roi)
        colour[:] = s.fill if s.fill is not None else s.stroke
        _blend(roi, colour, m)
        return
    layer = roi.copy()
    _paint(layer, s, ox + x0, oy + y0)
    _blend(roi, layer, s.opacity)


def _draw_clip(img: np.ndarray, c: Clip) -> None:
    h, w = img.shape[:2]
    box = _bbox(c.points, 2, w, h)
    if box is None:
        return
    x0, y0, x1, y1 = box
    roi = img[y0:y1, x0:x1]
    layer = roi.copy()
    for s in c.children:
        _draw(layer, s, x0, y0)
    mask = np.zeros(roi.shape[:2], np.uint8)
    cv2.fillPoly(mask, [_fixed(c.points, x0, y0)], 255, cv2.LINE_AA, _SHIFT)
    _blend(roi, layer, mask.astype(np.float32) * np.float32(1.0 / 255.0))


def rasterize_rgba(drawing: Drawing) -> np.ndarray:
    """Draw with a transparent background: RGBA, shape (H, W, 4) uint8 (straight alpha).

    Drawn twice, over black and over white: every blend OpenCV does is linear, so the two results
    give each pixel's exact coverage (``alpha = 1 - (white - black)``) and colour.
    """
    black = rasterize(replace(drawing, background=((0, 0, 0), (0, 0, 0)))).astype(np.float32)
    white = rasterize(replace(drawing, background=((255, 255, 255), (255, 255, 255)))).astype(np.float32)
    alpha = np.clip(255.0 - (white - black).mean(-1), 0.0, 255.0)
    colour = np.where(alpha[..., None] > 0, black * 255.0 / np.maximum(alpha[..., None], 1e-3), 0.0)
    return np.dstack([np.clip(colour + 0.5, 0, 255), alpha + 0.5]).astype(np.uint8)


def rasterize(drawing: Drawing, *, out: np.ndarray | None = None) -> np.ndarray:
    """Draw a :class:`Drawing` into an RGB image.

    Parameters
    ----------
    drawing : Drawing
        Primitives from :func:`~.shapes.build_drawing`.
    out : np.ndarray [shape=(H, W, 3), dtype=uint8], optional
        A buffer to draw into (reused between frames to avoid allocation).

    Returns
    -------
    np.ndarray [shape=(H, W, 3), dtype=uint8]
        RGB pixels, anti-aliased.
    """
    bg = _static(drawing)
    if out is None or out.shape != bg.shape or out.dtype != np.uint8:
        out = bg.copy()
    else:
        np.copyto(out, bg)
    for item in drawing.items[drawing.static:]:
        if isinstance(item, Clip):
            _draw_clip(out, item)
        else:
            _draw(out, item)
    return out
