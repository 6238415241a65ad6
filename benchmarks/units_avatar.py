"""The built-in 2D avatar in FaceMimic's unit: does weight w move it w x the channel's full extent?

Run: ``python benchmarks/units_avatar.py [--style default] [--track] [--sheet sheet.png]``

For every key channel (``facemimic.animate.avatar.measure.KEY_CHANNELS``) and weight 0.25 / 0.5 /
1.0, the avatar is drawn head-on with that channel alone and measured the way ``docs/units.md``
measures a real face, in inter-pupil distances of the avatar's own pupils:

* **drawing**: landmarks read off the drawing's primitives (exact; ``measure.drawing_landmarks``),
  against the avatar's own rest drawing;
* **tracked** (``--track``): the outside check: the same frames rendered to pixels (512²) and
  tracked by the capture stage (MediaPipe's FaceLandmarker, still images), measured against the
  tracked rest render. MediaPipe fits a human face to the cartoon, so this shows what a tracker
  can recover, not the drawing's truth.

Each cell is the avatar's extent / the requested extent (1.00 = exact; the target is 0.8-1.2).
EyeClosed is closure over the eye's own rest aperture (1.0 shuts it); the column ``unit`` gives it
over the unit's 0.14 IPD too. ``--sheet`` writes a contact sheet PNG: weights 0 / 0.5 / 1 per key
channel (both sides together).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from facemimic.animate.avatar import AvatarRenderer  # noqa: E402
from facemimic.animate.avatar.measure import (KEY_CHANNELS, DrawnMeasures, channel_frame, drawn_fraction,  # noqa: E402
                                              frontal, literal_eye_closed, measure_frames)
from facemimic.expressions import geometry as geo  # noqa: E402
from facemimic.expressions.frame import ExpressionFrame  # noqa: E402

WEIGHTS = (0.25, 0.5, 1.0)
SIZE = 512


def tracked_fractions(style: str) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Per key channel, the tracked fraction / weight; and tracked-vs-drawn landmark offsets (IPD)."""
    from facemimic.capture.api import StillTracker

    renderer = AvatarRenderer(style, size=SIZE)
    drawn = measure_frames([ExpressionFrame.neutral()], style, size=SIZE)
    out: dict[str, np.ndarray] = {}
    with StillTracker(max_faces=1) as tracker:
        def landmarks(frame: ExpressionFrame) -> np.ndarray:
            faces = tracker.faces(renderer.render(frontal(frame)))
            return faces[0].landmarks if faces else np.full((geo.N_LANDMARKS, 3), np.nan)

        rest_lm = landmarks(ExpressionFrame.neutral())
        rest = geo.rest_face(rest_lm, (SIZE, SIZE))
        offsets = {}
        for part, idx in (("pupils", [468, 473]), ("eyelids", [159, 145, 386, 374]), ("brows", [105, 334]),
                          ("inner lips", [13, 14]), ("mouth corners", [61, 291]), ("chin", [152])):
            err = np.linalg.norm((rest_lm[idx, :2] - drawn.rest_landmarks[idx, :2]) * SIZE, axis=1)
            offsets[part] = float(err.mean() / drawn.ipd_px)
        for ch in KEY_CHANNELS:
            lms = np.stack([landmarks(channel_frame(ch, w)) for w in WEIGHTS])
            m = geo.measure(lms, (SIZE, SIZE), rest=rest)
            out[ch] = drawn_fraction(DrawnMeasures(m, lms, rest_lm, float("nan"), float("nan")), ch) / WEIGHTS
    return out, offsets


def contact_sheet(style: str, path: str) -> None:
    """Weights 0 / 0.5 / 1 of each key channel (both sides at once), three channels a row."""
    import cv2

    from facemimic.animate.avatar.render import write_png

    stems = []
    for ch in KEY_CHANNELS:
        stem = ch[:-4] if ch.endswith("Left") else ch[:-5] if ch.endswith("Right") else ch
        if stem not in stems:
            stems.append(stem)
    renderer = AvatarRenderer(style, size=400)

    def both(stem: str, w: float) -> ExpressionFrame:
        if stem in ("JawOpen", "MouthClosed", "LipPucker"):
            return channel_frame(stem, w)
        if stem == "EyeClosed":
            return ExpressionFrame.neutral().replace(openness_left=1 - w, openness_right=1 - w)
        return ExpressionFrame.from_shapes({stem + "Left": w, stem + "Right": w})

    tiles = []
    for stem in stems:
        row = []
        for w in (0.0, 0.5, 1.0):
            img = np.ascontiguousarray(renderer.render(both(stem, w))[20:380, 60:340])
            cv2.putText(img, f"{stem} {w:g}", (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
            row.append(img)
        tiles.append(np.concatenate(row, 1))
    while len(tiles) % 3:
        tiles.append(np.full_like(tiles[0], 255))
    sheet = np.concatenate([np.concatenate(tiles[i:i + 3], 1) for i in range(0, len(tiles), 3)], 0)
    write_png(sheet, path)
    print(f"\ncontact sheet: {path} ({sheet.shape[1]}x{sheet.shape[0]})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--style", default="default", help="avatar preset or file (default: default)")
    ap.add_argument("--track", action="store_true", help="also track renders with the capture stage")
    ap.add_argument("--sheet", help="write a contact sheet PNG here")
    args = ap.parse_args()

    tracked, offsets = tracked_fractions(args.style) if args.track else ({}, {})
    print(f"avatar {args.style!r}: extent / requested extent, per weight {WEIGHTS} (target 0.80-1.20)")
    head = f"{'channel':24} {'drawing':>20}"
    if tracked:
        head += f"   {'tracked (MediaPipe)':>20}"
    print(head + "   unit")
    worst = 0.0
    for ch in KEY_CHANNELS:
        measured = measure_frames([channel_frame(ch, w) for w in WEIGHTS], args.style, size=SIZE)
        ratio = drawn_fraction(measured, ch) / WEIGHTS
        worst = max(worst, float(np.max(np.abs(ratio - 1))))
        line = f"{ch:24} " + " ".join(f"{r:6.2f}" for r in ratio)
        if tracked:
            line += "   " + " ".join(f"{r:6.2f}" for r in tracked[ch])
        if ch.startswith("EyeClosed"):
            line += "   " + " ".join(f"{r:.2f}" for r in literal_eye_closed(measured, ch) / WEIGHTS)
        print(line)
    print(f"\nworst drawing error: {100 * worst:.1f} % (head fit tilt {measured.frame_tilt_deg:.1e}°, "
          f"avatar IPD {measured.ipd_px:.1f} px at {SIZE}²)")
    if offsets:
        print("tracked landmarks vs drawn ones at rest (mean distance, IPD): "
              + ", ".join(f"{k} {v:.3f}" for k, v in offsets.items()))
    if args.sheet:
        contact_sheet(args.style, args.sheet)


if __name__ == "__main__":
    main()
