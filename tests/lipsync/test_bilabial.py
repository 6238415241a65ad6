"""The acoustic bilabial-closure detector: features, the shipped weights on real speech, and how
detections are carved into the recognised phones."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.errors import ParameterError
from facemimic.lipsync import bilabial
from facemimic.lipsync.bilabial import (
    ClosureOptions,
    add_missed_closures,
    closure_probability,
    log_mel,
)
from facemimic.phonetics.phones import Phone


def test_log_mel_frames_and_tone_band():
    t = np.arange(16000) / 16000
    tone = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    lm = log_mel(tone)
    assert lm.shape == (100, bilabial.N_MELS + 1) and np.isfinite(lm).all()
    # a 1 kHz tone puts its energy in the mel band whose centre is nearest 1 kHz
    peak = int(np.argmax(lm[50, :bilabial.N_MELS]))
    mel = np.linspace(2595 * np.log10(1 + 60 / 700), 2595 * np.log10(1 + 7600 / 700), bilabial.N_MELS + 2)
    centres = 700 * (10 ** (mel[1:-1] / 2595) - 1)
    assert abs(centres[peak] - 1000) < 120
    assert closure_probability(np.zeros(100, np.int16)).shape == (1, 3)


def test_shipped_weights_are_consistent():
    w = bilabial.load_weights()
    d = len(bilabial.OFFSETS) * (bilabial.N_MELS + 1)
    assert w["w1"].shape[0] == d and w["mu"].shape == (d,) and w["w2"].shape[1] == 3
    assert 0 < float(w["threshold"]) < 1 and int(w["min_frames"]) >= 1


def test_detector_hears_lip_closures_in_real_speech(speech_items):
    """On FaceMimic's own voice (never seen in training: the weights come from MBROLA speech),
    frames inside true P/B/M are much more probably 'closed' than the rest of the speech."""
    inside, outside = [], []
    for it in speech_items:
        p = closure_probability(it.audio)
        p = p[:, 1] + p[:, 2]
        centres = (np.arange(len(p)) * 160 + 200) / 16000
        bil = np.zeros(len(p), bool)
        speech = np.zeros(len(p), bool)
        for ph in it.phones:
            m = (centres >= ph.start) & (centres < ph.end)
            bil |= m & (ph.name in ("P", "B", "M"))
            speech |= m & (ph.name != "SIL")
        inside.append(p[bil])
        outside.append(p[speech & ~bil])
    a, b = np.concatenate(inside), np.concatenate(outside)
    assert len(a) >= 25
    assert a.mean() > 2.5 * b.mean()


def _probs(n, on=(), value=0.95):
    p = np.zeros((n, 3), np.float32)
    p[:, 0] = 1
    for a, b in on:
        p[a:b] = [1 - value, value, 0.0]
    return p


def test_missed_closure_is_carved_into_a_consonant():
    phones = [Phone(0.0, 0.2, "SIL"), Phone(0.2, 0.3, "AH"), Phone(0.3, 0.4, "V"), Phone(0.4, 0.5, "AA"),
              Phone(0.5, 0.7, "SIL")]
    out = add_missed_closures(phones, _probs(70, [(32, 38)]), offset=0.0, options=ClosureOptions(threshold=0.5))
    names = [p.name for p in out]
    assert names == ["SIL", "AH", "V", "B", "V", "AA", "SIL"]
    b = out[3]
    assert 0.31 <= b.start and b.end <= 0.39 and b.end - b.start >= 0.05 - 1e-9
    for x, y in zip(out, out[1:]):  # still contiguous
        assert abs(x.end - y.start) < 1e-9


def test_no_insertion_where_it_would_be_wrong():
    phones = [Phone(0.0, 0.2, "SIL"), Phone(0.2, 0.3, "M"), Phone(0.3, 0.5, "AA"), Phone(0.5, 0.6, "N"),
              Phone(0.6, 0.8, "SIL")]
    opt = ClosureOptions(threshold=0.5)
    # next to a recognised M: already explained
    assert add_missed_closures(phones, _probs(80, [(22, 28)]), options=opt) == phones
    # inside a vowel or in silence (music, hum): never
    assert add_missed_closures(phones, _probs(80, [(36, 44)]), options=opt) == phones
    assert add_missed_closures(phones, _probs(80, [(68, 76)]), options=opt) == phones
    # a one- or two-frame blip is not a closure
    assert add_missed_closures(phones, _probs(80, [(54, 56)]), options=opt) == phones
    # but a real one inside the N is
    assert [p.name for p in add_missed_closures(phones, _probs(80, [(51, 58)]), options=opt)].count("B") == 1


def test_options_are_validated():
    with pytest.raises(ParameterError):
        ClosureOptions(threshold=1.5)
    with pytest.raises(ParameterError):
        ClosureOptions(min_frames=0)


def test_detector_raises_closure_recall_of_recognition(speech_items, recognized):
    """Same audio, recogniser alone vs recogniser + detector: the detector only adds closures."""
    from facemimic.lipsync.api import LipSyncOptions, lipsync
    from facemimic.lipsync.recognize import RecognizerOptions
    from facemimic.lipsync.scoring import Score, cues_to_frames

    plain = LipSyncOptions(recognizer=RecognizerOptions(closure_detector=False))
    with_d, without = Score(), Score()
    for it in speech_items:
        r0 = lipsync(it.audio, sample_rate=it.sample_rate, options=plain)
        r1 = recognized[it.id]
        without.add(list(it.phones), cues_to_frames(r0.cues, it.duration), it.duration)
        with_d.add(list(it.phones), cues_to_frames(r1.cues, it.duration), it.duration)
        n0 = sum(p.name in ("P", "B", "M") for p in r0.phones)
        n1 = sum(p.name in ("P", "B", "M") for p in r1.phones)
        assert n1 >= n0
    assert with_d.closure_hits >= without.closure_hits


def test_cli_closures_flag(speech_wavs, tmp_path):
    """``--closures recognizer`` is the recogniser alone; the default adds detected closures."""
    import csv

    from click.testing import CliRunner

    from facemimic.cli import cli

    wav = str(speech_wavs["s07"])  # "The box was thrown beside the parked truck."
    out = {}
    for mode in ("detect", "recognizer"):
        path = tmp_path / f"{mode}.phones.tsv"
        r = CliRunner().invoke(cli, ["lipsync", wav, "-q", "--closures", mode, "-o", str(path)])
        assert r.exit_code == 0, r.output
        with open(path, newline="") as f:
            out[mode] = [row["phone"] for row in csv.DictReader(f, delimiter="\t")]
    bil = {m: sum(p in ("P", "B", "M") for p in v) for m, v in out.items()}
    assert bil["detect"] >= bil["recognizer"]
    r = CliRunner().invoke(cli, ["lipsync", wav, "--closures", "maybe"])
    assert r.exit_code != 0
