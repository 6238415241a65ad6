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
from ..phonetics.phones import ARPABET, SILENCE, Phone, merge_silence
from .recognize import RecognizerOptions, decoder, decoder_lock, dithered

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


class AlignmentError(FaceMimicError):
    """The transcript could not be aligned to the audio (it does not match what is said)."""


def transcript_words(text: str) -> list[str]:
    """Words of a transcript, lower-cased, apostrophes kept (``"It's 4 o'clock!"`` ->
    ``["it's", "4", "o'clock"]``)."""
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    return [w.lower() for w in _WORD.findall(text)]


_OOV: dict[str, str] = {}  # word -> private dictionary name (the same in every decoder)
_ADDED: set[tuple[int, str]] = set()  # (id(decoder), name) already added


def _ascii_fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()




_ESPEAK: dict[str, tuple[str, ...]] = {}  # word -> espeak-ng's ARPAbet (asked once per process)


def _espeak_arpabet(word: str) -> tuple[str, ...]:
    """espeak-ng's pronunciation of ``word`` in ARPAbet, remembered: each decoder asks for it."""
    if word not in _ESPEAK:
        from ..phonetics.g2p import phonemize_arpabet

        _ESPEAK[word] = tuple(phonemize_arpabet(word))
    return _ESPEAK[word]


def _add_espeak_variant(word: str, d) -> None:
    """Add espeak-ng's pronunciation as an alternative (``word(N)``) when CMUdict lacks it.

    The alignment grammar considers every variant, so accents and reductions that CMUdict does
    not list (and our own ``facemimic say`` voice) align with the phones actually spoken.
    """
    variants = [d.lookup_word(word)]
    k = 2
    while d.lookup_word(f"{word}({k})"):
        variants.append(d.lookup_word(f"{word}({k})"))
        k += 1
    if not word.isascii() or any(c.isdigit() for c in word):
        return
    ph = " ".join(p for p in _espeak_arpabet(word) if p in ARPABET)
    if ph and ph not in variants:
        d.add_word(f"{word}({k})", ph, True)


def pronounce(word: str, d) -> tuple[str, list[str]]:
    """(dictionary name, ARPAbet phones) for a word, adding it to decoder ``d`` if needed."""
    from .dictionary import load_words
    from .recognize import model_paths

    # The decoders start without CMUdict (start-up speed): give them this word's entries first.
    load_words((word, _ascii_fold(word)), d, model_paths()["dict"])
    for cand in (word, _ascii_fold(word)):
        if cand and d.lookup_word(cand):
            if (id(d), cand) not in _ALT_DONE_D:
                _ALT_DONE_D.add((id(d), cand))
                _add_espeak_variant(cand, d)
            return cand, d.lookup_word(cand).split()
    if word in _OOV:
        name = _OOV[word]
        phones = _OOV_PHONES[name]
    else:
        phones = [p for p in _espeak_arpabet(word) if p in ARPABET]
        if not phones:
            return "", []  # nothing pronounceable (e.g. a lone symbol): skip the word
        name = f"fmoov{len(_OOV)}"
        _OOV[word] = name
        _OOV_PHONES[name] = phones
    if (id(d), name) not in _ADDED:
        d.add_word(name, " ".join(phones), True)
        _ADDED.add((id(d), name))
    return name, phones


_OOV_PHONES: dict[str, list[str]] = {}
_ALT_DONE_D: set[tuple[int, str]] = set()


_VOWEL_WEIGHT = 1.6  # vowels last longer than consonants in running speech


def _phones_from_words(segs, d) -> tuple[list, list]:
    """(word rows, phone rows) from word segments: each word's frames split over its phones."""
    from ..phonetics.phones import VOWELS

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


class _IncompleteAlignment(AlignmentError):
    """The word pass finished the grammar early: ``done`` words aligned, ending at ``end_frame``."""

    def __init__(self, done: int, end_frame: int) -> None:
        super().__init__("the transcript does not match the audio (incomplete alignment)")
        self.done = done
        self.end_frame = end_frame


def _word_pass(d, names: list[str], data: bytes) -> list[tuple[str, int, int]]:
    """Word-level alignment: ``[(word, start_frame, end_frame)]`` or AlignmentError."""
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
    # pocketsphinx sometimes ends the grammar early: the last word(s) are missing from the result
    # and their sound is labelled silence. Report how far it got so the rest can be aligned alone.
    real = [(w.split("(")[0], b) for w, _, b in segs if not w.startswith(("<", "[", "+"))]
    got = [w for w, _ in real]
    if got != list(names):
        if got and got == list(names[:len(got)]):
            raise _IncompleteAlignment(len(got), real[-1][1] + 1)
        raise AlignmentError("the transcript does not match the audio (alignment failed)")
    return segs


def _two_pass(d, names: list[str], pcm: np.ndarray, fr: float, depth: int = 0) -> tuple[list, list]:
    """(word rows, phone rows) in seconds: ``(name, start_s, duration_s)``."""
    data = dithered(pcm)
    try:
        segs = _word_pass(d, names, data)
    except _IncompleteAlignment as e:
        if depth >= 3:
            raise
        # align the words that fitted on their audio, and the missing tail on the rest
        cut = int(round(e.end_frame / fr * 16000))
        if cut >= len(pcm) - 1600:
            raise
        w1, p1 = _two_pass(d, names[:e.done], pcm[:cut], fr, depth + 1)
        w2, p2 = _two_pass(d, names[e.done:], pcm[cut:], fr, depth + 1)
        t = cut / 16000
        return (w1 + [(n, t + a, k) for n, a, k in w2], p1 + [(n, t + a, k) for n, a, k in p2])
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
    return ([(n, a / fr, k / fr) for n, a, k in wrows], [(n, a / fr, k / fr) for n, a, k in prows])


# The phone pass (state alignment) costs O(frames x states), i.e. it grows with the square of the
# utterance length; longer audio is cut into chunks at the silences a cheap word pass finds.
CHUNK_TARGET = 3.0  # s: start looking for a cut after this much
CHUNK_MAX = 8.0  # s: cut at the longest pause (or any word boundary) by then
MIN_CUT_PAUSE = 0.12  # s: pauses at least this long are cut points


def _chunks(segs, fr: float, n_samples: int, sample_rate: int) -> list[tuple[int, int, list[str]]]:
    """Cut a coarse word segmentation into ``(start_sample, end_sample, word names)`` chunks."""
    chunks: list[tuple[int, int, list[str]]] = []
    words: list[str] = []
    start = 0.0
    best = None  # (pause length, cut time, words before)
    for w, a, b in segs:
        t0, t1 = a / fr, (b + 1) / fr
        filler = w.startswith(("<", "[", "+")) or w == "SIL"
        if filler:
            if words and t1 - t0 >= MIN_CUT_PAUSE:
                cut = (t0 + t1) / 2
                if best is None or t1 - t0 >= best[0]:
                    best = (t1 - t0, cut, list(words))
                if cut - start >= CHUNK_TARGET:
                    chunks.append((int(start * sample_rate), int(cut * sample_rate), list(words)))
                    start, words, best = cut, [], None
            continue
        if words and t1 - start > CHUNK_MAX:
            if best is not None:
                _, cut, before = best
            else:
                cut, before = t0, list(words)
            chunks.append((int(start * sample_rate), int(cut * sample_rate), before))
            words = words[len(before):]
            start, best = cut, None
        words.append(w)
    if words:
        chunks.append((int(start * sample_rate), n_samples, words))
    elif chunks:
        chunks[-1] = (chunks[-1][0], n_samples, chunks[-1][2])
    return chunks


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
    long = len(pcm) / sample_rate > CHUNK_MAX
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
        if not long:
            wrows, prows = _two_pass(d, names, pcm, fr)
        else:
            coarse = decoder("align-coarse", opt)
            with decoder_lock("align-coarse", opt):
                for w in spoken:
                    pronounce(w, coarse)
                try:
                    segs, seg_fr = _word_pass(coarse, names, dithered(pcm)), 100.0
                except AlignmentError:
                    # the cheap pass could not fit (very fast speech): a full-settings word pass
                    segs, seg_fr = _word_pass(d, names, dithered(pcm)), fr
            wrows, prows = [], []
            for a, b, chunk_names in _chunks(segs, seg_fr, len(pcm), sample_rate):
                t = a / sample_rate
                try:
                    cw, cp = _two_pass(d, chunk_names, pcm[a:b], fr)
                except AlignmentError:
                    # keep the coarse word timing for this chunk
                    sub = [(w, f0, f1) for w, f0, f1 in segs if a / sample_rate <= f0 / seg_fr < b / sample_rate]
                    cw, cp = _phones_from_words(sub, coarse)
                    cw = [(n, f0 / seg_fr - t, k / seg_fr) for n, f0, k in cw]
                    cp = [(n, f0 / seg_fr - t, k / seg_fr) for n, f0, k in cp]
                wrows += [(n, t + s0, k) for n, s0, k in cw]
                prows += [(n, t + s0, k) for n, s0, k in cp]
    # word label per phone, by time
    name_to_word = dict(zip(names, spoken))
    out: list[Phone] = []
    wi = 0
    for name, start, dur in prows:
        while wi + 1 < len(wrows) and wrows[wi + 1][1] <= start + 1e-9:
            wi += 1
        wname = wrows[wi][0].split("(")[0] if wrows else ""
        ph = name.upper() if name.upper() in ARPABET else SILENCE
        word = name_to_word.get(wname, "") if ph != SILENCE else ""
        out.append(Phone(offset + start, offset + start + dur, ph, word))
    return merge_silence(out)
