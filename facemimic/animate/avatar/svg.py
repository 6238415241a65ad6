"""Primitives -> an SVG document (the same drawing the raster path makes, for browsers and editors)."""

from __future__ import annotations

from xml.sax.saxutils import escape

import numpy as np

from .primitives import Clip, Drawing, Shape, rgb_to_hex

SYNTHETIC_NOTE = "Synthetic avatar drawn by FaceMimic (AI-driven expression)"


def _path(points: np.ndarray, closed: bool) -> str:
    p = np.round(np.asarray(points, np.float64), 2)
    coords = " ".join(f"{x:g},{y:g}" for x, y in p)
    return "M" + coords + (" Z" if closed else "")  # later pairs are implicit line-tos


def _shape(s: Shape, filters: dict[float, str]) -> str:
    if len(s.points) < 2 or s.opacity <= 0:
        return ""
    fill = rgb_to_hex(s.fill) if (s.fill is not None and s.closed) else "none"
    attrs = [f'd="{_path(s.points, s.closed)}"', f'fill="{fill}"']
    if s.stroke is not None and s.width > 0:
        attrs.append(f'stroke="{rgb_to_hex(s.stroke)}" stroke-width="{s.width:.2f}" '
                     'stroke-linejoin="round" stroke-linecap="round"')
    if s.opacity < 1:
        attrs.append(f'opacity="{s.opacity:.3f}"')
    if s.blur > 0:
        key = round(s.blur, 1)
        if key not in filters:
            filters[key] = f"blur{len(filters)}"
        attrs.append(f'filter="url(#{filters[key]})"')
    return "<path " + " ".join(attrs) + "/>"


def to_svg(drawing: Drawing, *, title: str = "FaceMimic avatar", transparent: bool = False) -> str:
    """Serialise a :class:`Drawing` as a standalone SVG document (UTF-8 text).

    Blurred shapes use ``feGaussianBlur`` filters, clipped groups use ``clipPath``; the document
    carries a ``<desc>`` saying it is a synthetic avatar made by FaceMimic. ``transparent`` leaves
    out the background.
    """
    filters: dict[float, str] = {}
    body: list[str] = []
    clips: list[str] = []
    for item in drawing.items:
        if isinstance(item, Clip):
            cid = f"clip{len(clips)}"
            clips.append(f'<clipPath id="{cid}"><path d="{_path(item.points, True)}"/></clipPath>')
            kids = "".join(_shape(s, filters) for s in item.children)
            body.append(f'<g clip-path="url(#{cid})">{kids}</g>')
        else:
            body.append(_shape(item, filters))
    top, bottom = (rgb_to_hex(c) for c in drawing.background)
    defs = [f'<linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="{top}"/>'
            f'<stop offset="1" stop-color="{bottom}"/></linearGradient>']
    # Filter regions are generous so the blur is never cut off at the shape's box.
    defs += [f'<filter id="{fid}" x="-50%" y="-50%" width="200%" height="200%">'
             f'<feGaussianBlur stdDeviation="{sigma:g}"/></filter>' for sigma, fid in filters.items()]
    defs += clips
    w, h = drawing.width, drawing.height
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">\n'
            f"<title>{escape(title)}</title><desc>{escape(SYNTHETIC_NOTE)}</desc>\n"
            f"<defs>{''.join(defs)}</defs>\n"
            + ("" if transparent else f'<rect width="{w}" height="{h}" fill="url(#bg)"/>\n')
            + "\n".join(b for b in body if b) + "\n</svg>\n")
