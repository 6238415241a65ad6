"""VRM expressions: named FaceMimic frames written into a VRM as expressions.

Each expression is one frame of UE weights, turned into the avatar's own morph-target weights
through the alias table, and written as

* VRM 1.0: ``extensions.VRMC_vrm.expressions.custom.<name>`` with
  ``morphTargetBinds [{node, index, weight 0..1}]``;
* VRM 0.x: ``extensions.VRM.blendShapeMaster.blendShapeGroups[]`` entries
  ``{name, presetName, binds [{mesh, index, weight 0..100}], materialValues, isBinary}``.

Emotion names become presets: ``happy``/``joy``, ``angry``, ``sad``/``sorrow``,
``relaxed``/``fun``, ``surprised`` (VRM 0.x has no surprised preset: it stays custom). An existing
preset or custom expression of the same name is replaced (and reported); in VRM 1.0 its
``isBinary``/``override*`` settings are kept, so the avatar's blink/mouth blocking still works. Any other name that
collides with a preset or 0.x clip name (``aa``, ``Blink``, ``neutral`` …) gets ``_custom`` appended,
so exported names never shadow presets. Binds below 0.01 are left out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import InputError, ParameterError
from ...expressions.frame import ExpressionFrame
from ...expressions.names import VRM0_CLIPS, VRM0_PRESET_NAMES, VRM1_PRESETS
from .aliases import normalize_name
from .base import ClipExporter, ExportOptions, ExportResult, load_avatar, map_avatar, prepare_track
from .signals import TrackSignals, unused_channels

MIN_BIND = 0.01  # binds weaker than this are dropped
_EMOTIONS = {"happy": "happy", "joy": "happy", "angry": "angry", "sad": "sad", "sorrow": "sad",
             "relaxed": "relaxed", "fun": "relaxed", "surprised": "surprised", "surprise": "surprised"}
_VRM0_EMOTION = {"happy": ("Joy", "joy"), "angry": ("Angry", "angry"), "sad": ("Sorrow", "sorrow"),
                 "relaxed": ("Fun", "fun")}
_RESERVED = {normalize_name(n) for n in (*VRM1_PRESETS, *VRM0_CLIPS, *VRM0_PRESET_NAMES)}


def vrm_version(gltf: dict) -> str | None:
    """``"1.0"`` (VRMC_vrm), ``"0.x"`` (VRM) or None."""
    ext = gltf.get("extensions", {})
    return "1.0" if "VRMC_vrm" in ext else "0.x" if "VRM" in ext else None


def plan_name(name: str) -> tuple[str, str | None, str | None]:
    """``(final name, emotion preset or None, note or None)`` for a requested expression name."""
    key = normalize_name(name)
    if key in _EMOTIONS:
        return _EMOTIONS[key], _EMOTIONS[key], None
    if key in _RESERVED:
        new = f"{name}_custom"
        return new, None, f"expression {name!r} collides with a VRM preset name: written as {new!r}"
    return name, None, None


def write_expressions(doc, frames: dict[str, ExpressionFrame]) -> tuple[list, list, list]:
    """Add ``frames`` as expressions to the VRM document ``doc`` (edited in place).

    Parameters
    ----------
    doc : GltfDocument
        A VRM 1.0 or 0.x document.
    frames : dict[str, ExpressionFrame]
        Expression name -> one frame of UE weights (gaps count as neutral).

    Returns
    -------
    mapped, unmapped, notes : list
        Driven targets ``(node path, target, alias key)``, undriven ``"node/target"``, notes.
    """
    version = vrm_version(doc.json)
    if version is None:
        raise InputError(doc.source, "is not a VRM (no VRMC_vrm or VRM extension); use --format gltf for "
                         "plain glTF avatars")
    if not frames:
        raise ParameterError("no expressions to write")
    mapping = map_avatar(doc)
    names = list(frames)
    stack = lambda get: np.stack([get(frames[n]) for n in names])  # noqa: E731
    weights = np.nan_to_num(stack(lambda f: f.weights))
    signals = TrackSignals(weights, stack(lambda f: f.gaze), stack(lambda f: np.array(f.openness, np.float32)),
                           split_blink=mapping.split_blink)
    per_expr: list[list[tuple[int, int, int, float]]] = [[] for _ in names]  # (node, mesh, index, weight)
    for nm in mapping.driven:
        for j, alias in enumerate(nm.aliases):
            if alias is None:
                continue
            v = signals.values(alias)
            for k in np.flatnonzero(v >= MIN_BIND):
                per_expr[k].append((nm.node.node, nm.node.mesh, j, round(float(v[k]), 4)))
    notes: list[str] = []
    ext = doc.json["extensions"]
    seen: set[str] = set()
    for k, requested in enumerate(names):
        final, preset, note = plan_name(requested)
        if note:
            notes.append(note)
        if final in seen:
            raise ParameterError(f"two expressions are both written as {final!r}")
        seen.add(final)
        binds = per_expr[k]
        if not binds:
            notes.append(f"expression {final!r} moves none of the avatar's targets (written empty)")
        if version == "1.0":
            exprs = ext["VRMC_vrm"].setdefault("expressions", {})
            group = "preset" if preset else "custom"
            table = exprs.setdefault(group, {})
            flags = {"isBinary": False, "overrideBlink": "none", "overrideLookAt": "none", "overrideMouth": "none"}
            if final in table:
                notes.append(f"replaced the avatar's {group} expression {final!r} (its override settings kept)")
                flags.update({k: v for k, v in table[final].items() if k in flags})
            table[final] = {"morphTargetBinds": [{"node": n, "index": i, "weight": w} for n, _, i, w in binds],
                            **flags}
        else:
            groups = ext["VRM"].setdefault("blendShapeMaster", {}).setdefault("blendShapeGroups", [])
            name0, preset0 = _VRM0_EMOTION.get(preset, (final if not preset else final.capitalize(), "unknown"))
            old = [g for g in groups if (preset0 != "unknown" and g.get("presetName") == preset0)
                   or str(g.get("name", "")).lower() == name0.lower()]
            if old:
                notes.append(f"replaced the avatar's blend shape group {old[0].get('name')!r}")
                groups[:] = [g for g in groups if not any(g is o for o in old)]
            # The same mesh may be bound from several nodes: keep one bind per (mesh, index).
            uniq = {(m, i): w for _, m, i, w in binds}
            groups.append({"name": name0, "presetName": preset0,
                           "binds": [{"mesh": m, "index": i, "weight": round(w * 100, 2)} for (m, i), w in uniq.items()],
                           "materialValues": [], "isBinary": False})
    unused = unused_channels(signals, mapping.all_aliases())
    return list(mapping.mapped()), list(mapping.unmapped()), notes + list(mapping.rest_notes()) + (
        [f"channels no target receives: {', '.join(unused)}"] if unused else [])


def perfect_sync_frames() -> dict[str, ExpressionFrame]:
    """The 52 ARKit shapes as expressions ("perfect sync"): one frame per shape at weight 1.

    Each frame is the ARKit one-hot vector taken through ``arkit_to_ue`` (eyeBlink as openness,
    eyeLook as gaze), so on an avatar with ARKit-named targets each expression binds its own
    target at 1.0 — the 52 custom clips VSeeFace/iFacialMocap-style "perfect sync" senders drive.
    """
    from ...expressions.arkit import arkit_to_ue
    from ...expressions.names import ARKIT_NAMES

    weights, gaze, openness = arkit_to_ue(np.eye(len(ARKIT_NAMES), dtype=np.float32))
    return {name: ExpressionFrame(time=0.0, weights=weights[i], gaze_left=tuple(gaze[i, 0]),
                                  gaze_right=tuple(gaze[i, 1]), openness_left=float(openness[i, 0]),
                                  openness_right=float(openness[i, 1]))
            for i, name in enumerate(ARKIT_NAMES)}


class VrmExpressionExporter(ClipExporter):
    name = "vrm"
    extension = ".vrm"
    description = "VRM (1.0 or 0.x) with named expressions added from track frames"

    def export(self, track, path, options: ExportOptions | None = None) -> ExportResult:
        """Write the frames at ``options.expressions`` (name, time) pairs as expressions.

        With no pairs given, one expression named after the output file is taken from the frame
        where the face moves most (largest sum of UE weights) — unless ``perfect_sync`` adds the
        52 ARKit expressions (:func:`perfect_sync_frames`).
        """
        options = options or ExportOptions()
        path = Path(path)
        tr, notes = prepare_track(track, options, self.name)
        offset = tr.metadata.get("time_offset", 0.0)
        frames: dict[str, ExpressionFrame] = {}
        taken: dict[str, float] = {}  # name -> the track time its frame was taken from
        if options.expressions:
            # a time outside the track was taken silently from its first or last frame
            # (`-e happy=99` on a 19.6 s track wrote the last frame); refused as `avatar render --at` is
            lo, hi = float(tr.time[0] + offset), float(tr.time[-1] + offset)
            slack = 0.5 / tr.fps if tr.fps else 0.0  # the nearest frame is at most half a frame away
            for name, t in options.expressions:
                if not lo - slack <= t <= hi + slack:
                    raise ParameterError(f"expression {name!r} at {t:g} s is outside the track "
                                         f"({lo:.2f} to {hi:.2f} s)")
                i = int(np.argmin(np.abs(tr.time + offset - t)))
                frames[name], taken[name] = tr[i], float(tr.time[i] + offset)
        elif not options.perfect_sync:
            i = int(np.argmax(np.nansum(tr.weights, axis=1)))
            name = path.stem or "expression"
            frames[name], taken[name] = tr[i], float(tr.time[i] + offset)
            notes.append(f"no expression times given: {path.stem!r} taken from t = {tr.time[i] + offset:.3f} s")
        if options.perfect_sync:
            frames.update(perfect_sync_frames())
        return self.export_frames(frames, path, options, notes=notes, times=taken)

    def export_frames(self, frames: dict[str, ExpressionFrame], path, options: ExportOptions | None = None,
                      *, notes: list[str] | None = None, times: dict[str, float] | None = None) -> ExportResult:
        """Write ``{name: ExpressionFrame}`` as expressions into the avatar (default: VRM 1.0 test
        head); ``times``: the track time each named frame was taken from, for the summary."""
        options = options or ExportOptions()
        doc = load_avatar(options.avatar, vrm="1.0")
        mapped, unmapped, more = write_expressions(doc, dict(frames))
        written = doc.save(Path(path))
        times = times or {}
        return ExportResult(path=written, format=self.name, frames=len(frames), duration=0.0,
                            mapped=tuple(mapped), unmapped_targets=tuple(unmapped), unused_channels=(),
                            notes=tuple((notes or []) + more),
                            expressions=tuple((n, times.get(n)) for n in frames))
