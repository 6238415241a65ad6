"""Issue #16 round 5: ideas for lip sync without a transcript in de/fr/es/it, measured (none shipped).

    python eval/lipsync/foreign_no_transcript.py [--only confusion|warp|ldetector] [--languages de fr es it]

* ``confusion``: the phone loop's confusions read from FaceMimic's own espeak-ng voice speaking
  each language's corpus prose (:mod:`facemimic.phonetics.corpus`, never the evaluation
  sentences), then each recognised phone moved to the shape that maximises macro recall there
  (only where it beats the default shape by ``margin`` with at least ``kmin`` frames); scored
  on the MBROLA evaluation and held-out sets.
* ``warp``: pocketsphinx's vocal-tract-length warping (``warp_type inverse_linear``) of the
  phone loop's front end, on the MBROLA sets and on espeak-ng's voice.
* ``ldetector``: a frame classifier for shape H (l), the closure detector's features and
  network (``eval/lipsync/train_bilabial.py``), trained on espeak-ng's corpus prose; frame AUC
  and recall / false-positive rate at 0.5 on the MBROLA sets.

Numbers and conclusions: docs/journal/lipsync.md, Languages, "Without a transcript, also tried".
Needs the MBROLA voices (scripts/setup.d/40-mbrola-languages.sh). Runs in a few minutes.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

LANGUAGES = ("de", "fr", "es", "it")
# espeak-ng voice variants, rates and pitches the built-in voice speaks the corpus with
VARIANTS = (("", 165, 50), ("+f3", 175, 60), ("+m3", 150, 40), ("+f2", 185, 55), ("+m1", 175, 45))
REPRESENTATIVE = {"B": "IY", "C": "EH", "D": "AA", "E": "AO", "F": "UW", "G": "F", "H": "L"}
REPRESENTATIVE_CONSONANT = {**REPRESENTATIVE, "B": "T", "F": "W"}


def espeak_items(lang: str, step: int = 1):
    """(pcm, phones, duration) of espeak-ng speaking ``lang``'s corpus prose, sentence by sentence
    (English: the evaluation set's tuning sentences, which the lip-sync evaluation never uses)."""
    from facemimic.common.audio import as_pcm16
    from facemimic.lipsync.evalset import LEAD_SILENCE, TRAIL_SILENCE, TUNING_SENTENCES
    from facemimic.phonetics.corpus import corpus_text
    from facemimic.voice import VoiceOptions, say

    if lang == "en":
        sents = [s for _, s in TUNING_SENTENCES][::step]
    else:
        sents = [s for s in re.split(r"(?<=[.!?])\s+", corpus_text(lang)) if s.strip()][::step]
    out = []
    for k, s in enumerate(sents):
        var, rate, pitch = VARIANTS[k % len(VARIANTS)]
        sp = say(s, options=VoiceOptions(voice="en-us" + var, language=None if lang == "en" else lang,
                                         rate=rate, pitch=pitch,
                                         lead_silence=LEAD_SILENCE, trail_silence=TRAIL_SILENCE))
        pcm = as_pcm16(sp.audio, sp.sample_rate, target_rate=16000)
        d = len(pcm) / 16000
        out.append((pcm, [p for p in sp.phones if p.start < d], d))
    return out


def mbrola_items(lang: str, heldout: bool):
    from facemimic.lipsync.evalset import build_language_items

    return [(it.audio, list(it.phones), it.duration) for it in build_language_items(lang, heldout=heldout)]


def recognise(items, lang: str):
    from facemimic.lipsync.api import lipsync

    return [list(lipsync(pcm, sample_rate=16000, language=lang).phones) for pcm, _, _ in items]


def macro(items, phones_per_item, remap=None) -> float:
    from facemimic.lipsync.api import from_phones
    from facemimic.lipsync.scoring import Score, cues_to_frames
    from facemimic.phonetics.phones import Phone

    sc = Score()
    for (_, truth, d), pp in zip(items, phones_per_item):
        if remap:
            pp = [Phone(p.start, p.end, remap.get(p.name, p.name), p.word) for p in pp]
        r = from_phones(pp, d)
        sc.add(truth, cues_to_frames(r.cues, d), d, pp)
    return sc.macro_recall


def learn_shape_map(items, phones_per_item, margin: float, kmin: int) -> dict[str, str]:
    """Recognised phone -> representative phone of the shape that maximises macro recall."""
    from facemimic.lipsync.scoring import CANONICAL, DIPHTHONGS, phones_to_frames
    from facemimic.phonetics.phones import VOWELS

    conf = collections.defaultdict(collections.Counter)
    n = collections.Counter()
    for (_, truth, d), rec in zip(items, phones_per_item):
        tf = phones_to_frames(truth, d)
        n.update(tf.tolist())
        for p in rec:
            a, b = max(int(round(p.start / 0.01)), 0), min(int(round(p.end / 0.01)), len(tf))
            conf[p.name].update(tf[a:b].tolist())
    out = {}
    for p, c in conf.items():
        if p in ("P", "B", "M", "SIL", "NOISE", "HH"):
            continue
        gain = {s: c[s] / n[s] for s in "BCDEFGH" if n[s]}
        best = max(gain, key=gain.get)
        default = DIPHTHONGS[p][0] if p in DIPHTHONGS else CANONICAL.get(p, "B")
        if best != default and c[best] >= kmin and gain[best] > (1 + margin) * gain.get(default, 0.0):
            out[p] = (REPRESENTATIVE if p in VOWELS or p in DIPHTHONGS else REPRESENTATIVE_CONSONANT)[best]
    return out


def run_confusion(langs) -> None:
    print("confusion-aware phone -> shape map learned on espeak-ng (macro recall %, evaluation (held-out))")
    for lang in langs:
        esp = espeak_items(lang)
        esp_rec = recognise(esp, lang)
        ev, ho = mbrola_items(lang, False), mbrola_items(lang, True)
        ev_rec, ho_rec = recognise(ev, lang), recognise(ho, lang)
        row = f"  {lang}: none {macro(ev, ev_rec):.1f} ({macro(ho, ho_rec):.1f})"
        for margin, kmin in ((0.0, 20), (0.25, 20), (1.0, 20)):
            m = learn_shape_map(esp, esp_rec, margin, kmin)
            row += f" | m={margin} k={kmin} {macro(ev, ev_rec, m):.1f} ({macro(ho, ho_rec, m):.1f})"
        print(row, flush=True)


def _warped(factor: float | None):
    """Make every new phone-loop decoder warp its front end by ``factor`` (None: no warping)."""
    import pocketsphinx

    from facemimic.lipsync import recognize

    base = getattr(pocketsphinx, "_facemimic_plain_decoder", pocketsphinx.Decoder)
    pocketsphinx._facemimic_plain_decoder = base

    class Warped(base):
        def __init__(self, *a, **k):
            if "allphone" in k and factor is not None:
                k.update(warp_type="inverse_linear", warp_params=str(factor))
            super().__init__(*a, **k)

    pocketsphinx.Decoder = Warped
    recognize._CACHE.clear()


def run_warp(langs) -> None:
    print("vocal-tract-length warping of the phone loop (macro recall %: MBROLA evaluation / espeak-ng voice)")
    sets = {lang: (mbrola_items(lang, False), espeak_items(lang, step=2)) for lang in langs}
    for factor in (None, 1.08, 1.12):
        _warped(factor)
        row = f"  warp {factor or 1.0}:"
        for lang, (ev, esp) in sets.items():
            row += f" {lang} {macro(ev, recognise(ev, lang)):.1f} / {macro(esp, recognise(esp, lang)):.1f}"
        print(row, flush=True)
    _warped(None)


def run_ldetector(langs) -> None:
    from train_bilabial import train

    from facemimic.lipsync.bilabial import HOP, SR, WIN, context_features, forward, log_mel
    from facemimic.lipsync.vad import SpeechSegmenter

    def frames(items):
        xs, ys = [], []
        for pcm, truth, _ in items:
            seg = SpeechSegmenter()
            for start, x in list(seg.push(pcm)) + list(seg.flush()):
                f = context_features(log_mel(x))
                centres = (start + np.arange(len(f)) * HOP + WIN / 2) / SR
                lab = np.zeros(len(f), np.int64)
                for p in truth:
                    if p.name == "L":
                        lab[(centres >= p.start) & (centres < p.end)] = 1
                xs.append(f)
                ys.append(lab)
        return np.concatenate(xs), np.concatenate(ys)

    parts = [frames(espeak_items(lang)) for lang in (*LANGUAGES, "en")]
    x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    w = train(x, y, epochs=6)
    print(f"l-detector trained on espeak-ng ({len(y)} frames, {int(y.sum())} l): frame AUC, recall / "
          "false positives at 0.5, on MBROLA evaluation and held-out sets")
    for lang in langs:
        for heldout in (False, True):
            xe, ye = frames(mbrola_items(lang, heldout))
            p = forward(xe, w)[:, 1]
            rank = np.empty(len(p))
            rank[np.argsort(p)] = np.arange(len(p))
            pos = ye == 1
            auc = (rank[pos].sum() - pos.sum() * (pos.sum() - 1) / 2) / (pos.sum() * (~pos).sum())
            print(f"  {lang}{' held-out' if heldout else ''}: {int(pos.sum())} l frames, AUC {auc:.3f}, "
                  f"recall {(p[pos] > 0.5).mean():.2f}, false positives {(p[~pos] > 0.5).mean():.3f}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("confusion", "warp", "ldetector"))
    ap.add_argument("--languages", nargs="+", default=list(LANGUAGES))
    args = ap.parse_args(argv)
    for name, fn in (("confusion", run_confusion), ("warp", run_warp), ("ldetector", run_ldetector)):
        if args.only in (None, name):
            fn(args.languages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
