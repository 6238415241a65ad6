"""Shared lip-sync fixtures: real speech from FaceMimic's own espeak-ng voice with exact phones.

Synthesis takes milliseconds, so a small subset of the evaluation set (3 sentences, 3 voices) is
built once per session and written to WAV files that the file-based tests read back with PyAV.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SUBSET = ["s04", "s07", "s10"]  # chicken leg / box thrown (bilabials) / pass me the bread (pauses)


@pytest.fixture(scope="session")
def speech_items():
    from facemimic.lipsync.evalset import build_items

    return build_items(SUBSET)


@pytest.fixture(scope="session")
def speech_wavs(speech_items, tmp_path_factory) -> dict[str, Path]:
    """id -> WAV path (16 kHz mono) of each subset sentence."""
    from facemimic.common.audio import write_wav

    folder = tmp_path_factory.mktemp("speech")
    return {it.id: write_wav(folder / f"{it.id}.wav", it.audio, it.sample_rate) for it in speech_items}


@pytest.fixture(scope="session")
def aligned(speech_items):
    """id -> LipSyncResult with the transcript (forced alignment)."""
    from facemimic.lipsync.api import lipsync

    return {it.id: lipsync(it.audio, sample_rate=it.sample_rate, text=it.text) for it in speech_items}


@pytest.fixture(scope="session")
def recognized(speech_items):
    """id -> LipSyncResult without a transcript (VAD + phone recognition)."""
    from facemimic.lipsync.api import lipsync

    return {it.id: lipsync(it.audio, sample_rate=it.sample_rate) for it in speech_items}
