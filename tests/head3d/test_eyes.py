"""The avatar's eyes as photos show them (issue #15 §2): nothing is seen through the eye openings but
the eye (its corners filled by the socket, not the background), the white greyer than white and
shaded under the lid, and an upper lash line along each lid — on real photos' avatars."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module", params=["0-f1-su-ph.jpg", "single_face.jpg"])
def avatar(request, photo_avatar):
    return photo_avatar(request.param)


def _eye_polygon_pixels(avatar, label, size=512, centre=(0.0, -0.55), span=4.0):
    """(rows, cols) of the pixels inside an eye opening's outline in a front render."""
    import cv2

    from facemimic.head3d.topology import boundary_loops

    loop = avatar.head.skin.positions[boundary_loops()[label]]
    scale = size / span
    pts = np.stack([size / 2 + (loop[:, 0] - centre[0]) * scale, size / 2 - (loop[:, 1] - centre[1]) * scale], -1)
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return np.nonzero(mask)


def test_nothing_behind_the_eye_shows_through_its_corners(avatar):
    from facemimic.head3d.raster import Surface, render

    head = avatar.head
    im = render([Surface(head.skin.positions, head.skin.triangles, uv=head.skin.uv, texture=avatar.texture),
                 Surface(head.parts.positions, head.parts.triangles, colours=head.parts.colours)],
                size=(512, 512), centre=(0.0, -0.55), span=4.0, background=(0.0, 1.0, 0.0))
    for label in ("eye_left", "eye_right"):
        ys, xs = _eye_polygon_pixels(avatar, label)
        inside = im[ys, xs].astype(int)
        background = (inside[:, 1] > 200) & (inside[:, 0] < 40) & (inside[:, 2] < 40)
        assert len(ys) > 300 and background.sum() == 0, (label, len(ys), int(background.sum()))
        # the white of the eye is not paper white, and it is darker under the upper lid
        assert inside.mean(axis=1).max() < 235, label


def test_eyeball_white_is_shaded_under_the_lid():
    from facemimic.head3d.head import _eye_colours

    d = np.array([[0.6, 0.45, 0.66], [0.6, 0.0, 0.8], [0.0, 0.0, 1.0], [0.0, 0.3, 0.954]])
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    c = _eye_colours(d, (0.3, 0.2, 0.1))[:, :3].mean(axis=1)
    assert c[0] < 0.85 * c[1]  # sclera under the lid darker than at the eye's middle height
    assert c[2] < 0.05  # the pupil
    assert c[1] < 0.8  # greyer than white


def test_upper_lids_carry_a_lash_line(avatar):
    from facemimic.head3d.texture import UPPER_LIDS

    tex = avatar.texture
    size = tex.shape[0]
    uv = avatar.head.skin.uv
    for lid in UPPER_LIDS:
        mid = uv[lid[len(lid) // 2]]  # the lid's middle, on its margin
        at = tex[int(mid[1] * size), int(mid[0] * size)].mean()
        above = tex[int((mid[1] - 0.02) * size), int(mid[0] * size)].mean()  # 0.06 IPD up the lid
        assert at < 0.6 * above, (at, above)
