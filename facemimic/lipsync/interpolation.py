"""Names of the ways mouth curves are interpolated between cues.

Kept apart from :mod:`.visemes` (which needs the expression geometry, ~30 ms of imports) so
that validating options costs nothing: a Rhubarb TSV run never draws curves.
"""

from __future__ import annotations

from ..errors import UnknownNameError, suggest

INTERPOLATIONS = ("smooth", "cosine", "linear-keyframes", "step")


def check_interpolation(name: str) -> str:
    """``name`` if it is one of :data:`INTERPOLATIONS`, else :class:`UnknownNameError` with suggestions."""
    if name not in INTERPOLATIONS:
        raise UnknownNameError(f"unknown interpolation {name!r}{suggest(name, INTERPOLATIONS)}; "
                               f"valid: {', '.join(INTERPOLATIONS)}")
    return name


__all__ = ["INTERPOLATIONS", "check_interpolation"]
