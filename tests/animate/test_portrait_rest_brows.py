"""A neutral rest levels a frowning photo's brows as far as the photo's own brow, no more oblique.

15-f13-anc-ph.jpg frowns with its whole brow (inner ends 0.06-0.08, outer ends 0.06-0.085 IPD
below the population's neutral). The capture stage reads that as BrowLowerer, whose template
(AU4) lifts the inner brow most when the rest takes it away: her neutral frame had worried,
oblique brows (inner minus outer raise 0.023 IPD in the photo, 0.088 at rest on her right), which
every emotion kept (a smile read sad). Measured on the rendered neutral frame, re-tracked."""

from __future__ import annotations

import numpy as np

from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.animate.portrait.source import find_faces
from facemimic.expressions import geometry


def _oblique(landmarks: np.ndarray) -> np.ndarray:
    """Inner minus outer brow raise (left, right), IPD, against the population's neutral."""
    m = geometry.measure(np.asarray(landmarks, np.float64)[:, :3], (1.0, 1.0))
    return m.brow_inner_raise - m.brow_outer_raise


def test_the_neutral_rest_leaves_no_brow_more_oblique_than_the_photos(samples):
    anim = PortraitAnimator(samples / "15-f13-anc-ph.jpg", PortraitOptions(size=256, rest="neutral", refine=False))
    photo = _oblique(find_faces(anim.image, "photo")[0].landmarks)
    frame = anim.render(None)  # the rest: the photo's own expression taken off
    rest = _oblique(find_faces(frame, "neutral frame")[0].landmarks)
    allowed = np.maximum(photo, 0.0)
    print(f"oblique (left, right): photo {photo.round(3)}, neutral frame {rest.round(3)}")
    # old: left 0.011 for 0 allowed, right 0.043 for 0.023 (re-tracked)
    assert np.all(rest <= allowed + 0.01), (rest, allowed)
