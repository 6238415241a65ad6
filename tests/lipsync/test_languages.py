"""Lip sync in German, French, Spanish and Italian (issue #16), end to end on MBROLA speech.

Two sentences per language (``evalset.LANGUAGE_SENTENCES`` 01 and 02, one per MBROLA voice),
truth from the ``.pho`` files. Floors sit below the values measured on these sentences
(with transcript: de 79.5, fr 77.7, es 80.3, it 82.2 % macro recall, every closure; without:
48-58 %, 91-100 % of the closures); the whole sets are in docs/journal/lipsync.md
(benchmarks/lipsync_languages.py).
"""

from __future__ import annotations

import pytest

from facemimic.lipsync.scoring import Score, cues_to_frames

LANGUAGES = ("de", "fr", "es", "it")
FLOOR_WITH = {"de": 75.0, "fr": 73.0, "es": 75.0, "it": 77.0}
FLOOR_WITHOUT = 38.0


@pytest.fixture(scope="session")
def language_items():
    from facemimic.lipsync.evalset import build_language_items

    return {lang: build_language_items(lang, [f"{lang}01", f"{lang}02"]) for lang in LANGUAGES}


@pytest.fixture(scope="session")
def language_results(language_items):
    from facemimic.lipsync.api import lipsync

    out = {}
    for lang, items in language_items.items():
        for it in items:
            out[(it.id, True)] = lipsync(it.audio, sample_rate=it.sample_rate, text=it.text, language=lang)
            out[(it.id, False)] = lipsync(it.audio, sample_rate=it.sample_rate, language=lang)
    return out


def _score(items, results, with_text) -> Score:
    sc = Score()
    for it in items:
        r = results[(it.id, with_text)]
        sc.add(list(it.phones), cues_to_frames(r.cues, it.duration), it.duration, list(r.phones))
    return sc


@pytest.mark.parametrize("lang", LANGUAGES)
def test_with_transcript(lang, language_items, language_results):
    items = language_items[lang]
    assert all(language_results[(it.id, True)].method == "align" for it in items)
    sc = _score(items, language_results, True)
    assert sc.closures >= 8
    assert sc.closure_recall == 100.0
    assert sc.closure_precision >= 85.0  # es: 10 of 11 closure cues on a P/B/M
    assert sc.per <= 16.0  # espeak-ng's G2P against the MBROLA voice's own phones
    assert sc.macro_recall >= FLOOR_WITH[lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_without_transcript(lang, language_items, language_results):
    items = language_items[lang]
    sc = _score(items, language_results, False)
    assert sc.macro_recall >= FLOOR_WITHOUT
    assert sc.closure_recall >= 85.0


def test_without_transcript_spanish_a_opens_the_mouth(language_items, language_results):
    """The English phone loop hears Spanish "a" as AH/AE (shape C) as often as AA (D); snapped
    onto Spanish's vowels (phonetics/inventory.py) most "a" frames show the wide-open D."""
    from facemimic.lipsync.scoring import SHAPES

    sc = _score(language_items["es"], language_results, False)
    d = SHAPES.index("D")
    assert sc.per_shape_n[d] >= 30
    assert sc.per_shape_hit[d] >= 0.6 * sc.per_shape_n[d]  # 30 of 40 measured
    assert sc.macro_recall >= 54.0  # 58.5 measured (before snapping: 39-49 on these voices)


def test_words_of_the_language_carry_through(language_results):
    words = [p.word for p in language_results[("de01", True)].phones if p.word]
    assert words[0] == "bitte" and "brot" in words and words[-1] == "ein"
    first = [p for p in language_results[("fr01", True)].phones if p.word == "bonjour"]
    assert [p.name for p in first][:2] == ["B", "AO"]  # b ɔ̃ through the features


def test_long_file_piecewise(language_items):
    """Four French sentences joined (> 8 s: aligned in pieces) score within 3 points of the
    same sentences one by one."""
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.evalset import build_language_items, concatenate

    items = build_language_items("fr", ["fr01", "fr02", "fr03", "fr04"])
    joined = concatenate(items)
    assert joined.duration > 8.0
    one = Score()
    for it in items:
        r = lipsync(it.audio, sample_rate=it.sample_rate, text=it.text, language="fr")
        one.add(list(it.phones), cues_to_frames(r.cues, it.duration), it.duration)
    r = lipsync(joined.audio, sample_rate=joined.sample_rate, text=joined.text, language="fr")
    assert r.method == "align"
    long = Score().add(list(joined.phones), cues_to_frames(r.cues, joined.duration), joined.duration)
    assert long.closure_recall == 100.0
    assert long.macro_recall >= one.macro_recall - 3.0
