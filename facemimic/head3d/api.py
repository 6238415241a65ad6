"""``facemimic.avatar3d``: a photo of a face -> a textured 3D head with 52 ARKit + 88 UE morph targets.

>>> import facemimic
>>> result = facemimic.avatar3d("me.jpg", "me.vrm", preview="me.png")     # doctest: +SKIP
>>> result.targets, result.fit_error                                        # doctest: +SKIP

Steps (each in its own module): the capture stage finds the face (478 landmarks, its expression);
:mod:`.fit` fits the learned face model; :mod:`.texture` bakes the photo into the face's texture and
reads the iris, skin and hair colours; :mod:`.head` builds the whole head; :mod:`.targets` makes
every morph target from the learned basis; :mod:`.write` writes VRM 1.0 or glTF. Every output is
checked before the work and written atomically, all of them or none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import InputError, ParameterError, check_options, check_path
from .head import HAIR_STYLES

MAX_YAW_DEG = 30.0  # beyond this the far side of the face is guessed, not seen: refused
MIN_IPD_PX = 24.0  # a face smaller than this has too few pixels for landmarks or a texture
MAX_SIDE_PX = 2048  # larger photos are scaled down first (landmarks need no more)
MAX_PIXELS = 100_000_000  # refused above this (a decompression bomb, or a scan, not a selfie)
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv")
MAX_VIEWS = 12  # frames taken from a video, spread over it
FORMATS = {".vrm": True, ".glb": False}
HAIR = ("auto", "none", *HAIR_STYLES)  # auto: short, in the colour read from the photo
DEFAULT_HAIR_RGB = (0.23, 0.16, 0.11)  # a dark brown, for a style asked where no hair is seen


@dataclass(frozen=True)
class Avatar3DOptions:
    """Options of :func:`avatar3d` (checked on creation)."""

    face: int | None = None  # which face (0 = leftmost); None: the photo must hold exactly one
    hair: str = "auto"  # "auto": a cap in the hair colour read from the photo; "none"; a style (short, bob, long)
    shapes: str = "arkit+ue"  # morph target names: "arkit+ue", "arkit" or "ue"
    texture_size: int = 1024

    def __post_init__(self) -> None:
        from .targets import SHAPE_SETS

        if self.face is not None and (not isinstance(self.face, (int, np.integer)) or self.face < 0):
            raise ParameterError(f"face must be a face number >= 0, got {self.face!r}")
        if self.hair not in HAIR:
            raise ParameterError(f"hair must be one of {', '.join(HAIR)}, got {self.hair!r}")
        if self.shapes not in SHAPE_SETS:
            raise ParameterError(f"shapes must be one of {', '.join(SHAPE_SETS)}, got {self.shapes!r}")
        if not (256 <= int(self.texture_size) <= 4096):
            raise ParameterError(f"texture_size must be 256 to 4096, got {self.texture_size!r}")


@dataclass(frozen=True)
class Avatar3DResult:
    """What :func:`avatar3d` wrote and measured."""

    path: Path
    preview: Path | None
    format: str  # "vrm" or "glb"
    faces_found: int
    face: int
    targets: int  # morph targets written
    fit_error: float  # mean image-plane distance of the fitted mesh to the landmarks, IPD units
    yaw_deg: float
    iris_rgb: tuple
    hair_rgb: tuple | None
    bytes: int
    notes: tuple = field(default=())
    views: int = 1  # photos or video frames the shape was fitted from


def _load_photo(photo) -> tuple[np.ndarray, np.ndarray | None, str, list[str]]:
    """RGB uint8 (H, W, 3) of a path or an array, its opacity (H, W) (None: opaque), its name, and
    notes (scaled down …)."""
    notes, alpha = [], None
    if isinstance(photo, np.ndarray):
        img, name = photo, "<array>"
        if img.ndim != 3 or img.shape[2] not in (3, 4) or img.dtype != np.uint8:
            raise ParameterError(f"photo array must be (H, W, 3) uint8, got {img.shape} {img.dtype}")
        alpha = img[:, :, 3] if img.shape[2] == 4 else None
        img = img[:, :, :3]
    else:
        from PIL import Image, ImageOps, UnidentifiedImageError

        name = str(photo)
        p = Path(photo)
        if not p.exists():
            raise InputError(p, "file not found")
        if p.is_dir():
            raise InputError(p, "is a folder, not a photo")
        from ..capture.api import check_image_file

        check_image_file(p, float("inf"))  # a cut JPEG or PNG: one line, as track and animate say it (size: below)
        try:
            Image.MAX_IMAGE_PIXELS = None  # checked below, with a message of our own
            with Image.open(p) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise InputError(p, f"photo too large ({im.width}x{im.height} pixels; at most "
                                        f"{MAX_PIXELS // 1_000_000} megapixels)")
                im.draft("RGB", (MAX_SIDE_PX, MAX_SIDE_PX))  # JPEG: decode at a reduced size when huge
                upright = ImageOps.exif_transpose(im)
                img = np.asarray(upright.convert("RGB"))
                if "A" in upright.getbands() or "transparency" in upright.info:
                    alpha = np.asarray(upright.convert("RGBA"))[:, :, 3]
        except UnidentifiedImageError:
            raise InputError(p, "not an image Pillow can read (use a JPEG, PNG or WebP photo)") from None
        except OSError as e:
            raise InputError(p, f"cannot read the photo ({e})") from None
    h, w = img.shape[:2]
    if max(h, w) > MAX_SIDE_PX:
        import cv2

        k = MAX_SIDE_PX / max(h, w)
        size = (max(1, round(w * k)), max(1, round(h * k)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        alpha = None if alpha is None else cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
        notes.append(f"photo scaled down from {w}x{h} to {img.shape[1]}x{img.shape[0]}")
    if alpha is not None and alpha.min() == 255:
        alpha = None
    return np.ascontiguousarray(img), alpha, name, notes


def find_faces(img: np.ndarray, name: str) -> list:
    """Every face the capture stage finds in the photo, left to right (ExpressionFrames with landmarks)."""
    from ..capture.api import capture_frames
    from ..errors import NoFaceError

    try:
        frames = [f for f in capture_frames(img, keep_landmarks=True, smoothing="raw", max_faces=8) if f.present]
    except NoFaceError:
        frames = []
    if not frames:
        raise InputError(name, "no face found in the photo")
    return sorted(frames, key=lambda f: float(np.median(f.landmarks[:, 0])))


def choose_face(frames: list, face: int | None, name: str):
    """The face to use: the only one, or number ``face`` (left to right from 0)."""
    if face is None:
        if len(frames) > 1:
            raise InputError(name, f"{len(frames)} faces found; choose one with --face N "
                                   f"(0 to {len(frames) - 1}, left to right)")
        return 0, frames[0]
    if face >= len(frames):
        raise InputError(name, f"--face {face} asked for, but only {len(frames)} face"
                               f"{'s' if len(frames) > 1 else ''} found (0 to {len(frames) - 1}, left to right)")
    return face, frames[face]


def avatar3d(photo, out, *, face: int | None = None, preview=None, hair: str = "auto", shapes: str = "arkit+ue",
             options: Avatar3DOptions | None = None) -> Avatar3DResult:
    """Make a 3D avatar of the face in a photo.

    Parameters
    ----------
    photo : str, Path, np.ndarray or a list of them
        A photo file (JPEG, PNG, WebP …) or RGB pixels (H, W, 3) uint8, the face within 30 degrees
        of frontal; or several photos, or a short video (``.mp4``, ``.mov`` … : 12 frames spread over
        it), of the same person: the shape is fitted from all usable views, the texture taken from
        the most frontal one.
    out : str or Path
        ``.vrm`` (VRM 1.0: humanoid, look-at, expressions, meta) or ``.glb`` (plain glTF 2.0).
    face : int, optional
        Which face when the photo holds several (0 = leftmost).
    preview : str or Path, optional
        Also write a picture of the avatar (front and three-quarter view; ``.png``/``.jpg``/…).
    hair : {"auto", "none", "short", "bob", "long"}
        ``"auto"``: a cap (short hair) in the hair colour read above the forehead, none when no hair is
        seen; a style: that hair in the colour read (dark brown when none is seen); ``"none"``: no hair.
    shapes : {"arkit+ue", "arkit", "ue"}
        Which morph target names to write (``"arkit+ue"``: all 52 + 88 names, 113 targets + 2 brow combinations, shared
        names once).
    options : Avatar3DOptions, optional
        Instead of the keyword arguments.

    Returns
    -------
    Avatar3DResult

    Raises
    ------
    InputError
        No face, several faces without ``face``, a face turned more than 30 degrees, a tiny face, an
        unreadable or huge photo.
    OutputError, ParameterError
        An output that cannot be written (checked before any work), an unknown extension or option.
    """
    from ..common.files import AtomicFile
    from ..common.images import check_image_path, write_image
    from ..common.outputs import OutputSet

    opts = check_options(options, Avatar3DOptions) or Avatar3DOptions(face=face, hair=hair, shapes=shapes)
    items = list(photo) if isinstance(photo, (list, tuple)) else [photo]
    for p in items:  # before pathlib's own TypeError or any work
        if not isinstance(p, np.ndarray):
            check_path(p, "photo must be an image or video file path or an (H, W, 3) uint8 array")
    out = check_path(out, "out must be a .vrm or .glb file path")
    ext = out.suffix.lower()
    if ext not in FORMATS:
        from ..errors import OutputError

        raise OutputError(out, f"unknown avatar format {ext or '(no extension)'!r}; use .vrm (VRM 1.0) or .glb (glTF)")
    if preview is not None:
        check_image_path(preview)
    inputs = [p for p in items if not isinstance(p, np.ndarray)]
    outputs = OutputSet([out, preview], inputs=inputs)  # refused here, before any work
    from .targets import build_targets
    from .write import build_document

    avatar = make_avatar(photo, opts)
    targets = build_targets(avatar.head, avatar.expressions, opts.shapes, avatar.combinations)
    doc = build_document(avatar.head, avatar.texture, targets, vrm=FORMATS[ext], name=avatar.name)
    with outputs:
        with AtomicFile(out, "wb") as f:
            f.file.write(doc.glb_bytes())
        if preview is not None:
            write_image(render_preview(avatar.head, avatar.texture), preview)
    return Avatar3DResult(path=out, preview=Path(preview) if preview is not None else None, format=ext[1:],
                          faces_found=avatar.faces_found, face=avatar.face, targets=len(targets),
                          fit_error=float(avatar.fit.errors().mean()), yaw_deg=avatar.fit.yaw_deg,
                          iris_rgb=avatar.iris_rgb, hair_rgb=avatar.hair_rgb, bytes=out.stat().st_size,
                          notes=avatar.notes, views=avatar.views)


@dataclass(frozen=True)
class Avatar:
    """An avatar in memory: what :func:`avatar3d` writes, for rendering and checks.

    ``head`` (:class:`.head.Head`, IPD units), ``texture`` (T, T, 3) floats, ``expressions`` the
    learned ARKit basis (52, 478, 3) calibrated to this face, ``fit`` the :class:`.fit.FaceFit`."""

    name: str
    head: object
    texture: np.ndarray
    expressions: np.ndarray
    fit: object
    iris_rgb: tuple
    hair_rgb: tuple | None
    faces_found: int
    face: int
    notes: tuple
    views: int = 1  # photos or video frames the shape was fitted from
    combinations: np.ndarray | None = None  # (C, 478, 3) combination shapes (.combos), driven by pairs of weights

    def posed(self, frame) -> tuple[np.ndarray, np.ndarray]:
        """Skin and parts positions (IPD units) showing an ExpressionFrame's weights, gaze and
        openness (through ``ue_to_arkit``, as the ARKit targets would be driven)."""
        from .fit import frame_arkit
        from .targets import blended

        return blended(self.head, self.expressions, frame_arkit(frame), self.combinations)

    def render(self, frame=None, *, size: int = 512, yaw_deg: float = 0.0) -> np.ndarray:
        """A front view (RGB uint8 (size, size, 3)), neutral or showing ``frame`` (its weights, gaze,
        openness and head rotation; the creases its weights make, :mod:`.creases`)."""
        from .raster import Surface, render

        from .pose import frame_rotation, turned

        skin, parts = (self.head.skin.positions, self.head.parts.positions) if frame is None else self.posed(frame)
        skin, parts = turned(skin, frame_rotation(frame)), turned(parts, frame_rotation(frame))  # head pose
        texture = self.texture if frame is None else self.creases.apply(self.texture, frame.weights)
        return render([Surface(skin, self.head.skin.triangles, uv=self.head.skin.uv, texture=texture),
                       Surface(parts, self.head.parts.triangles, colours=self.head.parts.colours)],
                      size=(size, size), yaw_deg=yaw_deg, centre=(0.0, -0.55), span=4.0)

    @cached_property
    def creases(self):
        """The expression creases of this avatar's skin (:class:`.creases.CreaseShader`)."""
        from .creases import CreaseShader
        from .head import UV_SPAN

        return CreaseShader(self.head.skin.uv[:478], self.texture.shape[0], UV_SPAN)


@dataclass(frozen=True)
class _View:
    """One photo (or video frame) with its chosen face fitted."""

    img: np.ndarray
    alpha: np.ndarray | None
    name: str
    fit: object
    faces: int
    face: int


def _video_frames(path: Path, count: int) -> list[tuple[np.ndarray, str]]:
    """Up to ``count`` RGB frames spread evenly over a video, each with a name ``file#frame``."""
    import cv2

    from ..capture.api import c_stderr_silenced

    if path.stat().st_size == 0:
        raise InputError(path, "file is empty (zero-length video)")
    # FFmpeg under OpenCV writes "moov atom not found" and the like straight to fd 2, a second
    # line before our one-line error
    with c_stderr_silenced():
        cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise InputError(path, "cannot read the video (not a video OpenCV can open)")
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or 1
        wanted = set(np.linspace(0, total - 1, min(count, total)).round().astype(int).tolist())
        out, k = [], 0
        with c_stderr_silenced():
            while len(out) < len(wanted):
                ok, bgr = cap.read()
                if not ok:
                    break
                if k in wanted:
                    out.append((np.ascontiguousarray(bgr[:, :, ::-1]), f"{path}#{k}"))
                k += 1
    finally:
        cap.release()
    if not out:
        raise InputError(path, "no frames could be read from the video")
    return out


def _sources(photo) -> list:
    """The photos to use: one photo, a list of photos of the same person, or a video's frames."""
    items = list(photo) if isinstance(photo, (list, tuple)) else [photo]
    if not items:
        raise ParameterError("no photo given")
    out = []
    for item in items:
        if isinstance(item, (str, Path)) and Path(item).suffix.lower() in VIDEO_SUFFIXES:
            if not Path(item).is_file():
                raise InputError(item, "file not found")
            out += _video_frames(Path(item), MAX_VIEWS)
        else:
            out.append((item, None))
    return out


def _fit_view(source, name_override, opts: Avatar3DOptions, model, notes: list) -> _View:
    from .fit import fit_face, photo_arkit

    img, alpha, name, more = _load_photo(source)
    name = name_override or name
    notes += more
    frames = find_faces(img, name)
    index, frame = choose_face(frames, opts.face, name)
    fit = fit_face(frame.landmarks, (img.shape[1], img.shape[0]), photo_arkit(frame, (img.shape[1], img.shape[0])),
                   model=model)
    which = f"face {index}" if len(frames) > 1 else "the face"
    if fit.yaw_deg > MAX_YAW_DEG:
        raise InputError(name, f"{which} is turned {fit.yaw_deg:.0f} degrees from the camera (at most "
                               f"{MAX_YAW_DEG:.0f}): its far side is not in the photo; use a frontal photo")
    if fit.ipd_px < MIN_IPD_PX:
        raise InputError(name, f"{which} is too small ({fit.ipd_px:.0f} px between the pupils, at least "
                               f"{MIN_IPD_PX:.0f}): use a closer or larger photo")
    return _View(img, alpha, name, fit, len(frames), index)


def make_avatar(photo, options: Avatar3DOptions | None = None) -> Avatar:
    """Build the avatar in memory (see :func:`avatar3d`; nothing is written).

    ``photo`` is one photo, a list of photos of the same person, or a short video of them. With
    several views the face's shape is the median of their fitted neutral faces (each view's own
    expression taken off), views that cannot be used (no face, turned too far, too small) are left
    out with a note, and the texture and colours come from the most frontal view."""
    from ..errors import FaceMimicError
    from .head import build_head, frontal_layout
    from .learn import load_face_model
    from .texture import bake_texture, hair_colour, iris_colour
    from .combos import combination_shapes
    from .unit import calibrate_to_unit
    from .rest import lips_closed, photo_rested

    opts = options or Avatar3DOptions()
    model = load_face_model()
    sources = _sources(photo)
    notes: list[str] = []
    views = []
    for source, name in sources:
        try:
            views.append(_fit_view(source, name, opts, model, notes))
        except FaceMimicError as e:
            if len(sources) == 1:
                raise
            notes.append(f"left out: {e}")
    if not views:
        raise InputError(sources[0][1] or str(sources[0][0]), f"none of the {len(sources)} views can be used "
                                                               f"({notes[-1][len('left out: '):]})")
    main = min(views, key=lambda v: v.fit.yaw_deg)
    fit = main.fit
    rests = [photo_rested(v.fit.neutral, v.fit.arkit, model.mean) for v in views]
    neutral = np.median(np.stack(rests), axis=0) if len(views) > 1 else rests[0]
    neutral = lips_closed(neutral)  # a face at rest has its lips together (.rest)
    if len(views) > 1:
        notes.append(f"shape from {len(views)} views; texture from {main.name} (turned {fit.yaw_deg:.0f} deg)")
    layout = frontal_layout(neutral)
    texture, skin = bake_texture(main.img, fit, layout, size=int(opts.texture_size))
    iris = iris_colour(main.img, fit)
    hair_rgb = hair_colour(main.img, fit, alpha=main.alpha) if opts.hair != "none" else None
    if opts.hair == "auto" and hair_rgb is None:
        notes.append("no hair found above the forehead (or it is outside the photo): no hair cap")
    elif opts.hair != "none" and hair_rgb is None:
        notes.append(f"no hair found above the forehead (or it is outside the photo): {opts.hair} hair in dark brown")
        hair_rgb = DEFAULT_HAIR_RGB
    style = "short" if opts.hair in ("auto", "none") else opts.hair
    head = build_head(neutral, layout, iris_rgb=iris, hair_rgb=hair_rgb, skin_rgb=skin, hair_style=style)
    expressions, _ = calibrate_to_unit(neutral, model.expressions)
    stem = Path(str(main.name).split("#")[0]).stem
    return Avatar(name=stem or "avatar", head=head, texture=texture, expressions=expressions, fit=fit,
                  iris_rgb=iris, hair_rgb=hair_rgb, faces_found=main.faces, face=main.face, notes=tuple(notes),
                  views=len(views), combinations=combination_shapes(neutral, expressions))


def render_preview(head, texture: np.ndarray, *, skin=None, parts=None, size: int = 512) -> np.ndarray:
    """Front and three-quarter views of the avatar side by side, RGB uint8 (size, 2*size, 3)."""
    from .raster import Surface, render

    skin = head.skin.positions if skin is None else skin
    parts = head.parts.positions if parts is None else parts
    surfaces = [Surface(skin, head.skin.triangles, uv=head.skin.uv, texture=texture),
                Surface(parts, head.parts.triangles, colours=head.parts.colours)]
    views = [render(surfaces, size=(size, size), yaw_deg=y, centre=(0.0, -0.6), span=5.2) for y in (0.0, 35.0)]
    return np.concatenate(views, axis=1)


from .player import AvatarPlayer, is_avatar3d  # noqa: E402  (animate plays avatar3d files through these)

__all__ = ["Avatar", "AvatarPlayer", "is_avatar3d", "Avatar3DOptions", "Avatar3DResult", "make_avatar", "MAX_YAW_DEG", "MIN_IPD_PX", "avatar3d", "render_preview"]
