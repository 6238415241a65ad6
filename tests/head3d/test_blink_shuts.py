"""A blink at 1 shuts the 3D head's eye (issue #11: EyeClosed 1.0 is a shut eye on every face), now
that the unit's EyeClosed is the upper lid's descent over the iris (0.066 IPD): sized by that extent,
single_face.jpg's avatar kept its lids 0.024 IPD apart at eyeBlink 1 and re-tracked less shut."""

from __future__ import annotations

import numpy as np
import pytest


# single_face.jpg: open eyes of an ordinary aperture (0.12-0.13 IPD). 0-f1-su-ph.jpg's surprised eyes
# (0.174) keep 0.044 IPD open at eyeBlink 1, before and after the switch (BLINK_APERTURE, MAX_SCALE).
@pytest.mark.parametrize("photo", ["single_face.jpg"])
def test_a_full_blink_brings_the_lids_together_and_leaves_the_other_eye(photo, photo_avatar):
    from facemimic.expressions import geometry as geo
    from facemimic.expressions.names import ARKIT_NAMES
    from facemimic.head3d.unit import _SIZE, _as_landmarks

    avatar = photo_avatar(photo)
    face, basis = avatar.head.skin.positions[:478], avatar.expressions
    rest = geo.rest_face(_as_landmarks(face), _SIZE)
    for name, own in (("eyeBlinkLeft", 0), ("eyeBlinkRight", 1)):
        posed = _as_landmarks(np.stack([face, face + basis[ARKIT_NAMES.index(name)]]))
        m = geo.measure(posed, _SIZE, rest=rest)
        aperture = np.asarray(m.eye_aperture)
        assert aperture[0, own] > 0.08  # an open eye at rest
        assert aperture[1, own] < 0.005, (name, aperture[1])  # shut: the lids meet (or just cross)
        assert abs(aperture[1, 1 - own] - aperture[0, 1 - own]) < 0.005  # the other eye stays open
        # in the unit: the upper lid has come down over the iris at least its full extent
        assert geo.geometric_weights(m)["EyeClosed" + ("Left", "Right")[own]][1] >= 0.99
