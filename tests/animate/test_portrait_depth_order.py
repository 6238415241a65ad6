"""A turned face drawn far to near (issue #12 §2, 45-m7-di: 34 degrees of yaw).

MediaPipe's far cheek triangles lie behind the nose and the near mouth corner in the photo; drawn
in the mesh's own order they covered them in ragged, outlined blocks (a nostril cut out and
pasted a few pixels off) as soon as the two layers moved differently."""

from __future__ import annotations

import numpy as np

from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.animate.portrait.source import find_faces, load_image
from facemimic.animate.portrait.warp import MeshWarp
from facemimic.expressions.frame import ExpressionFrame


def _covering(tri: np.ndarray, p: np.ndarray) -> np.ndarray:
    """(M,) whether each triangle (M, 3, 2) holds point ``p`` (2,) at least 1 px inside."""
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]

    def side(u, v):
        cross = (v[:, 0] - u[:, 0]) * (p[1] - u[:, 1]) - (v[:, 1] - u[:, 1]) * (p[0] - u[:, 0])
        return cross / np.maximum(np.linalg.norm(v - u, axis=1), 1e-9)

    s = np.stack([side(a, b), side(b, c), side(c, a)], 1)
    return np.all(s > 1.0, 1) | np.all(s < -1.0, 1)


def test_where_layers_overlap_the_nearer_triangle_is_drawn(samples):
    anim = PortraitAnimator(str(samples / "45-m7-di-ph.jpg"), PortraitOptions(size=512, calibrate=False))
    image, _ = load_image(str(samples / "45-m7-di-ph.jpg"))
    depth = find_faces(image, "di")[0].landmarks[:, 2]
    assert abs(anim.stats.source_yaw) > 30
    warp: MeshWarp = anim.warp
    # a smile and a sneer: the far cheek moves, the nose stays
    plan = anim.plan(ExpressionFrame.from_shapes({"MouthCornerPullLeft": 0.8, "MouthCornerPullRight": 0.8,
                                                  "NoseSneerLeft": 0.6, "NoseSneerRight": 0.6}))
    motion = warp.fold_free(np.tensordot(anim.model.controls(plan.drive), anim.model.basis, axes=1))
    ids = warp.new_ids()
    warp.coordinate_map(motion, ids)
    tgt = warp.vertices + warp.vertex_motion(motion)
    face = np.arange(len(warp.triangles)) >= warp._n_holes + warp._n_ring
    tris = tgt[warp.triangles]
    z = np.concatenate([depth[:468], np.zeros(len(warp.vertices) - 468)])[warp.triangles].mean(1)
    wrong = overlapped = 0
    for gy in range(0, ids.shape[0], 2):
        for gx in range(0, ids.shape[1], 2):
            owner = int(ids[gy, gx]) - 1
            if owner < 0 or not face[owner]:
                continue
            cover = np.flatnonzero(_covering(tris, warp.grid[gy, gx]) & face)
            if len(cover) < 2 or owner not in cover:
                continue
            overlapped += 1
            wrong += int(z[owner] > z[cover].min() + 1.0)  # a farther triangle drawn over a nearer one
    assert overlapped > 20  # the turned face's layers do overlap
    assert wrong <= 0.02 * overlapped, (wrong, overlapped)  # mesh order: 8 of 26


def test_depth_order_changes_nothing_at_rest(samples):
    anim = PortraitAnimator(str(samples / "45-m7-di-ph.jpg"), PortraitOptions(size=384, calibrate=False))
    assert np.array_equal(anim.render(ExpressionFrame.neutral()), anim.image)
