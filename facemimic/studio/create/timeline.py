"""The timeline (issue #14 §2): a mood lane in the text timeline syntax and a speech lane.

The mood lane is the generator's timeline (``neutral 0.5s > surprised 1s (onset 0.2s) > happy 2s``,
parsed by :func:`facemimic.generate.clips.parse_spans`, onset/offset included); :func:`format_timeline` writes spans back in the
same syntax, so text and lane round-trip. Building runs the animator's own driver
(:func:`facemimic.animate.drivers.build` with the ``DriverSpec`` of ``facemimic animate --say TEXT
--mood TIMELINE``, ``--audio REC [--text T] --mood TIMELINE`` or ``--expression TIMELINE``): the
merged track (speech owns the mouth, the mood the rest) is written to ``timelines/NAME.jsonl`` and
the voice beside it (``timelines/NAME.wav``, or the recording's own format).

The generated lanes are edited in the page and sent with every build: blink and fixation events go
back to the generator (``DriverSpec.blink_events`` / ``saccade_events``), manual keyframe lanes and
the head lane's bends are laid over the built track by
:func:`facemimic.expressions.keyframes.merge_keyframes`. :func:`timeline_morphs` values a 3D
avatar's morph targets for every frame (export's alias table) so the page plays it on its own clock.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from ...errors import ParameterError

TIMELINE_DIR = "timelines"
MAX_SECONDS = 120.0  # a studio timeline; longer pieces go through the CLI


def parse(text: str) -> list[dict]:
    """Timeline text -> spans ``[{"prompt", "seconds", "start", "onset", "offset"}]`` (the
    generator's parser, :func:`facemimic.generate.clips.parse_spans`; onset/offset None: the
    generator's own timing)."""
    from ...generate.clips import parse_spans

    if not isinstance(text, str):
        raise ParameterError("a timeline must be text, e.g. 'neutral 0.5s > surprised 1s > happy 2s'")
    spans, start = [], 0.0
    for sp in parse_spans(text):
        spans.append({"prompt": sp.prompt, "seconds": sp.seconds, "start": round(start, 6),
                      "onset": sp.onset, "offset": sp.offset})
        start += sp.seconds
    return spans


def format_timeline(spans: list) -> str:
    """Spans ``[{"prompt", "seconds", "onset"?, "offset"?}]`` -> ``"neutral 0.5s > surprised 1s
    (onset 0.2s)"`` (parses back to them; :func:`facemimic.generate.clips.format_spans`)."""
    from ...generate.clips import TimelineSpan, format_spans, split_duration, split_dynamics

    if not isinstance(spans, list) or not spans:
        raise ParameterError("a timeline needs at least one span")
    out = []
    for i, s in enumerate(spans):
        try:
            prompt, seconds = str(s["prompt"]).strip(), float(s["seconds"])
            onset, offset = (None if s.get(k) is None else round(float(s[k]), 3) for k in ("onset", "offset"))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ParameterError(f"span {i + 1}: needs a prompt and seconds (onset/offset: seconds or null)") from None
        if ">" in prompt or not prompt or "(" in prompt or ")" in prompt:
            raise ParameterError(f"span {i + 1}: the expression must be words without '>' or brackets")
        if not 0 < seconds <= MAX_SECONDS:
            raise ParameterError(f"span {i + 1} ({prompt}): seconds must be in (0, {MAX_SECONDS:g}], got {seconds:g}")
        if split_duration(split_dynamics(prompt)[0])[1] is not None:
            raise ParameterError(f"span {i + 1}: {prompt!r} ends in a duration; put it in the seconds field")
        for name, v in (("onset", onset), ("offset", offset)):
            if v is not None and not 0 <= v <= seconds:
                raise ParameterError(f"span {i + 1} ({prompt}): {name} must be in [0, {seconds:g}] s, got {v:g}")
        if (onset or 0) + (offset or 0) > seconds + 1e-9:
            raise ParameterError(f"span {i + 1} ({prompt}): onset + offset take more than its {seconds:g} s")
        out.append(TimelineSpan(prompt, seconds, onset, offset))
    return format_spans(out)


@dataclass(frozen=True)
class TimelineRequest:
    """One timeline to build.

    Parameters
    ----------
    mood : str
        The mood lane (a timeline or a prompt; empty: neutral when there is speech).
    say : str
        The speech lane's text for the built-in voice (empty: no speech).
    audio : str
        Or a recording for the speech lane (workspace-relative; ``say`` then stays empty).
    text : str
        The recording's transcript (optional; exact alignment when given).
    transcribe : bool
        A recording without a transcript: hear its (English) words first, then align them
        (``DriverSpec.transcribe``, ``facemimic animate --audio REC --transcribe``); off: phone
        recognition, as the CLI's default.
    seed : int
        Generator seed (fixed, so the page's preview and the export agree).
    fps : float
        Frames per second of the track.
    voice : str
        espeak-ng voice.
    blinks : list, optional
        The blink lane as edited: ``[[start s, duration s, depth], …]`` instead of the generator's
        random blinks (None: the generator's, listed in the built track's metadata).
    saccades : list, optional
        The gaze lane as edited: fixations ``[[time s, x, y], …]`` (None: the generator's).
    keys : dict, optional
        Manual keyframe lanes ``{channel: [[time s, value], …]}`` laid over the built track
        (:func:`facemimic.expressions.keyframes.merge_keyframes`, replace).
    head : dict, optional
        The head lane's edits: offset keys ``{"HeadYaw"|"HeadPitch"|"HeadRoll": [[time s, degrees], …]}``
        added to the generated head motion (``merge_keyframes(..., mode="add")``).
    """

    mood: str = ""
    say: str = ""
    audio: str = ""
    text: str = ""
    transcribe: bool = False
    seed: int = 0
    fps: float = 30.0
    voice: str = "en-us"
    blinks: list | None = None
    saccades: list | None = None
    keys: dict | None = None
    head: dict | None = None

    @classmethod
    def from_json(cls, data: dict) -> "TimelineRequest":
        """The page's request body (unknown fields and bad values: one-line errors)."""
        if not isinstance(data, dict):
            raise ParameterError("a timeline request must be a JSON object")
        extra = sorted(set(data) - set(cls.__dataclass_fields__))
        if extra:
            raise ParameterError(f"unknown field(s): {', '.join(extra)}")
        if not isinstance(data.get("transcribe", False), bool):
            raise ParameterError("transcribe must be true or false")
        try:
            req = cls(mood=str(data.get("mood") or ""), say=str(data.get("say") or ""),
                      audio=str(data.get("audio") or ""), text=str(data.get("text") or ""),
                      transcribe=data.get("transcribe", False),
                      seed=int(data.get("seed") or 0), fps=float(data.get("fps") or 30.0),
                      voice=str(data.get("voice") or "en-us"))
        except (TypeError, ValueError) as e:
            raise ParameterError(f"bad timeline value: {e}") from None
        lanes = {}
        for name, kind in (("blinks", list), ("saccades", list), ("keys", dict), ("head", dict)):
            v = data.get(name)
            if v is not None and not isinstance(v, kind):
                raise ParameterError(f"{name} must be a {'list of events' if kind is list else 'map of channel to keys'}")
            lanes[name] = v
        if lanes["head"] and set(lanes["head"]) - {"HeadYaw", "HeadPitch", "HeadRoll"}:
            raise ParameterError("head keys are for HeadYaw, HeadPitch and HeadRoll")
        from dataclasses import replace

        return replace(req, **lanes)

    def spec(self, workspace: Path):
        """The ``DriverSpec`` ``facemimic animate`` builds for the same lanes (``--say`` or
        ``--audio [--text]``, with ``--mood``; or ``--expression`` alone)."""
        from ...animate.drivers import DriverSpec
        from ..security import confine

        mood, say = self.mood.strip() or None, self.say.strip() or None
        if self.transcribe and not self.audio:
            raise ParameterError("hearing the words needs a recording in the speech lane")
        if self.transcribe and self.text.strip():
            raise ParameterError("give the recording's transcript or hear its words, not both")
        if self.audio:
            if say:
                raise ParameterError("the speech lane is either typed text or a recording, not both")
            path = confine(workspace, self.audio)
            if not path.is_file():
                from ...errors import InputError

                raise InputError(self.audio, "not found in the workspace (upload the recording first)")
            return DriverSpec(audio=str(path), text=self.text.strip() or None, transcribe=self.transcribe,
                              mood=mood, seed=self.seed, fps=self.fps, **self._events())
        if say:
            return DriverSpec(say=say, mood=mood, seed=self.seed, fps=self.fps, voice=self.voice, **self._events())
        if mood is None:
            raise ParameterError("the timeline is empty: write a mood timeline or something to say")
        return DriverSpec(expression=mood, seed=self.seed, fps=self.fps, **self._events())

    def _events(self) -> dict:
        """The edited blink/gaze lanes as the generator's events (checked by ``ClipOptions``)."""
        from ...generate.clips import ClipOptions

        o = ClipOptions(blink_events=self.blinks, saccade_events=self.saccades)
        return {"blink_events": o.blink_events, "saccade_events": o.saccade_events}


def build_timeline(workspace: Path, name: str, request: TimelineRequest) -> dict:
    """Build the lanes into ``timelines/NAME.jsonl`` (+ ``.wav`` with speech).

    Returns
    -------
    dict
        ``track``/``audio`` (workspace-relative; audio None without speech), ``duration`` (s),
        ``fps`` and ``frames``: per frame ``[weights (88,), openness (2,), gaze (2, 2), head (3,)]``
        for playback in the page; ``words``: what the recogniser heard (``request.transcribe``), else None.
    """
    from ...animate.drivers import build
    from ...common.files import AtomicFile
    from ...expressions.io import write_track
    from .designer import frame_json, library_path

    stem = library_path(workspace, name).stem  # the same name rules as the designer's library
    folder = Path(workspace) / TIMELINE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    spec = request.spec(workspace)
    track_path = folder / f"{stem}.jsonl"
    # the voice keeps its format (the built-in one is WAV; a recording may be MP3, FLAC …)
    audio_path = folder / (stem + (Path(spec.audio).suffix.lower() if spec.audio else ".wav"))
    with build(spec) as driven:
        if driven.duration > MAX_SECONDS:
            raise ParameterError(f"the timeline lasts {driven.duration:.1f} s; the studio builds at most "
                                 f"{MAX_SECONDS:g} s (use facemimic animate for longer pieces)")
        track = driven.track
        if request.keys or request.head:
            from ...expressions.keyframes import merge_keyframes

            # the manual lanes over the generated ones, then the head lane's bends (the library's merge)
            track = merge_keyframes(track, request.keys or {})
            track = merge_keyframes(track, request.head or {}, mode="add")
        track.metadata["studio_timeline"] = {"mood": request.mood, "say": request.say, "audio": request.audio,
                                             "text": request.text, "transcribe": request.transcribe,
                                             "words": driven.words, "seed": request.seed,
                                             "blinks": request.blinks, "saccades": request.saccades,
                                             "keys": request.keys, "head": request.head,
                                             "voice_file": audio_path.name if driven.audio else None}
        write_track(track, track_path)
        if driven.audio is not None:
            with AtomicFile(audio_path, "wb") as out, open(driven.audio, "rb") as src:
                shutil.copyfileobj(src, out.file)
        for stale in folder.glob(f"{stem}.*"):  # a rebuilt timeline keeps no older voice (another format, or none)
            if stale.suffix in (".wav", ".mp3", ".flac", ".ogg", ".m4a") and (stale != audio_path or driven.audio is None):
                stale.unlink()
        duration, words = driven.duration, driven.words
    frames = [frame_json(f) for f in track.frames]
    rel = lambda p: p.relative_to(Path(workspace)).as_posix()  # noqa: E731
    return {"track": rel(track_path), "audio": rel(audio_path) if audio_path.exists() else None,
            # which build the page's pose cache holds (poses of an older build are dropped)
            "version": _version(track_path),
            "duration": round(float(duration), 4), "fps": float(track.fps),
            # the words the recogniser heard (a recording with "hear the words"), else None
            "words": words,
            # the generated (or edited) events the blink and gaze lanes show
            "blinks": track.metadata.get("blinks", []), "saccades": track.metadata.get("saccades", []),
            # each mood span as generated (its onset/offset in seconds, also where the text left them to the generator)
            "mood_timeline": track.metadata.get("timeline", []),
            "frames": [[f["weights"], f["openness"], f["gaze"], f["head"]] for f in frames]}


def _version(path: Path) -> str:
    """A built track's identity (changes with every build): its file's mtime and size."""
    st = path.stat()
    return f"{st.st_mtime_ns:x}-{st.st_size:x}"


_TRACKS_LOCK = threading.Lock()
_TRACKS: dict = {}  # path -> (version, track): the last few built tracks, so each chunk of poses skips the read


def _built_track(workspace: Path, name: str):
    """``timelines/NAME.jsonl`` read (cached while unchanged) -> (track, version)."""
    from ...expressions.io import read_track
    from .designer import library_path

    stem = library_path(workspace, name).stem
    path = Path(workspace) / TIMELINE_DIR / f"{stem}.jsonl"
    if not path.is_file():
        from ...errors import InputError

        raise InputError(f"{TIMELINE_DIR}/{stem}.jsonl", "not found (build the timeline first)")
    version = _version(path)
    with _TRACKS_LOCK:  # chunk requests run in parallel threads
        hit = _TRACKS.get(path)
    if hit is None or hit[0] != version:
        hit = (version, read_track(path))
        with _TRACKS_LOCK:
            while len(_TRACKS) >= 4:
                _TRACKS.pop(next(iter(_TRACKS)))
            _TRACKS[path] = hit
    return hit[1], version


MAX_POSE_CHUNK = 150  # poses per request: 5 s at 30 fps, about 4 MB of SVG


def timeline_poses(workspace: Path, name: str, start: int, count: int, style: str = "default") -> dict:
    """The built-in 2D avatar drawn for a run of a built timeline's frames.

    The page caches these around its playhead and shows them by the sound's clock, so playback
    needs no server call per pose. Each drawing is :func:`facemimic.studio.create.designer.avatar_svg`
    (the CLI's 2D avatar renderer, ``AvatarRenderer(style).svg``) of the track's own frame.

    Parameters
    ----------
    start, count : int
        Frames ``start … start + count - 1`` (clipped to the track; count at most ``MAX_POSE_CHUNK``).
    style : str
        Avatar preset.

    Returns
    -------
    dict
        ``start``, ``frames`` (the track's frame count T), ``fps``, ``version`` (the build's identity)
        and ``svgs``: one SVG text per frame from ``start``.
    """
    from ...animate.avatar import AvatarRenderer, preset_names

    try:
        start, count = int(start), int(count)
    except (TypeError, ValueError):
        raise ParameterError("start and count must be whole numbers of frames") from None
    if start < 0 or not 1 <= count <= MAX_POSE_CHUNK:
        raise ParameterError(f"start must be >= 0 and count in [1, {MAX_POSE_CHUNK}], got {start} and {count}")
    if style not in preset_names():
        raise ParameterError(f"unknown avatar preset {style!r}; valid: {', '.join(preset_names())}")
    track, version = _built_track(workspace, name)
    frames = track.frames[start:start + count]
    renderer = AvatarRenderer(style, size=256)  # what designer.avatar_svg draws, built once per chunk
    return {"start": start, "frames": len(track), "fps": float(track.fps), "version": version,
            "svgs": [renderer.svg(f, transparent=True) for f in frames]}


def timeline_morphs(workspace: Path, name: str, targets, combinations=None, meshes=None) -> dict:
    """A built timeline's values for a 3D avatar's morph targets, every frame at once, compact.

    The targets are resolved as ``facemimic export`` resolves them (:mod:`facemimic.studio.morph_targets`;
    ``combinations``, ``meshes``: the model's ``extras.combinations`` and names per mesh) and valued by its
    :class:`facemimic.deliver.export.signals.TrackSignals` (as the live page's 3D avatar is), so the
    page can play the 3D avatar from its own clock without a server call per frame. Only targets
    that move are sent per frame, quantised over their own range (the page decodes them with
    :func:`decode_morphs`' formula): about 4 MB of JSON for 120 s x 150 targets becomes a few
    hundred kB.

    Returns
    -------
    dict
        ``targets`` (the mapped names, K), ``unmapped`` (names nothing drives), ``fps``, ``frames``
        (T), ``constant`` ({target: value} for those that hold still), ``same`` ({target: moving
        target} for names whose values equal another's), ``moving`` (M names),
        ``lo``/``hi`` (M,) their ranges, ``bits`` (8, or 16 when a range is wider than 2) and
        ``data``: base64 of the (T, M) frame-major little-endian unsigned codes
        ``round((v - lo) / (hi - lo) * (2**bits - 1))``; decoded values are within
        ``(hi - lo) / (2 * (2**bits - 1))`` (<= 1/255) of the exact ones.
    """
    import base64

    import numpy as np

    from ...deliver.export.signals import TrackSignals
    from ..morph_targets import mapped_targets

    mapped, unmapped = mapped_targets(targets, combinations, meshes)  # as export resolves them
    track, _ = _built_track(workspace, name)
    signals = TrackSignals.from_track(track)
    values = np.array([signals.values(a) for _, a in mapped], dtype=np.float64).reshape(len(mapped), len(track)).T
    lo, hi = (values.min(axis=0), values.max(axis=0)) if len(track) else (np.zeros(len(mapped)),) * 2
    moving = np.flatnonzero(hi - lo > 1e-6)  # the rest hold one value the whole time
    # names that alias one signal (an ARKit and a UE name of the same shape) are sent once
    first, same, kept = {}, {}, []
    for k in moving:
        key = values[:, k].tobytes()
        if key in first:
            same[mapped[k][0]] = mapped[first[key]][0]
        else:
            first[key] = k
            kept.append(k)
    moving = np.array(kept, dtype=int)
    bits = 16 if moving.size and (hi - lo)[moving].max() > 2 else 8
    top = (1 << bits) - 1
    span = (hi - lo)[moving]
    codes = np.rint((values[:, moving] - lo[moving]) / span * top) if moving.size else np.zeros((len(track), 0))
    data = codes.astype("<u2" if bits == 16 else "u1").tobytes()
    return {"targets": [t for t, _ in mapped], "unmapped": unmapped,
            "fps": float(track.fps), "frames": len(track),
            "constant": {mapped[k][0]: round(float(lo[k]), 6) for k in np.flatnonzero(hi - lo <= 1e-6)},
            "same": same, "moving": [mapped[k][0] for k in moving], "lo": [float(v) for v in lo[moving]],
            "hi": [float(v) for v in hi[moving]], "bits": bits, "data": base64.b64encode(data).decode("ascii")}


def decode_morphs(body: dict):
    """:func:`timeline_morphs`' answer -> (T, K) values in ``body["targets"]`` order (what the page decodes).

    Returns
    -------
    numpy.ndarray
        (T, K) float64.
    """
    import base64

    import numpy as np

    T, names = int(body["frames"]), list(body["targets"])
    out = np.zeros((T, len(names)))
    for name, v in body["constant"].items():
        out[:, names.index(name)] = v
    if body["moving"]:
        codes = np.frombuffer(base64.b64decode(body["data"]), "<u2" if body["bits"] == 16 else "u1")
        codes = codes.reshape(T, len(body["moving"])).astype(np.float64)
        lo, hi = np.array(body["lo"]), np.array(body["hi"])
        cols = [names.index(n) for n in body["moving"]]
        out[:, cols] = lo + codes / ((1 << body["bits"]) - 1) * (hi - lo)
    for name, source in body["same"].items():
        out[:, names.index(name)] = out[:, names.index(source)]
    return out


CUE_FORMATS = ("rhubarb-tsv", "rhubarb-json", "rhubarb-xml", "rhubarb-dat")


def speech_cues(workspace: Path, name: str, fmt: str = "rhubarb-tsv") -> tuple[str, str]:
    """Rhubarb mouth cues of a built timeline's speech lane: ``facemimic lipsync
    timelines/NAME.wav --text SAID -f FMT`` (its voice aligned to the typed text or the
    recording's transcript; a recording without one is recognised, or with *hear the words*
    ``--transcribe``: its words heard, then aligned).

    Returns
    -------
    (text, file name)
    """
    from ...expressions.io import read_track
    from ...lipsync.api import LipSyncOptions, lipsync
    from ...lipsync.formats import get_format, render
    from .designer import library_path

    if fmt not in CUE_FORMATS:
        raise ParameterError(f"unknown cue format {fmt!r}; valid: {', '.join(CUE_FORMATS)}")
    stem = library_path(workspace, name).stem
    folder = Path(workspace) / TIMELINE_DIR
    track_path = folder / f"{stem}.jsonl"
    lanes = read_track(track_path).metadata.get("studio_timeline", {}) if track_path.is_file() else {}
    audio_path = folder / (lanes.get("voice_file") or f"{stem}.wav")
    if not audio_path.is_file():
        from ...errors import InputError

        raise InputError(f"{TIMELINE_DIR}/{audio_path.name}", "not found (build a timeline with speech first)")
    said = lanes.get("say") or lanes.get("text") or None
    # the CLI's default fps; a recording built with "hear the words": `lipsync --transcribe`
    result = lipsync(audio_path, text=said, options=LipSyncOptions(fps=60.0, transcribe=bool(lanes.get("transcribe"))))
    return render(result, fmt), f"{stem}{get_format(fmt).extension}"


__all__ = ["CUE_FORMATS", "MAX_SECONDS", "TIMELINE_DIR", "TimelineRequest", "build_timeline", "decode_morphs", "format_timeline", "parse", "speech_cues", "timeline_morphs", "timeline_poses"]
