"""Fold-free warping: no triangle of the moved mesh may turn over.

A piecewise-affine warp tears the image where a moved triangle's signed area changes sign: the
triangle is drawn mirrored over its neighbours (jagged bright and dark lines along the brows and
lips when a strong brow lowering pushes the brow over the lid, or the lips cross when a smiling,
open-mouthed photo is relaxed to a closed neutral mouth).

:func:`unfold` projects the moved vertices back to a configuration where every triangle keeps its
source orientation with at least a floor of its source area (skin: :data:`SKIN_FLOOR`; the strips
closing the mouth and eyes may collapse to a line, the lips touching, but never cross). It is a
constraint projection (position-based dynamics): each offending triangle's vertices are pushed
along the gradient of its area, the pushes on a shared vertex are averaged, a few rounds. Where
displacements cross each other wholesale (a lower lip driven far above the upper one) the
projection stalls; then the displacement field is smoothed round the folds (the folded triangles'
vertices and one ring take their neighbours' mean motion, a round at a time) until none is left. If some fold were still left
(it has not happened on the test portraits), the whole motion is scaled back
along the straight path from the source to the exact largest fold-free fraction (area is
quadratic along that path): a guarantee, not a hope.

:func:`fold_report` is the measure the tests and benchmarks use.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

SKIN_FLOOR = 0.25  # a skin triangle keeps at least this share of its source area
HOLE_FLOOR = 0.0  # mouth and eye strips may collapse (lips together, lids closed), never invert
ROUNDS = 80  # projection rounds at most (usually none; 50 on the worst frames tried)
OVER_RELAX = 1.5  # successive over-relaxation of the averaged pushes


class FoldReport(NamedTuple):
    """How a moved mesh compares with its source."""

    n_folded: int  # triangles whose signed area has the opposite sign of their source's
    min_area_ratio: float  # smallest (oriented moved area / source area); < 0 means a fold


def signed_areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Signed areas (M,) of triangles (M, 3) over ``points`` (N, 2), positive counter-clockwise in
    (x right, y up) axes (clockwise on screen)."""
    p = np.asarray(points, np.float64)
    a, b, c = p[triangles[:, 0]], p[triangles[:, 1]], p[triangles[:, 2]]
    return 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))


def fold_report(src_pts: np.ndarray, dst_pts: np.ndarray, triangles: np.ndarray, *,
                orientation: np.ndarray | None = None) -> FoldReport:
    """Count the triangles a warp turned over.

    Parameters
    ----------
    src_pts, dst_pts : np.ndarray [shape=(N, 2)]
        Mesh vertices before and after the motion (pixels).
    triangles : np.ndarray [shape=(M, 3), dtype=int]
        Vertex indices.
    orientation : np.ndarray [shape=(M,)], optional
        +1/-1 per triangle: the sign its area must keep (default: the sign of its source area;
        a triangle that is a line in the source, such as the strip between closed lips, needs it
        given, see :attr:`MeshWarp.orientation`).

    Returns
    -------
    FoldReport
        ``n_folded`` (signed area of the opposite sign) and ``min_area_ratio`` (oriented moved
        area over the source's absolute area; triangles with no source area count 0 or 1).
    """
    tris = np.asarray(triangles, np.int64)
    a0 = signed_areas(src_pts, tris)
    a1 = signed_areas(dst_pts, tris)
    o = np.where(a0 < 0, -1.0, 1.0) if orientation is None else np.asarray(orientation, np.float64)
    moved = o * a1
    ratio = moved / np.maximum(np.abs(a0), 1e-9)
    ratio = np.where(np.abs(a0) > 1e-9, ratio, np.sign(moved))
    return FoldReport(int(np.count_nonzero(moved < 0)), float(ratio.min()) if len(ratio) else 1.0)


def _oriented(P: np.ndarray, ia, ib, ic, o: np.ndarray) -> np.ndarray:
    # coordinates gathered one axis at a time (contiguous): the projection calls this every round
    x, y = P[:, 0], P[:, 1]
    ax, ay = x.take(ia), y.take(ia)
    return o * 0.5 * ((x.take(ib) - ax) * (y.take(ic) - ay) - (y.take(ib) - ay) * (x.take(ic) - ax))


def unfold(src: np.ndarray, dst: np.ndarray, triangles: np.ndarray, orientation: np.ndarray,
           floor: np.ndarray, movable: np.ndarray, *, follow=None, edges: np.ndarray | None = None,
           rounds: int = ROUNDS) -> np.ndarray:
    """Move ``dst`` as little as needed so that no triangle folds or collapses below its floor.

    Parameters
    ----------
    src, dst : np.ndarray [shape=(N, 2)]
        Source and moved vertices (px).
    triangles : np.ndarray [shape=(M, 3), dtype=int]
    orientation : np.ndarray [shape=(M,)]
        +1/-1: the sign each triangle's area keeps.
    floor : np.ndarray [shape=(M,)]
        Smallest oriented area (px^2) each triangle may take (``<=`` its source's).
    movable : np.ndarray [shape=(N,), dtype=bool]
        Vertices the projection may move (the others are held, or set by ``follow``).
    follow : callable, optional
        ``follow(P)`` rewrites, in place, the vertices that depend on others (the warp's head
        ring follows the face oval) after each round.

    Returns
    -------
    np.ndarray [shape=(N, 2)]
        The projected vertices (``dst`` itself, untouched, when nothing folds).
    """
    tris = np.asarray(triangles, np.int64)
    ia, ib, ic = tris[:, 0], tris[:, 1], tris[:, 2]
    o = np.asarray(orientation, np.float64)
    area = _oriented(dst, ia, ib, ic, o)
    if np.all(area >= floor):
        return dst
    w = np.asarray(movable, np.float64)
    n = len(dst)
    fold = np.minimum(floor, 0.0)
    P = _project(src, np.array(dst, np.float64), ia, ib, ic, o, floor, w, fold, follow, rounds)
    area = _oriented(P, ia, ib, ic, o)
    if np.all(area >= fold):
        return P
    # Still folded (displacements that cross each other, e.g. a lower lip driven far above the
    # upper one): smooth the displacement field round the folds, growing the region, until none.
    d = P - src
    if edges is None:
        edges = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    e = np.asarray(edges, np.int64)
    nbr_a = np.concatenate([e[:, 0], e[:, 1]])
    nbr_b = np.concatenate([e[:, 1], e[:, 0]])
    deg = np.bincount(nbr_a, minlength=n).astype(np.float64) + 1.0
    region = np.zeros(n, bool)
    for _ in range(rounds):
        bad = area < fold
        if not bad.any():
            return src + d
        # Only round the folds left this round: their vertices and one ring. (A region grown a
        # ring each round and kept spread to the whole mesh on a turned face, whose far side
        # folds anew as its squeezed neighbours are averaged: 45-m7-di-ph's happy apex, 4 folds
        # under the far nostril, smoothed the smile away, the near corner's 16 px rise to 5 px.)
        region[:] = False
        region[tris[bad].ravel()] = True
        region[nbr_b[region[nbr_a]]] = True
        avg_x = (np.bincount(nbr_a, d[nbr_b, 0], minlength=n) + d[:, 0]) / deg
        avg_y = (np.bincount(nbr_a, d[nbr_b, 1], minlength=n) + d[:, 1]) / deg
        sel = region & (w > 0)
        d[sel, 0] = avg_x[sel]
        d[sel, 1] = avg_y[sel]
        Q = src + d
        if follow is not None:
            follow(Q)
            d = Q - src
        area = _oriented(Q, ia, ib, ic, o)
    P = src + d
    if np.all(area >= fold):
        return P
    P = _project(src, P, ia, ib, ic, o, floor, w, fold, follow, rounds)
    area = _oriented(P, ia, ib, ic, o)
    if np.all(area >= fold):
        return P
    # The guarantee: scale the motion back along src -> P to the largest fraction t with no fold.
    # oriented area(t) = A0 + B t + C t^2 for vertices src + t (P - src).
    return src + _safe_fraction(src, P, ia, ib, ic, o) * (P - src)


def _safe_fraction(src, P, ia, ib, ic, o) -> float:
    """Largest t in [0, 1] with every triangle's oriented area >= min(1e-3, its source area) on
    src + t (P - src) (exact: a quadratic per triangle), kept 1 % inside."""
    s, d = np.asarray(src, np.float64), np.asarray(P, np.float64) - src
    sa, sb, sc = s[ia], s[ib], s[ic]
    da, db, dc = d[ia], d[ib], d[ic]

    def cross(u, v):
        return u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]

    e1, e2 = sb - sa, sc - sa
    f1, f2 = db - da, dc - da
    A0 = 0.5 * o * cross(e1, e2)
    B = 0.5 * o * (cross(e1, f2) + cross(f1, e2))
    C = 0.5 * o * cross(f1, f2)
    bound = np.minimum(A0, 1e-3)  # a hair above zero: rounding must not turn a line over
    ts = np.linspace(0.0, 1.0, 201)  # coarse scan, then the exact root in the first bad interval
    vals = A0[:, None] + B[:, None] * ts + C[:, None] * ts ** 2 - bound[:, None]
    bad_cols = np.flatnonzero((vals < 0).any(0))
    if len(bad_cols) == 0:
        return 1.0
    j = int(bad_cols[0])
    lo, hi = ts[max(j - 1, 0)], ts[j]
    for _ in range(40):  # bisection on the union of the triangles' conditions
        mid = 0.5 * (lo + hi)
        ok = np.all(A0 + B * mid + C * mid * mid - bound >= 0)
        lo, hi = (mid, hi) if ok else (lo, mid)
    return 0.99 * lo


def _project(src, P, ia, ib, ic, o, floor, w, fold, follow, rounds):
    """Position-based projection (in place on ``P``): push offending triangles' vertices along
    their area gradients until every oriented area is at least ``floor`` (or ``rounds`` end)."""
    n = len(P)
    goal = floor + 0.05 * np.abs(floor) + 1e-3  # aim a little above the floor: fewer rounds
    area = _oriented(P, ia, ib, ic, o)
    half = 0.5 * o
    x, y = P[:, 0], P[:, 1]  # views: written through
    # (one axis at a time, no stacking: ~15 rounds a frame, each a few dozen small array operations)
    for _ in range(rounds):
        bad = np.flatnonzero(area < floor)
        if len(bad) == 0:
            break
        A, B, C = ia.take(bad), ib.take(bad), ic.take(bad)
        ax, ay, bx, by, cx, cy = x.take(A), y.take(A), x.take(B), y.take(B), x.take(C), y.take(C)
        ob = half.take(bad)
        gax, gay = ob * (by - cy), ob * (cx - bx)
        gbx, gby = ob * (cy - ay), ob * (ax - cx)
        gcx, gcy = ob * (ay - by), ob * (bx - ax)
        wa, wb, wc = w.take(A), w.take(B), w.take(C)
        denom = wa * (gax * gax + gay * gay) + wb * (gbx * gbx + gby * gby) + wc * (gcx * gcx + gcy * gcy)
        lam = (goal.take(bad) - area.take(bad)) / np.maximum(denom, 1e-9)
        la, lb, lc = lam * wa, lam * wb, lam * wc
        idx = np.concatenate([A, B, C])
        cnt = np.bincount(idx, minlength=n)
        # Jacobi averaging: a vertex shared by several offending triangles takes their mean push
        # (over-relaxed: the pushes of neighbours partly cancel).
        k = OVER_RELAX / np.maximum(cnt, 1)
        x += np.bincount(idx, np.concatenate([la * gax, lb * gbx, lc * gcx]), minlength=n) * k
        y += np.bincount(idx, np.concatenate([la * gay, lb * gby, lc * gcy]), minlength=n) * k
        if follow is not None:
            follow(P)
        area = _oriented(P, ia, ib, ic, o)
    return P
