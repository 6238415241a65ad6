"""The built-in avatar's basic emotions read at a glance (issue #12 §4): at each generated apex the
shapes that define the emotion are visibly drawn, measured on the drawing itself.

Measures are taken from the drawing's landmarks (``measure.drawing_landmarks``: the brows' inner,
middle and outer points, the lip corners, the lips' middles, the nose wings, the pupils) in
inter-pupil distances, as the change from the neutral drawing; "up" is positive. Each check runs on
three generated takes (seeds), since the generator varies every take. A 512 px avatar's
IPD is ~195 px, so 0.02 IPD is ~4 px.
"""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.animate.avatar import AvatarRenderer, preset_names
from facemimic.animate.avatar.measure import drawing_landmarks, frontal
from facemimic.generate.api import express

SIZE = 512


def _features(renderer: AvatarRenderer, frame) -> dict[str, float]:
    p = drawing_landmarks(renderer.drawing(frame))[:, :2] * SIZE
    ipd = float(np.linalg.norm(p[468] - p[473]))

    def up(*ids: int) -> float:
        return float(-np.mean([p[i, 1] for i in ids]) / ipd)

    return {
        "brow_inner": up(107, 336), "brow_outer": up(70, 300),
        # > 0: the inner ends sit higher than the outer ends (sad); < 0: slanting down to the nose (angry)
        "brow_slant": up(107, 336) - up(70, 300),
        # the lip corners against the lips' middle: a smile curves up, a frown down, whatever the jaw does
        "corners": up(61, 291) - up(13, 14), "upper_lip": up(0), "nose_wings": up(129, 358),
        "gap": float((p[14, 1] - p[13, 1]) / ipd), "width": float(abs(p[61, 0] - p[291, 0]) / ipd),
    }


# emotion -> {feature: (sign, least change)}: the defining shapes of its FACS prototype
DRAWN = {
    "happy": {"corners": (+1, 0.05), "width": (+1, 0.15)},  # AU12: corners up and out
    "sad": {"brow_inner": (+1, 0.01), "brow_slant": (+1, 0.01), "corners": (-1, 0.03)},  # AU1+4, AU15
    "angry": {"brow_inner": (-1, 0.05), "brow_slant": (-1, 0.04)},  # AU4: inner brows down, slanting inwards
    "surprised": {"brow_inner": (+1, 0.05), "brow_outer": (+1, 0.05), "gap": (+1, 0.15)},  # AU1+2, AU26
    "fearful": {"brow_inner": (+1, 0.025), "brow_outer": (+1, 0.03), "width": (+1, 0.1), "gap": (+1, 0.08)},
    # AU9+10(+4): real disgust apexes raise the upper lip 0.001-0.03 IPD and the nose wings 0.014-0.069
    # (docs/generate.md, "Disgust's apex from real faces"), so the floors sit inside what real faces do
    # (session 8: AU10 trace beyond AU9's share; the drawn raise is 0.018-0.041, was 0.028-0.077)
    "disgusted": {"upper_lip": (+1, 0.015), "nose_wings": (+1, 0.015), "brow_inner": (-1, 0.01)},
}


@pytest.fixture(scope="module")
def renderer():
    return AvatarRenderer("default", size=SIZE)


@pytest.fixture(scope="module")
def neutral(renderer):
    return _features(renderer, None)


@pytest.mark.parametrize("emotion", list(DRAWN))
@pytest.mark.parametrize("preset", preset_names())
def test_defining_shapes_are_drawn(preset, emotion):
    # every built-in look (anime eyes, glasses, hair over the brows …), three generated takes each
    r = AvatarRenderer(preset, size=SIZE)
    neutral = _features(r, None)
    for seed in (0, 3, 11):
        drawn = _features(r, frontal(express(emotion, seed=seed)[0]))
        for feature, (sign, least) in DRAWN[emotion].items():
            change = drawn[feature] - neutral[feature]
            assert sign * change >= least, (preset, emotion, seed, feature, round(change, 4))


def test_anger_and_sadness_slant_the_brows_opposite_ways(renderer, neutral):
    # the two brows a viewer tells apart first: inward-down for anger, inward-up for sadness
    angry = _features(renderer, frontal(express("angry", seed=5)[0]))
    sad = _features(renderer, frontal(express("sad", seed=5)[0]))
    assert angry["brow_slant"] < neutral["brow_slant"] < sad["brow_slant"]


def test_the_difference_is_visible_in_pixels(renderer):
    # the raster, not only the geometry: the brow band changes for anger, the mouth for happiness
    base = renderer.render(None).astype(np.float32)
    angry = renderer.render(frontal(express("angry", seed=0)[0])).astype(np.float32)
    happy = renderer.render(frontal(express("happy", seed=0)[0])).astype(np.float32)
    brows = (slice(int(0.30 * SIZE), int(0.42 * SIZE)), slice(int(0.3 * SIZE), int(0.7 * SIZE)))
    mouth = (slice(int(0.58 * SIZE), int(0.72 * SIZE)), slice(int(0.3 * SIZE), int(0.7 * SIZE)))
    changed = lambda a, region: float((np.abs(a[region] - base[region]).max(axis=-1) > 40).mean())
    assert changed(angry, brows) > 0.02
    assert changed(happy, mouth) > 0.05
