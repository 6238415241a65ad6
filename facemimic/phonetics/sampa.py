"""(X-)SAMPA, the ASCII phonetic alphabet MBROLA voices use, to IPA.

The lip-sync evaluation takes its truth from the ``.pho`` files espeak-ng writes for MBROLA
voices; in any language their phone names are SAMPA, so one table (the standard X-SAMPA
symbols) turns them into IPA and :mod:`.articulation` does the rest. Voice files add marks of
their own after a symbol (Italian ``a1`` stressed, Spanish ``e/``, ``ts2``); those are dropped.
"""

from __future__ import annotations

XSAMPA_TO_IPA: dict[str, str] = {
    # consonants
    "p": "p", "b": "b", "t": "t", "d": "d", "k": "k", "g": "g", "c": "c", "J\\": "ɟ", "q": "q",
    "?": "ʔ", "f": "f", "v": "v", "T": "θ", "D": "ð", "s": "s", "z": "z", "S": "ʃ", "Z": "ʒ",
    "s\\": "ɕ", "z\\": "ʑ", "C": "ç", "j\\": "ʝ", "x": "x", "G": "ɣ", "X": "χ", "R": "ʁ", "h": "h",
    "h\\": "ɦ", "B": "β", "p\\": "ɸ", "m": "m", "F": "ɱ", "n": "n", "J": "ɲ", "N": "ŋ", "l": "l",
    "L": "ʎ", "5": "ɫ", "r": "r", "4": "ɾ", "r\\": "ɹ", "R\\": "ʀ", "j": "j", "w": "w", "H": "ɥ",
    "W": "ʍ", "P": "ʋ", "tS": "tʃ", "dZ": "dʒ", "ts": "ts", "dz": "dz", "pf": "pf",
    "nf": "ɱ",  # MBROLA Italian: n before f, said with the lip on the teeth
    # vowels
    "i": "i", "y": "y", "I": "ɪ", "Y": "ʏ", "e": "e", "2": "ø", "E": "ɛ", "9": "œ", "{": "æ",
    "a": "a", "A": "ɑ", "Q": "ɒ", "O": "ɔ", "o": "o", "U": "ʊ", "u": "u", "V": "ʌ", "@": "ə",
    "6": "ɐ", "3": "ɜ", "1": "ɨ", "}": "ʉ", "M": "ɯ", "7": "ɤ", "8": "ɵ", "&": "ɶ", "@`": "ɚ",
    "3`": "ɝ", "r=": "ɝ",
    # nasal vowels: SAMPA (French, MBROLA's fr voices) writes the open-mid ones with the
    # close-mid letter (e~ is the vowel of "pain", ɛ̃)
    "e~": "ɛ̃", "o~": "ɔ̃", "a~": "ɑ̃", "9~": "œ̃",
    # marks
    ":": "ː", "~": "\u0303", "=": "\u0329", "_": "",
}
_KEYS = sorted(XSAMPA_TO_IPA, key=len, reverse=True)
_VOICE_MARKS = "/12"  # voice-specific stress/variant marks after a symbol ("a1", "e/", "ts2")


def sampa_to_ipa(name: str) -> str:
    """IPA for one SAMPA phone name (``"a~"`` -> ``"ã"``, ``"aI"`` -> ``"aɪ"``, ``"_"`` -> ``""``).

    Doubled consonants (Italian ``ss``) are one long consonant; unknown characters are dropped.
    """
    if len(name) == 2 and name[0] == name[1] and name[0] in XSAMPA_TO_IPA and name not in XSAMPA_TO_IPA:
        name = name[0] + ":"
    while len(name) > 1 and name[-1] in _VOICE_MARKS and name not in XSAMPA_TO_IPA:
        name = name[:-1]
    out, i = [], 0
    while i < len(name):
        for k in _KEYS:
            if name.startswith(k, i):
                out.append(XSAMPA_TO_IPA[k])
                i += len(k)
                break
        else:
            i += 1
    return "".join(out)
