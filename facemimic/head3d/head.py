"""The whole head around a fitted face: skull cap, neck and ears, eyeballs, mouth interior, hair.

Everything is built in the face frame of :mod:`.fit` (IPD units, +x the subject's left, +y up, +z
out of the face) and scaled to the face it is joined to. Proportions are adult averages over a
63 mm inter-pupil distance (head breadth ~150 mm, length ~195 mm, eyeball radius 12 mm, iris
radius 6 mm), so a wider or longer face gives a wider or longer head.

Two parts, because they are drawn differently:

* :class:`Skin`: the fitted face (MediaPipe's 468 surface points, its triangles) closed by a skull
  cap swept from the face oval to the back of the head, plus a neck and two ears; textured from the
  photo (UVs in a frontal layout of the face; the cap continues that layout outwards);
* :class:`Parts`: eyeballs (sclera, the photo's iris colour, pupil), upper and lower teeth, tongue,
  the mouth cavity (its faces point inwards, so from outside only its inside is seen through the
  lips) and a hair cap; vertex-coloured.

Each vertex outside the face also says how it follows the face's landmarks when an expression moves
them (:attr:`Skin.follow`, :attr:`Parts.follow`): a smooth kernel over nearby landmarks for the cap,
neck, ears, cavity and hair, the mandible's landmarks for the lower teeth and the tongue, nothing for the
upper teeth (fixed to the skull); eyeballs turn with their iris (see :mod:`.targets`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .topology import LEFT_IRIS, N_SURFACE, RIGHT_IRIS, boundary_loops, triangles

CAP_RINGS = 14  # rings swept from the face oval to the back of the head
EYE_RADIUS = 0.19  # 12 mm over a 63 mm IPD
IRIS_ANGLE, PUPIL_ANGLE = 0.6, 0.2  # half-angles (radians) of the iris and pupil seen from the eye's centre
SCLERA_RGB, SCLERA_LID_SHADOW = (0.8, 0.76, 0.72), 0.5  # the white of the eye as photos show it; under the lid
SOCKET_RGB = (0.32, 0.16, 0.15)  # the eye's corners and the pocket behind the eyeball
NECK_SETBACK = 0.45  # IPD: see _neck
# Hair styles: how far below the chin (IPD) hair hangs beside and behind the head (None: the cap
# alone, short hair). A bob ends at the jaw; long hair at the shoulders' height (the chin to the
# suprasternal notch is about 9 cm, 1.4 IPD).
HAIR_STYLES = {"short": None, "bob": 0.1, "long": 1.4}
HAIR_FACE_MARGIN = 0.12  # rad behind the face oval's widest azimuth where hanging hair starts
HAIR_FRONT_SWEEP = 0.25  # rad its front edge turns back by the hem (tapering to nothing 0.3 rad behind it)
HAIR_OVER_EARS = 0.3  # rad in front of the ears hanging hair starts (a front view sees no ear beside the face)
FOLLOW_SIGMA = 0.35  # kernel width (IPD) over which off-face vertices follow the landmarks
# The mandible alone (chin and the jaw line under it): the lower teeth, tongue and the mouth cavity's
# floor move with the bone, not with the lower lip, so a lip pulled down (AU16: fear, disgust) bares
# the lower teeth; riding on the lip's motion they were never seen. The cavity rode the lower lip and
# chin together (14, 17, 84, 314, 87, 317, 18 with the chin's 152, 175, 199, 200): a lip pushed forward
# (mouthFunnel, mouthPucker, mouthShrugLower: 0.07-0.08 IPD at weight 1) took its floor forward
# through the still lower cheeks (it sits CAVITY_INSET behind them), a black wedge beside the chin.
MANDIBLE_POINTS = (152, 175, 199, 200, 148, 377, 176, 400)
SKIN_PATCH_UV = (0.02, 0.98)  # a texel that only ever holds skin tone (neck, ears)
# The mouth's walls by the lips (a red-brown that the depth shade and THROAT_SHADE darken towards the
# throat); at (0.2, 0.05, 0.06) the cavity rendered (23, 6, 7) of 255 at JawOpen 0.6, a flat black box.
MOUTH_RGB, TONGUE_RGB, TEETH_RGB = (0.7, 0.26, 0.24), (0.62, 0.27, 0.3), (0.9, 0.88, 0.8)
CAVITY_INSET = 0.04  # IPD: the mouth cavity's least depth behind the skin in front of it
TEETH_DEPTH, TEETH_ARCH = 0.08, 0.3  # IPD: the incisors' front behind the lips' meeting line; the arch's depth
TOOTH_GAPS = (0.135, 0.235, 0.355, 0.465)  # IPD from the middle for a 0.4 IPD half mouth: incisors, canine, premolar
TOOTH_GAP_SHADE, SMILE_ARC = 0.65, 0.03  # colour left between teeth; the biting edge's rise at the arch's end (IPD)
# The side teeth lie in the shadow of the cheeks and lips (the buccal corridor): a real smile's row is
# brightest at the incisors and nearly black at the mouth's corners (single_face.jpg, 0-f15-hao-ph.jpg:
# the outermost tenth of the upper row 0.12-0.33 of its peak luminance; lit like the front ones, the
# five judged avatars' generated smiles showed 0.47-0.69, a flat bar of teeth from corner to corner;
# now 0.25-0.38). From TEETH_SIDE_SHADE[0] of the arch's half width to its end the teeth darken
# smoothly to TEETH_SIDE_SHADE[1] of their colour.
TEETH_SIDE_SHADE = (0.55, 0.25)
# The light inside a mouth comes off the lips, gums and skin: real teeth carry part of the skin's warmth
# (CIELAB a* 11-25 on the two toothy photos, their skin's 21-32); a neutral ivory rendered grey-green
# (a* -2..+1) beside the avatars' skin (a* 8-29). The teeth take TEETH_SKIN_TINT of the skin tone's
# chromaticity: a* 6-15, 0.33-0.75 of their skin's.
TEETH_SKIN_TINT = 0.4
UPPER_TEETH_SHOW = 0.05  # IPD (3 mm): the upper incisors' edges below the closed lips' line
LOWER_TEETH_DROP = 0.04  # IPD: the lower incisors' tops below that line (behind the upper ones)
# The tongue rides TONGUE_RIDE of the mandible's motion (its back stays up under the palate as the jaw
# drops: riding all of it, 0.57 IPD down and 0.5 back at JawOpen 1, it sank below the lower lip's edge
# and behind the cavity's floor, never seen). The cavity's middle (the throat) keeps THROAT_SHADE of the
# walls' colour. The cavity's floor rides the mandible fully from FLOOR_RAMP (IPD) below the lips' line
# (over 0.3 IPD the floor in front of the tongue lagged the jaw and hid it).
TONGUE_RIDE, THROAT_SHADE, FLOOR_RAMP = 0.6, 0.35, 0.1
MOUTH_SHADOW_DEPTH, MOUTH_SHADOW_FLOOR = 0.6, 0.2  # IPD behind the front, darkest fraction left there
UV_SPAN = 3.2  # the texture's side in IPD (the frontal layout of the face, with a margin)


@dataclass(frozen=True)
class Skin:
    """The textured skin surface (IPD units).

    positions (N, 3), uv (N, 2), triangles (M, 3); the first 478 positions are the face's landmarks
    (the irises unused by the triangles); ``follow`` (N, 478) maps landmark displacements to vertex
    displacements (identity on the face); ``region`` (N,) names where each vertex is
    (``"face"``, ``"cap"``, ``"neck"``, ``"ear"``).
    """

    positions: np.ndarray
    uv: np.ndarray
    triangles: np.ndarray
    follow: np.ndarray
    region: np.ndarray


@dataclass(frozen=True)
class Parts:
    """Vertex-coloured parts (IPD units): positions (N, 3), colours (N, 4) linear RGBA in 0..1,
    triangles (M, 3), ``follow`` (N, 478), ``part`` (N,) labels, and the eyeballs' centres
    ``eye_centres`` {``"eye_left"``/``"eye_right"``: (3,)}."""

    positions: np.ndarray
    colours: np.ndarray
    triangles: np.ndarray
    follow: np.ndarray
    part: np.ndarray
    eye_centres: dict


@dataclass(frozen=True)
class Head:
    skin: Skin
    parts: Parts
    cranium: tuple[np.ndarray, np.ndarray]  # the skull ellipsoid: centre (3,), radii (3,)


def _ellipsoid_radius(direction: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Distance from an ellipsoid's centre to its surface along unit directions (N, 3)."""
    return 1.0 / np.sqrt(((direction / radii) ** 2).sum(axis=-1))


def _slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation of unit vectors a (N, 3) towards b (3,)."""
    dot = np.clip(a @ b, -0.999, 0.999)
    om = np.arccos(dot)[:, None]
    return (np.sin((1 - t) * om) * a + np.sin(t * om) * b) / np.sin(om)


def cranium_of(face: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The skull ellipsoid (centre, radii) for a face (478, 3): as wide as the face's oval at the
    temples plus a margin, as deep as an adult head relative to that width."""
    oval = face[boundary_loops()["oval"]]
    half_width = 0.5 * (oval[:, 0].max() - oval[:, 0].min())
    rx = 1.09 * half_width  # 1.2 for the mean face (150 mm head breadth)
    centre = np.array([0.0, 0.35 * rx / 1.2, face[168, 2] - 1.55 * rx / 1.2])
    return centre, np.array([rx, 1.6 * rx / 1.2, 1.6 * rx / 1.2])


def _grid_triangles(rows: int, cols: int, offset: int = 0, closed: bool = True) -> list:
    """Quads between consecutive rings of ``cols`` vertices, as triangles (outward if rings advance
    away from the viewer's side counter-clockwise)."""
    out = []
    for r in range(rows - 1):
        for c in range(cols if closed else cols - 1):
            a, b = offset + r * cols + c, offset + r * cols + (c + 1) % cols
            d, e = a + cols, b + cols
            out += [(a, d, b), (b, d, e)]
    return out


def _orient_outwards(positions: np.ndarray, tris: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Flip triangles whose normal points towards ``centre`` (3,)."""
    p0, p1, p2 = (positions[tris[:, k]] for k in range(3))
    n = np.cross(p1 - p0, p2 - p0)
    inward = ((p0 + p1 + p2) / 3 - centre) @ np.eye(3)
    flip = (n * inward).sum(axis=1) < 0
    tris = tris.copy()
    tris[flip] = tris[flip][:, [0, 2, 1]]
    return tris


def _uv_sphere(centre, radii, n_lat: int, n_lon: int, axis_forward: bool = True):
    """Positions (N, 3) and triangles of an ellipsoid; the poles on +z (``axis_forward``) or +y."""
    lat = np.linspace(0, np.pi, n_lat + 1)[1:-1]
    lon = np.linspace(0, 2 * np.pi, n_lon, endpoint=False)
    th, ph = np.meshgrid(lat, lon, indexing="ij")
    if axis_forward:
        d = np.stack([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)], -1).reshape(-1, 3)
        poles = np.array([[0, 0, 1.0], [0, 0, -1.0]])
    else:
        d = np.stack([np.sin(th) * np.cos(ph), np.cos(th), np.sin(th) * np.sin(ph)], -1).reshape(-1, 3)
        poles = np.array([[0, 1.0, 0], [0, -1.0, 0]])
    pts = np.concatenate([d, poles])
    tris = _grid_triangles(len(lat), n_lon)
    top, bottom = len(d), len(d) + 1
    last = (len(lat) - 1) * n_lon
    for c in range(n_lon):
        tris += [(top, c, (c + 1) % n_lon), (bottom, last + (c + 1) % n_lon, last + c)]
    tris = np.array(tris)
    pos = np.asarray(centre) + pts * np.asarray(radii)
    return pos, _orient_outwards(pos, tris, np.asarray(centre)), pts


def _kernel_follow(points: np.ndarray, face: np.ndarray, *, sigma: float = FOLLOW_SIGMA,
                   reach: float = 3.0) -> np.ndarray:
    """(N, 478) weights: each point moves as a Gaussian-weighted mean of its nearby surface
    landmarks, fading out with its distance from the face (no motion beyond ``reach`` sigmas)."""
    d = np.linalg.norm(points[:, None] - face[None, :N_SURFACE], axis=-1)
    near = d.min(axis=1, keepdims=True)
    w = np.exp(-((d - near) / sigma) ** 2)
    w /= w.sum(axis=1, keepdims=True)
    fade = np.exp(-(near[:, 0] / (sigma * reach / 2)) ** 2)
    out = np.zeros((len(points), face.shape[0]))
    out[:, :N_SURFACE] = w * fade[:, None]
    return out


def build_skin(face: np.ndarray, layout: np.ndarray) -> tuple[Skin, tuple[np.ndarray, np.ndarray]]:
    """The skin: the face (478, 3) closed by a cap to the back of the head, a neck and ears.

    ``layout`` (478, 2) are the face's texture coordinates (the frontal layout, 0..1)."""
    centre, radii = cranium_of(face)
    oval = boundary_loops()["oval"]
    back = np.array([0.0, -0.15, -1.0])
    back /= np.linalg.norm(back)
    u0 = face[oval] - centre
    r0 = np.linalg.norm(u0, axis=1)
    u0 = u0 / r0[:, None]
    rings, ring_uv = [], []
    uv_centre = layout[[1, 168]].mean(axis=0)
    for k in range(1, CAP_RINGS + 1):
        t = k / (CAP_RINGS + 1)
        d = _slerp(u0, back, t)
        blend = np.clip(t / 0.3, 0, 1)
        blend = blend * blend * (3 - 2 * blend)  # leave the oval along the face, then become the skull
        r = (1 - blend) * r0 + blend * _ellipsoid_radius(d, radii)
        rings.append(centre + d * r[:, None])
        ring_uv.append(np.clip(uv_centre + (layout[oval] - uv_centre) * (1 + 0.07 * k), 0.002, 0.998))
    pole = centre + back * _ellipsoid_radius(back[None], radii)[0]
    n_face = face.shape[0]
    cap = np.concatenate(rings + [pole[None]])
    cap_uv = np.concatenate(ring_uv + [np.array([SKIN_PATCH_UV])])
    m = len(oval)
    tris = []
    for c in range(m):  # the oval to the first ring
        a, b = oval[c], oval[(c + 1) % m]
        d_, e = n_face + c, n_face + (c + 1) % m
        tris += [(a, d_, b), (b, d_, e)]
    tris += _grid_triangles(CAP_RINGS, m, offset=n_face)
    pole_i = n_face + len(cap) - 1
    last = n_face + (CAP_RINGS - 1) * m
    tris += [(last + c, pole_i, last + (c + 1) % m) for c in range(m)]
    cap_tris = _orient_outwards(np.concatenate([face, cap]), np.array(tris), centre)
    # Neck: an elliptic tube from inside the head down to the shoulders, closed at the bottom.
    rx = radii[0]
    n_seg, ys = 20, np.linspace(centre[1] - 0.9 * radii[1] * 0.7, centre[1] - 3.3 * rx / 1.2, 6)
    ang = np.linspace(0, 2 * np.pi, n_seg, endpoint=False)
    neck_centre, neck_depth = _neck(centre, radii)
    ring = np.stack([0.72 * rx * np.cos(ang), np.zeros(n_seg), neck_depth * np.sin(ang)], -1)
    neck = np.concatenate([ring + [neck_centre[0], y, neck_centre[2]] for y in ys]
                          + [np.array([[neck_centre[0], ys[-1], neck_centre[2]]])])
    base = n_face + len(cap)
    neck_tris = _grid_triangles(len(ys), n_seg, offset=base)
    bottom = base + len(neck) - 1
    neck_tris += [(base + (len(ys) - 1) * n_seg + c, bottom, base + (len(ys) - 1) * n_seg + (c + 1) % n_seg)
                  for c in range(n_seg)]
    neck_pos_all = np.concatenate([face, cap, neck])
    neck_tris = np.array(neck_tris)
    axis_pts = neck_pos_all[neck_tris].mean(axis=1) * np.array([0, 1, 0]) + neck_centre * np.array([1, 0, 1])
    p0, p1, p2 = (neck_pos_all[neck_tris[:, k]] for k in range(3))
    flip = (np.cross(p1 - p0, p2 - p0) * ((p0 + p1 + p2) / 3 - axis_pts)).sum(axis=1) < 0
    neck_tris[flip] = neck_tris[flip][:, [0, 2, 1]]
    # Ears: flattened ellipsoids on the sides of the skull at the height between the eyes and nose.
    ears, ear_tris = [], []
    offset = base + len(neck)
    for s in (1, -1):
        ec = np.array([s * (radii[0] * 0.98), face[1, 1] * 0.55, centre[2] + 0.08 * radii[2]])
        pos, tri, _ = _uv_sphere(ec, np.array([0.17, 0.45, 0.3]) * rx / 1.2, 8, 12, axis_forward=False)
        ears.append(pos)
        ear_tris.append(tri + offset)
        offset += len(pos)
    ear_pos = np.concatenate(ears)
    positions = np.concatenate([face, cap, neck, ear_pos])
    uv = np.concatenate([layout, cap_uv, np.tile(SKIN_PATCH_UV, (len(neck) + len(ear_pos), 1))])
    all_tris = np.concatenate([triangles(), cap_tris, neck_tris, *ear_tris]).astype(np.uint32)
    follow = np.zeros((len(positions), n_face))
    follow[np.arange(n_face), np.arange(n_face)] = 1.0
    follow[n_face:] = _kernel_follow(positions[n_face:], face)
    region = np.array(["face"] * n_face + ["cap"] * len(cap) + ["neck"] * len(neck) + ["ear"] * len(ear_pos))
    return Skin(positions, uv.astype(np.float32), all_tris, follow, region), (centre, radii)


def _neck(centre: np.ndarray, radii: np.ndarray) -> tuple[np.ndarray, float]:
    """The neck tube's axis point (3,) and its front-to-back half depth, for the skull ellipsoid.

    The tube stands NECK_SETBACK behind where it first stood: its front was 0.13 IPD behind the
    resting chin (single_face.jpg), and at JawOpen 1 the learned jaw takes the chin 0.62 IPD down
    and 0.52 back, behind that front — the neck covered the dropped chin, whose bottom was cut flat
    in the frontal render. A throat lies well behind the chin (the cervicomental angle); the tube
    now clears the dropped chin on the three tested faces (tests/head3d/test_neck_clear.py)."""
    return np.array([0.0, 0.0, centre[2] + 0.25 * radii[2] - NECK_SETBACK]), 0.68 * radii[0]


def teeth_colour(skin_rgb=None) -> np.ndarray:
    """The teeth's colour (3,): :data:`TEETH_RGB` warmed by :data:`TEETH_SKIN_TINT` of the skin tone's
    chromaticity (``skin_rgb`` (3,) 0..1; ``None``: the ivory alone), at the ivory's brightness."""
    ivory = np.asarray(TEETH_RGB, np.float64)
    if skin_rgb is None:
        return ivory
    skin = np.clip(np.asarray(skin_rgb, np.float64), 1e-3, 1.0)
    tinted = ivory * (skin / skin.mean()) ** TEETH_SKIN_TINT
    return np.clip(tinted * ivory.mean() / tinted.mean(), 0.0, 1.0)


def build_parts(face: np.ndarray, cranium: tuple[np.ndarray, np.ndarray], *, iris_rgb, hair_rgb=None,
                under: np.ndarray | None = None, skin_rgb=None, hair_style: str = "short",
                ears: np.ndarray | None = None) -> Parts:
    """Eyeballs, teeth, tongue, mouth cavity and (if ``hair_rgb``) hair for a face (478, 3): a cap, or
    a cap with hair hanging beside and behind the head (``hair_style``, :data:`HAIR_STYLES`); the hair
    stays outside the skin points ``under`` (N, 3) (default: the face's) and hanging hair covers the
    ``ears`` (M, 3); the teeth take part of the skin tone ``skin_rgb`` (3,) 0..1 (:func:`teeth_colour`)."""
    pos, col, tris, follow, part = [], [], [], [], []
    n_face = face.shape[0]
    eye_centres = {}

    def add(p, c, t, f, label):
        base = sum(len(x) for x in pos)
        pos.append(p)
        col.append(np.broadcast_to(np.asarray(c, np.float64), (len(p), 4)) if np.ndim(c) == 1 else c)
        tris.append(np.asarray(t) + base)
        follow.append(f)
        part.extend([label] * len(p))

    still = lambda n: np.zeros((n, n_face))  # noqa: E731
    for label, iris in (("eye_left", LEFT_IRIS), ("eye_right", RIGHT_IRIS)):
        loop = face[boundary_loops()[label]]
        front = np.array([face[iris, 0], face[iris, 1], max(face[iris, 2], loop[:, 2].max() - 0.03)])
        centre = front - np.array([0.0, 0.0, EYE_RADIUS])
        eye_centres[label] = centre
        p, t, d = _uv_sphere(centre, np.full(3, EYE_RADIUS), 18, 24)
        add(p, _eye_colours(d, iris_rgb), t, still(len(p)), label)
        # The socket behind it: the eye opening is wider than the eyeball, and through its corners
        # the renders showed the background (white wedges that widened every eye); a dark, inward-
        # facing pocket fills them, as the pink-dark corners of a real eye.
        width = 0.5 * (loop[:, 0].max() - loop[:, 0].min())
        p, t, _ = _uv_sphere(centre, np.array([max(width * 1.2, EYE_RADIUS), EYE_RADIUS, EYE_RADIUS]), 8, 12)
        add(p, _in_shadow(SOCKET_RGB, p, centre[2] + EYE_RADIUS), t[:, [0, 2, 1]], still(len(p)), label + "_socket")
    mouth_y = 0.5 * (face[13, 1] + face[14, 1])
    lip_z = 0.5 * (face[13, 2] + face[14, 2])
    half = 0.5 * (face[291, 0] - face[61, 0])
    # Mouth cavity: an ellipsoid behind the lips with its faces turned inwards.
    cav_c = np.array([0.0, mouth_y - 0.1, lip_z - 0.55])
    # As wide as a smile's pulled corners: a narrower cavity showed the inside of the cheeks' skin
    # through the corners of a smiling mouth as pale wedges (its outside faces are culled, so where
    # it stands out of the cheeks the skin is seen).
    cav_r = np.array([half * 1.3, 0.38, 0.6])
    p, t, _ = _uv_sphere(cav_c, cav_r, 14, 24)
    # Its back wall is flattened in front of the neck tube (which rises inside the head to the
    # mouth's height): otherwise the neck's skin shows through an open mouth as a pink patch. (Where
    # the tube stood before NECK_SETBACK: a deeper cavity showed the skin behind it as a pink wedge.)
    neck_centre, neck_depth = _neck(*cranium)
    p[:, 2] = np.maximum(p[:, 2], neck_centre[2] + NECK_SETBACK + neck_depth + 0.05)
    # And it stays behind the skin: where it stood out of the cheeks and jaw its forward-facing back
    # wall was seen in front of the skin as dark slivers beside the chin (each point kept
    # CAVITY_INSET behind the face's surface at its height and breadth, the nearest landmarks' depth).
    near = np.argsort(np.linalg.norm(p[:, None, :2] - face[None, :N_SURFACE, :2], axis=-1), axis=1)[:, :3]
    p[:, 2] = np.minimum(p[:, 2], face[near, 2].mean(axis=1) - CAVITY_INSET)
    t = t[:, [0, 2, 1]]
    mandible = np.zeros(n_face)
    mandible[list(MANDIBLE_POINTS)] = 1.0 / len(MANDIBLE_POINTS)
    lower = np.clip((mouth_y - p[:, 1]) / FLOOR_RAMP, 0, 1)[:, None]
    # Darker towards the throat (the middle of the back wall), as a real open mouth: with the depth shade
    # alone the flattened back wall was one flat colour.
    rim = np.hypot(p[:, 0] / cav_r[0], (p[:, 1] - cav_c[1]) / cav_r[1])  # 0 at the throat, 1 at the walls' rim
    c = _in_shadow(MOUTH_RGB, p, lip_z)
    c[:, :3] *= (THROAT_SHADE + (1 - THROAT_SHADE) * np.clip(rim, 0, 1) ** 1.5)[:, None]
    add(p, c, t, lower * mandible[None], "mouth")
    # Teeth: an arc band behind each lip, facing forwards, as a closed jaw holds them: the upper
    # incisors' edges UPPER_TEETH_SHOW below the lips' meeting line (behind the lower lip at rest,
    # so lips that part by any amount show upper teeth, as a smile does), the lower incisors behind
    # and overlapped by them (the overbite), hidden by the lower lip until the jaw drops it.
    # The arch stays in front of the cavity's back wall (TEETH_DEPTH behind the lips, curving back
    # TEETH_ARCH by the canines): deeper, the sides of the teeth were hidden behind that wall and a
    # smile showed a narrow strip of teeth between black patches.
    # Each tooth is its own: the columns fall on the gaps between incisors, canines and premolars
    # (TOOTH_GAPS, IPD from the middle), shaded darker there, and the biting edges rise towards the
    # sides (the smile arc, SMILE_ARC at the arch's end): a flat unbroken band read as a white bar.
    a, b = half * 1.15, TEETH_ARCH  # to the premolars: a broad smile shows them at its corners
    gaps = np.array(TOOTH_GAPS) * half / 0.4
    gaps = gaps[gaps < 0.98 * a]
    cols = np.concatenate([[0.0], *[np.linspace(g0, g1, 4)[1:] for g0, g1 in zip(np.r_[0.0, gaps], np.r_[gaps, a * np.sin(1.2)])]])
    phi = np.arcsin(np.clip(np.concatenate([-cols[:0:-1], cols]) / a, -1, 1))
    arc_x = a * np.sin(phi)
    at_gap = np.isin(np.round(np.abs(arc_x), 9), np.round(np.r_[0.0, gaps], 9))
    rise = SMILE_ARC * (arc_x / a) ** 2
    start, floor = TEETH_SIDE_SHADE
    u = np.clip((np.abs(arc_x) / a - start) / (1.0 - start), 0.0, 1.0)
    side_shade = 1.0 - (1.0 - floor) * u * u * (3.0 - 2.0 * u)
    teeth_rgb = teeth_colour(skin_rgb)
    for label, y0, y1, back in (("teeth_upper", mouth_y + 0.16, mouth_y - UPPER_TEETH_SHOW, 0.0),
                                ("teeth_lower", mouth_y - LOWER_TEETH_DROP, mouth_y - LOWER_TEETH_DROP - 0.16, 0.03)):
        arc_z = lip_z - TEETH_DEPTH - back - b * (1 - np.cos(phi))
        p = np.concatenate([np.stack([arc_x, y + rise * (label == "teeth_upper") * (y == y1)
                                      + rise * (label == "teeth_lower") * (y == y0), arc_z], -1) for y in (y0, y1)])
        n = len(phi)
        t = [(i, i + n, i + 1) for i in range(n - 1)] + [(i + 1, i + n, i + n + 1) for i in range(n - 1)]
        t = np.array(t)
        v0, v1, v2 = (p[t[:, k]] for k in range(3))
        if (np.cross(v1 - v0, v2 - v0)[:, 2]).mean() < 0:
            t = t[:, [0, 2, 1]]
        f = np.tile(mandible, (len(p), 1)) if label == "teeth_lower" else still(len(p))
        c = _in_shadow(teeth_rgb, p, lip_z - TEETH_DEPTH)
        c[np.tile(at_gap, 2), :3] *= TOOTH_GAP_SHADE
        c[:, :3] *= np.tile(side_shade, 2)[:, None]
        add(p, c, t, f, label)
    # The tongue lies behind the lower teeth, its top at their tips' height: as the jaw drops (riding
    # TONGUE_RIDE of it) its top surface shows in the lower part of the opening, as a real gape's does.
    p, t, _ = _uv_sphere(np.array([0.0, mouth_y - 0.2, lip_z - 0.27]), np.array([half * 0.75, 0.16, 0.14]), 10, 16)
    add(p, _in_shadow(TONGUE_RGB, p, lip_z), t, np.tile(TONGUE_RIDE * mandible, (len(p), 1)), "tongue")
    if hair_rgb is not None:
        centre, radii = cranium
        top = face[10] - centre
        front_el = np.arcsin(np.clip(top[1] / np.linalg.norm(top), -1, 1)) + 0.06
        # A grid from the hairline (high over the forehead, low at the nape) to the crown.
        n_az, n_up = 64, 14
        az = np.linspace(-np.pi, np.pi, n_az, endpoint=False)
        line = front_el - (front_el + 0.6) * (1 - np.cos(az)) / 2
        s_ = np.linspace(0, 1, n_up)[:, None]
        el = line[None] + (np.pi / 2 - 0.02 - line[None]) * s_
        d = np.stack([np.sin(az)[None] * np.cos(el), np.sin(el), np.cos(az)[None] * np.cos(el)], -1).reshape(-1, 3)
        # Over the skull, and over the face's own edge where it stands out of the skull (the temples).
        skin_pts = face[:N_SURFACE] if under is None else under
        rel = skin_pts - centre
        dist = np.linalg.norm(rel, axis=1)
        near = (d @ (rel / dist[:, None]).T) > np.cos(0.12)
        face_r = np.where(near, dist[None], 0.0).max(axis=1)
        p = centre + d * np.maximum(_ellipsoid_radius(d, radii) * 1.05, face_r + 0.04)[:, None]
        p = np.concatenate([p, [centre + np.array([0.0, radii[1] * 1.05, 0.0])]])
        t = np.array(_grid_triangles(n_up, n_az) + [((n_up - 1) * n_az + c, len(p) - 1, (n_up - 1) * n_az + (c + 1) % n_az)
                                                    for c in range(n_az)])
        t = _orient_outwards(p, t, centre)
        add(p, (*hair_rgb, 1.0), t, _kernel_follow(p, face), "hair")
        if HAIR_STYLES[hair_style] is not None:
            hp, ht = _hanging_hair(face, centre, radii, p[:n_az], az, HAIR_STYLES[hair_style], under=skin_pts,
                                   ears=ears)
            add(hp, (*hair_rgb, 1.0), ht, still(len(hp)), "hair")
    return Parts(np.concatenate(pos), np.concatenate(col).astype(np.float32),
                 np.concatenate(tris).astype(np.uint32), np.concatenate(follow), np.array(part), eye_centres)


def _hanging_hair(face: np.ndarray, centre: np.ndarray, radii: np.ndarray, edge_ring: np.ndarray, az: np.ndarray,
                  drop: float, *, under: np.ndarray, ears: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hair hanging from the cap's lower edge beside and behind the head, ``drop`` IPD below the chin
    (:data:`HAIR_STYLES`): positions (N, 3) and triangles, both faces of the sheet, each on its own
    vertices (it is seen from outside at the sides and back, from inside under the chin).

    For each of the cap's azimuths ``az`` (its lower edge's points ``edge_ring`` (len(az), 3)) behind the face's own edge
    (the oval's widest azimuth at the cheeks, plus a margin: the face stays uncovered; in front of the
    ``ears`` (M, 3) where they reach further forward: hanging hair covers them), the sheet starts on
    the cap's edge and falls straight down outside the skull's equator, every skin point ``under``
    (N, 3) and the ears, to the hem; below the ears its front edges curve back a little, as hair parted over the
    shoulders does. It moves with the head alone (no expression moves it)."""
    oval = face[boundary_loops()["oval"]] - centre
    edge = float(np.abs(np.arctan2(oval[:, 0], oval[:, 2])).max()) + HAIR_FACE_MARGIN
    if ears is not None and len(ears):
        ear_front = float(np.abs(np.arctan2(ears[:, 0] - centre[0], ears[:, 2] - centre[2])).min())
        edge = min(edge, ear_front - HAIR_OVER_EARS)
    keep = np.abs(az) >= edge
    a, top = az[keep], edge_ring[keep]
    flat = np.stack([np.sin(a), np.zeros_like(a), np.cos(a)], -1)  # horizontal directions
    rel = (under if ears is None else np.concatenate([under, ears])) - centre
    rel_h = rel * np.array([1.0, 0.0, 1.0])
    reach = np.linalg.norm(rel_h, axis=1)
    near = (flat @ (rel_h / np.maximum(reach, 1e-9)[:, None]).T) > np.cos(0.12)
    outside = np.maximum(np.where(near, reach[None], 0.0).max(axis=1), _ellipsoid_radius(flat, radii)) + 0.06
    hem = float(face[152, 1]) - drop
    n_down = 10
    s_ = np.linspace(0.0, 1.0, n_down)[:, None]
    y = top[None, :, 1] + (hem - top[None, :, 1]) * s_
    # From the cap's edge out to the hanging radius over the first rows, then straight down.
    r_top = np.linalg.norm((top - centre) * np.array([1.0, 0.0, 1.0]), axis=1)
    r = np.maximum(r_top, outside)[None] + np.minimum(r_top - outside, 0.0)[None] * (1.0 - np.clip(s_ * 8.0, 0.0, 1.0))
    # Below the ears (their lowest point, or the chin's height) the front edges sweep back to the hem.
    below = float(ears[:, 1].min()) if ears is not None and len(ears) else float(face[152, 1])
    fall = np.clip((below - y) / max(below - hem, 1e-6), 0.0, 1.0)
    # Tapered behind the front edge (slope below 1: the columns keep their order, the sheet never folds).
    back = fall * HAIR_FRONT_SWEEP * np.clip(1.0 - (np.abs(a) - edge) / 0.3, 0.0, 1.0)[None]
    ang = a[None] + np.sign(a)[None] * back
    p = np.stack([centre[0] + r * np.sin(ang), y, centre[2] + r * np.cos(ang)], -1).reshape(-1, 3)
    cols = len(a)
    # The kept azimuths are one run round the back (az wraps at +-pi): order them so the run is contiguous.
    order = np.argsort(np.where(a < 0, a + 2 * np.pi, a))
    p = p.reshape(n_down, cols, 3)[:, order].reshape(-1, 3)
    t = np.array(_grid_triangles(n_down, cols, closed=False))
    # The back face on its own copy of the vertices: shared ones would average opposite normals to nothing.
    return np.concatenate([p, p]), np.concatenate([t, t[:, [0, 2, 1]] + len(p)])


def _eye_colours(d: np.ndarray, iris_rgb) -> np.ndarray:
    """Vertex colours (N, 4) of an eyeball from its unit directions ``d`` (N, 3) (+z its front).

    In photographs the white of the eye is not white: it is greyer than the skin's highlights,
    shadowed under the upper lid and its lashes, and darker where the ball turns away at the
    corners; the iris has a dark rim (the limbus). A uniformly bright sclera around a small iris is
    the wide-eyed stare of surprise and fear (issue #15: the renders read surprised on most faces)."""
    ang = np.arccos(np.clip(d[:, 2], -1, 1))
    lid = np.clip((d[:, 1] + 0.05) / 0.5, 0, 1)  # 0 at the eye's middle, 1 under the upper lid
    side = np.clip((np.abs(d[:, 0]) - 0.45) / 0.45, 0, 1)
    level = (1.0 - SCLERA_LID_SHADOW * lid ** 1.5) * (1.0 - 0.3 * side)
    c = np.ones((len(d), 4))
    c[:, :3] = np.asarray(SCLERA_RGB)[None] * level[:, None]
    rim = np.clip((ang - 0.8 * IRIS_ANGLE) / (0.2 * IRIS_ANGLE), 0, 1)[:, None]
    iris = np.asarray(iris_rgb, np.float64)[None] * (1.0 - 0.55 * rim) * (1.0 - 0.3 * lid[:, None])
    c[ang < IRIS_ANGLE, :3] = iris[ang < IRIS_ANGLE]
    c[ang < PUPIL_ANGLE, :3] = (0.02, 0.02, 0.02)
    return c


def _in_shadow(rgb, points: np.ndarray, front_z: float) -> np.ndarray:
    """Vertex colours (N, 4) of a part inside the mouth: ``rgb`` at ``front_z`` (the lips' or the
    teeth's front), darker the deeper each point lies behind it. The renderers light every surface
    from the front, so without this the inside of an open mouth is as bright as the lips and reads
    as a flat pink patch, not an opening; a real mouth's inside is in the lips' shadow."""
    depth = np.clip((front_z - points[:, 2]) / MOUTH_SHADOW_DEPTH, 0, 1)
    level = 1.0 - (1.0 - MOUTH_SHADOW_FLOOR) * depth ** 0.7
    out = np.ones((len(points), 4))
    out[:, :3] = np.asarray(rgb)[None] * level[:, None]
    return out


def build_head(face: np.ndarray, layout: np.ndarray, *, iris_rgb, hair_rgb=None, skin_rgb=None,
               hair_style: str = "short") -> Head:
    """The whole head for a fitted neutral face (478, 3) with texture layout (478, 2); ``skin_rgb``
    (3,) 0..1, the photo's skin tone, warms the teeth (:func:`teeth_colour`); ``hair_style`` one of
    :data:`HAIR_STYLES` (with ``hair_rgb``)."""
    skin, cranium = build_skin(face, layout)
    skull = skin.positions[np.isin(skin.region, ("face", "cap"))]
    return Head(skin, build_parts(face, cranium, iris_rgb=iris_rgb, hair_rgb=hair_rgb, under=skull, skin_rgb=skin_rgb,
                                  hair_style=hair_style, ears=skin.positions[skin.region == "ear"]), cranium)


def frontal_layout(face: np.ndarray) -> np.ndarray:
    """Texture coordinates (478, 2) of the face: its symmetrised frontal view, ``UV_SPAN`` IPD across,
    the eyes' midpoint a little above the middle (u right = the subject's left, v down)."""
    from ..expressions.geometry import mirror_partners

    partner = mirror_partners(face)
    sym = 0.5 * (face + face[partner] * np.array([-1.0, 1.0, 1.0]))
    u = 0.5 + sym[:, 0] / UV_SPAN
    v = 0.36 - sym[:, 1] / UV_SPAN
    return np.stack([u, v], axis=1).astype(np.float32)
