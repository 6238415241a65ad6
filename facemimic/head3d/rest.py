"""The avatar's rest face closes its lips.

The rest face is the fitted shape minus the captured expression (:mod:`.fit`), but the fit's
per-vertex residual keeps whatever the expression basis does not explain: a smiling or talking
photo leaves the rest lips parted (on the sample photos the inner lips stay 0.06–0.28 IPD apart),
so every expression starts from a face that shows a slab of teeth. A face at rest has its lips
together: the lower lip is raised to meet the upper one, pair by pair along the inner lip line, and
the motion spreads smoothly to the lower lip, mouth corners and chin; the upper lip and the nose
are held where the photo put them.
"""

from __future__ import annotations

import numpy as np

from ..expressions import geometry

# MediaPipe's inner lip line, upper and lower points facing each other (corners 78 and 308 shared).
UPPER_INNER = (191, 80, 81, 82, 13, 312, 311, 310, 415)
LOWER_INNER = (95, 88, 178, 87, 14, 317, 402, 318, 324)
HELD = (0, 1, 2, 4, 37, 39, 40, 61, 164, 185, 267, 269, 270, 291, 409, 78, 308)  # upper lip, nose, corners
BLEND = 0.1  # IPD: each landmark takes the motion of the pins nearest it (a normalised Gaussian blend)
REACH = 0.6  # IPD: the lower lip's motion fades out this far from it (the chin moves some, the jaw line little)


def pinned_blend(face: np.ndarray, pins, value: np.ndarray, moving: int, blend: float, reach: float) -> np.ndarray:
    """(478,) vertical motion of every landmark of ``face`` (478, 3), IPD: a normalised Gaussian
    blend (width ``blend``, relative to the nearest pin: no underflow) of the motions ``value`` (P,)
    of the ``pins`` (P landmark indices) nearest it, fading with the distance from the first
    ``moving`` pins (``reach``). The callers then set the pins exactly."""
    d = np.linalg.norm(face[:, None] - face[np.asarray(pins)][None], axis=-1)  # (478, P)
    w = np.exp(-((d - d.min(axis=1, keepdims=True)) / blend) ** 2)
    fade = np.exp(-(d[:, :moving].min(axis=1) / reach) ** 2)
    return (w @ value) / w.sum(axis=1) * fade


def lips_closed(face: np.ndarray) -> np.ndarray:
    """``face`` (478, 3) in the face frame (y up, IPD units) with the inner lips meeting.

    Parameters
    ----------
    face : np.ndarray [shape=(478, 3)]

    Returns
    -------
    np.ndarray [shape=(478, 3)]
        The lower inner lip raised to the upper (each pair's vertical gap closed; a lip already
        closed or pressed is left as it is), carried to the nearby landmarks: each takes a blend of
        the motions of the pins nearest it (never more than the largest), fading with the distance
        from the lower lip.
    """
    face = np.asarray(face, np.float64)
    up, lo = face[list(UPPER_INNER)], face[list(LOWER_INNER)]
    gap = np.maximum(up[:, 1] - lo[:, 1], 0.0)  # (9,)
    if gap.max() <= 1e-4:
        return _pairs_met(face.copy())
    pins = np.array(LOWER_INNER + UPPER_INNER + HELD)
    lift = np.concatenate([gap, np.zeros(len(UPPER_INNER) + len(HELD))])
    out = face.copy()
    out[:, 1] += pinned_blend(face, pins, lift, len(LOWER_INNER), BLEND, REACH)
    held = list(UPPER_INNER + HELD)
    out[held] = face[held]  # the pins exactly: the upper lip, nose and corners where they were
    out[list(LOWER_INNER), 1] = lo[:, 1] + gap  # and the lower lip exactly closed
    return _pairs_met(out)


def _pairs_met(face: np.ndarray) -> np.ndarray:
    """``face`` with each touching lower inner lip point under its upper partner (the same x): the
    fit leaves them ~0.01 IPD apart sideways, and between such pairs the closed lips' edges cross,
    leaving one-pixel cracks through which the teeth showed as a pale line."""
    up, lo = list(UPPER_INNER), list(LOWER_INNER)
    touching = face[up, 1] - face[lo, 1] <= 1e-4
    face[np.array(lo)[touching], 0] = face[np.array(up)[touching], 0]
    return face


# The upper lip's outer border (corners excluded) and the nose base the philtrum hangs from.
UPPER_OUTER = (185, 40, 39, 37, 0, 267, 269, 270, 409)
CORNERS = (61, 291, 78, 308)
NOSE_BASE = (1, 2, 4, 98, 327, 129, 358)
UPPER_LIP_EXTENT = geometry.CHANNELS["MouthUpperUpLeft"].full_extent  # IPD (upper_lip_raise at 1.0)
UPPER_LIP_REACH = 0.3  # IPD: the lowering fades out this far from the upper lip (cheeks barely move)


def upper_lip_rested(face: np.ndarray, arkit: np.ndarray, typical: float) -> np.ndarray:
    """``face`` (478, 3) with the photo's upper-lip raise taken off where the fit left it.

    A smile lifts the whole upper lip about as far as the mouth corners (single_face.jpg against the
    same person's neutral video frame: the upper inner lip 0.143 IPD, the corners 0.123), but the
    learned expression basis spans only part of that (the fit's rest kept 0.086 IPD of the lip's
    lift, 0.032 of the corners'), and :func:`lips_closed` then shuts the lips up there: the rest
    mouth's line arched high in the middle, the upper lip short. The upper lip (inner line and outer
    border, the corners held) comes down by the raise the capture read in the photo
    (``mouthUpperUp``, in the unit), at most until its length — nose base (2) to upper inner lip
    (13), as a fraction of nose base to chin (152) — reaches ``typical`` (the shape model's mean
    face): an upper lip never comes out longer than a typical one, and a lip the capture saw
    unraised is left as it is.

    Parameters
    ----------
    face : np.ndarray [shape=(478, 3)]
        The fit's rest face (face frame, y up, IPD units).
    arkit : np.ndarray [shape=(52,)]
        The capture's weights for the photo as ARKit (``FaceFit.arkit``).
    typical : float
        The typical upper lip's length as a fraction of nose base to chin (``upper_lip_length`` of
        the shape model's mean face).

    Returns
    -------
    np.ndarray [shape=(478, 3)]
    """
    from ..expressions.arkit import ARKIT_NAMES

    face = np.asarray(face, np.float64)
    a = np.asarray(arkit, np.float64)
    raised = UPPER_LIP_EXTENT * float(np.clip(np.mean([a[ARKIT_NAMES.index("mouthUpperUpLeft")],
                                                       a[ARKIT_NAMES.index("mouthUpperUpRight")]]), 0.0, 1.0))
    span = face[2, 1] - face[152, 1]
    room = (typical - upper_lip_length(face)) * span  # how far the lip may come down before it is typical
    drop = min(raised, max(room, 0.0))
    if drop <= 1e-4:
        return face.copy()
    lip = UPPER_INNER + UPPER_OUTER
    gap = face[list(UPPER_INNER), 1] - face[list(LOWER_INNER), 1]
    pushed = np.maximum(drop - gap, 0.0)  # a lower lip the upper one would pass goes down with it
    pins = np.array(lip + LOWER_INNER + CORNERS + NOSE_BASE)
    value = np.concatenate([np.full(len(lip), drop), pushed, np.zeros(len(CORNERS + NOSE_BASE))])
    out = face.copy()
    out[:, 1] -= pinned_blend(face, pins, value, len(lip) + len(LOWER_INNER), BLEND, UPPER_LIP_REACH)
    out[list(lip), 1] = face[list(lip), 1] - drop  # the lips exactly
    out[list(LOWER_INNER), 1] = face[list(LOWER_INNER), 1] - pushed
    still = list(CORNERS + NOSE_BASE)
    out[still] = face[still]
    return out


def upper_lip_length(face: np.ndarray) -> float:
    """Nose base (2) to the upper inner lip (13) as a fraction of nose base to chin (152), face frame."""
    face = np.asarray(face, np.float64)
    return float((face[2, 1] - face[13, 1]) / (face[2, 1] - face[152, 1]))


# The same for a wide-eyed photo's eyes: the capture reads the widening (eyeWide, the upper lid
# raised) but the learned basis takes off only part of it, so 0-f1-su-ph.jpg's (surprised, eyeWide
# 0.78) avatar rested with its eyes 0.181 IPD open where the shape model's mean face has 0.146: every
# expression kept a startled stare (its smile read fearful or surprised). Each upper lid comes down
# by the widening the capture read (eyeWide x EyeWide's 0.06 IPD extent), at most until its eye is as
# open as the mean face's: most in the lid's middle, none at the corners; the lower lid, the corners,
# the eyeball and the brows stay.
EYE_WIDE_EXTENT = geometry.CHANNELS["EyeWideLeft"].full_extent  # IPD (eye_widen at 1.0)
EYES = {"Left": ((398, 384, 385, 386, 387, 388, 466), (362, 263), (374, 373, 380, 381, 382, 390, 249), 386, 374),
        "Right": ((173, 157, 158, 159, 160, 161, 246), (133, 33), (145, 144, 153, 154, 155, 163, 7), 159, 145)}
EYE_BLEND = 0.03  # IPD: the lid's motion spreads this smoothly over the skin above it
EYE_REACH = 0.08  # IPD: and fades out this far from the lid margin


def eye_aperture(face: np.ndarray, side: str) -> float:
    """The upper-lower lid gap (386-374 / 159-145, IPD) of one eye of ``face`` (478, 3), face frame."""
    _, _, _, up, lo = EYES[side]
    return float(face[up, 1] - face[lo, 1])


def eyes_rested(face: np.ndarray, arkit: np.ndarray, typical: dict) -> np.ndarray:
    """``face`` (478, 3) with the photo's eye widening taken off where the fit left it.

    Parameters
    ----------
    face : np.ndarray [shape=(478, 3)]
        The fit's rest face (face frame, y up, IPD units).
    arkit : np.ndarray [shape=(52,)]
        The capture's weights for the photo as ARKit (``FaceFit.arkit``).
    typical : dict
        {"Left": aperture, "Right": aperture} of the shape model's mean face (:func:`eye_aperture`).

    Returns
    -------
    np.ndarray [shape=(478, 3)]
        Each upper lid lowered by ``eyeWide`` x :data:`EYE_WIDE_EXTENT`, at most until the eye is
        as open as ``typical``; the lower lid, eye corners, irises and brows unchanged.
    """
    from ..expressions.arkit import ARKIT_NAMES

    face = np.asarray(face, np.float64)
    out = face.copy()
    for side, (upper, corners, lower, _, _) in EYES.items():
        widened = EYE_WIDE_EXTENT * float(np.clip(arkit[ARKIT_NAMES.index("eyeWide" + side)], 0.0, 1.0))
        drop = min(widened, max(eye_aperture(face, side) - typical[side], 0.0))
        if drop <= 1e-4:
            continue
        x0, x1 = face[corners[0], 0], face[corners[1], 0]
        along = np.sin(np.pi * np.clip((face[list(upper), 0] - x0) / (x1 - x0), 0.0, 1.0))
        still = list(corners + lower) + list(range(468, 478))
        moved_pinned(face, out, list(upper), -drop * along / along.max(), still, EYE_BLEND, EYE_REACH)
    return out


def moved_pinned(face: np.ndarray, out: np.ndarray, points: list, rise: np.ndarray, still: list,
                 blend: float, reach: float, fade_from: int | None = None) -> None:
    """Move ``out`` (478, 3) vertically in place: ``points`` by exactly ``rise`` (len(points),) IPD (up
    positive), the landmarks near them by a blend of it (:func:`pinned_blend` on ``face``, width
    ``blend``, fading ``reach`` from the first ``fade_from`` points, default all), ``still`` held
    where ``face`` has them."""
    pins = np.array(list(points) + list(still))
    value = np.concatenate([rise, np.zeros(len(still))])
    out[:, 1] += pinned_blend(face, pins, value, len(points) if fade_from is None else fade_from, blend, reach)
    out[list(points), 1] = face[list(points), 1] + rise
    out[list(still)] = face[list(still)]


# The same for a frowning photo's brows: the capture reads the lowering (browDown, in the unit) but the
# learned basis takes off about a third of it, so 15-f13-anc-ph.jpg's (posed anger: BrowLowerer 0.86 /
# 0.89, browDown 0.45 / 0.63) avatar rested with its brows 0.057 / 0.048 IPD below the population's
# (the photo's 0.089 / 0.086): every expression kept a frown (its smile read sad, angry and fearful to
# the three outside judges). Each brow, with the skin of the upper lid's fold under it, rises along
# browDown's own profile (measured on CK+ frowns: unit.BROW_DOWN_POINTS, BROW_DOWN_PROFILE) by the
# lowering the capture read (browDown x BrowLowerer's 0.1 IPD extent), at most until the brow sits as
# high above its eye as the shape model's mean face's. The eyes stay as they are (lids, corners,
# irises: how open an eye rests is eyes_rested's), and the nose.
BROW_LOWER_EXTENT = geometry.CHANNELS["BrowLowererLeft"].full_extent  # IPD (brow_lower at 1.0)
BROW_BLEND = 0.05  # IPD: the brow's motion spreads this smoothly over the skin round it
BROW_REACH = 0.25  # IPD: and fades out this far from the brow (the forehead rises with it, the scalp little)
N_BROW = 10  # the brow's own points among unit.BROW_DOWN_POINTS' (upper and lower edge); then orbit and lids
BROW_SIDES = {"Left": 0, "Right": 1}  # ARKit side -> BROW_DOWN_POINTS' key (geometry's [left, right])
EYE_CORNERS = {side: corners for side, (_, corners, _, _, _) in EYES.items()}
BROW_STILL = (1, 4, 5, 195, 197, *range(468, 478))  # nose and irises
BROW_FOLD = 3  # the lids' part of BROW_DOWN_POINTS: margin (3, held), fold (3, moving), lower lid (3, held)


def brow_height(face: np.ndarray, side: str) -> float:
    """How high (IPD, face frame) one brow of ``face`` (478, 3) sits above its eye: the mean of its
    edges' points (``unit.BROW_DOWN_POINTS``) above the mean of its eye corners."""
    from .unit import BROW_DOWN_POINTS

    face = np.asarray(face, np.float64)
    brow = list(BROW_DOWN_POINTS[BROW_SIDES[side]][:N_BROW])
    return float(face[brow, 1].mean() - face[list(EYE_CORNERS[side]), 1].mean())


def brows_rested(face: np.ndarray, arkit: np.ndarray, typical: dict) -> np.ndarray:
    """``face`` (478, 3) with the photo's brow lowering taken off where the fit left it.

    Parameters
    ----------
    face, arkit : as :func:`eyes_rested` (the fit's rest face (478, 3); the photo's ARKit weights (52,))
    typical : dict
        {"Left": height, "Right": height} of the shape model's mean face (:func:`brow_height`).

    Returns
    -------
    np.ndarray [shape=(478, 3)]
        Each brow (and the skin of its upper lid's fold, in browDown's profile) raised by ``browDown``
        x :data:`BROW_LOWER_EXTENT` on average, at most until it is ``typical`` high; the eyes and the
        rest unchanged.
    """
    from ..expressions.arkit import ARKIT_NAMES
    from .unit import BROW_DOWN_POINTS, BROW_DOWN_PROFILE

    face = np.asarray(face, np.float64)
    out = face.copy()
    profile = np.asarray(BROW_DOWN_PROFILE, np.float64)
    for side, key in BROW_SIDES.items():
        lowered = BROW_LOWER_EXTENT * float(np.clip(arkit[ARKIT_NAMES.index("browDown" + side)], 0.0, 1.0))
        rise = min(lowered, max(typical[side] - brow_height(face, side), 0.0))
        if rise <= 1e-4:
            continue
        # the brow, its orbit and the lid's fold move; the lid margin and lower lid are the eye's
        order = list(range(N_BROW + 2)) + list(range(N_BROW + 2 + BROW_FOLD, N_BROW + 2 + 2 * BROW_FOLD))
        points = [BROW_DOWN_POINTS[key][k] for k in order]
        value = rise * profile[order] / profile[:N_BROW].mean()  # the brow's points rise by ``rise`` on average
        upper, corners, lower, _, _ = EYES[side]
        still = [k for k in dict.fromkeys((*upper, *corners, *lower, *BROW_STILL)) if k not in points]
        moved_pinned(face, out, points, value, still, BROW_BLEND, BROW_REACH, fade_from=N_BROW)
    return out


def photo_rested(face: np.ndarray, arkit: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """A photo's fitted rest face (478, 3) with what the fit's basis left of the photo's expression
    taken off: a smile's lip lift (:func:`upper_lip_rested`), a stare's widening (:func:`eyes_rested`),
    a frown's lowering (:func:`brows_rested`), each at most to the shape model's ``mean`` face (478, 3);
    ``arkit`` (52,) is the photo's captured expression."""
    sides = ("Left", "Right")
    lip = upper_lip_rested(face, arkit, upper_lip_length(mean))
    eyes = eyes_rested(lip, arkit, {k: eye_aperture(mean, k) for k in sides})
    return brows_rested(eyes, arkit, {k: brow_height(mean, k) for k in sides})
