"""A portrait's neutral rest against the sitter's own neutral face (issue #12: "check that --rest neutral
really removes the photo's own expression").

    python benchmarks/portrait_rest.py [--open-loop] [--sheet PATH]

Every CK+ apex photo of the judges' baseline whose sequence's neutral first frames ship beside it
(``judges_media.posed_photos`` / ``avatar3d._onset_rest``: 14 photos of 7 sequences, 5 sitters; happy,
surprised, angry) is animated as ``facemimic animate --rest neutral`` draws it at rest (all weights 0,
held 8 frames through the closed loop; ``--open-loop``: calibrated, no loop). The rest frame and the
photo itself are re-tracked and measured by the unit's definition (``geometry.geometric_weights``)
against **the same person's real neutral face** (the sequence's first two frames), so a perfect rest
reads 0 on every channel, whoever the sitter: no population rest and its person-to-person spread.

Prints per photo and key channel the photo's expression -> what the rest leaves of it (weights, sides
averaged), the mouth's width, red-lip height and inner-lip gap against the own neutral (IPD), and per
channel the mean |left| over the photos beside the mean |photo|. ``--sheet`` writes photo | rest |
the sitter's own neutral for each sequence, to look at.

MediaPipe reads every face here (the rest is computed from the capture stage's reading of the photo);
the reference is not ours: the sitter's own neutral frame. CK+ frames are research-use only: fetched
from the EmoPy wheel into a cache (``judges_media``), never committed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

KEY = ("JawOpen", "MouthCornerPull", "MouthCornerSlant", "MouthFrown", "LipPuckerUpper", "MouthUpperUp",
       "MouthLowerDown", "MouthPress", "CheekSquint", "NoseSneer", "BrowInnerUp", "BrowOuterUp", "BrowLowerer",
       "BrowPinch", "EyeWide", "EyeSquint")
HOLD = 8  # frames the rest is held from a reset loop (as units_portrait's held table)


def key_weights(landmarks: np.ndarray, size: tuple[int, int], rest: np.ndarray) -> dict:
    """Key channels' weights (sides averaged) and the mouth's shape, against ``rest``.

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3)]
        One face's MediaPipe landmarks, normalised by ``size`` (width, height).
    rest : np.ndarray [shape=(478, 3)]
        The same person's neutral face in the face frame (``geometry.rest_face``).

    Returns
    -------
    dict
        {channel: weight} for :data:`KEY`, plus ``width`` (corners' distance gained, IPD), ``red``
        (red lip gained per side, IPD) and ``gap`` (inner-lip gap, IPD).
    """
    from facemimic.expressions import geometry as geo

    m = geo.measure(np.asarray(landmarks, np.float64)[None], size, rest)
    w = geo.geometric_weights(m)
    out = {}
    for k in KEY:
        names = [n for n in (k, f"{k}Left", f"{k}Right") if n in w]
        out[k] = float(np.mean([w[n][0] for n in names]))
    out["width"] = float(-m.mouth_narrowing[0])  # the corners' distance gained against the own neutral
    out["red"] = float(-np.mean(m.red_lip_lost[0]))  # red lip gained (+) or lost (-), per side
    out["gap"] = float(m.lip_gap[0])
    return out


def rest_frame(photo: Path, refine: bool) -> np.ndarray:
    """The portrait at rest (``rest="neutral"``, all weights 0): np.ndarray [shape=(H, W, 3), dtype=uint8], RGB."""
    from facemimic.animate.portrait.animator import PortraitAnimator
    from facemimic.expressions.frame import ExpressionFrame

    anim = PortraitAnimator(str(photo), size=512, refine=refine, rest="neutral")
    still = ExpressionFrame.from_shapes({})
    for _ in range(HOLD - 1 if refine else 0):
        anim.render(still)
    out = anim.render(still)
    if refine:
        anim.close()
    return out


def landmarks_of(image: np.ndarray) -> np.ndarray | None:
    """The first face's landmarks (478, 3) in an RGB image (H, W, 3), or None."""
    from facemimic.capture.api import capture_frames

    found = [f for f in capture_frames(image, keep_landmarks=True, smoothing="raw") if f.present]
    return np.asarray(found[0].landmarks) if found else None


def neutral_photos() -> list[tuple[Path, str]]:
    """(photo, "neutral") for one neutral onset frame per CK+ sitter (the first sequence's first frame
    of each subject S<nnn>): a photo that *is* the sitter's own neutral face, so its rest should leave
    it as it is."""
    from judges_media import neutral_onsets

    first: dict[str, Path] = {}
    for ph in neutral_onsets():
        first.setdefault(ph.path.name[:4], ph.path)
    return [(p, "neutral") for _, p in sorted(first.items())]


def measure_all(refine: bool, onsets: bool = False, leave_one_out: bool = False) -> list[dict]:
    import cv2
    from avatar3d import _onset_rest
    from facemimic.emotions import neutral
    from judges_media import posed_photos
    from neutral_readings import sitter_readings, spread

    todo = neutral_photos() if onsets else [(ph.path, ph.label) for ph in posed_photos()]
    # only CK+ frames (S<subject>_...) have the sitter's own neutral frames beside them
    todo = [(path, label) for path, label in todo if path.name.startswith("S")]
    readings = sitter_readings() if leave_one_out else None
    shipped = neutral.NEUTRAL_SPREAD
    rows = []
    try:
        for path, label in todo:
            if readings is not None:
                # the neutral spread the rest allows, measured without this sitter (a held-out check)
                neutral.NEUTRAL_SPREAD = spread({s: r for s, r in readings.items() if s != path.name[:4]})
            own = _onset_rest(path)
            if own is None:
                continue
            img = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
            rest_img = rest_frame(path, refine)
            lp, lr = landmarks_of(img), landmarks_of(rest_img)
            if lp is None or lr is None:
                print(f"{path.name}: no face re-tracked", file=sys.stderr)
                continue
            rows.append({"photo": path.stem, "label": label, "image": img, "rest_image": rest_img,
                         "expression": key_weights(lp, (img.shape[1], img.shape[0]), own),
                         "left": key_weights(lr, (rest_img.shape[1], rest_img.shape[0]), own)})
    finally:
        neutral.NEUTRAL_SPREAD = shipped
    return rows


def report(rows: list[dict]) -> dict:
    """Prints the tables; returns {channel: (mean |photo|, mean |left|)}."""
    what = "neutral onset photos (one a sitter)" if rows and rows[0]["label"] == "neutral" else "apex photos"
    print(f"{len(rows)} CK+ {what}, each against its own sequence's neutral frames; weights in the unit")
    print(f"{'':22s}" + "".join(f"{r['photo'][:12]:>16s}" for r in rows))
    print(f"{'channel':22s}" + "".join(f"{'photo -> rest':>16s}" for _ in rows))
    summary = {}
    for k in KEY:
        cells = "".join(f"{r['expression'][k]:+7.2f} ->{r['left'][k]:+6.2f}" for r in rows)
        print(f"{k:22s}{cells}")
        summary[k] = (float(np.mean([abs(r["expression"][k]) for r in rows])),
                      float(np.mean([abs(r["left"][k]) for r in rows])))
    for k, what in (("width", "mouth width change, IPD"), ("red", "red lip gained per side, IPD"),
                    ("gap", "inner-lip gap, IPD")):
        cells = "".join(f"{r['expression'][k]:+7.3f} ->{r['left'][k]:+6.3f}" for r in rows)
        print(f"{k + ' (' + what + ')':22s}{cells}")
        summary[k] = (float(np.mean([abs(r["expression"][k]) for r in rows])),
                      float(np.mean([abs(r["left"][k]) for r in rows])))
    print("\nper channel, mean over the photos: |photo's expression| -> |what the rest leaves| (0 = the sitter's own neutral)")
    for k, (p, left) in summary.items():
        flag = "  <- the rest adds more than the photo had" if left > p + 0.05 else ""
        print(f"  {k:18s} {p:6.3f} -> {left:6.3f}{flag}")
    return summary


def write_sheet(rows: list[dict], path: Path) -> None:
    """photo | rest | own neutral, one row per sequence (its first apex photo)."""
    import cv2
    from judges_media import media_dir

    tiles, seen = [], set()
    for r in rows:
        seq = "_".join(r["photo"].split("_")[:2])
        if seq in seen:
            continue
        seen.add(seq)
        onset = sorted(media_dir().glob(f"*/sample_image_series_directory/*/{seq}/{seq}_00000001.png"))
        neutral = cv2.cvtColor(cv2.imread(str(onset[0])), cv2.COLOR_BGR2RGB) if onset else np.zeros_like(r["image"])
        row = [cv2.resize(im, (int(320 * im.shape[1] / im.shape[0]), 320)) for im in (r["image"], r["rest_image"], neutral)]
        for im, text in zip(row, (f"{seq} {r['label']}", "rest (neutral)", "own neutral")):
            cv2.putText(im, text, (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 0), 2)
        tiles.append(np.concatenate(row, axis=1))
    width = max(t.shape[1] for t in tiles)
    tiles = [np.pad(t, ((0, 0), (0, width - t.shape[1]), (0, 0))) for t in tiles]
    cv2.imwrite(str(path), cv2.cvtColor(np.concatenate(tiles, axis=0), cv2.COLOR_RGB2BGR))
    print(f"wrote {path}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--open-loop", action="store_true", help="calibrated, no closed loop")
    ap.add_argument("--sheet", type=Path, help="write photo | rest | own neutral per sequence (PNG)")
    ap.add_argument("--onsets", action="store_true",
                    help="animate each sitter's own neutral onset frame instead: a perfect rest leaves it as it is")
    ap.add_argument("--leave-one-out", action="store_true",
                    help="the rest's neutral spread (emotions.neutral) measured without each photo's sitter")
    args = ap.parse_args(argv)
    rows = measure_all(refine=not args.open_loop, onsets=args.onsets, leave_one_out=args.leave_one_out)
    if not rows:
        print("no CK+ photo with its neutral frames", file=sys.stderr)
        return 1
    report(rows)
    if args.sheet:
        write_sheet(rows, args.sheet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
