"""16-bit mono 16 kHz WAV files are read with the standard library (no PyAV import at start-up):
the same samples and duration as PyAV gives, whole or truncated; other files still go to PyAV."""

from __future__ import annotations

import numpy as np
import pytest

import facemimic.common.audio as audio


def _both(path, monkeypatch):
    fast = np.concatenate(list(audio.iter_audio(path, block=1.0)))
    info = audio.audio_info(path)
    with monkeypatch.context() as m:
        m.setattr(audio, "_plain_wav", lambda p, sample_rate=16000: None)  # PyAV only
        slow = np.concatenate(list(audio.iter_audio(path, block=1.0)))
        slow_info = audio.audio_info(path)
    return fast, info, slow, slow_info


def test_plain_wav_reads_like_pyav(speech_wavs, monkeypatch):
    path = speech_wavs["s10"]
    assert audio._plain_wav(path) is not None
    fast, info, slow, slow_info = _both(path, monkeypatch)
    assert fast.dtype == np.int16 and np.array_equal(fast, slow)
    assert info == slow_info


@pytest.mark.parametrize("keep", [20001, 30000])
def test_truncated_plain_wav_keeps_what_is_there(speech_wavs, tmp_path, monkeypatch, keep):
    cut = tmp_path / "cut.wav"
    cut.write_bytes(speech_wavs["s10"].read_bytes()[:keep])
    fast, info, slow, slow_info = _both(cut, monkeypatch)
    assert np.array_equal(fast, slow) and len(fast) == (keep - 44) // 2
    assert info["duration"] == pytest.approx(slow_info["duration"], abs=1e-3)


def test_other_wavs_go_through_pyav(tmp_path):
    cd = audio.write_wav(tmp_path / "44k.wav", np.zeros(4410, np.int16), 44100)
    assert audio._plain_wav(cd) is None  # 44.1 kHz: resampled by PyAV
    assert audio.audio_info(cd)["sample_rate"] == 44100
    assert len(np.concatenate(list(audio.iter_audio(cd)))) == 1600
    text = tmp_path / "x.wav"
    text.write_text("not audio")
    assert audio._plain_wav(text) is None
