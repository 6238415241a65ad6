"""VRM Animation (``.vrma``, ``VRMC_vrm_animation`` 1.0): expression weights for VRM apps.

Per the VRMA spec each expression is a glTF node listed under
``extensions.VRMC_vrm_animation.expressions.preset|custom``, and the **x component of that node's
translation** is the expression's weight (clamped to [0, 1] by players). The ``look*`` presets are
not allowed: gaze goes to ``lookAt`` instead.

**lookAt** (``look_at=True``): a root node whose **rotation** turns +Z (forward) to the gaze
direction (mean of both eyes; yaw about +Y, then pitch about +X: +yaw looks to the model's left,
+pitch looks down), relative to the head. The spec draft speaks of the node's position as a gaze
point, but the reference loader (``@pixiv/three-vrm-animation``) reads the lookAt node's rotation
and rejects any other path, so FaceMimic writes the rotation only.

The file also carries the humanoid (``humanoid.humanBones``, required by the spec) as a T-pose
skeleton of the VRM 1.0 required bones plus chest and neck; with ``head=True`` the head bone is
animated from the track's head rotation (VRM 1.0 axes: +Z forward, +Y up, subject's left = +X).

Which expressions:

* with an avatar (VRM 1.0 or 0.x): the avatar's own expressions — its presets (0.x presets
  renamed to 1.0, ``joy`` -> ``happy`` …) and every custom expression whose name the alias table
  knows (e.g. ARKit-named "perfect sync" customs, or the ``UE_<shape>`` customs of a
  ``facemimic avatar3d`` VRM; with either set the emotion and viseme presets, and beside perfect
  sync the blinks, rest: :func:`.aliases.one_expression_vocabulary`);
* without: the presets happy, angry, sad, relaxed, surprised, aa, ih, ou, ee, oh, blinkLeft,
  blinkRight, plus the 52 ARKit names as custom expressions when ``perfect_sync=True``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import InputError
from ...expressions.names import ARKIT_NAMES, VRM1_PRESETS
from .aliases import VRM0_PRESET_TO_VRM1, Alias, one_expression_vocabulary, resolve_name
from .base import ClipExporter, ExportOptions, ExportResult, clip_name, load_avatar, prepare_track
from .gltf_io import GltfDocument
from .signals import TrackSignals, unused_channels
from .testhead import HUMANOID_BONES, add_humanoid_nodes

SPEC_VERSION = "1.0"
# Presets a VRMA may animate (look* are lookAt's job).
VRMA_PRESETS = tuple(p for p in VRM1_PRESETS if not p.startswith("look"))
DEFAULT_PRESETS = ("happy", "angry", "sad", "relaxed", "surprised", "aa", "ih", "ou", "ee", "oh",
                   "blinkLeft", "blinkRight")


def _axis_quat(axis: int, angle: np.ndarray) -> np.ndarray:
    q = np.zeros(angle.shape + (4,), np.float64)
    q[..., axis] = np.sin(angle / 2)
    q[..., 3] = np.cos(angle / 2)
    return q


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    return np.stack([aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw,
                     aw * bw - ax * bx - ay * by - az * bz], -1)


def head_quaternions(head_rotation: np.ndarray) -> np.ndarray:
    """FaceMimic head (yaw, pitch, roll) degrees -> VRM 1.0 local rotations (x, y, z, w).

    +yaw (subject turns to their right) turns the face from +Z towards −X (a negative rotation
    about +Y); +pitch (looks down) is a positive rotation about +X; +roll (tilts to the subject's
    left, i.e. +X) is a negative rotation about +Z. Applied yaw, then pitch, then roll.

    Parameters
    ----------
    head_rotation : np.ndarray [shape=(T, 3)]

    Returns
    -------
    np.ndarray [shape=(T, 4), dtype=float32], unit quaternions with w >= 0 continuity-fixed.
    """
    r = np.radians(np.nan_to_num(np.asarray(head_rotation, np.float64)))
    q = _qmul(_qmul(_axis_quat(1, -r[:, 0]), _axis_quat(0, r[:, 1])), _axis_quat(2, -r[:, 2]))
    # Keep neighbouring quaternions in the same hemisphere so LINEAR interpolation takes the short way.
    for i in range(1, len(q)):
        if np.dot(q[i], q[i - 1]) < 0:
            q[i] = -q[i]
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def gaze_quaternions(gaze: np.ndarray) -> np.ndarray:
    """FaceMimic gaze (VRCFT units, both eyes) -> lookAt rotations (x, y, z, w), shape (T, 4).

    Parameters
    ----------
    gaze : np.ndarray [shape=(T, 2, 2)]
        ``[left, right] x [x, y]``, ``tan`` of the angle; +x the subject's right, +y up.
    """
    g = np.nan_to_num(np.asarray(gaze, np.float64)).mean(axis=1)  # (T, 2)
    yaw = -np.arctan(g[:, 0])  # the subject's right is the model's -X: negative yaw
    pitch = -np.arctan(g[:, 1])  # up is negative pitch
    q = _qmul(_axis_quat(1, yaw), _axis_quat(0, pitch))
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def avatar_expressions(doc: GltfDocument) -> list[tuple[str, bool, Alias | None]]:
    """``(name, is_preset, alias)`` for every expression a VRM avatar defines (VRM 1.0 names)."""
    ext = doc.json.get("extensions", {})
    out: list[tuple[str, bool, Alias | None]] = []
    if "VRMC_vrm" in ext:
        exprs = ext["VRMC_vrm"].get("expressions", {})
        for name in exprs.get("preset", {}):
            out.append((name, True, Alias("vrm", name) if name in VRM1_PRESETS else None))
        for name in exprs.get("custom", {}):
            out.append((name, False, resolve_name(name)))
    elif "VRM" in ext:
        for g in ext["VRM"].get("blendShapeMaster", {}).get("blendShapeGroups", []):
            preset = VRM0_PRESET_TO_VRM1.get(str(g.get("presetName", "unknown")).lower())
            if preset:
                out.append((preset, True, Alias("vrm", preset)))
            elif g.get("name"):
                out.append((str(g["name"]), False, resolve_name(str(g["name"]))))
    else:
        raise InputError(doc.source, "is not a VRM (no VRMC_vrm or VRM extension); a VRMA drives a VRM's "
                         "expressions, so give a VRM avatar or none")
    return out


class VrmaExporter(ClipExporter):
    name = "vrma"
    extension = ".vrma"
    description = "VRM Animation (VRMC_vrm_animation 1.0) of expression weights and head rotation"

    def export(self, track, path, options: ExportOptions | None = None) -> ExportResult:
        options = options or ExportOptions()
        path = Path(path)
        tr, notes = prepare_track(track, options, self.name)
        if options.avatar is not None:
            avatar = load_avatar(options.avatar)
            exprs = avatar_expressions(avatar)
        else:
            exprs = [(p, True, Alias("vrm", p)) for p in DEFAULT_PRESETS]
            if options.perfect_sync:
                exprs += [(n, False, Alias("arkit", n)) for n in ARKIT_NAMES]
        skipped = [n for n, is_preset, _ in exprs if is_preset and n not in VRMA_PRESETS]
        if skipped:
            notes.append(f"not animatable in VRMA (lookAt's job): {', '.join(skipped)}")
        exprs = [(n, p, a) for n, p, a in exprs if not (p and n not in VRMA_PRESETS) and n != "neutral"]
        # an avatar whose UE_<shape> or perfect-sync customs carry the shapes one by one: the presets
        # summarising them rest (without an avatar both sets are written, for whichever it has)
        once = one_expression_vocabulary([n for n, _, _ in exprs], [a for _, _, a in exprs]) \
            if options.avatar is not None else [a for _, _, a in exprs]
        resting = [n for (n, _, a), b in zip(exprs, once) if a is not None and b is None]
        exprs = [(n, p, b) for (n, p, _), b in zip(exprs, once)]
        if resting:
            notes.append(f"presets left at rest ({', '.join(resting)}): the avatar's own expressions of each shape "
                         f"(UE_* or perfect sync) make the same shapes (driving both would move each twice)")
        driven = [(n, p, a) for n, p, a in exprs if a is not None]
        names = {n for n, _, _ in driven}
        split = "blink" in names and bool({"blinkLeft", "blinkRight"} & names)
        signals = TrackSignals.from_track(tr, split_blink=split)

        doc = GltfDocument({"asset": {"version": "2.0", "generator": "FaceMimic"}})
        nodes: list[dict] = []
        bone_index = add_humanoid_nodes(nodes)
        times = tr.time.astype(np.float32)
        t_in = doc.add_accessor(times, "SCALAR")
        samplers, channels = [], []
        preset_nodes, custom_nodes = {}, {}
        zeros = np.zeros(len(tr), np.float32)
        for n, is_preset, alias in driven:
            idx = len(nodes)
            nodes.append({"name": f"Expression_{n}"})
            (preset_nodes if is_preset else custom_nodes)[n] = {"node": idx}
            xyz = np.stack([signals.values(alias), zeros, zeros], 1)
            samplers.append({"input": t_in, "output": doc.add_accessor(xyz, "VEC3"), "interpolation": "LINEAR"})
            channels.append({"sampler": len(samplers) - 1, "target": {"node": idx, "path": "translation"}})
        if options.head:
            q = head_quaternions(tr.head_rotation)
            samplers.append({"input": t_in, "output": doc.add_accessor(q, "VEC4"), "interpolation": "LINEAR"})
            channels.append({"sampler": len(samplers) - 1, "target": {"node": bone_index["head"], "path": "rotation"}})
        look_node = None
        if options.look_at:
            look_node = len(nodes)
            head_y = sum(HUMANOID_BONES[b][1][1] for b in ("hips", "spine", "chest", "neck", "head"))
            nodes.append({"name": "lookAt", "translation": [0.0, float(head_y) + 0.06, 0.0]})
            q = gaze_quaternions(tr.gaze)
            samplers.append({"input": t_in, "output": doc.add_accessor(q, "VEC4"), "interpolation": "LINEAR"})
            channels.append({"sampler": len(samplers) - 1, "target": {"node": look_node, "path": "rotation"}})
        g = doc.json
        g["nodes"] = nodes
        g["scene"] = 0
        g["scenes"] = [{"nodes": [bone_index["hips"]] + [v["node"] for v in (*preset_nodes.values(),
                                                                             *custom_nodes.values())]
                                 + ([look_node] if look_node is not None else [])}]
        g["animations"] = [{"name": clip_name(options, path), "samplers": samplers, "channels": channels}]
        expressions = {}
        if preset_nodes:
            expressions["preset"] = preset_nodes
        if custom_nodes:
            expressions["custom"] = custom_nodes
        ext = {"specVersion": SPEC_VERSION, "humanoid": {"humanBones": {b: {"node": i} for b, i in bone_index.items()}}}
        if expressions:
            ext["expressions"] = expressions
        if look_node is not None:
            ext["lookAt"] = {"node": look_node}
        g["extensions"] = {"VRMC_vrm_animation": ext}
        doc.add_extension_used("VRMC_vrm_animation")
        written = doc.save(path)
        read = [a for _, _, a in driven]
        return ExportResult(
            path=written, format=self.name, frames=len(tr), duration=float(times[-1]),
            mapped=tuple(("expressions", n, a.key) for n, _, a in driven),
            unmapped_targets=tuple(f"expressions/{n}" for n, _, a in exprs if a is None and n not in resting),
            unused_channels=tuple(c for c in unused_channels(signals, read)
                                  if not (c == "gaze" and look_node is not None)),
            notes=tuple(notes))
