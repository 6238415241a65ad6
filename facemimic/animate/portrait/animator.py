"""``PortraitAnimator``: one still portrait + expression frames -> animated frames.

Set-up (once per source, a second or two): find the face with the capture stage, scale (or crop)
the image to the output size, build the personalised displacement model, the mesh warp, the mouth
painter, the eye rig and the head-pose model, and optionally calibrate the model's response with
the capture stage as the critic. Per frame: a small matrix product (weights -> landmark motion),
the iris move, one warp, and cheap composites (mouth interior, lash line).

Semantics: the source photo is the **rest pose** (``rest="source"``, the default): all-zero
weights, open eyes, zero gaze and zero head rotation reproduce the photo exactly, and weights add
expression on top of the one in the photo. ``rest="neutral"`` instead treats the weights as
absolute: the photo's own expression (as measured by the capture stage) is subtracted first, so
neutral weights relax a smiling photo towards neutral.

>>> anim = PortraitAnimator("me.jpg", PortraitOptions(size=512))         # doctest: +SKIP
>>> rgb = anim.render(ExpressionFrame.from_shapes({"JawOpen": 0.6}))     # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from ...emotions.neutral import beyond_neutral, resting_lids
from ...errors import ParameterError, UnknownNameError, suggest
from ...expressions.frame import ExpressionFrame
from ...expressions.mouth import LIPS_MEET_GAP
from ...expressions.names import UE_NAMES, ue_index
from ...expressions.track import ExpressionTrack
from .creases import CreasePainter
from .eyes import EyeRig, lash_line
from .implied import photo_closure
from .model import (CONTROL_NAMES, DRIVE_CLOSE_LEFT, DRIVE_CLOSE_RIGHT, DisplacementModel, FarSideHold,
                    drive_vector, foreshorten_edge_on)
from .mouth import MouthPainter
from .pose import HeadPose
from .source import choose_face, face_square, find_faces, load_image
from .warp import MeshWarp
from .worker import OneThread

CROPS = ("fit", "face")
RESTS = ("source", "neutral")
EXTREME_YAW = 30.0  # degrees: beyond this a 2D warp of one photo starts to show its limits
_TONGUE = ue_index("TongueOut")
_JAW_CONTROL = CONTROL_NAMES.index("jaw_open")
# The closed loop's lag (refine.ClosedLoop): 1, each frame corrected from the re-track of the
# previous frame's final render (one render a frame; the first frame and the mouth's jumps are
# trial-rendered first); 0, every frame trial-rendered and re-tracked before its final render.
# Measured in docs/journal/animate.md ("Ninth session"): the same speech, same-motion and reenactment
# numbers within the re-track's own noise, ~40 % less main-thread CPU a frame. 2: each frame
# corrected from the re-track two frames back, so the previous frame's re-track (MediaPipe, ~12 ms
# CPU on its own threads) runs beside this frame's step and render instead of before them (at lag 1
# a frame is one serial chain, process CPU = wall); measured in the seventeenth session as accurate
# (speech, same motion, the edge tests) and faster only where a core is free (docs/journal/animate.md,
# "Seventeenth session"), not made the default on that evidence.
LOOP_LAG = 1
# A neutral rest sets the photo's gaze ahead, but a photo's gaze within GAZE_AHEAD (VRCFT units,
# 1 = 45 deg; 0.1 = 4.5 deg) of ahead is a look at the camera read with the tracker's noise, and is
# left where it is (the excess beyond it is still taken off): the astronaut looks into the lens yet
# reads 0.076 / -0.015 right / left (the eyes diverging), and moving her irises by that repainted
# both eyes (inpainted sclera, resampled iris: paler, softer eyes) on every frame (dlib distance of
# her rest frame to the photo 0.417 -> 0.393 without it).
GAZE_AHEAD = 0.1


@dataclass(frozen=True)
class PortraitOptions:
    """How to animate a portrait. All fields are checked in ``__post_init__``."""

    size: int = 512  # output size in px: the longer side ("fit") or the square's side ("face")
    crop: str = "fit"  # fit: the whole image scaled; face: a square around the face
    face: int | None = None  # which face (0-based, left to right); None: the largest
    rest: str = "source"  # source: the photo is the rest pose; neutral: weights are absolute
    calibrate: bool = True  # fit the model's response with the capture stage as critic (~4-5 s)
    refine: bool = False  # re-track every frame, correct jaw, smile, lids, brows (closed loop; ~5x slower; CLI default)
    mouth: bool = True  # paint the mouth interior when the lips part
    eyes: bool = True  # move the irises with the gaze
    head: bool = True  # apply the track's head rotation (relative to the photo's)
    max_head_angle: float = 15.0  # degrees; larger rotations are clamped
    face_scale: float = 2.6  # "face" crop: square side / face-oval width

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 64 <= self.size <= 4096:
            raise ParameterError(f"size must be a whole number of pixels in [64, 4096], got {self.size!r}")
        for name, value, valid in (("crop", self.crop, CROPS), ("rest", self.rest, RESTS)):
            if value not in valid:
                raise UnknownNameError(f"unknown {name} {value!r}{suggest(str(value), valid)}; "
                                       f"valid: {', '.join(valid)}")
        if self.face is not None and (isinstance(self.face, bool) or not isinstance(self.face, int)
                                      or self.face < 0):
            raise ParameterError(f"face must be a face number >= 0 or None, got {self.face!r}")
        for name in ("calibrate", "refine", "mouth", "eyes", "head"):
            if not isinstance(getattr(self, name), bool):
                raise ParameterError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if not (isinstance(self.max_head_angle, (int, float)) and 0 <= self.max_head_angle <= 30):
            raise ParameterError(f"max_head_angle must be between 0 and 30 degrees, got {self.max_head_angle!r}")
        if not (isinstance(self.face_scale, (int, float)) and 1.2 <= self.face_scale <= 8):
            raise ParameterError(f"face_scale must be between 1.2 and 8, got {self.face_scale!r}")


@dataclass
class PortraitStats:
    """What set-up found and cost (for the CLI's summary and the benchmark)."""

    faces: int = 0  # faces in the image
    face_width: float = 0.0  # chosen face width in output pixels
    source_yaw: float = 0.0  # the photo's head yaw, degrees
    setup_s: float = 0.0  # seconds to find the face and build the model
    calibrate_s: float = 0.0  # seconds spent calibrating
    calibration: dict = field(default_factory=dict)  # group -> {"response": [...], "gain": …}
    rest_corners_s: float = 0.0  # seconds spent levelling a neutral rest's mouth corners
    rest_corners: dict = field(default_factory=dict)  # calibrate.rest_corners' report


@dataclass(frozen=True)
class FramePlan:
    """One frame as :meth:`PortraitAnimator.plan` decided it, ready to :meth:`~PortraitAnimator.draw`."""

    drive: np.ndarray  # (93,) drive vector (the closed loop's correction included)
    weights: np.ndarray  # (88,) the frame's UE weights (the tongue is drawn from them)
    gaze: np.ndarray  # (2, 2) [right, left] x [x, y] gaze
    head: np.ndarray  # (3,) head rotation, degrees
    # (h, w, 3|4) uint8: the frame already rendered while planning (a lagged closed loop renders
    # each frame once, to re-track it); draw() copies it
    image: np.ndarray | None = None


@dataclass(frozen=True)
class RenderScratch:
    """Working buffers of one rendering thread (eye patch pass, the warp's triangle-id grid)."""

    eyes: np.ndarray  # (h, w, 3|4) uint8
    ids: np.ndarray  # (gh, gw) int32
    # the gaze whose irises ``eyes`` holds ((2, 2) bytes) and whether they moved at all: the closed
    # loop draws each frame twice with one gaze (trial and final), so the second pass reuses them
    last_gaze: dict = field(default_factory=dict)


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def photo_gaze(frame) -> np.ndarray:
    """The photo's gaze a neutral rest takes off, (2, 2) [right, left] x [x, y] VRCFT units: each
    eye's reading shortened by :data:`GAZE_AHEAD` (a look at the camera reads as zero; a gaze
    further off keeps its excess, so the rest is continuous in the reading).

    Parameters
    ----------
    frame : ExpressionFrame
        The photo's capture frame (``gaze_right``, ``gaze_left``: (x, y) each).

    Returns
    -------
    np.ndarray [shape=(2, 2), dtype=float64]
    """
    g = np.nan_to_num(np.array([frame.gaze_right, frame.gaze_left], np.float64))
    n = np.linalg.norm(g, axis=1, keepdims=True)
    return g * (np.maximum(n - GAZE_AHEAD, 0.0) / np.maximum(n, 1e-9))


class PortraitAnimator:
    """Animates one face of one portrait.

    Parameters
    ----------
    source : str, Path or np.ndarray [shape=(H, W, 3|4), dtype=uint8]
        A photo or drawing (RGB, or RGBA whose alpha is kept).
    options : PortraitOptions, optional
        Or its fields as keywords.
    name : str, optional
        What messages call the source (default: its path, or "image" for an array).

    Attributes
    ----------
    image : np.ndarray [shape=(h, w, 3|4), dtype=uint8]
        The source at output size (what neutral frames reproduce).
    warnings : list of str
        Things the user should know (extreme pose, …).
    """

    def __init__(self, source, options: PortraitOptions | None = None, *, name: str | None = None,
                 clock: Callable[[], float] = time.perf_counter, **kwargs) -> None:
        import cv2

        opts = options or PortraitOptions(**kwargs)
        if options is not None and kwargs:
            from dataclasses import replace

            opts = replace(options, **kwargs)
        self.options = opts
        self.warnings: list[str] = []
        self.stats = PortraitStats()
        t0 = clock()
        image, self.name = load_image(source)
        self.name = name or self.name
        faces = find_faces(image, self.name)
        face = choose_face(faces, opts.face, self.name)
        photo_size = (image.shape[1], image.shape[0])  # what the capture's landmarks are normalised by
        self.stats.faces = len(faces)
        yaw = float(face.frame.head_rotation[0])
        self.stats.source_yaw = yaw
        if math.isfinite(yaw) and abs(yaw) > EXTREME_YAW:
            self.warnings.append(f"{self.name}: the face is turned {abs(yaw):.0f} degrees (more than "
                                 f"{EXTREME_YAW:.0f}); expect distortions on the far side")
        # Output geometry: scale (and crop) to the requested size.
        pts = face.landmarks.copy()
        h, w = image.shape[:2]
        if opts.crop == "face":
            x0, y0, s = face_square(face, (h, w), opts.face_scale)
            image = image[y0:y0 + s, x0:x0 + s]
            pts[:, :2] -= (x0, y0)
            h, w = image.shape[:2]
            out_w = out_h = _even(opts.size)
        else:
            k = opts.size / max(h, w)
            out_w, out_h = _even(w * k), _even(h * k)
        sx, sy = out_w / w, out_h / h
        interp = cv2.INTER_AREA if sx < 1 else cv2.INTER_CUBIC
        self.image = np.ascontiguousarray(cv2.resize(image, (out_w, out_h), interpolation=interp))
        pts = pts * np.array([sx, sy, sx])
        self.stats.face_width = face.width * sx
        if self.stats.face_width < 64:
            hint = "a larger size" if opts.crop == "face" else "a larger size or crop='face' (--crop face)"
            raise ParameterError(f"{self.name}: at size {opts.size} the face would be only "
                                 f"{self.stats.face_width:.0f} px wide (at least 64 needed); use {hint}")
        self.points = pts[:, :2].astype(np.float64)
        self.face_frame = face.frame
        rest = None
        # (right, left) the photo's own EyeClosed, share of an open eye: a frame's closure is drawn
        # as a share of the photo's own aperture (frame_drive); a photo taken as the rest is open
        self.photo_closure = photo_lids(face.frame) if opts.rest == "neutral" else (0.0, 0.0)
        # (right, left) the part of them that is the sitter's own face at rest (emotions.neutral):
        # an open frame opens the lids to it, not past it (a stare), and a blink still shuts them
        self.rest_lids = resting_lids(self.photo_closure)
        if opts.rest == "neutral":
            rest = neutral_rest(face.frame, pts, photo_size)
        # (x, y, depth): the model is sized by the unit on the photo's own 3D landmarks
        self.model = DisplacementModel.for_face(pts, rest=rest)
        down = self.model.frame.rotation[:, 1]
        self.warp = MeshWarp(self.points, self.image.shape[:2], down, depth=pts[:, 2])
        self.mouth = MouthPainter(self.points, down, self.model.frame.sx, self.image) if opts.mouth else None
        self.eyes = EyeRig(self.points, self.image, self.model.frame.rotation) if opts.eyes else None
        # creases shaded from the weights (with a neutral rest, only beyond the photo's own expression)
        # (the photo's expression as the rest takes it: beyond a neutral face's own range)
        self.creases = CreasePainter(self.points, self.image,
                                     beyond_neutral(face.frame.weights, lips_apart=self.model.photo_gap > LIPS_MEET_GAP)
                                     if opts.rest == "neutral" else None)
        self.pose = HeadPose(pts, max_angle=opts.max_head_angle) if opts.head else None
        self._src_gaze = photo_gaze(face.frame) if opts.rest == "neutral" else np.zeros((2, 2))
        self._scratch = self.new_scratch()
        self._helper = OneThread("facemimic-portrait-helper")  # render_parts' work beside the warp
        self._out = np.empty_like(self.image)
        self._last: tuple | None = None
        self.stats.setup_s = clock() - t0
        if opts.calibrate:
            from .calibrate import calibrate

            t1 = clock()
            curves, report = calibrate(self)
            self.model = self.model.replace(curves=curves)
            self.stats.calibrate_s = clock() - t1
            self.stats.calibration = report
        if opts.rest == "neutral":
            self.model = level_rest_brows(self.model, pts)
        # (478, 2) px added to every frame's motion: the rest's channels that read one motion twice
        # taken off once (rest="neutral"; zeros otherwise)
        self._rest_overlap = rest_overlap(self.model, self.points)
        # and their sideways motion foreshortened where a turned face's far side is seen edge-on
        self._rest_overlap += edge_on_rest(self.model, pts, self._rest_overlap)
        # a turned face's far side held inside its silhouette (lips stretched past the cheek's edge)
        self._far_hold = FarSideHold.for_face(pts, self.model.frame, yaw)
        if opts.rest == "neutral" and opts.calibrate:
            # a smile's corners put at a neutral face's height, as the tracker reads the drawn rest
            # (calibrate.rest_corners: an uneven smile's higher corner stayed up to 0.026 IPD up)
            from .calibrate import rest_corners

            t1 = clock()
            corners, self.stats.rest_corners = rest_corners(self)
            self._rest_overlap = self._rest_overlap + corners
            self.stats.rest_corners_s = clock() - t1
        self._loop = None
        if opts.refine:
            from .refine import ClosedLoop

            self._loop = ClosedLoop(self, lag=LOOP_LAG)

    def reset(self) -> None:
        """Forget what carries over between frames (the last face, the closed loop's correction):
        call between unrelated clips."""
        self._last = None
        if self._loop is not None:
            self._loop.reset()

    def close(self) -> None:
        """Stop the closed loop (``refine=True``) and the render's helper thread; rendering goes on
        open-loop (a later render starts the helper again). (The loop's landmarker is shared by the
        process and stays open for other animators.)"""
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        self._helper.close()

    def __enter__(self) -> "PortraitAnimator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --------------------------------------------------------------------------------------------
    @property
    def size(self) -> tuple[int, int]:
        """Output (width, height) in pixels."""
        return self.image.shape[1], self.image.shape[0]

    @property
    def has_alpha(self) -> bool:
        return self.image.shape[2] == 4

    def render_parts(self, motion: np.ndarray, *, gaze=None, closure=(0.0, 0.0), tongue_out: float = 0.0,
                     jaw_gap: float | None = None, out: np.ndarray | None = None,
                     scratch: RenderScratch | None = None, weights: np.ndarray | None = None) -> np.ndarray:
        """Render from landmark ``motion`` (478, 2) px directly (used by calibration and tests).

        ``jaw_gap``: how many pixels of the lips' opening the jaw made (None: all of it).
        ``scratch``: working buffers (default: the animator's own; a thread rendering at the same
        time as another needs its own, from :meth:`new_scratch`)."""
        own = scratch is None  # the animator's own buffers: the calling (planning) thread
        scratch = scratch or self._scratch
        motion = self.warp.fold_free(motion)  # no mesh triangle turns over (a tear); warp.py
        target = self.points + motion
        # The mouth's interior and the creases' masks (weights: the frame's UE weights (88,),
        # creases.py) read no pixels: drawn on a helper thread while the frame is warped (the same
        # arithmetic; one core idles during a serial render otherwise), finished in the frame below.
        # A render with its own buffers (another thread's) draws them in line.
        shape = self.image.shape
        mouth = creases = None
        if self.mouth is not None:
            mouth = (self._helper.submit(self.mouth.layer, target, shape, tongue_out=tongue_out, jaw_gap=jaw_gap)
                     if own else self.mouth.layer(target, shape, tongue_out=tongue_out, jaw_gap=jaw_gap))
        if weights is not None:
            creases = self._helper.submit(self.creases.layer, target, weights, shape) if own \
                else self.creases.layer(target, weights, shape)
        src = self.image
        if self.eyes is not None and gaze is not None:
            g = np.asarray(gaze, np.float64) - self._src_gaze
            key = g.tobytes()
            if scratch.last_gaze.get("key") == key:
                src = scratch.eyes if scratch.last_gaze["moved"] else self.image
            else:
                scratch.last_gaze.clear()  # (a failure below must not leave a stale key)
                src = self.eyes.apply(self.image, g, scratch.eyes)
                scratch.last_gaze.update(key=key, moved=src is not self.image)
        res = self.warp.apply(src, motion, out, ids=scratch.ids)
        if self.mouth is not None:
            self.mouth.apply(res, target, mouth.result() if own else mouth)
        if weights is not None:
            self.creases.apply(res, creases.result() if own else creases)
        lash_line(res, target, closure)
        return res

    def drive(self, weights: np.ndarray, openness: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
        """The (93,) drive of a frame's UE ``weights`` (88,) and eye ``openness`` (right, left) on
        this photo: :func:`frame_drive` with the photo's own lids (``(1, 1)``: a neutral frame)."""
        return frame_drive(weights, openness, self.photo_closure, self.rest_lids)

    def new_scratch(self) -> RenderScratch:
        """Working buffers for rendering on another thread (see :meth:`draw`)."""
        return RenderScratch(np.empty_like(self.image), self.warp.new_ids())

    def render(self, frame: ExpressionFrame | None, *, reuse: bool = False) -> np.ndarray:
        """One animated frame, shape (h, w, 3|4) uint8: :meth:`draw` of :meth:`plan`.

        A gap frame (``present=False``) or ``None`` holds the last face rendered (the rest pose
        before any). ``reuse=True`` renders into an internal buffer (fast; overwritten next call).
        """
        return self.draw(self.plan(frame), out=self._out if reuse else None)

    def plan(self, frame: ExpressionFrame | None) -> FramePlan:
        """What one frame shows: the frame's drive (closed loop: corrected after a trial render
        and a re-track), gaze and head. Call in frame order (a gap holds the last face, and the
        closed loop carries its correction from frame to frame)."""
        if frame is not None and frame.present and np.all(np.isfinite(frame.weights)):
            w = np.asarray(frame.weights, np.float32)
            op = (frame.openness_right, frame.openness_left)
            gaze = np.array([frame.gaze_right, frame.gaze_left], np.float64)
            head = np.asarray(frame.head_rotation, np.float64)
            if not np.all(np.isfinite(head)):
                head = np.zeros(3)
            self._last = (w, op, gaze, head)
        elif self._last is None:
            self._last = (np.zeros(len(frame.weights) if frame is not None else 88, np.float32), (1.0, 1.0),
                          np.zeros((2, 2)), np.zeros(3))
        w, op, gaze, head = self._last
        drive = self.drive(w, op)
        if self._loop is not None and self._loop.lag:
            # one render a frame: corrected from earlier frames' re-tracks, re-tracked itself
            # on the loop's thread while the next frames are planned (refine.ClosedLoop)
            plan = FramePlan(self._loop.correct_lagged(drive, lambda d: self.draw(FramePlan(d, w, gaze, head))),
                             w, gaze, head)
            image = self.draw(plan)
            self._loop.observe(image)
            return FramePlan(plan.drive, w, gaze, head, image)
        if self._loop is not None:
            drive = self._loop.correct(drive, lambda d: self.draw(FramePlan(d, w, gaze, head)))
        return FramePlan(drive, w, gaze, head)

    def draw(self, plan: FramePlan, *, out: np.ndarray | None = None,
             scratch: RenderScratch | None = None) -> np.ndarray:
        """Render a :meth:`plan` into ``out`` (h, w, 3|4) uint8 (default: a new array).

        Plans are independent of each other: drawing may run on another thread, behind planning,
        given its own ``scratch`` (:meth:`new_scratch`) and ``out``."""
        if plan.image is not None:  # rendered while planning
            if out is None:
                return plan.image.copy()
            np.copyto(out, plan.image)
            return out
        motion, parts = self.drawing(plan)
        return self.render_parts(motion, out=out, scratch=scratch, **parts)

    def drawing(self, plan: FramePlan, controls: np.ndarray | None = None, *, overlap: bool = True,
                head: bool = True) -> tuple[np.ndarray, dict]:
        """What :meth:`draw` renders a plan with: the landmark motion (n, 2) px and
        :meth:`render_parts`' other inputs (``gaze``, ``closure``, ``tongue_out``, ``jaw_gap``,
        ``weights``). ``controls`` (K,) replaces the plan's template amounts, and ``overlap`` /
        ``head`` False leave the rest's overlap / the head pose out (the identity ablation
        benchmark draws a frame with one part switched off at a time)."""
        drive, w, gaze, pose = plan.drive, plan.weights, plan.gaze, plan.head
        if controls is None:
            controls = self.model.controls(drive)
        motion = np.tensordot(controls, self.model.basis, axes=1)
        # The jaw's share of the lip opening: its control's motion of the lower lip's middle.
        jaw = self.model.basis[_JAW_CONTROL, 14] * controls[_JAW_CONTROL]
        jaw_gap = max(float(jaw @ self.model.frame.rotation[:, 1]), 0.0)
        if overlap:
            motion = motion + self._rest_overlap
        motion = self._far_hold(motion)  # before the head turns it
        if self.pose is not None and head:
            motion = motion + self.pose.motion(pose)
        # the lash line: the share of the photo's own aperture closed (the drive's less the rest's lids)
        closure = tuple(float(np.clip(drive[i] - self.model.rest[i], 0, 1)) for i in (DRIVE_CLOSE_RIGHT, DRIVE_CLOSE_LEFT))
        return motion, {"gaze": np.nan_to_num(gaze), "closure": closure, "tongue_out": float(np.clip(w[_TONGUE], 0, 1)),
                        "jaw_gap": jaw_gap, "weights": w}

    def drawn_gap(self, drive: np.ndarray) -> float:
        """The inner-lip gap (IPD) the model draws for a (93,) drive: the lips' middle moved by the
        controls' templates, no render (the fold-free projection left out: it only meets lips that
        cross). The closed loop keeps lips asked open from being drawn shut with it."""
        from . import landmarks as L

        up, lo = list(L.LIP_INNER_UPPER[3:8]), list(L.LIP_INNER_LOWER[3:8])
        ids = up + lo
        c = self.model.controls(drive)
        pts = self.points[ids] + np.tensordot(c, self.model.basis[:, ids], axes=1) + self._rest_overlap[ids]
        down = self.model.frame.rotation[:, 1]
        return float(np.mean((pts[len(up):] - pts[:len(up)]) @ down)) / self.model.frame.sx

    def frames(self, track: ExpressionTrack, *, fps: float | None = None, duration: float | None = None,
               face_id: int | None = None, reuse: bool = False) -> Iterator[np.ndarray]:
        """Render a track at ``fps`` (default: the track's) for ``duration`` seconds (default: the
        track's length). After the track ends the face eases back to rest in 0.4 s and stays there.

        Yields
        ------
        np.ndarray [shape=(h, w, 3|4), dtype=uint8]
        """
        for f in timeline(track, fps=fps, duration=duration, face_id=face_id):
            yield self.render(f, reuse=reuse)


# A neutral rest's cheek raise (CheekSquint, AU6) taken off moves no skin further than
# CHEEK_REST_REACH x what it moves the unit's own point, the infraorbital cheek
# (geometry.CHEEK_UPPER). The template's apple sits below that point and moved the mid-cheek
# (205/425) 2.4x as far: the astronaut's rest (CheekSquint 0.42-0.45) pulled it 0.12 IPD down for a
# 0.05 drop at that point, her whole rest's mid-cheek 0.128 (a hollow from the nose to the jaw),
# more than three real full smiles raise it (0.075-0.111); they move it 1.34 / 1.32 / 1.45x their
# infraorbital rise (CK+ S052 / S055 / S074, neutral onset -> apex, the corners' pull included).
CHEEK_REST_REACH = 1.45


def rest_overlap(model, points: np.ndarray) -> np.ndarray:
    """What a neutral rest over-subtracts, (478, 2) px, to add back to every frame's motion.

    The capture stage reads one motion of a smiling photo as several channels at once (the cheek
    raise is also CheekSquint, NoseSneer and MouthUpperUp), and their templates overlap, so taking
    each off in full moves the skin where they overlap back two or three times as far as the photo
    ever moved it (0-f15-hao: the nose wings 0.24 IPD down, the astronaut's nose drawn into a
    snout). Each landmark is moved back at most as far as the largest single channel moves it.
    The cheek raise's own move back reaches no skin further than :data:`CHEEK_REST_REACH` x its
    move at the unit's point (the infraorbital cheek), as far as a real smile's reaches.
    The lips are exempt: their rest is sized to close the photo's lip gap exactly
    (``model._rest_lips``/``_rest_jaw``), which needs the sum.

    Parameters
    ----------
    model : DisplacementModel
        With ``rest_mix`` (K,) and ``basis`` (K, 478, 2); a model without an absolute rest gives zeros.
    points : np.ndarray [shape=(478, 2)]
        The photo's landmark pixels.

    Returns
    -------
    np.ndarray [shape=(478, 2), dtype=float32]
    """
    from . import landmarks as L
    from .model import CHEEK_UPPER

    if not model.absolute or model.rest_mix is None:
        return np.zeros(model.basis.shape[1:], np.float32)
    parts = -np.asarray(model.rest_mix, np.float64)[:, None, None] * model.basis  # each channel's move back
    drawn = parts.sum(0)  # what the frame's motion holds
    for side in ("right", "left"):
        k = CONTROL_NAMES.index(f"cheek_squint_{side}")
        move = np.linalg.norm(parts[k], axis=1)
        reach = CHEEK_REST_REACH * float(move[CHEEK_UPPER[side]])
        parts[k] *= np.minimum(1.0, reach / np.maximum(move, 1e-9))[:, None]
    total = parts.sum(0)
    largest = np.linalg.norm(parts, axis=2).max(0)
    norm = np.linalg.norm(total, axis=1)
    keep = np.minimum(1.0, largest / np.maximum(norm, 1e-9))
    lips = list(L.LIP_OUTER_UPPER + L.LIP_OUTER_LOWER + L.LIP_INNER_UPPER + L.LIP_INNER_LOWER)
    ipd = float(np.linalg.norm(points[468] - points[473]))
    d = np.min(np.linalg.norm(points[:, None, :2] - points[None, lips, :2], axis=2), axis=1) / max(ipd, 1e-6)
    t = np.clip(d / 0.15, 0.0, 1.0)
    exempt = 1.0 - t * t * (3 - 2 * t)  # 1 on the lips, 0 from 0.15 IPD away
    keep = exempt + (1.0 - exempt) * keep
    return (total * keep[:, None] - drawn).astype(np.float32)


def edge_on_rest(model, points: np.ndarray, overlap: np.ndarray) -> np.ndarray:
    """What to add to every frame's motion, (478, 2) px, so that the neutral rest's motion along
    the eye line is foreshortened where a turned face's far side is seen edge-on
    (``model.foreshorten_edge_on``).

    The rest is taken off in template amounts sized for a face seen from the front, uncalibrated
    (the requests' curves are measured on re-tracked renders); on 45-m7-di-ph.jpg, turned 34
    degrees, it pulled the far mouth corner, which the tracker puts on the face's outline, 7 px
    inwards over a 5 px strip of cheek (a white notch on every frame).

    Parameters
    ----------
    model : DisplacementModel
        With ``rest_mix`` (K,) and ``basis`` (K, 478, 2); a model without an absolute rest gives zeros.
    points : np.ndarray [shape=(478, 3)]
        The photo's landmark pixels (x, y, depth), as the model was built on.
    overlap : np.ndarray [shape=(478, 2)]
        :func:`rest_overlap` of the model (part of the rest's motion).

    Returns
    -------
    np.ndarray [shape=(478, 2), dtype=float32]
    """
    pts = np.asarray(points, np.float64)
    if not model.absolute or model.rest_mix is None or pts.shape[1] < 3:
        return np.zeros(model.basis.shape[1:], np.float32)
    rest = -np.tensordot(np.asarray(model.rest_mix, np.float64), model.basis, axes=1) + overlap
    return (foreshorten_edge_on(rest, pts, model.frame) - rest).astype(np.float32)


REST_BROW_TOLERANCE = 0.003  # IPD: a brow this much more oblique than allowed is left as it is
REST_BROW_ROUNDS = 3


def level_rest_brows(model, points: np.ndarray):
    """``model`` (an absolute rest, ``rest="neutral"``) with its rest's inner brow raise grown
    where taking the rest away would leave a brow more oblique than the photo's own brow or level,
    whichever is more oblique (obliqueness: the inner end's raise minus the outer end's, against
    the population's neutral, ``geometry.measure``).

    A frown is read as BrowLowerer, whose template (AU4) lifts the inner brow most when the rest
    takes it away; a photo whose whole brow is pulled down (15-f13-anc-ph.jpg: inner 0.06-0.08,
    outer 0.06-0.085 IPD below the population's neutral) was left with worried, oblique brows
    (inner minus outer: 0.023 in the photo, 0.088 at rest on her right) on every frame, a smile
    included. The rest's BrowInnerUp grows until the rest frame's brow is no more oblique (a few
    measured rounds: the calibrated response curves are not linear).

    Parameters
    ----------
    model : DisplacementModel
    points : np.ndarray [shape=(478, 3)]
        The photo's landmark pixels (x, y, depth), as the model was built on.
    """
    from ...expressions import geometry

    if not model.absolute or model.rest_mix is None:
        return model
    pts = np.asarray(points, np.float64)[:, :3]
    photo = geometry.measure(pts, (1.0, 1.0))
    allowed = np.maximum(photo.brow_inner_raise - photo.brow_outer_raise, 0.0)  # (left, right)
    zero = drive_vector(np.zeros(len(UE_NAMES), np.float32), (1.0, 1.0))
    inner = (ue_index("BrowInnerUpLeft"), ue_index("BrowInnerUpRight"))
    extent = geometry.CHANNELS["BrowInnerUpLeft"].full_extent
    for _ in range(REST_BROW_ROUNDS):
        moved = pts.copy()
        moved[:, :2] += model.displacement(zero) + rest_overlap(model, pts[:, :2])
        m = geometry.measure(moved, (1.0, 1.0))
        excess = (m.brow_inner_raise - m.brow_outer_raise) - allowed
        if not np.any(np.isfinite(excess) & (excess > REST_BROW_TOLERANCE)):
            break
        delta = np.zeros_like(np.asarray(model.rest, np.float32))
        for g, k in enumerate(inner):
            if np.isfinite(excess[g]) and excess[g] > REST_BROW_TOLERANCE:
                delta[k] = excess[g] / extent
        model = model.replace(rest=np.asarray(model.rest, np.float32) + delta,
                              rest_mix=np.asarray(model.rest_mix, np.float32) + model.mix @ delta)
    return model


def photo_lids(frame) -> tuple[float, float]:
    """(right, left) the photo's own EyeClosed (``1 - openness``, share of a fully open eye; 0
    where capture read none)."""
    return tuple(float(np.nan_to_num(1.0 - o, nan=0.0)) for o in (frame.openness_right, frame.openness_left))


def frame_drive(weights: np.ndarray, openness: tuple[float, float],
                photo: tuple[float, float] = (0.0, 0.0), rest_lids: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The (93,) drive of a frame on a photo whose lids are closed ``photo`` (right, left).

    The drive's closure slots count the photo's *own* lid aperture from an open eye
    (:func:`.implied.photo_closure`): the rest's slots (:func:`neutral_rest`) hold the photo's own
    lids, so a frame's slot less the rest's is the share of the photo's aperture it closes, the
    unit the lid template, the lash line and the closed loop's closure slots work in. The frame's
    ``openness`` (right, left) is a share of a fully open eye (EyeClosed = ``1 - openness``,
    docs/units.md). The one place the unit is converted.

    Parameters
    ----------
    weights : np.ndarray [shape=(88,)]
    openness : (right, left), 1 open
    photo : (right, left) the photo's own EyeClosed (:func:`photo_lids`; 0: the photo is the open eye)
    rest_lids : (right, left) the EyeClosed the sitter's face rests with (``rest="neutral"``: the
        part of ``photo`` within a real neutral face's spread, ``emotions.neutral``): a frame's
        closure counts from there, ``rest_lids + closure x (1 - rest_lids)`` (an open frame keeps
        the sitter's own lids; a blink shuts them)
    """
    r = np.asarray(rest_lids, np.float64)
    closure = r + (1.0 - np.asarray(openness, np.float64)) * (1.0 - r)
    shut = photo_closure(closure, np.asarray(photo, np.float64))
    # (drive_vector takes openness: 1 - slot)
    return drive_vector(weights, (1.0 - float(shut[0]), 1.0 - float(shut[1])))


def neutral_rest(frame, points: np.ndarray, photo_size: tuple[int, int] | None = None) -> np.ndarray:
    """The (93,) drive of the photo's own expression, in the unit, for ``rest="neutral"``.

    The capture stage's weights of the photo (measured against the population rest, as for every
    photo) beyond what real neutral faces read (``emotions.neutral.beyond_neutral``: a sitter's
    own face at rest is not taken for an expression), with the lips' press raised to all of the red
    lip they lost, a smile's stretched lips included (``geometry.photo_rest_weights`` of the frame's landmarks in ``photo_size``, the
    picture they are normalised by), except the mouth's opening: the rest implies exactly the photo's own inner-lip gap
    (``expressions.mouth.implied_lip_gap``), so taking it away closes the lips, no more. The lip
    shapes (MouthUpperUp, MouthLowerDown) take their share of the gap first and JawOpen the rest,
    at most what the capture stage reads (lips that are together hold no jaw opening: a long chin
    is a face, not an expression); MouthClosed's rest is 0 (the lips the rest keeps together are
    already in its gap). The model then sizes the rest's jaw on the photo's own landmarks so that
    taking the rest away brings the lips exactly together (``model._rest_jaw``). The eyes' rest is
    the photo's own lids counted in their own aperture (:func:`frame_drive`), as every frame's
    closure is: the rest's lids taken off in template amounts raise them to an open eye."""
    from ...expressions import geometry
    from ...expressions.mouth import implied_lip_gap

    read = geometry.photo_rest_weights(frame.weights, frame.landmarks if photo_size is not None else None, photo_size)
    gap = float(geometry.measure(np.asarray(points, np.float64)[:, :3], (1.0, 1.0)).lip_gap)
    jaw, closed = ue_index("JawOpen"), ue_index("MouthClosed")
    # Only what lies beyond a real neutral face's own range is taken off (emotions.neutral: a
    # sitter with open eyes or low brows keeps them); the mouth's opening is the lips' gap's below.
    w = beyond_neutral(read, lips_apart=bool(gap > LIPS_MEET_GAP))
    w[jaw] = read[jaw]
    w[closed] = 0.0
    if np.isfinite(gap):
        lips = w.copy()
        lips[jaw] = 0.0
        rest_of_gap = max(gap, 0.0) - float(implied_lip_gap(lips))
        w[jaw] = float(np.clip(rest_of_gap / geometry.MOUTH_CLOSED_GAP_EXTENT, 0.0, max(w[jaw], 0.0)))
    return frame_drive(w, (frame.openness_right, frame.openness_left), photo_lids(frame))


def timeline(track: ExpressionTrack, *, fps: float | None = None, duration: float | None = None,
             face_id: int | None = None, ease: float = 0.4) -> list[ExpressionFrame]:
    """One face's frames at a steady ``fps``, padded to ``duration`` by easing back to rest.

    Parameters
    ----------
    track : ExpressionTrack
        Any track (several faces: the first, or ``face_id``).
    fps : float, optional
        Output rate (default: the track's).
    duration : float, optional
        Seconds of output (default: the track's own length).
    ease : float
        Seconds to relax from the last frame to the rest pose after the track ends.
    """
    one = track.single_face(face_id).fill_gaps("hold")
    fps = float(fps or one.fps)
    if not (fps > 0 and math.isfinite(fps)):
        raise ParameterError(f"fps must be a positive number, got {fps!r}")
    frames = list(one.resample(fps))
    if not frames:
        raise ParameterError("the track has no frames to animate")
    t0 = frames[0].time
    total = len(frames) if duration is None else max(int(round(duration * fps)), 1)
    frames = frames[:total]
    last = frames[-1]
    rest = ExpressionFrame.neutral()
    n_track = len(frames)
    for i in range(n_track, total):
        t = (i - n_track + 1) / fps
        k = min(t / ease, 1.0) if ease > 0 else 1.0
        k = k * k * (3 - 2 * k)
        frames.append(last.replace(
            time=t0 + i / fps,
            weights=(np.nan_to_num(last.weights) * (1 - k)).astype(np.float32),
            gaze_left=tuple(np.asarray(last.gaze_left) * (1 - k)),
            gaze_right=tuple(np.asarray(last.gaze_right) * (1 - k)),
            openness_left=last.openness_left + (rest.openness_left - last.openness_left) * k,
            openness_right=last.openness_right + (rest.openness_right - last.openness_right) * k,
            head_rotation=tuple(np.nan_to_num(np.asarray(last.head_rotation, np.float64)) * (1 - k)),
            present=True))
    return frames
