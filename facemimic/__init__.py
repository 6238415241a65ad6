"""FaceMimic: AI facial expressions for avatars.

The public API is loaded lazily (``facemimic.track`` imports MediaPipe only when first used), so
``import facemimic`` and ``facemimic --help`` stay instant.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

# name -> module that defines it
_LAZY = {
    "ExpressionFrame": "facemimic.expressions.frame",
    "ExpressionTrack": "facemimic.expressions.track",
    "merge_tracks": "facemimic.expressions.track",
    "read_track": "facemimic.expressions.io",
    "write_track": "facemimic.expressions.io",
    "UE_NAMES": "facemimic.expressions.names",
    "ARKIT_NAMES": "facemimic.expressions.names",
    "track": "facemimic.capture.api",
    "capture": "facemimic.capture.api",
    "CaptureOptions": "facemimic.capture.options",
    "FaceMimicError": "facemimic.errors",
    "LipSyncOptions": "facemimic.lipsync.api",
    "LiveLipSync": "facemimic.lipsync.live",
    "say": "facemimic.voice.synth",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'facemimic' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
