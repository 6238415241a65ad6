"""Closed lips drawn from a photo's own lips (facemimic.common.lip_band) on a real toothy smile."""

import numpy as np
import pytest

from facemimic.common.lip_band import LIP_OUTER_UPPER, REACH_OPEN, PhotoLips


@pytest.fixture(scope="module")
def hao(samples):
    """0-f15-hao-ph.jpg's landmarks (478, 2) px and its down vector (2,)."""
    from facemimic.capture.api import capture_frames

    found = [f for f in capture_frames(str(samples / "0-f15-hao-ph.jpg"), keep_landmarks=True, smoothing="raw")
             if f.present]
    import cv2

    h, w = cv2.imread(str(samples / "0-f15-hao-ph.jpg")).shape[:2]
    P = np.asarray(found[0].landmarks)[:, :2] * (w, h)
    down = P[152] - P[168]
    return P, down / np.linalg.norm(down)


def test_the_drawn_seam_s_ends_take_the_photo_s_inner_lips(hao):
    # the smile's lips apart: the drawn seam's ends read the photo's lips at c of their half width
    # (never the thin, shadowed ends), a drawn lip's outer edge the photo's outer edge, its seam the
    # photo's inner edge less the inset, and the drawn outer corners the photo's own corners
    P, down = hao
    lips = PhotoLips(P, down)
    assert 0.5 <= lips.c <= REACH_OPEN
    knots = (-60.0, -40.0, 40.0, 60.0)  # a drawing's outer corners and seam ends along its mouth
    u = np.array(knots)
    seam_end = lips.positions(u[1:3], knots, np.zeros(2), True, 0.0)
    along = (seam_end - 0.0) @ lips.right
    np.testing.assert_allclose(np.sort(along), [lips.centre - lips.c * lips.half, lips.centre + lips.c * lips.half],
                               atol=1e-3)
    iu, il, ou, ol = lips.chains
    # t = 0 on the upper lip's inner edge, t = 1 on its outer edge, at the same place along the mouth
    mid = lips.positions(np.array([0.0]), knots, np.array([0.0]), True, 0.0)[0]
    top = lips.positions(np.array([0.0]), knots, np.array([1.0]), True, 0.0)[0]
    assert abs(mid @ down - np.interp(mid @ lips.right, *iu)) < 1e-3
    assert abs(top @ down - np.interp(top @ lips.right, *ou)) < 1e-3
    # an inset moves the seam's sample up into the upper lip (away from the teeth), down into the lower
    inset = lips.positions(np.array([0.0]), knots, np.array([0.0]), True, 3.0)[0]
    assert (mid - inset) @ down == pytest.approx(3.0, abs=1e-3)
    lower = lips.positions(np.array([0.0]), knots, np.array([0.0]), False, 3.0)[0]
    assert (lower @ down) - np.interp(lower @ lips.right, *il) == pytest.approx(3.0, abs=1e-3)
    # the drawn outer corners take the photo's own corners (61, 291), along the mouth
    ends = lips.positions(np.array([knots[0], knots[3]]), knots, np.zeros(2), True, 0.0) @ lips.right
    corners = P[[LIP_OUTER_UPPER[0], LIP_OUTER_UPPER[-1]]] @ lips.right
    np.testing.assert_allclose(np.sort(ends), np.sort(corners), atol=1e-3)
