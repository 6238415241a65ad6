"""Session 15's fresh held-out set of real English speech (issue #16 §3):
``eval/lipsync/real_speech.py fresh15_items()`` — LJ Speech (TTS 0.0.13.2's test copy), speechbrain
1.0.2's Harvard-sentence test samples and espnet's mini AN4, three packages no earlier session opened.

These tests check the *data* (pinned sdists, licences, transcripts, the stock alignment); the score is
guarded in ``test_real_speech.py`` at the level measured when the set was scored once.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest


@pytest.fixture(scope="session")
def fresh15(real_set):
    return real_set("fresh15")



@pytest.mark.parametrize("name,licence", [("tts", "Mozilla Public License"), ("speechbrain", "Apache License"),
                                          ("espnet", "Apache License")])
def test_fresh15_sources_are_pinned_and_unpacked(pinned_source, name, licence):
    """Each sdist matched the SHA-256 pinned in SHA256 (recorded in its cache folder's marker), every
    member used is there and the package's licence ships with it."""
    folder = pinned_source(name)
    lic = "LICENSE.txt" if name == "tts" else "LICENSE"
    assert licence in (folder / lic).read_text()


def test_an4_licence_and_sphere_audio(real_speech):
    """The AN4 recordings inside espnet's nested archive carry CMU's free-for-any-use licence, and the
    SPHERE reader gives the header's sample count, maximum and checksum (sum mod 2**16; AN4's
    sample_min fields are wrong, so they are not checked). Read big-endian, the checksum fails."""
    root = real_speech._an4(real_speech.fetch("espnet"))
    assert "free for use for any purpose" in (root / "LICENSE").read_text()
    path = root / "wav/an4_clstk/fash/cen7-fash-b.sph"
    pcm = real_speech.read_sphere(path)
    assert pcm.dtype == np.int16 and len(pcm) == 40000
    assert int(pcm.max()) == 2939 and int(pcm.astype(np.int64).sum()) % 65536 == 49738
    assert int(pcm.byteswap().astype(np.int64).sum()) % 65536 != 49738


def test_fresh15_set_is_real_and_aligned(fresh15, real_speech, spells):
    """36 recordings of 8 voices (the LJ reader, two speechbrain speakers, five AN4 speakers), 158 s,
    127 closures; the stock aligner's phones spell every word of each transcript and lie inside the
    audio, one after another."""
    st = real_speech.stats(fresh15)
    assert st == {"recordings": 36, "seconds": 158.2, "closures": 127}
    assert len({it.voice for it in fresh15}) == 8
    groups = {g: [it for it in fresh15 if it.id.startswith(g)] for g in ("lj-", "speechbrain-", "an4-")}
    assert [len(v) for v in groups.values()] == [20, 9, 7]
    d = real_speech._stock_decoder()
    for it in fresh15:
        assert it.sample_rate == 16000 and it.audio.dtype == np.int16 and it.duration > 0.5
        words = re.sub(r"[^a-z' ]", " ", it.text.lower().replace("-", " ")).split()
        assert spells(d, words, [p.name for p in it.phones if p.name != "SIL"]), it.id
        assert it.phones[0].start >= 0 and it.phones[-1].end <= it.duration + 1e-6
        assert all(abs(a.end - b.start) < 1e-6 for a, b in zip(it.phones, it.phones[1:])), it.id


def test_fresh15_transcripts_come_from_the_packages(fresh15):
    by_id = {it.id: it for it in fresh15}
    assert by_id["lj-LJ001-0002"].text == "in being comparatively modern."
    assert by_id["an4-cen8-mmxg-b"].text == "october twenty four nineteen seventy"
    assert by_id["speechbrain-spk2_snt4"].text == "mend the coat before you go out"
    # two speechbrain word labels are fixtures; its phone labels spell the Harvard sentence used
    assert by_id["speechbrain-spk2_snt5"].text == "jump the fence and hurry up the bank"
    assert [p.name for p in by_id["speechbrain-spk2_snt5"].phones if p.name != "SIL"][:5] == ["JH", "AH", "M", "P", "DH"]


def test_fresh15_audio_is_none_of_the_other_sets(fresh15, real_set):
    """No recording of the new set is a copy of an earlier set's file (same samples)."""
    digests = {hashlib.sha256(it.audio.tobytes()).hexdigest() for it in fresh15}
    assert len(digests) == 36
    others = real_set("heldout") + real_set("sonnet") + real_set("fresh") + real_set("extra_train")
    assert not digests & {hashlib.sha256(it.audio.tobytes()).hexdigest() for it in others}
