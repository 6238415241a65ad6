"""Session 11 (issue #16 §3): the place veto of facemimic/lipsync/closure_place.py on real voices.

Without a transcript, in English, a recognised P/B/M the closure-candidate classifier keeps with a
low score is dropped when the closure proper (the quietest 20-40 ms near it) sounds like the
tongue tip rather than the lips. Checked on the real TUNING recordings (MFA's and sessions 7/8's,
with their alignments; never a held-out set), running the whole ``lipsync()`` without a transcript.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def real_voices(real_set):
    return real_set("train") + real_set("extra_train")


def _scores(items, monkeypatch, veto: bool):
    from facemimic.lipsync import closure_candidates
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.scoring import Score, cues_to_frames

    monkeypatch.setattr(closure_candidates, "PLACE_VETO", veto)
    pooled, per = Score(), {}
    for it in items:
        r = lipsync(it.audio, sample_rate=it.sample_rate)
        frames = cues_to_frames(r.cues, it.duration)
        pooled.add(list(it.phones), frames, it.duration, list(r.phones))
        one = Score()
        one.add(list(it.phones), frames, it.duration, list(r.phones))
        per[it.id] = one.summary()
    return pooled.summary(), per


def test_place_veto_drops_false_closures_of_real_voices_and_keeps_true_ones(real_voices, monkeypatch):
    """The real tuning voices without a transcript (55 recordings, 271 s, 83 true closures;
    measured 89.2 / 64.4 -> 89.2 / 67.3 closure recall / precision, macro 53.3 both): precision
    rises >= 2 points with no closure lost, in no recording does recall fall, and macro recall
    moves < 1 point. Without the veto (the session 10 package) precision stays where it was, so
    this fails on the old behaviour."""
    before, per_before = _scores(real_voices, monkeypatch, False)
    after, per_after = _scores(real_voices, monkeypatch, True)
    assert before["closure_recall"] >= 85  # the shipped classifier's level on these voices
    assert after["closure_recall"] == before["closure_recall"]
    assert after["closure_precision"] >= before["closure_precision"] + 2.0
    assert abs(after["macro_recall"] - before["macro_recall"]) < 1.0
    assert all(per_after[k]["closure_recall"] >= per_before[k]["closure_recall"] for k in per_before)
    changed = [k for k in per_before if per_after[k]["closure_precision"] != per_before[k]["closure_precision"]]
    assert len(changed) >= 3  # several speakers' recordings, not one lucky file


def test_closure_extent_finds_a_stop_closure_the_span_misses_on_real_audio(real_voices):
    """Every true /p b/ and /m/ of the real tuning voices, given as a span moved 30 ms early (as the
    phone loop often places its P/B/M): the closure proper lies inside that span +-30 ms and lasts
    20-40 ms; for /p b/ (a silent or voice-bar closure) it lies mostly inside the true phone far
    more often than the moved span does (measured 25 of 27 against 19 of 27). Not so for /m/ (its
    murmur is often not the quietest stretch: 53 % against 78 %), which is why the veto's tuning
    and held-out checks, not this, decided that the cues are read there."""
    from facemimic.lipsync.closure_place import SR, closure_extent

    tol = 1.5 / SR  # sample positions are truncated
    hits = {"extent": 0, "span": 0}
    n = 0
    for it in real_voices:
        x = it.audio.astype(np.float64)
        for q in it.phones:
            if q.name not in ("P", "B", "M") or q.end - q.start < 0.04:
                continue
            s, e = q.start - 0.03, q.end - 0.03
            c0, c1 = closure_extent(x, s, e)
            assert s - 0.03 - tol <= c0 < c1 <= e + 0.03 + tol
            assert 0.02 - tol <= c1 - c0 <= 0.04 + tol
            if q.name in ("P", "B"):
                n += 1
                hits["extent"] += min(c1, q.end) - max(c0, q.start) > 0.5 * (c1 - c0)
                hits["span"] += min(e, q.end) - max(s, q.start) > 0.5 * (e - s)
    assert n >= 20
    assert hits["extent"] / n >= 0.85
    assert hits["extent"] >= hits["span"] + 3
