"""The eye shapes move the lids of their own eye (issue #15, ninth session): the squint raises the lower
lid and leaves the upper lid and the eyeball, a wide eye does not turn up, and one eye's shapes leave
the other side of the face. Measured on real photos' avatars in the face frame (IPD, y up)."""

from __future__ import annotations

import numpy as np
from head3d_photos import arkit_shape

EYES = {"Left": dict(upper=386, lower=374, iris=473, corners=(362, 263)),
        "Right": dict(upper=159, lower=145, iris=468, corners=(133, 33))}
MIDLINE = (10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1)


def test_squint_raises_the_lower_lid_and_leaves_the_upper_lid_and_eyeball(basis):
    """Real smiles (CK+ apexes vs their neutral frames) raise the lower lid 0.02-0.03 IPD and leave the
    upper lid (-0.009..-0.004) and the iris; the learned squint lifted the whole eye (corners +0.027,
    upper lid +0.022, iris +0.044: the eyeball turned up)."""
    for side, eye in EYES.items():
        d = arkit_shape(basis, "eyeSquint" + side)[:, 1]
        corners = d[list(eye["corners"])]
        assert np.abs(corners).max() < 0.005, (side, corners)
        assert d[eye["lower"]] - corners.mean() > 0.045, (side, d[eye["lower"]])
        assert abs(d[eye["upper"]]) < 0.005, (side, d[eye["upper"]])
        assert abs(d[eye["iris"]] - corners.mean()) < 0.002, (side, d[eye["iris"]])


def test_a_wide_eye_does_not_turn(basis):
    """The eyeball turns with the irises against the eye corners; the learned eyeWide raised the iris
    0.03 IPD more than the corners (a wide eye looking up)."""
    for side, eye in EYES.items():
        for shape in ("eyeWide", "eyeBlink"):
            d = arkit_shape(basis, shape + side)[:, 1]
            assert abs(d[eye["iris"]] - d[list(eye["corners"])].mean()) < 0.002, (shape + side, d[eye["iris"]])
        assert arkit_shape(basis, "eyeWide" + side)[eye["upper"], 1] > 0.04  # it still opens the eye


def test_one_eyes_shapes_leave_the_other_side_of_the_face(basis):
    """The learned blink moved the face's far side up to 0.19 IPD (a head turn in the data)."""
    face = basis[0]
    x = face[:, 0] - face[list(MIDLINE), 0].mean()
    for side, own in (("Left", 1.0), ("Right", -1.0)):
        far = own * x < -0.25  # the other half of the face, beyond the nose
        for shape in ("eyeBlink", "eyeWide", "eyeSquint"):
            move = np.linalg.norm(arkit_shape(basis, shape + side), axis=1)
            assert move[far].max() < 0.005 < move.max(), (shape + side, move[far].max())

