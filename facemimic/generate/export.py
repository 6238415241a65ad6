"""Write generated poses (a :class:`~facemimic.generate.api.Generation`) as JSON, CSV or JSON Lines.

* **json**: ``{"format": "facemimic.expressions", "schema": 1, "prompt", "meaning", "mixture",
  "intensity", "style", "seed", "model", "names": [88 UE names], "variations": [{"weights": [88],
  "eyes": {"left": {"gaze": [x, y], "openness"}, "right": …}, "head": {"yaw", "pitch", "roll"}}]}``
* **csv**: one row per variation: ``variation``, one column per UE shape (88, in VRCFT order), then
  ``openness_left/right``, ``gaze_left_x/y``, ``gaze_right_x/y``, ``head_yaw/pitch/roll``.
* **jsonl**: a FaceMimic track (readable by ``read_track`` / ``facemimic analyze``), one frame per
  variation at time 0.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO

from ..errors import UnknownNameError
from ..expressions.names import UE_NAMES

EXTRA_COLUMNS = ("openness_left", "openness_right", "gaze_left_x", "gaze_left_y", "gaze_right_x", "gaze_right_y",
                 "head_yaw", "head_pitch", "head_roll")


def generation_to_dict(g) -> dict:
    """The JSON document for a generation."""
    frames = g.frames()
    return {
        "format": "facemimic.expressions", "schema": 1, "prompt": g.prompt.text, "meaning": g.prompt.describe(),
        "mixture": {k: round(v, 4) for k, v in g.prompt.mixture.items()}, "intensity": round(g.intensity, 4),
        "style": g.style, "seed": g.seed, "model": g.model, "names": list(UE_NAMES),
        "variations": [{
            "weights": [round(float(v), 5) for v in f.weights],
            "eyes": {"left": {"gaze": [round(v, 4) for v in f.gaze_left], "openness": round(f.openness_left, 4)},
                     "right": {"gaze": [round(v, 4) for v in f.gaze_right], "openness": round(f.openness_right, 4)}},
            "head": dict(zip(("yaw", "pitch", "roll"), (round(v, 3) for v in f.head_rotation))),
        } for f in frames],
    }


def _rows(g):
    for k, f in enumerate(g.frames()):
        yield ([k + 1] + [f"{float(v):.5f}" for v in f.weights]
               + [f"{v:.4f}" for v in (f.openness_left, f.openness_right, *f.gaze_left, *f.gaze_right)]
               + [f"{v:.3f}" for v in f.head_rotation])


def write_generation(g, target: "str | Path | IO[str]", fmt: str) -> None:
    """Write ``g`` to a path (atomically) or an open text stream, as ``json``, ``csv`` or ``jsonl``."""
    if fmt not in ("json", "csv", "jsonl"):
        raise UnknownNameError(f"unknown pose format {fmt!r}; valid: json, csv, jsonl")
    if fmt == "jsonl":
        from ..expressions.io import open_writer

        if not isinstance(target, (str, Path)):
            import os
            import tempfile

            with tempfile.TemporaryDirectory() as d:
                p = os.path.join(d, "poses.jsonl")
                write_generation(g, p, fmt)
                target.write(Path(p).read_text(encoding="utf-8"))
            return
        meta = {"generator": "facemimic.generate", "prompt": g.prompt.text, "seed": g.seed, "style": g.style}
        with open_writer(target, fps=30.0, fmt="jsonl", metadata=meta) as w:
            w.write_all(g.frames())
        return

    def emit(fh: IO[str]) -> None:
        if fmt == "json":
            json.dump(generation_to_dict(g), fh, indent=1)
            fh.write("\n")
        else:
            w = csv.writer(fh)
            w.writerow(["variation", *UE_NAMES, *EXTRA_COLUMNS])
            w.writerows(_rows(g))

    if isinstance(target, (str, Path)):
        from ..common.files import AtomicFile

        with AtomicFile(target, "w", newline="") as out:
            emit(out.file)
    else:
        emit(target)
