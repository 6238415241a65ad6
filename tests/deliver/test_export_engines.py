"""Godot 4 .tres and Unity .anim clips, parsed by the tests' own readers of each grammar."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest

from export_helpers import make_avatar, parse_tres, parse_unity_yaml, ramp_track, real_track
from facemimic.deliver.export import export_track
from facemimic.deliver.export.aliases import resolve_name
from facemimic.deliver.export.signals import TrackSignals


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    d = tmp_path_factory.mktemp("engines")
    tr = real_track()
    return tr, export_track(tr, d / "talk.tres"), export_track(tr, d / "talk.anim")


def _expected(track, name):
    """What a target named ``name`` must carry (via the alias table and the track's own data)."""
    filled = track.fill_gaps("hold")
    return TrackSignals.from_track(filled).values(resolve_name(name))


def _godot_tracks(props):
    ids = sorted({int(m.group(1)) for k in props if (m := re.match(r"tracks/(\d+)/", k))})
    assert ids == list(range(len(ids)))  # contiguous from 0
    out = []
    for i in ids:
        p = {k.split("/", 2)[2]: v for k, v in props.items() if k.startswith(f"tracks/{i}/")}
        assert set(p) == {"type", "imported", "enabled", "path", "interp", "loop_wrap", "keys"}
        out.append(p)
    return out


def test_godot_resource_grammar_and_values(real):
    tr, res, _ = real
    doc = parse_tres(res.path.read_text())
    assert doc["header"] == {"type": "Animation", "format": "3"}
    props = doc["props"]
    assert props["resource_name"] == "talk" and props["loop_mode"] == 0
    assert props["step"] == pytest.approx(1 / tr.fps, rel=1e-5)
    t = tr.time - tr.time[0]
    assert props["length"] == pytest.approx(t[-1], abs=1e-5)
    tracks = _godot_tracks(props)
    assert len(tracks) == 150 == len(res.mapped)
    for p in tracks:
        assert p["type"] == "blend_shape" and p["interp"] == 1 and p["enabled"] and p["imported"] is False
        kind, path = p["path"]
        node, shape = path.split(":")
        assert kind == "NodePath" and node in ("HeadARKit", "HeadUE")
        keys = p["keys"]
        assert len(keys) % 3 == 0 and len(keys) >= 6  # (time, transition, value) triplets
        times, trans, values = keys[0::3], keys[1::3], keys[2::3]
        assert times[0] == 0 and np.all(np.diff(times) > 0) and times[-1] == pytest.approx(t[-1], abs=1e-5)
        assert np.all(trans == 1) and np.all((values >= 0) & (values <= 1))
        # Linear interpolation of the (reduced) keys gives back every frame's value.
        assert np.allclose(np.interp(t, times, values), _expected(tr, shape), atol=2e-6), shape
    smile = next(p for p in tracks if p["path"][1] == "HeadARKit:mouthSmileLeft")
    assert len(smile["keys"]) // 3 > len(tr) // 2  # a moving shape keeps (almost) every frame
    still = next(p for p in tracks if p["path"][1] == "HeadUE:TongueOut")
    assert len(still["keys"]) == 6  # a still shape is two keys


def test_godot_node_path_override_and_escaping(tmp_path):
    avatar = make_avatar(tmp_path / "q.glb", [['Say "aa"', "jawOpen"]])
    tr = ramp_track(n=5, JawOpen=(0, 1))
    res = export_track(tr, tmp_path / "q.tres", avatar=avatar, node_path="Armature/Skeleton3D/Body", loop=True)
    props = parse_tres(res.path.read_text())["props"]
    tracks = _godot_tracks(props)
    assert [p["path"][1] for p in tracks] == ["Armature/Skeleton3D/Body:jawOpen"]
    assert props["loop_mode"] == 1
    assert res.unmapped_targets == ('Mesh0/Say "aa"',)


def _curves(section):
    out = {}
    for c in section:
        assert set(c) == {"curve", "attribute", "path", "classID", "script"}
        assert c["classID"] == 137 and c["script"] == {"fileID": 0}
        assert c["attribute"].startswith("blendShape.")
        curve = c["curve"]
        assert curve["serializedVersion"] == 2 and curve["m_PreInfinity"] == 2
        out[(c["path"], c["attribute"][len("blendShape."):])] = curve["m_Curve"]
    return out


def test_unity_clip_grammar_and_values(real):
    tr, _, res = real
    text = res.path.read_text()
    doc = parse_unity_yaml(text)
    assert doc["class"] == 74 and doc["id"] == 7400000
    clip = doc["body"]["AnimationClip"]
    assert clip["m_Name"] == "talk" and clip["m_SampleRate"] == pytest.approx(tr.fps)
    for empty in ("m_RotationCurves", "m_PositionCurves", "m_ScaleCurves", "m_EulerCurves", "m_PPtrCurves"):
        assert clip[empty] == []
    t = tr.time - tr.time[0]
    assert clip["m_AnimationClipSettings"]["m_StopTime"] == pytest.approx(t[-1], abs=1e-5)
    assert clip["m_AnimationClipSettings"]["m_LoopTime"] == 0
    curves = _curves(clip["m_FloatCurves"])
    assert curves == _curves(clip["m_EditorCurves"])
    assert len(curves) == 150
    for (path, shape), keys in curves.items():
        assert path in ("HeadARKit", "HeadUE")
        times = np.array([k["time"] for k in keys])
        values = np.array([k["value"] for k in keys])
        assert all(set(k) == {"serializedVersion", "time", "value", "inSlope", "outSlope", "tangentMode",
                              "weightedMode", "inWeight", "outWeight"} for k in keys)
        assert all(k["tangentMode"] == 69 and k["weightedMode"] == 0 for k in keys)
        assert times[0] == 0 and np.all(np.diff(times) > 0)
        assert np.all((values >= 0) & (values <= 100))  # Unity blend shapes are 0..100
        assert np.allclose(np.interp(t, times, values) / 100, _expected(tr, shape), atol=2e-6), shape
        if len(keys) > 1:  # linear slopes: the out-slope of a key is the slope to the next one
            slopes = np.diff(values) / np.diff(times)
            assert np.allclose([k["outSlope"] for k in keys[:-1]], slopes, rtol=1e-4, atol=1e-3)
            assert np.allclose([k["inSlope"] for k in keys[1:]], slopes, rtol=1e-4, atol=1e-3)
    bindings = clip["m_ClipBindingConstant"]["genericBindings"]
    assert {(b["path"], b["attribute"]) for b in bindings} == {
        (zlib.crc32(p.encode()), zlib.crc32(f"blendShape.{s}".encode())) for p, s in curves}


def test_unity_node_path_and_quoting(tmp_path):
    avatar = make_avatar(tmp_path / "u.glb", [["jawOpen", "Fcl_MTH_A", "mouth: open"]])
    tr = ramp_track(n=5, JawOpen=(0, 1))
    res = export_track(tr, tmp_path / "u.anim", avatar=avatar, node_path="Body", loop=True, name="Talk: 1")
    clip = parse_unity_yaml(res.path.read_text())["body"]["AnimationClip"]
    assert clip["m_Name"] == "Talk: 1" and clip["m_AnimationClipSettings"]["m_LoopTime"] == 1
    curves = _curves(clip["m_FloatCurves"])
    assert set(curves) == {("Body", "jawOpen"), ("Body", "Fcl_MTH_A")}
    assert [k["value"] for k in curves[("Body", "jawOpen")]] == pytest.approx([0, 25, 50, 75, 100])
    assert res.unmapped_targets == ("Mesh0/mouth: open",)
    try:  # A second, full YAML parser agrees where one is installed (small file: PyYAML is slow).
        import yaml
    except ImportError:
        return
    loader = type("UnityLoader", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("tag:unity3d.com,2011:", lambda ld, s, n: ld.construct_mapping(n, deep=True))
    full = yaml.load(res.path.read_text(), Loader=loader)["AnimationClip"]
    assert full["m_Name"] == "Talk: 1"
    assert [c["attribute"] for c in full["m_FloatCurves"]] == ["blendShape.jawOpen", "blendShape.Fcl_MTH_A"]
