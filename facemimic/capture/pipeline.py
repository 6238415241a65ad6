"""The capture loop: source frames -> MediaPipe -> face ids -> solve -> smoothing -> calibration.

One :class:`FrameGroup` per input frame holds every face row for that instant (sorted by
``face_id``) plus the image, so a preview writer can draw them.

Tracking loss: every known face id gets a row in every frame. When a face is not found, its row is
an explicit gap (:meth:`ExpressionFrame.gap`: ``present=False``, NaN weights and head) whose eyes
hold the last gaze/openness and whose confidence decays from its last value with a half-life of
``CaptureOptions.confidence_half_life`` (0.2 s: ~0.03 after one second). Tracking resumes with the
same id when the face returns (with ``max_faces=1`` always id 0; with several faces an id unseen for
``retire_after`` seconds is retired and stops getting rows). If no face was ever seen, each frame
gets one face-0 gap row (confidence 0); if every id has been retired, one gap row for the face
seen last.
"""

from __future__ import annotations

import time as timelib
from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..errors import NoFaceError
from ..expressions.frame import ExpressionFrame
from .faces import FaceIdTracker
from .landmarker import FaceLandmarkerRunner
from .model import resolve_model
from .options import CaptureOptions
from .solve import solve_face
from .sources import Source, SourceFrame


@dataclass(frozen=True, eq=False)
class FrameGroup:
    """All face rows for one input frame."""

    source_frame: SourceFrame  # the decoded input (image, time, file name)
    frames: tuple[ExpressionFrame, ...]  # one row per known face id, ascending ids

    @property
    def time(self) -> float:
        return self.source_frame.time

    @property
    def has_face(self) -> bool:
        return any(f.present for f in self.frames)


@dataclass
class CaptureStats:
    """Running totals, for progress bars and the end-of-run summary."""

    frames: int = 0  # input frames processed
    frames_with_face: int = 0  # input frames where at least one face was found
    rows: int = 0  # ExpressionFrame rows produced (faces x frames)
    face_ids: set = field(default_factory=set)  # every face id seen
    faces_rejected: int = 0  # detections dropped for a face score below min_face_score (photos, tiles)
    started: float = field(default_factory=timelib.perf_counter)  # perf_counter at start
    elapsed: float = 0.0  # seconds of wall time so far
    # (width, height) in pixels of the frames the landmarks are normalised to, at the source's own
    # resolution (rotation applied); None before the first frame or when frames differ in size.
    frame_size: tuple[int, int] | None = None
    _sizes_vary: bool = False

    def note_frame(self, sf) -> None:
        """Record the frame size of ``sf`` (a SourceFrame) for the track metadata."""
        h, w = sf.image.shape[:2]
        scale = max(sf.original_size) / max(w, h) if max(w, h) else 1.0
        size = (int(round(w * scale)), int(round(h * scale)))
        if self._sizes_vary:
            return
        if self.frame_size is None:
            self.frame_size = size
        elif self.frame_size != size:
            self.frame_size, self._sizes_vary = None, True

    @property
    def fps(self) -> float:
        """Input frames processed per second of wall time."""
        return self.frames / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def face_ratio(self) -> float:
        return self.frames_with_face / self.frames if self.frames else 0.0


def _passthrough(frame: ExpressionFrame) -> ExpressionFrame:
    return frame


class CapturePipeline:
    """Runs one source through the capture stages; iterate to get :class:`FrameGroup` s.

    Parameters
    ----------
    source : Source
        An opened source (see :func:`facemimic.capture.sources.open_source`).
    options : CaptureOptions
    clock : callable, optional
        Monotonic clock handed to the smoother (tests inject a fake one).
    """

    def __init__(self, source: Source, options: CaptureOptions, *, clock: Callable[[], float] | None = None) -> None:
        self.source = source
        self.options = options
        self.model_path = resolve_model(options.model)
        self.stats = CaptureStats()
        self._clock = clock
        self.smooth = self._make_smoother(clock)
        self.calibrate = self._make_calibration()
        # IMAGE mode for stills and the raw preset; VIDEO mode (ROI tracking + MediaPipe's filter)
        # for streams.
        self.video_mode = (not source.still) and options.smoothing != "raw"
        # Weights in the requested unit (units.py): per-face rest estimates for streams, the
        # population rest for unrelated stills; None keeps MediaPipe's scores.
        self.units = None
        if options.units != "mediapipe":
            from .units import UnitConverter

            self.units = UnitConverter(options.units, still=source.still,
                                       mode="video" if self.video_mode else "image")
        self.tiling = options.tiling == "on" or (options.tiling == "auto" and source.still)
        self.ids = FaceIdTracker(single=options.max_faces == 1, retire_after=options.retire_after)
        self._last: dict[int, ExpressionFrame] = {}  # last present frame per face id

    def _make_smoother(self, clock):
        if self.source.still or self.options.smoothing == "off":
            return _passthrough  # unrelated stills are never smoothed together
        from .filters import FrameSmoother

        return FrameSmoother(self.options.smoothing, clock=clock).process

    def _make_calibration(self):
        if self.options.profile is None:
            return _passthrough
        from .calibration import CalibrationProfile

        profile = CalibrationProfile.load(self.options.profile)
        profile.check_units(self.options.units, self.options.profile)  # baselines and gains are per unit
        self.use_smoothing(profile.smoothing_options(self.options.smoothing))
        return profile.apply

    def use_smoothing(self, smoothing) -> None:
        """Smooth with these :class:`~facemimic.capture.filters.SmoothingOptions` from now on (a
        profile's per-region smoothing; the studio's panel). ``None`` keeps the current smoother;
        stills are never smoothed."""
        if smoothing is None or self.source.still:
            return
        from .filters import FrameSmoother

        self.smooth = FrameSmoother(options=smoothing, clock=self._clock).process

    def __iter__(self) -> Iterator[FrameGroup]:
        opts = self.options
        # Faces get a measured score (and min_face_score applies) in photos and tiled IMAGE-mode
        # frames, where objects pass as faces; untiled video frames are not scored (it would cost
        # ~10 ms of CPU per face and frame: raw mode 12.4 -> 22.4 ms/frame on WolfgangLanger).
        score_faces = self.source.still or (self.tiling and not self.video_mode)
        runner = FaceLandmarkerRunner(self.model_path, video=self.video_mode, options=opts, score_faces=score_faces)
        try:
            for sf in self.source.frames():
                if opts.duration is not None and sf.time >= opts.duration:
                    break
                group = self._process(runner, sf)
                st = self.stats
                st.frames += 1
                st.frames_with_face += group.has_face
                st.rows += len(group.frames)
                st.elapsed = timelib.perf_counter() - st.started
                yield group
        finally:
            runner.close()
            self.source.close()
        if self.source.kind == "image" and self.stats.frames_with_face == 0:
            n = self.stats.faces_rejected
            why = (f" ({n} candidate{'s' if n > 1 else ''} scored below min_face_score "
                   f"{self.options.min_face_score:g}: lower --min-face-score to keep {'them' if n > 1 else 'it'})"
                   if n else "")
            raise NoFaceError(self.source.name, f"no face found in the image{why}")

    def _process(self, runner: FaceLandmarkerRunner, sf: SourceFrame) -> FrameGroup:
        opts = self.options
        self.stats.note_frame(sf)
        if self.source.still or not self.video_mode:
            raws = runner.detect_still(sf.image, tiling=self.tiling) if self.tiling else runner.detect(sf.image)
            self.stats.faces_rejected += len(runner.rejected)
        else:
            raws = runner.detect(sf.image, sf.time)
        boxes = []
        for r in raws:
            w, h = r.frame_size
            x0, y0, x1, y1 = r.box
            boxes.append((x0 / w, y0 / h, x1 / w, y1 / h))
        ids = self.ids.assign(boxes, sf.time)
        rows: dict[int, ExpressionFrame] = {}
        for raw, fid in zip(raws, ids):
            if fid in rows:  # two detections matched one id (shouldn't happen): keep the larger
                continue
            # Photos and tiled frames: the measured face score (face_score.py); video frames are not
            # scored (MediaPipe's detection/tracking gates passed them), so 1.0.
            confidence = raw.score if raw.score is not None else 1.0
            frame = solve_face(raw, time=sf.time, face_id=fid, iris_weight=opts.gaze_iris_weight,
                               keep_landmarks=opts.keep_landmarks, confidence=confidence, units=self.units)
            frame = self.calibrate(self.smooth(frame))
            rows[fid] = frame
            self._last[fid] = frame
            self.stats.face_ids.add(fid)
        active = self.ids.active_ids()
        for fid in active:
            if fid not in rows:
                rows[fid] = self._gap(fid, sf.time)
        if self.units is not None:
            self.units.keep_only(set(active) | set(rows))
        if not rows:
            # Nobody yet (face 0), or every id retired: one gap row for the face seen last, so
            # every input frame keeps at least one row and the timeline has no holes.
            fid = max(self._last, key=lambda k: self._last[k].time) if self._last else 0
            rows[fid] = self._gap(fid, sf.time)
        return FrameGroup(source_frame=sf, frames=tuple(rows[k] for k in sorted(rows)))

    def _gap(self, fid: int, time: float) -> ExpressionFrame:
        last = self._last.get(fid)
        if last is None:
            return ExpressionFrame.gap(time, face_id=fid, confidence=0.0)
        dt = max(0.0, time - last.time)
        conf = float(last.confidence) * 0.5 ** (dt / self.options.confidence_half_life)
        # Gap frames also pass through the smoother (it lets them through and restarts after
        # long gaps) so its per-face state sees the loss.
        return self.smooth(ExpressionFrame.gap(time, face_id=fid, last=last, confidence=conf))


def run_pipeline(source: Source, options: CaptureOptions, *, clock=None) -> CapturePipeline:
    """Convenience: a :class:`CapturePipeline` for an opened source."""
    return CapturePipeline(source, options, clock=clock)


__all__ = ["CapturePipeline", "CaptureStats", "FrameGroup", "run_pipeline"]
