"""Calibrations kept between runs: a photo animated before starts 4-5 s sooner.

A calibration (:func:`facemimic.animate.portrait.calibrate.calibrate`) depends only on the face it
renders and on the code that renders and re-tracks it, so its result is stored in the user cache
(``$XDG_CACHE_HOME/facemimic/calibrations/``, see :mod:`facemimic.common.cache`) under a SHA-256
of everything it depends on:

* the portrait as calibration sees it: the image at output size (which follows from the file's
  bytes, the size and the crop), the landmarks of the chosen face (the face index), the
  personalised model (basis, mix, rest pose: the ``rest`` option) and the warp's region;
* every :class:`PortraitOptions` field except ``calibrate`` and ``refine`` (which do not change it),
  the arguments of ``calibrate()`` and its tuning constants;
* :data:`CALIBRATION_VERSION`, the MediaPipe version, and a fingerprint of the source of the
  portrait and capture packages, so that changed code never reuses an old calibration.

At most :data:`MAX_ENTRIES` entries (:data:`MAX_BYTES` in all) are kept, least recently used
evicted first. An entry that cannot be read back is ignored (and rebuilt); ``FACEMIMIC_NO_CACHE=1``
turns the cache off.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
from pathlib import Path

import numpy as np

from ...common.cache import DiskCache, content_key
from .model import CONTROL_NAMES, ResponseCurves

CALIBRATION_VERSION = 4  # bump when what a calibration means changes (2: probes at the photo's IPD, a second
# round; 3: the jaw's held-lips curve; 4: no cross-talk matrix, it was always zero)
MAX_ENTRIES = 64
MAX_BYTES = 32 << 20  # an entry is ~50 kB
FOLDER = "calibrations"
_IGNORED_OPTIONS = {"calibrate", "refine"}  # PortraitOptions fields that do not change a calibration

Calibration = tuple  # (ResponseCurves, report dict), as calibrate() returns


def calibration_cache(root: Path | None = None) -> DiskCache:
    """The calibrations folder (``root``: another cache root, for tests)."""
    return DiskCache(FOLDER, max_entries=MAX_ENTRIES, max_bytes=MAX_BYTES, root=root)


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the portrait and capture packages' source (what renders and re-tracks probes)."""
    from ... import capture

    here = Path(__file__).parent
    files = sorted(here.glob("*.py")) + sorted(Path(capture.__file__).parent.glob("*.py"))
    parts = []
    for f in files:
        parts += [f.name, f.read_bytes()]
    return content_key(*parts)


@functools.lru_cache(maxsize=1)
def _mediapipe_version() -> str:
    import sys

    loaded = getattr(sys.modules.get("mediapipe"), "__version__", None)
    if isinstance(loaded, str):  # already imported (it found the face): no metadata scan (~20 ms)
        return loaded
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mediapipe")
    except PackageNotFoundError:  # pragma: no cover - a declared dependency
        return "unknown"


def calibration_key(animator, *, groups, amounts, constants: dict) -> str:
    """The content key of one calibration of ``animator`` (a :class:`PortraitAnimator`)."""
    opts = animator.options
    fields = {f.name: getattr(opts, f.name) for f in dataclasses.fields(opts) if f.name not in _IGNORED_OPTIONS}
    model = animator.model
    return content_key(
        "facemimic-calibration", CALIBRATION_VERSION, _mediapipe_version(), code_fingerprint(),
        sorted(fields.items()), repr(groups), tuple(amounts), sorted(constants.items()),
        np.asarray(animator.image), np.asarray(animator.points), np.asarray(model.basis), np.asarray(model.mix),
        np.zeros(0) if model.rest is None else np.asarray(model.rest), tuple(animator.warp.roi),
        animator.pose is not None, animator.mouth is not None, animator.eyes is not None)


def encode(result: Calibration, key: str) -> bytes:
    """One calibration as ``.npz`` bytes (arrays, the report as JSON, and its own key)."""
    curves, report = result
    arrays = {"key": np.frombuffer(key.encode(), np.uint8), "knots": curves.knots, "values": curves.values,
              "report": np.frombuffer(json.dumps(report).encode(), np.uint8)}
    if curves.held_jaw is not None:
        arrays["held_jaw"] = curves.held_jaw
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def decode(data: bytes, key: str) -> Calibration | None:
    """A calibration from :func:`encode`'s bytes, or None when they are not one for ``key``."""
    import zipfile

    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            a = {name: z[name] for name in z.files}
        if bytes(a["key"]).decode() != key:
            return None
        k = len(CONTROL_NAMES)
        knots, values = a["knots"], a["values"]
        if knots.ndim != 1 or values.shape != (k, len(knots)):
            return None
        held_jaw = a.get("held_jaw")
        if held_jaw is not None and held_jaw.shape != knots.shape:
            return None
        report = json.loads(bytes(a["report"]).decode())
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError, zipfile.BadZipFile):
        return None
    return ResponseCurves(knots, values, held_jaw), report


def load(key: str, cache: DiskCache | None = None) -> Calibration | None:
    """The cached calibration for ``key``, or None (a miss; a corrupt entry is removed)."""
    cache = cache or calibration_cache()
    data = cache.get(key)
    if data is None:
        return None
    result = decode(data, key)
    if result is None:
        cache.discard(key)
    return result


def store(key: str, result: Calibration, cache: DiskCache | None = None) -> Path | None:
    """Keep a calibration (best effort: None when the cache is off or not writable)."""
    cache = cache or calibration_cache()
    if not cache.enabled:
        return None
    return cache.put(key, encode(result, key))


__all__ = ["CALIBRATION_VERSION", "calibration_cache", "calibration_key", "code_fingerprint", "decode",
           "encode", "load", "store"]
