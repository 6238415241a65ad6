"""A phone language model per language, for the phone loop without a transcript (issue #16 §2).

pocketsphinx's allphone search weighs the phones it hears by an n-gram LM over phone names; its
wheel ships one built from English. Other languages put phones in other orders (German ends
words in consonant clusters, Italian and Spanish alternate consonant and vowel, French ends on
vowels), so this module builds an LM from the language itself: espeak-ng's pronunciation
(:func:`~facemimic.phonetics.g2p.phonemize_ipa`) of ordinary text written for FaceMimic
(:mod:`facemimic.phonetics.corpus`, none of it from the evaluation or held-out sentences), each
IPA phone mapped to the acoustic model's English phones through articulatory features
(:func:`~facemimic.phonetics.articulation.ipa_to_arpabet`), counted as phone bigrams (optionally
trigrams) with absolute discounting and written as an ARPA text file. It is built at first use (about a
second) into the user cache (:mod:`facemimic.common.cache`), keyed by everything it depends on.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections import Counter
from pathlib import Path

from ..phonetics.phones import ARPABET, SILENCE

LM_VERSION = 1  # bump when the counting or the file layout changes (a new cache key)
# Defaults of the LM's settings; the environment overrides them for experiments (the benchmark's
# --phone-lm runs; docs/journal/lipsync.md, Languages, lists what each setting scored).
ORDER = int(os.environ.get("FACEMIMIC_PHONE_LM_ORDER", "2"))  # 2: bigrams, 3: bigrams + trigrams
DISCOUNT = float(os.environ.get("FACEMIMIC_PHONE_LM_DISCOUNT", "0.5"))  # absolute discount per seen n-gram
ENGLISH_WEIGHT = float(os.environ.get("FACEMIMIC_PHONE_LM_ENGLISH", "0"))  # share of the wheel's English bigrams
_BREAK = re.compile(r"[.,;:!?()\n]+")  # where a speaker may pause: a SIL token in the phone stream
BOS, EOS = "<s>", "</s>"


def phone_sentences(text: str, voice: str) -> list[list[str]]:
    """ARPAbet phone strings of ``text``, one per stretch between punctuation marks.

    Parameters
    ----------
    text : str
        Ordinary prose in the language of ``voice``.
    voice : str
        An espeak-ng voice (``de``, ``fr``, ``it`` …).

    Returns
    -------
    list of list of str
        Per sentence, its phones (ARPAbet names; a comma or semicolon inside it is a ``SIL``).
    """
    from ..phonetics.articulation import ipa_to_arpabet
    from ..phonetics.g2p import phonemize_ipa

    out: list[list[str]] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        phones: list[str] = []
        for chunk in _BREAK.split(sentence):
            words = phonemize_ipa(chunk, voice=voice) if chunk.strip() else []
            seq = [n for w in words for p in w for n in ipa_to_arpabet(p) if n in ARPABET]
            if seq:
                if phones:
                    phones.append(SILENCE)
                phones.extend(seq)
        if phones:
            out.append(phones)
    return out


def bigram_table(sentences: list[list[str]], *, discount: float = DISCOUNT) -> dict[tuple[str, str], float]:
    """Phone bigram probabilities ``P(phone | previous)`` counted from phone strings.

    Unigrams are add-one smoothed (every phone of the acoustic model stays possible); bigrams are
    discounted by ``discount`` and the freed mass is spread by the unigrams, so each history's
    distribution sums to one.

    Parameters
    ----------
    sentences : list of list of str
        Phone strings (:func:`phone_sentences`); each is wrapped in ``<s>`` … ``</s>``.

    Returns
    -------
    dict
        ``(previous, phone) -> probability`` for every history in ``<s>``, the ARPAbet phones and
        ``SIL``, and every phone in the ARPAbet phones, ``SIL`` and ``</s>``.
    """
    vocab = sorted(set(ARPABET) | {SILENCE})
    uni: Counter = Counter()
    bi: Counter = Counter()
    for s in sentences:
        seq = [BOS, *s, EOS]
        uni.update(seq[1:])
        bi.update(zip(seq[:-1], seq[1:]))
    words = [*vocab, EOS]
    total = sum(uni[w] + 1 for w in words)
    p_uni = {w: (uni[w] + 1) / total for w in words}
    table: dict[tuple[str, str], float] = {}
    for h in [BOS, *vocab]:
        seen = {w: c for (hh, w), c in bi.items() if hh == h}
        n = sum(seen.values())
        left = discount * len(seen) / n if n else 1.0  # probability mass given back to the unigrams
        for w in words:
            table[(h, w)] = (max(seen.get(w, 0) - discount, 0) / n if n else 0.0) + left * p_uni[w]
    return table


def english_bigram_table() -> dict[tuple[str, str], float]:
    """``P(phone | previous)`` of the phone LM in pocketsphinx's wheel (its trigrams unused)."""
    from pocketsphinx import Config, LogMath, NGramModel

    from .recognize import model_paths

    logmath = LogMath()
    lm = NGramModel(Config(), logmath, model_paths()["allphone"])
    vocab = sorted(set(ARPABET) | {SILENCE})
    # NGramModel.prob takes the word first, then its history, and answers in logmath units
    return {(h, w): logmath.exp(lm.prob([w, h])) for h in [BOS, *vocab] for w in [*vocab, EOS]}


def arpa_text(table: dict[tuple[str, str], float], trigrams: tuple[dict, dict] | None = None) -> str:
    """A complete bigram table (and seen trigrams with their back-off weights) as an ARPA LM."""
    words = sorted({w for _, w in table})
    tri, tbow = trigrams or ({}, {})
    lines = ["\\data\\", f"ngram 1={len(words) + 1}", f"ngram 2={len(table)}"]
    lines += [f"ngram 3={len(tri)}"] if tri else []
    lines += ["", "\\1-grams:"]
    # unigrams are reached only through back-off, which a complete table never takes
    lines.append(f"-99.0000\t{BOS}\t0.0000")
    lines += [f"{math.log10(1.0 / len(words)):.4f}\t{w}" + ("" if w == EOS else "\t0.0000") for w in words]
    lines += ["", "\\2-grams:"]
    lines += [f"{math.log10(max(p, 1e-9)):.4f}\t{h} {w}" + (f"\t{math.log10(tbow[(h, w)]):.4f}" if (h, w) in tbow else "")
              for (h, w), p in sorted(table.items())]
    if tri:
        lines += ["", "\\3-grams:"]
        lines += [f"{math.log10(p):.4f}\t{u} {v} {w}" for (u, v, w), p in sorted(tri.items())]
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def trigram_table(sentences: list[list[str]], bigrams: dict[tuple[str, str], float], *,
                   discount: float = DISCOUNT) -> tuple[dict[tuple[str, str, str], float], dict[tuple[str, str], float]]:
    """Seen phone trigrams ``P(phone | two previous)``, discounted onto ``bigrams``.

    Returns
    -------
    (dict, dict)
        ``(u, v, w) -> probability`` for the trigrams seen, and ``(u, v) -> back-off weight``
        (the weight of ``bigrams[(v, w)]`` for a ``w`` not seen after ``u v``).
    """
    tri: Counter = Counter()
    for s in sentences:
        seq = [BOS, *s, EOS]
        tri.update(zip(seq[:-2], seq[1:-1], seq[2:]))
    by_hist: dict[tuple[str, str], dict[str, int]] = {}
    for (u, v, w), c in tri.items():
        by_hist.setdefault((u, v), {})[w] = c
    probs, bows = {}, {}
    for (u, v), seen in by_hist.items():
        n = sum(seen.values())
        left = discount * len(seen) / n
        for w, c in seen.items():
            probs[(u, v, w)] = (c - discount) / n + left * bigrams[(v, w)]
        rest = 1.0 - sum(bigrams[(v, w)] for w in seen)
        bows[(u, v)] = max(1.0 - sum(probs[(u, v, w)] for w in seen), 1e-9) / max(rest, 1e-9)
    return probs, bows


def mixed_table(language: dict, english: dict, english_weight: float) -> dict[tuple[str, str], float]:
    """``(1 - english_weight) * language + english_weight * english``, history by history."""
    out = {}
    for k, p in language.items():
        out[k] = (1.0 - english_weight) * p + english_weight * english.get(k, 0.0)
    return out


def has_phone_lm(language: str) -> bool:
    """True when FaceMimic has text to build ``language``'s phone LM from."""
    from ..phonetics.corpus import has_corpus

    return has_corpus(language)


@functools.lru_cache(maxsize=16)
def phone_lm_path(language: str, *, order: int = ORDER, discount: float = DISCOUNT,
                  english_weight: float = ENGLISH_WEIGHT) -> Path:
    """Path of ``language``'s phone LM (ARPA text), built into the cache at first use.

    Parameters
    ----------
    language : str
        An espeak-ng code with a corpus (:func:`has_phone_lm`): ``de``, ``fr``, ``es``, ``it``.
    order : int
        2 (bigrams) or 3 (bigrams and the trigrams seen).
    discount : float
        Absolute discount of every seen n-gram, in (0, 1).
    english_weight : float
        Share of the wheel's English bigrams mixed into the language's, in [0, 1).

    Returns
    -------
    pathlib.Path
        An ARPA file; in the cache folder ``phone_lm``, or in a temporary folder removed when the
        process exits, if the cache is off or cannot be written.
    """
    from importlib.metadata import version

    from ..common.cache import DiskCache, content_key
    from ..errors import ParameterError
    from ..phonetics.corpus import corpus_text
    from ..phonetics.languages import resolve_language

    if order not in (2, 3) or not 0 < discount < 1 or not 0 <= english_weight < 1:
        raise ParameterError(f"phone LM: order must be 2 or 3, discount in (0, 1), english_weight "
                             f"in [0, 1); got {order!r}, {discount!r}, {english_weight!r}")
    voice = resolve_language(language).voice
    text = corpus_text(language)
    key = content_key("phone_lm", LM_VERSION, order, discount, english_weight, voice, text,
                      version("espeakng-loader"))  # its rules make the phones
    cache = DiskCache("phone_lm", max_entries=32, max_bytes=8 << 20)
    if cache.get(key) is not None:
        return cache.path(key)
    sentences = phone_sentences(text, voice)
    table = bigram_table(sentences, discount=discount)
    if english_weight > 0:
        table = mixed_table(table, english_bigram_table(), english_weight)
    trigrams = trigram_table(sentences, table, discount=discount) if order == 3 else None
    arpa = arpa_text(table, trigrams).encode("ascii")
    stored = cache.put(key, arpa)
    if stored is not None:
        return stored
    return _private_file(f"{voice}-{key[:12]}.arpa", arpa)


def _private_file(name: str, data: bytes) -> Path:
    """``data`` in a temporary folder of this process (removed at exit): the cache is off."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="facemimic-phone-lm-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / name
    path.write_bytes(data)
    return path


__all__ = ["arpa_text", "bigram_table", "english_bigram_table", "has_phone_lm", "mixed_table", "phone_lm_path",
           "phone_sentences", "trigram_table"]
