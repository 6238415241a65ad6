"""Emotion analysis: read states, valence/arousal and AU intensities back out of UE weights.

Use :func:`facemimic.analysis.api.analyze`; this package imports nothing heavy on its own.
"""
