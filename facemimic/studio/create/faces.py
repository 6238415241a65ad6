"""The face picker (issue #14 §3): every face of an uploaded photo, as ``facemimic animate --face N``
numbers them.

The faces come from the animator's own finder (:func:`facemimic.animate.portrait.source.find_faces`:
the capture stage, numbered left to right), so face N in the page is the face ``--face N`` animates.
Each gets a small JPEG thumbnail; the photo's and each face's "original" output sizes (the
``--size`` that keeps the photo's own pixels: its longer side for ``--crop fit``, the face square's
side for ``--crop face``) let the page offer the original resolution.
"""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import numpy as np

from ...errors import InputError

THUMB_PX = 96  # a thumbnail's longer side
MAX_SIZE = 4096  # the animator's largest output side (PortraitOptions)
_cache: dict = {}
_lock = threading.Lock()


def photo_faces(workspace: Path, source: str) -> dict:
    """The faces of a workspace photo, numbered as ``facemimic animate --face N``.

    Parameters
    ----------
    workspace : Path
        The studio's workspace.
    source : str
        A workspace-relative photo (``portraits/group.jpg``).

    Returns
    -------
    dict
        ``source``, ``width``, ``height``, ``largest`` (the face animated without ``--face``),
        ``original`` (``--size`` keeping the photo's pixels with ``--crop fit``; None above 4096) and
        ``faces``: per face ``index``, ``box`` [x, y, w, h] in photo pixels, ``width`` (face-oval
        width, px), ``usable`` (wide enough to animate), ``original_face`` (the ``--crop face``
        square's side in photo pixels) and ``thumb`` (base64 JPEG, at most 96 px).

    Raises
    ------
    InputError
        The photo is missing or unreadable, or has no face (the animator's one-line errors).
    """
    from ..security import confine

    path = confine(Path(workspace), source)
    if not path.is_file():
        raise InputError(source, "not found in the workspace (upload the photo first)")
    key = (str(path), path.stat().st_mtime_ns)
    with _lock:  # one photo at a time: the capture stage fills a core for a second
        if key not in _cache:
            _cache.clear()  # the photo last asked for is the one the page shows
            _cache[key] = _find(path, source)
        return _cache[key]


def _find(path: Path, source: str) -> dict:
    import cv2

    from ...animate.portrait import landmarks as L
    from ...animate.portrait.animator import PortraitOptions
    from ...animate.portrait.source import MIN_FACE_PX, find_faces, flatten_alpha, load_image

    try:
        image, _ = load_image(path)
        faces = find_faces(image, source)
    except InputError as e:
        raise InputError(source, e.problem) from None
    rgb = flatten_alpha(image)
    h, w = rgb.shape[:2]
    scale = PortraitOptions().face_scale
    out = []
    for f in faces:
        oval = f.landmarks[list(L.FACE_OVAL), :2]
        (x0, y0), (x1, y1) = oval.min(axis=0), oval.max(axis=0)
        pad = 0.2 * max(x1 - x0, y1 - y0)  # a little hair and chin around the oval
        bx0, by0 = int(max(0, x0 - pad)), int(max(0, y0 - pad))
        bx1, by1 = int(min(w, np.ceil(x1 + pad))), int(min(h, np.ceil(y1 + pad)))
        crop = rgb[by0:by1, bx0:bx1]
        k = THUMB_PX / max(crop.shape[:2])
        if k < 1:
            crop = cv2.resize(crop, (max(1, round(crop.shape[1] * k)), max(1, round(crop.shape[0] * k))),
                              interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
        square = int(round(min(scale * f.width, h, w)))  # the animator's face square (animator.py)
        out.append({"index": f.index, "box": [bx0, by0, bx1 - bx0, by1 - by0], "width": round(f.width, 1),
                    "usable": f.width >= MIN_FACE_PX,
                    "original_face": square if 64 <= square <= MAX_SIZE else None,
                    "thumb": base64.b64encode(jpeg.tobytes()).decode("ascii")})
    largest = max(faces, key=lambda f: f.width).index
    return {"source": source, "width": w, "height": h, "largest": largest,
            "original": max(h, w) if max(h, w) <= MAX_SIZE else None, "faces": out}


__all__ = ["THUMB_PX", "photo_faces"]
