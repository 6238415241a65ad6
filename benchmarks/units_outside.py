"""The portrait's motion in the unit, read by an OUTSIDE landmark detector (dlib's 68 points).

Run: ``python benchmarks/units_outside.py [--portraits single_face.jpg ...] [--skip motion reenact] [--open-loop] [--room PX] [-o DIR]``

``--open-loop`` renders without calibration or closed loop (the templates' own motion, which is in the
unit by construction), to tell what the tracker-aimed corrections add.

``units_portrait.py`` reads the animator's output with MediaPipe, the same tracker its calibration and
closed loop aim at: a check that cannot tell "the face moved w x the full extent" from "MediaPipe reads
w x the full extent". Here a second detector that nothing in FaceMimic calibrates against reads the
same frames: dlib's 68-point shape predictor (iBUG 300-W), run in the judges' own environment
(``portrait_judges.py --setup``) through ``landmarks68_worker.py``. Both detectors' landmarks go
through the same simple 2D measures (pixels over the detector's own inter-eye distance; brows against
the eye corners, mouth corners against the lips' centre), so the two columns compare like for like:

1. **Real video** (WolfgangLanger_Pexels.mp4, every 2nd frame): how the two detectors agree on a real
   face (slope of dlib's change on MediaPipe's, and r). Where they agree on real faces, a disagreement
   on the animator's frames is the warp's, not the detectors' habits.
2. **Reenactment** (that video driving single_face.jpg, as ``units_portrait.py`` runs it): the least-
   squares slope of the portrait's measure on the driver's, per detector (1.0 = the driver's motion).
3. **Same weight, same motion** (each key channel alone at 0.3 and 0.6 on the four photos): change /
   (w x full extent) by each detector, beside the mesh's own drawn motion (``units_portrait``'s
   "drawn" ratios: what the warp moved the pixels by).

dlib places its points on a 512 px face to the pixel (~0.01 inter-eye distance) and is noisier on the
portraits than MediaPipe; read the slopes, not single cells.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

HERE = Path(__file__).resolve().parent
WORKER = HERE / "landmarks68_worker.py"
VENV = Path(os.environ.get("FACEMIMIC_JUDGES_VENV", "/tmp/venv-judges"))
SMILE_ANGLE = np.radians(40.0)  # geometry.SMILE_ANGLE_DEG

# The same named points in each detector (subject's left first where sided).
POINTS = {
    "mediapipe": dict(eyes=((468,), (473,)), chin=152, nose=195, lip_in_up=13, lip_in_low=14, corners=(291, 61),
                      subnasale=2, lip_top=0, lip_bottom=17, brow_inner=(285, 55), brow_mid=(282, 52),
                      brow_outer=(276, 46), eye_inner=(362, 133), eye_outer=(263, 33),
                      lid_up=((386,), (159,)), lid_low=((374,), (145,))),
    "dlib": dict(eyes=(tuple(range(42, 48)), tuple(range(36, 42))), chin=8, nose=29, lip_in_up=62, lip_in_low=66,
                 corners=(54, 48), subnasale=33, lip_top=51, lip_bottom=57, brow_inner=(22, 21), brow_mid=(24, 19),
                 brow_outer=(26, 17), eye_inner=(42, 39), eye_outer=(45, 36),
                 lid_up=((43, 44), (37, 38)), lid_low=((47, 46), (41, 40))),
}


def simple_measures(points: np.ndarray, detector: str) -> dict[str, float]:
    """2D measures of one face in inter-eye distances.

    Parameters
    ----------
    points : np.ndarray [shape=(N, 2)]
        The detector's landmarks in pixels (N = 478 for MediaPipe, 68 for dlib).
    detector : {"mediapipe", "dlib"}

    Returns
    -------
    dict
        ``jaw`` chin to nose, ``gap`` inner lips, ``out``/``up`` the corners from the lips' centre,
        ``nose_lip``, ``lip_chin``, ``width``, ``brow_inner``/``brow_mid``/``brow_outer`` above the eye
        corners, ``lids`` the upper to lower lid gap; sided ones averaged over both sides.
    """
    p, x = POINTS[detector], np.asarray(points, np.float64)

    def at(idx):
        return x[list(idx)].mean(0)

    ipd = np.linalg.norm(at(p["eyes"][0]) - at(p["eyes"][1]))
    centre = (x[p["lip_in_up"]] + x[p["lip_in_low"]]) / 2
    corners = x[list(p["corners"])]

    def above(brow, corner):
        return np.mean([x[p[corner][s]][1] - x[p[brow][s]][1] for s in (0, 1)])

    m = dict(jaw=np.linalg.norm(x[p["chin"]] - x[p["nose"]]), gap=x[p["lip_in_low"]][1] - x[p["lip_in_up"]][1],
             out=np.mean(np.abs(corners[:, 0] - centre[0])), up=np.mean(centre[1] - corners[:, 1]),
             nose_lip=x[p["lip_top"]][1] - x[p["subnasale"]][1], lip_chin=x[p["chin"]][1] - x[p["lip_bottom"]][1],
             width=abs(corners[0, 0] - corners[1, 0]), brow_inner=above("brow_inner", "eye_inner"),
             brow_mid=above("brow_mid", "eye_inner"), brow_outer=above("brow_outer", "eye_outer"),
             lids=np.mean([at(p["lid_low"][s])[1] - at(p["lid_up"][s])[1] for s in (0, 1)]))
    return {k: v / ipd for k, v in m.items()}


def channel_changes(now: dict, rest: dict) -> dict[str, float]:
    """Each key channel's measure (as ``expressions.geometry`` defines it, in 2D) from two faces."""
    d = {k: now[k] - rest[k] for k in now}
    out, up = d["out"], d["up"]
    return {"JawOpen": d["jaw"], "MouthCornerPullLeft": out * np.cos(SMILE_ANGLE) + up * np.sin(SMILE_ANGLE),
            "MouthFrownLeft": -up, "MouthStretchLeft": out - max(up, 0.0) / np.tan(SMILE_ANGLE),
            "MouthUpperUpLeft": -d["nose_lip"], "MouthLowerDownLeft": -d["lip_chin"],
            "BrowInnerUpLeft": d["brow_inner"], "BrowLowererLeft": -(d["brow_inner"] + d["brow_mid"]) / 2,
            "BrowOuterUpLeft": d["brow_outer"], "EyeWideLeft": d["lids"], "LipPuckerUpperLeft": -d["width"]}


def dlib_landmarks(paths: list[Path], near: list) -> list:
    """dlib's 68 points for each image (None where it finds no face), in the judges' environment."""
    python = VENV / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"no judges environment at {VENV}: run benchmarks/portrait_judges.py --setup")
    jobs = [{"path": str(p), "near": n} for p, n in zip(paths, near)]
    run = subprocess.run([str(python), str(WORKER)], input=json.dumps(jobs), capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"landmarks68_worker failed: {run.stderr.strip()[-500:]}")
    return json.loads(run.stdout)


class Frames:
    """Images written to a folder with MediaPipe's landmarks (pixels), for dlib to read afterwards."""

    def __init__(self, folder: Path):
        from facemimic.animate.portrait.calibrate import StillTracker

        self.folder, self.items = folder, []
        self.tracker = StillTracker()

    def add(self, name: str, rgb: np.ndarray, **info) -> None:
        import cv2

        from facemimic.animate.portrait.calibrate import retrack

        rgb = np.ascontiguousarray(rgb[..., :3])
        path = self.folder / f"{name}.png"
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        h, w = rgb.shape[:2]
        f = retrack([rgb], np.array([w / 2, h / 2]), tracker=self.tracker)[0]
        mp = None if f is None or not f.present else np.asarray(f.landmarks)[:, :2] * [w, h]
        self.items.append(dict(name=name, path=path, mediapipe=mp, **info))

    def read_dlib(self) -> None:
        self.tracker.close()
        near = [None if it["mediapipe"] is None else it["mediapipe"].mean(0).tolist() for it in self.items]
        for it, pts in zip(self.items, dlib_landmarks([it["path"] for it in self.items], near)):
            it["dlib"] = None if pts is None else np.asarray(pts, np.float64)


def slope(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(), y - y.mean()
    return float(np.dot(x, y) / np.dot(x, x))


def reenactment(samples: Path, frames: Frames, animator_options: dict) -> None:
    import av

    from facemimic.animate.drivers import relative_motion
    from facemimic.animate.portrait.animator import PortraitAnimator, timeline
    from facemimic.capture.api import track as capture_track

    video = samples / "WolfgangLanger_Pexels.mp4"
    rel = relative_motion(capture_track(str(video), keep_landmarks=True))
    anim = PortraitAnimator(str(samples / "single_face.jpg"), size=512, **{"refine": True, **animator_options})
    out = [anim.render(f) for f in timeline(rel, fps=rel.fps)]
    anim.close()
    with av.open(str(video)) as c:
        driver = [fr.to_ndarray(format="rgb24") for fr in c.decode(video=0)]
    for i in range(0, min(len(out), len(driver)), 2):
        frames.add(f"driver_{i:04d}", driver[i], kind="driver", index=i)
        frames.add(f"portrait_{i:04d}", out[i], kind="portrait", index=i)


def same_motion_frames(samples: Path, portraits, frames: Frames, animator_options: dict, room: int = 0) -> dict:
    import units_portrait as up

    from facemimic.animate.portrait.animator import PortraitAnimator
    from facemimic.expressions.frame import ExpressionFrame

    drawn = {}
    for name in portraits:
        path = Path(name) if Path(name).exists() else samples / name
        # room: the photo continued below its chin (units_portrait.with_room), same face scale
        path, size = up.with_room(path, room, frames.folder) if room else (path, 512)
        anim = PortraitAnimator(str(path), size=size, **animator_options)
        frames.add(f"{path.stem}__photo", anim.image, kind="photo", photo=path.stem)
        for w in (0.3, 0.6):
            for ch in up.KEY:
                frames.add(f"{path.stem}__{ch}__{w}", anim.render(ExpressionFrame.from_shapes(up.channel_request(ch, w))),
                           kind="motion", photo=path.stem, channel=ch, weight=w)
        anim.close()
        if not animator_options:  # the calibrated mesh's motion (open loop: the unit by construction)
            for w in (0.3, 0.6):
                drawn[(path.stem, w)] = up.same_motion(path, w, None, size)[1]
    return drawn


def report_real_and_reenactment(frames: Frames) -> None:
    pairs = {}
    for it in frames.items:
        if it.get("kind") in ("driver", "portrait"):
            pairs.setdefault(it["index"], {})[it["kind"]] = it
    ok = [p for _, p in sorted(pairs.items()) if all(p[k]["mediapipe"] is not None and p[k]["dlib"] is not None
                                                     for k in ("driver", "portrait"))]
    import units_portrait as up

    lo, hi = up.LOWER_FACE_COVERED  # her hand over her mouth and chin: the driver's lower face is a guess
    seen = np.array([not lo <= p["driver"]["index"] < hi for p in ok])
    keys = ("gap", "jaw", "brow_inner", "brow_mid", "brow_outer", "lids", "out", "up")
    m = {(who, det): np.array([[simple_measures(p[who][det], det)[k] for k in keys] for p in ok])
         for who in ("driver", "portrait") for det in ("mediapipe", "dlib")}
    print(f"\n1. Real video (WolfgangLanger, {len(ok)} frames): dlib against MediaPipe on the same real frames")
    print(f"   {'measure':12s} {'slope':>6s} {'r':>6s}")
    for j, k in enumerate(keys):
        a, b = m[("driver", "mediapipe")][:, j], m[("driver", "dlib")][:, j]
        print(f"   {k:12s} {slope(a, b):6.2f} {np.corrcoef(a, b)[0, 1]:6.2f}")
    print("\n2. Reenactment (the video driving single_face.jpg): slope of the portrait's measure on the driver's,"
          " by each detector; r between the detectors on the portrait's frames")
    print(f"   {'measure':12s} {'MediaPipe':>9s} {'dlib':>6s} {'r(MP,dlib)':>11s}")
    for j, k in enumerate(keys):
        s_mp = slope(m[("driver", "mediapipe")][:, j], m[("portrait", "mediapipe")][:, j])
        s_dl = slope(m[("driver", "dlib")][:, j], m[("portrait", "dlib")][:, j])
        r = np.corrcoef(m[("portrait", "mediapipe")][:, j], m[("portrait", "dlib")][:, j])[0, 1]
        print(f"   {k:12s} {s_mp:9.2f} {s_dl:6.2f} {r:11.2f}")
    print(f"\n   the lower face's measures again on the {int(seen.sum())} frames where her hand does not cover her"
          f" mouth and chin (units_portrait.LOWER_FACE_COVERED)")
    for j, k in enumerate(keys):
        if k not in ("gap", "jaw", "out", "up"):
            continue
        s_mp = slope(m[("driver", "mediapipe")][seen, j], m[("portrait", "mediapipe")][seen, j])
        s_dl = slope(m[("driver", "dlib")][seen, j], m[("portrait", "dlib")][seen, j])
        r = np.corrcoef(m[("portrait", "mediapipe")][seen, j], m[("portrait", "dlib")][seen, j])[0, 1]
        print(f"   {k:12s} {s_mp:9.2f} {s_dl:6.2f} {r:11.2f}")


def report_same_motion(frames: Frames, drawn: dict) -> None:
    from facemimic.expressions import geometry

    print("\n3. Same weight, same motion: change / (w x full extent) by MediaPipe (2D) | dlib | the mesh's drawn motion")
    photos = {it["photo"]: it for it in frames.items if it.get("kind") == "photo"}
    for stem, base in photos.items():
        for w in (0.3, 0.6):
            rows = {"MediaPipe": [], "dlib": [], "drawn": []}
            for it in frames.items:
                if it.get("kind") != "motion" or it["photo"] != stem or it["weight"] != w:
                    continue
                ch = it["channel"]
                full = w * geometry.CHANNELS[ch].full_extent
                for det, label in (("mediapipe", "MediaPipe"), ("dlib", "dlib")):
                    if it[det] is None or base[det] is None:
                        rows[label].append((ch, float("nan")))
                        continue
                    change = channel_changes(simple_measures(it[det], det), simple_measures(base[det], det))[ch]
                    rows[label].append((ch, change / full))
                if (stem, w) in drawn:
                    rows["drawn"].append((ch, drawn[(stem, w)][ch]))
            for label, row in ((k, v) for k, v in rows.items() if v):
                within = sum(abs(v - 1) <= 0.2 for _, v in row)
                cells = " ".join(f"{c.replace('Left', '')[:10]}={v:.2f}" for c, v in row)
                print(f"   {stem[:14]:14s} w={w} {label:9s} {cells} ({within}/{len(row)})")


def main(argv=None) -> int:
    import units_portrait as up

    from facemimic.samples import ensure_samples

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--portraits", nargs="*", default=list(up.PORTRAITS))
    ap.add_argument("--skip", nargs="*", default=(), choices=("motion", "reenact"))
    ap.add_argument("--open-loop", action="store_true", help="no calibration, no closed loop")
    ap.add_argument("--room", type=int, default=0, metavar="PX",
                    help="same motion on each photo continued PX px below (room for the chin; same face scale)")
    ap.add_argument("-o", "--out", type=Path, default=None, help="keep the frames (PNG) in this folder")
    args = ap.parse_args(argv)
    samples = Path(ensure_samples())
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.out or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        frames = Frames(folder)
        options = {"calibrate": False, "refine": False} if args.open_loop else {}
        if "reenact" not in args.skip:
            reenactment(samples, frames, options)
        drawn = {} if "motion" in args.skip else same_motion_frames(samples, args.portraits, frames, options, args.room)
        frames.read_dlib()
        if "reenact" not in args.skip:
            report_real_and_reenactment(frames)
        if "motion" not in args.skip:
            report_same_motion(frames, drawn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
