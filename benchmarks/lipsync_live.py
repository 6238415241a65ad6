"""Live lip-sync latency: 20 ms chunks of a real ~30 s recording pushed as if from a microphone.

    python benchmarks/lipsync_live.py [--chunk-ms 20]
    python benchmarks/lipsync_live.py --languages de fr es it en [--chunk-ms 20]


Latency from a chunk entering ``push`` to the weights for its audio coming out = chunk length
(the newest sample waits at most one chunk) + the fixed settle delay (``LiveOptions.delay``) +
the processing time of ``push``. Prints processing-time percentiles and the worst case.

``--languages`` (issue #16 §1): each language's MBROLA evaluation set (``evalset``; English: the
spec's MBROLA set), every sentence pushed live in chunks (``LiveLipSync(language=)``) and
lip-synced offline without a transcript, both scored per 10 ms frame by the same scorer (macro
recall over shapes, closure recall and precision); live frames are scored at their audio time
(the delay is in the latency column).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunk-ms", type=float, default=20.0)
    ap.add_argument("--languages", nargs="+", help="score live vs offline on these evaluation sets")
    args = ap.parse_args()
    if args.languages:
        return languages(args.languages, args.chunk_ms)
    from facemimic.lipsync.evalset import build_items, build_mbrola_items, concatenate, mbrola_available
    from facemimic.lipsync.live import LiveLipSync

    it = concatenate(build_mbrola_items() if mbrola_available() else build_items())
    live = LiveLipSync(sample_rate=16000)
    n = int(args.chunk_ms * 16)
    lags = []
    out_frames = []
    cpu = []
    for k in range(0, len(it.audio), n):
        c = time.process_time()
        out = live.push(it.audio[k:k + n])
        cpu.append(time.process_time() - c)
        received = min(k + n, len(it.audio)) / 16000
        lags += [received - f.time for f in out]
        out_frames += out
    out_frames += live.close()
    frames = len(out_frames)
    proc = np.array(live.latencies) * 1000
    delay = live.opt.delay * 1000
    print(f"audio {it.duration:.1f} s, {frames} frames at {live.opt.fps:g} fps, chunk {args.chunk_ms:g} ms, "
          f"settle delay {delay:g} ms")
    print(f"push() processing: median {np.median(proc):.2f} ms, p95 {np.percentile(proc, 95):.2f} ms, "
          f"max {proc.max():.2f} ms; real-time factor {proc.sum() / 1000 / it.duration:.3f}")
    print(f"push() CPU time: median {1000 * np.median(cpu):.2f} ms, max {1000 * max(cpu):.2f} ms "
          f"(a wall max far above the CPU max is the shared machine descheduling us)")
    print(f"frame lag behind received audio: {1000 * min(lags):.0f}..{1000 * max(lags):.0f} ms")
    worst = args.chunk_ms + delay + np.percentile(proc, 95)
    print(f"chunk-in -> weights-out latency: typical {args.chunk_ms / 2 + delay + np.median(proc):.0f} ms, "
          f"p95 worst-case {worst:.0f} ms (budget 150 ms)")
    # quality: lip closures shown (JawOpen <= 0.07 with pressed lips, or rest) at the true P/B/M
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.scoring import closure_scores

    jaw = np.array([f.weight("JawOpen") for f in out_frames])
    press = np.array([f.weight("MouthPressLeft") for f in out_frames])
    t = np.arange(int(it.duration * 100)) / 100
    idx = np.minimum((t * live.opt.fps).astype(int), len(jaw) - 1)
    lab = np.where((press[idx] > 0.2) & (jaw[idx] <= 0.07), "A", np.where(jaw[idx] < 0.02, "X", "B"))
    hits, n_bil, _, _ = closure_scores(list(it.phones), lab)
    off = lipsync(it.audio, sample_rate=16000).track(fps=live.opt.fps).channel("JawOpen")
    m = min(len(off), len(jaw))
    print(f"live closures shown at {hits}/{n_bil} true P/B/M ({100 * hits / n_bil:.0f} %); "
          f"JawOpen correlation with offline (no transcript): {np.corrcoef(off[:m], jaw[:m])[0, 1]:.2f}")


def _live_frames(audio, language: str, chunk: int):
    """(shape per emitted frame, push() wall seconds per call, fps) for ``audio`` pushed live."""
    from facemimic.lipsync.live import LiveLipSync

    live = LiveLipSync(sample_rate=16000, language=language)
    shapes = []
    for k in range(0, len(audio), chunk):
        live.push(audio[k:k + chunk])
        shapes += live.last_shapes
    live.close()
    return shapes + live.last_shapes, live.latencies, live.opt


def languages(codes: list[str], chunk_ms: float) -> None:
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.evalset import build_language_items, build_mbrola_items
    from facemimic.lipsync.scoring import Score, cues_to_frames

    chunk = int(chunk_ms * 16)
    print(f"{'language':8s} {'run':8s} {'macroR':>7s} {'clsR':>6s} {'clsP':>6s}  latency (chunk + delay + p95 push)")
    for lang in codes:
        items = build_mbrola_items() if lang == "en" else build_language_items(lang)
        code = "en-us" if lang == "en" else lang
        live_sc, off_sc, proc = Score(), Score(), []
        for it in items:
            shapes, lat, opt = _live_frames(it.audio, code, chunk)
            proc += lat[1:]  # the first push pays pocketsphinx's first-utterance set-up
            t = np.arange(int(np.ceil(it.duration * 100))) / 100
            idx = np.minimum(np.round(t * opt.fps).astype(int), len(shapes) - 1)
            live_sc.add(list(it.phones), np.array(shapes)[idx], it.duration)
            off = lipsync(it.audio, sample_rate=16000, language=code)
            off_sc.add(list(it.phones), cues_to_frames(off.cues, it.duration), it.duration)
        p95 = 1000 * np.percentile(proc, 95)
        for name, sc in (("live", live_sc), ("offline", off_sc)):
            s = sc.summary()
            lat = (f"{chunk_ms:g} + {1000 * opt.delay:g} + {p95:.1f} = {chunk_ms + 1000 * opt.delay + p95:.0f} ms"
                   if name == "live" else "")
            print(f"{lang:8s} {name:8s} {s['macro_recall']:7.1f} {s['closure_recall']:6.1f} "
                  f"{s['closure_precision']:6.1f}  {lat}", flush=True)


if __name__ == "__main__":
    main()
