"""One page's live session: camera frames and commands in, frame JSON and statuses out.

Kept free of FastAPI so it can be driven directly (tests, benchmarks); the WebSocket route in
:mod:`.server` only moves messages. Every call comes from one worker thread.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..errors import FaceMimicError, ParameterError
from .live import LiveCapture, frame_message, parse_frame_message
from .outputs import TARGETS, LiveOutput, OutputSettings

CAPTURE_KEYS = ("smoothing", "max_faces", "units")  # capture options the page may change
AVATAR_STYLES_HZ = 15.0  # the 2D avatar is redrawn at most this often (its SVG costs ~7 ms)


class LiveSession:
    """The state behind one WebSocket.

    Parameters
    ----------
    workspace : Path
        The studio's workspace (profiles and takes live there).
    capture_options : dict, optional
        Initial :class:`~facemimic.capture.api.CaptureOptions` fields (default: ``smoothing="light"``).
    """

    def __init__(self, workspace: Path, capture_options: dict | None = None) -> None:
        self.workspace = Path(workspace)
        self.capture_options = {"smoothing": "light", **(capture_options or {})}
        self.capture: LiveCapture | None = None
        self.outputs: dict[str, LiveOutput] = {}
        self.avatar = None  # AvatarRenderer, made when the page asks for the 2D avatar
        self.avatar_style = "default"
        self._avatar_next = 0.0
        self._status_next = 0.0
        self.last = None  # last sent ExpressionFrame (the 2D avatar draws it)
        self.profile = None  # CalibrationProfile applied to every frame (raw -> calibrated)
        self.profile_path: str | None = None  # its path in the workspace
        self._calibration: dict | None = None  # collecting neutral frames: {"name", "until", "frames"}
        self._take: list | None = None  # frames of the take being recorded
        self._last_time = float("-inf")  # capture time of the last frame tracked

    # -- frames -----------------------------------------------------------------------------------
    def on_frame(self, data: bytes) -> list[dict]:
        """One binary camera frame -> ``[frame message]`` (+ an ``outputs`` status twice a second)."""
        t0 = time.perf_counter()
        try:
            cam = parse_frame_message(data)
            t1 = time.perf_counter()
            if cam.time <= self._last_time:
                # A frame older than one already tracked (a page reload, a clock step): skipped,
                # not an error; the capture stage needs increasing times.
                return [{"type": "skipped", "id": cam.frame_id}]
            self._last_time = cam.time
            if self.capture is None:
                self.capture = LiveCapture(**self.capture_options)
            group = self.capture.process(cam.time, cam.rgb)
        except FaceMimicError as e:
            return [{"type": "error", "message": str(e)}]
        t2 = time.perf_counter()
        replies = []
        if group.frames:
            raw = group.frames[0]
            calibrated = self.profile.apply(raw) if self.profile is not None else raw
            sent = calibrated
            if self._take is not None:
                self._take.append(sent)
            self.last = sent
            for out in self.outputs.values():
                out.push(sent)
            timing = {"decode_ms": round((t1 - t0) * 1e3, 2), "capture_ms": round((t2 - t1) * 1e3, 2)}
            replies.append(frame_message(calibrated, raw=raw, sent=sent, frame_id=cam.frame_id, timing=timing))
        if self._calibration is not None and group.frames:
            replies += self._collect_neutral(group.frames[0], cam.time)
        if self._take is not None and len(self._take) % 15 == 1:
            replies.append({"type": "recording", "frames": len(self._take)})
        now = time.monotonic()
        if self.outputs and now >= self._status_next:
            self._status_next = now + 0.5
            replies.append(self.outputs_status())
        return replies

    def avatar_message(self) -> dict | None:
        """The 2D avatar's SVG for the last frame (the renderer's own drawing), at most 15 times a second."""
        if self.avatar is None or self.last is None:
            return None
        now = time.monotonic()
        if now < self._avatar_next:
            return None
        self._avatar_next = now + 1.0 / AVATAR_STYLES_HZ
        return {"type": "avatar2d", "svg": self.avatar.svg(self.last, transparent=True)}

    # -- commands ----------------------------------------------------------------------------------
    def on_command(self, text: str) -> list[dict]:
        """One JSON command from the page -> replies; a bad command is one ``error`` reply."""
        try:
            try:
                cmd = json.loads(text)
            except json.JSONDecodeError as e:
                raise ParameterError(f"command is not JSON ({e.msg})") from None
            if not isinstance(cmd, dict) or not isinstance(cmd.get("type"), str):
                raise ParameterError("command must be a JSON object with a 'type'")
            handler = getattr(self, "_cmd_" + cmd["type"].replace("-", "_"), None)
            if handler is None:
                raise ParameterError(f"unknown command {cmd['type']!r}")
            return handler({k: v for k, v in cmd.items() if k != "type"})
        except FaceMimicError as e:
            return [{"type": "error", "message": str(e)}]

    def _cmd_capture(self, args: dict) -> list[dict]:
        """``{"type": "capture", "smoothing": "raw", ...}``: restart the capture with new options."""
        from ..capture.api import CaptureOptions

        bad = sorted(set(args) - set(CAPTURE_KEYS))
        if bad:
            raise ParameterError(f"unknown capture setting {bad[0]!r}; the page may set {', '.join(CAPTURE_KEYS)}")
        options = {**self.capture_options, **args}
        CaptureOptions(**options)  # a bad value fails here, with the library's own message
        self.capture_options = options
        if self.capture is not None:
            self.capture.close()
            self.capture = None
        return [{"type": "capture", **self.capture_options}]

    def _cmd_output(self, args: dict) -> list[dict]:
        """``{"type": "output", "to": "vrchat", "enabled": true, "host": ..., "port": ...}``."""
        enabled = bool(args.pop("enabled", True))
        to = args.get("to")
        if to not in TARGETS:
            OutputSettings(to=to)  # raises the unknown-name error
        old = self.outputs.pop(to, None)
        if old is not None:
            old.close()
        if enabled:
            self.outputs[to] = LiveOutput(OutputSettings.from_json(args))
        return [self.outputs_status()]

    def _cmd_avatar2d(self, args: dict) -> list[dict]:
        """``{"type": "avatar2d", "enabled": true, "style": "neko"}``."""
        from ..animate.avatar import AvatarRenderer, preset_names

        if not args.get("enabled", True):
            self.avatar = None
            return []
        style = args.get("style", "default")
        if style not in preset_names():
            raise ParameterError(f"unknown avatar preset {style!r}; valid: {', '.join(preset_names())}")
        self.avatar = AvatarRenderer(style, size=320)
        self.avatar_style = style
        self._avatar_next = 0.0
        return [{"type": "avatar2d", "svg": self.avatar.svg(self.last, transparent=True)}]

    # -- calibration and profiles -----------------------------------------------------------------
    def _cmd_calibrate(self, args: dict) -> list[dict]:
        """``{"type": "calibrate", "name": "me", "seconds": 3}``: the next seconds of the camera are
        the user's resting face; the profile is saved to ``profiles/<name>.json`` and applied."""
        name = str(args.get("name") or "me").strip()
        seconds = args.get("seconds", 3.0)
        if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 64:
            raise ParameterError(f"profile name {name!r}: use letters, digits, - and _ (at most 64)")
        if not isinstance(seconds, (int, float)) or not 0.5 <= seconds <= 30:
            raise ParameterError(f"calibration time must be 0.5 to 30 seconds, got {seconds!r}")
        self._calibration = {"name": name, "seconds": float(seconds), "start": None, "frames": []}
        return [{"type": "calibrating", "left": float(seconds)}]

    def _collect_neutral(self, raw, t: float) -> list[dict]:
        from ..capture.calibration import CalibrationProfile
        from .security import confine

        cal = self._calibration
        if cal["start"] is None:
            cal["start"] = t
        cal["frames"].append(raw)
        left = cal["seconds"] - (t - cal["start"])
        if left > 0:
            return [{"type": "calibrating", "left": round(left, 2)}]
        self._calibration = None
        # The CLI's `facemimic calibrate` measure and file: `track/stream --profile` read it as is.
        profile = CalibrationProfile.from_frames(cal["frames"], name=cal["name"], source="studio camera",
                                                 units=self.capture_options.get("units", "extent"))
        relative = f"profiles/{cal['name']}.json"
        target = confine(self.workspace, relative)
        target.parent.mkdir(exist_ok=True)
        profile.save(target)
        self.profile, self.profile_path = profile, relative
        return [{"type": "profile", "path": relative, "frames": len(cal["frames"]), "warnings": profile.warnings()}]

    def _cmd_profile(self, args: dict) -> list[dict]:
        """``{"type": "profile", "path": "profiles/me.json"}`` (null: no profile)."""
        from ..capture.calibration import CalibrationProfile
        from .security import confine

        path = args.get("path")
        if not path:
            self.profile = self.profile_path = None
            return [{"type": "profile", "path": None}]
        profile = CalibrationProfile.load(confine(self.workspace, str(path)))
        profile.check_units(self.capture_options.get("units", "extent"), str(path))
        self.profile, self.profile_path = profile, str(path)
        return [{"type": "profile", "path": self.profile_path}]

    # -- takes ------------------------------------------------------------------------------------
    def _cmd_record(self, args: dict) -> list[dict]:
        """``{"type": "record", "on": true}`` starts a take; ``false`` saves it as ``takes/take-<time>.jsonl``."""
        if args.get("on", True):
            self._take = []
            return [{"type": "recording", "frames": 0}]
        frames, self._take = self._take, None
        if not frames:
            raise ParameterError("nothing recorded: no camera frames arrived while recording")
        return [self.save_take(frames)]

    def save_take(self, frames: list) -> dict:
        """Write recorded frames as a track file in ``takes/`` (times from 0, settings in the header)."""
        from datetime import datetime, timezone

        from ..expressions.io import write_track
        from ..expressions.track import ExpressionTrack
        from .security import confine

        t0 = frames[0].time
        shifted = [f.replace(time=f.time - t0) for f in frames]
        duration = shifted[-1].time
        fps = (len(shifted) - 1) / duration if duration > 0 else 30.0
        metadata = {"source": "facemimic studio camera", "source_kind": "camera",
                    "units": self.capture_options.get("units", "extent"),
                    "capture": {"engine": "mediapipe-face-landmarker", **self.capture_options,
                                "profile": self.profile_path},
                    "profile": self.profile.to_json() if self.profile is not None else None}
        track = ExpressionTrack.from_frames(shifted, fps=min(240.0, max(1.0, fps)), metadata=metadata)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        relative = f"takes/take-{stamp}.jsonl"
        target = confine(self.workspace, relative)
        n = 1
        while target.exists():
            n += 1
            relative = f"takes/take-{stamp}-{n}.jsonl"
            target = confine(self.workspace, relative)
        target.parent.mkdir(exist_ok=True)
        write_track(track, target)
        return {"type": "take", "path": relative, "frames": len(frames), "seconds": round(duration, 3)}

    def _cmd_status(self, args: dict) -> list[dict]:
        """``{"type": "status"}``: the outputs' counters now."""
        return [self.outputs_status()]

    def outputs_status(self) -> dict:
        """``{"type": "outputs", "vrchat": {...StreamStats...} | null, "vmc": ...}``."""
        return {"type": "outputs", **{t: (self.outputs[t].status() if t in self.outputs else None) for t in TARGETS}}

    def close(self) -> None:
        """Stop outputs (their stop messages go out) and the capture."""
        for out in self.outputs.values():
            out.close()
        self.outputs.clear()
        if self.capture is not None:
            self.capture.close()
            self.capture = None
