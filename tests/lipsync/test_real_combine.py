"""eval/lipsync/real_combine.py replays the closure combination on cached recognitions (issue #16
§3): the replay must give exactly what :func:`lipsync` gives, or every number tuned with it is
wrong. Checked on praatio's three real hand-labelled recordings."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _module(name, path):
    if name not in sys.modules:
        sys.path.insert(0, str(ROOT / "eval/lipsync"))
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def recorded():
    rs = _module("real_speech", ROOT / "eval/lipsync/real_speech.py")
    rc = _module("facemimic_eval_real_combine", ROOT / "eval/lipsync/real_combine.py")
    items = rs.praatio_items()
    return rc, items, rc.recognise(items)


def test_replay_equals_lipsync(recorded):
    """Shipped combination replayed = lipsync(); recogniser alone replayed = lipsync() without the
    detector; the detector did change something on these voices (so the two differ)."""
    from facemimic.lipsync.api import LipSyncOptions, lipsync
    from facemimic.lipsync.recognize import RecognizerOptions

    rc, items, data = recorded
    plain = LipSyncOptions(recognizer=RecognizerOptions(closure_detector=False))
    differ = 0
    for it in items:
        assert data["segments"][it.id], it.id  # speech was found and recognised
        direct = lipsync(it.audio, sample_rate=it.sample_rate)
        assert rc.replay(data, it.id, rc.shipped).cues == direct.cues
        alone = lipsync(it.audio, sample_rate=it.sample_rate, options=plain)
        assert rc.replay(data, it.id, rc.recogniser_only).cues == alone.cues
        differ += direct.cues != alone.cues
    assert differ >= 1


def test_replay_notices_a_changed_recording(recorded):
    """The cache is tied to its recordings: replaying one item's segments for another fails."""
    rc, items, data = recorded
    a, b = items[0], items[1]
    swapped = {"items": [(b.id, b.duration, b.phones, b.audio, b.sample_rate)],
               "segments": {b.id: data["segments"][a.id]}}
    with pytest.raises((AssertionError, IndexError)):
        rc.score(swapped, rc.shipped)
