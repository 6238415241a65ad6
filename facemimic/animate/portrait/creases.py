"""Creases as shading: what a warp cannot make.

A warp moves the photo's pixels; it cannot draw the folds a viewer reads an expression by. Here
they are shaded onto each frame along the moved landmarks, as deep as the frame's Unified
Expressions weights ask, darkening (or, for the cheek's bulge, lightening) a thin soft band of the
sitter's own skin: the shadow colour is the skin's own, darker and a little more saturated (a
valley in skin is lit by light that passed through skin), never a painted grey line.

==================  ============================================  ================================
crease              drawn along                                    driven by (FACS)
==================  ============================================  ================================
nasolabial fold     nose wing to beyond the mouth corner (curved)  corner pull, cheek squint, sneer,
                                                                   upper lip up/deepen
cheek bulge         the cheek apple below the eye (soft light)     corner pull, cheek squint
glabellar furrow    two vertical lines between the inner brows,    brow lowerer, pinch (AU4)
                    a short horizontal one at the nasal root
nose wrinkles       across the nose bridge, and from the inner     nose sneer (AU9)
                    eye corners down the bridge's sides
forehead lines      three arcs following the brows, above them     brow outer (and inner) up (AU1+2)
crow's feet         three short lines fanning from each outer      cheek squint, eye squint
                    eye corner
brow shadow         a broad soft band under the inner brow         brow lowerer (AU4: the glare)
central forehead    three short arcs over the inner brows only     brow inner up (AU1: sadness)
infraorbital        under the lower lid, from the inner corner     sneer, upper lip up (AU9+10),
                    down and out                                   cheek squint
upper nasolabial    the fold's top beside the nose wing            upper lip up, sneer (AU10)
marionette          from the mouth corner down and out             frown (AU15)
chin                the mentolabial sulcus under the lower lip     chin raiser (AU17)
==================  ============================================  ================================

With every driving weight zero (and with ``rest_weights`` equal to the frame's) nothing is
touched: the frame stays bit for bit what the warp made.

The photo's own creases are undone as far as a frame asks less than the photo shows (``rest=
"neutral"``: a smiling photo's neutral frame, a frowning photo's smile): in the same bands, widened
(the photo's fold lies near, not exactly on, the drawn line), dark lines are lifted towards the
skin around them (a morphological closing: only darker-than-surroundings detail is lightened) and
the cheek's bulge loses its light. A warp moves the photo's nasolabial folds, cheek bulge and
glabellar furrows but never removes them: the neutral first frame of 0-f15-hao kept its smile's
folds and cheeks (read happy), 15-f13-anc's kept its frown's furrows under brows the rest had
raised (the furrowed, raised inner brow of grief: read sad).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...expressions.names import ue_index
from . import landmarks as L

CREASES = ("nasolabial", "cheek_bulge", "glabella", "nose_wrinkle", "forehead", "crows_feet", "brow_shadow",
           "forehead_mid", "infraorbital", "nasolabial_top", "marionette", "chin")
SIDES = ("right", "left")
# Shape -> crease drive, per side ("{}" = Right/Left); a crease's weight is the clipped sum.
DRIVERS = {
    "nasolabial": {"MouthCornerPull{}": 0.8, "CheekSquint{}": 0.6, "NoseSneer{}": 0.7, "MouthUpperUp{}": 0.5,
                   "MouthUpperDeepen{}": 0.6},
    "cheek_bulge": {"MouthCornerPull{}": 0.7, "CheekSquint{}": 0.8},
    "glabella": {"BrowLowerer{}": 1.2, "BrowPinch{}": 0.7},
    "nose_wrinkle": {"NoseSneer{}": 1.0},
    # the full-width lines need the outer brow up (AU2); the inner alone (AU1, sadness) wrinkles
    # only the middle of the forehead (forehead_mid)
    "forehead": {"BrowOuterUp{}": 1.0, "BrowInnerUp{}": 0.3},
    "crows_feet": {"CheekSquint{}": 1.0, "EyeSquint{}": 0.4},
    "brow_shadow": {"BrowLowerer{}": 1.2},
    "forehead_mid": {"BrowInnerUp{}": 1.4},
    "infraorbital": {"NoseSneer{}": 1.0, "MouthUpperUp{}": 0.5, "CheekSquint{}": 0.4},
    "nasolabial_top": {"MouthUpperUp{}": 1.0, "NoseSneer{}": 1.0, "MouthUpperDeepen{}": 0.8},
    "marionette": {"MouthFrown{}": 1.2},
    "chin": {"MouthRaiserLower": 1.5},
}
# Darkening at full weight (share of the way to the skin's shadow colour); the bulge lightens.
DEPTH = {"nasolabial": 0.8, "cheek_bulge": 0.3, "glabella": 0.75, "nose_wrinkle": 1.0, "forehead": 0.6,
         "crows_feet": 0.7, "brow_shadow": 0.45, "forehead_mid": 0.7, "infraorbital": 0.7, "nasolabial_top": 0.9,
         "marionette": 0.6, "chin": 0.6}
# Creases that are deep early (their weight w -> (1 - exp(-k w)) / (1 - exp(-k))): a sneer is a
# small motion with deep lines; linear, the disgusted apex (NoseSneer 0.43) left the nose unmarked.
SATURATE = {"nose_wrinkle": 2.2, "infraorbital": 1.5, "nasolabial_top": 1.5}
MIN_WEIGHT = 0.02  # below this a crease is not drawn at all
# share of the way to the skin's shadow hue at full depth (the rest of the fold is the pixel's own hue)
SHADOW_HUE = 0.8
# px: no fold is blurred less than this. A 1 px stroke (t1-left's 1.2 px glabella at IPD 43 px)
# blurred by 0.9 px read as a crisp pen line on smooth skin; wider strokes are softer than it already
MIN_SIGMA_PX = 1.2
SOFTNESS = 1.8  # a stroke's blur (sigma) in half its width: skin folds are soft (at 1.0 a glabella read as pen lines)
CHEEKS = (205, 425, 50, 280, 187, 411)  # landmarks on the cheeks: the skin colour is read there
# Undoing the photo's own creases (module docstring)
# The forehead lines are spread over at least this height above the brows (IPD): the brows to the
# mesh's outline is 0.39-0.51 IPD on the sitters whose lines read as lines (surprised apexes)
FOREHEAD_LINES_SPAN = 0.4
# The glabellar furrows (AU4) rise 0.3 IPD above the inner brows' lower ends, but never further up
# the face's own midline, from the nasal root (168) to the mesh's forehead top (10), than this share
# of it: where real posed anger's furrows end (15-f13-anc-ph.jpg: 0.61). Anchored to the brows
# alone they followed t1-left's high-set, pitched-down brows (0.17-0.36 IPD above the nasal root at
# the apexes, 0.06-0.11 on the frontal portraits) up to 0.72 (angry), 0.78 (disgusted), 0.90
# (fearful) of it: a grey V up her whole forehead. The frontal portraits' angry furrows end at
# 0.45-0.57 (drawn as before), their disgusted ones at 0.50-0.63. The brows' height counted is at
# most the photo's own (the sitter's face, :func:`brow_height`): a frame's raise is the
# expression's, and the furrows ride up with it (session 15: measured on the frame alone, the
# raised brows of 0-f15-hao's surprised apex (its generator pinch 0.08: a furrow of weight 0.06,
# ~1 grey level) bound the cap, and the closed loop's reading of that frame moved its outer brow
# from 0.808 to 0.796 of the request, the amplitude test's bound 0.8).
GLABELLA_REACH = 0.62
UNDO_WIDTH = 4.0  # the band lifted, in stroke widths
# IPD: dark detail narrower than this is lifted to the skin around it. A smile's fold is a shadow
# as broad as 0.2 IPD: at 0.14 the undo took 38 % of single_face.jpg's fold contrast away (7.2 -> 4.5
# grey levels, band against the cheek beside it; 0-f15-hao's 86 %) and his neutral first frame kept
# it and read happy (facex, 6 of 7 shifted copies); at 0.2, 74 % (7.2 -> 1.9; hao's 100 %), neutral.
UNDO_KERNEL = 0.2
UNDO_DEPTH = 0.9  # share of the way to the lifted skin at full undo weight
UNDO_KEEP = 0.03  # IPD: margin kept untouched around the eyes, brows, lips and nostrils (the face, not its creases)

_MATRIX = None


def _driver_matrix() -> np.ndarray:
    """(len(CREASES), 2, 88): UE weights -> crease weights per side."""
    global _MATRIX
    if _MATRIX is None:
        m = np.zeros((len(CREASES), 2, 88), np.float32)
        for i, c in enumerate(CREASES):
            for name, k in DRIVERS[c].items():
                for s, side in enumerate(("Right", "Left")):
                    m[i, s, ue_index(name.format(side))] = k
        _MATRIX = m
    return _MATRIX


def crease_weights(weights: np.ndarray, rest_weights: np.ndarray | None = None) -> np.ndarray:
    """How deep each crease is, shape (len(CREASES), 2) [right, left] in 0..1.

    Parameters
    ----------
    weights : np.ndarray [shape=(88,)]
        The frame's Unified Expressions weights.
    rest_weights : np.ndarray [shape=(88,)], optional
        What the photo itself already shows (its creases are in its pixels): only the frame's
        excess over it is shaded.
    """
    w = np.nan_to_num(np.asarray(weights, np.float32))
    if rest_weights is not None:
        w = np.maximum(w - np.nan_to_num(np.asarray(rest_weights, np.float32)), 0.0)
    cw = np.clip(_driver_matrix() @ np.clip(w, 0.0, None), 0.0, 1.0)
    for name, k in SATURATE.items():
        i = CREASES.index(name)
        cw[i] = (1.0 - np.exp(-k * cw[i])) / (1.0 - np.exp(-k))
    return cw


@dataclass(frozen=True)
class Stroke:
    """One crease line: a polyline (K, 2) px, its crease and side, width (px) and darkness share."""

    points: np.ndarray
    crease: int
    side: int
    width: float
    strength: float = 1.0


def _padded_box(points: np.ndarray, pad: int, shape: tuple) -> "tuple[int, int, int, int] | None":
    """The pixel box (x0, y0, x1, y1) around ``points`` (N, 2) grown by ``pad``, clipped to an image
    of ``shape`` (H, W, ...); None where less than 2 px is left on a side (nothing to paint)."""
    h, w = shape[:2]
    x0, y0 = int(max(np.floor(points[:, 0].min()) - pad, 0)), int(max(np.floor(points[:, 1].min()) - pad, 0))
    x1, y1 = int(min(np.ceil(points[:, 0].max()) + pad, w)), int(min(np.ceil(points[:, 1].max()) + pad, h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0, y0, x1, y1


_BEZIER: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # n -> the curve's (n, 1) weights


def _bezier(a, c, b, n: int = 12) -> np.ndarray:
    """The quadratic Bezier curve from ``a`` over ``c`` to ``b`` (2,) at ``n`` points, (n, 2)."""
    k = _BEZIER.get(n)
    if k is None:  # why cached: ~70 curves a frame, twice a closed-loop frame; linspace was 40 % of strokes()
        t = np.linspace(0.0, 1.0, n)[:, None]
        k = _BEZIER[n] = ((1 - t) ** 2, 2 * (1 - t) * t, t ** 2)
    return k[0] * a + k[1] * c + k[2] * b


def brow_height(points: np.ndarray) -> float:
    """How high the inner brows' lower ends sit above the nasal root (168) of a face with landmarks
    ``points`` (478, 2) px, along the face's own up (perpendicular to the eye line), in IPD."""
    P = np.asarray(points, np.float64)[:, :2]
    S = max(float(np.linalg.norm(P[473] - P[468])), 4.0)
    r = P[263] - P[33]
    r = r / max(np.linalg.norm(r), 1e-6)
    d = np.array([-r[1], r[0]])  # towards the chin
    mid = 0.5 * (P[L.BROW_LOWER["right"][-1]] + P[L.BROW_LOWER["left"][-1]])
    return float((P[168] - mid) @ d) / S


def strokes(points: np.ndarray, only=None, brows: float | None = None, reach: bool = True
            ) -> tuple[list[Stroke], list[tuple[np.ndarray, float, int]]]:
    """The crease lines and cheek-bulge spots of a face with landmarks ``points`` (478, 2) px
    (``only``: a collection of crease indices into :data:`CREASES`, the others left out; default all;
    ``brows``: the photo's own :func:`brow_height` (IPD), the most the glabellar furrows' reach
    counts; default the frame's own; ``reach=False``: the furrows at their full 0.3 IPD rise, no
    GLABELLA_REACH: where the photo's own furrows are lifted, they are the photo's length).

    Returns
    -------
    (lines, spots)
        ``lines``: :class:`Stroke` list; ``spots``: (centre (2,), radius px, side) of each
        cheek's bulge highlight.
    """
    P = np.asarray(points, np.float64)[:, :2]
    S = max(float(np.linalg.norm(P[473] - P[468])), 4.0)  # inter-pupil distance, px
    r = P[263] - P[33]
    r = r / max(np.linalg.norm(r), 1e-6)  # towards the subject's left
    d = np.array([-r[1], r[0]])  # towards the chin
    lines: list[Stroke] = []
    spots = []
    nl, cb, gl, nw, fh, cf, bs, fm, io, nt, mr, ch = range(len(CREASES))
    # why "only": a frame draws a few of the twelve, and building all ~70 curves twice a closed-loop
    # frame was a sixth of the painting
    want = set(range(len(CREASES)) if only is None else only)
    for s, side in enumerate(SIDES):
        lat = -r if side == "right" else r  # outwards on this side
        ala = P[L.NOSE_ALA[side]]
        corner = P[L.MOUTH_CORNER[side]]
        eye_out = P[L.EYE_UPPER[side][0]]
        eye_in = P[L.EYE_UPPER[side][-1]]
        # Nasolabial fold: from above the nose wing, round the cheek, past the mouth corner.
        if nl in want:
            a = ala + lat * 0.07 * S - d * 0.03 * S
            b = corner + lat * 0.09 * S + d * 0.16 * S
            c = 0.5 * (a + b) + lat * 0.09 * S
            lines.append(Stroke(_bezier(a, c, b), nl, s, 0.04 * S))
        # Cheek bulge: a broad soft light on the cheek apple, between the eye and the fold.
        if cb in want:
            centre = 0.45 * eye_out + 0.55 * ala + lat * 0.06 * S + d * 0.02 * S
            spots.append((centre, 0.2 * S, s))
        if gl in want:
            # Glabellar furrow: a vertical line between the inner brow ends, one per side.
            mid = 0.5 * (P[L.BROW_LOWER["right"][-1]] + P[L.BROW_LOWER["left"][-1]])
            half = 0.5 * float(np.linalg.norm(P[L.BROW_LOWER["left"][-1]] - P[L.BROW_LOWER["right"][-1]]))
            x = mid + lat * 0.3 * half
            # how far up (px): 0.3 IPD, shortened in the face's own frame (GLABELLA_REACH); the
            # furrow keeps its shape, its rise scaled (at least 0.12 IPD: always a furrow)
            base, crown = float((mid - P[168]) @ d), float((mid - P[L.FOREHEAD_TOP]) @ d)  # px above mid
            # the brows no higher than the photo's own: a raise is the expression's, not the face's
            high = -base if brows is None else min(-base, brows * S)
            up = float(np.clip(GLABELLA_REACH * (crown - base) - high, 0.12 * S, 0.3 * S)) / (0.3 * S) if reach else 1.0
            lines.append(Stroke(np.array([x + d * 0.08 * S, x - d * 0.12 * S * up + lat * 0.02 * S,
                                          x - d * 0.3 * S * up + lat * 0.05 * S * up]), gl, s, 0.028 * S))
            # Procerus line: short and horizontal at the nasal root, under the furrow (AU4).
            root = P[168] - d * 0.02 * S
            lines.append(Stroke(_bezier(root + lat * 0.02 * S, root + lat * 0.07 * S + d * 0.01 * S,
                                        root + lat * 0.12 * S + d * 0.005 * S, 5), gl, s, 0.026 * S, 0.7))
        if nw in want:
            # Nose wrinkles: from the inner eye corner down the side of the bridge.
            st = eye_in + d * 0.07 * S - lat * 0.03 * S
            lines.append(Stroke(np.array([st, st + d * 0.08 * S - lat * 0.04 * S,
                                          st + d * 0.16 * S - lat * 0.06 * S]), nw, s, 0.032 * S))
        if bs in want:
            # Brow shadow: lowered brows shade the upper lid's inner two thirds (the angry glare).
            bl = P[list(L.BROW_LOWER[side])]  # outer -> inner
            band = bl[1:] + d * 0.07 * S
            lines.append(Stroke(band, bs, s, 0.09 * S))
        if io in want:
            # Infraorbital furrow: from below the inner eye corner, down and out over the cheek.
            lo = P[list(L.EYE_LOWER[side])]  # outer -> inner
            a = eye_in + d * 0.1 * S + lat * 0.02 * S
            b = lo[len(lo) // 2] + d * 0.2 * S + lat * 0.08 * S
            lines.append(Stroke(_bezier(a, 0.5 * (a + b) + d * 0.05 * S - lat * 0.02 * S, b, 8), io, s, 0.03 * S))
        if nt in want:
            # Upper nasolabial fold: the fold's top, beside the nose wing, deepened by the lip raiser.
            a = ala + lat * 0.05 * S - d * 0.06 * S
            b = ala + lat * 0.1 * S + d * 0.12 * S
            lines.append(Stroke(_bezier(a, 0.5 * (a + b) + lat * 0.03 * S, b, 8), nt, s, 0.04 * S))
        if mr in want:
            # Marionette line: from below the corner, down and a little out (the corners pulled down).
            a = corner + lat * 0.03 * S + d * 0.04 * S
            b = corner + lat * 0.08 * S + d * 0.28 * S
            lines.append(Stroke(_bezier(a, 0.5 * (a + b) + lat * 0.02 * S, b, 8), mr, s, 0.035 * S))
        if ch in want:
            # Chin: the mentolabial sulcus under the lower lip deepens as the chin boss rises, each
            # side its half, curving up towards the corner.
            lip_low, chin = P[17], P[L.CHIN]
            m = lip_low + 0.3 * (chin - lip_low)
            lines.append(Stroke(_bezier(m, m + lat * 0.1 * S - d * 0.01 * S, m + lat * 0.2 * S - d * 0.06 * S, 8),
                                ch, s, 0.04 * S))
        if cf in want:
            # Crow's feet: three short lines fanning out from the outer eye corner.
            for ang in (-0.5, 0.0, 0.45):
                u = lat * np.cos(ang) + d * np.sin(ang)
                st = eye_out + lat * 0.07 * S
                lines.append(Stroke(_bezier(st, st + u * 0.08 * S - d * 0.01 * S, st + u * 0.16 * S, 6), cf, s,
                                    0.022 * S, 1.0 if ang == 0.0 else 0.8))
    # Across the nose bridge (both sides' sneer): short arcs between the eyes.
    top, low = P[168], P[197]
    for k, t in enumerate((0.3, 0.55, 0.8) if nw in want else ()):
        m = top + t * (low - top)
        for s, lat in enumerate((-r, r)):
            a, b = m, m + lat * 0.13 * S + d * 0.015 * S
            lines.append(Stroke(_bezier(a, 0.5 * (a + b) - d * 0.02 * S, b, 6), nw, s, 0.024 * S, 0.9 - 0.1 * k))
    if fh not in want and fm not in want:
        return lines, spots
    # Forehead lines: arcs following the brows' upper edges, raised towards the hairline.
    brow = {side: P[list(L.BROW_UPPER[side])] for side in SIDES}  # outer -> inner
    brow_mid = 0.5 * (brow["right"].mean(0) + brow["left"].mean(0))
    # at least FOREHEAD_LINES_SPAN: on a short or foreshortened forehead (t1-left: the mesh's
    # outline 0.22 IPD above raised brows) the six lines packed 2 px apart into one dark band
    height = max(float((brow_mid - P[L.FOREHEAD_TOP]) @ d), FOREHEAD_LINES_SPAN * S)
    for k, t in enumerate((0.28, 0.48, 0.68) if fh in want else ()):
        for s, side in enumerate(SIDES):
            line = brow[side] - d * t * height
            lat = -r if side == "right" else r
            # the inner half flattens towards the midline, the outer end stops short
            inner = brow_mid - d * t * height * 1.05
            line = np.concatenate([line[1:], inner[None]])
            # a little irregular (skin folds are not drawn with a ruler), each line its own way
            wob = (0.012 * S) * np.sin(np.linspace(0, np.pi * (1.5 + k), len(line)) + k + s)[:, None] * d
            lines.append(Stroke(line + wob, fh, s, 0.022 * S, (0.8, 1.0, 0.7)[k]))
    # Central forehead lines (AU1 without AU2: sadness): short arcs over the inner brows, from the
    # midline to above each brow's inner third, bowed up in the middle as the inner brows pull.
    for k, t in enumerate((0.25, 0.42, 0.6) if fm in want else ()):
        for s, side in enumerate(SIDES):
            third = brow[side][-3]
            a = brow_mid - d * (t * height + 0.04 * S)
            b = third - d * t * height * 0.9 + d * 0.02 * S
            c = 0.5 * (a + b) - d * 0.015 * S
            lines.append(Stroke(_bezier(a, c, b, 8), fm, s, 0.024 * S, (0.8, 1.0, 0.75)[k]))
    return lines, spots


class CreasePainter:
    """Shades the creases of one face (precomputed per source: the skin's shadow and light).

    Parameters
    ----------
    points : np.ndarray [shape=(478, 2)]
        Source landmark pixels.
    image : np.ndarray [shape=(H, W, C), dtype=uint8]
        The source, for the sitter's skin colour.
    rest_weights : np.ndarray [shape=(88,)], optional
        The photo's own expression (only the frame's excess over it is shaded).
    """

    def __init__(self, points: np.ndarray, image: np.ndarray, rest_weights: np.ndarray | None = None) -> None:
        P = np.asarray(points, np.float64)[:, :2]
        h, w = image.shape[:2]
        S = max(float(np.linalg.norm(P[473] - P[468])), 4.0)
        patch = max(int(0.04 * S), 1)
        samples = []
        for i in CHEEKS:
            x, y = int(round(P[i, 0])), int(round(P[i, 1]))
            box = image[max(y - patch, 0):min(y + patch + 1, h), max(x - patch, 0):min(x + patch + 1, w), :3]
            if box.size:
                samples.append(box.reshape(-1, 3))
        skin = np.median(np.concatenate(samples), 0).astype(np.float64) if samples else np.full(3, 170.0)
        skin = np.clip(skin, 20.0, 250.0)
        self.skin = skin.astype(np.float32)
        # Shadow: the skin's colour darker and a little more saturated (a power > 1 of its own
        # colour: a fold's shadow is lit through skin), scaled down.
        self.shadow = (0.72 * 255.0 * (skin / 255.0) ** 1.25).astype(np.float32)
        self.light = np.minimum(255.0 * (skin / 255.0) ** 0.75, 255.0).astype(np.float32)
        # the shadow's hue (its channels over their mean) and its depth (its mean over the skin's):
        # a fold hides the pixel's highlight and shows the skin's own colour in shadow
        self.shadow_hue = (self.shadow / self.shadow.mean()).astype(np.float32)
        self.shadow_depth = float(self.shadow.mean() / self.skin.mean())
        self.brows = brow_height(P)  # the sitter's own (the glabellar furrows' reach, strokes())
        self.rest = None if rest_weights is None else np.nan_to_num(np.asarray(rest_weights, np.float32)).copy()
        if self.rest is not None:
            # The tracker reads a smile's cheek raise as NoseSneer too (model.rest_overlap): a
            # smiling photo "shows" a sneer of 0.4 (the astronaut) without one wrinkle on its nose,
            # and taking that off left a disgusted frame's nose unmarked (band 0.1 grey levels
            # darker). With the corners pulled up the sneer read is the smile's, not wrinkles.
            for side in ("Left", "Right"):
                pull = float(self.rest[ue_index(f"MouthCornerPull{side}")])
                self.rest[ue_index(f"NoseSneer{side}")] *= 1.0 - float(np.clip(pull / 0.4, 0.0, 1.0))

    def paint(self, out: np.ndarray, points: np.ndarray, weights: np.ndarray) -> float:
        """Shade the creases into ``out`` (H, W, C) uint8 in place for landmarks ``points``
        (478, 2) and the frame's UE ``weights`` (88,), and undo the photo's own creases the frame
        no longer asks for; returns the deepest crease weight drawn or undone (0: nothing was touched).
        (:meth:`layer` then :meth:`apply`.)"""
        return self.apply(out, self.layer(points, weights, out.shape))

    def layer(self, points: np.ndarray, weights: np.ndarray, shape: tuple) -> "tuple | None":
        """Everything of :meth:`paint` that does not read the frame's pixels (the strokes, the
        shading's and the undo's masks) for a frame of ``shape`` (H, W, ...): it may be computed on
        another thread while the frame is warped; :meth:`apply` finishes it. None: nothing to do."""
        cw = crease_weights(weights, self.rest)
        # what the photo shows and the frame no longer asks for: the photo's own creases to undo
        uw = crease_weights(self.rest, weights) if self.rest is not None else np.zeros_like(cw)
        if float(max(cw.max(), uw.max())) < MIN_WEIGHT:
            return None
        drawn = np.maximum(cw, uw).max(1) >= MIN_WEIGHT  # (len(CREASES),) creases drawn or lifted
        lines, spots = strokes(points, np.flatnonzero(drawn).tolist(), self.brows)
        undo = 0.0
        if float(uw.max()) >= MIN_WEIGHT:
            gl = CREASES.index("glabella")
            # the photo's own furrows are lifted where the photo has them, at their full length: the
            # reach shortens only what is drawn (with it, the band lifting 15-f13-anc's frown at its
            # neutral first frame was 0.33 IPD long, not 0.38, and its first frame's identity moved)
            undone = lines if float(uw[gl].max()) < MIN_WEIGHT else \
                [st for st in lines if st.crease != gl] + strokes(points, [gl], reach=False)[0]
            undo = self._undo_layer(shape, points, undone, spots, uw)
        shade = self._shade_layer(shape, lines, spots, cw) if float(cw.max()) >= MIN_WEIGHT else None
        return undo, shade

    def apply(self, out: np.ndarray, layer: "tuple | None") -> float:
        """Finish a :meth:`layer` in ``out`` (H, W, C) uint8, in place: the undo, then the shading;
        returns what :meth:`paint` returns."""
        if layer is None:
            return 0.0
        undo, shade = layer
        undone = undo if isinstance(undo, float) else self._undo_apply(out, undo)
        if shade is None:
            return undone
        return max(shade if isinstance(shade, float) else self._shade_apply(out, shade), undone)

    def _shade_layer(self, shape: tuple, lines: list, spots: list, cw: np.ndarray) -> "float | tuple":
        """The masks darkening the crease bands (lightening the bulge) by the crease weights ``cw``
        (see :meth:`paint`) for a frame of ``shape``: (box, dark, light, result) for
        :meth:`_shade_apply`, or the result itself where no pixel changes."""
        import cv2

        lines = [st for st in lines if cw[st.crease, st.side] >= MIN_WEIGHT]
        spots = [sp for sp in spots if cw[CREASES.index("cheek_bulge"), sp[2]] >= MIN_WEIGHT]
        if not lines and not spots:
            return 0.0
        pts = [st.points for st in lines] + [sp[0][None] for sp in spots]
        allp = np.concatenate(pts)
        pad = int(np.ceil(max([st.width for st in lines] + [sp[1] for sp in spots]) * 2 + 3))
        box = _padded_box(allp, pad, shape)
        if box is None:
            return 0.0
        x0, y0, x1, y1 = box
        o = np.array([x0, y0], np.float64)
        dark = np.zeros((y1 - y0, x1 - x0), np.float32)
        sh = 4
        groups: dict[int, list] = {}  # stroke width (px) -> [(stroke, fixed-point polyline, grey)]
        used = [dark.shape[1], dark.shape[0], 0, 0]  # the box (x0, y0, x1, y1) anything was drawn in
        for st in lines:
            a = cw[st.crease, st.side] * DEPTH[CREASES[st.crease]] * st.strength
            v = int(round(255 * a))
            if v > 0:
                groups.setdefault(max(int(round(st.width)), 1), []).append(
                    (st, np.round((st.points - o) * (1 << sh)).astype(np.int32), v))
        for thick, group in groups.items():
            # Each width's strokes are drawn and blurred in their own box (the blur reaches no
            # further than its margin, so the result is the same as over the whole face's box, at a
            # fraction of the pixels: the blurs were a quarter of the painting)
            sigma = max(MIN_SIGMA_PX, 0.5 * thick * SOFTNESS)
            margin = thick // 2 + 3 + int(np.ceil(4 * sigma))
            gp = np.concatenate([g[0].points for g in group])
            gx0, gy0 = max(int(np.floor(gp[:, 0].min() - x0)) - margin, 0), max(int(np.floor(gp[:, 1].min() - y0)) - margin, 0)
            gx1 = min(int(np.ceil(gp[:, 0].max() - x0)) + margin + 1, dark.shape[1])
            gy1 = min(int(np.ceil(gp[:, 1].max() - y0)) + margin + 1, dark.shape[0])
            if gx1 - gx0 < 2 or gy1 - gy0 < 2:
                continue
            m = np.zeros((gy1 - gy0, gx1 - gx0), np.uint8)
            shift = np.array([gx0 << sh, gy0 << sh], np.int32)
            for st, q, v in group:
                q = q - shift
                # deepest along its middle, half as deep on its end segments (no blunt ends)
                if len(q) > 3:
                    cv2.polylines(m, [q[1:-1]], False, v, thick, cv2.LINE_AA, sh)
                    for e0, e1 in ((q[0], q[1]), (q[-2], q[-1])):
                        cv2.line(m, tuple(map(int, e0)), tuple(map(int, e1)), v // 2, thick, cv2.LINE_AA, sh)
                else:
                    cv2.polylines(m, [q], False, v, thick, cv2.LINE_AA, sh)
            mf = cv2.GaussianBlur(m, (0, 0), sigma).astype(np.float32)
            mf /= 255.0
            sub = dark[gy0:gy1, gx0:gx1]
            np.maximum(sub, mf, out=sub)
            used = [min(used[0], gx0), min(used[1], gy0), max(used[2], gx1), max(used[3], gy1)]
        light = None
        if spots:
            light = np.zeros_like(dark)
            for centre, rad, side in spots:
                a = cw[CREASES.index("cheek_bulge"), side] * DEPTH["cheek_bulge"]
                c = centre - o
                # only within 3.5 sigma of the spot (beyond, < 1/255 of its light)
                bx0, by0 = max(int(c[0] - 3.5 * rad), 0), max(int(c[1] - 3.5 * rad), 0)
                bx1, by1 = min(int(c[0] + 3.5 * rad) + 1, dark.shape[1]), min(int(c[1] + 3.5 * rad) + 1, dark.shape[0])
                if bx1 <= bx0 or by1 <= by0:
                    continue
                yy, xx = np.ogrid[by0:by1, bx0:bx1]
                g = np.exp(-(((xx - c[0]) ** 2) + ((yy - c[1]) * 1.3) ** 2) / (2 * rad * rad)).astype(np.float32)
                np.maximum(light[by0:by1, bx0:bx1], g * a, out=light[by0:by1, bx0:bx1])
                used = [min(used[0], bx0), min(used[1], by0), max(used[2], bx1), max(used[3], by1)]
        # only where something was drawn (elsewhere every factor is 1: the pixels stay as they are)
        ux0, uy0, ux1, uy1 = used
        if ux1 <= ux0 or uy1 <= uy0:
            return float(cw.max())
        dark = dark[uy0:uy1, ux0:ux1]
        light = None if light is None else light[uy0:uy1, ux0:ux1]
        x0, y0, x1, y1 = x0 + ux0, y0 + uy0, x0 + ux1, y0 + uy1
        return (x0, y0, x1, y1), dark, light, float(cw.max())

    def _shade_apply(self, out: np.ndarray, layer: tuple) -> float:
        """Blend a :meth:`_shade_layer` into ``out`` in place; returns its result."""
        (x0, y0, x1, y1), dark, light, result = layer
        # in float32, over the box only; every factor is positive (the shadow is lighter than black)
        under = out[y0:y1, x0:x1, :3].astype(np.float32)
        a = dark[..., None]
        # The fold's colour: the pixel's own brightness in the skin's shadow hue, SHADOW_HUE of the
        # way at full depth, then darker as deep as the skin's shadow is. Why not each channel scaled
        # by shadow / skin: on a pale, low-chroma highlight (t1-left's forehead and glabella,
        # (226, 209, 195) against cheeks of (223, 167, 117)) a scaled pixel stays low in chroma and
        # read as grey paint; on skin-hued pixels the two agree.
        res = under.mean(axis=2, keepdims=True) * self.shadow_hue
        res -= under
        res *= a * SHADOW_HUE
        res += under
        res *= 1.0 - a * (1.0 - self.shadow_depth)
        np.minimum(res, under, out=res)  # only ever darker, channel by channel
        if light is not None:
            k = light[..., None] * (self.light / self.skin - 1.0)
            k += 1.0
            res *= k
        res += 0.5
        np.minimum(res, 255.0, out=res)
        out[y0:y1, x0:x1, :3] = res.astype(np.uint8)
        return result

    def _undo_layer(self, shape: tuple, points: np.ndarray, lines: list, spots: list, uw: np.ndarray) -> "float | tuple":
        """The bands (and bulge factors) lifting the photo's own creases by the undo weights ``uw``
        (len(CREASES), 2) on a frame of ``shape`` (module docstring): the layer :meth:`_undo_apply`
        finishes, or its result where no pixel changes."""
        import cv2

        P = np.asarray(points, np.float64)[:, :2]
        S = max(float(np.linalg.norm(P[473] - P[468])), 4.0)
        bulge = CREASES.index("cheek_bulge")
        lines = [st for st in lines if st.crease != bulge and uw[st.crease, st.side] >= MIN_WEIGHT]
        spots = [sp for sp in spots if uw[bulge, sp[2]] >= MIN_WEIGHT]
        if not lines and not spots:
            return 0.0
        k = max(int(round(UNDO_KERNEL * S)) | 1, 3)  # odd
        pad = int(np.ceil(max([st.width * UNDO_WIDTH for st in lines] + [sp[1] * 3.5 for sp in spots]) + k + 3))
        allp = np.concatenate([st.points for st in lines] + [sp[0][None] for sp in spots])
        box = _padded_box(allp, pad, shape)
        if box is None:
            return 0.0
        x0, y0, x1, y1 = box
        o = np.array([x0, y0], np.float64)
        sh = 4
        mask = np.zeros((y1 - y0, x1 - x0), np.float32)
        used = [mask.shape[1], mask.shape[0], 0, 0]  # the box (x0, y0, x1, y1) the lifting can change
        for st in lines:
            a = uw[st.crease, st.side] * UNDO_DEPTH * st.strength
            thick = max(int(round(st.width * UNDO_WIDTH)), 1)
            # drawn and blurred in the stroke's own box (as _shade: the same values, a fraction of
            # the pixels; a blur of the whole box per stroke was ~25 ms of a neutral-rest frame)
            sigma = max(0.7, 0.25 * thick)
            margin = thick // 2 + 3 + int(np.ceil(4 * sigma))
            sx0 = max(int(np.floor(st.points[:, 0].min() - x0)) - margin, 0)
            sy0 = max(int(np.floor(st.points[:, 1].min() - y0)) - margin, 0)
            sx1 = min(int(np.ceil(st.points[:, 0].max() - x0)) + margin + 1, mask.shape[1])
            sy1 = min(int(np.ceil(st.points[:, 1].max() - y0)) + margin + 1, mask.shape[0])
            if sx1 - sx0 < 2 or sy1 - sy0 < 2:
                continue
            m = np.zeros((sy1 - sy0, sx1 - sx0), np.uint8)
            q = np.round((st.points - o) * (1 << sh)).astype(np.int32) - np.array([sx0 << sh, sy0 << sh], np.int32)
            cv2.polylines(m, [q], False, 255, thick, cv2.LINE_AA, sh)
            mf = cv2.GaussianBlur(m, (0, 0), sigma).astype(np.float32) * (a / 255.0)
            sub = mask[sy0:sy1, sx0:sx1]
            np.maximum(sub, mf, out=sub)
            used = [min(used[0], sx0), min(used[1], sy0), max(used[2], sx1), max(used[3], sy1)]
        # the face's own dark features are not creases: eyes, brows, lips, nostrils stay as they are
        keep = np.zeros(mask.shape, np.uint8)
        polys = [np.concatenate([P[list(L.EYE_UPPER[s])], P[list(L.EYE_LOWER[s])][::-1]]) for s in SIDES]
        polys += [np.concatenate([P[list(L.BROW_UPPER[s])], P[list(L.BROW_LOWER[s])][::-1]]) for s in SIDES]
        polys.append(np.concatenate([P[list(L.LIP_OUTER_UPPER)], P[list(L.LIP_OUTER_LOWER)][::-1]]))
        cv2.fillPoly(keep, [np.round((q - o) * (1 << sh)).astype(np.int32) for q in polys], 1, cv2.LINE_AA, sh)
        for s in SIDES:  # the nostril and the wing's own groove
            for c, r in ((0.5 * (P[L.NOSE_ALA[s]] + P[L.SUBNASALE]), 0.1), (P[L.NOSE_ALA[s]], 0.07)):
                cv2.circle(keep, tuple(int(v) for v in np.round((c - o) * (1 << sh))), int(r * S * (1 << sh)), 1, -1,
                           cv2.LINE_AA, sh)
        margin = max(int(round(2 * UNDO_KEEP * S)) | 1, 3)
        keep = cv2.dilate(keep, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (margin, margin)))
        free = 1.0 - np.clip(cv2.GaussianBlur(keep.astype(np.float32), (0, 0), max(0.5, 0.25 * margin)) * 2.0, 0.0, 1.0)
        mask *= free
        # Only the box where something changes is computed (the same values): the lifted bands, and
        # each bulge's light within 6 radii (beyond, its factor 1 + x has x < 2^-24: exactly 1.0 in
        # float32). Why: over the whole padded box this was ~10 ms of a neutral-rest frame.
        for centre, rad, side in spots:
            c = centre - o
            used = [min(used[0], max(int(np.floor(c[0] - 6 * rad)), 0)), min(used[1], max(int(np.floor(c[1] - 6 * rad)), 0)),
                    max(used[2], min(int(np.ceil(c[0] + 6 * rad)) + 1, mask.shape[1])),
                    max(used[3], min(int(np.ceil(c[1] + 6 * rad)) + 1, mask.shape[0]))]
        ux0, uy0, ux1, uy1 = used
        if ux1 <= ux0 or uy1 <= uy0:
            return float(max([uw[st.crease, st.side] for st in lines] + [uw[bulge, sp[2]] for sp in spots]))
        result = float(max([uw[st.crease, st.side] for st in lines] + [uw[bulge, sp[2]] for sp in spots]))
        free = free[uy0:uy1, ux0:ux1]
        factors = []  # (window in the computed box, the bulge's divisor there)
        for centre, rad, side in spots:  # the bulge's light taken back (as _shade lightens it)
            a = uw[bulge, side] * DEPTH["cheek_bulge"]
            c = centre - o
            # its own window (6 radii, as above) inside the computed box
            wx0, wy0 = max(int(np.floor(c[0] - 6 * rad)), ux0), max(int(np.floor(c[1] - 6 * rad)), uy0)
            wx1, wy1 = min(int(np.ceil(c[0] + 6 * rad)) + 1, ux1), min(int(np.ceil(c[1] + 6 * rad)) + 1, uy1)
            if wx1 <= wx0 or wy1 <= wy0:
                continue
            yy, xx = np.ogrid[wy0:wy1, wx0:wx1]
            g = np.exp(-(((xx - c[0]) ** 2) + ((yy - c[1]) * 1.3) ** 2) / (2 * rad * rad)).astype(np.float32)
            win = (slice(wy0 - uy0, wy1 - uy0), slice(wx0 - ux0, wx1 - ux0))
            factors.append((win, 1.0 + (g * a * free[win])[..., None] * (self.light / self.skin - 1.0)))
        return (x0, y0), (ux0, uy0, ux1, uy1), mask.shape, k, mask[uy0:uy1, ux0:ux1, None], factors, result

    def _undo_apply(self, out: np.ndarray, layer: tuple) -> float:
        """Lift the bands of an :meth:`_undo_layer` in ``out`` in place; returns its result."""
        import cv2

        (x0, y0), (ux0, uy0, ux1, uy1), (mh, mw), k, mask, factors, result = layer
        # the closing reaches k px: computed over the box grown by that (the whole box's edge stays its edge)
        cx0, cy0 = max(ux0 - k - 1, 0), max(uy0 - k - 1, 0)
        cx1, cy1 = min(ux1 + k + 1, mw), min(uy1 + k + 1, mh)
        lifted = cv2.morphologyEx(out[y0 + cy0:y0 + cy1, x0 + cx0:x0 + cx1, :3], cv2.MORPH_CLOSE,
                                  cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        lifted = lifted[uy0 - cy0:uy1 - cy0, ux0 - cx0:ux1 - cx0]
        roi = out[y0 + uy0:y0 + uy1, x0 + ux0:x0 + ux1, :3]
        res = roi.astype(np.float32)
        res += (lifted.astype(np.float32) - res) * mask
        for win, divisor in factors:
            res[win] /= divisor
        roi[...] = np.clip(res + 0.5, 0, 255).astype(np.uint8)
        return result
