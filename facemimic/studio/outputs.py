"""Live outputs of the studio: VRChat OSC and VMC, through the deliver stage's own streamers.

Each switched-on output is one :class:`LiveOutput`: a streamer from
``facemimic.deliver.get_streamer`` and a ``UdpTransport``, driven by ``facemimic.deliver.
stream_frames`` (the loop ``facemimic stream`` runs: gap easing, rate cap, send-on-change,
keep-alive, statistics) in a thread that reads the frames the page's camera produced.
"""

from __future__ import annotations

import math
import queue
import threading
from dataclasses import asdict, dataclass

from ..errors import ParameterError, UnknownNameError, suggest

TARGETS = ("vrchat", "vmc")


@dataclass(frozen=True)
class OutputSettings:
    """What the page's output panel sets for one target (validated here, like the CLI's flags).

    Parameters
    ----------
    to : {"vrchat", "vmc"}
    host : str
    port : int or None
        None: the protocol's default (9000 VRChat, 39539 VMC).
    prefix : str
        VRChat: parameter prefix before ``v2/``.
    binary_preset : str or None
        VRChat: ``"jerry"`` adds the binary bool families of Jerry's template.
    avatar_config : str or None
        VRChat: ``"auto"`` follows VRChat's OSC avatar folder (``/avatar/change`` on ``listen_port``).
    perfect_sync : bool
        VMC: the 52 ARKit names instead of VRM 0.x clips.
    max_hz : float
        Rate cap.
    """

    to: str
    host: str = "127.0.0.1"
    port: int | None = None
    prefix: str = "FT/"
    binary_preset: str | None = None
    avatar_config: str | None = None
    listen_port: int = 9001
    perfect_sync: bool = False
    max_hz: float = 60.0

    def __post_init__(self) -> None:
        if self.to not in TARGETS:
            raise UnknownNameError(f"unknown output {self.to!r}{suggest(str(self.to), TARGETS)}; "
                                   f"valid: {', '.join(TARGETS)}")
        if not isinstance(self.host, str) or not self.host.strip():
            raise ParameterError(f"{self.to}: host must be a host name or IP address, got {self.host!r}")
        for name in ("port", "listen_port"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 65535):
                raise ParameterError(f"{self.to}: {name.replace('_', ' ')} must be 1 to 65535, got {v!r}")
        if self.binary_preset not in (None, "", "jerry"):
            raise ParameterError(f"vrchat: unknown binary preset {self.binary_preset!r}; valid: jerry")
        if self.avatar_config not in (None, "", "auto"):
            raise ParameterError(f"vrchat: avatar config must be 'auto' or empty, got {self.avatar_config!r}")
        if not (isinstance(self.max_hz, (int, float)) and 0 < self.max_hz <= 240 and math.isfinite(self.max_hz)):
            raise ParameterError(f"{self.to}: rate cap must be 1 to 240 Hz, got {self.max_hz!r}")

    @classmethod
    def from_json(cls, data: dict) -> "OutputSettings":
        """From the page's JSON (unknown keys are an error, not silently dropped)."""
        known = set(cls.__dataclass_fields__)
        extra = sorted(set(data) - known)
        if extra:
            raise ParameterError(f"unknown output setting {extra[0]!r}{suggest(extra[0], sorted(known))}")
        return cls(**data)

    def streamer_options(self) -> dict:
        """Keyword arguments for ``facemimic.deliver.get_streamer`` (as ``facemimic stream`` builds them)."""
        if self.to == "vmc":
            return {"standard": "arkit" if self.perfect_sync else "vrm0"}
        from ..deliver.vrchat import BINARY_PRESETS

        options = {"prefix": self.prefix, "binary": dict(BINARY_PRESETS[self.binary_preset]) if self.binary_preset else {}}
        if self.avatar_config == "auto":
            from ..deliver.vrchat import vrchat_osc_folders
            from ..errors import InputError

            found = vrchat_osc_folders()
            if not found:
                raise InputError("avatar config auto", "no VRChat OSC folder found (enable OSC in VRChat's "
                                 "Action Menu)")
            options.update(avatar_folder=found[0], listen_port=self.listen_port)
        return options


class LiveOutput:
    """One running output: frames pushed in, UDP out, status readable at any time.

    Parameters
    ----------
    settings : OutputSettings
    """

    def __init__(self, settings: OutputSettings) -> None:
        from ..deliver import UdpTransport, get_streamer, stream_frames
        from ..deliver.streamers import StreamOptions

        self.settings = settings
        self.streamer = get_streamer(settings.to, **settings.streamer_options())
        port = settings.port if settings.port is not None else self.streamer.default_port
        try:
            self.transport = UdpTransport(settings.host, port)
        except BaseException:
            self.streamer.close()
            raise
        self._queue: queue.Queue = queue.Queue(maxsize=4)
        self._status: dict = {"target": f"{settings.to} → {settings.host}:{port}", "fps": 0.0,
                              "messages_per_s": 0.0, "messages": 0, "errors": 0, "last_error": "", "note": ""}
        self._lock = threading.Lock()
        self._stats = None
        # realtime=False: frames arrive live from the camera, so they go out as they come.
        # status_every_s=0: the loop hands over its live StreamStats from the first frame on;
        # the rates shown are computed here, between two status() calls (see status()).
        options = StreamOptions(max_hz=settings.max_hz, realtime=False, status_every_s=0.0)
        self._rate_base = None  # (time, frames_sent, messages) at the last status() call
        self._rates = (0.0, 0.0)  # frames/s and messages/s between the last two status() calls
        self._thread = threading.Thread(
            target=stream_frames, name=f"studio-{settings.to}", daemon=True,
            args=(self._frames(), self.streamer, self.transport),
            kwargs={"options": options, "on_status": self._on_status})
        self._thread.start()

    def _frames(self):
        while True:
            frame = self._queue.get()
            if frame is None:
                return
            yield frame

    def _on_status(self, stats) -> None:
        # stream_frames updates this same StreamStats object on every send; keep it to read live
        # counters (messages, errors) between its status windows.
        with self._lock:
            self._stats = stats

    def push(self, frame) -> None:
        """Queue one frame; if the sender lags, the oldest queued frame is dropped (live wins)."""
        while True:
            try:
                self._queue.put_nowait(frame)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass

    def status(self) -> dict:
        """Counters of :class:`facemimic.deliver.StreamStats` (``messages_per_s``, ``errors``, ``last_error`` …)."""
        import time

        with self._lock:
            if self._stats is None:
                out = dict(self._status)
            else:
                out = asdict(self._stats)
                now = time.monotonic()
                if self._rate_base is None:
                    self._rate_base = (now, out["frames_sent"], out["messages"])
                elif now - self._rate_base[0] >= 0.2:
                    dt = now - self._rate_base[0]
                    self._rates = ((out["frames_sent"] - self._rate_base[1]) / dt,
                                   (out["messages"] - self._rate_base[2]) / dt)
                    self._rate_base = (now, out["frames_sent"], out["messages"])
                out["fps"], out["messages_per_s"] = self._rates
        # The transport counts receiver errors as they happen (ICMP port unreachable …).
        out.update(errors=self.transport.errors, last_error=self.transport.last_error,
                   alive=self._thread.is_alive())
        return out

    def close(self) -> None:
        """Send the protocol's stop messages and release the socket."""
        self.push(None)
        self._thread.join(timeout=5)
        self.transport.close()
        self.streamer.close()
