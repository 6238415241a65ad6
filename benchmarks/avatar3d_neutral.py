"""Avatars from neutral selfies: does the avatar at rest look like the sitter at rest? (#15)

    python benchmarks/avatar3d_neutral.py -o /tmp/neutral     # ~2 minutes; needs portrait_judges.py --setup

Every CK+ sequence starts at the sitter's neutral face (EmoPy's wheel, ``judges_media``): each of the
ten sitters' neutral first frame is made into an avatar (``make_avatar``, as ``facemimic avatar3d``)
and its neutral front render (512 px, as ``--preview`` draws it) is compared with the photo:

* **likeness**: dlib's descriptor distance photo <-> its own render (same person below 0.6), and
  whether the own render is the nearest of the ten;
* **rest**: the capture stage's reading of the render against its reading of the photo (both in the
  unit against the population rest, as ``facemimic track`` reads any face), per key channel (the
  sides averaged) and the eyes' openness: an avatar that rests as the sitter does reads as the photo
  does, up to what rendering changes (the same for every version of the fit);
* **neutral**: how many of the ten renders each emotion judge calls neutral (the photos: all ten).

``OUT/neutral.png``: each photo above its render. The CK+ frames are research use only: they stay in
the cache and in OUT, never in the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

KEY = ("EyeWide", "EyeSquint", "BrowInnerUp", "BrowOuterUp", "BrowLowerer", "BrowPinch", "MouthCornerPull",
       "MouthCornerSlant", "MouthFrown", "MouthStretch", "LipPuckerUpper", "LipPuckerLower", "MouthPress",
       "MouthUpperUp", "MouthLowerDown", "NoseSneer", "JawOpen")


def onsets() -> list[tuple[str, Path]]:
    """(sitter, neutral first frame) for each CK+ sitter in the judges' media (the first sequence)."""
    from judges_media import _emopy_dir

    out: dict[str, Path] = {}
    for p in sorted((_emopy_dir() / "sample_image_series_directory").glob("*/*/*_00000001.png")):
        out.setdefault(p.name.split("_")[0], p)
    return sorted(out.items())


def reading(path: Path) -> dict[str, float]:
    """Key channels (sides averaged) and the eyes' openness (mean) of the largest face in the image at
    ``path``, in the unit, as ``facemimic track`` reads it."""
    from facemimic.capture.api import capture_frames
    from facemimic.expressions.names import UE_NAMES, side_stem

    faces = [f for f in capture_frames(str(path), smoothing="raw") if f.present]
    if not faces:
        return {}
    w = np.nan_to_num(np.asarray(faces[0].weights, np.float64))
    out = {k: float(np.mean([w[i] for i, n in enumerate(UE_NAMES) if side_stem(n) == k])) for k in KEY}
    out["openness"] = float(np.mean([faces[0].openness_left, faces[0].openness_right]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    import portrait_judges as pj

    from facemimic.head3d.api import make_avatar

    args.out.mkdir(parents=True, exist_ok=True)
    sitters = onsets()
    renders, readings = {}, {}
    for sitter, photo in sitters:
        avatar = make_avatar(photo)
        renders[sitter] = args.out / f"{sitter}-neutral.png"
        cv2.imwrite(str(renders[sitter]), avatar.render(None, size=512)[:, :, ::-1])
        readings[sitter] = (reading(photo), reading(renders[sitter]))
    paths = [p for _, p in sitters] + list(renders.values())
    verdicts = dict(zip(map(str, paths), pj.judge(paths)))
    rows, own, nearest = [], [], 0
    neutral = {j: 0 for j in pj.JUDGES}
    diffs = {k: [] for k in (*KEY, "openness")}
    print("| sitter | dlib photo-render (nearest?) | " + " | ".join(pj.JUDGES) + " | rest: mean abs reading difference |")
    print("|---|---|" + "---|" * len(pj.JUDGES) + "---|")
    for sitter, photo in sitters:
        d = {o: pj.distance(verdicts[str(photo)]["descriptor"], verdicts[str(renders[o])]["descriptor"])
             for o, _ in sitters}
        mine = d[sitter]
        own.append(mine)
        near = all(mine < v for o, v in d.items() if o != sitter)
        nearest += near
        labels = {j: pj.top(verdicts[str(renders[sitter])][j])[0] for j in pj.JUDGES}
        for j in pj.JUDGES:
            neutral[j] += labels[j] == "neutral"
        a, b = readings[sitter]
        per = {k: abs(b[k] - a[k]) for k in diffs if k in a and k in b}
        for k, v in per.items():
            diffs[k].append(v)
        rows.append({"sitter": sitter, "own": mine, "nearest": near, "labels": labels, "photo": a, "render": b})
        print(f"| {sitter} | {mine:.3f}{' (nearest)' if near else ''} | " + " | ".join(labels.values())
              + f" | {np.mean(list(per.values())) if per else float('nan'):.3f} |")
    per_channel = {k: float(np.mean(v)) for k, v in diffs.items() if v}
    summary = {"sitters": len(sitters), "own_mean": float(np.mean(own)), "own_max": float(np.max(own)),
               "own_below_0.6": int(sum(v < 0.6 for v in own)), "own_nearest": nearest,
               "render_read_neutral": neutral,
               "rest_difference_mean": float(np.mean([per_channel[k] for k in KEY if k in per_channel])),
               "rest_difference": per_channel}
    print(f"\nlikeness: photo <-> own render mean {summary['own_mean']:.3f}, max {summary['own_max']:.3f}, "
          f"{summary['own_below_0.6']} of {len(sitters)} below 0.6, nearest of the ten for {nearest}")
    print("renders read neutral: " + ", ".join(f"{j} {n}/{len(sitters)}" for j, n in neutral.items()))
    print(f"rest: render vs photo reading, mean over {len(KEY)} channels {summary['rest_difference_mean']:.3f}; "
          + ", ".join(f"{k} {v:.3f}" for k, v in per_channel.items()))
    (args.out / "neutral.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    cells = []
    for sitter, photo in sitters:
        top_ = cv2.resize(cv2.imread(str(photo)), (256, 196))
        cells.append(np.vstack([top_, cv2.resize(cv2.imread(str(renders[sitter])), (256, 256))]))
    cv2.imwrite(str(args.out / "neutral.png"), np.hstack(cells))
    print(f"wrote {args.out / 'neutral.json'} and {args.out / 'neutral.png'}")


if __name__ == "__main__":
    main()
