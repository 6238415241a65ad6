"""Still images and plots written whole, in the format their file extension names.

One rule for every image FaceMimic writes besides video frames (avatar previews, emotion
timelines, loss plots): ``.png``, ``.jpg``/``.jpeg``, ``.gif`` and ``.webp`` through Pillow (plots
also ``.svg`` and ``.pdf`` through matplotlib). Any other extension is refused with one line
naming the file, and callers check it before doing any work (:func:`check_image_path`), so a
``preview.gif`` is a GIF and ``plot.txt`` is an error, never PNG bytes under another name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import OutputError

RASTER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
VECTOR_FORMATS = {".svg": "svg", ".pdf": "pdf"}  # plots only (matplotlib draws them natively)


def check_image_path(path: str | Path, *, vector: bool = False) -> str:
    """The format ``path``'s extension names, or :class:`OutputError` naming the file.

    Parameters
    ----------
    path : str or Path
    vector : bool
        Also accept ``.svg`` and ``.pdf`` (for matplotlib figures).

    Returns
    -------
    str
        A Pillow format name (``"PNG"``, ``"JPEG"``, ``"GIF"``, ``"WEBP"``) or ``"svg"``/``"pdf"``.
    """
    ext = Path(path).suffix.lower()
    known = dict(RASTER_FORMATS, **(VECTOR_FORMATS if vector else {}))
    if ext not in known:
        names = ", ".join(dict.fromkeys(known))
        got = f"extension {ext!r}" if ext else "no extension"
        raise OutputError(path, f"cannot write an image with {got}; use {names}")
    return known[ext]


def write_image(pixels: np.ndarray, path: str | Path) -> Path:
    """Save RGB or RGBA ``uint8`` pixels atomically, in the format of ``path``'s extension.

    Parameters
    ----------
    pixels : np.ndarray [shape=(H, W, 3) or (H, W, 4), dtype=uint8]
        RGBA keeps its alpha in PNG, WebP and GIF (Pillow gives GIF one transparent palette
        entry); JPEG has no alpha, so transparent pixels are composited on white.
    path : str or Path
        ``.png``, ``.jpg``/``.jpeg``, ``.gif`` or ``.webp``.
    """
    from PIL import Image

    from .files import AtomicFile

    fmt = check_image_path(path)
    a = np.ascontiguousarray(pixels)
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] not in (3, 4):
        from ..errors import ShapeError

        raise ShapeError("pixels", a.shape, "(H, W, 3) or (H, W, 4) uint8")
    im = Image.fromarray(a)  # RGB or RGBA from the last axis
    options: dict = {}
    if fmt == "JPEG":
        if im.mode == "RGBA":
            white = Image.new("RGB", im.size, (255, 255, 255))
            white.paste(im, mask=im.getchannel("A"))
            im = white
        options = {"quality": 92}
    elif fmt == "WEBP":
        options = {"lossless": True}
    with AtomicFile(path, "wb") as out:
        im.save(out.file, format=fmt, **options)
    return out.path


def save_figure(fig, path: str | Path, *, dpi: int = 100) -> Path:
    """Save a matplotlib figure atomically as PNG, JPEG, GIF, WebP, SVG or PDF (by extension)."""
    import io

    from .files import AtomicFile

    fmt = check_image_path(path, vector=True)
    if fmt in ("svg", "pdf"):
        with AtomicFile(path, "wb") as out:
            fig.savefig(out.file, format=fmt, dpi=dpi)
        return out.path
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)  # then Pillow: it writes GIF, which matplotlib cannot
    buf.seek(0)
    with Image.open(buf) as im:
        return write_image(np.asarray(im.convert("RGB")), path)
