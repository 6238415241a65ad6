"""The built-in offline voice: espeak-ng speech with exact phone timings (``facemimic say``)."""

from .synth import Speech, VoiceOptions, phonemize_arpabet, say

__all__ = ["Speech", "VoiceOptions", "phonemize_arpabet", "say"]
