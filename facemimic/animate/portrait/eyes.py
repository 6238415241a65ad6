"""Irises that move inside the eye (gaze) and a lash line on closed lids.

Per source eye (precomputed): the visible eye opening (lid polygon), the iris disc (centre and
radius from MediaPipe's iris landmarks), a copy of the eye with the iris painted out (OpenCV
inpainting: the white of the eye and lid shadow flow in) and the iris itself as a soft-edged
patch. Per frame the iris patch is pasted at its new place into a working copy of the source,
clipped to the eye opening, *before* the warp — so the eyelids then close over the moved iris.

Gaze (VRCFT units, ``x = tan(angle)``; +x the subject's right, +y up) moves the iris by the
eyeball's radius (about 0.42 of the eye's width) times ``sin(angle)``; an eye whose lids show no
iris (a downcast slit, :func:`iris_shown`) is left as the photo draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import landmarks as L

EYEBALL_RADIUS = 0.42  # eyeball radius / eye width (12 mm vs a ~29 mm palpebral fissure)
# Lids less than this far apart (the widest gap between the chains, IPD) show no iris: what the
# iris landmarks enclose is lid margin and lashes, and the rig does not move it. A human iris is
# ~0.19 IPD across; the threshold is ~0.38 of it, set between the benchmark's narrowest eyes that
# show their irises and its one slit: open eyes 0.14-0.17, a smile's squint 0.10-0.107 (0-f15-hao,
# single_face), a frown's 0.078-0.087 (15-f13-anc: irises half covered, still seen), insightface
# t1.jpg's leftmost face looking down at her cards 0.063-0.067 (only the lash line is seen).
IRIS_SHOWN_GAP = 0.072


@dataclass
class _Eye:
    side: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the eye patch in the image
    centre: np.ndarray  # (2,) iris centre, image px
    radius: float  # iris radius, px
    width: float  # eye width (corner to corner), px
    opening: np.ndarray  # (h, w, 1) float32 soft mask of the visible eye, patch coordinates
    clean: np.ndarray  # (h, w, C) float32: the eye with the iris painted out
    iris: np.ndarray  # (h, w, C) float32: the source patch (iris visible where ``iris_alpha`` > 0)
    iris_alpha: np.ndarray  # (h, w) float32 soft iris disc inside the opening
    shown: bool = True  # the lids show an iris (:func:`iris_shown`); if not, the rig leaves it


def iris_shown(upper: np.ndarray, lower: np.ndarray, ipd: float) -> bool:
    """Whether a photo's lids show an iris the rig can move: their widest gap is at least
    :data:`IRIS_SHOWN_GAP` IPD.

    Why: a downcast eye's slit holds lid margin and lashes, not an iris. Moving that "iris" up for
    a gaze ahead moved the lash line up and left an inpainted smear below (t1-left: grey-brown
    eyes on every frame, re-tracked 0.23/0.41 open at rest, 0.42/0.54 without the move).

    Parameters
    ----------
    upper, lower : np.ndarray [shape=(9, 2)]
        The lid chains (corner to corner), px.
    ipd : float
        Inter-pupil distance, px.
    """
    gap, _ = _lid_gap(np.asarray(upper, np.float64), np.asarray(lower, np.float64))
    return bool(gap >= IRIS_SHOWN_GAP * ipd)


class EyeRig:
    """Moves both irises of one face.

    Parameters
    ----------
    points : np.ndarray [shape=(478, 2)]
        Source landmark pixels (468..477 are the irises).
    image : np.ndarray [shape=(H, W, C), dtype=uint8]
        The source (RGB or RGBA).
    rotation : np.ndarray [shape=(2, 2)]
        Face axes in the image (columns: towards the subject's left, towards the chin).
    """

    def __init__(self, points: np.ndarray, image: np.ndarray, rotation: np.ndarray) -> None:
        import cv2

        self.rotation = np.asarray(rotation, np.float64)
        self.eyes: list[_Eye] = []
        h, w = image.shape[:2]
        pts = np.asarray(points, np.float64)
        ipd = float(np.linalg.norm(pts[L.IRIS_CENTRE["right"]] - pts[L.IRIS_CENTRE["left"]]))
        for side in ("right", "left"):
            lid = np.concatenate([pts[list(L.EYE_UPPER[side])], pts[list(L.EYE_LOWER[side])][::-1]])
            width = float(np.linalg.norm(pts[L.EYE_UPPER[side][0]] - pts[L.EYE_UPPER[side][-1]]))
            ring = pts[list(L.IRIS_RING[side])]
            centre = pts[L.IRIS_CENTRE[side]]
            radius = float(np.mean(np.linalg.norm(ring - centre, axis=1)))
            if width < 6 or radius < 1.5:  # too small to bother (or a failed mesh)
                continue
            m = int(np.ceil(radius * 1.5 + 3))
            x0 = int(max(np.floor(lid[:, 0].min()) - m, 0))
            y0 = int(max(np.floor(lid[:, 1].min()) - m, 0))
            x1 = int(min(np.ceil(lid[:, 0].max()) + m, w))
            y1 = int(min(np.ceil(lid[:, 1].max()) + m, h))
            patch = np.ascontiguousarray(image[y0:y1, x0:x1])
            o = np.array([x0, y0])
            sh, k = 4, 16.0
            opening = np.zeros(patch.shape[:2], np.uint8)
            cv2.fillPoly(opening, [np.round((lid - o) * k).astype(np.int32)], 255, cv2.LINE_AA, sh)
            disc = np.zeros_like(opening)
            c = np.round((centre - o) * k).astype(np.int32)
            cv2.circle(disc, (int(c[0]), int(c[1])), int(round(radius * 1.08 * k)), 255, -1, cv2.LINE_AA, sh)
            # Paint the iris out (inside the opening) so a moved iris leaves the white of the eye.
            hole = cv2.dilate(((disc > 0) & (opening > 0)).astype(np.uint8) * 255, np.ones((3, 3), np.uint8))
            rgb = np.ascontiguousarray(patch[..., :3][..., ::-1])
            clean_bgr = cv2.inpaint(rgb, hole, max(2.0, radius * 0.6), cv2.INPAINT_TELEA)
            clean = patch.astype(np.float32).copy()
            clean[..., :3] = clean_bgr[..., ::-1]
            op = cv2.GaussianBlur(opening, (3, 3), 0.6).astype(np.float32) / 255.0
            iris_alpha = (cv2.GaussianBlur(disc, (3, 3), 0.7).astype(np.float32) / 255.0) * op
            shown = iris_shown(pts[list(L.EYE_UPPER[side])], pts[list(L.EYE_LOWER[side])], ipd)
            self.eyes.append(_Eye(side, (x0, y0, x1, y1), centre, radius, width, op[..., None], clean,
                                  patch.astype(np.float32), iris_alpha, shown))

    def offsets(self, gaze: np.ndarray) -> list[np.ndarray]:
        """Iris shift in pixels per eye (right, left order of :attr:`eyes`) for gaze (2, 2); none
        where the photo's lids show no iris (``_Eye.shown``)."""
        out = []
        for e in self.eyes:
            gx, gy = gaze[0 if e.side == "right" else 1]
            ang_x, ang_y = np.arctan(gx), np.arctan(gy)
            reach = EYEBALL_RADIUS * e.width
            # canonical: +x is the subject's left, +y down; gaze +x is the subject's right, +y up
            d = np.array([-np.sin(ang_x) * reach, -np.sin(ang_y) * reach * 0.75])
            lim = np.array([max(0.5 * e.width - 0.8 * e.radius, 0.0), 0.6 * e.radius])
            d = np.clip(d, -lim, lim) * float(e.shown)  # a slit's "iris" is lid margin and lashes
            out.append(self.rotation @ d)
        return out

    def apply(self, image: np.ndarray, gaze: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``image`` with both irises moved for ``gaze`` (2, 2) [right, left] x [x, y].

        Returns ``image`` itself when nothing moves; otherwise ``out`` (or a copy) with the eye
        patches rewritten.
        """
        import cv2

        shifts = self.offsets(np.nan_to_num(np.asarray(gaze, np.float64)))
        if all(np.hypot(*s) < 0.05 for s in shifts):
            return image
        if out is None:
            out = image.copy()
        else:
            out[...] = image
        for e, s in zip(self.eyes, shifts):
            if np.hypot(*s) < 0.05:
                continue
            x0, y0, x1, y1 = e.box
            m = np.float32([[1, 0, s[0]], [0, 1, s[1]]])
            size = (x1 - x0, y1 - y0)
            iris = cv2.warpAffine(e.iris, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            ia = cv2.warpAffine(e.iris_alpha, m, size, flags=cv2.INTER_LINEAR)[..., None] * e.opening
            eye = e.clean * (1 - ia) + iris * ia
            roi = out[y0:y1, x0:x1].astype(np.float32)
            roi = roi * (1 - e.opening) + eye * e.opening
            out[y0:y1, x0:x1] = np.clip(roi + 0.5, 0, 255).astype(np.uint8)
        return out


# A lid gap (mid-eye, along the eye's vertical) below SHUT_FROM of the eye's width starts to be
# drawn as a shut eye; at SHUT_AT and below it is drawn fully shut. Open eyes are 0.2-0.35 wide,
# a squint 0.12-0.2, so only lids the warp has (nearly) brought together are touched.
SHUT_FROM = 0.09
SHUT_AT = 0.03
# The painted-over band reaches LID_BAND of the eye's width above the upper lid chain (the open
# eye's lash margin rides down with the lid); the seam lies SEAM_UP of the way from the lower lid
# chain to the upper; the lash line is LASH_WIDTH of the eye wide and darkens by LASH_DARK.
LID_BAND = 0.24
SEAM_UP = 0.3
LASH_WIDTH = 0.02
LASH_DARK = 0.55
BAND_BELOW = 0.05  # below the seam, of the eye's width
BAND_PAST = 0.2  # past each corner, of the eye's width
# ... and only lids the frame asks closed (its closure, the share of the aperture, where given):
# from SHUT_ASKED_FROM (none of the paint) to SHUT_ASKED_AT (all of it). A half blink is a slit,
# not a shut eye: the blink curve draws the astronaut's closure 0.59 (openness 0.41, the driver's
# onset blink) at lid amount 0.81 (MediaPipe reads lids closed only near shut), whose gap the paint
# took for shut, and covered both eyes with grey inpainted skin (#12 identity: her sad clip's
# maximum, dlib 0.511 at that frame; 0.490 with the slit). A shut eye (closure >= 0.8) is painted
# as before, so it re-tracks as shut (openness 0.25 reads >= 0.6 closed).
SHUT_ASKED_FROM = 0.6
SHUT_ASKED_AT = 0.8


def _lid_gap(up: np.ndarray, lo: np.ndarray) -> tuple[float, np.ndarray]:
    """Largest gap between the lid chains (9, 2) along the eye's vertical, in px, and that unit
    vertical (2,) (towards the cheek)."""
    axis = up[-1] - up[0]
    axis = axis / max(float(np.linalg.norm(axis)), 1e-6)
    down = np.array([-axis[1], axis[0]])
    if down[1] < 0:
        down = -down
    return float(np.max((lo[1:-1] - up[1:-1]) @ down)), down


def shut_amount(up: np.ndarray, lo: np.ndarray) -> float:
    """How shut (0..1, smooth) lids with upper / lower chains (9, 2) px are drawn."""
    width = float(np.linalg.norm(up[-1] - up[0]))
    if width < 6:
        return 0.0
    gap, _ = _lid_gap(up, lo)
    a = float(np.clip((SHUT_FROM - gap / width) / (SHUT_FROM - SHUT_AT), 0, 1))
    return a * a * (3 - 2 * a)


def shut_lids(out: np.ndarray, points: np.ndarray,
              closure: tuple[float, float] | None = None) -> dict[str, float]:
    """Draw lids the warp has brought together as a shut eye (in place); returns how shut (0..1,
    :func:`shut_amount`, times the ask's share) each side ("right", "left") was drawn.

    The warp squeezes the open eye's dark upper-lid margin, lashes, iris and white into a band a
    few pixels high at the seam; MediaPipe reads that band as an eye still 0.025-0.03 IPD open (a
    real shut eye: 0.003). A shut eye shows lid skin down to the seam and one thin lash line, so
    the band is painted over with the skin around it (inpainting from its border) and a thin dark
    line is drawn along the seam, curved as the lower lid is.

    Parameters
    ----------
    out : np.ndarray [shape=(H, W, C), dtype=uint8]
        The rendered frame (RGB or RGBA).
    points : np.ndarray [shape=(478, 2)]
        The frame's (moved) landmark pixels.
    closure : (right, left), optional
        The closure the frame asks (0..1); painted from SHUT_ASKED_FROM, fully from SHUT_ASKED_AT.
        None: the lids' gap alone decides.
    """
    import cv2

    pts = np.asarray(points, np.float64)
    h, w = out.shape[:2]
    amounts = {}
    for side in ("right", "left"):
        up = pts[list(L.EYE_UPPER[side])]
        lo = pts[list(L.EYE_LOWER[side])]
        width = float(np.linalg.norm(up[-1] - up[0]))
        a = shut_amount(up, lo)  # 0 for an eye under 6 px wide
        if closure is not None:  # a half blink stays the warp's slit
            c = float(closure[0 if side == "right" else 1])
            t = float(np.clip((c - SHUT_ASKED_FROM) / (SHUT_ASKED_AT - SHUT_ASKED_FROM), 0, 1))
            a *= t * t * (3 - 2 * t)
        amounts[side] = a
        if a <= 0:
            continue
        _, down = _lid_gap(up, lo)
        seam = lo.copy()  # a shut eye's seam follows the lower lid
        seam[1:-1] = SEAM_UP * up[1:-1] + (1 - SEAM_UP) * lo[1:-1]
        # the band the squeezed margin, lashes and eye occupy: from above the upper lid chain
        # (the open eye's lash margin rides down with it) to just below the seam
        # (and past the corners, where the lashes' dark wing stays); the band's ends taper
        along = (up[-1] - up[0]) / width
        top, bottom = up - down * (LID_BAND * width), seam + down * (BAND_BELOW * width)
        for ends, sign in ((top, 1), (bottom, 1)):
            ends[0] -= along * (BAND_PAST * width) * sign
            ends[-1] += along * (BAND_PAST * width) * sign
        top[[0, -1]] += down * (0.12 * width)
        band = np.concatenate([top, bottom[::-1]])
        m = int(np.ceil(0.2 * width)) + 3
        x0 = int(max(np.floor(band[:, 0].min()) - m, 0))
        y0 = int(max(np.floor(band[:, 1].min()) - m, 0))
        x1 = int(min(np.ceil(band[:, 0].max()) + m, w))
        y1 = int(min(np.ceil(band[:, 1].max()) + m, h))
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        o = np.array([x0, y0])
        k = 16.0
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(mask, [np.round((band - o) * k).astype(np.int32)], 255, cv2.LINE_AA, 4)
        roi = np.ascontiguousarray(out[y0:y1, x0:x1, :3])
        hole = cv2.dilate((mask > 0).astype(np.uint8) * 255, np.ones((3, 3), np.uint8))
        skin = cv2.inpaint(roi, hole, max(2.0, 0.08 * width), cv2.INPAINT_TELEA).astype(np.float32)
        soft = cv2.GaussianBlur(mask, (0, 0), max(0.6, 0.02 * width)).astype(np.float32)[..., None] / 255.0
        res = roi.astype(np.float32) * (1 - a * soft) + skin * (a * soft)
        # the lash line: thin and dark, thickest mid-eye, fading at the corners
        line = np.zeros_like(mask)
        thick = max(1, int(round(LASH_WIDTH * width)))
        cv2.polylines(line, [np.round((seam - o) * k).astype(np.int32)], False, 255, thick, cv2.LINE_AA, 4)
        lm = cv2.GaussianBlur(line, (3, 3), 0.6).astype(np.float32)[..., None] / 255.0 * (LASH_DARK * a)
        res = res + (res * 0.3 - res) * lm
        out[y0:y1, x0:x1, :3] = np.clip(res + 0.5, 0, 255).astype(np.uint8)
    return amounts


def lash_line(out: np.ndarray, points: np.ndarray, closure: tuple[float, float]) -> None:
    """Darken the lid margin of closing eyes (in place): a closed eye shows its lashes as a line;
    lids brought together are drawn shut (:func:`shut_lids`), with their own thin lash line.

    Parameters
    ----------
    closure : (right, left)
        Eye closure 0..1 (``1 - openness``); drawn from 0.5 upwards.
    """
    import cv2

    shut = shut_lids(out, points, closure)
    pts = np.asarray(points)
    for side, c in zip(("right", "left"), closure):
        a = float(np.clip((c - 0.5) / 0.4, 0, 1)) * (1 - shut[side])
        if a <= 0:
            continue
        lid = pts[list(L.EYE_UPPER[side])]
        width = float(np.linalg.norm(lid[0] - lid[-1]))
        thick = max(1, int(round(width * 0.05)))
        x0 = int(max(lid[:, 0].min() - 3 * thick, 0))
        y0 = int(max(lid[:, 1].min() - 3 * thick, 0))
        x1 = int(min(lid[:, 0].max() + 3 * thick, out.shape[1]))
        y1 = int(min(lid[:, 1].max() + 3 * thick, out.shape[0]))
        if x1 <= x0 or y1 <= y0:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        p = np.round((lid - (x0, y0)) * 16).astype(np.int32)
        cv2.polylines(mask, [p], False, 255, thick, cv2.LINE_AA, 4)
        m = cv2.GaussianBlur(mask, (3, 3), 0.8).astype(np.float32)[..., None] / 255.0 * (0.55 * a)
        roi = out[y0:y1, x0:x1, :3].astype(np.float32)
        dark = roi * 0.35
        out[y0:y1, x0:x1, :3] = np.clip(roi + (dark - roi) * m + 0.5, 0, 255).astype(np.uint8)
