"""Lip sync in the unit: how wide FaceMimic's speech opens the mouth, against real faces (issue #11).

    python benchmarks/units_speech.py [--no-mbrola]

1. **Real reference.** Captures ``WolfgangLanger_Pexels.mp4`` and ``single_face.mp4`` with the
   default capture (weights in the unit) keeping the landmarks, measures every frame with
   :mod:`facemimic.expressions.geometry` against the person's own rest, and prints, per span, the
   distributions (median, 95th percentile, max) of the inner-lip gap, the chin drop (JawOpen), the
   corner pull, pucker (mouth narrowing), funnel (lip protrusion) and MouthClosed, in IPD units.
   The spans were chosen by looking at the frames (docs/lipsync.md, "Units"): neither clip has
   clean conversational speech. WolfgangLanger's **vocalising span** 6.0-13.0 s (sobbing speech
   with her fingers at the mouth corner, then the onset of a laugh; the lips' midline stays in
   view) is the reference; its corners are hidden before 9.4 s, so corner measures come from
   9.4-13.0 s only. single_face.mp4 is a neutral face then a posed grin (no speech).
2. **FaceMimic.** The lip-sync evaluation sentences (``facemimic/lipsync/evalset.py``) through lip
   sync: the built-in voice with its exact phones (what ``facemimic say`` does), and the MBROLA
   diphone voices with exact phones, with the transcript (forced alignment) and without it
   (recognition). Each UE track is turned back into geometry
   (:func:`facemimic.expressions.mouth.implied_mouth`) over its speech frames.
3. **Ratios** FaceMimic / real at the median and the 95th percentile (target 0.8-1.2), the
   widest implied opening against the widest real one, and the lip closures: the widest implied
   gap inside each closure cue (target <= 0.03 IPD on every one).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REFERENCE_SPAN = ("WolfgangLanger_Pexels.mp4", 6.0, 13.0)  # vocalising, lips' midline visible
CORNER_SPAN = ("WolfgangLanger_Pexels.mp4", 9.4, 13.0)  # ... and the mouth corners visible too
SPANS = [("WolfgangLanger_Pexels.mp4", 0.0, 6.0, "crying, lips pressed"),
         ("WolfgangLanger_Pexels.mp4", 6.0, 9.4, "sobbing speech, fingers at the mouth corner"),
         ("WolfgangLanger_Pexels.mp4", 9.4, 13.0, "laugh onset: spread, rounded 'oh', spread"),
         ("WolfgangLanger_Pexels.mp4", 13.0, 20.0, "held laughing grin"),
         ("single_face.mp4", 0.0, 0.6, "neutral"),
         ("single_face.mp4", 0.7, 2.5, "posed toothy grin")]
MEASURES = ["lip_gap", "jaw_drop", "smile_pull", "mouth_narrowing", "lip_protrusion", "mouth_closed"]
CORNER_MEASURES = {"smile_pull", "mouth_narrowing"}  # need the mouth corners in view


def capture_video(name: str) -> dict:
    """Landmarks and measures of one sample clip (default capture, own rest)."""
    import cv2

    from facemimic.capture.api import track
    from facemimic.expressions import geometry as geo
    from facemimic.samples import ensure_samples

    path = ensure_samples() / name
    tr = track(path, keep_landmarks=True)
    cap = cv2.VideoCapture(str(path))
    size = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    cap.release()
    lm = tr.landmarks.astype(np.float64)
    m = geo.measure(lm, size, rest=geo.estimate_rest(lm, size))
    w = geo.geometric_weights(m)
    per_frame = {"lip_gap": m.lip_gap, "jaw_drop": m.jaw_drop, "smile_pull": m.smile_pull.mean(axis=-1),
                 "mouth_narrowing": m.mouth_narrowing, "lip_protrusion": m.lip_protrusion,
                 "mouth_closed": w["MouthClosed"]}
    return {"time": tr.time, "m": per_frame, "captured_jaw": tr.channel("JawOpen"),
            "captured_closed": tr.channel("MouthClosed"), "units": tr.metadata.get("units")}


def stats(x: np.ndarray) -> tuple[float, float, float]:
    x = np.asarray(x, np.float64)
    x = x[np.isfinite(x)]
    return float(np.median(x)), float(np.percentile(x, 95)), float(x.max())


def span(clip: dict, a: float, b: float) -> np.ndarray:
    return (clip["time"] >= a) & (clip["time"] < b)


def real_reference(clips: dict) -> dict:
    """Per measure (median, p95, max) on the reference span; 'widest' = widest lip gap anywhere."""
    ref = {}
    for key in MEASURES:
        name, a, b = CORNER_SPAN if key in CORNER_MEASURES else REFERENCE_SPAN
        ref[key] = stats(clips[name]["m"][key][span(clips[name], a, b)])
    ref["widest"] = max(float(np.nanmax(c["m"]["lip_gap"])) for c in clips.values())
    return ref


def facemimic_sets(use_mbrola: bool):
    """(label, [(item, LipSyncResult)]) for each way FaceMimic lip-syncs the evaluation sentences."""
    from facemimic.lipsync.api import from_phones, lipsync
    from facemimic.lipsync.evalset import build_items, build_mbrola_items, mbrola_available

    say = build_items()
    yield "say voice, exact phones (facemimic say)", [(it, from_phones(list(it.phones), it.duration)) for it in say]
    if not use_mbrola or not mbrola_available():
        print("(MBROLA voices not installed: scripts/setup.d/30-mbrola-voices.sh)")
        return
    mb = build_mbrola_items()
    yield "MBROLA, exact phones", [(it, from_phones(list(it.phones), it.duration)) for it in mb]
    yield "MBROLA + transcript", [(it, lipsync(it.audio, sample_rate=it.sample_rate, text=it.text)) for it in mb]
    yield "MBROLA, no transcript", [(it, lipsync(it.audio, sample_rate=it.sample_rate)) for it in mb]


def implied_measures(results) -> tuple[dict, np.ndarray, int]:
    """Pooled implied geometry over the speech frames, closure gaps, and the P/B/M count."""
    from facemimic.expressions import geometry as geo
    from facemimic.lipsync.speech_units import bilabial_phones, speech_mouth

    parts, gaps, n_bilabial = {k: [] for k in MEASURES}, [], 0
    for it, res in results:
        sm = speech_mouth(res, fps=100)
        mo = sm.mouth
        jaw_w = geo.extent_to_weight("JawOpen", mo.jaw_drop)
        closed = np.clip(jaw_w - mo.lip_gap / geo.MOUTH_CLOSED_GAP_EXTENT, 0, jaw_w)  # as geometry defines it
        for key, v in (("lip_gap", mo.lip_gap), ("jaw_drop", mo.jaw_drop), ("smile_pull", mo.smile_pull),
                       ("mouth_narrowing", mo.mouth_narrowing), ("lip_protrusion", mo.lip_protrusion),
                       ("mouth_closed", closed)):
            parts[key].append(v)
        gaps.append(sm.closure_gaps)
        n_bilabial += len(bilabial_phones(it.phones))
    return {k: np.concatenate(v) for k, v in parts.items()}, np.concatenate(gaps), n_bilabial


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-mbrola", action="store_true", help="only the built-in voice")
    args = ap.parse_args(argv)
    from facemimic.expressions.mouth import LIPS_MEET_GAP

    t0 = time.time()
    clips = {name: capture_video(name) for name in ("WolfgangLanger_Pexels.mp4", "single_face.mp4")}
    print(f"captured both clips in {time.time() - t0:.1f} s (units: "
          f"{', '.join(str(c['units']) for c in clips.values())})\n")
    print("== Real faces (IPD units; median / p95 / max per span)")
    head = "| span | frames | " + " | ".join(MEASURES) + " |"
    print(head)
    print("|" + "---|" * (len(MEASURES) + 2))
    for name, a, b, what in SPANS:
        sel = span(clips[name], a, b)
        cells = ["{:.3f} / {:.3f} / {:.3f}".format(*stats(clips[name]["m"][k][sel])) for k in MEASURES]
        print(f"| {name.split('_')[0]} {a:g}-{b:g} s: {what} | {sel.sum()} | " + " | ".join(cells) + " |")
    ref = real_reference(clips)
    print(f"\nreference (WolfgangLanger {REFERENCE_SPAN[1]:g}-{REFERENCE_SPAN[2]:g} s; corners "
          f"{CORNER_SPAN[1]:g}-{CORNER_SPAN[2]:g} s): " + ", ".join(
              f"{k} {ref[k][0]:.3f}/{ref[k][1]:.3f}/{ref[k][2]:.3f}" for k in MEASURES))
    print(f"widest real lip gap in either clip: {ref['widest']:.3f} IPD")
    wl = clips[REFERENCE_SPAN[0]]
    sel = span(wl, *REFERENCE_SPAN[1:])
    print("captured JawOpen on the reference span (the capture's own measure, running rest): "
          "{:.2f} / {:.2f} / {:.2f}".format(*stats(wl["captured_jaw"][sel])))

    print("\n== FaceMimic lip sync, implied geometry over speech frames (median / p95 / max) "
          "and ratio to the reference (median, p95)")
    print("| set | lip gap | ratio | chin drop | ratio | corner pull | pucker | funnel | MouthClosed "
          "| closures closed | P/B/M |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, results in facemimic_sets(not args.no_mbrola):
        m, gaps, n_bil = implied_measures(results)

        def cell(key):
            return "{:.3f} / {:.3f} / {:.3f}".format(*stats(m[key]))

        def ratio(key):
            md, p95, _ = stats(m[key])
            return f"{md / ref[key][0]:.2f}, {p95 / ref[key][1]:.2f}"

        closed = int((gaps <= LIPS_MEET_GAP).sum())
        print(f"| {label} | {cell('lip_gap')} | {ratio('lip_gap')} | {cell('jaw_drop')} | {ratio('jaw_drop')} "
              f"| {cell('smile_pull')} | {cell('mouth_narrowing')} | {cell('lip_protrusion')} "
              f"| {cell('mouth_closed')} | {closed}/{len(gaps)} (widest {gaps.max():.3f}) | {n_bil} |")
        if stats(m["lip_gap"])[2] > ref["widest"]:
            print(f"   ! opens wider than any real frame ({stats(m['lip_gap'])[2]:.3f} > {ref['widest']:.3f})")
    print(f"\n{time.time() - t0:.1f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
