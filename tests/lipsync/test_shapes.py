"""Phones -> Rhubarb shapes: the rules, checked on hand-made phones and on random phone strings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facemimic.errors import ParameterError
from facemimic.phonetics.phones import ARPABET, Phone
from facemimic.lipsync.shapes import AnimationOptions, animate


def _ph(*spec):
    """('AA', 10) … -> contiguous phones (durations in cs)."""
    out, t = [], 0
    for name, cs in spec:
        out.append(Phone(t / 100, (t + cs) / 100, name))
        t += cs
    return out, t / 100


def _shapes_at(cues, t):
    return next(c.shape for c in cues if c.start <= t < c.end)


def test_canonical_shapes_and_rest():
    phones, dur = _ph(("SIL", 30), ("M", 8), ("AA", 20), ("P", 8), ("UW", 15), ("F", 8), ("IY", 12),
                      ("L", 12), ("SIL", 50))
    cues = animate(phones, dur)
    assert cues[0].start == 0 and cues[0].shape == "X" and cues[-1].shape == "X" and cues[-1].end == dur
    assert [_shapes_at(cues, t) for t in (0.34, 0.45, 0.62, 0.72, 0.85, 0.95, 1.07)] == \
        ["A", "D", "A", "F", "G", "B", "H"]


def test_closures_are_never_lost():
    # a 2 cs "b" between vowels still closes the lips for min_closure
    phones, dur = _ph(("SIL", 20), ("AA", 15), ("B", 2), ("AA", 15), ("SIL", 20))
    cues = animate(phones, dur)
    a = [c for c in cues if c.shape == "A"]
    assert len(a) == 1 and a[0].duration >= 0.05 - 1e-9


def test_pauses_hold_relax_rest():
    base = [("SIL", 20), ("AA", 20)]
    hold, d1 = _ph(*base, ("SIL", 3), ("AA", 20), ("SIL", 20))
    relax, d2 = _ph(*base, ("SIL", 10), ("AA", 20), ("SIL", 20))
    rest, d3 = _ph(*base, ("SIL", 40), ("AA", 20), ("SIL", 20))
    assert _shapes_at(animate(hold, d1), 0.415) == "D"
    assert _shapes_at(animate(relax, d2), 0.45) == "X"  # default: rest from 5 cs on
    rhubarb_like = AnimationOptions(hold_pause=0.12, relax_pause=0.35)
    assert _shapes_at(animate(relax, d2, rhubarb_like), 0.45) == "D"  # < 12 cs holds
    relax15, d4 = _ph(*base, ("SIL", 20), ("AA", 20), ("SIL", 20))
    assert _shapes_at(animate(relax15, d4, rhubarb_like), 0.5) == "C"  # relaxed D
    assert _shapes_at(animate(rest, d3), 0.6) == "X"
    assert _shapes_at(animate(rest, d3, rhubarb_like), 0.6) == "X"


def test_extended_shapes_and_tweens():
    phones, dur = _ph(("SIL", 20), ("F", 10), ("AA", 30), ("L", 25), ("M", 10), ("SIL", 30))
    basic = animate(phones, dur, AnimationOptions(extended_shapes=""))
    assert {c.shape for c in basic} <= set("ABCDEF") and basic[0].shape == "A"
    tw = animate(phones, dur, AnimationOptions(tweens=True))
    seq = [c.shape for c in tw]
    assert "C" not in [c.shape for c in animate(_ph(("SIL", 20), ("AA", 30), ("M", 10), ("SIL", 30))[0], 0.9)]
    assert seq[seq.index("D") + 1] in ("C", "H")


def test_option_validation():
    with pytest.raises(ParameterError):
        AnimationOptions(extended_shapes="GQ")
    with pytest.raises(ParameterError):
        AnimationOptions(min_duration=-1)
    with pytest.raises(ParameterError):
        AnimationOptions(hold_pause=0.5, relax_pause=0.2)


phone_lists = st.lists(st.tuples(st.sampled_from(ARPABET + ("SIL",)), st.integers(1, 40)), min_size=1,
                       max_size=40)


def test_avoid_static_segments_breaks_a_long_held_shape():
    # "ee-t-ee-s-ee-k-ee": 1.1 s of B over 4 syllables; Rhubarb's rule opens a middle vowel to C
    phones, dur = _ph(("SIL", 20), ("IY", 20), ("T", 10), ("IY", 20), ("S", 10), ("IY", 20), ("K", 10),
                      ("IY", 20), ("SIL", 20))
    static = animate(phones, dur, AnimationOptions(avoid_static=False))
    assert [c.shape for c in static] == ["X", "B", "X"]
    broken = animate(phones, dur, AnimationOptions(avoid_static=True))
    assert [c.shape for c in broken] == ["X", "B", "C", "B", "X"]
    c = broken[2]
    assert 0.5 <= c.start and c.end <= 0.9  # one of the two middle vowels, not the first or last
    assert all(x.duration < 0.75 for x in broken if x.shape != "X")
    # two syllables held 1 s are not a static segment (Rhubarb needs three)
    two, d2 = _ph(("SIL", 20), ("IY", 45), ("T", 10), ("IY", 45), ("SIL", 20))
    assert [x.shape for x in animate(two, d2, AnimationOptions(avoid_static=True))] == ["X", "B", "X"]
    # shorter than 75 cs: untouched
    short, d3 = _ph(("SIL", 20), ("IY", 12), ("T", 8), ("IY", 12), ("S", 8), ("IY", 12), ("SIL", 20))
    assert [x.shape for x in animate(short, d3, AnimationOptions(avoid_static=True))] == ["X", "B", "X"]


@settings(max_examples=60, deadline=None)
@given(phone_lists, st.sampled_from(["", "X", "GHX", "GH"]), st.booleans(), st.booleans())
def test_cues_always_tile_the_file(spec, ext, tweens, avoid_static):
    phones, dur = _ph(*spec)
    cues = animate(phones, dur, AnimationOptions(extended_shapes=ext, tweens=tweens, avoid_static=avoid_static))
    allowed = set("ABCDEF" + ext)
    assert cues[0].start == 0 and abs(cues[-1].end - round(dur, 2)) < 1e-9
    for a, b in zip(cues, cues[1:]):
        assert abs(a.end - b.start) < 1e-9 and a.shape != b.shape
    assert all(c.end > c.start and c.shape in allowed for c in cues)
    # every bilabial phone shows a closure (A, or X when X is the rest shape) within 40 ms
    for p in phones:
        if p.name in ("P", "B", "M"):
            near = {c.shape for c in cues if c.end > p.start - 0.04 and c.start < p.end + 0.04}
            assert near & {"A", "X"}, (p, cues)
