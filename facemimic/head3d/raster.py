"""A small NumPy rasteriser: orthographic view, z-buffer, textured or vertex-coloured, Lambert light.

Used for ``--preview``, for baking the texture (the photo warped into the texture layout) and by
the benchmark's re-track check; no GPU or browser needed. The rasteriser only finds, per pixel, the
nearest triangle and the barycentric weights there (one small loop per triangle); colours, texture
look-ups and light are then done for all pixels at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def rasterize(screen: np.ndarray, tris: np.ndarray, size: tuple[int, int], *, cull: bool = True):
    """Nearest triangle and barycentric weights per pixel.

    Parameters
    ----------
    screen : np.ndarray [shape=(N, 3)]
        Vertex positions: pixel column, pixel row, depth (larger = nearer the viewer).
    tris : np.ndarray [shape=(M, 3)]
        Triangles, counter-clockwise when seen from the viewer (front faces).
    size : (width, height)
    cull : bool
        Skip back faces (clockwise on screen).

    Returns
    -------
    tri_id : np.ndarray [shape=(H, W), dtype=int64]
        Triangle index per pixel, -1 where nothing is drawn.
    bary : np.ndarray [shape=(H, W, 3)]
        Barycentric weights of the triangle's three vertices.
    """
    w, h = size
    depth = np.full((h, w), -np.inf)
    tri_id = np.full((h, w), -1, np.int64)
    bary = np.zeros((h, w, 3))
    p = screen[tris]  # (M, 3, 3)
    x0, y0 = p[:, 0, 0], p[:, 0, 1]
    e1, e2 = p[:, 1, :2] - p[:, 0, :2], p[:, 2, :2] - p[:, 0, :2]
    area = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]  # > 0: clockwise in pixel rows = front face (y flipped)
    xmin = np.clip(np.floor(p[:, :, 0].min(1)), 0, w).astype(int)
    xmax = np.clip(np.ceil(p[:, :, 0].max(1)) + 1, 0, w).astype(int)
    ymin = np.clip(np.floor(p[:, :, 1].min(1)), 0, h).astype(int)
    ymax = np.clip(np.ceil(p[:, :, 1].max(1)) + 1, 0, h).astype(int)
    ok = (np.abs(area) > 1e-12) & (xmax > xmin) & (ymax > ymin)
    if cull:
        ok &= area < 0
    # Small triangles (most of a head at preview sizes) all at once: every pixel of each one's
    # TILE x TILE box, the nearest candidate kept per pixel; larger ones one by one below.
    small = ok & (xmax - xmin <= TILE) & (ymax - ymin <= TILE)
    _rasterize_small(np.flatnonzero(small), p, e1, e2, area, xmin, xmax, ymin, ymax, depth, tri_id, bary)
    for i in np.flatnonzero(ok & ~small):
        xs = np.arange(xmin[i], xmax[i]) + 0.5
        ys = np.arange(ymin[i], ymax[i]) + 0.5
        dx, dy = xs[None, :] - x0[i], ys[:, None] - y0[i]
        b1 = (dx * e2[i, 1] - dy * e2[i, 0]) / area[i]
        b2 = (dy * e1[i, 0] - dx * e1[i, 1]) / area[i]
        b0 = 1 - b1 - b2
        inside = (b0 >= -1e-9) & (b1 >= -1e-9) & (b2 >= -1e-9)
        if not inside.any():
            continue
        z = b0 * p[i, 0, 2] + b1 * p[i, 1, 2] + b2 * p[i, 2, 2]
        sub = depth[ymin[i]:ymax[i], xmin[i]:xmax[i]]
        win = inside & (z > sub)
        if not win.any():
            continue
        sub[win] = z[win]
        tri_id[ymin[i]:ymax[i], xmin[i]:xmax[i]][win] = i
        bsub = bary[ymin[i]:ymax[i], xmin[i]:xmax[i]]
        bsub[win] = np.stack([b0[win], b1[win], b2[win]], -1)
    return tri_id, bary


TILE = 16  # triangles whose pixel box fits in TILE x TILE are rasterised together


def _rasterize_small(idx, p, e1, e2, area, xmin, xmax, ymin, ymax, depth, tri_id, bary) -> None:
    """Rasterise the triangles ``idx`` together into the (empty) buffers (see :func:`rasterize`)."""
    if not len(idx):
        return
    h, w = depth.shape
    r = np.arange(TILE)
    gx = xmin[idx, None, None] + r[None, None, :]  # (B, 1, T)
    gy = ymin[idx, None, None] + r[None, :, None]  # (B, T, 1)
    dx = gx + 0.5 - p[idx, 0, 0][:, None, None]
    dy = gy + 0.5 - p[idx, 0, 1][:, None, None]
    a = area[idx][:, None, None]
    b1 = (dx * e2[idx, 1][:, None, None] - dy * e2[idx, 0][:, None, None]) / a
    b2 = (dy * e1[idx, 0][:, None, None] - dx * e1[idx, 1][:, None, None]) / a
    b0 = 1 - b1 - b2
    inside = ((b0 >= -1e-9) & (b1 >= -1e-9) & (b2 >= -1e-9)
              & (gx < xmax[idx, None, None]) & (gy < ymax[idx, None, None]))
    bi, yi, xi = np.nonzero(inside)
    if not len(bi):
        return
    px = (ymin[idx][bi] + yi) * w + (xmin[idx][bi] + xi)
    c0, c1, c2 = b0[bi, yi, xi], b1[bi, yi, xi], b2[bi, yi, xi]
    z = c0 * p[idx, 0, 2][bi] + c1 * p[idx, 1, 2][bi] + c2 * p[idx, 2, 2][bi]
    order = np.lexsort((z, px))  # by pixel, then nearest last
    last = np.append(px[order][1:] != px[order][:-1], True)
    keep = order[last]
    depth.reshape(-1)[px[keep]] = z[keep]
    tri_id.reshape(-1)[px[keep]] = idx[bi[keep]]
    bary.reshape(-1, 3)[px[keep]] = np.stack([c0[keep], c1[keep], c2[keep]], -1)


def interpolate(values: np.ndarray, tris: np.ndarray, tri_id: np.ndarray, bary: np.ndarray) -> np.ndarray:
    """Per-pixel interpolation of per-vertex ``values`` (N, C) -> (H, W, C) (zeros where empty)."""
    hit = tri_id >= 0
    out = np.zeros(tri_id.shape + (values.shape[1],))
    t = tris[tri_id[hit]]
    b = bary[hit]
    out[hit] = b[:, 0:1] * values[t[:, 0]] + b[:, 1:2] * values[t[:, 1]] + b[:, 2:3] * values[t[:, 2]]
    return out


def sample(texture: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Bilinear texture look-up: texture (T, T, 3) float, uv (..., 2) in 0..1 (v down) -> (..., 3)."""
    th, tw = texture.shape[:2]
    x = np.clip(uv[..., 0] * tw - 0.5, 0, tw - 1.001)
    y = np.clip(uv[..., 1] * th - 0.5, 0, th - 1.001)
    x0, y0 = x.astype(int), y.astype(int)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    return (texture[y0, x0] * (1 - fx) * (1 - fy) + texture[y0, x0 + 1] * fx * (1 - fy)
            + texture[y0 + 1, x0] * (1 - fx) * fy + texture[y0 + 1, x0 + 1] * fx * fy)


def vertex_normals(positions: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals (N, 3) (unit; zero for unused vertices)."""
    p0, p1, p2 = (positions[tris[:, k]] for k in range(3))
    fn = np.cross(p1 - p0, p2 - p0)
    n = np.zeros_like(positions, dtype=np.float64)
    for k in range(3):
        np.add.at(n, tris[:, k], fn)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.where(length > 1e-12, n / np.maximum(length, 1e-12), 0.0)


@dataclass(frozen=True)
class Surface:
    """One drawable: positions (N, 3) in a right-handed frame (y up, +z towards the viewer),
    triangles (M, 3) counter-clockwise from outside, and either ``colours`` (N, 3) or ``uv`` (N, 2)
    with ``texture`` (T, T, 3), linear floats 0..1."""

    positions: np.ndarray
    triangles: np.ndarray
    colours: np.ndarray | None = None
    uv: np.ndarray | None = None
    texture: np.ndarray | None = None


LIGHT = np.array([0.25, 0.35, 1.0]) / np.linalg.norm([0.25, 0.35, 1.0])


def render(surfaces: list[Surface], *, size: tuple[int, int] = (512, 512), centre=(0.0, -0.45),
           span: float = 4.4, yaw_deg: float = 0.0, pitch_deg: float = 0.0, ambient: float = 0.55,
           background=(0.93, 0.93, 0.95)) -> np.ndarray:
    """An orthographic view of ``surfaces`` as an RGB uint8 image (H, W, 3).

    The view looks down -z at ``centre`` (x, y), ``span`` units across the image's shorter side,
    after turning the scene by ``yaw_deg`` (about y) and ``pitch_deg`` (about x)."""
    w, h = size
    ya, pa = np.radians(yaw_deg), np.radians(pitch_deg)
    rot = (np.array([[1, 0, 0], [0, np.cos(pa), -np.sin(pa)], [0, np.sin(pa), np.cos(pa)]])
           @ np.array([[np.cos(ya), 0, np.sin(ya)], [0, 1, 0], [-np.sin(ya), 0, np.cos(ya)]]))
    scale = min(w, h) / span
    allpos, alltri, offsets = [], [], [0]
    for s in surfaces:
        allpos.append(np.asarray(s.positions, np.float64) @ rot.T)
        alltri.append(np.asarray(s.triangles, np.int64) + offsets[-1])
        offsets.append(offsets[-1] + len(s.positions))
    pos, tris = np.concatenate(allpos), np.concatenate(alltri)
    screen = np.stack([w / 2 + (pos[:, 0] - centre[0]) * scale, h / 2 - (pos[:, 1] - centre[1]) * scale,
                       pos[:, 2]], axis=1)
    tri_id, bary = rasterize(screen, tris, size)
    image = np.tile(np.asarray(background, np.float64), (h, w, 1))
    normals = np.concatenate([vertex_normals(p, t - o) for p, t, o in zip(allpos, alltri, offsets)])
    shade = np.clip(interpolate(normals, tris, tri_id, bary) @ LIGHT, 0, 1)
    light = ambient + (1 - ambient) * shade
    tri_start = np.cumsum([0] + [len(t) for t in alltri])
    for k, s in enumerate(surfaces):
        sel = (tri_id >= tri_start[k]) & (tri_id < tri_start[k + 1])
        if not sel.any():
            continue
        local_id = np.where(sel, tri_id - tri_start[k], -1)
        t_local = alltri[k] - offsets[k]
        if s.texture is not None:
            uv = interpolate(np.asarray(s.uv, np.float64), t_local, local_id, bary)
            colour = sample(s.texture, uv[sel])
        else:
            colour = interpolate(np.asarray(s.colours, np.float64)[:, :3], t_local, local_id, bary)[sel]
        image[sel] = colour * light[sel, None]
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
