"""Calibration, profiles and takes in the studio: the files are the CLI's files.

A neutral-face calibration from real camera frames writes the profile `facemimic calibrate` writes
(and `facemimic track --profile` reads); calibrated weights follow the profile's formula; a recorded
take is a track file that reads back with the sent values and exports through the exporters."""

from __future__ import annotations

import json

import numpy as np
import pytest
from studio_media import CLIP, clip_frames

from facemimic.studio.live import encode_frame_message
from facemimic.studio.security import StudioSecurity
from facemimic.studio.server import StudioConfig, create_app

PORT = 8765


@pytest.fixture(scope="module")
def open_eye_frames(samples):
    return clip_frames(samples / CLIP, 6.0, 7.6)  # eyes open, a calm face


def _client(ws_dir):
    from fastapi.testclient import TestClient

    sec = StudioSecurity(token="takes-token", port=PORT)
    client = TestClient(create_app(StudioConfig(workspace=ws_dir, security=sec)), base_url=f"http://127.0.0.1:{PORT}")
    client.cookies.set(sec.cookie_name, "takes-token")
    return client


def _send_frames(ws, frames, first_id=0):
    """Send frames one at a time; -> every reply (frames and others) in order."""
    out = []
    for i, (t, jpeg) in enumerate(frames):
        ws.send_bytes(encode_frame_message(first_id + i, t, jpeg))
        while True:
            m = json.loads(ws.receive_text())
            out.append(m)
            if m["type"] in ("frame", "error"):
                break
    # messages sent after the frame reply (a finished profile) arrive next: drain them with a status
    ws.send_text(json.dumps({"type": "status"}))
    while (m := json.loads(ws.receive_text()))["type"] != "outputs":
        out.append(m)
    return out


def test_calibration_record_and_export(tmp_path, open_eye_frames, samples):
    from click.testing import CliRunner

    import facemimic
    from facemimic.capture.calibration import CalibrationProfile
    from facemimic.cli import cli

    with _client(tmp_path) as client, client.websocket_connect(f"ws://127.0.0.1:{PORT}/ws/live") as ws:
        ws.send_text(json.dumps({"type": "calibrate", "name": "me", "seconds": 0.8}))
        assert json.loads(ws.receive_text()) == {"type": "calibrating", "left": 0.8}
        replies = _send_frames(ws, open_eye_frames[:24])
        done = [m for m in replies if m["type"] == "profile"]
        assert len(done) == 1 and done[0]["path"] == "profiles/me.json" and 18 <= done[0]["frames"] <= 22
        assert [m["left"] for m in replies if m["type"] == "calibrating"] == sorted(
            (m["left"] for m in replies if m["type"] == "calibrating"), reverse=True)

        profile = CalibrationProfile.load(tmp_path / "profiles" / "me.json")
        assert profile.name == "me" and profile.units == "extent"

        ws.send_text(json.dumps({"type": "record", "on": True}))
        assert json.loads(ws.receive_text())["type"] == "recording"
        frames = [m for m in _send_frames(ws, open_eye_frames[24:], first_id=100) if m["type"] == "frame"]
        ws.send_text(json.dumps({"type": "record", "on": False}))
        take = json.loads(ws.receive_text())
        assert take["type"] == "take" and take["frames"] == len(frames) == len(open_eye_frames) - 24

        # calibrated = the profile's map of raw (the capture stage's frame), shape by shape
        base, spread, gain = profile.baseline, profile.spread, profile.gains
        changed = 0
        for m in frames:
            raw = np.array(m["raw"], float)
            expected = np.clip((raw - base - spread) * gain, 0, 1)
            assert np.allclose(np.array(m["weights"], float), expected, atol=2e-4)
            changed += int(np.abs(expected - raw).max() > 0.02)
        assert changed == len(frames)  # the calibration really changes what is sent

        # the take: a track file whose frames are the sent values, the profile in its header
        track = facemimic.read_track(tmp_path / take["path"])
        assert len(track) == len(frames) and track.time[0] == 0.0
        assert np.allclose(track.weights, np.array([m["sent"] for m in frames], float), atol=2e-4)
        assert track.metadata["capture"]["profile"] == "profiles/me.json"
        assert track.metadata["profile"]["name"] == "me"

        # downloads through the writers and exporters
        r = client.get(f"/api/export/{take['path']}", params={"format": "csv"})
        assert r.status_code == 200
        (tmp_path / "back.csv").write_bytes(r.content)
        assert np.allclose(facemimic.read_track(tmp_path / "back.csv").weights, track.weights, atol=1e-5)
        r = client.get(f"/api/export/{take['path']}", params={"format": "glb"})
        assert r.status_code == 200 and r.content[:4] == b"glTF"
        assert client.get("/api/export/%2e%2e/x.jsonl", params={"format": "csv"}).status_code == 403
        bad = client.get(f"/api/export/{take['path']}", params={"format": "exe"})
        assert bad.status_code == 400 and "valid:" in bad.json()["error"]

        # loading a bad profile is one line naming it
        (tmp_path / "profiles" / "broken.json").write_text("{not json")
        ws.send_text(json.dumps({"type": "profile", "path": "profiles/broken.json"}))
        err = json.loads(ws.receive_text())
        assert err["type"] == "error" and "broken.json" in err["message"] and "\n" not in err["message"]

    # The same file drives the CLI: `facemimic track --profile` on a photo.
    out = tmp_path / "face.jsonl"
    result = CliRunner().invoke(cli, ["track", str(samples / "single_face.jpg"), "--profile",
                                      str(tmp_path / "profiles" / "me.json"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert facemimic.read_track(out).metadata["capture"]["profile"].endswith("me.json")


def test_record_without_frames_is_an_error(tmp_path):
    with _client(tmp_path) as client, client.websocket_connect(f"ws://127.0.0.1:{PORT}/ws/live") as ws:
        ws.send_text(json.dumps({"type": "record", "on": True}))
        ws.receive_text()
        ws.send_text(json.dumps({"type": "record", "on": False}))
        m = json.loads(ws.receive_text())
        assert m["type"] == "error" and "nothing recorded" in m["message"]
        ws.send_text(json.dumps({"type": "calibrate", "name": "../evil"}))
        assert "profile name" in json.loads(ws.receive_text())["message"]
    assert not (tmp_path / "takes").exists()


def test_tuning_and_regions_change_what_is_sent(tmp_path, open_eye_frames):
    import facemimic
    from facemimic.capture.calibration import CalibrationProfile

    names = facemimic.UE_NAMES
    with _client(tmp_path) as client, client.websocket_connect(f"ws://127.0.0.1:{PORT}/ws/live") as ws:
        ws.send_text(json.dumps({"type": "tune", "link": True, "shapes": {
            "MouthCornerPullLeft": {"floor": 0.1, "ceiling": 0.7, "curve": 0.5}, "JawOpen": {"gain": 2.0}}}))
        m = json.loads(ws.receive_text())
        assert m["type"] == "tuning" and m["path"] == "profiles/tuned.json"
        assert m["shapes"]["MouthCornerPullRight"] == {"gain": 1.0, "floor": 0.1, "ceiling": 0.7, "curve": 0.5}
        saved = CalibrationProfile.load(tmp_path / "profiles" / "tuned.json")  # the CLI's --profile file
        assert saved.tuned and saved.gains[names.index("JawOpen")] == 2.0
        ws.send_text(json.dumps({"type": "output", "to": "vmc", "port": 9}))
        ws.receive_text()
        ws.send_text(json.dumps({"type": "regions", "to": "vmc", "off": ["Mouth", "Tongue"]}))
        assert json.loads(ws.receive_text()) == {"type": "regions", "to": "vmc", "off": ["Mouth", "Tongue"]}
        frames = [m for m in _send_frames(ws, open_eye_frames[:12]) if m["type"] == "frame"]
        ws.send_text(json.dumps({"type": "regions", "to": "vmc", "off": ["Lips", "Chin"]}))
        assert "regions must be a list" in json.loads(ws.receive_text())["message"]
    mouth = [names.index(n) for n in names if n.startswith("Mouth")]
    for m in frames:
        raw, cal, sent = (np.array(m[k], float) for k in ("raw", "weights", "sent"))
        # calibrated: the profile's gains (the gain slider edits them); sent: + floor, ceiling, curve
        expected_cal = raw.copy()
        expected_cal[names.index("JawOpen")] = min(1.0, raw[names.index("JawOpen")] * 2)
        assert np.allclose(cal, expected_cal, atol=1e-4)
        tuned = expected_cal.copy()
        for n in ("MouthCornerPullLeft", "MouthCornerPullRight"):
            tuned[names.index(n)] = np.clip((raw[names.index(n)] - 0.1) / 0.6, 0, 1) ** 0.5
        tuned[mouth] = 0.0  # this output does not send the mouth region
        assert np.allclose(sent, tuned, atol=3e-4)
    assert max(m["raw"][names.index("MouthCornerPullLeft")] for m in frames) > 0.15  # the tuning had work to do
