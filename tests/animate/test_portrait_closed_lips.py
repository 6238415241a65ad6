"""Closed lips drawn from a photo that shows its teeth (issue #12, thirteenth session).

A neutral rest closes a toothy smile's lips; the warp squashes the photo's teeth into the seam
and :meth:`MouthPainter.seal` redraws the closed lips over it. Real closed lips are an upper and a
lower vermilion in the photo's own lip colour meeting on a thin lip line; the seal used to refill a
band round the seam with copies shifted by half an opening plus 0.045 IPD, which reached past a
smile's thin upper lip into the skin above it (no upper vermilion left).
"""

import numpy as np
import pytest

from facemimic.animate.portrait import landmarks as L
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.expressions.frame import ExpressionFrame

UPPER_OUTER = [40, 39, 37, 0, 267, 269, 270]  # the upper lip's outer edge, middle of the mouth
UPPER_INNER = [80, 81, 82, 13, 312, 311, 310]
LOWER_INNER = [88, 178, 87, 14, 317, 402, 318]


@pytest.fixture(scope="module")
def hao(samples):
    return PortraitAnimator(str(samples / "0-f15-hao-ph.jpg"), PortraitOptions(size=512, rest="neutral",
                                                                                calibrate=False))


def _closed(anim):
    """The neutral frame (H, W, 3) uint8 and its drawn landmarks (478, 2): the photo's lips closed."""
    img = anim.render(ExpressionFrame.neutral())
    plan = anim.plan(ExpressionFrame.neutral())
    motion = np.tensordot(anim.model.controls(plan.drive), anim.model.basis, axes=1) + anim._rest_overlap
    return img, anim.points + anim.warp.fold_free(motion)


def _between(img, top, bottom):
    """Mean RGB (3,) of the middle half of the band between two chains of points (7, 2)."""
    px = [img[int(round(q[1])), int(round(q[0])), :3] for a, b in zip(top, bottom)
          for q in (a + (b - a) * t for t in np.linspace(0.25, 0.75, 5))]
    return np.mean(np.asarray(px, np.float64), 0)


def test_a_toothy_photo_s_closed_upper_lip_is_its_own_upper_lip(hao):
    # the upper vermilion drawn between the upper lip's outer edge and the seam has the photo's
    # upper-lip colour, not the skin's above it (before: 36.8 from the lip, 16.8 from the skin;
    # after: 3.4 / 48.8)
    anim = hao
    P0, S, d = anim.points, anim.mouth.scale, anim.mouth.down
    photo_lip = _between(anim.image, P0[UPPER_OUTER], P0[UPPER_INNER])
    skin = np.mean([anim.image[int(round(q[1])), int(round(q[0])), :3] for i in (37, 0, 267) for k in (0.10, 0.13)
                    for q in [P0[i] - d * k * S]], 0).astype(np.float64)
    img, P = _closed(anim)
    assert anim.mouth.opening(P) < 0.02 * S  # sealed
    seam = (P[UPPER_INNER] + P[LOWER_INNER]) / 2
    drawn = _between(img, P[UPPER_OUTER], seam)
    to_lip, to_skin = np.linalg.norm(drawn - photo_lip), np.linalg.norm(drawn - skin)
    assert to_lip < 0.5 * to_skin, (drawn, photo_lip, skin)


def test_the_seal_leaves_the_skin_alone_but_for_a_closed_mouth_s_lip_height(hao):
    # The closed lips are redrawn inside their outline; where the mouth is drawn narrower than the
    # photo's (a smile relaxed) they are drawn at least a closed neutral mouth's red-lip height along
    # the mouth (mouth.UPPER_PROFILE / LOWER_PROFILE x each lip's middle height), which reaches past
    # a smile's thin stretched sides but never past the lips' middle height; along the middle of the
    # mouth nothing outside the lips changes at all.
    anim = hao
    img, P = _closed(anim)
    anim.mouth.seal = lambda out, points: 0.0  # the same frame, drawn without the seal
    try:
        raw = anim.render(ExpressionFrame.neutral())
    finally:
        del anim.mouth.seal
    changed = np.abs(img.astype(int) - raw.astype(int)).max(2) > 2
    S, d = anim.mouth.scale, anim.mouth.down
    ys, xs = np.nonzero(changed)
    assert len(ys) > 50  # the seal drew something
    pts = np.stack([xs, ys], 1).astype(np.float64)
    v = pts @ d
    right = np.array([-d[1], d[0]])
    u = pts @ right
    top_u, top_v = P[list(L.LIP_OUTER_UPPER)] @ right, P[list(L.LIP_OUTER_UPPER)] @ d
    bot_u, bot_v = P[list(L.LIP_OUTER_LOWER)] @ right, P[list(L.LIP_OUTER_LOWER)] @ d
    o1, o2 = np.argsort(top_u), np.argsort(bot_u)
    above = np.interp(u, top_u[o1], top_v[o1]) - v  # > 0: above the upper lip's outer edge
    below = v - np.interp(u, bot_u[o2], bot_v[o2])
    seam = (P[13] + P[14]) / 2 @ d
    up_mid, lo_mid = seam - P[0] @ d, P[17] @ d - seam
    # nowhere further out than the lips' middle heights from the seam (the profile's largest share)
    assert np.all(v > seam - up_mid - 2.0) and np.all(v < seam + lo_mid + 2.0)
    # and along the middle of the mouth, nothing outside the drawn lips
    cu = P[[61, 291]] @ right
    middle = (u > cu.min() + 0.3 * np.ptp(cu)) & (u < cu.max() - 0.3 * np.ptp(cu))
    # (within 2 px: the redrawn lips' soft outer edge reaches a pixel past their outline)
    assert not np.any(middle & ((above > 2.0) | (below > 2.0)))
    # the sides did grow: drawn thinner than a closed neutral mouth there, hao's relaxed smile (5.1 %
    # of the changed pixels lie more than 1.5 px above the upper lip's sides; the frame's own lips
    # pulled to the seam: 1.1 %)
    assert np.mean(~middle & (above > 1.5)) > 0.03


def test_a_smile_s_closed_upper_lip_reaches_the_corners(hao):
    # A broad smile stretches the upper vermilion thin at the sides; closed by the warp, the upper
    # lip there was skin and the relaxed mouth a small pursed blob in the middle of a wide mouth.
    # Closed lips are drawn from the photo's own lips (mouth.MouthPainter._photo_lips), the mouth's
    # middle from the inner part of the photo's lips: between the upper lip's outer edge and the
    # seam near the corners the colour is the lip's middle's, not the skin's above it (0-f15-hao,
    # uncalibrated: 19.4 from the middle, 80.1 from the skin; the frame's lips pulled to the seam:
    # 11.3 / 81.4). (single_face.jpg's thin upper lip is
    # too soft at 256 px to tell from its reddish skin by colour: its width is checked below.)
    anim = hao
    img, P = _closed(anim)
    S, d = anim.mouth.scale, anim.mouth.down
    assert anim.mouth.opening(P) < 0.02 * S  # sealed
    side_out, side_in, side_lo = [185, 40, 270, 409], [191, 80, 310, 415], [95, 88, 318, 324]
    mid_out, mid_in, mid_lo = [37, 0, 267], [82, 13, 312], [87, 14, 317]
    sides = _between(img, P[side_out], (P[side_in] + P[side_lo]) / 2)
    middle = _between(img, P[mid_out], (P[mid_in] + P[mid_lo]) / 2)
    skin = np.mean([img[int(round(q[1])), int(round(q[0])), :3] for i in side_out
                    for q in [P[i] - d * 0.08 * S]], 0)
    to_lip, to_skin = np.linalg.norm(sides - middle), np.linalg.norm(sides - skin)
    assert to_lip < 0.4 * to_skin, (to_lip, to_skin)


def test_closed_lips_re_track_as_wide_as_they_are_drawn(samples):
    # The red lip a viewer (and the tracker) sees ends where the drawn lips' texture stops being
    # lip: a toothy smile's lips closed by the warp alone were read narrower than drawn (the pursed
    # rest; 0-f15-hao 0.919 of the drawn corners' distance, uncalibrated). Drawn from the photo's
    # own lips they reach the corners (0.960). (On the gaping 0-f1-su and the soft single_face the
    # tracker reads 0.932 / 0.918 before and 0.923 / 0.908 now; against the sitters' own neutral
    # faces, benchmarks/portrait_rest.py, the CK+ smiles' and gapes' rests moved from 0.065 to 0.037
    # IPD off their width.)
    from facemimic.capture.api import capture_frames

    anim = PortraitAnimator(str(samples / "0-f15-hao-ph.jpg"), PortraitOptions(size=512, rest="neutral", calibrate=False))
    try:
        img, P = _closed(anim)
        assert anim.mouth.opening(P) < 0.02 * anim.mouth.scale  # sealed
        found = [f for f in capture_frames(img, keep_landmarks=True, smoothing="raw") if f.present]
        R = np.asarray(found[0].landmarks)[:, :2] * (img.shape[1], img.shape[0])
        ratio = np.linalg.norm(R[61] - R[291]) / np.linalg.norm(P[61] - P[291])
        assert ratio >= 0.945, ratio
    finally:
        anim.close()
