"""The face picker's route (issue #14 §3): the faces of a group photo, numbered as `facemimic animate
--face N` numbers them, with thumbnails; one-line errors."""

from __future__ import annotations

import base64
import io

import numpy as np
from studio_media import studio_client

PORT = 8772


def test_faces_of_a_group_photo_in_animates_order_with_thumbnails(tmp_path, samples):
    import cv2
    from PIL import Image

    from facemimic.animate.portrait.source import find_faces, load_image

    with studio_client(tmp_path, "faces", PORT) as c:
        photo = (samples / "multi_face.jpg").read_bytes()
        assert c.put("/api/create/upload/group.jpg", content=photo).status_code == 200
        r = c.get("/api/create/faces", params={"source": "portraits/group.jpg"})
        assert r.status_code == 200, r.text
        got = r.json()
        # a photo without a face, a missing one, one outside the workspace: one-line errors
        blank = io.BytesIO()
        Image.new("RGB", (320, 240), (120, 130, 140)).save(blank, format="PNG")
        assert c.put("/api/create/upload/wall.png", content=blank.getvalue()).status_code == 200
        bad = c.get("/api/create/faces", params={"source": "portraits/wall.png"})
        missing = c.get("/api/create/faces", params={"source": "portraits/nobody.jpg"})
        outside = c.get("/api/create/faces", params={"source": "../x.jpg"})
    image, _ = load_image(samples / "multi_face.jpg")
    found = find_faces(image, "x")
    assert got["width"] == 1000 and got["height"] == 667 and got["original"] == 1000
    assert [f["index"] for f in got["faces"]] == list(range(len(found))) == [0, 1, 2, 3, 4]
    assert got["largest"] == max(found, key=lambda f: f.width).index
    for f, ref in zip(got["faces"], found):
        x, y, w, h = f["box"]
        cx, cy = ref.landmarks[:, 0].mean(), ref.landmarks[:, 1].mean()
        assert x < cx < x + w and y < cy < y + h  # the box holds the face animate --face N means
        assert abs(f["width"] - ref.width) < 0.1 and f["usable"]
        thumb = cv2.imdecode(np.frombuffer(base64.b64decode(f["thumb"]), np.uint8), cv2.IMREAD_COLOR)
        assert thumb is not None and max(thumb.shape[:2]) <= 96
        assert f["original_face"] == round(min(2.6 * ref.width, 667, 1000))
    lefts = [f["box"][0] + f["box"][2] / 2 for f in got["faces"]]
    assert lefts == sorted(lefts)  # numbered left to right
    assert bad.status_code == 422 and bad.json()["error"].startswith("portraits/wall.png: no face found")
    assert missing.status_code == 422 and missing.json()["error"].startswith("portraits/nobody.jpg: not found")
    assert outside.status_code == 403
