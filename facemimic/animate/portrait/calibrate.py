"""Calibration with the capture stage as the critic, and re-tracking helpers.

For each group of controls (jaw, smile, blink, brows …) the portrait is rendered at a few template
amounts, every render is re-tracked with the capture stage, and the measured response (e.g. the
re-tracked JawOpen minus the photo's own) gives a monotone curve *requested weight -> template
amount*: the model then asks for exactly as much motion as this face needs for the tracker to
read the requested weight back. A face whose photo already smiles at 0.9 gets a gentler target
(it can only go from 0.9 to 1), a wide face a smaller jaw drop than a narrow one, and so on.

All renders of one calibration are re-tracked by one IMAGE-mode landmarker (one model load).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .model import CONTROL_NAMES, ResponseCurves

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


def measure(frame, channels: tuple[str, ...]) -> float:
    """Mean of ``channels`` in a re-tracked frame (``closure`` = 1 - mean eye openness)."""
    if frame is None or not frame.present:
        return float("nan")
    if channels == ("closure",):
        return 1.0 - 0.5 * (frame.openness_left + frame.openness_right)
    return float(np.mean([frame.weight(c) for c in channels]))


class StillTracker:
    """The capture stage's landmarker and solver in IMAGE mode: every image is judged on its own
    (no tracking or smoothing between renders, unlike a video). Use as a context manager."""

    def __init__(self, *, max_faces: int = 4) -> None:
        from ...capture.landmarker import FaceLandmarkerRunner
        from ...capture.model import resolve_model
        from ...capture.options import CaptureOptions

        self.options = CaptureOptions(max_faces=max_faces, smoothing="raw", keep_landmarks=True)
        self.runner = FaceLandmarkerRunner(resolve_model(self.options.model), video=False, options=self.options)

    def faces(self, image: np.ndarray, time: float = 0.0) -> list:
        """ExpressionFrames (with landmarks) of every face in one RGB(A) image."""
        from ...capture.solve import solve_face
        from .source import flatten_alpha

        raws = self.runner.detect(np.ascontiguousarray(flatten_alpha(image)))
        return [solve_face(r, time=time, face_id=i, iris_weight=self.options.gaze_iris_weight,
                           keep_landmarks=True) for i, r in enumerate(raws)]

    def close(self) -> None:
        self.runner.close()

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


def calibrate(animator, *, groups: dict | None = None, amounts: tuple[float, ...] = AMOUNTS,
              progress: Callable[[int, int], None] | None = None) -> tuple[ResponseCurves, dict, np.ndarray]:
    """Fit per-control response curves (and cross-talk cancellation) for a :class:`PortraitAnimator`.

    Returns
    -------
    (ResponseCurves, report, cross)
        ``report[group] = {"amounts": [...], "response": [...], "photo": value, "curve": [...]}``;
        ``cross`` (K, K): template amounts ``c`` become ``c + cross @ c``.
    """
    groups = GROUPS if groups is None else groups
    model = animator.model
    k = len(CONTROL_NAMES)
    index = {n: i for i, n in enumerate(CONTROL_NAMES)}
    # The model's rest offset matters in "neutral" mode: measure around the rest the model uses.
    x0, y0, x1, y1 = animator.warp.roi
    renders = [animator.render_parts(np.zeros((len(animator.points), 2), np.float32))[y0:y1, x0:x1]]
    plan = []
    for g, (controls, _) in groups.items():
        for a in (GROUP_AMOUNTS.get(g, amounts) if amounts is AMOUNTS else amounts):
            c = np.zeros(k, np.float32)
            for name in controls:
                c[index[name]] = a
            motion = np.tensordot(c, model.basis, axes=1)
            closure = (max(a, 0.0),) * 2 if g == "blink" else (0.0, 0.0)
            renders.append(animator.render_parts(motion, closure=closure)[y0:y1, x0:x1].copy())
            plan.append((g, a))
    centre = animator.points.mean(0) - (x0, y0)
    tracked = retrack(renders, centre)
    if progress:
        progress(len(renders), len(renders))
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
    return ResponseCurves(KNOTS.copy(), values), report, cross


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
