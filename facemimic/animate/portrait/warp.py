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

Fold-free (:meth:`MeshWarp.fold_free`, :mod:`.folds`): before drawing, the moved mesh is projected
so that no triangle turns over (a turned triangle draws the image mirrored: a tear); skin
triangles keep at least a quarter of their area, the mouth and eye strips may close to a line.
"""

from __future__ import annotations

import numpy as np

from . import landmarks as L

HEAD_RING_FOLLOW = 0.4  # share of the oval's motion the head ring follows
SEAM_GAP = 0.5  # px: crossing lips (lids) meet this far apart


def _ring(points: np.ndarray, centre: np.ndarray, down: np.ndarray, top: float, bottom: float) -> np.ndarray:
    """The face oval pushed away from ``centre`` by a factor growing from ``top`` to ``bottom``."""
    d = points - centre
    cos_down = (d @ down) / np.maximum(np.linalg.norm(d, axis=1), 1e-6)
    k = top + (bottom - top) * np.clip(cos_down, 0, 1) ** 2
    return centre + d * k[:, None]


def _faces_only(triangles: np.ndarray) -> list:
    """The mesh's triangles without the 3-cycles that are not faces (MediaPipe's mesh has two,
    49-64-129 and 279-294-358, each round three small faces: every edge shared by three
    triangles). They would overlap their faces, and no motion keeps both orientations."""
    from collections import Counter

    tris = [tuple(int(v) for v in t) for t in triangles]
    edges = Counter(tuple(sorted(e)) for a, b, c in tris for e in ((a, b), (b, c), (c, a)))
    return [t for t in tris if not all(edges[tuple(sorted(e))] > 2 for e in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0])))]


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
        mesh_tris = [t for t in _faces_only(L.face_triangles()) if tuple(sorted(t)) not in holes]
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
        self._fold_setup(down, size)

    def _fold_setup(self, down: np.ndarray, size: float) -> None:
        """Each triangle's orientation and smallest allowed area, for :meth:`fold_free`."""
        from .folds import HOLE_FLOOR, SKIN_FLOOR, signed_areas

        n_oval = len(self._oval)
        holes = {tuple(sorted(t)) for t in L.hole_triangles()}
        is_hole = np.array([tuple(sorted(t)) in holes for t in self.triangles.tolist()])
        a0 = signed_areas(self.vertices, self.triangles)
        self.orientation = np.where(a0 < 0, -1.0, 1.0)
        # Closed (or crossed) lips and lids make their strip a line whose sign means nothing: a
        # strip triangle takes the orientation that agrees with the skin triangle across its
        # edge with the lip or lid (a consistently oriented mesh runs a shared edge both ways).
        tris = self.triangles.tolist()
        owner = {}
        for i, t in enumerate(tris):
            if is_hole[i]:
                continue
            cyc = t if self.orientation[i] > 0 else t[::-1]
            for u, v in ((cyc[0], cyc[1]), (cyc[1], cyc[2]), (cyc[2], cyc[0])):
                if abs(a0[i]) > abs(owner.get((u, v), (0, 0.0))[1]):
                    owner[(u, v)] = (i, a0[i])
        for i in np.flatnonzero(is_hole):
            a, b, c = tris[i]
            for u, v in ((a, b), (b, c), (c, a)):  # the stored cycle's edges
                if (v, u) in owner:  # skin runs v -> u: the strip, positively, runs u -> v
                    self.orientation[i] = 1.0
                    break
                if (u, v) in owner:
                    self.orientation[i] = -1.0
                    break
        share = np.where(is_hole, HOLE_FLOOR, SKIN_FLOOR)
        oriented = self.orientation * a0
        # never ask more than the source has (a photo's own crossed lips stay as they are)
        # a strip closes to a sliver, not exactly a line (float32 rounding would flip a line)
        self.area_floor = np.minimum(np.maximum(share * np.abs(a0), np.where(is_hole, 0.02, 0.0)), oriented)
        self.is_hole = is_hole
        self._movable = np.zeros(len(self.vertices), bool)
        self._movable[:L.N_MESH] = True  # the rings are held (the head ring follows the oval)
        self._head = L.N_MESH + np.arange(n_oval)
        self._down = np.asarray(down, np.float64)
        self._seam_setup()
        skin = self.triangles[~is_hole]
        e = np.sort(np.concatenate([skin[:, [0, 1]], skin[:, [1, 2]], skin[:, [2, 0]]]), 1)
        self._smooth_edges = np.unique(e, axis=0)  # no edge across the mouth or an eye

    def _meet(self, P: np.ndarray) -> None:
        """Lips (and lids) that cross meet instead (in place on the moved vertices ``P``).

        Where a lower inner-lip point is driven above its upper partner, both go to their mean
        height along the face's down axis (a pressed seam, what lips do); the rest of the face
        follows that correction smoothly (a harmonic field over the mesh with the holes cut
        open: the upper lip's correction spreads up into the upper lip and cheeks, the lower
        lip's down into the chin), so the lip tissue behind the seam moves with it instead of
        folding over it."""
        d = self._down
        r = np.array([-d[1], d[0]])
        delta = np.zeros((len(self._seam_ids), 2))
        k = 0
        for (up, lo), (up_all, lo_all) in zip(self._seams, self._chains):
            # Heights along the down axis against the other lid's/lip's polyline (both chains,
            # corners included, are functions of the position along the mouth or eye).
            uu, vu = P[up_all] @ r, P[up_all] @ d
            ul, vl = P[lo_all] @ r, P[lo_all] @ d
            ou, ol = np.argsort(uu), np.argsort(ul)
            gap_lo = P[lo] @ d - np.interp(P[lo] @ r, uu[ou], vu[ou])  # lower point below upper line
            gap_up = np.interp(P[up] @ r, ul[ol], vl[ol]) - P[up] @ d
            n = len(up)
            delta[k:k + n] = 0.5 * np.minimum(gap_up - SEAM_GAP, 0.0)[:, None] * d
            delta[k + n:k + 2 * n] = -0.5 * np.minimum(gap_lo - SEAM_GAP, 0.0)[:, None] * d
            k += 2 * n
        if not np.any(delta):
            return
        P[self._seam_ids] += delta
        P[self._free_ids] += self._harmonic @ delta

    def _seam_setup(self) -> None:
        """The harmonic map from seam corrections to the rest of the face (for :meth:`_meet`)."""
        seams = [(L.LIP_INNER_UPPER, L.LIP_INNER_LOWER), (L.EYE_UPPER["right"], L.EYE_LOWER["right"]),
                 (L.EYE_UPPER["left"], L.EYE_LOWER["left"])]
        self._seams = [(np.array(u[1:-1]), np.array(lo[1:-1])) for u, lo in seams]
        self._chains = [(np.array(u), np.array(lo)) for u, lo in seams]
        self._seam_ids = np.concatenate([np.concatenate(pair) for pair in self._seams])
        n = L.N_MESH
        holes = {tuple(sorted(t)) for t in L.hole_triangles()}
        adj = np.zeros((n, n))
        for t in L.face_triangles().tolist():
            if tuple(sorted(t)) in holes:
                continue  # the mouth and eye strips are cut: no edge across a hole
            for a, b in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0])):
                adj[a, b] = adj[b, a] = 1.0
        lap = np.diag(adj.sum(1)) - adj
        free = np.setdiff1d(np.arange(n), self._seam_ids)
        self._free_ids = free
        # harmonic extension: L_ff x_f = -L_fb x_b (the graph is connected round the mouth corners)
        lff = lap[np.ix_(free, free)] + 1e-6 * np.eye(len(free))
        self._harmonic = np.linalg.solve(lff, -lap[np.ix_(free, self._seam_ids)])  # (F, B)

    def fold_free(self, motion: np.ndarray) -> np.ndarray:
        """Landmark ``motion`` (478, 2) px adjusted so that no mesh triangle folds (a new array,
        or ``motion`` itself when nothing folds); see :mod:`.folds`."""
        from .folds import unfold

        m = np.asarray(motion, np.float64)
        if not np.any(np.abs(m) > 1e-3):
            return motion
        src = self.vertices
        dst = src + self.vertex_motion(m)
        self._meet(dst)
        oval = self._oval
        head = self._head

        def follow(P):
            P[head] = src[head] + HEAD_RING_FOLLOW * (P[oval] - src[oval])

        P = unfold(src, dst, self.triangles, self.orientation, self.area_floor, self._movable, follow=follow,
                   edges=self._smooth_edges)
        if P is dst:
            return motion
        out = np.array(m, np.float64, copy=True)
        out[:L.N_MESH] = P[:L.N_MESH] - src[:L.N_MESH]
        return out

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
