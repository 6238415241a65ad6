"""Option types shared by every command, so one value means the same thing everywhere.

``FPS`` is the one frame-rate rule (``--fps`` of ``animate``, ``avatar render``, ``export``,
``express``, ``lipsync``, ``say``; ``--camera-fps`` of ``track``): a finite number from
:data:`MIN_FPS` to :data:`MAX_FPS`. ``SEED`` is what NumPy's generators accept (0 to 2**32 - 1).
Both fail as one click usage line (``Invalid value for '--fps': …``), exit 2, before any work.

The module name starts with ``_`` so the CLI does not list it as a command; it imports only click.
"""

from __future__ import annotations

import math

import click

MIN_FPS = 1.0
MAX_FPS = 240.0  # the fastest webcams and VR headsets; more is a typo, not a frame rate
MAX_SEED = 2**32 - 1  # numpy.random.default_rng / SeedSequence take any non-negative int; 32 bits is portable


class FiniteFloatRange(click.FloatRange):
    """A :class:`click.FloatRange` that also refuses ``nan`` (which compares false to both bounds,
    so a plain range lets it through) and ``inf``."""

    name = "float range"

    def convert(self, value, param, ctx):
        rv = super().convert(value, param, ctx)
        if rv is not None and not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


FPS = FiniteFloatRange(MIN_FPS, MAX_FPS)
SEED = click.IntRange(0, MAX_SEED)
