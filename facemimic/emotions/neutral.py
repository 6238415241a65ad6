"""What a real face at rest reads in the unit: the part of a photo's reading that is the person.

Weights are read against the *population* rest (docs/units.md), the average neutral face. A real
person's face at rest differs from that average, and the difference reads as an expression: on the
neutral first frames of ten CK+ sitters (every CK+ sequence starts at the sitter's neutral face)
the capture stage reads EyeWide 0.28-0.90 (median 0.48: eyes open wider than the average's),
BrowLowerer 0.05-0.66, MouthFrown 0.05-0.28, LipPucker up to 0.38 (``benchmarks/neutral_readings.py``).

A neutral rest that takes all of a photo's reading off (``animate --rest neutral``) therefore
draws a neutral sitter as someone else: lids lowered half-way over eyes that were simply open,
brows raised, lips pursed (``benchmarks/portrait_rest.py --onsets``). From one photo a face's own
rest cannot be told from a slight expression, so the rest takes off only what lies beyond the range
real neutral faces read: a soft threshold per channel at :data:`NEUTRAL_SPREAD` (the sparse
estimate of an expression over a person's own variation). A broad smile (corner pull 0.75-0.98)
still goes; a face that merely has open eyes or low brows keeps them.

A reading is expression whatever its size where the rest of the face says so. An expression moves
several channels together, and some of them no neutral face reads at all: surprise widens the eyes
under raised brows (AU5 with AU1+2), anger lowers the brows over tightened lids and pressed lips
(AU4 with AU7 and AU24), and real neutral faces read brow raise, lid tightening and lip press at 0.
So for each basic emotion of the FACS table (``emotions.states``: its core and usual AUs, through
``facs.AU_TO_X`` to UE channels), the evidence that a face shows it is how far its *distinctive*
channels (those real neutral faces read within :data:`DISTINCTIVE`) read beyond their spread, past a
margin of :data:`DISTINCTIVE` more (a neutral face's own noise), and it is full
:data:`COMPANION_FULL` further; every other channel of that emotion loses its spread by that share.
A face with open eyes and calm brows keeps its eyes; a surprised face's widened eyes all go.

And the lips' shapes of an open mouth: with the lips apart, lowering the lower lip and raising the
upper one *are* the opening, and the ring the parted lips make reads as pucker and funnel; a
neutral rest closes all of it (``lips_apart``; the spread was measured on closed mouths).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..expressions.names import UE_NAMES, side_stem

# Per channel stem (both sides): the 75th percentile of |reading| over ten CK+ sitters' neutral
# onset frames (each sitter's frames averaged; EmoPy 0.0.5's CK+ sequences S052-S132), as
# `python benchmarks/neutral_readings.py --table` prints it. Channels real neutral faces read at 0
# (the eyes' squint, the cheeks' puff, the tongue ...) are not listed: the whole reading is expression.
NEUTRAL_SPREAD = {"EyeWide": 0.65, "BrowPinch": 0.25, "BrowLowerer": 0.45, "CheekSquint": 0.03, "JawOpen": 0.23,
                  "MouthClosed": 0.22, "LipSuckLower": 0.01, "LipPuckerUpper": 0.21, "LipPuckerLower": 0.21,
                  "MouthUpperUp": 0.05, "NoseSneer": 0.17, "MouthLowerDown": 0.2, "MouthCornerPull": 0.04,
                  "MouthCornerSlant": 0.02, "MouthFrown": 0.18, "MouthStretch": 0.08, "MouthDimple": 0.01,
                  "MouthRaiserUpper": 0.04, "MouthRaiserLower": 0.07, "EyeClosed": 0.08}
# ("EyeClosed" is the frame's lids, 1 - openness: not a weight; resting_lids)
DISTINCTIVE = 0.06  # a channel whose neutral spread is below this tells an expression when it reads
COMPANION_FULL = 0.3  # a distinctive channel this far past its spread and margin (weight): the emotion is shown
_OPENING = ("MouthLowerDown", "MouthUpperUp", "JawOpen", "MouthClosed", "LipPuckerUpper", "LipPuckerLower",
            "LipFunnelUpper", "LipFunnelLower")


def resting_lids(closed, spread: dict[str, float] | None = None) -> tuple[float, ...]:
    """The part of a photo's lid closure (EyeClosed, ``1 - openness``, per eye) that a real neutral
    face rests with: each closure up to the spread of ``"EyeClosed"`` (real neutral faces read their
    lids 0-0.24 closed; a rest that opened them all the way drew a stare); the rest is expression."""
    s = float((NEUTRAL_SPREAD if spread is None else spread).get("EyeClosed", 0.0))
    return tuple(min(max(float(np.nan_to_num(c)), 0.0), s) for c in closed)


def spread_vector(spread: dict[str, float] | None = None) -> np.ndarray:
    """(88,) :data:`NEUTRAL_SPREAD` (or ``spread``) per UE channel, in ``UE_NAMES`` order (0 unlisted)."""
    table = NEUTRAL_SPREAD if spread is None else spread
    return np.array([float(table.get(side_stem(n), 0.0)) for n in UE_NAMES], np.float32)


@lru_cache(maxsize=1)
def _emotion_channels() -> np.ndarray:
    """(E, 88) bool: per basic emotion, the UE channels its FACS core and usual AUs move (through
    ``facs.AU_TO_X``; sides kept apart)."""
    from .facs import AU_POS, AU_TO_X
    from .states import BASIC, STATES

    rows = []
    for name in BASIC[1:]:  # (BASIC[0] is neutral: no AUs)
        moved = np.zeros(len(UE_NAMES), bool)
        for r in (*STATES[name].core, *STATES[name].optional):
            moved |= AU_TO_X[:len(UE_NAMES), AU_POS[r.au], :].max(axis=1) > 0.05
        rows.append(moved)
    return np.array(rows)


# (88,) each channel's side: 0 left, 1 right, -1 midline
_SIDES = np.array([0 if n.endswith("Left") else 1 if n.endswith("Right") else -1 for n in UE_NAMES])
_OPENING_MASK = np.array([side_stem(n) in _OPENING for n in UE_NAMES])


def beyond_neutral(weights: np.ndarray, spread: dict[str, float] | None = None, *,
                   lips_apart: bool = False) -> np.ndarray:
    """The part of a photo's reading that is expression: each weight moved towards 0 by its channel's
    neutral spread, and no further (a soft threshold); a channel's spread shrinks as an emotion it
    belongs to shows on its distinctive channels, and an open mouth's shapes have none (the module
    docstring).

    Parameters
    ----------
    weights : np.ndarray [shape=(88,)]
        A photo's UE weights against the population rest (NaN read as 0).
    spread : dict, optional
        Channel stem -> spread (default :data:`NEUTRAL_SPREAD`).
    lips_apart : bool
        The photo's lips are apart (its inner-lip gap past touching).

    Returns
    -------
    np.ndarray [shape=(88,), dtype=float32]
        ``sign(w) * max(|w| - spread, 0)``.
    """
    w = np.nan_to_num(np.asarray(weights, np.float32))
    s = spread_vector(spread)
    beyond = np.maximum(np.abs(w) - s, 0.0)  # each channel past its own spread
    distinctive = s < DISTINCTIVE
    shown = np.zeros(len(UE_NAMES), np.float32)  # per channel: how surely an emotion it is part of shows
    for moved in _emotion_channels():
        for side in (0, 1):
            here = moved & (_SIDES != 1 - side)  # this side's channels and the midline's
            if not (here & distinctive).any():
                continue
            # (a distinctive channel's first DISTINCTIVE past its spread is still a neutral face's noise)
            evidence = float(np.clip((beyond[here & distinctive].max() - DISTINCTIVE) / COMPANION_FULL, 0.0, 1.0))
            shown[here] = np.maximum(shown[here], evidence)
    s = s * (1.0 - shown)
    if lips_apart:
        s[_OPENING_MASK] = 0.0
    return (np.sign(w) * np.maximum(np.abs(w) - s, 0.0)).astype(np.float32)


__all__ = ["COMPANION_FULL", "DISTINCTIVE", "NEUTRAL_SPREAD", "beyond_neutral", "resting_lids", "spread_vector"]
