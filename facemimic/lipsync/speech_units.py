"""What lip-sync tracks ask of a face, in the unit: chin drop and lip gap over speech, closures.

Lip sync writes UE weights; :func:`facemimic.expressions.mouth.implied_mouth` turns them back into
the geometry they stand for (inter-pupil-distance units), so that speech can be compared with real
faces (``benchmarks/units_speech.py``, ``docs/lipsync.md`` "Units").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..expressions.mouth import MouthGeometry, implied_mouth
from ..phonetics.phones import NOISE, SILENCE, Phone


def speech_mask(phones, times: np.ndarray) -> np.ndarray:
    """True for the frames at ``times`` (T,) that fall inside a spoken phone (not silence or noise).

    Returns
    -------
    np.ndarray [shape=(T,), dtype=bool]
    """
    times = np.asarray(times, np.float64)
    mask = np.zeros(len(times), bool)
    for p in phones:
        if p.name not in (SILENCE, NOISE):
            mask |= (times >= p.start) & (times < p.end)
    return mask


@dataclass(frozen=True)
class SpeechMouth:
    """The mouth of one lip-sync result over its speech frames, and its lip closures."""

    mouth: MouthGeometry  # implied geometry of the speech frames, arrays (N,)
    closure_gaps: np.ndarray  # (K,) the widest implied lip gap inside each closure cue (A)
    closures: tuple  # the K closure cues (MouthCue)


def speech_mouth(result, *, fps: float = 100.0) -> SpeechMouth:
    """Implied mouth geometry of a :class:`~facemimic.lipsync.api.LipSyncResult`'s UE track.

    Parameters
    ----------
    result : LipSyncResult
        From :func:`~facemimic.lipsync.lipsync` or :func:`~facemimic.lipsync.from_phones`.
    fps : float
        Frame rate the track is sampled at.

    Returns
    -------
    SpeechMouth
        ``closure_gaps[k]`` is the largest implied gap over the frames that fall inside closure
        cue ``k`` (0 when no frame does: a cue shorter than a frame).
    """
    tr = result.track(fps=fps)
    weights, times = tr.weights, tr.time
    mouth = implied_mouth(weights[speech_mask(result.phones, times)])
    gaps_all = implied_mouth(weights).lip_gap
    closures = tuple(c for c in result.cues if c.shape == "A")
    widest = []
    for c in closures:
        inside = (times >= c.start - 1e-6) & (times < c.end - 1e-6)
        widest.append(float(gaps_all[inside].max()) if inside.any() else 0.0)
    return SpeechMouth(mouth, np.asarray(widest, np.float64), closures)


def bilabial_phones(phones) -> list[Phone]:
    """The P/B/M phones of a phone list (the sounds whose lips must meet)."""
    return [p for p in phones if p.name in ("P", "B", "M")]
