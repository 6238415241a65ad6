"""Vocabularies match the published lists (VRCFT enum, ARKit, MediaPipe, VRM)."""

import pytest

from facemimic.errors import UnknownNameError
from facemimic.expressions import names


def test_ue_enum_order_and_size():
    assert names.N_UE == 88
    # Spot-check enum values from VRCFT UnifiedExpressions.cs.
    assert names.UE_INDEX["EyeSquintRight"] == 0
    assert names.UE_INDEX["JawOpen"] == 22
    assert names.UE_INDEX["MouthClosed"] == 29
    assert names.UE_INDEX["MouthCornerPullLeft"] == 57
    assert names.UE_INDEX["TongueOut"] == 72
    assert names.UE_INDEX["NeckFlexLeft"] == 87
    assert len(set(names.UE_NAMES)) == 88


def test_arkit_and_mediapipe_lists():
    assert len(names.ARKIT_NAMES) == 52 and len(set(names.ARKIT_NAMES)) == 52
    assert names.MEDIAPIPE_NAMES[0] == "_neutral"
    assert "tongueOut" not in names.MEDIAPIPE_NAMES
    assert len(names.MEDIAPIPE_NAMES) == 52
    # Positions from MediaPipe's kBlendshapeNames.
    assert names.MEDIAPIPE_NAMES[25] == "jawOpen"
    assert names.MEDIAPIPE_NAMES[9] == "eyeBlinkLeft"


def test_vrm_presets():
    assert names.VRM1_PRESETS[:5] == ("happy", "angry", "sad", "relaxed", "surprised")
    assert set(names.VRM0_TO_VRM1) == set(names.VRM0_CLIPS)
    assert set(names.VRM0_TO_VRM1.values()) <= set(names.VRM1_PRESETS)


def test_mirror_is_an_involution_that_swaps_sides():
    m = names.UE_MIRROR
    assert all(m[m[i]] == i for i in range(names.N_UE))
    assert names.UE_NAMES[m[names.UE_INDEX["JawLeft"]]] == "JawRight"
    assert names.UE_NAMES[m[names.UE_INDEX["JawOpen"]]] == "JawOpen"


def test_unknown_name_suggests():
    with pytest.raises(UnknownNameError, match="JawOpen"):
        names.ue_index("jawopen")
