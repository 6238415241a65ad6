"""Language codes for lip sync and the voice: which espeak-ng voice, which script, and a guess.

A language is any of espeak-ng's 100+ voices, named by its code (``de``, ``fr``, ``pt-br``,
``cmn``) or its English name (``German``). :func:`resolve_language` turns what a user typed into
a :class:`Language` or raises :class:`~facemimic.errors.UnknownNameError` with suggestions;
:func:`guess_language` reads a transcript (its script, then frequent short words) for
``--language auto``; :func:`check_script` refuses a transcript written in another script than
its language (German words in Cyrillic letters cannot be aligned: espeak-ng would spell them).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from ..errors import ParameterError, UnknownNameError, suggest

ENGLISH = "en-us"
AUTO = "auto"
# Codes people use that espeak-ng spells differently.
ALIASES = {"zh": "cmn", "zh-cn": "cmn", "mandarin": "cmn", "cantonese": "yue", "fr": "fr-fr",
           "en": "en-us", "english": "en-us", "pt-pt": "pt", "nb-no": "nb", "no": "nb", "jp": "ja",
           # ISO 639-2/3 codes of the most asked-for languages
           "eng": "en-us", "deu": "de", "ger": "de", "fra": "fr-fr", "fre": "fr-fr", "spa": "es", "ita": "it",
           "por": "pt", "nld": "nl", "dut": "nl", "rus": "ru", "jpn": "ja", "kor": "ko", "zho": "cmn",
           "chi": "cmn", "pol": "pl", "tur": "tr", "ara": "ar", "hin": "hi", "swe": "sv"}
# Scripts of the languages not written in Latin letters (Unicode script names as unicodedata
# spells a letter's name). Every other language is written in Latin letters.
SCRIPTS: dict[str, tuple[str, ...]] = {
    **{c: ("CYRILLIC",) for c in ("ru", "ru-cl", "ru-lv", "uk", "be", "bg", "mk", "kk", "ky", "ba",
                                   "cv", "tt", "nog")},
    "sr": ("CYRILLIC", "LATIN"), "el": ("GREEK",), "grc": ("GREEK",),
    "ja": ("HIRAGANA", "KATAKANA", "CJK"), "ko": ("HANGUL", "CJK"), "cmn": ("CJK",), "yue": ("CJK",),
    "hak": ("CJK",), "ar": ("ARABIC",), "fa": ("ARABIC",), "ur": ("ARABIC",), "sd": ("ARABIC",),
    "ug": ("ARABIC",), "he": ("HEBREW",), "hi": ("DEVANAGARI",), "mr": ("DEVANAGARI",),
    "ne": ("DEVANAGARI",), "kok": ("DEVANAGARI",), "bn": ("BENGALI",), "as": ("BENGALI",),
    "bpy": ("BENGALI",), "gu": ("GUJARATI",), "pa": ("GURMUKHI",), "or": ("ORIYA",), "ta": ("TAMIL",),
    "te": ("TELUGU",), "kn": ("KANNADA",), "ml": ("MALAYALAM",), "si": ("SINHALA",), "th": ("THAI",),
    "ka": ("GEORGIAN",), "hy": ("ARMENIAN",), "hyw": ("ARMENIAN",), "my": ("MYANMAR",),
    "am": ("ETHIOPIC",), "ti": ("ETHIOPIC",), "shn": ("MYANMAR",), "chr-us-qaaa-x-west": ("CHEROKEE",),
    "en-shaw": ("SHAVIAN",),
}
# The language a non-Latin script most likely means (``--language auto``).
SCRIPT_LANGUAGE = {"CYRILLIC": "ru", "GREEK": "el", "HIRAGANA": "ja", "KATAKANA": "ja", "CJK": "cmn",
                   "HANGUL": "ko", "ARABIC": "ar", "HEBREW": "he", "DEVANAGARI": "hi", "BENGALI": "bn",
                   "GUJARATI": "gu", "GURMUKHI": "pa", "ORIYA": "or", "TAMIL": "ta", "TELUGU": "te",
                   "KANNADA": "kn", "MALAYALAM": "ml", "SINHALA": "si", "THAI": "th", "GEORGIAN": "ka",
                   "ARMENIAN": "hy", "MYANMAR": "my", "ETHIOPIC": "am"}
# Frequent short words of Latin-script languages, for telling them apart in ``auto``.
STOPWORDS: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in {
    "en-us": "the and is a to of in it you that this with for was are not be have on at what",
    "de": "der die das und ist nicht ein eine ich du wir sie es mit auf für den dem zu von bitte "
          "auch noch mir mich sich im ins wie was",
    "fr-fr": "le la les et est un une des je tu nous vous il elle pas ne de du que qui dans pour "
             "sur avec mon ma mes ce cette",
    "es": "el la los las y es un una de que no en por para con mi tu su del al yo pero muy este esta",
    "it": "il lo la gli le e è un una di che non per con mi ti si del della io sono questo questa "
          "anche molto mio mia tuo ogni ci ho ha",
    "pt": "o a os as e é um uma de que não em para com do da meu minha você eu muito",
    "nl": "de het een en is niet ik je jij wij met op van dat die voor zijn maar",
    "pl": "i w nie na się z że to jest jak ale do ja ty",
}.items()}


@dataclass(frozen=True)
class Language:
    """A language espeak-ng speaks.

    Attributes
    ----------
    code : str
        espeak-ng's language code (``de``, ``fr-fr``, ``en-us``).
    name : str
        Its English name (``German``).
    voice : str
        The espeak-ng voice that speaks it (``de``, ``fr``, ``en-US``).
    scripts : tuple of str
        Unicode scripts its words are written in (``("LATIN",)``).
    """

    code: str
    name: str
    voice: str
    scripts: tuple[str, ...] = ("LATIN",)

    @property
    def english(self) -> bool:
        """English uses the CMUdict pronunciations and espeak-ng's English phoneme names."""
        return is_english(self.code)


def is_english(code: str) -> bool:
    """True for English codes and voices (``en``, ``en-us``, ``en-gb-x-rp``, ``en-us+f3``)."""
    c = code.lower().split("+")[0]
    return c == "en" or c.startswith("en-") and c != "en-shaw"


@functools.lru_cache(maxsize=1)
def _languages() -> dict[str, Language]:
    from .espeak import list_voices

    out: dict[str, Language] = {}
    for v in list_voices():
        code = v["language"].lower()
        if code and code not in out:
            out[code] = Language(code, v["name"].strip(), v["identifier"].split("/")[-1],
                                 SCRIPTS.get(code, ("LATIN",)))
    return out


def language_codes() -> list[str]:
    """Every language code espeak-ng knows (sorted)."""
    return sorted(_languages())


def resolve_language(name: str) -> Language:
    """The :class:`Language` for a code or English name (``de``, ``DE``, ``de_DE``, ``German``).

    Raises
    ------
    UnknownNameError
        For a name espeak-ng has no voice for; the message suggests close codes and names.
    """
    if not isinstance(name, str) or not name.strip():
        raise ParameterError(f"a language must be a code such as de, fr, es, got {name!r}")
    langs = _languages()
    key = name.strip().lower().replace("_", "-")
    key = ALIASES.get(key, key)
    if key in langs:
        return langs[key]
    by_name = {lang.name.lower(): lang for lang in langs.values()}
    main: set[str] = set()
    for lang in langs.values():  # "french" -> French (France): the language's own main voice
        short = lang.name.split(" (")[0].lower()
        is_main = lang.voice.lower() == lang.code.split("-")[0]
        if short not in by_name or (is_main and short not in main):
            by_name[short] = lang
            if is_main:
                main.add(short)
    if key in by_name:
        return by_name[key]
    # a region or variant espeak-ng lacks: de-de -> de, es-mx -> es
    base = key.split("-")[0]
    if base in langs and base != key:
        return langs[base]
    if ALIASES.get(base) in langs:
        return langs[ALIASES[base]]
    names = sorted({lang.name.split(" (")[0] for lang in langs.values()})
    raise UnknownNameError(f"unknown language {name!r}{suggest(name, list(langs) + names)}; "
                           "facemimic say --list-voices lists them")


def letter_scripts(text: str) -> dict[str, int]:
    """How many letters of each Unicode script ``text`` has (``{"LATIN": 12}``)."""
    counts: dict[str, int] = {}
    for ch in text:
        if not ch.isalpha():
            continue
        try:
            script = unicodedata.name(ch).split()[0]
        except ValueError:
            continue
        if script in ("HALFWIDTH", "FULLWIDTH"):
            script = "CJK" if "IDEOGRAPH" in unicodedata.name(ch) else unicodedata.name(ch).split()[1]
        counts[script] = counts.get(script, 0) + 1
    return counts


def check_script(text: str, language: Language, *, source: str = "the transcript") -> None:
    """Refuse a transcript whose letters are mostly in another script than ``language``'s.

    Raises
    ------
    ParameterError
        ``"the transcript is written in Cyrillic letters, but German (de) is written in Latin"``.
    """
    counts = letter_scripts(text)
    total = sum(counts.values())
    if not total:
        return
    own = sum(n for s, n in counts.items() if s in language.scripts)
    if own * 2 >= total:
        return
    main = max(counts, key=counts.get)
    hint = SCRIPT_LANGUAGE.get(main)
    if main == "LATIN":
        hint = guess_language(text)
    raise ParameterError(
        f"{source} is written in {main.title()} letters, but {language.name} ({language.code}) is "
        f"written in {'/'.join(s.title() for s in language.scripts)}"
        + (f"; use --language {hint} (or auto)" if hint else ""))


def guess_language(text: str) -> str:
    """The most likely language code of a transcript (``--language auto``).

    Non-Latin scripts name their language (kana -> ``ja``, Cyrillic -> ``ru`` …); Latin text is
    told apart by its frequent short words and letters (ß, ñ, ç …); English when unsure.
    """
    counts = letter_scripts(text)
    if not counts:
        return ENGLISH
    if counts.get("HIRAGANA") or counts.get("KATAKANA"):
        return "ja"
    main = max(counts, key=counts.get)
    if main != "LATIN":
        return SCRIPT_LANGUAGE.get(main, ENGLISH)
    from .g2p import text_words

    words = text_words(text)
    score = {code: sum(w in sw for w in words) for code, sw in STOPWORDS.items()}
    low = text.lower()
    for letters, code in (("ß", "de"), ("äöü", "de"), ("ñ¿¡", "es"), ("çœ", "fr-fr"), ("êëîôû", "fr-fr"),
                          ("ãõ", "pt"), ("ąęłńśźż", "pl"), ("ìò", "it")):
        score[code] += 2 * sum(low.count(c) for c in letters)
    best = max(score, key=score.get)
    return best if score[best] > 0 else ENGLISH
