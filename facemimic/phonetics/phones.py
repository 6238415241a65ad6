"""Timed phones and the phone sets FaceMimic speaks: ARPAbet (CMUdict / pocketsphinx) and espeak-ng.

Every stage of lip sync passes :class:`Phone` lists: recognition and alignment produce them,
``facemimic say`` gets them straight from espeak-ng's phoneme events, and the animation layer
turns them into mouth shapes. Names are ARPAbet without stress (the 39 CMUdict phones) plus
``SIL`` for silence and ``NOISE`` for sound that is not speech.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The 39 ARPAbet phones of CMUdict (stress removed), as pocketsphinx's en-us model uses them.
ARPABET: tuple[str, ...] = (
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
    "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH",
    "UW", "V", "W", "Y", "Z", "ZH",
)
SILENCE = "SIL"
NOISE = "NOISE"
PHONE_NAMES: tuple[str, ...] = ARPABET + (SILENCE, NOISE)
VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY",
                    "UH", "UW"})


@dataclass(frozen=True, slots=True)
class Phone:
    """One phone with its time span.

    Parameters
    ----------
    start, end : float
        Seconds from the start of the audio, ``start < end``.
    name : str
        ARPAbet without stress (``AA`` … ``ZH``), ``SIL`` or ``NOISE``.
    word : str
        The word this phone belongs to when known (alignment and ``say``), else ``""``.
    """

    start: float
    end: float
    name: str
    word: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start


# espeak-ng's ASCII phoneme mnemonics (English voices) -> ARPAbet. Stress marks (' ,) are stripped
# before lookup. Diphthongs and r-coloured vowels map to one ARPAbet phone or a pair.
ESPEAK_TO_ARPABET: dict[str, tuple[str, ...]] = {
    # vowels
    "a": ("AE",), "a#": ("AH",), "aa": ("AE",), "A:": ("AA",), "A@": ("AA", "R"), "A": ("AA",),
    "0": ("AA",), "0#": ("AA",), "O:": ("AO",), "O": ("AO",), "O@": ("AO", "R"), "o@": ("AO", "R"),
    "V": ("AH",), "@": ("AH",), "@2": ("AH",), "@5": ("AH",), "@-": ("AH",), "a2": ("AH",),
    "3": ("ER",), "3:": ("ER",), "@L": ("AH", "L"), "e": ("EH",), "E": ("EH",), "e@": ("EH", "R"),
    "eI": ("EY",), "aI": ("AY",), "aI@": ("AY", "ER"), "aI3": ("AY", "ER"), "aU": ("AW",),
    "aU@": ("AW", "ER"), "OI": ("OY",), "oU": ("OW",), "oU#": ("OW",), "o": ("OW",), "I": ("IH",),
    "I2": ("IH",), "I#": ("IH",), "i": ("IY",), "i:": ("IY",), "i@": ("IY", "R"), "i@3": ("IY", "R"),
    "u:": ("UW",), "u": ("UW",), "U": ("UH",), "U@": ("UH", "R"), "IR": ("IH", "R"), "VR": ("AH", "R"),
    "@r": ("ER",),
    # consonants
    "p": ("P",), "b": ("B",), "t": ("T",), "d": ("D",), "k": ("K",), "g": ("G",), "f": ("F",),
    "v": ("V",), "T": ("TH",), "D": ("DH",), "s": ("S",), "z": ("Z",), "S": ("SH",), "Z": ("ZH",),
    "tS": ("CH",), "dZ": ("JH",), "m": ("M",), "n": ("N",), "N": ("NG",), "l": ("L",), "r": ("R",),
    "r-": ("R",), "w": ("W",), "j": ("Y",), "h": ("HH",), "t#": ("D",), "d#": ("D",), "?": ("T",),
    "n-": ("N",), "m-": ("M",), "l-": ("L",), "l/": ("L",), "x": ("K",), "W": ("W",), "n^": ("N",),
    "t2": ("T",), "d2": ("D",), "z#": ("Z",), "s2": ("S",), "k#": ("K",),
}
_LONGEST_FIRST = sorted(ESPEAK_TO_ARPABET, key=len, reverse=True)  # longest match first (sorted once)
# Silence/pause mnemonics from espeak-ng.
ESPEAK_PAUSES = frozenset({"_", "_:", "_!", "_;", "_^_", "__", "_|", "||", "|"})


def espeak_to_arpabet(mnemonic: str) -> tuple[str, ...]:
    """ARPAbet phones for one espeak-ng phoneme mnemonic (``"'oU"`` -> ``("OW",)``).

    Pauses give ``("SIL",)``; an unknown mnemonic falls back on its longest known prefix and
    finally on ``()`` (dropped), so a new espeak-ng release never breaks lip sync.
    """
    m = mnemonic.strip().lstrip("',%=")
    if not m or m.startswith("_") or m in ESPEAK_PAUSES:
        return (SILENCE,)
    if m in ESPEAK_TO_ARPABET:
        return ESPEAK_TO_ARPABET[m]
    for cut in range(len(m) - 1, 0, -1):
        if m[:cut] in ESPEAK_TO_ARPABET:
            return ESPEAK_TO_ARPABET[m[:cut]]
    return ()


def split_espeak_phonemes(text: str) -> list[str]:
    """Split an espeak-ng mnemonic string (``"h@l'oU"``) into phonemes by longest match."""
    keys = _LONGEST_FIRST
    out: list[str] = []
    i = 0
    s = text.replace("'", "").replace(",", "").replace("%", "").replace("=", "")
    while i < len(s):
        if s[i] in " _|-":
            i += 1
            continue
        for k in keys:
            if s.startswith(k, i):
                out.append(k)
                i += len(k)
                break
        else:
            i += 1  # unknown mark (e.g. ':' after a known short vowel is already in keys)
    return out


def merge_silence(phones: list[Phone], *, min_gap: float = 0.0) -> list[Phone]:
    """Sort, drop zero-length phones, merge adjacent silences and fill holes with ``SIL``."""
    out: list[Phone] = []
    for p in sorted(phones, key=lambda p: p.start):
        if p.end - p.start <= 1e-6:
            continue
        if out and p.start > out[-1].end + min_gap + 1e-6:  # a hole: silence fills it
            if out[-1].name == SILENCE:
                out[-1] = Phone(out[-1].start, p.start, SILENCE)
            else:
                out.append(Phone(out[-1].end, p.start, SILENCE))
        if out and p.name == SILENCE and out[-1].name == SILENCE:
            out[-1] = Phone(out[-1].start, max(out[-1].end, p.end), SILENCE)
            continue
        if out and p.start < out[-1].end:
            p = Phone(out[-1].end, p.end, p.name, p.word) if p.end > out[-1].end else None
            if p is None:
                continue
        out.append(p)
    return out
