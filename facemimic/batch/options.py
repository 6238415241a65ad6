"""``BatchOptions``: what a batch run does to each file, and how it spreads the files over workers.

Two halves, kept apart on purpose: :class:`WorkSpec` (the task and the options that shape a row:
it travels to every worker and its :meth:`WorkSpec.key` decides whether a file already done can be
skipped) and the engine settings (local process pool or Ray, how many workers, which cluster),
which never change a row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from ..errors import ParameterError, UnknownNameError, suggest

TASKS = ("track", "analyze", "lipsync")
ENGINES = ("local", "ray")
# Bumped whenever a task's columns or their meaning change: done files are then processed again.
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class WorkSpec:
    """The task and every option that shapes its rows (sent to each worker, part of the resume key).

    Attributes
    ----------
    task : str
        ``track`` (capture -> UE rows), ``analyze`` (capture + emotions, valence/arousal, AUs) or
        ``lipsync`` (audio, or a video's audio -> mouth cues and a mouth track).
    capture : tuple of (str, value) pairs
        Keyword arguments for the capture API (``max_faces``, ``smoothing``, ``units`` …), sorted.
    lipsync_fps : float
        Frame rate of the lip-sync rows.
    transcripts : bool
        Lip sync: align ``<stem>.txt`` beside an audio file when there is one.
    transcribe : bool
        Lip sync of English speech without a transcript: hear the words first, then align them
        (``LipSyncOptions.transcribe``).
    """

    task: str = "track"
    capture: tuple = ()
    lipsync_fps: float = 60.0
    transcripts: bool = False
    transcribe: bool = False

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise UnknownNameError(f"unknown batch task {self.task!r}{suggest(str(self.task), TASKS)}; "
                                   f"valid: {', '.join(TASKS)}")
        if not (isinstance(self.lipsync_fps, (int, float)) and 1 <= self.lipsync_fps <= 240):
            raise ParameterError(f"lipsync fps must be 1 to 240, got {self.lipsync_fps!r}")
        object.__setattr__(self, "capture", tuple(sorted(dict(self.capture).items())))

    @property
    def capture_kwargs(self) -> dict:
        return dict(self.capture)

    def describe(self) -> dict:
        """The spec as JSON-ready data (recorded in the dataset's ``_dataset.json``)."""
        d = asdict(self)
        d["capture"] = dict(self.capture)
        if self.task != "lipsync":  # options that cannot shape this task's rows
            d.pop("lipsync_fps"), d.pop("transcripts"), d.pop("transcribe")
        else:
            d.pop("capture")
            if not self.transcribe:  # (absent when off: datasets made before the option keep their key)
                d.pop("transcribe")
        return d

    def key(self) -> str:
        """Short hash of everything that shapes a row: task, options, schema and package version.

        A file is skipped on a rerun only when its content hash and this key both match.
        """
        from .. import __version__

        text = json.dumps({**self.describe(), "schema": SCHEMA_VERSION, "facemimic": __version__},
                          sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BatchOptions:
    """How a batch run is carried out.

    Attributes
    ----------
    spec : WorkSpec
        What happens to each file.
    engine : str
        ``local`` (a process pool on this machine) or ``ray`` (Ray Data, local or a cluster).
    workers : int or None
        Worker processes (local) or actors (Ray); None: one per CPU (of this machine or the cluster).
    address : str or None
        Ray cluster address (``auto``, ``ray://head:10001``, ``head:6379``); None starts Ray locally.
    force : bool
        Process every file again, even those already done.
    """

    spec: WorkSpec = field(default_factory=WorkSpec)
    engine: str = "local"
    workers: int | None = None
    address: str | None = None
    force: bool = False

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise UnknownNameError(f"unknown engine {self.engine!r}{suggest(str(self.engine), ENGINES)}; "
                                   f"valid: {', '.join(ENGINES)}")
        if self.workers is not None and not (isinstance(self.workers, int) and 1 <= self.workers <= 1024):
            raise ParameterError(f"workers must be 1 to 1024, got {self.workers!r}")
        if self.address is not None and self.engine != "ray":
            raise ParameterError("--address is a Ray cluster address: use it with --engine ray")


__all__ = ["BatchOptions", "ENGINES", "SCHEMA_VERSION", "TASKS", "WorkSpec"]
