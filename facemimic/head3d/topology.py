"""MediaPipe's face-mesh topology: triangles from the installed wheel's tessellation, and its holes.

The ``mediapipe`` wheel ships the tessellation as ``FaceLandmarksConnections.FACE_LANDMARKS_TESSELATION``,
2,556 edges listed three per triangle (``a->b, b->c, c->a``), so the 852 triangles over the first
468 landmarks are read back directly (the 10 iris points are not part of the surface). The surface
has four open boundary loops: the face oval, the two eye openings and the mouth opening.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import lru_cache

import numpy as np

N_SURFACE = 468  # landmarks on the surface (the last 10 are the irises)
LEFT_IRIS, RIGHT_IRIS = 473, 468  # the subject's left / right iris centres
LEFT_IRIS_RING, RIGHT_IRIS_RING = (474, 475, 476, 477), (469, 470, 471, 472)
FOREHEAD_TOP, CHIN = 10, 152


@lru_cache(maxsize=1)
def triangles() -> np.ndarray:
    """The face surface's triangles (852, 3) int32, indices into the 478 landmarks."""
    # (the capture stage has usually imported mediapipe already, with its slow extras deferred)
    from mediapipe.tasks.python.vision.face_landmarker import FaceLandmarksConnections

    edges = FaceLandmarksConnections.FACE_LANDMARKS_TESSELATION
    if len(edges) % 3:
        raise RuntimeError("mediapipe's tessellation is not a list of triangles")
    tri = np.array([(edges[i].start, edges[i + 1].start, edges[i + 2].start) for i in range(0, len(edges), 3)],
                   np.int32)
    for i in range(0, len(edges), 3):  # each triple must close on itself
        if edges[i].end != edges[i + 1].start or edges[i + 2].end != edges[i].start:
            raise RuntimeError("mediapipe's tessellation edges are not grouped by triangle")
    return tri


@lru_cache(maxsize=1)
def boundary_loops() -> dict[str, np.ndarray]:
    """The surface's open loops, ordered: ``"oval"`` (36), ``"mouth"`` (20), ``"eye_left"``,
    ``"eye_right"`` (16 each; the subject's sides)."""
    count: Counter = Counter()
    for a, b, c in triangles():
        for u, v in ((a, b), (b, c), (c, a)):
            count[(min(u, v), max(u, v))] += 1
    adj = defaultdict(list)
    for (u, v), n in count.items():
        if n == 1:
            adj[u].append(v)
            adj[v].append(u)
    seen, loops = set(), []
    for start in sorted(adj):
        if start in seen:
            continue
        loop, prev, cur = [start], None, start
        seen.add(start)
        while True:
            nxt = [n for n in adj[cur] if n != prev and n not in seen]
            if not nxt:
                break
            prev, cur = cur, nxt[0]
            loop.append(cur)
            seen.add(cur)
        loops.append(np.array(loop))
    out = {}
    for loop in loops:
        if CHIN in loop:
            out["oval"] = loop
        elif 13 in loop or 14 in loop:
            out["mouth"] = loop
        elif 263 in loop or 362 in loop:
            out["eye_left"] = loop
        else:
            out["eye_right"] = loop
    return out
