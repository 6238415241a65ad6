"""glTF 2.0 / VRM: the track as a morph-target weight animation inside a copy of the avatar.

Every mesh node with at least one driven target gets a ``weights`` channel; all channels share one
time accessor (one keyframe per frame, LINEAR). Targets the track cannot drive keep the mesh's
default weight. Existing animations are kept; the new one is appended (named after the clip).

With ``head=True`` (default) and a track whose head moves, the head also turns: a ``rotation``
channel on the VRM humanoid head bone, a node named like a head bone, or — for unrigged heads such
as the test head — the mesh nodes themselves (:mod:`.headpose`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import ClipExporter, ExportOptions, ExportResult, clip_name, load_avatar, map_avatar, prepare_track
from .headpose import head_local_rotations, head_nodes
from .signals import TrackSignals, unused_channels


def node_weights(nm, signals: TrackSignals) -> np.ndarray:
    """Weights (T, n_targets) for one mapped node: driven targets from the track, others at default.

    Parameters
    ----------
    nm : NodeMapping
    signals : TrackSignals

    Returns
    -------
    np.ndarray [shape=(T, n_targets), dtype=float32]
    """
    out = np.tile(np.asarray(nm.node.default_weights, np.float32), (len(signals), 1))
    for j, alias in enumerate(nm.aliases):
        if alias is not None:
            out[:, j] = signals.values(alias)
    return out


class GltfExporter(ClipExporter):
    name = "gltf"
    extension = ".glb"
    description = "avatar (.glb/.gltf/.vrm) with a morph-target weight animation"

    def export(self, track, path, options: ExportOptions | None = None) -> ExportResult:
        options = options or ExportOptions()
        path = Path(path)
        tr, notes = prepare_track(track, options, self.name)
        # A ".vrm" output without an avatar gets the VRM 1.0 test head, so the file is a real VRM.
        vrm = "1.0" if options.avatar is None and path.suffix.lower() == ".vrm" else None
        mapping = map_avatar(load_avatar(options.avatar, vrm=vrm))
        doc = mapping.doc
        signals = TrackSignals.from_track(tr, split_blink=mapping.split_blink)
        times = tr.time.astype(np.float32)
        t_in = doc.add_accessor(times, "SCALAR")
        samplers, channels, by_mesh = [], [], {}
        for nm in mapping.driven:
            mesh = nm.node.mesh
            if mesh not in by_mesh:  # nodes sharing a mesh share its sampler
                w = node_weights(nm, signals)
                out = doc.add_accessor(w.reshape(-1), "SCALAR")
                samplers.append({"input": t_in, "output": out, "interpolation": "LINEAR"})
                by_mesh[mesh] = len(samplers) - 1
            channels.append({"sampler": by_mesh[mesh], "target": {"node": nm.node.node, "path": "weights"}})
        if options.head and np.abs(np.nan_to_num(tr.head_rotation)).max(initial=0) > 1e-3:
            heads, how = head_nodes(doc.json, [nm.node.node for nm in mapping.driven])
            movable = [h for h in heads if "matrix" not in doc.json["nodes"][h]]
            if movable:
                for h in movable:
                    q = head_local_rotations(doc.json, h, tr.head_rotation)
                    samplers.append({"input": t_in, "output": doc.add_accessor(q, "VEC4"), "interpolation": "LINEAR"})
                    channels.append({"sampler": len(samplers) - 1, "target": {"node": h, "path": "rotation"}})
                notes.append(f"head rotation on {how}")
            else:
                notes.append(f"head rotation not exported ({how if not heads else 'head node uses a matrix'})")
        doc.json.setdefault("animations", []).append({
            "name": clip_name(options, path), "samplers": samplers, "channels": channels,
            "extras": {"facemimic": {"fps": tr.fps, "gaps": options.gaps,
                                     "time_offset": tr.metadata.get("time_offset", 0.0)}},
        })
        if {"VRMC_vrm", "VRM"} & set(doc.json.get("extensions", {})) and options.avatar is not None:
            notes.append("VRM runtimes (UniVRM, three-vrm) set morph targets from expressions every frame; "
                         "for VRM apps export --format vrma")
        asset = doc.json.setdefault("asset", {"version": "2.0"})
        asset.setdefault("generator", "FaceMimic")
        written = doc.save(path)
        return ExportResult(
            path=written, format=self.name, frames=len(tr), duration=float(times[-1]),
            mapped=mapping.mapped(), unmapped_targets=mapping.unmapped(),
            unused_channels=unused_channels(signals, mapping.all_aliases()),
            notes=tuple(notes) + mapping.rest_notes())
