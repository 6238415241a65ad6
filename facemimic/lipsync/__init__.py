"""Lip sync: audio (+ transcript) -> phones -> Rhubarb mouth shapes -> viseme / UE curves.

``lipsync(path_or_samples, text=...)`` returns a :class:`LipSyncResult` with ``phones``, ``cues``,
``track()``, ``curves()`` and ``write()``; :class:`LiveLipSync` streams audio chunks to frames.
"""

from .api import LipSyncOptions, LipSyncResult, from_phones, lipsync
from ..phonetics.phones import Phone
from .shapes import AnimationOptions, MouthCue

__all__ = ["AnimationOptions", "LipSyncOptions", "LipSyncResult", "LiveLipSync", "LiveOptions",
           "MouthCue", "Phone", "from_phones", "lipsync"]


def __getattr__(name: str):
    # The live classes are imported on first use: they need the viseme curves and the
    # expression geometry (~30 ms of imports) that a file lip sync to Rhubarb TSV never touches.
    if name in ("LiveLipSync", "LiveOptions"):
        from . import live

        return getattr(live, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
