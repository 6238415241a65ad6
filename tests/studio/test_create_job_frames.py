"""Animation jobs pushed over the WebSocket (issue #14 §3): every change of the job's record and
the frame it has just drawn (a JPEG, at most 2 a second), also to a page that connects mid-job."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest
from studio_media import studio_client

PORT = 8771
PHOTO = "single_face.jpg"


def _decode(message):
    import cv2

    img = cv2.imdecode(np.frombuffer(base64.b64decode(message["jpeg"]), np.uint8), cv2.IMREAD_COLOR)
    assert img is not None, "not a JPEG"
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def test_job_socket_pushes_progress_and_decodable_frames_of_increasing_index(tmp_path, samples):
    import av

    with studio_client(tmp_path, "frames", PORT) as c:
        assert c.put(f"/api/create/upload/{PHOTO}", content=(samples / PHOTO).read_bytes()).status_code == 200
        url = f"ws://127.0.0.1:{PORT}/api/create/jobs/ws"
        with c.websocket_connect(url) as sock:
            hello = sock.receive_json()
            assert hello == {"type": "jobs", "jobs": []}
            job = c.post("/api/create/jobs", json={"source": f"portraits/{PHOTO}", "driver": "expression",
                                                   "value": "neutral 1s > surprised 3s > happy 4s", "size": 256,
                                                   "calibrate": False}).json()
            start = time.monotonic()
            frames, records, late = [], [], None
            while True:
                m = sock.receive_json()
                if m["type"] == "frame" and m["id"] == job["id"]:
                    frames.append(m)
                    if len(frames) == 2 and late is None:
                        # a page opened (or reloaded) mid-job: the list and the latest frame at once
                        with c.websocket_connect(url) as again:
                            late = [again.receive_json(), again.receive_json()]
                elif m["type"] == "job" and m["job"]["id"] == job["id"]:
                    records.append(m["job"])
                    if m["job"]["state"] not in ("queued", "running"):
                        break
            elapsed = time.monotonic() - start
    done = records[-1]
    assert done["state"] == "done", done
    states = [r["state"] for r in records]
    assert states[0] == "running" and "done" not in states[:-1]
    progress = [r["done"] for r in records if r["state"] == "running"]
    assert progress == sorted(progress) and max(progress) > 0
    # frames: decodable JPEGs, indices increasing, at most 2 a second
    index = [f["index"] for f in frames]
    assert len(frames) >= 3 and index[0] == 0 and all(b > a for a, b in zip(index, index[1:])), index
    assert len(frames) <= elapsed / 0.5 + 2
    assert late[0]["type"] == "jobs" and [j["state"] for j in late[0]["jobs"]] == ["running"]
    assert late[1]["type"] == "frame" and late[1]["id"] == job["id"] and late[1]["index"] >= index[1]
    images = [_decode(f) for f in frames]
    with av.open(str(tmp_path / done["video"])) as box:
        video = [f.to_ndarray(format="rgb24") for f in box.decode(video=0)]
    assert len(video) == done["frames"] and all(i < len(video) for i in index)
    for i, img in zip(index, images):
        assert img.shape == video[i].shape and max(img.shape[:2]) == 256
        own = np.abs(img.astype(int) - video[i]).mean()
        best = min(np.abs(img.astype(int) - v).mean() for v in video)
        # the video's frame at that index is the best match of all its frames (near-equal neighbours tie)
        assert own < 6.0 and own <= best + 0.1, (i, own, best)
    # the face moves (neutral -> surprised): the live frames are not one picture
    assert np.abs(images[-1].astype(int) - images[0]).mean() > 1.5
    print(f"{len(frames)} live frames over {elapsed:.1f} s, indices {index}")


def test_job_socket_needs_the_token_and_the_studios_origin(tmp_path):
    from starlette.websockets import WebSocketDisconnect

    url = f"ws://127.0.0.1:{PORT}/api/create/jobs/ws"
    with studio_client(tmp_path, "frames", PORT) as c:
        with pytest.raises(WebSocketDisconnect) as e:
            with c.websocket_connect(url, headers={"origin": "http://evil.example"}):
                pass
        assert e.value.code == 4403
        c.cookies.clear()
        with pytest.raises(WebSocketDisconnect) as e:
            with c.websocket_connect(url):
                pass
        assert e.value.code == 4401
