"""The closure-candidate classifier (facemimic/lipsync/closure_candidates.py, issue #16 §3, session 8):
without a transcript, in English, every proposed lip closure is kept or dropped by a small network.
Checked on praatio's hand-labelled real voices and one German MBROLA sentence."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def praatio(eval_script):
    return eval_script("real_speech").praatio_items()


def _lipsync(it, **recognizer):
    from facemimic.lipsync.api import LipSyncOptions, lipsync
    from facemimic.lipsync.recognize import RecognizerOptions

    return lipsync(it.audio, sample_rate=it.sample_rate,
                   options=LipSyncOptions(recognizer=RecognizerOptions(**recognizer)))


def test_english_closures_come_from_the_classifier_and_it_can_be_turned_off(praatio):
    """On real voices the classifier changes the closures (praatio's three speakers: it drops or
    adds at least one); ``closure_classifier=False`` and an explicit detector threshold both give
    the detector's own combination (the same phones either way)."""
    changed = 0
    for it in praatio:
        default = _lipsync(it)
        off = _lipsync(it, closure_classifier=False)
        assert _lipsync(it, closure_threshold=0.5).phones == off.phones  # 0.5: the detector's own threshold
        changed += default.phones != off.phones
    assert changed >= 1


def test_other_languages_keep_the_detector_combination():
    """German keeps ``add_missed_closures`` (the classifier is English-only): with or without the
    classifier option the same phones."""
    from facemimic.lipsync.api import LipSyncOptions, lipsync
    from facemimic.lipsync.evalset import build_language_items
    from facemimic.lipsync.recognize import RecognizerOptions

    it = build_language_items("de")[0]
    a = lipsync(it.audio, sample_rate=it.sample_rate, language="de")
    b = lipsync(it.audio, sample_rate=it.sample_rate, language="de",
                options=LipSyncOptions(recognizer=RecognizerOptions(closure_classifier=False)))
    assert a.phones == b.phones and any(p.name in ("P", "B", "M") for p in a.phones)


def test_candidates_on_a_real_voice(praatio):
    """Every candidate of praatio's real segments has 28 finite features and a score in [0, 1];
    recognised P/B/M come first; closed-lip ("pa") candidates never lie within 40 ms of another;
    on these voices the true closures score higher on average than the false ones."""
    from facemimic.lipsync import bilabial, closure_candidates as cc, recognize
    from facemimic.lipsync.frame_classes import shape_log_probs
    from facemimic.lipsync.vad import speech_segments

    true, false = [], []
    for it in praatio:
        spans = [(q.start - 0.04, q.end + 0.04) for q in it.phones if q.name in bilabial.BILABIALS]
        for t0, t1 in speech_segments(it.audio, sample_rate=it.sample_rate):
            raw = it.audio[int(t0 * it.sample_rate):int(t1 * it.sample_rate)]
            phones = recognize.recognize_phones(raw, offset=t0,
                                                options=recognize.RecognizerOptions(closure_detector=False))
            pcm, off = recognize.anchor_segment(raw, t0)  # the segment recognize_phones heard
            mel = bilabial.log_mel(pcm)
            prob = bilabial.forward(bilabial.context_features(mel), bilabial.load_weights())
            cands = cc.candidates(phones, prob, mel, shape_log_probs(pcm, mel=mel), offset=off)
            if not cands:
                continue
            kinds = [c.kind for c in cands]
            assert kinds == sorted(kinds, key=("rec", "ins", "pa").index)
            for c in cands:
                assert c.features.shape == (cc.N_FEATURES,) and np.all(np.isfinite(c.features))
                if c.kind == "pa":
                    assert not any(o is not c and o.start < c.end + 0.04 and o.end > c.start - 0.04 for o in cands)
            s = cc.scores(np.stack([c.features for c in cands]))
            assert np.all((s >= 0) & (s <= 1))
            for c, v in zip(cands, s):
                (true if any(c.start < hi and c.end > lo for lo, hi in spans) else false).append(v)
    assert len(true) >= 5 and len(false) >= 3
    assert np.mean(true) > np.mean(false) + 0.2


def test_closed_lip_runs():
    """Runs of 3-frame-smoothed P(A) >= 0.5 lasting >= 3 frames, as frame spans."""
    from facemimic.lipsync.closure_candidates import closed_lip_runs

    pa = np.full(40, 0.01)
    pa[5:12] = 0.95  # a 70 ms closure
    pa[20:22] = 0.95  # 20 ms: too short once smoothed
    pa[30] = 0.99  # a blip
    lp = np.log(np.stack([pa] + [np.full(40, (1 - 0.5) / 8)] * 8, axis=1))
    assert closed_lip_runs(lp) == [(5, 12)]
    assert closed_lip_runs(lp, level=0.99) == []
