"""Lip-sync fixtures: the speech subset (``speech_items``, tests/conftest.py) aligned with its
transcript and recognised without one, once per session."""

from __future__ import annotations

import pytest

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
