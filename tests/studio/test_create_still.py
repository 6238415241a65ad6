"""The designer's pose on the user's portrait (issue #14 §1): stills drawn by the animator."""

from __future__ import annotations

import time

import numpy as np
import pytest

from facemimic.expressions.names import UE_NAMES
from facemimic.studio.security import StudioSecurity
from facemimic.studio.server import StudioConfig, create_app

PORT = 8771
PHOTO = "single_face.jpg"


@pytest.fixture(scope="module")
def client(tmp_path_factory, samples):
    from fastapi.testclient import TestClient

    ws = tmp_path_factory.mktemp("still-ws")
    sec = StudioSecurity(token="still-token", port=PORT)
    with TestClient(create_app(StudioConfig(workspace=ws, security=sec)), base_url=f"http://127.0.0.1:{PORT}") as c:
        c.cookies.set(sec.cookie_name, "still-token")
        assert c.put(f"/api/create/upload/{PHOTO}", content=(samples / PHOTO).read_bytes()).status_code == 200
        yield c


def _decode(data: bytes) -> np.ndarray:
    import cv2

    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def test_stills_follow_the_pose_and_are_quick_after_the_first(client):
    v = client.post("/api/create/express", json={"prompt": "surprised", "seed": 1}).json()["variations"][0]
    pose = {k: v[k] for k in ("weights", "openness", "gaze", "head")}
    neutral = dict(pose, weights=[0.0] * len(UE_NAMES), openness=[1, 1], head=[0, 0, 0], gaze=[[0, 0], [0, 0]])
    t = time.perf_counter()
    r0 = client.post("/api/create/still", json=dict(neutral, source=f"portraits/{PHOTO}", size=512))
    first = time.perf_counter() - t
    assert r0.status_code == 200 and r0.headers["content-type"] == "image/jpeg" and r0.headers["x-still-crop"] == "fit"
    a = _decode(r0.content)
    assert max(a.shape[:2]) == 512
    times = []
    for _ in range(5):
        t = time.perf_counter()
        r1 = client.post("/api/create/still", json=dict(pose, source=f"portraits/{PHOTO}", size=512))
        times.append(time.perf_counter() - t)
    b = _decode(r1.content)
    print(f"first still {first * 1000:.0f} ms, then median {np.median(times) * 1000:.0f} ms")
    assert b.shape == a.shape
    diff = np.abs(a.astype(int) - b.astype(int)).max(axis=2)
    assert (diff > 40).mean() > 0.003  # the surprised face differs from the neutral one
    assert np.median(times) < first


def test_still_errors(client):
    pose = {"weights": [0.0] * len(UE_NAMES)}
    r = client.post("/api/create/still", json=dict(pose, source="portraits/none.jpg"))
    assert r.status_code == 422 and r.json()["error"] == "portraits/none.jpg: not found in the workspace (upload the photo first)"
    r = client.post("/api/create/still", json=dict(pose, source=f"portraits/{PHOTO}", size=999))
    assert r.status_code == 422 and "size must be one of" in r.json()["error"]
    r = client.post("/api/create/still", json={"weights": [0.0] * 3, "source": f"portraits/{PHOTO}"})
    assert r.status_code == 422 and r.json()["error"].startswith("bad pose")


def test_still_is_drawn_on_the_face_the_animate_panel_picked(client, samples):
    """A group photo: face N with a square crop (``animate --face N --crop face``) is that face."""
    import base64

    import cv2

    assert client.put("/api/create/upload/multi_face.jpg", content=(samples / "multi_face.jpg").read_bytes()).status_code == 200
    faces = client.get("/api/create/faces", params={"source": "portraits/multi_face.jpg"}).json()["faces"]
    usable = [f["index"] for f in faces if f["usable"]]
    assert len(usable) >= 3
    thumbs = {f["index"]: _decode(base64.b64decode(f["thumb"])) for f in faces}
    neutral = {"weights": [0.0] * len(UE_NAMES), "openness": [1, 1], "gaze": [[0, 0], [0, 0]], "head": [0, 0, 0]}

    def face_distance(still, index):
        # the thumbnail is the face oval + 20 %: about 1.4 / 2.6 of the animator's face square
        h, w = still.shape[:2]
        side = int(round(w * 1.4 / 2.6))
        y0, x0 = (h - side) // 2, (w - side) // 2
        centre = still[y0:y0 + side, x0:x0 + side]
        thumb = cv2.resize(thumbs[index], (side, side), interpolation=cv2.INTER_LINEAR)
        return float(np.abs(centre.astype(int) - thumb.astype(int)).mean())

    for index in usable[1:3]:
        r = client.post("/api/create/still", json=dict(neutral, source="portraits/multi_face.jpg", size=256,
                                                      face=index, crop="face"))
        assert r.status_code == 200, r.text
        still = _decode(r.content)
        assert still.shape[:2] == (256, 256)
        distances = {i: face_distance(still, i) for i in usable}
        assert min(distances, key=distances.get) == index, distances
    # the whole group photo at 512 px leaves each face under 64 px: the still is the square around it
    r = client.post("/api/create/still", json=dict(neutral, source="portraits/multi_face.jpg", size=512, face=usable[1]))
    assert r.status_code == 200 and r.headers["x-still-crop"] == "face" and _decode(r.content).shape[:2] == (512, 512)
    r = client.post("/api/create/still", json=dict(neutral, source="portraits/multi_face.jpg", face=40, crop="face"))
    assert r.status_code == 422 and r.json()["error"].startswith("portraits/multi_face.jpg: ") \
        and "\n" not in r.json()["error"], r.json()
    r = client.post("/api/create/still", json=dict(neutral, source="portraits/multi_face.jpg", face="two"))
    assert r.status_code == 422 and r.json()["error"] == "size and face must be whole numbers"


def test_gaze_openness_and_head_move_the_portrait(client):
    """The non-shape sliders reach the animator's still too (irises, lids, head)."""
    rest = {"weights": [0.0] * len(UE_NAMES), "openness": [1, 1], "gaze": [[0, 0], [0, 0]], "head": [0, 0, 0]}
    still = lambda pose: _decode(client.post("/api/create/still", json=dict(pose, source=f"portraits/{PHOTO}",  # noqa: E731
                                                                             size=256)).content).astype(int)
    base = still(rest)
    for change in ({"openness": [0.1, 0.1]}, {"gaze": [[0.8, 0], [0.8, 0]]}, {"head": [12, 0, 0]}):
        moved = np.abs(still(dict(rest, **change)) - base).max(axis=2)
        assert (moved > 40).sum() >= 20, change  # the irises alone: about 40 pixels at 256 px
