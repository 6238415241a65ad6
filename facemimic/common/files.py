"""Files written whole or not at all, and JSON files read with one-line errors.

Below every stage: track writers, videos, previews, models, lip-sync cues and calibration profiles
all write through :class:`AtomicFile` (or an :class:`AtomicOutput` subclass), so a failed or
interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO

from ..errors import InputError, OutputError


class AtomicFile:
    """A file written under a temporary name and renamed into place by :meth:`commit`."""

    def __init__(self, path: str | Path, mode: str = "w", newline: str | None = None) -> None:
        self.path = Path(path)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(self.path, f"folder {str(parent)!r} does not exist")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=parent)
        except OSError as e:
            raise OutputError(self.path, f"cannot write here ({e.strerror or e})") from None
        self.tmp = Path(tmp)
        # mkstemp makes 0600 files; give the result the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o666 & ~umask)
        self.file: IO = os.fdopen(fd, mode, newline=newline, **({} if "b" in mode else {"encoding": "utf-8"}))

    def commit(self) -> Path:
        self.file.close()
        try:
            os.replace(self.tmp, self.path)
        except OSError as e:
            self.discard()
            raise OutputError(self.path, f"cannot write here ({e.strerror or e})") from None
        return self.path

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> "AtomicFile":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # committed only when the block finished: an error (or Ctrl-C) leaves nothing behind
        if exc_type is None:
            self.commit()
        else:
            self.discard()



class AtomicOutput:
    """Context-manager protocol shared by every output written under a temporary name (track
    files, videos, previews): ``close()`` commits on success, ``abort()`` leaves nothing on error.
    Subclasses define both."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()



def read_json_file(path: str | Path, what: str):
    """Parse a JSON file (a UTF-8 BOM is allowed: VRChat writes one), with one-line errors.

    Raises :class:`InputError` ``"<path>: <problem>"`` for a missing file, a folder, an unreadable
    file or invalid JSON; ``what`` names the kind of file in the message.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except IsADirectoryError:
        raise InputError(path, f"is a folder, not a {what}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(path, f"cannot read {what} ({getattr(e, 'strerror', None) or e})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(path, f"not valid JSON ({e.msg} at line {e.lineno}); expected a {what}") from None
