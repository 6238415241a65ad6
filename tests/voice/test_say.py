"""The built-in voice: real espeak-ng synthesis, phones checked against the audio itself."""

from __future__ import annotations

import csv
import json
import wave

import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.errors import ParameterError
from facemimic.voice import VoiceOptions, phonemize_arpabet, say


@pytest.fixture(scope="module")
def speech():
    return say("Maybe the big brown bear. Then, silence!")


def _rms(audio, sr, a, b):
    x = audio[int(a * sr):int(b * sr)].astype(np.float64)
    return float(np.sqrt(np.mean(x ** 2))) if len(x) else 0.0


def test_say_returns_audio_and_contiguous_phones(speech):
    audio, sr, phones = speech
    assert audio.dtype == np.int16 and sr == 22050
    assert speech.duration > 1.5
    assert phones[0].start == 0.0 and abs(phones[-1].end - speech.duration) < 1e-9
    for p, q in zip(phones, phones[1:]):
        assert abs(p.end - q.start) < 1e-9 and p.end > p.start
    names = [p.name for p in phones]
    # "maybe the big brown bear": M, two B's in a row of words, and silence at the punctuation
    assert names.count("B") >= 3 and "M" in names
    assert "SIL" in names[1:-1]
    assert {p.word for p in phones if p.name == "M"} == {"Maybe"}


def test_phone_timing_matches_the_audio(speech):
    """Silences espeak-ng reports are quiet in its audio; vowels are loud (the truth is real)."""
    audio, sr, phones = speech
    vowels = [p for p in phones if p.name in ("EY", "IH", "AW", "EH", "IY")]
    pauses = [p for p in phones[1:-1] if p.name == "SIL" and p.duration > 0.08]
    assert vowels and pauses
    loud = np.median([_rms(audio, sr, p.start, p.end) for p in vowels])
    for p in pauses:
        # the middle of a pause is at least 20 dB quieter than the vowels
        mid = _rms(audio, sr, p.start + 0.02, p.end - 0.02)
        assert mid < loud / 10, (p, mid, loud)


def test_voices_differ_and_rate_changes_duration():
    a = say("Hello world", voice="en-us")
    b = say("Hello world", voice="en-us+f3")
    assert len(a.audio) and len(b.audio)
    assert not np.array_equal(a.audio[: min(len(a.audio), len(b.audio))], b.audio[: min(len(a.audio), len(b.audio))])
    slow = say("Hello world, how are you", rate=120)
    fast = say("Hello world, how are you", rate=300)
    assert slow.duration > 1.6 * fast.duration


def test_unknown_word_pronunciation():
    assert phonemize_arpabet("zyxquat")[:2] == ["Z", "IH"]
    assert phonemize_arpabet("Müller")[0] == "M"


@pytest.mark.parametrize("kwargs", [dict(rate=10), dict(pitch=200), dict(voice="")])
def test_bad_options(kwargs):
    with pytest.raises(ParameterError):
        VoiceOptions(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    # say(pitch=nan) failed with NumPy's "cannot convert float NaN to integer" (inf: OverflowError)
    (dict(pitch=float("nan")), r"^pitch must be 0..99, got nan$"),
    (dict(pitch=float("inf")), r"^pitch must be 0..99, got inf$"),
    (dict(rate=float("nan")), r"^rate must be 80..450 words per minute, got nan$"),
    (dict(rate=None), r"^rate must be 80..450 words per minute, got None$"),
    (dict(pitch="high"), r"^pitch must be 0..99, got 'high'$"),
])
def test_say_names_a_rate_or_pitch_that_is_not_a_number(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        say("hello", **kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lead_silence=None), r"^lead_silence must be 0..60 seconds, got None$"),  # was a TypeError
    (dict(trail_silence=float("nan")), r"^trail_silence must be 0..60 seconds, got nan$"),
])
def test_silences_that_are_not_numbers_are_named(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        VoiceOptions(**kwargs)


def test_bad_voice_and_empty_text():
    with pytest.raises(ParameterError, match="voice"):
        say("hi", voice="xx-nonexistent")
    with pytest.raises(ParameterError):
        say("   ")
    # the engine still works after an error
    assert say("ok").duration > 0.1


def test_cli_say_writes_everything(tmp_path):
    out = tmp_path / "v.wav"
    r = CliRunner().invoke(cli, ["say", "Pass me the bread, please.", "-o", str(out),
                                 "--phones", str(tmp_path / "v.phones.tsv"),
                                 "--track", str(tmp_path / "v.jsonl"), "--cues", str(tmp_path / "v.json"),
                                 "--voice", "en-us+f3"])
    assert r.exit_code == 0, r.output
    with wave.open(str(out)) as w:
        assert w.getframerate() == 22050 and w.getnchannels() == 1
        n = w.getnframes()
    with open(tmp_path / "v.phones.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert rows[0].keys() == {"start", "end", "phone", "word"}
    assert abs(float(rows[-1]["end"]) - n / 22050) < 0.002
    assert any(r["phone"] == "P" and r["word"] == "Pass" for r in rows)
    cues = json.loads((tmp_path / "v.json").read_text())
    assert cues["mouthCues"][0]["start"] == 0 and any(c["value"] == "A" for c in cues["mouthCues"])
    from facemimic.expressions.io import read_track

    tr = read_track(tmp_path / "v.jsonl")
    assert tr.metadata["region"] == "speech" and tr.channel("JawOpen").max() > 0.3


def test_cli_say_bad_folder_writes_nothing(tmp_path):
    r = CliRunner().invoke(cli, ["say", "hi", "-o", str(tmp_path / "v.wav"), "--track",
                                 str(tmp_path / "missing" / "t.jsonl")])
    assert r.exit_code == 1 and "does not exist" in r.output
    assert not (tmp_path / "v.wav").exists()


def test_list_voices():
    from facemimic.phonetics.espeak import list_variants, list_voices

    voices = list_voices()
    langs = {v["language"] for v in voices}
    assert {"en-us", "en-gb", "de"} <= langs and any(x.startswith("fr") for x in langs) and len(voices) > 50
    assert "f3" in list_variants() and "m3" in list_variants()
    r = CliRunner().invoke(cli, ["say", "--list-voices"])
    assert r.exit_code == 0 and "English (America)" in r.output and "en-us+f3" in r.output
    r = CliRunner().invoke(cli, ["say", "hello"])
    assert r.exit_code == 2  # -o missing


def test_other_language_voice_speaks_with_phones():
    sp = say("Guten Morgen, wie geht es dir?", voice="de")
    assert sp.duration > 1.0
    names = [p.name for p in sp.phones if p.name != "SIL"]
    assert len(names) > 10 and "M" in names  # approximate ARPAbet mapping of German phonemes


def test_synthesis_is_reproducible_across_processes():
    """espeak-ng's random generator is seeded per call: a fresh process says the same text with
    the same samples and phone timing every time (the evaluation set depends on it)."""
    import subprocess
    import sys

    code = ("import hashlib; from facemimic.voice import say; "
            "a, sr, ph = say('Pass me the bread, please.', voice='en-us+f3'); "
            "print(hashlib.md5(a.tobytes() + repr(ph).encode()).hexdigest())")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    assert len(runs) == 1 and len(next(iter(runs)).strip()) == 32


@pytest.mark.parametrize("name", ["hello.mp3", "hello.ogg", "hello"])
def test_cli_say_refuses_a_non_wav_name(tmp_path, name):
    # `say -o hello.mp3` wrote WAV bytes under an MP3 name (PyAV then reported pcm_s16le in "hello.mp3").
    r = CliRunner().invoke(cli, ["say", "hi", "-o", str(tmp_path / name), "--track", str(tmp_path / "t.jsonl")])
    assert r.exit_code == 1 and "end the name in .wav" in r.output and "Traceback" not in r.output
    assert list(tmp_path.iterdir()) == []


def test_write_wav_refuses_a_non_wav_name(tmp_path):
    from facemimic.common.audio import write_wav
    from facemimic.errors import OutputError

    with pytest.raises(OutputError, match="end the name in .wav"):
        write_wav(tmp_path / "x.mp3", np.zeros(160, np.int16), 16000)
    assert list(tmp_path.iterdir()) == []
    assert write_wav(tmp_path / "x.WAV", np.zeros(160, np.int16), 16000).stat().st_size > 44
