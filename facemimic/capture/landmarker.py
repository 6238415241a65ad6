"""MediaPipe Tasks ``FaceLandmarker``: one runner per source, plus small-face tiling for stills.

* Streams (video, webcam, NumPy clips) use VIDEO mode with strictly increasing integer-millisecond
  timestamps, so MediaPipe reuses the previous face ROI and (for one face) runs its landmark filter.
* Stills, and the ``raw`` smoothing preset, use IMAGE mode: every frame is solved from scratch
  (MediaPipe's VIDEO filter halves brow motion, spec tracking.md §1.4).
* MediaPipe's face detector sees a 128x128 view of the whole frame, so small faces in group photos
  are missed (one pass finds 2 of the 5 faces in ``multi_face.jpg``). :meth:`detect_still` adds
  overlapping square tiles at two scales and merges detections by landmark-box IoU.
* A scoring runner (``score_faces=True``; the pipeline asks for it on photos and tiled frames)
  gives every face a measured score (:mod:`.face_score`: the bundle's face detector re-run on crops
  around it) and drops faces below ``min_face_score``: in small tiles the landmarker also accepts
  round objects (a silver bowl on a table). Unscored faces carry ``score=None``.
"""

from __future__ import annotations

import math
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..common.signals import interrupts_deferred
from ..expressions.geometry import LEFT_IRIS, RIGHT_IRIS
from .options import CaptureOptions
from .sources import fit_within

N_LANDMARKS = 478
# MediaPipe's face-geometry graph uses a virtual pinhole camera with this vertical field of view.
VERTICAL_FOV_DEG = 63.0
# Tiles: (tile side as a fraction of the image's shorter side, overlap fraction).
TILE_SCALES = ((0.6, 0.3), (0.36, 0.3))
# Detections whose IoU exceeds this (or whose centre lies inside the other box) are one face.
DEDUP_IOU = 0.3
# A tile detection this close to an already rejected one is the same object (not scored again).
REJECTED_IOU = 0.5
# Every face of a still is fitted again on a square crop centred on it, REFIT_CROP times its
# landmark box's longer side: the full pass fits a small face from a detection in a 128x128 view
# of the whole frame, and that ROI can be far off. The refit replaces the first fit only where
# the two disagree by more than REFIT_DISAGREE (median landmark distance, share of the
# inter-pupil distance): multi_face.jpg's rightmost face, a broad toothy smile, was fitted with
# its mouth on the chin and its chin on the neck (0.99 IPD apart); every other face of the
# project's samples agreed within 0.04 (the 34-degree turned 45-m7-di 0.031), so a good fit is
# kept as it was, to the bit.
REFIT_CROP = 2.0
REFIT_DISAGREE = 0.1


@dataclass(frozen=True, eq=False)
class RawFace:
    """One face as MediaPipe reports it, in full-frame coordinates."""

    landmarks: np.ndarray  # (478, 3) float32: x/W, y/H normalised to the frame; z in frame-width units
    blendshapes: np.ndarray  # (52,) float32 scores in MEDIAPIPE_NAMES order
    matrix: np.ndarray  # (4, 4) float32 facial transformation (canonical face, cm -> camera, GL axes)
    box: tuple[float, float, float, float]  # landmark bounding box (x0, y0, x1, y1) in pixels
    frame_size: tuple[int, int]  # (width, height) of the frame the coordinates refer to
    from_tile: bool = False  # found by the small-face tiling pass rather than the full frame
    score: float | None = None  # measured face score in [0, 1] (IMAGE mode); None: not scored (VIDEO mode)

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


def _box(landmarks: np.ndarray, w: int, h: int) -> tuple[float, float, float, float]:
    xs, ys = landmarks[:, 0] * w, landmarks[:, 1] * h
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def box_iou(a, b) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _centre_inside(a, b) -> bool:
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


def same_face(a, b) -> bool:
    """Whether two landmark boxes are the same face (IoU, or one centre inside the other box)."""
    return box_iou(a, b) > DEDUP_IOU or _centre_inside(a, b) or _centre_inside(b, a)


def _retarget_matrix(m: np.ndarray, crop: tuple[int, int, int, int], full: tuple[int, int]) -> np.ndarray:
    """Move a transformation found in a crop into the full frame's virtual camera.

    The face keeps its pixel position and size; MediaPipe's camera has a fixed vertical FOV, so the
    depth scales with frame height / crop height, and x/y are re-projected from the pixel centre.
    """
    x0, y0, cw, ch = crop
    w, h = full
    k = 1.0 / math.tan(math.radians(VERTICAL_FOV_DEG / 2))
    fc, ff = k * ch / 2, k * h / 2  # focal lengths in pixels
    X, Y, Z = (float(v) for v in m[:3, 3])
    if Z >= -1e-6:
        return m
    d = -Z
    u, v = x0 + cw / 2 + fc * X / d, y0 + ch / 2 - fc * Y / d
    d_full = d * ff / fc
    out = np.array(m, np.float32, copy=True)
    out[:3, 3] = ((u - w / 2) * d_full / ff, -(v - h / 2) * d_full / ff, -d_full)
    return out


@contextmanager
def quiet_native_stderr():
    """Silence C++ stderr (file descriptor 2) for a moment.

    MediaPipe's native code logs 4-5 INFO/WARNING lines ("Logging before InitGoogle", "Created
    TensorFlow Lite XNNPACK delegate", …) whenever a landmarker is created and first run;
    ``GLOG_minloglevel`` is not honoured by the ctypes build, so fd 2 is pointed at /dev/null
    around those two calls only. Python exceptions are unaffected. Set
    ``FACEMIMIC_NATIVE_LOGS=1`` to see the lines.
    """
    if os.environ.get("FACEMIMIC_NATIVE_LOGS"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no real fd 2 (some embedded interpreters): leave it alone
        yield
        return
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class FaceLandmarkerRunner:
    """A MediaPipe FaceLandmarker set up for one source (MediaPipe keeps per-stream state).

    Parameters
    ----------
    model_path : Path
        Verified ``face_landmarker.task``.
    video : bool
        VIDEO mode (tracking between frames) if True, else IMAGE mode.
    options : CaptureOptions
    score_faces : bool
        Score every face and drop those below ``options.min_face_score`` (the pipeline does for
        photos and tiled frames). Off by default, so other users of the runner (the portrait
        calibration re-tracking rendered faces) keep every face MediaPipe finds.
    blendshapes : bool
        Ask MediaPipe for the faces' blendshape scores and transformation matrices (default). Off,
        the faces carry zero scores and identity matrices, and each image costs ~0.7 ms less CPU (of ~12): for
        callers that read the landmarks alone, which are the same to the bit either way.
    """

    def __init__(self, model_path: Path, *, video: bool, options: CaptureOptions,
                 score_faces: bool = False, blendshapes: bool = True) -> None:
        from .mediapipe_import import import_mediapipe

        import_mediapipe()  # MediaPipe without the matplotlib/sounddevice imports it never needs here
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        self.video = video
        self.options = options
        self._vision = vision

        def make(num_faces: int):
            return vision.FaceLandmarker.create_from_options(vision.FaceLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(model_path)),
                running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
                num_faces=num_faces,
                min_face_detection_confidence=options.min_detection_confidence,
                min_face_presence_confidence=options.min_presence_confidence,
                min_tracking_confidence=options.min_tracking_confidence,
                output_face_blendshapes=blendshapes,
                output_facial_transformation_matrixes=blendshapes,
            ))

        self._make = make
        self._scorer = None
        with interrupts_deferred(), quiet_native_stderr():
            self._landmarker = make(options.max_faces)
            if score_faces:
                from .face_score import FaceScorer

                self._scorer = FaceScorer(model_path)
        self.rejected: list[RawFace] = []  # faces dropped for a low score in the last detect/detect_still
        self._last_ms = -1
        self._warm = False  # the first inference logs too

    # -- one pass ---------------------------------------------------------------------------------
    def _run(self, image: np.ndarray, time_s: float | None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        import mediapipe as mp

        if not self._warm:
            self._warm = True
            with quiet_native_stderr():
                return self._run(image, time_s)
        # Held to the call's end: MediaPipe's worker thread reads the image while we wait.
        with interrupts_deferred():
            mp_image = mp.Image(image_format=mp.ImageFormat.SRGB, data=image)
            if self.video:
                ms = int(round((time_s or 0.0) * 1000.0))
                if ms <= self._last_ms:  # MediaPipe needs strictly increasing timestamps
                    ms = self._last_ms + 1
                self._last_ms = ms
                result = self._landmarker.detect_for_video(mp_image, ms)
            else:
                result = self._landmarker.detect(mp_image)
        out = []
        for i, lms in enumerate(result.face_landmarks):
            pts = np.array([(p.x, p.y, p.z) for p in lms], np.float32)
            if result.face_blendshapes and i < len(result.face_blendshapes):
                bs = np.array([c.score for c in result.face_blendshapes[i]], np.float32)
            else:  # a landmarks-only runner (blendshapes=False)
                bs = np.zeros(52, np.float32)
            mats = result.facial_transformation_matrixes
            mat = np.asarray(mats[i], np.float32).reshape(4, 4) if mats and i < len(mats) else np.eye(4, dtype=np.float32)
            out.append((pts, bs, mat))
        return out

    def detect(self, image: np.ndarray, time_s: float | None = None) -> list[RawFace]:
        """Faces in one frame (a stream frame in VIDEO mode, a still in IMAGE mode).

        Parameters
        ----------
        image : np.ndarray [shape=(H, W, 3), dtype=uint8]
            RGB, C-contiguous.
        time_s : float, optional
            Frame time in seconds (VIDEO mode).
        """
        img = np.ascontiguousarray(fit_within(image, self.options.max_side))
        h, w = img.shape[:2]
        faces = [RawFace(landmarks=pts, blendshapes=bs, matrix=mat, box=_box(pts, w, h), frame_size=(w, h))
                 for pts, bs, mat in self._run(img, time_s)]
        self.rejected = []
        return [f for f in (self._scored(img, f) for f in faces) if self._keep(f)]

    def _scored(self, image: np.ndarray, face: RawFace) -> RawFace:
        """``face`` with its measured score (unchanged when this runner does not score)."""
        if self._scorer is None:
            return face
        return replace(face, score=self._scorer.score(image, face.box))

    def _keep(self, face: RawFace) -> bool:
        """Whether a scored face passes ``min_face_score`` (records it in ``rejected`` if not)."""
        if face.score is None or face.score >= self.options.min_face_score:
            return True
        self.rejected.append(face)
        return False

    def detect_still(self, image: np.ndarray, *, tiling: bool = True) -> list[RawFace]:
        """Faces in a still: a full-frame pass, then (if fewer than ``max_faces`` were found)
        overlapping tiles at two scales, merged by landmark-box IoU.

        Parameters
        ----------
        image : np.ndarray [shape=(H, W, 3), dtype=uint8]
        tiling : bool
            Search tiles for faces the full pass missed.

        Returns
        -------
        list of RawFace
            At most ``max_faces``, largest first; coordinates refer to ``image``'s frame.
        """
        faces = self.detect(image)
        limit = self.options.max_faces
        h, w = image.shape[:2]
        # Full-pass boxes were measured on the downscaled frame; express everything in `image` pixels.
        found = [self._refit(image, _rescale(f, w, h)) for f in faces]
        if not tiling or len(found) >= limit:
            return sorted(found, key=lambda f: -f.area)[:limit]
        rejected = [_rescale(f, w, h) for f in self.rejected]
        for frac, overlap in TILE_SCALES:
            side = int(round(min(w, h) * frac))
            if side < 48:
                continue
            for x0, y0 in _tile_origins(w, h, side, overlap):
                tile = np.ascontiguousarray(image[y0:y0 + side, x0:x0 + side])
                for pts, bs, mat in self._run(np.ascontiguousarray(fit_within(tile, self.options.max_side)), None):
                    tb = _box(pts, side, side)
                    # A face cut by a tile edge (that is not the image edge) is partial: skip it,
                    # an overlapping tile sees it whole.
                    m = 0.01 * side
                    if ((tb[0] < m and x0 > 0) or (tb[1] < m and y0 > 0) or
                            (tb[2] > side - m and x0 + side < w) or (tb[3] > side - m and y0 + side < h)):
                        continue
                    full = _to_frame(pts, x0, y0, side, w, h)
                    box = _box(full, w, h)
                    if any(same_face(box, f.box) for f in found):
                        continue
                    # An object already rejected, seen again by an overlapping tile: not re-scored.
                    # (Only near-identical boxes: a rejected partial view must not hide a real face.)
                    if any(box_iou(box, f.box) > REJECTED_IOU for f in rejected):
                        continue
                    face = self._scored(image, self._refit(image, RawFace(
                        landmarks=full, blendshapes=bs, matrix=_retarget_matrix(mat, (x0, y0, side, side), (w, h)),
                        box=box, frame_size=(w, h), from_tile=True)))
                    if self._keep(face):
                        found.append(face)
                    else:
                        rejected.append(face)
        self.rejected = rejected
        return sorted(found, key=lambda f: -f.area)[:limit]

    def _refit(self, image: np.ndarray, face: RawFace) -> RawFace:
        """``face`` (in ``image``'s pixels) fitted again on a square crop centred on it
        (:data:`REFIT_CROP`); the refit where the two fits disagree by more than
        :data:`REFIT_DISAGREE`, else ``face`` itself."""
        h, w = image.shape[:2]
        lm = face.landmarks[:, :2] * (w, h)
        ipd = float(np.linalg.norm(lm[RIGHT_IRIS] - lm[LEFT_IRIS]))
        x0, y0, x1, y1 = face.box
        side = int(round(REFIT_CROP * max(x1 - x0, y1 - y0)))
        if side < 16 or ipd <= 0.0:
            return face
        cx, cy = int(round((x0 + x1 - side) / 2)), int(round((y0 + y1 - side) / 2))
        crop = _square_crop(image, cx, cy, side)
        best, best_d = None, math.inf
        for pts, bs, mat in self._run(np.ascontiguousarray(fit_within(crop, self.options.max_side)), None):
            full = _to_frame(pts, cx, cy, side, w, h)
            d = float(np.median(np.linalg.norm(full[:, :2] * (w, h) - lm, axis=1)))
            if d < best_d:
                best, best_d = (full, bs, mat), d
        if best is None or best_d <= REFIT_DISAGREE * ipd:
            return face
        full, bs, mat = best
        box = _box(full, w, h)
        if not same_face(box, face.box):  # the crop's face is a neighbour, not this one refitted
            return face
        return replace(face, landmarks=full, blendshapes=bs, box=box,
                       matrix=_retarget_matrix(mat, (cx, cy, side, side), (w, h)))

    def close(self) -> None:
        """Release the MediaPipe graphs (idempotent)."""
        with interrupts_deferred():  # a close cut short leaves MediaPipe's worker thread behind
            if self._landmarker is not None:
                self._landmarker.close()
                self._landmarker = None
            if self._scorer is not None:
                self._scorer.close()
                self._scorer = None

    def __enter__(self) -> "FaceLandmarkerRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _rescale(face: RawFace, w: int, h: int) -> RawFace:
    return replace(face, box=_box(face.landmarks, w, h), frame_size=(w, h))


def _to_frame(pts: np.ndarray, x0: int, y0: int, side: int, w: int, h: int) -> np.ndarray:
    """Landmarks (478, 3) normalised to a ``side``-px square crop whose corner is (x0, y0) ->
    normalised to the w x h frame it was cut from."""
    full = pts.copy()
    full[:, 0] = (x0 + pts[:, 0] * side) / w
    full[:, 1] = (y0 + pts[:, 1] * side) / h
    full[:, 2] = pts[:, 2] * side / w
    return full


def _square_crop(image: np.ndarray, x0: int, y0: int, side: int) -> np.ndarray:
    """The ``side`` x ``side`` square of ``image`` from (x0, y0), its edge pixels repeated where
    the square leaves the image (a face at the picture's edge stays centred)."""
    import cv2

    h, w = image.shape[:2]
    pad = (max(0, -y0), max(0, y0 + side - h), max(0, -x0), max(0, x0 + side - w))
    part = image[max(0, y0):min(h, y0 + side), max(0, x0):min(w, x0 + side)]
    if any(pad):
        part = cv2.copyMakeBorder(part, *pad, cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(part)


def _tile_origins(w: int, h: int, side: int, overlap: float) -> list[tuple[int, int]]:
    """Top-left corners of square tiles covering a w x h frame with the given overlap."""
    def starts(length: int) -> list[int]:
        if length <= side:
            return [0]
        stride = max(1, int(side * (1 - overlap)))
        n = math.ceil((length - side) / stride) + 1
        return sorted({min(i * stride, length - side) for i in range(n)})

    return [(x, y) for y in starts(h) for x in starts(w)]
