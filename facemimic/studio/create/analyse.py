"""Analyse (issue #14 §4, first part): a workspace take, track or video -> the emotion timeline.

:func:`facemimic.analysis.api.analyze` (what ``facemimic analyze`` runs) on the file; its per-frame
CSV is written to ``analyses/NAME.csv`` with :meth:`Analysis.to_csv` (the file ``facemimic analyze
FILE --csv`` writes) and the page gets the curves to draw: basic-emotion probabilities,
valence/arousal, the top states and the AU intensities per frame, and the summary segments.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import InputError

ANALYSIS_DIR = "analyses"
SOURCE_SUFFIXES = (".jsonl", ".csv", ".npz", ".mp4", ".mov", ".webm", ".mkv", ".avi")


def _r(a) -> list:
    """An array as JSON numbers (3 decimals; gaps as null)."""
    a = np.asarray(a, dtype=float)
    return [None if not np.isfinite(v) else round(float(v), 3) for v in a.ravel()] if a.ndim == 1 else \
        [_r(row) for row in a]


def analyse_file(workspace: Path, relative: str) -> dict:
    """Analyse the workspace file ``relative`` (a track or a video).

    Returns
    -------
    dict
        ``csv`` (workspace-relative), ``time`` (T,), ``present`` (T,), ``basic_names`` (8,),
        ``basic`` (T, 8), ``valence``/``arousal`` (T,), ``top`` (T, up to 3 [state, p]),
        ``au_names``, ``au_titles`` (their FACS names: "inner brow raiser", …) and ``aus``
        (T, N_AU; both sides averaged), ``segments``.
    """
    from ...analysis.api import BASIC, analyze
    from ...emotions.facs import AU_LABELS, AU_NUMBERS, AU_TABLE
    from ..security import confine

    path = confine(workspace, relative)
    if not path.is_file():
        raise InputError(relative, "not found in the workspace")
    if path.suffix.lower() not in SOURCE_SUFFIXES:
        raise InputError(relative, f"cannot analyse this kind of file (accepted: {', '.join(SOURCE_SUFFIXES)})")
    try:
        a = analyze(path)
    except InputError as e:  # the page shows workspace names, not this machine's paths
        raise InputError(relative, e.problem) from None
    out = Path(workspace) / ANALYSIS_DIR / f"{path.stem}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    a.to_csv(out)
    with np.errstate(all="ignore"):
        aus = np.nanmean(a.aus, axis=2) if len(a) else np.zeros((0, len(AU_LABELS)))
    return {"source": relative, "csv": out.relative_to(Path(workspace)).as_posix(),
            "time": _r(a.time), "present": [bool(p) for p in a.present], "basic_names": list(BASIC),
            "basic": _r(a.basic), "valence": _r(a.valence), "arousal": _r(a.arousal),
            "top": [[[n, round(p, 3)] for n, p in a.top_states(i)] for i in range(len(a))],
            "au_names": list(AU_LABELS), "au_titles": [AU_TABLE[n][0] for n in AU_NUMBERS], "aus": _r(aus),
            "segments": [{"start": round(float(s.start), 3), "end": round(float(s.end), 3), "state": s.state,
                          "probability": round(float(s.probability), 3), "detail": s.detail} for s in a.summary()]}


__all__ = ["ANALYSIS_DIR", "SOURCE_SUFFIXES", "analyse_file"]
