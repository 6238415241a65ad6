"""The mouth's inside stays inside the lips (docs/journal/avatar3d.md, fourteenth session): the mouth cavity
sits CAVITY_INSET behind the skin, and mouthFunnel at 0.3-1.0 showed its dark wall through the lower
cheeks as black wedges beside the chin (723 / 1282 pixels at weight 1 in a 512 px front render,
single_face.jpg / 0-f15-hao-ph.jpg): the learned funnel drew the lower cheeks back 0.094 IPD and the
cavity's floor rode the lower lip forward 0.078."""

from __future__ import annotations

import numpy as np
import pytest

SIZE, SPAN, CENTRE = 512, 4.0, (0.0, -0.55)
INSIDE = ("mouth", "teeth_upper", "teeth_lower", "tongue")
# Every target, at 0.5 and 1: at most a sliver beside a mouth corner (mouthDimple 1-2 px, jawOpen 1 px;
# mouthPress at 1 showed 5-20 px until its backward motion was dropped, test below).
SLIVER_PX = 4
FUNNEL = ("mouthFunnel", "LipFunnelUpperLeft", "LipFunnelUpperRight", "LipFunnelLowerLeft",
          "LipFunnelLowerRight", "mouthPucker", "mouthShrugLower")


def inside_seen_outside_lips(head, skin_delta: np.ndarray, parts_delta: np.ndarray, anywhere: bool = False) -> int:
    """Pixels of a SIZE² front render where the mouth's inside (cavity, teeth, tongue) is seen
    outside the posed lips' opening (the mouth loop's polygon grown by 3 px; ``anywhere``: at all)."""
    import cv2

    from facemimic.head3d.raster import rasterize
    from facemimic.head3d.topology import boundary_loops

    pos = np.concatenate([head.skin.positions + skin_delta, head.parts.positions + parts_delta])
    n_skin = len(head.skin.triangles)
    tris = np.concatenate([head.skin.triangles.astype(np.int64),
                           head.parts.triangles.astype(np.int64) + len(head.skin.positions)])
    scale = SIZE / SPAN
    screen = np.stack([SIZE / 2 + (pos[:, 0] - CENTRE[0]) * scale, SIZE / 2 - (pos[:, 1] - CENTRE[1]) * scale,
                       pos[:, 2]], axis=1)
    inside = np.isin(head.parts.part[head.parts.triangles[:, 0]], INSIDE)
    # Only a pixel the inside parts can cover can show them: rasterise just the triangles whose box
    # meets those parts' box (grown a pixel). The nearest triangle at each such pixel is the same as
    # with the whole head, so the count is exact; the sweep below renders ~300 poses, 4x faster.
    box = screen[head.parts.triangles[inside].ravel() + len(head.skin.positions), :2]
    lo, hi = box.min(0) - 1.0, box.max(0) + 1.0
    corners = screen[tris, :2]
    near = np.flatnonzero(np.all(corners.max(1) >= lo, 1) & np.all(corners.min(1) <= hi, 1))
    tri_id, _ = rasterize(screen, tris[near], (SIZE, SIZE))
    tri_id = np.where(tri_id >= 0, near[np.maximum(tri_id, 0)], -1)
    seen = np.zeros(tri_id.shape, bool)
    part = tri_id >= n_skin
    seen[part] = inside[tri_id[part] - n_skin]
    if anywhere:
        return int(seen.sum())
    opening = np.zeros((SIZE, SIZE), np.uint8)
    cv2.fillPoly(opening, [np.round(screen[boundary_loops()["mouth"], :2]).astype(np.int32)], 1)
    opening = cv2.dilate(opening, np.ones((7, 7), np.uint8))
    return int(np.sum(seen & (opening == 0)))


def inside_seen(head, skin_delta: np.ndarray, parts_delta: np.ndarray) -> int:
    """Pixels of a SIZE² front render where the mouth's inside (cavity, teeth, tongue) is seen at all."""
    return inside_seen_outside_lips(head, skin_delta, parts_delta, anywhere=True)


@pytest.fixture(scope="module", params=["single_face.jpg", "0-f15-hao-ph.jpg"])
def avatar_targets(request, photo_avatar):
    from facemimic.head3d.targets import build_targets

    avatar = photo_avatar(request.param)
    return avatar.head, build_targets(avatar.head, avatar.expressions, "arkit+ue", avatar.combinations)


def test_the_funnel_shows_no_mouth_inside_beside_the_lips(avatar_targets):
    head, targets = avatar_targets
    seen = {(name, w): inside_seen_outside_lips(head, w * targets[name][0], w * targets[name][1])
            for name in FUNNEL for w in (0.3, 0.6, 1.0)}
    assert not any(seen.values()), {k: v for k, v in seen.items() if v}


def test_no_target_shows_more_than_a_sliver_of_the_mouth_inside(avatar_targets):
    head, targets = avatar_targets
    assert inside_seen_outside_lips(head, 0.0, 0.0) == 0
    seen = {(name, w): inside_seen_outside_lips(head, w * skin, w * parts)
            for name, (skin, parts) in targets.items() for w in (0.5, 1.0)}
    assert max(seen.values()) <= SLIVER_PX, {k: v for k, v in seen.items() if v > SLIVER_PX}


def test_pressed_lips_hide_the_mouth_inside(avatar_targets):
    """Pressed lips (AU24) hide the teeth and the cavity. The learned mouthPress also drew the lips, the
    corners and the skin beside them 0.04-0.05 IPD back (with the nose base: the data's head motion), behind
    the upper teeth's ends and the cavity's wall there (CAVITY_INSET): at weight 1, 10-81 px of teeth showed at
    a mouth corner and a few cavity pixels through the cheek beside it (single_face.jpg, 0-f15-hao-ph.jpg)."""
    head, targets = avatar_targets
    for name in ("mouthPressLeft", "mouthPressRight"):
        skin, parts = targets[name]
        for w in (0.5, 1.0):
            assert inside_seen(head, w * skin, w * parts) == 0, (name, w)
