"""The drawing vocabulary shared by the SVG and raster back ends.

A :class:`Drawing` is a background plus a z-ordered list of items (first = furthest back). Every item
is a :class:`Shape` (a polygon or polyline in pixel coordinates with fill/stroke/opacity/blur) or a
:class:`Clip` (shapes drawn only inside a clip polygon: the iris inside the eye, teeth inside the
mouth). Curves are already flattened to points, so both back ends draw exactly the same geometry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable

import numpy as np

RGB = tuple[int, int, int]


def hex_to_rgb(colour: str) -> RGB:
    """``"#a1b2c3"`` or ``"#abc"`` -> ``(161, 178, 195)``."""
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def rgb_to_hex(c: RGB) -> str:
    return "#%02x%02x%02x" % tuple(int(v) for v in c)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` moved a fraction ``t`` towards ``b``."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))  # type: ignore[return-value]


def shade(c: RGB, amount: float) -> RGB:
    """Darken (``amount`` < 0) towards black or lighten (> 0) towards white."""
    return mix(c, (0, 0, 0), -amount) if amount < 0 else mix(c, (255, 255, 255), amount)


@dataclass(frozen=True, slots=True, eq=False)
class Shape:
    """One polygon (``closed``) or polyline, in pixels."""

    points: np.ndarray  # (N, 2) float32 pixel coordinates, x right, y down
    fill: RGB | None = None  # None: no fill (polylines are never filled)
    stroke: RGB | None = None  # None: no outline
    width: float = 0.0  # stroke width in pixels (round joins and caps)
    closed: bool = True  # False: an open polyline (stroke only)
    opacity: float = 1.0  # 0..1 for the whole shape
    blur: float = 0.0  # Gaussian blur sigma in pixels (soft blush and shadows); 0 = crisp
    part: str = ""  # which facial feature it draws ("pupil:0", "upper_lip", ...): read by measure.py


@dataclass(frozen=True, slots=True, eq=False)
class Clip:
    """Shapes visible only inside ``points`` (the clip polygon itself is not drawn)."""

    points: np.ndarray  # (N, 2) clip polygon in pixels
    children: tuple[Shape, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Drawing:
    """A whole frame: size, background gradient and z-ordered items."""

    width: int
    height: int
    background: tuple[RGB, RGB]  # vertical gradient top -> bottom (equal for a flat colour)
    items: tuple[Shape | Clip, ...]
    static: int = 0  # the first `static` items never change for this static_key (cached by rasterize)
    static_key: Hashable | None = None  # identifies those items (style and size); None: no caching
