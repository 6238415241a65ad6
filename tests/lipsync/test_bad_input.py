"""Silence, noise, music, clipping, long streams and wrong transcripts: no crash, a clear warning,
the mouth at rest where nobody speaks."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.lipsync.api import LipSyncOptions, lipsync
from facemimic.lipsync.vad import VadOptions

SR = 16000


def _shares(result) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in result.cues:
        out[c.shape] = out.get(c.shape, 0) + c.duration
    return {k: v / result.duration for k, v in out.items()}


def test_silence_only():
    r = lipsync(np.zeros(SR * 3, np.int16), sample_rate=SR)
    assert [c.shape for c in r.cues] == ["X"] and r.cues[-1].end == 3.0
    assert any("no speech" in w for w in r.warnings)
    r = lipsync(np.zeros(SR * 2, np.int16), sample_rate=SR, text="hello there")
    assert [c.shape for c in r.cues] == ["X"] and any("no speech" in w for w in r.warnings)


def test_noise_and_music_stay_mostly_at_rest():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.1, SR * 3).astype(np.float32)
    t = np.arange(SR * 4) / SR
    music = (0.3 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 277 * t) + np.sin(2 * np.pi * 330 * t))
             * (0.5 + 0.5 * np.sin(2 * np.pi * 2 * t)) / 3).astype(np.float32)
    for x in (noise, music):
        r = lipsync(x, sample_rate=SR)
        assert _shares(r).get("X", 0) > 0.7


def test_clipped_speech_warns_and_still_animates(speech_items):
    it = next(i for i in speech_items if i.id == "s07")  # "The box was thrown beside the parked truck."
    loud = np.clip(it.audio.astype(np.int32) * 5, -32768, 32767).astype(np.int16)
    r = lipsync(loud, sample_rate=SR, text=it.text)
    assert any("clipped" in w for w in r.warnings)
    assert r.method == "align" and sum(c.shape == "A" for c in r.cues) >= 1


def test_wrong_transcript_falls_back_with_a_warning(speech_items):
    it = next(i for i in speech_items if i.id == "s07")
    r = lipsync(it.audio, sample_rate=SR,
                text="completely different words that nobody said in this recording at all today")
    assert r.method == "recognize"
    assert any("does not match" in w for w in r.warnings)
    assert _shares(r).get("X", 0) < 0.6  # still animated from the audio


def test_unknown_and_non_ascii_words_align():
    from facemimic.voice import say

    sp = say("Frau Müller met Zyxquat at the café.")
    r = lipsync(sp, text="Frau Müller met Zyxquat at the café.")
    assert r.method == "align", r.warnings
    words = {p.word for p in r.phones}
    assert {"müller", "zyxquat", "café"} <= words, " ".join(f"{p.name}:{p.word}" for p in r.phones)
    assert any(p.name == "M" and p.word == "müller" for p in r.phones)


def test_long_stream_is_processed_in_segments(speech_items):
    """A 3-minute stream (speech between long silences) keeps flat buffers: the segmenter never
    holds more than one segment, and every sentence is found at its true time."""
    from facemimic.lipsync.vad import SpeechSegmenter

    it = speech_items[2]
    gap = np.zeros(SR * 9, np.int16)
    reps = 18
    stream = [np.concatenate([it.audio, gap]) for _ in range(reps)]
    seg = SpeechSegmenter(VadOptions())
    found, peak = [], 0
    for block in stream:
        for k in range(0, len(block), SR):
            found += seg.push(block[k:k + SR])
            peak = max(peak, len(seg.buf))
    found += seg.flush()
    period = len(stream[0]) / SR
    starts = sorted({round((s / SR) // period) for s, _ in found})
    assert starts == list(range(reps))
    assert peak < SR * (it.duration + 1.5)  # bounded by one sentence, not the stream


def test_max_segment_cuts_long_speech(speech_items):
    from facemimic.lipsync.vad import speech_segments

    it = speech_items[0]
    babble = np.concatenate([it.audio] * 4)  # about 10 s of speech with short pauses only
    spans = speech_segments(babble, VadOptions(max_segment=3.0, fill_gap=0.5))
    assert len(spans) >= 3 and max(b - a for a, b in spans) <= 3.0 + 0.25


def test_options_are_validated():
    from facemimic.errors import ParameterError

    with pytest.raises(ParameterError):
        LipSyncOptions(fps=0)
    with pytest.raises(ParameterError):
        LipSyncOptions(interpolation="bouncy")
    with pytest.raises(ParameterError):
        VadOptions(aggressiveness=7)


def test_from_phones_refuses_phones_it_would_animate_wrongly():
    """Lower-case or unknown names drew a wrong mouth (``ah`` gave shape B, ``AH`` gives C), reversed
    or NaN spans vanished without a word, and tuples, dicts or a say() result failed with
    ``AttributeError: ... has no attribute 'start'``: now one error naming the phone."""
    from facemimic.errors import ParameterError, UnknownNameError
    from facemimic.lipsync.api import from_phones
    from facemimic.phonetics.phones import Phone
    from facemimic.voice.synth import say

    speech = say("hello world")
    good = from_phones(list(speech.phones), speech.duration)  # the documented use still works
    assert good.method == "given" and [p.name for p in good.phones][:4] == ["SIL", "HH", "AH", "L"]
    assert [c.shape for c in from_phones([Phone(0.0, 0.2, "AH")], 0.5).cues][0] == "C"

    with pytest.raises(UnknownNameError, match=r"^phone 1: unknown phone name 'ah' \(did you mean AH"):
        from_phones([Phone(0.0, 0.1, "SIL"), Phone(0.1, 0.3, "ah")], 0.5)
    with pytest.raises(UnknownNameError, match=r"^phone 0: unknown phone name 'XX'"):
        from_phones([Phone(0.0, 0.2, "XX")], 0.5)
    with pytest.raises(ParameterError, match=r"^phone 0 \(AH\): start and end must be finite .* got 0.3 to 0.2$"):
        from_phones([Phone(0.3, 0.2, "AH")], 0.5)
    with pytest.raises(ParameterError, match=r"^phone 0 \(AH\): start and end must be finite .* got nan to 0.2$"):
        from_phones([Phone(float("nan"), 0.2, "AH")], 0.5)
    with pytest.raises(ParameterError, match=r"^phone 0 must be a Phone\(start, end, name\), got tuple"):
        from_phones([(0.0, 0.2, "HH")], 0.5)
    with pytest.raises(ParameterError, match=r"for a say\(\) result pass speech.phones and speech.duration$"):
        from_phones(speech, speech.duration)
    with pytest.raises(ParameterError, match=r"^duration must be a finite number >= 0, got None$"):
        from_phones(list(speech.phones), None)


def test_lipsync_arguments_of_the_wrong_kind_are_named():
    """``lip_sync(None)`` said 'sample_rate is required when audio is an array'; a NaN rate, a text
    that is not a str and string samples failed inside NumPy or on ``.strip()``; and ``fps=0`` on the
    result's ``track()``/``curves()`` silently gave the 60 fps default."""
    from facemimic.errors import ParameterError
    from facemimic.voice.synth import say

    speech = say("hello world")
    for audio in (None, 5):
        with pytest.raises(ParameterError, match=r"^audio must be a file path, samples \(np.ndarray\) or a say\(\) "
                                                 rf"result, got {type(audio).__name__}$"):
            lipsync(audio)
    with pytest.raises(ParameterError, match=r"^sample_rate must be a number of Hz, got nan$"):
        lipsync(speech.audio, sample_rate=float("nan"))
    with pytest.raises(ParameterError, match=r"^audio samples must be integers or floats in \[-1, 1\], got dtype <U1$"):
        lipsync(np.array(["a", "b"]), sample_rate=SR)
    with pytest.raises(ParameterError, match=r"^text must be the transcript as a str, got int$"):
        lipsync(speech, text=5)
    r = lipsync(speech, text="hello world")
    assert len(r.track(fps=30)) == len(r.curves("ue", fps=30)[0]) < len(r.track())  # 30 fps, then the default 60
    for call in (lambda: r.track(fps=0), lambda: r.curves("ue", fps=0), lambda: r.curves("ue", fps=float("nan"))):
        with pytest.raises(ParameterError, match=r"^fps must be in \(0, 1000\], got (0|nan)$"):
            call()
