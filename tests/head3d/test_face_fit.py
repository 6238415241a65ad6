"""Slice 1 of avatar3d: MediaPipe's topology and the regularised fit of real photos."""

from __future__ import annotations

import itertools

import numpy as np

from facemimic.head3d.fit import shape_distance
from facemimic.head3d.topology import N_SURFACE, boundary_loops, triangles


def test_topology_comes_from_the_installed_wheel():
    tri = triangles()
    assert tri.shape == (852, 3) and tri.min() == 0 and tri.max() == N_SURFACE - 1
    assert len(np.unique(tri)) == N_SURFACE  # every surface landmark is used
    loops = boundary_loops()
    assert {k: len(v) for k, v in loops.items()} == {"oval": 36, "mouth": 20, "eye_left": 16, "eye_right": 16}
    assert 152 in loops["oval"] and 10 in loops["oval"] and 13 in loops["mouth"] and 263 in loops["eye_left"]


def test_projected_mesh_lands_on_the_landmarks(fitted_people):
    for name, fit in fitted_people.items():
        err = fit.errors()
        assert err.mean() <= 0.015, (name, err.mean())  # the target: mean <= 1.5 % of the IPD
        assert np.isfinite(fit.shape).all()


def test_depth_is_a_plausible_face(fitted_people):
    for name, fit in fitted_people.items():
        s = fit.neutral
        eyes = s[[33, 133, 362, 263]].mean(axis=0)
        # the nose tip stands out of the face; the cheek outline lies far behind it; ears are wider
        assert 0.35 < s[1, 2] - eyes[2] < 1.2, (name, s[1, 2] - eyes[2])
        assert s[234, 2] < eyes[2] - 0.5 and s[454, 2] < eyes[2] - 0.5, name
        assert abs(s[234, 0] + s[454, 0]) < 0.3 and s[454, 0] > 1.0, name  # symmetric, left is +x
        assert np.abs(fit.coefficients).max() < 3.0, (name, fit.coefficients)  # near the people seen


def test_two_frames_of_one_person_agree_better_than_different_people(fitted_people):
    same = shape_distance(fitted_people["video#30"].neutral, fitted_people["video#400"].neutral)
    photos = [k for k in fitted_people if not k.startswith("video")] + ["video#30"]
    different = [shape_distance(fitted_people[a].neutral, fitted_people[b].neutral)
                 for a, b in itertools.combinations(photos, 2)]
    assert same < np.median(different), (same, sorted(different))
    # the expression is removed: the same person smiling vs sad differs less than as photographed
    raw = shape_distance(fitted_people["video#30"].shape, fitted_people["video#400"].shape)
    assert same < raw
