"""avatar3d end to end: a real photo -> VRM 1.0 / glTF files checked by independent tools.

The Khronos glTF validator, three-vrm in headless Chromium, the test's own GLB reader and Pillow read
the files back; the preview is re-tracked by the capture stage (a face must be found in it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deliver"))  # the export tests' harness
from export_helpers import BrowserProbe, assert_valid, read_glb  # noqa: E402

from facemimic.cli import cli  # noqa: E402
from facemimic.expressions.names import ARKIT_NAMES, UE_NAMES  # noqa: E402


@pytest.fixture(scope="session")
def made(samples, tmp_path_factory):
    """single_face.jpg made into me.vrm (+ preview, through the CLI) and me.glb (through the API)."""
    import facemimic

    folder = tmp_path_factory.mktemp("avatar3d")
    res = CliRunner().invoke(cli, ["avatar3d", str(samples / "single_face.jpg"), "-o", str(folder / "me.vrm"),
                                   "--preview", str(folder / "me.png")])
    assert res.exit_code == 0, res.output
    result = facemimic.avatar3d(samples / "single_face.jpg", folder / "me.glb", hair="none")
    return {"folder": folder, "cli": res.output, "glb": result}


def test_cli_reports_what_it_made(made):
    out = made["cli"]
    assert "me.vrm: VRM avatar, 115 morph targets" in out and "me.png: preview" in out
    r = made["glb"]
    assert r.format == "glb" and r.targets == 115 and r.faces_found == 1 and r.hair_rgb is None
    assert r.fit_error < 0.015 and r.yaw_deg < 30
    assert (made["folder"] / "me.glb").stat().st_size == r.bytes < 10_000_000


def test_files_pass_the_khronos_validator(made):
    reports = assert_valid(made["folder"] / "me.vrm", made["folder"] / "me.glb")
    for report in reports.values():
        assert report["issues"]["numWarnings"] == 0, report["issues"]["messages"][:5]


def test_every_arkit_and_ue_name_is_a_target_with_real_motion(made):
    glb = read_glb(made["folder"] / "me.vrm")
    mesh = glb.json["meshes"][0]
    names = mesh["extras"]["targetNames"]
    lower = {n.lower(): i for i, n in enumerate(names)}
    assert len(names) == 115 and all(n.lower() in lower for n in (*ARKIT_NAMES, *UE_NAMES))
    # and the two brow combination shapes, with the rule that drives them (head3d/combos.py)
    assert names[-2:] == ["browInnerUp_browDownLeft", "browInnerUp_browDownRight"]
    assert mesh["extras"]["combinations"]["browInnerUp_browDownLeft"] == {"drivers": ["browInnerUp", "browDownLeft"],
                                                                         "weight": "min"}
    skin = mesh["primitives"][0]
    pos = glb.accessor(skin["attributes"]["POSITION"])
    ipd = float(np.linalg.norm(pos[473] - pos[468]))  # the first 478 vertices are the landmarks
    assert 0.055 < ipd < 0.07

    def moved(name):
        return glb.accessor(skin["targets"][lower[name.lower()]]["POSITION"])

    jaw = moved("jawOpen")
    # the chin drops by most of the unit's JawOpen extent (0.75 IPD), the forehead hardly moves
    assert jaw[152, 1] < -0.45 * ipd and abs(jaw[10]).max() < abs(jaw[152, 1]) / 6
    # UE-only names, the two parts of ARKit's smile (head3d.targets.merged_part): the subject's left
    # corner goes out (pull) / up (slant), the other corner stays
    smile, slant = moved("MouthCornerPullLeft"), moved("MouthCornerSlantLeft")
    assert smile[291, 0] > 0.03 * ipd and abs(smile[61]).max() < abs(smile[291]).max() / 2
    assert slant[291, 1] > 0.03 * ipd and abs(slant[61]).max() < abs(slant[291]).max() / 2
    blink = moved("eyeBlinkLeft")
    gap = pos[386, 1] - pos[374, 1]
    closed = (pos[386, 1] + blink[386, 1]) - (pos[374, 1] + blink[374, 1])
    assert gap > 0 and abs(closed) < 0.25 * gap  # the lids meet at 1.0


def test_texture_is_the_photo(made, samples):
    import io

    from PIL import Image

    glb = read_glb(made["folder"] / "me.glb")
    view = glb.json["bufferViews"][glb.json["images"][0]["bufferView"]]
    tex = np.asarray(Image.open(io.BytesIO(glb.blob[view["byteOffset"]:view["byteOffset"] + view["byteLength"]]))
                     .convert("RGB"), np.float64) / 255
    photo = np.asarray(Image.open(samples / "single_face.jpg").convert("RGB"), np.float64) / 255
    cheek_tex = tex[int(0.55 * tex.shape[0]), int(0.3 * tex.shape[1])]
    face_photo = photo[230:300, 230:330].reshape(-1, 3).mean(axis=0)  # the photo's cheeks and nose
    assert np.abs(cheek_tex - face_photo).max() < 0.15, (cheek_tex, face_photo)
    assert tex.std(axis=(0, 1)).mean() > 0.02  # not a flat colour: the face's detail is there


def test_loads_in_three_vrm(made, tmp_path):
    probe = BrowserProbe(tmp_path)
    try:
        import shutil

        shutil.copy(made["folder"] / "me.vrm", tmp_path / "me.vrm")
        got = probe.page.evaluate("""async (url) => {
          const { GLTFLoader } = await import('three/addons/loaders/GLTFLoader.js');
          const { VRMLoaderPlugin } = await import('@pixiv/three-vrm');
          const loader = new GLTFLoader(); loader.register(p => new VRMLoaderPlugin(p));
          const vrm = (await loader.loadAsync(url)).userData.vrm;
          const read = () => { const m = {}; vrm.scene.traverse(o => { if (o.isMesh && o.morphTargetDictionary)
              for (const [k, i] of Object.entries(o.morphTargetDictionary))
                if (o.morphTargetInfluences[i] > 1e-4) m[k] = o.morphTargetInfluences[i]; }); return m; };
          vrm.expressionManager.setValue('blink', 1.0); vrm.update(0); const blink = read();
          vrm.expressionManager.setValue('blink', 0); vrm.expressionManager.setValue('UE_JawOpen', 1); vrm.update(0);
          return {names: vrm.expressionManager.expressions.map(e => e.expressionName), blink, jaw: read(),
                  head: !!vrm.humanoid.getRawBoneNode('head'), lookAt: vrm.lookAt !== null,
                  copyright: vrm.meta.copyrightInformation};
        }""", "/files/me.vrm")
    finally:
        probe.close()
    assert not probe.errors
    assert got["head"] and got["lookAt"] and "Synthetic media" in got["copyright"]
    assert {"happy", "angry", "sad", "relaxed", "surprised", "aa", "blink", "lookLeft"} <= set(got["names"])
    assert {f"UE_{n}" for n in UE_NAMES} <= set(got["names"])
    assert got["blink"] == {"eyeBlinkLeft": 1, "eyeBlinkRight": 1} and got["jaw"] == {"jawOpen": 1}


def test_open_mouth_stays_red_brown_in_three_vrm(made, tmp_path):
    """The mouth's inside has its own matte material (write.MOUTH_INSIDE): with the parts' glossy one
    (roughness 0.55, F0 0.04) three-vrm put a grey highlight over the dark red-brown cavity, and the
    opening's centre at jawOpen 0.6 showed grey (65, 56, 55); the teeth keep the gloss."""
    import base64
    import io
    import shutil

    from PIL import Image

    shutil.copy(made["folder"] / "me.vrm", tmp_path / "me.vrm")
    probe = BrowserProbe(tmp_path)
    try:
        got = probe.page.evaluate("""async (url) => {
          const THREE = await import('three');
          const { GLTFLoader } = await import('three/addons/loaders/GLTFLoader.js');
          const { VRMLoaderPlugin } = await import('@pixiv/three-vrm');
          const loader = new GLTFLoader(); loader.register(p => new VRMLoaderPlugin(p));
          const vrm = (await loader.loadAsync(url)).userData.vrm;
          const r = new THREE.WebGLRenderer({antialias: true, preserveDrawingBuffer: true});
          r.setSize(512, 512); document.body.appendChild(r.domElement);
          const scene = new THREE.Scene(); scene.background = new THREE.Color(0.93, 0.93, 0.95);
          scene.add(vrm.scene); scene.add(new THREE.AmbientLight(0xffffff, 1.2));
          const d = new THREE.DirectionalLight(0xffffff, 2.0); d.position.set(0.25, 0.35, 1.0); scene.add(d);
          const p = new THREE.Vector3(); vrm.humanoid.getRawBoneNode('head').getWorldPosition(p);
          const cam = new THREE.PerspectiveCamera(20, 1, 0.01, 10);
          cam.position.set(p.x, p.y + 0.05, p.z + 0.6); cam.lookAt(p.x, p.y + 0.05, p.z);
          const shots = [];
          for (const w of [0.0, 0.6]) {
            vrm.expressionManager.setValue('UE_JawOpen', w); vrm.update(0);
            r.render(scene, cam); shots.push(r.domElement.toDataURL('image/png'));
          }
          const mats = []; vrm.scene.traverse(o => { if (o.isMesh) mats.push(o.material.name); });
          return {shots, mats};
        }""", "/files/me.vrm")
    finally:
        probe.close()
    assert not probe.errors
    shut, jaw = (np.asarray(Image.open(io.BytesIO(base64.b64decode(u.split(",")[1]))).convert("RGB"), np.float64)
                 for u in got["shots"])
    # the opening: what the jaw darkened in the face's lower middle; its centre, a 7x7 patch
    dark = (shut.sum(axis=2) - jaw.sum(axis=2) > 150) & (jaw.sum(axis=2) < 300)
    dark[:, :156] = dark[:, 356:] = False
    ys, xs = np.nonzero(dark)
    assert len(ys) > 2000, len(ys)  # the mouth is open
    cy, cx = int(np.median(ys)), int(np.median(xs))
    r, g, b = jaw[cy - 3:cy + 4, cx - 3:cx + 4].reshape(-1, 3).mean(axis=0)
    assert r > 1.8 * max(g, b) and r - max(g, b) > 12, (r, g, b)  # red-brown, not grey
    assert {"Skin", "Parts", "MouthInside"} <= set(got["mats"])


def test_preview_shows_a_face_the_capture_stage_finds(made):
    from PIL import Image

    from facemimic.capture.api import StillTracker

    img = np.asarray(Image.open(made["folder"] / "me.png").convert("RGB"))
    assert img.shape == (512, 1024, 3)
    with StillTracker(max_faces=2) as tracker:
        front = tracker.faces(np.ascontiguousarray(img[:, :512]))
        turned = tracker.faces(np.ascontiguousarray(img[:, 512:]))
    assert len(front) == 1 and len(turned) == 1
    assert abs(front[0].head_rotation[0]) < 10 and abs(turned[0].head_rotation[0]) > 20


@pytest.mark.parametrize("case", ["no face", "several faces", "face out of range", "profile", "tiny face",
                                  "not an image", "missing folder", "bad extension", "huge photo"])
def test_bad_input_is_one_line_and_leaves_nothing(case, samples, tmp_path):
    photo, args = samples / "single_face.jpg", []
    out = tmp_path / "a.vrm"
    want = {"no face": "no face found", "several faces": "5 faces found; choose one with --face N",
            "face out of range": "--face 7 asked for, but only 5 faces found", "profile": "turned 46 degrees",
            "tiny face": "too small", "not an image": "not an image", "missing folder": "does not exist",
            "bad extension": "unknown avatar format '.obj'", "huge photo": "photo too large"}[case]
    if case == "no face":
        photo = samples / "free-mountain-vector-01.jpg"
    elif case in ("several faces", "face out of range"):
        photo = samples / "multi_face.jpg"
        args = ["--face", "7"] if case == "face out of range" else []
    elif case == "profile":
        photo = samples / "45-m7-di-ph.jpg"
    elif case == "tiny face":
        from PIL import Image

        photo = tmp_path / "tiny.jpg"
        Image.open(samples / "single_face.jpg").resize((48, 47)).save(photo)
    elif case == "not an image":
        photo = tmp_path / "text.jpg"
        photo.write_text("not a photo")
    elif case == "missing folder":
        out = tmp_path / "nowhere" / "a.vrm"
    elif case == "bad extension":
        out = tmp_path / "a.obj"
    elif case == "huge photo":
        photo = _png_claiming(tmp_path / "huge.png", 20000, 20000)
    res = CliRunner().invoke(cli, ["avatar3d", str(photo), "-o", str(out), "--preview", str(tmp_path / "p.png"), *args])
    assert res.exit_code == 1, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and want in lines[0], res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in [photo] if p.parent == tmp_path)  # nothing written, no temporary file


@pytest.mark.parametrize("case", ["empty", "text"])
def test_a_bad_video_is_one_line_on_the_console(case, tmp_path):
    # FFmpeg under OpenCV printed "[mov,mp4,...] moov atom not found" to fd 2 before our error:
    # only a real process shows it (CliRunner captures Python's streams, not fd 2).
    import subprocess
    import sys

    video = tmp_path / f"{case}.mp4"
    video.write_bytes(b"" if case == "empty" else b"not a video\n")
    res = subprocess.run([sys.executable, "-m", "facemimic", "avatar3d", str(video), "-o", str(tmp_path / "a.vrm")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    lines = (res.stdout + res.stderr).strip().splitlines()
    want = "file is empty" if case == "empty" else "cannot read the video"
    assert len(lines) == 1 and lines[0].startswith(f"Error: {video}: ") and want in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == [video.name]


def _png_claiming(path: Path, width: int, height: int) -> Path:
    """A real 1x1 PNG whose header claims width x height (what a decompression bomb looks like)."""
    import io
    import struct
    import zlib

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    ihdr = data[12:29]  # b"IHDR" + 13 bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    path.write_bytes(bytes(data))
    return path


def test_a_large_photo_is_scaled_down_with_a_note(samples, tmp_path):
    from PIL import Image

    import facemimic

    big = tmp_path / "big.jpg"
    Image.open(samples / "single_face.jpg").resize((4000, 3930)).save(big, quality=80)
    r = facemimic.avatar3d(big, tmp_path / "big.glb", hair="none", shapes="arkit")
    assert r.targets == 52 and any("scaled down from 4000x3930" in n for n in r.notes)
    assert json.loads(json.dumps(r.fit_error)) < 0.015


def test_export_drives_each_shape_once(made, tmp_path):
    """`facemimic export --avatar me.vrm`: the ARKit targets carry a real smile, the UE copies of the
    same shapes stay still (driving both would double it)."""
    from facemimic.expressions.io import write_track
    from facemimic.expressions.track import ExpressionTrack
    from facemimic.generate.api import express

    write_track(ExpressionTrack.from_frames(express("happy", intensity=1.0, seed=0)), tmp_path / "happy.jsonl")
    res = CliRunner().invoke(cli, ["export", str(tmp_path / "happy.jsonl"), "-o", str(tmp_path / "h.glb"),
                                   "--avatar", str(made["folder"] / "me.vrm")])
    assert res.exit_code == 0, res.output
    glb = read_glb(tmp_path / "h.glb")
    names = glb.json["meshes"][0]["extras"]["targetNames"]
    anim = glb.json["animations"][0]
    [ch] = [c for c in anim["channels"] if c["target"]["path"] == "weights"]
    w = dict(zip(names, glb.accessor(anim["samplers"][ch["sampler"]]["output"]).reshape(-1, len(names))[0]))
    assert w["mouthSmileLeft"] > 0.5 and w["mouthSmileRight"] > 0.5
    assert w["MouthCornerPullLeft"] == 0 and w["MouthCornerSlantLeft"] == 0


def test_one_vocabulary_and_options(samples, tmp_path):
    import facemimic
    from facemimic.head3d.api import Avatar3DOptions

    opts = Avatar3DOptions(shapes="ue", hair="none", texture_size=256)
    r = facemimic.avatar3d(samples / "single_face.jpg", tmp_path / "ue.vrm", options=opts)
    again = facemimic.avatar3d(samples / "single_face.jpg", tmp_path / "ue2.vrm", options=opts)
    assert r.targets == 88 and r.hair_rgb is None
    assert (tmp_path / "ue.vrm").read_bytes() == (tmp_path / "ue2.vrm").read_bytes() and again.bytes == r.bytes
    glb = read_glb(tmp_path / "ue.vrm")
    assert glb.json["meshes"][0]["extras"]["targetNames"] == list(UE_NAMES)
    custom = glb.json["extensions"]["VRMC_vrm"]["expressions"]["custom"]
    assert custom["UE_JawOpen"]["morphTargetBinds"] == [{"node": 0, "index": UE_NAMES.index("JawOpen"), "weight": 1.0}]
    assert_valid(tmp_path / "ue.vrm")
    with pytest.raises(facemimic.FaceMimicError, match="shapes must be one of"):
        Avatar3DOptions(shapes="visemes")
    with pytest.raises(facemimic.FaceMimicError, match="hair must be one of"):
        Avatar3DOptions(hair="mohawk")


def test_several_views_of_one_person(samples, tmp_path):
    """A short video (12 frames spread over it) and a list of photos: the shape from every usable
    view, unusable ones left out with a note, none usable is one line."""
    import facemimic
    from facemimic.head3d.api import Avatar3DOptions, make_avatar

    opts = Avatar3DOptions(hair="none", texture_size=256)
    video = make_avatar(samples / "single_face.mp4", opts)
    assert video.views == 12 and any("shape from 12 views" in n for n in video.notes)
    one = make_avatar(samples / "single_face.mp4", opts)  # the same frames again: the same face
    assert np.allclose(one.head.skin.positions, video.head.skin.positions)
    mixed = facemimic.avatar3d([samples / "single_face.jpg", samples / "free-mountain-vector-01.jpg"],
                               tmp_path / "mixed.glb", options=opts)
    assert mixed.views == 1 and any("left out" in n and "no face found" in n for n in mixed.notes)
    res = CliRunner().invoke(cli, ["avatar3d", str(samples / "free-mountain-vector-01.jpg"),
                                   str(samples / "45-m7-di-ph.jpg"), "-o", str(tmp_path / "none.glb")])
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    assert "none of the 2 views can be used" in res.output and "turned 46 degrees" in res.output
    assert not (tmp_path / "none.glb").exists()


def test_export_drives_the_brow_combinations_as_the_renderer_does(made, tmp_path):
    """A fearful clip exported onto the avatar: its combination targets (browInnerUp_browDown*,
    declared in the mesh's extras) carry, frame by frame, the smaller of their two ARKit drivers,
    the weight FaceMimic's renderer gives them (head3d.combos), in glTF and in a Unity clip; nothing
    is reported as not driven."""
    import facemimic
    from facemimic.expressions.io import read_track, write_track
    from facemimic.expressions.track import ExpressionTrack
    from facemimic.generate.api import express
    from facemimic.head3d.combos import COMBINATION_NAMES, combination_weights
    from facemimic.head3d.fit import frame_arkit

    frames = express("fearful", intensity=1.0, seed=0)
    write_track(ExpressionTrack.from_frames(frames), tmp_path / "fear.jsonl")
    track = read_track(tmp_path / "fear.jsonl")
    res = facemimic.export(track, tmp_path / "f.glb", avatar=made["folder"] / "me.vrm")
    assert res.unmapped_targets == ()
    assert any("UE-named targets left at rest" in n for n in res.notes)
    glb = read_glb(tmp_path / "f.glb")
    names = glb.json["meshes"][0]["extras"]["targetNames"]
    anim = glb.json["animations"][0]
    [ch] = [c for c in anim["channels"] if c["target"]["path"] == "weights"]
    got = glb.accessor(anim["samplers"][ch["sampler"]]["output"]).reshape(-1, len(names))
    want = np.array([combination_weights(frame_arkit(f)) for f in track])
    cols = [names.index(n) for n in COMBINATION_NAMES]
    assert want.max() > 0.2  # fear raises the inner brow and lowers the brow together
    assert np.allclose(got[:, cols], want, atol=1e-5)
    unity = facemimic.export(track, tmp_path / "f.anim", avatar=made["folder"] / "me.vrm", format="unity")
    assert {(t, a) for _, t, a in unity.mapped if t in COMBINATION_NAMES} == {
        ("browInnerUp_browDownLeft", "min_of:browInnerUp,browDownLeft"),
        ("browInnerUp_browDownRight", "min_of:browInnerUp,browDownRight")}


def test_vrma_drives_the_avatars_ue_expressions_and_rests_the_presets_they_repeat(made, tmp_path):
    """`export --format vrma --avatar me.vrm`: the avatar's 88 UE_<shape> custom expressions carry the
    track's UE weights frame by frame (they were all reported not driven, and only 13 presets moved
    the face); the emotion and viseme presets, which bind the same targets, rest; the blinks stay."""
    import facemimic
    from facemimic.expressions.io import read_track, write_track
    from facemimic.expressions.track import ExpressionTrack
    from facemimic.generate.api import express

    write_track(ExpressionTrack.from_frames(express("disgusted", intensity=1.0, seed=0)), tmp_path / "d.jsonl")
    track = read_track(tmp_path / "d.jsonl")
    res = facemimic.export(track, tmp_path / "d.vrma", avatar=made["folder"] / "me.vrm", format="vrma")
    assert res.unmapped_targets == () and any(n.startswith("presets left at rest (happy") for n in res.notes)
    glb = read_glb(tmp_path / "d.vrma")
    exprs = glb.json["extensions"]["VRMC_vrm_animation"]["expressions"]
    assert len(exprs["custom"]) == len(UE_NAMES) and "happy" not in exprs["preset"] and "aa" not in exprs["preset"]
    assert {"blinkLeft", "blinkRight"} <= set(exprs["preset"])
    anim = glb.json["animations"][0]
    by_node = {c["target"]["node"]: glb.accessor(anim["samplers"][c["sampler"]]["output"]).reshape(len(track), -1)[:, 0]
               for c in anim["channels"] if c["target"]["path"] == "translation"}
    for name in ("NoseSneerLeft", "MouthUpperUpRight", "JawOpen"):
        got = by_node[exprs["custom"][f"UE_{name}"]["node"]]
        want = np.clip(np.nan_to_num(track.weights[:, UE_NAMES.index(name)]), 0, 1)
        assert np.allclose(got, want, atol=1e-6)
    assert by_node[exprs["custom"]["UE_NoseSneerLeft"]["node"]].max() > 0.3  # disgust wrinkles the nose


def test_a_missing_photo_or_output_in_python_is_named(samples, tmp_path):
    """``facemimic.avatar3d(None, ...)`` and ``avatar3d(photo, None)`` (a variable left unset) name
    the argument in one ParameterError before any work, not pathlib's TypeError."""
    from facemimic.errors import ParameterError
    from facemimic.head3d.api import avatar3d

    with pytest.raises(ParameterError, match="photo must be an image or video file path"):
        avatar3d(None, tmp_path / "me.vrm")
    with pytest.raises(ParameterError, match="photo must be"):
        avatar3d([samples / "single_face.jpg", None], tmp_path / "me.vrm")
    with pytest.raises(ParameterError, match="out must be a .vrm or .glb file path, got NoneType"):
        avatar3d(samples / "single_face.jpg", None)
    assert list(tmp_path.iterdir()) == []
