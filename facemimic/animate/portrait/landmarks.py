"""MediaPipe FaceLandmarker (478-point) indices the portrait animator needs, and the mesh triangles.

"Right"/"left" are the subject's own sides (the subject's right eye is on the image's left in an
unmirrored photo), as everywhere in FaceMimic.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# the lip chains, corner to corner (one definition, shared with the closed lips' sampling)
from ...common.lip_band import LIP_INNER_LOWER, LIP_INNER_UPPER, LIP_OUTER_LOWER, LIP_OUTER_UPPER  # noqa: F401

N_LANDMARKS = 478
N_MESH = 468  # the face mesh proper; 468..477 are the two irises (kept out of the warp mesh)

MOUTH_CORNER = {"right": 61, "left": 291}

# Eyelid margins from the outer to the inner corner.
EYE_UPPER = {"right": (33, 246, 161, 160, 159, 158, 157, 173, 133),
             "left": (263, 466, 388, 387, 386, 385, 384, 398, 362)}
EYE_LOWER = {"right": (33, 7, 163, 144, 145, 153, 154, 155, 133),
             "left": (263, 249, 390, 373, 374, 380, 381, 382, 362)}
IRIS_CENTRE = {"right": 468, "left": 473}
IRIS_RING = {"right": (469, 470, 471, 472), "left": (474, 475, 476, 477)}

# Brows from the outer to the inner end (upper edge, then lower edge).
BROW_UPPER = {"right": (70, 63, 105, 66, 107), "left": (300, 293, 334, 296, 336)}
BROW_LOWER = {"right": (46, 53, 52, 65, 55), "left": (276, 283, 282, 295, 285)}

FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
             377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
FOREHEAD_TOP = 10
CHIN = 152
NOSE_TIP = 1
SUBNASALE = 2
NOSE_ALA = {"right": 98, "left": 327}


def _hole_strip(upper: tuple[int, ...], lower: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """Triangles closing a hole between two chains that share their end points (mouth, eyes)."""
    tris = []
    for i in range(len(upper) - 1):
        a, b, c, d = upper[i], upper[i + 1], lower[i], lower[i + 1]
        for t in ((a, b, c), (b, d, c)):
            if len(set(t)) == 3:
                tris.append(t)
    return tris


@lru_cache(maxsize=1)
def face_triangles() -> np.ndarray:
    """Triangles (M, 3) of the 468-point face mesh with the mouth and eye holes closed.

    MediaPipe publishes the mesh as edges; a triangle is three mutually connected points. The mouth
    and eyes are holes in that mesh; they are closed with strips between the two lips / lids so
    that no triangle ever crosses the lips (the lower lip can drop without dragging the upper).
    """
    from mediapipe.tasks.python.vision import FaceLandmarksConnections as C

    edges = {(min(c.start, c.end), max(c.start, c.end)) for c in C.FACE_LANDMARKS_TESSELATION}
    nbr: dict[int, set[int]] = {}
    for a, b in edges:
        nbr.setdefault(a, set()).add(b)
        nbr.setdefault(b, set()).add(a)
    tris = set()
    for a, b in edges:
        for c in nbr[a] & nbr[b]:
            tris.add(tuple(sorted((a, b, c))))
    # Closing strips for the mouth and both eyes (inside the holes, so never duplicated).
    extra = _hole_strip(LIP_INNER_UPPER, LIP_INNER_LOWER)
    for side in ("right", "left"):
        extra += _hole_strip(EYE_UPPER[side], EYE_LOWER[side])
    for t in extra:
        tris.add(tuple(sorted(t)))
    return np.array(sorted(tris), np.int32)


def hole_triangles() -> list[tuple[int, int, int]]:
    """The strips closing the mouth and eye holes (drawn first, so skin covers a closed eye)."""
    tris = _hole_strip(LIP_INNER_UPPER, LIP_INNER_LOWER)
    for side in ("right", "left"):
        tris += _hole_strip(EYE_UPPER[side], EYE_LOWER[side])
    return tris
