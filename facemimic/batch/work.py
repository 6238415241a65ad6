"""One worker's job: turn one file into its rows, or into a one-line error.

A :class:`FileWorker` lives as long as its process (a local pool worker or a Ray actor) and handles
many files. Its set-up cost is paid once: the capture, analysis and lip-sync modules are imported and
the models they keep per process are loaded and verified (the FaceLandmarker asset's SHA-256 check,
the emotion classifier, pocketsphinx's decoders) on the first file and reused for every later one.
MediaPipe's landmarker graph itself is opened per file: in VIDEO mode it carries the previous frame's
face region and filter state, so sharing one across files would make a file's rows depend on which
file the worker happened to do before, and the two engines could not give identical rows (opening
one costs 40 ms, against 1-3 s of tracking for a short clip).

Errors never escape :meth:`FileWorker.process`: a corrupt file, a file without a face or an
unexpected failure inside a library comes back as a :class:`FileResult` with ``status`` and a
one-line ``error``, so one bad file never stops a batch.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FaceMimicError, InputError, NoFaceError
from .options import WorkSpec


@dataclass(frozen=True, eq=False)
class FileResult:
    """What a worker sends back for one file.

    ``table`` (a ``pyarrow.Table`` in :func:`facemimic.batch.schema.schema` order) is None unless
    ``status`` is ``done``.
    """

    source_id: str
    path: str
    content_hash: str
    status: str  # done | no_face | failed
    error: str = ""  # one line naming the file and the problem ("" when done)
    frames: int = 0  # input frames (capture) or lip-sync frames read
    rows: int = 0
    faces: int = 0
    duration: float = 0.0  # seconds of media
    seconds: float = 0.0  # worker wall time for this file
    cpu_seconds: float = 0.0  # CPU time of the worker process (all its threads) for this file
    worker: str = ""  # host:pid
    worker_rss_mb: float = 0.0  # the worker's resident memory after this file (flat over a corpus: no leak)
    table: object = None


def one_line(path: str, error: BaseException) -> str:
    """``"<file>: <problem>"`` on one line, for any exception (FaceMimic's own name the file already)."""
    if isinstance(error, FaceMimicError):
        text = str(error)
        if isinstance(error, InputError) and error.source != path and path not in text:
            text = f"{path}: {text}"
        elif not isinstance(error, InputError) and path not in text:
            text = f"{path}: {text}"
    else:
        text = f"{path}: {type(error).__name__}: {error}"
    return " ".join(text.split())  # newlines from native libraries -> one line


class FileWorker:
    """Processes files for one :class:`WorkSpec`; holds the per-process models for its lifetime.

    Parameters
    ----------
    spec : WorkSpec
        The task and its options (the same for every file of a run).
    """

    def __init__(self, spec: WorkSpec) -> None:
        # Models for capture and analysis are cached per process by their stages; touching them
        # here moves their load out of the first file's timing.
        self.spec = spec
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        if spec.task in ("track", "analyze"):
            from ..capture.api import CaptureOptions

            self.capture_options = CaptureOptions.from_kwargs(None, **spec.capture_kwargs)
        if spec.task == "analyze":
            from ..analysis.api import analyze

            analyze(np.zeros((1, 88), np.float32))  # loads and verifies the classifier once
        if spec.task == "lipsync":
            from ..lipsync.api import LipSyncOptions

            # One process per file already: the aligner's own pool would oversubscribe the cores.
            self.lipsync_options = LipSyncOptions(fps=float(spec.lipsync_fps), workers=1, transcribe=spec.transcribe)

    def process(self, path: str, source_id: str, content_hash: str) -> FileResult:
        """Rows for one file (never raises for a bad file; see the module docstring)."""
        from dataclasses import replace

        cpu0 = time.process_time()
        result = self._process(path, source_id, content_hash)
        release_free_memory()
        return replace(result, cpu_seconds=time.process_time() - cpu0, worker_rss_mb=resident_mb())

    def _process(self, path: str, source_id: str, content_hash: str) -> FileResult:
        t0 = time.perf_counter()
        base = dict(source_id=source_id, path=path, content_hash=content_hash, worker=self.name)
        try:
            if self.spec.task == "lipsync":
                table, info = self._lipsync(path, content_hash)
            else:
                table, info = self._capture(path, content_hash)
        except NoFaceError as e:
            return FileResult(**base, status="no_face", error=one_line(path, e),
                              seconds=time.perf_counter() - t0)
        except Exception as e:  # noqa: BLE001 - any failure is this file's, never the batch's
            return FileResult(**base, status="failed", error=one_line(path, e), seconds=time.perf_counter() - t0)
        if info.pop("no_face", False):
            return FileResult(**base, status="no_face", seconds=time.perf_counter() - t0,
                              error=f"{path}: no face found in {info['frames']} frames", **info)
        return FileResult(**base, status="done", table=table, rows=table.num_rows,
                          seconds=time.perf_counter() - t0, **info)

    # -- tasks ----------------------------------------------------------------------------------
    def _capture(self, path: str, content_hash: str):
        import pyarrow as pa

        from ..capture.api import CaptureRun
        from ..expressions.track import ExpressionTrack
        from .schema import schema

        frames, index = [], []
        run = CaptureRun(path, self.capture_options)
        try:
            n = 0
            for n, group in enumerate(run, 1):
                frames += group.frames
                index += [n - 1] * len(group.frames)
            fps, meta = run.fps, run.metadata
        finally:
            run.close()
        # the metadata says which unit the weights are in (analysis converts MediaPipe's scale)
        tr = ExpressionTrack.from_frames(frames, fps=fps, metadata=meta)
        info = {"frames": n, "faces": len({f.face_id for f in frames if f.present}),
                "duration": (float(tr.time[-1]) + 1.0 / fps) if len(tr) else 0.0}
        if not tr.present.any():
            return None, {**info, "no_face": True}
        cols = {"path": np.full(len(tr), path, object), "content_hash": np.full(len(tr), content_hash, object),
                "frame": np.asarray(index, np.int32), "time": tr.time, "face_id": tr.face_id,
                "present": tr.present, "confidence": tr.confidence}
        for k, c in enumerate(("head_yaw", "head_pitch", "head_roll")):
            cols[c] = tr.head_rotation[:, k]
        for k, c in enumerate(("head_x", "head_y", "head_z")):
            cols[c] = tr.head_position[:, k]
        for eye, side in enumerate(("left", "right")):
            cols[f"gaze_{side}_x"], cols[f"gaze_{side}_y"] = tr.gaze[:, eye, 0], tr.gaze[:, eye, 1]
            cols[f"openness_{side}"] = tr.openness[:, eye]
        from ..expressions.names import UE_NAMES

        for k, name in enumerate(UE_NAMES):
            cols[name] = tr.weights[:, k]
        if self.spec.task == "analyze":
            cols.update(self._emotions(tr))
        sch = schema(self.spec.task)
        return pa.table({f.name: pa.array(cols[f.name], type=f.type) for f in sch}, schema=sch), info

    @staticmethod
    def _emotions(tr) -> dict:
        """Emotion columns for every row of ``tr`` (each face analysed on its own, as ``analyze --face``)."""
        from ..analysis.api import analyze
        from .schema import AU_COLUMNS, BASIC_COLUMNS, STATE_COLUMNS

        n = len(tr)
        out = {c: np.full(n, np.nan, np.float32) for c in ("valence", "arousal") + BASIC_COLUMNS + STATE_COLUMNS
               + AU_COLUMNS}
        for fid in tr.face_ids():
            rows = np.flatnonzero(tr.face_id == fid)  # for_face keeps this order
            a = analyze(tr, face_id=int(fid))
            out["valence"][rows], out["arousal"][rows] = a.valence, a.arousal
            for k, c in enumerate(BASIC_COLUMNS):
                out[c][rows] = a.basic[:, k]
            for k, c in enumerate(STATE_COLUMNS):
                out[c][rows] = a.states[:, k]
            for k, c in enumerate(AU_COLUMNS):
                out[c][rows] = a.aus[:, k // 2, k % 2]
        return out

    def _lipsync(self, path: str, content_hash: str):
        import pyarrow as pa

        from ..expressions.names import UE_NAMES
        from ..lipsync.api import lipsync
        from .schema import schema

        text = None
        if self.spec.transcripts:
            side = Path(path).with_suffix(".txt")
            if side.is_file():
                text = side.read_text(encoding="utf-8-sig")
        res = lipsync(path, text=text, options=self.lipsync_options)
        tr = res.track(fps=float(self.spec.lipsync_fps))
        t = np.asarray(tr.time, np.float64)
        n = len(t)
        cue_i = _span_index([(c.start, c.end) for c in res.cues], t)
        ph_i = _span_index([(p.start, p.end) for p in res.phones], t)
        cue = [res.cues[i].shape if i >= 0 else "X" for i in cue_i]
        cols = {"path": np.full(n, path, object), "content_hash": np.full(n, content_hash, object),
                "frame": np.arange(n, dtype=np.int32), "time": t, "cue": cue,
                "cue_start": [res.cues[i].start if i >= 0 else np.nan for i in cue_i],
                "cue_end": [res.cues[i].end if i >= 0 else np.nan for i in cue_i],
                "phone": [res.phones[i].name if i >= 0 else "" for i in ph_i]}
        for k, name in enumerate(UE_NAMES):
            cols[name] = tr.weights[:, k]
        sch = schema("lipsync")
        table = pa.table({f.name: pa.array(cols[f.name], type=f.type) for f in sch}, schema=sch)
        return table, {"frames": n, "duration": float(res.duration)}


_LIBC = []  # [glibc handle or None], looked up once


def release_free_memory() -> None:
    """Hand the heap pages freed by the last file back to the OS (glibc only; elsewhere a no-op).

    glibc keeps freed memory in its per-thread arenas (MediaPipe and FFmpeg allocate from several
    threads), so a worker's resident memory crept up by ~60 MB over its first 15 files before it
    levelled off; trimming after each file keeps it within ~10 MB of its size after the first file
    (benchmarks/batch_throughput.py, docs/batch.md). It takes about a millisecond.
    """
    if not _LIBC:
        import ctypes
        import ctypes.util

        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _LIBC.append(libc if hasattr(libc, "malloc_trim") else None)
        except OSError:
            _LIBC.append(None)
    if _LIBC[0] is not None:
        _LIBC[0].malloc_trim(0)


def resident_mb() -> float:
    """This process's resident memory in MiB (Linux ``/proc``; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _span_index(spans: list[tuple[float, float]], t: np.ndarray) -> np.ndarray:
    """Index of the span holding each time (``start <= t < end``; the last span also holds its end), or -1."""
    if not spans:
        return np.full(len(t), -1)
    starts = np.array([s for s, _ in spans])
    ends = np.array([e for _, e in spans])
    i = np.searchsorted(starts, t, side="right") - 1
    ok = (i >= 0) & (t <= ends[np.clip(i, 0, None)] + 1e-9)
    return np.where(ok, i, -1)


__all__ = ["FileResult", "FileWorker", "one_line", "release_free_memory", "resident_mb"]
