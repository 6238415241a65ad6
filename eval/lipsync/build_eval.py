"""Build the lip-sync evaluation set into a folder (nothing large is committed).

    python eval/lipsync/build_eval.py OUT_DIR [--voice espeak|mbrola|both]

Writes ``OUT_DIR/<set>/wav/<id>.wav`` (16 kHz mono), ``gt/<id>.tsv`` (start, end, ARPAbet phone,
word — exact timing from the synthesiser) and ``sentences.tsv``. ``espeak`` uses FaceMimic's own
voice (espeak-ng phoneme events); ``mbrola`` uses Debian's MBROLA us1-us3 voices driven by
espeak-ng ``--pho`` (the spec's method; install with scripts/setup.d/30-mbrola-voices.sh).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--voice", choices=("espeak", "mbrola", "both"), default="both")
    args = ap.parse_args(argv)
    from facemimic.lipsync.evalset import (build_items, build_mbrola_items, mbrola_available,
                                           set_stats, write_set)

    sets = []
    if args.voice in ("espeak", "both"):
        sets.append(("espeak", build_items()))
    if args.voice in ("mbrola", "both"):
        if mbrola_available():
            sets.append(("mbrola", build_mbrola_items()))
        else:
            print("MBROLA voices not installed; skipping the mbrola set", file=sys.stderr)
    for name, items in sets:
        folder = write_set(args.out / name, items)
        print(name, folder, json.dumps(set_stats(items)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
