"""Train the frame-shape classifier (facemimic/lipsync/frame_classes_weights.npz) and choose its bonus.

    nice python eval/lipsync/train_frame_classes.py [--out PATH] [--epochs 12] [--cache /tmp/l1]

Data (all with exact phone truth, none of it an evaluation or held-out sentence, none spoken by
an evaluation voice — de1/de2, fr1/fr4, es1/es2, it3/it4, us1-us3 are never used):

* MBROLA voices that no evaluation set uses: de3-de7, fr2 fr3 fr5-fr7 ca1, es3 es4 mx1 mx2 vz1,
  it1 it2, en1, nl2, pt1 (Debian ``mbrola-*``: ``apt-get install mbrola-de3 mbrola-de4 mbrola-de5
  mbrola-de6 mbrola-de7 mbrola-fr2 mbrola-fr3 mbrola-fr5 mbrola-fr6 mbrola-fr7 mbrola-ca1
  mbrola-es3 mbrola-es4 mbrola-mx1 mbrola-mx2 mbrola-vz1 mbrola-it1 mbrola-it2 mbrola-en1
  mbrola-nl2 mbrola-pt1``), their frames counted ``MBROLA_WEIGHT`` times, reading the prose of
  :mod:`facemimic.phonetics.corpus` (de fr es it; Dutch and Portuguese voices read the German and
  Spanish prose by their own rules), English ones the 40 tuning sentences
  (``evalset.TUNING_SENTENCES``), truth from the ``.pho`` files (SAMPA -> IPA -> ARPAbet);
* FaceMimic's own espeak-ng voice (``voice.say``) in de fr es it pt nl en-us with several
  variants and rates, truth from its phoneme events;
* real English speech: the MFA recordings of ``eval/lipsync/real_speech.py``'s *training*
  split (pocketsphinx's stock alignment), repeated ``REAL_WEIGHT`` times.

Each recording is cut by the run-time VAD and re-cut by ``recognize.anchor_segment`` exactly as
``lipsync()`` does; each 10 ms frame is labelled with the canonical shape (spec §4 table) of the
true phone under its window centre.

Honest setting (fixed before any evaluation set was scored): a first network is trained on the
*training fold* — every voice but MBROLA de5, fr3, es4, it2 and espeak's ``+m3`` variant, and
prose sentences k with k % 4 != 3 — plus the even MFA recordings; the bonus ``keep_bonus``
(nats per frame in favour of the phone loop's own shape) is then chosen on the *selection fold*
(those held-out voices reading sentences k % 4 == 3, and the odd MFA recordings) by running the
whole no-transcript pipeline and scoring it (spec §4): RULE below. The final network is trained
on everything with the chosen bonus. Deterministic (fixed seeds); ~10 minutes on a busy 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SEED = 0
HIDDEN = (128, 64)
REAL_WEIGHT = 3  # the MFA frames are few (~4 minutes): each counts this many times
MBROLA_WEIGHT = 2  # MBROLA's recorded diphones are closer to real voices than espeak-ng's formants
MBROLA_TRAIN = {"de": ("de4", "de3", "de6", "de7"), "fr": ("fr2", "fr5", "fr6", "fr7", "ca1"),
                "es": ("es3", "mx1", "mx2", "vz1"), "it": ("it1",)}
MBROLA_SELECT = {"de": ("de5",), "fr": ("fr3",), "es": ("es4",), "it": ("it2",)}
MBROLA_OTHER = (("en1", "en"), ("nl2", "de"), ("pt1", "es"))  # (voice, prose it reads)
ESPEAK_TRAIN = (("+m1", 160), ("+f2", 185), ("+klatt", 175))
ESPEAK_SELECT = (("+m3", 170),)
ESPEAK_LANGS = ("de", "fr", "es", "it")
ESPEAK_OTHER = (("pt", "es"), ("nl", "de"))  # (voice language, prose it reads)
BONUSES = (math.inf, 1.0, 0.6, 0.4, 0.25, 0.15, 0.08, 0.0)
SCOPES = ("all", "vowels")  # which recognised phones may be re-labelled
SETTINGS = [(b, s) for s in SCOPES for b in BONUSES if not (s == "vowels" and math.isinf(b))]
# RULE (fixed before the evaluation sets were scored): on the selection fold, the setting (bonus,
# scope) with the best mean macro recall over de fr es it (MBROLA + espeak) among those that lose
# no more than 1 point of macro recall in any of those groups and on the MFA recordings, nor any
# closure recall, against the loop alone (inf). (Round 1 of this script offered only scope "all":
# it lost 1-1.5 points on MBROLA fr3/es4 at every bonus, so the loop alone was kept; the
# "vowels" scope, more MBROLA voices and MBROLA_WEIGHT were added before any evaluation set was scored.)
MAX_LOSS = 1.0


def _sentences(text: str) -> list[str]:
    parts = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    return [" ".join(parts[i:i + 2]) for i in range(0, len(parts), 2)]  # two per utterance


def _prose(lang: str) -> list[str]:
    from facemimic.lipsync.evalset import TUNING_SENTENCES

    if lang == "en":
        return [" ".join(s for _, s in TUNING_SENTENCES[i:i + 2]) for i in range(0, len(TUNING_SENTENCES), 2)]
    from facemimic.phonetics.corpus import corpus_text

    return _sentences(corpus_text(lang))


def _fold_sentences(lang: str, fold: str | None) -> list[tuple[int, str]]:
    s = list(enumerate(_prose(lang)))
    if fold == "train":
        return [(k, t) for k, t in s if k % 4 != 3]
    if fold == "select":
        return [(k, t) for k, t in s if k % 4 == 3]
    return s


def mbrola_items(voice: str, lang: str, sentences, rate=None):
    import tempfile

    from facemimic.lipsync.evalset import _mbrola_item, _sampa_names

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, text in sentences:
            try:
                out.append(_mbrola_item(f"{voice}-{k}", text, voice, Path(tmp), 16000, rate, names_of=_sampa_names))
            except Exception as e:  # a voice missing a diphone file: skip the sentence, say so
                print(f"  skip {voice} {k}: {e}", file=sys.stderr)
    return out


def espeak_items(lang: str, variant: str, rate: int, sentences):
    from facemimic.lipsync.evalset import spoken_item
    from facemimic.voice import VoiceOptions

    voice = ("en-us" if lang == "en" else lang) + variant
    options = VoiceOptions(voice=voice, rate=rate, lead_silence=0.2, trail_silence=0.15)
    return [spoken_item(f"es-{voice}-{k}", text, options) for k, text in sentences]


def corpus(fold: str | None) -> dict[str, list]:
    """Items by group name. ``fold``: "train", "select" or None (everything, for the final net)."""
    groups: dict[str, list] = {}
    tr = fold in ("train", None)
    se = fold in ("select", None)
    for lang in ESPEAK_LANGS:
        if tr:
            groups[f"mbrola-{lang}"] = [it for v in MBROLA_TRAIN[lang]
                                        for it in mbrola_items(v, lang, _fold_sentences(lang, fold and "train"))]
            groups[f"espeak-{lang}"] = [it for var, r in ESPEAK_TRAIN
                                        for it in espeak_items(lang, var, r, _fold_sentences(lang, fold and "train"))]
        if se:
            sel = "select" if fold else None
            groups[f"sel-mbrola-{lang}" if fold else f"mbrola2-{lang}"] = [
                it for v in MBROLA_SELECT[lang] for it in mbrola_items(v, lang, _fold_sentences(lang, sel))]
            groups[f"sel-espeak-{lang}" if fold else f"espeak2-{lang}"] = [
                it for var, r in ESPEAK_SELECT for it in espeak_items(lang, var, r, _fold_sentences(lang, sel))]
    if tr:
        for voice, lang in MBROLA_OTHER:
            groups[f"mbrola-{voice}"] = mbrola_items(voice, lang, _fold_sentences(lang, None))
        for vlang, lang in ESPEAK_OTHER:
            groups[f"espeak-{vlang}"] = [it for var, r in ESPEAK_TRAIN[:2]
                                         for it in espeak_items(vlang, var, r, _fold_sentences(lang, None))]
        groups["espeak-en"] = [it for var, r in ESPEAK_TRAIN[:3] for it in espeak_items("en", var, r, _fold_sentences("en", None))]
    real = _real_items()
    if tr:
        groups["mfa"] = real[0::2] if fold else real
    if fold == "select":
        groups["sel-mfa"] = real[1::2]
    return groups


def _real_items():
    sys.path.insert(0, str(ROOT / "eval" / "lipsync"))
    import real_speech

    return sorted(real_speech.train_items(), key=lambda it: it.id)


def segments(item):
    """(start_sample, pcm) of each VAD segment, re-cut by anchor_segment as lipsync() does."""
    from facemimic.lipsync.recognize import anchor_segment
    from facemimic.lipsync.vad import SpeechSegmenter

    seg = SpeechSegmenter()
    out = []
    for start, x in list(seg.push(item.audio)) + list(seg.flush()):
        if len(x) < 800:
            continue
        y, t0 = anchor_segment(x, start / 16000)
        out.append((t0, y))
    return out


def frame_labels(item, t0: float, n: int) -> np.ndarray:
    """Shape index per frame: the canonical shape of the truth under each window's centre."""
    from facemimic.lipsync.bilabial import HOP, SR, WIN
    from facemimic.lipsync.frame_classes import SHAPES
    from facemimic.lipsync.scoring import phones_to_frames

    truth = phones_to_frames(list(item.phones), item.duration)
    centres = t0 + (np.arange(n) * HOP + WIN / 2) / SR
    k = np.clip((centres / 0.01).astype(int), 0, len(truth) - 1)
    lab = np.array([SHAPES.index(s) for s in truth[k]])
    lab[(centres < 0) | (centres >= item.duration)] = SHAPES.index("X")
    return lab


def dataset(groups: dict[str, list]):
    from facemimic.lipsync.bilabial import log_mel
    from facemimic.lipsync.frame_classes import context_features

    xs, ys = [], []
    for name, items in groups.items():
        if name.startswith("sel-"):
            continue
        rep = REAL_WEIGHT if name == "mfa" else MBROLA_WEIGHT if name.startswith("mbrola") else 1
        for it in items:
            for t0, pcm in segments(it):
                f = context_features(log_mel(pcm))
                lab = frame_labels(it, t0, len(f))
                for _ in range(rep):
                    xs.append(f)
                    ys.append(lab)
    return np.concatenate(xs), np.concatenate(ys)


def train(x: np.ndarray, y: np.ndarray, *, epochs: int, seed: int = SEED, batch: int = 512) -> dict[str, np.ndarray]:
    """Two hidden ReLU layers + softmax over the 9 shapes; Adam; class-balanced cross-entropy
    (macro recall weighs every shape alike); L2; learning rate halved for the last third."""
    rng = np.random.default_rng(seed)
    mu, sd = x.mean(0), x.std(0) + 1e-3
    xn = ((x - mu) / sd).astype(np.float32)
    d, (h1, h2), c = xn.shape[1], HIDDEN, 9
    p = {"w1": rng.normal(0, np.sqrt(2 / d), (d, h1)), "b1": np.zeros(h1),
         "w2": rng.normal(0, np.sqrt(2 / h1), (h1, h2)), "b2": np.zeros(h2),
         "w3": rng.normal(0, np.sqrt(1 / h2), (h2, c)), "b3": np.zeros(c)}
    p = {k: v.astype(np.float32) for k, v in p.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    counts = np.bincount(y, minlength=c).astype(np.float64)
    cw = (counts.sum() / (c * np.maximum(counts, 1))).astype(np.float32)
    cw = np.minimum(cw, 10.0)
    l2, step = 1e-5, 0
    for ep in range(epochs):
        lr = 1e-3 if ep < 2 * epochs // 3 else 3e-4
        order = rng.permutation(len(xn))
        tot = 0.0
        for i in range(0, len(order), batch):
            b = order[i:i + batch]
            xb, yb = xn[b], y[b]
            z1 = xb @ p["w1"] + p["b1"]
            a1 = np.maximum(z1, 0)
            z2 = a1 @ p["w2"] + p["b2"]
            a2 = np.maximum(z2, 0)
            z = a2 @ p["w3"] + p["b3"]
            z -= z.max(1, keepdims=True)
            e = np.exp(z)
            pr = e / e.sum(1, keepdims=True)
            w = cw[yb]
            tot += float(-(w * np.log(pr[np.arange(len(b)), yb] + 1e-9)).sum())
            g = pr
            g[np.arange(len(b)), yb] -= 1
            g *= (w / w.sum())[:, None]
            grads = {"w3": a2.T @ g, "b3": g.sum(0)}
            g2 = (g @ p["w3"].T) * (z2 > 0)
            grads.update(w2=a1.T @ g2, b2=g2.sum(0))
            g1 = (g2 @ p["w2"].T) * (z1 > 0)
            grads.update(w1=xb.T @ g1, b1=g1.sum(0))
            step += 1
            for k in p:
                gk = grads[k] + (l2 * p[k] if k.startswith("w") else 0)
                m[k] = 0.9 * m[k] + 0.1 * gk
                v2[k] = 0.999 * v2[k] + 0.001 * gk * gk
                p[k] -= lr * (m[k] / (1 - 0.9 ** step)) / (np.sqrt(v2[k] / (1 - 0.999 ** step)) + 1e-8)
        print(f"  epoch {ep + 1}/{epochs}: loss {tot / len(order):.3f}", flush=True)
    return {"mu": mu.astype(np.float32), "sd": sd.astype(np.float32), **p}


def frame_recall(w, x, y) -> float:
    from facemimic.lipsync.frame_classes import forward

    pred = forward(x, w).argmax(1)
    rec = [np.mean(pred[y == k] == k) for k in range(9) if np.any(y == k)]
    return 100 * float(np.mean(rec))


def pipeline_scores(w, groups: dict[str, list], settings) -> dict[str, dict[tuple, dict]]:
    """Per group and bonus: spec §4 scores of the no-transcript pipeline, the loop decoded once."""
    import facemimic.lipsync.recognize as rec
    from facemimic.lipsync import frame_classes as fc
    from facemimic.lipsync.api import from_phones, lipsync
    from facemimic.lipsync.scoring import Score, cues_to_frames

    captured: list = []

    def capture(phones, pcm, offset, mel=None):
        captured.append((list(phones), fc.shape_log_probs(pcm, w), offset))
        return list(phones)

    out: dict[str, dict[float, dict]] = {}
    saved = rec.correct_shapes
    rec.correct_shapes = capture
    try:
        for name, items in groups.items():
            lang = name.rsplit("-", 1)[-1]
            code = None if lang in ("mfa", "en") else lang
            runs = []
            for it in items:
                captured.clear()
                lipsync(it.audio, sample_rate=it.sample_rate, language=code)
                runs.append((it, list(captured)))
            out[name] = {}
            for b, scope in settings:
                sc = Score()
                for it, segs in runs:
                    phones = [q for ph, lp, off in segs for q in fc.rescore_phones(
                        ph, lp, offset=off, keep_bonus=b, vowels_only=scope == "vowels")]
                    r = from_phones(phones, it.duration)
                    sc.add(list(it.phones), cues_to_frames(r.cues, it.duration), it.duration, list(r.phones))
                out[name][(b, scope)] = sc.summary()
    finally:
        rec.correct_shapes = saved
    return out


def choose(scores: dict[str, dict[tuple, dict]]) -> tuple[float, str]:
    langs = [g for g in scores if g != "sel-mfa"]
    base = {g: scores[g][(math.inf, "all")] for g in scores}
    best, best_mean = (math.inf, "all"), None
    for b in SETTINGS:
        ok = all(scores[g][b]["macro_recall"] >= base[g]["macro_recall"] - MAX_LOSS and
                 scores[g][b]["closure_recall"] >= base[g]["closure_recall"] for g in scores)
        mean = float(np.mean([scores[g][b]["macro_recall"] for g in langs]))
        print(f"  {b}: mean macro {mean:.1f} " + " ".join(
            f"{g[4:]} {scores[g][b]['macro_recall']:.1f}/{scores[g][b]['closure_recall']:.0f}" for g in scores)
            + ("" if ok else "  (loses)"), flush=True)
        if ok and (best_mean is None or mean > best_mean):
            best, best_mean = b, mean
    return best


def cached(cache: Path, name: str, build):
    path = cache / f"{name}.npz"
    if path.exists():
        with np.load(path) as z:
            return z["x"], z["y"]
    x, y = build()
    np.savez(path, x=x, y=y)
    return x, y


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    from facemimic.lipsync.frame_classes import WEIGHTS_PATH

    ap.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/l1/frame-classes"))
    ap.add_argument("--bonus", type=float, default=None, help="skip the selection, use this bonus")
    ap.add_argument("--scope", choices=SCOPES, default="all", help="with --bonus: which phones may change")
    args = ap.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    if args.bonus is None:
        print("selection: training fold", flush=True)
        tr = corpus("train")
        x, y = cached(args.cache, "train-fold", lambda: dataset(tr))
        print(f"  {len(x)} frames, {time.perf_counter() - t:.0f} s", flush=True)
        fold_net = args.cache / f"train-fold-net-{args.epochs}.npz"
        if fold_net.exists():
            with np.load(fold_net) as z:
                w = {k: z[k] for k in z.files}
        else:
            w = train(x, y, epochs=args.epochs)
            np.savez(fold_net, **w)
        sel = corpus("select")
        xs, ys = dataset({g[4:]: v for g, v in sel.items()})
        print(f"  frame macro recall, selection fold: {frame_recall(w, xs, ys):.1f}", flush=True)
        scores = pipeline_scores(w, sel, SETTINGS)
        bonus, scope = choose(scores)
        (args.cache / "selection.json").write_text(json.dumps(
            {g: {f"{b[0]} {b[1]}": s for b, s in v.items()} for g, v in scores.items()}, indent=1))
        print(f"chosen keep_bonus {bonus}, scope {scope} ({time.perf_counter() - t:.0f} s)", flush=True)
    else:
        bonus, scope = args.bonus, args.scope
    print("final: every voice and sentence", flush=True)
    x, y = cached(args.cache, "all", lambda: dataset(corpus(None)))
    print(f"  {len(x)} frames", flush=True)
    w = train(x, y, epochs=args.epochs)
    w["keep_bonus"] = np.float32(bonus)
    w["vowels_only"] = np.bool_(scope == "vowels")
    from facemimic.common.files import AtomicFile

    with AtomicFile(args.out, "wb") as f:
        np.savez_compressed(f.file, **w)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, {time.perf_counter() - t:.0f} s)")
    if args.out.resolve() == WEIGHTS_PATH.resolve():  # the shipped file: its checksum goes into the manifest
        from facemimic.common.assets import record_checksums

        record_checksums([WEIGHTS_PATH], fix="reinstall FaceMimic (pip install --force-reinstall .) or run "
                                             "eval/lipsync/train_frame_classes.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
