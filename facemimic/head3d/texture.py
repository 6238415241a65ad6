"""The avatar's texture and colours, taken from the photo.

* :func:`bake_texture`: the photo warped triangle by triangle into the face's frontal layout
  (:func:`.head.frontal_layout`); where the photo saw a triangle at a grazing angle or from behind
  (a turned head's far cheek), the mirrored texel from the other side of the face fills it; the
  light is evened (the colour divided by its own blurred brightness, so one-sided light and
  shadows fade); outside the face and in the eye and mouth openings the skin tone continues, with
  a soft edge.
* :func:`iris_colour`, :func:`hair_colour`, :func:`skin_colour`: medians over the photo's pixels in
  the iris ring, above the forehead and on the cheeks and forehead.
"""

from __future__ import annotations

import numpy as np

from .fit import FaceFit
from .raster import interpolate, rasterize
from .topology import LEFT_IRIS, LEFT_IRIS_RING, RIGHT_IRIS, RIGHT_IRIS_RING, triangles

TEXTURE_SIZE = 1024
CHEEK_SAMPLES = (50, 280, 205, 425)
FOREHEAD_SAMPLES = (151, 108, 337, 109, 338, 10)  # the forehead below the hairline
SKIN_SAMPLES = CHEEK_SAMPLES + FOREHEAD_SAMPLES[:3]  # cheeks, mid forehead: usually bare, evenly lit skin
HAIRLINE_STEP = 0.18  # RGB 0..1: the colour step from forehead skin to hair


def _photo_float(photo: np.ndarray) -> np.ndarray:
    return np.asarray(photo, np.float32) / 255.0


def _sample_photo(photo: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Bilinear samples (N, 3) of an RGB float photo at pixel (column, row) positions (N, 2)."""
    import cv2

    n = len(xy)
    cols = 1024  # OpenCV maps must stay under 32767 on a side
    m = np.zeros((-(-n // cols) * cols, 2), np.float32)
    m[:n] = xy
    m = m.reshape(-1, cols, 2)
    out = cv2.remap(photo, np.ascontiguousarray(m[..., 0]), np.ascontiguousarray(m[..., 1]), cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(-1, 3)[:n]


def iris_colour(photo: np.ndarray, fit: FaceFit) -> tuple[float, float, float]:
    """The iris colour (RGB 0..1): median of the iris ring's pixels in both eyes, highlights and
    the pupil left out."""
    img = _photo_float(photo)
    samples = []
    for centre, ring in ((LEFT_IRIS, LEFT_IRIS_RING), (RIGHT_IRIS, RIGHT_IRIS_RING)):
        c = fit.landmarks_px[centre]
        r = np.linalg.norm(fit.landmarks_px[list(ring)] - c, axis=1).mean()
        if not r > 1.0:
            continue
        ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        rad = np.linspace(0.4, 0.85, 4) * r
        pts = c + np.stack([np.outer(rad, np.cos(ang)), np.outer(rad, np.sin(ang))], -1).reshape(-1, 2)
        samples.append(_sample_photo(img, pts))
    if not samples:
        return (0.30, 0.22, 0.16)
    s = np.concatenate(samples)
    lum = s.mean(axis=1)
    keep = (lum > np.quantile(lum, 0.15)) & (lum < np.quantile(lum, 0.8))
    return tuple(float(v) for v in np.median(s[keep] if keep.any() else s, axis=0))


def forehead_colour(photo: np.ndarray, fit: FaceFit) -> tuple[np.ndarray, bool]:
    """The forehead's colour as photographed (3,) (the median at :data:`FOREHEAD_SAMPLES` of the RGB
    float photo (H, W, 3) 0..1), and whether it is under a fringe: darker than the cheeks
    (:data:`CHEEK_SAMPLES`) by :data:`HAIRLINE_STEP`."""
    def median(ids):
        return np.median(_sample_photo(photo, fit.landmarks_px[list(ids)]), axis=0)

    forehead = median(FOREHEAD_SAMPLES)
    return forehead, bool(median(CHEEK_SAMPLES).mean() - forehead.mean() > HAIRLINE_STEP)


def hair_colour(photo: np.ndarray, fit: FaceFit, *,
                alpha: np.ndarray | None = None) -> tuple[float, float, float] | None:
    """The hair colour (RGB 0..1), or None (bald, hidden, outside the photo, or transparent there).

    Rows of the photo are read upwards from the top of the face's mesh, in the face's own frame:
    the hair starts at the first two rows whose colour departs by :data:`HAIRLINE_STEP` from the
    photo's own forehead (its pixels at :data:`FOREHEAD_SAMPLES`, as photographed), and its colour is
    the median of the band above that. The forehead as photographed, not the texture's evened skin
    tone: a forehead lit brighter than the face's average is still skin, and its band had been read
    as the hair (19 of 28 grey CK+ studio frames got white or light grey hair for dark or brown hair,
    four of five faces in insightface's t1.jpg their skin colour or the wall;
    ``benchmarks/avatar3d_hair.py``). A forehead darker than the cheeks by the step is under the
    hair (a fringe): its colour is the hair's.

    Parameters
    ----------
    photo : np.ndarray [shape=(H, W, 3), dtype=uint8]
        The RGB photo the face was fitted in.
    fit : FaceFit
        The face fitted in ``photo``.
    alpha : np.ndarray [shape=(H, W)], optional
        The photo's alpha channel: pixels under 128 (a cut-out portrait) count as outside the photo.
    """
    img = _photo_float(photo)
    w, h = fit.image_size
    forehead, fringe = forehead_colour(img, fit)
    if fringe:
        return tuple(float(v) for v in forehead)
    top = fit.neutral[10]
    xs = np.linspace(-0.35, 0.35, 8)
    ys = top[1] + np.arange(0.05, 1.3, 0.05)
    pts = np.array([[x, y, top[2] - 0.1 - 0.3 * (y - top[1])] for y in ys for x in xs])
    xy = fit.project(pts)
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    if alpha is not None:
        ij = np.clip(xy.astype(int), 0, [w - 1, h - 1])
        inside &= alpha[ij[:, 1], ij[:, 0]] >= 128
    inside = inside.reshape(len(ys), len(xs))
    rows = _sample_photo(img, np.clip(xy, 0, [w - 1, h - 1])).reshape(len(ys), len(xs), 3)
    med = np.median(rows, axis=1)
    away = np.linalg.norm(med - forehead, axis=1) > HAIRLINE_STEP
    for i in range(len(ys) - 3):
        if inside[i].mean() < 0.75:
            return None
        if away[i] and away[i + 1]:
            band = rows[i + 2:i + 8][inside[i + 2:i + 8]]  # past the hairline's mixed pixels
            return tuple(float(v) for v in np.median(band, axis=0))
    return None


def _blur(img: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of ``img`` (H, W, C) using only the ``mask``ed pixels (normalised convolution),
    computed at 1/8 resolution (the blur is wide, so nothing is lost) and scaled back up."""
    import cv2

    h, w = mask.shape
    small = (max(w // 8, 1), max(h // 8, 1))
    m = cv2.resize(mask.astype(np.float32), small, interpolation=cv2.INTER_AREA)
    x = cv2.resize(np.ascontiguousarray(img * mask[..., None], np.float32), small, interpolation=cv2.INTER_AREA)
    x = x.reshape(small[1], small[0], -1)
    num = cv2.GaussianBlur(x, (0, 0), sigma / 8).reshape(x.shape)
    den = cv2.GaussianBlur(m, (0, 0), sigma / 8)[..., None]
    out = cv2.resize(num / np.maximum(den, 1e-6), (w, h), interpolation=cv2.INTER_LINEAR)
    return out.reshape(h, w, -1)


def bake_texture(photo: np.ndarray, fit: FaceFit, layout: np.ndarray, *, size: int = TEXTURE_SIZE):
    """The skin texture (size, size, 3) float 0..1 and the skin tone (3,).

    Parameters
    ----------
    photo : np.ndarray [shape=(H, W, 3), dtype=uint8]
    fit : FaceFit
        The face fitted in ``photo``.
    layout : np.ndarray [shape=(478, 2)]
        Texture coordinates of the face's vertices (0..1, v down), symmetric about u = 0.5.
    """
    import cv2

    tris = triangles()
    # The layout is rasterised at half the size: where each texel was in the photo is piecewise
    # affine, so scaling that map up loses nothing and costs a quarter of the work.
    half = size // 2
    screen = np.concatenate([layout * half, np.zeros((len(layout), 1))], axis=1)
    tri_id, bary = rasterize(screen.astype(np.float64), tris, (half, half), cull=False)
    # Where each texel was in the photo (the shape as photographed lands on the landmarks).
    xy_small = interpolate(fit.project(fit.shape), tris, tri_id, bary).astype(np.float32)
    # How squarely the photo saw each triangle (its normal towards the camera).
    cam = fit.shape @ fit.rotation.T
    p0, p1, p2 = (cam[tris[:, k]] for k in range(3))
    n = np.cross(p1 - p0, p2 - p0)
    facing = n[:, 2] / np.maximum(np.linalg.norm(n, axis=1), 1e-12)
    seen_small = np.where(tri_id >= 0, np.clip((facing[np.maximum(tri_id, 0)] - 0.2) / 0.4, 0, 1), 0).astype(np.float32)
    hit = cv2.resize((tri_id >= 0).astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST).astype(bool)
    xy = cv2.resize(xy_small, (size, size), interpolation=cv2.INTER_LINEAR)
    seen = cv2.resize(seen_small, (size, size), interpolation=cv2.INTER_LINEAR) * hit
    colour = np.zeros((size, size, 3), np.float32)
    colour[hit] = _sample_photo(_photo_float(photo), xy[hit])
    # Fill what the photo saw poorly from the face's other side (the layout is mirror-symmetric).
    m_colour, m_seen = colour[:, ::-1], seen[:, ::-1]
    wa, wb = seen ** 2 + 1e-4, m_seen ** 2 * (1 - seen)
    colour = (colour * wa[..., None] + m_colour * wb[..., None]) / (wa + wb)[..., None]
    # Even the light: divide by the blurred brightness (one-sided light and soft shadows fade).
    lum = colour.mean(axis=2, keepdims=True)
    low = _blur(lum, hit, size / 14)
    level = float(np.median(low[hit]))
    colour = np.clip(colour * (level / np.maximum(low, 1e-3)) ** 0.85, 0, 1)
    colour = mouth_evened(flatten_creases(colour, layout, hit), layout, hit)  # a smile's teeth line, corner pits
    skin = np.median(_sample_uv(colour, layout[list(SKIN_SAMPLES)]), axis=0)
    # Holes (eyes, mouth) and the outside: skin tone, with a soft edge along the face's border.
    hit_u8 = hit.astype(np.uint8)
    inner = cv2.distanceTransform(hit_u8, cv2.DIST_L2, 5)
    edge = np.clip(inner / (size / 40), 0, 1)[..., None]
    holes = _holes_mask(layout, size)
    x0, y0, w, h = cv2.boundingRect(holes.astype(np.uint8))  # inpaint only around the openings (fast)
    pad = 8
    x0, y0 = max(x0 - pad, 0), max(y0 - pad, 0)
    x1, y1 = min(x0 + w + 2 * pad, size), min(y0 + h + 2 * pad, size)
    crop = (np.clip(colour[y0:y1, x0:x1], 0, 1) * 255).astype(np.uint8)
    filled = np.tile(skin.astype(np.float32), (size, size, 1))
    filled[y0:y1, x0:x1] = cv2.inpaint(crop, (1 - hit_u8[y0:y1, x0:x1]) * holes[y0:y1, x0:x1].astype(np.uint8),
                                       5, cv2.INPAINT_TELEA).astype(np.float32) / 255
    base = np.where(holes[..., None], filled, skin)
    out = np.where(hit[..., None], colour * edge + base * (1 - edge), base)
    # The photo saw a smile's corner triangles edge-on: refill them from around (after the holes' fill, so
    # the inpainting reads skin tone in the mouth opening, not black).
    out = squashed_corners_filled(out, layout, fit.project(fit.shape)[:, :2])
    return lash_lines(out.astype(np.float32), layout), skin


# The upper lids' margins, inner to outer corner (MediaPipe; subject's left, right).
UPPER_LIDS = ((362, 398, 384, 385, 386, 387, 388, 466, 263), (133, 173, 157, 158, 159, 160, 161, 246, 33))
LASH_WIDTH, LASH_DARK = 0.03, 0.75  # IPD across the line (half of it lies over the opening); darkening


def lash_lines(texture: np.ndarray, layout: np.ndarray) -> np.ndarray:
    """``texture`` (T, T, 3) with a dark line along each upper lid's margin: the lashes.

    A photo's lashes are a few pixels of the lid's edge; the mesh's eye opening does not fall on
    them to the pixel, so the baked lid edge is skin-coloured and the eye's white meets bare skin —
    an eye with no upper lash line reads wide open (surprise, fear). The line is thickest in the
    middle of the lid and thins to the corners; it moves with the lid (blinks, squints, widening)."""
    import cv2

    from .head import UV_SPAN

    size = texture.shape[0]
    per_ipd = size / UV_SPAN
    mask = np.zeros((size, size), np.float32)
    for lid in UPPER_LIDS:
        pts = layout[list(lid)] * size
        for k in range(len(pts) - 1):
            t = (k + 0.5) / (len(pts) - 1)
            thick = max(1, int(round(LASH_WIDTH * per_ipd * (0.4 + 0.6 * np.sin(np.pi * t)))))
            a, b = np.round(pts[k] * 8).astype(np.int32), np.round(pts[k + 1] * 8).astype(np.int32)
            cv2.line(mask, tuple(map(int, a)), tuple(map(int, b)), 1.0, thickness=thick, lineType=cv2.LINE_AA, shift=3)
    mask = cv2.GaussianBlur(mask, (0, 0), max(0.004 * per_ipd, 0.5))
    return np.clip(texture * (1.0 - LASH_DARK * np.clip(mask, 0, 1))[..., None], 0, 1).astype(np.float32)


# Where an expression folds the skin (the folds a photo's expression leaves in the texture), per
# side where the face has two: the nasolabial fold from the nose wing past the mouth corner; the
# glabella and the forehead (a frown's vertical furrows, a raised brow's horizontal lines). (Not the
# chin: the shadow under the lower lip is the lip's edge; without it the capture stage reads the
# rest mouth as open, JawOpen 0.03 -> 0.10 on 0-f1-su-ph.) Convex hulls of these landmarks, in the texture layout.
_CREASE_ZONES = (
    (129, 36, 205, 187, 192, 214, 210, 57, 186, 92, 165, 98, 64, 102, 48),  # right nasolabial fold
    (358, 266, 425, 411, 416, 434, 430, 287, 410, 322, 391, 327, 294, 331, 278),  # left nasolabial fold
    (9, 8, 107, 336, 55, 285, 151, 108, 337),  # glabella, between the brows
    (10, 151, 109, 338, 67, 297, 69, 299, 108, 337, 104, 333),  # forehead, above the brows
)
# Features inside or beside those zones whose shading is the person, not the expression.
_FEATURES = (
    ((276, 282, 283, 293, 295, 296, 300, 334), 0.04),  # left brow
    ((46, 52, 53, 63, 65, 66, 70, 105), 0.04),  # right brow
    ((1, 2, 4, 5, 19, 94, 97, 98, 326, 327, 64, 294, 48, 278, 115, 344, 220, 440, 45, 275), 0.01),  # lower nose
    ((0, 17, 37, 39, 40, 61, 84, 91, 146, 181, 185, 267, 269, 270, 291, 314, 321, 375, 405, 409), 0.02),  # lips
)
CREASE_BAND = (1 / 300, 1 / 40)  # texture sides: finer than this is skin grain (kept), coarser is light
CREASE_EDGE = 0.04  # IPD: feathering of the zones' edges


def flatten_creases(colour: np.ndarray, layout: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """The texture ``colour`` (T, T, 3) with the photo's folds and furrows evened out.

    A smile's nasolabial folds, a frown's furrows between the brows, a raised brow's forehead lines
    are the expression the photo was taken with: baked into the texture they show on every
    expression of the avatar (a sad face with a smile's folds reads happy). They are the middle
    band of the skin's brightness (wider than pores and freckles, narrower than the light's
    gradients); that band is taken out where expressions fold the skin (``_CREASE_ZONES``: the
    nasolabial folds, between and above the brows), but not on the brows, nose and lips
    there, and nowhere else (the eye sockets', cheekbones' and jaw's shading is the person's likeness).

    Parameters
    ----------
    colour : np.ndarray [shape=(T, T, 3)]
        Light-evened texture, 0..1.
    layout : np.ndarray [shape=(478, 2)]
        The face's texture coordinates.
    hit : np.ndarray [shape=(T, T), dtype=bool]
        Texels the face covers.
    """
    import cv2

    from .head import UV_SPAN

    size = colour.shape[0]
    per_ipd = size / UV_SPAN
    # Only the zones' neighbourhood is worked on (a third of the texture; the wide blur at a quarter
    # of the resolution): 1.6 s -> 0.2 s on a loaded 2-core machine.
    corners = np.concatenate([layout[list(z)] for z in _CREASE_ZONES]) * size
    pad = int(3 * size * CREASE_BAND[1]) + int(0.1 * per_ipd)
    x0, y0 = np.maximum(np.floor(corners.min(axis=0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(corners.max(axis=0)).astype(int) + pad, size)
    crop = np.ascontiguousarray(colour[y0:y1, x0:x1], np.float32)
    m = hit[y0:y1, x0:x1].astype(np.float32)
    h, w = m.shape

    def blur(x, sigma, k=1):  # normalised inside the face: the background's skin tone does not bleed in
        small = (max(w // k, 1), max(h // k, 1))
        xs = cv2.resize(np.ascontiguousarray(x * m[..., None]), small, interpolation=cv2.INTER_AREA)
        ms = cv2.resize(m, small, interpolation=cv2.INTER_AREA)
        num = cv2.GaussianBlur(xs, (0, 0), sigma / k).reshape(small[1], small[0], -1)
        den = np.maximum(cv2.GaussianBlur(ms, (0, 0), sigma / k), 1e-4)[..., None]
        out = (num / den).astype(np.float32)
        return out if k == 1 else cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)

    band = blur(crop, size * CREASE_BAND[0]) - blur(crop, size * CREASE_BAND[1], k=4)

    def hulls(groups, grow):
        mask = np.zeros((h, w), np.uint8)
        for points, margin in groups:
            one = np.zeros_like(mask)
            poly = layout[list(points)] * size - [x0, y0]
            cv2.fillConvexPoly(one, cv2.convexHull(poly.astype(np.float32)).astype(np.int32), 1)
            r = int(round((margin + grow) * per_ipd))
            mask |= cv2.dilate(one, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) if r > 0 else one
        return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), CREASE_EDGE * per_ipd)

    zones = hulls([(z, 0.0) for z in _CREASE_ZONES], 0.02)
    flat = np.clip(zones, 0, 1) * (1.0 - np.clip(hulls(_FEATURES, 0.0), 0, 1)) * m
    # Per channel: a fold's darker, redder shadow is taken out with its colour (scaling the
    # brightness alone would turn it orange).
    out = np.array(colour, np.float32, copy=True)
    out[y0:y1, x0:x1] = np.clip(crop - band * flat[..., None], 0, 1)
    return out


def _holes_mask(layout: np.ndarray, size: int) -> np.ndarray:
    """Texels inside the eye and mouth openings of the layout (bool (size, size))."""
    import cv2

    from .topology import boundary_loops

    mask = np.zeros((size, size), np.uint8)
    loops = boundary_loops()
    for name in ("eye_left", "eye_right", "mouth"):
        poly = (layout[loops[name]] * size).astype(np.int32)
        cv2.fillPoly(mask, [poly], 1)
    return cv2.dilate(mask, np.ones((9, 9), np.uint8)).astype(bool)


def _sample_uv(texture: np.ndarray, uv: np.ndarray) -> np.ndarray:
    size = texture.shape[0]
    ij = np.clip((uv * size).astype(int), 0, size - 1)
    return texture[ij[:, 1], ij[:, 0]]


def skin_colour_of(texture: np.ndarray, layout: np.ndarray) -> np.ndarray:
    """The skin tone (3,) read back from a baked texture at the cheeks and forehead."""
    return np.median(_sample_uv(texture, layout[list(SKIN_SAMPLES)]), axis=0)


__all__ = ["TEXTURE_SIZE", "bake_texture", "flatten_creases", "forehead_colour", "lash_lines", "hair_colour", "iris_colour", "skin_colour_of",
           "squashed_corners_filled", "squash_ratios"]


# The mouth as a smiling photo leaves it in the texture: the rest face closes the lips, but the
# texels along the lips' meeting line were sampled from the photo's teeth (MediaPipe's upper inner
# lip sits on the incisors in a smile: a white line between the closed lips), and beside each
# corner the smile's deep commissure shadow (a dark pit where the cheek bunches; a neutral face has
# none) stays as a closed smile's upturned hooks on every expression (single_face's anger read happy).
MOUTH_LINE = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
RED_LIPS = ((61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146), MOUTH_LINE)
LINE_WIDTH = 0.025  # IPD: the band along the lips' meeting line held no brighter than the lips
PIT_RADIUS = 0.06  # IPD: the disc about each mouth corner (centred between the lips' outer and inner corner)
PIT_KEEP = 0.8  # a corner is kept this dark against its surroundings' median (neutral faces: 0.74-0.85 of the lips)
PIT_LIGHT = 0.16  # IPD: the median's window; shading wider than this (the light, the face's shape) is kept


def mouth_evened(colour: np.ndarray, layout: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """The texture ``colour`` (T, T, 3) with a smiling photo's mouth taken out of the closed lips.

    Along the lips' meeting line nothing is brighter than the red lips' own median colour (per
    channel: the teeth seen between the photo's inner lip landmarks go, the dark line between the
    lips stays); about each mouth corner the darkening is
    taken out below ``PIT_KEEP`` of the median colour around it (``PIT_LIGHT``: a smile's dark mouth corners;
    a neutral mouth's corner shade is kept).

    Parameters
    ----------
    colour : np.ndarray [shape=(T, T, 3)]
        Light-evened texture, 0..1.
    layout : np.ndarray [shape=(478, 2)]
        The face's texture coordinates (0..1, v down).
    hit : np.ndarray [shape=(T, T), dtype=bool]
        Texels the face covers.
    """
    import cv2

    from .head import UV_SPAN

    size = colour.shape[0]
    per_ipd = size / UV_SPAN
    pts = layout * size
    outer, inner = (pts[list(ids)] for ids in RED_LIPS)
    pad = int(0.3 * per_ipd)
    x0, y0 = np.maximum(np.floor(outer.min(axis=0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(outer.max(axis=0)).astype(int) + pad, size)
    out = np.array(colour, np.float32, copy=True)
    crop = out[y0:y1, x0:x1]
    m = hit[y0:y1, x0:x1].astype(np.float32)
    off = np.array([x0, y0], np.float64)
    lips = np.zeros(m.shape, np.uint8)
    cv2.fillPoly(lips, [np.round(outer - off).astype(np.int32)], 1)
    cv2.fillPoly(lips, [np.round(inner - off).astype(np.int32)], 0)
    line = np.zeros(m.shape, np.uint8)
    cv2.polylines(line, [np.round(inner - off).astype(np.int32)], True, 1, max(1, int(round(LINE_WIDTH * per_ipd))))
    red = crop[(lips > 0) & (line == 0) & (m > 0)]
    if len(red):
        lip_colour = np.median(red, axis=0).astype(np.float32)
        sel = (line > 0) & (m > 0)
        crop[sel] = np.minimum(crop[sel], lip_colour)
    pit = np.zeros(m.shape, np.float32)
    for outer_corner, inner_corner in ((61, 78), (291, 308)):  # the pit lies between the lips' corners
        c = (pts[outer_corner] + pts[inner_corner]) / 2 - off
        cv2.circle(pit, (int(round(c[0])), int(round(c[1]))), int(round(PIT_RADIUS * per_ipd)), 1.0, -1)
    pit = cv2.GaussianBlur(pit, (0, 0), 0.015 * per_ipd) * m
    k = 2 * int(PIT_LIGHT * per_ipd / 2) + 1  # a median: the pit itself does not darken its reference
    local = cv2.medianBlur(np.round(np.clip(crop, 0, 1) * 255).astype(np.uint8), k).astype(np.float32) / 255
    darker = np.minimum(crop - PIT_KEEP * local, 0.0)  # a neutral mouth's own corner shade stays
    out[y0:y1, x0:x1] = np.clip(crop - darker * pit[..., None], 0, 1)
    return out


# Beside a smile's (or a press's) mouth corners the photo sees the skin's triangles nearly edge-on: the
# cheek bunches over the corner, so a few photo pixels of commissure shading are stretched across the
# whole triangle of the rest face's texture, a grey wedge or an upturned hook on every expression
# (single_face's sad mouth read neutral or happy). Those triangles are refilled from around them, as
# the unseen openings are, with the skin tone around them (not the lips'). A neutral mouth's corner
# skin: ratio 1.1-1.3; the smiles' (hao, single_face, the astronaut) 0.02-0.73.
SQUASH_BELOW = 0.8  # photo area / layout area (each in IPD^2) under which a triangle's texels are refilled
SQUASH_NEAR = 0.1  # IPD: triangles whose centre is this close to a mouth corner (61, 291) are considered
SQUASH_GROW = 0.012  # IPD: the refilled region's margin (the streak's anti-aliased edge)
SQUASH_FILL_SIGMA = 0.035  # IPD: how far around the refilled texels the skin tone is read
SQUASH_FEATHER = 0.012  # IPD: the blend's soft edge


def _tri_areas(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    a, b, c = points[tris[:, 0]], points[tris[:, 1]], points[tris[:, 2]]
    return 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))


def squash_ratios(layout: np.ndarray, photo_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How much the photo squashed each face triangle against the texture layout.

    Parameters
    ----------
    layout : np.ndarray [shape=(478, 2)]
        The face's texture coordinates.
    photo_xy : np.ndarray [shape=(>=478, 2)]
        The same vertices in the photo (pixels).

    Returns
    -------
    tris : np.ndarray [shape=(F, 3), dtype=int]
        The face's triangles (landmark vertices only).
    ratio : np.ndarray [shape=(F,)]
        Photo area / layout area, each in squared inter-pupil distances (1: seen as laid out).
    """
    tris = np.array([t for t in triangles() if max(t) < 478], np.int64)
    photo_xy = np.asarray(photo_xy, np.float64)[:478]
    ipd_photo = np.linalg.norm(photo_xy[LEFT_IRIS] - photo_xy[RIGHT_IRIS])
    ipd_layout = np.linalg.norm(layout[LEFT_IRIS] - layout[RIGHT_IRIS])
    photo_area = _tri_areas(photo_xy, tris) / max(ipd_photo, 1e-9) ** 2
    layout_area = _tri_areas(np.asarray(layout, np.float64), tris) / max(ipd_layout, 1e-12) ** 2
    return tris, photo_area / np.maximum(layout_area, 1e-12)


def squashed_corners_filled(texture: np.ndarray, layout: np.ndarray, photo_xy: np.ndarray) -> np.ndarray:
    """``texture`` (T, T, 3) with the triangles about the mouth corners that the photo saw squashed
    (area ratio under ``SQUASH_BELOW``, see :func:`squash_ratios`) inpainted from their surroundings.

    Parameters
    ----------
    texture : np.ndarray [shape=(T, T, 3)]
        The baked texture, 0..1, its holes already filled.
    layout : np.ndarray [shape=(478, 2)]
        The face's texture coordinates (0..1, v down).
    photo_xy : np.ndarray [shape=(>=478, 2)]
        The face's vertices in the photo (pixels).
    """
    import cv2

    tris, ratio = squash_ratios(layout, photo_xy)
    ipd = np.linalg.norm(layout[LEFT_IRIS] - layout[RIGHT_IRIS])
    corners = layout[[61, 291]]
    # Only the corners' own triangles: a smile squashes the whole bunched cheek a little (0.6-0.8), and
    # refilling all of it would leave flat patches.
    near = np.linalg.norm(layout[tris].mean(axis=1)[:, None] - corners[None], axis=-1).min(axis=1) < SQUASH_NEAR * ipd
    # Only the skin's: inside the red lips a press squashes the lips themselves (their line is mouth_evened's).
    lips = layout[list(RED_LIPS[0])].astype(np.float32)
    skin = np.array([cv2.pointPolygonTest(lips, tuple(float(v) for v in layout[t].mean(axis=0)), False) < 0 for t in tris])
    bad = tris[near & skin & (ratio < SQUASH_BELOW)]
    if not len(bad):
        return texture
    size = texture.shape[0]
    mask = np.zeros((size, size), np.uint8)
    for t in bad:
        cv2.fillPoly(mask, [np.round(layout[t] * size).astype(np.int32)], 1)
    grow = 2 * max(1, int(round(SQUASH_GROW * ipd * size))) + 1
    mask = cv2.dilate(mask, np.ones((grow, grow), np.uint8))
    sigma = SQUASH_FILL_SIGMA * ipd * size
    ys, xs = np.nonzero(mask)
    pad = int(3 * sigma) + grow  # work only in a box about the mask (fast)
    y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, size)
    x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, size)
    # The fill is the skin around: a normalised blur over the texels neither refilled nor red lips (the
    # lips' dark meeting line would otherwise run on out of the corner).
    lips_mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(lips_mask, [np.round(lips * size).astype(np.int32)], 1)
    lips_mask = cv2.dilate(lips_mask, np.ones((grow, grow), np.uint8))
    crop = np.asarray(texture[y0:y1, x0:x1], np.float32)
    ref = ((mask[y0:y1, x0:x1] == 0) & (lips_mask[y0:y1, x0:x1] == 0)).astype(np.float32)
    num = cv2.GaussianBlur(crop * ref[..., None], (0, 0), sigma)
    den = cv2.GaussianBlur(ref, (0, 0), sigma)[..., None]
    fill = num / np.maximum(den, 1e-6)
    # A soft edge: no seam along the triangles' edges.
    soft = cv2.GaussianBlur(mask[y0:y1, x0:x1].astype(np.float32), (0, 0), SQUASH_FEATHER * ipd * size)
    weight = np.clip(2 * soft, 0, 1)[..., None] * (den > 1e-3)
    out = np.array(texture, np.float32, copy=True)
    out[y0:y1, x0:x1] = crop * (1 - weight) + fill * weight
    return out
