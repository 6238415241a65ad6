"""The avatar renderer: frames or tracks in, SVG text or RGB pixels out.

Gap frames (``present=False``, no face seen) hold the last face drawn, or the resting face when no
face has been seen yet, so a short tracking loss never makes the avatar blink out or snap to neutral.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ...errors import ParameterError
from ...expressions.frame import ExpressionFrame
from ...expressions.track import ExpressionTrack
from .primitives import Drawing
from .raster import rasterize, rasterize_rgba
from .rig import REST, Rig, rig_from_frame
from .shapes import build_drawing
from .style import AvatarStyle, load_style
from .svg import to_svg


@dataclass(frozen=True)
class RenderOptions:
    """How big to draw the avatar. Checked in one place (``__post_init__``)."""

    size: int = 512  # output width in pixels
    height: int | None = None  # output height; None = square

    def __post_init__(self) -> None:
        for name in ("size", "height"):
            v = getattr(self, name)
            if v is None and name == "height":
                continue
            if isinstance(v, bool) or not isinstance(v, int) or not 32 <= v <= 4096:
                raise ParameterError(f"{name} must be a whole number of pixels in [32, 4096], got {v!r}")

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height or self.size, self.size)


class AvatarRenderer:
    """Draws one avatar style, frame after frame, remembering the last face for gaps.

    Parameters
    ----------
    style : AvatarStyle or str or Path, optional
        An avatar style, an avatar file, or a preset name; default: the ``default`` preset.
    size : int
        Output width (and height unless ``height``) in pixels.

    Examples
    --------
    >>> r = AvatarRenderer("neko", size=256)
    >>> img = r.render(ExpressionFrame.from_shapes({"JawOpen": 0.6}))
    >>> img.shape
    (256, 256, 3)
    """

    def __init__(self, style: AvatarStyle | str | Path | None = None, *, size: int = 512,
                 height: int | None = None) -> None:
        self.style = style if isinstance(style, AvatarStyle) else load_style(style)
        self.options = RenderOptions(size=size, height=height)
        self._last: Rig = REST
        self._buffer: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the held face (the next gap shows the resting face)."""
        self._last = REST

    def rig(self, frame: ExpressionFrame | None) -> Rig:
        """The rig for ``frame``; a gap (or ``None``) returns the last face drawn."""
        rig = rig_from_frame(frame) if frame is not None else None
        if rig is None:
            return self._last
        self._last = rig
        return rig

    def drawing(self, frame: ExpressionFrame | None) -> Drawing:
        """Primitives for one frame (see :mod:`.primitives`)."""
        return build_drawing(self.rig(frame), self.style, size=self.options.size, height=self.options.height)

    def render(self, frame: ExpressionFrame | None, *, reuse: bool = False,
               transparent: bool = False) -> np.ndarray:
        """RGB pixels for one frame, shape (H, W, 3) uint8; RGBA (H, W, 4) with ``transparent``.

        ``reuse=True`` draws into an internal buffer (fast; the array is overwritten next call).
        ``transparent=True`` leaves out the background (for overlays; about half the speed).
        """
        if transparent:
            return rasterize_rgba(self.drawing(frame))
        if reuse:
            self._buffer = rasterize(self.drawing(frame), out=self._buffer)
            return self._buffer
        return rasterize(self.drawing(frame))

    def svg(self, frame: ExpressionFrame | None, *, transparent: bool = False) -> str:
        """One frame as an SVG document (``transparent``: no background)."""
        return to_svg(self.drawing(frame), title=f"FaceMimic avatar: {self.style.name}", transparent=transparent)

    def frames(self, track: ExpressionTrack, *, fps: float | None = None, face_id: int | None = None,
               reuse: bool = False) -> Iterator[np.ndarray]:
        """Render a whole track, resampled to ``fps`` (default: the track's), one face.

        Parameters
        ----------
        track : ExpressionTrack
            Any track; with several faces the first (or ``face_id``) is drawn.
        fps : float, optional
            Output frame rate.

        Yields
        ------
        np.ndarray [shape=(H, W, 3), dtype=uint8]
        """
        for frame in frames_for_video(track, fps=fps, face_id=face_id):
            yield self.render(frame, reuse=reuse)


def frames_for_video(track: ExpressionTrack, *, fps: float | None = None,
                     face_id: int | None = None) -> list[ExpressionFrame]:
    """One face's frames at a steady ``fps`` (resampled), starting at the track's first time."""
    one = track.single_face(face_id)
    fps = float(fps or one.fps)
    if not (fps > 0 and np.isfinite(fps)):
        raise ParameterError(f"fps must be a positive number, got {fps!r}")
    return list(one.resample(fps))


def render_frame(frame: ExpressionFrame, style: AvatarStyle | str | Path | None = None, *,
                 size: int = 512) -> np.ndarray:
    """One frame as RGB pixels, shape (size, size, 3) uint8 (a gap draws the resting face)."""
    return AvatarRenderer(style, size=size).render(frame)


def render_svg(frame: ExpressionFrame, style: AvatarStyle | str | Path | None = None, *,
               size: int = 512) -> str:
    """One frame as an SVG document string."""
    return AvatarRenderer(style, size=size).svg(frame)


OUTPUT_KINDS = {".mp4": "video", ".svg": "svg", ".png": "png"}


def write_png(rgb: np.ndarray, path: str | Path) -> Path:
    """Save RGB (H, W, 3) or RGBA (H, W, 4) uint8 pixels as a PNG atomically."""
    import cv2

    from ...common.files import AtomicFile

    order = [2, 1, 0, 3][: rgb.shape[-1]]  # OpenCV writes BGR(A)
    ok, data = cv2.imencode(".png", np.ascontiguousarray(rgb[..., order]))
    if not ok:  # pragma: no cover - OpenCV always encodes uint8 RGB
        raise ParameterError(f"{path}: cannot encode the image as PNG")
    with AtomicFile(path, mode="wb") as out:
        out.file.write(data.tobytes())
    return out.path


def write_svg(text: str, path: str | Path) -> Path:
    """Save an SVG document atomically."""
    from ...common.files import AtomicFile

    with AtomicFile(path) as out:
        out.file.write(text)
    return out.path


def render_track_to_file(track: ExpressionTrack, path: str | Path, *,
                         style: AvatarStyle | str | Path | None = None, size: int = 512,
                         height: int | None = None, fps: float | None = None,
                         audio: str | Path | None = None, mark: bool = True,
                         at: float | None = None, face_id: int | None = None, transparent: bool = False,
                         progress=None) -> Path:
    """Render a track to ``.mp4`` (the whole track) or ``.svg``/``.png`` (one frame ``at`` seconds).

    Parameters
    ----------
    track : ExpressionTrack
        What to draw; one face (the first, or ``face_id``).
    path : str or Path
        Output; the kind comes from the extension (``.mp4``, ``.svg``, ``.png``).
    size, height : int
        Width and height in pixels (height defaults to ``size``: square).
    fps : float, optional
        Video frame rate (default: the track's).
    audio : str or Path, optional
        Audio muxed into the MP4 (AAC).
    mark : bool
        Visible "AI-generated · FaceMimic" mark on video frames.
    at : float, optional
        For stills: seconds from the track's start (default 0, the first frame).
    transparent : bool
        Stills only: no background (RGBA PNG, SVG without the background rectangle).
    progress : callable, optional
        ``progress(done, total)`` after each video frame.

    Returns
    -------
    Path
        The file written (atomically: nothing is left on failure).
    """
    path = Path(path)
    kind = OUTPUT_KINDS.get(path.suffix.lower())
    if kind is None:
        raise ParameterError(f"{path}: cannot tell what to write from {path.suffix or 'no extension'!r}; "
                             f"use {', '.join(OUTPUT_KINDS)}")
    renderer = AvatarRenderer(style, size=size, height=height)
    frames = frames_for_video(track, fps=fps, face_id=face_id)
    rate = float(fps or track.fps)
    if kind == "video":
        from ..video import VideoWriter

        if transparent:
            raise ParameterError(f"{path}: H.264 MP4 has no transparency; use a PNG/SVG, or a solid "
                                 "background colour in the avatar file for chroma keying")
        desc = f"avatar {renderer.style.name!r} driven by an expression track"
        if track.metadata.get("source"):
            desc += f" from {track.metadata['source']}"
        with VideoWriter(path, width=size, height=height or size, fps=rate, audio=audio, mark=mark,
                         description=desc) as video:
            for i, frame in enumerate(frames):
                video.write(renderer.render(frame, reuse=True))
                if progress:
                    progress(i + 1, len(frames))
        return path
    at = 0.0 if at is None else float(at)
    duration = len(frames) / rate
    if not (0.0 <= at < duration + 1e-9):
        raise ParameterError(f"--at {at:g} is outside the track (0 to {duration:.2f} s)")
    index = min(int(round(at * rate)), len(frames) - 1)
    for frame in frames[:index]:  # walk up to it so a gap holds the face before it
        renderer.rig(frame)
    if kind == "svg":
        return write_svg(renderer.svg(frames[index], transparent=transparent), path)
    return write_png(renderer.render(frames[index], transparent=transparent), path)
