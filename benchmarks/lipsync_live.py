"""Live lip-sync latency: 20 ms chunks of a real ~30 s recording pushed as if from a microphone.

    python benchmarks/lipsync_live.py [--chunk-ms 20]

Latency from a chunk entering ``push`` to the weights for its audio coming out = chunk length
(the newest sample waits at most one chunk) + the fixed settle delay (``LiveOptions.delay``) +
the processing time of ``push``. Prints processing-time percentiles and the worst case.
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunk-ms", type=float, default=20.0)
    args = ap.parse_args()
    from facemimic.lipsync.evalset import build_items, build_mbrola_items, concatenate, mbrola_available
    from facemimic.lipsync.live import LiveLipSync

    it = concatenate(build_mbrola_items() if mbrola_available() else build_items())
    live = LiveLipSync(sample_rate=16000)
    n = int(args.chunk_ms * 16)
    lags = []
    frames = 0
    for k in range(0, len(it.audio), n):
        out = live.push(it.audio[k:k + n])
        received = min(k + n, len(it.audio)) / 16000
        lags += [received - f.time for f in out]
        frames += len(out)
    frames += len(live.close())
    proc = np.array(live.latencies) * 1000
    delay = live.opt.delay * 1000
    print(f"audio {it.duration:.1f} s, {frames} frames at {live.opt.fps:g} fps, chunk {args.chunk_ms:g} ms, "
          f"settle delay {delay:g} ms")
    print(f"push() processing: median {np.median(proc):.2f} ms, p95 {np.percentile(proc, 95):.2f} ms, "
          f"max {proc.max():.2f} ms; real-time factor {proc.sum() / 1000 / it.duration:.3f}")
    print(f"frame lag behind received audio: {1000 * min(lags):.0f}..{1000 * max(lags):.0f} ms")
    worst = args.chunk_ms + delay + np.percentile(proc, 95)
    print(f"chunk-in -> weights-out latency: typical {args.chunk_ms / 2 + delay + np.median(proc):.0f} ms, "
          f"p95 worst-case {worst:.0f} ms (budget 150 ms)")


if __name__ == "__main__":
    main()
