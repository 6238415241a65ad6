"""``stream()``: send a track, a video or a webcam live to VRChat (OSC) or a VTuber app (VMC).

One call that wires the pieces ``facemimic stream`` uses: a frame source (a track, a track file, or
the capture stage for videos and cameras), a streamer from :func:`~.streamers.get_streamer`, a
:class:`~.osc.UdpTransport` and the real-time loop :func:`~.streamers.stream_frames`.

>>> import facemimic
>>> facemimic.stream("take.jsonl", "vrchat")                  # doctest: +SKIP
>>> facemimic.stream(0, "vmc", standard="arkit", duration=60)  # webcam 0  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from dataclasses import fields
from pathlib import Path
from typing import Callable

from ..errors import ParameterError
from .streamers import (STREAMERS, StreamOptions, StreamStats, check_streamer_options, get_streamer, stream_frames,
                        track_frames)

TRACK_SUFFIXES = (".jsonl", ".csv", ".npz")


def _track_of(source):
    """``source`` as an ExpressionTrack when it is one (a track, a track file, a list of frames)."""
    from ..expressions.frame import ExpressionFrame
    from ..expressions.track import ExpressionTrack

    if isinstance(source, ExpressionTrack):
        return source
    if isinstance(source, (str, Path)) and str(source).lower().endswith(TRACK_SUFFIXES):
        from ..expressions.io import read_track

        return read_track(source)
    if isinstance(source, (list, tuple)) and source and all(isinstance(f, ExpressionFrame) for f in source):
        return ExpressionTrack.from_frames(list(source))
    return None


def stream(source, to: str = "vrchat", *, host: str = "127.0.0.1", port: int | None = None,
           duration: float | None = None, max_hz: float = 60.0, gap: str | None = None, loop: bool = False,
           face_id: int | None = None, capture_options: dict | None = None,
           on_status: Callable[[StreamStats], None] | None = None, **streamer_options) -> StreamStats:
    """Stream expressions in real time to VRChat (OSC, VRCFT v2 parameters) or a VMC receiver.

    Parameters
    ----------
    source : ExpressionTrack, list of ExpressionFrame, str, Path or int
        A track in memory, a track file (``.jsonl``/``.csv``/``.npz``), or anything the capture
        stage reads (a video, a camera index …), captured live while streaming.
    to : {"vrchat", "vmc"}
        The receiver's protocol.
    host, port : str, int
        Where to send (port default: 9000 for VRChat, 39539 for VMC).
    duration : float, optional
        Stop after this many seconds (default: when the source ends; a camera never does).
    max_hz, gap
        Rate cap (frames per second) and what a lost face does (:data:`~.streamers.GAP_MODES`;
        default: :class:`~.streamers.StreamOptions`' default).
    loop : bool
        Repeat a track or video until ``duration`` (a video is tracked once, then replayed).
    face_id : int, optional
        Face to follow (default: the first one seen).
    capture_options : dict, optional
        For videos and cameras: :class:`~facemimic.capture.options.CaptureOptions` fields
        (``smoothing="light"``, ``profile="me.json"`` …).
    on_status : callable, optional
        Called with a :class:`~.streamers.StreamStats` snapshot twice a second and at the end.
    **streamer_options
        :class:`~.streamers.StreamOptions` fields (``realtime=False``, ``hold_s=0.5`` …), and the
        streamer's options: for ``"vrchat"`` :class:`~.vrchat.VRChatOptions` fields and
        ``avatar_folder``/``listen_port`` (``prefix="FT/"``, ``native_eyes="on"`` …); for ``"vmc"``
        :class:`~.vmc.VMCOptions` fields (``standard="arkit"``, ``head_position=False`` …). An
        unknown name raises :class:`UnknownNameError` with the close ones.

    Returns
    -------
    StreamStats
        Frames sent, dropped and rate-capped, messages, bytes, receiver errors; ``line()`` sums it up.

    Raises
    ------
    UnknownNameError, ParameterError, InputError
        An unknown target, a bad option, an unreadable source (before anything is sent).
    """
    from .osc import UdpTransport

    # StreamOptions' other fields (realtime, hold_s …) reached the streamer and failed there as a TypeError
    loop_fields = {f.name for f in fields(StreamOptions)} - {"max_hz", "duration", "gap"}
    paced = {k: streamer_options.pop(k) for k in list(streamer_options) if k in loop_fields}
    options = StreamOptions(max_hz=max_hz, duration=duration, **({} if gap is None else {"gap": gap}), **paced)
    cls = STREAMERS.get(to.lower()) if isinstance(to, str) else None
    if cls is not None:  # an unknown keyword: the close names among everything stream() takes
        own = [p for p in inspect.signature(stream).parameters if p not in ("source", "to", "streamer_options")]
        check_streamer_options(cls, streamer_options, nearby=own + sorted(loop_fields))
    if loop and isinstance(source, int):
        raise ParameterError("loop repeats a track or a video, not a camera")
    streamer = get_streamer(to, **streamer_options)  # a bad target or option fails first
    frames = None
    try:
        track = _track_of(source)
        if track is None and loop:
            from ..capture.api import track as capture_track

            track = capture_track(source, **(capture_options or {}))
        if track is not None:
            if len(track) == 0:
                raise ParameterError(f"{source if isinstance(source, (str, Path)) else 'the track'}: "
                                     "no frames to stream")
            frames, droppable = track_frames(track, loop=loop, face_id=face_id), True
        else:
            from ..capture.api import capture_frames

            captured = capture_frames(source, **(capture_options or {}))
            first = next(captured, None)  # open the source now: a bad camera or file fails before sending
            if first is None:
                raise ParameterError(f"{source}: nothing to stream (no frames)")
            frames, droppable = _chain(first, captured), False
        with UdpTransport(host, streamer.default_port if port is None else port) as udp:
            return stream_frames(frames, streamer, udp, options=options, droppable=droppable,
                                 face_id=face_id, on_status=on_status)
    finally:
        streamer.close()
        if frames is not None:
            frames.close()


def _chain(first, rest):
    """``first`` then the rest of a generator, closing it when done (the camera is released)."""
    try:
        yield first
        yield from rest
    finally:
        rest.close()


# The glTF writer and the VRM humanoid skeleton, for stages that build avatars (head3d: facemimic.avatar3d).
from .export.gltf_io import ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER, GltfDocument, parse_glb  # noqa: E402
from .export.testhead import HUMANOID_BONES, add_humanoid_nodes  # noqa: E402

__all__ = ["ARRAY_BUFFER", "ELEMENT_ARRAY_BUFFER", "GltfDocument", "HUMANOID_BONES", "TRACK_SUFFIXES",
           "add_humanoid_nodes", "parse_glb", "stream"]
