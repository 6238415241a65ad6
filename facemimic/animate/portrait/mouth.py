"""The mouth interior: dark oral cavity, upper and lower teeth and tongue, painted where the lips
part further than in the source photo (which usually shows a closed or barely open mouth).

The warp stretches whatever lay between the lips (a seam of lip pixels, or the source's own
teeth); once the opening is larger than the source's, that stretched strip is replaced, blending in
as the opening grows, by a synthesised interior lit to match the face ("Bringing Portraits to
Life" hallucinates the inner mouth the same way, from a generic model).
"""

from __future__ import annotations

import numpy as np

from . import landmarks as L

CAVITY_DEEP = np.array([24, 8, 10], np.float32)  # RGB at the back of the mouth
CAVITY_EDGE = np.array([92, 38, 42], np.float32)  # RGB just inside the lips
TEETH = np.array([242, 236, 224], np.float32)
TONGUE = np.array([184, 90, 96], np.float32)


def _poly(points: np.ndarray) -> np.ndarray:
    """Inner-lip polygon (22, 2): upper lip right -> left, then lower lip left -> right."""
    return np.concatenate([points[list(L.LIP_INNER_UPPER)], points[list(L.LIP_INNER_LOWER)][::-1]])


class MouthPainter:
    """Paints the mouth interior of one face (precomputed per source).

    Parameters
    ----------
    points : np.ndarray [shape=(478, 2)]
        Source landmark pixels.
    down : np.ndarray [shape=(2,)]
        Unit vector towards the chin.
    scale : float
        Pixels per inter-ocular distance.
    image : np.ndarray [shape=(H, W, C), dtype=uint8]
        The source, to light the interior like the face.
    """

    def __init__(self, points: np.ndarray, down: np.ndarray, scale: float, image: np.ndarray) -> None:
        self.down = np.asarray(down, np.float64)
        self.scale = float(scale)
        self.source_open = self.opening(points)
        # Light the interior like the skin around the mouth (dark photos, drawings).
        cheek = np.asarray(points)[[205, 425, 18, 200]].astype(int)  # cheeks and chin, MediaPipe ids
        h, w = image.shape[:2]
        xs = np.clip(cheek[:, 0], 0, w - 1)
        ys = np.clip(cheek[:, 1], 0, h - 1)
        skin = image[ys, xs, :3].astype(np.float32).mean(0)
        self.light = float(np.clip(skin.mean() / 170.0, 0.45, 1.25))

    def opening(self, points: np.ndarray) -> float:
        """Lip opening in pixels at the middle of the mouth."""
        up = np.asarray(points)[list(L.LIP_INNER_UPPER[3:8])]
        lo = np.asarray(points)[list(L.LIP_INNER_LOWER[3:8])]
        return float(max(np.mean((lo - up) @ self.down), 0.0))

    def amount(self, points: np.ndarray, jaw_gap: float | None = None) -> float:
        """How much of the synthesised interior shows (0..1) for a moved mouth.

        When the photo shows its own mouth interior (teeth), lips parted by a smile or a raised
        lip keep the photo's own (stretched) teeth, which look more real than painted ones; the
        painting fades in only as the *jaw* drops (``jaw_gap`` px; None: the whole opening).
        """
        h = self.opening(points)
        ref = max(self.source_open, 0.05 * self.scale, 1.5)
        if self.source_open > 0.05 * self.scale:
            jaw = h - self.source_open if jaw_gap is None else jaw_gap
            return float(np.clip((jaw / ref - 0.3) / 0.7, 0.0, 1.0))
        return float(np.clip(2.0 * (h - self.source_open) / ref, 0.0, 1.0))

    def paint(self, out: np.ndarray, points: np.ndarray, *, tongue_out: float = 0.0,
              jaw_gap: float | None = None) -> float:
        """Paint into ``out`` (H, W, C) uint8 in place for landmarks ``points`` (478, 2); returns
        the amount painted (0 = nothing to do).

        ``jaw_gap`` (px) is how far the jaw itself dropped: lips parted by a smile or a raised
        upper lip show teeth meeting (a grin), a dropped jaw shows the dark gap between them.
        None: assume the whole opening is the jaw's.
        """
        import cv2

        a = self.amount(points, jaw_gap)
        if a <= 0.01:
            return 0.0
        poly = _poly(points)
        h, w = out.shape[:2]
        x0 = int(max(np.floor(poly[:, 0].min()) - 3, 0))
        y0 = int(max(np.floor(poly[:, 1].min()) - 3, 0))
        x1 = int(min(np.ceil(poly[:, 0].max()) + 4, w))
        y1 = int(min(np.ceil(poly[:, 1].max()) + 4 + (0.3 * self.scale if tongue_out > 0 else 0), h))
        if x1 - x0 < 3 or y1 - y0 < 3:
            return 0.0
        rw, rh = x1 - x0, y1 - y0
        o = np.array([x0, y0], np.float64)
        sh = 4  # sub-pixel bits for drawing
        k = float(1 << sh)

        def ipoly(p):
            return np.round((np.asarray(p) - o) * k).astype(np.int32)

        mask = np.zeros((rh, rw), np.uint8)
        cv2.fillPoly(mask, [ipoly(poly)], 255, cv2.LINE_AA, sh)
        centre = (points[13] + points[14]) / 2
        half_w = max(np.linalg.norm(points[308] - points[78]) / 2, 2.0)
        open_h = max(self.opening(points), 1.0)
        right = (points[308] - points[78]) / (2 * half_w)  # unit vector along the mouth
        yy, xx = np.mgrid[0:rh, 0:rw].astype(np.float32)
        rx, ry = xx + x0 - centre[0], yy + y0 - centre[1]
        along = (rx * right[0] + ry * right[1]) / half_w  # -1 .. 1 corner to corner
        down = (rx * self.down[0] + ry * self.down[1]) / (0.5 * open_h + 1)  # -1 top .. 1 bottom
        soft = max(0.6, 0.012 * self.scale)  # edge softness in px, grows with the face
        # Cavity: dark at the back, a little lighter towards the lips, shadowed under the upper lip.
        r = np.clip(np.sqrt(along ** 2 + 0.6 * down ** 2), 0, 1)[..., None]
        img = CAVITY_DEEP + (CAVITY_EDGE - CAVITY_DEEP) * r ** 2
        # Tongue: a low mound on the floor of the mouth (raised and forward for TongueOut).
        lift = 0.55 - 0.35 * tongue_out
        t_c = points[14] + self.down * (lift * open_h * 0.5)
        t_ax = (0.60 * half_w, max((0.35 + 0.25 * tongue_out) * open_h, 1.0))
        tm = np.zeros((rh, rw), np.uint8)
        ang = float(np.degrees(np.arctan2(right[1], right[0])))
        tc = ipoly(t_c)
        cv2.ellipse(tm, (int(tc[0]), int(tc[1])), (int(t_ax[0] * k), int(t_ax[1] * k)), ang, 0, 360, 255, -1,
                    cv2.LINE_AA, sh)
        tm = cv2.GaussianBlur(tm, (0, 0), soft * 1.5).astype(np.float32)[..., None] / 255.0
        t_shade = np.clip(0.55 + 0.45 * (1 - np.abs(along)) - 0.25 * np.clip(-down, 0, 1), 0.4, 1.0)[..., None]
        img = img * (1 - tm * 0.9) + TONGUE * t_shade * tm * 0.9
        # Upper incisors and canines hang from the upper lip over the middle of the mouth.
        up = points[list(L.LIP_INNER_UPPER)]
        lo = points[list(L.LIP_INNER_LOWER)]
        teeth_h = min(0.38 * open_h, 0.14 * self.scale)
        pos = np.clip(((up - centre) @ right) / half_w, -1, 1)  # where each lip point sits along the mouth
        keep = np.abs(pos) <= 0.72
        prof = np.clip(1.0 - 0.6 * pos ** 2, 0, 1)[keep]
        top = up[keep] - self.down * 1.0
        bottom = (up[keep] + self.down * (teeth_h * prof)[:, None])[::-1]
        um = np.zeros((rh, rw), np.uint8)
        cv2.fillPoly(um, [ipoly(np.concatenate([top, bottom]))], 255, cv2.LINE_AA, sh)
        um = cv2.GaussianBlur(um, (0, 0), soft).astype(np.float32)[..., None] / 255.0
        # Gaps between teeth: faint darker lines, central incisors ~0.13 inter-ocular distances wide.
        tooth = 0.13 * self.scale / half_w
        phase = np.abs(((along / tooth) + 0.5) % 1.0 - 0.5)  # 0 at a gap
        gaps = np.exp(-(phase * tooth * half_w / max(soft, 0.7)) ** 2 * 2.0)[..., None]
        lit = np.clip(1.0 - 0.5 * np.abs(along) ** 1.5, 0.45, 1.0)[..., None]  # darker to the sides
        teeth = TEETH * lit * (1.0 - 0.22 * gaps) * (0.93 + 0.07 * np.clip(-down, -1, 1))[..., None]
        img = img * (1 - um) + teeth * um / np.sqrt(self.light)  # teeth stay bright in dim light
        # Lower teeth: they fill what the upper teeth and the jaw's gap leave of the opening
        # (a grin), or just show their edges when the jaw is well open.
        gap = open_h if jaw_gap is None else float(np.clip(jaw_gap, 0.0, open_h))
        low_h = float(np.clip(open_h - teeth_h - gap, 0.0, 0.12 * self.scale))
        if open_h > 0.2 * self.scale and tongue_out < 0.3:
            low_h = max(low_h, 0.25 * teeth_h)
        if low_h > 0.5 and tongue_out < 0.3:
            keep_l = np.abs(pos) <= (0.5 if low_h <= 0.25 * teeth_h + 1e-6 else 0.65)
            prof_l = np.clip(1.0 - 0.6 * pos ** 2, 0, 1)[keep_l]
            lt = (lo[keep_l] - self.down * (low_h * prof_l)[:, None])
            lm = np.zeros((rh, rw), np.uint8)
            cv2.fillPoly(lm, [ipoly(np.concatenate([lt, lo[keep_l][::-1]]))], 255, cv2.LINE_AA, sh)
            lm = cv2.GaussianBlur(lm, (0, 0), soft).astype(np.float32)[..., None] / 255.0 * 0.7
            img = img * (1 - lm) + TEETH * 0.8 * lit * lm
        # Shadow under the upper lip.
        shadow = 1.0 - 0.35 * np.exp(-np.clip(down + 1.0, 0, None) * 3.0)[..., None]
        img = img * shadow * self.light
        alpha = cv2.GaussianBlur(mask, (0, 0), soft).astype(np.float32)[..., None] / 255.0 * a
        roi = out[y0:y1, x0:x1]
        rgb = roi[..., :3].astype(np.float32)
        roi[..., :3] = np.clip(rgb + (img - rgb) * alpha + 0.5, 0, 255).astype(np.uint8)
        if roi.shape[2] == 4:  # the mouth is opaque even on a half-transparent drawing
            roi[..., 3] = np.maximum(roi[..., 3], (alpha[..., 0] * 255).astype(np.uint8))
        return a
