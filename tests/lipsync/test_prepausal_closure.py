"""A /p b/ before a pause keeps the lips shut with a transcript (issue #11 §3).

The stop's closure before a pause is silence, so forced alignment used to give it to the pause
and the mouth rested (X) during the real /p/ of "map." (align.hold_prepausal_closures).
"""

from facemimic.lipsync.align import hold_prepausal_closures
from facemimic.lipsync.api import LipSyncOptions, lipsync
from facemimic.phonetics.phones import Phone
from facemimic.voice import say

TEXT = "Maybe my brother Bob paid for the map. We were happy."


def _shape_at(cues, t):
    return next(c.shape for c in cues if c.start <= t < c.end)


def test_bilabial_before_pause_is_closed_on_real_speech():
    sp = say(TEXT)
    res = lipsync(sp.audio, sample_rate=sp.sample_rate, text=TEXT, options=LipSyncOptions(fps=30))
    assert res.method == "align"
    phones = list(sp.phones)
    # the true stops followed by a pause: the /p/ of "map." (and "Bob" before "paid" when the
    # aligner puts a pause in its closure)
    before_pause = [p for i, p in enumerate(phones)
                    if p.name in ("P", "B") and i + 1 < len(phones) and phones[i + 1].name == "SIL"]
    assert [p.word for p in before_pause] == ["map"]
    for p in before_pause + [q for q in phones if q.word == "bob"]:
        if p.name in ("P", "B"):
            mid = (p.start + p.end) / 2
            assert _shape_at(res.cues, mid) == "A", (p, [c for c in res.cues if abs(c.start - mid) < 0.2])


def test_hold_takes_time_only_from_the_pause():
    ph = [Phone(0.0, 0.2, "AE"), Phone(0.2, 0.23, "P"), Phone(0.23, 0.27, "SIL"), Phone(0.27, 0.4, "B"),
          Phone(0.4, 0.45, "P"), Phone(0.45, 1.0, "SIL"), Phone(1.0, 1.1, "AA"), Phone(1.1, 1.12, "B")]
    out = hold_prepausal_closures(ph, 0.12)
    # a pause shorter than the hold vanishes; the next phone keeps its start
    assert out[:3] == [Phone(0.0, 0.2, "AE"), Phone(0.2, 0.27, "P"), Phone(0.27, 0.4, "B")]
    # a long pause gives the stop what it needs; speech after it is not moved
    assert out[3].name == "P" and abs(out[3].end - 0.52) < 1e-9
    assert out[4].name == "SIL" and abs(out[4].start - 0.52) < 1e-9 and out[4].end == 1.0
    assert out[5] == Phone(1.0, 1.1, "AA")
    # the last phone (no pause phone after it) is held too
    assert abs(out[6].end - 1.22) < 1e-9 and out[6].start == 1.1
    assert ph[1] == Phone(0.2, 0.23, "P")  # the input is left alone
