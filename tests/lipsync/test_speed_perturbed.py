"""Speed-perturbed real tuning voices (eval/lipsync/real_combine.speed_perturbed, session 9): a real
recording played 10 % faster is a shorter recording whose phones, pitch and formants all move by
the same factor (Kaldi-style speed perturbation), so its closures stay labelled."""

from __future__ import annotations

import numpy as np
import pytest
from voice_pitch import median_f0


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_a_real_voice_sped_up_or_slowed_down(eval_script, factor):
    it = next(i for i in eval_script("real_speech").praatio_items() if i.id.endswith("bobby"))
    sp = eval_script("real_combine").speed_perturbed(it, factor)
    assert sp.id == f"{it.id}@sp{factor}" and sp.sample_rate == it.sample_rate and sp.audio.dtype == np.int16
    assert abs(sp.duration - it.duration / factor) < 0.002
    assert [p.name for p in sp.phones] == [p.name for p in it.phones]
    assert max(abs(p.start - q.start / factor) for p, q in zip(sp.phones, it.phones)) < 1e-9
    assert median_f0(sp.audio) == pytest.approx(factor * median_f0(it.audio), rel=0.06)
    # the fold of a perturbed copy is its recording's: no leak between out-of-fold folds
    cc = eval_script("closure_classifier")
    assert cc._fold(sp.id) == cc._fold(it.id)
