"""ARKit/MediaPipe <-> UE: the table, round trips and eye conventions."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from facemimic.expressions import arkit
from facemimic.expressions.names import ARKIT_INDEX, ARKIT_NAMES, MEDIAPIPE_NAMES, UE_INDEX


def one_hot(name: str) -> np.ndarray:
    a = np.zeros(52, np.float32)
    a[ARKIT_INDEX[name]] = 0.8
    return a


def test_table_entries_follow_the_vrcft_docs():
    w, _, _ = arkit.arkit_to_ue(one_hot("mouthSmileLeft"))
    assert w[UE_INDEX["MouthCornerPullLeft"]] == np.float32(0.8)
    assert w[UE_INDEX["MouthCornerSlantLeft"]] == np.float32(0.8)
    assert w[UE_INDEX["MouthCornerPullRight"]] == 0
    w, _, _ = arkit.arkit_to_ue(one_hot("browInnerUp"))
    assert w[UE_INDEX["BrowInnerUpLeft"]] == w[UE_INDEX["BrowInnerUpRight"]] == np.float32(0.8)
    w, _, _ = arkit.arkit_to_ue(one_hot("mouthShrugUpper"))
    assert w[UE_INDEX["MouthRaiserUpper"]] == np.float32(0.8)
    w, _, _ = arkit.arkit_to_ue(one_hot("mouthRollLower"))
    assert w[UE_INDEX["LipSuckLowerLeft"]] == w[UE_INDEX["LipSuckLowerRight"]] == np.float32(0.8)
    w, _, _ = arkit.arkit_to_ue(one_hot("mouthClose"))
    assert w[UE_INDEX["MouthClosed"]] == np.float32(0.8)


def test_every_non_eye_arkit_shape_drives_a_ue_shape():
    for name in ARKIT_NAMES:
        w, _, _ = arkit.arkit_to_ue(one_hot(name))
        assert (w.max() > 0) == (name not in arkit.ARKIT_EYE_SHAPES), name


def test_eye_conventions():
    # The subject's left eye looking in (towards the nose) looks to the subject's right: +x.
    _, gaze, openness = arkit.arkit_to_ue(one_hot("eyeLookInLeft"))
    assert gaze[0, 0] > 0 and gaze[1, 0] == 0
    _, gaze, _ = arkit.arkit_to_ue(one_hot("eyeLookOutRight"))
    assert gaze[1, 0] > 0  # right eye looking out also looks to the subject's right
    _, gaze, _ = arkit.arkit_to_ue(one_hot("eyeLookUpRight"))
    assert gaze[1, 1] > 0
    expected = np.tan(np.radians(0.8 * arkit.EYE_LOOK_FULL_DEG))
    assert np.isclose(gaze[1, 1], expected, atol=1e-6)
    _, _, openness = arkit.arkit_to_ue(one_hot("eyeBlinkRight"))
    assert np.allclose(openness, [1.0, 0.2])


@settings(max_examples=60, deadline=None)
@given(arrays(np.float32, (52,), elements=st.floats(0, 1, width=32)))
def test_round_trip_arkit_ue_arkit(a):
    # Opposing eyeLook pairs collapse to one signed gaze value, so make them one-sided.
    a = a.copy()
    for side in ("Left", "Right"):
        a[ARKIT_INDEX[f"eyeLookIn{side}"]] = 0
        a[ARKIT_INDEX[f"eyeLookDown{side}"]] = 0
    w, gaze, openness = arkit.arkit_to_ue(a)
    back = arkit.ue_to_arkit(w, gaze, openness)
    assert np.allclose(back, a, atol=1e-5)


def test_mediapipe_reorders_and_drops_neutral():
    scores = np.linspace(0, 1, 52, dtype=np.float32)
    out = arkit.mediapipe_to_arkit(scores[None])[0]
    for i, name in enumerate(MEDIAPIPE_NAMES):
        if name != "_neutral":
            assert out[ARKIT_INDEX[name]] == scores[i]
    assert out[ARKIT_INDEX["tongueOut"]] == 0
