"""Session 9 (issue #16): closed-lip runs under a recognised W, F or V are no closure candidates.

The frame-shape classifier's P(A) also rises where the lips round (W) or touch the teeth (F, V);
session 8's classifier let some of those runs through as closures, which cost English MBROLA
speech its F and G shapes (macro recall 63.5 -> 61.7, under the issue's line of 63). Checked on a
real voice (MFA's LibriSpeech recording, a training/tuning recording) and on the MBROLA
evaluation set through ``lipsync()``.
"""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.lipsync.scoring import SHAPES, Score, cues_to_frames


@pytest.fixture(scope="module")
def librispeech(real_set):
    """"He began a confused complaint against the wizard who had vanished ..." (MFA's tests, 4.9 s)."""
    return next(it for it in real_set("train") if it.id == "mfa-61-70968-0000")


def test_no_candidate_from_closed_lip_frames_under_w_f_v_on_a_real_voice(librispeech):
    """On the real voice the classifier hears closed lips (a closed-lip run) under a recognised W,
    F or V where the truth has no P/B/M; no candidate is proposed there (session 8 proposed one)."""
    from facemimic.lipsync import bilabial, closure_candidates as cc, recognize
    from facemimic.lipsync.frame_classes import shape_log_probs
    from facemimic.lipsync.vad import speech_segments

    it = librispeech
    closures = [(q.start - 0.04, q.end + 0.04) for q in it.phones if q.name in bilabial.BILABIALS]
    labial_runs = 0
    for t0, t1 in speech_segments(it.audio, sample_rate=it.sample_rate):
        raw = it.audio[int(t0 * it.sample_rate):int(t1 * it.sample_rate)]
        phones = recognize.recognize_phones(raw, offset=t0,
                                            options=recognize.RecognizerOptions(closure_detector=False))
        pcm, off = recognize.anchor_segment(raw, t0)
        mel = bilabial.log_mel(pcm)
        prob = bilabial.forward(bilabial.context_features(mel), bilabial.load_weights())
        log_probs = shape_log_probs(pcm, mel=mel)
        cands = cc.candidates(phones, prob, mel, log_probs, offset=off)
        for a, b in cc.closed_lip_runs(log_probs):
            r0, r1 = off + a / 100, off + b / 100
            under = [q.name for q in phones if q.start <= 0.5 * (r0 + r1) < q.end]
            if under and under[0] in ("W", "F", "V") and not any(r0 < hi and r1 > lo for lo, hi in closures):
                labial_runs += 1
                assert not any(c.start < r1 and c.end > r0 for c in cands), (under, r0, r1)
    assert labial_runs >= 1  # the situation the rule is about does occur on this voice


def test_mbrola_english_macro_recall_back_over_the_line():
    """The MBROLA evaluation set without a transcript (12 sentences, three voices, 34 closures):
    macro recall >= 63 (session 8: 61.7; the shapes of W/UW and F/V had lost 6-7 points each to
    false closures), closure recall >= 90."""
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.evalset import build_mbrola_items

    sc = Score()
    for it in build_mbrola_items():
        r = lipsync(it.audio, sample_rate=it.sample_rate)
        sc.add(list(it.phones), cues_to_frames(r.cues, it.duration), it.duration, list(r.phones))
    recall = dict(zip(SHAPES, sc.per_shape_hit / np.maximum(sc.per_shape_n, 1) * 100))
    assert sc.closures == 34 and sc.closure_recall >= 90.0
    assert recall["F"] >= 50.0 and recall["G"] >= 42.0  # session 8: 45.9 and 37.5
    assert sc.macro_recall >= 63.0
