"""The avatar's rest face closes its lips.

The rest face is the fitted shape minus the captured expression (:mod:`.fit`), but the fit's
per-vertex residual keeps whatever the expression basis does not explain: a smiling or talking
photo leaves the rest lips parted (on the sample photos the inner lips stay 0.06–0.28 IPD apart),
so every expression starts from a face that shows a slab of teeth. A face at rest has its lips
together: the lower lip is raised to meet the upper one, pair by pair along the inner lip line, and
the motion spreads smoothly to the lower lip, mouth corners and chin; the upper lip and the nose
are held where the photo put them.
"""

from __future__ import annotations

import numpy as np

# MediaPipe's inner lip line, upper and lower points facing each other (corners 78 and 308 shared).
UPPER_INNER = (191, 80, 81, 82, 13, 312, 311, 310, 415)
LOWER_INNER = (95, 88, 178, 87, 14, 317, 402, 318, 324)
HELD = (0, 1, 2, 4, 37, 39, 40, 61, 164, 185, 267, 269, 270, 291, 409, 78, 308)  # upper lip, nose, corners
BLEND = 0.1  # IPD: each landmark takes the motion of the pins nearest it (a normalised Gaussian blend)
REACH = 0.6  # IPD: the lower lip's motion fades out this far from it (the chin moves some, the jaw line little)


def lips_closed(face: np.ndarray) -> np.ndarray:
    """``face`` (478, 3) in the face frame (y up, IPD units) with the inner lips meeting.

    Parameters
    ----------
    face : np.ndarray [shape=(478, 3)]

    Returns
    -------
    np.ndarray [shape=(478, 3)]
        The lower inner lip raised to the upper (each pair's vertical gap closed; a lip already
        closed or pressed is left as it is), carried to the nearby landmarks: each takes a blend of
        the motions of the pins nearest it (never more than the largest), fading with the distance
        from the lower lip.
    """
    face = np.asarray(face, np.float64)
    up, lo = face[list(UPPER_INNER)], face[list(LOWER_INNER)]
    gap = np.maximum(up[:, 1] - lo[:, 1], 0.0)  # (9,)
    if gap.max() <= 1e-4:
        return _pairs_met(face.copy())
    pins = np.array(LOWER_INNER + UPPER_INNER + HELD)
    lift = np.concatenate([gap, np.zeros(len(UPPER_INNER) + len(HELD))])
    d = np.linalg.norm(face[:, None] - face[pins][None], axis=-1)  # (478, P)
    w = np.exp(-((d - d.min(axis=1, keepdims=True)) / BLEND) ** 2)  # relative to the nearest pin: no underflow
    blended = (w @ lift) / w.sum(axis=1)
    fade = np.exp(-(d[:, : len(LOWER_INNER)].min(axis=1) / REACH) ** 2)
    out = face.copy()
    out[:, 1] += blended * fade
    held = list(UPPER_INNER + HELD)
    out[held] = face[held]  # the pins exactly: the upper lip, nose and corners where they were
    out[list(LOWER_INNER), 1] = lo[:, 1] + gap  # and the lower lip exactly closed
    return _pairs_met(out)


def _pairs_met(face: np.ndarray) -> np.ndarray:
    """``face`` with each touching lower inner lip point under its upper partner (the same x): the
    fit leaves them ~0.01 IPD apart sideways, and between such pairs the closed lips' edges cross,
    leaving one-pixel cracks through which the teeth showed as a pale line."""
    up, lo = list(UPPER_INNER), list(LOWER_INNER)
    touching = face[up, 1] - face[lo, 1] <= 1e-4
    face[np.array(lo)[touching], 0] = face[np.array(up)[touching], 0]
    return face
