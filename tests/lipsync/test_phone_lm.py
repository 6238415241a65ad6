"""A phone LM per language (lipsync/phone_lm.py, issue #16 §2): counted from espeak-ng's
pronunciation of real prose, read back by pocketsphinx's own LM parser, cached, and used by the
phone loop when switched on (it is off by default: docs/journal/lipsync.md, Languages)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facemimic.errors import ParameterError
from facemimic.lipsync import phone_lm
from facemimic.phonetics.phones import ARPABET, SILENCE


@pytest.fixture(scope="module")
def spanish():
    from facemimic.phonetics.corpus import corpus_text

    return phone_lm.phone_sentences(corpus_text("es"), "es")


def test_phone_sentences_are_model_phones_with_pauses_at_commas():
    sents = phone_lm.phone_sentences("Guten Morgen, Anna. Wie geht es dir?", "de")
    assert len(sents) == 2
    first = sents[0]
    assert first[:2] == ["G", "UW"] and SILENCE in first and first[-1] != SILENCE
    assert set(first) | set(sents[1]) <= set(ARPABET) | {SILENCE}
    assert "M" in first and "N" in first  # Morgen, Anna


def test_bigram_table_is_a_distribution_per_history(spanish):
    table = phone_lm.bigram_table(spanish)
    histories = {h for h, _ in table}
    assert histories == {"<s>", SILENCE, *ARPABET}
    for h in histories:
        probs = [p for (hh, _), p in table.items() if hh == h]
        assert len(probs) == len(ARPABET) + 2  # every phone, SIL and </s>
        assert min(probs) > 0 and math.isclose(sum(probs), 1.0, abs_tol=1e-9)


def test_language_phonotactics_differ_from_english(spanish):
    # Spanish has no "cat" vowel: after T, English expects AE often, Spanish almost never
    es = phone_lm.bigram_table(spanish)
    en = phone_lm.english_bigram_table()
    assert en[("T", "AE")] > 10 * es[("T", "AE")]
    # ... and its open vowel AA is far more frequent than in English
    assert es[("M", "AA")] > 2 * en[("M", "AA")]


def test_arpa_file_reads_back_in_pocketsphinx(tmp_path, spanish):
    from pocketsphinx import Config, LogMath, NGramModel

    table = phone_lm.bigram_table(spanish)
    tri, bows = phone_lm.trigram_table(spanish, table)
    path = tmp_path / "es.arpa"
    path.write_text(phone_lm.arpa_text(table, (tri, bows)), encoding="ascii")
    logmath = LogMath()
    lm = NGramModel(Config(), logmath, str(path))

    def prob(*words):  # pocketsphinx takes the word first, then its history
        return logmath.exp(lm.prob(list(words)))

    (u, v, w), p = max(tri.items(), key=lambda kv: kv[1])
    assert prob(w, v, u) == pytest.approx(p, rel=2e-3)
    assert prob("AA", "M") == pytest.approx(table[("M", "AA")], rel=2e-3)
    unseen = next(x for x in ARPABET if (u, v, x) not in tri)  # backs off onto the bigram
    assert prob(unseen, v, u) == pytest.approx(bows[(u, v)] * table[(v, unseen)], rel=5e-3)


def test_built_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEMIMIC_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("FACEMIMIC_NO_CACHE", raising=False)
    phone_lm.phone_lm_path.cache_clear()
    path = phone_lm.phone_lm_path("it")
    assert path.parent == tmp_path / "phone_lm"
    data = path.read_bytes()
    assert data.startswith(b"\\data\\") and b"\\2-grams:" in data
    phone_lm.phone_lm_path.cache_clear()
    assert phone_lm.phone_lm_path("it") == path and path.read_bytes() == data  # a hit
    monkeypatch.setenv("FACEMIMIC_NO_CACHE", "1")
    phone_lm.phone_lm_path.cache_clear()
    private = phone_lm.phone_lm_path("it")
    assert private.parent != path.parent and private.read_bytes() == data
    phone_lm.phone_lm_path.cache_clear()


def test_bad_settings_are_refused():
    with pytest.raises(ParameterError, match="order must be 2 or 3"):
        phone_lm.phone_lm_path("de", order=4)
    assert phone_lm.has_phone_lm("fr-fr") and not phone_lm.has_phone_lm("ja")


def test_phone_loop_uses_the_language_lm_when_switched_on(monkeypatch):
    from facemimic.lipsync import recognize
    from facemimic.lipsync.evalset import build_language_items
    from facemimic.lipsync.scoring import levenshtein, phone_sequence

    item = build_language_items("de", ["de01"])[0]
    opt = recognize.RecognizerOptions(language="de", closure_detector=False)
    monkeypatch.setattr(recognize, "_CACHE", {})  # decoders are keyed by options only
    english = recognize.recognize_phones(np.asarray(item.audio), options=opt)
    monkeypatch.setattr(recognize, "FOREIGN_PHONE_LM", True)
    monkeypatch.setattr(recognize, "_CACHE", {})
    own = recognize.recognize_phones(np.asarray(item.audio), options=opt)
    assert phone_sequence(own) != phone_sequence(english)
    ref = phone_sequence(list(item.phones))
    assert levenshtein(ref, phone_sequence(own)) < 0.75 * len(ref)  # still real recognition
