"""Loading a portrait and finding the face to animate in it (the capture stage does the finding)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import InputError, NoFaceError, ParameterError, check_path

MIN_FACE_PX = 64  # narrower faces carry too little detail to animate
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class FoundFace:
    """One face found in the portrait (coordinates of the full-size image)."""

    index: int  # 0-based, faces numbered left to right
    landmarks: np.ndarray  # (478, 3): x, y in pixels, z (depth) in pixels
    width: float  # face-oval width in pixels
    frame: object  # the capture stage's ExpressionFrame for this face (weights, gaze, openness, pose)


def load_image(source) -> tuple[np.ndarray, str]:
    """Read a portrait as RGB or RGBA uint8.

    Parameters
    ----------
    source : str, Path or np.ndarray [shape=(H, W, 3|4), dtype=uint8]

    Returns
    -------
    (image (H, W, 3|4) uint8, name)
    """
    import cv2

    from ...capture.api import CaptureOptions, apply_exif_orientation, check_image_file

    if isinstance(source, np.ndarray):
        a = np.asarray(source)
        if a.ndim == 2:
            a = np.repeat(a[..., None], 3, axis=2)
        if a.ndim != 3 or a.shape[2] not in (3, 4) or a.dtype != np.uint8:
            raise ParameterError(f"a portrait array must be (H, W, 3|4) uint8, got {a.shape} {a.dtype}")
        return np.ascontiguousarray(a), "image"
    path = check_path(source, "source must be an image file, an (H, W, 3|4) uint8 array or 'avatar[:STYLE]'")
    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "is a folder; give one image file")
    # a header claiming 30000x30000 was decoded in full (or called "not a readable image"), a cut
    # JPEG "not a readable image": the capture stage's checks and words, before any pixel is decoded
    check_image_file(path, CaptureOptions().max_megapixels)
    data = np.fromfile(str(path), np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise InputError(path, "not a readable image (JPEG, PNG, WebP, BMP or TIFF)")
    # a phone's JPEG stores its pixels sideways with an EXIF Orientation tag, which
    # IMREAD_UNCHANGED ignores: upright here as in `facemimic track` and `avatar3d`
    img = apply_exif_orientation(path, img)
    if img.dtype == np.uint16:
        img = (img / 257).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise InputError(path, f"unsupported pixel type {img.dtype}")
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    else:
        img = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2RGB)
    if min(img.shape[:2]) < 32:
        raise InputError(path, f"the image is only {img.shape[1]}x{img.shape[0]} pixels")
    return np.ascontiguousarray(img), str(path)


def flatten_alpha(rgba: np.ndarray, background=(255, 255, 255)) -> np.ndarray:
    """RGBA over a solid background -> RGB uint8 (for detection and for video, which has no alpha)."""
    if rgba.shape[2] == 3:
        return rgba
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    bg = np.asarray(background, np.float32)
    return (rgba[..., :3] * a + bg * (1 - a) + 0.5).astype(np.uint8)


def find_faces(image: np.ndarray, name: str, *, max_faces: int = 10) -> list[FoundFace]:
    """All faces in a portrait, numbered left to right, via the capture stage.

    Raises
    ------
    NoFaceError
        When the capture stage finds none.
    """
    from ...capture.api import capture
    from . import landmarks as L

    h, w = image.shape[:2]
    rgb = flatten_alpha(image)
    # In the unit (docs/units.md): the weights are only the photo's own expression for
    # rest="neutral"; the animator measures everything else on the landmarks.
    frames = [f for f in capture(rgb, keep_landmarks=True, max_faces=max_faces, smoothing="raw")
              if f.present and f.landmarks is not None]
    if not frames:
        raise NoFaceError(name, "no face found (the capture stage needs a visible, roughly frontal face)")
    faces = []
    for f in frames:
        lm = np.asarray(f.landmarks, np.float64)
        pts = np.stack([lm[:, 0] * w, lm[:, 1] * h, lm[:, 2] * w], axis=1)
        faces.append((float(pts[list(L.FACE_OVAL), 0].mean()), pts, f))
    faces.sort(key=lambda x: x[0])
    out = []
    for i, (_, pts, f) in enumerate(faces):
        width = float(np.ptp(pts[list(L.FACE_OVAL), 0]))
        out.append(FoundFace(i, pts, width, f))
    return out


def face_square(face: FoundFace, shape: tuple[int, int], scale: float) -> tuple[int, int, int]:
    """``(x0, y0, side)`` px of the ``crop="face"`` square around ``face`` in an image of ``shape``
    (height, width): ``scale`` x the face oval's width, centred a little above the oval's middle,
    slid (and shrunk if the picture is smaller) to stay inside the picture, so nothing has to be
    invented at its edges."""
    h, w = shape
    oval = face.landmarks[:468, :2]
    cx, cy = oval[:, 0].mean(), oval[:, 1].mean() - 0.05 * face.width
    side = int(round(min(scale * face.width, h, w)))
    x0 = int(np.clip(round(cx - side / 2), 0, w - side))
    y0 = int(np.clip(round(cy - side / 2), 0, h - side))
    return x0, y0, side


def choose_face(faces: list[FoundFace], index: int | None, name: str) -> FoundFace:
    """The face to animate: ``index`` (0-based, left to right) or the largest; refuses tiny faces."""
    if index is None:
        face = max(faces, key=lambda f: f.width)
    else:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(faces):
            raise ParameterError(f"{name}: face {index!r} does not exist; the image has {len(faces)} "
                                 f"face{'s' if len(faces) != 1 else ''} (numbered 0 to {len(faces) - 1}, "
                                 "left to right)")
        face = faces[int(index)]
    if face.width < MIN_FACE_PX:
        raise InputError(name, f"the face is only {face.width:.0f} px wide; at least {MIN_FACE_PX} px are "
                               "needed to animate it (use a larger photo or a closer crop)")
    return face
