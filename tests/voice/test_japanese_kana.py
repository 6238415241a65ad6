"""Japanese (issue #16 §1): kana works end to end on espeak-ng's Japanese voice; kanji, which
espeak-ng reads as "Chinese letter", is refused in one line (say and lipsync, --text/--dialog)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.errors import ParameterError

KANA = "まいにち パンを たべます。 みんなで ぼうしを かぶって、 うみへ いきました。"
KANJI = "毎日パンを食べます。皆で帽子を被って、海へ行きました。"


def _one_line_error(result, *needles):
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for n in needles:
        assert n in lines[0], lines[0]


def test_kana_end_to_end(tmp_path):
    """say in kana -> WAV + exact phones; lipsync of that WAV with the kana transcript closes the
    lips at every m/p/b (the bilabials of まいにち パン たべます みんな ぼうし かぶって うみ)."""
    wav, said = tmp_path / "ja.wav", tmp_path / "said.tsv"
    r = CliRunner().invoke(cli, ["say", KANA, "--language", "ja", "-o", str(wav), "--phones", str(said)])
    assert r.exit_code == 0, r.output
    rows = [line.split("\t") for line in said.read_text().splitlines()[1:]]
    names = [row[2] for row in rows]
    assert sum(n in ("AA", "IY", "UW", "EY", "OW") for n in names) >= 20  # Japanese vowels, mapped
    bilabial = [(float(a), float(b)) for a, b, n, *_ in rows if n in ("M", "P", "B")]
    assert len(bilabial) >= 7
    cues = tmp_path / "ja.tsv"
    aligned = tmp_path / "ja.phones.tsv"
    r = CliRunner().invoke(cli, ["lipsync", str(wav), "--language", "ja", "--text", KANA, "-o", str(cues)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["lipsync", str(wav), "--language", "ja", "--text", KANA, "-o", str(aligned)])
    assert r.exit_code == 0, r.output
    got = [line.split("\t") for line in aligned.read_text().splitlines()[1:]]
    assert sum(row[2] in ("M", "P", "B") for row in got) >= len(bilabial) - 1
    starts = [(float(t), s) for t, s in (line.split("\t") for line in cues.read_text().splitlines())]
    ends = [t for t, _ in starts[1:]] + [1e9]
    closed = [(t, e) for (t, s), e in zip(starts, ends) if s == "A"]
    for a, b in bilabial:  # every true closure shows shape A within 40 ms
        assert any(t < b + 0.04 and e > a - 0.04 for t, e in closed), (a, b, closed)


def test_say_kanji_refused(tmp_path):
    wav = tmp_path / "k.wav"
    r = CliRunner().invoke(cli, ["say", KANJI, "--language", "ja", "-o", str(wav)])
    _one_line_error(r, "TEXT contains kanji (毎日食", "write Japanese in kana", "Chinese letter")
    assert not wav.exists()
    r = CliRunner().invoke(cli, ["say", "-", "--voice", "ja+f3", "-o", str(wav)], input=KANJI)
    _one_line_error(r, "standard input contains kanji")
    assert not wav.exists()


def test_library_say_kanji_refused():
    from facemimic.voice import say

    with pytest.raises(ParameterError, match="contains kanji"):
        say(KANJI, language="ja")
    assert say(KANA, language="ja").duration > 2.0


@pytest.fixture(scope="module")
def kana_wav(tmp_path_factory):
    from facemimic.common.audio import write_wav
    from facemimic.voice import say

    s = say(KANA, language="ja")
    p = tmp_path_factory.mktemp("ja") / "kana.wav"
    write_wav(p, s.audio, s.sample_rate)
    return p


def test_lipsync_kanji_transcript_refused(tmp_path, kana_wav):
    out = tmp_path / "o.tsv"
    r = CliRunner().invoke(cli, ["lipsync", str(kana_wav), "--language", "ja", "--text", KANJI, "-o", str(out)])
    _one_line_error(r, "the transcript (--text) contains kanji", "kana")
    dialog = tmp_path / "dialog.txt"
    dialog.write_text(KANJI, encoding="utf-8")
    r = CliRunner().invoke(cli, ["lipsync", str(kana_wav), "--language", "ja", "--dialog", str(dialog),
                                 "-o", str(out)])
    _one_line_error(r, f"{dialog} contains kanji")
    # auto reads kana + kanji as Japanese, so it is refused too
    r = CliRunner().invoke(cli, ["lipsync", str(kana_wav), "--language", "auto", "--text", KANJI, "-o", str(out)])
    _one_line_error(r, "contains kanji")
    assert not out.exists()


def test_kanji_only_in_japanese():
    from facemimic.lipsync.api import resolve_transcript_language

    assert resolve_transcript_language("cmn", "你好世界") == "cmn"  # Chinese is written in them
    assert resolve_transcript_language("ja", "カタカナ と ひらがな") == "ja"
