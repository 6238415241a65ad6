"""A turned face's far side is seen edge-on: its sideways motion is foreshortened.

45-m7-di-ph.jpg is turned ~34 degrees and the tracker puts its far mouth corner on the face's
outline (the surface there faces sideways: cos 0.07). The neutral rest takes off the photo's
MouthStretch reading (0.34 on that side) in template amounts sized for a face seen from the front:
it pulled the far corner 7.2 px inwards (256 px) across a strip of skin 5 px wide to the outline,
stretching the strip and the outline's pale edge into a white notch with a dark V on every frame
(the benchmark's contact sheets). The rest's motion of each landmark along the eye line is now scaled
by how much more edge-on its side is than its mirror image (``animator.edge_on_rest``); a
face seen from the front keeps its motion."""

from __future__ import annotations

import numpy as np

from facemimic.animate.portrait import landmarks as L
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.animate.portrait.model import EDGE_ON_COS, mirror_landmarks, surface_cos
from test_portrait_folds import _drawn_motion  # the spy round the real warp (tests/animate)

FAR_CORNER = 61  # the mouth corner on the image's left: the far side of 45-m7-di-ph.jpg
LIPS = sorted(set(L.LIP_OUTER_UPPER + L.LIP_OUTER_LOWER + L.LIP_INNER_UPPER + L.LIP_INNER_LOWER))


def _strip_to_background(image: np.ndarray, points: np.ndarray, corner: int, axis: np.ndarray) -> float:
    """Pixels from the landmark ``corner`` against ``axis`` (towards the far outline) to the first
    pixel of the blue wall behind the sitter (bluer than red; skin is redder than blue)."""
    c = np.asarray(points[corner], np.float64)
    for step in np.arange(0.5, 40.0, 0.5):
        x, y = np.round(c - step * axis).astype(int)
        r, _, b = image[y, x].astype(int)[:3]
        if b > r:
            return float(step)
    raise AssertionError("no background beside the far corner")


def test_the_far_mouth_corner_is_not_pulled_across_its_strip_of_skin(samples):
    anim = PortraitAnimator(samples / "45-m7-di-ph.jpg", PortraitOptions(size=256, rest="neutral", refine=False))
    assert abs(anim.stats.source_yaw) > 25  # a turned face: the case under test
    axis = anim.model.frame.rotation[:, 0]  # the eye line, towards the image's right
    strip = _strip_to_background(anim.image, anim.points, FAR_CORNER, axis)
    assert 2.0 < strip < 0.2 * anim.model.frame.sx, strip  # a narrow strip of cheek (~4 px)
    drawn = _drawn_motion(anim)
    anim.render(None)  # the neutral frame: the photo's expression taken away
    inwards = float(drawn[-1][FAR_CORNER] @ axis)
    print(f"far corner pulled inwards {inwards:.1f} px; strip to the outline {strip:.1f} px")
    # old code: 7.2 px over a 5 px strip (stretched 2.4x: the notch); now 2.2 px
    assert inwards < 0.5 * strip, (inwards, strip)


def test_only_the_side_turned_away_is_foreshortened(samples):
    from facemimic.animate.portrait.model import FaceFrame
    from facemimic.animate.portrait.source import find_faces  # the tracker's landmarks, with depth

    def scale(name):
        import cv2

        image = cv2.cvtColor(cv2.imread(str(samples / name)), cv2.COLOR_BGR2RGB)
        face = find_faces(image, name)[0]
        pts = np.asarray(face.landmarks, np.float64)
        e = np.clip(surface_cos(pts, FaceFrame.from_landmarks(pts)) / EDGE_ON_COS, 1e-3, 1.0)
        return np.minimum(1.0, e / e[mirror_landmarks()])

    turned = scale("45-m7-di-ph.jpg")
    assert turned[FAR_CORNER] < 0.5 and turned[291] == 1.0  # the far corner, not the near one
    for frontal in ("single_face.jpg", "0-f15-hao-ph.jpg"):
        s = scale(frontal)
        assert np.all(s[LIPS] == 1.0) and np.all(s[list(L.EYE_UPPER["right"] + L.EYE_UPPER["left"])] == 1.0)
    m = mirror_landmarks()
    assert m[61] == 291 and m[291] == 61 and m[1] == 1 and m[468] == 473 and np.all(m[m] == np.arange(478))
