"""A command's outputs, checked before any work and committed together or not at all.

Two jobs, both before and after the slow part of a command:

* :func:`check_output` refuses an output that cannot be written (missing folder, a folder under a
  regular file, a read-only folder) or that *is* one of the command's inputs — the same file by
  name, through a symlink or a hard link — so ``facemimic track f.jpg -o f.jpg`` never replaces
  the photo it reads.
* :class:`OutputSet` stages every :class:`~facemimic.common.files.AtomicFile` opened for one of its
  targets: the temporary files wait beside their targets and are renamed into place together when
  the ``with`` block finishes. An error, Ctrl-C or SIGTERM anywhere in the block removes every
  temporary file, finished or not, so a failing multi-output command leaves no earlier output.

>>> with OutputSet(["hi.wav", "hi.jsonl"], inputs=["script.txt"]) as outputs:   # doctest: +SKIP
...     write_wav("hi.wav", ...)                 # staged, not yet visible
...     read_wav(outputs.staged("hi.wav"))       # read back inside the block
...     write_track(track, "hi.jsonl")
>>> # both files appear here, or neither does
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from ..errors import OutputError

if TYPE_CHECKING:  # pragma: no cover
    from .files import AtomicFile

_lock = threading.Lock()
_active: list["OutputSet"] = []  # innermost last; one process runs one command


def _key(path: str | Path) -> str:
    return os.path.normcase(os.path.realpath(path))


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file: the same inode when both exist (symlinks and hard links
    included), else the same fully resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return _key(a) == _key(b)


def _is_regular_or_missing(path: Path) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return True
    return stat.S_ISREG(mode)


def _check_folder(path: Path) -> None:
    """Refuse when the folder that would hold ``path`` is missing, is a file, or is not writable."""
    folder = Path(os.path.realpath(path)).parent
    shown = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        for above in (folder, *folder.parents):
            if above.exists() and not above.is_dir():
                raise OutputError(path, f"cannot write under {str(above)!r}: it is a file, not a folder")
        raise OutputError(path, f"folder {str(shown)!r} does not exist")
    check_writable(folder, path, shown=shown)


def check_writable(folder: str | Path, path: str | Path, *, shown: str | Path | None = None) -> None:
    """Refuse (as an :class:`OutputError` about ``path``) when no file can be created in the
    existing ``folder``: a real probe, since ``os.access`` says yes to root on read-only mounts."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".facemimic-probe.", suffix=".tmp", dir=folder)
    except OSError as e:
        where = str(shown if shown is not None else folder)
        raise OutputError(path, f"folder {where!r} is not writable ({e.strerror or e})") from None
    os.close(fd)
    os.unlink(probe)


def check_output(path: str | Path, *, inputs: Iterable[str | Path | None] = ()) -> Path:
    """Refuse an output that cannot be written or that is one of ``inputs``, before any work.

    Parameters
    ----------
    path : str or Path
        The file the command will write.
    inputs : iterable of str, Path or None
        Files the command reads (``None`` entries are ignored).

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    OutputError
        ``"<path>: is also an input; …"``, ``"<path>: is a folder"``, ``"<path>: folder 'x' does
        not exist"``, ``"… it is a file, not a folder"`` or ``"… is not writable"``.
    """
    p = Path(path)
    for source in inputs:
        if source is None or str(source) == "":
            continue
        if same_file(p, source):
            how = "is also an input" if str(p) == str(source) else f"is the same file as the input {str(source)!r}"
            raise OutputError(p, f"{how}; refusing to overwrite it (choose another output name)")
    if p.is_dir():
        raise OutputError(p, "is a folder")
    if _is_regular_or_missing(p):  # devices such as /dev/null are written directly
        _check_folder(p)
    return p


class OutputSet:
    """Every output of one command: checked up front, committed together, or none at all.

    Parameters
    ----------
    outputs : iterable of str, Path or None
        The files the command writes (``None`` entries — options not given — are ignored).
    inputs : iterable of str, Path or None
        The files it reads; an output that is one of them is refused.

    Raises
    ------
    OutputError
        From :func:`check_output`, or when one file is named as two outputs.

    Notes
    -----
    Inside the ``with`` block, an :class:`~facemimic.common.files.AtomicFile` for one of the
    targets is *staged* on commit (finished, but still under its temporary name; read it with
    :meth:`staged`). Every AtomicFile opened in the block — staged, still open, or for another
    file — is removed if the block fails. A set inside another hands its staged files to the
    outer set, which commits them with its own.
    """

    def __init__(self, outputs: Iterable[str | Path | None], *, inputs: Iterable[str | Path | None] = ()) -> None:
        inputs = [i for i in inputs if i is not None and str(i) != ""]
        self.targets: dict[str, Path] = {}
        for out in outputs:
            if out is None or str(out) == "":
                continue
            p = check_output(out, inputs=inputs)
            key = _key(p)
            if key in self.targets and _is_regular_or_missing(p):
                raise OutputError(p, f"is named twice as an output (also as {str(self.targets[key])!r})")
            self.targets[key] = p
        self._staged: dict[str, "AtomicFile"] = {}
        self._opened: list["AtomicFile"] = []

    # -- the hooks AtomicFile calls ------------------------------------------------------------
    def _claims(self, f: "AtomicFile") -> bool:
        return _key(f.target) in self.targets

    def staged(self, path: str | Path) -> Path:
        """Where the finished content of output ``path`` is now: its temporary file while the set
        is open, else ``path`` itself."""
        f = self._staged.get(_key(path))
        return f.tmp if f is not None and f.tmp is not None else Path(path)

    # -- the context manager -------------------------------------------------------------------
    def __enter__(self) -> "OutputSet":
        with _lock:
            _active.append(self)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        with _lock:
            if self in _active:
                _active.remove(self)
            outer = _active[-1] if _active else None
        if exc_type is not None:
            self.discard()
            return
        if outer is not None:  # the enclosing command commits everything together
            outer.targets.update(self.targets)
            outer._staged.update(self._staged)
            outer._opened.extend(self._opened)
            return
        self.commit()

    def commit(self) -> list[Path]:
        """Rename every staged file onto its target; on a failure remove what is left.

        Renames within one folder do not fail short of a vanished folder, so "together" holds in
        practice; the files were all complete before the first rename."""
        from .signals import interrupts_deferred, raise_pending

        done = []
        try:
            raise_pending()  # a swallowed interrupt about to come back: this run was stopped
            with interrupts_deferred():  # every rename, then the interrupt: the files land together
                for f in list(self._staged.values()):
                    f.rename()
                    done.append(f.path)
        except BaseException:
            self.discard()
            raise
        self._staged.clear()
        self._opened.clear()
        return done

    def discard(self) -> None:
        """Remove every temporary file opened in the block (staged or still being written)."""
        for f in self._opened:
            f.discard()
        self._staged.clear()
        self._opened.clear()


def opened(f: "AtomicFile") -> None:
    """Called by every new AtomicFile: the innermost active set removes it if its block fails."""
    with _lock:
        if _active:
            _active[-1]._opened.append(f)


def stage(f: "AtomicFile") -> bool:
    """Called by :meth:`AtomicFile.commit`: ``True`` if an active set took the finished file
    (it is renamed when the set commits), ``False`` to rename it now."""
    with _lock:
        for s in reversed(_active):
            if s._claims(f):
                s._staged[_key(f.target)] = f
                return True
    return False


def staged(path: str | Path) -> Path:
    """:meth:`OutputSet.staged` of the innermost active set that has ``path`` (else ``path``)."""
    with _lock:
        for s in reversed(_active):
            if _key(path) in s._staged:
                return s.staged(path)
    return Path(path)
