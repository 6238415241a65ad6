"""What ``facemimic demo`` reports: a short, human summary of a captured track."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .expressions.io import read_track
from .expressions.track import ExpressionTrack


def count_blinks(track: ExpressionTrack, *, closed: float = 0.4, reopen: float = 0.7) -> int:
    """Blinks in face 0: the mean openness of both eyes drops below ``closed`` and comes back above
    ``reopen`` (hysteresis, so flicker around one threshold is not counted twice)."""
    face = track.for_face(track.face_ids()[0]) if len(track) else track
    openness = face.openness.mean(axis=1)[face.present]
    blinks, shut = 0, False
    for o in openness:
        if not shut and o < closed:
            shut = True
        elif shut and o > reopen:
            shut, blinks = False, blinks + 1
    return blinks


def summarise_capture(path: str | Path) -> str:
    """A few lines: frames, face coverage, head motion, blinks and the most active shapes."""
    track = read_track(path)
    face = track.for_face(track.face_ids()[0])
    seen = face.present
    lines = [f"\n[bold]What FaceMimic saw[/] in {Path(path).name}: {len(face)} frames at {track.fps:.2f} fps, "
             f"{seen.mean():.0%} with a face"]
    if seen.any():
        rot = face.head_rotation[seen]
        lines.append("  head turned  yaw {:+.0f}°…{:+.0f}°, pitch {:+.0f}°…{:+.0f}°, roll {:+.0f}°…{:+.0f}°".format(
            *np.ravel(np.stack([rot.min(0), rot.max(0)], 1))))
        lines.append(f"  blinks       {count_blinks(track)}")
        w = face.weights[seen]
        spread = np.percentile(w, 95, axis=0) - np.percentile(w, 5, axis=0)
        from .expressions.names import UE_NAMES

        top = np.argsort(-spread)[:6]
        lines.append("  most active  " + ", ".join(f"{UE_NAMES[i]} ({spread[i]:.2f})" for i in top))
    return "\n".join(lines)
