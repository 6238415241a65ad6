"""English speech without a transcript: heard by the bundled recogniser, then aligned (transcribe.py).

The voice is a real recording: the Samuel Beckett line the recogniser's own wheel ships as its
test sound ("Ever tried. Ever failed. No matter. Try again. Fail again. Fail better.", 10 s, one
male speaker), whose /m/ of "matter" and /b/ of "better" must be shown with closed lips.
"""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.errors import ModelAssetError
from facemimic.expressions.mouth import implied_lip_gap
from facemimic.lipsync import transcribe as T
from facemimic.lipsync.api import LipSyncOptions, lipsync

# The recogniser runs only on a CPU with AVX-512 (its library is built for x86-64-v4; no other CPU reports
# those flags); elsewhere speech without a transcript is recognised as phones, which
# tests/lipsync/test_transcribe_cpu.py checks on every machine. Where the CPU has them, the wheel is a
# dependency (Linux x86-64): these run and fail if it is missing.
pytestmark = pytest.mark.skipif(bool(T.missing_cpu_flags()), reason=f"this CPU lacks {', '.join(T.missing_cpu_flags())}")

SAID = "ever tried ever failed no matter try again fail again fail better"


@pytest.fixture(scope="module")
def beckett() -> Path:
    return T.model_dir().parent.parent / "test-data" / "beckett.wav"


HEAR = LipSyncOptions(transcribe=True)


@pytest.fixture(scope="module")
def heard(beckett):
    return lipsync(beckett, options=HEAR)


def _words(text: str) -> list[str]:
    return text.lower().split()


def test_a_real_voice_is_heard_word_for_word(heard):
    assert heard.method == "transcribe"
    assert heard.words is not None
    got, want = _words(heard.words), _words(SAID)
    # word error rate by edit distance: at most one word of twelve
    d = np.arange(len(want) + 1)
    for i, g in enumerate(got, 1):
        prev, d[0] = d.copy(), i
        for j, w in enumerate(want, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (g != w))
    assert d[-1] <= 1, (heard.words, int(d[-1]))


def test_its_bilabials_close_the_lips_where_the_words_have_them(heard):
    labials = [p for p in heard.phones if p.name in ("M", "B", "P")]
    assert {p.word.lower() for p in labials} >= {"matter", "better"}
    for p in labials:  # the mouth shape "A" (lips closed) is shown during each /p b m/
        mid = 0.5 * (p.start + p.end)
        shown = [c.shape for c in heard.cues if c.start <= mid < c.end]
        assert shown == ["A"], (p, shown)
    # and nowhere a closure without one: every "A" lies on a /p b m/ (or touches one)
    for c in heard.cues:
        if c.shape == "A":
            assert any(p.start - 0.05 < c.end and c.start < p.end + 0.05 for p in labials), c


def test_by_default_phones_are_recognised_and_told_apart(beckett, heard):
    r = lipsync(beckett)
    assert r.method == "recognize" and r.words is None
    assert r.track().metadata["method"] == "recognize"
    assert heard.track().metadata["method"] == "transcribe"


def test_other_languages_are_not_transcribed(beckett):
    # the recogniser is English: a German file without a transcript has its phones recognised
    r = lipsync(beckett, language="de", options=HEAR)
    assert r.method == "recognize" and r.words is None


def test_a_given_transcript_is_aligned_as_before(beckett):
    r = lipsync(beckett, text=SAID, options=HEAR)
    assert r.method == "align" and r.words is None


def test_clean_words_cuts_back_what_a_recogniser_invents_on_a_hum():
    # the recogniser's real output on a disfluent MFA recording (hesitations, a held hum)
    raw = 'Montreal forced a "' + "m" * 300 + '", uh-uh-uh-uh-uh-uh-uh forster-liner.'
    assert T.clean_words(raw) == "Montreal forced a mm uh uh forster liner"
    assert T.clean_words("  ...  ") == ""
    assert T.clean_words("Beauty's rose, 1609.") == "Beauty's rose 1609"


def test_pieces_join_close_speech_up_to_the_longest():
    spans = [(0.0, 2.0), (2.5, 6.0), (6.2, 16.0), (30.0, 31.0)]
    assert T.pieces(spans, 15.0) == [(0.0, 6.0), (6.2, 16.0), (30.0, 31.0)]
    assert T.pieces([], 15.0) == []


def test_a_tampered_model_is_refused_with_the_file_named(tmp_path, monkeypatch):
    folder = tmp_path / "base-en"
    shutil.copytree(T.model_dir(), folder)
    with open(folder / "tokenizer.bin", "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 1]))
    monkeypatch.setattr(T, "model_dir", lambda: folder)
    monkeypatch.setattr(T, "_verified", None)  # (this process checked the real files already)
    with pytest.raises(ModelAssetError, match="tokenizer.bin: SHA-256"):
        T._verified_dir()


def test_without_the_wheel_phones_are_recognised(beckett, monkeypatch):
    from facemimic.lipsync import api

    monkeypatch.setattr(api, "_transcriber_unavailable", lambda: "the speech recogniser (the moonshine_cpp wheel) is not installed")
    got = lipsync(beckett, options=HEAR)
    assert got.method == "recognize"
    assert any("is not installed; recognising phones instead" in w for w in got.warnings), got.warnings


def test_the_cli_transcribes_when_asked_and_says_what_it_heard(beckett, tmp_path):
    runner = CliRunner()
    out = tmp_path / "b.tsv"
    r = runner.invoke(cli, ["lipsync", str(beckett), "-o", str(out), "--transcribe"])
    assert r.exit_code == 0, r.output
    assert "Heard: Ever tried" in r.stderr
    cues = [line.split("\t") for line in out.read_text().splitlines()]
    assert "A" in {c[1] for c in cues}
    r = runner.invoke(cli, ["lipsync", str(beckett), "-o", str(tmp_path / "p.tsv")])
    assert r.exit_code == 0, r.output
    assert "Heard:" not in r.stderr


def test_silence_is_not_sent_to_the_recogniser(tmp_path):
    path = tmp_path / "hiss.wav"
    rng = np.random.default_rng(0)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes((rng.normal(0, 20, 16000 * 2)).astype(np.int16).tobytes())
    r = lipsync(path, options=HEAR)
    assert r.method == "empty" and r.words is None


def test_a_long_recording_is_heard_in_pieces_on_several_cores_with_the_same_words(beckett, tmp_path):
    # two takes 4 s apart (23 s): two pieces, heard by two forked processes; a fresh interpreter, as
    # the CLI runs it (a process that already holds the model hears its pieces itself)
    import subprocess
    import sys

    with wave.open(str(beckett)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    long = tmp_path / "twice.wav"
    with wave.open(str(long), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(np.concatenate([x, np.zeros(4 * 16000, np.int16), x]).tobytes())
    code = ("import sys, json; from facemimic.lipsync.api import LipSyncOptions, lipsync; "
            "from facemimic.lipsync import transcribe as T; "
            "r = lipsync(sys.argv[1], options=LipSyncOptions(transcribe=True, workers=int(sys.argv[2]))); "
            "print(json.dumps([r.words, len(T.pieces([(0, 10), (14, 24)]))]))")
    got = {}
    for workers in (1, 2):
        out = subprocess.run([sys.executable, "-c", code, str(long), str(workers)], capture_output=True, text=True,
                             timeout=300, check=True).stdout.strip().splitlines()[-1]
        got[workers] = __import__("json").loads(out)
    assert got[2][0] == got[1][0]
    assert len(_words(got[2][0])) >= 20 and got[2][1] == 2


def test_animate_audio_transcribe_drives_the_lips_from_the_words_heard(beckett, heard):
    from facemimic.animate.drivers import DriverSpec, build
    from facemimic.errors import ParameterError

    with build(DriverSpec(audio=str(beckett), transcribe=True)) as heard_drive, \
            build(DriverSpec(audio=str(beckett))) as phone_drive:
        assert "words heard: 'Ever tried" in heard_drive.description
        assert "words heard" not in phone_drive.description
        # the lips meet at the /m/ of "matter" and the /b/ of "better", the words the recogniser heard
        a = heard_drive.track.to_arrays()
        for p in (p for p in heard.phones if p.name in ("M", "B") and p.word.lower() in ("matter", "better")):
            i = int(np.argmin(np.abs(a["time"] - 0.5 * (p.start + p.end))))
            assert float(implied_lip_gap(a["weights"][i])) <= 0.02, (p, float(implied_lip_gap(a["weights"][i])))
    with pytest.raises(ParameterError, match="not both"):
        DriverSpec(audio=str(beckett), text=SAID, transcribe=True)
    with pytest.raises(ParameterError, match="give --audio"):
        DriverSpec(say="hello", transcribe=True)


def test_batch_lipsync_transcribe_hears_each_file_and_keeps_old_datasets_keys(beckett, heard, tmp_path):
    from facemimic.batch.dataset import read_dataset
    from facemimic.batch.options import WorkSpec

    src = tmp_path / "takes"
    src.mkdir()
    shutil.copy(beckett, src / "beckett.wav")
    out = tmp_path / "mouths"
    r = CliRunner().invoke(cli, ["batch", "lipsync", str(src), "-o", str(out), "--transcribe", "--workers", "1", "-q"])
    assert r.exit_code == 0, r.output
    df = read_dataset(out).to_pandas().sort_values("frame")
    ref = heard.track(fps=60)
    np.testing.assert_array_equal(df.JawOpen.to_numpy(np.float32), ref.channel("JawOpen"))
    assert {"M", "B"} <= set(df.phone)
    # the option shapes the rows (part of the resume key) but, off, leaves earlier datasets' key as it was
    off, on = WorkSpec("lipsync"), WorkSpec("lipsync", transcribe=True)
    assert "transcribe" not in off.describe() and on.key() != off.key()


def test_at_most_max_workers_processes_hold_a_model(monkeypatch):
    from facemimic.lipsync import forked

    seen = {}

    def fake_fork_map(fn, jobs, *, workers, costs=None):
        seen["workers"] = workers
        return ["word"] * len(jobs), workers

    monkeypatch.setattr(forked, "fork_map", fake_fork_map)
    monkeypatch.setattr(T, "_model", None)
    pcm = np.zeros(16000 * 200, np.int16)
    spans = [(20.0 * k, 20.0 * k + 10.0) for k in range(10)]
    assert T.transcribe_spans(pcm, spans, workers=16) == " ".join(["word"] * 10)
    assert seen["workers"] == T.MAX_WORKERS == 4
