"""Memory over a long capture: RSS must stay flat while a 10-minute video is tracked to a file.

A 10-minute, 23.976 fps stream (14,386 frames) is synthesised cheaply by looping the 472 decoded
frames of WolfgangLanger_Pexels.mp4 with ever-increasing timestamps; the frames go through
``facemimic.capture`` (VIDEO mode + light smoothing) and straight into a streaming JSONL writer,
exactly as ``facemimic track`` does. RSS is sampled from /proc every 10 % of the run.

Target: RSS at the end within a few MB of RSS after warm-up (no growth with the video's length).

    python benchmarks/capture_memory.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()

    import av
    import numpy as np

    from facemimic.capture.api import CaptureRun
    from facemimic.expressions.io import open_writer
    from facemimic.samples import sample_path

    with av.open(str(sample_path("WolfgangLanger_Pexels.mp4"))) as c:
        clip = [np.ascontiguousarray(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]
    fps = 24000 / 1001
    total = int(args.minutes * 60 * fps)
    samples: list[tuple[int, float]] = []

    def stream():
        for i in range(total):
            yield i / fps, clip[i % len(clip)]

    print(f"{total} frames ({args.minutes:g} min at {fps:.3f} fps) of 640x360; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    base = rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "long.jsonl"
        run = CaptureRun(stream())
        t0 = time.perf_counter()
        with open_writer(out, fps=fps, metadata=run.metadata) as w:
            for n, group in enumerate(run, start=1):
                for f in group.frames:
                    w.write(f)
                if n == 200 or n % max(1, total // 10) == 0 or n == total:
                    samples.append((n, rss_mb()))
                    print(f"  frame {n:6d}  t={n / fps:7.1f} s  RSS {samples[-1][1]:7.1f} MB  "
                          f"({n / (time.perf_counter() - t0):.1f} fps)", flush=True)
        size = out.stat().st_size / 2**20
    warm = samples[0][1]
    mid = min(samples, key=lambda s: abs(s[0] - total / 2))[1]
    end = samples[-1][1]
    print(f"RSS before capture {base:.1f} MB; after warm-up (frame 200) {warm:.1f} MB; "
          f"middle {mid:.1f} MB; end {end:.1f} MB; growth warm-up -> end {end - warm:+.1f} MB "
          f"({(end - warm) / warm * 100:+.1f} %); track file {size:.1f} MB")


if __name__ == "__main__":
    main()
