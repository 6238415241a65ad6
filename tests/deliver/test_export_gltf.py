"""glTF/VRM export: morph-target weight animations read back with pygltflib, checked by Khronos."""

from __future__ import annotations

import numpy as np
import pytest

from export_helpers import assert_valid, make_avatar, ramp_track, read_glb, real_track
from facemimic.deliver.export import ExportOptions, export_track, get_exporter
from facemimic.errors import InputError, OutputError, ParameterError, UnknownNameError
from facemimic.expressions.names import UE_INDEX


def _animation(glb, index=-1):
    """(animation, {node name: (times, {target: weights}, sampler, channel)}) from raw JSON."""
    g = glb.json
    anim = g["animations"][index]
    out = {}
    for ch in anim["channels"]:
        if ch["target"]["path"] != "weights":
            continue
        node = g["nodes"][ch["target"]["node"]]
        s = anim["samplers"][ch["sampler"]]
        names = g["meshes"][node["mesh"]]["extras"]["targetNames"]
        times = glb.accessor(s["input"])
        w = glb.accessor(s["output"]).reshape(len(times), len(names))
        out[node["name"]] = (times, {n: w[:, i] for i, n in enumerate(names)}, s, ch)
    return anim, out


@pytest.fixture(scope="module")
def real_glb(tmp_path_factory):
    tr = real_track()
    path = tmp_path_factory.mktemp("gltf") / "real.glb"
    result = export_track(tr, path)
    return tr, result, read_glb(path)


def test_real_capture_animates_both_test_heads(real_glb):
    tr, result, glb = real_glb
    anim, chans = _animation(glb)
    assert anim["name"] == "real"
    assert set(chans) == {"HeadARKit", "HeadUE"}
    # pygltflib (an independent parser) reads the same animation.
    pyg = glb.gltf.animations[-1]
    assert pyg.name == "real" and len(pyg.channels) == 4  # weights + head rotation on both heads
    assert {(glb.gltf.nodes[c.target.node].name, c.target.path) for c in pyg.channels} == {
        (n, p) for n in ("HeadARKit", "HeadUE") for p in ("weights", "rotation")}
    filled = tr.fill_gaps("hold")
    w = filled.weights
    for node, (times, weights, sampler, ch) in chans.items():
        assert sampler["interpolation"] == "LINEAR" and ch["target"]["path"] == "weights"
        assert len(times) == len(tr)  # one keyframe per frame
        assert times[0] == 0 and np.all(np.diff(times) > 0)
        assert np.allclose(times, tr.time - tr.time[0], atol=1e-5)
    _, ue, _, _ = chans["HeadUE"]
    _, ark, _, _ = chans["HeadARKit"]
    for name in ("JawOpen", "MouthCornerPullLeft", "EyeSquintRight", "BrowInnerUpLeft"):
        assert np.allclose(ue[name], np.clip(w[:, UE_INDEX[name]], 0, 1), atol=1e-6)
    assert np.allclose(ark["jawOpen"], w[:, UE_INDEX["JawOpen"]], atol=1e-6)
    smile = (w[:, UE_INDEX["MouthCornerPullLeft"]] + w[:, UE_INDEX["MouthCornerSlantLeft"]]) / 2
    assert np.allclose(ark["mouthSmileLeft"], np.clip(smile, 0, 1), atol=1e-5)
    assert np.allclose(ark["eyeBlinkLeft"], 1 - filled.openness[:, 0], atol=1e-5)
    assert np.allclose(ue["EyeClosedRight"], 1 - filled.openness[:, 1], atol=1e-5)
    # A real smiling face: the smile moves during the clip.
    assert ark["mouthSmileLeft"].max() > 0.3 and np.ptp(ark["mouthSmileLeft"]) > 0.05
    assert len(result.mapped) == 150 and result.unmapped_targets == ()


def test_accessors_have_bounds_and_file_passes_validator(real_glb, tmp_path):
    _, result, glb = real_glb
    anim = glb.json["animations"][-1]
    for s in anim["samplers"]:
        for i in (s["input"], s["output"]):
            acc = glb.json["accessors"][i]
            assert acc["componentType"] == 5126 and "min" in acc and "max" in acc
            data = glb.accessor(i).reshape(acc["count"], -1)
            assert np.allclose(acc["min"], data.min(axis=0)) and np.allclose(acc["max"], data.max(axis=0))
    assert_valid(result.path)


def test_gltf_text_output_and_vrm_avatar_round_trip(tmp_path):
    from facemimic.deliver.export.testhead import write_test_head

    tr = ramp_track(JawOpen=(0, 1), openness=(1, 0))
    r1 = export_track(tr, tmp_path / "clip.gltf")
    avatar = write_test_head(tmp_path / "avatar.vrm", vrm="1.0")
    r2 = export_track(tr, tmp_path / "clip.vrm", format="gltf", avatar=avatar)
    assert_valid(r1.path, r2.path)
    text = r1.path.read_text()
    assert text.lstrip().startswith("{") and "data:application/octet-stream;base64," in text
    glb = read_glb(r2.path)
    assert "VRMC_vrm" in glb.json["extensions"]  # the avatar's VRM data survives
    _, chans = _animation(glb)
    assert np.allclose(chans["HeadARKit"][1]["jawOpen"], np.linspace(0, 1, len(tr)), atol=1e-6)


def test_names_in_many_styles_and_the_report_both_ways(tmp_path):
    avatar = make_avatar(tmp_path / "styles.glb", [
        ["blendShape1.jawOpen", "Jaw Open", "mouth_smile_L", "Fcl_EYE_Close_L", "vrc.v_aa", "Body_Bulge", "Key 1"],
        ["EyeBlinkRight", "MouthFrownLeft"],
    ], where="primitive")
    tr = ramp_track(JawOpen=(0, 0.8), MouthCornerPullLeft=(0, 1), TongueOut=(0, 1), CheekSuckLeft=(0, 0.5),
                    openness=(1, 0.2))
    r = export_track(tr, tmp_path / "out.glb", avatar=avatar)
    assert_valid(r.path)
    assert set(r.unmapped_targets) == {"Mesh0/Body_Bulge", "Mesh0/Key 1"}
    # Channels that move but reach no target: the tongue and the cheek suck.
    assert set(r.unused_channels) == {"TongueOut", "CheekSuckLeft"}
    mapped = {(p, t): k for p, t, k in r.mapped}
    assert mapped[("Mesh0", "Fcl_EYE_Close_L")] == "vrm:blinkLeft"
    _, chans = _animation_by_targets(read_glb(r.path), avatar)
    n = len(tr)
    assert np.allclose(chans["Mesh0"]["blendShape1.jawOpen"], np.linspace(0, 0.8, n), atol=1e-6)
    assert np.allclose(chans["Mesh0"]["Jaw Open"], np.linspace(0, 0.8, n), atol=1e-6)
    assert np.allclose(chans["Mesh0"]["Fcl_EYE_Close_L"], 1 - np.linspace(1, 0.2, n), atol=1e-5)
    assert np.allclose(chans["Mesh0"]["Body_Bulge"], 0)  # undriven targets keep their default
    assert chans["Mesh0"]["vrc.v_aa"].max() > 0.3  # mouth open, unrounded: "aa"
    assert np.allclose(chans["Mesh1"]["EyeBlinkRight"], 1 - np.linspace(1, 0.2, n), atol=1e-5)


def _animation_by_targets(glb, avatar):
    """Like _animation, with target names taken from the source avatar (mesh or primitive extras)."""
    src = read_glb(avatar).json
    anim = glb.json["animations"][-1]
    out = {}
    for ch in anim["channels"]:
        if ch["target"]["path"] != "weights":
            continue
        node = glb.json["nodes"][ch["target"]["node"]]
        mesh = src["meshes"][node["mesh"]]
        names = mesh.get("extras", {}).get("targetNames") or mesh["primitives"][0]["extras"]["targetNames"]
        s = anim["samplers"][ch["sampler"]]
        times = glb.accessor(s["input"])
        w = glb.accessor(s["output"]).reshape(len(times), len(names))
        out[node["name"]] = {n: w[:, i] for i, n in enumerate(names)}
    return anim, out


def test_blink_splits_when_the_avatar_has_both_blink_kinds(tmp_path):
    avatar = make_avatar(tmp_path / "blinks.glb", [["Blink", "Blink_L", "Blink_R"]])
    from facemimic.expressions import ExpressionTrack

    n = 20
    op = np.stack([np.linspace(1, 0, n), np.full(n, 0.5)], 1)  # left closes fully, right half
    tr = ExpressionTrack.from_arrays({"weights": np.zeros((n, 88)), "openness": op}, fps=20)
    r = export_track(tr, tmp_path / "b.glb", avatar=avatar)
    _, ch = _animation_by_targets(read_glb(r.path), avatar)
    c = ch["Mesh0"]
    closed_l, closed_r = 1 - op[:, 0], 1 - op[:, 1]
    assert np.allclose(c["Blink"], np.minimum(closed_l, closed_r), atol=1e-5)
    # Additive avatars close each eye exactly once.
    assert np.allclose(c["Blink"] + c["Blink_L"], closed_l, atol=1e-5)
    assert np.allclose(c["Blink"] + c["Blink_R"], closed_r, atol=1e-5)


def test_gaps_hold_interpolate_or_neutral(tmp_path):
    tr = ramp_track(n=30, JawOpen=(0, 1))
    arrays = tr.to_arrays()
    present = np.ones(30, bool)
    present[10:20] = False
    arrays["weights"] = arrays["weights"].copy()
    arrays["weights"][~present] = np.nan
    arrays["present"] = present
    from facemimic.expressions import ExpressionTrack

    gappy = ExpressionTrack.from_arrays(arrays, fps=30)
    jaw = {}
    for gaps in ("hold", "interpolate", "neutral"):
        r = export_track(gappy, tmp_path / f"{gaps}.glb", gaps=gaps)
        assert any("10 gap frame(s)" in n for n in r.notes)
        jaw[gaps] = _animation(read_glb(r.path))[1]["HeadUE"][1]["JawOpen"]
    ramp = np.linspace(0, 1, 30)
    assert np.allclose(jaw["hold"][10:20], ramp[9], atol=1e-6)
    assert np.allclose(jaw["interpolate"][10:20], ramp[10:20], atol=1e-5)  # linear across the gap
    assert np.allclose(jaw["neutral"][10:20], 0)
    assert np.allclose(jaw["hold"][20:], ramp[20:], atol=1e-6)


def test_multi_face_tracks_export_one_chosen_face(tmp_path):
    from facemimic.expressions import ExpressionTrack

    a, b = ramp_track(n=10, JawOpen=(0, 1)), ramp_track(n=10, JawOpen=(1, 0))
    arrays = {k: np.concatenate([a.to_arrays()[k], b.to_arrays()[k]]) for k in a.to_arrays()}
    arrays["face_id"] = np.repeat([0, 1], 10)
    order = np.lexsort((arrays["face_id"], arrays["time"]))
    tr = ExpressionTrack.from_arrays({k: v[order] for k, v in arrays.items()}, fps=30)
    r0 = export_track(tr, tmp_path / "f0.glb")
    r1 = export_track(tr, tmp_path / "f1.glb", face_id=1)
    assert any("faces [0, 1]" in n for n in r0.notes)
    j0 = _animation(read_glb(r0.path))[1]["HeadUE"][1]["JawOpen"]
    j1 = _animation(read_glb(r1.path))[1]["HeadUE"][1]["JawOpen"]
    assert j0[0] == 0 and j1[0] == 1 and len(j0) == 10
    with pytest.raises(ParameterError, match="face 7 is not in the track"):
        export_track(tr, tmp_path / "f7.glb", face_id=7)


def test_resampling_and_existing_animations_are_kept(tmp_path):
    tr = ramp_track(n=31, fps=30, JawOpen=(0, 1))
    first = export_track(tr, tmp_path / "first.glb", name="first")
    second = export_track(tr, tmp_path / "second.glb", avatar=first.path, fps=10, name="second")
    glb = read_glb(second.path)
    assert [a["name"] for a in glb.json["animations"]] == ["first", "second"]
    times = _animation(glb)[1]["HeadUE"][0]
    assert len(times) == 11 and np.allclose(np.diff(times), 0.1, atol=1e-6)
    assert_valid(second.path)


def test_bad_avatars_give_one_line_errors(tmp_path):
    tr = ramp_track(JawOpen=(0, 1))
    text = tmp_path / "notes.glb"
    text.write_text("hello")
    with pytest.raises(InputError, match=r"notes.glb: not a glTF file"):
        export_track(tr, tmp_path / "o.glb", avatar=text)
    plain = make_avatar(tmp_path / "plain.glb", [[]])
    with pytest.raises(InputError, match=r"plain.glb: has no morph targets"):
        export_track(tr, tmp_path / "o.glb", avatar=plain)
    odd = make_avatar(tmp_path / "odd.glb", [["Bulge", "Key 1", "Twist"]])
    with pytest.raises(InputError, match=r"odd.glb: none of its 3 morph target names .* found: Bulge, Key 1, Twist"):
        export_track(tr, tmp_path / "o.glb", avatar=odd)
    truncated = tmp_path / "cut.glb"
    truncated.write_bytes((tmp_path / "plain.glb").read_bytes()[:40])
    with pytest.raises(InputError, match="cut.glb"):
        export_track(tr, tmp_path / "o.glb", avatar=truncated)
    with pytest.raises(InputError, match="file not found"):
        export_track(tr, tmp_path / "o.glb", avatar=tmp_path / "missing.vrm")
    assert not (tmp_path / "o.glb").exists()


def test_unwritable_output_leaves_nothing_behind(tmp_path):
    tr = ramp_track(JawOpen=(0, 1))
    with pytest.raises(OutputError, match="does not exist"):
        export_track(tr, tmp_path / "missing" / "o.glb")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        import os

        if os.access(ro, os.W_OK):  # root ignores permissions: use a path under a file instead
            with pytest.raises(OutputError):
                export_track(tr, tmp_path / "o.glb" / "x.glb")
        else:
            with pytest.raises(OutputError):
                export_track(tr, ro / "o.glb")
    finally:
        ro.chmod(0o700)
    assert list(ro.iterdir()) == []


def test_registry_and_options_validation():
    for name in ("gltf", "vrm", "vrma", "godot", "unity"):
        ex = get_exporter(name)
        assert ex.name == name and ex.extension.startswith(".")
    with pytest.raises(UnknownNameError, match="valid formats: gltf, vrm, vrma, godot, unity"):
        get_exporter("fbx")
    with pytest.raises(ParameterError, match="gap"):
        ExportOptions(gaps="skip")
    with pytest.raises(ParameterError, match="fps"):
        ExportOptions(fps=0)
    with pytest.raises(ParameterError, match="no frames"):
        from facemimic.expressions import ExpressionTrack

        export_track(ExpressionTrack.empty(), "x.glb")


def test_gltf_avatar_with_external_buffer_and_image_is_folded_into_the_glb(tmp_path):
    import base64
    import json

    from facemimic.deliver.export.testhead import write_test_head
    from facemimic.samples import ensure_samples

    text = json.loads(write_test_head(tmp_path / "head.gltf").read_text())
    uri = text["buffers"][0]["uri"]
    (tmp_path / "head data.bin").write_bytes(base64.b64decode(uri.split(",", 1)[1]))
    text["buffers"][0]["uri"] = "head%20data.bin"  # URI-encoded relative path
    png = ensure_samples() / "Image_with_alpha.png"
    (tmp_path / "skin.png").write_bytes(png.read_bytes())
    text["images"] = [{"uri": "skin.png"}]
    text["samplers"] = [{}]
    text["textures"] = [{"source": 0, "sampler": 0}]
    avatar = tmp_path / "avatar.gltf"
    avatar.write_text(json.dumps(text))
    (tmp_path / "out").mkdir()  # written elsewhere: relative URIs would break, embedded data does not
    r = export_track(ramp_track(JawOpen=(0, 1)), tmp_path / "out" / "clip.glb", avatar=avatar)
    assert_valid(r.path)
    glb = read_glb(r.path)
    image = glb.json["images"][0]
    assert "uri" not in image and image["mimeType"] == "image/png"
    view = glb.json["bufferViews"][image["bufferView"]]
    assert glb.blob[view["byteOffset"]: view["byteOffset"] + view["byteLength"]] == png.read_bytes()
    assert len(glb.json["buffers"]) == 1 and "uri" not in glb.json["buffers"][0]


def test_track_file_paths_and_vrm_outputs_without_an_avatar(tmp_path):
    from facemimic.expressions import write_track

    path = write_track(ramp_track(JawOpen=(0, 1)), tmp_path / "t.npz")
    r = export_track(path, tmp_path / "plain.vrm", format="gltf")
    glb = read_glb(r.path)
    assert "VRMC_vrm" in glb.json["extensions"]  # a .vrm output is a real VRM (the VRM test head)
    assert glb.json["animations"][0]["name"] == "plain"
    assert_valid(r.path)


def test_head_rotation_turns_the_head_about_model_axes_whatever_the_rig():
    from facemimic.deliver.export.headpose import head_local_rotations, head_nodes
    from facemimic.deliver.export.vrma import _qmul, head_quaternions

    s = np.sin(np.pi / 4)
    # A rig whose bones are rotated: parent 90 deg about X, head -90 deg about X (world rest = identity).
    gltf = {"nodes": [{"name": "Root", "rotation": [s, 0, 0, s], "children": [1]},
                      {"name": "J_Bip_C_Head", "rotation": [-s, 0, 0, s]},
                      {"name": "Face", "mesh": 0}]}
    heads, how = head_nodes(gltf, [2])
    assert heads == [1] and "J_Bip_C_Head" in how
    pose = np.array([[30, 0, 0], [0, 20, 0], [10, -5, 15]], np.float32)
    local = head_local_rotations(gltf, 1, pose).astype(np.float64)
    parent = np.array([s, 0, 0, s])
    world = _qmul(np.broadcast_to(parent, local.shape), local)
    expect = head_quaternions(pose).astype(np.float64)  # world rest is identity, so world = delta
    assert np.allclose(np.abs(np.einsum("ij,ij->i", world, expect)), 1, atol=1e-5)
    # VRM 0.x models face -Z: yaw keeps its axis, pitch (about X) and roll (about Z) flip sign.
    vrm0 = {"nodes": [{"name": "head"}], "extensions": {"VRM": {"humanoid": {"humanBones": [{"bone": "head", "node": 0}]}}}}
    q0, q1 = head_local_rotations(vrm0, 0, pose), head_quaternions(pose)
    assert np.allclose(q0[0], q1[0], atol=1e-6)
    assert q0[1][0] < 0 < q1[1][0] and np.allclose(q0[2] * [-1, 1, -1, 1], q1[2], atol=1e-6)


def test_head_rotation_is_exported_on_the_test_head_and_vrm_head_bone(tmp_path):
    from facemimic.deliver.export.testhead import write_test_head
    from facemimic.deliver.export.vrma import head_quaternions

    tr = ramp_track(n=11, JawOpen=(0, 1), yaw=(0, 30))
    plain = export_track(tr, tmp_path / "h.glb")
    vrm = export_track(tr, tmp_path / "h.vrm", format="gltf", avatar=write_test_head(tmp_path / "a.vrm", vrm="1.0"))
    still = export_track(tr, tmp_path / "still.glb", head=False)
    assert_valid(plain.path, vrm.path)
    expect = head_quaternions(tr.head_rotation)
    for r, nodes in ((plain, {"HeadARKit", "HeadUE"}), (vrm, {"head"})):
        glb = read_glb(r.path)
        anim = glb.json["animations"][-1]
        rot = {glb.json["nodes"][c["target"]["node"]]["name"]: glb.accessor(anim["samplers"][c["sampler"]]["output"])
               for c in anim["channels"] if c["target"]["path"] == "rotation"}
        assert set(rot) == nodes
        for q in rot.values():
            assert np.allclose(q, expect, atol=1e-6)
    assert all(c["target"]["path"] == "weights" for c in read_glb(still.path).json["animations"][-1]["channels"])
