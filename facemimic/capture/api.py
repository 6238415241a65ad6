"""Public capture API: ``capture_frames()`` streams frames, ``track()`` returns a whole track.

>>> import facemimic
>>> tr = facemimic.track("talk.mp4")                              # doctest: +SKIP
>>> for frame in facemimic.capture_frames(0, max_faces=2):        # webcam 0, live  # doctest: +SKIP
...     print(frame.time, frame.face_id, frame.top(3))

``capture`` is the older name of :func:`capture_frames`, kept for code that imports it from here
(it is not offered as ``facemimic.capture``: that name is the ``facemimic.capture`` subpackage).
"""

from __future__ import annotations

from typing import Callable, Iterator

from ..expressions.frame import ExpressionFrame
from ..expressions.track import ExpressionTrack
from .model import FACE_LANDMARKER_SHA256, canonical_mesh  # canonical_mesh: public for the portrait (animate)
from .options import CaptureOptions
from .pipeline import CapturePipeline, FrameGroup
from .sources import open_source


class CaptureRun:
    """An opened capture: iterate for :class:`FrameGroup` s; ``fps``, ``stats`` and ``metadata``
    describe it. Used by the CLI (progress, preview) and by :func:`capture_frames` / :func:`track`."""

    def __init__(self, source, options: CaptureOptions | None = None, *,
                 clock: Callable[[], float] | None = None, **kwargs) -> None:
        self.options = CaptureOptions.from_kwargs(options, **kwargs)
        self.source = open_source(source, self.options, clock=clock)
        try:
            self.pipeline = CapturePipeline(self.source, self.options, clock=clock)
        except BaseException:
            self.source.close()
            raise

    @property
    def fps(self) -> float:
        """Nominal frame rate of the source (video rate, camera rate or ``image_fps``)."""
        return self.source.fps

    @property
    def stats(self):
        return self.pipeline.stats

    @property
    def frame_count(self) -> int | None:
        """Expected number of input frames (None for a camera or an open-ended stream)."""
        n = self.source.frame_count
        if n is not None and self.options.duration is not None:
            n = min(n, int(self.options.duration * self.fps) + 1)
        return n

    @property
    def metadata(self) -> dict:
        """Track metadata: where it came from and how it was captured."""
        o = self.options
        # "units" tells every reader what a weight means (docs/units.md); a captured track without
        # it predates the key and holds MediaPipe's scores.
        return {"source": self.source.name, "source_kind": self.source.kind, "units": o.units, "capture": {
            "engine": "mediapipe-face-landmarker", "model_sha256": FACE_LANDMARKER_SHA256,
            "mode": "video" if self.pipeline.video_mode else "image", "smoothing": o.smoothing,
            "max_faces": o.max_faces, "tiling": self.pipeline.tiling, "profile": o.profile,
            "gaze_iris_weight": o.gaze_iris_weight,
            # The landmarks' pixel aspect (geometry in docs/units.md needs it); None if frames differ.
            "frame_size": list(self.stats.frame_size) if self.stats.frame_size else None}}

    def __iter__(self) -> Iterator[FrameGroup]:
        return iter(self.pipeline)

    def frames(self) -> Iterator[ExpressionFrame]:
        """Every face row, in time order (several faces share a time, ascending ids)."""
        for group in self.pipeline:
            yield from group.frames

    def close(self) -> None:
        self.source.close()


def capture_frames(source, options: CaptureOptions | None = None, *,
                   clock: Callable[[], float] | None = None, **kwargs) -> Iterator[ExpressionFrame]:
    """Stream :class:`ExpressionFrame` s from a photo, video, folder/glob, webcam or NumPy frames.

    Parameters
    ----------
    source : str, Path, int, np.ndarray or iterable
        Image or video path; folder or glob of images (sorted); camera index; one RGB frame
        (H, W, 3) uint8; a clip (N, H, W, 3); or an iterable of frames or ``(time, frame)`` pairs.
    options : CaptureOptions, optional
        Base options; keyword arguments (``max_faces=2``, ``smoothing="raw"`` …) override them.
    clock : callable, optional
        Monotonic clock for camera timestamps and the smoother.

    Yields
    ------
    ExpressionFrame
        One row per known face per input frame, in time order; ``present=False`` rows are gaps.

    Raises
    ------
    InputError, NoFaceError, ModelAssetError, ParameterError
        Bad source, a single image without a face, a missing model, a bad option.
    """
    run = CaptureRun(source, options, clock=clock, **kwargs)
    try:
        yield from run.frames()
    finally:
        run.close()


def track(source, options: CaptureOptions | None = None, *, clock: Callable[[], float] | None = None,
          **kwargs) -> ExpressionTrack:
    """Capture a whole :class:`ExpressionTrack` (see :func:`capture_frames` for the arguments).

    Returns
    -------
    ExpressionTrack
        ``fps`` is the source's frame rate; ``metadata`` records the source and capture settings.
    """
    run = CaptureRun(source, options, clock=clock, **kwargs)
    try:
        frames = list(run.frames())
    finally:
        run.close()
    return ExpressionTrack.from_frames(frames, fps=run.fps, metadata=run.metadata)


# The older name, for code that imports it from here (``from facemimic.capture.api import capture``).
capture = capture_frames

from .still import StillTracker  # noqa: E402  (independent stills: the portrait animator re-tracks its renders)
# The unit of a captured weight (docs/units.md), for stages that read tracks or model MediaPipe's scale:
# which source each channel takes, MediaPipe scores -> the unit, a track's unit, and the curve fit.
from .units import SOURCES, fit_curve, scores_to_extent, track_units  # noqa: E402

# Reading pictures as capture does, for the stages that open photos and videos themselves (the
# portrait's loader, avatar3d's video frames): EXIF orientation, the size limit before decoding,
# and FFmpeg/libjpeg chatter kept off the console.
from .sources import _apply_exif_orientation as apply_exif_orientation  # noqa: E402
from .sources import _c_stderr_silenced as c_stderr_silenced  # noqa: E402
from .sources import check_image_file  # noqa: E402

__all__ = ["CaptureOptions", "CaptureRun", "SOURCES", "StillTracker", "apply_exif_orientation", "c_stderr_silenced",
           "canonical_mesh", "capture", "capture_frames", "check_image_file", "fit_curve", "scores_to_extent",
           "track", "track_units"]
