"""The multilingual frame-shape classifier and its correction of the phone loop (issue #16 §2).

Real audio only: MBROLA voices that the classifier never heard (the evaluation voices fr1/fr4,
es1/es2 … speak the held-out sentences, which no training or selection step used) and the
built-in espeak-ng voice with a variant left out of training.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from facemimic.lipsync import frame_classes as fc
from facemimic.lipsync.api import LipSyncOptions, lipsync
from facemimic.lipsync.recognize import RecognizerOptions, anchor_segment
from facemimic.lipsync.scoring import Score, cues_to_frames, phones_to_frames
from facemimic.lipsync.vad import SpeechSegmenter

SR = 16000


@pytest.fixture(scope="module")
def heldout():
    """language -> the MBROLA held-out sentences (voices and sentences the classifier never met)."""
    from facemimic.lipsync.evalset import build_language_items

    return {lang: build_language_items(lang, heldout=True) for lang in ("fr", "it")}


def _segments(item):
    seg = SpeechSegmenter()
    out = []
    for start, x in list(seg.push(item.audio)) + list(seg.flush()):
        y, t0 = anchor_segment(x, start / SR)
        out.append((t0, y))
    return out


def _frame_recall(items) -> float:
    """Macro recall of the classifier's own argmax per 10 ms frame inside speech segments."""
    hits = np.zeros(9)
    seen = np.zeros(9)
    for it in items:
        truth = phones_to_frames(list(it.phones), it.duration)
        for t0, pcm in _segments(it):
            pred = fc.shape_log_probs(pcm).argmax(axis=1)
            centres = t0 + (np.arange(len(pred)) * 160 + 200) / SR
            k = np.clip((centres / 0.01).astype(int), 0, len(truth) - 1)
            true = np.array([fc.SHAPES.index(s) for s in truth[k]])
            for c in range(9):
                seen[c] += np.sum(true == c)
                hits[c] += np.sum((true == c) & (pred == c))
    return 100 * float(np.mean(hits[seen > 0] / seen[seen > 0]))


def test_the_classifier_hears_mouth_shapes_in_voices_it_never_met(heldout):
    # nine shapes: chance is 11 %; the English phone loop scores ~45-50 % here
    for lang, items in heldout.items():
        assert _frame_recall(items) > 45, lang


def _recall(items, language, frame_classes: bool) -> float:
    opt = LipSyncOptions(recognizer=RecognizerOptions(frame_classes=frame_classes))
    sc = Score()
    for it in items:
        r = lipsync(it.audio, sample_rate=it.sample_rate, language=language, options=opt)
        sc.add(list(it.phones), cues_to_frames(r.cues, it.duration), it.duration, list(r.phones))
    return sc.summary()


def test_the_correction_lifts_recall_without_a_transcript(heldout):
    for lang, items in heldout.items():
        before, after = _recall(items, lang, False), _recall(items, lang, True)
        assert after["macro_recall"] > before["macro_recall"] + 1, lang
        # closures are the detector's: the correction never removes or adds one
        assert after["closure_recall"] == before["closure_recall"], lang


def test_rescoring_keeps_timing_closures_and_silence(heldout):
    it = heldout["it"][1]
    from facemimic.lipsync.recognize import recognize_phones

    opt = RecognizerOptions(language="it", frame_classes=False)
    changed = 0
    for t0, pcm in _segments(it):
        phones = recognize_phones(pcm, offset=t0, options=opt)
        lp = fc.shape_log_probs(anchor_segment(pcm, t0)[0])
        t_anchor = anchor_segment(pcm, t0)[1]
        eager = fc.rescore_phones(phones, lp, offset=t_anchor, keep_bonus=0.0)  # the most eager setting
        assert [(p.start, p.end) for p in eager] == [(p.start, p.end) for p in phones]
        for old, new in zip(phones, eager):
            if old.name in ("P", "B", "M", "SIL", "HH") or old.name == "NOISE":
                assert new.name == old.name
            assert new.name not in ("P", "B", "M", "SIL") or new.name == old.name
            changed += new.name != old.name
        assert fc.rescore_phones(phones, lp, offset=t_anchor, keep_bonus=math.inf) == phones
    assert changed > 0  # the English loop mishears Italian: the classifier does correct something


def test_the_classifier_costs_a_few_milliseconds_per_second():
    from facemimic.voice import VoiceOptions, say

    sp = say("Guten Morgen, wie geht es dir heute? Ich habe ein neues Buch gekauft.",
             options=VoiceOptions(voice="de+m5", rate=170))
    from facemimic.common.audio import as_pcm16

    pcm = as_pcm16(sp.audio, sp.sample_rate, target_rate=SR)
    fc.shape_log_probs(pcm)  # weights loaded and verified once
    t = time.process_time()
    for _ in range(5):
        fc.shape_log_probs(pcm)
    per_second = (time.process_time() - t) / 5 / (len(pcm) / SR)
    assert per_second < 0.015  # < 15 ms of CPU per second of audio (measured ~3 ms)


def test_a_broken_weights_file_is_one_clear_error(tmp_path):
    from facemimic.errors import ModelAssetError

    bad = tmp_path / "w.npz"
    bad.write_bytes(b"not an npz")
    with pytest.raises(ModelAssetError, match="w.npz"):
        fc.load_weights(str(bad))
    partial = tmp_path / "p.npz"
    np.savez(partial, mu=np.zeros(3))
    with pytest.raises(ModelAssetError, match="lacks"):
        fc.load_weights(str(partial))
