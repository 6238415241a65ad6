"""Delaunay triangulation of a small 2D point set (the warp's rings: ~100 points), in plain Python.

Why not ``scipy.spatial.Delaunay``: importing ``scipy.spatial`` costs ~0.3 s (it pulls in
``scipy.linalg`` and ``scipy.sparse``), a tenth of a whole ``facemimic animate`` run, for one call
on ~100 points; this takes ~5 ms. The result is the same triangulation (unique for points in
general position; the tests compare it with SciPy's on real portraits and random sets).

Method: a sweep builds some triangulation (points in x order, each joined to the hull edges it
sees), then Lawson's edge flips make every edge locally Delaunay, which makes the whole
triangulation Delaunay.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-12  # predicate tolerance, on coordinates normalised to about [-1, 1]


def delaunay(points: np.ndarray) -> np.ndarray:
    """The Delaunay triangles of a point set.

    Parameters
    ----------
    points : np.ndarray [shape=(n, 2)]
        At least 3 distinct points, not all on one line.

    Returns
    -------
    np.ndarray [shape=(m, 3), dtype=int64]
        Vertex indices of each triangle, counter-clockwise in (x right, y up) axes, triangles in
        lexicographic order of their sorted indices (a stable drawing order).

    Raises
    ------
    ValueError
        Fewer than 3 points, or all on one line.
    """
    p = np.asarray(points, np.float64)
    if p.ndim != 2 or p.shape[1] != 2 or len(p) < 3:
        raise ValueError(f"delaunay needs (n >= 3, 2) points, got shape {p.shape}")
    p = p - p.mean(0)
    p = p / max(float(np.abs(p).max()), 1e-300)
    xs, ys = p[:, 0].tolist(), p[:, 1].tolist()

    def orient(a: int, b: int, c: int) -> float:
        """> 0 when a, b, c turn counter-clockwise."""
        return (xs[b] - xs[a]) * (ys[c] - ys[a]) - (ys[b] - ys[a]) * (xs[c] - xs[a])

    def in_circle(a: int, b: int, c: int, d: int) -> float:
        """> 0 when d lies inside the circumcircle of the counter-clockwise triangle a, b, c."""
        ax, ay = xs[a] - xs[d], ys[a] - ys[d]
        bx, by = xs[b] - xs[d], ys[b] - ys[d]
        cx, cy = xs[c] - xs[d], ys[c] - ys[d]
        return ((ax * ax + ay * ay) * (bx * cy - cx * by) - (bx * bx + by * by) * (ax * cy - cx * ay)
                + (cx * cx + cy * cy) * (ax * by - bx * ay))

    order = sorted(range(len(p)), key=lambda i: (xs[i], ys[i]))
    # drop exact duplicates (they would make zero-area triangles)
    uniq = [order[0]] + [j for i, j in zip(order, order[1:]) if (xs[i], ys[i]) != (xs[j], ys[j])]
    # The first point off the line of the first two starts the sweep; the points before it are
    # collinear and sorted, so it sees every segment of that chain.
    k = next((k for k in range(2, len(uniq)) if abs(orient(uniq[0], uniq[1], uniq[k])) > _EPS), None)
    if k is None:
        raise ValueError("delaunay needs points that are not all on one line")
    chain, apex = uniq[:k], uniq[k]
    tris: list[tuple[int, int, int]] = []
    ccw = orient(chain[0], chain[1], apex) > 0
    for a, b in zip(chain, chain[1:]):
        tris.append((a, b, apex) if ccw else (b, a, apex))
    hull = chain + [apex] if ccw else chain[::-1] + [apex]  # counter-clockwise
    for q in uniq[k + 1:]:
        n = len(hull)
        seen = [orient(hull[i], hull[(i + 1) % n], q) < -_EPS for i in range(n)]
        if not any(seen):  # on the hull's boundary (collinear with an edge): attach to the nearest edge
            i = min(range(n), key=lambda i: abs(orient(hull[i], hull[(i + 1) % n], q)))
            seen[i] = True
        for i in range(n):
            if seen[i]:
                tris.append((hull[(i + 1) % n], hull[i], q))
        # The visible edges form one run (the hull is convex): its inner vertices leave the hull,
        # q joins it between the run's first and last vertex.
        start = next(i for i in range(n) if seen[i] and not seen[i - 1])
        end = start
        while seen[(end + 1) % n]:
            end += 1
        hull = [hull[(end + 1 + j) % n] for j in range(n - (end - start))] + [q]
    tris = _flip_to_delaunay(tris, in_circle)
    out = np.array([_canonical(t) for t in tris], np.int64)
    return out[np.lexsort(np.sort(out, 1).T[::-1])]


def _canonical(t: tuple[int, int, int]) -> tuple[int, int, int]:
    """The same counter-clockwise triangle starting at its smallest index."""
    i = t.index(min(t))
    return t[i:] + t[:i]


def _flip_to_delaunay(tris: list[tuple[int, int, int]], in_circle) -> list[tuple[int, int, int]]:
    """Lawson's flips: replace the diagonal of every quad whose triangles are not locally Delaunay
    until none is left (each flip strictly improves the triangulation, so this ends)."""
    alive: dict[int, tuple[int, int, int]] = dict(enumerate(tris))
    owner: dict[tuple[int, int], int] = {}  # directed edge -> the triangle it belongs to
    for t, (a, b, c) in alive.items():
        owner[a, b] = owner[b, c] = owner[c, a] = t
    stack = list(owner)
    nxt = len(tris)
    while stack:
        a, b = stack.pop()
        t1, t2 = owner.get((a, b)), owner.get((b, a))
        if t1 is None or t2 is None:
            continue  # a hull edge, or an edge flipped away since it was pushed
        c = _third(alive[t1], a, b)
        d = _third(alive[t2], b, a)
        if in_circle(a, b, c, d) <= _EPS:
            continue
        for u, v in ((a, b), (b, c), (c, a), (b, a), (a, d), (d, b)):
            owner.pop((u, v), None)
        del alive[t1], alive[t2]
        for tri in ((a, d, c), (d, b, c)):
            alive[nxt] = tri
            u, v, w = tri
            owner[u, v] = owner[v, w] = owner[w, u] = nxt
            nxt += 1
        stack += [(a, d), (d, b), (b, c), (c, a)]
    return list(alive.values())


def _third(tri: tuple[int, int, int], a: int, b: int) -> int:
    """The vertex of ``tri`` (which has the directed edge a -> b) opposite that edge."""
    for v in tri:
        if v != a and v != b:
            return v
    raise AssertionError("degenerate triangle")  # pragma: no cover - triangles have 3 vertices
