"""Articulatory features of IPA phones, and the nearest ARPAbet phone by those features.

Lip sync speaks ARPAbet inside (the English acoustic model's 39 phones carry the mouth-shape,
viseme and tongue tables), but other languages have sounds English lacks: front rounded vowels
(German *ü*, French *u*), nasal vowels, uvular *r*, the Spanish bilabial fricative *β* …
Instead of one hand table per language, every IPA symbol espeak-ng emits (any of its 100+
languages) is read as **features** — for vowels height, backness, rounding and r-colouring;
for consonants the lips (closed, teeth on lip, rounded, free), the place of the tongue
(dental … glottal), manner and voicing — and mapped to the ARPAbet phone whose own IPA
features are nearest, with the lips weighted most: what the viewer sees is the lips first, the
jaw (vowel height) second and the tongue last. So *y* (close front rounded) becomes ``UW``
(puckered, shape F) rather than ``IY``, *β* becomes ``B`` (the lips meet) and *ʁ* becomes
``HH`` (nothing visible; it takes the next sound's shape).

Diacritics modify the features (``̃`` nasal and ``ː`` length are invisible, ``̞``/``̝``
lower/raise a vowel, ``̈`` centralises it, ``ʷ`` rounds the lips, ``̪`` makes a consonant
dental, ``̥`` voiceless). A phoneme of two vowels is an ARPAbet diphthong (``AY`` …) when one
is close, else two vowels; a stop followed by a fricative is an affricate (``ts`` -> ``CH``)
unless the stop is made with the lips (German *pf* stays ``P F``: the lips close first).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, replace

# place of articulation, ordered from the lips back (distances are steps along this line)
PLACES = ("bilabial", "labiodental", "dental", "alveolar", "postalveolar", "retroflex", "palatal",
          "velar", "uvular", "pharyngeal", "glottal")
_PLACE_POS = {p: float(i) for i, p in enumerate(PLACES)}
_PLACE_POS["retroflex"] = 4.5  # between postalveolar and palatal
_PLACE_POS["palatal"] = 5.0
_PLACE_POS.update(velar=6.0, uvular=7.0, pharyngeal=7.25, glottal=7.5)  # the throat is short
MANNERS = ("stop", "nasal", "trill", "tap", "fricative", "affricate", "approximant", "lateral")


@dataclass(frozen=True, slots=True)
class Articulation:
    """The articulatory features of one segment.

    Attributes
    ----------
    vowel : bool
        A vowel (else a consonant, approximants such as *j*, *w* included).
    height, backness : float
        Vowels: 0 close .. 1 open, 0 front .. 1 back (IPA chart positions). 0.5 for consonants.
    rounded : bool
        Lips rounded or protruded (vowels, *w*, *ɥ*, labialised consonants).
    rhotic : bool
        r-coloured vowel (*ɚ*, *ɝ*).
    place, manner : str
        Consonants: one of :data:`PLACES` / :data:`MANNERS`; ``""`` for vowels.
    voiced : bool
        Voiced (vowels always).
    """

    vowel: bool
    height: float = 0.5
    backness: float = 0.5
    rounded: bool = False
    rhotic: bool = False
    place: str = ""
    manner: str = ""
    voiced: bool = True

    @property
    def lips(self) -> str:
        """What the lips do: ``closed`` (bilabial), ``teeth`` (labiodental), ``rounded`` or ``free``."""
        if not self.vowel and self.place == "bilabial":
            return "closed"
        if not self.vowel and self.place == "labiodental":
            return "teeth"
        return "rounded" if self.rounded else "free"


def _v(h: float, b: float, r: bool = False, rhotic: bool = False) -> Articulation:
    return Articulation(True, h, b, r, rhotic)


def _c(place: str, manner: str, voiced: bool, rounded: bool = False) -> Articulation:
    return Articulation(False, rounded=rounded, place=place, manner=manner, voiced=voiced)


# Heights: close 0, near-close .17, close-mid .33, mid .5, open-mid .67, near-open .83, open 1.
# Plain "a" is the open *central* vowel, as most languages' transcriptions use it (English's
# front one is written æ).
VOWELS: dict[str, Articulation] = {
    "i": _v(0, 0), "y": _v(0, 0, True), "ɨ": _v(0, .5), "ʉ": _v(0, .5, True), "ɯ": _v(0, 1),
    "u": _v(0, 1, True), "ɪ": _v(.17, .2), "ʏ": _v(.17, .2, True), "ʊ": _v(.17, .8, True),
    "e": _v(.33, 0), "ø": _v(.33, 0, True), "ɘ": _v(.33, .5), "ɵ": _v(.33, .5, True), "ɤ": _v(.33, 1),
    "o": _v(.33, 1, True), "ə": _v(.5, .5), "ɛ": _v(.67, 0), "œ": _v(.67, 0, True), "ɜ": _v(.67, .5),
    "ɞ": _v(.67, .5, True), "ʌ": _v(.67, 1), "ɔ": _v(.67, 1, True), "æ": _v(.83, 0), "ɐ": _v(.83, .5),
    "a": _v(1, .5), "ɶ": _v(1, 0, True), "ɑ": _v(1, 1), "ɒ": _v(1, 1, True),
    "ɚ": _v(.5, .5, rhotic=True), "ɝ": _v(.67, .5, rhotic=True),
}
CONSONANTS: dict[str, Articulation] = {
    "p": _c("bilabial", "stop", False), "b": _c("bilabial", "stop", True),
    "t": _c("alveolar", "stop", False), "d": _c("alveolar", "stop", True),
    "ʈ": _c("retroflex", "stop", False), "ɖ": _c("retroflex", "stop", True),
    "c": _c("palatal", "stop", False), "ɟ": _c("palatal", "stop", True),
    "k": _c("velar", "stop", False), "g": _c("velar", "stop", True), "ɡ": _c("velar", "stop", True),
    "q": _c("uvular", "stop", False), "ɢ": _c("uvular", "stop", True), "ʔ": _c("glottal", "stop", False),
    "m": _c("bilabial", "nasal", True), "ɱ": _c("labiodental", "nasal", True),
    "n": _c("alveolar", "nasal", True), "ɳ": _c("retroflex", "nasal", True),
    "ɲ": _c("palatal", "nasal", True), "ŋ": _c("velar", "nasal", True), "ɴ": _c("uvular", "nasal", True),
    "ʙ": _c("bilabial", "trill", True), "r": _c("alveolar", "trill", True), "ʀ": _c("uvular", "trill", True),
    "ⱱ": _c("labiodental", "tap", True), "ɾ": _c("alveolar", "tap", True), "ɽ": _c("retroflex", "tap", True),
    "ɸ": _c("bilabial", "fricative", False), "β": _c("bilabial", "fricative", True),
    "f": _c("labiodental", "fricative", False), "v": _c("labiodental", "fricative", True),
    "θ": _c("dental", "fricative", False), "ð": _c("dental", "fricative", True),
    "s": _c("alveolar", "fricative", False), "z": _c("alveolar", "fricative", True),
    "ʃ": _c("postalveolar", "fricative", False), "ʒ": _c("postalveolar", "fricative", True),
    "ʂ": _c("retroflex", "fricative", False), "ʐ": _c("retroflex", "fricative", True),
    "ɕ": _c("postalveolar", "fricative", False), "ʑ": _c("postalveolar", "fricative", True),
    "ç": _c("palatal", "fricative", False), "ʝ": _c("palatal", "fricative", True),
    "x": _c("velar", "fricative", False), "ɣ": _c("velar", "fricative", True),
    "χ": _c("uvular", "fricative", False), "ʁ": _c("uvular", "fricative", True),
    "ħ": _c("pharyngeal", "fricative", False), "ʕ": _c("pharyngeal", "fricative", True),
    "h": _c("glottal", "fricative", False), "ɦ": _c("glottal", "fricative", True),
    "ɬ": _c("alveolar", "fricative", False), "ɮ": _c("alveolar", "fricative", True),
    "ʋ": _c("labiodental", "approximant", True), "ɹ": _c("alveolar", "approximant", True),
    "ɻ": _c("retroflex", "approximant", True), "j": _c("palatal", "approximant", True),
    "ɰ": _c("velar", "approximant", True), "w": _c("velar", "approximant", True, rounded=True),
    "ʍ": _c("velar", "approximant", False, rounded=True), "ɥ": _c("palatal", "approximant", True, rounded=True),
    "l": _c("alveolar", "lateral", True), "ɫ": _c("alveolar", "lateral", True),
    "ɭ": _c("retroflex", "lateral", True), "ʎ": _c("palatal", "lateral", True),
    "ʟ": _c("velar", "lateral", True), "ɺ": _c("alveolar", "lateral", True),
}
_NUDGE = 1 / 6  # one step of the vowel chart


def _modify(a: Articulation, mark: str) -> Articulation:
    """Apply one IPA diacritic or modifier letter to the segment before it."""
    if mark == "\u031e":  # lowered
        return replace(a, height=min(a.height + _NUDGE, 1.0)) if a.vowel else a
    if mark == "\u031d":  # raised
        return replace(a, height=max(a.height - _NUDGE, 0.0)) if a.vowel else a
    if mark == "\u0308":  # centralised
        return replace(a, backness=(a.backness + 0.5) / 2) if a.vowel else a
    if mark == "\u0320":  # retracted
        return replace(a, backness=min(a.backness + _NUDGE, 1.0)) if a.vowel else a
    if mark == "\u031f":  # advanced
        return replace(a, backness=max(a.backness - _NUDGE, 0.0)) if a.vowel else a
    if mark in ("ʷ", "\u0339", "ᵝ"):  # labialised / more rounded / compressed lips
        return replace(a, rounded=True)
    if mark == "\u031c":  # less rounded
        return replace(a, rounded=False)
    if mark in ("\u0325", "\u030a"):  # voiceless
        return replace(a, voiced=False)
    if mark == "\u032a" and not a.vowel and a.place in ("alveolar", "postalveolar"):  # dental
        return replace(a, place="dental")
    if mark == "\u02de":  # rhotic hook
        return replace(a, rhotic=True) if a.vowel else a
    return a  # nasal, long, syllabic, aspirated, palatalised, stress …: nothing the lips show


def segments(ipa: str) -> list[Articulation]:
    """The segments of one IPA phoneme (``"ɔ̃"`` -> one nasal vowel, ``"aɪ"`` -> two vowels).

    Unknown characters (stress marks, espeak-ng's ``-``, tone letters) are skipped.
    """
    out: list[Articulation] = []
    for composed in unicodedata.normalize("NFC", ipa):
        # a letter of its own first (ç is not c + cedilla), else its base and marks (ä = a + ̈)
        for ch in (composed,) if composed in VOWELS or composed in CONSONANTS else \
                unicodedata.normalize("NFD", composed):
            if ch in VOWELS:
                out.append(VOWELS[ch])
            elif ch in CONSONANTS:
                out.append(CONSONANTS[ch])
            elif out:
                out[-1] = _modify(out[-1], ch)
    return out


# ARPAbet phones described in IPA (English values), so they get their features the same way.
# EY/OW also stand for the plain mid vowels e/o, which English only has as the start of these.
ARPABET_IPA: dict[str, tuple[str, ...]] = {
    "AA": ("ɑ", "a"), "AE": ("æ",), "AH": ("ʌ", "ə", "ɐ"), "AO": ("ɔ",), "EH": ("ɛ",), "ER": ("ɝ", "ɚ"),
    "IH": ("ɪ",), "IY": ("i",), "UH": ("ʊ",), "UW": ("u",), "EY": ("e",), "OW": ("o",),
    "P": ("p",), "B": ("b",), "T": ("t",), "D": ("d",), "K": ("k",), "G": ("g",), "F": ("f",),
    "V": ("v",), "TH": ("θ",), "DH": ("ð",), "S": ("s",), "Z": ("z",), "SH": ("ʃ",), "ZH": ("ʒ",),
    "M": ("m",), "N": ("n",), "NG": ("ŋ",), "L": ("l",), "R": ("ɹ",), "W": ("w",), "Y": ("j",),
    "HH": ("h",),
}
AFFRICATES = {"CH": _c("postalveolar", "affricate", False), "JH": _c("postalveolar", "affricate", True)}
DIPHTHONGS = {"AY": ("a", "ɪ"), "AW": ("a", "ʊ"), "OY": ("ɔ", "ɪ"), "EY": ("e", "ɪ"), "OW": ("o", "ʊ")}

# manners that look and sound alike cost less to confuse
_NEAR_MANNERS = {frozenset(p) for p in (("tap", "trill"), ("tap", "stop"), ("trill", "approximant"),
                                        ("tap", "approximant"), ("affricate", "stop"),
                                        ("affricate", "fricative"), ("lateral", "approximant"),
                                        ("tap", "lateral"))}
LIPS_WEIGHT = 4.0  # the viewer sees the lips first
MANNER_WEIGHT = 1.5
PLACE_WEIGHT = 0.5  # per step along PLACES
VOICE_WEIGHT = 0.3
HEIGHT_WEIGHT = 2.0  # vowels: jaw opening
BACKNESS_WEIGHT = 1.0
ROUND_WEIGHT = 2.0
RHOTIC_WEIGHT = 1.0
SPLIT_PENALTY = 0.5  # two vowels cost this much more than one diphthong at the same distance


def distance(a: Articulation, b: Articulation) -> float:
    """How different two segments look and sound (0 = same features)."""
    if a.vowel != b.vowel:
        return 100.0
    if a.vowel:
        return (HEIGHT_WEIGHT * abs(a.height - b.height) + BACKNESS_WEIGHT * abs(a.backness - b.backness)
                + ROUND_WEIGHT * (a.rounded != b.rounded) + RHOTIC_WEIGHT * (a.rhotic != b.rhotic))
    manner = 0.0 if a.manner == b.manner else (1.0 if frozenset((a.manner, b.manner)) in _NEAR_MANNERS else 2.0)
    return (LIPS_WEIGHT * (a.lips != b.lips) + MANNER_WEIGHT * manner
            + PLACE_WEIGHT * abs(_PLACE_POS[a.place] - _PLACE_POS[b.place]) + VOICE_WEIGHT * (a.voiced != b.voiced))


@functools.lru_cache(maxsize=1)
def _inventory() -> tuple[tuple[str, Articulation], ...]:
    out = [(name, segments(ipa)[0]) for name, ipas in ARPABET_IPA.items() for ipa in ipas]
    return tuple(out) + tuple(AFFRICATES.items())


def _nearest(seg: Articulation) -> tuple[str, float]:
    name, proto = min(_inventory(), key=lambda item: distance(seg, item[1]))
    return name, distance(seg, proto)


def nearest_arpabet(seg: Articulation) -> str:
    """The ARPAbet phone whose features are nearest to ``seg`` (ties: the first in ARPABET_IPA)."""
    return _nearest(seg)[0]


def _affricate(stop: Articulation, fric: Articulation) -> Articulation | None:
    """A stop + fricative said as one sound, or None (a lip stop before a fricative: two sounds)."""
    if stop.vowel or fric.vowel or stop.manner != "stop" or fric.manner != "fricative":
        return None
    if stop.place in ("bilabial", "labiodental") or fric.place in ("bilabial", "labiodental"):
        return None
    return replace(fric, manner="affricate", voiced=fric.voiced)


@functools.lru_cache(maxsize=4096)
def ipa_to_arpabet(ipa: str) -> tuple[str, ...]:
    """ARPAbet phones for one IPA phoneme, through its features.

    Parameters
    ----------
    ipa : str
        One phoneme as espeak-ng writes it in IPA mode (``"ʁ"``, ``"ɔ̃"``, ``"aɪ"``, ``"ts"``);
        stress and length marks are allowed.

    Returns
    -------
    tuple of str
        Usually one ARPAbet phone; two for a vowel pair no English diphthong is near, or a
        lip stop + fricative; ``()`` for a symbol without segments (a pause mark).

    Examples
    --------
    >>> ipa_to_arpabet("y"), ipa_to_arpabet("β"), ipa_to_arpabet("aɪ"), ipa_to_arpabet("pf")
    (('UW',), ('B',), ('AY',), ('P', 'F'))
    """
    segs = segments(ipa)
    if len(segs) == 2 and segs[0].vowel and segs[1].vowel:
        a, b = segs
        split = _nearest(a)[1] + _nearest(b)[1]
        name, best = min(((n, distance(a, VOWELS[x]) + distance(b, VOWELS[y])) for n, (x, y) in DIPHTHONGS.items()),
                         key=lambda t: t[1])
        if best <= split + SPLIT_PENALTY:
            return (name,)
        return (nearest_arpabet(a), nearest_arpabet(b))
    if len(segs) == 2:
        aff = _affricate(*segs)
        if aff is not None:
            return (nearest_arpabet(aff),)
    return tuple(nearest_arpabet(s) for s in segs)


def features(ipa: str) -> list[dict]:
    """The features of each segment of an IPA phoneme, as plain dicts (for reports and tests)."""
    out = []
    for s in segments(ipa):
        d = {"vowel": s.vowel, "lips": s.lips, "rounded": s.rounded}
        d.update({"height": s.height, "backness": s.backness, "rhotic": s.rhotic} if s.vowel else
                 {"place": s.place, "manner": s.manner, "voiced": s.voiced})
        out.append(d)
    return out
