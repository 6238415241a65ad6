"""Generated poses as a track: the one file format for every command that writes expressions.

``facemimic express "happy" -n 4 -o poses.csv`` writes an ordinary FaceMimic track (JSONL, CSV or
NPZ through :mod:`facemimic.expressions.io`), so ``export``, ``analyze``, ``animate --track``,
``avatar render``, ``stream`` and ``read_track`` all read it. Variation ``k`` is the frame at
``k`` seconds (face 0, one frame per second): played back, the poses follow one another, one per
second, blending in between. What was asked (prompt, meaning, mixture, intensity, style, seed,
model) goes into the header metadata of JSONL and NPZ files (CSV files have no header for it).
"""

from __future__ import annotations

import numpy as np

from ..expressions.track import ExpressionTrack

POSE_SPACING_S = 1.0  # seconds between two variations in a pose track


def poses_track(g, *, as_tracked: bool = False) -> ExpressionTrack:
    """A :class:`~facemimic.generate.api.Generation` as a track: one frame per variation.

    Parameters
    ----------
    g : Generation
        ``g.x`` (N, 90), ``g.gaze`` (N, 2, 2), ``g.head`` (N, 3).
    as_tracked : bool
        ``g`` already holds what MediaPipe would score (:meth:`Generation.as_tracked`): the track
        says so (``"units": "mediapipe"``), so readers convert it back (``capture.api.track_units``).

    Returns
    -------
    ExpressionTrack
        N frames at times ``0, 1, 2, …`` s (``fps`` 1), face 0, all present; ``metadata`` has
        ``generator``, ``kind`` ("poses"), ``prompt``, ``meaning``, ``mixture``, ``intensity``,
        ``style``, ``seed``, ``model``, ``variations``, ``as_tracked`` and ``units`` ("extent", the
        unit of docs/units.md, or "mediapipe" for ``as_tracked``).
    """
    frames = g.frames()
    n = len(frames)
    arrays = ExpressionTrack.from_frames(frames).to_arrays()
    arrays["time"] = np.arange(n, dtype=np.float64) * POSE_SPACING_S
    meta = {
        "generator": "facemimic.generate", "kind": "poses", "prompt": g.prompt.text,
        "meaning": g.prompt.describe(), "mixture": {k: round(float(v), 4) for k, v in g.prompt.mixture.items()},
        "intensity": round(float(g.intensity), 4), "style": g.style, "seed": int(g.seed), "model": g.model,
        "variations": n, "as_tracked": bool(as_tracked), "units": "mediapipe" if as_tracked else "extent",
    }
    return ExpressionTrack.from_arrays(arrays, fps=1.0 / POSE_SPACING_S, metadata=meta)


__all__ = ["POSE_SPACING_S", "poses_track"]
