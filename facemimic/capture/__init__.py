"""Capture: photos, videos, folders, webcams or NumPy frames -> Unified Expressions tracks.

Modules, one job each: :mod:`options` (``CaptureOptions``), :mod:`model` (the verified
FaceLandmarker asset), :mod:`sources` (decoding), :mod:`landmarker` (MediaPipe, tiling),
:mod:`solve` (blendshapes/pose/eyes -> ``ExpressionFrame``), :mod:`faces` (stable ids),
:mod:`pipeline` (the loop, tracking loss), :mod:`api` (``capture_frames``/``track``); smoothing
(:mod:`filters`), calibration (:mod:`calibration`) and previews (:mod:`preview`) plug in.
Nothing heavy is imported here: ``from facemimic.capture import track`` loads MediaPipe lazily.
"""

from __future__ import annotations


def capture_frames(source, options=None, **kwargs):
    """See :func:`facemimic.capture.api.capture_frames`."""
    from .api import capture_frames as _capture_frames

    return _capture_frames(source, options, **kwargs)


capture = capture_frames  # the older name (see facemimic.capture.api)


def track(source, options=None, **kwargs):
    """See :func:`facemimic.capture.api.track`."""
    from .api import track as _track

    return _track(source, options, **kwargs)


__all__ = ["capture", "capture_frames", "track"]
