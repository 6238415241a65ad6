"""The portrait model's expression templates move what their action unit moves, on real faces
(issue #12 §2: an expression a viewer reads): a nose sneer (AU9) lifts the nose wing and the skin
beside it, not the mouth corners (AU12's, which read as a smile)."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.animate.portrait.model import CONTROL_NAMES, DisplacementModel
from facemimic.animate.portrait.source import choose_face, find_faces, load_image


def _model(path) -> DisplacementModel:
    """The model in the unit, from the photo's own 3D landmarks (as the animator builds it)."""
    image, name = load_image(str(path))
    face = choose_face(find_faces(image, name), None, name)
    return DisplacementModel.for_face(face.landmarks)


@pytest.mark.parametrize("photo", ["single_face.jpg", "15-f13-anc-ph.jpg"])
def test_a_nose_sneer_lifts_the_wing_not_the_mouth_corner(samples, photo):
    """Per unit NoseSneer (the unit: the wing rises by the channel's full extent), the mouth corner
    on the same side rises less than a fifth of the wing (it rose 0.37-0.7 of it: a disgusted apex
    smiled, and taking a frowning photo's sneer reading off turned its corners down), the lower lip
    does not move, and the upper lip beside the middle still rises with the wing (AU9 + AU10)."""
    m = _model(samples / photo)
    up_axis = -m.frame.rotation[:, 1]  # image direction of "up" on this face
    for side, corner, wing, upper in (("right", 61, 129, 37), ("left", 291, 358, 267)):
        k = CONTROL_NAMES.index(f"nose_sneer_{side}")
        lift = (m.basis[k] @ up_axis) / m.frame.sx  # (478,) IPD per unit
        assert lift[wing] > 0.05, (side, lift[wing])
        assert abs(lift[corner]) < 0.2 * lift[wing], (side, lift[corner], lift[wing])
        assert abs(lift[14]) < 0.1 * lift[wing] and abs(lift[17]) < 0.1 * lift[wing], (side, lift[14], lift[17])
        assert lift[upper] > 0.3 * lift[wing], (side, lift[upper], lift[wing])
