"""The warp's own Delaunay triangulation: the same triangles as SciPy's (Qhull) on the rings of
real portraits and on random point sets; degenerate sets still tile their hull exactly once."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import Delaunay

from facemimic.animate.portrait import landmarks as L
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.animate.portrait.delaunay import delaunay


def _set(tris) -> set:
    return {tuple(sorted(int(v) for v in t)) for t in tris}


def _signed_areas(p, tris) -> np.ndarray:
    a, b, c = p[tris[:, 0]], p[tris[:, 1]], p[tris[:, 2]]
    return 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))


@pytest.mark.parametrize("name", ["single_face.jpg", "0-f1-su-ph.jpg", "45-m7-di-ph.jpg", "Image_with_alpha.png"])
def test_the_warp_rings_triangulate_as_scipy_does(samples, name):
    anim = PortraitAnimator(samples / name, PortraitOptions(calibrate=False))
    ring_ids = np.concatenate([np.array(L.FACE_OVAL), L.N_MESH + np.arange(2 * len(L.FACE_OVAL))])
    pts = anim.warp.vertices[ring_ids]
    ours = delaunay(pts)
    assert _set(ours) == _set(Delaunay(pts).simplices)
    assert np.all(_signed_areas(pts, ours) > 0)  # counter-clockwise, none flat


def test_random_sets_match_scipy():
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(3, 160))
        p = rng.normal(size=(n, 2)) * rng.uniform(0.01, 1000) + rng.uniform(-500, 500, 2)
        assert _set(delaunay(p)) == _set(Delaunay(p).simplices)


def test_a_grid_with_collinear_and_cocircular_points_tiles_its_hull_once():
    g = np.stack(np.meshgrid(np.arange(7.0), np.arange(5.0)), -1).reshape(-1, 2)
    tris = delaunay(g)
    areas = _signed_areas(g, tris)
    assert len(tris) == 2 * 6 * 4 and np.all(areas > 0) and np.isclose(areas.sum(), 6 * 4)
    # every inner edge is shared by exactly two triangles, every hull edge by one
    edges = {}
    for t in tris:
        for a, b in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0])):
            edges[tuple(sorted((a, b)))] = edges.get(tuple(sorted((a, b))), 0) + 1
    assert sum(c == 1 for c in edges.values()) == 2 * (6 + 4)
    assert set(edges.values()) <= {1, 2}


def test_duplicates_are_ignored_and_bad_input_is_refused():
    p = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert _set(delaunay(p)) in ({(0, 1, 2)}, {(0, 2, 3)})
    with pytest.raises(ValueError, match="one line"):
        delaunay(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]))
    with pytest.raises(ValueError, match="n >= 3"):
        delaunay(np.zeros((2, 2)))
