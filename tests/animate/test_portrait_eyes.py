"""Shut eyelids on a portrait (issue #11): drawn as a shut eye, re-tracked as one; open eyes untouched."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from facemimic.animate.portrait import eyes
from facemimic.animate.portrait import landmarks as L
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.animate.portrait.calibrate import StillTracker, rest_of, retrack
from facemimic.expressions import geometry
from facemimic.expressions.frame import ExpressionFrame as F

SHUT = F.neutral().replace(openness_left=0.0, openness_right=0.0)
PHOTOS = ("single_face.jpg", "0-f15-hao-ph.jpg")  # round open eyes; narrow eyes of a broad smile


@pytest.fixture(scope="module", params=PHOTOS)
def portrait(request, samples):
    return PortraitAnimator(str(samples / request.param), PortraitOptions(size=512))


def _eye_darkness(anim, image: np.ndarray) -> list[float]:
    """Per eye: the share of the photo's eye opening (its lid polygon) darker than 0.6 x the
    cheek's skin under it (iris, pupil, lashes, the lid's shadow)."""
    lum = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY).astype(np.float64)
    out = []
    for side in ("right", "left"):
        up, lo = anim.points[list(L.EYE_UPPER[side])], anim.points[list(L.EYE_LOWER[side])]
        width = float(np.ptp(up[:, 0]))
        opening = np.zeros(lum.shape, np.uint8)
        cv2.fillPoly(opening, [np.round(np.concatenate([up, lo[::-1]])).astype(np.int32)], 1)
        cheek = np.zeros_like(opening)
        band = np.concatenate([lo + (0, 0.25 * width), (lo + (0, 0.5 * width))[::-1]])
        cv2.fillPoly(cheek, [np.round(band).astype(np.int32)], 1)
        skin = float(np.median(lum[cheek > 0]))
        out.append(float(np.mean(lum[opening > 0] < 0.6 * skin)))
    return out


def test_shut_lids_retrack_as_shut_eyes(portrait):
    """Openness 0: the re-tracked lids close at least 0.8 of the photo's own aperture (drawn as a
    squeezed slit they read 0.45-0.68 closed: a real shut eye reads ~0.97)."""
    anim = portrait
    x0, y0, x1, y1 = anim.warp.roi
    size = (x1 - x0, y1 - y0)
    with StillTracker() as t:
        photo, got = retrack([anim.image[y0:y1, x0:x1], anim.render(SHUT)[y0:y1, x0:x1]],
                             anim.points.mean(0) - (x0, y0), tracker=t)
    rest, aperture = rest_of(photo, size)
    assert rest is not None and got is not None
    m = geometry.measure(np.asarray(got.landmarks, np.float64), size, rest)
    closed = 1 - np.asarray(m.eye_aperture) / aperture
    assert float(np.mean(closed)) >= 0.8, closed
    assert float(np.min(closed)) >= 0.72, closed


def test_half_a_blink_reads_about_half_closed(samples):
    """Openness 0.5 / 0.25: the re-tracked lids close 0.33-0.7 / >= 0.6 of the photo's aperture on
    average over both photos. The reading jumps between lid amounts 0.6 and 0.8 (the lids read
    closed only near shut), so the blink is probed at 0.4, 0.6, 0.7, 0.8, 0.9 and 1 (calibrate.
    GROUP_AMOUNTS); probed at 0.4, 0.8, 1 the curve drew half a blink reading 0.17-0.32."""
    half, quarter = [], []
    for photo in PHOTOS:
        anim = PortraitAnimator(str(samples / photo), PortraitOptions(size=512))
        x0, y0, x1, y1 = anim.warp.roi
        size = (x1 - x0, y1 - y0)
        frames = [F.neutral().replace(openness_left=o, openness_right=o) for o in (0.5, 0.25)]
        with StillTracker() as t:
            photo_f, *got = retrack([anim.image[y0:y1, x0:x1]] + [anim.render(f)[y0:y1, x0:x1] for f in frames],
                                    anim.points.mean(0) - (x0, y0), tracker=t)
        rest, aperture = rest_of(photo_f, size)
        closed = [float(np.mean(1 - np.asarray(geometry.measure(np.asarray(g.landmarks, np.float64), size,
                                                               rest).eye_aperture) / aperture)) for g in got]
        half.append(closed[0])
        quarter.append(closed[1])
    assert 0.33 <= np.mean(half) <= 0.7, half
    assert np.mean(quarter) >= 0.6, quarter


def test_shut_lids_show_skin_not_the_eye(portrait, monkeypatch):
    """Where the open eye was, a shut eye shows lid skin and a thin lash line: under a fifth of the
    old opening is dark (the photo: 0.76-0.86; the same lids squeezed without shut_lids: >= 0.67)."""
    anim = portrait
    assert min(_eye_darkness(anim, anim.image)) > 0.7
    shut = _eye_darkness(anim, anim.render(SHUT))
    assert max(shut) < 0.25, shut
    monkeypatch.setattr(eyes, "SHUT_FROM", -1.0)  # never drawn shut: only the warp's squeeze
    monkeypatch.setattr(eyes, "SHUT_AT", -2.0)
    squeezed = _eye_darkness(anim, anim.render(SHUT))
    assert min(squeezed) > 0.5, squeezed


def test_lids_brought_together_are_painted_shut_only_where_the_frame_asks_them_shut(portrait):
    """The lids' template at amount 1 (the lids meet) drawn with a shut eye asked shows lid skin
    (under a fifth of the opening dark); the same lids with a half blink asked (closure 0.5: the
    blink curve draws the astronaut's 0.59 at lid amount 0.81) stay the warp's slit of lashes and
    iris (over half dark), not an eye painted over with grey skin (#12 identity)."""
    from facemimic.animate.portrait.model import CONTROL_NAMES

    anim = portrait
    c = np.zeros(len(CONTROL_NAMES), np.float32)
    c[[CONTROL_NAMES.index("eye_close_right"), CONTROL_NAMES.index("eye_close_left")]] = 1.0
    motion = np.tensordot(c, anim.model.basis, axes=1)
    shut = _eye_darkness(anim, anim.render_parts(motion, closure=(1.0, 1.0)))
    half = _eye_darkness(anim, anim.render_parts(motion, closure=(0.5, 0.5)))
    assert max(shut) < 0.25, shut
    assert min(half) > 0.5, half


def test_open_and_half_shut_eyes_are_left_to_the_warp(portrait):
    """Open lids (and a squint) are never painted over: neutral reproduces the photo exactly, and
    shut_amount is 0 on the photo's own lids and on lids half closed."""
    anim = portrait
    assert np.array_equal(anim.render(F.neutral()), anim.image)
    for side in ("right", "left"):
        up, lo = anim.points[list(L.EYE_UPPER[side])], anim.points[list(L.EYE_LOWER[side])]
        assert eyes.shut_amount(up, lo) == 0.0
        mid = (up + lo) / 2
        assert eyes.shut_amount(mid + 0.5 * (up - mid), mid + 0.5 * (lo - mid)) == 0.0
        assert eyes.shut_amount(mid, mid) == 1.0
