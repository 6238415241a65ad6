"""The alias table: one resolution for every spelling of a morph-target name."""

from __future__ import annotations

import pytest

from facemimic.deliver.export.aliases import ALIAS_TABLE, UE_EYE_NAMES, Alias, alias_sources, normalize_name, resolve_name
from facemimic.expressions.names import ARKIT_NAMES, UE_NAMES, UE_SIMPLE_NAMES, VRM0_CLIPS, VRM0_TO_VRM1, VRM1_PRESETS


@pytest.mark.parametrize("spelling", ["jawOpen", "JawOpen", "jaw_open", "Jaw Open", "JAW-OPEN", "jawopen",
                                      "blendShape1.jawOpen", "blendShape.JawOpen", "Face/jawOpen", " jawOpen "])
def test_styles_and_prefixes_resolve_to_one_name(spelling):
    assert resolve_name(spelling) == Alias("arkit", "jawOpen")


@pytest.mark.parametrize("spelling,key", [
    ("mouthSmile_L", "arkit:mouthSmileLeft"), ("mouthSmile.R", "arkit:mouthSmileRight"),
    ("eyeBlink_R", "arkit:eyeBlinkRight"), ("EyeBlink Left", "arkit:eyeBlinkLeft"),
    ("Blink_L", "vrm:blinkLeft"), ("blink_r", "vrm:blinkRight"), ("Joy", "vrm:happy"), ("Sorrow", "vrm:sad"),
    ("Fun", "vrm:relaxed"), ("A", "vrm:aa"), ("O", "vrm:oh"), ("surprised", "vrm:surprised"),
    ("MouthClosed", "ue:MouthClosed"), ("mouthClose", "arkit:mouthClose"),
    ("CheekPuffLeft", "ue:CheekPuffLeft"), ("cheekPuff", "arkit:cheekPuff"),
    ("EyeClosedRight", "ue_eye:EyeClosedRight"), ("BrowUpLeft", "ue_simple:BrowUpLeft"),
    ("TongueTwistLeft", "ue:TongueTwistLeft"),
])
def test_side_suffixes_vrm_clip_names_and_vocabularies(spelling, key):
    assert resolve_name(spelling).key == key


@pytest.mark.parametrize("name,key", [
    ("Fcl_MTH_A", "vrm:aa"), ("Fcl_MTH_I", "vrm:ih"), ("Fcl_MTH_U", "vrm:ou"), ("Fcl_MTH_E", "vrm:ee"),
    ("Fcl_MTH_O", "vrm:oh"), ("Fcl_EYE_Close", "vrm:blink"), ("Fcl_EYE_Close_L", "vrm:blinkLeft"),
    ("Fcl_EYE_Close_R", "vrm:blinkRight"), ("Fcl_ALL_Joy", "vrm:happy"), ("Fcl_ALL_Sorrow", "vrm:sad"),
    ("Fcl_ALL_Fun", "vrm:relaxed"), ("Fcl_ALL_Surprised", "vrm:surprised"), ("Fcl_ALL_Angry", "vrm:angry"),
    ("M_F00_000_00_Fcl_MTH_A", "vrm:aa"), ("vrc.v_aa", "vrm:aa"), ("vrc.v_e", "vrm:ee"), ("vrc.v_ou", "vrm:ou"),
])
def test_vroid_and_vrchat_viseme_rules(name, key):
    assert resolve_name(name).key == key


@pytest.mark.parametrize("name", ["Fcl_BRW_Angry", "Fcl_EYE_Joy", "Fcl_MTH_Fun", "Fcl_HA_Fung1", "vrc.v_sil",
                                  "vrc.v_kk", "Body", "Key 1", "target0", "", "smile2"])
def test_names_without_a_rule_stay_unmapped(name):
    assert resolve_name(name) is None


def test_every_vocabulary_name_resolves_to_itself():
    for n in ARKIT_NAMES:
        assert resolve_name(n) == Alias("arkit", n)
    for n in UE_NAMES:
        a = resolve_name(n)
        # Shared ARKit/UE spellings (JawOpen/jawOpen …) resolve to ARKit with the same value.
        assert a == Alias("ue", n) or (a.kind == "arkit" and alias_sources(a) == {n}), (n, a)
    for n in UE_EYE_NAMES:
        assert resolve_name(n).kind in ("ue_eye", "arkit")
    for n in UE_SIMPLE_NAMES:
        assert resolve_name(n).kind in ("ue_simple", "arkit")
    for n in VRM1_PRESETS:
        assert resolve_name(n) == Alias("vrm", n)
    for n in VRM0_CLIPS:
        assert resolve_name(n) == Alias("vrm", VRM0_TO_VRM1[n])


def test_every_ue_shape_reaches_some_alias_source():
    covered = set().union(*(alias_sources(a) for a in ALIAS_TABLE.values()))
    assert set(UE_NAMES) <= covered
    assert {"gaze", "openness"} <= covered


def test_sources_name_what_a_target_reads():
    assert alias_sources(resolve_name("mouthSmileLeft")) == {"MouthCornerPullLeft", "MouthCornerSlantLeft"}
    assert alias_sources(resolve_name("eyeBlinkLeft")) == {"openness"}
    assert alias_sources(resolve_name("eyeLookInRight")) == {"gaze"}
    assert "JawOpen" in alias_sources(resolve_name("Fcl_MTH_A"))
    assert alias_sources(resolve_name("BrowDownRight")) == {"BrowLowererRight", "BrowPinchRight"}


def test_normalize_name_is_case_and_separator_blind():
    assert normalize_name("Mouth_Smile-L") == normalize_name("mouthSmileLeft") == "mouthsmileleft"
    assert normalize_name("a.b.c.JawOpen") == "jawopen"
