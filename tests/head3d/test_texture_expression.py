"""The avatar's texture is the person without the photo's expression, and an open mouth reads as
an opening (issue #15: the renders followed the photo's expression more than the asked one)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def smiling(samples):
    """single_face.jpg (a broad smile: deep nasolabial folds) baked with and without flattening."""
    from head3d_photos import tracked_photo
    from PIL import Image

    from facemimic.head3d.fit import fit_face, photo_arkit
    from facemimic.head3d.head import frontal_layout
    from facemimic.head3d.rest import lips_closed
    import facemimic.head3d.texture as texture

    size, frame = tracked_photo(samples / "single_face.jpg")
    fit = fit_face(frame.landmarks, size, photo_arkit(frame, size))
    layout = frontal_layout(lips_closed(fit.neutral))
    photo = np.asarray(Image.open(samples / "single_face.jpg").convert("RGB"))
    flat, _ = texture.bake_texture(photo, fit, layout, size=512)
    keep = texture.flatten_creases
    try:
        texture.flatten_creases = lambda colour, layout, hit: colour  # the photo's shading as it was
        raw, _ = texture.bake_texture(photo, fit, layout, size=512)
    finally:
        texture.flatten_creases = keep
    return flat, raw, layout


def _inside(layout, points, size):
    import cv2

    mask = np.zeros((size, size), np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull((layout[list(points)] * size).astype(np.float32)).astype(np.int32), 1)
    return mask.astype(bool)


def _fold_contrast(texture, mask):
    """Spread of the middle band of brightness (folds, not grain, not light) inside ``mask``."""
    import cv2

    lum = texture.mean(axis=2).astype(np.float32)
    size = lum.shape[0]
    band = cv2.GaussianBlur(lum, (0, 0), size / 300) - cv2.GaussianBlur(lum, (0, 0), size / 40)
    return float(band[mask].std())


def test_smile_folds_are_taken_out_of_the_texture(smiling):
    from facemimic.head3d.texture import _CREASE_ZONES

    flat, raw, layout = smiling
    size = flat.shape[0]
    for zone in _CREASE_ZONES[:2]:  # the two nasolabial folds
        mask = _inside(layout, zone, size)
        before, after = _fold_contrast(raw, mask), _fold_contrast(flat, mask)
        assert before > 0.015, before  # the photo's smile left visible folds there
        assert after < 0.5 * before, (before, after)
    # the skin's own tone stays: the zone's mean colour moves by less than 2 % of the range
    both = _inside(layout, _CREASE_ZONES[0], size) | _inside(layout, _CREASE_ZONES[1], size)
    assert np.abs(flat[both].mean(axis=0) - raw[both].mean(axis=0)).max() < 0.02


def test_the_persons_features_are_kept(smiling):
    flat, raw, layout = smiling
    size = flat.shape[0]
    eyes = _inside(layout, (33, 133, 159, 145, 263, 362, 386, 374), size)  # both eyes, far from every zone
    brows = _inside(layout, (46, 52, 53, 63, 65, 66, 70, 105), size)
    lips = _inside(layout, (61, 291, 0, 17, 37, 267, 84, 314), size)
    for name, mask in (("eyes", eyes), ("brow", brows), ("lips", lips)):
        assert np.abs(flat[mask] - raw[mask]).mean() < 0.01, name


def test_open_mouth_shows_a_dark_mouth_not_skin(photo_avatar):
    """With the jaw open the lips frame a dark cavity (before: the neck's skin showed through it as
    a pink patch as bright as the lips, and the tongue stood in front of the lower teeth)."""
    import cv2

    from facemimic.generate.api import express
    from facemimic.head3d.topology import boundary_loops

    avatar = photo_avatar("0-f1-su-ph.jpg")
    frame = express("surprised", variations=1, seed=1)[0]
    assert frame.weight("JawOpen") > 0.3
    size = 512
    image = avatar.render(frame, size=size).astype(np.float64) / 255
    skin, _ = avatar.posed(frame)
    scale = size / 4.0  # Avatar.render's view: centre (0, -0.55), 4 IPD across
    loop = skin[boundary_loops()["mouth"]]
    poly = np.stack([size / 2 + loop[:, 0] * scale, size / 2 - (loop[:, 1] + 0.55) * scale], -1)
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [poly.round().astype(np.int32)], 1)
    mask = cv2.erode(mask, np.ones((5, 5), np.uint8)).astype(bool)
    assert mask.sum() > 200, mask.sum()  # the mouth is open in the render
    lum = image.mean(axis=2)
    cheek = skin[[50, 280]]
    cheek_px = np.stack([size / 2 + cheek[:, 0] * scale, size / 2 - (cheek[:, 1] + 0.55) * scale], -1).astype(int)
    cheek_lum = float(np.median([lum[y - 3:y + 4, x - 3:x + 4].mean() for x, y in cheek_px]))
    inside = lum[mask]
    assert np.quantile(inside, 0.5) < 0.4 * cheek_lum, (np.quantile(inside, 0.5), cheek_lum)
