"""The corpus: glob patterns -> files, each with a stable source id and a content hash.

One unit of work is one file (MediaPipe's VIDEO mode needs a video's frames in order). The source
id names the file's partition; it is derived from the file's resolved path (readable stem + a short
hash), so two ``take1.mp4`` in different folders never share a partition. The content hash (SHA-256
of the bytes) decides, with the options, whether a rerun may skip the file.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .._hashing import sha256_file
from ..errors import InputError

# What a folder given as a pattern contributes (a glob takes whatever files it matches).
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aac", ".opus")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class SourceFile:
    """One file of the corpus."""

    path: str  # absolute, resolved path (what workers open)
    source_id: str  # partition name: "<stem>-<8 hex of the path's hash>"
    size: int  # bytes
    mtime_ns: int  # modification time, for the hash cache


def source_id(path: str | Path) -> str:
    """Stable, readable id of a file: its stem (safe characters only) + 8 hex digits of its path's hash.

    >>> source_id("/data/clips/Take 1.mp4")[:7]
    'Take_1-'
    """
    p = str(Path(path))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(p).stem).strip("._") or "file"
    return f"{stem[:48]}-{hashlib.sha1(p.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}"


def _folder_files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # hidden folders (.git, temp files)
        out += [Path(root, f) for f in files if not f.startswith(".") and Path(f).suffix.lower() in suffixes]
    return out


def expand(patterns: "list[str] | tuple[str, ...]", *, suffixes: tuple[str, ...] | None = None,
           exclude: str | Path | None = None) -> list[SourceFile]:
    """Files matched by ``patterns``, sorted by path, each once.

    Parameters
    ----------
    patterns : list of str
        Files, folders (searched recursively for ``suffixes``) or glob patterns (``**`` spans folders:
        ``"videos/**/*.mp4"``).
    suffixes : tuple of str, optional
        File types a folder contributes (default: videos, photos and audio).
    exclude : path, optional
        A folder whose files are never part of the corpus (the output dataset).

    Raises
    ------
    InputError
        A pattern that matches no file, or a named file that does not exist.
    """
    suffixes = suffixes or VIDEO_SUFFIXES + IMAGE_SUFFIXES + AUDIO_SUFFIXES
    skip = Path(os.path.realpath(exclude)) if exclude is not None else None
    found: dict[str, Path] = {}
    for pattern in patterns:
        if _GLOB_CHARS.search(pattern):
            hits = [Path(h) for h in glob.glob(os.path.expanduser(pattern), recursive=True)]
            hits = [h for h in hits if h.is_file()]
        else:
            p = Path(os.path.expanduser(pattern))
            if p.is_dir():
                hits = _folder_files(p, suffixes)
            elif p.is_file():
                hits = [p]
            else:
                raise InputError(pattern, "file not found")
        real = [Path(os.path.realpath(h)) for h in hits]
        if skip is not None:
            real = [h for h in real if skip != h and skip not in h.parents]
        if not real:
            raise InputError(pattern, "matches no files")
        for h in real:
            found.setdefault(str(h), h)
    out = []
    for key in sorted(found):
        st = found[key].stat()
        out.append(SourceFile(path=key, source_id=source_id(key), size=st.st_size, mtime_ns=st.st_mtime_ns))
    return out


def content_hash(f: SourceFile, known: dict | None = None) -> str:
    """SHA-256 of the file's bytes; reused from ``known`` (a manifest row) when size and mtime match,
    so a rerun over a large corpus does not read every file again."""
    if known and known.get("content_hash") and known.get("size") == f.size and known.get("mtime_ns") == f.mtime_ns:
        return known["content_hash"]
    try:
        return sha256_file(f.path)
    except OSError as e:
        raise InputError(f.path, f"cannot read ({e.strerror or e})") from None


__all__ = ["AUDIO_SUFFIXES", "IMAGE_SUFFIXES", "SourceFile", "VIDEO_SUFFIXES", "content_hash", "expand",
           "source_id"]
