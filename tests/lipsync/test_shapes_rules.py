"""Each animation rule of lipsync/shapes.py on its own, on hand-made centisecond segments.

Segments are ``[start_cs, end_cs, shape, is_pause]`` (see ``shapes.Segment``); ``_segs`` builds
contiguous ones from (shape, length) pairs, ``P`` marking an undecided pause.
"""

from __future__ import annotations

import copy

import pytest

from facemimic.phonetics.phones import Phone
from facemimic.lipsync.shapes import (
    TWEEN_CS,
    MouthCue,
    anticipate,
    avoid_static_segments,
    fill_gaps,
    insert_tweens,
    keep_vowels_visible,
    merge_short_shapes,
    phone_segments,
    restrict_shapes,
    shape_pauses,
    stretch_closures,
)


def _segs(*spec, start=0):
    """('D', 20), ('P', 8) … -> contiguous segments; 'P' is a pause not yet shaped (X, is_pause)."""
    out, t = [], start
    for shape, n in spec:
        out.append([t, t + n, "X" if shape == "P" else shape, shape == "P"])
        t += n
    return out


def _shapes(segs):
    return [(s[2], s[1] - s[0]) for s in segs]


def test_phone_segments_split_diphthongs_and_give_h_the_next_sound():
    phones = [Phone(0.0, 0.10, "AY"), Phone(0.10, 0.14, "HH"), Phone(0.14, 0.30, "UW"),
              Phone(0.30, 0.34, "HH"), Phone(0.34, 0.50, "SIL"), Phone(0.50, 0.50, "M")]
    segs = phone_segments(phones)
    # AY = D then B, 60/40; "h" before UW is already rounded (F); a lone "h" before silence is
    # slightly open (AH -> C); the empty M is dropped; silence is a pause
    assert segs == [[0, 6, "D", False], [6, 10, "B", False], [10, 14, "F", False], [14, 30, "F", False],
                    [30, 34, "C", False], [34, 50, "X", True]]


def test_fill_gaps_tiles_the_file_with_pauses_and_clips():
    segs = [[5, 20, "D", False], [15, 30, "B", False], [40, 60, "A", False], [70, 90, "C", False]]
    # a hole at the start and between B and A become pauses; B's overlap with D is cut; the
    # last phone runs past the end of the file (total 65 cs) and C starts after it: dropped
    assert fill_gaps(segs, 65) == [[0, 5, "X", True], [5, 20, "D", False], [20, 30, "B", False],
                                   [30, 40, "X", True], [40, 60, "A", False], [60, 65, "X", True]]
    assert fill_gaps([], 30) == [[0, 30, "X", True]]


@pytest.mark.parametrize("pause_cs, expected", [
    (3, "D"),   # shorter than hold: the previous shape is held (then merged into it)
    (8, "C"),   # between hold and relax: the previous shape relaxes (D -> C)
    (20, "X"),  # longer than relax: rest
])
def test_shape_pauses_hold_relax_rest(pause_cs, expected):
    segs = _segs(("P", 20), ("D", 20), ("P", pause_cs), ("B", 20), ("P", 20))
    out = shape_pauses(segs, hold_cs=5, relax_cs=12)
    assert not any(s[3] for s in out)
    assert out[0][2] == "X" and out[-1][2] == "X"  # pauses at either end of the file always rest
    assert next(s[2] for s in out if s[0] <= 42 < s[1]) == expected


def test_shape_pauses_never_relax_into_the_next_shape():
    # F relaxes to B, but B comes next: the mouth rests instead so it still visibly moves
    out = shape_pauses(_segs(("F", 20), ("P", 8), ("B", 20)), hold_cs=5, relax_cs=12)
    assert _shapes(out) == [("F", 20), ("X", 8), ("B", 20)]


def test_anticipate_leaves_rest_early_but_keeps_an_inner_rest():
    segs = _segs(("X", 10), ("D", 20), ("X", 4), ("B", 20))
    out = anticipate(segs, lead_cs=6)
    # the first rest gives 6 cs; the inner 4 cs rest gives all but 1 cs
    assert _shapes(out) == [("X", 4), ("D", 26), ("X", 1), ("B", 23)]
    assert _shapes(anticipate(_segs(("X", 3), ("D", 20)), lead_cs=6)) == [("D", 23)]  # may vanish at 0
    assert anticipate(segs, lead_cs=0) == segs


def test_stretch_closures_takes_time_from_both_sides():
    out = stretch_closures(_segs(("D", 20), ("A", 2), ("C", 20)), min_closure_cs=5)
    assert _shapes(out) == [("D", 18), ("A", 5), ("C", 19)]  # 3 cs missing: 2 from the left
    # a neighbour keeps at least 1 cs; the right side makes up for a short left one ...
    out = stretch_closures(_segs(("D", 2), ("A", 2), ("C", 20)), min_closure_cs=8)
    assert _shapes(out) == [("D", 1), ("A", 8), ("C", 15)]
    # ... but not the other way round
    out = stretch_closures(_segs(("D", 20), ("A", 2), ("C", 2)), min_closure_cs=8)
    assert _shapes(out) == [("D", 17), ("A", 6), ("C", 1)]


def test_keep_vowels_visible_shifts_neighbours_instead_of_merging():
    # a 2 cs vowel between 6 cs consonants (Spanish MBROLA) takes 1 cs from its left neighbour
    out = keep_vowels_visible(_segs(("B", 6), ("D", 2), ("B", 6)), min_duration_cs=3, min_closure_cs=5)
    assert _shapes(out) == [("B", 5), ("D", 3), ("B", 6)]
    # the time comes from whichever neighbour has more to spare, a cs at a time
    out = keep_vowels_visible(_segs(("B", 4), ("E", 1), ("G", 9)), min_duration_cs=4, min_closure_cs=5)
    assert _shapes(out) == [("B", 4), ("E", 4), ("G", 6)]
    # a closure keeps min_closure and a neighbour min_duration: here nobody can give enough,
    # so the vowel is left short (merge_short_shapes decides) and nothing moves
    segs = _segs(("A", 5), ("C", 1), ("B", 4))
    assert keep_vowels_visible(segs, min_duration_cs=3, min_closure_cs=5) == segs
    # only vowel openings (C-F) are kept; a short B or H is not
    segs = _segs(("C", 10), ("B", 1), ("H", 2), ("D", 10))
    assert keep_vowels_visible(segs, min_duration_cs=3, min_closure_cs=5) == segs


def test_keep_vowels_visible_then_merge_keeps_every_short_vowel():
    """Through the whole of animate(): the vowels of 'el perro' as es1 speaks them (e 24 ms,
    o 24 ms between 65-90 ms consonants) stay on screen; without the rule they vanish."""
    from facemimic.lipsync.shapes import AnimationOptions, animate

    t = [0.0, 0.2, 0.224, 0.289, 0.379, 0.418, 0.483, 0.507, 0.8]
    names = ["SIL", "EH", "L", "P", "EH", "R", "OW", "SIL"]
    phones = [Phone(a, b, n) for a, b, n in zip(t, t[1:], names)]
    kept = [c.shape for c in animate(phones, 0.8)]
    lost = [c.shape for c in animate(phones, 0.8, AnimationOptions(keep_vowels=False))]
    assert kept == ["X", "C", "H", "A", "C", "B", "E", "F", "X"]
    assert "E" not in lost and lost.count("C") < 2


def test_merge_short_shapes_prefers_the_wider_opening_and_keeps_closures():
    # a short C between B and D joins the D, even though B is longer
    out = merge_short_shapes(_segs(("B", 30), ("C", 2), ("D", 10)), min_duration_cs=3, min_closure_cs=5)
    assert _shapes(out) == [("B", 30), ("D", 12)]
    # a short E goes to the longer neighbour
    out = merge_short_shapes(_segs(("B", 10), ("E", 2), ("F", 30)), min_duration_cs=3, min_closure_cs=5)
    assert _shapes(out) == [("B", 10), ("F", 32)]
    # a closure is never merged away, and nothing is merged into it while the other side can take it
    out = merge_short_shapes(_segs(("A", 1), ("E", 2), ("C", 10)), min_duration_cs=3, min_closure_cs=5)
    assert _shapes(out) == [("A", 1), ("C", 12)]
    # a rest survives when it lasts min(min_closure, min_duration)
    out = merge_short_shapes(_segs(("B", 10), ("X", 3), ("C", 10)), min_duration_cs=5, min_closure_cs=3)
    assert _shapes(out) == [("B", 10), ("X", 3), ("C", 10)]


def test_insert_tweens_early_and_late():
    # D -> A: C taken from the end of D (early)
    out = insert_tweens(_segs(("D", 20), ("A", 10)), min_duration_cs=3)
    assert _shapes(out) == [("D", 20 - TWEEN_CS), ("C", TWEEN_CS), ("A", 10)]
    # D -> X: C taken from the start of the rest (late)
    out = insert_tweens(_segs(("D", 20), ("X", 30)), min_duration_cs=3)
    assert _shapes(out) == [("D", 20), ("C", TWEEN_CS), ("X", 30 - TWEEN_CS)]
    # too short to give the tween and keep min_duration: no tween; pairs without a tween unchanged
    assert _shapes(insert_tweens(_segs(("D", 7), ("A", 10)), min_duration_cs=3)) == [("D", 7), ("A", 10)]
    assert _shapes(insert_tweens(_segs(("B", 20), ("A", 10)), min_duration_cs=3)) == [("B", 20), ("A", 10)]


def test_avoid_static_segments_opens_a_middle_vowel():
    # B held 90 cs over four "ee" syllables (IY at 0-20, 25-45, 50-70, 75-90)
    phones = [Phone(0.0, 0.2, "IY"), Phone(0.2, 0.25, "T"), Phone(0.25, 0.45, "IY"), Phone(0.45, 0.5, "S"),
              Phone(0.5, 0.7, "IY"), Phone(0.7, 0.75, "K"), Phone(0.75, 0.9, "IY")]
    out = avoid_static_segments([[0, 90, "B", False]], phones, total=90, min_len=75)
    # the vowel nearest the middle that is neither the first nor the last syllable becomes C
    assert out == [[0, 25, "B", False], [25, 45, "C", False], [45, 90, "B", False]]
    assert avoid_static_segments([[0, 90, "B", False]], phones, total=90, min_len=95) == [[0, 90, "B", False]]
    assert avoid_static_segments([[0, 90, "A", False]], phones, total=90, min_len=75) == [[0, 90, "A", False]]


def test_restrict_shapes_maps_to_basic_shapes_and_merges():
    segs = _segs(("A", 10), ("G", 5), ("H", 7), ("C", 3), ("X", 20))
    assert restrict_shapes(segs, "GHX") == [MouthCue(0.0, 0.1, "A"), MouthCue(0.1, 0.15, "G"),
                                            MouthCue(0.15, 0.22, "H"), MouthCue(0.22, 0.25, "C"),
                                            MouthCue(0.25, 0.45, "X")]
    # G -> A joins the closure before it, H -> C the C after it, X -> A
    assert restrict_shapes(segs, "") == [MouthCue(0.0, 0.15, "A"), MouthCue(0.15, 0.25, "C"),
                                         MouthCue(0.25, 0.45, "A")]


def test_rules_leave_their_input_alone():
    segs = _segs(("P", 10), ("D", 20), ("A", 2), ("P", 8), ("C", 2), ("D", 20), ("P", 30))
    before = copy.deepcopy(segs)
    shape_pauses(segs, 5, 12)
    shaped = shape_pauses(segs, 5, 12)
    shaped_before = copy.deepcopy(shaped)
    for rule in (lambda s: anticipate(s, 5), lambda s: stretch_closures(s, 5),
                 lambda s: merge_short_shapes(s, 3, 5), lambda s: insert_tweens(s, 3)):
        rule(shaped)
    assert segs == before and shaped == shaped_before
