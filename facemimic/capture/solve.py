"""One MediaPipe face -> one :class:`ExpressionFrame` (shapes, eyes, head pose).

Conventions (see :mod:`facemimic.expressions.frame`): left/right are the **subject's own** sides.

* **Left/right of MediaPipe's blendshapes, measured**: covering the eye on the *image-left* of an
  unmirrored photo (the subject's right eye) raised ``eyeBlinkRight``/``eyeSquintRight`` (+0.16 /
  +0.20 on ``single_face.jpg``) and left the ``…Left`` scores flat; covering the other eye raised
  ``…Left``. So MediaPipe's ``Left`` already is the subject's left, and the scores map straight
  through ``mediapipe_to_arkit`` -> ``arkit_to_ue`` with no swap (``tests/capture/test_solve.py``
  checks it on a mirrored image, where the sides swap).
* **Head pose** from the facial transformation matrix (spec tracking.md §3.4): remove the scale,
  re-orthonormalise by SVD, convert to the OpenCV camera frame (``R_cv = C R C``), decompose as
  ``R = Rx Ry Rz``. OpenFace's signs already match FaceMimic's: +yaw = the subject turns to their
  right, +pitch = looks down, +roll = tilts to their left shoulder (clockwise in the image).
  Position: MediaPipe's cm in GL axes -> metres with x right, y down, z away.
* **Gaze** per eye, VRCFT units (``tan`` of the angle; +x to the subject's right, +y up): a blend of
  the ``eyeLook*`` blendshapes (via ``arkit_to_ue``, 1.0 = 30°) and the iris landmarks (468–472:
  subject's right eye, 473–477: left eye) measured along each eye's corner-to-corner axis.
  Horizontal: ``(1 - w) * shapes + w * iris`` with ``w = gaze_iris_weight`` (default 0.5).
  Vertical: the shapes only. The iris centre's height against the corner line is biased by the
  lids (on ``single_face.jpg`` it reads +0.14 "up" while the face looks slightly down) and a blink
  drags it down, so it is not used. Neither source is mirror-exact: MediaPipe's ``eyeLook`` scores
  on that photo are 0.39 / 0.18 for the same eye mirrored.
* **Openness** per eye from ``eyeBlink`` remapped over MediaPipe's measured range (open ≈ 0.1–0.2,
  closed ≥ 0.55), never averaged across eyes so winks survive. Past |yaw| = 20° the far eye (half
  hidden, unreliable) is blended towards the visible one, fully copied at 35°.
"""

from __future__ import annotations

import math

import numpy as np

from ..expressions.arkit import arkit_to_ue, mediapipe_to_arkit
from ..expressions.frame import ExpressionFrame
from .landmarker import RawFace

# eyeBlink -> closure: below BLINK_OPEN the eye counts as fully open, above BLINK_CLOSED as shut
# (WolfgangLanger: open 0.1–0.2, closed 0.55–0.9).
BLINK_OPEN = 0.15
BLINK_CLOSED = 0.55
# Large-yaw eye handling: start and end (degrees) of the blend from the far eye to the visible eye.
YAW_EYE_BLEND = (20.0, 35.0)
# Iris gaze: horizontal iris offset as a fraction of half the eye width -> sin(angle) factor.
# Half an eye is ~15 mm and the eyeball radius ~12 mm, so offset * 15/12 = sin(angle).
IRIS_SIN_PER_HALF_WIDTH = 15.0 / 12.0
# Gaze is clipped to +-45° (VRCFT 1.0) per axis.
MAX_GAZE = 1.0

# Landmarks: (outer corner, inner corner, iris centre) for the subject's (right, left) eye.
RIGHT_EYE = (33, 133, 468)
LEFT_EYE = (263, 362, 473)

_C = np.diag([1.0, -1.0, -1.0])


def head_pose(matrix: np.ndarray) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Yaw/pitch/roll (degrees) and position (metres) from MediaPipe's facial transformation.

    Parameters
    ----------
    matrix : np.ndarray [shape=(4, 4)]
        Canonical face (cm, x right / y up / z out of the face) -> MediaPipe's GL camera space.

    Returns
    -------
    rotation : (yaw, pitch, roll)
        Degrees; +yaw the subject turns to their right, +pitch looks down, +roll tilts to the
        subject's left shoulder (clockwise in an unmirrored image).
    position : (x, y, z)
        Metres in the camera frame: x image-right, y image-down, z away from the camera.
    """
    m = np.asarray(matrix, np.float64).reshape(4, 4)
    a = m[:3, :3]
    det = np.linalg.det(a)
    if not np.isfinite(det) or abs(det) < 1e-12:
        nan3 = (math.nan,) * 3
        return nan3, nan3
    a = a / np.cbrt(det)
    u, _, vt = np.linalg.svd(a)
    r = u @ vt
    if np.linalg.det(r) < 0:  # keep a proper rotation
        u[:, -1] *= -1
        r = u @ vt
    rc = _C @ r @ _C
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, rc[0, 2]))))
    pitch = math.degrees(math.atan2(-rc[1, 2], rc[2, 2]))
    roll = math.degrees(math.atan2(-rc[0, 1], rc[0, 0]))
    t = m[:3, 3] / 100.0
    return (yaw, pitch, roll), (float(t[0]), float(-t[1]), float(-t[2]))


def iris_gaze(landmarks: np.ndarray, *, frame_size: tuple[int, int]) -> np.ndarray:
    """Per-eye gaze from the iris centre's position between the eye corners.

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3)]
        Normalised MediaPipe landmarks (x/W, y/H, z).
    frame_size : (width, height)
        So that x and y are compared in pixels (no aspect distortion).

    Returns
    -------
    np.ndarray [shape=(2, 2), dtype=float32]
        ``[[left x, left y], [right x, right y]]`` in VRCFT units (+x subject's right, +y up).
    """
    w, h = frame_size
    pts = landmarks[:, :2].astype(np.float64) * (w, h)
    out = np.zeros((2, 2), np.float32)
    for row, (outer, inner, iris) in ((0, LEFT_EYE), (1, RIGHT_EYE)):
        if landmarks.shape[0] <= iris:
            continue
        o, i, c = pts[outer], pts[inner], pts[iris]
        axis = i - o
        half = np.linalg.norm(axis) / 2
        if half < 1e-6:
            continue
        ux = axis / (2 * half)  # unit vector outer -> inner corner
        mid = (o + i) / 2
        # Image "up" perpendicular to the eye axis (the face's up, whatever the roll).
        uy = np.array([ux[1], -ux[0]]) if ux[0] >= 0 else np.array([-ux[1], ux[0]])
        s_in = float(np.dot(c - mid, ux) / half)  # >0: iris towards the nose
        s_up = float(np.dot(c - mid, uy) / half)
        limit = math.sin(math.radians(45.0))
        ang_in = math.asin(max(-limit, min(limit, s_in * IRIS_SIN_PER_HALF_WIDTH)))
        ang_up = math.asin(max(-limit, min(limit, s_up * IRIS_SIN_PER_HALF_WIDTH)))
        # Looking "in" moves the left eye to the subject's right (+x) and the right eye to -x.
        x = math.tan(ang_in) if row == 0 else -math.tan(ang_in)
        out[row] = (x, math.tan(ang_up))
    return out


def blink_to_openness(blink: np.ndarray) -> np.ndarray:
    """Map MediaPipe ``eyeBlink`` scores (any shape) to openness (1 open, 0 closed)."""
    closure = (np.asarray(blink, np.float32) - BLINK_OPEN) / (BLINK_CLOSED - BLINK_OPEN)
    return (1.0 - np.clip(closure, 0.0, 1.0)).astype(np.float32)


def visible_eye_openness(openness: np.ndarray, yaw: float) -> np.ndarray:
    """Blend the far eye towards the visible one at large yaw.

    Turning to their right (+yaw) hides the subject's right eye, so the right eye takes the left
    eye's value (and vice versa); below ``YAW_EYE_BLEND[0]`` nothing changes, so winks survive.
    """
    lo, hi = YAW_EYE_BLEND
    if not math.isfinite(yaw) or abs(yaw) <= lo:
        return openness
    k = min(1.0, (abs(yaw) - lo) / (hi - lo))
    out = np.array(openness, np.float32, copy=True)
    if yaw > 0:
        out[1] = (1 - k) * openness[1] + k * openness[0]
    else:
        out[0] = (1 - k) * openness[0] + k * openness[1]
    return out


def solve_face(face: RawFace, *, time: float, face_id: int, iris_weight: float = 0.5,
               keep_landmarks: bool = False, confidence: float = 1.0, units=None) -> ExpressionFrame:
    """Turn one :class:`RawFace` into an :class:`ExpressionFrame`.

    Parameters
    ----------
    face : RawFace
    time : float
        Seconds from the start of the source.
    face_id : int
    iris_weight : float
        Share of iris-landmark gaze in the horizontal gaze blend (vertical gaze uses the shapes).
    keep_landmarks : bool
        Attach the (478, 3) landmarks to the frame.
    confidence : float
    units : facemimic.capture.units.UnitConverter, optional
        Puts the weights into its unit (with the face's landmarks and per-face rest state); None
        keeps MediaPipe's scores (``units="mediapipe"``).
    """
    arkit = mediapipe_to_arkit(face.blendshapes)
    weights, shape_gaze, _ = arkit_to_ue(arkit)
    weights = np.clip(weights, 0.0, 1.0)
    if units is not None:
        weights = units.weights(weights, face.landmarks, face.frame_size, face_id)
    rotation, position = head_pose(face.matrix)
    iris = iris_gaze(face.landmarks, frame_size=face.frame_size)
    gaze = np.empty((2, 2), np.float32)
    gaze[:, 0] = (1 - iris_weight) * shape_gaze[:, 0] + iris_weight * iris[:, 0]
    gaze[:, 1] = shape_gaze[:, 1]
    # Eyes do not turn past ~45° (1.0); a face half out of the frame can put the iris landmark
    # outside the eye corners, where asin/tan blow up.
    gaze = np.clip(np.nan_to_num(gaze), -MAX_GAZE, MAX_GAZE)
    blink = np.array([arkit[_BLINK_L], arkit[_BLINK_R]], np.float32)
    openness = visible_eye_openness(blink_to_openness(blink), rotation[0])
    return ExpressionFrame(
        time=float(time), weights=weights,
        gaze_left=(float(gaze[0, 0]), float(gaze[0, 1])), gaze_right=(float(gaze[1, 0]), float(gaze[1, 1])),
        openness_left=float(openness[0]), openness_right=float(openness[1]),
        head_rotation=rotation, head_position=position, confidence=float(confidence), face_id=int(face_id),
        present=True, landmarks=face.landmarks if keep_landmarks else None,
    )


def _arkit_index(name: str) -> int:
    from ..expressions.names import ARKIT_INDEX

    return ARKIT_INDEX[name]


_BLINK_L = _arkit_index("eyeBlinkLeft")
_BLINK_R = _arkit_index("eyeBlinkRight")
