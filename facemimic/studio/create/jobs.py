"""Animate a portrait in the background (issue #14 §3): a job queue persisted in the workspace.

Each job is :func:`facemimic.animate.portrait.api.animate` with a
:class:`~facemimic.animate.drivers.DriverSpec` (what ``facemimic animate`` runs), writing
``animations/JOB.mp4`` + ``.png`` (labelled synthetic by the library, as the CLI's are). One worker
thread runs the jobs in order: the studio's machine has 2 cores and one animation fills them.

``jobs/JOB.json`` holds each job's state (queued, running, done, failed, cancelled), its progress
and result, so the list survives a page reload and a studio restart (a job that was running when
the studio stopped is marked failed, "interrupted"; queued ones run again).

Listeners (:meth:`JobQueue.subscribe`: the page's WebSocket, :mod:`.job_socket`) are told of
every change to a record and, at most :data:`FRAME_INTERVAL_S` apart, of the frame the running
job has just drawn (a small JPEG: the live view of a long job).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ...errors import FaceMimicError, InputError, ParameterError

JOBS_DIR = "jobs"
OUTPUT_DIR = "animations"
PORTRAIT_DIR = "portraits"
AUDIO_DIR = "audio"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a")
VIDEO_DIR = "videos"
VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".avi")
TRACK_SUFFIXES = (".jsonl", ".csv", ".npz")
DRIVERS = ("expression", "say", "audio", "timeline", "track", "video")
SIZES = (256, 384, 512, 768, 1024)
STATES = ("queued", "running", "done", "failed", "cancelled")
FRAME_INTERVAL_S = 0.5  # the live frame: at most 2 a second (a JPEG encode + a message each)
FRAME_SIZE = 256  # px, the live frame's longer side


class JobCancelled(Exception):
    """Raised from the progress callback to stop a running animation (its output is discarded)."""


@dataclass(frozen=True)
class AnimateRequest:
    """One animation as the page asks for it.

    Parameters
    ----------
    source : str
        A workspace-relative image (``portraits/me.jpg``) or ``avatar`` / ``avatar:neko``.
    driver : str
        ``expression`` (a prompt or a timeline "neutral 0.5s > happy 1s"), ``say`` (text for the
        built-in voice), ``audio`` (a workspace-relative recording, ``text`` its transcript) or
        ``timeline`` (one built in the timeline panel: its track and its voice, as
        ``animate --track timelines/NAME.jsonl --audio timelines/NAME.wav``), ``track`` (a
        workspace track file: a take from the live page, a saved expression) or ``video`` (a
        driving video in the workspace: reenactment, ``animate --drive``).
    value : str
        The prompt, the text to say, the timeline's name, or the workspace file.
    mood : str or None
        The face around the lips for ``say``/``audio``.
    text : str or None
        The transcript of ``audio``.
    transcribe : bool
        ``audio`` without a transcript: hear its (English) words first, then align them
        (``animate --audio REC --transcribe``); off, as in the CLI: phone recognition.
    size : int
        Output size in px (the longer side; the square's side for ``crop="face"``), 64 to 4096 as
        ``animate --size``: the page offers :data:`SIZES` and the photo's original resolution.
    seed : int or None
        Generator seed.
    calibrate : bool
        The per-face calibration (~4-5 s more; ``--no-calibrate`` when False).
    crop : str
        ``fit`` (the whole photo, its own aspect) or ``face`` (a square around the face).
    face : int or None
        Which face of a group photo (0-based, left to right); None: the largest.
    refine : bool
        The closed loop (re-track every frame and correct it), on by default as in
        ``facemimic animate`` (``--no-refine`` when False: about 4x faster, less exact).
    """

    source: str
    driver: str
    value: str
    mood: str | None = None
    text: str | None = None
    transcribe: bool = False
    size: int = 512
    seed: int | None = None
    calibrate: bool = True
    crop: str = "fit"
    face: int | None = None
    refine: bool = True

    def __post_init__(self) -> None:
        if self.driver not in DRIVERS:
            raise ParameterError(f"unknown driver {self.driver!r}; valid: {', '.join(DRIVERS)}")
        if not isinstance(self.transcribe, bool):
            raise ParameterError("transcribe must be true or false")
        if self.transcribe and self.driver != "audio":
            raise ParameterError("hearing the words is for the audio recording driver")
        if self.transcribe and self.text:
            raise ParameterError("give the recording's transcript or hear its words, not both")
        if not isinstance(self.value, str) or not self.value.strip():
            raise ParameterError(f"give the {self.driver} to animate with")
        # SIZES are the page's choices; any size `animate --size` takes is valid (the original resolution)
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 64 <= self.size <= 4096:
            raise ParameterError(f"size must be a whole number of pixels in [64, 4096], got {self.size!r}")

    @classmethod
    def from_json(cls, data: dict) -> "AnimateRequest":
        """From the page's JSON; unknown fields are refused."""
        if not isinstance(data, dict):
            raise ParameterError("an animation request must be a JSON object")
        extra = sorted(set(data) - {f for f in cls.__dataclass_fields__})
        if extra:
            raise ParameterError(f"unknown field(s): {', '.join(extra)}")
        try:
            return cls(source=str(data.get("source") or ""), driver=str(data.get("driver") or ""),
                       value=str(data.get("value") or ""), mood=data.get("mood") or None,
                       text=data.get("text") or None, transcribe=data.get("transcribe", False),
                       size=int(data.get("size") or 512),
                       seed=None if data.get("seed") in (None, "") else int(data["seed"]),
                       calibrate=bool(data.get("calibrate", True)), crop=str(data.get("crop") or "fit"),
                       face=None if data.get("face") in (None, "") else int(data["face"]),
                       refine=bool(data.get("refine", True)))
        except ParameterError:
            raise  # the request's own one-line check (an empty prompt, a size out of range …) as it is
        except (TypeError, ValueError) as e:
            raise ParameterError(f"bad animation value: {e}") from None


@dataclass(frozen=True)
class Job:
    """A job's persisted record (``jobs/ID.json``)."""

    id: str
    request: dict
    state: str = "queued"
    done: int = 0
    total: int = 0
    status: str = ""
    error: str | None = None
    video: str | None = None  # workspace-relative, once done
    preview: str | None = None
    frames: int = 0
    audio: bool = False
    warnings: list = field(default_factory=list)
    words: str | None = None  # what the recogniser heard (a recording with "hear the words")
    created: float = 0.0
    finished: float | None = None


def check_image(path: Path, shown: str) -> None:
    """Read an uploaded portrait with the animator's own reader; its one-line error names ``shown``."""
    from ...animate.portrait.source import load_image

    try:
        load_image(path)
    except InputError as e:
        raise InputError(shown, e.problem) from None


def check_audio(path: Path, shown: str) -> None:
    """Decode an uploaded recording with the CLI's audio reader; one-line error naming ``shown``."""
    from ...common.audio import load_audio

    try:
        load_audio(path)
    except InputError as e:
        raise InputError(shown, e.problem) from None


def check_video(path: Path, shown: str) -> None:
    """Open an uploaded driving video with the capture stage's reader; one-line error naming ``shown``."""
    from ...capture.options import CaptureOptions
    from ...capture.sources import VideoSource

    try:
        VideoSource(Path(path), CaptureOptions()).close()
    except InputError as e:
        raise InputError(shown, e.problem) from None


def check_track(path: Path, shown: str) -> None:
    """Read a workspace track with the CLI's reader; one-line error naming ``shown``."""
    from ...expressions.io import read_track

    try:
        read_track(path)
    except InputError as e:
        raise InputError(shown, e.problem) from None


class JobQueue:
    """Animation jobs for one workspace, run one at a time by a worker thread.

    Parameters
    ----------
    workspace : Path
        Jobs go to ``jobs/``, results to ``animations/``.
    """

    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(workspace)
        self.jobs_dir = self.workspace / JOBS_DIR
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._cancel: dict[str, threading.Event] = {}
        self._jobs: dict[str, Job] = {}
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._listeners: list = []
        self._frames: dict[str, dict] = {}  # running job -> its latest live frame message
        self._load()

    # --- persistence -------------------------------------------------------------------------
    def _load(self) -> None:
        for p in sorted(self.jobs_dir.glob("*.json")) if self.jobs_dir.is_dir() else ():
            try:
                job = Job(**json.loads(p.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue  # not a job record of ours
            if job.state == "running":  # the studio stopped under it: its output was never committed
                job = replace(job, state="failed", error="interrupted (the studio stopped while it ran)",
                              finished=time.time())
                self._save(job)
            self._jobs[job.id] = job

    def _save(self, job: Job) -> None:
        from ...common.files import AtomicFile

        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        with AtomicFile(self.jobs_dir / f"{job.id}.json", "w") as f:
            f.file.write(json.dumps(asdict(job)))

    def _update(self, job_id: str, **changes) -> Job:
        with self._lock:
            job = replace(self._jobs[job_id], **changes)
            self._jobs[job_id] = job
            if job.state not in ("queued", "running"):
                self._frames.pop(job_id, None)  # finished: its preview stands for it now
        self._save(job)
        self._tell({"type": "job", "job": asdict(job)})
        return job

    # --- listeners (the page's WebSocket) --------------------------------------------------------
    def subscribe(self, listener):
        """Call ``listener(message)`` on every change (from the worker thread) -> ``unsubscribe()``.

        Messages: ``{"type": "job", "job": {record}}`` and ``{"type": "frame", "id", "index",
        "total", "jpeg": base64}`` (the running job's latest frame, at most 2 a second).
        """
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def latest_frames(self) -> list[dict]:
        """The live frame message of each running job (a page that connects mid-job sees it at once)."""
        with self._lock:
            return list(self._frames.values())

    def _tell(self, message: dict) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(message)
            except Exception:  # noqa: BLE001 - a closed page must not stop the job
                pass

    def _frame(self, job_id: str, index: int, total: int, image) -> None:
        """Keep and announce one drawn frame as a small JPEG."""
        import base64

        import cv2

        h, w = image.shape[:2]
        scale = FRAME_SIZE / max(h, w)
        small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA) if scale < 1 else image
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
        message = {"type": "frame", "id": job_id, "index": int(index), "total": int(total),
                   "jpeg": base64.b64encode(jpeg.tobytes()).decode("ascii")}
        with self._lock:
            self._frames[job_id] = message
        self._tell(message)

    # --- the page's calls --------------------------------------------------------------------
    def submit(self, request: AnimateRequest) -> Job:
        """Check the request's files now (one-line errors), queue it, start the worker if idle."""
        from ...animate.portrait.api import is_avatar
        from ..security import confine

        if not is_avatar(request.source):
            src = confine(self.workspace, request.source)
            if not src.is_file():
                raise InputError(request.source, "not found in the workspace (upload the photo first)")
        if request.driver in ("audio", "track", "video") and not confine(self.workspace, request.value).is_file():
            raise InputError(request.value, "not found in the workspace (upload it first)")
        if request.driver == "track":
            check_track(confine(self.workspace, request.value), request.value)
        if request.driver == "timeline":
            timeline_files(self.workspace, request.value)  # a one-line error now, not in the queue
        from ...animate.portrait.animator import PortraitOptions

        PortraitOptions(size=request.size, crop=request.crop, face=request.face)  # its own checks, now
        job = Job(id=time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6], request=asdict(request),
                  created=time.time())
        with self._lock:
            self._jobs[job.id] = job
        self._save(job)
        self.start()
        with self._wake:
            self._wake.notify()
        return job

    def list(self) -> list[Job]:
        """All jobs, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise InputError(job_id, "no such job")
        return job

    def cancel(self, job_id: str) -> Job:
        """Stop a running job (its partial output is discarded) or drop a queued one."""
        job = self.get(job_id)
        if job.state == "queued":
            return self._update(job_id, state="cancelled", finished=time.time())
        if job.state == "running":
            self._cancel.setdefault(job_id, threading.Event()).set()
        return self.get(job_id)

    def wait(self, job_id: str, timeout: float) -> Job:
        """Block until the job has finished (for tests and scripts); -> the job."""
        end = time.monotonic() + timeout
        while self.get(job_id).state in ("queued", "running") and time.monotonic() < end:
            time.sleep(0.05)
        return self.get(job_id)

    # --- the worker --------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping = False
                self._thread = threading.Thread(target=self._work, name="studio-animate", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Ask the worker to stop after the current job (a running one is cancelled)."""
        with self._wake:
            self._stopping = True
            for ev in self._cancel.values():
                ev.set()
            self._wake.notify_all()

    def _next(self) -> Job | None:
        with self._wake:
            while not self._stopping:
                queued = sorted((j for j in self._jobs.values() if j.state == "queued"), key=lambda j: j.created)
                if queued:
                    return queued[0]
                self._wake.wait(timeout=1.0)
        return None

    def _work(self) -> None:
        while (job := self._next()) is not None:
            self._run(job)

    def _run(self, job: Job) -> None:
        cancel = self._cancel.setdefault(job.id, threading.Event())
        self._update(job.id, state="running", status="starting")
        last = [0.0]
        shown = [-FRAME_INTERVAL_S]
        totals = [0]

        def progress(done: int, total: int) -> None:
            if cancel.is_set():
                raise JobCancelled()
            now = time.monotonic()
            if now - last[0] > 0.25 or done == total:  # the record is rewritten at most 4 times a second
                last[0] = now
                self._update(job.id, done=done, total=total)
            totals[0] = total

        def frame(index: int, image) -> None:  # on the encoding thread, every frame: keep it cheap
            now = time.monotonic()
            if now - shown[0] >= FRAME_INTERVAL_S:
                shown[0] = now
                self._frame(job.id, index, totals[0], image)

        def status(message: str) -> None:
            if cancel.is_set():
                raise JobCancelled()
            self._update(job.id, status=message)

        try:
            result = run_request(self.workspace, job.id, AnimateRequest(**job.request), progress, status, frame)
        except JobCancelled:
            self._update(job.id, state="cancelled", status="", finished=time.time())
        except FaceMimicError as e:
            # The library names files by the path it was given; the page shows workspace names.
            message = str(e).replace(str(self.workspace.resolve()) + "/", "")
            self._update(job.id, state="failed", error=message, status="", finished=time.time())
        except Exception as e:  # noqa: BLE001 - a bug must show in the page, not kill the queue
            self._update(job.id, state="failed", error=f"{type(e).__name__}: {e}", status="", finished=time.time())
        else:
            rel = lambda p: Path(p).resolve().relative_to(self.workspace.resolve()).as_posix()  # noqa: E731
            self._update(job.id, state="done", status="", video=rel(result.video), preview=rel(result.preview),
                         frames=result.frames, audio=bool(result.audio), warnings=list(result.warnings),
                         words=result.words,
                         finished=time.time())
        finally:
            self._cancel.pop(job.id, None)


def timeline_files(workspace: Path, name: str) -> tuple[Path, Path | None]:
    """A built timeline's track and voice (None without speech); one-line error if not built."""
    from ...expressions.io import read_track
    from .designer import library_path
    from .timeline import TIMELINE_DIR

    stem = library_path(workspace, name).stem
    folder = Path(workspace) / TIMELINE_DIR
    track = folder / f"{stem}.jsonl"
    if not track.is_file():
        raise InputError(f"{TIMELINE_DIR}/{stem}.jsonl", "not found (build the timeline first)")
    voice = read_track(track).metadata.get("studio_timeline", {}).get("voice_file")
    return track, (folder / voice if voice and (folder / voice).is_file() else None)


def run_request(workspace: Path, job_id: str, request: AnimateRequest, progress, status, on_frame=None):
    """Run one animation as ``facemimic animate`` does -> AnimateResult.

    ``on_frame(index, image)`` sees each frame as it is encoded (see ``animate``).

    ``animations/JOB.mp4`` and its preview appear together or not at all (the CLI's OutputSet).
    """
    from ...animate.drivers import DriverSpec, default_rest
    from ...animate.portrait.animator import PortraitOptions
    from ...animate.portrait.api import animate, is_avatar, preview_path
    from ...common.outputs import OutputSet
    from ..security import confine

    ws = Path(workspace).resolve()
    source = request.source if is_avatar(request.source) else str(confine(ws, request.source))
    out = ws / OUTPUT_DIR / f"{job_id}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    if request.driver == "timeline":
        track, voice = timeline_files(ws, request.value)
        kw = {"track": str(track), "audio": None if voice is None else str(voice)}
    elif request.driver in ("track", "video"):
        kw = {"track" if request.driver == "track" else "drive": str(confine(ws, request.value))}
    else:
        kw = {"expression": request.value} if request.driver == "expression" else \
            {"say": request.value, "mood": request.mood} if request.driver == "say" else \
            {"audio": str(confine(ws, request.value)), "text": request.text, "transcribe": request.transcribe,
             "mood": request.mood}
    spec = DriverSpec(seed=request.seed, **kw)
    # The CLI's defaults: PortraitOptions' own refine default is False, `animate`'s is --refine.
    opts = PortraitOptions(size=request.size, rest=default_rest(spec), calibrate=request.calibrate,
                           crop=request.crop, face=request.face, refine=request.refine)
    with OutputSet((out, preview_path(out)), inputs=(source,)):
        return animate(source, out, spec, options=opts, progress=progress, status=status, on_frame=on_frame)


__all__ = ["AUDIO_DIR", "AUDIO_SUFFIXES", "AnimateRequest", "DRIVERS", "FRAME_INTERVAL_S", "FRAME_SIZE",
           "IMAGE_SUFFIXES", "Job", "JobCancelled", "JobQueue", "OUTPUT_DIR", "PORTRAIT_DIR", "TRACK_SUFFIXES",
           "VIDEO_DIR", "VIDEO_SUFFIXES", "check_audio", "check_image", "check_track", "check_video", "run_request",
           "timeline_files"]
