"""The built-in voice in other languages: exact phones from espeak-ng's IPA events, and the
round trip say --language de -> WAV -> lipsync --language de."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.voice import VoiceOptions, say

GERMAN = "Bitte pack mir ein Brot und etwas Butter ein."


def _rms(audio, sr, a, b):
    x = audio[int(a * sr):int(b * sr)].astype(np.float64)
    return float(np.sqrt(np.mean(x ** 2))) if len(x) else 0.0


def test_say_german_phones_match_the_audio():
    sp = say(GERMAN, language="de")
    names = [p.name for p in sp.phones]
    assert sp.phones[0].start == 0.0 and abs(sp.phones[-1].end - sp.duration) < 1e-9
    # p/b/m of "pack mir ... Brot ... Butter": 5 bilabials, each a real closure in the audio
    bil = [p for p in sp.phones if p.name in ("P", "B", "M")]
    assert len(bil) == 5 and {p.word for p in bil} == {"Bitte", "pack", "mir", "Brot", "Butter"}
    loud = np.percentile([_rms(sp.audio, sp.sample_rate, p.start, p.end) for p in sp.phones
                          if p.name in ("AA", "AY", "OW", "IH", "UH", "EH")], 50)
    for p in bil[1:]:  # (the first starts the utterance) the lips are shut: quieter than vowels
        # (a stop's closure far quieter; m hums through the nose)
        assert _rms(sp.audio, sp.sample_rate, p.start, p.end) < (0.7 if p.name == "M" else 0.5) * loud
    assert "AY" in names  # "ein": aɪ through the features
    assert all(n.isupper() for n in names)


def test_language_keeps_the_variant_and_differs_from_english():
    assert VoiceOptions(voice="en-us+f3", language="fr").espeak_voice == "fr+f3"
    fr = say("Bonjour, un peu de pain.", language="fr")
    en = say("Bonjour, un peu de pain.")
    assert [p.name for p in fr.phones] != [p.name for p in en.phones]
    assert fr.phones[1].name == "B" and fr.phones[2].name == "AO"  # b ɔ̃


def read_phones_tsv(path):
    """The phones TSV (header start, end, phone, word) read back with the csv module."""
    import csv

    from facemimic.phonetics.phones import Phone

    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [Phone(float(r["start"]), float(r["end"]), r["phone"], r["word"] or "") for r in rows]


def test_say_language_round_trip(tmp_path):
    """say --language de writes WAV + phones; lipsync --language de aligns its transcript to
    the same phones (every one, within a frame or two) and closes the lips at every bilabial."""
    from facemimic.lipsync.scoring import Score, cues_to_frames, phone_sequence
    from facemimic.phonetics.phones import Phone

    wav, truth_tsv, got_tsv = tmp_path / "de.wav", tmp_path / "de.phones.tsv", tmp_path / "got.phones.tsv"
    r = CliRunner().invoke(cli, ["say", GERMAN, "--language", "de", "-o", str(wav), "--phones", str(truth_tsv)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["lipsync", str(wav), "--language", "de", "--text", GERMAN, "-o", str(got_tsv)])
    assert r.exit_code == 0, r.output
    truth, got = read_phones_tsv(truth_tsv), read_phones_tsv(got_tsv)
    assert phone_sequence(truth) == phone_sequence(got)
    starts = [(a.start, b.start) for a, b in zip([p for p in truth if p.name != "SIL"],
                                                  [p for p in got if p.name != "SIL"])]
    assert float(np.median([abs(a - b) for a, b in starts])) <= 0.025  # as English (test_accuracy)
    from facemimic.lipsync.api import from_phones

    dur = truth[-1].end
    sc = Score().add(truth, cues_to_frames(from_phones(got, dur).cues, dur), dur)
    assert sc.closures == 5 and sc.closure_recall == 100.0
    assert isinstance(truth[0], Phone)


def test_say_unknown_language_is_one_line(tmp_path):
    r = CliRunner().invoke(cli, ["say", "Hola", "--language", "spnish", "-o", str(tmp_path / "x.wav")])
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [
        "Error: unknown language 'spnish' (did you mean Spanish, Polish, Danish?); "
        "facemimic say --list-voices lists them"]
    assert not (tmp_path / "x.wav").exists()
