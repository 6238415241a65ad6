"""What every clip exporter shares: options, the result/report, track preparation, avatar mapping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from itertools import repeat
from pathlib import Path

import numpy as np

from ...errors import InputError, ParameterError
from .aliases import Alias, combination_alias, resolve_name
from ...expressions.track import GAP_FILLS, check_gap_fill
from .gltf_io import GltfDocument, MorphNode, load_gltf, morph_nodes

GAP_METHODS = GAP_FILLS  # ExpressionTrack.fill_gaps: hold | interpolate | neutral


@dataclass(frozen=True)
class ExportOptions:
    """Options of every exporter (each uses the fields that apply to its format)."""

    avatar: str | Path | None = None  # .glb/.gltf/.vrm avatar; None = FaceMimic's procedural test head
    gaps: str = "hold"  # tracking gaps: hold the last face, interpolate linearly across, or go neutral
    fps: float | None = None  # resample the track to this rate first; None keeps its frames as they are
    face_id: int | None = None  # which face of a multi-face track; None = the first face
    name: str | None = None  # clip/animation name; None = the output file's stem
    node_path: str | None = None  # Godot/Unity: mesh node path (overrides the avatar's node paths)
    head: bool = True  # glTF/VRMA: turn the head bone (or unrigged head) with the track's head pose
    look_at: bool = True  # VRMA: animate the lookAt node from the track's gaze
    perfect_sync: bool = False  # VRM / VRMA without avatar: also write the 52 ARKit names as custom expressions
    loop: bool = False  # Godot loop_mode / Unity m_LoopTime
    # VRM: (expression name, track time in s) pairs, or a {name: seconds} dict
    expressions: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        check_gap_fill(self.gaps)
        if self.fps is not None and not (np.isfinite(self.fps) and 0 < self.fps <= 1000):
            raise ParameterError(f"fps must be in (0, 1000], got {self.fps!r}")
        if self.face_id is not None and int(self.face_id) != self.face_id:
            raise ParameterError(f"face_id must be an integer, got {self.face_id!r}")
        if self.name is not None and not str(self.name).strip():
            raise ParameterError("clip name must not be empty")
        if self.node_path is not None and not str(self.node_path).strip():
            raise ParameterError("node path must not be empty")
        exprs = _expression_times(self.expressions)
        for n, t in exprs:
            if not n.strip():
                raise ParameterError("expression names must not be empty")
            if not np.isfinite(t):
                raise ParameterError(f"expression {n!r}: time must be a number, got {t!r}")
        object.__setattr__(self, "expressions", exprs)


def _expression_times(value) -> tuple[tuple[str, float], ...]:
    """``expressions`` as ``((name, seconds), …)`` from pairs or a ``{name: seconds}`` dict (a dict
    failed with "too many values to unpack")."""
    from ...expressions.frame import ExpressionFrame

    pairs = list(value.items()) if isinstance(value, Mapping) else value
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Iterable):
        raise ParameterError(f"expressions must be (name, seconds) pairs or a {{name: seconds}} dict, got {value!r}")
    out = []
    for item in pairs:
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
            raise ParameterError(f"expressions must be (name, seconds) pairs or a {{name: seconds}} dict, "
                                 f"got the item {item!r}")
        n, t = item
        if isinstance(t, ExpressionFrame):
            raise ParameterError(f"expression {n!r}: expressions takes track times in seconds; write frames "
                                 f"with get_exporter('vrm').export_frames({{name: frame}}, path)")
        try:
            out.append((str(n), float(t)))
        except (TypeError, ValueError):
            raise ParameterError(f"expression {n!r}: time must be a number of seconds, got {t!r}") from None
    return tuple(out)


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote and what it could not map (both ways)."""

    path: Path  # the file written
    format: str  # exporter name
    frames: int  # keyframes per curve before any simplification
    duration: float  # seconds from the first to the last keyframe
    mapped: tuple[tuple[str, str, str], ...]  # (node path, target name, alias key) per driven target
    unmapped_targets: tuple[str, ...]  # "node/target" the track cannot drive
    unused_channels: tuple[str, ...]  # track channels (UE names, gaze, openness) nothing receives
    notes: tuple[str, ...] = field(default_factory=tuple)  # renames, replaced expressions, gap fills …
    # named expressions written instead of a clip (the vrm exporter): (name, the track time it was
    # taken from, or None for a frame not from the track)
    expressions: tuple[tuple[str, float | None], ...] = field(default_factory=tuple)

    def summary(self) -> str:
        """A few human-readable lines for the CLI."""
        if self.expressions:  # still poses, not a clip: no frames or duration to speak of
            what = _short([n if t is None else f"{n} (t = {t:.2f} s)" for n, t in self.expressions], 6)
            lines = [f"Wrote {self.path} ({self.format}): {len(self.expressions)} expression(s): {what}; "
                     f"{len(self.mapped)} targets driven"]
        else:
            lines = [f"Wrote {self.path} ({self.format}): {self.frames} frames, {self.duration:.2f} s, "
                     f"{len(self.mapped)} targets driven"]
        if self.unmapped_targets:
            lines.append(f"  not driven ({len(self.unmapped_targets)}): {_short(self.unmapped_targets)}")
        if self.unused_channels:
            lines.append(f"  track channels with no target ({len(self.unused_channels)}): "
                         f"{_short(self.unused_channels)}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _short(items, n: int = 12) -> str:
    items = list(items)
    return ", ".join(items[:n]) + (f", … (+{len(items) - n})" if len(items) > n else "")


# -- track preparation -------------------------------------------------------------------------------

# The options only some formats read (the others apply to every format); a value other than the
# default for any other format is said in the result's notes, and ``expressions`` is refused there as
# the CLI's ``--expression`` is.
OPTION_FORMATS: dict[str, tuple[str, ...]] = {
    "name": ("gltf", "vrma", "godot", "unity"),  # vrm writes expressions, not a named clip
    "node_path": ("godot", "unity"),
    "head": ("gltf", "vrma"),
    "look_at": ("vrma",),
    "perfect_sync": ("vrm", "vrma"),
    "loop": ("godot", "unity"),
    "expressions": ("vrm",),
}


def option_notes(options: ExportOptions, fmt: str) -> list[str]:
    """Notes for the options set (not at their defaults) that ``fmt`` does not read; a
    :class:`ParameterError` for ``expressions`` outside ``vrm`` (a ``.vrma`` export ignored them)."""
    defaults = {f.name: f.default for f in fields(ExportOptions)}
    unused = [k for k, formats in OPTION_FORMATS.items()
              if fmt not in formats and getattr(options, k) != defaults[k]]
    if "expressions" in unused:
        raise ParameterError(f"expressions apply to the vrm format only (named expressions in a VRM), "
                             f"not to {fmt}; a {fmt} export takes the whole track")
    return [f"option {k}={getattr(options, k)!r} has no effect on a {fmt} export "
            f"(it applies to {', '.join(OPTION_FORMATS[k])})" for k in unused]


def prepare_track(track, options: ExportOptions, fmt: str | None = None):
    """One face, gaps filled, optionally resampled, strictly increasing times starting at 0.

    ``track`` is an :class:`ExpressionTrack` or the path of a track file; ``fmt`` (the exporter's
    name) adds :func:`option_notes` for it.

    Returns
    -------
    track : ExpressionTrack
        Times shifted so the clip starts at 0 s (``metadata['time_offset']`` keeps the shift).
    notes : list of str
    """
    from ...expressions.io import read_track
    from ...expressions.track import ExpressionTrack

    notes: list[str] = [] if fmt is None else option_notes(options, fmt)
    if isinstance(track, (str, Path)):  # a track file (.jsonl/.csv/.npz)
        track = read_track(track)
    if not isinstance(track, ExpressionTrack):
        raise ParameterError(f"expected an ExpressionTrack, got {type(track).__name__}")
    tr = track.single_face(options.face_id)
    faces = track.face_ids()
    if len(faces) > 1 and options.face_id is None:
        notes.append(f"track has faces {list(faces)}; exported face {faces[0]} (choose with face_id / --face)")
    gaps = int((~tr.present).sum())
    if gaps and not tr.present.any():
        notes.append("the track has no face in any frame: exported a neutral face")
    elif gaps:
        notes.append(f"{gaps} gap frame(s) filled by '{options.gaps}'")
    tr = tr.fill_gaps(options.gaps)
    if options.fps is not None:
        tr = tr.resample(options.fps)
    # glTF and the engines need strictly increasing key times: keep the last of equal times.
    keep = np.append(np.diff(tr.time) > 1e-9, True)
    if not keep.all():
        notes.append(f"{int((~keep).sum())} frame(s) with repeated times dropped")
        tr = tr[keep]
    tr = tr.shifted(-float(tr.time[0])).with_metadata(time_offset=float(track.time[0]))
    return tr, notes


# -- avatar mapping --------------------------------------------------------------------------------

@dataclass(frozen=True)
class NodeMapping:
    """One morph node of the avatar and the alias of each of its targets (None = not driven)."""

    node: MorphNode  # the glTF node, its mesh and target names
    aliases: tuple[Alias | None, ...]  # one per target, in target order; None = not driven
    # per target: a known UE name left at rest because the mesh's ARKit targets make the same shape
    # (:func:`one_vocabulary`); () = none
    shadowed: tuple[bool, ...] = ()

    @property
    def matched(self) -> int:
        return sum(a is not None for a in self.aliases)


@dataclass(frozen=True)
class AvatarMapping:
    """The avatar document and how each of its morph targets is driven."""

    doc: GltfDocument  # the avatar (edited in place by the exporters that write into it)
    nodes: tuple[NodeMapping, ...]  # every node with morph targets, in node order

    @property
    def driven(self) -> tuple[NodeMapping, ...]:
        """The nodes with at least one driven target."""
        return tuple(nm for nm in self.nodes if nm.matched)

    @property
    def split_blink(self) -> bool:
        """True when the avatar has a ``blink`` target besides per-eye ones (see TrackSignals)."""
        return any(a is not None and a.key == "vrm:blink" for nm in self.nodes for a in nm.aliases)

    def all_aliases(self) -> list[Alias]:
        return [a for nm in self.nodes for a in nm.aliases if a is not None]

    def mapped(self) -> tuple[tuple[str, str, str], ...]:
        return tuple((nm.node.node_path, name, a.key) for nm in self.nodes
                     for name, a in zip(nm.node.target_names, nm.aliases) if a is not None)

    def unmapped(self) -> tuple[str, ...]:
        """``node/target`` of each target nothing drives (UE names left at rest on purpose aside)."""
        return tuple(f"{nm.node.node_path}/{name}" for nm in self.nodes
                     for name, a, at_rest in zip(nm.node.target_names, nm.aliases, nm.shadowed or repeat(False))
                     if a is None and not at_rest)

    def rest_notes(self) -> tuple[str, ...]:
        """What to say of the UE-named targets left at rest (:func:`one_vocabulary`): one note or none."""
        n = sum(sum(nm.shadowed) for nm in self.nodes)
        return (f"{n} UE-named targets left at rest: this avatar's ARKit targets make the same shapes "
                f"(driving both would move each twice)",) if n else ()


def load_avatar(avatar: str | Path | None, *, vrm: str | None = None) -> GltfDocument:
    """The avatar document, or the test head (as VRM ``vrm`` version if given) when ``avatar`` is None."""
    if avatar is None:
        from .testhead import build_test_head

        return build_test_head(vrm=vrm)
    return load_gltf(avatar)


def one_vocabulary(aliases: tuple[Alias | None, ...]) -> tuple[Alias | None, ...]:
    """A mesh with both ARKit- and UE-named targets (a "perfect sync + Unified Expressions" face,
    e.g. from ``facemimic avatar3d``) is driven through its ARKit targets only: every UE shape is
    also in the ARKit mix (``ue_to_arkit``), so driving both would move each shape twice."""
    from ...expressions.names import UE_NAMES
    from .aliases import UE_EYE_NAMES

    # names both vocabularies share (JawOpen, EyeLookInLeft) are not a sign of an ARKit set
    ue = {n.lower() for n in (*UE_NAMES, *UE_EYE_NAMES)}
    arkit_only = any(a is not None and a.kind == "arkit" and a.name.lower() not in ue for a in aliases)
    if arkit_only and any(a is not None and a.kind in ("ue", "ue_simple") for a in aliases):
        return tuple(None if a is not None and a.kind in ("ue", "ue_simple") else a for a in aliases)
    return aliases


def resolve_targets(names, combinations=None) -> tuple[tuple[Alias | None, ...], tuple[bool, ...]]:
    """How ``facemimic export`` drives the morph targets of one mesh, by name.

    Parameters
    ----------
    names : sequence of str
        The mesh's morph target names.
    combinations : dict, optional
        The mesh's ``extras.combinations`` (target name -> ``{"drivers": [a, b], "weight": "min"}``):
        those targets are driven by their rule (:func:`.aliases.combination_alias`), not their name.

    Returns
    -------
    aliases : tuple of Alias or None
        One per name (None: nothing drives it), after :func:`one_vocabulary`.
    shadowed : tuple of bool
        One per name: a known UE name left at rest because ARKit targets make the same shape.
    """
    combos = combinations if isinstance(combinations, dict) else {}
    resolved = tuple(combination_alias(combos[n]) if n in combos else resolve_name(n) for n in names)
    kept = one_vocabulary(resolved)
    return kept, tuple(r is not None and k is None for r, k in zip(resolved, kept))


def map_avatar(doc: GltfDocument) -> AvatarMapping:
    """Resolve every morph target name of every mesh node through the alias table.

    Raises
    ------
    InputError
        The avatar has no morph targets, or none of their names is known (the message lists what
        was found, so the user can see the naming scheme).
    """
    found = morph_nodes(doc.json)
    if not found:
        meshes = [m.get("name") or f"mesh{i}" for i, m in enumerate(doc.json.get("meshes", []))]
        raise InputError(doc.source, "has no morph targets (blend shapes)"
                         + (f"; meshes: {_short(meshes, 8)}" if meshes else "; it has no meshes"))
    # combination (corrective) targets the mesh declares are driven by their rule, not their name
    mapped = [NodeMapping(mn, *resolve_targets(mn.target_names,
                                               (doc.json["meshes"][mn.mesh].get("extras") or {}).get("combinations")))
              for mn in found]
    if not any(nm.matched for nm in mapped):
        names = sorted({n for mn in found for n in mn.target_names})
        raise InputError(doc.source, f"none of its {len(names)} morph target names is a known UE, ARKit or "
                         f"VRM name; found: {_short(names, 15)}")
    return AvatarMapping(doc, tuple(mapped))




class ClipExporter:
    """One export format: a ``name``, the file ``extension`` it writes, and :meth:`export`."""

    name = ""
    extension = ""
    description = ""

    def export(self, track, path: str | Path, options: ExportOptions | None = None) -> ExportResult:
        """Write ``track`` (an :class:`ExpressionTrack`) to ``path``; returns what was mapped."""
        raise NotImplementedError  # pragma: no cover - every registered exporter overrides it

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} ({self.extension})>"


def clip_name(options: ExportOptions, path: str | Path) -> str:
    """The clip name: the option, else the output file's stem."""
    return str(options.name).strip() if options.name else (Path(path).stem or "FaceMimic")


__all__ = ["AvatarMapping", "ClipExporter", "ExportOptions", "ExportResult", "GAP_METHODS", "NodeMapping",
           "OPTION_FORMATS", "clip_name", "load_avatar", "map_avatar", "option_notes", "prepare_track",
           "resolve_targets"]
