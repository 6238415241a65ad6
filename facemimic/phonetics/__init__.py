"""Speech sounds shared by lip sync and the built-in voice: timed phones and phone sets
(:mod:`phones`), the espeak-ng binding (:mod:`espeak`) and pronunciations from its rules (:mod:`g2p`).

A vocabulary below the stages: ``lipsync`` and ``voice`` both use it, neither reaches into the other.
"""
