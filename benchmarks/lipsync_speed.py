"""Lip-sync speed on a ~30 s file (the 12 evaluation sentences concatenated), model loading included.

    python benchmarks/lipsync_speed.py [--runs 3]
    python benchmarks/lipsync_speed.py --languages de fr es it en [--runs 3]

Prints wall and CPU seconds and "x real time" (audio seconds per second; higher is faster) for:
cold in-process runs (decoder cache cleared: model load + decode + animation), warm runs (decoder
reused, as in a batch or a server), the whole CLI in a fresh Python process, and the spec's
pocketsphinx baseline (allphone at 100 frames/s, one pass over the whole file, model reused) run
in the same process for a ratio. With a transcript the file is aligned in pieces on one process
per core (forked, docs/lipsync.md), so that run is also shown on one process. The machine is
shared (other engineers' jobs): wall time then mostly measures waiting for a core, so CPU time
(this process + the forked ones) is reported as well.

``--languages`` (issue #16 §2 speed): for each language's MBROLA evaluation set joined into one
file (as benchmarks/lipsync_languages.py writes it), the whole CLI in a fresh process with and
without the transcript, best of ``--runs``: CPU seconds (user + sys of the process and the
workers it forks) and audio seconds per CPU second; run from byte-code, as an installed package.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _clear_caches() -> None:
    from facemimic.lipsync import align, bilabial, dictionary, recognize

    recognize._CACHE.clear()
    dictionary._DICTS.clear()
    align._ESPEAK.clear()
    bilabial.load_weights.cache_clear()
    align._OOV.clear()
    align._OOV_PHONES.clear()
    align._ADDED.clear()
    align._ALT_DONE_D.clear()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--languages", nargs="+", help="whole-CLI CPU speed on these joined evaluation sets")
    args = ap.parse_args()
    if args.languages:
        return languages(args.languages, args.runs)
    from facemimic.lipsync.api import LipSyncOptions, lipsync
    from facemimic.common.audio import write_wav
    from facemimic.lipsync.evalset import build_items, build_mbrola_items, concatenate, mbrola_available
    from facemimic.lipsync.recognize import RecognizerOptions, recognize_phones

    items = build_mbrola_items() if mbrola_available() else build_items()
    it = concatenate(items)
    dur = it.duration
    tmp = Path(tempfile.mkdtemp())
    wav = write_wav(tmp / "all.wav", it.audio, it.sample_rate)
    text = it.text
    print(f"file: {dur:.1f} s ({items[0].voice} set, {len(items)} sentences)")

    def used_cpu() -> float:  # this process and the forked ones it waited for (pieces of long files)
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def timed(fn, runs, cold):
        ws, cs = [], []
        for _ in range(runs):
            if cold:
                _clear_caches()
            t, c = time.perf_counter(), used_cpu()
            fn()
            ws.append(time.perf_counter() - t)
            cs.append(used_cpu() - c)
        return statistics.median(ws), statistics.median(cs)

    one = LipSyncOptions(workers=1)
    rows = []
    for label, fn in (("no transcript", lambda: lipsync(wav)), ("with transcript", lambda: lipsync(wav, text=text)),
                      ("with transcript, 1 process", lambda: lipsync(wav, text=text, options=one))):
        rows.append((f"FaceMimic {label}, cold (model load incl.)", *timed(fn, args.runs, True)))
        rows.append((f"FaceMimic {label}, warm (decoder reused)", *timed(fn, args.runs, False)))
    dialog = tmp / "dialog.txt"
    dialog.write_text(text)
    env = _bytecode_env(tmp, threads=None)
    for label, extra in (("no transcript", []), ("with transcript", ["--dialog", str(dialog)])):
        cmd = [sys.executable, "-m", "facemimic", "lipsync", str(wav), "-o", str(tmp / "o.tsv"), "-q", *extra]
        walls, cpus = _process_runs(cmd, env, args.runs)
        rows.append((f"CLI {label}, fresh process (Python start incl.)", statistics.median(walls),
                     statistics.median(cpus)))
    base = timed(lambda: recognize_phones(it.audio, options=RecognizerOptions(frame_rate=100, beam=1e-20,
                                                                              closure_detector=False)),
                 args.runs, False)
    rows.append(("baseline: pocketsphinx allphone 100 fps, warm", *base))
    load = open("/proc/loadavg").read().split()[0]
    print(f"load average {load} on {os.cpu_count()} cores")
    print(f"{'run':62s} {'wall s':>7s} {'cpu s':>7s} {'x RT (wall)':>12s} {'x RT (cpu)':>11s}")
    for label, w, c in rows:
        print(f"{label:62s} {w:7.2f} {c:7.2f} {dur / w:11.1f}x {dur / c:10.1f}x")
    print(f"CPU-time ratio, warm no-transcript / allphone-100 baseline: {rows[1][2] / base[1]:.2f}")


def _bytecode_env(tmp: Path, threads: str | None = "1") -> dict:
    env = dict(os.environ, **({"OPENBLAS_NUM_THREADS": threads} if threads else {}))
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None and "PYTHONPYCACHEPREFIX" not in env:
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")  # run from byte-code, as an install does
    return env


def _process_runs(cmd: list[str], env: dict, runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds and CPU seconds (user + sys of the process and its waited-for children) of
    ``runs`` fresh processes, after one warm-up run (byte-code written, caches filled)."""
    subprocess.run(cmd, check=True, env=env)
    walls, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, env=env)
        walls.append(time.perf_counter() - t)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return walls, cpus


def _best_cpu(cmd: list[str], env: dict, runs: int) -> tuple[float, float]:
    """(best wall s, best CPU s) of ``runs`` fresh processes."""
    walls, cpus = _process_runs(cmd, env, runs)
    return min(walls), min(cpus)


def languages(codes: list[str], runs: int) -> None:
    from facemimic.common.audio import write_wav
    from facemimic.lipsync.evalset import build_language_items, build_mbrola_items, concatenate

    tmp = Path(tempfile.mkdtemp())
    env = _bytecode_env(tmp)
    exe = str(Path(sys.executable).with_name("facemimic"))
    print(f"load average {open('/proc/loadavg').read().split()[0]} on {os.cpu_count()} cores; best of {runs}")
    print(f"{'language':8s} {'audio s':>8s} {'run':16s} {'cpu s':>6s} {'x RT (cpu)':>10s} {'x RT (wall)':>11s}")
    for lang in codes:
        joined = concatenate(build_mbrola_items() if lang == "en" else build_language_items(lang))
        wav = write_wav(tmp / f"{lang}.wav", joined.audio, joined.sample_rate)
        txt = tmp / f"{lang}.txt"
        txt.write_text(joined.text, encoding="utf-8")
        base = [exe, "lipsync", str(wav), "-o", str(tmp / "o.tsv"), "-q"] + ([] if lang == "en" else ["--language", lang])
        for label, extra in (("with transcript", ["--dialog", str(txt)]), ("no transcript", [])):
            wall, cpu = _best_cpu(base + extra, env, runs)
            print(f"{lang:8s} {joined.duration:8.1f} {label:16s} {cpu:6.2f} {joined.duration / cpu:9.1f}x "
                  f"{joined.duration / wall:10.1f}x", flush=True)


if __name__ == "__main__":
    main()
