"""A wide-eyed photo's avatar rests with its eyes open as a face at rest (issue #15, ninth session):
0-f1-su-ph.jpg (surprised, eyeWide 0.78 as the capture reads it) rested 0.181 IPD open, the shape
model's mean face 0.146, and every expression kept the stare (its smile read fearful)."""

from __future__ import annotations

import numpy as np


def test_a_staring_photo_rests_with_its_eyes_as_open_as_a_typical_face(photo_avatar):
    from facemimic.head3d.learn import load_face_model
    from facemimic.head3d.rest import eye_aperture

    mean = load_face_model().mean
    avatar = photo_avatar("0-f1-su-ph.jpg")
    rest, fitted = avatar.head.skin.positions[:478], avatar.fit.neutral
    for side, (up, lo, iris) in {"Left": (386, 374, 473), "Right": (159, 145, 468)}.items():
        assert eye_aperture(fitted, side) > eye_aperture(mean, side) + 0.02  # the photo's stare, as fitted
        assert abs(eye_aperture(rest, side) - eye_aperture(mean, side)) < 0.005, (side, eye_aperture(rest, side))
        # the upper lid came down; the lower lid and the eyeball stayed where the photo put them
        assert abs(rest[lo, 1] - fitted[lo, 1]) < 1e-6 and np.allclose(rest[iris], fitted[iris])
        assert rest[up, 1] < fitted[up, 1] - 0.02


def test_a_photo_without_a_stare_keeps_its_eyes(photo_avatar):
    from facemimic.head3d.rest import EYES

    avatar = photo_avatar("15-f13-anc-ph.jpg")  # eyeWide 0: the lids as fitted (the lips aside)
    rest, fitted = avatar.head.skin.positions[:478], avatar.fit.neutral
    lids = [i for upper, corners, lower, _, _ in EYES.values() for i in upper + corners + lower]
    assert np.abs(rest[lids] - fitted[lids]).max() < 1e-3  # (the closed lips' blend reaches 7e-5)
