"""Unity ``AnimationClip`` (``.anim``, YAML) with ``blendShape.<Name>`` float curves.

For VRChat avatar workflows: drop the ``.anim`` into the project and use it in an FX layer or on
the avatar's face mesh. Each driven shape becomes one float curve on the SkinnedMeshRenderer
(``classID: 137``) at ``path`` — by default the glTF node's path in the avatar (how UniVRM and
glTF importers name the hierarchy), or ``--node-path`` (VRChat avatars usually ``Body``). Unity
blend-shape weights are 0–100. Keys are linear (``tangentMode: 69``: both tangents linear,
broken) with finite-difference slopes; runs of equal values are reduced to their ends. Both
``m_FloatCurves`` and ``m_EditorCurves`` are written, plus ``m_ClipBindingConstant`` (CRC32 of the
path and attribute), as Unity itself serialises them.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from ...common.files import AtomicFile
from .base import ClipExporter, ExportOptions, ExportResult, clip_name
from .curves import engine_clip, keep_keys

SKINNED_MESH_RENDERER = 137  # Unity class ID
LINEAR_TANGENTS = 69  # broken (1) | left Linear (2 << 1) | right Linear (2 << 5)


def yaml_scalar(s: str) -> str:
    """A YAML plain scalar when safe, else a single-quoted one (Unity writes paths unquoted)."""
    s = str(s)
    if s and s == s.strip() and not any(c in s for c in ":#{}[],&*!|>'\"%@`\n") and s[0] not in "-?":
        return s
    return "'" + s.replace("'", "''") + "'"


def _num(x: float) -> str:
    return f"{x:.7g}"


def _curve_block(times: np.ndarray, values: np.ndarray, indent: str) -> list[str]:
    """The ``curve:`` mapping of one float curve (keys at ``times`` with ``values`` 0..100)."""
    n = len(times)
    if n > 1:
        slope = np.diff(values) / np.maximum(np.diff(times), 1e-9)
        in_s = np.concatenate([[slope[0]], slope])
        out_s = np.concatenate([slope, [slope[-1]]])
    else:
        in_s = out_s = np.zeros(1)
    out = [f"{indent}curve:", f"{indent}  serializedVersion: 2", f"{indent}  m_Curve:"]
    k = indent + "  "
    # One %-template per key: formatting dominates the export time for long clips.
    key = (f"{k}- serializedVersion: 3\n{k}  time: %.9g\n{k}  value: %.7g\n{k}  inSlope: %.7g\n"
           f"{k}  outSlope: %.7g\n{k}  tangentMode: {LINEAR_TANGENTS}\n{k}  weightedMode: 0\n"
           f"{k}  inWeight: 0.33333334\n{k}  outWeight: 0.33333334")
    rows = np.stack([times, values, in_s, out_s], 1).tolist()
    out.append("\n".join([key % tuple(r) for r in rows]))
    out += [f"{indent}  m_PreInfinity: 2", f"{indent}  m_PostInfinity: 2", f"{indent}  m_RotationOrder: 4"]
    return out


class UnityExporter(ClipExporter):
    name = "unity"
    extension = ".anim"
    description = "Unity AnimationClip (.anim) with blendShape float curves"

    def export(self, track, path, options: ExportOptions | None = None) -> ExportResult:
        options = options or ExportOptions()
        path = Path(path)
        clip = engine_clip(track, options, self.name)
        tr, curves = clip.track, clip.curves
        times = tr.time.astype(np.float64)
        float_curves: list[str] = []
        bindings: list[str] = []
        for c in curves:
            v = np.round(c.values.astype(np.float64) * 100.0, 4)
            keep = keep_keys(v)
            attribute = f"blendShape.{c.shape}"
            block = _curve_block(times[keep], v[keep], "    ")
            float_curves += ["  - " + block[0].lstrip()] + block[1:]  # "  - curve:" opens the list item
            float_curves += [f"    attribute: {yaml_scalar(attribute)}", f"    path: {yaml_scalar(c.path)}",
                             f"    classID: {SKINNED_MESH_RENDERER}", "    script: {fileID: 0}"]
            bindings += ["    - serializedVersion: 2", f"      path: {zlib.crc32(c.path.encode())}",
                         f"      attribute: {zlib.crc32(attribute.encode())}", "      script: {fileID: 0}",
                         f"      typeID: {SKINNED_MESH_RENDERER}", "      customType: 20", "      isPPtrCurve: 0",
                         "      isIntCurve: 0", "      isSerializeReferenceCurve: 0"]
        stop = float(times[-1])
        fc = "\n".join(float_curves)
        head = ["%YAML 1.1", "%TAG !u! tag:unity3d.com,2011:", "--- !u!74 &7400000", "AnimationClip:",
                "  m_ObjectHideFlags: 0", "  m_CorrespondingSourceObject: {fileID: 0}",
                "  m_PrefabInstance: {fileID: 0}", "  m_PrefabAsset: {fileID: 0}",
                f"  m_Name: {yaml_scalar(clip_name(options, path))}", "  serializedVersion: 7",
                "  m_Legacy: 0", "  m_Compressed: 0", "  m_UseHighQualityCurve: 1",
                "  m_RotationCurves: []", "  m_CompressedRotationCurves: []", "  m_EulerCurves: []",
                "  m_PositionCurves: []", "  m_ScaleCurves: []",
                "  m_FloatCurves:" + ("" if curves else " []")]
        mid = ["  m_PPtrCurves: []", f"  m_SampleRate: {_num(tr.fps)}", "  m_WrapMode: 0",
               "  m_Bounds:", "    m_Center: {x: 0, y: 0, z: 0}", "    m_Extent: {x: 0, y: 0, z: 0}",
               "  m_ClipBindingConstant:", "    genericBindings:" + ("" if curves else " []")]
        tail = ["    pptrCurveMapping: []", "  m_AnimationClipSettings:", "    serializedVersion: 2",
                "    m_AdditiveReferencePoseClip: {fileID: 0}", "    m_AdditiveReferencePoseTime: 0",
                "    m_StartTime: 0", f"    m_StopTime: {stop:.9g}", "    m_OrientationOffsetY: 0",
                "    m_Level: 0", "    m_CycleOffset: 0", "    m_HasAdditiveReferencePose: 0",
                f"    m_LoopTime: {1 if options.loop else 0}", "    m_LoopBlend: 0",
                "    m_LoopBlendOrientation: 0", "    m_LoopBlendPositionY: 0", "    m_LoopBlendPositionXZ: 0",
                "    m_KeepOriginalOrientation: 0", "    m_KeepOriginalPositionY: 1",
                "    m_KeepOriginalPositionXZ: 0", "    m_HeightFromFeet: 0", "    m_Mirror: 0",
                "  m_EditorCurves:" + ("" if curves else " []")]
        end = ["  m_EulerEditorCurves: []", "  m_HasGenericRootTransform: 0", "  m_HasMotionFloatCurves: 0",
               "  m_Events: []"]
        parts = ["\n".join(head)] + ([fc] if curves else []) + ["\n".join(mid)] + \
            (["\n".join(bindings)] if curves else []) + ["\n".join(tail)] + ([fc] if curves else []) + ["\n".join(end)]
        with AtomicFile(path, "w") as out:
            out.file.write("\n".join(parts) + "\n")
        return clip.result(out.path, self.name, stop)
