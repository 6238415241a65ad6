"""What a Unified Expressions weight means, measured: face geometry in face-normalised units.

A UE weight is the fraction of the shape's **full physical extent** (1.0 = the extent an avatar's
artist sculpts, FACS intensity E). This module measures those extents on real faces, from
MediaPipe's 478 landmarks, so that every stage can speak the same unit (``docs/units.md``).

Pipeline (NumPy only; the landmarks come from any tracker using MediaPipe's topology):

1. :func:`canonical_points`: landmarks in normalised image coordinates -> the **face frame**:
   head rotation and translation removed by a rigid fit of stable points (eye corners, nose
   dorsum, forehead, the face's sides at ear level) to MediaPipe's canonical face mesh, and
   divided by the subject's own **inter-pupil distance** (IPD, iris centres 468 and 473, in 3D,
   on frames within 25° of frontal; carried to turned frames through the face size).
   Axes: +x towards the subject's **left**, +y up, +z out of the face (towards the viewer);
   origin midway between the four eye corners.
2. :func:`measure`: per-frame geometric measures (:class:`FaceMeasures`). Some are absolute
   (inner-lip gap, eyelid aperture); the others are displacements from a **rest face**: the
   person's own rest (:func:`rest_face` of a neutral frame, :func:`estimate_rest` of a video)
   when given, else :data:`POPULATION_REST`, MediaPipe's landmarks of 9 real people at rest.
3. :func:`geometric_weights`, :func:`extent_to_weight`, :func:`weight_to_extent`: measure <->
   UE weight through each channel's full extent (:data:`CHANNELS`, numbers and sources in
   ``docs/units.md``).

Left/right are the **subject's own** sides, as in the rest of FaceMimic: MediaPipe's landmark 263
(outer corner of the eye on the image's right in an unmirrored photo) is the subject's left eye.
In a mirrored photo the sides swap (``tests/expressions/test_geometry.py`` checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..errors import ParameterError, ShapeError, UnknownNameError, suggest

N_LANDMARKS = 478
RIGHT_IRIS, LEFT_IRIS = 468, 473

# --- MediaPipe's canonical face mesh (the landmarks this module uses) ---------------------------
# Read from face_landmarker.task (geometry_pipeline_metadata_landmarks.binarypb, canonical_mesh,
# centimetres, +x subject's left, +y up, +z out of the face); the mesh is left/right symmetric.
# tests/expressions/test_geometry.py re-reads the bundle and checks every number here.
CANONICAL_CM: dict[int, tuple[float, float, float]] = {
    0: (0, -3.4064, 5.97951), 2: (0, -2.08902, 6.05827), 6: (0, 2.47325, 5.78863),
    10: (0, 8.26178, 4.48153), 13: (0, -3.99444, 5.21948), 14: (0, -4.5424, 5.40475),
    17: (0, -5.36512, 5.53544), 151: (0, 6.54539, 5.02731), 152: (0, -9.40338, 4.26449),
    195: (0, 1.05941, 6.7746), 197: (0, 1.72837, 6.31675),
    # sided pairs: subject's right, then left
    108: (-1.6195, 6.59922, 4.92111), 337: (1.6195, 6.59922, 4.92111),
    33: (-4.44586, 2.66399, 3.17342), 263: (4.44586, 2.66399, 3.17342),
    133: (-1.85643, 2.58524, 3.7579), 362: (1.85643, 2.58524, 3.7579),
    127: (-7.74309, 2.365, -2.00517), 356: (7.74309, 2.365, -2.00517),
    234: (-7.66418, 0.673132, -2.43587), 454: (7.66418, 0.673132, -2.43587),
    61: (-2.45621, -4.34262, 4.28388), 291: (2.45621, -4.34262, 4.28388),
    37: (-0.711452, -3.32936, 5.87704), 267: (0.711452, -3.32936, 5.87704),
    84: (-0.699606, -5.29185, 5.4483), 314: (0.699606, -5.29185, 5.4483),
    70: (-5.72097, 4.25458, 2.83085), 300: (5.72097, 4.25458, 2.83085),
    46: (-5.25331, 3.88158, 3.36316), 276: (5.25331, 3.88158, 3.36316),
    105: (-3.98656, 5.10949, 4.46631), 334: (3.98656, 5.10949, 4.46631),
    52: (-3.73496, 4.50823, 4.55045), 282: (3.73496, 4.50823, 4.55045),
    107: (-1.39563, 5.01196, 5.31603), 336: (1.39563, 5.01196, 5.31603),
    55: (-1.22094, 4.14217, 5.10604), 285: (1.22094, 4.14217, 5.10604),
    159: (-3.17719, 2.96414, 3.87697), 386: (3.17719, 2.96414, 3.87697),
    145: (-3.17719, 2.29427, 3.7757), 374: (3.17719, 2.29427, 3.7757),
    118: (-4.43234, 0.722096, 3.52261), 347: (4.43234, 0.722096, 3.52261),
    129: (-1.78579, -0.978284, 4.85047), 358: (1.78579, -0.978284, 4.85047),
    187: (-5.27854, -2.23894, 2.86122), 411: (5.27854, -2.23894, 2.86122),
    82: (-0.533422, -3.99322, 5.1382), 312: (0.533422, -3.99322, 5.1382),
    87: (-0.583218, -4.51798, 5.33987), 317: (0.583218, -4.51798, 5.33987),
}
# The canonical mesh has no iris points: its pupils are the eye-corner midpoints, which on real
# faces lie within 2 % of an IPD of the iris centres (docs/units.md).
_EYE_CORNERS = (33, 133, 362, 263)

# Stable points for the head fit: eye corners, nose dorsum, forehead, the face's sides at ear level.
# Not used: the jaw line, cheeks, lips and nose wings (they move with expressions), the brows and the
# glabella (168, 9: they move with brow lowering), which MediaPipe's own Procrustes basis does use.
STABLE_POINTS = (33, 133, 362, 263, 6, 197, 195, 10, 151, 108, 337, 127, 356, 234, 454)

# Sided landmark pairs, (subject's left, subject's right): the order of every (..., 2) measure.
MOUTH_CORNER = (291, 61)
UPPER_LIP_SIDE = (267, 37)  # upper-lip vermilion border, beside the philtrum
LOWER_LIP_SIDE = (314, 84)  # lower-lip vermilion border
UPPER_LIP_SIDE_INNER = (312, 82)  # inner edges of the same lips
LOWER_LIP_SIDE_INNER = (317, 87)
BROW_INNER = ((336, 285), (107, 55))  # upper and lower edge of the brow's inner end
BROW_MID = ((334, 282), (105, 52))
BROW_OUTER = ((300, 276), (70, 46))
UPPER_LID = (386, 159)
# Every landmark of both eyelid contours (what estimate_rest takes from open-eye frames).
EYELID_POINTS = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246,
                 263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
LOWER_LID = (374, 145)
IRIS = (LEFT_IRIS, RIGHT_IRIS)  # iris centres (468 / 473), the reference of EyeClosed's upper lid
EYE_OUTER = (263, 33)
EYE_INNER = (362, 133)
CHEEK_UPPER = (347, 118)  # infraorbital cheek, under the eye: rises with AU6
CHEEK_LOWER = (411, 187)  # buccal cheek beside the mouth: bulges out with a puff
NOSE_WING = (358, 129)  # alar crease: rises with a sneer (AU9)
SUBNASALE, UPPER_LIP, UPPER_LIP_INNER, LOWER_LIP_INNER, LOWER_LIP, CHIN = 2, 0, 13, 14, 17, 152

# The zygomaticus major pulls the mouth corner up and out along this angle above horizontal
# (FACS AU12: "pulls lip corners up and back at an angle"); the measured smiles here rise at 35-50°.
SMILE_ANGLE_DEG = 40.0
# Jaw-joint (condyle) to chin distance, IPD units: the cephalometric mandibular length Co-Gn of
# adults, ~120 mm, over a 63 mm IPD. Only used to express chin drop as a jaw rotation angle.
JAW_RADIUS = 1.9
NOSE_DORSUM = 195
# Iris centres give the IPD only on faces turned less than this (see _ipd_scale).
FRONTAL_YAW_DEG = 25.0
# IPD / face size (similarity scale of the stable points against the canonical face, whose pupils
# are 1 apart): median over the 18 people of benchmarks/units_measure.py seen within 25° of
# frontal (range 0.93-1.15).
POPULATION_IPD_PER_SIZE = 1.04


def _canonical_ipd_frame() -> dict[int, np.ndarray]:
    pts = {i: np.asarray(p, np.float64) for i, p in CANONICAL_CM.items()}
    right = (pts[33] + pts[133]) / 2
    left = (pts[263] + pts[362]) / 2
    ipd = float(np.linalg.norm(left - right))
    origin = sum(pts[i] for i in _EYE_CORNERS) / 4
    out = {i: (p - origin) / ipd for i, p in pts.items()}
    out[RIGHT_IRIS], out[LEFT_IRIS] = (right - origin) / ipd, (left - origin) / ipd
    return out


_REFERENCE = _canonical_ipd_frame()


# The population rest: MediaPipe's landmarks of real neutral-mouthed faces in the face frame (IPD
# units), the median over the 9 people listed in benchmarks/units_measure.py (NEUTRAL), which
# rebuilds it (--print-rest) and checks this table. MediaPipe's canonical mesh is not used for
# this: its lips are parted (0.09 IPD) and its lower face is 0.1-0.2 IPD longer than MediaPipe's
# landmarks of real faces.
POPULATION_REST: dict[int, tuple[float, float, float]] = {
    0: (0.0032, -0.8820, 0.4398),
    2: (0.0033, -0.6526, 0.4322),
    6: (0.0030, -0.0489, 0.3815),
    10: (-0.0039, 0.8123, 0.1987),
    13: (0.0044, -0.9973, 0.3538),
    14: (0.0058, -1.0175, 0.3487),
    17: (0.0068, -1.1452, 0.3853),
    33: (-0.6908, 0.0136, -0.0433),
    37: (-0.1104, -0.8634, 0.4273),
    46: (-0.8579, 0.2285, 0.0138),
    52: (-0.6560, 0.3266, 0.1839),
    55: (-0.2015, 0.2221, 0.2726),
    61: (-0.4024, -1.0109, 0.1258),
    70: (-0.9226, 0.2713, -0.0711),
    82: (-0.0948, -0.9936, 0.3397),
    84: (-0.1136, -1.1360, 0.3734),
    87: (-0.0897, -1.0108, 0.3348),
    105: (-0.6733, 0.4145, 0.1652),
    107: (-0.2395, 0.3778, 0.3115),
    108: (-0.2708, 0.5973, 0.2375),
    118: (-0.7082, -0.2802, 0.0634),
    127: (-1.1209, -0.0737, -0.8379),
    129: (-0.3170, -0.5492, 0.2391),
    133: (-0.2780, -0.0117, 0.0414),
    145: (-0.4958, -0.0309, 0.0718),
    151: (-0.0038, 0.5960, 0.2568),
    152: (0.0025, -1.6990, 0.1606),
    159: (-0.5136, 0.0863, 0.0815),
    187: (-0.8325, -0.6891, -0.0199),
    195: (0.0076, -0.2589, 0.5568),
    197: (0.0017, -0.1619, 0.4713),
    234: (-1.1275, -0.2985, -0.8965),
    263: (0.6914, 0.0141, -0.0395),
    267: (0.1166, -0.8669, 0.4290),
    276: (0.8649, 0.2145, 0.0122),
    282: (0.6380, 0.3286, 0.1749),
    285: (0.2097, 0.2448, 0.2716),
    291: (0.4237, -1.0262, 0.1317),
    300: (0.9238, 0.2538, -0.0739),
    312: (0.1029, -1.0001, 0.3399),
    314: (0.1330, -1.1362, 0.3651),
    317: (0.1086, -1.0148, 0.3356),
    334: (0.6640, 0.4106, 0.1539),
    336: (0.2351, 0.3872, 0.3055),
    337: (0.2556, 0.6014, 0.2315),
    347: (0.7129, -0.2804, 0.0577),
    356: (1.0942, -0.0873, -0.8424),
    358: (0.3297, -0.5447, 0.2283),
    362: (0.2818, -0.0143, 0.0422),
    374: (0.4932, -0.0324, 0.0740),
    386: (0.5293, 0.0868, 0.0901),
    411: (0.8590, -0.6930, -0.0406),
    454: (1.0823, -0.3085, -0.9112),
}


# EyeClosed measures the upper lid's height above the iris centre (FACS AU43: the lid descends over
# the iris). An open eye at rest holds it this high: 0.065 IPD ~ 4.1 mm, the clinical margin-reflex
# distance MRD1 of normal adult lids (4-5 mm; under 2 mm is ptosis), and the median over the open eyes
# (captured openness > 0.95) of the population rest's people (benchmarks/capture_units.py --eyelids).
# Not the median over all of them (0.057): three of the nine have their lids lowered (the anger photo,
# multi_face.jpg #4, t1.jpg #2: 0.026-0.036), which is closure, not rest.
OPEN_LID_OVER_IRIS = 0.065
# Where a face has no iris points (the population rest; any rest given with NaN there), the iris
# centre is derived from the eye's landmark ring: midway between the eye corners, this far above
# their middle (y) and in front of it (z): the median over the open eyes of the population rest's
# people (IPD). Only the population rest uses its y (the lid sets it, see _population_face).
IRIS_FROM_CORNERS = (0.0, 0.034, 0.047)


def mirror_partners(points: np.ndarray) -> np.ndarray:
    """Each point's mirror partner across the face's midline: the point nearest its x-flipped image.

    Parameters
    ----------
    points : np.ndarray [shape=(N, 2|3)]
        Points in a face-centred frame whose x runs across the face (x = 0 on the midline), e.g.
        :func:`canonical_points` or MediaPipe's canonical mesh.

    Returns
    -------
    np.ndarray [shape=(N,), dtype=int]
        ``partner[i]``: the index of point i's mirror image (itself on the midline).
    """
    pts = np.asarray(points, np.float64)
    flip = np.ones(pts.shape[1])
    flip[0] = -1.0
    return np.argmin(((pts[None] - (pts * flip)[:, None]) ** 2).sum(-1), axis=1)


def _population_face() -> np.ndarray:
    face = np.full((N_LANDMARKS, 3), np.nan)
    for i, p in POPULATION_REST.items():
        face[i] = p
    # The population has no iris points: each iris centre from its eye's ring, under the upper lid by
    # an open eye's OPEN_LID_OVER_IRIS (the rest's eyes are open; its lid is the population's median).
    face[list(IRIS)] = _derived_iris(face[None])[0]
    face[list(IRIS), 1] = face[list(UPPER_LID), 1] - OPEN_LID_OVER_IRIS
    return face


def _derived_iris(face: np.ndarray) -> np.ndarray:
    """Iris centres (T, 2, 3) (subject's left, right) from the eye corners (see IRIS_FROM_CORNERS)."""
    corners = (face[:, list(EYE_OUTER)] + face[:, list(EYE_INNER)]) / 2
    return corners + np.asarray(IRIS_FROM_CORNERS)


def _iris(face: np.ndarray) -> np.ndarray:
    """(T, 2, 3) iris centres of face-frame points (T, 478, 3), derived where they are NaN."""
    iris = face[:, list(IRIS)]
    missing = ~np.isfinite(iris).all(axis=-1, keepdims=True)
    return np.where(missing, _derived_iris(face), iris) if missing.any() else iris


def lid_over_iris(face: np.ndarray) -> np.ndarray:
    """The upper lid's height above the iris centre (IPD), (subject's left, right).

    Parameters
    ----------
    face : np.ndarray [shape=(478, 3) or (T, 478, 3)]
        Face-frame points (:func:`canonical_points`, :func:`rest_face`, :data:`POPULATION_REST_POINTS`).

    Returns
    -------
    np.ndarray [shape=(2,) or (T, 2)]
    """
    f = np.asarray(face, np.float64)
    single = f.ndim == 2
    f = f[None] if single else f
    h = f[:, list(UPPER_LID), 1] - _iris(f)[..., 1]
    return h[0] if single else h


POPULATION_REST_POINTS = _population_face()  # (478, 3), NaN where no measure needs a point


# --- the face frame --------------------------------------------------------------------------------
def _as_points(landmarks, image_size) -> tuple[np.ndarray, bool]:
    lm = np.asarray(landmarks, np.float64)
    single = lm.ndim == 2
    if single:
        lm = lm[None]
    if lm.ndim != 3 or lm.shape[1] < N_LANDMARKS or lm.shape[2] != 3:
        raise ShapeError("landmarks", lm.shape if not single else lm.shape[1:],
                         f"({N_LANDMARKS}, 3) or (T, {N_LANDMARKS}, 3)")
    try:
        w, h = (float(v) for v in image_size)
    except (TypeError, ValueError):
        raise ParameterError(f"image_size must be (width, height), got {image_size!r}") from None
    if not (w > 0 and h > 0 and np.isfinite(w) and np.isfinite(h)):
        raise ParameterError(f"image_size must be two positive numbers, got {image_size!r}")
    # Pixels, right-handed: x image-right, y up, z towards the camera (MediaPipe's z grows away
    # from the camera and is in image-width units).
    pts = lm[:, :N_LANDMARKS] * np.array([w, -h, -w])
    return pts, single


def _rigid_rotation(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Rotations (T, 3, 3) that best turn centred ``src`` (T, K, 3) onto centred ``dst`` (K, 3)
    (Kabsch; proper rotations only, so a mirrored face is not reflected back)."""
    a = src - src.mean(axis=1, keepdims=True)
    b = dst - dst.mean(axis=0)
    cov = np.einsum("tki,kj->tij", a, b)
    u, _, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(np.einsum("tij,tjk->tik", u, vt)))
    fix = np.ones(u.shape[:-1])
    fix[:, -1] = d
    return np.einsum("tji,tj,tkj->tik", vt, fix, u)  # R with R @ a_k ~ b_k


def inter_pupil_distance(landmarks: np.ndarray, image_size: tuple[float, float]) -> np.ndarray:
    """The subject's inter-pupil distance in pixels, the unit of every measure here.

    The 3D distance between the iris centres (468, 473) on frontal frames, carried to turned
    frames through the face size (see :func:`canonical_points`).

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3) or (T, 478, 3)]
        MediaPipe landmarks: x/W, y/H, z in image-width units.
    image_size : (width, height)
        Of the image the landmarks were normalised by.

    Returns
    -------
    np.ndarray [shape=() or (T,)]
    """
    pts, single = _as_points(landmarks, image_size)
    _, ipd = _to_face_frame(pts)
    return ipd[0] if single else ipd


def _fit(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame: rotation (T, 3, 3) into the face frame, face size ``s`` (T,) in pixels per
    canonical IPD (similarity scale of the stable points), and yaw (T,) in degrees."""
    stable = list(STABLE_POINTS)
    ref = np.stack([_REFERENCE[i] for i in STABLE_POINTS])
    rot = _rigid_rotation(pts[:, stable], ref)
    a = pts[:, stable] - pts[:, stable].mean(axis=1, keepdims=True)
    b = ref - ref.mean(axis=0)
    aligned = np.einsum("tij,tkj->tki", rot, a)
    size = np.einsum("tki,ki->t", aligned, b) / float((b * b).sum())
    # The face's forward axis (+z of the face frame) in pixel space: R^T e_z.
    forward = rot[:, 2, :]
    yaw = np.degrees(np.arctan2(np.abs(forward[:, 0]), forward[:, 2]))
    return rot, size, yaw


def _ipd_scale(pts: np.ndarray, size: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """The subject's inter-pupil distance in pixels, per frame.

    Measured between the iris centres on frames turned less than :data:`FRONTAL_YAW_DEG` and
    carried to the others through the face size (MediaPipe's iris depth collapses when the head
    turns: at 34° of yaw the 3D iris distance reads 24 % short). The ratio IPD / face size is the
    median over the frontal frames; with none, :data:`POPULATION_IPD_PER_SIZE`.
    """
    iris = np.linalg.norm(pts[:, LEFT_IRIS] - pts[:, RIGHT_IRIS], axis=-1)
    frontal = (yaw < FRONTAL_YAW_DEG) & np.isfinite(iris) & (iris > 0) & (size > 0)
    ratio = float(np.median(iris[frontal] / size[frontal])) if frontal.any() else POPULATION_IPD_PER_SIZE
    return size * ratio


def canonical_points(landmarks: np.ndarray, image_size: tuple[float, float]) -> np.ndarray:
    """Landmarks in the face frame: head pose removed, IPD units.

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3) or (T, 478, 3)]
        MediaPipe landmarks in normalised image coordinates (x/W, y/H, z in image-width units),
        one face; a (T, 478, 3) sequence is taken to be one person (its IPD is measured once, on
        its frontal frames). NaN frames (tracking gaps) give NaN.
    image_size : (width, height)
        Pixel size of the image the landmarks were normalised by (aspect ratio matters).

    Returns
    -------
    np.ndarray [shape=(478, 3) or (T, 478, 3), dtype=float64]
        +x towards the subject's left, +y up, +z out of the face; origin midway between the four
        eye corners; 1.0 = the subject's inter-pupil distance.
    """
    pts, single = _as_points(landmarks, image_size)
    out, _ = _to_face_frame(pts)
    return out[0] if single else out


def _to_face_frame(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 478, 3) pixel points -> face-frame points and the IPD in pixels (T,) (NaN for gaps)."""
    out = np.full(pts.shape, np.nan)
    ipd_px = np.full(pts.shape[0], np.nan)
    ok = np.isfinite(pts[:, :N_LANDMARKS]).all(axis=(1, 2))
    if ok.any():
        p = pts[ok]
        with np.errstate(invalid="ignore", divide="ignore"):  # a degenerate face gives NaN, not a warning
            rot, ipd, origin = _frame_of(p)
            out[ok] = np.einsum("tij,tkj->tki", rot, p - origin) / ipd[:, None, None]
        ipd_px[ok] = ipd
    return out, ipd_px


def _frame_of(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The face frame of (T, 478, 3) finite pixel points: rotations (T, 3, 3), the IPD in pixels
    (T,) (NaN where degenerate) and the origin (T, 1, 3), midway between the four eye corners."""
    rot, size, yaw = _fit(p)
    ipd = _ipd_scale(p, size, yaw)
    return rot, np.where(ipd > 0, ipd, np.nan), p[:, list(_EYE_CORNERS)].mean(axis=1, keepdims=True)


# --- measures ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FaceMeasures:
    """Geometric measures of one face (or a sequence), in IPD units unless noted.

    Shapes: ``(...)`` for central measures and ``(..., 2)`` for sided ones, ``[subject's left,
    subject's right]``, where ``...`` is ``()`` for one face and ``(T,)`` for a sequence.
    Positive values point the way the named channel moves; *relative* measures are displacements
    from the rest face given to :func:`measure` (``rest_kind`` says which one was used).
    """

    # absolute
    lip_gap: np.ndarray  # inner-lip gap 13-14 along the face's vertical
    eye_aperture: np.ndarray  # (..., 2) upper-lower lid gap 386-374 / 159-145 along the vertical
    mouth_width: np.ndarray  # corner to corner 61-291 along x
    # relative to the rest face
    jaw_drop: np.ndarray  # nose-dorsum (195) to chin (152) distance gained: the chin moving away
    jaw_angle: np.ndarray  # degrees: jaw_drop as a rotation of the mandible (JAW_RADIUS) about its joints
    corner_out: np.ndarray  # (..., 2) mouth corner moved away from the midline
    corner_up: np.ndarray  # (..., 2) mouth corner raised, relative to the mouth centre (mid 13/14)
    corner_down: np.ndarray  # (..., 2) -corner_up (frown)
    smile_pull: np.ndarray  # (..., 2) corner motion along the zygomaticus line (SMILE_ANGLE_DEG up-out)
    corner_stretch: np.ndarray  # (..., 2) outward corner motion not explained by the smile pull
    mouth_narrowing: np.ndarray  # rest width - width (pucker)
    lip_protrusion: np.ndarray  # lips (0, 17) moved forward (+z) (funnel, pucker)
    upper_lip_raise: np.ndarray  # (..., 2) upper-lip border moved towards the nose base (2)
    lower_lip_depress: np.ndarray  # (..., 2) lower-lip border moved towards the chin (152)
    lip_thinning: np.ndarray  # (..., 2) red-lip height (267-312 + 317-314 / 37-82 + 87-84) lost beyond the lips' stretch (press)
    red_lip_lost: np.ndarray  # (..., 2) the same red-lip height lost, however it was lost (stretch included)
    cheek_puff: np.ndarray  # (..., 2) buccal cheek (411/187) moved outwards
    cheek_raise: np.ndarray  # (..., 2) infraorbital cheek (347/118) moved up
    nose_wing_raise: np.ndarray  # (..., 2) alar crease (358/129) moved up
    brow_inner_raise: np.ndarray  # (..., 2) inner brow end moved up
    brow_outer_raise: np.ndarray  # (..., 2) outer brow end moved up
    brow_lower: np.ndarray  # (..., 2) inner and middle brow moved down
    brow_pinch: np.ndarray  # (..., 2) inner brow end moved towards the midline
    eye_closure: np.ndarray  # (..., 2) upper lid lowered over the iris centre: rest lid_over_iris - lid_over_iris
    eye_widen: np.ndarray  # (..., 2) aperture - rest aperture
    lower_lid_raise: np.ndarray  # (..., 2) lower lid moved up relative to the eye corners (squint)
    lid_over_iris: np.ndarray  # (..., 2) upper lid's height above the iris centre (absolute; open ~0.065)
    ipd_px: np.ndarray  # the subject's inter-pupil distance in pixels
    rest_kind: str = "population"  # "population" (canonical face) or "person" (a given neutral face)

    def as_dict(self) -> dict[str, np.ndarray]:
        """Every array measure by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "rest_kind"}


def _side(c: np.ndarray, pair) -> np.ndarray:
    """(T, 2, 3) points of a (left, right) landmark pair, or the mean of pairs of pairs."""
    if isinstance(pair[0], tuple):
        return np.stack([c[:, list(pair[0])].mean(axis=1), c[:, list(pair[1])].mean(axis=1)], axis=1)
    return c[:, list(pair)]


def rest_face(landmarks: np.ndarray, image_size: tuple[float, float]) -> np.ndarray:
    """A person's rest face in the face frame, from one or more neutral frames.

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3) or (N, 478, 3)]
        MediaPipe landmarks of the person's neutral face (several frames: their median).
    image_size : (width, height)

    Returns
    -------
    np.ndarray [shape=(478, 3)]
        Face-frame points, for ``measure(..., rest=...)``.
    """
    pts, _ = _as_points(landmarks, image_size)
    c, _ = _to_face_frame(pts)
    if not np.isfinite(c[:, list(STABLE_POINTS)]).all(axis=(1, 2)).any():
        raise ParameterError("rest has no valid face (NaN landmarks)")
    return np.nanmedian(c, axis=0)


def _rest_points(rest) -> tuple[np.ndarray, str]:
    if rest is None:
        return POPULATION_REST_POINTS[None], "population"
    r = np.asarray(rest, np.float64)
    if r.shape != (N_LANDMARKS, 3):
        raise ShapeError("rest", r.shape, f"({N_LANDMARKS}, 3) face-frame points (rest_face / estimate_rest)")
    return r[None], "person"


def _lid_gap(c, upper, lower):
    return _side(c, upper)[..., 1] - _side(c, lower)[..., 1]


def _pinch(c: np.ndarray, r: np.ndarray) -> np.ndarray:
    """(T, 2) the inner brow ends of face-frame points ``c`` moved towards the midline from ``r``."""
    return -(_side(c, BROW_INNER)[..., 0] - _side(r, BROW_INNER)[..., 0]) * np.array([1.0, -1.0])


def _one_measure(of, landmarks: np.ndarray, image_size: tuple[float, float], rest: np.ndarray | None) -> np.ndarray:
    """``of(face-frame points (T, 478, 3), rest points (1, 478, 3))`` -> (T, 2) on ``landmarks``
    ((478, 3) -> (2,), or (T, 478, 3) -> (T, 2)): one of :func:`measure`'s sided measures alone."""
    pts, single = _as_points(landmarks, image_size)
    c, _ = _to_face_frame(pts)
    out = of(c, _rest_points(rest)[0])
    return out[0] if single else out


def brow_pinch(landmarks: np.ndarray, image_size: tuple[float, float], rest: np.ndarray | None = None) -> np.ndarray:
    """:func:`measure`'s ``brow_pinch`` alone, at a quarter of its cost (the closed loop bounds the
    drawn pinch by bisection, measuring it a dozen times a frame).

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3) or (T, 478, 3)]
    image_size : (width, height)
    rest : np.ndarray [shape=(478, 3)], optional
        As for :func:`measure`.

    Returns
    -------
    np.ndarray [shape=(2,) or (T, 2)]
        IPD, [subject's left, subject's right].
    """
    return _one_measure(_pinch, landmarks, image_size, rest)


_PINCH_ROWS = [i for pair in BROW_INNER for i in pair]  # (left upper, lower, right upper, lower)


def brow_pinch_one(landmarks: np.ndarray, image_size: tuple[float, float], rest: np.ndarray | None = None) -> np.ndarray:
    """:func:`brow_pinch` of one face, the same values to the bit, at about half its cost: no
    argument checks, and only the four inner-brow points taken into the face frame (the closed
    loop's bisections measure the drawn pinch ~6 times a frame; docs/journal/animate.md, "Seventeenth
    session").

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3)]
        MediaPipe landmarks in normalised image coordinates.
    image_size : (width, height)
    rest : np.ndarray [shape=(478, 3)], optional
        As for :func:`measure`.

    Returns
    -------
    np.ndarray [shape=(2,)]
        IPD, [subject's left, subject's right].
    """
    w, h = (float(v) for v in image_size)
    p = np.asarray(landmarks, np.float64)[None, :N_LANDMARKS] * np.array([w, -h, -w])
    if not np.isfinite(p).all():
        return brow_pinch(landmarks, image_size, rest)
    with np.errstate(invalid="ignore", divide="ignore"):  # (as _to_face_frame)
        rot, ipd, origin = _frame_of(p)
        c = np.einsum("tij,tkj->tki", rot, p[:, _PINCH_ROWS] - origin) / ipd[:, None, None]
    ends = np.stack([c[:, [0, 1]].mean(axis=1), c[:, [2, 3]].mean(axis=1)], axis=1)
    return (-(ends[..., 0] - _side(_rest_points(rest)[0], BROW_INNER)[..., 0]) * np.array([1.0, -1.0]))[0]


def _nose_to_lip(face: np.ndarray) -> np.ndarray:
    """(T, 2) the upper lip's border beside the philtrum below the subnasale (face frame)."""
    return face[:, SUBNASALE, 1][:, None] - _side(face, UPPER_LIP_SIDE)[..., 1]


def upper_lip_raise(landmarks: np.ndarray, image_size: tuple[float, float],
                    rest: np.ndarray | None = None) -> np.ndarray:
    """:func:`measure`'s ``upper_lip_raise`` alone, at about half its cost (the closed loop bounds
    the drawn upper lip by bisection); arguments and result as :func:`brow_pinch`'s."""
    return _one_measure(lambda c, r: _nose_to_lip(r) - _nose_to_lip(c), landmarks, image_size, rest)


def _red_lips(face: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 2) red-lip heights beside the philtrum: the upper lip's, the lower lip's."""
    return (_side(face, UPPER_LIP_SIDE)[..., 1] - _side(face, UPPER_LIP_SIDE_INNER)[..., 1],
            _side(face, LOWER_LIP_SIDE_INNER)[..., 1] - _side(face, LOWER_LIP_SIDE)[..., 1])


def _lip_length(face: np.ndarray, middle: int, side_inner: tuple[int, int]) -> np.ndarray:
    """(T, 2) one lip's inner edge from the middle to each corner (middle -> beside the philtrum ->
    corner), in the image plane."""
    mid = face[:, middle, :2][:, None]
    side = _side(face, side_inner)[..., :2]
    corner = _side(face, MOUTH_CORNER)[..., :2]
    return np.linalg.norm(side - mid, axis=-1) + np.linalg.norm(corner - side, axis=-1)


def lip_thinning(c: np.ndarray, r: np.ndarray) -> np.ndarray:
    """MouthPress's measure: the red-lip height lost beyond what the lips' own lengthening explains.

    A red lip keeps its area as it stretches, so a smile's widened mouth and a gaping jaw's long lip
    edge thin the lips without pressing them: CK+ smile apexes against their own neutral frames lost
    0.07-0.10 IPD of red lip (0.64-0.86 of MouthPress's extent read as plain height), surprise apexes
    0.04-0.08, a press 0.08 at an unchanged length. Each lip and side is expected at its rest
    height x min(1, rest length / length) (no correction for a shortened lip: a pucker's narrowing
    is not a press either way); the loss is measured from there.

    Parameters
    ----------
    c, r : np.ndarray [shape=(T, 478, 3)]
        Face-frame points of the face and of its rest (broadcastable).

    Returns
    -------
    np.ndarray [shape=(T, 2)]
        Subject's left, right (IPD).
    """
    lost = 0.0
    for (now, rest), middle, inner in zip(zip(_red_lips(c), _red_lips(r)), (UPPER_LIP_INNER, LOWER_LIP_INNER),
                                         (UPPER_LIP_SIDE_INNER, LOWER_LIP_SIDE_INNER)):
        stretch = _lip_length(r, middle, inner) / np.maximum(_lip_length(c, middle, inner), 1e-9)
        lost = lost + rest * np.minimum(stretch, 1.0) - now
    return lost


def photo_lips_pressed(landmarks: np.ndarray, image_size: tuple[float, float]) -> np.ndarray:
    """How far a photo's lips are thinned, as a MouthPress weight per side: all of the red lip it lost
    against the population rest (``red_lip_lost``), stretch included, in MouthPress's full extent.

    What the portrait animator and the 3D avatar take off a photo to reach its neutral face. A photo's
    smile reads short against the population rest, and taking its smile shapes off gives back little
    of the red lip a real smile loses (0.07-0.10 IPD against the same person's neutral frame), so a
    smiling photo whose press alone was taken off (0 in the unit: a smile presses nothing) rested with
    a wide mouth and thin lips: against the same people's neutral frames (CK+ S052_004, S055_005,
    S074_005, single_face.mp4) the avatar's rest width 0.069 and upper red lip 0.039 IPD off, against
    0.028 and 0.018 with the whole loss taken off through the press (as before MouthPress counted only
    the thinning a lip's stretch does not explain).

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3)]
        The photo's landmarks, normalised by ``image_size``.
    image_size : (width, height)

    Returns
    -------
    np.ndarray [shape=(2,)]
        Subject's left, right, in [0, 1] (0 where the landmarks give no measure).
    """
    lost = measure(np.asarray(landmarks, np.float64), image_size).red_lip_lost
    return np.clip(np.nan_to_num(np.asarray(lost, np.float64)) / CHANNELS["MouthPressLeft"].full_extent, 0.0, 1.0)


def photo_rest_weights(weights: np.ndarray, landmarks: np.ndarray | None,
                       image_size: tuple[float, float]) -> np.ndarray:
    """A photo's captured UE weights as the expression to take off it for a neutral rest: the lips'
    press raised to all of the red lip they lost (:func:`photo_lips_pressed`), so that what a smile's
    stretch thinned goes off through the press too. The one rule the portrait's ``rest="neutral"`` and
    the 3D avatar's fit share.

    Parameters
    ----------
    weights : np.ndarray [shape=(88,)]
        The photo's UE weights (NaN read as 0).
    landmarks : np.ndarray [shape=(478, 3)] or None
        The photo's landmarks, normalised by ``image_size`` (None: the weights as they are).
    image_size : (width, height)

    Returns
    -------
    np.ndarray [shape=(88,), dtype=float32]
    """
    from .names import ue_index

    out = np.nan_to_num(np.asarray(weights, np.float32)).copy()
    if landmarks is None:
        return out
    pressed = photo_lips_pressed(landmarks, image_size)
    for side, name in enumerate(("MouthPressLeft", "MouthPressRight")):  # geometry's [left, right]
        out[ue_index(name)] = max(float(out[ue_index(name)]), float(pressed[side]))
    return out


def measure(landmarks: np.ndarray, image_size: tuple[float, float],
            rest: np.ndarray | None = None) -> FaceMeasures:
    """Geometric measures of a face, normalised by its inter-pupil distance.

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3) or (T, 478, 3)]
        MediaPipe landmarks in normalised image coordinates; NaN frames give NaN measures.
    image_size : (width, height)
        Pixel size of the image(s) the landmarks were normalised by.
    rest : np.ndarray [shape=(478, 3)], optional
        The same person's rest face in the face frame (:func:`rest_face` of a neutral frame, or
        :func:`estimate_rest` of a video). Without it the relative measures are taken from
        :data:`POPULATION_REST_POINTS`, which is off by the person's own proportions
        (``docs/units.md`` gives the spread).

    Returns
    -------
    FaceMeasures
        Arrays shaped ``()``/``(2,)`` for one face, ``(T,)``/``(T, 2)`` for a sequence.
    """
    pts, single = _as_points(landmarks, image_size)
    c, ipd_px = _to_face_frame(pts)
    r, kind = _rest_points(rest)
    sign = np.array([1.0, -1.0])  # +x is the subject's left: "outwards" is +x on the left, -x on the right

    lip_gap = c[:, UPPER_LIP_INNER, 1] - c[:, LOWER_LIP_INNER, 1]
    aperture = _lid_gap(c, UPPER_LID, LOWER_LID)
    width = c[:, MOUTH_CORNER[0], 0] - c[:, MOUTH_CORNER[1], 0]

    # Jaw: the mandible rotates about its joints, so the chin moves down and back, away from the
    # nose. A distance between two points does not depend on the head fit (the chin is far from
    # the stable points, where a 3° pitch error would move it by 0.1 IPD).
    def nose_to_chin(face):
        return np.linalg.norm(face[:, CHIN] - face[:, NOSE_DORSUM], axis=-1)

    jaw_drop = nose_to_chin(c) - nose_to_chin(r)
    jaw_angle = np.degrees(2 * np.arcsin(np.clip(jaw_drop / (2 * JAW_RADIUS), -1.0, 1.0)))

    # Mouth corners: outwards from the midline; up relative to the mouth centre, so that the
    # jaw's own opening (which lowers the whole mouth) does not read as a frown.
    def corner_parts(face):
        corner = _side(face, MOUTH_CORNER)
        centre = (face[:, UPPER_LIP_INNER] + face[:, LOWER_LIP_INNER]) / 2
        return corner[..., 0] * sign, corner[..., 1] - centre[:, None, 1]

    out_now, up_now = corner_parts(c)
    out_rest, up_rest = corner_parts(r)
    corner_out, corner_up = out_now - out_rest, up_now - up_rest
    ang = np.radians(SMILE_ANGLE_DEG)
    smile_pull = corner_out * np.cos(ang) + corner_up * np.sin(ang)
    corner_stretch = corner_out - np.maximum(corner_up, 0.0) / np.tan(ang)

    width0 = r[:, MOUTH_CORNER[0], 0] - r[:, MOUTH_CORNER[1], 0]
    lips_z = c[:, [UPPER_LIP, LOWER_LIP], 2].mean(axis=1)
    lips_z0 = r[:, [UPPER_LIP, LOWER_LIP], 2].mean(axis=1)

    def lip_to_chin(face):
        return _side(face, LOWER_LIP_SIDE)[..., 1] - face[:, CHIN, 1][:, None]

    def rise(pair):
        return _side(c, pair)[..., 1] - _side(r, pair)[..., 1]

    def lower_lid(face):
        corners = (_side(face, EYE_OUTER)[..., 1] + _side(face, EYE_INNER)[..., 1]) / 2
        return _side(face, LOWER_LID)[..., 1] - corners

    brow_inner = rise(BROW_INNER)
    brow_mid = rise(BROW_MID)
    aperture0 = _lid_gap(r, UPPER_LID, LOWER_LID)
    lid_now = lid_over_iris(c)
    result = dict(
        lip_gap=lip_gap, eye_aperture=aperture, mouth_width=width,
        jaw_drop=jaw_drop, jaw_angle=jaw_angle,
        corner_out=corner_out, corner_up=corner_up, corner_down=-corner_up,
        smile_pull=smile_pull, corner_stretch=corner_stretch,
        mouth_narrowing=width0 - width, lip_protrusion=lips_z - lips_z0,
        upper_lip_raise=_nose_to_lip(r) - _nose_to_lip(c), lower_lip_depress=lip_to_chin(r) - lip_to_chin(c),
        lip_thinning=lip_thinning(c, r),
        red_lip_lost=sum(rest - now for now, rest in zip(_red_lips(c), _red_lips(r))),
        cheek_puff=(_side(c, CHEEK_LOWER)[..., 0] - _side(r, CHEEK_LOWER)[..., 0]) * sign,
        cheek_raise=rise(CHEEK_UPPER), nose_wing_raise=rise(NOSE_WING),
        brow_inner_raise=brow_inner, brow_outer_raise=rise(BROW_OUTER),
        brow_lower=-(brow_inner + brow_mid) / 2,
        brow_pinch=_pinch(c, r),
        eye_closure=lid_over_iris(r) - lid_now, eye_widen=aperture - aperture0,
        lower_lid_raise=lower_lid(c) - lower_lid(r), lid_over_iris=lid_now,
        ipd_px=ipd_px,
    )
    if single:
        result = {k: v[0] for k, v in result.items()}
    return FaceMeasures(**result, rest_kind=kind)


def estimate_rest(landmarks: np.ndarray, image_size: tuple[float, float], *,
                  max_lip_gap: float = 0.03) -> np.ndarray | None:
    """A person's rest face estimated from a video of them (one face).

    The mouth, jaw and everything else come from the median of the frames with the lips together;
    the eyelids from the median of the frames whose aperture lies between the sequence's 50th and
    90th percentiles (a face with closed lips may have closed eyes: WolfgangLanger's are shut in
    all 86 of hers, and in her first 5 s).

    Parameters
    ----------
    landmarks : np.ndarray [shape=(T, 478, 3)]
        One person's frames (a video track's landmarks).
    image_size : (width, height)
    max_lip_gap : float
        Inner-lip gap (IPD units) below which the lips count as together.

    Returns
    -------
    np.ndarray [shape=(478, 3)] or None
        Face-frame points for ``measure(..., rest=...)``; None when no frame has its lips
        together. Lips together with a smile or a frown still count, so this is a rest for the
        jaw first; a real neutral frame (:func:`rest_face`) is better when there is one.
    """
    pts, _ = _as_points(landmarks, image_size)
    c, _ = _to_face_frame(pts)
    gap = c[:, UPPER_LIP_INNER, 1] - c[:, LOWER_LIP_INNER, 1]
    closed = np.isfinite(gap) & (gap < max_lip_gap)
    if not closed.any():
        return None
    rest = np.nanmedian(c[closed], axis=0)
    aperture = _lid_gap(c, UPPER_LID, LOWER_LID).mean(axis=-1)
    ok = np.isfinite(aperture)
    # the open half of the sequence, short of its widest tenth: shut and half-shut eyes (blinks,
    # crying, smiling squints) never set the rest, wide surprise does not either
    lo, hi = np.percentile(aperture[ok], [50, 90])
    typical = ok & (aperture >= lo) & (aperture <= hi)
    lids = [*EYELID_POINTS, *IRIS]  # the irises with the lids: EyeClosed's upper lid is read against them
    rest[lids] = np.nanmedian(c[typical][:, lids], axis=0)
    return rest


# --- the unit: channels and their full extents -------------------------------------------------------
@dataclass(frozen=True)
class Channel:
    """How one UE shape is measured: ``weight = measure / full_extent`` (1.0 = full extent).

    ``EyeClosedLeft/Right`` are not UE shapes but VRCFaceTracking's eye data: ``1 - openness``.
    """

    name: str  # UE shape name
    measure: str  # FaceMeasures field
    side: int | None  # 0 subject's left, 1 right, None central
    full_extent: float  # IPD units (degrees for none): the measure at weight 1.0
    source: str  # where full_extent comes from (docs/units.md has the numbers)


def _sided(stem: str, measure: str, extent: float, source: str) -> list[Channel]:
    return [Channel(f"{stem}Left", measure, 0, extent, source), Channel(f"{stem}Right", measure, 1, extent, source)]


def _quadrants(stem: str, measure: str, extent: float, source: str) -> list[Channel]:
    # UE splits these into upper/lower x left/right; one central measure drives all four.
    return [Channel(f"{stem}{part}{side}", measure, None, extent, source)
            for part in ("Upper", "Lower") for side in ("Left", "Right")]


_CHANNEL_LIST = [
    Channel("JawOpen", "jaw_drop", None, 0.75, "anatomy: maximal mouth opening ~47 mm (0.75 IPD)"),
    *_sided("MouthCornerPull", "smile_pull", 0.25,
            "real faces: the broadest laughs measured (multi_face.jpg #1, WolfgangLanger)"),
    *_sided("MouthCornerSlant", "corner_up", 0.16,
            "real faces: the highest corner lift measured (WolfgangLanger laugh)"),
    *_sided("MouthFrown", "corner_down", 0.1, "anatomy: AU15 at E, corners ~6 mm down"),
    *_sided("MouthStretch", "corner_stretch", 0.2, "anatomy: AU20 at E, corners ~12 mm out"),
    *_quadrants("LipPucker", "mouth_narrowing", 0.3, "anatomy: AU18 at E, mouth ~40 % narrower"),
    *_quadrants("LipFunnel", "lip_protrusion", 0.15, "anatomy: AU22 at E, lips ~10 mm forward"),
    *_sided("MouthUpperUp", "upper_lip_raise", 0.1,
            "real faces: the largest raise measured (WolfgangLanger); AU10 at E ~6 mm"),
    *_sided("MouthLowerDown", "lower_lip_depress", 0.25, "anatomy: AU16 at E, lower lip ~16 mm down"),
    *_sided("MouthPress", "lip_thinning", 0.11, "anatomy: AU24 at E, half the red-lip height"),
    *_sided("CheekPuff", "cheek_puff", 0.1, "anatomy: AU34 at E, cheek ~6 mm out"),
    *_sided("CheekSquint", "cheek_raise", 0.1, "anatomy: AU6 at E, cheek ~6 mm up"),
    *_sided("NoseSneer", "nose_wing_raise", 0.1, "anatomy: AU9 at E, nose wings ~6 mm up"),
    *_sided("BrowInnerUp", "brow_inner_raise", 0.12, "anatomy: AU1 at E, ~8 mm"),
    *_sided("BrowOuterUp", "brow_outer_raise", 0.12, "anatomy: AU2 at E, ~8 mm"),
    *_sided("BrowLowerer", "brow_lower", 0.1, "anatomy: AU4 at E, ~6 mm"),
    *_sided("BrowPinch", "brow_pinch", 0.06, "anatomy: AU4 at E, inner brows ~4 mm together"),
    *_sided("EyeClosed", "eye_closure", 0.066,
            "real faces: the upper lid's travel over the iris centre, open to shut (WolfgangLanger's blinks)"),
    *_sided("EyeWide", "eye_widen", 0.06, "anatomy: AU5 at E, upper lid ~4 mm up"),
    *_sided("EyeSquint", "lower_lid_raise", 0.05, "anatomy: AU7 at E, lower lid ~3 mm up"),
]
CHANNELS: dict[str, Channel] = {ch.name: ch for ch in _CHANNEL_LIST}
# MouthClosed is not a measure of its own: lips together while the jaw is open (see geometric_weights).
MOUTH_CLOSED_GAP_EXTENT = 0.75  # inner-lip gap at JawOpen 1.0 with relaxed lips (IPD)


def _channel(name: str) -> Channel:
    if name not in CHANNELS:
        raise UnknownNameError(f"no geometric definition for {name!r}{suggest(name, list(CHANNELS))}; "
                               f"defined: {', '.join(CHANNELS)}")
    return CHANNELS[name]


def extent_to_weight(channel: str, value) -> np.ndarray:
    """Geometric measure (IPD units) -> UE weight of ``channel`` (1.0 = full extent).

    Linear and unclipped, so that :func:`weight_to_extent` inverts it exactly; clip to [0, 1]
    where a shape weight is needed.

    Parameters
    ----------
    channel : str
        A UE shape name in :data:`CHANNELS`.
    value : float or np.ndarray [shape=(...)]
    """
    return np.asarray(value, np.float64) / _channel(channel).full_extent


def weight_to_extent(channel: str, weight) -> np.ndarray:
    """UE weight of ``channel`` -> geometric measure (IPD units); the inverse of
    :func:`extent_to_weight`. ``weight`` is a float or an array of any shape."""
    return np.asarray(weight, np.float64) * _channel(channel).full_extent


def geometric_weights(measures: FaceMeasures) -> dict[str, np.ndarray]:
    """UE weights in the geometric unit, per channel, clipped to [0, 1].

    Parameters
    ----------
    measures : FaceMeasures

    Returns
    -------
    dict of str -> np.ndarray [shape=() or (T,)]
        Every channel in :data:`CHANNELS` plus ``MouthClosed`` (lips together while the jaw is
        open: ``JawOpen - lip_gap / MOUTH_CLOSED_GAP_EXTENT``, kept within [0, JawOpen] as
        VRCFaceTracking's corrector does).
    """
    out = {}
    for name, ch in CHANNELS.items():
        v = getattr(measures, ch.measure)
        if ch.side is not None:
            v = v[..., ch.side]
        out[name] = np.clip(extent_to_weight(name, v), 0.0, 1.0)
    jaw = out["JawOpen"]
    lips_apart = np.asarray(measures.lip_gap, np.float64) / MOUTH_CLOSED_GAP_EXTENT
    out["MouthClosed"] = np.clip(jaw - lips_apart, 0.0, jaw)
    return out
