"""Flat memory on long files: peak RSS of ``facemimic lipsync`` on 1- and 10-minute recordings.

    python benchmarks/lipsync_memory.py [--minutes 1 10]

The long file is written block by block (a sentence, then silence, repeated), and each run is a
fresh process so its peak resident memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

CHILD = """
import resource, sys, time
from facemimic.lipsync.api import lipsync
t = time.perf_counter()
r = lipsync(sys.argv[1])
r.write(sys.argv[2], "rhubarb-tsv")
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, len(r.cues))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, nargs="+", default=[1, 10])
    args = ap.parse_args()
    from facemimic.lipsync.evalset import build_items

    items = build_items(["s04", "s10", "s12"])
    tmp = Path(tempfile.mkdtemp())
    for minutes in args.minutes:
        path = tmp / f"long{minutes:g}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            total, k = 0, 0
            while total < minutes * 60 * 16000:
                block = np.concatenate([items[k % 3].audio, np.zeros(16000 * 2, np.int16)])
                w.writeframes(block.tobytes())
                total += len(block)
                k += 1
        out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(tmp / "o.tsv")], check=True,
                             capture_output=True, text=True).stdout.split()
        secs, rss, cues = float(out[0]), float(out[1]), int(out[2])
        print(f"{minutes:5g} min: {secs:6.1f} s ({minutes * 60 / secs:5.1f}x real time), "
              f"peak RSS {rss:6.0f} MB, {cues} cues")


if __name__ == "__main__":
    main()
