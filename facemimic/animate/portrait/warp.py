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
SOFT_INSIDE = 2.0  # grid cells: the outside blend starts this far inside the face outline


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


def _zip_rings(v: np.ndarray, *rings: np.ndarray) -> np.ndarray | None:
    """Triangles (K, 3) joining consecutive closed rings of equal length point by point (each
    quad split along its shorter diagonal), or None when they do not tile (a ring crosses the
    next: some triangle turns the other way round)."""
    from .folds import signed_areas

    tris = []
    n = len(rings[0])
    for inner, outer in zip(rings, rings[1:]):
        for i in range(n):
            j = (i + 1) % n
            a, b, c, d = inner[i], inner[j], outer[j], outer[i]
            if np.linalg.norm(v[a] - v[c]) <= np.linalg.norm(v[b] - v[d]):
                tris += [(a, b, c), (a, c, d)]
            else:
                tris += [(a, b, d), (b, c, d)]
    out = np.array(tris, np.int64)
    area = signed_areas(v, out)
    if not (np.all(area > 0) or np.all(area < 0)):
        return None
    return out


def _coherent_orientation(triangles: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """+1/-1 per triangle: the sign its area has when the mesh is oriented coherently (every
    shared edge run both ways), the sign most of the photo's triangles have (a breadth-first walk
    over the shared edges; the few triangles the photo shows turned over get the other sign)."""
    from collections import deque

    tris = [tuple(int(v) for v in t) for t in triangles]
    by_edge: dict = {}
    for i, t in enumerate(tris):
        for k in range(3):
            by_edge.setdefault(frozenset((t[k], t[(k + 1) % 3])), []).append(i)
    flip = np.zeros(len(tris), np.int8)  # 0 unknown, 1 as stored, -1 reversed
    for seed in range(len(tris)):
        if flip[seed]:
            continue
        flip[seed] = 1
        todo = deque([seed])
        while todo:
            i = todo.popleft()
            t = tris[i] if flip[i] > 0 else tris[i][::-1]
            for k in range(3):
                u, v = t[k], t[(k + 1) % 3]
                for j in by_edge[frozenset((u, v))]:
                    if flip[j]:
                        continue
                    s = tris[j]
                    runs_vu = any(s[r] == v and s[(r + 1) % 3] == u for r in range(3))
                    flip[j] = 1 if runs_vu else -1
                    todo.append(j)
    sign = flip.astype(np.float64)
    if np.sum(np.sign(areas) * sign > 0) < np.sum(np.sign(areas) * sign < 0):
        sign = -sign
    return sign


def _neighbours(triangles: np.ndarray) -> np.ndarray:
    """(M, 3) the triangle across the edge opposite each vertex (-1: none)."""
    owner: dict = {}
    for i, (a, b, c) in enumerate(triangles.tolist()):
        for k, e in enumerate(((b, c), (c, a), (a, b))):
            owner.setdefault(tuple(sorted(e)), []).append((i, k))
    nbr = -np.ones((len(triangles), 3), np.int64)
    for pairs in owner.values():
        if len(pairs) == 2:
            (i, ki), (j, kj) = pairs
            nbr[i, ki], nbr[j, kj] = j, i
    return nbr


def _barycentric(tri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each triangle's map from a homogeneous point to its barycentric weights, in closed form.

    Parameters
    ----------
    tri : np.ndarray [shape=(M, 3, 2)]
        Triangle corners (px).

    Returns
    -------
    inv : np.ndarray [shape=(M, 3, 3), dtype=float64]
        ``[x y 1] @ inv[m]`` = the point's weights on triangle m's corners: the inverse of the
        rows ``[x_k y_k 1]`` (the identity for a flat triangle).
    flat : np.ndarray [shape=(M,), dtype=bool]
        Triangles of less than 0.25 px^2 (no inverse to speak of).
    """
    x, y = tri[..., 0], tri[..., 1]
    xn, yn = np.roll(x, -1, 1), np.roll(y, -1, 1)  # corner k+1
    xp, yp = np.roll(x, 1, 1), np.roll(y, 1, 1)  # corner k-1
    cof = np.stack([yn - yp, xp - xn, xn * yp - xp * yn], 1)  # (M, 3, 3): [row of x, y, 1][corner]
    det = (x * (yn - yp)).sum(1)  # twice the signed area
    flat = np.abs(det) < 0.5
    inv = cof / np.where(flat, 1.0, det)[:, None, None]
    inv[flat] = np.eye(3)
    return inv, flat


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
    depth : np.ndarray [shape=(478,)], optional
        The landmarks' depth (larger: further from the camera). The face's triangles are drawn
        far to near, so where a turned face's far side lies behind its nose and near cheek in
        the photo, the visible layer is drawn last and stays on top.
    """

    def __init__(self, points: np.ndarray, shape: tuple[int, int], down: np.ndarray, *,
                 step: int | None = None, depth: np.ndarray | None = None) -> None:
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
        if depth is not None:
            # Painter's order: on a face turned 35-45 degrees MediaPipe's far cheek triangles
            # overlap the nose and the mouth's near corner; drawn in the mesh's own order they
            # covered them in ragged blocks as soon as the two layers moved differently.
            z = np.asarray(depth, np.float64)[:L.N_MESH]
            mesh_tris = sorted(mesh_tris, key=lambda t: -float(z[list(t)].mean()))
        tris = [np.array(t) for t in sorted(holes)]
        # Outside the oval: the two rings zipped to the oval quad by quad, so every oval edge is
        # shared by one face and one ring triangle (a tiling: no gap can open between the face
        # and the rings when they move apart, which would show the unwarped photo as a seam).
        ring_tris = _zip_rings(self.vertices, np.array(L.FACE_OVAL), L.N_MESH + np.arange(n_oval),
                               L.N_MESH + n_oval + np.arange(n_oval))
        if ring_tris is None:  # a turned face whose rings cross themselves: Delaunay, face cut out
            ring_tris = []
            ring_ids = np.concatenate([np.array(L.FACE_OVAL), L.N_MESH + np.arange(2 * n_oval)])
            oval_poly = oval.astype(np.float32).reshape(-1, 1, 2)
            anchor_poly = cv2.convexHull(anchor.astype(np.float32))
            for s in delaunay(self.vertices[ring_ids]):
                c = self.vertices[ring_ids[s]].mean(0)
                if (cv2.pointPolygonTest(oval_poly, (float(c[0]), float(c[1])), False) < 0
                        and cv2.pointPolygonTest(anchor_poly, (float(c[0]), float(c[1])), False) > 0):
                    ring_tris.append(ring_ids[s])
        tris += list(ring_tris)
        tris += mesh_tris
        self.triangles = np.array(tris, np.int64)  # drawing order: holes, rings, face mesh
        self._n_holes = len(holes)
        self._n_ring = len(tris) - len(holes) - len(mesh_tris)
        self._nbr = _neighbours(self.triangles)

        # Region of interest: the anchor ring's box, inside the image.
        x0 = int(np.clip(np.floor(anchor[:, 0].min()) - 1, 0, w - 1))
        y0 = int(np.clip(np.floor(anchor[:, 1].min()) - 1, 0, h - 1))
        x1 = int(np.clip(np.ceil(anchor[:, 0].max()) + 2, x0 + 1, w))
        y1 = int(np.clip(np.ceil(anchor[:, 1].max()) + 2, y0 + 1, h))
        self.roi = (x0, y0, x1, y1)
        size = max(float(np.ptp(anchor[:, 0])), float(np.ptp(anchor[:, 1])), 1.0)
        self.step = int(step) if step else int(np.clip(round(size / 130), 2, 6))
        self._soft_cells = max(0.06 * size / self.step, 1.5)  # the outside blend's width, grid cells
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
        from .folds import HOLE_FLOOR, SKIN_FLOOR, signed_areas, unfold

        n_oval = len(self._oval)
        self._down = np.asarray(down, np.float64)
        self._seam_setup()
        holes = {tuple(sorted(t)) for t in L.hole_triangles()}
        is_hole = np.array([tuple(sorted(t)) in holes for t in self.triangles.tolist()])
        a_photo = signed_areas(self.vertices, self.triangles)
        coherent = np.where(a_photo < 0, -1.0, 1.0)  # the rings: as drawn (they are built so)
        face = np.ones(len(self.triangles), bool)
        face[self._n_holes:self._n_holes + self._n_ring] = False
        coherent[face] = _coherent_orientation(self.triangles[face], a_photo[face])
        # The photo's own mesh folds where the face turns away (MediaPipe's cheek and jaw
        # triangles overlap at the silhouette, a dozen on a turned face; closed lips cross a
        # little): two layers of one place, which tear apart as soon as they move differently.
        # The warp's source mesh is that mesh unfolded (silhouette points nudged a pixel or
        # two), so it tiles the face; at rest the photo is still copied untouched.
        a_src = np.abs(a_photo)
        # skin at least a tenth of a typical triangle (thin slivers would pin every later motion)
        floor0 = np.where(is_hole, 0.02, 0.1 * float(np.median(a_src[~is_hole])))  # px^2
        flat = unfold(self.vertices, self.vertices, self.triangles, coherent, floor0,
                      np.arange(len(self.vertices)) < L.N_MESH, rounds=200)
        nudge = np.linalg.norm(flat - self.vertices, axis=1).max()
        if np.all(signed_areas(flat, self.triangles) * coherent > 0) and nudge < 0.05 * size:
            self.vertices, self.orientation = flat, coherent
        else:
            # A face turned far (half its far side folded behind the nose): no small nudge
            # unfolds it; each triangle keeps the photo's own sign (strips: the coherent one).
            self.orientation = np.where(is_hole | (a_src < 1.0), coherent, np.sign(a_photo))
            self.orientation[self.orientation == 0] = 1.0
            flat = self.vertices.copy()
            self._meet(flat)  # closed lips that cross a little in the photo: a hair apart
            if np.linalg.norm(flat - self.vertices, axis=1).max() < 0.02 * size:
                self.vertices = flat
        a0 = signed_areas(self.vertices, self.triangles)
        share = np.where(is_hole, HOLE_FLOOR, SKIN_FLOOR)
        oriented = self.orientation * a0
        # never ask more than the source has (a photo's own crossed lips stay as they are)
        # a strip closes to a sliver, not exactly a line (float32 rounding would flip a line)
        self.area_floor = np.minimum(np.maximum(share * np.abs(a0), np.where(is_hole, 0.02, 0.0)), oriented)
        self.is_hole = is_hole
        self._movable = np.zeros(len(self.vertices), bool)
        self._movable[:L.N_MESH] = True  # the rings are held (the head ring follows the oval)
        self._head = L.N_MESH + np.arange(n_oval)
        # Triangles of ring vertices only (no mesh vertex the projection could move to undo
        # their fold): a turned face's Delaunay rings have thin ones near its far temple
        ring_only = np.all(self.triangles >= L.N_MESH, axis=1)
        self._ring_only = (self.triangles[ring_only], self.orientation[ring_only],
                           np.minimum(self.area_floor[ring_only], 0.0))
        skin = self.triangles[~is_hole]
        e = np.sort(np.concatenate([skin[:, [0, 1]], skin[:, [1, 2]], skin[:, [2, 0]]]), 1)
        self._smooth_edges = np.unique(e, axis=0)  # no edge across the mouth or an eye

    def _meet(self, P: np.ndarray) -> bool:
        """Lips (and lids) that cross meet instead (in place on the moved vertices ``P``; True
        when something moved).

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
            return False
        P[self._seam_ids] += delta
        P[self._free_ids] += self._harmonic @ delta
        return True

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
        met = self._meet(dst)
        oval = self._oval
        head = self._head

        def follow(P):
            P[head] = src[head] + HEAD_RING_FOLLOW * (P[oval] - src[oval])
            self._hold_ring_folds(P)

        P = unfold(src, dst, self.triangles, self.orientation, self.area_floor, self._movable, follow=follow,
                   edges=self._smooth_edges)
        if P is dst and not met:
            return motion
        out = np.array(m, np.float64, copy=True)
        out[:L.N_MESH] = P[:L.N_MESH] - src[:L.N_MESH]
        return out

    def _hold_ring_folds(self, P: np.ndarray) -> None:
        """Head-ring vertices whose following the oval would turn over a triangle of ring
        vertices only stay where they are (in place on the moved vertices ``P``). Nothing the
        projection may move can undo such a fold, so it used to end in the last resort, the
        whole motion scaled back: on 45-m7-di-ph (turned 34 degrees) a surprise's raised
        forehead pushed the far temple's head ring over the anchor ring and no frame moved."""
        from .folds import signed_areas

        tris, o, fold = self._ring_only
        if not len(tris):
            return
        src = self.vertices
        for _ in range(3):  # a vertex held can leave a neighbour's triangle turned: a few rounds
            bad = o * signed_areas(P, tris) < fold
            if not bad.any():
                return
            ids = tris[bad].ravel()
            ids = ids[(ids >= self._head[0]) & (ids <= self._head[-1])]
            P[ids] = src[ids]

    def new_ids(self) -> np.ndarray:
        """A triangle-id grid (gh, gw) int32: the per-frame scratch of :meth:`coordinate_map` (a
        thread warping at the same time as another needs its own)."""
        return np.zeros(self.grid_shape, np.int32)

    def vertex_motion(self, motion: np.ndarray) -> np.ndarray:
        """Landmark motion (478, 2) -> motion of every mesh vertex (V, 2) (rings included)."""
        m = np.asarray(motion, np.float64)[:L.N_MESH]
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
        # Per-triangle affine map moved -> source: [x y 1] @ A (3, 2), A = inv(T) @ src with T the
        # moved triangle's rows [x y 1]; inv(T) (barycentric weights of a point) in closed form
        # (np.linalg's batched det/solve/inv of a thousand 3x3s cost ~0.5 ms a frame).
        src_t = self.vertices[self.triangles]  # (M, 3, 2)
        inv, flat_tri = _barycentric(tri_t)  # (M, 3, 3), (M,) area < 0.25 px^2: no affine map to speak of
        aff = np.einsum("mik,mkj->mij", inv, src_t)
        # A collapsed triangle (a closed lip seam) just carries its points along: a translation.
        aff[flat_tri, :2] = np.eye(2)
        aff[flat_tri, 2] = (src_t[flat_tri] - tri_t[flat_tri]).mean(1)
        aff = aff.astype(np.float32)  # (M, 3, 2)
        flat = ids.ravel()
        pos = self._grid_h[:, :2].copy()
        inside = np.flatnonzero(flat)
        g = self._grid_h[inside]
        tid, out, bc = self._owner(g, flat[inside] - 1, inv.astype(np.float32), flat_tri)
        p_in = np.einsum("ni,nij->nj", g, np.take(aff, tid, axis=0))  # (np.take: a faster gather)
        if len(out):
            p_in[out] = np.einsum("ni,nij->nj", bc, src_t[tid[out]].astype(np.float32))
        pos[inside] = p_in
        disp = (pos - self._grid_h[:, :2]).reshape(*self.grid_shape, 2)
        disp = self._soften(disp, tid, inside)
        up = cv2.resize(disp, self._up_size, interpolation=cv2.INTER_LINEAR)
        return up[:y1 - y0, :x1 - x0] + self._identity

    def _soften(self, disp: np.ndarray, tid: np.ndarray, inside: np.ndarray) -> np.ndarray:
        """Smooth the displacement (gh, gw, 2) outside the face (in place, returned).

        Between the face outline and the still anchor ring the piecewise-affine map has kinks
        along every ring triangle's edges: straight creases and stretched wedges of the face's
        edge where the moved face meets the held background (a seam, hardest on small faces
        scaled up). There the field is blended with a blurred copy of itself, from nothing at
        the face outline to all of it a short way out, so it eases into the still region."""
        import cv2

        face = np.zeros(self.grid_shape, np.uint8)
        f = face.reshape(-1)
        ring = (tid >= self._n_holes) & (tid < self._n_holes + self._n_ring)
        f[inside[~ring]] = 1
        if not f.any():
            return disp
        # signed distance to the outline in cells (> 0 outside); the blend starts a little inside,
        # so the kink on the outline itself (coarse-sampled, it draws a staircase) is rounded too
        sd = cv2.distanceTransform(1 - face, cv2.DIST_L2, 3) - cv2.distanceTransform(face, cv2.DIST_L2, 3)
        a = np.clip((sd + SOFT_INSIDE) / (self._soft_cells + SOFT_INSIDE), 0.0, 1.0)
        # ... and back to nothing at the anchor ring, where the still photo begins (the blur
        # must not carry motion past it: that would be a seam of its own)
        covered = np.zeros(self.grid_shape, np.uint8)
        covered.reshape(-1)[inside] = 1
        if not covered.all():
            to_still = cv2.distanceTransform(covered, cv2.DIST_L2, 3)
            a = np.minimum(a, np.clip((to_still - 1.0) / self._soft_cells, 0.0, 1.0))
        a = a[..., None]
        blurred = cv2.GaussianBlur(disp, (0, 0), self._soft_cells / 2, borderType=cv2.BORDER_REPLICATE)
        disp += a * (blurred - disp)
        return disp

    def _owner(self, g: np.ndarray, tid: np.ndarray, inv: np.ndarray, flat_tri: np.ndarray):
        """The triangle that really holds each grid point (``g`` (n, 3) homogeneous px): its ids
        (n,), and the points still outside (indices) with their clamped barycentric weights.
        ``inv`` (M, 3, 3) float32: each moved triangle's [x y 1] -> barycentric map
        (:func:`_barycentric`).

        The coarse raster gives a triangle its boundary cells too, up to a grid step outside
        it; a thin triangle's affine map extrapolated that far sends the point far off (jagged
        specks along the face's outline). A point outside its triangle walks to the neighbour
        across the edge it is beyond (twice at most); what is still outside is clamped onto its
        triangle (barycentric weights clipped), which bounds the error to the step."""
        b = np.einsum("ni,nij->nj", g, np.take(inv, tid, axis=0))
        rows = np.arange(len(tid))
        for _ in range(2):
            k = b.argmin(1)
            out = (b[rows, k] < -0.01) & ~flat_tri[tid]
            if not out.any():
                break
            sel = np.flatnonzero(out)
            nb = self._nbr[tid[sel], k[sel]]
            sel, nb = sel[nb >= 0], nb[nb >= 0]
            tid = tid.copy()
            tid[sel] = nb
            b[sel] = np.einsum("ni,nij->nj", g[sel], np.take(inv, nb, axis=0))
        out = np.flatnonzero((b.min(1) < -0.01) & ~flat_tri[tid])
        bc = np.clip(b[out], 0.0, None)
        bc /= np.maximum(bc.sum(1, keepdims=True), 1e-6)
        return tid, out, bc

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
