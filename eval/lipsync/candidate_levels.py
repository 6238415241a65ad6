"""Candidate-run levels of the English closure path, swept on the tuning sets (issue #16 §3, session 15).

    FACEMIMIC_COMBINE_CACHE=... python eval/lipsync/candidate_levels.py grid

Most closures the shipped no-transcript path misses on real voices have no candidate at all
(``closure_coverage.py``): the detector's smoothed P(closure) there stays under the 0.5 a run needs,
or the frame-shape classifier's P(A) under its 0.5. ``grid`` replays the tuning sets (real: mfa,
extra, real, sonnet, fresh; synthetic: mbrola-tune, espeak-tune) through the shipped path
(:func:`real_combine.shipped`: classifier + place veto, shipped weights) with lower levels
(``closure_candidates.INSERT_AT`` / ``PA_LEVEL``). Measured: no level pair lifts the real tuning sets' recall (the
classifier scores the new candidates under its levels), so the levels stay 0.5 / 0.5 (docs/journal/lipsync.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import real_combine as rc  # noqa: E402

REAL_TUNE = ("mfa", "extra", "real", "sonnet", "fresh")
SYNTH_TUNE = ("mbrola-tune", "espeak-tune")
INSERT_LEVELS = (0.5, 0.4, 0.3)
PA_LEVELS = (0.5, 0.4, 0.3)


def pooled(sets: dict, names) -> dict:
    return {"items": sum((sets[n]["items"] for n in names), []),
            "segments": {k: v for n in names for k, v in sets[n]["segments"].items()}}


def with_levels(insert_at: float, pa_level: float):
    """A context-free setter: the package's candidate levels set to these (returns the old ones)."""
    from facemimic.lipsync import closure_candidates as cc

    old = (cc.INSERT_AT, cc.PA_LEVEL)
    cc.INSERT_AT, cc.PA_LEVEL = insert_at, pa_level
    return old


def row(label: str, data: dict) -> str:
    r = rc.score(data, rc.shipped)
    return (f"{label}: closures {r['closure_recall']:.1f}/{r['closure_precision']:.1f} (of {r['closures']}), "
            f"macro {r['macro_recall']:.1f}, PER {r['per']}")


def grid() -> None:
    sets = {n: rc.load(n) for n in REAL_TUNE + SYNTH_TUNE}
    real = pooled(sets, REAL_TUNE)
    for ins in INSERT_LEVELS:
        for pa in PA_LEVELS:
            old = with_levels(ins, pa)
            try:
                print(f"levels insert_at {ins} pa {pa} | " + " | ".join(
                    [row("real-tune", real)] + [row(n, sets[n]) for n in SYNTH_TUNE]), flush=True)
            finally:
                with_levels(*old)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["grid"]:
        grid()
    else:
        print(__doc__)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
