"""``facemimic lipsync --language``: auto, unknown codes and transcripts in another script."""

from __future__ import annotations

from click.testing import CliRunner

from facemimic.cli import cli

GERMAN = "Bitte pack mir ein Brot und etwas Butter ein."


def _wav(tmp_path):
    from facemimic.common.audio import write_wav
    from facemimic.voice import say

    sp = say(GERMAN, language="de")
    return write_wav(tmp_path / "de.wav", sp.audio, sp.sample_rate)


def test_auto_guesses_german(tmp_path):
    wav = _wav(tmp_path)
    outs = {}
    for lang in ("de", "auto"):
        out = tmp_path / f"{lang}.tsv"
        r = CliRunner().invoke(cli, ["lipsync", str(wav), "--language", lang, "--text", GERMAN, "-o", str(out)])
        assert r.exit_code == 0, r.output
        outs[lang] = out.read_text()
    assert outs["auto"] == outs["de"]
    english = tmp_path / "en.tsv"
    r = CliRunner().invoke(cli, ["lipsync", str(wav), "--text", GERMAN, "-o", str(english)])
    assert r.exit_code == 0 and english.read_text() != outs["de"]  # English pronunciations differ


def test_unknown_language(tmp_path):
    wav = _wav(tmp_path)
    r = CliRunner().invoke(cli, ["lipsync", str(wav), "--language", "germn", "--text", GERMAN,
                                 "-o", str(tmp_path / "x.tsv")])
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: unknown language 'germn' (did you mean German")
    assert not (tmp_path / "x.tsv").exists()


def test_transcript_in_another_script(tmp_path):
    wav = _wav(tmp_path)
    dialog = tmp_path / "dialog.txt"
    dialog.write_text("Пожалуйста, дай мне хлеб.", encoding="utf-8")
    r = CliRunner().invoke(cli, ["lipsync", str(wav), "--language", "de", "--dialog", str(dialog),
                                 "-o", str(tmp_path / "x.tsv")])
    assert r.exit_code == 1
    assert r.output.strip() == (f"Error: {dialog} is written in Cyrillic letters, but German (de) is written "
                                "in Latin; use --language ru (or auto)")
    assert not (tmp_path / "x.tsv").exists()


def test_library_checks_too():
    import numpy as np
    import pytest

    from facemimic.errors import ParameterError, UnknownNameError
    from facemimic.lipsync.api import lipsync

    pcm = np.zeros(16000, np.int16)
    with pytest.raises(UnknownNameError, match="did you mean"):
        lipsync(pcm, sample_rate=16000, text="hola", language="spnish")
    with pytest.raises(ParameterError, match="written in Latin letters, but Japanese"):
        lipsync(pcm, sample_rate=16000, text="Guten Morgen", language="ja")
