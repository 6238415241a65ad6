"""The evaluation scores themselves (spec §4), on hand-made cases with known answers."""

from __future__ import annotations

import numpy as np

from facemimic.phonetics.phones import Phone
from facemimic.lipsync.scoring import (Score, closure_scores, cues_to_frames, levenshtein,
                                       phone_sequence, phones_to_frames)
from facemimic.lipsync.shapes import MouthCue


def test_levenshtein_and_sequences():
    assert levenshtein(list("kitten"), list("sitting")) == 3
    ph = [Phone(0, .1, "SIL"), Phone(.1, .2, "M"), Phone(.2, .3, "M"), Phone(.3, .4, "AA"), Phone(.4, .5, "SIL")]
    assert phone_sequence(ph) == ["M", "AA"]


def test_frames_table_diphthong_and_hh():
    ph = [Phone(0, .1, "HH"), Phone(.1, .2, "AA"), Phone(.2, .3, "EY"), Phone(.3, .4, "SIL")]
    f = phones_to_frames(ph, 0.4)
    assert "".join(f) == "D" * 20 + "C" * 6 + "B" * 4 + "X" * 10


def test_closures_and_macro_recall():
    truth = [Phone(0, .2, "SIL"), Phone(.2, .3, "AA"), Phone(.3, .35, "B"), Phone(.35, .5, "AA"), Phone(.5, .7, "SIL")]
    perfect = cues_to_frames([MouthCue(0, .2, "X"), MouthCue(.2, .3, "D"), MouthCue(.3, .35, "A"),
                              MouthCue(.35, .5, "D"), MouthCue(.5, .7, "X")], 0.7)
    assert closure_scores(truth, perfect) == (1, 1, 1, 1)
    missed = np.where(perfect == "A", "D", perfect)
    assert closure_scores(truth, missed)[0] == 0
    sc = Score().add(truth, perfect, 0.7, truth)
    assert sc.exact_pct == 100 and sc.macro_recall == 100 and sc.per == 0
    sc = Score().add(truth, missed, 0.7)
    assert abs(sc.macro_recall - 200 / 3) < 1e-9  # shapes present: X, D, A
