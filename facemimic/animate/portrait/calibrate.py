"""Calibration with the capture stage as the critic, and re-tracking helpers.

The displacement model is already in the unit on the photo's landmarks (``model.unit_gains``): a
template amount of 1 moves them by the channel's full extent (``docs/units.md``). What the warp
and the tracker make of that motion on the rendered picture is measured here: for each group of
controls (jaw, smile, lids, brows …) the portrait is rendered at a few amounts, every render is
re-tracked by the capture stage, its landmarks are measured with
:func:`facemimic.expressions.geometry.measure` against the re-tracked photo itself (the photo is
the rest), and the measured extent gives a monotone curve *requested weight -> template amount*
whose re-tracked extent is ``weight x full extent``. MediaPipe's blendshape scores are never read.
The lips are probed too (:func:`lips_probes`): the gap drawn against the gap re-tracked, which the
closed loop (``refine.py``) needs from the first frame on a face the tracker reads far wider.

The renders of one calibration are drawn and re-tracked on one thread per core (up to 4), each
with its own IMAGE-mode landmarker: every probe is judged on its own, so the readings are those
of one thread.
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

from ...expressions import geometry
from .landmarks import BROW_LOWER, EYE_UPPER
from .model import CONTROL_NAMES, HELD_SHARE, SIDES, ResponseCurves

# group -> (controls, UE channels measured on the re-tracked landmarks; "closure" = the share of
# the photo's own eyelid aperture that closed)
GROUPS = {
    "jaw": (("jaw_open",), ("JawOpen",)),
    "smile": (("corner_pull_right", "corner_pull_left"), ("MouthCornerPullRight", "MouthCornerPullLeft")),
    "blink": (("eye_close_right", "eye_close_left"), ("closure",)),
    "brow_up": (("brow_inner_up_right", "brow_inner_up_left"), ("BrowInnerUpRight", "BrowInnerUpLeft")),
    "brow_down": (("brow_lower_right", "brow_lower_left"), ("BrowLowererRight", "BrowLowererLeft")),
    "outer_up": (("brow_outer_up_right", "brow_outer_up_left"), ("BrowOuterUpRight", "BrowOuterUpLeft")),
    "frown": (("frown_right", "frown_left"), ("MouthFrownRight", "MouthFrownLeft")),
    "stretch": (("stretch_right", "stretch_left"), ("MouthStretchRight", "MouthStretchLeft")),
    "upper_up": (("upper_up_right", "upper_up_left"), ("MouthUpperUpRight", "MouthUpperUpLeft")),
    "lower_down": (("lower_down_right", "lower_down_left"), ("MouthLowerDownRight", "MouthLowerDownLeft")),
    "pucker": (("pucker_right", "pucker_left"), ("LipPuckerUpperRight",)),
    "wide": (("eye_wide_right", "eye_wide_left"), ("EyeWideRight", "EyeWideLeft")),
}
AMOUNTS = (0.3, 0.6, 1.0)  # template amounts (weights, in the unit) rendered per group (0 = the photo)
# Lids cannot close further than shut: beyond ~1 they cross.
GROUP_AMOUNTS = {"blink": (0.4, 0.6, 0.7, 0.8, 0.9, 1.0), "jaw": (0.2, 0.4, 0.7)}  # the jaw where speech lives
KNOTS = np.array([-1.0, -0.5, 0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0], np.float32)  # requested weights
# A probe reading this much (weight units) below a smaller probe's is the tracker's noise, not its
# reading collapsing (MouthStretch 0.3 is 0.06 IPD, ~7 px at 512 px: a pixel is 0.02)
FALL_TOLERANCE = 0.05
MIN_RESPONSE = 0.1  # below this share of the request at amount 1 the tracker does not see the group
GAIN_RANGE = (0.4, 2.5)  # a calibrated curve asks for 0.4x-2.5x the unit's landmark motion (1/2.5 to 2.5)
MAX_AMOUNT = {"blink": 1.05}  # closed is closed
# The jaw's curve asks at most this gain over the unit's own amount: sealed, the chin is read
# 0.6-0.7 of its motion on single_face.jpg and 0-f15-hao-ph.jpg (gain 1.4-1.7); lower readings
# are not the chin's (0-f1-su-ph.jpg's chin sits 0.34 IPD above the picture's edge and its
# reading stalls at 0.19 of the request: a gain of 2.5 there gaped every vowel and parted 3 of 14
# /p b m/ closures in --say).
# The raised brows' too: MediaPipe reads a warped brow's raise at 0.4-0.5 of its motion on some
# faces (0-f1-su's left outer brow), and a curve chasing that to the 2.5 limit drew su's surprised
# outer brow at 1.89 for 0.83 (rest="neutral"), squeezing the forehead skin between the brows and the
# mesh's outline to 0.35 of its area (test_portrait_forehead; the three-probe curves asked <= 1.8x).
GROUP_GAIN_RANGE = {"jaw": (0.5, 1.7), "brow_up": (0.4, 2.0), "outer_up": (0.4, 2.0)}
# The jaw's curve never extrapolates past its largest probe by more than this factor: beyond the
# probes the tracker's reading of a warped chin collapses (0-f1-su at JawOpen 0.6 asked 1.36, read
# a chin *rising*), so a request past the probes gets at most 1.2 x the largest probe's amount.
JAW_EXTRAPOLATION = 1.2
# The jaw is probed a second time with its lips held as the closed loop holds a vowel's
# (model.HELD_SHARE of the request's opening closed by MouthClosed, the request read off the jaw's
# first curve, drawn with the seal and the jaw's share as a frame is): the chin under held lips is
# read 0.39-0.59 of its motion on single_face.jpg where alone it reads 0.60-0.70, and the model
# blends to that curve as the lips are held (ResponseCurves.held_jaw).
HELD_JAW_AMOUNTS = GROUP_AMOUNTS["jaw"]
# The lips' response (rest="source"): the inner-lip gap the model draws against the gap the tracker
# reads on the render, probed with the jaw open LIPS_PROBE_JAW (uncalibrated) and MouthClosed
# holding the lips at each drawn gap of LIPS_PROBE_GAPS (IPD), the regime of speech's vowels. Most
# faces read about what is drawn (single_face: +0.01-0.06 IPD); 0-f1-su-ph.jpg (a surprised gape)
# reads drawn 0.05 at ~0.24 and 0.08-0.16 at its own gape, ~0.33: the closed loop learned that
# only after a few frames of a clip, whose first frames then gaped 0.36-0.43 (refine.py,
# ClosedLoop.lips_probe).
LIPS_PROBE_JAW = 0.3
LIPS_PROBE_GAPS = (0.03, 0.05, 0.08, 0.12, 0.18)
# A lowered brow cannot pass through the eyelid: the drawn inner brow (its lower edge's inner end)
# keeps at least this share of its gap to the upper lid's inner half at rest, measured on the
# model's own geometry (:func:`rest_brow_gaps`), never on the tracker. MediaPipe under-reads drawn
# brow lowering (the skin-only warp does not cast the brow ridge's shadow; astronaut.png's reading
# stalls at 0.27-0.29 of the unit from amount 0.6 on), so the curve asked the gain's limit, 2.5,
# and the closed loop added its own: an angry BrowLowerer 0.69 was drawn at 2.0-2.4, the inner
# brow 0.20-0.26 IPD down, through its 0.18 IPD gap onto the eye (dlib identity 0.40 -> 0.65 at
# the apex, the brows alone 0.51). The benchmark's photos have gaps of 0.15-0.30 IPD, and the
# unit's full lowering is 0.10 IPD; 15-f13-anc-ph.jpg, a posed anger reading BrowLowerer 0.89,
# keeps 0.16 IPD, about 0.6 of the 0.25 its brows' reading puts back.
BROW_LID_KEEP = 0.5
BROW_INNER_LOWER = {s: BROW_LOWER[s][-2:] for s in SIDES}  # the lower edge's two inner points
LID_INNER_UPPER = {s: EYE_UPPER[s][5:8] for s in SIDES}  # the upper lid's inner half, corner left out


def probe_workers() -> int:
    """How many threads render and re-track calibration probes: one per core, at most 4 (each has
    its own landmarker; MediaPipe runs landmarkers on separate threads in parallel)."""
    return max(1, min(os.cpu_count() or 1, 4))


def _render_and_retrack(render: Callable, jobs: list, centre: np.ndarray | None, *, workers: int,
                        new_scratch: Callable) -> list:
    """``retrack([render(job, scratch) for job in jobs], centre)``, spread over ``workers`` threads.

    Every probe is rendered and judged on its own (IMAGE mode: no state between images), so the
    readings are those of one thread; each worker has its own landmarker and render buffers
    (``new_scratch()``) and takes every ``workers``-th probe. Rendering (NumPy/OpenCV) and
    re-tracking (MediaPipe) release the GIL for most of their work: on 2 cores two workers
    calibrate in ~60 % of one's wall time. An error in any worker stops the others and is
    raised here."""
    import threading

    out: list = [None] * len(jobs)
    failure: list[BaseException] = []
    stop = threading.Event()
    workers = max(1, min(workers, len(jobs)))
    trackers: list[StillTracker] = []
    try:
        # Landmarkers are made, and run for the first time, on this thread only: MediaPipe's native
        # log lines are silenced then by swapping file descriptor 2 for the whole process, which
        # must not happen on two threads at once.
        scratches = [new_scratch() for _ in range(workers)]
        for k in range(workers):
            trackers.append(StillTracker())
            out[k] = retrack([render(jobs[k], scratches[k])], centre, tracker=trackers[k])[0]

        def work(k: int) -> None:
            try:
                for j in range(k + workers, len(jobs), workers):
                    if stop.is_set():
                        return
                    out[j] = retrack([render(jobs[j], scratches[k])], centre, tracker=trackers[k])[0]
            except BaseException as e:  # noqa: BLE001 - handed to the calling thread
                failure.append(e)
                stop.set()

        threads = [threading.Thread(target=work, args=(k,), name=f"facemimic-calibration-{k}", daemon=True)
                   for k in range(1, workers)]
        for t in threads:
            t.start()
        try:
            work(0)
        finally:
            for t in threads:
                t.join()
    finally:
        for tracker in trackers:
            tracker.close()
    if failure:
        raise failure[0]
    return out


def at_photo_scale(photo, frames, size: tuple[int, int], rest: np.ndarray | None) -> geometry.FaceMeasures:
    """Measures of re-tracked renders against the re-tracked photo, all at the photo's own IPD.

    Parameters
    ----------
    photo : ExpressionFrame
        The re-tracked photo (with landmarks): the rest, and the person whose IPD is the unit.
    frames : list of ExpressionFrame or None
        Re-tracked renders of that photo (None or lost: NaN measures).
    size : (width, height)
        Of the re-tracked images.
    rest : np.ndarray [shape=(478, 3)]
        The photo's rest face (:func:`rest_of`).

    Returns
    -------
    geometry.FaceMeasures
        ``(T,)`` / ``(T, 2)`` arrays, one row per frame.
    """
    # One person, one IPD (docs/units.md): geometry takes a sequence's IPD / face size as the
    # median over its frames, so the photo is given T + 1 times (it is then that median) and every
    # render is scaled by the photo's own iris distance, the one its rest face is measured in. A
    # render's own iris reading is off by 1-2 % from render to render on the warped picture (the
    # jaw dropping reads it wider), and a 1 % scale error moves a mouth corner 0.5 IPD from the
    # midline by 0.005 IPD: 8 % of a MouthStretch 0.3 request.
    nan = np.full((478, 3), np.nan)
    lm0 = np.asarray(photo.landmarks, np.float64)
    lm = [np.asarray(f.landmarks, np.float64) if f is not None and f.present and f.landmarks is not None else nan
          for f in frames]
    m = geometry.measure(np.stack([lm0] * (len(lm) + 1) + lm), size, rest)
    t = len(lm) + 1
    return geometry.FaceMeasures(**{k: v[t:] for k, v in m.as_dict().items()}, rest_kind=m.rest_kind)


def reading(m: geometry.FaceMeasures, t: int, channels: tuple[str, ...], aperture0=None) -> float:
    """Mean re-tracked extent of ``channels`` in frame ``t`` of ``m``, in weight units (measure /
    full extent).

    Parameters
    ----------
    m : geometry.FaceMeasures
        Measures of re-tracked renders (:func:`at_photo_scale`).
    t : int
        Which frame.
    channels : tuple of str
        UE channels of ``geometry.CHANNELS``, or ``("closure",)``: the share of the rest's eyelid
        aperture ``aperture0`` (2,) that closed; ``("JawOpen",)``: the chin drop.
    """
    if channels == ("closure",):
        return float(np.mean((aperture0 - m.eye_aperture[t]) / np.maximum(aperture0, 1e-3)))
    if channels == ("JawOpen",):
        # The jaw is judged by its chin alone, as the unit defines it. MediaPipe under-reads a
        # warped photo's chin as the jaw drops further; judging it by the mean of chin and lip gap
        # left the chin at 0.7-0.8 of the request. What kept the chin-only curve from gaping
        # (asking far past the probes where the reading collapses) is JAW_EXTRAPOLATION.
        return float(m.jaw_drop[t]) / geometry.CHANNELS["JawOpen"].full_extent
    vals = []
    for c in channels:
        ch = geometry.CHANNELS[c]
        v = getattr(m, ch.measure)[t]
        vals.append(float(v if ch.side is None else v[ch.side]) / ch.full_extent)
    return float(np.mean(vals))


def rest_of(frame, size: tuple[int, int]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The re-tracked photo's rest face (face-frame points, ``geometry.rest_face``) and its
    eyelid apertures (2,) (IPD units), or (None, None) when the tracker lost it."""
    if frame is None or not frame.present or frame.landmarks is None:
        return None, None
    lm = np.asarray(frame.landmarks, np.float64)
    rest = geometry.rest_face(lm, size)
    return rest, np.asarray(geometry.measure(lm, size, rest).eye_aperture, np.float64)


def _capture_still_tracker():
    from ...capture.api import StillTracker as CaptureStillTracker

    return CaptureStillTracker


class StillTracker:
    """The capture stage's :class:`~facemimic.capture.api.StillTracker` for renders: RGBA renders
    are flattened on white first. Use as a context manager."""

    def __init__(self, *, max_faces: int = 4) -> None:
        self._tracker = _capture_still_tracker()(max_faces=max_faces)
        self.options = self._tracker.options

    def faces(self, image: np.ndarray, time: float = 0.0) -> list:
        """ExpressionFrames (with landmarks) of every face in one RGB(A) image."""
        from .source import flatten_alpha

        return self._tracker.faces(flatten_alpha(image), time)

    def landmarks(self, image: np.ndarray) -> list[np.ndarray]:
        """(478, 3) float32 landmarks (normalised x, y, z) of every face in one RGB(A) image, the
        same values as :meth:`faces`' without solving the faces' weights (the closed loop reads
        landmarks only; the solver cost ~0.5 ms a re-track on its critical path, the blendshape
        model and its scores' conversion ~0.7 ms more: :meth:`.capture.api.StillTracker.landmarks`)."""
        from .source import flatten_alpha

        return self._tracker.landmarks(flatten_alpha(image))

    def close(self) -> None:
        self._tracker.close()

    def __enter__(self) -> "StillTracker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def retrack(images, centre: np.ndarray | None = None, *, max_faces: int = 4,
            tracker: StillTracker | None = None) -> list:
    """Re-track images one by one (IMAGE mode, no smoothing) with the capture stage.

    Parameters
    ----------
    images : iterable of np.ndarray [shape=(H, W, 3|4), dtype=uint8]
    centre : np.ndarray [shape=(2,)], optional
        Pixel position of the face of interest; with several faces the nearest is kept.

    Returns
    -------
    list of ExpressionFrame or None (no face), one per image.
    """
    own = tracker is None
    tracker = tracker or StillTracker(max_faces=max_faces)
    out = []
    try:
        for i, im in enumerate(images):
            h, w = im.shape[:2]
            cands = tracker.faces(im, time=float(i))
            if not cands:
                out.append(None)
            elif centre is None or len(cands) == 1:
                out.append(cands[0])
            else:
                def dist(f):
                    lm = np.asarray(f.landmarks)[:, :2] * (w, h)
                    return float(np.linalg.norm(lm.mean(0) - centre))
                out.append(min(cands, key=dist))
    finally:
        if own:
            tracker.close()
    return out


def _constants() -> dict:
    """The tuning constants a calibration depends on (part of its cache key)."""
    return {"AMOUNTS": AMOUNTS, "GROUP_AMOUNTS": GROUP_AMOUNTS, "KNOTS": KNOTS.tolist(),
            "MIN_RESPONSE": MIN_RESPONSE, "GAIN_RANGE": GAIN_RANGE, "MAX_AMOUNT": MAX_AMOUNT,
            "JAW_EXTRAPOLATION": JAW_EXTRAPOLATION,
            "units": "extent", "probes": "sealed",
            "GROUP_GAIN_RANGE": GROUP_GAIN_RANGE,
            "LIPS_PROBE_JAW": LIPS_PROBE_JAW, "LIPS_PROBE_GAPS": LIPS_PROBE_GAPS,
            "BROW_LID_KEEP": BROW_LID_KEEP, "REFINE_NEAR": REFINE_NEAR, "FALL_TOLERANCE": FALL_TOLERANCE,
            "scale": "photo IPD", "HELD_SHARE": HELD_SHARE, "HELD_JAW_AMOUNTS": HELD_JAW_AMOUNTS}


def calibrate(animator, *, groups: dict | None = None, amounts: tuple[float, ...] = AMOUNTS,
              progress: Callable[[int, int], None] | None = None, cache: bool = True
              ) -> tuple[ResponseCurves, dict]:
    """Fit per-control response curves for a :class:`PortraitAnimator` in the unit.

    Parameters
    ----------
    groups : dict, optional
        group -> (controls, channels); default :data:`GROUPS`.
    amounts : tuple of float
        Template amounts probed per group.
    cache : bool
        Reuse (and keep) the result in the user cache, keyed by the portrait's content and every
        option (:mod:`.calibration_cache`); ``FACEMIMIC_NO_CACHE=1`` turns it off everywhere.

    Returns
    -------
    (ResponseCurves, report)
        ``report[group] = {"amounts": [...], "response": [...] (re-tracked extent / full extent),
        "curve": [...] (at :data:`KNOTS`)}``; a group of two sided controls has them per side
        (``"amounts_right"``, ``"response_left"``, ``"curve_right"`` …) and ``"curve"`` their mean;
        and with ``rest="source"`` ``report["lips"] = {"drawn": [...], "read":
        [...]}`` (inner-lip gaps in IPD, :data:`LIPS_PROBE_GAPS`: the closed loop starts from
        them). (No cross-talk between controls is cancelled: a smile does raise the cheeks.)
    """
    groups = GROUPS if groups is None else groups
    key = store = None
    if cache:
        from . import calibration_cache as cc

        store = cc.calibration_cache()
        if store.enabled:
            key = cc.calibration_key(animator, groups=groups, amounts=amounts, constants=_constants())
            found = cc.load(key, store)
            if found is not None:
                if progress:
                    progress(1, 1)
                return found
    result = _calibrate(animator, groups=groups, amounts=amounts, progress=progress)
    if key is not None:
        cc.store(key, result, store)
    return result


def _calibrate(animator, *, groups: dict, amounts: tuple[float, ...],
               progress: Callable[[int, int], None] | None):
    model = animator.model
    k = len(CONTROL_NAMES)
    index = {n: i for i, n in enumerate(CONTROL_NAMES)}
    x0, y0, x1, y1 = animator.warp.roi
    size = (x1 - x0, y1 - y0)

    def probe(g: str, a: tuple) -> tuple:
        """(landmark motion, lid closure, jaw's gap, UE weights) of group ``g`` at template amounts
        ``a`` (one per control of the group)."""
        c = np.zeros(k, np.float32)
        for name, amount in zip(groups[g][0], a):
            c[index[name]] = amount
        # Every group is probed as it is drawn: with the seal the model adds for that request
        # (the photo's own lip gap closed by the lower lip as the jaw opens, relaxed to a
        # speaking rest as the lips pucker or stretch). Unsealed, a toothy or gaping photo's
        # lips part by the photo's gap on top of the jaw's, and MediaPipe reads a gaping
        # mouth's chin further down than the same chin under sealed lips (curves fitted
        # unsealed left the chin at 0.65 of the driver's in reenactment); a gaping pucker
        # reads narrower than the relaxed one drawn (0-f1-su: LipPucker 0.3 read 1.39x).
        c[index["seal"]], c[index["seal_corners"]] = _probe_seal(model, groups[g][0], a)
        motion = np.tensordot(c, model.basis, axes=1)
        closure = (max(a[0], 0.0), max(a[-1], 0.0)) if g == "blink" else (0.0, 0.0)
        # ... and painted as a frame is (PortraitAnimator.draw): the mouth told how much of the
        # lips' opening is the jaw's (the lower teeth drop with the jaw; a lower lip pulled down
        # alone bares them: painted as the jaw's, anc's MouthLowerDown 0.3 re-tracked 1.11 where
        # the frame drawn at the same amount read 1.35), and the creases of the request.
        return motion, closure, _jaw_gap(model, c), _probe_weights(model, groups[g][0], a)

    def held_probe(a: float, request: float) -> tuple:
        """The jaw at template amount ``a`` with the lips held as a frame asking JawOpen ``request``
        holds them: MouthClosed = HELD_SHARE x request (template amount, its unit the jaw's)."""
        from ...expressions.names import N_UE, ue_index
        from .model import drive_vector

        w = np.zeros(N_UE, np.float32)
        w[ue_index("JawOpen")] = request
        w[ue_index("MouthClosed")] = HELD_SHARE * request
        c = np.zeros(k, np.float32)
        c[index["jaw_open"]] = a
        c[index["lips_close"]] = HELD_SHARE * request
        model.set_seal(c, drive_vector(w, (1.0, 1.0)))
        return np.tensordot(c, model.basis, axes=1), (0.0, 0.0), _jaw_gap(model, c), w

    def render_and_retrack(jobs: list) -> list:
        # The probes are rendered and re-tracked on one thread per core (the same readings as one thread).
        return _render_and_retrack(
            lambda job, scratch: animator.render_parts(job[0], closure=job[1], jaw_gap=job[2], weights=job[3],
                                                       scratch=scratch)[y0:y1, x0:x1].copy(),
            jobs, centre, workers=probe_workers(), new_scratch=animator.new_scratch)

    # What to render: (landmark motion, lid closure) per probe; the photo itself comes first.
    jobs = [(np.zeros((len(animator.points), 2), np.float32), (0.0, 0.0), None, None)]
    plan = []
    for g, (controls, _) in groups.items():
        for a in (GROUP_AMOUNTS.get(g, amounts) if amounts is AMOUNTS else amounts):
            jobs.append(probe(g, (a,) * len(controls)))
            plan.append((g, (a,) * len(controls)))
    if not model.absolute:  # rest="neutral" draws the asked gap itself (refine.py, _hold_within)
        for gap, motion, jaw_gap in lips_probes(animator):
            jobs.append((motion, (0.0, 0.0), jaw_gap, None))
            plan.append(("lips", gap))
    centre = animator.points.mean(0) - (x0, y0)
    tracked = render_and_retrack(jobs)
    photo = tracked[0]
    rest, aperture0 = rest_of(photo, size)
    values = np.tile(KNOTS, (k, 1)).astype(np.float32)
    report = {}
    if rest is None:  # the tracker lost the photo itself: nothing to measure against
        for g in groups:
            report[g] = {"amounts": [], "response": [], "curve": "identity (the photo was not re-tracked)"}
        return ResponseCurves(KNOTS.copy(), values), report
    measures = at_photo_scale(photo, tracked[1:], size, rest)
    fits = _fit_groups(animator, groups, plan, measures, aperture0)
    # Second round: each group is probed again as its first curves draw each knot's request (each
    # side at its own curve's amount; where no probe is already near), and refitted on all its
    # probes. Three probes spaced 0.3-0.4 apart left the curve between them to a straight line the
    # tracker does not follow (anc's MouthLowerDown 0.3 re-tracked at 1.45: its response rises
    # steeply below the first probe), and requests past the last probe to an extrapolation (su's
    # MouthFrown 0.6: asked 1.33, read 0.71). Probing the sides as the curves draw them also
    # measures what one side's reading takes from the other's motion (the tracker couples the
    # brows: anc's left outer brow drawn at 0.88 read 0.50 of the unit with the right at 0.53, and
    # 0.60 with both at 0.88).
    extra = [(g, a) for g, (controls, _) in groups.items() for a in _refine_amounts(g, controls, fits.get(g), plan)]
    held_jobs = []
    if "jaw" in groups and groups["jaw"][0] == ("jaw_open",):
        # the jaw under held lips, at the requests its first curve draws at these amounts
        first = fits["jaw"][1].get("jaw_open")
        for a in HELD_JAW_AMOUNTS:
            request = float(np.interp(a, first, KNOTS)) if first is not None else a
            held_jobs.append(held_probe(a, request))
            extra.append(("jaw_held", (a,)))  # last in extra, as held_jobs are rendered last
    if extra:
        more = render_and_retrack([probe(g, a) for g, a in extra if g != "jaw_held"] + held_jobs)
        plan = plan + extra
        tracked = tracked + more
        measures = at_photo_scale(photo, tracked[1:], size, rest)
        fits = _fit_groups(animator, groups, plan, measures, aperture0)
    if progress:
        progress(len(tracked), len(tracked))
    for g in groups:
        report[g], curves = fits[g]
        for name, curve in curves.items():
            values[index[name]] = curve
    held_jaw = None
    held = [t for t, (g, _) in enumerate(plan) if g == "jaw_held"]
    if held:
        amts = [0.0] + [plan[t][1][0] for t in held]
        resp = [0.0] + [reading(measures, t, ("JawOpen",)) for t in held]
        ok = np.isfinite(resp)
        amts, resp = np.asarray(amts)[ok], np.asarray(resp)[ok]
        report["jaw_held"] = {"share": round(HELD_SHARE, 3), "amounts": amts.round(3).tolist(),
                              "response": resp.round(3).tolist()}
        if "jaw_open" in fits["jaw"][1] and len(amts) >= 2 and resp.max() >= MIN_RESPONSE * amts.max():
            held_jaw = _fit_curve(amts, resp, "jaw")
            report["jaw_held"]["curve"] = held_jaw.round(3).tolist()
        else:
            report["jaw_held"]["curve"] = "the jaw's own (the tracker does not see it)"
    lips = [t for t, (g, _) in enumerate(plan) if g == "lips"]
    if lips:
        # read as the closed loop reads its frames (refine.py): each on its own
        def gap(f) -> float:
            if f is None or not f.present or f.landmarks is None:
                return float("nan")
            return float(geometry.measure(np.asarray(f.landmarks, np.float64), size, rest).lip_gap)

        report["lips"] = {"drawn": [round(float(plan[t][1]), 4) for t in lips],
                          "read": [round(gap(tracked[1 + t]), 4) for t in lips]}
    return ResponseCurves(KNOTS.copy(), values, held_jaw), report


# The second round re-probes a knot's amount only when no probe is this near it already (template amount).
REFINE_NEAR = 0.05


def _refine_amounts(group: str, controls: tuple[str, ...], fit, plan: list) -> list[tuple]:
    """Template amounts (one per control) to probe ``group`` at in calibration's second round: its
    first curves' amounts at the positive knots, less those with a probe within
    :data:`REFINE_NEAR` on every control. Groups with hand-chosen probes (:data:`GROUP_AMOUNTS`:
    the jaw where speech lives, the blink near shut) and groups the tracker does not see keep
    their first round."""
    if group in GROUP_AMOUNTS or fit is None or len(fit[1]) != len(controls):
        return []
    have = [np.asarray(a) for g, a in plan if g == group] + [np.zeros(len(controls))]
    out: list[tuple] = []
    for j in np.flatnonzero(KNOTS > 0):
        a = tuple(round(float(fit[1][name][j]), 3) for name in controls)
        if min(a) > 0 and min(np.max(np.abs(np.asarray(a) - b)) for b in have) >= REFINE_NEAR:
            out.append(a)
            have.append(np.asarray(a))
    return out


def _fit_groups(animator, groups: dict, plan: list, measures, aperture0) -> dict:
    """group -> (report entry, {control: curve at :data:`KNOTS`}, empty where the tracker does not
    see the group) from the probes' readings (``plan[t]`` = (group, amount) of ``measures``' frame
    ``t``).

    A group of two sided controls measured on two sided channels (right, left) gets a curve per
    side, each fitted on its own side's readings of the same probes: the tracker reads the two
    sides of a warped photo differently (single_face's outer brows at 0.86 / 1.14 of one curve
    fitted on their mean), and each side has its own control."""
    out = {}
    for g, (controls, channels) in groups.items():
        sided = len(controls) == 2 and len(channels) == 2
        parts = [(controls[k], (channels[k],)) for k in range(2)] if sided else [(None, channels)]
        entry: dict = {}
        curves: dict = {}
        for control, chans in parts:
            amts, resp = [0.0], [0.0]
            for t, (gg, a) in enumerate(plan):
                if gg == g:
                    v = reading(measures, t, chans, aperture0)
                    if np.isfinite(v):
                        amts.append(a[0] if control is None else a[controls.index(control)])
                        resp.append(v)
            order = np.argsort(amts, kind="stable")
            amts = np.asarray(amts, np.float64)[order]
            resp = np.asarray(resp, np.float64)[order]
            side = "" if control is None else "_" + SIDES[controls.index(control)]
            entry["amounts" + side] = amts.round(3).tolist()
            entry["response" + side] = resp.round(3).tolist()
            if len(amts) < 2 or resp.max() < MIN_RESPONSE * amts.max():
                entry["curve" + side] = "identity (the tracker does not see this group)"
                continue
            curve = _fit_curve(amts, resp, g)
            if g == "brow_down":
                # the anatomy's bound: a curve's amount is the template's motion from the rest's
                ceilings = brow_lower_ceiling(animator)
                ceiling = float(np.min(ceilings) if control is None else ceilings[controls.index(control)])
                curve = np.where(KNOTS > 0, np.minimum(curve, ceiling), curve).astype(np.float32)
                entry["ceiling" + side] = round(ceiling, 3)
            entry["curve" + side] = curve.round(3).tolist()
            for name in (controls if control is None else (control,)):
                curves[name] = curve
        if sided:
            # the two sides' mean curve, as one group's numbers read
            r, l_ = entry.get("curve_right"), entry.get("curve_left")
            if isinstance(r, list) and isinstance(l_, list):
                entry["curve"] = np.round((np.asarray(r) + np.asarray(l_)) / 2, 3).tolist()
            if "ceiling_right" in entry and "ceiling_left" in entry:
                entry["ceiling"] = min(entry["ceiling_right"], entry["ceiling_left"])
            if len(curves) < 2:  # a side the tracker does not see keeps the identity on both
                curves = {}
                entry["curve"] = "identity (the tracker does not see this group)"
        elif "curve" not in entry:
            entry["curve"] = "identity (the tracker does not see this group)"
        out[g] = (entry, curves)
    return out


def brow_lid_gaps(animator, motion: np.ndarray) -> np.ndarray:
    """(2,) gaps (IPD, right and left) between the inner brow's lower edge
    (:data:`BROW_INNER_LOWER`) and the upper lid's inner half (:data:`LID_INNER_UPPER`), measured
    along the face's down axis on the photo's landmarks moved by ``motion`` (478, 2) px."""
    pts = animator.points[:, :2] + motion
    down = animator.model.frame.rotation[:, 1]
    return np.array([float(np.mean(pts[list(LID_INNER_UPPER[s])] @ down) - np.mean(pts[list(BROW_INNER_LOWER[s])] @ down))
                     for s in SIDES]) / animator.model.frame.sx


def drawn_brow_gaps(animator, controls: np.ndarray) -> np.ndarray:
    """(2,) inner brow-to-upper-lid gaps (IPD, right and left) the model draws for (K,) template
    amounts ``controls`` (no render; the rest's overlap motion included once the animator has it)."""
    motion = np.tensordot(np.asarray(controls, np.float32), animator.model.basis, axes=1)
    overlap = getattr(animator, "_rest_overlap", None)
    return brow_lid_gaps(animator, motion if overlap is None else motion + overlap)


def rest_brow_gaps(animator) -> np.ndarray:
    """(2,) the inner brow-to-lid gaps (IPD, right and left) of the face at rest as drawn (all
    weights 0: the photo, or with ``rest="neutral"`` the photo with its own expression taken off)."""
    from ...expressions.names import N_UE
    from .model import drive_vector

    return drawn_brow_gaps(animator, animator.model.controls(drive_vector(np.zeros(N_UE, np.float32), (1.0, 1.0))))


def brow_lower_ceiling(animator) -> np.ndarray:
    """(2,) the largest ``brow_lower_{right,left}`` template amounts above the rest's that keep
    :data:`BROW_LID_KEEP` of the rest's inner brow-to-lid gap (:func:`rest_brow_gaps`): the
    template closes the gap linearly, so it is the gap given up over the closing per amount (inf
    where the template does not close it)."""
    model = animator.model
    gap0 = np.maximum(rest_brow_gaps(animator), 0.0)
    zero = brow_lid_gaps(animator, np.zeros((len(animator.points), 2), np.float32))
    out = np.full(len(SIDES), np.inf)
    for k, s in enumerate(SIDES):
        closing = zero[k] - brow_lid_gaps(animator, model.basis[CONTROL_NAMES.index(f"brow_lower_{s}")])[k]
        if closing > 1e-6:
            out[k] = gap0[k] * (1.0 - BROW_LID_KEEP) / closing
    return out


def drawn_lip_gap(animator, motion: np.ndarray) -> float:
    """The inner-lip gap (IPD) of the photo's landmarks moved by ``motion`` (478, 2) px: the mean
    vertical distance of the lips' five middle inner points, as
    :meth:`~facemimic.animate.portrait.animator.PortraitAnimator.drawn_gap` measures a drive."""
    from . import landmarks as L

    up, lo = list(L.LIP_INNER_UPPER[3:8]), list(L.LIP_INNER_LOWER[3:8])
    pts = animator.points + motion
    down = animator.model.frame.rotation[:, 1]
    return float(np.mean((pts[lo] - pts[up]) @ down)) / animator.model.frame.sx


def lips_probes(animator) -> list[tuple[float, np.ndarray, float]]:
    """(drawn gap IPD, motion (478, 2) px, jaw's share of the opening px) per gap of
    :data:`LIPS_PROBE_GAPS` the model can draw with the jaw open :data:`LIPS_PROBE_JAW`: MouthClosed
    found by bisection (the lips close monotonically as it rises), drawn as the animator draws a
    frame (the seal and the jaw's share included)."""
    from ...expressions.names import N_UE, ue_index
    from .model import drive_vector

    model = animator.model
    jaw_control = CONTROL_NAMES.index("jaw_open")

    def motion_of(closed: float):
        w = np.zeros(N_UE, np.float32)
        w[ue_index("JawOpen")] = LIPS_PROBE_JAW
        w[ue_index("MouthClosed")] = closed
        c = model.controls(drive_vector(w, (1.0, 1.0)))
        motion = np.tensordot(c, model.basis, axes=1)
        jaw = model.basis[jaw_control, 14] * c[jaw_control]
        return motion, max(float(jaw @ model.frame.rotation[:, 1]), 0.0)

    out = []
    widest = drawn_lip_gap(animator, motion_of(0.0)[0])
    for gap in LIPS_PROBE_GAPS:
        if gap > widest:
            continue
        lo, hi = 0.0, LIPS_PROBE_JAW  # MouthClosed: lo draws wider than gap, hi narrower
        for _ in range(12):
            mid = (lo + hi) / 2
            if drawn_lip_gap(animator, motion_of(mid)[0]) > gap:
                lo = mid
            else:
                hi = mid
        motion, jaw_gap = motion_of((lo + hi) / 2)
        out.append((drawn_lip_gap(animator, motion), motion, jaw_gap))
    return out


def _probe_weights(model, controls: tuple[str, ...], amount) -> np.ndarray:
    """(88,) UE weights of a probe: the weights that feed each of ``controls`` (their positive
    inputs in ``model.mix``) at its ``amount`` (one for all, or one per control)."""
    from ...expressions.names import N_UE

    amounts = np.broadcast_to(np.asarray(amount, np.float32), (len(controls),))
    w = np.zeros(N_UE, np.float32)
    for name, a in zip(controls, amounts):
        row = model.mix[CONTROL_NAMES.index(name), :N_UE]
        w[row > 0] = a
    return w


def _jaw_gap(model, controls: np.ndarray) -> float:
    """Pixels of the lips' opening the jaw makes at (K,) template amounts ``controls``: its
    control's motion of the lower lip's middle (14) along the face's down axis, as
    :meth:`~facemimic.animate.portrait.animator.PortraitAnimator.draw` tells the mouth."""
    jaw = CONTROL_NAMES.index("jaw_open")
    return max(float((model.basis[jaw, 14] * controls[jaw]) @ model.frame.rotation[:, 1]), 0.0)


def _probe_seal(model, controls: tuple[str, ...], amount) -> tuple[float, float]:
    """The seal the model draws (``DisplacementModel.seal_amounts``: the share of the photo's own
    lip gap closed, and the lips' own share of it, the corners' rise) when the UE weights that feed
    ``controls`` (their positive inputs in ``model.mix``) are at ``amount`` (one for all, or one
    per control; (0, 0) for absolute weights: their rest holds the photo's gap)."""
    from .model import drive_vector

    return model.seal_amounts(drive_vector(_probe_weights(model, controls, amount), (1.0, 1.0)))


def _fit_curve(amts: np.ndarray, resp: np.ndarray, group: str) -> np.ndarray:
    """Template amounts at :data:`KNOTS` whose re-tracked extent is the knot (monotone, within
    :data:`GAIN_RANGE` of the unit's own amount); negative requests mirror the first slope."""
    # A probe whose response falls below a smaller probe's is one the tracker misread (a jaw
    # dropped by a full 0.75 IPD on a warped photo): the curve is fitted on the probes before the
    # first that falls by more than FALL_TOLERANCE (less is the tracker's noise between probes
    # close together), made monotone by pooling neighbours that disagree.
    fell = np.concatenate([[False], resp[1:] < np.maximum.accumulate(resp)[:-1] - FALL_TOLERANCE])
    stop = int(np.argmax(fell)) if fell.any() else len(resp)
    amts, resp = amts[:max(stop, 2)], resp[:max(stop, 2)]
    rp = _monotone(resp)
    curve = np.zeros(len(KNOTS), np.float32)
    lo, hi = GROUP_GAIN_RANGE.get(group, GAIN_RANGE)
    first = int(np.argmax(amts > 0))
    slope0 = rp[first] / amts[first] if rp[first] > 0 else 1.0  # extent per amount near rest
    for j, w in enumerate(KNOTS):
        if w > 0:
            a = _invert(rp, amts, float(w))
        elif w < 0:
            a = float(w) / max(slope0, 1e-3)
        else:
            a = 0.0
        curve[j] = np.clip(a, min(lo * w, hi * w), max(lo * w, hi * w))
    if group in MAX_AMOUNT:
        curve = np.minimum(curve, MAX_AMOUNT[group])
    if group == "jaw":
        curve = np.minimum(curve, JAW_EXTRAPOLATION * float(amts.max()))
    zero = int(np.flatnonzero(KNOTS == 0)[0])
    curve[zero:] = np.maximum.accumulate(curve[zero:])
    curve[:zero + 1] = np.minimum.accumulate(curve[:zero + 1][::-1])[::-1]
    return curve


def _monotone(y: np.ndarray) -> np.ndarray:
    """The non-decreasing sequence nearest ``y`` in least squares (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, count]
    for v in np.asarray(y, np.float64):
        blocks.append([float(v), 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m1, n1), (m2, n2) = blocks[-2], blocks.pop()
            blocks[-1] = [(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2]
    return np.concatenate([np.full(int(n), m) for m, n in blocks])


def _invert(resp: np.ndarray, amounts: np.ndarray, target: float) -> float:
    """The template amount whose (monotone, rising) response reaches ``target``; beyond the
    measured range, linear from the last segment."""
    r = resp + np.arange(len(resp)) * 1e-6  # strictly increasing for np.interp
    if target <= r[-1]:
        return float(np.interp(target, r, amounts))
    slope = r[-1] / max(amounts[-1], 1e-6)  # the mean response, not a saturating last segment
    return float(amounts[-1] + (target - r[-1]) / max(slope, 1e-3))


# The neutral rest's mouth corners (rest="neutral", :func:`rest_corners`). A smiling photo's rest
# takes its pull off in template amounts: its corners re-track level with the lips' middle or up to
# 0.02-0.026 IPD above it on one side (single_face's and 0-f15-hao's left; their smiles are
# uneven), each side on its own. The rest's corner heights are put where a neutral face's are (the
# population's, as re-tracked on the render itself). (The astronaut's smirk, 0.035-0.049 IPD on
# the first frames, was the closed loop's: refine.py no longer chases the pull the photo's own
# smile leaves behind.)
REST_CORNER_ROUNDS = 5  # render, re-track and correct rounds (the tracker is not linear in the warp: single_face, its
# left corner re-tracked 0.020, 0.014, 0.019, 0.016, 0.004 IPD over the rounds with its lids opened to the unit, #11 s14)
REST_CORNER_TOLERANCE = 0.01  # IPD: a corner this near the population's neutral is left alone
REST_CORNER_MAX = 0.06  # IPD: the most a corner is raised or lowered
REST_CORNER_SMILE = 0.1  # the rest's pull (weight) from which a side's smile is being taken off
# Each round's step, x the error: the tracker reads less of a drawn corner's motion than the
# templates make (a plain step left a third to a half of the error after three rounds).
REST_CORNER_STEP = 1.5
_REST_CORNER_CONTROLS = ("corner_pull", "stretch")  # up and out / out and a little down


def rest_corners(animator) -> tuple[np.ndarray, dict]:
    """The motion, (478, 2) px, that moves a neutral rest's mouth corners to the height of the
    population's neutral as the tracker reads the rendered rest (``rest="neutral"``, smiling sides).

    The rest frame (all-zero weights) is rendered and re-tracked; each corner's height against the
    lips' middle (``geometry.measure``'s ``corner_up``, IPD, against the population's rest) beyond
    :data:`REST_CORNER_TOLERANCE` is taken off by that side's corner pull and stretch templates,
    combined so that the corner moves straight up or down (a 2 x 2 solve on the templates' motion
    of the corner landmark: its sideways place is kept), at most :data:`REST_CORNER_MAX`, over
    :data:`REST_CORNER_ROUNDS` rounds. Only sides whose rest takes off a pull of
    :data:`REST_CORNER_SMILE` or more are moved.

    Parameters
    ----------
    animator : PortraitAnimator
        With ``_rest_overlap`` (478, 2) set; it is restored before returning.

    Returns
    -------
    (np.ndarray [shape=(478, 2)], dict)
        The motion to add to the animator's rest overlap, and a report: ``"before"`` and
        ``"after"`` (2, 2) [[out, up] for left, right] re-tracked (None where no render was
        re-tracked), ``"amounts"`` (2, 2) [[pull, stretch] for left, right] template amounts.
    """
    from .animator import FramePlan
    from .landmarks import MOUTH_CORNER
    from .model import drive_vector
    from ...expressions.names import N_UE, ue_index

    model = animator.model
    extra = np.zeros_like(animator.points, dtype=np.float64)
    report = {"before": None, "after": None, "amounts": np.zeros((2, 2)).tolist()}
    if not getattr(model, "absolute", False) or model.rest_mix is None:
        return extra.astype(np.float32), report
    sides = ("left", "right")  # geometry's order
    smiling = [float(model.rest[ue_index(f"MouthCornerPull{s.title()}")]) >= REST_CORNER_SMILE for s in sides]
    if not any(smiling):
        return extra.astype(np.float32), report
    frame = model.frame
    # (side, control) -> the corner landmark's motion per template amount, (out, up) in IPD
    jac = np.zeros((2, 2, 2))
    ids = np.zeros((2, 2), int)
    for g, s in enumerate(sides):
        sgn = 1.0 if s == "left" else -1.0  # +x (canonical) is the subject's left
        for j, stem in enumerate(_REST_CORNER_CONTROLS):
            k = CONTROL_NAMES.index(f"{stem}_{s}")
            ids[g, j] = k
            d = model.basis[k, MOUTH_CORNER[s]] @ frame.rotation / np.array([frame.sx, frame.sx])
            jac[g, :, j] = (sgn * d[0], -d[1])
    zero = drive_vector(np.zeros(N_UE, np.float32), (1.0, 1.0))
    plan = FramePlan(zero, np.zeros(N_UE, np.float32), np.zeros((2, 2)), np.zeros(3))
    base = np.asarray(animator._rest_overlap, np.float64).copy()
    amounts = np.zeros((2, 2))
    h, w = animator.image.shape[:2]
    tracker = StillTracker()
    try:
        for r in range(REST_CORNER_ROUNDS + 1):
            animator._rest_overlap = (base + extra).astype(np.float32)
            got = retrack([animator.draw(plan)], animator.points.mean(0), tracker=tracker)[0]
            if got is None or got.landmarks is None:
                break
            m = geometry.measure(np.asarray(got.landmarks, np.float64), (w, h))
            err = np.stack([np.asarray(m.corner_out, np.float64), np.asarray(m.corner_up, np.float64)], axis=1)
            if report["before"] is None:
                report["before"] = err.tolist()
            report["after"] = err.tolist()
            if r == REST_CORNER_ROUNDS:
                break
            want = -(err - np.clip(err, -REST_CORNER_TOLERANCE, REST_CORNER_TOLERANCE))  # (2, 2) IPD
            # the height only: widening the rest's narrow mouth to the population's too cost the
            # astronaut's identity 0.41 -> 0.45 (dlib, first frame)
            want[:, 0] = 0.0
            moved = False
            for g in range(2):
                if not smiling[g] or not np.all(np.isfinite(want[g])) or not np.any(want[g]):
                    continue
                total = np.clip(jac[g] @ amounts[g] + REST_CORNER_STEP * want[g], -REST_CORNER_MAX, REST_CORNER_MAX)
                try:
                    amounts[g] = np.linalg.solve(jac[g], total)
                except np.linalg.LinAlgError:
                    continue
                moved = True
            extra = np.tensordot(amounts.reshape(-1), model.basis[ids.reshape(-1)].astype(np.float64), axes=1)
            if not moved:
                break
    finally:
        tracker.close()
        animator._rest_overlap = base.astype(np.float32)
    report["amounts"] = amounts.tolist()
    return extra.astype(np.float32), report
