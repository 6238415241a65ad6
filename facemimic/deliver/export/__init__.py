"""Clip exporters: FaceMimic tracks into the animation systems avatars already use.

One small module per format behind a registry (whisper's ``get_writer`` pattern)::

    from facemimic.deliver.export import get_exporter, ExportOptions
    result = get_exporter("gltf").export(track, "smile.glb", ExportOptions(avatar="avatar.vrm"))
    print(result.summary())

=========  ===========  ===============================================================
name       extension    what it writes
=========  ===========  ===============================================================
gltf       .glb         the avatar (or test head) with a morph-target weight animation
vrm        .vrm         the VRM with named expressions added (1.0 custom / 0.x groups)
vrma       .vrma        a VRM Animation (``VRMC_vrm_animation``) of expression weights
godot      .tres        a Godot 4 ``Animation`` resource with blend-shape tracks
unity      .anim        a Unity ``AnimationClip`` with ``blendShape.*`` float curves
=========  ===========  ===============================================================

Target names are resolved through one alias table (:mod:`.aliases`); when no avatar is given the
procedural test head (:mod:`.testhead`) stands in. See ``docs/export.md``.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from ...errors import UnknownNameError, check_options, suggest
from .base import ExportOptions, ExportResult

# name -> (module, class); modules are imported on first use.
_REGISTRY: dict[str, tuple[str, str]] = {
    "gltf": ("gltf", "GltfExporter"),
    "vrm": ("vrm", "VrmExpressionExporter"),
    "vrma": ("vrma", "VrmaExporter"),
    "godot": ("godot", "GodotExporter"),
    "unity": ("unity", "UnityExporter"),
}
EXPORT_FORMATS: tuple[str, ...] = tuple(_REGISTRY)
# Output extension -> format, for when no format is named.
_BY_EXTENSION = {".glb": "gltf", ".gltf": "gltf", ".vrm": "vrm", ".vrma": "vrma", ".tres": "godot",
                 ".anim": "unity"}


def get_exporter(name: str):
    """The exporter instance registered as ``name`` (``gltf``, ``vrm``, ``vrma``, ``godot``, ``unity``).

    Raises
    ------
    UnknownNameError
        Unknown name; the message lists the valid ones.
    """
    key = str(name).strip().lower()
    if key not in _REGISTRY:
        raise UnknownNameError(f"unknown export format {name!r}{suggest(str(name), EXPORT_FORMATS)}; "
                               f"valid formats: {', '.join(EXPORT_FORMATS)}")
    module, cls = _REGISTRY[key]
    return getattr(import_module(f"{__name__}.{module}"), cls)()


def format_for_path(path: str | Path) -> str:
    """The format an output file's extension implies (``.glb`` -> ``gltf`` …)."""
    ext = Path(path).suffix.lower()
    if ext not in _BY_EXTENSION:
        raise UnknownNameError(f"cannot tell the export format from {str(path)!r}; name one of "
                               f"{', '.join(EXPORT_FORMATS)} (--format)")
    return _BY_EXTENSION[ext]


def export_track(track, path: str | Path, *, format: str | None = None,
                 options: ExportOptions | None = None, **option_fields) -> ExportResult:
    """Export ``track`` to ``path``; the format comes from ``format`` or the file extension.

    ``option_fields`` are :class:`ExportOptions` fields (``avatar=…``, ``gaps="interpolate"`` …).
    """
    if check_options(options, ExportOptions) is None:
        options = ExportOptions(**option_fields)
    elif option_fields:
        from dataclasses import replace

        options = replace(options, **option_fields)
    return get_exporter(format or format_for_path(path)).export(track, Path(path), options)


__all__ = ["EXPORT_FORMATS", "ExportOptions", "ExportResult", "export_track", "format_for_path", "get_exporter"]
