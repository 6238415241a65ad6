"""Expression creases on the avatar's skin: the folds an expression makes, shaded into the texture
as deep as a frame's weights ask.

The baked texture has the photo's own folds taken out (:func:`.texture.flatten_creases`), and a
468-point mesh is too coarse to fold; so, as the 2D portrait animator does (its ``creases`` module,
the idea, not the code), a frame's Unified Expressions weights darken thin soft bands of the skin
where a face folds: the nasolabial folds from the nose wing round to beside the mouth corner (corner pull, cheek squint, upper lip
raise), their upper part in one arc from the wing down and out to beside the corner (sneer), two
vertical furrows from beside the nose root up between the brows into the forehead (brow lowering and pinch), three lines across the forehead
(its middle for the inner brow raise, AU1; its sides for the outer, AU2), crow's feet at the outer eye corners (cheek and eye squint), short lines across the
upper nose (the sneer's wrinkling, AU9: disgust), a fold under each lower lid (the cheek's bunching
under a smile, AU6). The shadow is the skin's
own colour, darker and a little redder. With every driving weight zero the texture is untouched.

The bands are drawn once per avatar in texture space from the landmarks' texture coordinates (the
first 478 skin vertices; :func:`.head.frontal_layout` is the face's frontal view, ``UV_SPAN`` IPD
across), so an avatar read back from its file (:class:`.player.AvatarPlayer`) gets the same ones.
"""

from __future__ import annotations

import numpy as np

from ..expressions.names import UE_INDEX

# crease -> per side ("{}" = Left/Right) {UE shape: drive}; a crease's weight is the sum clipped to [0, 1].
DRIVERS = {
    # the smile's fold (AU12, AU6) runs out round the raised cheek to beside the mouth corner; the
    # sneer (AU9) deepens the furrow's upper part (FACS), down and out from the wing in one arc: drawn
    # on the smile's path, the disgusted face had a bracket round its mouth. The upper lip's raise
    # (AU10) stays on the smile's path: moved to the arc too, the re-track's smiles and talking frames
    # that raise the upper lip changed enough for the capture stage to take the brow lowering's r
    # under its target (0.802 -> 0.7999, single_face, 36 frames), and the smile's fold is what it is
    # with them
    "nasolabial": {"MouthCornerPull{}": 0.8, "CheekSquint{}": 0.6, "MouthUpperUp{}": 0.5},
    "nasolabial_upper": {"NoseSneer{}": 0.7},
    # the vertical furrows are the corrugator's, which draws the brows together (BrowPinch): at full
    # weight for the pinch, not half of it, so the fear brow's AU4 (BrowPinch 0.4 with the brows
    # raised, which ue_to_arkit turns into a 0.01 IPD drop) shows its furrows
    "glabella": {"BrowLowerer{}": 0.7, "BrowPinch{}": 1.0},
    # AU1 wrinkles the middle of the forehead, AU2 its sides (FACS): lines across the whole forehead
    # for the inner raise alone gave sadness's and fear's raised inner brows surprise's forehead
    "forehead": {"BrowInnerUp{}": 1.0, "BrowOuterUp{}": 0.3},  # the middle, over the inner brow
    # ... and brows drawn together and down (AU4) keep the raised brows' lines to the middle: fear's
    # AU1+2+4 brow wrinkles the centre of the forehead, not across it as surprise does (Ekman and
    # Friesen, "Unmasking the Face", the fear brow); the drive is clipped at 0
    "forehead_side": {"BrowOuterUp{}": 1.0, "BrowInnerUp{}": 0.2, "BrowPinch{}": -1.0, "BrowLowerer{}": -1.0},  # the sides, over the brow's tail
    "crows_feet": {"CheekSquint{}": 1.0, "EyeSquint{}": 0.4},
    "nose_wrinkle": {"NoseSneer{}": 1.0},
    "infraorbital": {"CheekSquint{}": 1.0, "EyeSquint{}": 0.3},
}
# Share of the way to the shadow colour at full weight (the 2D animator's depths).
DEPTH = {"nasolabial": 0.8, "nasolabial_upper": 0.8, "glabella": 0.6, "forehead": 0.5, "forehead_side": 0.5, "crows_feet": 0.6, "nose_wrinkle": 0.6,
         "infraorbital": 0.5}
SHADOW_TINT = np.array([0.6, 0.47, 0.45], np.float32)  # a fold's shadow: the skin's colour, darker, redder
FOREHEAD_MIDDLE = 0.3  # IPD from the midline: the forehead's middle lines (AU1) end, its side lines (AU2) begin
WIDTH = 0.014  # IPD: a crease line's half-width before blurring
SOFT = 0.012  # IPD: its blur
SIDES = ("Left", "Right")
# The smile's fold is shaded, not drawn (:func:`_soft_fold`): a line of WIDTH and SOFT along the
# bracket read as a box round the mouth beside real smiles. IPD, the shadow's spread (Gaussian sigma)
# on the cheek's side and on the lips' side of the groove:
SOFT_FOLDS = ("nasolabial",)
FOLD_SIGMA = (0.01, 0.02)
# along the fold (0 at the wing, 1 beside the corner): full depth from FOLD_ONSET, fading from
# FOLD_FADE[0] to FOLD_FADE[1] of the way down to FOLD_FADE[2] of its depth at the lower end
FOLD_ONSET, FOLD_FADE = 0.12, (0.4, 1.0, 0.15)
# MediaPipe landmarks per side (subject's left, right): nose wing, mouth corner, outer eye corner,
# brow top.
_NASOLABIAL = {"Left": (358, 423, 426), "Right": (129, 203, 206)}  # nose wing -> the cheek beside the nose
# where the fold ends: beside the mouth corner (IPD outward) and a little above it, as on a real posed
# smile (0-f15-hao-ph: the fold runs from the wing through 203/206 in to the corner, a "(" round the
# mouth); ended below the corner it went on down the chin, a marionette line: 0-f1-su-ph's smile read
# fearful with it
_FOLD_END = (0.05, 0.03)
_SMILE_FOLD_END = (0.09, 0.01)
_MOUTH_CORNER = {"Left": 291, "Right": 61}
_OUTER_EYE = {"Left": 263, "Right": 33}
_BROW_TOP = {"Left": 334, "Right": 105}
_NOSE_ROOT = 168
# The frown's vertical furrows (AU4: corrugator and procerus) run from beside the nose root up between
# the inner brow heads into the forehead, a little apart at the top: on four real posed angers
# (15-f13-anc-ph; CK+ S113_008 f19, S074_004 f18, S125_008 f10, read against 0.1-IPD ticks above
# landmark 168) they reach 0.3-0.45 IPD above the nose root, 0.045-0.08 IPD either side of the
# midline. Drawn only to 0.06 above the inner brow's lower edge (~0.18 above the root) they were two
# short bars between the brows; hao's, single_face's anger read neutral with them.
_GLABELLA = ((0.05, 0.02), (0.075, 0.40))  # (IPD from the midline, IPD above the nose root): bottom, top
_LOWER_LID = {"Left": (381, 380, 374, 373, 390, 249), "Right": (154, 153, 145, 144, 163, 7)}  # inner -> outer


def _smooth(points: np.ndarray, n: int = 8) -> np.ndarray:
    """A Catmull-Rom curve through ``points`` (P, 2), ``n`` samples per segment."""
    p = np.concatenate([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, n, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        a, b, c, d = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(0.5 * (2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t ** 2 + (3 * b - a - 3 * c + d) * t ** 3))
    out.append(points[-1:])
    return np.concatenate(out)


def _fold_curve(chain: np.ndarray, n: int = 32) -> np.ndarray:
    """The nasolabial fold (n, 2) as one smooth arc: a quadratic Bezier from the wing (``chain[0]``) to
    beside the mouth corner (``chain[-1]``), drawn towards the cheek's landmark (``chain[-2]``) but not
    through it: through it the curve turned there and ran straight down, a bracket round the mouth."""
    t = np.linspace(0, 1, n)[:, None]
    a, c, b = chain[0], chain[-2], chain[-1]
    return (1 - t) ** 2 * a + 2 * t * (1 - t) * c + t ** 2 * b


def _paths(uv: np.ndarray, span: float) -> dict[tuple[str, str], list[np.ndarray]]:
    """Crease polylines in texture coordinates, per (crease, side), from the landmarks' uv (478, 2)."""
    def at(i):  # a landmark in the face frame's x, y (IPD), from its uv
        return np.array([(uv[i, 0] - 0.5) * span, -uv[i, 1] * span])

    def to_uv(p):
        p = np.atleast_2d(p)
        return np.stack([0.5 + p[:, 0] / span, -p[:, 1] / span], -1)

    out = {}
    for side in SIDES:
        sx = np.sign(at(_MOUTH_CORNER[side])[0] - at(_MOUTH_CORNER["Left" if side == "Right" else "Right"])[0])
        # from beside the nose wing, out over the cheek's edge and back in to beside the mouth corner
        corner = at(_MOUTH_CORNER[side])
        chain = np.array([*(at(i) for i in _NASOLABIAL[side]), corner + [sx * _FOLD_END[0], _FOLD_END[1]]])
        chain[0] += [sx * 0.03, -0.03]
        smile = chain.copy()
        smile[-1] = corner + [sx * _SMILE_FOLD_END[0], _SMILE_FOLD_END[1]]
        out["nasolabial", side] = [to_uv(_fold_curve(smile))]
        out["nasolabial_upper", side] = [to_uv(_fold_curve(chain))]
        root = at(_NOSE_ROOT)
        out["glabella", side] = [to_uv(np.array([[sx * x, root[1] + h] for x, h in reversed(_GLABELLA)]))]
        eye = at(_OUTER_EYE[side])
        fan = []
        for ang in (-30.0, 0.0, 30.0):
            a = np.radians(ang)
            d = np.array([sx * np.cos(a), np.sin(a)])
            fan.append(to_uv(np.stack([eye + d * 0.08, eye + d * 0.22])))
        out["crows_feet", side] = fan
        top = at(_BROW_TOP[side])
        for crease, (a, b) in (("forehead", (0.0, FOREHEAD_MIDDLE)), ("forehead_side", (FOREHEAD_MIDDLE, 0.6))):
            lines = []
            for h in (0.16, 0.28, 0.40):
                xs = np.linspace(sx * a, sx * b, 10)
                ys = top[1] + h + 0.05 * (1 - (xs / 0.6) ** 2)
                lines.append(to_uv(np.stack([xs, ys], -1)))
            out[crease, side] = lines
        # a sneer (AU9) wrinkles the skin across the upper nose: short lines from the dorsum down
        # and out over the side of the nose, below its root
        root = at(_NOSE_ROOT)
        out["nose_wrinkle", side] = [to_uv(np.array([[sx * 0.015, root[1] - h], [sx * 0.13, root[1] - h - 0.05]]))
                                     for h in (0.10, 0.17, 0.24)]
        # a raised cheek (AU6: the smile's cheek squint) bunches the skin under the eye: a fold below
        # the lower lid, from under the pupil's inner edge to the outer corner
        lid = np.array([at(i) for i in _LOWER_LID[side]])
        lid[:, 1] -= np.linspace(0.07, 0.09, len(lid))
        out["infraorbital", side] = [to_uv(_smooth(lid))]
    return out


def _soft_fold(curve: np.ndarray, size: int, per_ipd: float, outward: float) -> np.ndarray:
    """A fold's mask (size, size) in [0, 1] along ``curve`` (n, 2) in texels, wing first: a groove
    whose shadow is sharp on the cheek's side and spreads softly towards the lips
    (:data:`FOLD_SIGMA`), deepest below the wing and fading towards its lower end
    (:data:`FOLD_ONSET`, :data:`FOLD_FADE`), as a smile's fold is shaded on real posed smiles (CK+ S052_004, S055_005,
    S074_005; 0-f15-hao-ph): the cheek's bulge over a soft shadow, no drawn line."""
    from scipy.spatial import cKDTree

    m = np.zeros((size, size), np.float32)
    sig_out, sig_in = (s * per_ipd for s in FOLD_SIGMA)
    reach = 4 * max(sig_out, sig_in)  # the shadow is < 0.1 % of its depth beyond
    x0, y0 = np.floor(curve.min(axis=0) - reach).astype(int).clip(0, size - 1)
    x1, y1 = np.ceil(curve.max(axis=0) + reach).astype(int).clip(1, size)
    # resampled every half texel, so the nearest sample is the nearest point of the curve
    seg = np.linalg.norm(np.diff(curve, axis=0), axis=1)
    s = np.concatenate([[0], np.cumsum(seg)])
    t = np.linspace(0, s[-1], max(int(s[-1] * 2), 2))
    pts = np.stack([np.interp(t, s, curve[:, 0]), np.interp(t, s, curve[:, 1])], -1)
    tangent = np.gradient(pts, axis=0)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], -1)
    normal *= (np.sign(normal[:, 0] * outward + 1e-9) / np.linalg.norm(normal, axis=1))[:, None]  # to the cheek
    u = np.clip((t / t[-1] - FOLD_FADE[0]) / (FOLD_FADE[1] - FOLD_FADE[0]), 0, 1)
    onset = np.clip(t / t[-1] / FOLD_ONSET, 0, 1)
    along = onset * onset * (3 - 2 * onset) * (1 - (1 - FOLD_FADE[2]) * u * u * (3 - 2 * u))
    yy, xx = np.mgrid[y0:y1, x0:x1]
    texels = np.stack([xx.ravel(), yy.ravel()], -1).astype(np.float64)
    dist, near = cKDTree(pts).query(texels)
    across = np.einsum("tc,tc->t", texels - pts[near], normal[near])  # > 0 on the cheek's side
    width = np.where(across > 0, sig_out, sig_in)
    ends = np.sqrt(np.maximum(dist ** 2 - across ** 2, 0))  # along the curve beyond its ends: no round caps
    m[y0:y1, x0:x1] = (along[near] * np.exp(-0.5 * (across / width) ** 2) * np.exp(-0.5 * (ends / sig_out) ** 2)).reshape(xx.shape)
    return m


class CreaseShader:
    """The avatar's crease bands, drawn once; :meth:`apply` shades a texture for a frame's weights.

    Parameters
    ----------
    landmark_uv : np.ndarray [shape=(478, 2)]
        Texture coordinates of the face's landmarks (0..1, v down).
    size : int
        The texture's side in texels.
    span : float
        IPD across the texture (``head.UV_SPAN``).
    """

    def __init__(self, landmark_uv: np.ndarray, size: int, span: float) -> None:
        import cv2

        per_ipd = size / span
        self.keys = []
        masks = []
        paths = _paths(np.asarray(landmark_uv, np.float64), span)
        centre_u = float(np.mean(np.asarray(landmark_uv, np.float64)[list(_MOUTH_CORNER.values()), 0]))
        for key, lines in paths.items():
            if key[0] in SOFT_FOLDS:
                masks.append(_soft_fold(lines[0] * size, size, per_ipd, np.sign(lines[0][-1, 0] - centre_u)))
                self.keys.append(key)
                continue
            m = np.zeros((size, size), np.float32)
            for line in lines:
                pts = np.round(line * size * 8).astype(np.int32)  # 3 bits of sub-pixel precision
                cv2.polylines(m, [pts], False, 1.0, thickness=max(1, int(round(2 * WIDTH * per_ipd))),
                              lineType=cv2.LINE_AA, shift=3)
            masks.append(cv2.GaussianBlur(m, (0, 0), max(SOFT * per_ipd, 0.5)))
            self.keys.append(key)
        stack = np.stack(masks)
        ys, xs = np.nonzero(stack.max(axis=0) > 1e-3)
        self.box = (ys.min(), ys.max() + 1, xs.min(), xs.max() + 1) if len(ys) else (0, 0, 0, 0)
        y0, y1, x0, x1 = self.box
        self.masks = np.ascontiguousarray(stack[:, y0:y1, x0:x1])  # (K, h, w)
        drive = np.zeros((len(self.keys), len(UE_INDEX)), np.float32)
        for k, (crease, side) in enumerate(self.keys):
            for name, v in DRIVERS[crease].items():
                drive[k, UE_INDEX[name.format(side)]] = v
        self.drive = drive  # (K, 88)
        self.depth = np.array([DEPTH[c] for c, _ in self.keys], np.float32)
        # each crease's own box (a few percent of the texture): only those texels are shaded and,
        # on the next frame, restored in a working copy — a 1024² texture is not copied per frame
        self._parts = []
        for k in range(len(self.keys)):
            yy, xx = np.nonzero(self.masks[k] > 1e-3)
            if not len(yy):
                self._parts.append(None)
                continue
            b = (y0 + yy.min(), y0 + yy.max() + 1, x0 + xx.min(), x0 + xx.max() + 1)
            crop = self.masks[k, b[0] - y0:b[1] - y0, b[2] - x0:b[3] - x0]
            self._parts.append((b, np.ascontiguousarray(crop[..., None] * (1.0 - SHADOW_TINT))))
        self._work = None  # (source texture, working copy, boxes shaded last)

    def amounts(self, weights: np.ndarray) -> np.ndarray:
        """Darkening at each crease's deepest (K,) for UE weights (88,)."""
        w = np.clip(np.nan_to_num(np.asarray(weights, np.float32)), 0, 1)
        return np.clip(self.drive @ w, 0, 1) * self.depth

    def apply(self, texture: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """``texture`` (T, T, 3) with the creases of UE ``weights`` (88,) shaded in: ``texture``
        itself when no crease is driven, else a working copy that stays valid until the next call
        (each fold darkens towards the skin's shadow colour, multiplied in where folds meet)."""
        if weights is None:
            return texture
        a = self.amounts(weights)
        if a.max() <= 1e-3:
            return texture
        if self._work is None or self._work[0] is not texture:
            self._work = (texture, np.array(texture, copy=True), [])
        src, out, shaded = self._work
        for y0, y1, x0, x1 in shaded:  # undo the last frame's creases
            out[y0:y1, x0:x1] = src[y0:y1, x0:x1]
        shaded.clear()
        for amount, part in zip(a, self._parts):
            if amount <= 1e-3 or part is None:
                continue
            (y0, y1, x0, x1), shadow = part
            out[y0:y1, x0:x1] *= 1.0 - amount * shadow
            shaded.append((y0, y1, x0, x1))
        return out


__all__ = ["CreaseShader", "DEPTH", "DRIVERS"]
