"""Speed of ``say()`` in-process versus through the per-voice helper (docs/lipsync.md, "Repeatable speech").

    python benchmarks/say_speed.py [--runs 9]

A process's first utterance is spoken in-process (its espeak-ng is fresh); later ones go to a
helper process per voice that forks a fresh child per utterance, so the same text always gives
the same speech. This measures, in one process and interleaved (so machine load hits both alike):
the whole ``say()`` on a short text and on a ~13 s text, in-process (the old, drifting path, forced
with ``engine().isolated = False``) and through the helper; and the helper's start (first call of
a voice). Median and best of ``--runs`` calls, milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import time

SHORT = "Pass me the bread, please."
LONG = ("The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore, and the "
        "shells she sells are surely sea shells. Peter Piper picked a peck of pickled peppers; how many "
        "pickled peppers did Peter Piper pick?")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()

    from facemimic.phonetics.espeak import engine
    from facemimic.voice import say

    eng = engine()
    say("Warm up.")  # the first utterance: in-process either way
    t0 = time.perf_counter()
    say("Start the helper.")
    print(f"helper start (first call of a voice after the first utterance): "
          f"{(time.perf_counter() - t0) * 1000:.0f} ms")
    for name, text in (("short", SHORT), ("long", LONG)):
        times: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.runs):
            for isolated in (False, True):
                eng.isolated = isolated
                t0 = time.perf_counter()
                sp = say(text)
                times[isolated].append(time.perf_counter() - t0)
        eng.isolated = True
        for isolated, label in ((False, "in-process (drifts)"), (True, "helper (repeatable)")):
            ts = times[isolated]
            print(f"{name} ({sp.duration:.1f} s of speech), {label}: median "
                  f"{statistics.median(ts) * 1000:.1f} ms, best {min(ts) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
