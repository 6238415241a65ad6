"""FaceMimic: AI facial expressions for avatars.

The public API, one call per job (each is documented where it is defined)::

    facemimic.track(source)                 capture a photo/video/folder/webcam -> ExpressionTrack
    facemimic.capture_frames(source)        the same, streamed frame by frame (live webcams)
    facemimic.express(prompt)               generated expressions -> list[ExpressionFrame]
    facemimic.express_clip(prompt)          a generated timed clip -> ExpressionTrack
    facemimic.lip_sync(audio, text=...)     speech -> mouth cues, phones, visemes, a mouth track
    facemimic.from_phones(phones, seconds)  known phones (e.g. from say) -> the same result
    facemimic.say(text)                     the built-in offline voice: audio + exact phones
    facemimic.animate_face(source, out)     a portrait or the built-in avatar -> MP4 + PNG
    facemimic.export(track, path)           glTF / VRM / VRMA / Godot / Unity clips
    facemimic.stream(source, to)            live to VRChat (OSC) or VMC receivers
    facemimic.avatar3d(photo, out)          a photo -> a textured 3D head (VRM/glTF, ARKit + UE targets)
    facemimic.analyze(source)               emotions, valence/arousal, action units
    facemimic.read_track(path) / write_track(track, path)

plus the types (``ExpressionFrame``, ``ExpressionTrack``, ``merge_tracks``), the vocabularies
(``UE_NAMES``, ``ARKIT_NAMES``), the option dataclasses and ``FaceMimicError`` (the base of every
error FaceMimic raises).

No public name equals a subpackage's name (``facemimic.capture``, ``.lipsync``, ``.animate`` …):
importing a subpackage sets that attribute on this module, which would shadow a function of the
same name. Everything loads lazily (``facemimic.track`` imports MediaPipe only when first used), so
``import facemimic`` and ``facemimic --help`` stay instant.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

# public name -> (module that defines it, its name there)
_LAZY = {
    # expression data
    "ExpressionFrame": ("facemimic.expressions.frame", "ExpressionFrame"),
    "ExpressionTrack": ("facemimic.expressions.track", "ExpressionTrack"),
    "merge_tracks": ("facemimic.expressions.track", "merge_tracks"),
    "read_track": ("facemimic.expressions.io", "read_track"),
    "write_track": ("facemimic.expressions.io", "write_track"),
    "UE_NAMES": ("facemimic.expressions.names", "UE_NAMES"),
    "ARKIT_NAMES": ("facemimic.expressions.names", "ARKIT_NAMES"),
    # capture
    "track": ("facemimic.capture.api", "track"),
    "capture_frames": ("facemimic.capture.api", "capture_frames"),
    "CaptureOptions": ("facemimic.capture.options", "CaptureOptions"),
    # generate and analyse
    "express": ("facemimic.generate.api", "express"),
    "express_clip": ("facemimic.generate.clips", "clip"),
    "GenerateOptions": ("facemimic.generate.api", "GenerateOptions"),
    "analyze": ("facemimic.analysis.api", "analyze"),
    # speech
    "lip_sync": ("facemimic.lipsync.api", "lipsync"),
    "from_phones": ("facemimic.lipsync.api", "from_phones"),
    "LipSyncOptions": ("facemimic.lipsync.api", "LipSyncOptions"),
    "LiveLipSync": ("facemimic.lipsync.live", "LiveLipSync"),
    "say": ("facemimic.voice.synth", "say"),
    "VoiceOptions": ("facemimic.voice.synth", "VoiceOptions"),
    # animate, export, stream
    "animate_face": ("facemimic.animate.portrait.api", "animate_face"),
    "PortraitOptions": ("facemimic.animate.portrait.animator", "PortraitOptions"),
    "export": ("facemimic.deliver.export", "export_track"),
    "ExportOptions": ("facemimic.deliver.export.base", "ExportOptions"),
    "stream": ("facemimic.deliver.api", "stream"),
    "StreamOptions": ("facemimic.deliver.streamers", "StreamOptions"),
    # a 3D avatar from a photo
    "avatar3d": ("facemimic.head3d.api", "avatar3d"),
    "Avatar3DOptions": ("facemimic.head3d.api", "Avatar3DOptions"),
    # errors
    "FaceMimicError": ("facemimic.errors", "FaceMimicError"),
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'facemimic' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
