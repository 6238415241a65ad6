"""Live capture for the studio: camera frames from the page -> the capture stage -> frame JSON.

The page sends each camera frame as one binary WebSocket message (:func:`parse_frame_message`);
:class:`LiveCapture` feeds it to the capture stage's own pipeline (:class:`facemimic.capture.api.
CaptureRun` over an iterable of ``(time, frame)`` pairs, exactly what ``facemimic track`` runs on a
video) and returns the resulting :class:`~facemimic.expressions.frame.ExpressionFrame`;
:func:`frame_message` turns it into the JSON the page draws.
"""

from __future__ import annotations

import math
import queue
import struct
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, ParameterError

# Binary frame message: magic, frame id, capture time (s, the page's clock), then a JPEG.
FRAME_MAGIC = b"FMF1"
FRAME_HEADER = struct.Struct("<4sId")  # 16 bytes
MAX_FRAME_SIDE = 1920  # larger camera frames are refused (the page sends 640x480 by default)

# Face regions for the meters (UE names by prefix), in the order the page shows them.
REGIONS = (("Eyes", ("Eye",)), ("Brows", ("Brow",)), ("Nose", ("Nasal", "NoseSneer")),
           ("Cheeks", ("Cheek",)), ("Jaw", ("Jaw",)), ("Lips", ("Lip",)), ("Mouth", ("Mouth",)),
           ("Tongue", ("Tongue", "SoftPalate", "Throat")), ("Neck", ("Neck",)))


def regions() -> dict[str, list[str]]:
    """UE shape names grouped by face region (every shape in exactly one region)."""
    from ..expressions.names import UE_NAMES

    out: dict[str, list[str]] = {name: [] for name, _ in REGIONS}
    for shape in UE_NAMES:
        region = next(name for name, prefixes in REGIONS if shape.startswith(prefixes))
        out[region].append(shape)
    return out


@dataclass(frozen=True)
class CameraFrame:
    """One decoded camera frame: id, capture time (s) and RGB pixels (H, W, 3) uint8."""

    frame_id: int
    time: float
    rgb: np.ndarray


def parse_frame_message(data: bytes) -> CameraFrame:
    """Decode one binary frame message (16-byte header + JPEG/PNG/WebP).

    Raises
    ------
    InputError
        Wrong header, a time that is not finite, an image that does not decode or is too large.
    """
    import cv2

    if len(data) <= FRAME_HEADER.size:
        raise InputError("camera frame", f"message of {len(data)} bytes is too short")
    magic, frame_id, t = FRAME_HEADER.unpack_from(data)
    if magic != FRAME_MAGIC:
        raise InputError("camera frame", "not a studio frame message (bad header)")
    if not math.isfinite(t):
        raise InputError(f"camera frame {frame_id}", f"capture time {t} is not finite")
    buf = np.frombuffer(data, np.uint8, offset=FRAME_HEADER.size)
    bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"camera frame {frame_id}", "image does not decode (send JPEG, PNG or WebP)")
    if max(bgr.shape[:2]) > MAX_FRAME_SIDE:
        raise InputError(f"camera frame {frame_id}", f"{bgr.shape[1]}x{bgr.shape[0]} is larger than "
                                                     f"{MAX_FRAME_SIDE} pixels on a side")
    return CameraFrame(frame_id, float(t), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def encode_frame_message(frame_id: int, time: float, jpeg: bytes) -> bytes:
    """The inverse of :func:`parse_frame_message` (tests and benchmarks send frames with it)."""
    return FRAME_HEADER.pack(FRAME_MAGIC, frame_id, time) + jpeg


class LiveCapture:
    """The capture stage run one frame at a time on frames pushed from outside.

    Parameters
    ----------
    filters : SmoothingOptions, optional
        Per-region smoothing (a profile's, :func:`facemimic.capture.filters.region_smoothing`)
        instead of the ``smoothing`` preset's filter; the preset still picks MediaPipe's mode.
    **capture_options
        :class:`facemimic.capture.api.CaptureOptions` fields (``smoothing``, ``max_faces`` …);
        ``keep_landmarks`` is always on (the page draws the mesh).

    Notes
    -----
    Not thread-safe: call :meth:`process` from one thread (MediaPipe's graph lives in it).
    """

    def __init__(self, filters=None, **capture_options) -> None:
        from ..capture.api import CaptureRun

        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._last_time = -math.inf
        self.run = CaptureRun(self._frames(), keep_landmarks=True, **capture_options)
        self.use_smoothing(filters)
        self._groups = iter(self.run)

    def use_smoothing(self, smoothing) -> None:
        """Smooth with these :class:`~facemimic.capture.filters.SmoothingOptions` from the next frame
        (the capture pipeline's own switch, the one ``track --profile`` uses); ``None``: unchanged."""
        self.run.pipeline.use_smoothing(smoothing)

    def _frames(self):
        while True:
            item = self._inbox.get()
            if item is None:
                return
            yield item

    def process(self, time: float, rgb: np.ndarray):
        """Track one frame; -> the :class:`~facemimic.capture.pipeline.FrameGroup` (one row per face).

        Parameters
        ----------
        time : float
            Capture time in seconds; must increase from frame to frame.
        rgb : np.ndarray [shape=(H, W, 3), dtype=uint8]
        """
        if not time > self._last_time:
            raise ParameterError(f"frame times must increase, got {time} after {self._last_time}")
        self._last_time = time
        self._inbox.put((time, rgb))
        return next(self._groups)

    def close(self) -> None:
        self._inbox.put(None)
        try:
            next(self._groups, None)
        finally:
            self.run.close()


def _r(x: float, nd: int = 4):
    x = float(x)
    return round(x, nd) if math.isfinite(x) else None


def _weights(w: np.ndarray) -> list:
    return [None if not math.isfinite(v) else round(v, 4) for v in np.asarray(w, dtype=float).tolist()]


def frame_message(frame, *, raw=None, sent=None, frame_id: int = 0, timing: dict | None = None) -> dict:
    """The JSON the page draws for one tracked frame.

    Parameters
    ----------
    frame : ExpressionFrame
        The calibrated frame (what the profile makes of the capture).
    raw, sent : ExpressionFrame, optional
        The capture stage's frame before calibration and the frame sent to outputs (default: ``frame``).
    frame_id : int
        The page's id of the camera frame (the page matches replies to its frames).
    timing : dict, optional
        Milliseconds spent per step on the server.

    Returns
    -------
    dict
        ``weights``/``raw``/``sent`` (88 numbers each, UE order, null where unknown), ``head``,
        ``eyes``, ``landmarks`` (478 × [x, y] normalised image coordinates, flat) or null.
    """
    raw = raw or frame
    sent = sent or frame
    lm = None
    if frame.landmarks is not None:
        lm = np.round(np.asarray(frame.landmarks)[:, :2], 4).ravel().tolist()
    yaw, pitch, roll = frame.head_rotation
    return {
        "type": "frame", "id": frame_id, "t": _r(frame.time, 4), "face": frame.face_id,
        "present": bool(frame.present), "confidence": _r(frame.confidence, 3),
        "raw": _weights(raw.weights), "weights": _weights(frame.weights), "sent": _weights(sent.weights),
        "head": {"yaw": _r(yaw, 2), "pitch": _r(pitch, 2), "roll": _r(roll, 2)},
        "eyes": {"left": {"gaze": [_r(v) for v in sent.gaze_left], "openness": _r(sent.openness_left, 3)},
                 "right": {"gaze": [_r(v) for v in sent.gaze_right], "openness": _r(sent.openness_right, 3)}},
        "landmarks": lm, "timing": timing or {},
    }
