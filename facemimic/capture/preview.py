"""A preview video of what capture saw: the face mesh, the strongest shapes, head pose and gaze.

``facemimic track --preview out.mp4`` writes one; use it to check tracking quality, lighting and
calibration at a glance. Each video frame shows, for every face present:

* the 478-point face mesh (faint tesselation, bright contours of eyes, brows, lips, oval, irises),
* head-pose axes at the nose tip (red: the face's left–right axis, green: up, blue: forward),
* gaze rays from both irises (head pose and eye rotation combined),
* a panel with the 8 strongest Unified Expressions shapes as live bars, eye openness and
  yaw/pitch/roll,

and a "no face" label when nothing is tracked. Encoded as H.264 (yuv420p) MP4 via PyAV, written
atomically: on an error nothing is left at the target path.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import OutputError, ParameterError, ShapeError
from ..expressions.frame import ExpressionFrame
from ..common.files import AtomicFile, AtomicOutput

N_BARS = 8  # strongest shapes listed per face

# MediaPipe landmark indices used for the overlays.
NOSE_TIP = 1
CHIN = 152  # MediaPipe mesh: lowest point of the chin
RIGHT_IRIS = 468  # subject's right eye (image left in an unmirrored frame)
LEFT_IRIS = 473
EYE_OUTER = (33, 263)  # subject's right / left outer eye corners: the inter-ocular distance (IOD)

# Colours (RGB).
MESH = (200, 215, 230)
CONTOUR = (120, 235, 255)
IRIS = (255, 255, 120)
GAZE = (255, 220, 60)
AXES = ((235, 70, 70), (70, 215, 90), (80, 140, 255))  # face x (red), up (green), forward (blue)
PANEL_BG = (18, 20, 28)
TEXT = (235, 235, 240)
NO_FACE = (255, 110, 100)
_REGION_COLOURS = (  # bar colour by shape-name prefix
    (("Eye",), (110, 200, 255)),
    (("Brow",), (255, 215, 90)),
    (("Cheek", "Nasal", "Nose"), (255, 140, 190)),
    (("Jaw",), (170, 140, 255)),
    (("Mouth", "Lip"), (255, 150, 80)),
    (("Tongue", "SoftPalate", "Throat", "Neck"), (120, 230, 150)),
)


def _bar_colour(name: str) -> tuple[int, int, int]:
    for prefixes, colour in _REGION_COLOURS:
        if name.startswith(prefixes):
            return colour
    return TEXT


def _connections() -> tuple[np.ndarray, np.ndarray]:
    """(tesselation, contours) as (K, 2) landmark-index pairs, from MediaPipe when available."""
    try:
        from mediapipe.tasks.python.vision import FaceLandmarksConnections as C

        tess = np.array([(c.start, c.end) for c in C.FACE_LANDMARKS_TESSELATION], np.int32)
        cont = [C.FACE_LANDMARKS_CONTOURS, C.FACE_LANDMARKS_LEFT_IRIS, C.FACE_LANDMARKS_RIGHT_IRIS]
        contours = np.array([(c.start, c.end) for group in cont for c in group], np.int32)
        return tess, contours
    except (ImportError, AttributeError):  # pragma: no cover - an older MediaPipe without the connections
        # Fallback: the outline of the face oval (MediaPipe's published ring order).
        oval = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
                377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
        ring = np.array([(a, b) for a, b in zip(oval, oval[1:] + oval[:1])], np.int32)
        return np.zeros((0, 2), np.int32), ring


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Face-model -> camera rotation (OpenCV camera frame: x right, y down, z forward).

    FaceMimic's angles (+yaw: subject turns to their right = image left, +pitch: looks down,
    +roll: clockwise in the image) are OpenFace's R = Rx(pitch) Ry(yaw) Rz(roll).
    """
    p, y, r = np.radians([pitch, yaw, roll])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rx @ ry @ rz


class PreviewWriter(AtomicOutput):
    """Writes an annotated H.264 MP4 preview, one video frame per :meth:`write`.

    Parameters
    ----------
    path : str or Path
        Output ``.mp4`` file; written under a temporary name and renamed on :meth:`close`.
    fps : float
        Frame rate of the video (the capture's frame rate).
    size : (int, int)
        ``(width, height)`` of the video. Odd sizes are rounded up to even (H.264 4:2:0 needs
        even sides); images of another size are scaled to fit.
    crf : int
        x264 quality (lower = better, larger files).

    Examples
    --------
    >>> with PreviewWriter("preview.mp4", fps=30, size=(640, 360)) as pw:  # doctest: +SKIP
    ...     for image, frames in zip(images, frames_per_image):
    ...         pw.write(image, frames)
    """

    def __init__(self, path: str | Path, *, fps: float, size: tuple[int, int], crf: int = 23) -> None:
        import av

        try:
            w, h = (int(v) for v in size)
        except (TypeError, ValueError):
            raise ParameterError(f"preview size must be (width, height), got {size!r}") from None
        if not (16 <= w <= 7680 and 16 <= h <= 4320):
            raise ParameterError(f"preview size must be between 16x16 and 7680x4320, got {w}x{h}")
        if not (isinstance(fps, (int, float)) and 0 < fps <= 1000):
            raise ParameterError(f"preview fps must be a positive number, got {fps!r}")
        self.path = Path(path)
        self.fps = float(fps)
        self.size = (w + w % 2, h + h % 2)  # even sides for yuv420p
        self.count = 0
        self._tess, self._contours = _connections()
        self._out = AtomicFile(self.path, "wb")
        try:
            self._container = av.open(self._out.file, mode="w", format="mp4")
            rate = Fraction(self.fps).limit_denominator(1001)
            self._stream = self._container.add_stream("libx264", rate=rate)
            self._stream.width, self._stream.height = self.size
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = {"crf": str(int(crf)), "preset": "veryfast"}
        except Exception as e:
            self._out.discard()
            raise OutputError(self.path, f"cannot start an H.264 preview ({e})") from None


    # -- writing ------------------------------------------------------------------------------
    def write(self, rgb_image: np.ndarray, frames: Sequence[ExpressionFrame]) -> None:
        """Annotate one image with its frames (all faces at that instant) and encode it.

        Parameters
        ----------
        rgb_image : np.ndarray [shape=(H, W, 3), dtype=uint8]
            The source image, RGB.
        frames : list of ExpressionFrame
            The faces seen in it (may be empty or hold gap frames: "no face" is shown).
        """
        import av

        image = render_preview(rgb_image, frames, size=self.size, tess=self._tess, contours=self._contours)
        vf = av.VideoFrame.from_ndarray(image, format="rgb24")
        vf.pts = self.count
        vf.time_base = Fraction(1, 1) / self._stream.codec_context.framerate
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self.count += 1

    def close(self) -> Path:
        """Flush the encoder and move the file into place; returns the path."""
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        return self._out.commit()

    def abort(self) -> None:
        """Abandon the preview: nothing is left at the target path."""
        try:
            self._container.close()
        except Exception:  # noqa: BLE001 - already failing; the temp file goes either way
            pass
        self._out.discard()


def render_preview(
    rgb_image: np.ndarray,
    frames: Sequence[ExpressionFrame],
    *,
    size: tuple[int, int] | None = None,
    tess: np.ndarray | None = None,
    contours: np.ndarray | None = None,
) -> np.ndarray:
    """Draw the preview overlays on a copy of an image.

    Parameters
    ----------
    rgb_image : np.ndarray [shape=(H, W, 3), dtype=uint8]
    frames : list of ExpressionFrame
        Faces at this instant; landmarks (normalised x, y in [0, 1]) are drawn when present.
    size : (int, int), optional
        ``(width, height)`` of the result; default: the image's own size.

    Returns
    -------
    np.ndarray [shape=(height, width, 3), dtype=uint8]
    """
    import cv2

    img = np.asarray(rgb_image)
    if img.ndim != 3 or img.shape[2] not in (3, 4) or img.dtype != np.uint8:
        raise ShapeError("preview image", img.shape, "(H, W, 3) uint8 RGB")
    img = np.ascontiguousarray(img[..., :3])
    w, h = size if size is not None else (img.shape[1], img.shape[0])
    if (img.shape[1], img.shape[0]) != (w, h):
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if img.shape[1] > w else cv2.INTER_LINEAR)
    else:
        img = img.copy()
    if tess is None or contours is None:
        tess, contours = _connections()
    s = h / 360.0  # drawing scale: sizes below are tuned for 360 px high video
    lw = max(1, int(round(s)))
    faces = [f for f in frames if f.present]

    # Meshes first (a translucent layer), then the solid annotations on top.
    meshes = [np.round(np.asarray(f.landmarks[:, :2], np.float64) * (w, h) * 16).astype(np.int32)
              for f in faces if f.landmarks is not None and len(f.landmarks)]  # 4 sub-pixel bits
    # The dense tesselation is faint so the face stays readable; the contours are near-solid.
    for pairs, colour, thick, opacity in ((tess, MESH, 1, 0.3), (contours, CONTOUR, lw, 0.85)):
        if not meshes or not len(pairs):
            continue
        layer = img.copy()
        for ipts in meshes:
            ok = pairs[(pairs < len(ipts)).all(axis=1)]
            cv2.polylines(layer, list(ipts[ok]), False, colour, thick, cv2.LINE_AA, shift=4)
        cv2.addWeighted(layer, opacity, img, 1.0 - opacity, 0, dst=img)

    for f in faces:
        _draw_pose_and_gaze(img, f, w, h, lw, s)
    if len(faces) == 1:
        _draw_panel(img, faces[0], int(8 * s), int(8 * s), s, show_id=False)
    elif faces:
        # Group shots: smaller panels (top 4 shapes) along the bottom edge, where bodies rather than
        # faces usually are, and a "face N" tag under each chin so panels and faces pair up.
        ps = min(s * 0.7, (w - 8 * s) / (len(faces) * 215.0))  # shrink so every face gets a panel
        panel_w, panel_h = int(205 * ps), int(17 * ps) * (4 + 3) + int(10 * ps)
        x0 = int(8 * s)
        for f in sorted(faces, key=_face_x):
            if x0 + panel_w > w:
                break  # no room for more panels; the meshes and tags still show every face
            _draw_panel(img, f, x0, max(0, h - panel_h - int(26 * s)), ps, show_id=True, n_bars=4)
            x0 += panel_w + int(6 * s)
        for f in faces:
            if f.landmarks is not None and len(f.landmarks) > CHIN:
                chin = np.asarray(f.landmarks[CHIN, :2], np.float64) * (w, h)
                _label(img, f"face {f.face_id}", (int(chin[0]), int(chin[1] + 16 * s)), 0.42 * s, TEXT,
                       centred=True, box=True)
    if not faces:
        _label(img, "no face", (w // 2, h // 2), 1.1 * s, NO_FACE, centred=True, box=True)
    t = next((f.time for f in frames), None)
    if t is not None and np.isfinite(t):
        _label(img, f"{t:7.2f} s", (w - int(8 * s), h - int(10 * s)), 0.45 * s, TEXT, right=True, box=True)
    return img


def _face_scale(f: ExpressionFrame, w: int, h: int) -> float:
    lm = f.landmarks
    if lm is None or len(lm) <= max(EYE_OUTER):
        return 0.12 * h
    a, b = (np.asarray(lm[i, :2], np.float64) * (w, h) for i in EYE_OUTER)
    return float(np.hypot(*(a - b))) or 0.12 * h


def _draw_pose_and_gaze(img: np.ndarray, f: ExpressionFrame, w: int, h: int, lw: int, s: float) -> None:
    import cv2

    rot = np.asarray(f.head_rotation, np.float64)
    if f.landmarks is None or len(f.landmarks) <= NOSE_TIP or not np.all(np.isfinite(rot)):
        return
    iod = _face_scale(f, w, h)
    R = _rotation(*rot)
    origin = np.asarray(f.landmarks[NOSE_TIP, :2], np.float64) * (w, h)
    # Model axes: x = image right for a frontal face, up = -y, forward (out of the face) = -z.
    for axis, colour in zip((R[:, 0], -R[:, 1], -R[:, 2]), AXES):
        tip = origin + axis[:2] * 0.8 * iod
        cv2.arrowedLine(img, _pt(origin), _pt(tip), colour, lw + 1, cv2.LINE_AA, tipLength=0.18)
    if len(f.landmarks) <= LEFT_IRIS:
        return
    for idx, gaze in ((RIGHT_IRIS, f.gaze_right), (LEFT_IRIS, f.gaze_left)):
        g = np.asarray(gaze, np.float64)
        if not np.all(np.isfinite(g)):
            continue
        # Eye direction in the face model: looking ahead is -z; +gaze x is the subject's right
        # (model -x), +gaze y is up (model -y).
        d = R @ np.array([-g[0], -g[1], -1.0])
        d /= np.linalg.norm(d)
        start = np.asarray(f.landmarks[idx, :2], np.float64) * (w, h)
        cv2.circle(img, _pt(start), max(2, int(2.5 * s)), IRIS, -1, cv2.LINE_AA)
        cv2.line(img, _pt(start), _pt(start + d[:2] * 1.2 * iod), GAZE, lw, cv2.LINE_AA)


def _face_x(f: ExpressionFrame) -> float:
    """Horizontal position of a face in the image (0..1), for ordering panels left to right."""
    return float(np.nanmean(f.landmarks[:, 0])) if f.landmarks is not None and len(f.landmarks) else 0.5


def _draw_panel(img: np.ndarray, f: ExpressionFrame, x: int, y: int, s: float, *, show_id: bool,
                n_bars: int = N_BARS) -> None:
    import cv2

    row = int(17 * s)
    pw = int(205 * s)
    ph = row * (n_bars + 3) + int(10 * s)
    y1, x1 = min(img.shape[0], y + ph), min(img.shape[1], x + pw)
    roi = img[y:y1, x:x1]
    roi[:] = (roi * 0.35 + np.array(PANEL_BG) * 0.65).astype(np.uint8)  # translucent backdrop
    fs = 0.38 * s
    cy = y + row
    title = f"face {f.face_id}" if show_id else "expression"
    _label(img, f"{title}  conf {f.confidence:.2f}", (x + int(6 * s), cy - int(3 * s)), fs, TEXT)
    name_w = int(128 * s)
    bar_x, bar_w = x + name_w, pw - name_w - int(36 * s)
    for name, v in f.top(n_bars):
        cy += row
        v = float(np.nan_to_num(v))
        _label(img, name, (x + int(6 * s), cy - int(4 * s)), fs, TEXT)
        top, bot = cy - row + int(5 * s), cy - int(3 * s)
        cv2.rectangle(img, (bar_x, top), (bar_x + bar_w, bot), (60, 64, 76), -1)
        cv2.rectangle(img, (bar_x, top), (bar_x + int(round(bar_w * min(max(v, 0.0), 1.0))), bot),
                      _bar_colour(name), -1)
        _label(img, f"{v:.2f}", (bar_x + bar_w + int(4 * s), cy - int(4 * s)), fs, TEXT)
    yaw, pitch, roll = (float(v) for v in f.head_rotation)
    cy += row
    _label(img, f"eyes L {f.openness_left:.2f}  R {f.openness_right:.2f}", (x + int(6 * s), cy - int(4 * s)), fs, TEXT)
    cy += row
    _label(img, f"yaw {yaw:+.1f}  pitch {pitch:+.1f}  roll {roll:+.1f}", (x + int(6 * s), cy - int(4 * s)), fs, TEXT)


def _pt(p) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def _label(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour, *,
           centred: bool = False, right: bool = False, box: bool = False) -> None:
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    thick = max(1, int(round(scale * 2.2)))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    x, y = org
    if centred:
        x, y = x - tw // 2, y + th // 2
    elif right:
        x = x - tw
    if box:
        pad = max(3, int(th * 0.45))
        cv2.rectangle(img, (x - pad, y - th - pad), (x + tw + pad, y + base + pad // 2), PANEL_BG, -1)
    cv2.putText(img, text, (x, y), font, scale, colour, thick, cv2.LINE_AA)


__all__ = ["PreviewWriter", "render_preview"]
