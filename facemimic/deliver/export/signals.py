"""Per-frame values for every :class:`~.aliases.Alias`, computed from one face's track arrays.

The conversions are vectorised over the whole clip and computed once per vocabulary (ARKit via
``ue_to_arkit``, VRM via :mod:`facemimic.deliver.vrm_mapping`), so mapping 52 or 150 targets costs
the same as mapping one.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ...expressions.names import N_UE, UE_INDEX, UE_NAMES as _UE_NAMES
from ...expressions.vrcft import simple_expressions
from ..vrm_mapping import arkit_weights, vrm1_weights
from .aliases import Alias, alias_sources

# A UE channel counts as "used by the track" when it ever exceeds this weight.
ACTIVE_THRESHOLD = 1e-3


class TrackSignals:
    """Values of every alias for ``T`` frames of one face (no gaps: fill them first).

    Parameters
    ----------
    weights : np.ndarray [shape=(T, 88)]
    gaze : np.ndarray [shape=(T, 2, 2)]
    openness : np.ndarray [shape=(T, 2)]
    split_blink : bool
        When the avatar has a ``blink`` target as well as ``blinkLeft``/``blinkRight``, the sides
        carry only what ``blink`` does not (``blinkLeft = closedLeft − blink``), so additive
        avatars close each eye exactly once. Otherwise each side carries its full closure.
    """

    def __init__(self, weights: np.ndarray, gaze: np.ndarray, openness: np.ndarray, *,
                 split_blink: bool = False) -> None:
        self.weights = np.nan_to_num(np.asarray(weights, np.float32))
        self.gaze = np.nan_to_num(np.asarray(gaze, np.float32))
        self.openness = np.nan_to_num(np.asarray(openness, np.float32), nan=1.0)
        if self.weights.ndim != 2 or self.weights.shape[1] != N_UE:
            from ...errors import ShapeError

            raise ShapeError("weights", self.weights.shape, f"(T, {N_UE})")
        self.split_blink = split_blink

    @classmethod
    def from_track(cls, track, *, split_blink: bool = False) -> "TrackSignals":
        """From an :class:`ExpressionTrack` of one face without gaps."""
        return cls(track.weights, track.gaze, track.openness, split_blink=split_blink)

    def __len__(self) -> int:
        return int(self.weights.shape[0])

    @cached_property
    def _arkit(self) -> dict[str, np.ndarray]:
        return arkit_weights(self.weights, self.gaze, self.openness)

    @cached_property
    def _vrm(self) -> dict[str, np.ndarray]:
        out = dict(vrm1_weights(self.weights, self.gaze, self.openness))
        if not self.split_blink:
            closed = np.clip(1.0 - self.openness, 0.0, 1.0).astype(np.float32)
            out["blinkLeft"], out["blinkRight"] = closed[:, 0], closed[:, 1]
        return out

    @cached_property
    def _simple(self) -> dict[str, np.ndarray]:
        return simple_expressions(self.weights)  # VRCFT's formulas, kept in expressions/vrcft.py

    def values(self, alias: Alias) -> np.ndarray:
        """The alias's weight per frame, shape (T,), float32 in [0, 1]."""
        if alias.kind == "ue":
            v = self.weights[:, UE_INDEX[alias.name]]
        elif alias.kind == "arkit":
            v = self._arkit[alias.name]
        elif alias.kind == "ue_eye":
            # EyeClosed*/EyeLook* follow the ARKit eye rules (eyeBlink*, eyeLook*).
            ark = alias.name.replace("EyeClosed", "eyeBlink").replace("EyeLook", "eyeLook")
            v = self._arkit[ark]
        elif alias.kind == "ue_simple":
            v = self._simple[alias.name]
        elif alias.kind == "min_of":  # a combination target: the smaller of its two ARKit drivers
            a, b = alias.name.split(",")
            v = np.minimum(np.clip(self._arkit[a], 0.0, None), np.clip(self._arkit[b], 0.0, None))
        else:
            v = self._vrm[alias.name]
        return np.clip(np.nan_to_num(v), 0.0, 1.0).astype(np.float32)

    def active_channels(self) -> frozenset[str]:
        """UE shapes (and ``gaze``/``openness``) that move at all in this clip."""
        active = {n for n, on in zip(_UE_NAMES, (np.abs(self.weights) > ACTIVE_THRESHOLD).any(axis=0)) if on}
        if (np.abs(self.gaze) > ACTIVE_THRESHOLD).any():
            active.add("gaze")
        if (self.openness < 1.0 - ACTIVE_THRESHOLD).any():
            active.add("openness")
        return frozenset(active)


def unused_channels(signals: TrackSignals, aliases) -> tuple[str, ...]:
    """Channels that move in the clip but that none of ``aliases`` reads, in UE order."""
    read: set[str] = set()
    for a in aliases:
        read |= alias_sources(a)
    left = signals.active_channels() - read
    order = {n: i for i, n in enumerate((*_UE_NAMES, "gaze", "openness"))}
    return tuple(sorted(left, key=order.__getitem__))


__all__ = ["ACTIVE_THRESHOLD", "TrackSignals", "unused_channels"]
