"""Live protocol registry and the real-time streaming loop.

Each live protocol is one small :class:`Streamer` subclass with a ``name`` and a default port
(``get_streamer("vrchat")``, ``get_streamer("vmc")``), wrapping its encoder. :func:`stream_frames`
plays frames in real time through a streamer into a :class:`~facemimic.deliver.osc.UdpTransport`,
with a rate cap, gap easing, a duration limit, clean Ctrl-C and live statistics.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, ClassVar, Iterable, Iterator

from ..errors import ParameterError, UnknownNameError, suggest
from .osc import MAX_DATAGRAM, UdpTransport, pack_bundles
from .pacing import Clock, Pacer, RateLimiter, Sleep


class Streamer:
    """One live protocol: turns frames into OSC bundle elements. Subclasses set the class fields."""

    name: ClassVar[str] = ""  # registry key, the `--to` value
    default_port: ClassVar[int] = 0  # where its receivers listen by default
    description: ClassVar[str] = ""  # one line for `--help`

    def start(self, now: float) -> list[bytes]:
        """Messages to send before the first frame."""
        return self.encoder.start(now)

    def encode(self, frame, now: float) -> list[bytes]:
        """Messages for one frame at time ``now``."""
        return self.encoder.encode(frame, now)

    def stop(self, now: float) -> list[bytes]:
        """Messages to send after the last frame."""
        return self.encoder.stop(now)

    def close(self) -> None:
        """Release sockets the streamer holds (idempotent)."""

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        """The keyword options this streamer takes (:func:`get_streamer` checks them)."""
        return ()


class VRChatStreamer(Streamer):
    """VRChat avatar parameters (VRCFaceTracking v2 names) over OSC."""

    name = "vrchat"
    default_port = 9000
    description = "VRChat avatar parameters (VRCFT v2 floats, binary bools, native eyes) over OSC"

    def __init__(self, *, avatar_folder=None, listen_host: str = "127.0.0.1", listen_port: int | None = None,
                 **options) -> None:
        """``options`` are :class:`~facemimic.deliver.vrchat.VRChatOptions` fields.

        With ``avatar_folder`` (VRChat's ``OSC/usr_…/Avatars``) the streamer starts with the newest
        config there and, if ``listen_port`` is given (VRChat sends on 9001), follows
        ``/avatar/change`` to the new avatar's config, like VRCFaceTracking.
        """
        from dataclasses import replace

        from .osc import UdpListener
        from .vrchat import AvatarLibrary, VRChatEncoder, VRChatOptions

        self.options = VRChatOptions(**options)
        self.library = AvatarLibrary(avatar_folder) if avatar_folder is not None else None
        if self.library is not None and self.options.avatar is None:
            latest = self.library.latest()
            if latest is not None:
                self.options = replace(self.options, avatar=latest)
        self.encoder = VRChatEncoder(self.options)
        self.listener = None
        if listen_port is not None:
            self.listener = UdpListener(listen_host, listen_port)
        self.avatar_changes = 0  # /avatar/change messages acted on

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        from dataclasses import fields

        from .vrchat import VRChatOptions

        return tuple(f.name for f in fields(VRChatOptions)) + ("avatar_folder", "listen_host", "listen_port")

    @property
    def note(self) -> str:
        """Which avatar's parameters are being sent (status line)."""
        a = self.options.avatar
        text = f"avatar {a.name or a.id}" if a is not None else "all parameters"
        if self.library is not None and self.library.problem:
            text += f" ({self.library.problem})"
        return text

    def _follow_avatar(self, now: float) -> list[bytes]:
        from dataclasses import replace

        from .vrchat import VRChatEncoder

        new_id = None
        for address, args in self.listener.poll():
            if address == "/avatar/change" and args and isinstance(args[0], str):
                new_id = args[0]
        if new_id is None:
            return []
        self.avatar_changes += 1
        config = self.library.get(new_id) if self.library is not None else None
        # Unknown avatar (no config yet): fall back to every parameter at the default prefix.
        self.options = replace(self.options, avatar=config)
        self.encoder = VRChatEncoder(self.options)
        return self.encoder.start(now)  # fresh change filter: the new avatar gets every value

    def encode(self, frame, now: float) -> list[bytes]:
        pre = self._follow_avatar(now) if self.listener is not None else []
        return pre + self.encoder.encode(frame, now)

    def stop(self, now: float) -> list[bytes]:
        try:
            return self.encoder.stop(now)
        finally:
            self.close()

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()


class VMCStreamer(Streamer):
    """VMC protocol for VTuber apps (VSeeFace, Warudo, VNyan …)."""

    name = "vmc"
    default_port = 39539
    description = "VMC protocol: VRM 0.x clips or ARKit perfect sync, head and eye bones"

    def __init__(self, **options) -> None:
        from .vmc import VMCEncoder, VMCOptions

        self.options = VMCOptions(**options)
        self.encoder = VMCEncoder(self.options)

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        from dataclasses import fields

        from .vmc import VMCOptions

        return tuple(f.name for f in fields(VMCOptions))


STREAMERS: dict[str, type[Streamer]] = {cls.name: cls for cls in (VRChatStreamer, VMCStreamer)}


def available_streamers() -> tuple[str, ...]:
    """Names accepted by :func:`get_streamer` (and ``facemimic stream --to``)."""
    return tuple(STREAMERS)


def get_streamer(name: str, **options) -> Streamer:
    """The streamer called ``name`` built with its options; unknown names list the valid ones."""
    cls = STREAMERS.get(name.lower()) if isinstance(name, str) else None
    if cls is None:
        raise UnknownNameError(f"unknown stream target {name!r}{suggest(str(name), list(STREAMERS))}; "
                               f"valid targets: {', '.join(STREAMERS)}")
    check_streamer_options(cls, options)
    return cls(**options)


def check_streamer_options(cls: type[Streamer], options, *, nearby=()) -> None:
    """Refuse the first name in ``options`` that streamer class ``cls`` does not take, with a hint:
    ``(a vmc option)`` where another target takes it, else the close names among its own and
    ``nearby`` (what the caller takes besides: :func:`~.api.stream`'s own arguments)."""
    known = cls.option_names()
    for key in options:
        if key not in known:
            other = [n for n, c in STREAMERS.items() if key in c.option_names()]
            hint = f" (a {other[0]} option)" if other else suggest(key, [*known, *nearby])
            raise UnknownNameError(f"unknown {cls.name} stream option {key!r}{hint}; valid: {', '.join(known)}")


# -- gaps --------------------------------------------------------------------------------------
def _smoothstep(k: float) -> float:
    return k * k * (3 - 2 * k)


# Live gap modes. Not ExpressionTrack.fill_gaps: that one interpolates to the next face, which a live
# stream cannot know. The old "ease" is refused with the new name, never guessed.
GAP_MODES: tuple[str, ...] = ("hold", "ease-to-neutral")
_RENAMED_GAP_MODES = {"ease": "ease-to-neutral"}


def check_gap_mode(method: str) -> str:
    """``method`` if it is one of :data:`GAP_MODES`, else a :class:`ParameterError` (naming the new
    spelling of a renamed mode)."""
    if method in GAP_MODES:
        return method
    if method in _RENAMED_GAP_MODES:
        raise ParameterError(f"gap mode {method!r} is now called {_RENAMED_GAP_MODES[method]!r}; valid: "
                             f"{', '.join(GAP_MODES)}")
    raise ParameterError(f"unknown gap mode {method!r}; valid: {', '.join(GAP_MODES)}")


class GapFiller:
    """What to send while the face is lost (``present`` False frames carry NaN weights).

    ``hold``: keep the last tracked face. ``ease-to-neutral``: keep it for ``hold_s``, then ease
    weights and head to neutral and the eyes to open and straight ahead over ``ease_s``
    (smoothstep), so the avatar relaxes instead of freezing mid-blink. The filled frames keep
    ``present=False`` so the tracking-active flags still flip.
    """

    def __init__(self, method: str = "ease-to-neutral", *, hold_s: float = 0.25, ease_s: float = 0.5) -> None:
        check_gap_mode(method)
        self.method, self.hold_s, self.ease_s = method, hold_s, ease_s
        self._last = None  # last present frame
        self._lost_at: float | None = None

    def __call__(self, frame, now: float):
        if frame.present:
            self._last, self._lost_at = frame, None
            return frame
        if self._last is None:
            return frame  # nothing to hold yet: the encoders skip NaN values
        if self._lost_at is None:
            self._lost_at = now
        last = self._last
        k = 0.0
        if self.method == "ease-to-neutral":
            k = _smoothstep(min(max((now - self._lost_at - self.hold_s) / max(self.ease_s, 1e-9), 0.0), 1.0))
        keep = 1.0 - k
        return frame.replace(
            weights=last.weights * keep,
            head_rotation=tuple(v * keep for v in last.head_rotation),
            head_position=last.head_position,
            gaze_left=tuple(v * keep for v in last.gaze_left),
            gaze_right=tuple(v * keep for v in last.gaze_right),
            openness_left=last.openness_left + (1 - last.openness_left) * k,
            openness_right=last.openness_right + (1 - last.openness_right) * k,
        )


# -- statistics --------------------------------------------------------------------------------
@dataclass
class StreamStats:
    """Counters of one streaming run (a live snapshot is passed to ``on_status``)."""

    target: str = ""  # "vrchat → 127.0.0.1:9000"
    frames_in: int = 0  # frames read from the source
    frames_sent: int = 0  # frames encoded and sent
    frames_capped: int = 0  # skipped by the rate cap (source faster than max_hz)
    frames_dropped: int = 0  # skipped because they were already stale (playback fell behind)
    messages: int = 0  # OSC messages sent
    datagrams: int = 0  # UDP datagrams (bundles) sent
    bytes: int = 0  # bytes sent
    errors: int = 0  # failed sends (receiver not listening: ICMP port unreachable …)
    last_error: str = ""
    elapsed: float = 0.0  # seconds since start
    lag: float = 0.0  # how far behind real time the last frame was (s)
    fps: float = 0.0  # frames sent per second over the last status window
    messages_per_s: float = 0.0  # over the last status window
    interrupted: bool = False  # stopped by Ctrl-C
    face_present: bool = False  # last frame had a face
    note: str = ""  # streamer's own status (e.g. which avatar VRChat has loaded)

    def line(self) -> str:
        """One-line status for the terminal."""
        err = f" ({self.last_error})" if self.errors and self.last_error else ""
        parts = [self.target, f"{self.elapsed:.1f} s", f"{self.fps:.1f} fps", f"{self.messages_per_s:.0f} msg/s",
                 f"dropped {self.frames_dropped}", f"capped {self.frames_capped}", f"lag {self.lag * 1e3:.0f} ms",
                 f"receiver errors {self.errors}{err}", f"face {'yes' if self.face_present else 'no'}"]
        if self.note:
            parts.append(self.note)
        return " | ".join(parts)


@dataclass(frozen=True)
class StreamOptions:
    """Options of :func:`stream_frames` (validated in :meth:`__post_init__`)."""

    max_hz: float = 60.0  # rate cap: at most this many frames per second go out
    duration: float | None = None  # stop after this many seconds (None: until the source ends)
    realtime: bool = True  # pace frames by their timestamps (False: as fast as possible)
    gap: str = "ease-to-neutral"  # no face: "hold" the last face or "ease-to-neutral" after hold_s
    hold_s: float = 0.25  # ease-to-neutral: hold this long before easing
    ease_s: float = 0.5  # ease-to-neutral: duration of the ease to neutral
    max_lag_s: float = 0.25  # droppable sources: frames later than this are skipped
    status_every_s: float = 0.5  # how often on_status is called
    max_datagram: int = MAX_DATAGRAM  # bundle size limit (bytes)

    def __post_init__(self) -> None:
        if not (self.max_hz > 0 and math.isfinite(self.max_hz)):
            raise ParameterError(f"--max-hz must be a positive number, got {self.max_hz!r}")
        if self.duration is not None and not (self.duration > 0 and math.isfinite(self.duration)):
            raise ParameterError(f"--duration must be a positive number of seconds, got {self.duration!r}")
        check_gap_mode(self.gap)
        for label, v in (("hold time", self.hold_s), ("ease time", self.ease_s),
                         ("max lag", self.max_lag_s), ("status interval", self.status_every_s)):
            if not (v >= 0 and math.isfinite(v)):
                raise ParameterError(f"{label} must be >= 0 seconds, got {v!r}")
        if not 64 <= self.max_datagram <= 65507:
            raise ParameterError(f"datagram size must be 64..65507 bytes, got {self.max_datagram!r}")


def track_frames(track, *, loop: bool = False, face_id: int | None = None) -> Iterator:
    """Frames of one face of an :class:`ExpressionTrack`, optionally looped with growing times.

    Parameters
    ----------
    track : ExpressionTrack
    loop : bool
        Repeat forever; each pass is shifted by the track's duration plus one frame.
    face_id : int, optional
        Which face (default: the first face id in the track).
    """
    if len(track) == 0:
        return
    fid = int(track.face_id[0]) if face_id is None else face_id
    one = track.for_face(fid)
    if len(one) == 0:
        raise ParameterError(f"the track has no face {fid} (faces: {', '.join(map(str, track.face_ids()))})")
    period = float(one.time[-1] - one.time[0]) + 1.0 / one.fps
    offset = 0.0
    while True:
        for f in one:
            yield f if offset == 0 else f.replace(time=f.time + offset)
        if not loop:
            return
        offset += period


def stream_frames(
    frames: Iterable,
    streamer: Streamer,
    transport: UdpTransport,
    *,
    options: StreamOptions | None = None,
    droppable: bool = False,
    face_id: int | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    on_status: Callable[[StreamStats], None] | None = None,
) -> StreamStats:
    """Send ``frames`` through ``streamer`` over ``transport`` in real time.

    Parameters
    ----------
    frames : iterable of ExpressionFrame
        In time order; a file or a capture iterator. Frames of other faces are ignored.
    streamer : Streamer
    transport : UdpTransport
    options : StreamOptions, optional
    droppable : bool
        The source is a file that runs ahead of real time, so stale frames may be skipped
        (counted as dropped). Live sources (camera) are never dropped.
    face_id : int, optional
        Face to follow; default: the first one seen.
    clock, sleep : callables
        Injectable time source (seconds) and sleep, for tests.
    on_status : callable, optional
        Called with a :class:`StreamStats` every ``options.status_every_s`` and at the end.

    Returns
    -------
    StreamStats
        Final counters; ``interrupted`` is True if Ctrl-C stopped the stream (which still sends the
        protocol's stop messages, e.g. ``*TrackingActive`` false).
    """
    opt = options or StreamOptions()
    stats = StreamStats(target=f"{streamer.name} → {transport.host}:{transport.port}")
    limiter = RateLimiter(opt.max_hz)
    pacer = Pacer(clock=clock, sleep=sleep)
    gaps = GapFiller(opt.gap, hold_s=opt.hold_s, ease_s=opt.ease_s)
    t0 = clock()
    deadline = None if opt.duration is None else t0 + opt.duration
    window = [t0, 0, 0]  # time, frames_sent, messages at the last status
    next_status = t0 + opt.status_every_s

    def send(elements: list[bytes]) -> None:
        if not elements:
            return
        datagrams = pack_bundles(elements, max_size=opt.max_datagram)
        stats.datagrams += transport.send(datagrams)
        stats.messages += len(elements)  # handed out; failed datagrams show up in `errors`
        stats.bytes = transport.sent_bytes
        stats.errors = transport.errors
        stats.last_error = transport.last_error

    def status(now: float, final: bool = False) -> None:
        nonlocal next_status
        # Live: rates over the last window; final: averages over the whole run.
        since = t0 if final else window[0]
        base = (0, 0) if final else (window[1], window[2])
        dt = now - since
        if dt > 0:
            stats.fps = (stats.frames_sent - base[0]) / dt
            stats.messages_per_s = (stats.messages - base[1]) / dt
        window[:] = [now, stats.frames_sent, stats.messages]
        stats.elapsed = now - t0
        stats.note = getattr(streamer, "note", "")
        next_status = now + opt.status_every_s
        if on_status is not None:
            on_status(stats)

    pending = None  # last frame held back by the rate cap, flushed at the end
    follow = face_id
    try:
        send(streamer.start(t0))
        for frame in frames:
            if follow is None:
                follow = frame.face_id
            if frame.face_id != follow:
                continue
            stats.frames_in += 1
            lateness = pacer.wait(frame.time, deadline=deadline) if opt.realtime else 0.0
            now = clock()
            if deadline is not None and now >= deadline:
                break
            stats.lag = lateness
            if droppable and lateness > opt.max_lag_s:
                stats.frames_dropped += 1
            else:
                frame = gaps(frame, now)
                # The cap runs on media time: a 120 fps file is thinned evenly whatever the CPU
                # load, and a camera's capture times are wall-clock times anyway.
                if limiter.allow(frame.time):
                    pending = None
                    stats.face_present = bool(frame.present)
                    send(streamer.encode(frame, now))
                    stats.frames_sent += 1
                else:
                    stats.frames_capped += 1
                    pending = frame
            if now >= next_status:
                status(now)
        if pending is not None:
            now = clock()
            send(streamer.encode(pending, now))
            stats.frames_sent += 1
            stats.frames_capped -= 1
    except KeyboardInterrupt:
        stats.interrupted = True
    finally:
        now = clock()
        send(streamer.stop(now))
        status(now, final=True)
    return stats

