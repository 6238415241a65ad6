"""What a real face at rest reads: the neutral spread a neutral rest leaves on a photo."""

from __future__ import annotations

import numpy as np

from facemimic.expressions.names import N_UE, ue_index
from facemimic.emotions.neutral import COMPANION_FULL, DISTINCTIVE, NEUTRAL_SPREAD, beyond_neutral, resting_lids


def _w(**values) -> np.ndarray:
    w = np.zeros(N_UE, np.float32)
    for name, v in values.items():
        w[ue_index(name)] = v
    return w


def test_a_reading_within_a_neutral_faces_range_is_the_face_and_beyond_it_is_expression():
    s = NEUTRAL_SPREAD["BrowLowerer"]
    out = beyond_neutral(_w(BrowLowererLeft=s / 2, BrowLowererRight=s + 0.3, MouthFrownLeft=0.5))
    assert out[ue_index("BrowLowererLeft")] == 0.0
    assert np.isclose(out[ue_index("BrowLowererRight")], 0.3, atol=1e-6)
    assert np.isclose(out[ue_index("MouthFrownLeft")], 0.5 - NEUTRAL_SPREAD["MouthFrown"], atol=1e-6)
    # channels no real neutral face reads are expression in full; a broad smile shows on its own
    # distinctive channels (the pull), so all of it is expression
    assert "EyeSquint" not in NEUTRAL_SPREAD
    assert beyond_neutral(_w(EyeSquintLeft=0.2))[ue_index("EyeSquintLeft")] == np.float32(0.2)
    assert np.isclose(beyond_neutral(_w(MouthCornerPullLeft=0.9))[ue_index("MouthCornerPullLeft")], 0.9)


def test_a_distinctive_channels_noise_does_not_make_a_face_an_expression():
    wide = NEUTRAL_SPREAD["EyeWide"] + 0.1
    noisy = beyond_neutral(_w(EyeWideLeft=wide, MouthRaiserUpper=NEUTRAL_SPREAD["MouthRaiserUpper"] + DISTINCTIVE))
    assert np.isclose(noisy[ue_index("EyeWideLeft")], 0.1, atol=1e-6)


def test_widened_eyes_under_raised_brows_are_all_expression():
    wide = NEUTRAL_SPREAD["EyeWide"] + 0.1
    calm = beyond_neutral(_w(EyeWideLeft=wide, EyeWideRight=wide))
    surprised = beyond_neutral(_w(EyeWideLeft=wide, EyeWideRight=wide, BrowInnerUpLeft=DISTINCTIVE + COMPANION_FULL,
                                  BrowOuterUpRight=DISTINCTIVE + COMPANION_FULL))
    assert np.isclose(calm[ue_index("EyeWideLeft")], 0.1, atol=1e-6)
    assert np.isclose(surprised[ue_index("EyeWideLeft")], wide, atol=1e-6)
    assert np.isclose(surprised[ue_index("EyeWideRight")], wide, atol=1e-6)


def test_lowered_brows_with_a_squint_or_pressed_lips_are_a_frown_and_alone_may_be_the_face():
    low = NEUTRAL_SPREAD["BrowLowerer"] + 0.2
    alone = beyond_neutral(_w(BrowLowererLeft=low, BrowLowererRight=low))
    angry = beyond_neutral(_w(BrowLowererLeft=low, BrowLowererRight=low, EyeSquintLeft=DISTINCTIVE + COMPANION_FULL,
                              MouthPressRight=DISTINCTIVE + COMPANION_FULL / 2))
    assert np.isclose(alone[ue_index("BrowLowererLeft")], 0.2, atol=1e-6)
    assert np.isclose(angry[ue_index("BrowLowererLeft")], low, atol=1e-6)  # squint on that side: all frown
    # half the evidence on the right: half the spread left
    assert np.isclose(angry[ue_index("BrowLowererRight")], low - NEUTRAL_SPREAD["BrowLowerer"] / 2, atol=1e-6)


def test_an_open_mouths_shapes_are_all_expression():
    w = _w(MouthLowerDownLeft=0.3, LipPuckerUpperLeft=0.3, MouthUpperUpRight=0.3)
    closed, apart = beyond_neutral(w), beyond_neutral(w, lips_apart=True)
    for name in ("MouthLowerDownLeft", "LipPuckerUpperLeft", "MouthUpperUpRight"):
        assert closed[ue_index(name)] < 0.3
        assert np.isclose(apart[ue_index(name)], 0.3, atol=1e-6)


def test_lids_a_face_rests_with_are_not_a_closure():
    s = NEUTRAL_SPREAD["EyeClosed"]
    assert s > 0
    assert resting_lids((s / 2,)) == (s / 2,)  # all of it the face's own
    assert np.isclose(resting_lids((s + 0.5,))[0], s)  # the rest of it is a closure
    assert resting_lids((float("nan"), -0.1)) == (0.0, 0.0)
