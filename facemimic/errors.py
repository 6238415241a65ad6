"""One exception root for FaceMimic, with user-facing subclasses.

Every error a user can cause (a bad file, an unknown name, an out-of-range option) is a
:class:`FaceMimicError`; the CLI turns it into a one-line ``Error: …`` and a non-zero exit.
Messages quote the offending value or file so the line stands on its own.
"""

from __future__ import annotations

from pathlib import Path


class FaceMimicError(Exception):
    """Root of every error FaceMimic raises on purpose."""


class ParameterError(FaceMimicError, ValueError):
    """An option or argument has a bad value; the message quotes it."""


class UnknownNameError(ParameterError, KeyError):
    """A name (shape, format, emotion, …) is not known; the message lists close matches."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class InputError(FaceMimicError):
    """An input file or device cannot be used: ``<file>: <problem>``."""

    def __init__(self, source: str | Path, problem: str) -> None:
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")


class NoFaceError(InputError):
    """No face was found where one is required."""


class ModelAssetError(FaceMimicError):
    """A model file is missing, unreadable or fails its SHA-256 check."""


class OutputError(FaceMimicError):
    """An output path cannot be written."""

    def __init__(self, target: str | Path, problem: str) -> None:
        self.target = str(target)
        self.problem = problem
        super().__init__(f"{self.target}: {problem}")


class ShapeError(ParameterError):
    """An array has the wrong shape; carries the actual and expected shapes."""

    def __init__(self, name: str, actual: tuple, expected: str) -> None:
        self.actual_shape = tuple(actual)
        self.expected_shape = expected
        super().__init__(f"{name} has shape {self.actual_shape}, expected {expected}")


def is_number(value) -> bool:
    """Whether ``value`` is one real number (Python or NumPy int or float; not a bool, which is an
    int to Python but never a count or a measure here). NaN and inf are numbers: callers that
    refuse them say so."""
    import numpy as np

    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_path(value, what: str):
    """``value`` as a :class:`~pathlib.Path` when it is a str or path-like; otherwise one
    :class:`ParameterError`, "``what``, got TYPE" (None and the like failed inside pathlib with
    "expected str, bytes or os.PathLike")."""
    import os
    from pathlib import Path

    if not isinstance(value, (str, os.PathLike)):
        raise ParameterError(f"{what}, got {type(value).__name__}")
    return Path(value)


def check_options(options, cls: type, *, name: str = "options"):
    """``options`` when it is ``None`` or a ``cls``; anything else (a dict of its fields, a wrong
    options class) is a :class:`ParameterError` naming what was given, raised before any work."""
    if options is None or isinstance(options, cls):
        return options
    hint = f"; build one with {cls.__name__}(**{name})" if isinstance(options, dict) else ""
    raise ParameterError(f"{name} must be a {cls.__name__} or None, got {type(options).__name__}{hint}")


def suggest(name: str, choices: "list[str] | tuple[str, ...]", n: int = 3) -> str:
    """Return ``" (did you mean A, B?)"`` for the closest known names, or ``""``."""
    import difflib

    if not isinstance(name, str):  # an int or None where a name belongs: nothing is close to it
        return ""
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    if not close:
        return ""
    return " (did you mean " + ", ".join(lowered[c] for c in close) + "?)"
