"""A toothy smile's rest: a relaxed upper lip and clean corners (issue #12, thirteenth session).

A smile stretches the upper lip thin; taking a smiling photo's weights off (``rest="neutral"``)
moved the whole upper lip but gave it no height back, so the closed mouth kept a smile's thin
upper lip (single_face re-tracked 0.080 IPD, upper / lower 0.61; real closed mouths 0.08-0.17,
median 0.12, 0.6-0.85). And the smile's dark corners, squashed by the closing lips, were left as a
dark dot at each corner with a broken dark line running on past it.
"""

import cv2
import numpy as np
import pytest

from facemimic.animate.portrait import model as M
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.animate.portrait.calibrate import retrack
from facemimic.expressions.frame import ExpressionFrame


def _neutral(samples, name):
    anim = PortraitAnimator(str(samples / name), PortraitOptions(size=512, rest="neutral", calibrate=False))
    img = anim.render(ExpressionFrame.neutral())
    plan = anim.plan(ExpressionFrame.neutral())
    motion = np.tensordot(anim.model.controls(plan.drive), anim.model.basis, axes=1) + anim._rest_overlap
    return anim, img, anim.points[:, :2] + anim.warp.fold_free(motion)


def test_a_toothy_smile_s_rest_gives_the_upper_lip_its_height_back(samples):
    # re-tracked on the drawn neutral frame (no loop): old 0.081 IPD, 0.57 of the lower lip; new 0.100, 0.62
    anim, img, _ = _neutral(samples, "single_face.jpg")
    face = retrack([img[..., :3]])[0]
    assert face is not None
    lm = np.asarray(face.landmarks)[:, :2] * (img.shape[1], img.shape[0])
    v = lm @ anim.model.frame.rotation[:, 1] / anim.model.frame.sx
    upper, lower, gap = v[13] - v[0], v[17] - v[14], v[14] - v[13]
    assert gap < 0.03  # the lips still close
    assert upper > 0.09 and upper / lower > 0.6, (upper, lower)


def test_closed_lips_photo_s_rest_keeps_its_upper_lip(samples):
    # nothing to relax where the photo's lips already touch (its rest as before)
    anim = PortraitAnimator(str(samples / "15-f13-anc-ph.jpg"), PortraitOptions(size=512, rest="neutral",
                                                                                 calibrate=False))
    assert anim.model.rest_mix[M._SEAL_CONTROL] == 0.0


def _past_corners(img, P, ipd):
    """Darkness (1 - 5th percentile / median luminance) of the band just past each mouth corner
    (0.015-0.09 IPD beyond it, within 0.03 IPD of the lip line) against the skin above and below."""
    lum = cv2.GaussianBlur(cv2.cvtColor(img[..., :3], cv2.COLOR_RGB2GRAY).astype(np.float32), (3, 3), 0.7)
    yy, xx = np.mgrid[0:lum.shape[0], 0:lum.shape[1]]
    ax = (P[291] - P[61]) / np.linalg.norm(P[291] - P[61])
    dn = np.array([-ax[1], ax[0]])
    out = []
    for i, sgn in ((61, -1.0), (291, 1.0)):
        q = np.stack([xx - P[i, 0], yy - P[i, 1]], -1)
        u, v = (q @ ax) * sgn / ipd, (q @ dn) / ipd
        along = (u > 0.015) & (u < 0.09)
        out.append(1.0 - np.percentile(lum[along & (np.abs(v) < 0.03)], 5) / np.median(lum[along & (np.abs(v) < 0.12)]))
    return np.array(out)


def test_a_closed_toothy_smile_leaves_no_dark_marks_past_its_corners(samples):
    # hao's neutral frame (old: 0.47 / 0.34, new 0.33 / 0.29); real closed mouths 0.22-0.37 (45-m7-di, 15-f13-anc)
    anim, img, P = _neutral(samples, "0-f15-hao-ph.jpg")
    dark = _past_corners(img, P, anim.mouth.scale)
    assert np.all(dark < 0.37), dark
