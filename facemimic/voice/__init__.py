"""The built-in offline voice: espeak-ng speech with exact phone timings (``facemimic say``)."""

from ..phonetics.g2p import phonemize_arpabet
from .synth import Speech, VoiceOptions, check_text_for_voice, say

__all__ = ["Speech", "VoiceOptions", "check_text_for_voice", "phonemize_arpabet", "say"]
