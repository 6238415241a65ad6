"""The procedural test head: names, plausible deformations, validity."""

from __future__ import annotations

import numpy as np
import pytest

from export_helpers import assert_valid, read_glb
from facemimic.deliver.export.testhead import UE_TARGET_NAMES, write_test_head
from facemimic.expressions.names import ARKIT_NAMES, UE_NAMES


@pytest.fixture(scope="module")
def heads(tmp_path_factory):
    d = tmp_path_factory.mktemp("heads")
    return {v: write_test_head(d / f"head_{v}.{'glb' if v == 'plain' else 'vrm'}", vrm=None if v == "plain" else v)
            for v in ("plain", "1.0", "0.x")}


@pytest.fixture(scope="module")
def glb(heads):
    return read_glb(heads["plain"])


def _targets(glb, node_name):
    g = glb.json
    node = next(n for n in g["nodes"] if n["name"] == node_name)
    mesh = g["meshes"][node["mesh"]]
    prim = mesh["primitives"][0]
    base = glb.accessor(prim["attributes"]["POSITION"])
    names = mesh["extras"]["targetNames"]
    return base, {n: glb.accessor(t["POSITION"]) for n, t in zip(names, prim["targets"])}, glb.accessor(prim["indices"])


def test_all_variants_pass_the_khronos_validator(heads):
    assert_valid(*heads.values())


def test_two_meshes_name_all_arkit_and_ue_shapes(glb):
    # Read with pygltflib, a parser independent of FaceMimic's.
    names = {n.name: glb.gltf.meshes[n.mesh].extras["targetNames"] for n in glb.gltf.nodes if n.mesh is not None}
    assert names["HeadARKit"] == list(ARKIT_NAMES)
    assert names["HeadUE"] == list(UE_TARGET_NAMES)
    assert set(UE_NAMES) <= set(names["HeadUE"]) and len(UE_TARGET_NAMES) == 98


def test_mesh_is_indexed_with_unit_normals(glb):
    base, _, idx = _targets(glb, "HeadARKit")
    assert 2000 <= len(base) <= 5000
    assert idx.max() < len(base) and len(idx) % 3 == 0
    prim = glb.json["meshes"][0]["primitives"][0]
    n = glb.accessor(prim["attributes"]["NORMAL"])
    assert np.allclose(np.linalg.norm(n, axis=1), 1, atol=1e-4)
    # Normals point outwards (the head is roughly convex around its centre).
    assert (np.einsum("ij,ij->i", n, base) > 0).mean() > 0.95


@pytest.mark.parametrize("node", ["HeadARKit", "HeadUE"])
def test_every_target_moves_some_vertices(glb, node):
    _, targets, _ = _targets(glb, node)
    for name, d in targets.items():
        assert np.abs(d).max() > 5e-4, name  # at least half a millimetre somewhere


def _region_shift(base, d, where):
    sel = where(base)
    assert sel.any()
    return d[sel].mean(axis=0)


def test_deformations_are_plausible(glb):
    base, t, _ = _targets(glb, "HeadARKit")
    front = base[:, 2] > 0.05
    chin = lambda p: front & (p[:, 1] < -0.075)  # noqa: E731
    assert _region_shift(base, t["jawOpen"], chin)[1] < -0.005  # the jaw drops the lower face
    # Subject's left is +x: the left smile lifts the left mouth corner, not the right one.
    left_corner = lambda p: front & (p[:, 0] > 0.02) & (np.abs(p[:, 1] + 0.045) < 0.012)  # noqa: E731
    right_corner = lambda p: front & (p[:, 0] < -0.02) & (np.abs(p[:, 1] + 0.045) < 0.012)  # noqa: E731
    assert _region_shift(base, t["mouthSmileLeft"], left_corner)[1] > 0.001
    assert abs(_region_shift(base, t["mouthSmileLeft"], right_corner)[1]) < 0.0005
    assert _region_shift(base, t["mouthFrownRight"], right_corner)[1] < -0.001
    # Blinks bring the upper lid down; wide eyes lift it.
    left_lid = lambda p: front & (p[:, 0] > 0.015) & (p[:, 0] < 0.045) & (p[:, 1] > 0.022) & (p[:, 1] < 0.04)  # noqa: E731
    assert _region_shift(base, t["eyeBlinkLeft"], left_lid)[1] < -0.003
    assert np.abs(t["eyeBlinkLeft"][base[:, 0] < -0.02]).max() < 1e-4  # the other eye stays open
    assert _region_shift(base, t["eyeWideLeft"], left_lid)[1] > 0.001
    # Brows go up and down; puffs push the cheeks outwards.
    inner_brow = lambda p: front & (np.abs(p[:, 0]) < 0.02) & (p[:, 1] > 0.035) & (p[:, 1] < 0.05)  # noqa: E731
    assert _region_shift(base, t["browInnerUp"], inner_brow)[1] > 0.003
    left_brow = lambda p: front & (p[:, 0] > 0.02) & (p[:, 0] < 0.04) & (p[:, 1] > 0.035) & (p[:, 1] < 0.05)  # noqa: E731
    assert _region_shift(base, t["browDownLeft"], left_brow)[1] < -0.003
    cheeks = lambda p: (np.abs(p[:, 0]) > 0.05) & (p[:, 1] < 0) & (p[:, 1] > -0.05) & front  # noqa: E731
    d = t["cheekPuff"][cheeks(base)]
    assert (np.einsum("ij,ij->i", d, base[cheeks(base)]) > 0).mean() > 0.9
    assert _region_shift(base, t["mouthPucker"], lambda p: front & (np.abs(p[:, 1] + 0.04) < 0.01) & (np.abs(p[:, 0]) < 0.02))[2] > 0.003


def test_ue_head_mirrors_sides_like_arkit(glb):
    base, t, _ = _targets(glb, "HeadUE")
    for name in ("MouthCornerPullLeft", "EyeClosedLeft", "BrowLowererLeft", "CheekPuffLeft", "NoseSneerLeft",
                 "LipPuckerUpperLeft", "NasalDilationLeft"):
        for side, sign in ((name, 1), (name[:-4] + "Right", -1)):
            d = np.linalg.norm(t[side], axis=1)
            centroid_x = (d * base[:, 0]).sum() / d.sum()  # where the shape acts, by displacement
            assert sign * centroid_x > 0.004, (side, centroid_x)
    # Whole-mouth shifts move towards the named side (subject's left = +x).
    assert t["MouthUpperLeft"][:, 0].sum() > 0 > t["MouthUpperRight"][:, 0].sum()
    assert t["JawLeft"][:, 0].sum() > 0 > t["JawRight"][:, 0].sum()


def test_vrm_variants_carry_humanoid_and_presets(heads):
    v1 = read_glb(heads["1.0"]).json["extensions"]["VRMC_vrm"]
    assert v1["specVersion"] == "1.0"
    assert {"hips", "spine", "head", "leftHand", "rightFoot"} <= set(v1["humanoid"]["humanBones"])
    assert {"aa", "happy", "blink", "blinkLeft"} <= set(v1["expressions"]["preset"])
    v0 = read_glb(heads["0.x"]).json["extensions"]["VRM"]
    groups = {g["presetName"]: g for g in v0["blendShapeMaster"]["blendShapeGroups"]}
    assert {"a", "joy", "blink_l"} <= set(groups)
    assert all(0 < b["weight"] <= 100 for g in groups.values() for b in g["binds"])


# --- the unit (docs/units.md): key targets at 1.0 move the head by the channel's full extent -------
UNIT_WEIGHTS = np.array([0.25, 0.5, 1.0])


def _unit_cases():
    from facemimic.deliver.export.testhead import UNIT_TARGETS

    node = {"arkit": "HeadARKit", "ue": "HeadUE"}
    return [(node[voc], name, channel) for voc, table in UNIT_TARGETS.items() for name, channel in table.items()]


@pytest.mark.parametrize("node,name,channel", _unit_cases())
def test_key_targets_reach_the_channels_full_extent(glb, node, name, channel):
    """Read back from the .glb: weight w moves the head's landmarks w x the full extent (within 20 %),
    measured by expressions.geometry in the head's own inter-pupil distance."""
    from facemimic.deliver.export.testhead import head_fraction

    base, t, _ = _targets(glb, node)
    if channel in ("LipPucker", "LipFunnel") and node == "HeadUE":  # the four quadrants make one shape
        delta = sum(t[f"{channel}{p}{s}"] for p in ("Upper", "Lower") for s in ("Left", "Right"))
    else:
        delta = t[name]
    jaw = t["jawOpen" if node == "HeadARKit" else "JawOpen"] if channel == "MouthClosed" else 0.0
    poses = np.stack([w * delta + jaw for w in UNIT_WEIGHTS])  # MouthClosed: lips together, jaw open
    fraction = head_fraction(base, poses, channel, 1 if name.endswith("Right") else 0)
    assert np.all(np.abs(fraction / UNIT_WEIGHTS - 1) <= 0.2), (name, (fraction / UNIT_WEIGHTS).round(2))


def test_the_heads_own_measure(glb):
    from facemimic.deliver.export.testhead import LANDMARKS, head_landmarks, head_measures
    from facemimic.expressions import geometry as geo

    base, t, _ = _targets(glb, "HeadARKit")
    lm = head_landmarks(base)
    ipd = np.linalg.norm(lm[473] - lm[468])
    assert 0.055 < ipd < 0.07  # an adult's 55-70 mm, between the painted eye centres
    assert {473, 468, 13, 14, 152, 291, 61} <= set(LANDMARKS)
    m = head_measures(base, np.stack([t["jawOpen"], t["eyeBlinkLeft"]]))
    # The chin drops 0.75 IPD (~46 mm) away from the nose dorsum, and the lips part as far.
    assert m.jaw_drop[0] * ipd == pytest.approx(geo.CHANNELS["JawOpen"].full_extent * ipd, rel=0.02)
    rest_gap = head_measures(base, np.zeros((1,) + base.shape)).lip_gap[0]
    assert m.lip_gap[0] - rest_gap == pytest.approx(geo.MOUTH_CLOSED_GAP_EXTENT, rel=0.05)
    # A full blink shuts the eye: its lids meet, the other eye stays open.
    assert abs(m.eye_aperture[1, 0]) < 0.01 and m.eye_closure[1, 1] == pytest.approx(0, abs=1e-3)
