"""Exported files load and animate in three.js (GLTFLoader + AnimationMixer) in headless Chromium,
and VRMA clips drive a VRM through pixiv's three-vrm / three-vrm-animation loaders."""

from __future__ import annotations

import numpy as np
import pytest

from export_helpers import BrowserProbe, ramp_track, real_track
from facemimic.deliver.export import export_track
from facemimic.deliver.export.testhead import write_test_head


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    probe = BrowserProbe(tmp_path_factory.mktemp("www"))
    yield probe
    probe.close()
    assert not probe.errors, probe.errors


def test_ramp_clip_drives_morph_influences(browser, tmp_path):
    tr = ramp_track(n=31, fps=30, JawOpen=(0, 1), MouthCornerPullLeft=(1, 0), openness=(1, 0))
    res = export_track(tr, tmp_path / "ramp.glb")
    out = browser.probe(res.path, [0.25, 0.75])
    assert out["clip"] == "ramp" and out["duration"] == pytest.approx(1.0, abs=1e-5)
    assert out["tracks"] == 2  # one morph-weights track per head
    a, b = (s["meshes"] for s in out["samples"])
    # Linear keys: at t the weight is t (jaw) and 1 - t (smile corner pull, ARKit smile = mean).
    assert a["HeadARKit"]["jawOpen"] == pytest.approx(0.25, abs=1e-4)
    assert b["HeadARKit"]["jawOpen"] == pytest.approx(0.75, abs=1e-4)
    assert a["HeadUE"]["JawOpen"] == pytest.approx(0.25, abs=1e-4)
    assert a["HeadUE"]["MouthCornerPullLeft"] == pytest.approx(0.75, abs=1e-4)
    assert b["HeadARKit"]["mouthSmileLeft"] == pytest.approx(0.125, abs=1e-4)
    assert b["HeadARKit"]["eyeBlinkLeft"] == pytest.approx(0.75, abs=1e-4)
    assert b["HeadUE"]["EyeClosedRight"] == pytest.approx(0.75, abs=1e-4)
    assert a["HeadARKit"]["tongueOut"] == 0 == b["HeadARKit"]["tongueOut"]


def test_real_capture_animates_on_a_vrm_avatar(browser, tmp_path):
    tr = real_track()
    avatar = write_test_head(tmp_path / "avatar.vrm", vrm="1.0")
    res = export_track(tr, tmp_path / "real.vrm", format="gltf", avatar=avatar)
    t = tr.time - tr.time[0]
    i, j = 5, len(tr) - 12  # early neutral-ish frame, late smiling frame
    out = browser.probe(res.path, [t[i], t[j]])
    a, b = (s["meshes"]["HeadARKit"] for s in out["samples"])
    w = tr.fill_gaps("hold").weights
    from facemimic.expressions.names import UE_INDEX

    expect = lambda k: (w[k, UE_INDEX["MouthCornerPullLeft"]] + w[k, UE_INDEX["MouthCornerSlantLeft"]]) / 2  # noqa: E731
    assert a["mouthSmileLeft"] == pytest.approx(expect(i), abs=1e-4)
    assert b["mouthSmileLeft"] == pytest.approx(expect(j), abs=1e-4)
    assert abs(a["mouthSmileLeft"] - b["mouthSmileLeft"]) > 0.05  # the weights change over time
    assert out["samples"][0]["meshes"]["HeadUE"]["JawOpen"] == pytest.approx(w[i, UE_INDEX["JawOpen"]], abs=1e-4)
    # The captured head pose turns the VRM's head bone (its rest rotation is identity here).
    from facemimic.deliver.export.vrma import head_quaternions

    hq = head_quaternions(tr.fill_gaps("hold").head_rotation)
    for sample, k in zip(out["samples"], (i, j)):
        assert abs(np.dot(sample["nodes"]["head"][3:], hq[k])) == pytest.approx(1, abs=1e-5)
    assert abs(np.dot(hq[i], hq[j])) < 0.99999  # and it moves


def test_vrma_expression_nodes_move(browser, tmp_path):
    tr = ramp_track(n=21, fps=20, JawOpen=(0, 1), yaw=(0, 40))
    res = export_track(tr, tmp_path / "clip.vrma")
    out = browser.probe(res.path, [0.0, 0.5, 0.95])  # (the mixer loops at exactly 1.0)
    xs = [s["nodes"]["Expression_aa"][0] for s in out["samples"]]
    assert xs[0] == pytest.approx(0, abs=1e-5) and xs[1] == pytest.approx(0.5, abs=1e-3)
    assert xs[2] == pytest.approx(0.95, abs=1e-3)
    q0, q1 = out["samples"][0]["nodes"]["head"][3:], out["samples"][2]["nodes"]["head"][3:]
    assert q0 == pytest.approx([0, 0, 0, 1], abs=1e-5)
    assert q1[1] == pytest.approx(-np.sin(np.radians(38) / 2), abs=1e-3)  # yaw right = -Y rotation


def test_vrma_drives_a_vrm_through_three_vrm(browser, tmp_path):
    """End to end as VRM web apps do it: the test head VRM + our VRMA in @pixiv/three-vrm-animation."""
    tr = ramp_track(n=21, fps=20, JawOpen=(0, 1), MouthCornerPullLeft=(0, 1), MouthCornerPullRight=(0, 1),
                    openness=(1, 0), yaw=(0, 40), gaze_x=(0, 1))
    avatar = write_test_head(tmp_path / "head.vrm", vrm="1.0")
    clip = export_track(tr, tmp_path / "face.vrma", avatar=avatar)
    out = browser.probe_vrma(avatar, clip.path, [0.0, 0.5], ["aa", "happy", "blinkLeft", "blink"])
    assert any(t.endswith(".weight") for t in out["tracks"]) and any("quaternion" in t for t in out["tracks"])
    a, b = out["samples"]
    assert a["expressions"]["aa"] == pytest.approx(0, abs=1e-5)
    # "aa" at t = 0.5: jaw 0.5, unrounded lips -> 0.5; three-vrm applies it to the bound jawOpen.
    assert b["expressions"]["aa"] == pytest.approx(0.5, abs=1e-3)
    assert b["expressions"]["happy"] == pytest.approx(0.4, abs=1e-3)  # VRCFT smile 0.8 x 0.5
    # The avatar has blink and blinkLeft: both eyes half closed -> blink 0.5, sides carry the rest (0).
    assert b["expressions"]["blink"] == pytest.approx(0.5, abs=1e-3)
    assert b["expressions"]["blinkLeft"] == pytest.approx(0, abs=1e-3)
    morphs = b["morphs"]["HeadARKit"]
    assert morphs["jawOpen"] > 0.45  # aa binds jawOpen 1.0 (plus ih/ee/surprised contributions)
    # The test head's emotions block blinking (overrideBlink "block"), and three-vrm honours it:
    # while "happy" is on, the half-closed blink never reaches the eyelid targets.
    assert morphs["eyeBlinkLeft"] == pytest.approx(0, abs=1e-6)
    # Gaze to the subject's right (22.5 deg at t = 0.5): VRM yaw is negative (towards -X).
    assert b["yaw"] == pytest.approx(-np.degrees(np.arctan(0.5)), abs=0.5) and a["yaw"] == pytest.approx(0, abs=1e-3)
    # Head yaw 20 deg to the subject's right: a negative rotation about +Y.
    assert b["head"][1] == pytest.approx(-np.sin(np.radians(20) / 2), abs=1e-3)
