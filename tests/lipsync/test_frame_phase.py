"""Without a transcript, the same speech gives the same phones wherever it sits in a file.

pocketsphinx's phone loop hears speech through 8.7 ms frames (115 frames/s), and which samples
fall in which frame depended on where the VAD segment started: one MBROLA sentence scored
72.5/52.7/68.0/72.2/57.7/72.5 macro recall with 0/5/10/15/20/30 ms of leading silence, and a long
file lost up to 3.1 points against its own sentences (issue #16 §4, Spanish held-out).
``recognize.anchor_segment`` re-cuts every segment a fixed distance from its first and last loud
sample, so a shift of the audio shifts the phones and changes nothing else.
"""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.lipsync.api import lipsync
from facemimic.lipsync.recognize import ANCHOR_LEAD, anchor_segment

SR = 16000


@pytest.fixture(scope="module")
def spanish_heldout():
    from facemimic.lipsync.evalset import build_language_items

    return build_language_items("es", heldout=True)


def _shifted(phones, by: float):
    return [(round(p.start - by, 5), round(p.end - by, 5), p.name) for p in phones]


@pytest.mark.parametrize("lead_ms", [5, 10, 15, 20, 30])
def test_leading_silence_only_shifts_the_phones(spanish_heldout, lead_ms):
    it = spanish_heldout[0]
    lead = lead_ms * SR // 1000
    plain = lipsync(it.audio, sample_rate=SR, language="es")
    later = lipsync(np.concatenate([np.zeros(lead, np.int16), it.audio]), sample_rate=SR, language="es")
    assert later.method == plain.method == "recognize"
    assert _shifted(later.phones, lead / SR) == _shifted(plain.phones, 0.0)


def test_a_sentence_inside_a_long_file_gets_its_own_phones(spanish_heldout):
    """The second sentence alone and after the first one (a 30 ms VAD grid at another phase)."""
    a, b = spanish_heldout[0], spanish_heldout[1]
    # an odd number of samples in front, so b's speech falls elsewhere on every frame grid
    pad = np.zeros(SR // 10 + 77, np.int16)
    joined = np.concatenate([a.audio, pad, b.audio])
    start = (len(a.audio) + len(pad)) / SR
    alone = lipsync(b.audio, sample_rate=SR, language="es")
    inside = lipsync(joined, sample_rate=SR, language="es")
    later = [p for p in _shifted(inside.phones, start) if p[0] >= -1e-9]
    mine = _shifted(alone.phones, 0.0)
    speech = [p for p in mine if p[2] != "SIL"]
    assert [p for p in later if p[2] != "SIL"] == speech
    assert len(speech) > 10


def test_anchor_segment_cuts_at_a_fixed_distance_from_the_speech():
    rng = np.random.default_rng(0)
    speech = (rng.standard_normal(4000) * 3000).astype(np.int16)
    cuts = []
    for lead in (0, 37, 500, 2000):
        pcm = np.concatenate([np.zeros(lead, np.int16), speech, np.zeros(300, np.int16)])
        out, start = anchor_segment(pcm, 1.0)
        cuts.append((out, start - lead / SR))
        # the speech sits about ANCHOR_LEAD samples in (5 ms envelope), whatever the padding
        first = int(np.flatnonzero(out)[0])
        assert ANCHOR_LEAD <= first < ANCHOR_LEAD + 80
        assert np.array_equal(out[first:first + len(speech)], speech)
    for out, start in cuts[1:]:  # the same samples and the same time of the speech, every time
        assert np.array_equal(out, cuts[0][0])
        assert start == pytest.approx(cuts[0][1])


def test_a_quiet_segment_is_left_alone():
    hiss = (np.random.default_rng(1).standard_normal(3000) * 20).astype(np.int16)
    out, start = anchor_segment(hiss, 2.5)
    assert np.array_equal(out, hiss) and start == 2.5
