"""Utilities below every stage: atomic file output and other shared helpers.

Nothing here imports a stage (``capture``, ``generate``, …) or ``expressions``; stages and the
centre import from here.
"""
