"""Score closure-detector weights other than the shipped ones on the cached recognitions.

    python eval/lipsync/train_bilabial.py --out /tmp/retrained.npz
    python eval/lipsync/real_combine.py record real sonnet mbrola espeak
    python eval/lipsync/real_detector_eval.py /tmp/retrained.npz real sonnet mbrola espeak
    python eval/lipsync/real_detector_eval.py /tmp/retrained.npz --veto-only 0.3 real sonnet

The recogniser's phones come from the cache (``real_combine.py``); the detector's probabilities
are recomputed from each segment's audio with the given weights (with the shipped weights this
reproduces the cache exactly: the script prints the largest difference), then combined by the
shipped :func:`add_missed_closures` with the weights' own setting, or, with ``--veto-only``, with
insertions off and only the veto at the given level. Results: docs/journal/lipsync.md, "Real voices".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import real_combine as rc  # noqa: E402


def evaluate(name: str, weights: dict, options) -> tuple[dict, float]:
    """Spec §4 summary of set ``name`` and the largest |probability - cached| of the shipped weights."""
    from facemimic.lipsync import bilabial as bl
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.scoring import Score, cues_to_frames

    data = rc.load(name)
    worst = [0.0]

    def combine_for(audio, sr):
        def combine(phones, prob, offset, _options):
            # the exact re-cut segment the recogniser heard (round 7's anchor_segment may pad it
            # with zeros, even before the file's start)
            feats = bl.context_features(bl.log_mel(rc.SEGMENT["pcm"]))
            worst[0] = max(worst[0], float(np.abs(bl.forward(feats, bl.load_weights())[:len(prob)] - prob).max()))
            members = weights if isinstance(weights, list) else [weights]
            p = np.mean([bl.forward(feats, w) for w in members], axis=0)  # several: their mean
            return bl.add_missed_closures(phones, p[:len(prob)], offset=offset, options=options)
        return combine

    sc = Score()
    for id_, dur, truth, audio, sr in data["items"]:
        with rc.replayed(data["segments"][id_], combine_for(audio, sr)):
            r = lipsync(audio, sample_rate=sr)
        sc.add(list(truth), cues_to_frames(r.cues, dur), dur, list(r.phones))
    return sc.summary(), worst[0]


def main(argv=None) -> int:
    from facemimic.lipsync import bilabial as bl

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights", help="an .npz written by train_bilabial.py, or 'shipped' (A.npz,B.npz: their mean)")
    ap.add_argument("sets", nargs="+")
    ap.add_argument("--veto-only", type=float, default=None, metavar="LEVEL")
    args = ap.parse_args(argv)
    # several weights files joined by commas: the mean of their probabilities, the first's setting
    members = [bl.load_weights() if f == "shipped" else dict(np.load(f)) for f in args.weights.split(",")]
    w = members[0]
    opt = bl.ClosureOptions(threshold=float(w["threshold"]), min_frames=int(w["min_frames"]),
                            peak=float(w.get("peak", 0.0)), veto=float(w.get("veto", 0.0)))
    if args.veto_only is not None:
        opt = bl.ClosureOptions(threshold=0.999, min_frames=10_000, veto=args.veto_only)
    print(opt)
    for name in args.sets:
        s, worst = evaluate(name, members if len(members) > 1 else w, opt)
        print(f"{name}: closures {s['closure_recall']:.1f} / {s['closure_precision']:.1f}, macro recall "
              f"{s['macro_recall']:.1f} (shipped weights vs cache: max |dp| {worst:.3g})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
