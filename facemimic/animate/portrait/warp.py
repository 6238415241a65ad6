"""Dense piecewise-affine warp of a portrait from landmark motion, background held still.

Mesh: MediaPipe's 468-point face mesh (its mouth and eye holes closed by strips, so the lips can
part), a *head ring* just outside the face oval that follows the oval at 40 %, and an *anchor
ring* further out (twice as far below the chin, so the neck stretches when the jaw drops) that
never moves. Everything outside the anchor ring is copied untouched: hair and background stay.

Precomputed once per source: the mesh, its drawing order and a coarse grid (2-4 px) over the
anchor ring's box. Per frame: the moved mesh is rasterised on the coarse grid (triangle ids), each
grid point is sent back through its triangle's affine map (the exact inverse of the
piecewise-affine warp, however far the jaw drops), the coarse coordinate map is upsampled with one
small remap, and the image is resampled with one ``cv2.remap``.
"""

from __future__ import annotations

import numpy as np

from . import landmarks as L

HEAD_RING_FOLLOW = 0.4  # share of the oval's motion the head ring follows


def _ring(points: np.ndarray, centre: np.ndarray, down: np.ndarray, top: float, bottom: float) -> np.ndarray:
    """The face oval pushed away from ``centre`` by a factor growing from ``top`` to ``bottom``."""
    d = points - centre
    cos_down = (d @ down) / np.maximum(np.linalg.norm(d, axis=1), 1e-6)
    k = top + (bottom - top) * np.clip(cos_down, 0, 1) ** 2
    return centre + d * k[:, None]


class MeshWarp:
    """Backward-mapping warp of one source image driven by landmark motion.

    Parameters
    ----------
    points : np.ndarray [shape=(478, 2)]
        Source landmark pixels.
    shape : (height, width)
        Source image size.
    down : np.ndarray [shape=(2,)]
        Unit vector towards the chin (image coordinates).
    step : int, optional
        Coarse grid spacing in pixels (default: about a 200th of the face ring's size, 2..4).
    """

    def __init__(self, points: np.ndarray, shape: tuple[int, int], down: np.ndarray, *,
                 step: int | None = None) -> None:
        import cv2

        from .delaunay import delaunay

        h, w = shape
        pts = np.asarray(points, np.float64)[:L.N_MESH, :2]
        oval = pts[list(L.FACE_OVAL)]
        centre = oval.mean(0)
        down = np.asarray(down, np.float64)
        head = _ring(oval, centre, down, 1.18, 1.45)
        anchor = _ring(oval, centre, down, 1.55, 2.3)
        self.n_mesh = L.N_MESH
        self.vertices = np.concatenate([pts, head, anchor])  # (468 + 36 + 36, 2)
        n_oval = len(L.FACE_OVAL)
        holes = {tuple(sorted(t)) for t in L.hole_triangles()}
        mesh_tris = [t for t in L.face_triangles() if tuple(sorted(t)) not in holes]
        tris = [np.array(t) for t in sorted(holes)]
        # Outside the oval: Delaunay over oval + rings, keeping triangles outside the face.
        ring_ids = np.concatenate([np.array(L.FACE_OVAL), L.N_MESH + np.arange(2 * n_oval)])
        oval_poly = oval.astype(np.float32).reshape(-1, 1, 2)
        anchor_poly = cv2.convexHull(anchor.astype(np.float32))  # robust on turned faces
        for s in delaunay(self.vertices[ring_ids]):
            c = self.vertices[ring_ids[s]].mean(0)
            if (cv2.pointPolygonTest(oval_poly, (float(c[0]), float(c[1])), False) < 0
                    and cv2.pointPolygonTest(anchor_poly, (float(c[0]), float(c[1])), False) > 0):
                tris.append(ring_ids[s])
        tris += mesh_tris
        self.triangles = np.array(tris, np.int64)  # drawing order: holes, rings, face mesh

        # Region of interest: the anchor ring's box, inside the image.
        x0 = int(np.clip(np.floor(anchor[:, 0].min()) - 1, 0, w - 1))
        y0 = int(np.clip(np.floor(anchor[:, 1].min()) - 1, 0, h - 1))
        x1 = int(np.clip(np.ceil(anchor[:, 0].max()) + 2, x0 + 1, w))
        y1 = int(np.clip(np.ceil(anchor[:, 1].max()) + 2, y0 + 1, h))
        self.roi = (x0, y0, x1, y1)
        size = max(float(np.ptp(anchor[:, 0])), float(np.ptp(anchor[:, 1])), 1.0)
        self.step = int(step) if step else int(np.clip(round(size / 130), 2, 6))
        st = self.step
        gw = -(-(x1 - x0) // st)
        gh = -(-(y1 - y0) // st)
        self.grid_shape = (gh, gw)
        # Grid points sit at the centres of st x st cells, so cv2.resize (pixel-centre aligned)
        # upsamples the coarse map exactly onto the ROI's pixels.
        off = (st - 1) / 2
        gx = x0 + off + st * np.arange(gw, dtype=np.float64)
        gy = y0 + off + st * np.arange(gh, dtype=np.float64)
        self.grid = np.stack(np.meshgrid(gx, gy), axis=-1).astype(np.float32)  # (gh, gw, 2) px
        self._grid_h = np.concatenate([self.grid.reshape(-1, 2), np.ones((gh * gw, 1), np.float32)], 1)
        self._ids = self.new_ids()
        self._up_size = (gw * st, gh * st)
        # Identity map of the ROI: the coarse grid carries only displacements (zero at the ROI's
        # edges, so the upsampling's edge clamping is exact there).
        ix, iy = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
        self._identity = np.ascontiguousarray(np.stack([ix, iy], -1))
        self._oval = np.array(L.FACE_OVAL)

    def new_ids(self) -> np.ndarray:
        """A triangle-id grid (gh, gw) int32: the per-frame scratch of :meth:`coordinate_map` (a
        thread warping at the same time as another needs its own)."""
        return np.zeros(self.grid_shape, np.int32)

    def vertex_motion(self, motion: np.ndarray) -> np.ndarray:
        """Landmark motion (478, 2) -> motion of every mesh vertex (V, 2) (rings included)."""
        m = np.asarray(motion, np.float32)[:L.N_MESH]
        head = HEAD_RING_FOLLOW * m[self._oval]
        return np.concatenate([m, head, np.zeros_like(head)])

    def coordinate_map(self, motion: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        """Source position of every ROI pixel, shape (roi_h, roi_w, 2) float32.

        The moved mesh is rasterised on the coarse grid (triangle ids); each grid point is sent
        back through its triangle's affine map, and the coarse map is upsampled bilinearly. Exact
        for the piecewise-affine warp, however large the motion.

        Parameters
        ----------
        motion : np.ndarray [shape=(478, 2)]
            Landmark motion in pixels (where each source landmark goes).
        ids : np.ndarray [shape=(gh, gw), dtype=int32], optional
            Scratch grid (:meth:`new_ids`; default: this warp's own).
        """
        import cv2

        x0, y0, x1, y1 = self.roi
        st = self.step
        off = (st - 1) / 2
        tgt = self.vertices + self.vertex_motion(motion)
        tri_t = tgt[self.triangles]  # (M, 3, 2) moved triangles
        q = np.round((tri_t - (x0 + off, y0 + off)) * (16.0 / st)).astype(np.int32)
        ids = self._ids if ids is None else ids
        ids[...] = 0
        fill = cv2.fillConvexPoly
        for i, poly in enumerate(q, 1):
            fill(ids, poly, i, cv2.LINE_8, 4)
        # Per-triangle affine map moved -> source: [x y 1] @ A (3, 2).
        ones = np.ones((len(tri_t), 3, 1))
        t_h = np.concatenate([tri_t, ones], 2)  # (M, 3, 3)
        src_t = self.vertices[self.triangles]  # (M, 3, 2)
        flat_tri = np.abs(np.linalg.det(t_h)) < 0.5  # area < 0.25 px^2: no affine map to speak of
        t_h[flat_tri] = np.eye(3)
        aff = np.linalg.solve(t_h, np.where(flat_tri[:, None, None], 0.0, src_t))
        # A collapsed triangle (a closed lip seam) just carries its points along: a translation.
        aff[flat_tri, :2] = np.eye(2)
        aff[flat_tri, 2] = (src_t[flat_tri] - tri_t[flat_tri]).mean(1)
        aff = aff.astype(np.float32)  # (M, 3, 2)
        flat = ids.ravel()
        pos = self._grid_h[:, :2].copy()
        inside = np.flatnonzero(flat)
        a = aff[flat[inside] - 1]
        g = self._grid_h[inside]
        pos[inside] = np.einsum("ni,nij->nj", g, a)
        disp = (pos - self._grid_h[:, :2]).reshape(*self.grid_shape, 2)
        up = cv2.resize(disp, self._up_size, interpolation=cv2.INTER_LINEAR)
        return up[:y1 - y0, :x1 - x0] + self._identity

    def apply(self, image: np.ndarray, motion: np.ndarray, out: np.ndarray | None = None, *,
              ids: np.ndarray | None = None) -> np.ndarray:
        """Warp ``image`` (H, W, C) uint8 by landmark ``motion`` (478, 2); pixels outside the
        anchor ring are copied unchanged. ``out`` (same shape) is reused when given; ``ids`` is
        the scratch grid of :meth:`coordinate_map`."""
        import cv2

        if out is None:
            out = image.copy()
        else:
            out[...] = image
        x0, y0, x1, y1 = self.roi
        if not np.any(np.abs(motion) > 1e-3):  # at rest: the photo itself, bit for bit
            return out
        m = self.coordinate_map(motion, ids)
        warped = cv2.remap(image, m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        out[y0:y1, x0:x1] = warped.reshape(out[y0:y1, x0:x1].shape)
        return out
