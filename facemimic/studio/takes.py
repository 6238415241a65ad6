"""Playback and trimming of recorded takes: a workspace track file read by the CLI's reader, its
frame at any time for the page's scrub bar, and an in/out range saved as a new track file."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import InputError, ParameterError


class TakePlayer:
    """One track file of the workspace opened for playback.

    Parameters
    ----------
    workspace : Path
        The studio's workspace.
    path : str
        The track's path inside it (``takes/take-….jsonl``; any track format the CLI reads).

    Raises
    ------
    InputError
        The path leaves the workspace, the file is missing or is not a readable track (the
        reader's one-line error, naming ``path``), or it has no frame with a face.
    """

    def __init__(self, workspace: Path, path: str) -> None:
        from ..expressions.io import read_track
        from .security import confine

        self.workspace = Path(workspace)
        self.path = str(path)
        source = confine(self.workspace, self.path)
        if not source.is_file():
            raise InputError(self.path, "not found")
        try:
            track = read_track(source)
        except InputError as e:
            raise InputError(self.path, e.problem) from None
        if len(track) == 0 or not track.present.any():
            raise InputError(self.path, "the track has no frame with a face to play")
        self.track = track.single_face()  # a take has one face; a group track plays its first
        self.times = np.asarray(self.track.time, np.float64)  # (T,) seconds, increasing

    @property
    def start(self) -> float:
        return float(self.times[0])

    @property
    def end(self) -> float:
        """Time of the last frame (the scrub bar's right end)."""
        return float(self.times[-1])

    def frame_at(self, t: float):
        """The frame shown at time ``t``: the last frame at or before it (clamped to the take).

        Returns
        -------
        ExpressionFrame
        """
        t = _seconds(t, "playback time")
        i = int(np.clip(np.searchsorted(self.times, t + 1e-9, side="right") - 1, 0, len(self.times) - 1))
        return self.track.frame(i)

    def trimmed(self, start: float, end: float):
        """The frames with ``start <= time <= end``, times from 0, the range noted in the header.

        Returns
        -------
        ExpressionTrack

        Raises
        ------
        ParameterError
            ``end`` not after ``start``, or a range holding fewer than two frames.
        """
        start, end = _seconds(start, "in point"), _seconds(end, "out point")
        if not end > start:
            raise ParameterError(f"out point ({end:.3f} s) must be after the in point ({start:.3f} s)")
        part = self.track.slice(start, end + 1e-9)
        if len(part) < 2:
            raise ParameterError(f"{self.path}: {start:.3f}-{end:.3f} s holds {len(part)} frame(s); "
                                 f"choose a longer range within 0-{self.end:.3f} s")
        first = float(part.time[0])
        return part.shifted(-first).with_metadata(
            trimmed_from={"path": self.path, "start": round(first, 6), "end": round(float(part.time[-1]), 6)})

    def save_trim(self, start: float, end: float) -> dict:
        """Write :meth:`trimmed` as ``takes/<stem>-trim-<in>-<out>.jsonl`` (atomically; never over a file).

        Returns
        -------
        dict
            ``{"type": "take", "path", "frames", "seconds", "trimmed_from"}`` (the page's take message).
        """
        from ..expressions.io import write_track
        from .security import confine

        part = self.trimmed(start, end)
        info = part.metadata["trimmed_from"]
        stem = Path(self.path).stem
        base = f"takes/{stem}-trim-{info['start']:.2f}-{info['end']:.2f}".replace(".", "_")
        relative, n = f"{base}.jsonl", 1
        while confine(self.workspace, relative).exists():
            n += 1
            relative = f"{base}-{n}.jsonl"
        target = confine(self.workspace, relative)
        target.parent.mkdir(exist_ok=True)
        write_track(part, target)  # the track writers write atomically
        return {"type": "take", "path": relative, "frames": len(part), "seconds": round(float(part.time[-1]), 3),
                "trimmed_from": info}


def _seconds(v, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ParameterError(f"{what} must be a number of seconds, got {v!r}")
    return float(v)
