"""Forced alignment of a known transcript with pocketsphinx 5 (``set_align_text`` + ``set_alignment``).

Words missing from CMUdict (names, non-English words, numbers) get a pronunciation from espeak-ng's
rules, mapped to ARPAbet, and are added to the decoder's dictionary under a private name. When the
audio does not match the transcript, pocketsphinx cannot finish the grammar; :class:`AlignmentError`
says so and the caller falls back on recognition.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from ..errors import FaceMimicError
from .phonemes import ARPABET, SILENCE, Phone, merge_silence
from .recognize import RecognizerOptions, decoder, decoder_lock, dithered

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


class AlignmentError(FaceMimicError):
    """The transcript could not be aligned to the audio (it does not match what is said)."""


def transcript_words(text: str) -> list[str]:
    """Words of a transcript, lower-cased, apostrophes kept (``"It's 4 o'clock!"`` ->
    ``["it's", "4", "o'clock"]``)."""
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    return [w.lower() for w in _WORD.findall(text)]


_OOV: dict[str, str] = {}  # word -> private dictionary name already added to the align decoder


def _ascii_fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


_ALT_DONE: set[str] = set()  # dictionary words already given an espeak-ng variant


def _add_espeak_variant(word: str, d) -> None:
    """Add espeak-ng's pronunciation as an alternative (``word(N)``) when CMUdict lacks it.

    The alignment grammar considers every variant, so accents and reductions that CMUdict does
    not list (and our own ``facemimic say`` voice) align with the phones actually spoken.
    """
    from ..voice.synth import phonemize_arpabet

    _ALT_DONE.add(word)
    variants = [d.lookup_word(word)]
    k = 2
    while d.lookup_word(f"{word}({k})"):
        variants.append(d.lookup_word(f"{word}({k})"))
        k += 1
    if not word.isascii() or any(c.isdigit() for c in word):
        return
    ph = " ".join(p for p in phonemize_arpabet(word) if p in ARPABET)
    if ph and ph not in variants:
        d.add_word(f"{word}({k})", ph, True)


def pronounce(word: str, d) -> tuple[str, list[str]]:
    """(dictionary name, ARPAbet phones) for a word, adding it to decoder ``d`` if needed."""
    if word in _OOV:
        return _OOV[word], []
    from ..voice.synth import phonemize_arpabet

    for cand in (word, _ascii_fold(word)):
        if cand and d.lookup_word(cand):
            if cand not in _ALT_DONE:
                _add_espeak_variant(cand, d)
            return cand, d.lookup_word(cand).split()

    phones = [p for p in phonemize_arpabet(word) if p in ARPABET]
    if not phones:
        return "", []  # nothing pronounceable (e.g. a lone symbol): skip the word
    name = f"fmoov{len(_OOV)}"
    d.add_word(name, " ".join(phones), True)
    _OOV[word] = name
    return name, phones


_VOWEL_WEIGHT = 1.6  # vowels last longer than consonants in running speech


def _phones_from_words(segs, d) -> tuple[list, list]:
    """(word rows, phone rows) from word segments: each word's frames split over its phones."""
    from .phonemes import VOWELS

    wrows, prows = [], []
    for word, a, b in segs:
        n = b - a + 1
        wrows.append((word.split("(")[0], a, n))
        pron = d.lookup_word(word) if not word.startswith(("<", "[", "+")) else None
        if not pron:
            prows.append(("SIL", a, n))
            continue
        ph = pron.split()
        w = np.array([_VOWEL_WEIGHT if p in VOWELS else 1.0 for p in ph])
        edges = a + np.round(np.concatenate([[0], np.cumsum(w) / w.sum()]) * n).astype(int)
        for p, e0, e1 in zip(ph, edges[:-1], edges[1:]):
            if e1 > e0:
                prows.append((p, int(e0), int(e1 - e0)))
    return wrows, prows


def align(pcm: np.ndarray, text: str, *, sample_rate: int = 16000, offset: float = 0.0,
          options: RecognizerOptions | None = None) -> list[Phone]:
    """Align ``text`` to ``pcm`` and return its timed phones.

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,), dtype=int16]
        16 kHz mono audio containing the whole transcript.
    text : str
        What is said. Punctuation is ignored; unknown words are phonemised by espeak-ng.
    offset : float
        Time of ``pcm[0]`` in the file.

    Raises
    ------
    AlignmentError
        When the transcript has no words or pocketsphinx cannot fit it to the audio.
    """
    opt = options or RecognizerOptions()
    words = transcript_words(text)
    d = decoder("align", opt)
    fr = float(opt.align_frame_rate)
    with decoder_lock("align", opt):
        names: list[str] = []
        spoken: list[str] = []
        for w in words:
            name, _ = pronounce(w, d)
            if name:
                names.append(name)
                spoken.append(w)
        if not names:
            raise AlignmentError("the transcript has no words to align")
        data = dithered(pcm)
        try:
            d.set_align_text(" ".join(names))
            d.start_utt()
            d.process_raw(data, full_utt=True)
            d.end_utt()
            if d.hyp() is None:
                raise RuntimeError("no path")
            segs = [(sg.word, sg.start_frame, sg.end_frame) for sg in d.seg()]
        except RuntimeError:
            raise AlignmentError("the transcript does not match the audio (alignment failed)") from None
        try:
            d.set_alignment()
            d.start_utt()
            d.process_raw(data, full_utt=True)
            d.end_utt()
            al = d.get_alignment()
            wrows = [(w.name, w.start, w.duration) for w in al.words()]
            prows = [(p.name, p.start, p.duration) for p in al.phones()]
        except RuntimeError:
            # The word alignment worked but the phone-level pass did not finish (it happens on a
            # few clipped or very fast utterances): spread each aligned word over its phones.
            wrows, prows = _phones_from_words(segs, d)
    # word label per phone, by time
    name_to_word = dict(zip(names, spoken))
    out: list[Phone] = []
    wi = 0
    for name, start, dur in prows:
        while wi + 1 < len(wrows) and wrows[wi + 1][1] <= start:
            wi += 1
        wname = wrows[wi][0].split("(")[0] if wrows else ""
        ph = name.upper() if name.upper() in ARPABET else SILENCE
        word = name_to_word.get(wname, "") if ph != SILENCE else ""
        out.append(Phone(offset + start / fr, offset + (start + dur) / fr, ph, word))
    return merge_silence(out)
