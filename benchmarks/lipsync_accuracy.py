"""Lip-sync accuracy on the evaluation set (spec §4 scores), with baselines run in the same process.

    python benchmarks/lipsync_accuracy.py [--set espeak|mbrola|both]

Rows: FaceMimic without / with transcript (shapes after the animation rules), without transcript
and without the acoustic bilabial-closure detector (the recogniser alone), the naive renderer
(same phones, canonical table, no rules) and two references: ground-truth phones through
FaceMimic's rules, and the pocketsphinx allphone baseline at the default 100 frames/s (the
spec's "pocketsphinx allphone + table" row). Last, the set's sentences joined into one long file
(~32 s), without and with its transcript: long files are aligned in pieces (docs/lipsync.md).

    python benchmarks/lipsync_accuracy.py --set tuning    # the 40 tuning sentences (MBROLA)

``--set tuning`` scores the tuning sentences that decoder settings may be chosen on (never on
the evaluation sentences; see docs/lipsync.md).
"""

from __future__ import annotations

import argparse
import time


def _score(items, phones_of, cues_of=None):
    from facemimic.lipsync.scoring import Score, cues_to_frames, phones_to_frames

    sc = Score()
    for it in items:
        ph = phones_of(it)
        frames = cues_to_frames(cues_of(it, ph), it.duration) if cues_of else phones_to_frames(ph, it.duration)
        sc.add(list(it.phones), frames, it.duration, ph)
    return sc


def long_file_rows(items):
    """The same sentences joined into one long file (issue #16: a long file should lose at most
    2 points against the same speech cut into sentences), with and without the transcript."""
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.evalset import concatenate

    joined = concatenate(items)
    rows = []
    for label, text in (("joined file, no transcript", None), ("joined file + transcript", joined.text)):
        r = lipsync(joined.audio, sample_rate=joined.sample_rate, text=text)
        rows.append((f"{label} ({joined.duration:.0f} s)", _score([joined], lambda it: list(r.phones),
                                                                 lambda it, ph: r.cues)))
    return rows


def run(name, items):
    from facemimic.lipsync.api import LipSyncOptions, from_phones, lipsync
    from facemimic.lipsync.evalset import set_stats
    from facemimic.lipsync.recognize import RecognizerOptions, recognize_phones

    print(f"\n== {name} set: {set_stats(items)}")
    cache = {}

    def fm(text, **ropt):
        def phones_of(it):
            opt = LipSyncOptions(recognizer=RecognizerOptions(**ropt))
            r = lipsync(it.audio, sample_rate=it.sample_rate, text=it.text if text else None, options=opt)
            cache[(it.id, text, bool(ropt))] = r
            return list(r.phones)
        return phones_of

    def cues_fm(text, plain=False):
        return lambda it, ph: cache[(it.id, text, plain)].cues

    def rules(it, ph):
        return from_phones(ph, it.duration).cues

    rows = [
        ("FaceMimic, no transcript", _score(items, fm(False), cues_fm(False))),
        ("  without the closure detector (before)", _score(items, fm(False, closure_detector=False),
                                                          cues_fm(False, True))),
        ("FaceMimic + transcript", _score(items, fm(True), cues_fm(True))),
        ("  same phones, naive table (no transcript)", _score(items, lambda it: list(cache[(it.id, False, False)].phones))),
        ("  same phones, naive table (transcript)", _score(items, lambda it: list(cache[(it.id, True, False)].phones))),
        ("ref: ground-truth phones -> FaceMimic rules", _score(items, lambda it: list(it.phones), rules)),
        ("baseline: allphone 100 fps + table (spec)", _score(
            items, lambda it: recognize_phones(it.audio, options=RecognizerOptions(frame_rate=100, closure_detector=False)))),
    ]
    rows += long_file_rows(items)
    print(f"{'system':46s} {'exact':>6s} {'close':>6s} {'macroR':>7s} {'clsR':>6s} {'clsP':>6s} {'PER':>6s}")
    for label, sc in rows:
        s = sc.summary()
        per = "-" if s["per"] is None or label.startswith("ref") else f"{s['per']:.1f}"
        print(f"{label:46s} {s['exact']:6.1f} {s['close']:6.1f} {s['macro_recall']:7.1f} "
              f"{s['closure_recall']:6.1f} {s['closure_precision']:6.1f} {per:>6s}")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=("espeak", "mbrola", "both", "tuning"), default="both")
    args = ap.parse_args()
    from facemimic.lipsync.evalset import TUNING_SENTENCES, build_items, build_mbrola_items, mbrola_available

    t = time.perf_counter()
    if args.set == "tuning":
        if not mbrola_available():
            raise SystemExit("the tuning set is spoken by MBROLA voices (scripts/setup.d/30-mbrola-voices.sh)")
        run("tuning (40 sentences, MBROLA us1-us3)", build_mbrola_items(sentences=TUNING_SENTENCES))
    if args.set in ("mbrola", "both"):
        if mbrola_available():
            run("mbrola (MBROLA us1-us3 diphone voices, spec method)", build_mbrola_items())
        else:
            print("MBROLA voices not installed (scripts/setup.d/30-mbrola-voices.sh); skipped")
    if args.set in ("espeak", "both"):
        run("espeak (FaceMimic's own espeak-ng voice)", build_items())
    print(f"\n(total {time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
