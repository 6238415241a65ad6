"""Build the lip-sync evaluation set into a folder (nothing large is committed).

    python eval/lipsync/build_eval.py OUT_DIR [--voice espeak|mbrola|both] [--languages de fr es it]

Writes ``OUT_DIR/<set>/wav/<id>.wav`` (16 kHz mono), ``gt/<id>.tsv`` (start, end, ARPAbet phone,
word — exact timing from the synthesiser) and ``sentences.tsv``. ``espeak`` uses FaceMimic's own
voice (espeak-ng phoneme events); ``mbrola`` uses Debian's MBROLA us1-us3 voices driven by
espeak-ng ``--pho`` (the spec's method; install with scripts/setup.d/30-mbrola-voices.sh).
``--languages`` adds ``mbrola-<language>`` sets: 12 sentences each in German, French, Spanish,
Italian, two MBROLA voices per language (scripts/setup.d/40-mbrola-languages.sh), truth from the
``.pho`` files mapped SAMPA -> IPA -> articulatory features -> ARPAbet.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--voice", choices=("espeak", "mbrola", "both", "none"), default="both")
    ap.add_argument("--languages", nargs="*", default=[], help="also build these languages' sets")
    args = ap.parse_args(argv)
    from facemimic.lipsync.evalset import (build_items, build_language_items, build_mbrola_items,
                                           mbrola_available, set_stats, write_set)

    sets = []
    if args.voice in ("espeak", "both"):
        sets.append(("espeak", build_items()))
    if args.voice in ("mbrola", "both"):
        if mbrola_available():
            sets.append(("mbrola", build_mbrola_items()))
        else:
            print("MBROLA voices not installed; skipping the mbrola set", file=sys.stderr)
    for lang in args.languages:
        sets.append((f"mbrola-{lang}", build_language_items(lang)))
    for name, items in sets:
        folder = write_set(args.out / name, items)
        print(name, folder, json.dumps(set_stats(items)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
