#!/usr/bin/env python3
"""Generation and analysis speed (targets: >= 10,000 expressions/s batched; <= 2 ms for one).

    python benchmarks/generate_speed.py

Prints medians over repeats, and the ratio against a baseline measured in the same process: one
raw decoder pass (the model's matrix products alone), so the overhead of the full pipeline
(prompt, intensity ramp, asymmetry, constraint projection, gaze/head) is visible.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402


def median_time(fn, repeats):
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def main():
    from facemimic.analysis.api import analyze
    from facemimic.generate.api import express, generate
    from facemimic.generate.clips import clip
    from facemimic.emotions.states import mixture_vector
    from facemimic.generate.model import LATENT, condition, load_model

    model = load_model()
    generate("happy", seed=0)  # warm caches (model load, prompt lexicon)
    n = 10_000
    z = np.random.default_rng(0).standard_normal((n, LATENT)).astype(np.float32)
    c = condition(np.broadcast_to(mixture_vector("happy"), (n, mixture_vector("happy").size)), "natural")
    t_raw = median_time(lambda: model.decode(z, c), 5)
    t_batch = median_time(lambda: generate("a bit disgusted but amused", seed=1, variations=n), 5)
    print(f"batched: {n} expressions in {t_batch * 1e3:.1f} ms -> {n / t_batch:,.0f} expressions/s "
          f"(target >= 10,000/s); raw decoder {n / t_raw:,.0f}/s, pipeline/raw time ratio {t_batch / t_raw:.2f}")
    t_one = median_time(lambda: generate("nervous smile", seed=2), 300)
    t_one_raw = median_time(lambda: model.decode(z[:1], c[:1]), 300)
    print(f"single: generate() {t_one * 1e3:.3f} ms (target <= 2 ms); raw decoder {t_one_raw * 1e3:.3f} ms")
    t_frames = median_time(lambda: express("happy", seed=3, variations=100), 10)
    print(f"express() with 100 ExpressionFrame objects: {t_frames * 1e3:.1f} ms")
    t_clip = median_time(lambda: clip("neutral 0.5s > surprised 1s > happy 2s", seed=1), 5)
    print(f"clip: 3.5 s timeline at 30 fps in {t_clip * 1e3:.0f} ms")
    x = generate("happy", seed=4, variations=3000).x
    t_an = median_time(lambda: analyze(x), 3)
    print(f"analyze: {len(x)} frames in {t_an * 1e3:.0f} ms -> {len(x) / t_an:,.0f} frames/s")


if __name__ == "__main__":
    main()
