"""Real voices without a transcript: phone recognition (the default) against ``transcribe=True``
(the words heard by the bundled recogniser, then aligned), with the transcript as the ceiling.

    python eval/lipsync/transcribe_real.py [--sets sonnet train extra heldout fresh fresh15]

Spec §4 scores per set (macro recall, closure recall and precision), the recogniser's word error
rate against the set's own transcript, and the seconds each path took (one process, this machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SETS = ("sonnet", "train", "extra", "heldout", "fresh", "fresh15")


def word_errors(heard: str, said: str) -> tuple[int, int]:
    """(edits, words said): Levenshtein distance over lower-cased words, punctuation dropped."""
    import re

    a = re.findall(r"[a-z0-9']+", heard.lower())
    b = re.findall(r"[a-z0-9']+", said.lower())
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[:], i
        for j, y in enumerate(b, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (x != y))
    return d[-1], len(b)


def main(argv=None) -> int:
    import real_speech as rs
    from facemimic.lipsync.api import LipSyncOptions, lipsync
    from facemimic.lipsync.scoring import Score, cues_to_frames

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS[:-1]))
    args = ap.parse_args(argv)
    load = {"heldout": rs.heldout_items, "sonnet": rs.sonnet_items, "train": rs.train_items,
            "extra": rs.extra_train_items, "fresh": rs.fresh_items, "fresh15": rs.fresh15_items}
    paths = {"phones": dict(text=False, options=LipSyncOptions()),
             "transcribe": dict(text=False, options=LipSyncOptions(transcribe=True)),
             "transcript": dict(text=True, options=LipSyncOptions())}
    pooled = {k: Score() for k in paths}
    print(f"{'set':10s} {'path':11s} {'macroR':>7s} {'clsR':>6s} {'clsP':>6s} {'WER':>6s} {'x real time':>12s}")
    for name in args.sets:
        items = load[name]()
        dur = sum(it.duration for it in items)
        for path, how in paths.items():
            sc, edits, said, t0 = Score(), 0, 0, time.perf_counter()
            for it in items:
                r = lipsync(it.audio, sample_rate=it.sample_rate, text=it.text if how["text"] else None,
                            options=how["options"])
                for s in (sc, pooled[path]):
                    s.add(list(it.phones), cues_to_frames(r.cues, it.duration), it.duration, list(r.phones))
                if r.words is not None:
                    e, n = word_errors(r.words, it.text)
                    edits, said = edits + e, said + n
            took = time.perf_counter() - t0
            s = sc.summary()
            wer = f"{100 * edits / said:5.1f}%" if said else "     -"
            print(f"{name:10s} {path:11s} {s['macro_recall']:7.1f} {s['closure_recall']:6.1f} "
                  f"{s['closure_precision']:6.1f} {wer:>6s} {dur / took:11.1f}x   ({s['closures']} closures, {dur:.0f} s)")
    if len(args.sets) > 1:
        for path in paths:
            s = pooled[path].summary()
            print(f"{'pooled':10s} {path:11s} {s['macro_recall']:7.1f} {s['closure_recall']:6.1f} "
                  f"{s['closure_precision']:6.1f}   ({s['closures']} closures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
