"""Lip-sync speed on a ~30 s file (the 12 evaluation sentences concatenated), model loading included.

    python benchmarks/lipsync_speed.py [--runs 3]

Prints seconds and "x real time" (audio seconds per wall second; higher is faster) for:
cold in-process runs (decoder cache cleared: model load + decode + animation), warm runs (decoder
reused, as in a batch or a server), the whole CLI in a fresh Python process, and the spec's
pocketsphinx baseline (allphone at 100 frames/s, one pass over the whole file, model reused) run
in the same process for a ratio. The machine is shared: compare ratios, not milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _clear_caches() -> None:
    from facemimic.lipsync import align, recognize

    recognize._CACHE.clear()
    align._OOV.clear()
    align._ALT_DONE.clear()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.audio import write_wav
    from facemimic.lipsync.evalset import build_items, build_mbrola_items, concatenate, mbrola_available
    from facemimic.lipsync.recognize import RecognizerOptions, recognize_phones

    items = build_mbrola_items() if mbrola_available() else build_items()
    it = concatenate(items)
    dur = it.duration
    tmp = Path(tempfile.mkdtemp())
    wav = write_wav(tmp / "all.wav", it.audio, it.sample_rate)
    text = it.text
    print(f"file: {dur:.1f} s ({items[0].voice} set, {len(items)} sentences)")

    def timed(fn, runs, cold):
        ts = []
        for _ in range(runs):
            if cold:
                _clear_caches()
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
        return statistics.median(ts)

    rows = []
    for label, fn in (("no transcript", lambda: lipsync(wav)), ("with transcript", lambda: lipsync(wav, text=text))):
        cold = timed(fn, args.runs, True)
        warm = timed(fn, args.runs, False)
        rows.append((f"FaceMimic {label}, cold (model load incl.)", cold))
        rows.append((f"FaceMimic {label}, warm (decoder reused)", warm))
    dialog = tmp / "dialog.txt"
    dialog.write_text(text)
    for label, extra in (("no transcript", []), ("with transcript", ["--dialog", str(dialog)])):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "facemimic", "lipsync", str(wav), "-o", str(tmp / "o.tsv"), "-q",
                        *extra], check=True)
        rows.append((f"CLI {label}, fresh process (Python start incl.)", time.perf_counter() - t))
    base = timed(lambda: recognize_phones(it.audio, options=RecognizerOptions(frame_rate=100)), args.runs, False)
    rows.append(("baseline: pocketsphinx allphone 100 fps, warm", base))
    print(f"{'run':52s} {'seconds':>8s} {'xRT':>7s} {'x real time':>12s}")
    for label, s in rows:
        print(f"{label:52s} {s:8.2f} {s / dur:7.3f} {dur / s:11.1f}x")
    warm_nt = rows[1][1]
    print(f"ratio warm no-transcript / allphone-100 baseline: {warm_nt / base:.2f}")


if __name__ == "__main__":
    main()
