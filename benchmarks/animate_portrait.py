"""Portrait animation benchmark: fidelity, faithfulness, reenactment and speed, on real portraits.

* **Fidelity**: a 10 s generated clip (``neutral > happy > surprised > angry > sad > neutral``, blinks
  and gaze included) drives each portrait; every output frame is re-tracked on its own by the
  capture stage (IMAGE mode, no smoothing) and the re-tracked channels are correlated (Pearson r)
  with the driving ones: JawOpen, mouth-corner pull, eye openness, BrowInnerUp, brow lowering.
  ``--sweep N`` adds N clips fixed in advance (seed 100+i, the four emotions in that seed's order).
  Each sweep clip's ceiling in the unit is printed first: the r a renderer drawing exactly the
  geometry the weights imply would score (shared measures: a sad brow's raise and lowering move the
  same points), so a shortfall below it is the drawing's or the tracker's, not the metric's.
* **Faithfulness**: neutral weights vs the source (PSNR), and the mean change of pixels outside the
  face region (outside the warp's anchor ring) over the whole clip, in 1/255 units.
* **Reenactment**: a real video drives the portrait (relative to the driver's resting face, or
  ``--reference first``); the output is re-tracked and correlated with the driver's own capture.
* **Speed**: frames per second of ``PortraitAnimator.render`` at 512x512 (encoding excluded), open
  and closed loop, with a baseline measured in the same process: one plain full-frame ``cv2.remap``;
  the main thread's and the process's CPU time per frame too (less sensitive to a shared machine's
  load than the wall clock). ``--stages`` adds where a closed-loop frame's time goes (wall and
  thread CPU per stage: fold projection, coordinate map, creases, mouth, eyes, re-track).

Run: ``python benchmarks/animate_portrait.py`` (open loop, ``--rest neutral``; about 5-10 minutes on
2 busy cores); ``--refine`` measures the closed loop ``facemimic animate`` uses by default;
``--quick`` uses 4 s clips and 4 s of driving video.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

CHANNELS = {
    "JawOpen": lambda f: f.weight("JawOpen"),
    "MouthCornerPull": lambda f: 0.5 * (f.weight("MouthCornerPullLeft") + f.weight("MouthCornerPullRight")),
    "EyeOpenness": lambda f: 0.5 * (f.openness_left + f.openness_right),
    "BrowInnerUp": lambda f: 0.5 * (f.weight("BrowInnerUpLeft") + f.weight("BrowInnerUpRight")),
    "BrowLowerer": lambda f: 0.5 * (f.weight("BrowLowererLeft") + f.weight("BrowLowererRight")),
}
PORTRAITS = ("single_face.jpg", "0-f15-hao-ph.jpg", "0-f1-su-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg",
             "Image_with_alpha.png")
CLIP = "neutral 1s > happy 2s > surprised 2s > angry 2s > sad 2s > neutral 1s"


def pearson(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if len(a) < 3 or a.std() < 1e-3 or b.std() < 1e-6:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def correlate(drive_frames, tracked) -> dict[str, float]:
    out = {}
    for name, fn in CHANNELS.items():
        want = [fn(f) for f in drive_frames]
        got = [fn(t) if t is not None else np.nan for t in tracked]
        out[name] = pearson(want, got)
    return out


# The same channels read in FaceMimic's unit (docs/units.md): measured on the re-tracked landmarks
# against the portrait's own re-tracked neutral render, as the capture stage reads a person against
# their rest. Brow lowering is BrowLowerer with BrowPinch (as benchmarks/avatar3d.py reads it): where
# a sad or fearful face raises its inner brows, they cancel the lowering on the brow's height, on a
# real face as on a portrait, and only the pinch is left to read (docs/journal/avatar3d.md).
UNIT_CHANNELS = {
    "JawOpen": ("JawOpen",),
    "MouthCornerPull": ("MouthCornerPullLeft", "MouthCornerPullRight"),
    "BrowInnerUp": ("BrowInnerUpLeft", "BrowInnerUpRight"),
    "BrowLowering": ("BrowLowererLeft", "BrowLowererRight", "BrowPinchLeft", "BrowPinchRight"),
}


def correlate_unit(drive_frames, tracked, neutral) -> dict[str, float]:
    """Pearson r per :data:`UNIT_CHANNELS`, the re-tracked frames read in the unit against
    ``neutral`` (the re-tracked neutral render; :func:`facemimic.head3d.retrack.unit_reading`, as
    the 3D avatar's re-track reads its renders), eye openness as the capture stage reads it."""
    from facemimic.expressions import geometry
    from facemimic.expressions.names import UE_INDEX
    from facemimic.head3d.retrack import unit_reading

    if neutral is None or neutral.landmarks is None:
        return {k: float("nan") for k in (*UNIT_CHANNELS, "EyeOpenness")}
    # the landmarks are normalised and the measures are in IPD, so any common (square) size
    rest = geometry.rest_face(np.asarray(neutral.landmarks), (1, 1))
    read = [None if t is None or t.landmarks is None else unit_reading(t, 1, rest) for t in tracked]
    out = {}
    for name, names in UNIT_CHANNELS.items():
        cols = [UE_INDEX[n] for n in names]
        want = [np.mean([f.weights[c] for c in cols]) for f in drive_frames]
        got = [np.nan if w is None else float(np.mean(w[cols])) for w in read]
        out[name] = pearson(want, got)
    out["EyeOpenness"] = correlate(drive_frames, tracked)["EyeOpenness"]
    return out


def unit_ceiling(drive_frames) -> dict[str, float]:
    """Pearson r per :data:`UNIT_CHANNELS` that a renderer drawing exactly the geometry the frames'
    weights imply (:func:`facemimic.animate.portrait.implied.implied_measures`: channels composed) would
    score in the unit: each measure shared by several channels (a sad brow's raised inner end and
    its lowering move the same points) reads as one, so the weight and its read extent differ even
    when nothing is drawn wrong."""
    from facemimic.animate.portrait.implied import implied_measures
    from facemimic.expressions import geometry
    from facemimic.expressions.names import UE_INDEX

    out = {}
    imp = [implied_measures(np.asarray(f.weights, np.float64)) for f in drive_frames]
    for name, names in UNIT_CHANNELS.items():
        want = [np.mean([f.weights[UE_INDEX[n]] for n in names]) for f in drive_frames]
        got = []
        for m in imp:
            vals = []
            for n in names:
                ch = geometry.CHANNELS[n]
                v = np.asarray(m[ch.measure], np.float64)
                v = v[ch.side] if ch.side is not None else v
                vals.append(float(np.clip(geometry.extent_to_weight(n, v), 0.0, 1.0)))
            got.append(np.mean(vals))
        out[name] = pearson(want, got)
    return out


def held_neutral(anim, frames: int = 10) -> np.ndarray:
    """The portrait's neutral face as the closed loop settles on it: a neutral frame held
    ``frames`` frames from a reset loop (the first frame alone carries one step of the loop's
    correction; a clip's neutral opening second carries a dozen), the last one. The loop is reset
    again afterwards."""
    from facemimic.expressions.frame import ExpressionFrame

    anim.reset()
    for _ in range(frames):
        image = anim.render(ExpressionFrame.neutral()).copy()
    anim.reset()
    return image


def fmt(rs: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:5.2f}" if np.isfinite(v) else f"{k}   n/a" for k, v in rs.items())


def portrait(name: str, args):
    """(image path, PortraitOptions) for a benchmark portrait; "multi_face.jpg:2" is face 2 of a
    group photo, cropped around it."""
    from facemimic.animate.portrait.animator import PortraitOptions
    from facemimic.samples import sample_path

    file, _, face = name.partition(":")
    extra = {"face": int(face), "crop": "face"} if face else {}
    return str(sample_path(file)), PortraitOptions(size=512, rest=args.rest, refine=args.refine, **extra)


def sweep_clips(n: int, base: int = 100) -> list[tuple[int, str]]:
    """``n`` fidelity clips fixed in advance: seed base+i, the four emotions in that seed's order."""
    out = []
    for i in range(n):
        rng = np.random.default_rng(base + i)
        order = rng.permutation(["happy", "surprised", "angry", "sad"])
        out.append((base + i, "neutral 1s > " + " > ".join(f"{e} 2s" for e in order) + " > neutral 1s"))
    return out


def sweep(args, tracker, seconds: float) -> None:
    """Fidelity over several generated clips per portrait (one calibration per portrait)."""
    from facemimic.animate.portrait.animator import PortraitAnimator, timeline
    from facemimic.animate.portrait.calibrate import retrack
    from facemimic.generate.clips import clip

    clips = sweep_clips(args.sweep, args.sweep_base)
    print(f"\n== Fidelity sweep: {len(clips)} clips of {seconds:g} s (seeds {clips[0][0]}-{clips[-1][0]}), "
          f"rest={args.rest}")
    drives = [timeline(clip(text, duration=seconds, fps=30, seed=seed), fps=30) for seed, text in clips]
    for (seed, _), frames in zip(clips, drives):
        ceil = unit_ceiling(frames)
        print(f"   ceiling in the unit, seed {seed} (the implied geometry drawn exactly): "
              + "  ".join(f"{k} {v:5.2f}" for k, v in ceil.items()))
    for name in args.portraits:
        anim = PortraitAnimator(*portrait(name, args))
        rows, unit_rows = [], []
        neutral = retrack([held_neutral(anim)], anim.points.mean(0), tracker=tracker)[0]
        for (seed, text), frames in zip(clips, drives):
            anim.reset()
            tracked = retrack([anim.render(f).copy() for f in frames], anim.points.mean(0), tracker=tracker)
            rows.append(correlate(frames, tracked))
            unit_rows.append(correlate_unit(frames, tracked, neutral))
            print(f"   {name:20s} seed {seed}: {fmt(rows[-1])}   ({text.replace(' 2s', '')})")
            print(f"   {'':20s} in the unit: {fmt(unit_rows[-1])}")
        anim.close()
        for label, table in (("MediaPipe's scores", rows), ("in the unit", unit_rows)):
            meets = sum(all(np.isfinite(v) and v >= 0.8 for v in r.values()) for r in table)
            mean = {k: float(np.nanmean([r[k] for r in table])) for k in table[0]}
            print(f"{name:22s} mean r, {label}: {fmt(mean)}; all five >= 0.8 in {meets}/{len(table)} clips")


# (owner module, class, method, label): the closed loop's stages timed by --stages
STAGES = (
    ("facemimic.animate.portrait.warp", "MeshWarp", "fold_free", "fold projection (warp.fold_free)"),
    ("facemimic.animate.portrait.warp", "MeshWarp", "coordinate_map", "coordinate map (warp.py)"),
    ("facemimic.animate.portrait.warp", "MeshWarp", "apply", "warp incl. map + remap"),
    ("facemimic.animate.portrait.creases", "CreasePainter", "paint", "creases (paint + undo), older trees"),
    ("facemimic.animate.portrait.creases", "CreasePainter", "layer", "crease masks (helper thread)"),
    ("facemimic.animate.portrait.creases", "CreasePainter", "apply", "crease blend + undo (in the frame)"),
    ("facemimic.animate.portrait.mouth", "MouthPainter", "paint", "mouth interior, older trees"),
    ("facemimic.animate.portrait.mouth", "MouthPainter", "layer", "mouth interior (helper thread)"),
    ("facemimic.animate.portrait.mouth", "MouthPainter", "apply", "mouth seal + composite (in the frame)"),
    ("facemimic.animate.portrait.eyes", "EyeRig", "apply", "irises"),
    ("facemimic.animate.portrait.animator", "PortraitAnimator", "draw", "draw (one render)"),
    ("facemimic.animate.portrait.refine", "ClosedLoop", "_retrack", "re-track (wait; lagged: its own thread)"),
    ("facemimic.animate.portrait.refine", "ClosedLoop", "correct", "closed loop (trial render + re-track + step)"),
    ("facemimic.animate.portrait.refine", "ClosedLoop", "correct_lagged", "closed loop, lagged (wait + step)"),
)


def stage_times(anim, frames) -> tuple[dict, float]:
    """Render ``frames`` with ``anim`` (closed loop, serial) with each of :data:`STAGES` timed:
    {label: (wall ms, calling thread's CPU ms, calls)} per frame, and the wall ms per frame.
    The stages nest (a draw holds a warp, which holds a coordinate map); the re-track's CPU is
    MediaPipe's own thread's, so its thread CPU here is only the Python around it; the crease masks
    and the mouth's interior are drawn on the animator's helper thread (their thread CPU is that
    thread's)."""
    import functools
    import importlib

    acc: dict = {}
    saved = []
    for module, cls, name, label in STAGES:
        owner = getattr(importlib.import_module(module), cls)
        fn = owner.__dict__.get(name)
        if fn is None:  # a stage another version of the code does not have (A/B runs via PYTHONPATH)
            continue
        saved.append((owner, name, fn))

        def timed(*a, _fn=fn, _label=label, **k):
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return _fn(*a, **k)
            finally:
                e = acc.setdefault(_label, [0.0, 0.0, 0])
                e[0] += time.perf_counter() - t0
                e[1] += time.thread_time() - c0
                e[2] += 1

        setattr(owner, name, functools.wraps(fn)(timed))
    try:
        anim.reset()
        t0 = time.perf_counter()
        for f in frames:
            anim.render(f, reuse=True)
        wall = time.perf_counter() - t0
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)
    n = len(frames)
    return {k: (1000 * w / n, 1000 * c / n, cnt / n) for k, (w, c, cnt) in acc.items()}, 1000 * wall / n


def main() -> None:
    import cv2

    from facemimic.animate.drivers import relative_motion
    from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions, timeline
    from facemimic.animate.portrait.calibrate import StillTracker, retrack
    from facemimic.capture.api import track as capture_track
    from facemimic.expressions.frame import ExpressionFrame
    from facemimic.generate.clips import clip
    from facemimic.samples import sample_path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 s clips and 4 s of driving video")
    ap.add_argument("--rest", default="neutral", choices=["source", "neutral"],
                    help="neutral: weights are absolute (the fidelity target's mode, and reenactment's default)")
    ap.add_argument("--portraits", nargs="*", default=list(PORTRAITS),
                    help="sample images; FILE:N animates face N of a group photo (cropped around it)")
    ap.add_argument("--clip", default=CLIP, help="fidelity timeline (a held-out one checks generality)")
    ap.add_argument("--seed", type=int, default=7, help="generator seed of the fidelity clip")
    ap.add_argument("--refine", action="store_true", help="closed loop: re-track and correct every frame")
    ap.add_argument("--sweep", type=int, default=0, metavar="N",
                    help="fidelity over N more clips fixed in advance (seed 100+i, the four emotions in an "
                         "order drawn from that seed): per-clip r and how many clips meet r >= 0.8 on all")
    ap.add_argument("--sweep-base", type=int, default=100, metavar="SEED",
                    help="first seed of the sweep (another base gives clips no setting was chosen on)")
    ap.add_argument("--reference", default="rest", choices=["rest", "first"],
                    help="reenactment: relative to the driver's resting face or to its first frame")
    ap.add_argument("--skip", nargs="*", default=[], choices=["fidelity", "reenactment", "speed"],
                    help="parts to leave out")
    ap.add_argument("--stages", action="store_true",
                    help="speed: also time the closed loop's stages (wall and thread CPU ms per frame)")
    ap.add_argument("--lag", type=int, default=None, metavar="N",
                    help="closed loop: correct each frame from the re-track of the final render N frames back "
                         "(one render a frame; 0: a trial render re-tracked first; default: the animator's)")
    args = ap.parse_args()
    if args.lag is not None:
        from facemimic.animate.portrait import animator as animator_module

        animator_module.LOOP_LAG = args.lag  # (a tree without the option ignores it: A/B runs)
    seconds = 4.0 if args.quick else 10.0
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared)")

    timeline_text = args.clip if not args.quick else "neutral 0.5s > happy 1s > surprised 1.5s > angry 1s"
    drive = clip(timeline_text, duration=seconds, fps=30, seed=args.seed)
    frames = timeline(drive, fps=30)
    print(f"\n== Fidelity: {len(frames)} frames of {timeline_text!r}, rest={args.rest}, re-tracked frame by frame")
    summary = {}
    with StillTracker() as tracker:
        for name in ([] if "fidelity" in args.skip else args.portraits):
            t0 = time.perf_counter()
            anim = PortraitAnimator(*portrait(name, args))
            setup = time.perf_counter() - t0
            outs, outside = [], []
            x0, y0, x1, y1 = anim.warp.roi
            ring = anim.warp.vertices[-36:]
            mask = np.ones(anim.image.shape[:2], np.uint8)
            cv2.fillPoly(mask, [cv2.convexHull(np.round(ring).astype(np.int32))], 0)
            mask = mask.astype(bool)
            for f in frames:
                o = anim.render(f).copy()
                outside.append(np.abs(o.astype(np.int16) - anim.image.astype(np.int16))[mask].mean())
                outs.append(o)
            tracked = retrack(outs, anim.points.mean(0), tracker=tracker)
            rs = correlate(frames, tracked)
            neutral = anim.render(ExpressionFrame.neutral())
            rs_unit = correlate_unit(frames, tracked, retrack([held_neutral(anim)], anim.points.mean(0), tracker=tracker)[0])
            mse = float(np.mean((neutral.astype(float) - anim.image.astype(float)) ** 2))
            psnr = float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)
            summary[name] = rs
            lost = sum(t is None for t in tracked)
            print(f"{name:22s} setup {setup:4.1f} s (calibration {anim.stats.calibrate_s:.1f} s)  "
                  f"lost {lost}/{len(frames)}")
            print(f"   r (MediaPipe's scores): {fmt(rs)}")
            print(f"   r in the unit:          {fmt(rs_unit)}")
            print(f"   faithfulness: neutral PSNR {psnr:.1f} dB; outside the face mean |change| "
                  f"{np.mean(outside):.4f}/255 (max frame {np.max(outside):.4f}/255)")
            if anim.warnings:
                print("   warnings:", "; ".join(anim.warnings))
        if summary:
            ok = {k: np.nanmin([summary[n][k] for n in summary]) for k in CHANNELS}
            print(f"worst r over portraits: {fmt(ok)}")
        if args.sweep:
            sweep(args, tracker, seconds)
        if "reenactment" not in args.skip:
            print(f"\n== Reenactment: a real video drives single_face.jpg (relative to the driver's "
                  f"{'resting face' if args.reference == 'rest' else 'first frame'})")
            anim = PortraitAnimator(str(sample_path("single_face.jpg")),
                                    PortraitOptions(size=512, rest=args.rest, refine=args.refine))
            for video in ("WolfgangLanger_Pexels.mp4", "single_face.mp4"):
                t0 = time.perf_counter()
                cap = capture_track(str(sample_path(video)), duration=seconds)
                rel = relative_motion(cap, args.reference)
                dframes = timeline(rel, fps=cap.fps)
                anim.reset()
                outs = [anim.render(f).copy() for f in dframes]
                tracked = retrack(outs, anim.points.mean(0), tracker=tracker)
                raw = timeline(cap.for_face(cap.face_ids()[0]).fill_gaps("hold"), fps=cap.fps)
                rs = correlate(raw, tracked)
                print(f"{video:26s} {len(dframes)} frames, {time.perf_counter() - t0:.0f} s")
                print(f"   r vs the driver's own capture: {fmt(rs)}")

    if "speed" in args.skip:
        return
    print("\n== Speed at 512x512 (render only, encoding excluded)")
    # calibrated (the joint brow map's lookups are part of every frame), as `animate` renders
    anim = PortraitAnimator(str(sample_path("single_face.jpg")), PortraitOptions(size=512, crop="face"))
    assert anim.size == (512, 512)
    for f in frames[:10]:
        anim.render(f, reuse=True)
    n = min(len(frames), 240)
    t0 = time.perf_counter()
    for f in frames[:n]:
        anim.render(f, reuse=True)
    dt = time.perf_counter() - t0
    img = anim.image
    h, w = img.shape[:2]
    mx, my = np.meshgrid(np.arange(w, dtype=np.float32) + 0.3, np.arange(h, dtype=np.float32) + 0.2)
    t0 = time.perf_counter()
    for _ in range(n):
        cv2.remap(img, mx, my, cv2.INTER_LINEAR)
    base = time.perf_counter() - t0
    print(f"portrait render: {n / dt:6.1f} fps ({1000 * dt / n:.1f} ms/frame)")
    print(f"baseline one full-frame cv2.remap: {n / base:6.1f} fps ({1000 * base / n:.1f} ms); "
          f"render costs {dt / base:.1f}x that")
    with PortraitAnimator(str(sample_path("single_face.jpg")), PortraitOptions(size=512, crop="face",
                                                                              refine=True)) as looped:
        lag = getattr(looped._loop, "lag", 0)
        for f in frames[:10]:
            looped.render(f, reuse=True)
        looped.reset()
        t0, c0, p0 = time.perf_counter(), time.thread_time(), time.process_time()
        for f in frames[:n]:
            looped.render(f, reuse=True)
        dt_loop = time.perf_counter() - t0
        cpu_main, cpu_loop = time.thread_time() - c0, time.process_time() - p0
        # as `facemimic animate` runs it: each frame drawn one frame behind on a second thread
        from facemimic.animate.pipeline import run_two_stage

        looped.reset()
        scratch, canvas = looped.new_scratch(), np.empty_like(looped.image)
        t0, p0 = time.perf_counter(), time.process_time()
        run_two_stage(frames[:n], looped.plan, lambda plan: looped.draw(plan, out=canvas, scratch=scratch))
        dt_piped = time.perf_counter() - t0
        cpu_piped = time.process_time() - p0
        stages = stage_times(looped, frames[:n]) if args.stages else None
    how = f"lag {lag}: one render + one re-track a frame" if lag else "one extra render + one re-track a frame"
    print(f"closed loop (--refine, {how}): {n / dt_loop:6.1f} fps "
          f"({1000 * dt_loop / n:.1f} ms/frame), {dt_loop / dt:.1f}x the open-loop render; CPU per frame: "
          f"main thread {1000 * cpu_main / n:.1f} ms, process {1000 * cpu_loop / n:.1f} ms (MediaPipe's thread included)")
    print(f"closed loop, final render on a second thread (as animate runs it): {n / dt_piped:6.1f} fps "
          f"({1000 * dt_piped / n:.1f} ms/frame); process CPU {1000 * cpu_piped / n:.1f} ms/frame")
    if stages is not None:
        per, wall = stages
        print(f"closed loop by stage ({wall:.1f} ms/frame wall with the timers; nested stages overlap):")
        for label, (w, c, calls) in sorted(per.items(), key=lambda kv: -kv[1][0]):
            print(f"   {label:34s} {w:6.2f} ms wall  {c:6.2f} ms thread CPU  ({calls:.1f} calls/frame)")
    print(f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
