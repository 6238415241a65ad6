"""Session 15 (issue #16 §3, L18): the English closure path's candidate-run levels are module settings
(``closure_candidates.INSERT_AT`` / ``PA_LEVEL``, swept by eval/lipsync/candidate_levels.py), the
coverage tool finds runs the way the package does, and the out-of-fold detectors split the real
recordings deterministically (train_bilabial.py --s15 --real-fold)."""

from __future__ import annotations

import numpy as np


def _segment(pa_value: float, det_value: float):
    """40 frames under a recognised D: a 70 ms run of P(A) = ``pa_value`` (frames 5-12) and of the
    detector's P/B = ``det_value`` (frames 25-32); random log-mel spectra."""
    from facemimic.lipsync.bilabial import N_MELS
    from facemimic.phonetics.phones import Phone

    n = 40
    prob = np.zeros((n, 3), np.float32)
    prob[:, 0] = 1.0
    prob[25:32] = [1 - det_value, det_value, 0.0]
    pa = np.full(n, 0.01)
    pa[5:12] = pa_value
    lp = np.log(np.stack([pa] + [np.full(n, (1 - pa_value) / 8)] * 8, axis=1))
    mel = np.random.default_rng(0).normal(size=(n, N_MELS + 1))
    return [Phone(0.0, 0.4, "D")], prob, mel, lp


def test_candidate_levels_are_the_packages_settings(monkeypatch):
    """A closed-lip run at P(A) 0.4 and a detector run at 0.4 are candidates only under levels
    below 0.4; ``classify_closures`` uses ``INSERT_AT`` / ``PA_LEVEL`` (0.5 / 0.5 shipped)."""
    from facemimic.lipsync import closure_candidates as cc

    assert (cc.INSERT_AT, cc.PA_LEVEL) == (0.5, 0.5)
    phones, prob, mel, lp = _segment(0.4, 0.4)
    assert cc.candidates(phones, prob, mel, lp) == []
    kinds = sorted(c.kind for c in cc.candidates(phones, prob, mel, lp, insert_at=0.3, pa_level=0.3))
    assert kinds == ["ins", "pa"]
    seen = []
    monkeypatch.setattr(cc, "candidates", lambda *a, **k: seen.append(k) or [])
    monkeypatch.setattr(cc, "INSERT_AT", 0.3)
    monkeypatch.setattr(cc, "PA_LEVEL", 0.25)
    cc.classify_closures(phones, prob, mel, lp)
    assert seen[0]["insert_at"] == 0.3 and seen[0]["pa_level"] == 0.25


def test_coverage_counts_runs_as_the_package_makes_them(eval_script):
    """closure_coverage.insertion_counts: the detector run at 0.4 covers the missed closure at
    0.25-0.32 s under level 0.3, not under 0.5."""
    from facemimic.phonetics.phones import Phone

    cov = eval_script("closure_coverage")
    phones, prob, _, _ = _segment(0.01, 0.4)
    truth = [Phone(0.0, 0.25, "AH"), Phone(0.25, 0.32, "B"), Phone(0.32, 0.4, "AH")]
    data = {"items": [("x", 0.4, truth, None, 16000)], "segments": {"x": [(phones, prob, 0.0, None)]}}
    missed = [("set", "x", 0.25, 0.32, ["B"], ["D"], [])]
    assert cov.insertion_counts(data, missed, 0.5) == (0, 0, 0)
    assert cov.insertion_counts(data, missed, 0.3) == (1, 1, 1)
    assert cov.smoothed(prob)[28] == np.float32(0.4)


def test_out_of_fold_detectors_split_the_real_recordings(eval_script):
    """train_bilabial.s15_fold: two folds by recording id, stable, a speed-perturbed copy in its
    recording's fold; fresh15 is not among the --s15 real sets."""
    tb = eval_script("train_bilabial")
    ids = [f"rec-{k}" for k in range(40)]
    folds = [tb.s15_fold(i) for i in ids]
    assert set(folds) == {0, 1} and folds == [tb.s15_fold(i) for i in ids]
    assert tb.s15_fold("rec-3@sp0.9") == tb.s15_fold("rec-3")
    assert "fresh15" not in tb.S15_REAL_SETS
