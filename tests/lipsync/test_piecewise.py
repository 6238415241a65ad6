"""Long files with a transcript: cut at pauses, words shared out, pieces aligned (on two processes
where the machine allows), every word placed and every lip closure kept; the planning steps alone.

The long file is the whole espeak-ng evaluation set joined (12 sentences, ~34 s of real speech
with exact phone timing)."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.lipsync.align import align, transcript_tokens, transcript_words
from facemimic.lipsync.forked import can_fork, fork_map
from facemimic.lipsync.piecewise import Piece, break_kind, guess_boundaries, plan_pieces
from facemimic.lipsync.scoring import Score, cues_to_frames

SR = 16000


@pytest.fixture(scope="module")
def joined(synthesised_items):
    from facemimic.lipsync.evalset import concatenate

    items = synthesised_items()  # in a fresh interpreter: the same audio whatever ran before
    return items, concatenate(items)


@pytest.fixture(scope="module")
def long_results(joined):
    """(stats, phones) aligned on one process and on two."""
    _, it = joined
    out = {}
    for workers in (1, 2):
        stats: dict = {}
        out[workers] = (stats, align(it.audio, it.text, workers=workers, stats=stats))
    return out


def _spoken_words(phones) -> list[str]:
    words: list[str] = []
    prev = None
    for p in phones:
        if p.word and (p.word != prev or p.name == "SIL"):
            words.append(p.word)
        prev = p.word if p.name != "SIL" else None
    return words


def test_long_file_is_aligned_in_pieces(joined, long_results):
    stats, phones = long_results[1]
    assert stats["method"] == "pieces"
    assert stats["pieces"] >= 10 and stats["aligned"] >= 10  # 12 sentences, pauses between them
    _, it = joined
    assert phones[0].start >= 0 and phones[-1].end <= it.duration + 1e-6
    assert all(a.end <= b.start + 1e-6 for a, b in zip(phones, phones[1:]))


def test_every_transcript_word_is_placed_in_order(joined, long_results):
    _, it = joined
    for _, phones in long_results.values():
        got = _spoken_words(phones)
        want = transcript_words(it.text)
        # consecutive repeats ("the the") may merge; compare without them
        dedup = [w for k, w in enumerate(want) if k == 0 or w != want[k - 1]]
        assert got == dedup


def test_same_phones_on_one_process_and_two(long_results):
    (s1, p1), (s2, p2) = long_results[1], long_results[2]
    assert p1 == p2
    assert s1["processes"] == 1
    assert s2["processes"] == (2 if can_fork() else 1)


def test_long_file_cues_close_every_bilabial(joined):
    from facemimic.lipsync.api import lipsync

    _, it = joined
    res = lipsync(it.audio, sample_rate=it.sample_rate, text=it.text)
    assert res.method == "align" and not res.warnings
    assert res.cues[0].start == 0 and abs(res.cues[-1].end - it.duration) <= 0.01  # centiseconds
    assert all(0 <= c.start < c.end <= it.duration + 1e-6 for c in res.cues)
    sc = Score()
    sc.add(list(it.phones), cues_to_frames(res.cues, it.duration), it.duration, list(res.phones))
    assert sc.closures >= 30
    assert sc.closure_recall == 100.0
    assert sc.per <= 6.0
    assert sc.macro_recall >= 60.0


def test_a_pause_free_long_file_falls_back_on_a_whole_file_word_pass(joined):
    items, _ = joined
    pcm = np.concatenate([it.audio for it in items[:4]])  # ~10 s, over the piece limit
    text = " ".join(it.text for it in items[:4])
    stats: dict = {}
    phones = align(pcm, text, spans=[(0, len(pcm))], stats=stats)  # as if it never paused
    assert stats["method"] == "coarse chunks"
    assert _spoken_words(phones) == transcript_words(text)


def test_a_transcript_without_punctuation_still_places_every_word(joined):
    """Without full stops the text says nothing about pauses; where the guess is too far off,
    a whole-file word pass shares the words out over the same pieces."""
    import re

    from facemimic.lipsync.api import lipsync

    _, it = joined
    text = re.sub(r"[^\w\s']", "", it.text).lower()
    res = lipsync(it.audio, sample_rate=it.sample_rate, text=text)
    assert res.method == "align" and not res.warnings
    assert _spoken_words(res.phones) == transcript_words(text)
    assert res.phones[-1].end <= it.duration + 1e-6


def test_words_go_to_the_piece_that_holds_their_middle():
    from facemimic.lipsync.align import _coarse_bounds

    pieces = [Piece(0, 32000, 1.5), Piece(32000, 64000, 1.5), Piece(64000, 96000, 1.5)]
    # frames at 100/s: a, b end in piece 0; c straddles 2.0 s but its middle is in piece 1; d, e in 2
    segs = [("<sil>", 0, 10), ("a", 11, 60), ("b", 61, 150), ("c", 190, 230), ("<sil>", 231, 300),
            ("d", 420, 470), ("e(2)", 471, 520), ("[noise]", 521, 599)]
    assert _coarse_bounds(segs, 100.0, pieces, SR, 5) == [0, 2, 3, 5]
    with pytest.raises(Exception, match="every word"):
        _coarse_bounds(segs, 100.0, pieces, SR, 6)


def test_a_piece_finds_its_first_word(speech_items):
    """Given a few words of the sentence before, the piece starts at its own first word."""
    from facemimic.lipsync.align import _two_pass, pronounce
    from facemimic.lipsync.recognize import RecognizerOptions, decoder

    a, b = speech_items[0], speech_items[1]
    d = decoder("align", RecognizerOptions())
    before = [pronounce(w, d)[0] for w in transcript_words(a.text)][-2:]
    own = [pronounce(w, d)[0] for w in transcript_words(b.text)]
    _, exact, _ = _two_pass(d, own, b.audio, 150.0)
    for guess in (1, 3):  # a guess one word too early or too late
        _, prows, first = _two_pass(d, before + own, b.audio, 150.0, starts=[0, 1, 2, 3], guess=guess)
        assert first == 2
        assert prows == exact  # the same alignment as with the exact words


def test_alignment_does_not_depend_on_what_ran_before(speech_items):
    a, b = speech_items[0], speech_items[2]
    first = align(b.audio, b.text)
    align(a.audio, a.text)
    assert align(b.audio, b.text) == first


# -- planning -------------------------------------------------------------------------------------

def test_pieces_cut_in_the_middle_of_pauses_and_cover_the_signal():
    s = SR
    spans = [(0, 2 * s), (3 * s, 5 * s), (5 * s + 8000, 5 * s + 12000), (7 * s, 9 * s)]
    pieces = plan_pieces(spans, 10 * s)
    # the 0.25 s burst (0.05 s of speech without padding) joins its nearer neighbour
    assert [(p.start, p.end) for p in pieces] == [(0, 40000), (40000, 102000), (102000, 160000)]
    assert pieces[1].speech == pytest.approx(1.8 + 0.05)
    assert plan_pieces([], 100) == [Piece(0, 100, 0.0)]


def test_break_kinds_from_punctuation():
    tokens = transcript_tokens("Well... maybe. I'm not sure, to be honest\nOK")
    assert [break_kind(f) for _, f in tokens] == [
        "sentence", "sentence", "none", "none", "clause", "none", "none", "sentence", "none"]
    assert [w for w, _ in tokens] == transcript_words("Well... maybe. I'm not sure, to be honest\nOK")


def test_words_are_shared_out_by_duration_and_punctuation():
    units = np.array([3.0, 4, 2, 5, 3, 3, 4, 2, 3])  # three sentences of 3 words
    breaks = ["none", "none", "sentence"] * 3
    assert guess_boundaries(units, breaks, [1.8, 2.2, 1.8]) == [0, 3, 6, 9]
    # two equal pieces, nine equal words: 4 + 5 or 5 + 4? the full stop says
    units = np.full(9, 3.0)
    for stop in (3, 4):
        breaks = ["none"] * 9
        breaks[stop] = breaks[8] = "sentence"
        assert guess_boundaries(units, breaks, [2.0, 2.0]) == [0, stop + 1, 9]


def test_a_cough_gets_no_words():
    units = np.array([4.0, 4, 4, 4, 4, 4])
    breaks = ["none", "none", "sentence", "none", "none", "sentence"]
    b = guess_boundaries(units, breaks, [2.0, 0.15, 2.0])
    assert b == [0, 3, 3, 6]


# -- forking ------------------------------------------------------------------------------------------

def _square(x):
    return x * x


def _fail_on_7(x):
    if x == 7:
        raise ValueError("seven")
    return x


def test_fork_map_keeps_job_order():
    jobs = list(range(9))
    got, procs = fork_map(_square, jobs, workers=2, costs=[1, 9, 1, 1, 5, 1, 1, 1, 1])
    assert got == [x * x for x in jobs]
    assert procs == (2 if can_fork() else 1)
    assert fork_map(_square, jobs, workers=1) == ([x * x for x in jobs], 1)


def test_fork_map_error_in_a_child_surfaces_in_the_caller():
    # job 0 alone weighs as much as the rest: this process runs it, a child runs jobs 1-7; the
    # child's failure makes this process redo its share, and the error surfaces here
    with pytest.raises(ValueError, match="seven"):
        fork_map(_fail_on_7, list(range(8)), workers=2, costs=[10, 1, 1, 1, 1, 1, 1, 1])


# -- command line ---------------------------------------------------------------------------------

def test_cli_threads_sets_the_processes_and_not_the_result(joined, tmp_path):
    from click.testing import CliRunner

    from facemimic.cli import cli
    from facemimic.common.audio import write_wav

    _, it = joined
    wav = write_wav(tmp_path / "long.wav", it.audio, it.sample_rate)
    dialog = tmp_path / "long.txt"
    dialog.write_text(it.text, encoding="utf-8")
    outs = []
    for extra in ([], ["--threads", "1"], ["--threads", "2"]):
        out = tmp_path / f"cues{len(outs)}.tsv"
        res = CliRunner().invoke(cli, ["lipsync", str(wav), "--dialog", str(dialog), "-o", str(out), "-q", *extra])
        assert res.exit_code == 0, res.output
        outs.append(out.read_text())
    assert outs[0] == outs[1] == outs[2]
    assert outs[0].splitlines()[-1].startswith(f"{int(it.duration * 100) / 100:.2f}\t")
    res = CliRunner().invoke(cli, ["lipsync", str(wav), "--threads", "0"])
    assert res.exit_code == 2 and "--threads must be at least 1" in res.output


def _fail_on_0(x):
    if x == 0:
        raise KeyError("zero")
    return x


def test_fork_map_error_here_stops_the_children():
    # job 0 (this process's share) fails at once; the child is stopped rather than waited for
    with pytest.raises(KeyError, match="zero"):
        fork_map(_fail_on_0, list(range(8)), workers=2, costs=[10, 1, 1, 1, 1, 1, 1, 1])
