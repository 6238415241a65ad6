"""Lip sync: audio (+ transcript) -> phones -> Rhubarb mouth shapes -> viseme / UE curves.

``lipsync(path_or_samples, text=...)`` returns a :class:`LipSyncResult` with ``phones``, ``cues``,
``track()``, ``curves()`` and ``write()``; :class:`LiveLipSync` streams audio chunks to frames.
"""

from .api import LipSyncOptions, LipSyncResult, from_phones, lipsync
from .live import LiveLipSync, LiveOptions
from ..phonetics.phones import Phone
from .shapes import AnimationOptions, MouthCue

__all__ = ["AnimationOptions", "LipSyncOptions", "LipSyncResult", "LiveLipSync", "LiveOptions",
           "MouthCue", "Phone", "from_phones", "lipsync"]
