"""One page's live session: camera frames and commands in, frame JSON and statuses out.

Kept free of FastAPI so it can be driven directly (tests, benchmarks); the WebSocket route in
:mod:`.server` only moves messages. Every call comes from one worker thread.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..errors import FaceMimicError, ParameterError
import numpy as np

from .live import LiveCapture, frame_message, parse_frame_message, regions
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
        self._untuned = None  # the profile without its hand tuning (the "calibrated" meters)
        self.regions_off: dict[str, set[str]] = {}  # output -> face regions it does not send
        self.last_present = None  # last frame with a face (the 3D avatar holds it over gaps)
        self.morph_aliases: list = []  # the 3D avatar's morph targets resolved by export's alias table
        self.player = None  # TakePlayer: a take on the avatars instead of the camera (takes.py)

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
                self.capture = LiveCapture(filters=self._smoothing(), **self.capture_options)
            group = self.capture.process(cam.time, cam.rgb)
        except FaceMimicError as e:
            return [{"type": "error", "message": str(e)}]
        t2 = time.perf_counter()
        replies = []
        if group.frames:
            raw = group.frames[0]
            # calibrated: the profile's neutral-face map alone; tuned: with its hand tuning too
            calibrated = self._untuned.apply(raw) if self.profile is not None else raw
            tuned = self.profile.apply(raw) if self.profile is not None else raw
            if self._take is not None:
                self._take.append(tuned)
            self.last = tuned
            if tuned.present:
                self.last_present = tuned
            sent = None  # the meters show what the first output sends (its regions switched off)
            for to, out in self.outputs.items():
                shown = self._without_regions(tuned, self.regions_off.get(to))
                out.push(shown)
                sent = shown if sent is None else sent
            sent = tuned if sent is None else sent
            timing = {"decode_ms": round((t1 - t0) * 1e3, 2), "capture_ms": round((t2 - t1) * 1e3, 2)}
            message = frame_message(calibrated, raw=raw, sent=sent, frame_id=cam.frame_id, timing=timing)
            if self.morph_aliases:
                message["morphs"] = self.morph_values(sent)
            replies.append(message)
        if self._calibration is not None and group.frames:
            replies += self._collect_neutral(group.frames[0], cam.time)
        if self._take is not None and len(self._take) % 15 == 1:
            replies.append({"type": "recording", "frames": len(self._take)})
        now = time.monotonic()
        if self.outputs and now >= self._status_next:
            self._status_next = now + 0.5
            replies.append(self.outputs_status())
        # The frame goes last: a client that reads up to its frame has read everything this frame said.
        replies.sort(key=lambda m: m["type"] == "frame")
        return replies

    @staticmethod
    def _without_regions(frame, off):
        """``frame`` with the shapes of the face regions in ``off`` at 0 (that output does not drive them)."""
        if not off or not frame.present:
            return frame
        from ..expressions.names import UE_INDEX

        w = np.array(frame.weights, np.float32)
        for region, names in regions().items():
            if region in off:
                w[[UE_INDEX[n] for n in names]] = 0.0
        return frame.replace(weights=w)

    def _set_profile(self, profile, path) -> None:
        from dataclasses import replace

        from ..capture.filters import SmoothingOptions

        self.profile, self.profile_path = profile, path
        self._untuned = None if profile is None else replace(profile, floor=None, ceiling=None, curve=None)
        if self.capture is not None:  # the profile's smoothing (or the preset's again) from the next frame
            self.capture.use_smoothing(self._smoothing() or SmoothingOptions.preset(self.capture_options["smoothing"]))

    def _smoothing(self):
        """The profile's per-region smoothing over the capture preset (``None``: the preset alone),
        by the function ``track/stream --profile`` use."""
        return None if self.profile is None else self.profile.smoothing_options(self.capture_options["smoothing"])

    def smoothing(self) -> dict:
        """``{region: preset or {min_cutoff, beta[, d_cutoff]}}`` the current profile sets."""
        return {} if self.profile is None or not self.profile.smoothing else \
            {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.profile.smoothing.items()}

    def avatar_message(self) -> dict | None:
        """The 2D avatar's SVG for the last frame (the renderer's own drawing), at most 15 times a second."""
        if self.avatar is None or self.last is None or self.player is not None:
            return None  # (while a take plays, the avatars show the take)
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
        self._set_profile(profile, relative)
        return [{"type": "profile", "path": relative, "frames": len(cal["frames"]), "warnings": profile.warnings(),
                 "tuning": self.tuning(), "smoothing": self.smoothing()}]

    def _cmd_profile(self, args: dict) -> list[dict]:
        """``{"type": "profile", "path": "profiles/me.json"}`` (null: no profile)."""
        from ..capture.calibration import CalibrationProfile
        from .security import confine

        path = args.get("path")
        if not path:
            self._set_profile(None, None)
            return [{"type": "profile", "path": None, "tuning": {}, "smoothing": {}}]
        profile = CalibrationProfile.load(confine(self.workspace, str(path)))
        profile.check_units(self.capture_options.get("units", "extent"), str(path))
        self._set_profile(profile, str(path))
        return [{"type": "profile", "path": self.profile_path, "tuning": self.tuning(), "smoothing": self.smoothing()}]

    def tuning(self) -> dict:
        """``{shape: {"gain", "floor", "ceiling", "curve"}}`` of the current profile (every shape)."""
        from ..expressions.names import UE_NAMES

        if self.profile is None:
            return {}
        p = self.profile
        return {n: {"gain": round(float(p.gains[i]), 4), "floor": round(float(p.floor[i]), 4),
                    "ceiling": round(float(p.ceiling[i]), 4), "curve": round(float(p.curve[i]), 4)}
                for i, n in enumerate(UE_NAMES)}

    def _cmd_tune(self, args: dict) -> list[dict]:
        """``{"type": "tune", "shapes": {"JawOpen": {"floor": 0.05, "curve": 0.8}}, "link": true}``:
        hand tuning saved into the current profile file (``profiles/tuned.json`` when there is none);
        ``link`` gives a left/right shape's partner the same values."""
        from ..capture.calibration import CalibrationProfile
        from .security import confine

        shapes = args.get("shapes")
        if not isinstance(shapes, dict) or not shapes:
            raise ParameterError("tune needs 'shapes': {shape name: {gain, floor, ceiling, curve}}")
        if args.get("link"):
            linked = {}
            for n, entry in shapes.items():
                for a, b in (("Left", "Right"), ("Right", "Left")):
                    if n.endswith(a):
                        linked[n[: -len(a)] + b] = entry
            shapes = {**linked, **shapes}
        if self.profile is None:
            base = CalibrationProfile.identity(name="tuned", units=self.capture_options.get("units", "extent"))
            path = "profiles/tuned.json"
        else:
            base, path = self.profile, self.profile_path
        profile = base.with_tuning(shapes)
        target = confine(self.workspace, path)
        target.parent.mkdir(exist_ok=True)
        profile.save(target)
        self._set_profile(profile, path)
        full = self.tuning()
        return [{"type": "tuning", "path": path, "shapes": {n: full[n] for n in shapes}}]

    def _editable_profile(self):
        """(profile, workspace path) to change: the current one, or an identity ``profiles/tuned.json``."""
        from ..capture.calibration import CalibrationProfile

        if self.profile is None:
            return (CalibrationProfile.identity(name="tuned", units=self.capture_options.get("units", "extent")),
                    "profiles/tuned.json")
        return self.profile, self.profile_path

    def _cmd_smoothing(self, args: dict) -> list[dict]:
        """``{"type": "smoothing", "regions": {"eyes": "strong", "mouth": {"min_cutoff": 0.8, "beta": 4},
        "brows": null}}``: smoothing per face region (eyes, brows, mouth, head), saved into the current
        profile file (``profiles/tuned.json`` when there is none) and applied from the next frame;
        ``null`` gives a region back to the capture preset."""
        from .security import confine

        regions = args.get("regions")
        if not isinstance(regions, dict) or not regions:
            raise ParameterError("smoothing needs 'regions': {eyes|brows|mouth|head: preset name or "
                                 "{min_cutoff, beta}}")
        base, path = self._editable_profile()
        profile = base.with_smoothing(regions)  # unknown regions/presets, bad numbers: the library's errors
        target = confine(self.workspace, path)
        target.parent.mkdir(exist_ok=True)
        profile.save(target)
        self._set_profile(profile, path)
        return [{"type": "smoothing", "path": path, "regions": self.smoothing()}]

    def _cmd_regions(self, args: dict) -> list[dict]:
        """``{"type": "regions", "to": "vrchat", "off": ["Tongue"]}``: face regions an output does not send."""
        to, off = args.get("to"), args.get("off", [])
        if to not in TARGETS:
            OutputSettings(to=to)
        known = regions()
        if not isinstance(off, list) or any(r not in known for r in off):
            raise ParameterError(f"regions must be a list of {', '.join(known)}, got {off!r}")
        self.regions_off[to] = set(off)
        return [{"type": "regions", "to": to, "off": sorted(off)}]

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

    def _cmd_playback(self, args: dict) -> list[dict]:
        """``{"type": "playback", "path": "takes/x.jsonl"}`` opens a take for playback (``null``
        closes it: the avatars follow the camera again); ``{"type": "playback", "time": 1.5}``
        answers the take's frame at that time, with the 2D avatar's drawing and the 3D avatar's
        morph values, as a live frame would have them."""
        from .takes import TakePlayer

        if "path" in args:
            if not args["path"]:
                self.player = None
                return [{"type": "playback", "path": None}]
            self.player = TakePlayer(self.workspace, str(args["path"]))
            return [self._playback_message(self.player.start, opened=True)]
        if self.player is None:
            raise ParameterError("no take is open for playback: send its 'path' first")
        return [self._playback_message(args.get("time"))]

    def _playback_message(self, t, *, opened: bool = False) -> dict:
        frame = self.player.frame_at(t)
        message = {"type": "playback", "path": self.player.path, "t": round(float(frame.time), 4),
                   "frame": frame_message(frame)}
        if opened:
            message.update(start=self.player.start, end=self.player.end, frames=len(self.player.times),
                           fps=round(float(self.player.track.fps), 3))
        if self.morph_aliases:
            message["frame"]["morphs"] = self.morph_values(frame)
        if self.avatar is not None:
            message["svg"] = self.avatar.svg(frame, transparent=True)
        return message

    def _cmd_trim(self, args: dict) -> list[dict]:
        """``{"type": "trim", "start": 0.5, "end": 2.0}``: the open take's frames in [start, end]
        saved as a new track file in ``takes/`` (times from 0; the range noted in its header)."""
        if self.player is None:
            raise ParameterError("no take is open: open one for playback, then set its in and out points")
        return [self.player.save_trim(args.get("start"), args.get("end"))]

    # -- 3D avatar ----------------------------------------------------------------------------------
    def _cmd_avatar3d(self, args: dict) -> list[dict]:
        """``{"type": "avatar3d", "targets": [morph target names], "combinations": {…}}``: resolve the
        loaded model's morph targets as ``facemimic export`` does (:mod:`.morph_targets`); each frame
        then carries ``morphs``."""
        from .morph_targets import mapped_targets

        self.morph_aliases, unmapped = mapped_targets(args.get("targets", []), args.get("combinations"),
                                                      args.get("meshes"))
        return [{"type": "avatar3d", "mapped": len(self.morph_aliases), "unmapped": unmapped}]

    def morph_values(self, frame) -> dict[str, float]:
        """``{morph target: weight}`` for one frame, by the same rules as ``facemimic export``."""
        from ..deliver.export.signals import TrackSignals

        if not frame.present:
            frame = self.last_present or frame
        signals = TrackSignals(np.asarray(frame.weights)[None], np.asarray(frame.gaze)[None], np.asarray(frame.openness)[None])
        return {t: round(float(signals.values(a)[0]), 4) for t, a in self.morph_aliases}

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
