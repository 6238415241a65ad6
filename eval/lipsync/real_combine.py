"""Replay the closure combination (recogniser P/B/M + acoustic detector) on cached recognitions.

    python eval/lipsync/real_combine.py record SET      # SET: real, sonnet, mfa, extra, mbrola, espeak, mbrola-tune, espeak-tune
    python eval/lipsync/real_combine.py score SET...    # shipped combination vs. candidates
    python eval/lipsync/real_combine.py grid SET...     # the detector settings of GRID

Recognition (pocketsphinx) is the slow part of lip sync without a transcript; the way its phones
and the detector's per-frame probabilities are combined is cheap. ``record`` runs :func:`lipsync`
once per recording and keeps, for every speech segment, the recogniser's phones, the detector's
probabilities and the segment's offset (pickled into ``$FACEMIMIC_COMBINE_CACHE``, default
``/tmp/facemimic-combine``); ``score`` re-runs :func:`lipsync` with the recogniser replaced by
the cache and any combination function, so a combination rule can be tuned on the tuning sets
(MFA's real recordings, MBROLA/espeak tuning sentences t21-t40) and then scored once on the
held-out ones (real, MBROLA and espeak evaluation sets).
"""

from __future__ import annotations

import os
import pickle
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)


def cache_dir() -> Path:
    return Path(os.environ.get("FACEMIMIC_COMBINE_CACHE", "/tmp/facemimic-combine"))


def items_of(name: str):
    from facemimic.lipsync.evalset import TUNING_SENTENCES, build_items, build_mbrola_items

    if name == "real":
        from real_speech import heldout_items
        return heldout_items()
    if name == "sonnet":
        from real_speech import sonnet_items
        return sonnet_items()
    if name == "mfa":
        from real_speech import train_items
        return train_items()
    if name == "extra":  # session 7's additional real training voices (tuning only)
        from real_speech import extra_train_items
        return extra_train_items()
    if name == "mbrola":
        return build_mbrola_items()
    if name == "espeak":
        return build_items()
    if name == "mbrola-tune":
        return build_mbrola_items(sentences=TUNING_SENTENCES[20:])
    if name == "espeak-tune":
        from train_bilabial import espeak_items
        return espeak_items(TUNING_SENTENCES[20:])
    raise SystemExit(f"unknown set {name!r}")


def recognise(items) -> dict:
    """Run :func:`lipsync` without a transcript on ``items`` once, keeping per speech segment the
    recogniser's phones, the detector's probabilities (T, 3), the offset and the closure options.

    Returns ``{"items": [(id, duration, truth phones, audio, sample rate)], "segments": {id: [...]}}``.
    """
    from facemimic.lipsync import bilabial
    from facemimic.lipsync.api import lipsync

    segs: dict[str, list] = {}
    current: list = []
    original = bilabial.add_missed_closures

    def recorder(phones, prob, *, offset=0.0, options=None):
        current.append((list(phones), prob.astype("float32"), offset, options))
        return original(phones, prob, offset=offset, options=options)

    bilabial.add_missed_closures = recorder
    try:
        for it in items:
            current.clear()
            lipsync(it.audio, sample_rate=it.sample_rate)
            segs[it.id] = list(current)
    finally:
        bilabial.add_missed_closures = original
    return {"items": [(it.id, it.duration, it.phones, it.audio, it.sample_rate) for it in items], "segments": segs}


def record(name: str) -> Path:
    """Recognise every recording of set ``name`` once and pickle it into :func:`cache_dir`."""
    data = recognise(items_of(name))
    cache_dir().mkdir(parents=True, exist_ok=True)
    out = cache_dir() / f"{name}.pkl"
    with open(out, "wb") as f:
        pickle.dump(data, f)
    return out


def load(name: str) -> dict:
    with open(cache_dir() / f"{name}.pkl", "rb") as f:
        return pickle.load(f)


#: The re-cut speech segment (int16 PCM) being replayed, for combinations that recompute features.
SEGMENT: dict = {}


def segment_audio(audio, sr: int, offset: float, n_frames: int):
    """The ``n_frames`` x 10 ms of ``audio`` from time ``offset`` (which may lie before the file's
    start: the recogniser's re-cut segments carry up to 86.6 ms of silence before their speech),
    zeros outside the file."""
    import numpy as np

    n = n_frames * 160
    out = np.zeros(n, np.int16)
    i0 = int(round(offset * sr))
    a, b = max(i0, 0), min(i0 + n, len(audio))
    if b > a:
        out[a - i0:b - i0] = audio[a:b]
    return out


@contextmanager
def replayed(segments: list, combine):
    """Within the block, ``recognize_phones`` returns the cached segments in order, combined by
    ``combine(phones, prob, offset, options) -> phones``."""
    from facemimic.lipsync import recognize
    from facemimic.phonetics.phones import merge_silence

    queue = list(segments)
    original = recognize.recognize_phones

    def fake(pcm, *, offset=0.0, options=None):
        phones, prob, off, copt = queue.pop(0)
        # the recogniser re-cuts each VAD segment around its speech (recognize.anchor_segment)
        cut, offset = recognize.anchor_segment(pcm, offset)
        assert abs(off - offset) < 1e-6, "segments out of step with the cache"
        SEGMENT["pcm"] = cut
        return merge_silence(combine(phones, prob, off, copt))

    recognize.recognize_phones = fake
    try:
        yield
    finally:
        recognize.recognize_phones = original


def replay(data: dict, id_: str, combine):
    """The :class:`LipSyncResult` of recording ``id_`` with the cached recognition and ``combine``."""
    from facemimic.lipsync.api import lipsync

    for i, dur, truth, audio, sr in data["items"]:
        if i == id_:
            with replayed(data["segments"][id_], combine):
                return lipsync(audio, sample_rate=sr)
    raise KeyError(id_)


def score(data: dict, combine) -> dict:
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.scoring import Score, cues_to_frames

    sc = Score()
    for id_, dur, truth, audio, sr in data["items"]:
        with replayed(data["segments"][id_], combine):
            r = lipsync(audio, sample_rate=sr)
        sc.add(list(truth), cues_to_frames(r.cues, dur), dur, list(r.phones))
    return sc.summary()


def shipped(phones, prob, offset, copt):
    from facemimic.lipsync.bilabial import add_missed_closures
    return add_missed_closures(phones, prob, offset=offset, options=copt)


def recogniser_only(phones, prob, offset, copt):
    return phones


def with_settings(threshold: float, min_frames: int, peak: float, veto: float):
    """The shipped combination with other detector settings (bilabial.ClosureOptions)."""
    import dataclasses

    from facemimic.lipsync.bilabial import add_missed_closures

    def combine(phones, prob, offset, copt):
        c = dataclasses.replace(copt, threshold=threshold, min_frames=min_frames, peak=peak, veto=veto)
        return add_missed_closures(phones, prob, offset=offset, options=c)
    return combine


# round 7 (docs/lipsync.md, Real voices): the grid swept on the tuning sets (mfa, mbrola-tune,
# espeak-tune); threshold x min_frames x peak x veto, the shipped weights' own being 0.5, 3, 0.6, 0
GRID = [(th, mf, pk, v) for th in (0.5, 0.7, 0.9) for mf in (3, 5) for pk in (0.6, 0.9, 0.97) for v in (0.0, 0.3)]


if __name__ == "__main__":
    cmd, *names = sys.argv[1:]
    if cmd == "record":
        for n in names:
            print(record(n), flush=True)
    elif cmd == "grid":  # python eval/lipsync/real_combine.py grid mfa mbrola-tune espeak-tune
        data = {n: load(n) for n in names}
        for setting in GRID:
            row = [f"threshold {setting[0]} min_frames {setting[1]} peak {setting[2]} veto {setting[3]}"]
            for n, d in data.items():
                s = score(d, with_settings(*setting))
                row.append(f"{n} {s['macro_recall']:.1f} {s['closure_recall']:.1f}/{s['closure_precision']:.1f}")
            print(" | ".join(row), flush=True)
    else:
        for n in names:
            d = load(n)
            for label, f in (("shipped", shipped), ("recogniser", recogniser_only)):
                s = score(d, f)
                print(n, label, s["macro_recall"], s["closure_recall"], s["closure_precision"])
