"""Still images judged one by one: the landmarker in IMAGE mode plus the solver, no smoothing.

For callers that render faces and need the capture stage's reading of each render on its own (the
portrait animator's calibration and closed loop, benchmarks): no tracking state or filtering is
carried from one image to the next, unlike a video.
"""

from __future__ import annotations

import numpy as np

from .landmarker import FaceLandmarkerRunner
from .model import resolve_model
from .options import CaptureOptions
from .solve import solve_face


class StillTracker:
    """The capture stage on independent RGB images. Use as a context manager.

    Parameters
    ----------
    max_faces : int
        Faces looked for in each image.
    **options
        Other :class:`CaptureOptions` fields (``smoothing`` is always ``"raw"`` and landmarks are
        always kept).
    """

    def __init__(self, *, max_faces: int = 4, **options) -> None:
        self.options = CaptureOptions(max_faces=max_faces, **{**options, "smoothing": "raw", "keep_landmarks": True})
        self.runner = FaceLandmarkerRunner(resolve_model(self.options.model), video=False, options=self.options)
        self._landmarks_runner: FaceLandmarkerRunner | None = None  # made on first landmarks()

    def faces(self, image: np.ndarray, time: float = 0.0) -> list:
        """ExpressionFrames (with landmarks (478, 3)) of every face in one RGB uint8 image (H, W, 3)."""
        raws = self.runner.detect(np.ascontiguousarray(image))
        return [solve_face(r, time=time, face_id=i, iris_weight=self.options.gaze_iris_weight,
                           keep_landmarks=True) for i, r in enumerate(raws)]

    def landmarks(self, image: np.ndarray) -> list[np.ndarray]:
        """(478, 3) float32 landmarks (normalised x, y, z) of every face in one RGB uint8 image
        (H, W, 3): the values :meth:`faces` gives, to the bit, from a landmarker that skips the
        blendshape model and the solver (~1 ms less CPU an image; the portrait's closed loop
        re-tracks every frame it draws and reads landmarks alone)."""
        if self._landmarks_runner is None:
            self._landmarks_runner = FaceLandmarkerRunner(resolve_model(self.options.model), video=False,
                                                          options=self.options, blendshapes=False)
        return [raw.landmarks for raw in self._landmarks_runner.detect(np.ascontiguousarray(image))]

    def close(self) -> None:
        self.runner.close()
        if self._landmarks_runner is not None:
            self._landmarks_runner.close()

    def __enter__(self) -> "StillTracker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
