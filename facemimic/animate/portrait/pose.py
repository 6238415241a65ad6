"""Small head rotations: yaw, pitch and roll of the face's 3D landmarks, seen orthographically.

MediaPipe's landmarks carry a depth (``z``, in image-width units, smaller = nearer the camera), so
a rotation about a pivot inside the head moves the nose more than the ears, as a real turn does.
Rotations are clamped to ``max_angle`` (15 degrees by default): beyond that a 2D warp of one
photo shows what it cannot know (the far cheek, the ear).

Conventions (FaceMimic's): +yaw turns to the subject's right (the nose moves to the image's left),
+pitch looks down, +roll tilts towards the subject's left shoulder (clockwise on screen).
"""

from __future__ import annotations

import numpy as np

from . import landmarks as L


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

    def motion(self, rotation: np.ndarray) -> np.ndarray:
        """(478, 2) pixel motion for (yaw, pitch, roll) degrees relative to the source pose."""
        rot = np.clip(np.nan_to_num(np.asarray(rotation, np.float64)), -self.max_angle, self.max_angle)
        if not np.any(np.abs(rot) > 1e-3):
            return np.zeros((len(self.rel), 2), np.float32)
        moved = self.rel @ rotation_matrix(*rot).T
        return (moved[:, :2] - self.rel[:, :2]).astype(np.float32)
