"""A smiling photo's squashed mouth corners leave no dark wedges or hooks in the avatar's texture."""

from __future__ import annotations

import numpy as np


def _beyond_corners(avatar) -> list[tuple[float, float]]:
    """For each mouth corner (61, 291): (the darkest 5% of the skin texels within 0.12 IPD of the
    corner, their spread as a standard deviation), both over the median of the cheek ring 0.15-0.3
    IPD from the corner; the red lips are left out. Luminance of the avatar's texture."""
    import cv2

    from facemimic.head3d.texture import RED_LIPS

    tex = avatar.texture
    size = tex.shape[0]
    uv = avatar.head.skin.uv[:478] * size
    ipd = np.linalg.norm(uv[473] - uv[468])
    lum = tex.mean(axis=2)
    lips = np.zeros((size, size), np.uint8)
    cv2.fillPoly(lips, [np.round(uv[list(RED_LIPS[0])]).astype(np.int32)], 1)
    lips = cv2.dilate(lips, np.ones((5, 5), np.uint8))
    yy, xx = np.mgrid[:size, :size]
    readings = []
    for corner in (61, 291):
        d = np.hypot(xx - uv[corner][0], yy - uv[corner][1]) / ipd
        beyond = (d < 0.12) & (lips == 0)
        cheek = float(np.median(lum[(d > 0.15) & (d < 0.3) & (lips == 0)]))
        readings.append((float(np.percentile(lum[beyond], 5)) / cheek, float(lum[beyond].std()) / cheek))
    return readings


def test_squashed_corners_are_refilled_with_the_cheeks_tone(samples, monkeypatch):
    import facemimic.head3d.texture as texture
    from facemimic.head3d.api import make_avatar

    photo = samples / "single_face.jpg"  # a closed smile: the cheeks bunch over the corners
    new = _beyond_corners(make_avatar(photo))
    monkeypatch.setattr(texture, "SQUASH_BELOW", 0.0)
    old = _beyond_corners(make_avatar(photo))
    # What this fixes: a few photo pixels of commissure shade stretched into dark streaks (0.60-0.65 of
    # the cheek, spread 0.17-0.21; a neutral mouth's corners (0-f1-su-ph): 0.89-0.90, spread 0.04-0.05).
    for (old_dark, old_spread), (dark, spread) in zip(old, new):
        assert old_dark < 0.7 and old_spread > 0.15, old
        assert dark > old_dark + 0.1 and dark > 0.72, (new, old)  # (0.83 / 0.74)
        assert spread < 0.75 * old_spread, (new, old)  # (0.11 / 0.14)


def test_a_neutral_mouths_corners_are_left_as_photographed(samples, monkeypatch):
    import facemimic.head3d.texture as texture
    from facemimic.head3d.api import make_avatar

    photo = samples / "0-f1-su-ph.jpg"  # a neutral mouth: its corner skin seen as laid out (ratio >= 0.82)
    layout_seen = []
    real = texture.squash_ratios

    def spy(layout, photo_xy):
        tris, ratio = real(layout, photo_xy)
        layout_seen.append(ratio)
        return tris, ratio

    monkeypatch.setattr(texture, "squash_ratios", spy)
    new = make_avatar(photo).texture
    assert layout_seen and np.median(layout_seen[0]) > 0.8  # the ratios are read on the real fit
    monkeypatch.setattr(texture, "SQUASH_BELOW", 0.0)
    old = make_avatar(photo).texture
    assert np.array_equal(new, old)
