"""Per-target curves for the engine formats (Godot, Unity): one (node path, shape, values) each."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import AvatarMapping, ExportOptions, ExportResult, load_avatar, map_avatar, prepare_track
from .signals import TrackSignals, unused_channels


@dataclass(frozen=True)
class ShapeCurve:
    """The keys of one blend shape on one mesh node."""

    path: str  # mesh node path (Godot NodePath / Unity renderer path)
    shape: str  # blend shape name as the avatar spells it
    alias: str  # alias key that drives it (e.g. "arkit:jawOpen")
    values: np.ndarray  # (T,) weights in [0, 1]


def shape_curves(mapping: AvatarMapping, signals: TrackSignals, options: ExportOptions) -> list[ShapeCurve]:
    """Curves for every driven target; with ``options.node_path`` all go to that one path (the
    first node's spelling wins where several nodes share a shape name)."""
    out: list[ShapeCurve] = []
    seen: set[tuple[str, str]] = set()
    for nm in mapping.driven:
        path = options.node_path or nm.node.node_path
        for name, alias in zip(nm.node.target_names, nm.aliases):
            if alias is None or (path, name) in seen:
                continue
            seen.add((path, name))
            out.append(ShapeCurve(path, name, alias.key, signals.values(alias)))
    return out


@dataclass(frozen=True, eq=False)
class EngineClip:
    """What a game-engine clip writer (Godot, Unity) needs: the gap-free track and its curves."""

    track: object  # the prepared ExpressionTrack (one face, gaps filled)
    curves: list  # ShapeCurve per driven target
    mapping: AvatarMapping  # the avatar's targets and their aliases
    signals: TrackSignals  # per-frame values of every alias
    notes: tuple  # what prepare_track had to say (gaps filled, faces dropped …)

    def result(self, path, fmt: str, duration: float) -> ExportResult:
        """The :class:`ExportResult` for a written clip."""
        return ExportResult(
            path=path, format=fmt, frames=len(self.track), duration=duration,
            mapped=tuple((c.path, c.shape, c.alias) for c in self.curves),
            unmapped_targets=self.mapping.unmapped(),
            unused_channels=unused_channels(self.signals, self.mapping.all_aliases()),
            notes=tuple(self.notes) + self.mapping.rest_notes())


def engine_clip(track, options: ExportOptions, fmt: str | None = None) -> EngineClip:
    """Prepare ``track`` for ``options.avatar`` (or the test head) and build its shape curves;
    ``fmt``: the exporter's name, for notes on options it does not read."""
    tr, notes = prepare_track(track, options, fmt)
    mapping = map_avatar(load_avatar(options.avatar))
    signals = TrackSignals.from_track(tr, split_blink=mapping.split_blink)
    return EngineClip(tr, shape_curves(mapping, signals, options), mapping, signals, tuple(notes))


def keep_keys(values: np.ndarray) -> np.ndarray:
    """Mask of keys to keep: drops the inside of runs of equal values (exact under linear
    interpolation), so a still shape costs two keys instead of one per frame.

    Parameters
    ----------
    values : np.ndarray [shape=(T,)]

    Returns
    -------
    np.ndarray [shape=(T,), dtype=bool]
    """
    v = np.asarray(values)
    keep = np.ones(len(v), bool)
    if len(v) > 2:
        keep[1:-1] = ~((v[1:-1] == v[:-2]) & (v[1:-1] == v[2:]))
    return keep
