"""Japanese text must be kana: espeak-ng has no kanji reader.

espeak-ng's Japanese voice reads hiragana and katakana, but a kanji (漢字) is spoken in English
as "Chinese letter" — garbage phones, silently. No licence-clean kanji -> kana reader is in the
lock (pykakasi, cutlet, fugashi/MeCab + a dictionary are not), so a Japanese transcript or a
text to say that contains kanji is refused with a one-line error instead.
"""

from __future__ import annotations

import unicodedata

from ..errors import ParameterError

JAPANESE = "ja"  # espeak-ng's code (and voice name) for Japanese


def is_kanji(ch: str) -> bool:
    """True for a CJK ideograph (and 々, the kanji repeat mark): what espeak-ng cannot read."""
    if ch in "々〆":
        return True
    try:
        return unicodedata.name(ch).startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))
    except ValueError:
        return False


def kanji_in(text: str) -> str:
    """The distinct kanji of ``text`` in order of appearance (``""`` when there are none)."""
    seen: dict[str, None] = {}
    for ch in text:
        if is_kanji(ch):
            seen.setdefault(ch)
    return "".join(seen)


def require_kana(text: str, *, source: str = "the text") -> None:
    """Refuse Japanese ``text`` that contains kanji.

    Raises
    ------
    ParameterError
        ``"dialog.txt contains kanji (今日天気); write Japanese in kana (hiragana or katakana):
        espeak-ng reads kanji as 'Chinese letter'"``.
    """
    found = kanji_in(text)
    if found:
        shown = found if len(found) <= 8 else found[:8] + "…"
        raise ParameterError(f"{source} contains kanji ({shown}); write Japanese in kana (hiragana or "
                             "katakana): espeak-ng reads kanji as 'Chinese letter'")


__all__ = ["JAPANESE", "is_kanji", "kanji_in", "require_kana"]
