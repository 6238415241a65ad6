"""``animate()``: a portrait (or the built-in avatar) + a driver -> a marked MP4 and a PNG preview.

>>> from facemimic.animate.drivers import DriverSpec
>>> animate("me.jpg", "me.mp4", DriverSpec(say="Hello there!", mood="cheerful"))   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ...errors import OutputError, ParameterError, check_options, check_path
from ..drivers import DriverSpec, build, default_rest
from .animator import PortraitAnimator, PortraitOptions, timeline
from .source import flatten_alpha

AVATAR_PREFIX = "avatar"


@dataclass(frozen=True)
class AnimateResult:
    """What :func:`animate` wrote."""

    video: Path  # the MP4
    preview: Path  # the first frame as PNG (alpha kept for transparent portraits)
    frames: int  # video frames written
    fps: float  # frame rate
    size: tuple[int, int]  # (width, height)
    audio: bool  # whether sound was muxed
    warnings: tuple[str, ...]  # things the user should know
    words: str | None = None  # what the speech recogniser heard in the recording (``DriverSpec.transcribe``)


def check_output(path: str | Path, source=None) -> Path:
    """Refuse an output we could not write, or whose PNG preview would replace ``source`` (the
    photo being animated), before any slow work."""
    p = check_path(path, "the output must be an .mp4 file path")
    if p.suffix.lower() != ".mp4":
        raise OutputError(p, "the output must be an .mp4 file")
    if isinstance(source, (str, Path)) and not is_avatar(str(source)):
        from ...common.outputs import same_file

        if same_file(preview_path(p), source):
            raise OutputError(preview_path(p), f"the preview of {p} would overwrite the source image; "
                                               "choose another output name")
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise OutputError(p, "is a folder")
    if not parent.is_dir():
        raise OutputError(p, f"folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(p, f"folder {str(parent)!r} is not writable")
    return p


def preview_path(video: str | Path) -> Path:
    """``OUT.mp4`` -> ``OUT.png``."""
    return Path(video).with_suffix(".png")


def write_png(image: np.ndarray, path: str | Path, *, mark: bool = True, description: str = "") -> Path:
    """Save RGB or RGBA (H, W, 3|4) uint8 as a PNG atomically, labelled as synthetic: PNG text
    chunks ``Comment``/``Description`` and (``mark``) the visible mark."""
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    from ... import __version__
    from ...common.files import AtomicFile
    from ..video import SYNTHETIC_COMMENT, add_mark

    img = np.ascontiguousarray(image).copy()
    if mark:
        rgb = np.ascontiguousarray(img[..., :3])
        add_mark(rgb)
        img[..., :3] = rgb
    info = PngInfo()
    info.add_text("Comment", SYNTHETIC_COMMENT.replace("video", "image"))
    info.add_text("Description", f"Synthetic (AI-generated) image made by FaceMimic {__version__}"
                  + (f": {description}" if description else ""))
    buf = io.BytesIO()
    # zlib level 1: 5x faster than PIL's default 6 (16 vs 82 ms at 512 px) for ~9 % more bytes
    Image.fromarray(img, "RGBA" if img.shape[2] == 4 else "RGB").save(buf, format="PNG", pnginfo=info,
                                                                       compress_level=1)
    with AtomicFile(path, mode="wb") as out:
        out.file.write(buf.getvalue())
    return out.path


def is_avatar(source: str) -> bool:
    """``avatar`` or ``avatar:FILE|PRESET`` names the built-in 2D avatar."""
    s = str(source)
    return s == AVATAR_PREFIX or s.startswith(AVATAR_PREFIX + ":")


def animate(source, output: str | Path, driver: DriverSpec, *, options: PortraitOptions | None = None,
            fps: float | None = None, mark: bool = True, background=(255, 255, 255),
            progress: Callable[[int, int], None] | None = None,
            status: Callable[[str], None] | None = None,
            on_frame: Callable[[int, np.ndarray], None] | None = None) -> AnimateResult:
    """Animate a portrait (or ``avatar[:STYLE]``) with a driver into ``output`` (.mp4) + ``.png``.

    Parameters
    ----------
    source : str, Path or np.ndarray
        A photo/drawing, or ``"avatar"`` / ``"avatar:neko"`` / ``"avatar:me.json"``.
    output : str or Path
        The MP4 to write (atomically; the preview PNG lands next to it).
    driver : DriverSpec
        What the face does (see :mod:`facemimic.animate.drivers`).
    options : PortraitOptions, optional
        Size, face, crop … (``size`` also sets the avatar's size); default: ``facemimic animate``'s
        defaults, i.e. the rest pose the driver means (:func:`facemimic.animate.drivers.default_rest`)
        and the closed loop on (``refine=True``; a ``PortraitOptions`` you pass keeps its own
        ``refine``, which defaults to the faster open loop).
    fps : float, optional
        Video frame rate (default: ``driver.fps``).
    mark : bool
        Visible "AI-generated" mark (metadata always says synthetic).
    background : RGB
        What shows through transparent pixels in the video (the PNG preview keeps the alpha).
    progress : callable, optional
        ``progress(done, total)`` after each frame.
    status : callable, optional
        Called with a short text before each slow step.
    on_frame : callable, optional
        ``on_frame(index, image)`` with each video frame as it goes to the encoder (RGB uint8,
        shape (H, W, 3), before the visible mark), in order from 0, on the thread that encodes it;
        the array is reused after the call returns (copy or encode it there). For a live view of
        a long job.
    """
    from ..pipeline import run_two_stage
    from ..video import VideoWriter

    out = check_output(output, source)
    # Without options, what `facemimic animate` does: the rest pose the driver means and the closed
    # loop on (PortraitOptions() alone is the open-loop renderer, whose speech gapes: issue #11).
    opts = check_options(options, PortraitOptions) or PortraitOptions(rest=default_rest(driver), refine=True)
    fps = float(fps or driver.fps)
    if not 1 <= fps <= 240:
        raise ParameterError(f"fps must be between 1 and 240, got {fps!r}")
    tell = status or (lambda _m: None)
    avatar = isinstance(source, str) and is_avatar(source)
    player = None
    if isinstance(source, str) and source.startswith("avatar3d:"):  # a file from `facemimic avatar3d`
        from ...head3d.api import AvatarPlayer

        player = AvatarPlayer(source.split(":", 1)[1], size=opts.size)  # a bad file fails here, fast
    avatar = avatar or player is not None
    if not avatar:  # fail fast on a bad image before a slow driver (and decode it only once)
        from .source import load_image

        image, name = load_image(source)
    with build(driver, progress=tell) as driven, contextlib.ExitStack() as stack:
        warnings = list(driven.warnings)
        frames = timeline(driven.track, fps=fps, duration=driven.duration)
        if player is not None:  # a 3D avatar from `facemimic avatar3d`, drawn by its own renderer
            first_stage, second_stage = player.render, lambda img: img
            what = f"the 3D avatar {player.name!r}"
        elif avatar:
            from ..avatar.render import AvatarRenderer

            style = source.split(":", 1)[1] if ":" in source else None
            renderer = AvatarRenderer(style or None, size=opts.size)
            # stage one draws (a new array a frame: the writer thread still holds the last one)
            first_stage, second_stage = renderer.render, lambda img: img
            what = f"the built-in avatar {renderer.style.name!r}"
        else:
            tell("preparing the portrait")
            anim = stack.enter_context(PortraitAnimator(image, opts, name=name))
            warnings += anim.warnings
            if opts.rest == "source" and "relative_to" in driven.track.metadata:
                frames = within_full_extent(frames, anim.face_frame.weights)
            # Stage one decides each frame (the closed loop's trial render and re-track, a chain
            # from frame to frame); stage two draws it, behind, with its own buffers.
            scratch, canvas = anim.new_scratch(), np.empty_like(anim.image)
            first_stage = anim.plan
            second_stage = lambda plan: anim.draw(plan, out=canvas, scratch=scratch)  # noqa: E731
            what = f"portrait {Path(str(source)).name if not isinstance(source, np.ndarray) else 'image'}"
        tell("rendering")
        desc = f"{what} animated by {driven.description}"
        first = second_stage(first_stage(frames[0])).copy()
        h, w = first.shape[:2]
        written = [0]

        def write(image: np.ndarray) -> None:
            video.write(image)
            if on_frame is not None:
                on_frame(written[0], image)
            written[0] += 1

        with VideoWriter(out, width=w, height=h, fps=fps, audio=driven.audio, mark=mark,
                         description=desc) as video:
            write(flatten_alpha(first, background))
            if progress:
                progress(1, len(frames))
            # The video is encoded on the drawing thread too (the encoder copies each frame).
            run_two_stage(frames[1:], first_stage, lambda item: write(flatten_alpha(second_stage(item), background)),
                          progress=(lambda done: progress(done + 1, len(frames))) if progress else None)
        audio = driven.audio is not None
    preview = write_png(first, preview_path(out), mark=mark, description=desc)
    return AnimateResult(out, preview, len(frames), fps, (w, h), audio, tuple(warnings), driven.words)


# The shapes of a smile's corners: what a reenactment can push past the shape's full extent on a photo
# that already smiles (the photo's own smile plus the driver's, drawn as a second grin past the first).
GRIN_CHANNELS = ("MouthCornerPullRight", "MouthCornerPullLeft", "MouthCornerSlantRight", "MouthCornerSlantLeft")


def within_full_extent(frames: list, photo_weights: np.ndarray) -> list:
    """Reenactment frames on a photo taken as the rest, the mouth corners' pull and slant cut to what
    remains of each shape before its full extent: ``min(w, 1 - photo)`` (GRIN_CHANNELS).

    A driver's change from its own resting face is drawn on top of the photo's own expression, and
    in the unit a weight of 1 is the shape's full extent. A driver who breaks into a broad smile
    (single_face.mp4: MouthCornerPull +0.98, MouthCornerSlant +0.98) on a photo that already smiles
    (0.66, 0.50) asked 1.5-1.6 full extents of the corners, drawn as a second grin past the first.
    Only the corners: the other channels' photo readings are not the extent a face shows (a smiling
    photo reads MouthPress 0.41), and cutting them all moved the reenacted outer brow 1.09 -> 1.22.

    Parameters
    ----------
    frames : list of ExpressionFrame
        The reenactment's frames (weights (88,) changes from the driver's rest).
    photo_weights : np.ndarray [shape=(88,)]
        The capture stage's weights of the photo (NaN: nothing known, no cut).
    """
    from dataclasses import replace

    from ...expressions.names import ue_index

    room = np.full(len(photo_weights), np.inf, np.float32)
    idx = [ue_index(n) for n in GRIN_CHANNELS]
    photo = np.nan_to_num(np.asarray(photo_weights, np.float32)[idx], nan=0.0)
    room[idx] = np.clip(1.0 - photo, 0.0, 1.0)
    return [replace(f, weights=np.minimum(np.asarray(f.weights, np.float32), room)) if f is not None and f.present
            else f for f in frames]


def animate_face(source, output: str | Path, *, expression: str | None = None, track=None,
                 drive: str | Path | None = None, audio: str | Path | None = None, text: str | None = None,
                 transcribe: bool = False, say: str | None = None, mood: str | None = None, duration: float | None = None,
                 seed: int | None = None, voice: str = "en-us", fps: float = 30.0, reference: str = "rest",
                 options: PortraitOptions | None = None, mark: bool = True) -> AnimateResult:
    """Animate a portrait or the built-in avatar into an MP4 (+ PNG preview): :func:`animate` with
    the driver given as keywords, as ``facemimic animate`` takes them.

    Parameters
    ----------
    source : str, Path or np.ndarray [shape=(H, W, 3|4)]
        A photo or drawing of a face, or ``"avatar"`` / ``"avatar:neko"`` / ``"avatar:me.json"``.
    output : str or Path
        The ``.mp4`` to write (atomically); the first frame is also saved as ``.png`` next to it.
    expression : str, optional
        A prompt or timeline for the generator: ``"happy"``, ``"neutral 1s > surprised 1s > happy 2s"``.
    track : str, Path or ExpressionTrack, optional
        An expression track (a ``.jsonl``/``.csv``/``.npz`` file, or a track in memory).
    drive : str or Path, optional
        Reenactment: a video of a person whose changes from their resting face are copied.
    audio : str or Path, optional
        A voice recording: lip-synced when it is the only driver, else just the soundtrack.
    text : str, optional
        The transcript of ``audio`` (exact alignment).
    transcribe : bool
        No transcript: hear the words of English ``audio`` with the built-in speech recogniser
        first, then align them (far more accurate lip closures on real voices; ``facemimic lipsync
        --transcribe``).
    say : str, optional
        Text for the built-in offline voice (its exact phones drive the lips).
    mood : str, optional
        The face around the lips for ``audio``/``say``; alone, an expression.
    duration, seed, voice, fps, reference
        Seconds of a generated expression, generator seed, espeak-ng voice for ``say``, video frame
        rate, and the reenactment reference (``"rest"`` or ``"first"``): see
        :class:`~facemimic.animate.drivers.DriverSpec`.
    options : PortraitOptions, optional
        Size, crop, face, rest pose, closed-loop ``refine`` …; default: ``facemimic animate``'s
        defaults (the rest pose the driver means, :func:`~facemimic.animate.drivers.default_rest`,
        and the closed loop on).
    mark : bool
        The small visible "AI-generated" mark (the file's metadata always says synthetic).

    Returns
    -------
    AnimateResult
        ``video``, ``preview``, ``frames``, ``fps``, ``size`` (width, height), ``audio``, ``warnings``.
    """
    import tempfile

    from ...expressions.track import ExpressionTrack

    name = lambda p: None if p is None else str(p)  # noqa: E731 - DriverSpec holds plain strings
    if track is not None and not isinstance(track, (str, Path, ExpressionTrack)):
        # a list of frames was taken as a file name ('OSError: File name too long')
        hint = " (ExpressionTrack.from_frames makes one from frames)" if isinstance(track, (list, tuple)) else ""
        raise ParameterError(f"track must be a track file or an ExpressionTrack, got {type(track).__name__}{hint}")
    with contextlib.ExitStack() as stack:
        if isinstance(track, ExpressionTrack):  # the drivers read tracks from files: write it once
            from ...expressions.io import write_track

            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="facemimic-track-"))
            track = write_track(track, Path(folder) / "track.jsonl")
        spec = DriverSpec(expression=expression, track=name(track), drive=name(drive), reference=reference,
                          audio=name(audio), text=text, transcribe=transcribe, say=say, mood=mood, duration=duration, fps=fps,
                          seed=seed, voice=voice)
        return animate(source, output, spec, options=options, fps=fps, mark=mark)
