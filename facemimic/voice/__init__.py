"""The built-in offline voice: espeak-ng speech with exact phone timings (``facemimic say``)."""

from ..phonetics.g2p import phonemize_arpabet
from .synth import Speech, VoiceOptions, say

__all__ = ["Speech", "VoiceOptions", "phonemize_arpabet", "say"]
