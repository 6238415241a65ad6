"""Replay the closure combination (recogniser P/B/M + acoustic detector) on cached recognitions.

    python eval/lipsync/real_combine.py record SET      # SET: real, sonnet, fresh, fresh15, mfa, extra, mbrola, espeak, mbrola-tune, espeak-tune
    python eval/lipsync/real_combine.py score SET...    # shipped combination vs. candidates
    python eval/lipsync/real_combine.py grid SET...     # the detector settings of GRID
    python eval/lipsync/real_combine.py shape SET...    # frame-shape classifier P(A) as closure evidence (SHAPE_GRID)

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
    if name == "fresh":  # session 11's fresh held-out real set (scored in session 12 by nasal_veto.py)
        from real_speech import fresh_items
        return fresh_items()
    if name == "fresh15":  # session 15's fresh held-out real set (declared before tuning, scored once)
        from real_speech import fresh15_items
        return fresh15_items()
    if name == "mfa":
        from real_speech import train_items
        return train_items()
    if name == "extra":  # session 7's additional real training voices (tuning only)
        from real_speech import extra_train_items
        return extra_train_items()
    if "@sp" in name:  # session 9: "mfa@sp0.9", "extra@sp1.1": a real tuning set speed-perturbed
        base, factor = name.split("@sp")
        return [speed_perturbed(it, float(factor)) for it in items_of(base)]
    if name == "mbrola":
        return build_mbrola_items()
    if name == "espeak":
        return build_items()
    if name == "mbrola-tune":
        return build_mbrola_items(sentences=TUNING_SENTENCES[20:])
    if name == "espeak-tune":
        from train_bilabial import espeak_items
        return espeak_items(TUNING_SENTENCES[20:])
    lang = language_of(name)
    if name.startswith("tune-"):  # session 8: closure candidates in other languages, for tuning
        from train_frame_classes import ESPEAK_SELECT, MBROLA_SELECT, _fold_sentences, espeak_items, mbrola_items
        sentences = _fold_sentences(lang, "select")
        return ([it for v in MBROLA_SELECT[lang] for it in mbrola_items(v, lang, sentences)]
                + [it for var, r in ESPEAK_SELECT for it in espeak_items(lang, var, r, sentences)])
    if lang:  # "de", "de-held": the other languages' evaluation / held-out sets
        from facemimic.lipsync.evalset import build_language_items
        return build_language_items(lang, heldout=name.endswith("-held"))
    raise SystemExit(f"unknown set {name!r}")


def speed_perturbed(item, factor: float):
    """``item`` played ``factor`` times faster (resampled: pitch and formants move by ``factor``
    too, as Kaldi's speed perturbation does: another vocal tract, the same closures), its phone
    times divided by ``factor``; id ``"<id>@sp<factor>"`` (closure_classifier folds it with ``<id>``)."""
    import numpy as np
    from scipy.signal import resample_poly

    from facemimic.lipsync.evalset import EvalItem
    from facemimic.phonetics.phones import Phone

    up, down = 100, int(round(100 * factor))
    audio = np.clip(np.round(resample_poly(item.audio.astype(np.float64), up, down)), -32768, 32767).astype(np.int16)
    end = len(audio) / item.sample_rate
    phones = tuple(Phone(p.start / factor, min(p.end / factor, end), p.name, p.word)
                   for p in item.phones if p.start / factor < end - 1e-6)
    return EvalItem(f"{item.id}@sp{factor}", item.text, item.voice, audio, item.sample_rate, phones)


def language_of(name: str) -> str | None:
    """The language a recorded set is spoken in: "de" for ``de``, ``de-held``, ``tune-de``; None
    (``lipsync()``'s default, English) for the English sets."""
    code = name.removeprefix("tune-").removesuffix("-held")
    return code if code in ("de", "fr", "es", "it") else None


def recognise(items, language: str | None = None) -> dict:
    """Run :func:`lipsync` without a transcript on ``items`` once, keeping per speech segment the
    recogniser's phones, the detector's probabilities (T, 3), the offset and the closure options.

    Returns ``{"items": [(id, duration, truth phones, audio, sample rate)], "segments": {id: [...]}}``.
    """
    from facemimic.lipsync import bilabial, closure_candidates
    from facemimic.lipsync.api import lipsync

    segs: dict[str, list] = {}
    current: list = []
    original = bilabial.add_missed_closures

    def recorder(phones, prob, *, offset=0.0, options=None):
        current.append((list(phones), prob.astype("float32"), offset, options))
        return original(phones, prob, offset=offset, options=options)

    def classifier_recorder(phones, prob, mel, log_probs, *, offset=0.0, pcm=None):
        # English since session 8: the candidate classifier replaces add_missed_closures; record the
        # same inputs, with the detector's shipped options for replays of the detector combination
        # (the segment's audio, the place veto's since session 11, is cut again on replay)
        current.append((list(phones), prob.astype("float32"), offset, _detector_options()))
        return original_classifier(phones, prob, mel, log_probs, offset=offset, pcm=pcm)

    original_classifier = closure_candidates.classify_closures
    bilabial.add_missed_closures = recorder
    closure_candidates.classify_closures = classifier_recorder
    try:
        for it in items:
            current.clear()
            lipsync(it.audio, sample_rate=it.sample_rate, language=language)
            segs[it.id] = list(current)
    finally:
        bilabial.add_missed_closures = original
        closure_candidates.classify_closures = original_classifier
    return {"items": [(it.id, it.duration, it.phones, it.audio, it.sample_rate) for it in items], "segments": segs,
            "language": language}


def _detector_options():
    """The detector's shipped ClosureOptions, as ``recognize_phones`` builds them."""
    from facemimic.lipsync.bilabial import ClosureOptions, load_weights

    w = load_weights()
    return ClosureOptions(threshold=float(w["threshold"]), min_frames=int(w["min_frames"]),
                          peak=float(w.get("peak", 0.0)), veto=float(w.get("veto", 0.0)))


def record(name: str) -> Path:
    """Recognise every recording of set ``name`` once and pickle it into :func:`cache_dir`."""
    data = recognise(items_of(name), language_of(name))
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
def replayed(segments: list, combine, language: str | None = None):
    """Within the block, ``recognize_phones`` returns the cached segments in order, combined by
    ``combine(phones, prob, offset, options) -> phones`` (then, in other languages, re-labelled by
    the frame-shape classifier, as ``recognize_phones`` does)."""
    from facemimic.lipsync import recognize
    from facemimic.phonetics.languages import is_english
    from facemimic.phonetics.phones import merge_silence

    queue = list(segments)
    original = recognize.recognize_phones

    def fake(pcm, *, offset=0.0, options=None):
        phones, prob, off, copt = queue.pop(0)
        # the recogniser re-cuts each VAD segment around its speech (recognize.anchor_segment)
        cut, offset = recognize.anchor_segment(pcm, offset)
        assert abs(off - offset) < 1e-6, "segments out of step with the cache"
        SEGMENT["pcm"], SEGMENT["language"] = cut, language
        out = merge_silence(combine(phones, prob, off, copt))
        if language and not is_english(language) and recognize.FRAME_CLASSES:
            out = merge_silence(recognize.correct_shapes(out, cut, off))
        return out

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
            with replayed(data["segments"][id_], combine, data.get("language")):
                return lipsync(audio, sample_rate=sr, language=data.get("language"))
    raise KeyError(id_)


def tally(data: dict, combine, sc=None):
    """The :class:`~facemimic.lipsync.scoring.Score` counts of ``data`` replayed with ``combine``
    (added to ``sc`` when given: pooled sets)."""
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.scoring import Score, cues_to_frames

    sc = sc if sc is not None else Score()
    for id_, dur, truth, audio, sr in data["items"]:
        with replayed(data["segments"][id_], combine, data.get("language")):
            r = lipsync(audio, sample_rate=sr, language=data.get("language"))
        sc.add(list(truth), cues_to_frames(r.cues, dur), dur, list(r.phones))
    return sc


def score(data: dict, combine) -> dict:
    return tally(data, combine).summary()


def detector_combination(phones, prob, offset, copt):
    """The recogniser's P/B/M plus the detector's insertions (bilabial.add_missed_closures): what
    ships in de/fr/es/it, and what shipped in English until session 8 (every "shipped" number of
    docs/journal/lipsync.md before session 8's classifier)."""
    from facemimic.lipsync.bilabial import add_missed_closures
    return add_missed_closures(phones, prob, offset=offset, options=copt)


def shipped(phones, prob, offset, copt):
    """What ``recognize_phones`` does now: in English (and with FACEMIMIC_CLOSURE_CLASSIFIER on) the
    closure-candidate classifier (session 8, facemimic/lipsync/closure_candidates.py) on the
    replayed segment's own spectra, else :func:`detector_combination`."""
    from facemimic.lipsync import recognize
    from facemimic.lipsync.bilabial import WIN, log_mel
    from facemimic.phonetics.languages import is_english

    pcm, language = SEGMENT.get("pcm"), SEGMENT.get("language")
    if (recognize.CLOSURE_CLASSIFIER and pcm is not None and len(pcm) >= WIN
            and (language is None or is_english(language))):
        from facemimic.lipsync.closure_candidates import classify_closures
        from facemimic.lipsync.frame_classes import shape_log_probs

        mel = log_mel(pcm)
        return classify_closures(phones, prob, mel, shape_log_probs(pcm, mel=mel), offset=offset, pcm=pcm)
    return detector_combination(phones, prob, offset, copt)


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


_SHAPE_A: dict = {}  # P(shape A) per frame of a replayed segment, by its audio (computed once)


def closed_lips(pcm) -> "np.ndarray":
    """Per 10 ms frame of a re-cut segment: the frame-shape classifier's P(A) (closed lips), (T,).
    Same frames as the closure detector's (both from :func:`.bilabial.log_mel` of ``pcm``)."""
    import hashlib

    import numpy as np

    from facemimic.lipsync.frame_classes import SHAPES, shape_log_probs

    key = hashlib.sha1(np.ascontiguousarray(pcm).tobytes()).hexdigest()
    if key not in _SHAPE_A:
        _SHAPE_A[key] = np.exp(shape_log_probs(pcm)[:, SHAPES.index("A")])
    return _SHAPE_A[key]


def _evidence(pa, det, a: int, b: int, stat: str) -> float:
    """``stat`` of the closed-lip evidence over frames ``[a, b)``: "mean" or "max" of P(A), or
    "both": the mean of P(A)'s peak and the detector's peak (P/B + M probability)."""
    a, b = max(a, 0), min(b, len(pa))
    if b <= a:
        return 0.0
    if stat == "both":
        return float(0.5 * (pa[a:b].max() + det[a:b].max()))
    return float(pa[a:b].max() if stat == "max" else pa[a:b].mean())


def with_shape_evidence(stat: str, rec_level: float, ins_level: float, window: float = 0.02):
    """The shipped combination, each closure candidate vetoed unless the multilingual frame-shape
    classifier (facemimic/lipsync/frame_classes.py) hears closed lips there (issue #16 §3, session 7).

    A recognised P/B/M whose ``stat`` (:func:`_evidence`) of P(A) over its frames (``window`` s
    beyond each end) is below ``rec_level`` becomes T/D/N (as the detector's own veto does); a
    detector insertion whose ``stat`` of P(A) over the detected run is below ``ins_level`` is not
    inserted. Levels 0 keep every candidate of that kind (= :func:`detector_combination`).
    """
    import numpy as np

    from facemimic.lipsync.bilabial import (
        _NOT_BILABIAL,
        BILABIALS,
        HOP,
        SR,
        add_missed_closures,
        detections,
    )
    from facemimic.phonetics.phones import Phone

    def combine(phones, prob, offset, copt):
        pa = closed_lips(SEGMENT["pcm"])
        det = prob[:, 1] + prob[:, 2]
        out = list(phones)
        if rec_level > 0:
            k = int(round(window * SR / HOP))
            for i, ph in enumerate(out):
                if ph.name in BILABIALS:
                    a = int((ph.start - offset) * SR / HOP) - k
                    b = int(np.ceil((ph.end - offset) * SR / HOP)) + k
                    if _evidence(pa, det, a, b, stat) < rec_level:
                        out[i] = Phone(ph.start, ph.end, _NOT_BILABIAL[ph.name], ph.word)
        if ins_level > 0:
            prob = prob.copy()
            for a, b, _ in detections(prob, copt):
                if _evidence(pa, det, a, b, stat) < ins_level:
                    # silence this run only: zeroing can shrink or drop detections, never add one
                    prob[a:b, 0], prob[a:b, 1:] = 1.0, 0.0
        return add_missed_closures(out, prob, offset=offset, options=copt)
    return combine


#: Session 7 (L3): the frame-shape evidence swept on the tuning sets: statistic x recognised-P/B/M
#: level x insertion level (0 = keep every candidate of that kind).
SHAPE_LEVELS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)
SHAPE_GRID = [(st, r, i) for st in ("mean", "max", "both") for r in SHAPE_LEVELS for i in SHAPE_LEVELS]


def select_shape(data: dict, log=print) -> tuple:
    """Session 7's rule (/work/notes/s7/l3-rule.md), on the tuning sets ``data`` (mfa, extra,
    mbrola-tune, espeak-tune): among the :data:`SHAPE_GRID` settings keeping mbrola-tune closure
    recall >= 90, espeak-tune and mfa closure recall >= shipped - 2 and pooled mfa+extra macro
    recall >= shipped - 1, the best pooled mfa+extra closure precision (ties: recall, then lower
    levels). Returns the chosen ``(stat, rec_level, ins_level)``."""
    rows = []
    for setting in SHAPE_GRID:
        f = with_shape_evidence(*setting)
        real = tally(data["extra"], f, tally(data["mfa"], f))
        r = {"setting": setting, "real": real, "mfa": score(data["mfa"], f),
             "mbrola-tune": score(data["mbrola-tune"], f), "espeak-tune": score(data["espeak-tune"], f)}
        rows.append(r)
        log(f"{setting} mfa+extra {real.macro_recall:.1f} {real.closure_recall:.1f}/{real.closure_precision:.1f}"
            f" | mfa {r['mfa']['closure_recall']}/{r['mfa']['closure_precision']}"
            f" | mbrola-tune {r['mbrola-tune']['closure_recall']}/{r['mbrola-tune']['closure_precision']}"
            f" | espeak-tune {r['espeak-tune']['closure_recall']}/{r['espeak-tune']['closure_precision']}")
    base = next(r for r in rows if r["setting"][1:] == (0.0, 0.0))
    ok = [r for r in rows if r["mbrola-tune"]["closure_recall"] >= 90
          and r["espeak-tune"]["closure_recall"] >= base["espeak-tune"]["closure_recall"] - 2
          and r["mfa"]["closure_recall"] >= base["mfa"]["closure_recall"] - 2
          and r["real"].macro_recall >= base["real"].macro_recall - 1]
    best = max(ok, key=lambda r: (round(r["real"].closure_precision, 6), round(r["real"].closure_recall, 6),
                                  -(r["setting"][1] + r["setting"][2])))
    log(f"admissible {len(ok)} of {len(rows)}; pick {best['setting']}")
    return best["setting"]


# round 7 (docs/journal/lipsync.md, Real voices): the grid swept on the tuning sets (mfa, mbrola-tune,
# espeak-tune); threshold x min_frames x peak x veto, the shipped weights' own being 0.5, 3, 0.6, 0
GRID = [(th, mf, pk, v) for th in (0.5, 0.7, 0.9) for mf in (3, 5) for pk in (0.6, 0.9, 0.97) for v in (0.0, 0.3)]


def print_grid(names, grid, label: str, combination) -> None:
    """One line per setting of ``grid``: macro recall and closure recall/precision on each recorded
    set of ``names`` with ``combination(*setting)`` (``with_settings`` or ``with_shape_evidence``)."""
    data = {n: load(n) for n in names}
    for setting in grid:
        row = [label.format(*setting)]
        for n, d in data.items():
            s = score(d, combination(*setting))
            row.append(f"{n} {s['macro_recall']:.1f} {s['closure_recall']:.1f}/{s['closure_precision']:.1f}")
        print(" | ".join(row), flush=True)

if __name__ == "__main__":
    cmd, *names = sys.argv[1:]
    if cmd == "record":
        for n in names:
            print(record(n), flush=True)
    elif cmd == "grid":  # python eval/lipsync/real_combine.py grid mfa mbrola-tune espeak-tune
        print_grid(names, GRID, "threshold {} min_frames {} peak {} veto {}", with_settings)
    elif cmd == "select-shape":  # python eval/lipsync/real_combine.py select-shape (tuning sets only)
        select_shape({n: load(n) for n in ("mfa", "extra", "mbrola-tune", "espeak-tune")})
    elif cmd == "shape":  # python eval/lipsync/real_combine.py shape mfa extra mbrola-tune espeak-tune
        print_grid(names, SHAPE_GRID, "stat {} rec {} ins {}", with_shape_evidence)
    else:
        for n in names:
            d = load(n)
            for label, f in (("shipped", shipped), ("detector", detector_combination), ("recogniser", recogniser_only)):
                s = score(d, f)
                print(n, label, s["macro_recall"], s["closure_recall"], s["closure_precision"])
