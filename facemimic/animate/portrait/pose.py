"""Small head rotations: yaw, pitch and roll of the face's 3D landmarks, seen orthographically.

MediaPipe's landmarks carry a depth (``z``, in image-width units, smaller = nearer the camera), so
a rotation about a pivot inside the head moves the nose more than the ears, as a real turn does.
Rotations are clamped to ``max_angle`` (15 degrees by default): beyond that a 2D warp of one
photo shows what it cannot know (the far cheek, the ear). For the same reason a face the photo
shows turned more than 15 degrees is turned back towards the camera less, and from 30 degrees
not at all: its far cheek and eye lie behind the nose in the photo, and turning them into view
showed the nose's own pixels there, a second, ghostly nose and eye beside the real ones
(45-m7-di-ph.jpg, turned 34 degrees, at a yaw of -6.5).

Conventions (FaceMimic's): +yaw turns to the subject's right (the nose moves to the image's left),
+pitch looks down, +roll tilts towards the subject's left shoulder (clockwise on screen).
"""

from __future__ import annotations

import numpy as np

from . import landmarks as L

REVEAL_UNTIL = 30.0  # degrees: a photo turned this far is never turned back towards the camera


def rotation_matrix(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """3x3 rotation in image axes (x right, y down, z away from the camera), angles in degrees."""
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


class HeadPose:
    """Landmark motion for a head rotation relative to the source's pose.

    Parameters
    ----------
    points3d : np.ndarray [shape=(478, 3)]
        Landmarks in pixels (x, y) and depth in pixels (z, nearer is smaller).
    max_angle : float
        Largest rotation applied, degrees (larger requests are clamped).
    """

    def __init__(self, points3d: np.ndarray, *, max_angle: float = 15.0) -> None:
        p = np.asarray(points3d, np.float64)
        oval = p[list(L.FACE_OVAL)]
        width = float(np.ptp(oval[:, 0]))
        # Pivot: behind the face, near the neck's axis (about half a face width deep).
        self.pivot = np.array([oval[:, 0].mean(), oval[:, 1].mean() + 0.15 * width,
                               oval[:, 2].mean() + 0.5 * width])
        self.rel = p - self.pivot
        self.max_angle = float(max_angle)
        # the photo's own yaw from the depth of the face's sides at ear level (+: turned to the
        # subject's right, FaceMimic's convention)
        side = p[454] - p[234]
        self.source_yaw = float(-np.degrees(np.arctan2(side[2], side[0])))
        self.reveal_angle = self.max_angle * float(np.clip((REVEAL_UNTIL - abs(self.source_yaw)) / 15.0, 0.0, 1.0))

    def motion(self, rotation: np.ndarray) -> np.ndarray:
        """(478, 2) pixel motion for (yaw, pitch, roll) degrees relative to the source pose."""
        rot = np.clip(np.nan_to_num(np.asarray(rotation, np.float64)), -self.max_angle, self.max_angle)
        if rot[0] * self.source_yaw < 0:  # back towards the camera: only as far as the photo shows
            rot[0] = float(np.clip(rot[0], -self.reveal_angle, self.reveal_angle))
        if not np.any(np.abs(rot) > 1e-3):
            return np.zeros((len(self.rel), 2), np.float32)
        moved = self.rel @ rotation_matrix(*rot).T
        return (moved[:, :2] - self.rel[:, :2]).astype(np.float32)
