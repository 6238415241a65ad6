"""A UE target that stands for one side of a two-sided ARKit shape moves its own side by the unit
(issue #11: a weight is the fraction of the channel's full extent; docs/units.md) and leaves the
other side: BrowInnerUpLeft at 0.6 raises the left inner brow 0.6 of BrowInnerUp's full extent, not
0.3 of it on both brows (``ue_to_arkit``'s half of browInnerUp, the VRM's target before)."""

from __future__ import annotations

import numpy as np
import pytest

SIDED = ("BrowInnerUpLeft", "BrowInnerUpRight", "CheekPuffLeft", "CheekPuffRight")


def _fractions(face, delta, weight, channel):
    """(own side, other side) fraction of ``channel``'s full extent at ``weight`` of a landmark
    displacement (478, 3), measured by facemimic.expressions.geometry against ``face``."""
    from facemimic.expressions import geometry as geo
    from facemimic.head3d.unit import _SIZE, _as_landmarks

    rest = geo.rest_face(_as_landmarks(face), _SIZE)
    m = geo.measure(_as_landmarks(np.stack([face, face + weight * delta])), _SIZE, rest=rest)
    c = geo.CHANNELS[channel]
    v = np.asarray(getattr(m, c.measure))
    moved = (v[1] - v[0]) / c.full_extent
    return float(moved[c.side]), float(moved[1 - c.side])


@pytest.mark.parametrize("name", SIDED)
def test_a_one_sided_ue_target_moves_its_side_by_the_unit(vrm_targets, name):
    face, targets = vrm_targets
    delta = targets[name][0][:478]  # the skin's first 478 vertices are the landmarks
    own, other = _fractions(face, delta, 0.6, name)
    assert 0.8 * 0.6 <= own <= 1.2 * 0.6, f"{name} at 0.6 moved its side {own:.2f} of the full extent"
    assert abs(other) <= 0.06, f"{name} at 0.6 moved the other side {other:.2f} of the full extent"


def test_both_sides_together_are_the_arkit_shape(vrm_targets):
    """Equal weights on both sides still draw the ARKit shape they share (what ue_to_arkit maps
    them to), so ARKit- and UE-driven faces agree for a symmetric request."""
    _, targets = vrm_targets
    for pair, arkit in ((("BrowInnerUpLeft", "BrowInnerUpRight"), "browInnerUp"),
                        (("CheekPuffLeft", "CheekPuffRight"), "cheekPuff"),
                        (("LipSuckUpperLeft", "LipSuckUpperRight"), "mouthRollUpper")):
        both = targets[pair[0]][0] + targets[pair[1]][0]  # the skin (the eyes turn non-linearly)
        assert np.allclose(both, targets[arkit][0], atol=1e-9), pair
