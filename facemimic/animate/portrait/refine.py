"""Closed-loop refinement: the capture stage as the critic of every rendered frame.

Calibration fits one response curve per control group on a still face; in a clip the groups act
together (a smile squints, relaxed brows open the lids, a lowered head closes them), so the
re-tracked readings drift from the request by a few hundredths, which is as much as the lids move
between blinks. With refinement on, each frame is rendered, re-tracked by the capture stage in
IMAGE mode, and the drive of the measured channels (jaw, mouth-corner pull, eye closure, inner
brow raise and brow lowering, per side) is corrected by the reading's error before the final
render:

    corr <- clip(corr + GAIN * (target - reading), -LIMIT, LIMIT)

The correction is carried from frame to frame (an integral controller: one re-track per frame
converges over a few frames and averages the tracker's frame-to-frame noise instead of following
it), except on a channel whose request just jumped (a blink starting or ending, a new expression):
there the old correction belongs to another regime (lids held open against an angry brow would
weaken the blink), so that channel starts again from zero.

The brows are special: the tracker reads a raised inner brow and a lowered brow as nearly
exclusive (see ``calibrate.py``'s joint brow map), so per side only the clearly dominant one of the
two is corrected; where both are asked for about evenly (a sad brow), only their balance is.

Targets are what calibration aims at: in ``rest="neutral"`` the requested value itself; in
``rest="source"`` the photo's reading plus the request scaled to the room left (``TOP``).
"""

from __future__ import annotations

import atexit
import threading

import numpy as np

from ...expressions.names import ue_index
from .calibrate import TOP, StillTracker
from .model import DRIVE_CLOSE_LEFT, DRIVE_CLOSE_RIGHT

# (drive index, re-tracked channel) pairs that are corrected; "closure_*" is 1 - that eye's openness
LOOP = (
    (ue_index("JawOpen"), "JawOpen"),
    (ue_index("MouthCornerPullRight"), "MouthCornerPullRight"),
    (ue_index("MouthCornerPullLeft"), "MouthCornerPullLeft"),
    (DRIVE_CLOSE_RIGHT, "closure_right"),
    (DRIVE_CLOSE_LEFT, "closure_left"),
    (ue_index("BrowInnerUpRight"), "BrowInnerUpRight"),
    (ue_index("BrowInnerUpLeft"), "BrowInnerUpLeft"),
    (ue_index("BrowLowererRight"), "BrowLowererRight"),
    (ue_index("BrowLowererLeft"), "BrowLowererLeft"),
)
_SLOT = {channel: k for k, (_, channel) in enumerate(LOOP)}
# (inner raise, lowering) loop slots per side: they are corrected jointly (see ClosedLoop.correct)
BROW_PAIRS = tuple((_SLOT[f"BrowInnerUp{s}"], _SLOT[f"BrowLowerer{s}"]) for s in ("Right", "Left"))
BROW_MARGIN = 0.1  # how much larger one brow request must be than the other to be corrected alone
GAIN = 0.6  # share of the error corrected per frame (lower: smoother, slower)
LIMIT = 0.35  # largest correction, in weight units (the request is never rewritten wholesale)
JUMP = 0.05  # a request change per frame above this starts that channel's correction afresh


_SHARED: StillTracker | None = None
_SHARED_LOCK = threading.Lock()


def shared_tracker() -> StillTracker:
    """One IMAGE-mode landmarker for every closed loop in the process (opened on first use, closed
    at exit). Why shared: a landmarker per animator would be closed by the garbage collector when
    an animator is dropped unclosed, and MediaPipe's close can deadlock when it runs inside another
    landmarker's call."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            from ..mediapipe_import import import_mediapipe

            import_mediapipe()
            _SHARED = StillTracker()
            # MediaPipe closes through a thread pool that Python shuts down before plain atexit
            # hooks run; threading's exit hooks run before that shutdown (latest first).
            register = getattr(threading, "_register_atexit", atexit.register)
            register(_close_shared)
        return _SHARED


def _close_shared() -> None:
    try:
        _SHARED.close()
    except RuntimeError:  # MediaPipe's executor may already be shut down at interpreter exit
        pass


def reading(frame, channel: str) -> float:
    """One re-tracked channel (``closure_right``/``closure_left``: 1 - that eye's openness)."""
    if frame is None or not frame.present:
        return float("nan")
    if channel == "closure_right":
        return 1.0 - float(frame.openness_right)
    if channel == "closure_left":
        return 1.0 - float(frame.openness_left)
    return float(frame.weight(channel))


class ClosedLoop:
    """Per-frame drive correction for one :class:`PortraitAnimator` (see the module docstring).

    Parameters
    ----------
    animator : PortraitAnimator
        The animator whose frames are judged (its rest mode decides the targets).
    tracker : StillTracker, optional
        An IMAGE-mode landmarker; by default the process-wide one (:func:`shared_tracker`).
    """

    def __init__(self, animator, tracker: StillTracker | None = None) -> None:
        self.animator = animator
        self._shared = tracker is None
        self.tracker = tracker or shared_tracker()
        self.absolute = animator.options.rest == "neutral"
        self.index = np.array([i for i, _ in LOOP])
        self.corr = np.zeros(len(LOOP), np.float32)
        self._prev: np.ndarray | None = None  # the previous frame's targets
        self.lost = 0  # frames whose render the tracker did not find (left uncorrected)
        # The photo's own readings: the base of the targets in "source" mode (unused in "neutral").
        self.photo = np.zeros(len(LOOP), np.float32)
        if not self.absolute:
            x0, y0, x1, y1 = animator.warp.roi
            photo = self._retrack(animator.image[y0:y1, x0:x1], animator.points.mean(0) - (x0, y0))
            self.photo = np.nan_to_num(np.array([reading(photo, ch) for _, ch in LOOP], np.float32))

    def _retrack(self, image: np.ndarray, centre: np.ndarray):
        if self._shared:
            with _SHARED_LOCK:  # one landmarker, possibly several animators on several threads
                faces = self.tracker.faces(image)
        else:
            faces = self.tracker.faces(image)
        if not faces:
            return None
        h, w = image.shape[:2]
        return min(faces, key=lambda f: float(np.linalg.norm(np.asarray(f.landmarks)[:, :2].mean(0) * (w, h)
                                                             - centre)))

    def targets(self, drive: np.ndarray) -> np.ndarray:
        """(len(LOOP),) readings the request asks for."""
        w = np.asarray(drive, np.float32)[self.index]
        if self.absolute:
            return np.clip(w, 0.0, 1.0)
        r0 = self.photo
        return np.clip(np.where(w >= 0, r0 + w * np.maximum(TOP - r0, 0.3), r0 + w * np.maximum(r0, 0.1)), 0, 1)

    def correct(self, drive: np.ndarray, render) -> np.ndarray:
        """The corrected (93,) drive for one frame.

        ``render(drive)`` renders a drive to an image (h, w, 3|4); it is called once here, on
        the drive with the correction carried from the previous frame."""
        drive = np.asarray(drive, np.float32)
        target = self.targets(drive)
        if self._prev is not None:
            self.corr[np.abs(target - self._prev) > JUMP] = 0.0
        self._prev = target
        trial = drive.copy()
        trial[self.index] += self.corr
        x0, y0, x1, y1 = self.animator.warp.roi
        img = render(trial)
        got = self._retrack(img[y0:y1, x0:x1], self.animator.points.mean(0) - (x0, y0))
        if got is None:
            self.lost += 1
            return trial
        r = np.array([reading(got, ch) for _, ch in LOOP], np.float32)
        err = np.where(np.isfinite(r), target - r, 0.0)
        for up, down in BROW_PAIRS:
            # The tracker reads a raised and a lowered brow as nearly exclusive: correct the channel
            # that clearly dominates the request on its own; where both are asked for about evenly
            # (a sad brow), correct only their balance, since both cannot be read at full strength.
            if max(target[up], target[down]) < BROW_MARGIN:
                continue  # neither asked for: both readings are simply brought down
            if target[up] > target[down] + BROW_MARGIN:
                err[down] = 0.0
            elif target[down] > target[up] + BROW_MARGIN:
                err[up] = 0.0
            else:
                diff = 0.5 * (err[up] - err[down])
                err[up], err[down] = diff, -diff
        self.corr = np.clip(self.corr + GAIN * err, -LIMIT, LIMIT).astype(np.float32)
        out = drive.copy()
        out[self.index] += self.corr
        return out

    def reset(self) -> None:
        """Forget the carried correction (a new clip)."""
        self.corr[:] = 0.0
        self._prev = None

    def close(self) -> None:
        """Nothing to release for the shared landmarker; a caller's own tracker stays the caller's."""

