"""Rig + style -> the drawing (a list of z-ordered primitives in pixels).

The face is designed in *face units*: origin between the eyes' level and the nose, x to the image's
right, y down, head half-width 1. Features sit on an ellipsoid (half-axes 1, 1.25, 0.95) so head
yaw/pitch move and foreshorten them like a 2.5D puppet: points on the face's surface rotate in 3D and
are projected orthographically, while the silhouette (head outline, outer hair) stays put and only
the chin swings. Roll then turns the whole head about the neck. Body and background do not move.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ...expressions.geometry import CHANNELS, SMILE_ANGLE_DEG
from .primitives import RGB, Clip, Drawing, Shape, hex_to_rgb, mix, shade
from .rig import REST, SIDE_SIGN, Rig
from .style import AvatarStyle

_A, _B, _C = 1.0, 1.25, 0.95  # face ellipsoid half-axes (x, y, depth)
EYE_Y, BROW_Y, NOSE_Y, MOUTH_Y = 0.12, -0.2, 0.43, 0.7
EYE_X = 0.38

# FaceMimic's unit (docs/units.md): weight 1.0 = the shape's full extent, in inter-pupil distances.
# The avatar's IPD is the distance between its pupil centres; each motion a key channel drives is
# that channel's full extent in face units, so weight w moves the drawing w x the extent, measured
# the same way as on a real face (measure.py; tests/animate/test_avatar_units.py).
IPD = 2 * EYE_X


def _extent(channel: str) -> float:
    return CHANNELS[channel].full_extent * IPD


_SMILE = math.radians(SMILE_ANGLE_DEG)
JAW_DROP = _extent("JawOpen")  # the chin, and the lower lip riding on it
PULL_OUT = _extent("MouthCornerPullLeft") * math.cos(_SMILE)  # along the zygomaticus line
PULL_UP = _extent("MouthCornerPullLeft") * math.sin(_SMILE)
SLANT_UP = _extent("MouthCornerSlantLeft")
FROWN_DOWN = _extent("MouthFrownLeft")
STRETCH_OUT = _extent("MouthStretchLeft")
PUCKER_IN = _extent("LipPuckerUpperLeft") / 2  # per corner: the mouth narrows by the extent
UPPER_LIP_UP = _extent("MouthUpperUpLeft")
LOWER_LIP_DOWN = _extent("MouthLowerDownLeft")
PRESS_THIN = _extent("MouthPressLeft")  # red-lip height lost, upper + lower lip
CHEEK_OUT = _extent("CheekPuffLeft")
CHEEK_UP = _extent("CheekSquintLeft")
SNEER_UP = _extent("NoseSneerLeft")
BROW_UP = _extent("BrowInnerUpLeft")  # inner and outer ends alike
BROW_DOWN = _extent("BrowLowererLeft")  # mean of the inner end and the middle
BROW_IN = _extent("BrowPinchLeft")
# Brow lowering per end, as multiples of BROW_DOWN: the measured point (mean of the inner end and the
# brow's middle, which sits ~0.54 along the curve) moves 0.73 * INNER + 0.27 * OUTER = 1.0 x BROW_DOWN.
INNER_DROP, OUTER_DROP = 1.3, 0.2
LID_UP = _extent("EyeWideLeft")  # EyeWide: aperture gained
LOWER_LID_UP = _extent("EyeSquintLeft")
# EyeClosed is 1 - openness: the eye's own aperture times the weight (a cartoon eye is four times
# as tall as a human one in IPD units, and 1.0 must shut it; docs/avatar.md, Units).
NECK_PIVOT = (0.0, 1.05)  # roll turns the head about this point
WHITE: RGB = (253, 253, 252)

# Eye shape table: half-width, upper height, lower height, upper exponent, lower exponent, outer tilt
_EYES = {
    "round": (0.19, 0.19, 0.165, 0.55, 0.6, 0.0),
    "almond": (0.215, 0.14, 0.1, 0.8, 1.1, 0.035),
    "anime": (0.2, 0.245, 0.18, 0.45, 0.8, 0.02),
}


# ------------------------------------------------------------------------------------------------
# Geometry helpers (face units unless noted)
# ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _circle(n: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return np.cos(t), np.sin(t)


@lru_cache(maxsize=64)
def _bez_weights(n: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    return np.stack([(1 - t) ** 2, 2 * (1 - t) * t, t ** 2], 1)  # (n, 3)


def ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 28, angle: float = 0.0) -> np.ndarray:
    """Points on an ellipse, shape (n, 2)."""
    c, s = _circle(n)
    x, y = rx * c, ry * s
    if angle:
        c, s = math.cos(angle), math.sin(angle)
        x, y = x * c - y * s, x * s + y * c
    return np.stack([cx + x, cy + y], 1)


def qbez(p0, p1, p2, n: int = 16) -> np.ndarray:
    """Quadratic Bézier through control point ``p1``, shape (n, 2)."""
    return _bez_weights(n) @ np.array([p0, p1, p2], float)


def ribbon(centre: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """A filled band of varying width around a centre line: polygon (2N, 2)."""
    d = np.gradient(centre, axis=0)
    d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    nrm = np.stack([-d[:, 1], d[:, 0]], 1) * (widths[:, None] / 2)
    return np.concatenate([centre + nrm, (centre - nrm)[::-1]])


def surface_z(p: np.ndarray) -> np.ndarray:
    """Depth of the face ellipsoid under each point, shape (N,)."""
    q = 1.0 - (p[:, 0] / _A) ** 2 - (p[:, 1] / _B) ** 2
    return _C * np.sqrt(np.maximum(q, 0.02))


class Pose:
    """Face units -> pixels for one frame (yaw/pitch on the ellipsoid, roll about the neck)."""

    def __init__(self, rig: Rig, size: int, height: int | None = None) -> None:
        h = height or size
        self.k = min(size, h) * 0.27  # pixels per face unit
        self.cx, self.cy = size / 2.0, h * 0.43
        y, p, r = (math.radians(v) for v in (rig.yaw, rig.pitch, rig.roll))
        self.sy, self.cyaw = math.sin(y), math.cos(y)
        self.sp, self.cp = math.sin(p), math.cos(p)
        self.sr, self.cr = math.sin(r), math.cos(r)

    def _roll_px(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        px, py = NECK_PIVOT
        dx, dy = x - px, y - py
        xr = px + dx * self.cr - dy * self.sr
        yr = py + dx * self.sr + dy * self.cr
        return np.stack([self.cx + self.k * xr, self.cy + self.k * yr], 1).astype(np.float32)

    def face(self, p: np.ndarray, dz: float | np.ndarray = 0.0) -> np.ndarray:
        """Project points lying on the face's surface (+``dz`` in front of it) to pixels."""
        p = np.asarray(p, float)
        z = surface_z(p) + dz
        # A real sphere would swing its centre by the full radius; 0.6 keeps features on the face.
        x = p[:, 0] * self.cyaw - 0.6 * z * self.sy
        z1 = p[:, 0] * self.sy + z * self.cyaw
        y = p[:, 1] * self.cp + 0.6 * z1 * self.sp
        return self._roll_px(x, y)

    def blend(self, p: np.ndarray, w: np.ndarray, dz: float = 0.0) -> np.ndarray:
        """Per point, ``w`` of the way from the face surface (0) to the silhouette (1)."""
        w = np.asarray(w, np.float32)[:, None]
        return self.face(p, dz) * (1 - w) + self.rim(p) * w

    def rim(self, p: np.ndarray, z: float | np.ndarray = 0.0) -> np.ndarray:
        """Project silhouette points (outline, outer hair): they stay put, depth ``z`` shifts them."""
        p = np.asarray(p, float)
        x = p[:, 0] - z * self.sy
        y = p[:, 1] + z * self.sp
        return self._roll_px(x, y)


# ------------------------------------------------------------------------------------------------
# Palette
# ------------------------------------------------------------------------------------------------
class Palette:
    """RGB colours derived once per style."""

    def __init__(self, s: AvatarStyle) -> None:
        self.skin = hex_to_rgb(s.skin)
        self.skin_shadow = mix(shade(self.skin, -0.18), (200, 80, 90), 0.12)
        self.hair = hex_to_rgb(s.hair_color)
        self.hair_dark = shade(self.hair, -0.3)
        self.hair_light = shade(self.hair, 0.22)
        brow = s.brow_color or (shade(self.hair, -0.15) if s.hair_style != "bald"
                                else s.outline_color)
        self.brow = hex_to_rgb(brow) if isinstance(brow, str) else brow
        self.iris = hex_to_rgb(s.iris_color)
        self.iris_dark = shade(self.iris, -0.45)
        self.lip = hex_to_rgb(s.lip_color)
        self.lip_line = shade(self.lip, -0.35)
        self.mouth = hex_to_rgb(s.mouth_color)
        self.tongue = hex_to_rgb(s.tongue_color)
        self.shirt = hex_to_rgb(s.shirt_color)
        self.glasses = hex_to_rgb(s.glasses_color)
        self.hat = hex_to_rgb(s.headwear_color)
        self.outline = hex_to_rgb(s.outline_color)
        self.blush = (236, 120, 130)
        bg = [hex_to_rgb(c) for c in s.background]
        self.background = (bg[0], bg[-1])


@lru_cache(maxsize=16)
def _palette(style: AvatarStyle) -> Palette:
    return Palette(style)


# ------------------------------------------------------------------------------------------------
# The drawing
# ------------------------------------------------------------------------------------------------
def build_drawing(rig: Rig | None, style: AvatarStyle, *, size: int = 512, height: int | None = None) -> Drawing:
    """The avatar for one rig as z-ordered primitives in pixel coordinates.

    Parameters
    ----------
    rig : Rig or None
        Drawing parameters (:func:`~facemimic.animate.avatar.rig.rig_from_frame`); ``None`` = rest.
    style : AvatarStyle
        Colours, hair, eyes and accessories.
    size : int
        Width in pixels (and height unless ``height`` is given).

    Returns
    -------
    Drawing
        The same primitives go to :func:`~.svg.to_svg` and :func:`~.raster.rasterize`.
    """
    rig = rig or REST
    h = height or size
    pal = _palette(style)
    pose = Pose(rig, size, h)
    lw = pose.k * style.line_width  # stroke widths below are in face units * lw
    items: list[Shape | Clip] = []
    add = items.append

    _body(add, pose, pal, lw, size, h)
    static = len(items)  # the body never moves: the raster back end draws it once per style
    _hair_back(add, pose, rig, style, pal)
    _ears(add, pose, rig, style, pal, lw, front=False)
    outline = _head_outline(rig)
    add(Shape(pose.rim(outline, _outline_depth(outline)), fill=pal.skin, stroke=pal.outline, width=0.024 * lw,
              part="head"))
    _ears(add, pose, rig, style, pal, lw, front=True)
    _cheeks(add, pose, rig, style, pal, lw)
    _nose(add, pose, rig, pal, lw)
    for i in (0, 1):
        _eye(add, pose, rig, style, pal, lw, i)
    for i in (0, 1):
        _brow(add, pose, rig, style, pal, i)
    _mouth(add, pose, rig, style, pal, lw)
    _hair_front(add, pose, rig, style, pal, lw)
    _glasses(add, pose, rig, style, pal, lw)
    _headwear(add, pose, rig, style, pal, lw)
    return Drawing(size, h, pal.background, tuple(items), static=static, static_key=(style, "body"))


def _body(add, pose: Pose, pal: Palette, lw: float, w: int, h: int) -> None:
    k, cx, cy = pose.k, pose.cx, pose.cy
    to_px = lambda p: np.stack([cx + k * p[:, 0], cy + k * p[:, 1]], 1).astype(np.float32)  # noqa: E731
    bottom = (h - cy) / k + 0.2
    neck = np.array([[-0.32, 0.6], [0.32, 0.6], [0.35, 1.45], [-0.35, 1.45]])
    add(Shape(to_px(neck), fill=shade(pal.skin, -0.12), stroke=pal.outline, width=0.02 * lw))
    top = qbez((-1.55, bottom), (-1.45, 1.35), (-0.3, 1.32), 12)
    collar = qbez((-0.3, 1.32), (0.0, 1.65), (0.3, 1.32), 10)
    right = qbez((0.3, 1.32), (1.45, 1.35), (1.55, bottom), 12)
    add(Shape(to_px(np.concatenate([top, collar, right])), fill=pal.shirt, stroke=pal.outline, width=0.024 * lw))
    add(Shape(to_px(collar), stroke=shade(pal.shirt, -0.3), width=0.02 * lw, closed=False))


def _head_outline(rig: Rig) -> np.ndarray:
    """Head silhouette in face units (rest + jaw drop, jaw side, cheek puff/suck), shape (N, 2)."""
    t = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    lower = s > 0
    x = _A * c * np.where(lower, 1.0 - 0.22 * s ** 3, 1.0)
    y = np.where(lower, 1.08 * s, 1.18 * s)
    # Cheeks: a bump in the lower-middle band, per side.
    band = np.exp(-((y - 0.45) / 0.25) ** 2)
    side = np.where(x >= 0, 0, 1)
    puff = np.asarray(rig.cheek_puff)[side]
    suck = np.asarray(rig.cheek_suck)[side]
    x = x + np.sign(x) * band * (CHEEK_OUT * puff - 0.07 * suck)
    # Jaw: everything below the cheekbones follows the chin down and sideways (the chin, at y 1.08,
    # by the whole drop). MouthClosed does not lift it: the lips close, the jaw stays open.
    jaw = np.clip((y - 0.25) / 0.83, 0.0, 1.0) ** 1.5
    drop = JAW_DROP * rig.jaw_open + 0.05 * rig.jaw_forward + 0.03 * rig.tongue_out
    y = y + jaw * drop
    x = x + jaw * 0.11 * rig.jaw_side
    return np.stack([x, y], 1)


def _outline_depth(outline: np.ndarray) -> np.ndarray:
    # The chin sticks out from the silhouette plane so it swings with yaw.
    return 0.55 * np.clip((outline[:, 1] - 0.3) / 0.8, 0.0, 1.0) ** 2 * np.clip(1 - np.abs(outline[:, 0]), 0, 1)


def _ears(add, pose, rig, style, pal, lw, *, front: bool) -> None:
    """Ears behind the head; with the head turned, the trailing ear comes round onto the skull."""
    turn = math.sin(math.radians(rig.yaw))
    for sg in SIDE_SIGN:
        trailing = sg * turn > 0  # +yaw moves the face to the image's left: the right ear trails
        on_top = trailing and abs(rig.yaw) > 15
        if on_top != front:
            continue
        # The leading ear hides behind the head, the trailing one moves in a little and shows.
        shift = -sg * 0.25 * abs(turn) if trailing else -sg * 0.98 * (1 - math.cos(math.radians(rig.yaw)))
        e = ellipse(sg * 0.98 + shift, 0.2, 0.14 * (1 - 0.35 * abs(turn) * trailing), 0.2, 20)
        add(Shape(pose.rim(e), fill=pal.skin, stroke=pal.outline, width=0.022 * lw))
        inner = qbez((sg * 0.99 + shift, 0.09), (sg * (1.07 - 0.05 * abs(turn) * trailing) + shift, 0.2),
                     (sg * 0.99 + shift, 0.3), 8)
        add(Shape(pose.rim(inner), stroke=pal.skin_shadow, width=0.02 * lw, closed=False))


def _cheeks(add, pose, rig, style, pal, lw) -> None:
    for i, sg in enumerate(SIDE_SIGN):
        puff, raise_, suck = rig.cheek_puff[i], rig.cheek_raise[i], rig.cheek_suck[i]
        a = style.blush * (1 + 0.6 * raise_ + 0.4 * puff) + 0.25 * puff
        if a > 0.01:
            e = ellipse(sg * (0.6 + 0.06 * puff), 0.45 - CHEEK_UP * raise_, 0.16 + 0.07 * puff, 0.09 + 0.04 * puff, 20)
            add(Shape(pose.face(e), fill=pal.blush, opacity=min(a, 1.0) * 0.55, blur=0.035 * pose.k,
                      part=f"cheek:{i}"))
        if puff > 0.05:  # a shine on the puffed cheek
            hl = qbez((sg * 0.55, 0.33), (sg * 0.7, 0.28), (sg * 0.8, 0.38), 8)
            add(Shape(pose.face(hl), stroke=WHITE, width=0.03 * lw, closed=False, opacity=0.6 * puff))
        if suck > 0.05:  # hollow under the cheekbone
            line = qbez((sg * 0.62, 0.35), (sg * 0.5, 0.55), (sg * 0.55, 0.75), 10)
            add(Shape(pose.face(line), stroke=pal.skin_shadow, width=0.05 * lw, closed=False,
                      opacity=0.8 * suck, blur=0.01 * pose.k))
        if raise_ > 0.15:  # cheek crease under the eye
            crease = qbez((sg * 0.26, 0.32), (sg * 0.38, 0.36 - 0.03 * raise_), (sg * 0.5, 0.3), 8)
            add(Shape(pose.face(crease), stroke=pal.skin_shadow, width=0.015 * lw, closed=False,
                      opacity=0.6 * min(1.0, raise_)))
    if style.freckles:
        pts = []
        for sg in SIDE_SIGN:
            for fx, fy in ((0.46, 0.36), (0.54, 0.42), (0.62, 0.35), (0.5, 0.5), (0.66, 0.46), (0.4, 0.45),
                           (0.58, 0.55)):
                pts.append((sg * fx, fy - 0.7 * CHEEK_UP * rig.cheek_raise[0 if sg > 0 else 1]))
        for p in pts:
            add(Shape(pose.face(ellipse(p[0], p[1], 0.016, 0.014, 8)), fill=shade(pal.skin, -0.35), opacity=0.75))


def _nose(add, pose, rig, pal, lw) -> None:
    y = NOSE_Y
    sneer = rig.sneer
    tip = ellipse(0.0, y + 0.02, 0.09, 0.06, 16)
    add(Shape(pose.face(tip, 0.22), fill=shade(pal.skin, -0.12), opacity=0.45, blur=0.03 * pose.k, part="nose"))
    for i, sg in enumerate(SIDE_SIGN):
        lift = SNEER_UP * sneer[i]
        wing = qbez((sg * 0.05, y + 0.06), (sg * 0.12, y + 0.07 - lift), (sg * 0.13, y - 0.01 - lift), 8)
        add(Shape(pose.face(wing, 0.14), stroke=pal.skin_shadow, width=0.022 * lw, closed=False,
                  part=f"nose_wing:{i}"))
        r = 0.014 * (1 + 0.8 * rig.nostril[i])
        nos = ellipse(sg * 0.05, y + 0.045 - 0.6 * lift, r * 1.5, r, 10, angle=sg * 0.4)
        add(Shape(pose.face(nos, 0.2), fill=shade(pal.skin, -0.45), opacity=0.55))
        if sneer[i] > 0.1:  # bunny lines on the bridge
            for j in range(2):
                yy = y - 0.16 - 0.05 * j
                ln = qbez((sg * 0.03, yy), (sg * 0.08, yy - 0.025), (sg * 0.13, yy + 0.005), 6)
                add(Shape(pose.face(ln, 0.12), stroke=pal.skin_shadow, width=0.016 * lw, closed=False,
                          opacity=min(1.0, sneer[i] * 1.3)))
    shine = ellipse(0.0, y - 0.005, 0.025, 0.018, 10)
    add(Shape(pose.face(shine, 0.24), fill=WHITE, opacity=0.45))


def _eye(add, pose, rig, style, pal, lw, i: int) -> None:
    sg = SIDE_SIGN[i]
    hw, hu, hl, pu, pl, tilt = _EYES[style.eye_shape]
    es = style.eye_size
    hw, hu, hl = hw * es, hu * es, hl * es
    ex, ey = sg * EYE_X, EYE_Y
    u = np.linspace(-1.0, 1.0, 21)
    x = ex + hw * u
    outward = u * sg  # +1 at the outer corner
    fu = (1 - u ** 2) ** pu
    fl = (1 - u ** 2) ** pl
    corner = ey - tilt * outward
    base = corner + 0.3 * hl * fl  # where the lids meet when shut
    op = max(0.0, rig.eye_open[i])
    # Both lids close towards `base` with the openness (the aperture is linear in EyeClosed); EyeWide
    # lifts the upper lid and EyeSquint the lower one by their extents (absolute, whatever the eye's
    # size); a squint narrows the upper lid a little too.
    upper = base - op * ((hu + 0.3 * hl) * (1 - 0.15 * rig.eye_squint[i]) + LID_UP * rig.eye_wide[i]) * fu
    lower = base + (op * 0.7 * hl - LOWER_LID_UP * rig.eye_lower[i]) * fl
    lower = np.maximum(lower, upper)
    depth = 0.03
    upper_pts = np.stack([x, upper], 1)
    seen = float(np.max(lower - upper)) > 0.012  # a shut eye is only its lid line
    if seen:
        white = np.concatenate([upper_pts, np.stack([x, lower], 1)[::-1]])
        white_px = pose.face(white, depth)
        add(Shape(white_px, fill=WHITE, part=f"eye_white:{i}"))
        gx, gy = rig.gaze[i]
        ir = 0.66 * hw if style.eye_shape != "anime" else 0.66 * hw  # big irises read friendlier
        iry = ir * (1.0 if style.eye_shape != "anime" else 1.2)
        icx = ex + gx * 0.55 * hw
        icy = ey + gy * 0.55 * hu + 0.02  # the upper lid just covers the iris's top: a relaxed look
        kids = [
            Shape(pose.face(ellipse(icx, icy, ir, iry, 28), depth), fill=pal.iris, stroke=pal.iris_dark,
                  width=0.014 * lw),
            Shape(pose.face(ellipse(icx, icy + 0.25 * iry, 0.7 * ir, 0.55 * iry, 20), depth),
                  fill=shade(pal.iris, 0.25), opacity=0.5),
            Shape(pose.face(ellipse(icx, icy, 0.46 * ir, 0.46 * iry, 20), depth), fill=(22, 18, 20),
                  part=f"pupil:{i}"),
            # catch-lights mirror between the eyes so the resting face is exactly symmetric
            Shape(pose.face(ellipse(icx + sg * 0.35 * ir, icy - 0.4 * iry, 0.22 * ir, 0.22 * ir, 12), depth),
                  fill=WHITE),
            Shape(pose.face(ellipse(icx - sg * 0.35 * ir, icy + 0.35 * iry, 0.1 * ir, 0.1 * ir, 8), depth),
                  fill=WHITE, opacity=0.8),
            # the upper lid's shadow on the eyeball
            Shape(pose.face(np.concatenate([upper_pts, np.stack([x, upper + 0.035], 1)[::-1]]), depth),
                  fill=shade(pal.skin, -0.25), opacity=0.35),
        ]
        add(Clip(white_px, tuple(kids)))
        if rig.eye_lower[i] > 0.1:
            add(Shape(pose.face(np.stack([x, lower], 1), depth), stroke=pal.outline, width=0.012 * lw,
                      closed=False, opacity=min(1.0, rig.eye_lower[i] * 1.5)))
    # Upper lid line: thicker towards the outer corner (lashes), a swoosh for anime eyes.
    lid_w = (0.028 + 0.028 * np.clip(outward, 0, 1) ** 2) * (1.35 if style.eye_shape == "anime" else 1.0)
    add(Shape(pose.face(ribbon(upper_pts, lid_w), depth), fill=pal.outline, part=f"upper_lid:{i}"))
    if style.eye_shape != "round" and seen:
        tipx = ex + sg * (hw + 0.045)
        end, near_end = (-1, -3) if sg > 0 else (0, 2)  # the outer corner's index
        lash = np.array([[ex + sg * hw * 0.85, upper[end]], [tipx, corner[end] - 0.05],
                         [ex + sg * hw * 0.7, upper[near_end] - 0.012]])
        add(Shape(pose.face(lash, depth), fill=pal.outline))
    if seen and style.eye_shape != "anime":
        crease = np.stack([x[3:-3], (upper - 0.05 - 0.02 * fu)[3:-3]], 1)
        add(Shape(pose.face(crease, depth), stroke=pal.skin_shadow, width=0.012 * lw, closed=False, opacity=0.7))


def _brow(add, pose, rig, style, pal, i: int) -> None:
    sg = SIDE_SIGN[i]
    ex = sg * EYE_X
    inner_r, outer_r = rig.brow_inner[i], rig.brow_outer[i]
    low, pinch = rig.brow_lower[i], rig.brow_pinch[i]
    by = BROW_Y - 0.04 * (style.eye_size - 1)
    # Raises move each end by the unit's extent; lowering drops the inner end most (the corrugator's
    # oblique pull: the outer end barely moves, so an angry brow slants down to the nose at a
    # glance), and the mean of the inner end and the brow's middle (what the unit measures) by
    # BROW_DOWN. With the inner brow raiser (AU1+4: sadness, fear) the lowerer pulls the inner ends
    # together and lowers the middle, but does not undo the inner raise (FACS: "inner corners raised
    # and drawn together"), so a sad brow keeps its upward slant to the middle.
    inner_drop = INNER_DROP * BROW_DOWN * low * max(0.0, 1.0 - 1.5 * inner_r)
    inner = (ex - sg * (0.15 + BROW_IN * pinch), by + 0.03 - BROW_UP * inner_r + inner_drop + 0.02 * pinch)
    outer = (ex + sg * 0.2, by + 0.04 - BROW_UP * outer_r + OUTER_DROP * BROW_DOWN * low - 0.015 * inner_r)
    mid = ((inner[0] + outer[0]) / 2 + sg * 0.03, (inner[1] + outer[1]) / 2 - 0.075 - 0.02 * outer_r)
    centre = qbez(inner, mid, outer, 14)
    t = np.linspace(0, 1, len(centre))
    widths = style.brow_thickness * (0.075 - 0.04 * t ** 1.5)
    add(Shape(pose.face(ribbon(centre, widths), 0.05), fill=pal.brow, part=f"brow:{i}"))
    if inner_r > 0.3 and outer_r < 0.5 * inner_r:  # AU1 alone or with AU4: worry lines over the inner ends
        a = min(1.0, 1.5 * (inner_r - 0.3))
        for k in range(2):
            yy = inner[1] - 0.07 - 0.045 * k
            ln = qbez((ex - sg * 0.2, yy + 0.01), (ex - sg * 0.1, yy - 0.02), (ex + sg * 0.02, yy + 0.015), 6)
            add(Shape(pose.face(ln, 0.05), stroke=pal.skin_shadow, width=0.012 * pose.k * style.line_width,
                      closed=False, opacity=a * (1.0 - 0.3 * k)))
    if pinch + low > 0.35 and i == 0:  # furrow between the brows
        a = min(1.0, pinch + low - 0.3)
        for s in SIDE_SIGN:
            ln = qbez((s * 0.05, by + 0.02), (s * 0.075, by + 0.08), (s * 0.06, by + 0.14), 6)
            add(Shape(pose.face(ln, 0.08), stroke=pal.skin_shadow, width=0.014 * pose.k * style.line_width,
                      closed=False, opacity=a))


def _mouth(add, pose, rig, style, pal, lw) -> None:
    r = rig
    round_ = max(r.pucker, r.funnel)
    # The jaw drops the lower lip with the chin; the corners, joining the two lips, go half as far, so
    # a plain jaw opening neither raises nor lowers them relative to the mouth's centre. MouthClosed
    # (<= JawOpen) brings the lips together halfway while the jaw stays open.
    drop = JAW_DROP * r.jaw_open
    closing = JAW_DROP * r.lips_closed
    mx = 0.12 * r.mouth_shift + 0.04 * r.jaw_side
    my = MOUTH_Y - 0.03 * r.upper_raise
    hw = []
    cy = []
    for i in (0, 1):
        w = (0.25 + PULL_OUT * r.corner_pull[i] + STRETCH_OUT * r.stretch[i] + 0.025 * r.dimple[i]
             + 0.015 * r.press[i] - PUCKER_IN * r.pucker - 0.0875 * r.funnel - 0.0375 * r.suck_corner
             - 0.02 * r.jaw_open)
        hw.append(max(w, 0.05))
        rise = max(PULL_UP * r.corner_pull[i], SLANT_UP * r.corner_slant[i])  # one corner: not added twice
        cy.append(my - 0.015 - rise + FROWN_DOWN * r.corner_down[i] + drop / 2 - 0.02 * r.dimple[i])
    u = np.linspace(-1.0, 1.0, 25)
    side = np.where(u >= 0, 0, 1)  # u > 0 is the image's right = the subject's left (index 0)
    hw_u = np.asarray(hw)[side]
    cy_u = np.asarray(cy)[side]
    x = mx + u * hw_u + 0.1 * r.jaw_side * (1 - u ** 2) * 0.4
    p = 0.9 - 0.45 * round_
    m = (1 - u ** 2) ** p
    m_quarter = (1 - 0.25 ** 2) ** p  # where the unit measures the lips (measure.py)
    lateral = np.sin(np.pi * np.abs(u)) ** 1.2
    up_u = np.asarray(r.upper_up)[side]
    down_u = np.asarray(r.lower_down)[side]
    stretch_u = np.asarray(r.stretch)[side]
    open_up = 0.02 * round_ + 0.03 * r.funnel
    open_lo = drop - closing + 0.1 * r.funnel + 0.1 * r.tongue_out - 0.03 * r.chin_raise
    line = cy_u + (my + closing / 2 - cy_u) * m  # the lips' meeting line (a smile curve when the corners rise)
    broad = (m / m_quarter) ** 0.35  # lip raisers lift the whole lip, not just its middle
    upper = line - open_up * m - UPPER_LIP_UP * up_u * broad
    lower = line + max(open_lo, 0.0) * m + LOWER_LIP_DOWN * down_u * broad + 0.05 * stretch_u * broad * lateral
    lower = np.maximum(lower, upper)
    gap = float(np.max(lower - upper))
    dz = 0.06 + 0.08 * round_
    up_pts = np.stack([x, upper], 1)
    lo_pts = np.stack([x, lower], 1)
    # Lips: bands above the upper and below the lower meeting line. MouthPress thins them, per side,
    # by PRESS_THIN of red lip where the unit measures it (a quarter of the way to the corner).
    suck_up = np.asarray(r.suck_upper)[side]  # lips roll in per half: the subject's left on image right
    suck_lo = np.asarray(r.suck_lower)[side]
    press_u = np.asarray(r.press)[side]
    bow = 0.35 * np.exp(-(u / 0.18) ** 2)  # cupid's bow dip
    full_up = 0.045 * (1 + 1.2 * r.pucker + 0.4 * r.funnel)
    full_lo = 0.06 * (1 + 1.0 * r.pucker + 0.4 * r.funnel) * (1 + 0.3 * r.jaw_forward)
    red_quarter = (full_up * (1 - 0.5 * 0.35 * math.exp(-(0.25 / 0.18) ** 2)) + full_lo) * m_quarter ** 0.5
    thin = 1 - np.minimum(PRESS_THIN * press_u / red_quarter, 0.9)
    t_up = full_up * (1 - 0.8 * suck_up) * thin
    t_lo = full_lo * (1 - 0.8 * suck_lo) * thin
    upper_lip = np.concatenate([np.stack([x, upper - t_up * m ** 0.5 * (1 - bow * 0.5)], 1), up_pts[::-1]])
    lower_lip = np.concatenate([lo_pts, np.stack([x, lower + t_lo * m ** 0.5], 1)[::-1]])
    lip_fill = mix(pal.lip, pal.skin, 0.35)
    if gap > 0.012:
        hole = np.concatenate([up_pts, lo_pts[::-1]])
        hole_px = pose.face(hole, dz)
        add(Shape(hole_px, fill=pal.mouth))
        kids = []
        # Upper teeth hang from the upper lip; lower teeth show when the lower lip drops.
        teeth_u = np.concatenate([np.stack([x, upper - 0.03], 1),
                                  np.stack([x, upper + 0.06 * (1 - r.tongue_out)], 1)[::-1]])
        kids.append(Shape(pose.face(teeth_u, dz), fill=WHITE))
        show_lower = float(np.mean(r.lower_down)) + 0.6 * float(np.mean(r.stretch))
        if show_lower > 0.05:
            teeth_l = np.concatenate([np.stack([x, lower - 0.05 * min(1.0, 2 * show_lower)], 1),
                                      np.stack([x, lower + 0.03], 1)[::-1]])
            kids.append(Shape(pose.face(teeth_l, dz), fill=shade(WHITE, -0.06)))
        # Tongue inside the mouth (up/down/sideways move it).
        tx = mx + 0.05 * r.jaw_side + 0.12 * r.tongue_side
        ty = float(np.max(lower)) + 0.03 - 0.16 * r.tongue_up + 0.03 * r.tongue_down
        trx = 0.7 * min(hw) * (1 - 0.3 * r.tongue_roll)
        kids.append(Shape(pose.face(ellipse(tx, ty, trx, 0.1, 24), dz), fill=pal.tongue))
        add(Clip(hole_px, tuple(kids)))
        add(Shape(hole_px, stroke=pal.lip_line, width=0.018 * lw))
    add(Shape(pose.face(upper_lip, dz), fill=lip_fill, stroke=pal.lip_line, width=0.012 * lw, part="upper_lip"))
    add(Shape(pose.face(lower_lip, dz), fill=lip_fill, stroke=pal.lip_line, width=0.012 * lw, part="lower_lip"))
    if gap <= 0.012:
        add(Shape(pose.face(np.stack([x, (upper + lower) / 2], 1), dz), stroke=pal.lip_line, width=0.026 * lw,
                  closed=False))
    bite = float(np.mean(r.suck_lower)) - 0.25
    if bite > 0:  # "f"/"v": the upper teeth rest on the rolled-in lower lip
        mid = slice(6, 19)
        edge = np.maximum(upper[mid] + 0.015, (upper[mid] + lower[mid]) / 2 + 0.025 * min(1.0, 3 * bite))
        teeth = np.concatenate([np.stack([x[mid], upper[mid]], 1), np.stack([x[mid], edge], 1)[::-1]])
        add(Shape(pose.face(teeth, dz), fill=WHITE, stroke=shade(WHITE, -0.25), width=0.008 * lw))
    ly = lower[12]  # the lower lip's middle
    tl = float(t_lo[12])
    shine = qbez((mx - 0.05, ly + tl * 0.45), (mx, ly + tl * 0.3), (mx + 0.06, ly + tl * 0.45), 6)
    add(Shape(pose.face(shine, dz), stroke=WHITE, width=0.016 * lw, closed=False, opacity=0.45))
    # Corner marks: smile creases, dimples, frown lines.
    for i, sg in enumerate(SIDE_SIGN):
        end = -1 if sg > 0 else 0
        cx_, cy_ = x[end], line[end]
        up = max(r.corner_pull[i], r.corner_slant[i])
        dn, dim = r.corner_down[i], r.dimple[i]
        if up > 0.2:
            c = qbez((cx_ + sg * 0.02, cy_ - 0.05), (cx_ + sg * 0.06, cy_), (cx_ + sg * 0.03, cy_ + 0.05), 6)
            add(Shape(pose.face(c, dz), stroke=pal.skin_shadow, width=0.016 * lw, closed=False, opacity=min(1.0, up)))
        if dim > 0.1:
            c = qbez((cx_ + sg * 0.07, cy_ - 0.02), (cx_ + sg * 0.1, cy_ + 0.03), (cx_ + sg * 0.075, cy_ + 0.07), 6)
            add(Shape(pose.face(c, dz), stroke=pal.skin_shadow, width=0.02 * lw, closed=False,
                      opacity=min(1.0, dim * 1.2)))
        if dn > 0.2:
            c = qbez((cx_ + sg * 0.01, cy_ + 0.02), (cx_ + sg * 0.05, cy_ + 0.06), (cx_ + sg * 0.05, cy_ + 0.12), 6)
            add(Shape(pose.face(c, dz), stroke=pal.skin_shadow, width=0.016 * lw, closed=False, opacity=min(1.0, dn)))
    if r.chin_raise > 0.2:  # chin bunching
        c = qbez((-0.09, 1.0), (0.0, 0.96), (0.09, 1.0), 8)
        add(Shape(pose.face(c, 0.05), stroke=pal.skin_shadow, width=0.015 * lw, closed=False,
                  opacity=min(1.0, r.chin_raise)))
    if r.tongue_out > 0.05:
        _tongue_out(add, pose, r, pal, lw, x, upper, lower, dz)


def _tongue_out(add, pose, r: Rig, pal, lw, x, upper, lower, dz) -> None:
    top = float(np.mean(upper[10:15])) + 0.02
    base_y = float(np.max(lower))
    length = 0.06 + 0.22 * r.tongue_out + 0.06 * r.tongue_down - 0.08 * r.tongue_up
    tip_x = float(np.mean(x)) + 0.13 * r.tongue_side
    tip_y = base_y + length
    w = 0.13 * (1 - 0.35 * r.tongue_roll)
    cx = float(np.mean(x))
    left = qbez((cx - w, top), (cx - w * 1.1, (top + tip_y) / 2 + 0.03), (tip_x - w * 0.6, tip_y - 0.03), 10)
    tip = qbez((tip_x - w * 0.6, tip_y - 0.03), (tip_x, tip_y + 0.05), (tip_x + w * 0.6, tip_y - 0.03), 10)
    right = qbez((tip_x + w * 0.6, tip_y - 0.03), (cx + w * 1.1, (top + tip_y) / 2 + 0.03), (cx + w, top), 10)
    shape = np.concatenate([left, tip, right])
    add(Shape(pose.face(shape, dz + 0.05), fill=pal.tongue, stroke=shade(pal.tongue, -0.3), width=0.014 * lw))
    crease = qbez((cx, top + 0.03), ((cx + tip_x) / 2, (top + tip_y) / 2), (tip_x, tip_y - 0.05), 8)
    add(Shape(pose.face(crease, dz + 0.05), stroke=shade(pal.tongue, -0.25), width=0.012 * lw, closed=False))


# ------------------------------------------------------------------------------------------------
# Hair and accessories
# ------------------------------------------------------------------------------------------------
def _arc(rx: float, ry: float, a0: float, a1: float, n: int = 24, cx: float = 0.0, cy: float = 0.0) -> np.ndarray:
    t = np.linspace(a0, a1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _hair_back(add, pose, rig, style, pal) -> None:
    hs = style.hair_style
    if hs == "bald":
        return
    if hs == "long":
        top = _arc(1.2, 1.38, np.pi, 2 * np.pi, 30, cy=-0.02)
        right = qbez((1.2, -0.02), (1.32, 0.9), (1.2, 1.9), 12)
        bottom = qbez((1.2, 1.9), (0.0, 2.05), (-1.2, 1.9), 10)
        left = qbez((-1.2, 1.9), (-1.32, 0.9), (-1.2, -0.02), 12)
        shape = np.concatenate([top, right, bottom, left])
    elif hs == "bob":
        top = _arc(1.2, 1.36, np.pi, 2 * np.pi, 30, cy=0.0)
        right = qbez((1.2, 0.0), (1.25, 0.6), (1.12, 0.95), 10)
        bottom = qbez((1.12, 0.95), (0.9, 1.0), (0.75, 0.85), 6)
        mid = np.array([[-0.75, 0.85]])
        left = qbez((-0.75, 0.85), (-0.9, 1.0), (-1.12, 0.95), 6)
        left2 = qbez((-1.12, 0.95), (-1.25, 0.6), (-1.2, 0.0), 10)
        shape = np.concatenate([top, right, bottom, mid, left, left2])
    elif hs == "bun":
        add(Shape(pose.rim(ellipse(0.0, -1.3, 0.36, 0.3, 28), -0.3), fill=pal.hair, stroke=pal.hair_dark,
                  width=0.02 * pose.k))
        return
    else:  # short, spiky: a cap just larger than the skull (part of the silhouette: no shift)
        shape = _arc(1.08, 1.3, np.pi * 0.95, np.pi * 2.05, 30, cy=0.0)
    flowing = hs in ("long", "bob")  # hair hanging behind the head swings opposite to the face
    add(Shape(pose.rim(shape, -0.25 if flowing else 0.0), fill=pal.hair_dark if flowing else pal.hair,
              stroke=shade(pal.hair_dark, -0.2), width=0.02 * pose.k))


def _hair_front(add, pose, rig, style, pal, lw) -> None:
    hs = style.hair_style
    if hs == "bald":
        shine = _arc(0.55, 0.55, np.pi * 1.2, np.pi * 1.45, 8, cx=0.0, cy=-0.45)
        add(Shape(pose.face(shine, 0.02), stroke=WHITE, width=0.04 * lw, closed=False, opacity=0.35))
        return
    # Outer edge (silhouette) from the left temple over the top to the right temple.
    outer = _arc(1.08, 1.3, np.pi * 1.0, np.pi * 2.0, 35, cy=0.02)  # odd: spikes stay symmetric
    if hs == "spiky":
        n = len(outer)
        bump = np.zeros(n)
        bump[1:-1:2] = 0.22
        nrm = outer / np.linalg.norm(outer, axis=1, keepdims=True)
        outer = outer + nrm * bump[:, None] * (np.abs(outer[:, 1]) > 0.5)[:, None]
    xs = np.linspace(1.0, -1.0, 33)  # hairline from the right temple back to the left
    if hs in ("long", "bob"):
        base = -0.42 + 0.5 * np.abs(xs) ** 4
        scallop = 0.07 * np.abs(np.sin(xs * np.pi * 2.5))
        hairline = base - scallop * (np.abs(xs) < 0.75)
    elif hs == "bun":
        hairline = -0.72 + 0.58 * np.abs(xs) ** 2.2 - 0.05 * np.exp(-(xs / 0.05) ** 2)
    elif hs == "spiky":
        hairline = -0.55 + 0.45 * np.abs(xs) ** 2.5 + 0.09 * np.abs(np.sin(xs * np.pi * 3))
    else:  # short: a soft M with a little wave
        hairline = (-0.6 + 0.5 * np.abs(xs) ** 2.4 + 0.08 * np.exp(-(xs / 0.18) ** 2)
                    - 0.08 * np.exp(-((np.abs(xs) - 0.45) / 0.2) ** 2))
    inner = np.stack([xs, hairline], 1)
    # Temples stay on the silhouette, the fringe rides on the forehead.
    inner_px = pose.blend(inner * [0.98, 1.0], np.clip((np.abs(xs) - 0.45) / 0.55, 0, 1) ** 1.5, 0.04)
    shape = np.concatenate([pose.rim(outer, 0.0), inner_px])
    add(Shape(shape, fill=pal.hair, stroke=shade(pal.hair_dark, -0.2), width=0.02 * lw))
    if hs in ("long", "bob"):  # tapered side locks framing the cheeks, drawn over the fringe
        tip_y = 0.95 if hs == "bob" else 1.25
        for sg in SIDE_SIGN:
            lock = np.concatenate([
                qbez((sg * 1.07, -0.55), (sg * 1.13, 0.35), (sg * 1.0, tip_y), 14),
                qbez((sg * 1.0, tip_y), (sg * 0.8, 0.35), (sg * 0.84, -0.55), 14)])
            add(Shape(pose.rim(lock, 0.05), fill=pal.hair))  # no outline on top: it merges with the fringe
            add(Shape(pose.rim(lock[3:-3], 0.05), stroke=shade(pal.hair_dark, -0.2), width=0.02 * lw, closed=False))
            strand = qbez((sg * 0.97, -0.3), (sg * 1.0, 0.4), (sg * 0.98, tip_y - 0.2), 10)
            add(Shape(pose.rim(strand, 0.05), stroke=pal.hair_dark, width=0.015 * lw, closed=False, opacity=0.5))
    # Strands: a few highlight strokes for depth.
    for sx in (-0.45, 0.0, 0.45):  # symmetric, like the rest of the resting face
        d = float(np.sign(sx))
        s = qbez((sx, -1.0), (sx + 0.06 * d, -0.85), (sx + 0.1 * d, -0.7), 8)
        add(Shape(pose.face(s, 0.0), stroke=pal.hair_light, width=0.025 * lw, closed=False, opacity=0.35))


def _glasses(add, pose, rig, style, pal, lw) -> None:
    if style.glasses == "none":
        return
    rims = []
    for sg in SIDE_SIGN:
        cx, cy = sg * EYE_X, EYE_Y + 0.01
        if style.glasses == "round":
            rim = ellipse(cx, cy, 0.25, 0.23, 32)
        else:
            t = np.linspace(0, 2 * np.pi, 32, endpoint=False)
            c, s = np.cos(t), np.sin(t)
            rim = np.stack([cx + 0.27 * np.sign(c) * np.abs(c) ** 0.4, cy + 0.2 * np.sign(s) * np.abs(s) ** 0.4], 1)
        rims.append(rim)
        add(Shape(pose.face(rim, 0.12), fill=(220, 236, 255), opacity=0.18))
        add(Shape(pose.face(rim, 0.12), stroke=pal.glasses, width=0.03 * lw))
        arm = np.array([[sg * (EYE_X + 0.26), cy - 0.04], [sg * 0.97, cy - 0.02]])
        add(Shape(pose.face(arm, 0.06), stroke=pal.glasses, width=0.03 * lw, closed=False))
        glint = qbez((cx - 0.12, cy - 0.1), (cx - 0.05, cy - 0.16), (cx + 0.04, cy - 0.16), 6)
        add(Shape(pose.face(glint, 0.12), stroke=WHITE, width=0.02 * lw, closed=False, opacity=0.6))
    bridge = qbez((-(EYE_X - 0.25), EYE_Y - 0.02), (0.0, EYE_Y - 0.08), (EYE_X - 0.25, EYE_Y - 0.02), 8)
    add(Shape(pose.face(bridge, 0.16), stroke=pal.glasses, width=0.03 * lw, closed=False))


def _headwear(add, pose, rig, style, pal, lw) -> None:
    hw = style.headwear
    if hw == "none":
        return
    edge = shade(pal.hat, -0.35)
    if hw == "cat_ears":
        inner_c = mix(pal.hat, (255, 190, 200), 0.6)
        for sg in SIDE_SIGN:
            ear = np.array([[sg * 0.35, -1.1], [sg * 0.78, -1.55], [sg * 0.9, -0.78]])
            inner = np.array([[sg * 0.48, -1.06], [sg * 0.75, -1.4], [sg * 0.82, -0.9]])
            add(Shape(pose.rim(ear, 0.1), fill=pal.hat, stroke=edge, width=0.022 * lw))
            add(Shape(pose.rim(inner, 0.1), fill=inner_c))
    elif hw == "beanie":
        dome = _arc(1.12, 1.05, np.pi, 2 * np.pi, 30, cy=-0.62)
        add(Shape(pose.rim(np.concatenate([dome, [[1.12, -0.45], [-1.12, -0.45]]]), 0.05), fill=pal.hat,
                  stroke=edge, width=0.022 * lw))
        band = np.array([[-1.16, -0.72], [1.16, -0.72], [1.14, -0.42], [-1.14, -0.42]])
        add(Shape(pose.rim(band, 0.1), fill=shade(pal.hat, -0.12), stroke=edge, width=0.022 * lw))
        add(Shape(pose.rim(ellipse(0.0, -1.72, 0.17, 0.15, 20), 0.0), fill=shade(pal.hat, 0.3), stroke=edge,
                  width=0.02 * lw))
    else:  # hat: a round-crowned hat with a brim and band
        brim = ellipse(0.0, -0.88, 1.45, 0.2, 40)
        add(Shape(pose.rim(brim, 0.05), fill=shade(pal.hat, -0.08), stroke=edge, width=0.022 * lw))
        crown = np.concatenate([qbez((-0.78, -0.88), (-0.85, -1.75), (0.0, -1.72), 14),
                                qbez((0.0, -1.72), (0.85, -1.75), (0.78, -0.88), 14)])
        add(Shape(pose.rim(crown, 0.05), fill=pal.hat, stroke=edge, width=0.022 * lw))
        band = np.concatenate([qbez((-0.79, -1.05), (0.0, -0.98), (0.79, -1.05), 12),
                               qbez((0.78, -0.9), (0.0, -0.83), (-0.78, -0.9), 12)])
        add(Shape(pose.rim(band, 0.05), fill=shade(pal.hat, -0.4)))
