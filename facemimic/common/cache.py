"""Derived data worth keeping between runs (calibrations, dictionary indexes), in the user cache.

Each kind of data has its own folder under the cache root, one file per entry named by a content
key (SHA-256 of everything the entry depends on), so a changed input or option is simply a miss.

* Root: ``$FACEMIMIC_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/facemimic`` (``~/.cache/facemimic``).
* ``FACEMIMIC_NO_CACHE=1`` turns every cache off (nothing read, nothing written).
* Writes are atomic (:class:`~facemimic.common.files.AtomicFile`), so a crash never leaves half an
  entry; an entry that cannot be read or parsed is treated as a miss, and the caller rebuilds it.
* Each folder is bounded (entries and bytes); the least recently used entries go first (a hit
  refreshes the entry's modification time).
* The cache is best effort: a read-only or full disk only costs the time the cache would save.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

ENV_DIR = "FACEMIMIC_CACHE_DIR"
ENV_OFF = "FACEMIMIC_NO_CACHE"
SUFFIX = ".bin"


def cache_root() -> Path | None:
    """The cache root, or None when caching is turned off (``FACEMIMIC_NO_CACHE``)."""
    if os.environ.get(ENV_OFF, "").strip().lower() not in ("", "0", "false", "no", "off"):
        return None
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "facemimic"


def content_key(*parts) -> str:
    """Hex SHA-256 over ``parts`` (bytes as they are, numpy arrays by dtype, shape and bytes, anything
    else by ``repr``), each one length-prefixed so that no two different lists of parts collide."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, (bytes, bytearray, memoryview)):
            b = bytes(p)
        elif hasattr(p, "tobytes") and hasattr(p, "dtype"):  # numpy arrays, without importing numpy
            import numpy as np

            a = np.ascontiguousarray(p)
            b = f"{a.dtype.str}{a.shape}".encode() + a.tobytes()
        else:
            b = repr(p).encode()
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def _touch(path: Path) -> None:
    """Set the modification time to now at full resolution: the kernel's own file times tick in
    milliseconds, too coarse to order entries used in quick succession."""
    now = time.time_ns()
    os.utime(path, ns=(now, now))


class DiskCache:
    """A bounded folder of ``key -> bytes`` entries under the cache root.

    Parameters
    ----------
    name : str
        Sub-folder of the cache root (``"calibrations"``).
    max_entries : int
        At most this many entries are kept.
    max_bytes : int
        And at most this many bytes in all.
    root : Path, optional
        Another root (tests); default :func:`cache_root`.
    """

    def __init__(self, name: str, *, max_entries: int = 64, max_bytes: int = 64 << 20,
                 root: Path | None = None) -> None:
        base = cache_root() if root is None else Path(root)
        self.folder = None if base is None else base / name
        self.max_entries = max_entries
        self.max_bytes = max_bytes

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def path(self, key: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{key}{SUFFIX}"

    def get(self, key: str) -> bytes | None:
        """The entry's bytes, or None (a miss, an unreadable entry, or caching off)."""
        p = self.path(key)
        if p is None:
            return None
        try:
            data = p.read_bytes()
            _touch(p)  # least recently *used*: a hit keeps the entry
        except OSError:
            return None
        return data

    def put(self, key: str, data: bytes) -> Path | None:
        """Store an entry atomically, then evict the least recently used beyond the bounds.

        Returns the entry's path, or None when it could not be written (the cache is best effort)."""
        from ..errors import OutputError
        from .files import AtomicFile

        p = self.path(key)
        if p is None or len(data) > self.max_bytes:
            return None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with AtomicFile(p, mode="wb") as out:
                out.file.write(data)
            _touch(p)
        except (OSError, OutputError):
            return None
        self.prune(keep=p)
        return p

    def discard(self, key: str) -> None:
        """Remove an entry (a corrupt one, before it is rebuilt)."""
        p = self.path(key)
        if p is not None:
            try:
                p.unlink(missing_ok=True)
            except OSError:
                pass

    def entries(self) -> list[Path]:
        """Entry files, least recently used first."""
        if self.folder is None or not self.folder.is_dir():
            return []
        found = []
        for p in self.folder.glob(f"*{SUFFIX}"):
            try:
                st = p.stat()
            except OSError:  # removed meanwhile by another process
                continue
            found.append((st.st_mtime_ns, p.name, p, st.st_size))
        found.sort()
        return [p for _, _, p, _ in found]

    def prune(self, keep: Path | None = None) -> int:
        """Evict least recently used entries until both bounds hold; returns how many went."""
        paths = self.entries()
        sizes = {}
        for p in paths:
            try:
                sizes[p] = p.stat().st_size
            except OSError:
                sizes[p] = 0
        total = sum(sizes.values())
        n = len(paths)
        removed = 0
        for p in paths:
            if n <= self.max_entries and total <= self.max_bytes:
                break
            if p == keep:
                continue
            try:
                p.unlink()
            except OSError:
                continue
            n -= 1
            total -= sizes[p]
            removed += 1
        return removed
