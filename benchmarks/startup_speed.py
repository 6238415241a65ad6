"""Whole-process speed, as a user runs it: a fresh ``facemimic`` process per run, start-up and
model loading included.

    python benchmarks/startup_speed.py [--runs 3] [--photo single_face.jpg] [--skip lipsync animate]

Each command is a subprocess of the ``facemimic`` console script; wall clock and CPU time (user +
system of the child) are the median of ``--runs`` runs, after one untimed warm-up run (it writes
the byte-code a pip-installed package already has, and builds the one-time dictionary index).

* Baselines in the same run: ``python -c pass`` and ``facemimic --help``.
* ``facemimic lipsync`` on the ~31.6 s English evaluation file (the MBROLA set joined, as
  benchmarks/lipsync_speed.py builds it; the espeak-ng set when MBROLA is missing), without and
  with the transcript (``--dialog``): real-time factor = audio seconds / wall seconds.
  Targets: >= 20x and >= 30x. With a transcript the file is aligned in pieces on one process per
  core, so its wall time depends on how many cores other jobs leave free: the load average just
  before each row is printed with it, and CPU time counts the forked processes too.
* ``facemimic animate PHOTO --expression happy --seed 1`` (3 s, 90 frames at 512 px, closed loop
  on, as the CLI defaults; the seed only makes runs comparable): a **new photo** (calibration
  cache emptied before every run) and a **seen photo** (its calibration cached). Targets: <= 5 s
  and <= 3 s. The animate runs use both cores (the closed loop draws and encodes on a second
  thread, calibration re-tracks on one thread per core), so other jobs on the machine slow them:
  the load average before each row is printed with it, and ``--wait-idle S`` waits (up to S
  seconds) before every animate run until no other process has been runnable for 2 s.

Caches live in a temporary folder (``FACEMIMIC_CACHE_DIR``), never the user's. The machine is
shared: wall time then includes waiting for a core, so the load average and CPU time are printed
too.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIPSYNC_TARGETS = {"no transcript": 20.0, "with transcript": 30.0}
ANIMATE_TARGETS = {"new photo": 5.0, "seen photo": 3.0}


def console_script() -> str:
    """The ``facemimic`` executable next to this Python (the venv's), else the one on PATH."""
    here = Path(sys.executable).with_name("facemimic")
    found = str(here) if here.exists() else shutil.which("facemimic")
    if not found:
        sys.exit("the facemimic console script is not installed (pip install -e .)")
    return found


def child_env(cache: Path) -> dict:
    env = dict(os.environ)
    env["FACEMIMIC_CACHE_DIR"] = str(cache)
    env.pop("FACEMIMIC_NO_CACHE", None)
    # A pip-installed package runs from byte-code: if this shell turns byte-code writing off,
    # keep it in a temporary folder instead of recompiling every module on every run.
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None and "PYTHONPYCACHEPREFIX" not in env:
        env["PYTHONPYCACHEPREFIX"] = str(cache.parent / "pycache")
    return env


def run_once(cmd: list[str], env: dict, before=None) -> tuple[float, float]:
    """(wall s, CPU s) of one fresh process; ``before()`` runs first, untimed."""
    if before:
        before()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def timed(cmd: list[str], env: dict, runs: int, before=None, warmup: bool = True) -> tuple[float, float]:
    """Median (wall s, CPU s) over ``runs`` fresh processes, after an untimed warm-up run."""
    if warmup:
        run_once(cmd, env, before)
    rows = [run_once(cmd, env, before) for _ in range(runs)]
    return statistics.median(w for w, _ in rows), statistics.median(c for _, c in rows)


def wait_idle(limit: float) -> None:
    """Wait up to ``limit`` seconds until no other process has been runnable for 2 s (Linux:
    the running count in /proc/loadavg); return at once elsewhere or when ``limit`` <= 0."""
    if limit <= 0 or not Path("/proc/loadavg").exists():
        return
    end, calm = time.monotonic() + limit, 0
    while time.monotonic() < end and calm < 8:
        running = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
        calm = calm + 1 if running <= 1 else 0
        time.sleep(0.25)


def eval_file(folder: Path) -> tuple[Path, Path, float, str]:
    """(WAV, dialog text file, seconds, set name) of the joined English evaluation set."""
    from facemimic.common.audio import write_wav
    from facemimic.lipsync.evalset import build_items, build_mbrola_items, concatenate, mbrola_available

    items = build_mbrola_items() if mbrola_available() else build_items()
    joined = concatenate(items)
    wav = write_wav(folder / "speech.wav", joined.audio, joined.sample_rate)
    dialog = folder / "speech.txt"
    dialog.write_text(joined.text, encoding="utf-8")
    return wav, dialog, joined.duration, items[0].voice


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="timed runs per command (median)")
    ap.add_argument("--photo", default="single_face.jpg", help="a sample name or an image path")
    ap.add_argument("--skip", nargs="*", default=[], choices=["lipsync", "animate"])
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                    help="before each animate run, wait up to S seconds for an idle machine")
    args = ap.parse_args()

    exe = console_script()
    tmp = Path(tempfile.mkdtemp(prefix="facemimic-startup-"))
    cache = tmp / "cache"
    env = child_env(cache)
    print(f"facemimic: {exe}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    print(f"{'command':58s} {'wall s':>7s} {'cpu s':>7s}  result")

    def row(label, wall, cpu, result=""):
        print(f"{label:58s} {wall:7.2f} {cpu:7.2f}  {result}", flush=True)

    row("python -c pass", *timed([sys.executable, "-c", "pass"], env, args.runs))
    row("facemimic --help", *timed([exe, "--help"], env, args.runs))

    if "lipsync" not in args.skip:
        wav, dialog, dur, voice = eval_file(tmp)
        print(f"-- lipsync: {dur:.1f} s of speech ({voice} evaluation set, joined)")
        for label, extra in (("no transcript", []), ("with transcript", ["--dialog", str(dialog)])):
            load = os.getloadavg()[0]  # with a transcript the pieces use every free core
            wall, cpu = timed([exe, "lipsync", str(wav), "-o", str(tmp / "cues.tsv"), "-q", *extra], env, args.runs)
            rt = dur / wall
            target = LIPSYNC_TARGETS[label]
            row(f"facemimic lipsync, {label}", wall, cpu,
                f"{rt:5.1f}x real time (CPU: {dur / cpu:5.1f}x); target >= {target:g}x: "
                f"{'met' if rt >= target else 'NOT met'}; load {load:.1f}")

    if "animate" not in args.skip:
        photo = Path(args.photo)
        if not photo.exists():
            from facemimic.samples import sample_path

            photo = Path(sample_path(args.photo))
        cmd = [exe, "animate", str(photo), "-o", str(tmp / "anim.mp4"), "--expression", "happy", "--seed", "1"]
        print(f"-- animate: {photo.name}, --expression happy (3 s, 90 frames, 512 px, closed loop)")
        loads: list[float] = []

        def forget() -> None:
            shutil.rmtree(cache / "calibrations", ignore_errors=True)
            settle()

        def settle() -> None:
            wait_idle(args.wait_idle)
            loads.append(os.getloadavg()[0])

        for label, before in (("new photo", forget), ("seen photo", settle)):
            if before is settle:
                run_once(cmd, env)  # make sure this photo's calibration is cached
            loads.clear()
            wall, cpu = timed(cmd, env, args.runs, before=before)
            target = ANIMATE_TARGETS[label]
            row(f"facemimic animate --expression, {label}", wall, cpu,
                f"{90 / wall:5.1f} fps end to end; target <= {target:g} s: {'met' if wall <= target else 'NOT met'}"
                f"; load {min(loads):.1f}-{max(loads):.1f}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
