"""Portraits in the unit (issue #11): speech, same weight same motion, reenactment.

Every number is measured on the **output**: each rendered frame is re-tracked by the capture stage
and its landmarks measured with :func:`facemimic.expressions.geometry.measure` (IPD units; the
re-tracked photo is the rest).

* speech: ``--say`` (the built-in voice, several sentences: exact phones, so the /p b m/ frames are
  known) and ``--audio`` of the same speech with its transcript; inner-lip aperture (13-14 / IPD)
  median, 95th percentile, max, and the largest aperture over the bilabial frames;
* same weight, same motion: per key channel the re-tracked extent / requested extent (w x full),
  with the picture left below each photo's chin: a JawOpen asking the chin past the picture's lower
  edge is flagged (no tracker reads a chin outside the frame; ``--room PX`` continues the photo's
  bottom row PX px further down, at the same face scale, to measure the drawing with room for it);
* reenactment: WolfgangLanger_Pexels.mp4 -> single_face.jpg, driver's apertures and brow
  displacements (measured on the driver's landmarks against its own rest) vs the portrait's; the
  jaw's ratio is split into what the captured track carries of the driver's range (its JawOpen x
  full extent) and what the portrait draws of the track's (the two stages' shares of a shortfall);
  the lower face's rows again on the frames where her hand does not cover her mouth and chin
  (``LOWER_FACE_COVERED``: there the driver's lips and chin are the tracker's guesses);
* a contact sheet per portrait (open vowels, bilabials, expression apexes) under ``--sheets``.

* ``--refine [--hold N]``: the same-motion table through the closed loop (what ``facemimic
  animate`` draws), each request held N frames from a reset loop, the last frame measured.

    python benchmarks/units_portrait.py [--portraits a.jpg b.jpg] [--sheets DIR] [--room PX] [--refine [--hold N]]
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TEXT = ("Hello, I will be back soon with many photos. Maybe my brother Bob paid for the map. "
        "We were happy to see you at the party.")
PORTRAITS = ("single_face.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "0-f1-su-ph.jpg")
BILABIALS = {"P", "B", "M"}
OPEN_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY"}
KEY = ("JawOpen", "MouthCornerPullLeft", "MouthFrownLeft", "MouthStretchLeft", "MouthUpperUpLeft",
       "MouthLowerDownLeft", "BrowInnerUpLeft", "BrowLowererLeft", "BrowOuterUpLeft", "EyeWideLeft",
       "LipPuckerUpperLeft")


def illustration(folder: Path) -> Path:
    """The illustration: a render of the built-in 2D avatar (drawn face), saved as a PNG."""
    import cv2

    from facemimic.animate.avatar.render import render_frame
    from facemimic.expressions.frame import ExpressionFrame

    img = render_frame(ExpressionFrame.neutral(), size=512)
    path = folder / "avatar_illustration.png"
    cv2.imwrite(str(path), cv2.cvtColor(img[..., :3], cv2.COLOR_RGB2BGR))
    return path


def retracked_measures(anim, frames_rgb, drives=None):
    """Re-track rendered frames; geometric measures against the re-tracked photo.

    With ``drives`` (one (93,) drive per frame) also the measures of what was *drawn*: the
    re-tracked photo's landmarks moved by the model's landmark motion for each drive (its
    templates, no render, no head pose), to tell a tracker's limit (a chin leaving the picture, a
    drawn brow it does not follow) from a drawing that falls short."""
    from facemimic.animate.portrait.calibrate import StillTracker, rest_of, retrack
    from facemimic.expressions import geometry

    x0, y0, x1, y1 = anim.warp.roi
    size = (x1 - x0, y1 - y0)
    centre = anim.points.mean(0) - (x0, y0)
    with StillTracker() as tr:
        photo = retrack([anim.image[y0:y1, x0:x1]], centre, tracker=tr)[0]
        got = retrack([f[y0:y1, x0:x1] for f in frames_rgb], centre, tracker=tr)
    rest, _ = rest_of(photo, size)
    lm = np.stack([np.asarray(f.landmarks, np.float64) if f is not None and f.present
                   else np.full((478, 3), np.nan) for f in got])
    measured = geometry.measure(lm, size, rest), geometry.measure(np.asarray(photo.landmarks), size, rest)
    if drives is None:
        return measured
    base = np.asarray(photo.landmarks, np.float64)
    drawn = []
    for d in drives:
        move = np.tensordot(anim.model.controls(d), anim.model.basis, axes=1)  # (478, 2) px
        pts = base.copy()
        pts[:, :2] += move / np.asarray(size, np.float64)
        drawn.append(pts)
    return (*measured, geometry.measure(np.stack(drawn), size, rest))


@functools.lru_cache(maxsize=1)
def spoken():
    """The built-in voice saying TEXT, once per process: espeak-ng's synthesiser keeps state from
    call to call (each later call of the same text comes out with phones up to ~20 ms apart), so
    synthesising per portrait made every portrait's speech depend on the ones run before it."""
    from facemimic.voice import say

    return say(TEXT)


def speech(path: Path, *, refine: bool, audio: bool, sheet_dir: Path | None):
    from facemimic.animate.portrait.animator import PortraitAnimator, timeline
    from facemimic.lipsync.api import LipSyncOptions, from_phones, lipsync
    from facemimic.common.audio import write_wav

    sp = spoken()
    fps = 30
    if audio:
        with tempfile.TemporaryDirectory() as tmp:
            wav = write_wav(Path(tmp) / "s.wav", sp.audio, sp.sample_rate)
            track = lipsync(str(wav), text=TEXT, options=LipSyncOptions(fps=fps)).track(fps=fps)
    else:
        track = from_phones(list(sp.phones), sp.duration, options=LipSyncOptions(fps=fps)).track(fps=fps)
    anim = PortraitAnimator(str(path), size=512, refine=refine)
    frames = timeline(track, fps=fps)
    t0 = time.perf_counter()
    out = [anim.render(f) for f in frames]
    render_s = time.perf_counter() - t0
    anim.close()
    m, photo = retracked_measures(anim, out)
    gap = np.asarray(m.lip_gap)
    times = np.array([f.time for f in frames])
    bil = np.zeros(len(frames), bool)
    vow = np.zeros(len(frames), bool)
    for p in sp.phones:
        inside = (times >= p.start) & (times < p.end)
        # the middle of a closure (its first and last frame are transitions the phone aligner
        # cannot place to the frame)
        if p.name in BILABIALS:
            k = np.flatnonzero(inside)
            if len(k):
                bil[k[len(k) // 2]] = True
        if p.name in OPEN_VOWELS:
            k = np.flatnonzero(inside)
            if len(k):
                vow[k[len(k) // 2]] = True
    ok = np.isfinite(gap)
    res = dict(p50=float(np.percentile(gap[ok], 50)), p95=float(np.percentile(gap[ok], 95)),
               max=float(gap[ok].max()), bilabial_max=float(np.nanmax(gap[bil])),
               bilabials=int(bil.sum()), bilabials_met=int((gap[bil] <= 0.03).sum()),
               photo_gap=float(photo.lip_gap), lost=int((~ok).sum()), fps=len(out) / render_s)
    if sheet_dir is not None:
        pick = list(np.flatnonzero(vow)[:4]) + list(np.flatnonzero(bil)[:4])
        contact_sheet([out[i] for i in pick], [f"{'vowel' if vow[i] else 'p/b/m'} {gap[i]:.2f}" for i in pick],
                      sheet_dir / f"speech_{path.stem}{'_audio' if audio else ''}.png", anim)
    return res


def contact_sheet(images, labels, path: Path, anim, crop: float = 1.3):
    """Mouth-and-face crops side by side with their labels."""
    import cv2

    pts = anim.points
    cx, cy = pts[:468, 0].mean(), pts[:468, 1].mean()
    half = crop * 0.5 * np.ptp(pts[:468, 0])
    x0, x1 = int(max(cx - half, 0)), int(min(cx + half, anim.image.shape[1]))
    y0, y1 = int(max(cy - half, 0)), int(min(cy + half, anim.image.shape[0]))
    tiles = []
    for im, lab in zip(images, labels):
        t = np.ascontiguousarray(cv2.resize(im[y0:y1, x0:x1, :3], (256, 256)))
        cv2.putText(t, lab, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 0), 2)
        tiles.append(t)
    while len(tiles) % 4:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.concatenate(tiles[i:i + 4], axis=1) for i in range(0, len(tiles), 4)]
    cv2.imwrite(str(path), cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))


def channel_request(channel: str, weight: float) -> dict[str, float]:
    """The shapes that ask one key channel at ``weight``: both sides of a sided channel, all four
    quadrants of the pucker."""
    if channel.startswith("LipPucker"):
        return {f"LipPucker{p}{s}": weight for p in ("Upper", "Lower") for s in ("Left", "Right")}
    shapes = {channel: weight}
    if channel.endswith("Left"):
        shapes[channel[:-4] + "Right"] = weight
    return shapes


def chin_room(anim) -> float:
    """The picture left below the photo's chin (MediaPipe point 152), in the photo's IPD (its iris
    centres' distance): a JawOpen whose chin drop (w x 0.75 IPD) is larger asks the chin out of the
    frame, where no tracker can read it (0-f15-hao / 0-f1-su ~0.3 IPD: from JawOpen ~0.4)."""
    p = np.asarray(anim.points, np.float64)
    return float((anim.image.shape[0] - p[152, 1]) / np.hypot(*(p[468] - p[473])))


def with_room(path: Path, px: int, folder: Path) -> tuple[Path, int]:
    """The photo with its bottom row continued ``px`` px further down (a plain strip: no second
    chin or mouth for a tracker to find), written to ``folder``, and the animator size that keeps
    the face at the scale ``size=512`` gives the original."""
    import cv2

    im = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    h, w = im.shape[:2]
    out = folder / f"{path.stem}_room{px}.png"
    cv2.imwrite(str(out), cv2.copyMakeBorder(im, 0, px, 0, 0, cv2.BORDER_REPLICATE))
    return out, int(round(512 * max(h + px, w) / max(h, w)))


def same_motion(path: Path, weight: float, sheet_dir: Path | None, size: int = 512, *,
                refine: bool = False, hold: int = 8):
    """Per key channel: re-tracked extent / requested extent, at ``weight``; the same ratio of
    what the mesh moved (``retracked_measures``' drawn measures); and :func:`chin_room`.

    ``refine=False``: the calibrated open loop, one render per request. ``refine=True``: the
    closed loop ``facemimic animate`` runs, each request held ``hold`` frames from a reset loop
    (the loop corrects from the re-tracks of earlier frames), the last frame and its corrected
    drive measured."""
    from facemimic.animate.portrait.animator import PortraitAnimator
    from facemimic.expressions import geometry
    from facemimic.expressions.frame import ExpressionFrame

    anim = PortraitAnimator(str(path), size=size, refine=refine)
    imgs, drives = [], []
    plan = anim.plan

    def recording_plan(frame):
        p = plan(frame)
        drives.append(np.asarray(p.drive, np.float32).copy())
        return p

    anim.plan = recording_plan
    for ch in KEY:
        frame = ExpressionFrame.from_shapes(channel_request(ch, weight))
        if refine:
            anim.reset()  # each request starts from the photo, not from the last one's correction
            for _ in range(max(hold, 1) - 1):
                anim.render(frame)
                drives.pop()
        imgs.append(anim.render(frame))
    if refine:
        anim.close()
    m, photo, drawn = retracked_measures(anim, imgs, drives)
    ratios, drawn_ratios = {}, {}
    for t, ch in enumerate(KEY):
        c = geometry.CHANNELS[ch]
        for got, into in ((m, ratios), (drawn, drawn_ratios)):
            v = getattr(got, c.measure)[t]
            into[ch] = float(v if c.side is None else v[c.side]) / (weight * c.full_extent)
    if sheet_dir is not None:
        contact_sheet([anim.image] + imgs, ["photo"] + [f"{c[:14]} {ratios[c]:.2f}" for c in KEY],
                      sheet_dir / f"apex_{path.stem}{'_refine' if refine else ''}.png", anim)
    return ratios, drawn_ratios, chin_room(anim)


# WolfgangLanger_Pexels.mp4's frames [57, 230) have her hand over her lips, mouth corners or chin
# (looked at frame by frame: the fingers reach the chin at 57 and leave it at 229; nothing covers
# the lower face before or after). Her brows stay in sight throughout; her fingertips touch one eye's
# inner corner in about 98-140, and the eyes' and brows' measures stay on every frame as before.
LOWER_FACE_COVERED = (57, 230)
SEEN = ", lower face in sight"


def reenactment(samples: Path, series: dict | None = None):
    """WolfgangLanger -> single_face: the driver's apertures and brow displacements reproduced."""
    from facemimic.animate.drivers import relative_motion
    from facemimic.animate.portrait.animator import PortraitAnimator, timeline
    from facemimic.animate.portrait.api import within_full_extent
    from facemimic.capture.api import track as capture_track
    from facemimic.expressions import geometry
    from facemimic.expressions.names import ue_index

    video = samples / "WolfgangLanger_Pexels.mp4"
    raw = capture_track(str(video), keep_landmarks=True)
    a = raw.to_arrays()
    import av

    with av.open(str(video)) as c:
        s = c.streams.video[0]
        size = (s.codec_context.width, s.codec_context.height)
    lm = a["landmarks"]
    rest = geometry.estimate_rest(lm, size)
    drv = geometry.measure(lm, size, rest)
    rel = relative_motion(raw)
    anim = PortraitAnimator(str(samples / "single_face.jpg"), size=512, refine=True)
    frames = timeline(rel, fps=rel.fps)
    if anim.options.rest == "source":  # as `facemimic animate --drive` draws it (portrait/api.py)
        frames = within_full_extent(frames, anim.face_frame.weights)
    out = [anim.render(f) for f in frames]
    anim.close()
    m, photo = retracked_measures(anim, out)
    n = min(len(out), len(lm))
    drv_ap = drv.eye_aperture.mean(-1)
    drv_open = np.asarray(rel.to_arrays()["openness"], float).mean(-1) >= 0.95

    def row(d, p, keep=None):
        """(driver's p95 - p5, portrait's, their ratio, r) over the frames ``keep`` (default all)."""
        d, p = np.asarray(d[:n], float), np.asarray(p[:n], float)
        ok = np.isfinite(d) & np.isfinite(p) & (True if keep is None else keep)
        amp_d = np.percentile(d[ok], 95) - np.percentile(d[ok], 5)
        amp_p = np.percentile(p[ok], 95) - np.percentile(p[ok], 5)
        r = float(np.corrcoef(d[ok], p[ok])[0, 1])
        return amp_d, amp_p, amp_p / amp_d if amp_d > 0 else float("nan"), r

    lower = {"lip gap (change)": (drv.lip_gap - np.nanmin(drv.lip_gap), m.lip_gap - photo.lip_gap),
             "jaw drop": (drv.jaw_drop, m.jaw_drop),
             "smile pull": (drv.smile_pull.mean(-1), m.smile_pull.mean(-1))}
    upper = {
        # EyeClosed is relative to each face's own open aperture (docs/units.md): the photo's
        # open eye (~0.10 IPD) is narrower than the driver's (~0.13), so compare the share of
        # the open aperture closed; the driver's open aperture is its median over the frames
        # its own track calls open (relative openness >= 0.95; it looks down often, so the
        # median over all frames would count half-closed lids as open)
        # (closure only: an eye wider than open is EyeWide's, so both are clipped at 0)
        "eye closure (share of open)": (np.clip(1 - drv_ap / np.nanmedian(drv_ap[drv_open]), 0, None),
                                        np.clip(1 - m.eye_aperture.mean(-1) / photo.eye_aperture.mean(), 0, None)),
        "brow inner raise": (drv.brow_inner_raise.mean(-1), m.brow_inner_raise.mean(-1)),
        "brow outer raise": (drv.brow_outer_raise.mean(-1), m.brow_outer_raise.mean(-1))}
    rows = {}
    order = ("lip gap (change)", "jaw drop", "eye closure (share of open)", "brow inner raise",
             "brow outer raise", "smile pull")
    for name, (d, p) in ((k, {**lower, **upper}[k]) for k in order):
        rows[name] = row(d, p)
        if series is not None:
            series[name] = (np.asarray(d[:n], float), np.asarray(p[:n], float))
    # The jaw's shortfall split between the stages: the track carries JawOpen >= 0 (a weight has no
    # negative extent), so a driver whose chin reads above its own rest loses that part of its range
    # in capture, not in the animator (on this clip those readings are her hand's: below).
    carried = np.nan_to_num(np.asarray(rel.to_arrays()["weights"], float)[:n, ue_index("JawOpen")]) \
        * geometry.CHANNELS["JawOpen"].full_extent

    def split(keep, suffix=""):
        jd = np.asarray(drv.jaw_drop[:n], float)
        amp_d, amp_p = row(drv.jaw_drop, m.jaw_drop, keep)[:2]
        c = carried[keep] if keep is not None else carried
        amp_t = float(np.percentile(c, 95) - np.percentile(c, 5))
        below = float(np.nanpercentile(jd[keep] if keep is not None else jd, 5))
        rows[f"jaw drop: track / driver{suffix}"] = (amp_d, amp_t, amp_t / amp_d if amp_d > 0 else float("nan"), below)
        rows[f"jaw drop: portrait / track{suffix}"] = (amp_t, amp_p, amp_p / amp_t if amp_t > 0 else float("nan"),
                                                       float("nan"))

    split(None)
    # The lower face where the driver's mouth and chin are in sight: her hand covers them in
    # LOWER_FACE_COVERED, where MediaPipe's lips and chin are guesses (the "chin above its rest",
    # -0.08..-0.12 IPD, is fingers over the chin). The issue's +-20 % is judged on these rows for
    # the lower face's measures (rule /work/notes/s28/occlusion-rule.md).
    seen = np.ones(n, bool)
    seen[LOWER_FACE_COVERED[0]:LOWER_FACE_COVERED[1]] = False
    for name, (d, p) in lower.items():
        rows[f"{name}{SEEN}"] = row(d, p, seen)
    split(seen, SEEN)
    return rows


def print_reenactment(rows: dict, width: int = 24) -> None:
    """One line per :func:`reenactment` row; the jaw's split rows say which stages they compare."""
    for name, (d, p, ratio, r) in rows.items():
        if name.startswith("jaw drop: track / driver"):
            print(f"reenact {name:{width}s} driver {d:.3f} track {p:.3f} ratio {ratio:.2f} "
                  f"(driver's 5th percentile {r:+.3f} IPD from its rest)", flush=True)
        elif name.startswith("jaw drop: portrait / track"):
            print(f"reenact {name:{width}s} track {d:.3f} portrait {p:.3f} ratio {ratio:.2f}", flush=True)
        else:
            print(f"reenact {name:{width}s} driver {d:.3f} portrait {p:.3f} ratio {ratio:.2f} r {r:.2f}", flush=True)


def main(argv=None) -> int:
    from facemimic.expressions import geometry
    from facemimic.samples import ensure_samples

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--portraits", nargs="*", default=None)
    ap.add_argument("--sheets", type=Path, default=None, help="folder for contact sheets (PNG)")
    ap.add_argument("--no-refine", action="store_true", help="open loop (calibrated) speech")
    ap.add_argument("--skip", nargs="*", default=(), choices=("speech", "audio", "motion", "reenact"))
    ap.add_argument("--room", type=int, default=0, metavar="PX",
                    help="same motion on each photo continued PX px below (room for the chin; same face scale)")
    ap.add_argument("--refine", action="store_true",
                    help="same motion through the closed loop `facemimic animate` runs (default: the open loop)")
    ap.add_argument("--hold", type=int, default=8, metavar="N",
                    help="with --refine: frames each request is held from a reset loop (the last is measured)")
    args = ap.parse_args(argv)
    samples = Path(ensure_samples())
    if args.sheets:
        args.sheets.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(p) for p in args.portraits] if args.portraits else \
            [samples / p for p in PORTRAITS] + [illustration(Path(args.sheets or tmp))]
        for path in paths:
            if "speech" not in args.skip:
                r = speech(path, refine=not args.no_refine, audio=False, sheet_dir=args.sheets)
                print(f"{path.name:26s} say    aperture p50 {r['p50']:.3f} p95 {r['p95']:.3f} max {r['max']:.3f} "
                      f"(photo {r['photo_gap']:.3f}); bilabials met {r['bilabials_met']}/{r['bilabials']} "
                      f"(max {r['bilabial_max']:.3f}); lost {r['lost']}; {r['fps']:.0f} fps", flush=True)
            if "audio" not in args.skip:
                r = speech(path, refine=not args.no_refine, audio=True, sheet_dir=args.sheets)
                print(f"{path.name:26s} audio  aperture p50 {r['p50']:.3f} p95 {r['p95']:.3f} max {r['max']:.3f} "
                      f"(photo {r['photo_gap']:.3f}); bilabials met {r['bilabials_met']}/{r['bilabials']} "
                      f"(max {r['bilabial_max']:.3f}); lost {r['lost']}", flush=True)
            if "motion" not in args.skip:
                moved, size = with_room(path, args.room, Path(tmp)) if args.room else (path, 512)
                for w in (0.3, 0.6):
                    ratios, drawn, room = same_motion(moved, w, args.sheets if w == 0.6 else None, size,
                                                      refine=args.refine, hold=args.hold)
                    loop = f" (closed loop, held {args.hold})" if args.refine else ""
                    for label, got in (("extent/requested" + loop, ratios), ("drawn/requested " + loop, drawn)):
                        within = sum(abs(v - 1) <= 0.2 for v in got.values())
                        print(f"{path.name:26s} w={w} {label} " + " ".join(
                            f"{k.replace('Left', '')}={v:.2f}" for k, v in got.items())
                            + f"  ({within}/{len(got)} within 20 %)", flush=True)
                    past = w * geometry.CHANNELS["JawOpen"].full_extent - room
                    print(f"{path.name:26s} w={w} picture below the chin {room:.2f} IPD"
                          + (f": JawOpen asks the chin {past:.2f} IPD past its lower edge" if past > 0 else ""),
                          flush=True)
    if "reenact" not in args.skip:
        print_reenactment(reenactment(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
