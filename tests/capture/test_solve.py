"""Solving MediaPipe output into Unified Expressions, eyes and head pose, on real faces.

Left/right: MediaPipe's ``…Left`` was found (by covering one eye) to be the subject's left; these
tests prove the mapping on real edits: a covered eye, a mirrored photo, a rotated photo.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from facemimic.capture.api import track
from facemimic.capture.solve import blink_to_openness, head_pose, iris_gaze, visible_eye_openness

# Landmark rings around each eye (MediaPipe face mesh): subject's right eye = image left.
RIGHT_EYE_RING = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
LEFT_EYE_RING = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]


def _cover_eye(rgb: np.ndarray, landmarks: np.ndarray, ring: list[int]) -> np.ndarray:
    """Paint one eye shut: fill its lid ring with skin sampled below it, draw a lash line."""
    h, w = rgb.shape[:2]
    pts = (landmarks[ring, :2] * (w, h)).astype(np.int32)
    out = rgb.copy()
    cx, cy = pts.mean(0).astype(int)
    skin = [int(v) for v in rgb[cy + 25, cx]]
    cv2.fillPoly(out, [cv2.convexHull(pts)], skin)
    cv2.line(out, tuple(int(v) for v in pts[0]), tuple(int(v) for v in pts[8]), (60, 40, 40), 2)
    return cv2.GaussianBlur(out, (3, 3), 0)


# -- real expressions -------------------------------------------------------------------------
def test_smile_drives_mouth_corners(smile_track, surprise_track):
    # In the unit (docs/units.md) this toothy smile pulls the corners 0.16 / 0.13 IPD: about half
    # to two thirds of the broadest laugh measured (MediaPipe's scores read it 0.88 / 0.80).
    f = smile_track[0]
    assert f.present and f.face_id == 0
    for name in ("MouthCornerPullLeft", "MouthCornerPullRight", "MouthCornerSlantLeft", "MouthCornerSlantRight"):
        assert f.weight(name) > 0.45, (name, f.weight(name))
    # A smile is not a frown, and its jaw is well short of a surprised gape's (against the
    # population rest a photo's jaw carries +-0.18 of person-to-person spread, docs/units.md).
    assert f.weight("MouthFrownLeft") < 0.1
    assert f.weight("JawOpen") < surprise_track[0].weight("JawOpen") - 0.15
    assert f.top(1)[0][0].startswith("MouthCorner"), f.top(4)


def test_surprise_opens_jaw_and_raises_inner_brows(surprise_track):
    f = surprise_track[0]
    assert f.weight("JawOpen") > 0.35
    assert f.weight("BrowInnerUpLeft") > 0.3 and f.weight("BrowInnerUpRight") > 0.3
    assert f.weight("MouthCornerPullLeft") < 0.2  # surprise, not a smile
    # Wide eyes: the lids measure EyeWide 0.78 / 0.67 where MediaPipe's eyeWide reads 0.00.
    assert f.weight("EyeWideLeft") > 0.5 and f.weight("EyeWideRight") > 0.5


def test_surprise_in_mediapipe_units_keeps_the_raw_scores(samples, surprise_track):
    raw = track(samples / "0-f1-su-ph.jpg", units="mediapipe")
    assert raw.metadata["units"] == "mediapipe" and surprise_track.metadata["units"] == "extent"
    f = raw[0]
    assert f.weight("JawOpen") > 0.35 and f.weight("BrowInnerUpLeft") > 0.3
    assert f.weight("EyeWideLeft") < 0.1  # MediaPipe's eyeWide barely moves (docs/units.md)


def test_frame_fields_are_finite_and_in_range(smile_track):
    f = smile_track[0]
    assert np.all((f.weights >= 0) & (f.weights <= 1))
    assert 0 <= f.openness_left <= 1 and 0 <= f.openness_right <= 1
    assert all(math.isfinite(v) for v in (*f.head_rotation, *f.head_position, *f.gaze_left, *f.gaze_right))
    # The subject sits ~0.2-1 m in front of the camera (z away from the camera).
    assert 0.15 < f.head_position[2] < 1.5
    assert f.landmarks is not None and f.landmarks.shape == (478, 3)


# -- left/right convention --------------------------------------------------------------------
def test_covered_eye_closes_the_subjects_own_side_and_swaps_in_a_mirror(smile_rgb, smile_track):
    # MediaPipe's own side convention, so its raw scores (units="mediapipe").
    lm = smile_track[0].landmarks
    # The eye on the image's left belongs to the subject's RIGHT eye (unmirrored photo).
    shut = _cover_eye(smile_rgb, lm, RIGHT_EYE_RING)
    f0, f = track(smile_rgb, units="mediapipe")[0], track(shut, units="mediapipe")[0]
    closed_r = f0.openness_right - f.openness_right  # how much each eye closed
    closed_l = f0.openness_left - f.openness_left
    assert closed_r > closed_l + 0.05, (closed_l, closed_r)
    assert f.weight("EyeSquintRight") - f0.weight("EyeSquintRight") > 0.1
    assert abs(f.weight("EyeSquintLeft") - f0.weight("EyeSquintLeft")) < 0.05
    # Mirrored, the same shut eye is the subject's LEFT eye.
    m0 = track(np.ascontiguousarray(smile_rgb[:, ::-1]), units="mediapipe")[0]
    m = track(np.ascontiguousarray(shut[:, ::-1]), units="mediapipe")[0]
    assert m0.openness_left - m.openness_left > m0.openness_right - m.openness_right + 0.05
    assert abs(m.weight("EyeSquintRight") - m0.weight("EyeSquintRight")) < 0.05
    assert m.weight("EyeSquintLeft") - m0.weight("EyeSquintLeft") > 0.1


def test_mirror_swaps_left_and_right_shapes_and_flips_yaw_roll(smile_rgb, smile_track):
    f = smile_track[0]
    m = track(np.ascontiguousarray(smile_rgb[:, ::-1]))[0]
    # Corner pull is asymmetric in this photo (0.66 vs 0.50 in the unit): the stronger side swaps.
    dl = f.weight("MouthCornerPullLeft") - f.weight("MouthCornerPullRight")
    dm = m.weight("MouthCornerPullLeft") - m.weight("MouthCornerPullRight")
    assert abs(dl) > 0.03 and np.sign(dm) == -np.sign(dl)
    assert m.weight("MouthCornerPullLeft") == pytest.approx(f.weight("MouthCornerPullRight"), abs=0.08)
    yaw, pitch, roll = f.head_rotation
    myaw, mpitch, mroll = m.head_rotation
    assert abs(yaw) > 3 and myaw == pytest.approx(-yaw, abs=2.5)
    assert mroll == pytest.approx(-roll, abs=2.0)
    assert mpitch == pytest.approx(pitch, abs=2.5)
    # Gaze: a mirror flips x and swaps the eyes (MediaPipe's eyeLook scores are not mirror-exact:
    # 0.39 vs 0.18 for the same eye here, hence the tolerance).
    assert abs(f.gaze_left[0]) > 0.1 and abs(f.gaze_right[0]) > 0.1
    assert m.gaze_left[0] == pytest.approx(-f.gaze_right[0], abs=0.12)
    assert m.gaze_right[0] == pytest.approx(-f.gaze_left[0], abs=0.12)


@pytest.mark.parametrize("angle", [20.0, -20.0])
def test_rotating_the_photo_changes_roll_by_the_angle(smile_rgb, smile_track, angle):
    h, w = smile_rgb.shape[:2]
    # cv2 angles are counter-clockwise; FaceMimic's +roll is clockwise in the image.
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    rotated = cv2.warpAffine(smile_rgb, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    f = track(rotated)[0]
    assert f.head_rotation[2] - smile_track[0].head_rotation[2] == pytest.approx(angle, abs=4.0)


def test_yaw_sign_matches_face_geometry(wolf_track):
    """+yaw (subject turns to their right) puts the nose tip left of the eye midpoint in the image."""
    checked = 0
    for i in range(0, len(wolf_track), 7):
        f = wolf_track[i]
        if not f.present or abs(f.head_rotation[0]) < 8:
            continue
        lm = f.landmarks
        eye_mid = (lm[33, 0] + lm[263, 0]) / 2
        assert np.sign(eye_mid - lm[1, 0]) == np.sign(f.head_rotation[0]), (i, f.head_rotation)
        checked += 1
    assert checked >= 10


def test_iris_and_blendshape_gaze_agree_in_direction(wolf_track):
    """The two gaze estimates are independent (iris landmarks vs eyeLook scores); where the eyes
    are open and clearly turned they must point the same way horizontally."""
    agree = total = 0
    for f in wolf_track:
        if not f.present or min(f.openness) < 0.8:
            continue
        iris = iris_gaze(f.landmarks, frame_size=(640, 360))
        g = np.array([f.gaze_left, f.gaze_right])
        # Blend = 0.5 shapes + 0.5 iris; recover the shape part and compare.
        shapes = 2 * g[:, 0] - iris[:, 0]
        for s, r in zip(shapes, iris[:, 0]):
            if abs(s) > 0.1 and abs(r) > 0.1:
                total += 1
                agree += np.sign(s) == np.sign(r)
    assert total >= 20 and agree / total > 0.8, (agree, total)


# -- numeric units ----------------------------------------------------------------------------
def _gl_matrix(yaw_deg: float, pitch_deg: float, roll_deg: float, t_cm=(0.0, 0.0, -50.0), scale=1.0):
    """A MediaPipe-style transform built from OpenCV-frame angles (R = Rx Ry Rz), converted back
    to GL axes (R_gl = C R_cv C)."""
    p, y, r = (math.radians(v) for v in (pitch_deg, yaw_deg, roll_deg))
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    c = np.diag([1.0, -1.0, -1.0])
    m = np.eye(4)
    m[:3, :3] = scale * (c @ (rx @ ry @ rz) @ c)
    m[:3, 3] = t_cm
    return m


@pytest.mark.parametrize("ypr", [(0, 0, 0), (25, 0, 0), (0, -15, 0), (0, 0, 30), (-20, 10, -12)])
def test_head_pose_recovers_known_angles(ypr):
    rot, pos = head_pose(_gl_matrix(*ypr, t_cm=(5.0, -3.0, -60.0), scale=1.3))
    assert rot == pytest.approx(ypr, abs=1e-6)
    # cm, GL (y up, z towards the viewer) -> metres, camera frame (y down, z away).
    assert pos == pytest.approx((0.05, 0.03, 0.60), abs=1e-9)


def test_head_pose_of_a_degenerate_matrix_is_nan():
    rot, pos = head_pose(np.zeros((4, 4)))
    assert all(math.isnan(v) for v in rot + pos)


def test_blink_to_openness_range():
    o = blink_to_openness(np.array([0.0, 0.15, 0.35, 0.55, 0.9]))
    assert o.tolist() == pytest.approx([1.0, 1.0, 0.5, 0.0, 0.0])


def test_visible_eye_takes_over_only_at_large_yaw():
    wink = np.array([1.0, 0.0], np.float32)  # left open, right shut
    assert visible_eye_openness(wink, 10.0).tolist() == [1.0, 0.0]  # a wink survives
    # Turned to the subject's right: the right eye is hidden, it copies the left one.
    assert visible_eye_openness(wink, 40.0).tolist() == [1.0, 1.0]
    assert visible_eye_openness(wink, -40.0).tolist() == [0.0, 0.0]
    half = visible_eye_openness(wink, 27.5)
    assert half[0] == 1.0 and half[1] == pytest.approx(0.5)
