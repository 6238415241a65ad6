"""The fallbacks for foreign sentences no path fits: the relaxed word pass and the halves."""

from __future__ import annotations

import numpy as np

from facemimic.lipsync import align as A
from facemimic.lipsync.recognize import RecognizerOptions, alignment_rate, decoder, decoder_lock, dithered


def _french():
    from facemimic.lipsync.evalset import build_language_items

    return build_language_items("fr", ["fr02"])[0]  # "Mon père boit un café noir tous les matins."


def test_relaxed_pass_skips_a_word_that_is_not_said():
    it = _french()
    opt = RecognizerOptions(language="fr")
    d = decoder("align", opt)
    with decoder_lock("align", opt):
        words = A.transcript_words(it.text)
        extra = words[:4] + ["pamplemousse"] + words[4:]  # a word the speaker never says
        names = [A.pronounce(w, d, "fr")[0] for w in extra]
        fr = float(alignment_rate(opt))
        segs = A._relaxed_pass(d, names, dithered(it.audio), int(len(it.audio) * fr / 16000))
    assert [s[0] for s in segs] == names  # every word placed, in order
    starts = [s[1] for s in segs]
    assert starts == sorted(starts)
    # the words that are said sit where the speech is: "café" (index 5) within its true span
    truth_k = [p for p in it.phones if p.name == "K"][0]  # the k of "café"
    assert abs(segs[5][1] / fr - truth_k.start) < 0.08


def test_halves_align_like_the_whole():
    """Aligned as two halves, a sentence gets the same phones, close to the synthesiser's times."""
    it = _french()
    opt = RecognizerOptions(language="fr")
    d = decoder("align", opt)
    fr = float(alignment_rate(opt))
    with decoder_lock("align", opt):
        names = [A.pronounce(w, d, "fr")[0] for w in A.transcript_words(it.text)]
        _, whole, _ = A._two_pass(d, names, it.audio, fr)
        _, halves, _ = A._split_in_halves(d, names, it.audio, fr, depth=0)
    seq = [n for n, _, _ in whole if n != "SIL"]
    assert [n for n, _, _ in halves if n != "SIL"] == seq
    a = [t for n, t, _ in whole if n != "SIL"]
    b = [t for n, t, _ in halves if n != "SIL"]
    assert float(np.median(np.abs(np.array(a) - np.array(b)))) < 0.03
    # every true lip closure has an aligned P/B/M starting within 50 ms
    closures = [t for n, t, _ in halves if n in ("P", "B", "M")]
    for p in it.phones:
        if p.name in ("P", "B", "M"):
            assert min(abs(p.start - t) for t in closures) < 0.05
