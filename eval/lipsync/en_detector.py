"""Session 15: recorded sets re-scored with another English closure detector (issue #16 §3).

    python eval/lipsync/train_bilabial.py --s15 --real-fold 0 --out DIR/fold0.npz   # and --real-fold 1
    python eval/lipsync/train_bilabial.py --s15 --out DIR/final.npz
    FACEMIMIC_COMBINE_CACHE=SRC python eval/lipsync/en_detector.py DST DIR SET...

Each recorded segment's detector probabilities (``real_combine`` caches, :func:`real_combine.record`)
are recomputed from the exact re-cut segment the recogniser heard (the replay's ``SEGMENT["pcm"]``) with
the new detector, and the set is written to ``DST`` (another cache folder): a real tuning recording
(train_bilabial.S15_REAL_SETS) gets the network trained without its fold (``fold{k}.npz`` for
``s15_fold(id) == k``), so the closure-candidate classifier trained on these caches sees out-of-fold
probabilities, as it will on new voices; every other set gets ``final.npz``. The phone loop's phones
are kept (the detector does not change them). The shipped weights reproduce the cache (printed).
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import real_combine as rc  # noqa: E402
from train_bilabial import S15_REAL_SETS, s15_fold  # noqa: E402


def rewrite(data: dict, weights_for) -> tuple[dict, float]:
    """``data`` with each segment's probabilities from ``weights_for(id_)`` and the largest
    |shipped weights' probability - cached| (0 when the cache is reproduced)."""
    from facemimic.lipsync import bilabial as bl
    from facemimic.lipsync.api import lipsync

    out, worst = {}, [0.0]
    for id_, _dur, _truth, audio, sr in data["items"]:
        w = weights_for(id_)
        new = []

        def combine(phones, prob, offset, copt, new=new, w=w):
            feats = bl.context_features(bl.log_mel(rc.SEGMENT["pcm"]))
            worst[0] = max(worst[0], float(np.abs(bl.forward(feats, bl.load_weights())[:len(prob)] - prob).max()))
            new.append((phones, bl.forward(feats, w)[:len(prob)].astype("float32"), offset, copt))
            return list(phones)

        with rc.replayed(data["segments"][id_], combine, data.get("language")):
            lipsync(audio, sample_rate=sr, language=data.get("language"))
        out[id_] = new
    return {**data, "segments": out}, worst[0]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    dst, wdir, names = Path(argv[0]), Path(argv[1]), argv[2:]
    folds = [dict(np.load(wdir / f"fold{k}.npz")) for k in range(2)]
    final = dict(np.load(wdir / "final.npz"))
    dst.mkdir(parents=True, exist_ok=True)
    for name in names:
        real = name in S15_REAL_SETS
        data, worst = rewrite(rc.load(name), (lambda i: folds[s15_fold(i)]) if real else (lambda i: final))
        with open(dst / f"{name}.pkl", "wb") as f:
            pickle.dump(data, f)
        print(f"{name}: {'out-of-fold' if real else 'final'} detector; shipped vs cache max |dp| {worst:.3g}",
              flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
