"""Where capture frames come from: images, folders/globs, videos (PyAV), a webcam, NumPy frames.

Every source yields :class:`SourceFrame` objects holding an RGB ``uint8`` image that is already
downscaled (aspect ratio kept, never stretched) to what the landmarker needs. Large stills are
decoded reduced (``cv2.IMREAD_REDUCED_*``) so a 50-megapixel photo never sits in memory at full size.

Bad input raises :class:`~facemimic.errors.InputError` naming the file; in a folder or glob a bad
file is skipped with a :class:`SkippedInputWarning` and the batch goes on.
"""

from __future__ import annotations

import contextlib
import glob as globlib
import math
import os
import sys
import queue
import threading
import time as timelib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from ..errors import InputError, ParameterError, ShapeError
from .options import CaptureOptions

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".jp2",
                              ".pbm", ".pgm", ".ppm", ".pnm", ".sr", ".ras", ".exr", ".hdr", ".pic"})
# Stills keep up to twice the inference size, so the small-face tiling has pixels to work with.
STILL_SIDE_FACTOR = 2


class SkippedInputWarning(UserWarning):
    """A file in a folder/glob batch could not be used and was skipped."""


@dataclass(frozen=True, eq=False)
class SourceFrame:
    """One decoded input frame."""

    index: int  # 0-based frame number within the source (skipped files do not count)
    time: float  # seconds from the start of the source
    image: np.ndarray  # (H, W, 3) uint8 RGB, C-contiguous, downscaled to the source's limit
    name: str  # file the frame came from (or a label such as "camera 0")
    original_size: tuple[int, int]  # (width, height) before downscaling and rotation
    alpha: np.ndarray | None = None  # (H, W) uint8 alpha of an RGBA still, else None


class Source:
    """Base class: ``frames()`` yields :class:`SourceFrame` in time order."""

    kind: str = "source"  # image | images | video | camera | arrays
    still: bool = False  # True: each frame is an unrelated still (IMAGE mode, tiling)
    fps: float = 30.0  # nominal frame rate of the output track
    frame_count: int | None = None  # expected number of frames if known (for progress bars)
    name: str = ""

    def frames(self) -> Iterator[SourceFrame]:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release files/devices (idempotent)."""

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# Image helpers
# ---------------------------------------------------------------------------------------------
def fit_within(image: np.ndarray, max_side: int) -> np.ndarray:
    """Downscale ``image`` (H, W, C) so its longest side is at most ``max_side`` (aspect kept)."""
    import cv2

    h, w = image.shape[:2]
    longest = max(h, w)
    if longest <= max_side:
        return image
    s = max_side / longest
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def to_rgb_uint8(array: np.ndarray, *, label: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Normalise an RGB/RGBA/grey array to (RGB uint8 (H, W, 3), alpha (H, W) or None).

    Floats are taken as 0..1; RGBA alpha is kept apart and the colour is composited on mid grey so
    transparent pixels never show garbage to the detector.
    """
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or a.shape[0] < 8 or a.shape[1] < 8:
        raise ShapeError(label, a.shape, "(H, W, 3) RGB, (H, W, 4) RGBA or (H, W) grey, at least 8x8")
    if a.dtype != np.uint8:
        if np.issubdtype(a.dtype, np.floating):
            a = np.clip(np.nan_to_num(a) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        elif a.dtype == np.uint16:
            a = (a >> 8).astype(np.uint8)
        else:
            raise ParameterError(f"{label}: dtype {a.dtype} not supported; use uint8 or float in 0..1")
    alpha = None
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    elif a.shape[2] == 4:
        alpha = np.ascontiguousarray(a[..., 3])
        w = alpha[..., None].astype(np.float32) / 255.0
        a = (a[..., :3].astype(np.float32) * w + 128.0 * (1.0 - w) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(a), alpha


def _image_header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the file header without decoding pixels (Pillow), or None."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                return tuple(im.size)  # type: ignore[return-value]
    except Image.DecompressionBombError as e:
        # Pillow refuses > ~179 MP before telling the size; its message carries the pixel count.
        import re

        m = re.search(r"\((\d+) pixels\)", str(e))
        pixels = int(m.group(1)) if m else 1 << 32
        side = int(pixels ** 0.5)
        return (side, max(1, pixels // side))
    except (OSError, ValueError, SyntaxError):  # not an image Pillow knows: OpenCV decodes in full
        return None


def check_image_file(path: Path, max_megapixels: float) -> tuple[int, int] | None:
    """The picture's (width, height) from its header (None where the header does not say),
    refusing, before any pixel is decoded, a picture over ``max_megapixels`` and a JPEG or PNG
    whose end is missing (a cut download: decoders fill the lost rows with grey, and a face half
    grey is no input to track or animate).

    Raises
    ------
    InputError
        ``<path>: image is N megapixels, larger than the M-megapixel limit; downscale it first``, or
        ``<path>: image file is cut short (its end is missing); …``.
    """
    size = _image_header_size(path)
    if size is not None and size[0] * size[1] / 1e6 > max_megapixels:
        raise InputError(path, f"image is {size[0] * size[1] / 1e6:.0f} megapixels, larger than the "
                               f"{max_megapixels:g}-megapixel limit; downscale it first")
    if _cut_short(path):
        raise InputError(path, "image file is cut short (its end is missing); copy or download it again")
    return size


def _cut_short(path: Path) -> bool:
    """Whether a JPEG has no end-of-image marker after its first scan, or a PNG no IEND chunk.

    JPEG: the marker segments are walked to the first start-of-scan (so an EXIF thumbnail's own
    markers are skipped); in scan data a 0xFF byte is always followed by 0x00 or a restart marker,
    so ``FF D9`` after it can only be the end of the image (data a phone appends after that end,
    such as a motion photo's video, is allowed). Other formats: False (their decoders refuse).
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 4 <= len(data):
            if data[i] != 0xFF:
                return False  # not a marker where one must be: let the decoder judge
            marker = data[i + 1]
            if marker == 0xFF:  # fill byte
                i += 1
                continue
            if marker == 0xDA:  # start of scan: the end marker must follow somewhere
                return data.find(b"\xff\xd9", i) < 0
            if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
                i += 2
                continue
            i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
        return True  # the headers themselves run out
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return data.find(b"IEND", 8) < 0
    return False


def read_image(path: str | Path, *, max_side: int, max_megapixels: float) -> tuple[np.ndarray, np.ndarray | None, tuple[int, int]]:
    """Decode an image file to RGB (downscaled to ``max_side``), alpha and its original size.

    Parameters
    ----------
    path : str or Path
    max_side : int
        Longest side of the returned image.
    max_megapixels : float
        Larger images are refused rather than decoded.

    Returns
    -------
    rgb : np.ndarray [shape=(H, W, 3), dtype=uint8]
    alpha : np.ndarray [shape=(H, W), dtype=uint8] or None
    original_size : (width, height)

    Raises
    ------
    InputError
        Missing, empty, unreadable or absurdly large file.
    """
    import cv2

    p = Path(path)
    if not p.exists():
        raise InputError(p, "file not found")
    if p.is_dir():
        raise InputError(p, "is a folder, not an image")
    if p.stat().st_size == 0:
        raise InputError(p, "file is empty")
    size = check_image_file(p, max_megapixels)
    reduce = 1
    if size is not None:
        w, h = size
        # Decode at 1/2, 1/4 or 1/8 scale when that still leaves at least max_side pixels: a
        # 50-MP JPEG then costs ~1/16 of the memory and time.
        while reduce < 8 and max(w, h) / (reduce * 2) >= max_side:
            reduce *= 2
    flags = {1: cv2.IMREAD_UNCHANGED, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
             8: cv2.IMREAD_REDUCED_COLOR_8}[reduce]
    try:
        with _c_stderr_silenced():  # libjpeg prints "Corrupt JPEG data: …" on fd 2 and decodes anyway
            data = cv2.imread(str(p), flags)
    except cv2.error as e:
        raise InputError(p, f"cannot decode image ({str(e).strip().splitlines()[-1]})") from None
    if data is None:
        raise InputError(p, "not an image OpenCV can read (unknown format or corrupt file)")
    if size is None:
        size = (data.shape[1], data.shape[0])
        if size[0] * size[1] / 1e6 > max_megapixels:
            raise InputError(p, f"image is {size[0]}x{size[1]}, larger than the {max_megapixels:g}-megapixel limit")
    if data.ndim == 3 and data.shape[2] == 4:
        data = cv2.cvtColor(data, cv2.COLOR_BGRA2RGBA)
        if reduce == 1:  # IMREAD_UNCHANGED skips EXIF orientation; rare for RGBA, but honour it
            data = _apply_exif_orientation(p, data)
    elif data.ndim == 3:
        data = cv2.cvtColor(data, cv2.COLOR_BGR2RGB)
        if reduce == 1:
            data = _apply_exif_orientation(p, data)
    rgb, alpha = to_rgb_uint8(fit_within(data, max_side), label=str(p))
    return rgb, alpha, (int(size[0]), int(size[1]))


@contextlib.contextmanager
def _c_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to the null device for the block.

    C libraries under OpenCV (libjpeg, libpng, libtiff) write warnings about damaged but decodable
    files straight to fd 2, past Python, in the middle of progress bars and one-line errors.
    Python's own ``sys.stderr`` is flushed first so nothing of ours is lost.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no fd 2 (a detached process): nothing to silence
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 2)
        finally:
            os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _apply_exif_orientation(path: Path, image: np.ndarray) -> np.ndarray:
    """Rotate/flip per the EXIF Orientation tag (IMREAD_UNCHANGED does not apply it)."""
    try:
        from PIL import Image
        with Image.open(path) as im:
            orientation = im.getexif().get(0x0112, 1)
    except (OSError, ValueError, SyntaxError):  # no readable EXIF: keep the pixels as decoded
        return image
    ops = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
           5: lambda a: np.rot90(a, 1)[::-1], 6: lambda a: np.rot90(a, -1),
           7: lambda a: np.rot90(a, -1)[::-1], 8: lambda a: np.rot90(a, 1)}
    op = ops.get(int(orientation))
    return np.ascontiguousarray(op(image)) if op else image


# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------
class ImageFilesSource(Source):
    """One image, or a sorted list of images (folder/glob) treated as a sequence of stills."""

    still = True

    def __init__(self, paths: list[Path], options: CaptureOptions, *, name: str, batch: bool) -> None:
        self.paths = paths
        self.options = options
        self.name = name
        self.batch = batch  # True: skip bad files with a warning instead of raising
        self.kind = "images" if batch else "image"
        self.fps = options.image_fps
        self.frame_count = len(paths)

    def frames(self) -> Iterator[SourceFrame]:
        side = self.options.max_side * STILL_SIDE_FACTOR
        index = 0
        for path in self.paths:
            try:
                rgb, alpha, size = read_image(path, max_side=side, max_megapixels=self.options.max_megapixels)
            except InputError as e:
                if not self.batch:
                    raise
                warnings.warn(SkippedInputWarning(f"skipped {e}"), stacklevel=2)
                continue
            yield SourceFrame(index=index, time=index / self.fps, image=rgb, name=str(path),
                              original_size=size, alpha=alpha)
            index += 1
        if index == 0 and self.paths:
            # Every file was skipped: an empty track would look like success.
            n = len(self.paths)
            raise InputError(self.name, f"no image could be read ({n} file{'s' if n > 1 else ''} skipped, "
                                        "see the warnings above)")


class VideoSource(Source):
    """A video file decoded with PyAV (any codec FFmpeg reads), rotation metadata applied.

    Frames are decoded on a background thread (FFmpeg releases the GIL), so decoding overlaps
    inference on the second core. Times come from the presentation timestamps.
    """

    kind = "video"
    still = False

    def __init__(self, path: Path, options: CaptureOptions) -> None:
        import av

        self.path = path
        self.name = str(path)
        self.options = options
        if path.stat().st_size == 0:
            raise InputError(path, "file is empty (zero-length video)")
        try:
            self._container = av.open(str(path))
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
            if _looks_like_iso_media(path):  # an MP4/MOV whose index (moov) is cut off or damaged
                raise InputError(path, f"MP4/MOV video is truncated or corrupt ({_av_reason(e)})") from None
            raise InputError(path, f"not a video or image FFmpeg can read ({_av_reason(e)})") from None
        if not self._container.streams.video:
            self._container.close()
            raise InputError(path, "has no video stream")
        self._stream = self._container.streams.video[0]
        rate = self._stream.average_rate or self._stream.guessed_rate or 30
        self.fps = float(rate) if float(rate) > 0 else 30.0
        self.frame_count = int(self._stream.frames) or None
        duration = self._duration_s()
        if self.frame_count is None and duration:
            self.frame_count = max(1, round(duration * self.fps))
        self._closed = False
        self._stop = threading.Event()

    def _duration_s(self) -> float | None:
        s = self._stream
        if s.duration is not None and s.time_base is not None:
            return float(s.duration * s.time_base)
        if self._container.duration:
            return self._container.duration / 1e6
        return None

    def _decode(self) -> Iterator[SourceFrame | BaseException]:
        import av

        s = self._stream
        s.thread_type = "AUTO"
        start = None
        side = self.options.max_side
        index = 0
        last_t = -math.inf
        try:
            for frame in self._container.decode(s):
                if self._stop.is_set():
                    return
                t = frame.time
                if t is None:
                    t = index / self.fps
                if start is None:
                    start = t
                t = t - start
                if t <= last_t:  # broken/duplicate PTS: keep time strictly increasing
                    t = last_t + 1e-3
                last_t = t
                rgb = frame.to_ndarray(format="rgb24")
                size = (rgb.shape[1], rgb.shape[0])
                k = int(round((frame.rotation or 0) / 90.0)) % 4
                if k:  # the display matrix's counter-clockwise rotation, as players apply it
                    rgb = np.rot90(rgb, k)
                rgb = np.ascontiguousarray(fit_within(rgb, side))
                yield SourceFrame(index=index, time=float(t), image=rgb, name=self.name, original_size=size)
                index += 1
        except av.error.FFmpegError as e:
            yield InputError(self.path, f"video is truncated or corrupt after {index} frames ({_av_reason(e)})")
            return
        if index == 0:
            yield InputError(self.path, "video has no decodable frames (zero-length or truncated)")
        elif self.frame_count and self.options.duration is None and s.frames and index < 0.9 * s.frames:
            yield InputError(self.path, f"video is truncated: decoded {index} of {s.frames} frames")

    def frames(self) -> Iterator[SourceFrame]:
        q: queue.Queue = queue.Queue(maxsize=8)
        done = object()

        def put(item) -> bool:
            """Hand one item to the consumer; False once the consumer has gone away."""
            while not self._stop.is_set():
                try:
                    q.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def worker() -> None:
            try:
                for item in self._decode():
                    if not put(item):
                        return
            except BaseException as e:  # surfaced in the consumer thread
                put(e)
            put(done)

        thread = threading.Thread(target=worker, name="facemimic-decode", daemon=True)
        thread.start()
        try:
            while True:
                item = q.get()
                if item is done:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop.set()
            thread.join(timeout=5)
            self.close()

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            self._stop.set()
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - closing a broken stream; nothing more to release
                pass


def _looks_like_iso_media(path: Path) -> bool:
    """True for files that start like an ISO-BMFF (MP4/MOV/3GP) container: a size + ``ftyp``
    box, or an ``mdat``/``wide``/``moov`` box as old QuickTime files do."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return len(head) >= 8 and head[4:8] in (b"ftyp", b"mdat", b"wide", b"moov", b"free")


def _av_reason(e: BaseException) -> str:
    msg = getattr(e, "strerror", None) or str(e)
    return str(msg).strip().splitlines()[0] if msg else type(e).__name__


class CameraSource(Source):
    """A webcam through OpenCV ``VideoCapture``; times come from an injectable monotonic clock."""

    kind = "camera"
    still = False

    def __init__(self, index: int, options: CaptureOptions, *, clock: Callable[[], float] | None = None) -> None:
        import cv2

        self.index = index
        self.name = f"camera {index}"
        self.options = options
        self.clock = clock or timelib.monotonic
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # our error says it in one line
        try:
            self._cap = cv2.VideoCapture(index)
        finally:
            cv2.utils.logging.setLogLevel(level)
        if not self._cap.isOpened():
            self._cap.release()
            raise InputError(self.name, "cannot be opened (no such camera, no permission, or in use)")
        w, h = options.camera_size
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
        self._cap.set(cv2.CAP_PROP_FPS, options.camera_fps)
        got = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(got) if got and got > 0 else options.camera_fps

    def frames(self) -> Iterator[SourceFrame]:
        import cv2

        t0 = None
        index = 0
        try:
            while True:
                ok, bgr = self._cap.read()
                now = self.clock()
                if not ok or bgr is None:
                    if index == 0:
                        raise InputError(self.name, "opened but delivered no frames")
                    warnings.warn(SkippedInputWarning(f"{self.name}: stopped delivering frames"), stacklevel=2)
                    return
                if t0 is None:
                    t0 = now
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                size = (rgb.shape[1], rgb.shape[0])
                yield SourceFrame(index=index, time=now - t0, image=np.ascontiguousarray(
                    fit_within(rgb, self.options.max_side)), name=self.name, original_size=size)
                index += 1
        finally:
            self.close()

    def close(self) -> None:
        self._cap.release()


class ArraySource(Source):
    """NumPy frames: one (H, W, 3|4) still, an (N, H, W, 3) clip, or an iterable of frames or
    ``(time, frame)`` pairs (a stream)."""

    kind = "arrays"

    def __init__(self, data, options: CaptureOptions, *, still: bool) -> None:
        self.data = data
        self.options = options
        self.still = still
        self.fps = options.image_fps
        self.name = "<array>"
        self.frame_count = 1 if still else (len(data) if hasattr(data, "__len__") else None)

    def frames(self) -> Iterator[SourceFrame]:
        items: Iterable = [self.data] if self.still else self.data
        side = self.options.max_side * (STILL_SIDE_FACTOR if self.still else 1)
        last_t = -math.inf
        for index, item in enumerate(items):
            t = index / self.fps
            if isinstance(item, tuple) and len(item) == 2:
                t, item = float(item[0]), item[1]
                if not t > last_t:
                    raise ParameterError(f"frame {index}: times must increase, got {t} after {last_t}")
            last_t = t
            rgb, alpha = to_rgb_uint8(item, label=f"frame {index}")
            size = (rgb.shape[1], rgb.shape[0])
            rgb = np.ascontiguousarray(fit_within(rgb, side))
            if alpha is not None and alpha.shape != rgb.shape[:2]:
                alpha = fit_within(alpha, side)
            yield SourceFrame(index=index, time=float(t), image=rgb, name=f"{self.name}[{index}]",
                              original_size=size, alpha=alpha)


# ---------------------------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------------------------
def _is_image_path(p: Path) -> bool:
    return p.suffix.lower() in IMAGE_EXTENSIONS


def _images_in(paths: Iterable[Path]) -> list[Path]:
    return sorted((p for p in paths if p.is_file() and _is_image_path(p)), key=lambda p: str(p))


def open_source(source, options: CaptureOptions, *, clock: Callable[[], float] | None = None) -> Source:
    """Turn what the user passed into a :class:`Source`.

    Parameters
    ----------
    source : str, Path, int, np.ndarray or iterable
        Image or video path, folder, glob pattern (``"shots/*.jpg"``), camera index, one RGB
        frame (H, W, 3), a clip (N, H, W, 3), or an iterable of frames / ``(time, frame)`` pairs.
    options : CaptureOptions
    clock : callable, optional
        Monotonic seconds for camera timestamps (tests inject a fake one).
    """
    if isinstance(source, bool):
        raise ParameterError(f"source must be a path, camera index or frames, got {source!r}")
    if isinstance(source, (int, np.integer)):
        if source < 0:
            raise ParameterError(f"camera index must be 0 or more, got {source}")
        return CameraSource(int(source), options, clock=clock)
    if isinstance(source, np.ndarray):
        if source.ndim == 4:
            return ArraySource(source, options, still=False)
        return ArraySource(source, options, still=True)
    if isinstance(source, (str, Path)):
        text = str(source)
        p = Path(text).expanduser()
        if p.is_dir():
            files = _images_in(p.iterdir())
            if not files:
                raise InputError(p, "folder holds no image files (" + ", ".join(sorted(
                    {".jpg", ".png", ".webp", ".bmp", ".tif"})) + ", …)")
            return ImageFilesSource(files, options, name=str(p), batch=True)
        if not p.exists() and any(c in text for c in "*?["):
            files = _images_in(Path(m) for m in globlib.glob(str(p), recursive=True))
            if not files:
                raise InputError(text, "no image files match this pattern")
            return ImageFilesSource(files, options, name=text, batch=True)
        if not p.exists():
            raise InputError(p, "file not found")
        if _is_image_path(p):
            return ImageFilesSource([p], options, name=str(p), batch=False)
        try:
            return VideoSource(p, options)
        except InputError:
            # Not a video FFmpeg knows: maybe an image with an odd extension.
            try:
                read_image(p, max_side=64, max_megapixels=options.max_megapixels)
            except InputError:
                pass
            else:
                return ImageFilesSource([p], options, name=str(p), batch=False)
            raise
    if isinstance(source, Iterable):
        return ArraySource(source, options, still=False)
    raise ParameterError(f"cannot capture from {type(source).__name__}; pass a path, camera index or frames")
