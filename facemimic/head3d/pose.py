"""The head's pose: an ExpressionFrame's head rotation turning the whole avatar about its neck.

The avatar is built in the face frame (IPD units, +x the subject's left, +y up, +z out of the
face); the VRM's ``head`` bone sits ``write.HEAD_OFFSET`` below and behind the face frame's origin,
where the head meets the neck, and that is where the head turns. ``head_rotation`` is FaceMimic's
(and VRCFT's) convention: +yaw turns to the subject's right, +pitch looks down, +roll tilts towards
the subject's left shoulder; the capture stage reads a render turned this way back as the same angles.
"""

from __future__ import annotations

import numpy as np

from .write import HEAD_OFFSET, IPD_M

PIVOT = -np.asarray(HEAD_OFFSET, np.float64) / IPD_M  # the head bone in the face frame (IPD units)
MAX_TURN_DEG = 90.0  # a wilder value in a track is clipped (beyond it the face leaves the view)


def head_turn(rotation) -> np.ndarray:
    """The rotation matrix (3, 3) of a head pose (yaw, pitch, roll) in degrees, in the face frame.

    NaN (a gap in a track) counts as 0; each angle is clipped to +-90 degrees. Yaw turns about +y
    (to the subject's right: the face's front towards -x), pitch about +x (down: the front towards
    -y), roll about +z (the crown towards the subject's left, +x); applied roll, then pitch, then yaw.
    """
    yaw, pitch, roll = np.radians(np.clip(np.nan_to_num(np.asarray(rotation, np.float64)), -MAX_TURN_DEG,
                                          MAX_TURN_DEG))
    cy, sy, cp, sp, cr, sr = np.cos(-yaw), np.sin(-yaw), np.cos(pitch), np.sin(pitch), np.cos(-roll), np.sin(-roll)
    ry = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
    rz = np.array([[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]])
    return ry @ rx @ rz


def turned(points: np.ndarray, rotation) -> np.ndarray:
    """``points`` (N, 3) in the face frame turned by a head pose (yaw, pitch, roll) about :data:`PIVOT`."""
    r = head_turn(rotation)
    return PIVOT + (np.asarray(points, np.float64) - PIVOT) @ r.T


def frame_rotation(frame) -> tuple[float, float, float]:
    """An ExpressionFrame's head rotation (degrees), (0, 0, 0) for none or a gap."""
    if frame is None or getattr(frame, "head_rotation", None) is None:
        return (0.0, 0.0, 0.0)
    return tuple(float(v) for v in np.nan_to_num(np.asarray(frame.head_rotation, np.float64)))


__all__ = ["MAX_TURN_DEG", "PIVOT", "frame_rotation", "head_turn", "turned"]
