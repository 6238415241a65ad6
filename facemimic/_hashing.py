"""SHA-256 of files: for the checked model loader (facemimic/common/assets.py) and downloaded wheels."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: str | Path, *, block: int = 1 << 20) -> str:
    """Hex SHA-256 digest of a file, read in blocks (flat memory for large files)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(block), b""):
            h.update(chunk)
    return h.hexdigest()
