"""Files written whole or not at all, and JSON files read with one-line errors.

Below every stage: track writers, videos, previews, models, lip-sync cues and calibration profiles
all write through :class:`AtomicFile` (or an :class:`AtomicOutput` subclass), so a failed or
interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import IO, Callable

from ..errors import InputError, OutputError

# errno -> the problem as the user reads it, for writes the disk refuses.
DISK_PROBLEMS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for this file system",
    errno.EROFS: "read-only file system",
    errno.EIO: "input/output error (the disk may be failing)",
}


def write_error(target: str | Path, error: OSError) -> OutputError:
    """The one-line :class:`OutputError` for an ``OSError`` raised while writing ``target``."""
    problem = DISK_PROBLEMS.get(error.errno) or f"cannot write ({error.strerror or error})"
    return OutputError(target, problem)


class _TargetIO(io.FileIO):
    """The raw file under an :class:`AtomicFile`: a refused write (disk full, quota, file too
    large) raises an :class:`OutputError` naming the target instead of a bare ``OSError``.

    After the first refused write the file is lost anyway: later writes are dropped quietly (so a
    library flushing again while it unwinds, such as PyAV seeking to finish an MP4, raises no second
    error) and :meth:`AtomicFile.commit` raises the first one, so a damaged file is never committed
    even if a library swallowed the error.
    """

    def __init__(self, fd: int, target: Path) -> None:
        super().__init__(fd, "w")
        self.target = target
        self.failure: OutputError | None = None

    def write(self, data) -> int:
        if self.failure is not None:
            return memoryview(data).nbytes
        try:
            # os.write is the single system call every output goes through (tests make it fail).
            return os.write(self.fileno(), data)
        except OSError as e:
            self.failure = write_error(self.target, e)
            raise self.failure from None


def _open_stream(fd: int, mode: str, newline: str | None, target: Path) -> tuple[IO, _TargetIO]:
    raw = _TargetIO(fd, target)
    buffered = io.BufferedWriter(raw)
    if "b" in mode:
        return buffered, raw
    return io.TextIOWrapper(buffered, encoding="utf-8", newline=newline), raw


def _is_special(path: Path) -> bool:
    """An existing file that is not a regular file or folder: /dev/null, /dev/full, a FIFO."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


class AtomicFile:
    """A file written under a temporary name beside its target and renamed into place by
    :meth:`commit`; :meth:`discard` (or an exception in a ``with`` block) leaves nothing behind.

    * The target is the file a symlink points to (the link stays a link).
    * A device or FIFO (``/dev/null``, ``/dev/full``) is written directly: it cannot be replaced.
    * A write the disk refuses (full, quota, too large) raises :class:`OutputError` naming the
      target, and the temporary file is removed.
    * Inside an active :class:`facemimic.common.outputs.OutputSet`, the rename waits for the set,
      so several outputs of one command appear together or not at all.
    """

    def __init__(self, path: str | Path, mode: str = "w", newline: str | None = None) -> None:
        self.path = Path(path)
        self.target = Path(os.path.realpath(self.path))
        self.tmp: Path | None = None
        if self.path.is_dir():
            raise OutputError(self.path, "is a folder")
        if _is_special(self.path):  # stat follows /dev/stdout -> /proc/self/fd/1 -> a pipe
            self.target = self.path
            flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
            try:
                fd = os.open(self.path, flags)
            except OSError as e:
                raise OutputError(self.path, f"cannot write here ({e.strerror or e})") from None
        else:
            parent = self.target.parent
            if not parent.is_dir():
                shown = self.path.parent if str(self.path.parent) else Path(".")
                # "f/out.json" where f is a file: say so, not "folder 'f' does not exist".
                blocker = next((a for a in (shown, *shown.parents) if a.exists() and not a.is_dir()), None)
                if blocker is not None:
                    raise OutputError(self.path, f"{str(blocker)!r} is a file, not a folder")
                raise OutputError(self.path, f"folder {str(shown)!r} does not exist")
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=parent)
            except OSError as e:
                raise OutputError(self.path, f"cannot write here ({e.strerror or e})") from None
            self.tmp = Path(tmp)
            # mkstemp makes 0600 files; give the result the permissions a plain open() would.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)
        self.file, self._raw = _open_stream(fd, mode, newline, self.path)
        from . import outputs

        outputs.opened(self)

    def _close(self) -> None:
        try:
            self.file.close()  # flushes: a full disk shows up here
        except BaseException:
            self.discard()
            raise
        if self._raw.failure is not None:  # a write failed earlier and someone swallowed the error
            self.discard()
            raise self._raw.failure

    def commit(self) -> Path:
        """Finish the file and move it into place (or hand it to the active output set)."""
        self._close()
        if self.tmp is None:  # written straight into a device
            return self.path
        from . import outputs
        from .signals import raise_pending

        try:
            raise_pending()  # a swallowed interrupt about to come back: this run was stopped
        except BaseException:
            self.discard()
            raise

        if outputs.stage(self):
            return self.path
        self.rename()
        return self.path

    def rename(self) -> None:
        """Move the finished temporary file onto the target (used by :meth:`commit`)."""
        try:
            os.replace(self.tmp, self.target)
        except OSError as e:
            self.discard()
            raise OutputError(self.path, f"cannot write here ({e.strerror or e})") from None

    def discard(self) -> None:
        """Leave nothing behind: remove the temporary file (a full disk cannot stop this)."""
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
        if not self.file.closed:
            try:
                self.file.close()
            except Exception:  # noqa: BLE001 - flushing into a full disk fails; the file is gone anyway
                pass

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
            try:
                self.close()  # finishing can fail too (a full disk while flushing)
            except BaseException:
                self.abort()
                raise
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


def move_folder_into_place(staging: Path, target: Path, complete: Callable[[Path], bool]) -> bool:
    """Rename a finished ``staging`` folder to ``target`` unless ``target`` is already complete.

    For caches that several processes may fill at once (parallel test workers, two commands on a
    fresh machine): each unpacks into a staging folder of its own beside ``target``; the first
    complete copy stays (someone may be reading it) and later ones are dropped.

    Parameters
    ----------
    staging : Path
        A complete folder on the same file system as ``target`` (removed either way).
    target : Path
        Where the folder should be.
    complete : callable
        ``complete(folder) -> bool``: whether a folder already at ``target`` is whole.

    Returns
    -------
    bool
        True if ``staging`` became ``target``, False if a complete copy was already there.
    """
    # Why a lock: between "is the target complete?" and "remove the half-made target" another
    # process may rename its complete copy in, and removing that would pull a folder from under
    # its readers. Under the lock a complete target only ever appears, never goes.
    with _FolderLock(target.parent / f".{target.name}.lock"):
        if not complete(target):
            shutil.rmtree(target, ignore_errors=True)  # half-made, or from an older version
            staging.rename(target)
            return True
    shutil.rmtree(staging, ignore_errors=True)
    return False


class _FolderLock:
    """An exclusive advisory lock held on ``path`` (``fcntl.flock``; no lock where there is no fcntl)."""

    def __init__(self, path: Path):
        self.path = path
        self.handle = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # Windows: no flock; racing first unpacks there are rare
            return self
        self.handle = open(self.path, "a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.handle is not None:
            self.handle.close()  # closing the file releases the lock
        return False
