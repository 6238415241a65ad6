"""Long files with a transcript: cut the audio at pauses and give each piece its words.

pocketsphinx aligns a sentence of a few seconds well; over half a minute its word pass is slow
and fails more often. A long file is therefore cut at the pauses that voice-activity detection
found (:func:`plan_pieces`), and the transcript is shared out over the pieces without decoding
anything (:func:`guess_boundaries`): each piece's speech time should match the spoken length of
its words (counted in phones, vowels weighted), and pieces preferably end where the transcript
has punctuation. The guess needs not be exact: each piece is then aligned with a grammar that
may start a few words earlier or later (``align.py``), so the acoustics settle every boundary;
the two sides of each boundary must agree, else the caller falls back on a word pass over the
whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# Break strength after a word, from the text that follows it: a sentence end or a line break
# is where speakers pause; a comma or dash often; a plain space rarely.
_SENTENCE = re.compile(r"[.!?;:…\n]")
_CLAUSE = re.compile(r"[,\-–—()\"“”]")
BREAK_COST = {"sentence": 0.0, "clause": 1.0, "none": 4.0}  # in squared duration-error units
DURATION_SIGMA = 0.3  # log-ratio of a piece's speech time to its words' expected time, 1 sigma
EMPTY_COST = 6.0  # a piece that gets no word (a cough, a breath): + 8 per second of speech
MAX_PIECE_RATIO = 3.0  # a piece holds at most 3x the phones its speech time suggests (+ 5 words)


@dataclass(frozen=True)
class Piece:
    """A stretch of audio between two pauses.

    Attributes
    ----------
    start, end : int
        Sample range in the aligned signal (cut in the middle of the pauses).
    speech : float
        Seconds of detected speech inside it (the VAD spans, padding excluded).
    """

    start: int
    end: int
    speech: float


def plan_pieces(spans: list[tuple[int, int]], n_samples: int, *, sample_rate: int = 16000,
                pad: float = 0.1, min_speech: float = 0.5, max_piece: float = 12.0) -> list[Piece]:
    """Group speech spans into pieces cut in the middle of the pauses between them.

    Parameters
    ----------
    spans : list of (start_sample, end_sample)
        Speech found by :mod:`.vad`, in order, each padded by ``pad`` seconds on both sides.
    n_samples : int
        Length of the signal; the first piece starts at 0 and the last ends here.
    min_speech : float
        Spans with less speech than this (clicks, breaths, one short word) join the piece
        across the shorter of their two pauses.
    max_piece : float
        Spans are joined only while the piece stays shorter than this (seconds).

    Returns
    -------
    list of Piece
        In order, covering ``[0, n_samples)`` without gaps.
    """
    pad_n = int(round(pad * sample_rate))
    groups = [[a, b, max(b - a - 2 * pad_n, 0) / sample_rate] for a, b in spans if b > a]
    # join short spans to the neighbour across the shorter pause (as long as the piece stays short)
    changed = True
    while changed and len(groups) > 1:
        changed = False
        for i, g in enumerate(groups):
            if g[2] >= min_speech:
                continue
            gap_l = g[0] - groups[i - 1][1] if i > 0 else None
            gap_r = groups[i + 1][0] - g[1] if i + 1 < len(groups) else None
            j = i - 1 if gap_r is None or (gap_l is not None and gap_l <= gap_r) else i + 1
            a, b = min(groups[j][0], g[0]), max(groups[j][1], g[1])
            if (b - a) / sample_rate > max_piece:
                continue
            groups[min(i, j)] = [a, b, groups[j][2] + g[2]]
            del groups[max(i, j)]
            changed = True
            break
    if not groups:
        return [Piece(0, n_samples, 0.0)]
    cuts = [0] + [(groups[i][1] + groups[i + 1][0]) // 2 for i in range(len(groups) - 1)] + [n_samples]
    return [Piece(int(cuts[i]), int(cuts[i + 1]), float(g[2])) for i, g in enumerate(groups)]


def break_kind(following: str) -> str:
    """What the text between two words says about a pause: ``"sentence"`` (. ! ? ; : … or a
    line break), ``"clause"`` (comma, dash, bracket, quote) or ``"none"``."""
    if _SENTENCE.search(following):
        return "sentence"
    return "clause" if _CLAUSE.search(following) else "none"


def guess_boundaries(units: np.ndarray, breaks: list[str], speech: list[float]) -> list[int]:
    """Share words out over pieces: index of each piece's first word (dynamic programming).

    Parameters
    ----------
    units : np.ndarray [shape=(n_words,)]
        Expected spoken length of each word in arbitrary units (phones, vowels weighted).
    breaks : list of str [len n_words]
        :func:`break_kind` of the text after each word.
    speech : list of float [len n_pieces]
        Seconds of speech per piece.

    Returns
    -------
    list of int [len n_pieces + 1]
        ``b[k]:b[k + 1]`` are piece k's words; ``b[0] = 0``, ``b[-1] = n_words``. A piece may
        get none (a cough), at a cost.
    """
    n, k_n = len(units), len(speech)
    cum = np.concatenate([[0.0], np.cumsum(units, dtype=float)])
    total_speech = float(sum(speech))
    rate = cum[-1] / total_speech if total_speech > 0 else 1.0  # units per second of speech
    bcost = np.array([BREAK_COST[b] for b in breaks] + [0.0])  # cost of a piece ending after word i-1
    bcost = np.concatenate([[0.0], bcost[:-1]])  # indexed by boundary position 0..n
    bcost[n] = 0.0
    inf = np.inf
    cost = np.full(n + 1, inf)
    cost[0] = 0.0
    back = np.zeros((k_n, n + 1), np.int64)
    idx = np.arange(n + 1)
    for k, sp in enumerate(speech):
        expect = max(sp * rate, 1e-3)
        empty = cost + EMPTY_COST + 8.0 * sp  # no word in this piece
        new = np.full(n + 1, inf)
        arg = idx.copy()
        # how many words a piece may hold: a few times what its speech time suggests
        max_w = int(np.searchsorted(cum, MAX_PIECE_RATIO * expect + 1e-9)) + 5
        for w in range(1, min(max_w, n) + 1):
            got = cum[w:] - cum[:n + 1 - w]  # the piece takes words i .. i + w - 1 (boundary i)
            c = cost[:n + 1 - w] + (np.log((got + 1.0) / (expect + 1.0)) / DURATION_SIGMA) ** 2
            better = c < new[w:]
            new[w:] = np.where(better, c, new[w:])
            arg[w:] = np.where(better, idx[:n + 1 - w], arg[w:])
        new = new + bcost
        keep = empty <= new
        new[keep] = empty[keep]
        arg[keep] = idx[keep]
        back[k] = arg
        cost = new
    bounds = [n]
    for k in range(k_n - 1, -1, -1):
        bounds.append(int(back[k][bounds[-1]]))
    bounds.reverse()
    if bounds[0] != 0 or not np.isfinite(cost[n]):
        raise ValueError("no word assignment found")
    return bounds


def settle_boundary(score, pair: tuple[Piece, Piece], first: int, guess: int, moved: int, end: int) -> int:
    """Where two neighbouring pieces' words divide: the guessed first word of the second piece or
    another one (where its own alignment started, or one word later when the text shows no pause
    at the guess), whichever explains the two pieces' audio better.

    A piece's own alignment cannot be trusted to move its start: pocketsphinx adds a weight for
    every phone and word it enters (for other languages than English a phone *bonus*, 30 per
    phone times the language weight, so the path keeps moving through sounds the English model
    knows badly), so a grammar that may start a few words early gains by taking the previous
    piece's last words. The German held-out joined file lost 5.2 points and 2 of 24 closures
    that way: "Bremen", the last word of a sentence, was crammed into the next sentence's first
    0.3 s. Scoring both pieces under both divisions compares the same words over the same audio,
    so the insertion weights cancel and only the acoustics decide.

    Parameters
    ----------
    score : callable ``(piece, first_word, end_word) -> float or None``
        Path score (log) of aligning words ``first_word:end_word`` to the piece; None when
        no path fits.
    pair : (Piece, Piece)
        The earlier piece and the later one.
    first, guess, moved, end : int
        The earlier piece's first word, the guessed and the other candidate first word of the
        later piece, and the later piece's end word (exclusive); ``first < guess, moved < end``.

    Returns
    -------
    int
        ``guess`` or ``moved``: the later piece's first word.
    """
    a, b = pair
    totals = {}
    for start in (guess, moved):
        s1, s2 = score(a, first, start), score(b, start, end)
        totals[start] = None if s1 is None or s2 is None else s1 + s2
    if totals[guess] is None:
        return moved
    if totals[moved] is None or totals[guess] >= totals[moved]:
        return guess
    return moved


__all__ = ["Piece", "break_kind", "guess_boundaries", "plan_pieces", "settle_boundary"]
