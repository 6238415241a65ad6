"""CMUdict look-ups for the dictionary-less alignment decoders agree with pocketsphinx's own loading."""

from __future__ import annotations

import pytest

from facemimic.lipsync.dictionary import PronunciationDictionary, base_word, load_words
from facemimic.lipsync.recognize import model_paths

WORDS = ["read", "the", "a", "hello", "'bout", "zywicki", "live", "record", "bread", "chicken", "o'clock"]


@pytest.fixture(scope="module")
def full_decoder():
    from pocketsphinx import Decoder

    p = model_paths()
    return Decoder(hmm=p["hmm"], dict=p["dict"], lm=None, loglevel="FATAL")


def _variants(d, word):
    out, k = [d.lookup_word(word)], 2
    while d.lookup_word(f"{word}({k})"):
        out.append(d.lookup_word(f"{word}({k})"))
        k += 1
    return out


def test_base_word():
    assert base_word(b"read(2)") == b"read"
    assert base_word(b"(paren") == b"(paren"
    assert base_word(b"x)") == b"x)"


def test_entries_match_pocketsphinx(full_decoder, tmp_path, monkeypatch):
    monkeypatch.setenv("FACEMIMIC_CACHE_DIR", str(tmp_path))
    book = PronunciationDictionary(model_paths()["dict"])
    for w in WORDS:
        got = [ph for _, ph in book.entries(w)]
        assert got == _variants(full_decoder, w), w
    assert book.entries("zzqxv") == []
    assert len(book.entries("read")) == 2


def test_loaded_decoder_has_the_same_pronunciations(full_decoder):
    from pocketsphinx import Decoder

    p = model_paths()
    d = Decoder(hmm=p["hmm"], dict=None, lm=None, loglevel="FATAL")
    assert d.lookup_word("read") is None
    load_words(WORDS, d, p["dict"])
    for w in WORDS:
        assert _variants(d, w) == _variants(full_decoder, w)
    assert d.lookup_word("chicken's") is None  # only what was asked for


def test_index_is_cached_and_a_corrupt_one_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEMIMIC_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("FACEMIMIC_NO_CACHE", raising=False)
    first = PronunciationDictionary(model_paths()["dict"])
    (entry,) = (tmp_path / "dictionaries").glob("*.bin")
    again = PronunciationDictionary(model_paths()["dict"])
    assert (again.index == first.index).all()
    entry.write_bytes(b"garbage")
    rebuilt = PronunciationDictionary(model_paths()["dict"])
    assert (rebuilt.index == first.index).all()
    assert rebuilt.entries("hello") == first.entries("hello")
    assert entry.read_bytes() != b"garbage"
