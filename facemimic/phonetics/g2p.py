"""Pronunciations from espeak-ng's rules: words to ARPAbet phones (grapheme to phoneme).

Used by lip sync (forced alignment needs a pronunciation for words CMUdict lacks, and for every
word of other languages) and by the voice; it lives below both so that neither stage reaches
into the other. English words go through espeak-ng's English mnemonics (the table in
:mod:`.phones`); every other language through IPA and articulatory features
(:mod:`.articulation`), so no language needs a table of its own.
"""

from __future__ import annotations

import re
import unicodedata

from .articulation import ipa_to_arpabet
from .espeak import engine
from .phones import SILENCE, espeak_to_arpabet, split_espeak_phonemes

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_SEPARATOR = "_"  # between the phonemes of a word in espeak-ng's output
_SWITCH = re.compile(r"\([a-z-]+\)")  # espeak-ng's language-switch marks: (en) … (ja)


def text_words(text: str) -> list[str]:
    """Words of a text, lower-cased (letters of any script, apostrophes kept)."""
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    return [m.group().lower() for m in _WORD.finditer(text)]


def phonemize_arpabet(word: str, *, voice: str = "en-us") -> list[str]:
    """ARPAbet pronunciation of an English word from espeak-ng's rules (for words CMUdict lacks)."""
    mnemonics = engine().phonemize(word, voice=voice)
    out: list[str] = []
    for m in split_espeak_phonemes(mnemonics):
        out.extend(n for n in espeak_to_arpabet(m) if n != SILENCE)
    return out


def phonemize_ipa(text: str, *, voice: str) -> list[list[str]]:
    """espeak-ng's IPA phonemes of ``text`` in the language of ``voice``, one list per word.

    Examples
    --------
    >>> phonemize_ipa("Brot und Milch", voice="de")          # doctest: +SKIP
    [['b', 'ɾ', 'ˈoː', 't'], ['ʊ', 'n', 't'], ['m', 'ˈɪ', 'l', 'ç']]
    """
    raw = engine().phonemize(text, voice=voice, ipa=True, separator=_SEPARATOR)
    raw = _SWITCH.sub(_SEPARATOR, raw)
    words = []
    for w in raw.split():
        ph = [p for p in w.split(_SEPARATOR) if p and p.strip("ˈˌ-")]
        if ph:
            words.append(ph)
    return words


def pronounce_language(word: str, *, voice: str) -> list[str]:
    """ARPAbet pronunciation of a word (or phrase) of any language, through IPA features.

    Parameters
    ----------
    word : str
        Text in the language of ``voice``.
    voice : str
        An espeak-ng language code (``de``, ``fr-fr``, ``es``, ``ja``).

    Returns
    -------
    list of str
        ARPAbet phones (no silences); ``[]`` for text without pronounceable letters.
    """
    out: list[str] = []
    for w in phonemize_ipa(word, voice=voice):
        for p in w:
            out.extend(ipa_to_arpabet(p))
    return out
