"""Which points should the face frame be fitted to? (issues #11 and #15; docs/journal/units.md,
"The face frame's points")

    nice python benchmarks/face_frame_probe.py               # ~2 minutes on 2 cores (tracking + renders cached)
    nice python benchmarks/face_frame_probe.py --fresh       # re-track and re-render

The face frame (:func:`facemimic.expressions.geometry.canonical_points`) removes head pose by a
rigid fit of ``geometry.STABLE_POINTS`` to MediaPipe's canonical mesh. MediaPipe moves some of
those points (the forehead 10 151 108 337, the face's sides 127 356 234 454) down by 2-7 px when
the jaw opens, so a jaw-only render reads lowered brows the avatar did not draw. This measures the
shipped set against smaller sets (eye corners + nose, with and without the forehead midline or the
sides), each put in ``geometry.STABLE_POINTS`` in turn, on the same landmarks:

(a) **jaw -> brow cross-talk**: brow readings of head3d avatars (single_face, 0-f15-hao, 0-f1-su)
    rendered with JawOpen 0.3 / 0.6 / 0.9 and nothing else, against the avatar's neutral render
    (truth: 0, the avatar draws no brow motion), and the portrait animator's open-loop renders of
    single_face and 0-f15-hao (calibrated, no closed loop) with the same jaws; on the real talking face (WolfgangLanger_Pexels.mp4,
    IMAGE-mode landmarks), the speech-band slope and r of brow_lower on jaw_drop (both high-passed:
    minus a 15-frame running median). Also the image-space brow-to-eye gap of the same renders (no
    fit at all: what MediaPipe moves the brows themselves by).
(b) **noise**: every FaceMeasures field's frame-to-frame jitter (RMS second difference) on
    WolfgangLanger and single_face.mp4, as a ratio to the shipped set's; brow readings on smile,
    squint and smile+squint renders (eye corners move there) and on the video's smiling frames.
(c) **face size**: the IPD carried to turned renders (+-15, 25, 35 degrees of yaw) against the
    frontal render's, and the spread of the frontal iris / face-size ratio over the video.

Then it applies the keep rule written before the numbers (/work/notes/s10/ff-rule.md, restated
in docs/journal/units.md) and prints the verdict per candidate.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from facemimic.capture.model import canonical_mesh  # noqa: E402
from facemimic.expressions import geometry as geo  # noqa: E402
from units_measure import image_size  # noqa: E402  (benchmarks/, the script's folder)

CACHE = Path.home() / ".cache" / "facemimic" / "face_frame_probe.npz"
VIDEOS = ("WolfgangLanger_Pexels.mp4", "single_face.mp4")
PHOTOS = ("0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg", "single_face.jpg")
AVATARS = ("single_face.jpg", "0-f15-hao-ph.jpg", "0-f1-su-ph.jpg")
PORTRAITS = ("single_face.jpg", "0-f15-hao-ph.jpg")
JAWS = (0.3, 0.6, 0.9)
YAWS = (-35, -25, -15, 15, 25, 35)
PROBES = {"rest": {}, **{f"jaw{j}": dict(JawOpen=j) for j in JAWS},
          "smile": dict(MouthCornerPull=0.8), "squint": dict(EyeSquint=1.0, CheekSquint=1.0),
          "smilesq": dict(MouthCornerPull=0.8, CheekSquint=0.8, EyeSquint=0.5),
          "brlow": dict(BrowLowerer=0.6)}
EYES_NOSE = (33, 133, 362, 263, 6, 197, 195)
CANDIDATES = {
    "shipped": geo.STABLE_POINTS,
    "eyes+nose": EYES_NOSE,
    "eyes+nose+glabella+tip": (33, 133, 362, 263, 6, 168, 197, 195, 4),
    "eyes+bridge": (33, 133, 362, 263, 6, 168),
    "eyes+nose+midline": EYES_NOSE + (10, 151),
    "no forehead": EYES_NOSE + (127, 356, 234, 454),
    "no sides": EYES_NOSE + (10, 151, 108, 337),
}
BROWS = ("brow_lower", "brow_inner_raise", "brow_outer_raise")
FIELDS = [f.name for f in dataclasses.fields(geo.FaceMeasures) if f.name != "rest_kind"]
BROW_PTS = [336, 285, 334, 282, 107, 55, 105, 52]  # inner and middle brow, both sides (as brow_lower)


# --- data ----------------------------------------------------------------------------------------
def collect(path: Path) -> dict[str, np.ndarray]:
    """IMAGE-mode landmarks of the real media and of the head3d probe renders (512 px)."""
    from facemimic.animate.portrait.animator import PortraitAnimator
    from facemimic.capture.api import StillTracker, track
    from facemimic.expressions.names import UE_INDEX
    from facemimic.generate.api import express
    from facemimic.head3d.api import make_avatar
    from facemimic.samples import ensure_samples

    samples = ensure_samples()
    out = {}
    for name in VIDEOS + PHOTOS:
        tr = track(samples / name, smoothing="raw", keep_landmarks=True, max_faces=1)
        out["real/" + name] = tr.landmarks[tr.present].astype(np.float64)
        out["size/" + name] = np.array(image_size(samples / name))
    base = express("neutral", variations=1, seed=1)[0]

    def frame(weights):
        v = np.zeros_like(np.asarray(base.weights))
        for k, x in weights.items():
            for ch in ([k] if k in UE_INDEX else [k + "Left", k + "Right"]):
                v[UE_INDEX[ch]] = x
        return dataclasses.replace(base, weights=v, head_rotation=(0.0, 0.0, 0.0))

    with StillTracker(max_faces=1) as tracker:
        for photo in AVATARS:
            avatar = make_avatar(samples / photo)
            for key, weights in PROBES.items():
                out[f"{photo}/{key}"] = tracker.faces(avatar.render(frame(weights), size=512))[0].landmarks
            for yaw in YAWS:
                out[f"{photo}/yaw{yaw}"] = tracker.faces(avatar.render(frame({}), size=512, yaw_deg=yaw))[0].landmarks
        for photo in PORTRAITS:
            animator = PortraitAnimator(str(samples / photo), size=512, refine=False)
            for key in ["rest"] + [f"jaw{j}" for j in JAWS]:
                out[f"portrait/{photo}/{key}"] = tracker.faces(animator.render(frame(PROBES[key])))[0].landmarks
            animator.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **out)
    return out


_MESH = None


@contextlib.contextmanager
def stable(points):
    """geometry's face frame fitted to ``points`` for the duration (canonical points added as needed)."""
    global _MESH
    saved = geo.STABLE_POINTS, dict(geo.CANONICAL_CM), geo._REFERENCE
    missing = [i for i in points if i not in geo.CANONICAL_CM]
    if missing:
        _MESH = canonical_mesh() if _MESH is None else _MESH
        geo.CANONICAL_CM.update({i: tuple(_MESH[i]) for i in missing})
    geo.STABLE_POINTS, geo._REFERENCE = tuple(points), geo._canonical_ipd_frame()
    try:
        yield
    finally:
        geo.STABLE_POINTS, geo._REFERENCE = saved[0], saved[2]
        geo.CANONICAL_CM.clear()
        geo.CANONICAL_CM.update(saved[1])


# --- measures ------------------------------------------------------------------------------------
def high_pass(x: np.ndarray, k: int = 15) -> np.ndarray:
    from scipy.ndimage import median_filter

    return x - median_filter(x, size=k, mode="nearest")


def jitter(x: np.ndarray) -> float:
    x = np.asarray(x, np.float64)
    d2 = x[2:] - 2 * x[1:-1] + x[:-2]
    return float(np.sqrt(np.nanmean(d2 ** 2)))


def probe(data: dict[str, np.ndarray]) -> dict:
    """Every measure of the module docstring, for the frame currently in geometry."""
    r: dict = {"jaw": {}, "other": {}, "yaw": []}
    for av in AVATARS + tuple("portrait/" + p for p in PORTRAITS):
        rest = geo.rest_face(data[f"{av}/rest"], (512, 512))
        m = geo.measure(np.stack([data[f"{av}/jaw{j}"] for j in JAWS]), (512, 512), rest=rest)
        r["jaw"][av] = {b: getattr(m, b).mean(-1) for b in BROWS}
        if av.startswith("portrait/"):
            continue
        for key in ("smile", "squint", "smilesq", "brlow"):
            mk = geo.measure(data[f"{av}/{key}"], (512, 512), rest=rest)
            r["other"].setdefault(key, []).append([float(getattr(mk, b).mean()) for b in BROWS])
        keys = ["rest"] + [f"yaw{y}" for y in YAWS]
        ipd = geo.inter_pupil_distance(np.stack([data[f"{av}/{k}"] for k in keys]), (512, 512))
        r["yaw"].append(ipd[1:] / ipd[0] - 1)
    r["yaw"] = np.array(r["yaw"])
    for vid in VIDEOS:
        lm, size = data["real/" + vid], tuple(int(v) for v in data["size/" + vid])
        m = geo.measure(lm, size, rest=geo.estimate_rest(lm, size))
        v = {}
        for b in BROWS:
            a, y = high_pass(m.jaw_drop), high_pass(getattr(m, b).mean(-1))
            v[b] = (float(np.polyfit(a, y, 1)[0]), float(np.corrcoef(a, y)[0, 1]))
        v["jitter"] = {f: jitter(getattr(m, f)) for f in FIELDS}
        smiling = m.smile_pull.mean(-1) > 0.1
        v["smile_brow_lower"] = float(m.brow_lower.mean(-1)[smiling].mean())
        pts, _ = geo._as_points(lm, size)
        _, face_size, yaw = geo._fit(pts)
        iris = np.linalg.norm(pts[:, geo.LEFT_IRIS] - pts[:, geo.RIGHT_IRIS], axis=-1)
        q = (iris / face_size)[yaw < geo.FRONTAL_YAW_DEG]
        v["ratio_spread"] = float((np.percentile(q, 75) - np.percentile(q, 25)) / np.median(q))
        r[vid] = v
    return r


def image_gap(data: dict[str, np.ndarray]) -> dict[str, list[float]]:
    """Brow-to-eye-corner gap lost (IPD) in the image itself, frontal renders: no head fit involved."""
    out = {}
    eyes = list(geo._EYE_CORNERS)
    for av in AVATARS + tuple("portrait/" + p for p in PORTRAITS):
        rest = data[f"{av}/rest"]
        ipd = float(geo.inter_pupil_distance(rest, (512, 512)))

        def gap(lm):
            return (lm[eyes, 1].mean() - lm[BROW_PTS, 1].mean()) * 512 / ipd

        keys = [f"jaw{j}" for j in JAWS] + ([] if av.startswith("portrait/") else ["brlow", "squint"])
        out[av] = [gap(rest) - gap(data[f"{av}/{k}"]) for k in keys]
    return out


# --- the keep rule ---------------------------------------------------------------------------------
def verdict(name: str, r: dict, ref: dict) -> list[str]:
    """The failed conditions of the keep rule (docs/journal/units.md), empty when the candidate passes."""
    failed = []
    cross = np.mean([abs(r["jaw"][a]["brow_lower"][-1]) for a in AVATARS])
    cross0 = np.mean([abs(ref["jaw"][a]["brow_lower"][-1]) for a in AVATARS])
    if cross > 0.6 * cross0:
        failed.append(f"rendered cross-talk falls {1 - cross / cross0:+.0%} (< 40 %)")
    s, s0 = r[VIDEOS[0]]["brow_lower"][0], ref[VIDEOS[0]]["brow_lower"][0]
    if (abs(s0) >= 0.02 and abs(s) > 0.6 * abs(s0)) or (abs(s0) < 0.02 and abs(s) > max(abs(s0), 0.02)):
        failed.append(f"real speech-band slope {s0:+.3f} -> {s:+.3f}")
    for vid in VIDEOS:
        worst = max(FIELDS, key=lambda f: r[vid]["jitter"][f] / max(ref[vid]["jitter"][f], 1e-12))
        ratio = r[vid]["jitter"][worst] / max(ref[vid]["jitter"][worst], 1e-12)
        if ratio > 1.10:
            failed.append(f"{vid[:8]} jitter {worst} x{ratio:.2f}")
    for key in ("smile", "squint", "smilesq"):
        now, before = np.abs(np.mean(r["other"][key], 0)[:2]), np.abs(np.mean(ref["other"][key], 0)[:2])
        if (now - before).max() > 0.01:
            failed.append(f"{key} brows +{(now - before).max():.3f} IPD")
    shift = abs(r[VIDEOS[0]]["smile_brow_lower"] - ref[VIDEOS[0]]["smile_brow_lower"])
    if shift > 0.01:
        failed.append(f"smiling frames' brow_lower moved {shift:.3f} IPD")
    if np.abs(r["yaw"]).max() > np.abs(ref["yaw"]).max() + 0.02:
        failed.append(f"turned IPD error {np.abs(r['yaw']).max():.3f}")
    for vid in VIDEOS:
        if r[vid]["ratio_spread"] > 1.10 * ref[vid]["ratio_spread"]:
            failed.append(f"{vid[:8]} size spread x{r[vid]['ratio_spread'] / ref[vid]['ratio_spread']:.2f}")
    return failed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--fresh", action="store_true", help="re-track and re-render even if cached")
    args = ap.parse_args(argv)
    data = dict(np.load(args.cache)) if args.cache.exists() and not args.fresh else collect(args.cache)
    results = {}
    for name, points in CANDIDATES.items():
        with stable(points):
            results[name] = probe(data)
    ref = results["shipped"]
    print("(a) jaw-only renders, brow_lower at JawOpen 0.3 / 0.6 / 0.9 (IPD; truth 0), per avatar; "
          "WolfgangLanger speech-band slope and r of brow_lower on jaw_drop")
    for name, r in results.items():
        jaw = "  ".join(f"{a[:6]} " + " ".join(f"{x:+.4f}" for x in r["jaw"][a]["brow_lower"]) for a in AVATARS)
        s, c = r[VIDEOS[0]]["brow_lower"]
        print(f"  {name:24s} {jaw} | real {s:+.3f} (r {c:+.2f})")
        portrait = "  ".join(f"{a[:6]} " + " ".join(f"{x:+.4f}" for x in r["jaw"]["portrait/" + a][b])
                             for a in PORTRAITS for b in ("brow_lower", "brow_inner_raise"))
        print(f"  {'':24s} portraits (brow_lower, then inner raise): {portrait}")
    print("    image-space brow-to-eye gap lost (no fit), jaw 0.3 / 0.6 / 0.9, BrowLowerer 0.6, squint:")
    for av, g in image_gap(data).items():
        print(f"    {av[:19]:19s} " + " ".join(f"{x:+.4f}" for x in g))
    print("(b) jitter (RMS 2nd difference) vs shipped, the three worst fields per video; brows on smile / squint renders")
    for name, r in results.items():
        parts = []
        for vid in VIDEOS:
            ratios = sorted(((r[vid]["jitter"][f] / max(ref[vid]["jitter"][f], 1e-12), f) for f in FIELDS), reverse=True)[:3]
            parts.append(f"{vid[:8]} " + ", ".join(f"{f} x{x:.2f}" for x, f in ratios))
        other = " ".join(f"{k} {np.mean(v, 0)[0]:+.4f}" for k, v in r["other"].items())
        print(f"  {name:24s} {' | '.join(parts)} | brow_lower: {other}, smiling frames {r[VIDEOS[0]]['smile_brow_lower']:+.4f}")
    print("(c) carried IPD on turned renders (max |error|) and the video's frontal ratio spread (IQR / median)")
    for name, r in results.items():
        print(f"  {name:24s} yaw {np.abs(r['yaw']).max():.3f}  " + "  ".join(f"{v[:8]} {r[v]['ratio_spread']:.4f}" for v in VIDEOS))
    print("keep rule:")
    for name, r in results.items():
        if name != "shipped":
            failed = verdict(name, r, ref)
            print(f"  {name:24s} {'KEEP' if not failed else 'reject: ' + '; '.join(failed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
