"""The neck stays behind the chin when the jaw drops (docs/journal/avatar3d.md, fourteenth session): at
JawOpen 1 the chin comes down 0.6 IPD and back 0.5 (the learned jaw), and the neck tube, whose front
stood 0.13 IPD behind the resting chin, covered the dropped chin in the frontal render — the jaw's
bottom looked cut flat and the capture stage put the chin 0.15 IPD short of the mesh's."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("photo", ["single_face.jpg", "0-f1-su-ph.jpg", "0-f15-hao-ph.jpg"])
def test_the_dropped_chin_stays_in_front_of_the_neck(photo, photo_avatar):
    from facemimic.expressions.frame import ExpressionFrame

    avatar = photo_avatar(photo)
    skin, _ = avatar.posed(ExpressionFrame.from_shapes({"JawOpen": 1.0}))
    rest = avatar.head.skin.positions
    neck = np.flatnonzero(avatar.head.skin.region == "neck")
    ahead = rest[neck, 2] > np.median(rest[neck, 2])
    line = neck[ahead & (np.abs(rest[neck, 0]) < 1e-6)]  # the tube's front line: each ring's point at x = 0
    front = skin[line][np.argsort(skin[line, 1])]  # posed
    for i in (152, 148, 377):  # the chin's middle and its sides
        neck_z = np.interp(skin[i, 1], front[:, 1], front[:, 2])
        assert skin[i, 2] > neck_z + 0.02, f"chin landmark {i} at z {skin[i, 2]:.3f}, the neck's front {neck_z:.3f}"
