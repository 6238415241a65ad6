"""Godot 4 ``Animation`` resource (``.tres``) with one blend-shape track per driven shape.

Grammar (Godot 4 text resource, ``format=3``)::

    [gd_resource type="Animation" format=3]

    [resource]
    resource_name = "smile"
    length = 2.5
    loop_mode = 0
    step = 0.0333333
    tracks/0/type = "blend_shape"
    tracks/0/imported = false
    tracks/0/enabled = true
    tracks/0/path = NodePath("HeadARKit:jawOpen")
    tracks/0/interp = 1
    tracks/0/loop_wrap = true
    tracks/0/keys = PackedFloat32Array(0, 1, 0.1, 0.0333333, 1, 0.25, …)

A blend-shape track's ``keys`` are triplets ``time, transition, value`` (``BLEND_SHAPE_TRACK_SIZE``
= 3 in Godot's ``animation.cpp``); transition 1 is linear easing, ``interp = 1`` is linear
interpolation. Runs of equal values are reduced to their ends (exact under linear interpolation).
The NodePath is ``<mesh node path>:<blend shape>`` relative to the AnimationPlayer's root node:
by default the glTF node's path in the avatar (what Godot's glTF importer names the
MeshInstance3D), or ``--node-path`` (e.g. ``Armature/Skeleton3D/Body`` for skinned avatars).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...common.files import AtomicFile
from .base import ClipExporter, ExportOptions, ExportResult, clip_name
from .curves import engine_clip, keep_keys


def gd_string(s: str) -> str:
    """A Godot string literal (quotes and backslashes escaped)."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(x: float) -> str:
    return f"{x:.6g}"


def _time(x: float) -> str:
    # Key times need float32's full precision: a 1e-6 s error on a fast blink is visible.
    return f"{x:.9g}"


class GodotExporter(ClipExporter):
    name = "godot"
    extension = ".tres"
    description = "Godot 4 Animation resource with blend_shape tracks"

    def export(self, track, path, options: ExportOptions | None = None) -> ExportResult:
        options = options or ExportOptions()
        path = Path(path)
        clip = engine_clip(track, options, self.name)
        tr, curves = clip.track, clip.curves
        times = tr.time.astype(np.float64)
        length = float(times[-1]) if len(times) > 1 else 1.0 / tr.fps
        lines = ['[gd_resource type="Animation" format=3]', "", "[resource]",
                 f"resource_name = {gd_string(clip_name(options, path))}",
                 f"length = {_time(length)}", f"loop_mode = {1 if options.loop else 0}",
                 f"step = {_num(1.0 / tr.fps)}"]
        for k, c in enumerate(curves):
            v = np.round(c.values.astype(np.float64), 6)
            keep = keep_keys(v)
            cells = [f"{_time(t)}, 1, {_num(x)}" for t, x in zip(times[keep], v[keep])]
            p = f"tracks/{k}/"
            lines += [f'{p}type = "blend_shape"', f"{p}imported = false", f"{p}enabled = true",
                      f"{p}path = NodePath({gd_string(c.path + ':' + c.shape)})",
                      f"{p}interp = 1", f"{p}loop_wrap = true",
                      f"{p}keys = PackedFloat32Array({', '.join(cells)})"]
        with AtomicFile(path, "w") as out:
            out.file.write("\n".join(lines) + "\n")
        return clip.result(out.path, self.name, float(times[-1]))
