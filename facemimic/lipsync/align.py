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
from ..phonetics.phones import ARPABET, SILENCE, VOWELS, Phone, merge_silence
from .recognize import RecognizerOptions, alignment_rate, decoder, decoder_lock, dithered, start_fresh_utterance

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


class AlignmentError(FaceMimicError):
    """The transcript could not be aligned to the audio (it does not match what is said)."""


def transcript_words(text: str) -> list[str]:
    """Words of a transcript, lower-cased, apostrophes kept (``"It's 4 o'clock!"`` ->
    ``["it's", "4", "o'clock"]``)."""
    return [w for w, _ in transcript_tokens(text)]


def transcript_tokens(text: str) -> list[tuple[str, str]]:
    """``(word, text that follows it up to the next word)`` for each word of a transcript:
    the punctuation after a word tells where a speaker is likely to pause."""
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    found = list(_WORD.finditer(text))
    return [(m.group().lower(), text[m.end():found[k + 1].start() if k + 1 < len(found) else len(text)])
            for k, m in enumerate(found)]


_OOV: dict = {}  # word (English) or (language, word) -> private dictionary name (the same in every decoder)
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


def _foreign_phones(word: str, language: str) -> list[str]:
    """ARPAbet for a word of another language: espeak-ng's IPA, mapped through articulatory
    features (:mod:`facemimic.phonetics.articulation`)."""
    from ..phonetics.g2p import pronounce_language
    from ..phonetics.languages import resolve_language

    phones = [p for p in pronounce_language(word, voice=resolve_language(language).voice) if p in ARPABET]
    # a long (geminate) consonant is one sound, not two: Italian "mamma" is M AA M AA, and two
    # three-state phones would need more frames than a fast speaker gives it
    return [p for k, p in enumerate(phones) if k == 0 or p != phones[k - 1] or p in VOWELS]


def pronounce(word: str, d, language: str = "en-us") -> tuple[str, list[str]]:
    """(dictionary name, ARPAbet phones) for a word, adding it to decoder ``d`` if needed.

    English words come from CMUdict (plus espeak-ng's variant); words of any other
    ``language`` get espeak-ng's pronunciation in that language under a private name.
    """
    from ..phonetics.languages import is_english
    from .dictionary import load_words
    from .recognize import model_paths

    if not is_english(language):
        key = (language, word)
        if key not in _OOV:
            phones = _foreign_phones(word, language)
            if not phones:
                return "", []
            name = f"fmoov{len(_OOV)}"
            _OOV[key] = name
            _OOV_PHONES[name] = phones
        name = _OOV[key]
        if (id(d), name) not in _ADDED:
            d.add_word(name, " ".join(_OOV_PHONES[name]), True)
            _ADDED.add((id(d), name))
        return name, _OOV_PHONES[name]

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


def _set_grammar(d, names: list[str], starts: list[int] | None, guess: int = 0) -> None:
    """The word grammar: ``names`` in order, or (``starts`` given) beginning at any of those words.

    Exactly ``set_align_text``'s grammar (a chain of words, pocketsphinx adds the optional
    silences and alternative pronunciations), plus, for each extra start word, a link from the
    start state past the words before it. Starting ``k`` words away from ``guess`` costs
    ``START_PENALTY ** k`` (times the language weight): without it, a piece whose first words
    sounded unclear would rather call them silence and leave them to its neighbour.
    """
    if not starts or list(starts) == [0]:
        d.set_align_text(" ".join(names))
        return
    from pocketsphinx import FsgModel

    lo = min(starts)
    names = names[lo:]
    n = len(names)
    lmath = d.get_logmath()
    fsg = FsgModel("_align_pieces", lmath, float(d.config["lw"]), n + 1)
    fsg.set_start_state(0)
    fsg.set_final_state(n)
    step = lmath.log(START_PENALTY)
    cost = {i - lo: int(round(step * abs(i - guess))) for i in starts}
    for k, name in enumerate(names):
        wid = fsg.word_add(name)
        fsg.trans_add(k, k + 1, cost[0] if k == 0 else 0, wid)  # from state 0: the earliest start
        if k in cost and k > 0:
            fsg.trans_add(0, k + 1, cost[k], wid)
    d.add_fsg("_align_pieces", fsg)
    d.activate_search("_align_pieces")


def _word_pass(d, names: list[str], data: bytes, starts: list[int] | None = None, guess: int = 0
               ) -> tuple[list[tuple[str, int, int]], int]:
    """Word-level alignment: ``([(word, start_frame, end_frame)], first word index)``.

    ``starts`` lets the alignment begin at any of those word indices (the words before the
    chosen one belong to the previous piece); without it, it begins at word 0.
    Raises AlignmentError (or its subclass for an early end of the grammar).
    """
    try:
        _set_grammar(d, names, starts, guess)
        start_fresh_utterance(d)
        d.process_raw(data, full_utt=True)
        d.end_utt()
        if d.hyp() is None:
            raise RuntimeError("no path")
        segs = [(sg.word, sg.start_frame, sg.end_frame) for sg in d.seg()]
    except RuntimeError:
        raise AlignmentError("the transcript does not match the audio (alignment failed)") from None
    real = [(w.split("(")[0], b) for w, _, b in segs if not w.startswith(("<", "[", "+"))]
    got = [w for w, _ in real]
    options = sorted(starts) if starts else [0]
    for first in options:
        if got == list(names[first:]):
            return segs, first
    # pocketsphinx sometimes ends the grammar early: the last word(s) are missing from the result
    # and their sound is labelled silence. Report how far it got so the rest can be aligned alone.
    if not starts and got and got == list(names[:len(got)]):
        raise _IncompleteAlignment(len(got), real[-1][1] + 1)
    raise AlignmentError("the transcript does not match the audio (alignment failed)")


def _two_pass(d, names: list[str], pcm: np.ndarray, fr: float, depth: int = 0,
              starts: list[int] | None = None, guess: int = 0, split: bool = False) -> tuple[list, list, int]:
    """(word rows, phone rows, first word index); rows are ``(name, start_s, duration_s)``.

    ``split``: when no path fits the whole, align it as two halves (:func:`_split_in_halves`).
    """
    data = dithered(pcm)
    try:
        segs, first = _word_pass(d, names, data, starts, guess)
    except _IncompleteAlignment as e:
        if depth >= 3:
            raise
        # align the words that fitted on their audio, and the missing tail on the rest
        cut = int(round(e.end_frame / fr * 16000))
        if cut >= len(pcm) - 1600:
            raise
        w1, p1, _ = _two_pass(d, names[:e.done], pcm[:cut], fr, depth + 1)
        w2, p2, _ = _two_pass(d, names[e.done:], pcm[cut:], fr, depth + 1)
        t = cut / 16000
        return (w1 + [(n, t + a, k) for n, a, k in w2], p1 + [(n, t + a, k) for n, a, k in p2], 0)
    except AlignmentError:
        if not split or starts:
            raise
        return _split_in_halves(d, names, pcm, fr, depth)
    try:
        d.set_alignment()
        start_fresh_utterance(d)
        d.process_raw(data, full_utt=True)
        d.end_utt()
        al = d.get_alignment()
        wrows = [(w.name, w.start, w.duration) for w in al.words()]
        prows = [(p.name, p.start, p.duration) for p in al.phones()]
    except RuntimeError:
        # The word alignment worked but the phone-level pass did not finish (it happens on a
        # few clipped or very fast utterances): spread each aligned word over its phones.
        wrows, prows = _phones_from_words(segs, d)
    return ([(n, a / fr, k / fr) for n, a, k in wrows], [(n, a / fr, k / fr) for n, a, k in prows], first)


def _speaking_units(d, names: list[str]) -> np.ndarray:
    """Each word's expected length: its phones, vowels weighted :data:`_VOWEL_WEIGHT`."""
    from ..phonetics.phones import VOWELS

    return np.array([sum(_VOWEL_WEIGHT if p in VOWELS else 1.0 for p in (d.lookup_word(n) or "").split())
                     for n in names])


SKIP_PENALTY = 1e-40  # grammar probability of leaving a word out in the relaxed word pass
MIN_FOUND = 0.6  # share of the words the relaxed pass must find, else the transcript does not match


def _relaxed_pass(d, names: list[str], data: bytes, n_frames: int) -> list[tuple[str, int, int]]:
    """A word pass in which any word may be left out (at :data:`SKIP_PENALTY` each).

    Returns ``(name, first frame, last frame)`` for every word: the ones pocketsphinx found at
    their place, the ones it left out shared (by speaking time) over the gap between their found
    neighbours. Raises AlignmentError when it found fewer than :data:`MIN_FOUND` of the words.
    """
    from pocketsphinx import FsgModel

    n = len(names)
    lmath = d.get_logmath()
    fsg = FsgModel("_align_relaxed", lmath, float(d.config["lw"]), n + 1)
    fsg.set_start_state(0)
    fsg.set_final_state(n)
    skip = lmath.log(SKIP_PENALTY)
    for k, name in enumerate(names):
        fsg.trans_add(k, k + 1, 0, fsg.word_add(name))
        fsg.null_trans_add(k, k + 1, skip)
    d.add_fsg("_align_relaxed", fsg)
    d.activate_search("_align_relaxed")
    try:
        start_fresh_utterance(d)
        d.process_raw(data, full_utt=True)
        d.end_utt()
        segs = [(sg.word, sg.start_frame, sg.end_frame) for sg in d.seg()] if d.hyp() is not None else []
    except RuntimeError:
        segs = []
    found: dict[int, tuple[int, int]] = {}
    k = 0
    for w, a, b in segs:
        base = w.split("(")[0]
        if not base or base.startswith(("<", "[", "+")) or base not in names[k:]:
            continue  # silence, fillers, "(NULL)" steps of skipped words
        k = names.index(base, k)
        found[k] = (a, b)
        k += 1
    if len(found) < MIN_FOUND * n:
        raise AlignmentError("the transcript does not match the audio (alignment failed)")
    units = _speaking_units(d, names)
    out: list[tuple[str, int, int]] = []
    k = 0
    while k < n:
        if k in found:
            out.append((names[k], *found[k]))
            k += 1
            continue
        j = k
        while j < n and j not in found:
            j += 1
        lo = out[-1][2] + 1 if out else 0
        hi = found[j][0] - 1 if j < n else n_frames - 1
        if hi - lo + 1 < 3 * (j - k):  # no room: take some from the neighbours' edges
            lo, hi = max(lo - 3 * (j - k), 0), min(hi + 3 * (j - k), n_frames - 1)
        edges = lo + np.round(np.concatenate([[0], np.cumsum(units[k:j]) / max(units[k:j].sum(), 1e-9)])
                              * (hi - lo + 1)).astype(int)
        for i in range(k, j):
            out.append((names[i], int(edges[i - k]), int(max(edges[i - k + 1] - 1, edges[i - k]))))
        k = j
    return out


def _split_in_halves(d, names: list[str], pcm: np.ndarray, fr: float, depth: int,
                     sample_rate: int = 16000) -> tuple[list, list, int]:
    """Align a sentence in two halves when no path fits the whole.

    Other languages go through the English acoustic model, and pocketsphinx sometimes finds no
    path through a whole sentence although its halves align at once (4 of 12 Spanish sentences
    of FaceMimic's own voice, exact transcripts; whether one fails changes with a few samples).
    A relaxed word pass (:func:`_relaxed_pass`) places the words; the sentence is cut at the
    word boundary nearest half its speaking time and each half aligned again (itself split if
    needed, three levels deep); a part that still fails keeps the relaxed pass's word timing,
    spread over its phones.
    """
    data = dithered(pcm)
    n_frames = int(len(pcm) * fr / sample_rate)
    segs = _relaxed_pass(d, names, data, n_frames)
    if len(names) < 2 or depth >= 3:
        wrows, prows = _phones_from_words(segs, d)
        return ([(n, a / fr, k / fr) for n, a, k in wrows], [(n, a / fr, k / fr) for n, a, k in prows], 0)
    units = np.cumsum(_speaking_units(d, names))
    k = int(np.clip(np.argmin(np.abs(units[:-1] - units[-1] / 2)) + 1, 1, len(names) - 1))
    cut_frame = (segs[k - 1][2] + 1 + segs[k][1]) // 2
    cut = int(round(cut_frame / fr * sample_rate))
    if not (0.05 * sample_rate < cut < len(pcm) - 0.05 * sample_rate):
        wrows, prows = _phones_from_words(segs, d)
        return ([(n, a / fr, k / fr) for n, a, k in wrows], [(n, a / fr, k / fr) for n, a, k in prows], 0)
    t = cut / sample_rate
    w1, p1, _ = _two_pass(d, names[:k], pcm[:cut], fr, depth + 1, split=True)
    w2, p2, _ = _two_pass(d, names[k:], pcm[cut:], fr, depth + 1, split=True)
    return w1 + [(n, t + a, n2) for n, a, n2 in w2], p1 + [(n, t + a, n2) for n, a, n2 in p2], 0


# Long audio: the phone pass is cheap only on short utterances and pocketsphinx's word pass
# fails more often the longer it runs, so audio longer than CHUNK_MAX is aligned in pieces.
CHUNK_TARGET = 3.0  # s: (fallback) start looking for a cut after this much
CHUNK_MAX = 8.0  # s: longer audio is aligned in pieces; (fallback) cut by then
MIN_CUT_PAUSE = 0.12  # s: (fallback) pauses at least this long are cut points
START_SLACK = 3  # words: a piece may start this many words before or after the guessed boundary
START_PENALTY = 1e-20  # grammar probability per word a piece starts away from the guessed boundary


def _chunks(segs, fr: float, n_samples: int, sample_rate: int) -> list[tuple[int, int, list[str]]]:
    """Cut a coarse word segmentation into ``(start_sample, end_sample, word names)`` chunks.

    Names are the dictionary words, not the pronunciation the coarse pass chose (``to`` rather
    than ``to(3)``): each chunk's own alignment picks the variant again at full resolution.
    """
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
        words.append(w.split("(")[0])
    if words:
        chunks.append((int(start * sample_rate), n_samples, words))
    elif chunks:
        chunks[-1] = (chunks[-1][0], n_samples, chunks[-1][2])
    return chunks


def _align_job(job) -> tuple:
    """Align one piece (in this process or a forked one): ``("ok", first, wrows, prows)`` or
    ``("failed", reason)``; rows in seconds from the piece's start.

    As for a whole file, a piece that will not align at the configured frame rate is tried at
    100 and 200 frames/s (pocketsphinx's grammar sometimes fails to finish at one rate only).
    The caller holds the lock of the configured rate's decoder; the others are taken here.
    """
    import dataclasses

    pcm, names, spoken, starts, guess, opt = job
    error = "the transcript does not match the audio"
    for rate in dict.fromkeys([alignment_rate(opt), 100, 200]):
        ropt = opt if rate == alignment_rate(opt) else dataclasses.replace(opt, align_frame_rate=rate)
        d = decoder("align", ropt)
        lock = decoder_lock("align", ropt) if ropt is not opt else None
        try:
            if lock is not None:
                lock.acquire()
                for w in spoken:
                    pronounce(w, d, opt.language)
            wrows, prows, first = _two_pass(d, names, pcm, float(rate), depth=3, starts=starts, guess=guess)
            return ("ok", first, wrows, prows)
        except AlignmentError as e:
            error = str(e)
        finally:
            if lock is not None:
                lock.release()
    return ("failed", error)


def _speech_spans(pcm: np.ndarray, sample_rate: int) -> list[tuple[int, int]]:
    from .vad import speech_segments

    return [(int(a * sample_rate), int(b * sample_rate)) for a, b in speech_segments(pcm, sample_rate=sample_rate)]


def _plan_pieces(pcm: np.ndarray, spans, sample_rate: int) -> list:
    """The pieces of long audio, cut at its pauses (AlignmentError when it never pauses)."""
    from .piecewise import plan_pieces

    pieces = plan_pieces(spans if spans is not None else _speech_spans(pcm, sample_rate), len(pcm),
                         sample_rate=sample_rate)
    if len(pieces) < 2:
        raise AlignmentError("no pause to cut the audio at")
    return pieces


def _guessed_bounds(d, names: list[str], breaks: list[str], pieces) -> list[int]:
    """Each piece's first word, from speaking time and punctuation (:func:`.piecewise.guess_boundaries`)."""
    from ..phonetics.phones import VOWELS
    from .piecewise import guess_boundaries

    units = np.array([sum(_VOWEL_WEIGHT if p in VOWELS else 1.0 for p in (d.lookup_word(n) or "").split())
                      for n in names])
    try:
        return guess_boundaries(units, breaks, [p.speech for p in pieces])
    except ValueError as e:
        raise AlignmentError(str(e)) from None


def _coarse_bounds(segs, seg_fr: float, pieces, sample_rate: int, n_words: int) -> list[int]:
    """Each piece's first word, from a whole-file word pass: a word belongs where its middle is."""
    import bisect

    starts = [p.start / sample_rate for p in pieces]
    owner = [max(bisect.bisect_right(starts, (a + b + 1) / 2 / seg_fr) - 1, 0)
             for w, a, b in segs if not w.startswith(("<", "[", "+"))]
    if len(owner) != n_words:
        raise AlignmentError("the word pass did not place every word")
    return [sum(1 for o in owner if o < k) for k in range(len(pieces))] + [n_words]


def _align_pieces(names: list[str], spoken: list[str], pcm: np.ndarray, pieces, bounds: list[int], slack: int,
                  opt, sample_rate: int, workers: int, stats: dict, done: dict,
                  breaks: list[str] | None = None) -> tuple[list, list]:
    """Align each piece with its words, ``bounds[k]:bounds[k + 1]``, on ``workers`` processes.

    With ``slack``, a piece may start that many words before or after its guessed first word; a
    piece whose successor started elsewhere is aligned again with its corrected words. With
    ``breaks`` (:func:`.piecewise.break_kind` after each word), a start the text shows no pause
    before is also tried one word later. ``done``
    keeps every piece result by ``(piece, first word, end word)`` for a later attempt to reuse.
    Returns (word rows, phone rows) in seconds, or raises AlignmentError.
    """
    from .forked import fork_map
    from .piecewise import settle_boundary

    used = [k for k in range(len(pieces)) if bounds[k + 1] > bounds[k]]  # pieces given words
    jobs, costs, base, todo = [], [], [], []
    for j, k in enumerate(used):
        lo, hi = bounds[k], bounds[k + 1]
        starts = [lo]
        if j > 0 and slack:  # the guess may be a few words off: let the acoustics settle the boundary
            starts = list(range(max(lo - slack, bounds[used[j - 1]] + 1), min(lo + slack, hi - 1) + 1))
        base.append(starts[0])
        if len(starts) == 1 and (k, lo, hi) in done:
            continue
        todo.append(j)
        rel = [s - starts[0] for s in starts] if len(starts) > 1 else None
        jobs.append((pcm[pieces[k].start:pieces[k].end], names[starts[0]:hi], spoken[starts[0]:hi], rel,
                     lo - starts[0], opt))
        costs.append(pieces[k].end - pieces[k].start)
    fresh, procs = fork_map(_align_job, jobs, workers=workers, costs=costs)
    stats.update(pieces=len(pieces), aligned=len(jobs), processes=procs, redone=0)
    results = [done.get((k, bounds[k], bounds[k + 1])) for k in used]
    for j, r in zip(todo, fresh):
        results[j] = r
    for r, k, b0 in zip(results, used, base):  # kept for a later attempt, failures or not
        if r[0] == "ok":
            done[(k, b0 + r[1], bounds[k + 1])] = ("ok", 0, r[2], r[3])
    for r, k in zip(results, used):
        if r[0] != "ok":
            raise AlignmentError(f"piece {k + 1} of {len(pieces)}: {r[1]}")
    first_abs = [b0 + r[1] for b0, r in zip(base, results)]  # index of each piece's first word
    # Where two pieces' words divide is settled by both pieces' audio (piecewise.settle_boundary):
    # a moved start must explain it better than the guess, and an unmoved one where the text shows
    # no pause is tried one word later (without punctuation the guess tends to run a word early,
    # and a piece's own grammar, paid per phone in other languages, keeps the extra word).
    def score(piece, a, b):
        return _path_score(pcm[piece.start:piece.end], names[a:b], spoken[a:b], opt)

    for j in range(1, len(used)):
        k, hi, lo_prev = used[j], bounds[used[j] + 1], first_abs[j - 1]
        guess, got = bounds[k], first_abs[j]
        pair = (pieces[used[j - 1]], pieces[k])
        if got != guess and lo_prev < guess < hi and lo_prev < got < hi:
            want = settle_boundary(score, pair, lo_prev, guess, got, hi)
        elif got == guess and breaks is not None and breaks[guess - 1] != "sentence" and lo_prev < guess < hi - 1:
            want = settle_boundary(score, pair, lo_prev, guess, guess + 1, hi)
        else:
            continue
        if want != got:
            key = (k, want, hi)
            done[key] = results[j] = done.get(key) or _align_job(
                (pcm[pieces[k].start:pieces[k].end], names[want:hi], spoken[want:hi], None, 0, opt))
            if results[j][0] != "ok":
                raise AlignmentError(f"piece {k + 1} of {len(pieces)}: {results[j][1]}")
            first_abs[j] = want
            stats["settled"] = stats.get("settled", 0) + 1
    # a piece that starts elsewhere than guessed moves the end of the piece before it: redo that one
    ends = first_abs[1:] + [len(names)]
    wrows, prows = [], []
    for j, k in enumerate(used):
        a, b = first_abs[j], ends[j]
        if b <= a:
            raise AlignmentError(f"piece {k + 1} of {len(pieces)}: its words went to its neighbours")
        r = results[j]
        if b != bounds[k + 1]:  # its words changed at the end
            r = done.get((k, a, b)) or _align_job((pcm[pieces[k].start:pieces[k].end], names[a:b], spoken[a:b],
                                                   None, 0, opt))
            stats["redone"] += 1
            done[(k, a, b)] = r
            if r[0] != "ok":
                raise AlignmentError(f"piece {k + 1} of {len(pieces)}: {r[1]}")
        t = pieces[k].start / sample_rate
        wrows += [(n, t + s, dur) for n, s, dur in r[2]]
        prows += [(n, t + s, dur) for n, s, dur in r[3]]
    return wrows, prows


def _path_score(pcm: np.ndarray, names: list[str], spoken: list[str], opt) -> float | None:
    """The word pass's Viterbi path score of ``names`` over ``pcm`` (None when no path fits)."""
    d = decoder("align", opt)
    for w in spoken:
        pronounce(w, d, opt.language)
    try:
        _word_pass(d, names, dithered(pcm))
    except AlignmentError:
        return None
    return float(d.hyp().score)


def _coarse_pass(d, names: list[str], spoken: list[str], pcm: np.ndarray, fr: float, opt):
    """A cheap word pass over the whole audio: ``(segments, frames per second, decoder)``."""
    coarse = decoder("align-coarse", opt)
    with decoder_lock("align-coarse", opt):
        for w in spoken:
            pronounce(w, coarse, opt.language)
        try:
            return _word_pass(coarse, names, dithered(pcm))[0], 100.0, coarse
        except AlignmentError:
            # the cheap pass could not fit (very fast speech): a full-settings word pass
            return _word_pass(d, names, dithered(pcm))[0], fr, d


def _align_chunks(d, segs, seg_fr: float, coarse, pcm: np.ndarray, fr: float,
                  sample_rate: int) -> tuple[list, list]:
    """Long audio, the last resort: the chunks between the pauses of a whole-file word pass,
    aligned one by one (a chunk that fails keeps the word pass's timing)."""
    wrows, prows = [], []
    for a, b, chunk_names in _chunks(segs, seg_fr, len(pcm), sample_rate):
        t = a / sample_rate
        try:
            cw, cp, _ = _two_pass(d, chunk_names, pcm[a:b], fr)
        except AlignmentError:
            # keep the coarse word timing for this chunk
            sub = [(w, f0, f1) for w, f0, f1 in segs if a / sample_rate <= f0 / seg_fr < b / sample_rate]
            cw, cp = _phones_from_words(sub, coarse)
            cw = [(n, f0 / seg_fr - t, k / seg_fr) for n, f0, k in cw]
            cp = [(n, f0 / seg_fr - t, k / seg_fr) for n, f0, k in cp]
        wrows += [(n, t + s0, k) for n, s0, k in cw]
        prows += [(n, t + s0, k) for n, s0, k in cp]
    return wrows, prows


def _align_long(d, names, spoken, after, pcm, spans, fr, opt, sample_rate, workers, stats):
    """Long audio: pieces placed by the text; failing that, by a whole-file word pass; failing
    that, the chunks between that pass's pauses."""
    from .piecewise import break_kind

    done: dict = {}
    try:
        pieces = _plan_pieces(pcm, spans, sample_rate)
    except AlignmentError as e:
        pieces, stats["pieces_failed"] = None, str(e)
    if pieces is not None:
        try:
            breaks = [break_kind(a) for a in after]
            bounds = _guessed_bounds(d, names, breaks, pieces)
            stats["method"] = "pieces"
            return _align_pieces(names, spoken, pcm, pieces, bounds, START_SLACK, opt, sample_rate, workers, stats,
                                 done, breaks)
        except AlignmentError as e:
            stats["pieces_failed"] = str(e)
    segs, seg_fr, coarse = _coarse_pass(d, names, spoken, pcm, fr, opt)
    if pieces is not None:
        try:
            bounds = _coarse_bounds(segs, seg_fr, pieces, sample_rate, len(names))
            stats["method"] = "coarse pieces"
            return _align_pieces(names, spoken, pcm, pieces, bounds, 0, opt, sample_rate, workers, stats, done)
        except AlignmentError as e:
            stats["coarse_pieces_failed"] = str(e)
    stats["method"] = "coarse chunks"
    return _align_chunks(d, segs, seg_fr, coarse, pcm, fr, sample_rate)


def align(pcm: np.ndarray, text: str, *, sample_rate: int = 16000, offset: float = 0.0,
          options: RecognizerOptions | None = None, spans: list[tuple[int, int]] | None = None,
          workers: int = 1, stats: dict | None = None) -> list[Phone]:
    """Align ``text`` to ``pcm`` and return its timed phones.

    Audio longer than ``CHUNK_MAX`` seconds is cut at its pauses into pieces, the transcript is
    shared out over them (:mod:`.piecewise`) and the pieces are aligned independently, on
    ``workers`` processes; should the pieces disagree about their words, a cheap word pass over
    the whole audio places the words on the pieces instead (and should that fail too, the
    chunks between that pass's pauses are aligned one by one).

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,), dtype=int16]
        16 kHz mono audio containing the whole transcript.
    text : str
        What is said. Punctuation is ignored, except as a hint where pauses fall; unknown words
        are phonemised by espeak-ng.
    offset : float
        Time of ``pcm[0]`` in the file.
    spans : list of (start_sample, end_sample), optional
        Speech found by voice-activity detection in ``pcm`` (found here when not given).
    workers : int
        Processes for the pieces of long audio (forked after the model is loaded; 1: none).
    stats : dict, optional
        Filled with how the audio was aligned: ``method`` (``whole``; ``pieces``: placed by the
        text; ``coarse pieces``: placed by a whole-file word pass; ``coarse chunks``: the chunks
        between that pass's pauses) and, for pieces, ``pieces``, ``aligned``, ``processes``,
        ``redone``.

    Raises
    ------
    AlignmentError
        When the transcript has no words or pocketsphinx cannot fit it to the audio.
    """
    opt = options or RecognizerOptions()
    stats = stats if stats is not None else {}
    tokens = transcript_tokens(text)
    d = decoder("align", opt)
    fr = float(alignment_rate(opt))
    long = len(pcm) / sample_rate > CHUNK_MAX
    with decoder_lock("align", opt):
        names: list[str] = []
        spoken: list[str] = []
        after: list[str] = []  # text following each kept word (pause hints)
        for w, following in tokens:
            name, _ = pronounce(w, d, opt.language)
            if name:
                names.append(name)
                spoken.append(w)
                after.append(following)
            elif after:
                after[-1] += " " + following  # a skipped word's punctuation still counts
        if not names:
            raise AlignmentError("the transcript has no words to align")
        if not long:
            stats["method"] = "whole"
            from ..phonetics.languages import is_english

            wrows, prows, _ = _two_pass(d, names, pcm, fr, split=not is_english(opt.language))
        else:
            wrows, prows = _align_long(d, names, spoken, after, pcm, spans, fr, opt, sample_rate, workers, stats)
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
    return hold_prepausal_closures(merge_silence(out))


#: Stops whose closure shuts the lips (the mouth shape A).
BILABIAL_STOPS = ("P", "B")
#: s: how long a /p b/ before a pause keeps the lips shut, counted from the stop's aligned start.
#: The closure of a stop before a pause is silence, so the aligner gives it to the pause: on the
#: tuning sentences (evalset.TUNING_SENTENCES) it ended such stops up to 12 cs before their true
#: end (built-in voice's "map.": P aligned 4.627-4.653, truth 4.699-4.776). True pre-pausal /p b/
#: last 4-15 cs there (espeak-ng P 7.7, B 4-8; MBROLA P 14.5, B 6.5); 12 cs from the aligned
#: start covers the middle of every one of them.
PREPAUSAL_CLOSURE = 0.12


def hold_prepausal_closures(phones: list[Phone], hold: float = PREPAUSAL_CLOSURE) -> list[Phone]:
    """Lengthen each /p b/ followed by a pause (or the end) to ``hold`` seconds, taken from the pause.

    Speakers keep the lips shut through a stop's closure and release into the pause, but the
    closure is acoustically silent, so forced alignment ends the stop where the silence starts.
    Only the pause shrinks (a pause shorter than the gap vanishes); no other phone moves.

    Parameters
    ----------
    phones : list of Phone
        Aligned phones in time order, silences merged (``SIL``).
    hold : float
        Seconds from the stop's start that its closure lasts at least.

    Returns
    -------
    list of Phone
        A new list; ``phones`` is left alone.
    """
    out = list(phones)
    for i, p in enumerate(out):
        if p.name not in BILABIAL_STOPS or p.end - p.start >= hold:
            continue
        nxt = out[i + 1] if i + 1 < len(out) else None
        if nxt is not None and nxt.name != SILENCE:
            continue
        end = p.start + hold if nxt is None else min(p.start + hold, nxt.end)
        out[i] = Phone(p.start, end, p.name, p.word)
        if nxt is not None:
            out[i + 1] = Phone(end, nxt.end, nxt.name, nxt.word)
    return [p for p in out if p.end > p.start]
