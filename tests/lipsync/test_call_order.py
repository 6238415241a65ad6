"""Lip sync of a recording depends on that recording only, not on what the process decoded before.

pocketsphinx keeps a running noise level and cepstral mean from one utterance to the next; with
cached decoders a sentence recognised after other audio gave different phones (and a batch worker's
rows depended on its earlier files). Every decode now starts from the model's initial state.
"""

from __future__ import annotations

import numpy as np

import facemimic
from facemimic.common.audio import as_pcm16
from facemimic.lipsync.recognize import recognize_phones


def _pcm(text: str) -> np.ndarray:
    s = facemimic.say(text)
    return as_pcm16(np.asarray(s.audio), s.sample_rate)


def test_phone_loop_ignores_what_came_before():
    a = _pcm("Peter picked a peck of pickled peppers.")
    other = (_pcm("Whose woolly wool was washed in the warm water?") // 8).astype(np.int16)
    first = recognize_phones(a)
    for _ in range(3):
        recognize_phones(other)
    assert recognize_phones(a) == first


def test_lip_sync_with_and_without_transcript_ignores_what_came_before():
    text = "Bob bought a big blue map."
    a = _pcm(text)
    other = (_pcm("Seven silly snakes sat in the sun.") // 6).astype(np.int16)
    first_plain = facemimic.lip_sync(a, sample_rate=16000)
    first_text = facemimic.lip_sync(a, sample_rate=16000, text=text)
    for _ in range(2):
        facemimic.lip_sync(other, sample_rate=16000)
        facemimic.lip_sync(other, sample_rate=16000, text="Seven silly snakes sat in the sun.")
    assert facemimic.lip_sync(a, sample_rate=16000).cues == first_plain.cues
    assert facemimic.lip_sync(a, sample_rate=16000, text=text).cues == first_text.cues
