"""A language's vowels from espeak-ng's G2P, and English phone-loop vowels snapped onto them."""

from __future__ import annotations

from facemimic.phonetics.inventory import has_inventory, snap_vowels, vowel_inventory, vowel_snap
from facemimic.phonetics.phones import Phone


def test_spanish_has_five_vowels_and_one_open_one():
    assert vowel_inventory("es") == {"AA", "EY", "IY", "OW", "UW"}  # a e i o u through the features
    snap = vowel_snap("es")
    # the English loop's half-open vowels are Spanish "a" (shape D), its lax ones e/o
    assert snap["AH"] == "AA" and snap["AE"] == "AA"
    assert snap["EH"] == "EY" and snap["IH"] == "EY" and snap["UH"] == "OW" and snap["AO"] == "OW"
    assert not set(snap) & vowel_inventory("es")


def test_languages_with_a_schwa_keep_it():
    for lang in ("de", "fr"):
        assert "AH" in vowel_inventory(lang)
        assert "AH" not in vowel_snap(lang)
    assert vowel_snap("it")["AH"] == "AA"  # Italian has no schwa either ...
    assert "EH" in vowel_inventory("it") and "EH" not in vowel_snap("it")  # ... but open e (ɛ)


def test_a_language_without_a_sample_text_is_left_alone():
    assert has_inventory("pt-br") and not has_inventory("ja")
    phones = [Phone(0.0, 0.1, "AH"), Phone(0.1, 0.2, "M", "x")]
    assert snap_vowels(phones, "ja") == phones


def test_snap_vowels_keeps_timing_words_and_consonants():
    phones = [Phone(0.0, 0.1, "SIL"), Phone(0.1, 0.15, "P", "pan"), Phone(0.15, 0.2, "AH", "pan"),
              Phone(0.2, 0.3, "AY", "pan"), Phone(0.3, 0.4, "N", "pan")]
    out = snap_vowels(phones, "es")
    assert [p.name for p in out] == ["SIL", "P", "AA", "AY", "N"]  # diphthongs stay as heard
    assert [(p.start, p.end, p.word) for p in out] == [(p.start, p.end, p.word) for p in phones]
