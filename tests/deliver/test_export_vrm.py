"""VRM expressions (1.0 custom / 0.x blendShapeGroups) and VRM Animation (.vrma) files."""

from __future__ import annotations

import numpy as np
import pytest

from export_helpers import assert_valid, make_avatar, ramp_track, read_glb, real_track
from facemimic.deliver.export import ExportOptions, export_track, get_exporter
from facemimic.deliver.export.testhead import write_test_head
from facemimic.deliver.export.vrma import gaze_quaternions, head_quaternions
from facemimic.errors import InputError
from facemimic.expressions import ExpressionFrame
from facemimic.expressions.names import ARKIT_NAMES, VRM1_PRESETS


@pytest.fixture(scope="module")
def vrm_heads(tmp_path_factory):
    d = tmp_path_factory.mktemp("vrm")
    return {"1.0": write_test_head(d / "v1.vrm", vrm="1.0"), "0.x": write_test_head(d / "v0.vrm", vrm="0.x")}


FRAMES = {
    "happy": ExpressionFrame.from_shapes({"MouthCornerPullLeft": 1.0, "MouthCornerPullRight": 0.8}),
    "pout": ExpressionFrame.from_shapes({"LipPuckerUpperLeft": 1, "LipPuckerUpperRight": 1,
                                         "LipPuckerLowerLeft": 1, "LipPuckerLowerRight": 1}),
    "aa": ExpressionFrame.from_shapes({"JawOpen": 0.9}),
    "Sorrow": ExpressionFrame.from_shapes({"MouthFrownLeft": 0.7, "MouthFrownRight": 0.7}),
    "surprised": ExpressionFrame.from_shapes({"EyeWideLeft": 1, "EyeWideRight": 1, "JawOpen": 0.5}),
}


def _arkit_index(name):
    return ARKIT_NAMES.index(name)


def test_vrm1_custom_and_preset_expressions(tmp_path, vrm_heads):
    r = get_exporter("vrm").export_frames(FRAMES, tmp_path / "out.vrm", ExportOptions(avatar=vrm_heads["1.0"]))
    assert_valid(r.path)
    exprs = read_glb(r.path).json["extensions"]["VRMC_vrm"]["expressions"]
    custom, preset = exprs["custom"], exprs["preset"]
    # Emotion names become presets (sorrow -> sad); other names stay custom; preset names are avoided.
    assert {"happy", "sad", "surprised"} <= set(preset)
    assert set(custom) == {"pout", "aa_custom"}
    assert not set(custom) & set(VRM1_PRESETS)
    assert any("aa_custom" in n for n in r.notes) and any("replaced" in n for n in r.notes)
    # The avatar's own settings of a replaced preset are kept (the test head's emotions block blinks).
    assert preset["happy"]["isBinary"] is False and preset["happy"]["overrideBlink"] == "block"
    assert custom["pout"]["overrideBlink"] == "none"
    binds = {(b["node"], b["index"]): b["weight"] for b in preset["happy"]["morphTargetBinds"]}
    # Node 0 is the ARKit head: mouthSmileLeft = mean(CornerPullLeft, CornerSlantLeft) = 0.5.
    assert binds[(0, _arkit_index("mouthSmileLeft"))] == pytest.approx(0.5, abs=1e-4)
    assert binds[(0, _arkit_index("mouthSmileRight"))] == pytest.approx(0.4, abs=1e-4)
    pout = {(b["node"], b["index"]): b["weight"] for b in custom["pout"]["morphTargetBinds"]}
    assert pout[(0, _arkit_index("mouthPucker"))] == pytest.approx(1.0)
    for e in (*custom.values(), *preset.values()):
        for b in e["morphTargetBinds"]:
            assert set(b) == {"node", "index", "weight"} and 0 < b["weight"] <= 1


def test_vrm0_blend_shape_groups(tmp_path, vrm_heads):
    r = get_exporter("vrm").export_frames(FRAMES, tmp_path / "out0.vrm", ExportOptions(avatar=vrm_heads["0.x"]))
    assert_valid(r.path)
    groups = read_glb(r.path).json["extensions"]["VRM"]["blendShapeMaster"]["blendShapeGroups"]
    by_name = {g["name"]: g for g in groups}
    assert by_name["Joy"]["presetName"] == "joy" and by_name["Sorrow"]["presetName"] == "sorrow"
    assert sum(g["presetName"] == "joy" for g in groups) == 1  # replaced, not duplicated
    assert by_name["pout"]["presetName"] == "unknown" and by_name["aa_custom"]["presetName"] == "unknown"
    assert by_name["Surprised"]["presetName"] == "unknown"  # 0.x has no surprised preset
    binds = {(b["mesh"], b["index"]): b["weight"] for b in by_name["Joy"]["binds"]}
    assert binds[(0, _arkit_index("mouthSmileLeft"))] == pytest.approx(50.0, abs=0.01)  # 0..100
    assert all(0 < b["weight"] <= 100 for g in groups for b in g["binds"])


def test_vrm_from_track_times_and_errors(tmp_path, vrm_heads):
    tr = ramp_track(n=31, JawOpen=(0, 1))
    r = export_track(tr, tmp_path / "t.vrm", avatar=vrm_heads["1.0"], expressions=(("mid", 0.5), ("wide", 1.0)))
    custom = read_glb(r.path).json["extensions"]["VRMC_vrm"]["expressions"]["custom"]
    w = {n: {b["index"]: b["weight"] for b in e["morphTargetBinds"] if b["node"] == 0} for n, e in custom.items()}
    assert w["mid"][_arkit_index("jawOpen")] == pytest.approx(0.5, abs=1e-3)
    assert w["wide"][_arkit_index("jawOpen")] == pytest.approx(1.0, abs=1e-3)
    plain = make_avatar(tmp_path / "plain.glb", [["jawOpen"]])
    with pytest.raises(InputError, match="plain.glb: is not a VRM"):
        export_track(tr, tmp_path / "x.vrm", avatar=plain)
    assert not (tmp_path / "x.vrm").exists()


def test_vrm_from_real_capture_defaults_to_the_most_expressive_frame(tmp_path):
    r = export_track(real_track(), tmp_path / "smile.vrm")
    assert_valid(r.path)
    custom = read_glb(r.path).json["extensions"]["VRMC_vrm"]["expressions"]["custom"]
    assert list(custom) == ["smile"]
    smile = {b["index"]: b["weight"] for b in custom["smile"]["morphTargetBinds"] if b["node"] == 0}
    assert smile[_arkit_index("mouthSmileLeft")] > 0.3  # the sample face smiles


# -- VRMA ---------------------------------------------------------------------------------------------

def _vrma_tracks(glb):
    g = glb.json
    ext = g["extensions"]["VRMC_vrm_animation"]
    anim = g["animations"][0]
    by_node = {}
    for ch in anim["channels"]:
        s = anim["samplers"][ch["sampler"]]
        by_node[(ch["target"]["node"], ch["target"]["path"])] = (glb.accessor(s["input"]), glb.accessor(s["output"]))
    return ext, by_node


def test_vrma_expressions_are_node_translation_x(tmp_path):
    tr = ramp_track(n=40, JawOpen=(0, 1), MouthCornerPullLeft=(0, 1), MouthCornerPullRight=(0, 1),
                    openness=(1, 0), yaw=(0, 30))
    r = export_track(tr, tmp_path / "clip.vrma", perfect_sync=True)
    assert_valid(r.path)
    glb = read_glb(r.path)
    assert glb.json["extensionsUsed"] == ["VRMC_vrm_animation"]
    ext, tracks = _vrma_tracks(glb)
    assert ext["specVersion"] == "1.0"
    bones = ext["humanoid"]["humanBones"]
    assert {"hips", "spine", "head", "leftUpperArm", "rightFoot"} <= set(bones)
    presets, custom = ext["expressions"]["preset"], ext["expressions"]["custom"]
    assert not {"lookUp", "lookDown", "lookLeft", "lookRight"} & set(presets)  # not allowed in VRMA
    assert set(custom) == set(ARKIT_NAMES)
    times, xyz = tracks[(presets["aa"]["node"], "translation")]
    assert len(times) == 40 and np.allclose(xyz[:, 1:], 0)
    assert xyz[0, 0] == 0 and xyz[-1, 0] > 0.9  # jaw opens, lips not rounded: "aa"
    _, blink = tracks[(presets["blinkLeft"]["node"], "translation")]
    assert np.allclose(blink[:, 0], np.linspace(0, 1, 40), atol=1e-5)
    _, happy = tracks[(presets["happy"]["node"], "translation")]
    assert happy[-1, 0] == pytest.approx(0.8, abs=1e-4)  # VRCFT simple smile: 0.8 * CornerPull
    _, jaw = tracks[(custom["jawOpen"]["node"], "translation")]
    assert np.allclose(jaw[:, 0], np.linspace(0, 1, 40), atol=1e-5)
    _, rot = tracks[(bones["head"]["node"], "rotation")]
    assert np.allclose(np.linalg.norm(rot, axis=1), 1, atol=1e-5)


def test_head_quaternions_follow_the_subject_conventions():
    def forward(q):  # rotate +Z (VRM 1.0 forward) by quaternion (x, y, z, w)
        x, y, z, w = q
        v = np.array([0.0, 0.0, 1.0])
        u = np.array([x, y, z])
        return v + 2 * np.cross(u, np.cross(u, v) + w * v)

    def up(q):
        x, y, z, w = q
        v = np.array([0.0, 1.0, 0.0])
        u = np.array([x, y, z])
        return v + 2 * np.cross(u, np.cross(u, v) + w * v)

    q = head_quaternions(np.array([[30, 0, 0], [0, 20, 0], [0, 0, 15], [0, 0, 0]], np.float32))
    assert forward(q[0])[0] < -0.45  # +yaw: the subject turns to their right, i.e. towards -X
    assert forward(q[1])[1] < -0.3  # +pitch: looks down
    assert up(q[2])[0] > 0.2  # +roll: the top of the head tilts to the subject's left (+X)
    assert np.allclose(q[3], [0, 0, 0, 1])


def test_vrma_uses_the_avatars_own_expressions(tmp_path, vrm_heads):
    tr = ramp_track(n=10, JawOpen=(0, 1))
    for version, avatar in vrm_heads.items():
        r = export_track(tr, tmp_path / f"a{version}.vrma", avatar=avatar, head=False)
        ext, tracks = _vrma_tracks(read_glb(r.path))
        presets = ext["expressions"]["preset"]
        # The test head defines happy … blinkRight; blink is split from the sides there.
        assert {"aa", "happy", "blink", "blinkLeft", "blinkRight"} <= set(presets), version
        look = ext["lookAt"]["node"]
        assert all(path == "translation" for (node, path) in tracks if node != look)
    plain = make_avatar(tmp_path / "plain.glb", [["jawOpen"]])
    with pytest.raises(InputError, match="is not a VRM"):
        export_track(tr, tmp_path / "p.vrma", avatar=plain)


def test_vrma_from_a_real_capture(tmp_path):
    r = export_track(real_track(), tmp_path / "real.vrma")
    assert_valid(r.path)
    ext, tracks = _vrma_tracks(read_glb(r.path))
    _, happy = tracks[(ext["expressions"]["preset"]["happy"]["node"], "translation")]
    assert happy[:, 0].max() > 0.3 and np.all((happy[:, 0] >= 0) & (happy[:, 0] <= 1))


def test_gaze_drives_the_look_at_rotation(tmp_path):
    tr = ramp_track(n=11, gaze_x=(0, 1))  # both eyes turn to the subject's right, up to 45 degrees
    r = export_track(tr, tmp_path / "gaze.vrma")
    assert "gaze" not in r.unused_channels
    ext, tracks = _vrma_tracks(read_glb(r.path))
    _, q = tracks[(ext["lookAt"]["node"], "rotation")]
    assert np.allclose(q[0], [0, 0, 0, 1], atol=1e-6)
    # +yaw in VRM looks to the model's left (+X); the subject's right is therefore a -Y rotation.
    assert q[-1][1] == pytest.approx(-np.sin(np.radians(45) / 2), abs=1e-5)
    up = gaze_quaternions(np.array([[[0, 1], [0, 1]]], np.float32))[0]
    assert up[0] == pytest.approx(-np.sin(np.radians(45) / 2), abs=1e-5)  # looking up: -X rotation
    r = export_track(tr, tmp_path / "nogaze.vrma", look_at=False)
    assert "gaze" in r.unused_channels
    assert "lookAt" not in read_glb(r.path).json["extensions"]["VRMC_vrm_animation"]


def test_perfect_sync_adds_the_52_arkit_expressions(tmp_path, vrm_heads):
    r = export_track(ramp_track(n=5), tmp_path / "ps.vrm", avatar=vrm_heads["1.0"], perfect_sync=True)
    assert_valid(r.path)
    custom = read_glb(r.path).json["extensions"]["VRMC_vrm"]["expressions"]["custom"]
    assert set(custom) == set(ARKIT_NAMES)
    for name in ARKIT_NAMES:
        # On the ARKit head (node 0) each expression binds exactly its own target at 1.0.
        on_arkit = [b for b in custom[name]["morphTargetBinds"] if b["node"] == 0]
        assert on_arkit == [{"node": 0, "index": _arkit_index(name), "weight": 1.0}], name
    blink_ue = {b["index"] for b in custom["eyeBlinkLeft"]["morphTargetBinds"] if b["node"] == 1}
    assert blink_ue  # and the UE head's EyeClosedLeft follows from the openness


def test_vrma_on_a_perfect_sync_avatar_moves_each_shape_once(tmp_path):
    """A VRM with the 52 ARKit expressions (`export -f vrm --perfect-sync`: its `happy` binds the same
    mouthSmile targets as its `mouthSmileLeft`): the VRMA drives the 52 and rests the emotion, viseme
    and blink presets, said in a note (both were driven: the smile moved twice); without an avatar
    both sets are still written, for whichever the player's avatar has."""
    tr = ramp_track(n=20, MouthCornerPullLeft=(0, 1), MouthCornerPullRight=(0, 1), JawOpen=(0, 0.6), openness=(1, 0))
    avatar = export_track(tr, tmp_path / "ps.vrm", perfect_sync=True).path
    binds = read_glb(avatar).json["extensions"]["VRMC_vrm"]["expressions"]
    smile = {b["index"] for b in binds["custom"]["mouthSmileLeft"]["morphTargetBinds"]}
    assert smile & {b["index"] for b in binds["preset"]["happy"]["morphTargetBinds"]}  # the same target twice
    r = export_track(tr, tmp_path / "on.vrma", avatar=avatar)
    assert_valid(r.path)
    ext, tracks = _vrma_tracks(read_glb(r.path))
    assert set(ext["expressions"]["custom"]) == set(ARKIT_NAMES) and "preset" not in ext["expressions"]
    assert any(n.startswith("presets left at rest (") and "happy" in n and "blinkLeft" in n for n in r.notes)
    assert r.unmapped_targets == ()
    _, smile_track = tracks[(ext["expressions"]["custom"]["mouthSmileLeft"]["node"], "translation")]
    assert smile_track[-1, 0] > 0.4  # ue_to_arkit: the mean of corner pull (1) and slant (0)
    bare = export_track(tr, tmp_path / "bare.vrma", perfect_sync=True)
    assert {"happy", "blinkLeft"} <= set(_vrma_tracks(read_glb(bare.path))[0]["expressions"]["preset"])


@pytest.fixture(scope="module")
def happy_clip():
    import facemimic

    return facemimic.express_clip("happy", duration=1.0)


def test_expressions_as_a_dict_of_times(tmp_path, happy_clip):
    """``ExportOptions(expressions={"happy": 0.5})`` failed with "too many values to unpack"."""
    from facemimic.errors import ParameterError

    assert ExportOptions(expressions={"happy": 0.5, "calm": 1}).expressions == (("happy", 0.5), ("calm", 1.0))
    r = export_track(happy_clip, tmp_path / "faces.vrm", expressions={"happy": 0.5})
    assert [n for n, _ in r.expressions] == ["happy"] and r.expressions[0][1] == pytest.approx(0.5, abs=0.02)
    with pytest.raises(ParameterError, match=r"^expression 'happy': expressions takes track times in seconds; "
                                             r"write frames with get_exporter\('vrm'\).export_frames"):
        ExportOptions(expressions={"happy": happy_clip[0]})
    with pytest.raises(ParameterError, match=r"^expression 'happy': time must be a number of seconds, got 'Joy'$"):
        ExportOptions(expressions=(("happy", "Joy"),))
    with pytest.raises(ParameterError, match=r"^expressions must be \(name, seconds\) pairs or a \{name: seconds\} "
                                             r"dict, got 'happy=1'$"):
        ExportOptions(expressions="happy=1")


def test_options_a_format_does_not_read_are_said(tmp_path, happy_clip):
    """A ``.vrma`` export silently ignored ``expressions`` (and ``loop``, ``node_path`` …)."""
    from facemimic.errors import ParameterError

    with pytest.raises(ParameterError, match=r"^expressions apply to the vrm format only .*not to vrma"):
        export_track(happy_clip, tmp_path / "talk.vrma", expressions=[("happy", 0.5)])
    assert not (tmp_path / "talk.vrma").exists()
    r = export_track(happy_clip, tmp_path / "talk.vrma", loop=True, node_path="Body")
    assert "option loop=True has no effect on a vrma export (it applies to godot, unity)" in r.notes
    assert "option node_path='Body' has no effect on a vrma export (it applies to godot, unity)" in r.notes
    assert "has no effect" in r.summary()
    r = export_track(happy_clip, tmp_path / "talk.anim", look_at=False, loop=True)
    assert [n for n in r.notes if "no effect" in n] == [
        "option look_at=False has no effect on a unity export (it applies to vrma)"]
    for path in ("a.vrma", "a.glb", "a.tres", "a.anim", "a.vrm"):  # defaults: nothing to say
        assert not [n for n in export_track(happy_clip, tmp_path / path).notes if "no effect" in n], path
