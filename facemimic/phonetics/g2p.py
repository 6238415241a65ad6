"""Pronunciations from espeak-ng's rules: words to ARPAbet phones (grapheme to phoneme).

Used by lip sync (forced alignment needs a pronunciation for words CMUdict lacks) and by the voice;
it lives below both so that neither stage reaches into the other.
"""

from __future__ import annotations

from .espeak import engine
from .phones import SILENCE, espeak_to_arpabet, split_espeak_phonemes


def phonemize_arpabet(word: str, *, voice: str = "en-us") -> list[str]:
    """ARPAbet pronunciation of a word from espeak-ng's rules (for words CMUdict lacks)."""
    mnemonics = engine().phonemize(word, voice=voice)
    out: list[str] = []
    for m in split_espeak_phonemes(mnemonics):
        out.extend(n for n in espeak_to_arpabet(m) if n != SILENCE)
    return out
