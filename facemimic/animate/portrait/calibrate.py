"""Calibration with the capture stage as the critic, and re-tracking helpers.

For each group of controls (jaw, smile, blink, brows …) the portrait is rendered at a few template
amounts, every render is re-tracked with the capture stage, and the measured response (e.g. the
re-tracked JawOpen minus the photo's own) gives a monotone curve *requested weight -> template
amount*: the model then asks for exactly as much motion as this face needs for the tracker to
read the requested weight back. A face whose photo already smiles at 0.9 gets a gentler target
(it can only go from 0.9 to 1), a wide face a smaller jaw drop than a narrow one, and so on.

The renders of one calibration are drawn and re-tracked on one thread per core (up to 4), each
with its own IMAGE-mode landmarker: every probe is judged on its own, so the readings are those
of one thread.
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

from .model import BROW_DOWN_MIX, CONTROL_NAMES, SIDES, BrowMap, ResponseCurves

# group -> (controls, measured UE channels; "openness" means 1 - mean openness)
GROUPS = {
    "jaw": (("jaw_open",), ("JawOpen",)),
    "smile": (("corner_pull_right", "corner_pull_left"), ("MouthCornerPullRight", "MouthCornerPullLeft")),
    "blink": (("eye_close_right", "eye_close_left"), ("closure",)),
    "brow_up": (("brow_inner_up_right", "brow_inner_up_left"), ("BrowInnerUpRight", "BrowInnerUpLeft")),
    "brow_down": (("brow_lower_right", "brow_lower_left"), ("BrowLowererRight", "BrowLowererLeft")),
    "frown": (("frown_right", "frown_left"), ("MouthFrownRight", "MouthFrownLeft")),
    "wide": (("eye_wide_right", "eye_wide_left"), ("EyeWideRight", "EyeWideLeft")),
    "outer_up": (("brow_outer_up_right", "brow_outer_up_left"), ("BrowOuterUpRight", "BrowOuterUpLeft")),
    "squint": (("eye_squint_right", "eye_squint_left"), ("EyeSquintRight", "EyeSquintLeft")),
}
AMOUNTS = (-0.7, 0.35, 0.7, 1.05, 1.4)  # template amounts rendered per group (0 = the photo itself)
# Lids cannot close further than shut: beyond ~1 they cross and the tracker's reading falls again.
GROUP_AMOUNTS = {"blink": (-0.5, 0.3, 0.6, 0.85, 1.05)}
KNOTS = np.array([-1.0, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0], np.float32)  # requested weights
TOP = 0.95  # in "source" mode weight 1 aims for this re-tracked value (or +0.3 above the photo's)
MIN_RESPONSE = 0.05
MAX_GAIN = 2.0  # a calibrated curve asks for at most 2x the template's own amount
# The tracker reads a squint mostly as closing lids, not as EyeSquint: fitting its curve would
# push squints to the maximum; it is measured only to cancel its cross-talk.
NO_CURVE = {"squint"}  # a group the tracker barely sees keeps the identity curve


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


def measure(frame, channels: tuple[str, ...]) -> float:
    """Mean of ``channels`` in a re-tracked frame (``closure`` = 1 - mean eye openness)."""
    if frame is None or not frame.present:
        return float("nan")
    if channels == ("closure",):
        return 1.0 - 0.5 * (frame.openness_left + frame.openness_right)
    return float(np.mean([frame.weight(c) for c in channels]))


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
    return {"AMOUNTS": AMOUNTS, "GROUP_AMOUNTS": GROUP_AMOUNTS, "KNOTS": KNOTS.tolist(), "TOP": TOP,
            "MIN_RESPONSE": MIN_RESPONSE, "MAX_GAIN": MAX_GAIN, "NO_CURVE": sorted(NO_CURVE),
            "BROW_AMOUNTS": BROW_AMOUNTS, "BROW_PITCHES": BROW_PITCHES, "BROW_GRID": BROW_GRID.tolist(),
            "BROW_FINE": BROW_FINE.tolist(), "BROW_COST": BROW_COST, "BROW_ALONG": BROW_ALONG,
            "BROW_SOFT": BROW_SOFT, "CROSS_TARGETS": CROSS_TARGETS, "MAX_CROSS": MAX_CROSS,
            "BROW_DOWN_MIX": tuple(BROW_DOWN_MIX)}


def calibrate(animator, *, groups: dict | None = None, amounts: tuple[float, ...] = AMOUNTS,
              brows: bool = True, progress: Callable[[int, int], None] | None = None, cache: bool = True
              ) -> tuple[ResponseCurves, dict, np.ndarray, BrowMap | None]:
    """Fit per-control response curves (and cross-talk cancellation) for a :class:`PortraitAnimator`.

    Parameters
    ----------
    cache : bool
        Reuse (and keep) the result in the user cache, keyed by the portrait's content and every
        option (:mod:`.calibration_cache`); ``FACEMIMIC_NO_CACHE=1`` turns it off everywhere.

    Returns
    -------
    (ResponseCurves, report, cross, brow_map)
        ``report[group] = {"amounts": [...], "response": [...], "photo": value, "curve": [...]}``;
        ``cross`` (K, K): template amounts ``c`` become ``c + cross @ c``; ``brow_map``: the joint
        brow response (:class:`BrowMap`, None when ``brows=False`` or the tracker lost the brows).
    """
    groups = GROUPS if groups is None else groups
    key = store = None
    if cache:
        from . import calibration_cache as cc

        store = cc.calibration_cache()
        if store.enabled:
            key = cc.calibration_key(animator, groups=groups, amounts=amounts, brows=brows, constants=_constants())
            found = cc.load(key, store)
            if found is not None:
                if progress:
                    progress(1, 1)
                return found
    result = _calibrate(animator, groups=groups, amounts=amounts, brows=brows, progress=progress)
    if key is not None:
        cc.store(key, result, store)
    return result


def _calibrate(animator, *, groups: dict, amounts: tuple[float, ...], brows: bool,
               progress: Callable[[int, int], None] | None):
    model = animator.model
    k = len(CONTROL_NAMES)
    index = {n: i for i, n in enumerate(CONTROL_NAMES)}
    # The model's rest offset matters in "neutral" mode: measure around the rest the model uses.
    x0, y0, x1, y1 = animator.warp.roi
    # What to render: (landmark motion, lid closure) per probe; the photo's own rest comes first.
    jobs = [(np.zeros((len(animator.points), 2), np.float32), (0.0, 0.0))]
    plan = []
    for g, (controls, _) in groups.items():
        for a in (GROUP_AMOUNTS.get(g, amounts) if amounts is AMOUNTS else amounts):
            c = np.zeros(k, np.float32)
            for name in controls:
                c[index[name]] = a
            motion = np.tensordot(c, model.basis, axes=1)
            closure = (max(a, 0.0),) * 2 if g == "blink" else (0.0, 0.0)
            jobs.append((motion, closure))
            plan.append((g, a))
    n_groups = len(jobs)
    brow_plan = []
    pitches = BROW_PITCHES if getattr(animator, "pose", None) is not None else (0.0,)
    if brows:
        for p in pitches:
            head = animator.pose.motion((0.0, p, 0.0)) if p else 0.0
            for a in BROW_AMOUNTS:
                for d in BROW_AMOUNTS:
                    c = _brow_controls(k, index, a, d)
                    motion = np.tensordot(c, model.basis, axes=1) + head
                    jobs.append((motion, (0.0, 0.0)))
                    brow_plan.append((p, a, d))

    centre = animator.points.mean(0) - (x0, y0)
    # The probes are rendered and re-tracked on one thread per core (the same readings as one thread).
    tracked = _render_and_retrack(
        lambda job, scratch: animator.render_parts(job[0], closure=job[1], scratch=scratch)[y0:y1, x0:x1].copy(),
        jobs, centre, workers=probe_workers(), new_scratch=animator.new_scratch)
    brow_tracked = tracked[n_groups:]
    tracked = tracked[:n_groups]
    if progress:
        progress(len(jobs), len(jobs))
    base = tracked[0]
    values = np.tile(KNOTS, (k, 1)).astype(np.float32)
    report = {}
    rest_drive = model.rest
    for g, (controls, channels) in groups.items():
        r0 = measure(base, channels)
        amts = [0.0]
        resp = [0.0]
        for (gg, a), f in zip(plan, tracked[1:]):
            if gg == g:
                v = measure(f, channels)
                if np.isfinite(v) and np.isfinite(r0):
                    amts.append(a)
                    resp.append(v - r0)
        order = np.argsort(amts)
        amts = np.asarray(amts, np.float64)[order]
        resp = np.asarray(resp, np.float64)[order]
        report[g] = {"amounts": amts.round(3).tolist(), "response": resp.round(3).tolist(),
                     "photo": None if not np.isfinite(r0) else round(r0, 3)}
        pos = amts >= 0
        neg = amts <= 0
        if g in NO_CURVE:
            report[g]["curve"] = "identity (measured for cross-talk only)"
            continue
        if not np.isfinite(r0) or pos.sum() < 2 or np.nanmax(resp[pos]) < MIN_RESPONSE:
            report[g]["curve"] = "identity (the tracker does not see this group)"
            continue
        # Monotone response on each side of zero.
        rp = np.maximum.accumulate(resp[pos])
        ap = amts[pos]
        rn = np.minimum.accumulate(resp[neg][::-1])[::-1] if neg.sum() >= 2 else None
        an = amts[neg]
        absolute = bool(np.any(rest_drive))  # "neutral" rest: weights are absolute targets
        curve = np.zeros(len(KNOTS), np.float32)
        for j, wv in enumerate(KNOTS):
            if absolute:
                target = wv  # requested change of the re-tracked value (the rest offset is already applied)
            elif wv >= 0:
                target = wv * max(TOP - r0, 0.3)
            else:
                target = wv * max(r0, 0.1)
            if target >= 0:
                # never more than twice the uncalibrated motion: a group the tracker reads weakly
                # (a frown) must not jump to its extreme for a small request
                curve[j] = min(_invert(rp, ap, target), MAX_GAIN * abs(wv))
            elif rn is not None:
                curve[j] = max(_invert(rn, an, target), -MAX_GAIN * abs(wv))
            else:
                curve[j] = wv
        # monotone in the request (a cap above may otherwise dip the curve)
        zero = int(np.flatnonzero(KNOTS == 0)[0])
        curve[zero:] = np.maximum.accumulate(curve[zero:])
        curve[:zero + 1] = np.minimum.accumulate(curve[:zero + 1][::-1])[::-1]
        for name in controls:
            values[index[name]] = curve
        report[g]["curve"] = curve.round(3).tolist()
    cross = _cross_talk(groups, plan, tracked, index, report)
    brow_map = None
    if brows:
        leak = _brow_leak(groups, plan, tracked, index)
        brow_map = _fit_brow_map(brow_plan, brow_tracked, leak, pitches, absolute=bool(np.any(rest_drive)),
                                 report=report)
    if brow_map is not None:
        # the map replaces the brows' own curves and cross-talk
        for s in SIDES:
            cross[index[f"brow_inner_up_{s}"]] = 0.0
            cross[index[f"brow_lower_{s}"]] = 0.0
    return ResponseCurves(KNOTS.copy(), values), report, cross, brow_map


# ------------------------------------------------------------------------------------------------
# The joint brow map
# ------------------------------------------------------------------------------------------------
# The tracker reads a raised inner brow and a lowered brow as one joint shape: raising the inner
# end of a lowered brow first cancels the lowering, then reads as raised (measured: the readings
# are nearly exclusive, with a narrow band where both show, the "sad" brow of AU1+AU4). Fitting
# each control on its own therefore misses every combination; instead the brows are probed on a
# grid of (inner raise, down) amounts and the map picks, for every requested pair, the amounts
# whose re-tracked reading comes closest.
BROW_AMOUNTS = (-0.7, -0.35, 0.0, 0.3, 0.6, 0.9, 1.2, 1.5)  # probed on both axes (64 renders); larger
# amounts only over-read the lowering and squash the lids
# Head pitches (degrees, relative to the photo) the grid is probed at: 3-4 degrees of looking down
# already turn a "sad" brow (raised and lowered) into a plain lowering for the tracker.
BROW_PITCHES = (-8.0, 0.0, 8.0)
BROW_GRID = np.linspace(-1.0, 1.0, 21).astype(np.float32)  # requested changes tabulated
BROW_FINE = np.linspace(BROW_AMOUNTS[0], BROW_AMOUNTS[-1], 60)  # template amounts searched (bilinear between probes)
BROW_COST = 0.002  # squared-error cost of one unit of motion: the least motion among near ties
BROW_ALONG = 0.25  # pull along the target's ray when raise and lowering are asked for evenly
BROW_SOFT = 0.0015  # soft-min temperature (squared error): near ties average instead of flipping


def _brow_error(u, d, tu, td):
    """How far re-tracked brow readings (u, d) are from the target (tu, td) (arrays broadcast).

    The tracker reads raise and lowering together only weakly (their sum stays around 0.5), so a
    target asking for both is usually out of reach; then keeping the *proportion* of the two
    matters more than the amount: the error is the distance from the target's ray plus a lighter
    pull along it, the lighter the more evenly both are asked for."""
    n = np.sqrt(tu * tu + td * td)
    safe = np.maximum(n, 1e-6)
    proj = (u * tu + d * td) / safe
    perp2 = np.maximum(u * u + d * d - proj * proj, 0.0)
    balance = np.minimum(tu, td) / np.maximum(np.maximum(tu, td), 1e-6)
    along = 1.0 - (1.0 - BROW_ALONG) * balance
    ray = perp2 + along * (n - proj) ** 2
    plain = (u - tu) ** 2 + (d - td) ** 2
    return np.where(n < 0.05, plain, ray)


def _brow_controls(k: int, index: dict, a: float, d: float) -> np.ndarray:
    c = np.zeros(k, np.float32)
    for s in SIDES:
        c[index[f"brow_inner_up_{s}"]] = a
        c[index[f"brow_lower_{s}"]] = BROW_DOWN_MIX[0] * d
        c[index[f"brow_outer_up_{s}"]] = BROW_DOWN_MIX[1] * d
    return c


def _bilinear_grid(values: np.ndarray, probes: np.ndarray, fine: np.ndarray) -> np.ndarray:
    """Resample a (n, n) surface sampled at ``probes`` on both axes onto ``fine`` x ``fine``."""
    rows = np.stack([np.interp(fine, probes, values[i]) for i in range(len(probes))])  # (n, m)
    return np.stack([np.interp(fine, probes, rows[:, j]) for j in range(len(fine))], axis=1)


def _brow_leak(groups, plan, tracked, index) -> np.ndarray:
    """(2 sides, 2, K): the (BrowInnerUp, BrowLowerer) reading per unit of every non-brow control,
    least squares over the positive probes of its group (both sides move together in a probe)."""
    k = len(index)
    leak = np.zeros((2, 2, k), np.float32)
    base = tracked[0]
    chans = (("BrowInnerUpRight", "BrowInnerUpLeft"), ("BrowLowererRight", "BrowLowererLeft"))
    r0 = [measure(base, ch) for ch in chans]
    for g, (controls, _) in groups.items():
        if g in ("brow_up", "brow_down"):
            continue
        for ci, ch in enumerate(chans):
            pts = [(a, measure(f, ch) - r0[ci]) for (gg, a), f in zip(plan, tracked[1:]) if gg == g and a > 0]
            pts = [(a, r) for a, r in pts if np.isfinite(r)]
            if not pts or not np.isfinite(r0[ci]):
                continue
            slope = sum(a * r for a, r in pts) / sum(a * a for a, _ in pts)
            for name in controls:
                for si, s in enumerate(SIDES):
                    if not name.endswith(("_left", "_right")) or name.endswith(s):
                        leak[si, ci, index[name]] = slope
    return leak


def _fit_brow_map(plan, tracked, leak, pitches, *, absolute: bool, report: dict) -> BrowMap | None:
    """Fit the joint brow map from the grid renders (see above): one table per head pitch, all
    aiming at the readings asked for relative to the photo's own (at its own pitch)."""
    rest = None
    tables = []
    i0 = list(pitches).index(0.0)
    order = [i0] + [i for i in range(len(pitches)) if i != i0]  # the photo's pitch first: it sets the rest
    for i in order:
        sub = [(j, (a, d)) for j, (p, a, d) in enumerate(plan) if p == pitches[i]]
        fit = _fit_brow_table([ad for _, ad in sub], [tracked[j] for j, _ in sub], absolute=absolute,
                              report=report if i == i0 else {}, rest=rest)
        if fit is None:
            if i == i0:
                return None
            continue  # a pitch the tracker lost: interpolate over the others
        table, r = fit
        if rest is None:
            rest = r
        tables.append((pitches[i], table))
    tables.sort(key=lambda pt: pt[0])
    return BrowMap(BROW_GRID.copy(), np.stack([t for _, t in tables]), leak,
                   np.asarray([p for p, _ in tables], np.float32))


def _fit_brow_table(plan, tracked, *, absolute: bool, report: dict, rest: tuple | None = None):
    """The (n, n, 3) table of the joint brow map and the photo's (inner up, lowerer) reading it
    aims from (None when the tracker lost the probes).

    ``rest``: the readings of the photo at its own pitch; None means these probes are at that pitch
    (then a request of no change keeps the brows exactly as in the photo). At another pitch the
    table aims at the same readings, so it may move the brows to cancel what the pitch reads as."""
    probes = np.asarray(BROW_AMOUNTS, np.float64)
    n = len(probes)
    up = np.full((n, n), np.nan)
    down = np.full((n, n), np.nan)
    shut = np.full((n, n), np.nan)
    pos = {v: i for i, v in enumerate(BROW_AMOUNTS)}
    for (a, d), f in zip(plan, tracked):
        up[pos[a], pos[d]] = measure(f, ("BrowInnerUpRight", "BrowInnerUpLeft"))
        down[pos[a], pos[d]] = measure(f, ("BrowLowererRight", "BrowLowererLeft"))
        shut[pos[a], pos[d]] = measure(f, ("closure",))
    i0 = pos[0.0]
    if not (np.isfinite(up[i0, i0]) and np.isfinite(down[i0, i0])) or np.isnan(up).mean() > 0.25:
        report["brows"] = {"map": "none (the tracker lost the face on the brow probes)"}
        return None
    for m in (up, down, shut):  # a lost probe takes its nearest neighbour's reading
        bad = np.argwhere(~np.isfinite(m))
        good = np.argwhere(np.isfinite(m))
        for i, j in bad:
            gi, gj = good[np.argmin(np.abs(good - (i, j)).sum(1))]
            m[i, j] = m[gi, gj]
    r_shut = float(shut[i0, i0])  # the lids' reading is taken relative to this pitch's own
    r_up, r_down = (float(up[i0, i0]), float(down[i0, i0])) if rest is None else rest
    fu = _bilinear_grid(up, probes, BROW_FINE).ravel()
    fd = _bilinear_grid(down, probes, BROW_FINE).ravel()
    aa, dd = np.meshgrid(BROW_FINE, BROW_FINE, indexing="ij")
    aa, dd = aa.ravel(), dd.ravel()
    effort = BROW_COST * (aa * aa + dd * dd)

    def target(r0: float, w: np.ndarray) -> np.ndarray:
        if absolute:  # the requested change is the change of the reading
            t = r0 + w
        else:  # the photo is the rest: weight 1 aims for TOP (or +0.3 above the photo's reading)
            t = np.where(w >= 0, r0 + w * max(TOP - r0, 0.3), r0 + w * max(r0, 0.1))
        return np.clip(t, 0.0, 1.0)

    g = BROW_GRID.astype(np.float64)
    tu = target(r_up, g)[:, None, None]
    td = target(r_down, g)[None, :, None]
    err = _brow_error(fu[None, None], fd[None, None], tu, td) + effort[None, None]
    w = np.exp(-(err - err.min(axis=2, keepdims=True)) / BROW_SOFT)
    w /= w.sum(axis=2, keepdims=True)
    # Lowered brows push the lid skin down and read as closing eyes: the map also says how much
    # closure the chosen brows add, which the model takes off the eyes' own request.
    fs = _bilinear_grid(shut, probes, BROW_FINE).ravel() - r_shut
    table = np.stack([(w * aa).sum(2), (w * dd).sum(2), (w * fs).sum(2)], axis=2).astype(np.float32)
    if rest is None:
        # a request of no change keeps the photo's brows exactly
        z = int(np.argmin(np.abs(BROW_GRID)))
        table -= table[z, z]
    report["brows"] = {"probes": list(BROW_AMOUNTS), "inner_up": up.round(3).tolist(),
                       "lowerer": down.round(3).tolist(), "photo": [round(r_up, 3), round(r_down, 3)]}
    return table, (r_up, r_down)


# Channels the tracker reads into other shapes: a smile reads as half-closed eyes and lowered
# brows (real smiles squint, and the tracker has learnt that). To read back what was asked, the
# model cancels that cross-talk: it opens the lids / lifts the brows by the share measured here.
CROSS_TARGETS = {"blink": ("closure",), "brow_down": ("BrowLowererRight", "BrowLowererLeft"),
                 "jaw": ("JawOpen",), "brow_up": ("BrowInnerUpRight", "BrowInnerUpLeft"),
                 "smile": ("MouthCornerPullRight", "MouthCornerPullLeft")}
MAX_CROSS = 1.0  # at most one unit of compensation per unit of the other control


def _cross_talk(groups, plan, tracked, index, report) -> np.ndarray:
    """(K, K) matrix C: template amounts c become c + C @ c (cancels measured cross-talk)."""
    k = len(index)
    cross = np.zeros((k, k), np.float32)
    base = tracked[0]
    by = {}
    for (g, a), f in zip(plan, tracked[1:]):
        by.setdefault(g, []).append((a, f))
    for target, channels in CROSS_TARGETS.items():
        if target not in groups or target not in by:
            continue
        r0 = measure(base, channels)
        own = [(a, measure(f, channels) - r0) for a, f in by[target] if a > 0]
        own = [(a, r) for a, r in own if np.isfinite(r)]
        if not own or not np.isfinite(r0):
            continue
        slope = sum(a * r for a, r in own) / sum(a * a for a, _ in own)  # response per unit amount
        if slope < 0.1:
            continue
        t_controls = groups[target][0]
        for g, pairs in by.items():
            if g == target:
                continue
            pts = [(a, measure(f, channels) - r0) for a, f in pairs if a > 0]
            pts = [(a, r) for a, r in pts if np.isfinite(r)]
            if not pts:
                continue
            leak = sum(a * r for a, r in pts) / sum(a * a for a, _ in pts)  # target reading per unit
            kx = float(np.clip(leak / slope, 0.0, MAX_CROSS))
            if kx < 0.05:
                continue
            report.setdefault(g, {})[f"cancels_{target}"] = round(kx, 3)
            for tc in t_controls:
                for gc in groups[g][0]:
                    same_side = tc.rsplit("_", 1)[-1] == gc.rsplit("_", 1)[-1] or not gc.endswith(("_left", "_right"))
                    if same_side:
                        cross[index[tc], index[gc]] = -kx
    return cross


def _invert(resp: np.ndarray, amounts: np.ndarray, target: float) -> float:
    """The template amount whose (monotone) response reaches ``target``; linear extrapolation
    from the last segment when the measured range falls short (capped at 1.6x the largest)."""
    if target == 0:
        return 0.0
    if resp[0] <= target <= resp[-1] and resp[-1] > resp[0]:
        # np.interp needs increasing x: make ties strictly increasing
        r = resp + np.arange(len(resp)) * 1e-6
        return float(np.interp(target, r, amounts))
    # Out of reach (a photo already smiling at 0.9 cannot smile much more): go only as far as
    # the response still pays, the least amount that gives 90 % of the largest response measured,
    # instead of driving the geometry to its extreme for nothing.
    if target > resp[-1]:
        k = int(np.argmax(resp >= 0.9 * resp[-1])) if resp[-1] > 0 else len(resp) - 1
        return float(max(amounts[k], 0.0) if resp[-1] > 0 else amounts[-1])
    k = int(np.argmax(resp[::-1] <= 0.9 * resp[0])) if resp[0] < 0 else 0
    return float(min(amounts[::-1][k], 0.0) if resp[0] < 0 else amounts[0])
