"""The avatar's teeth in a smile (issue #15 §1): brightest at the incisors and in the cheeks' shadow
by the mouth's corners, as real smiles show them, and warmed by the sitter's own skin tone instead of
a grey-green ivory — read on a real photo's avatar, rendered smiling and re-tracked, with the
measures of ``benchmarks/avatar_mouths.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import avatar_mouths as mouths  # noqa: E402


@pytest.fixture(scope="module")
def smile(photo_avatar):
    """(RGB render (512, 512, 3) of single_face.jpg's avatar at the generated happy apex, its
    re-tracked landmark pixels (478, 2))."""
    from facemimic.generate.api import express

    avatar = photo_avatar("single_face.jpg")
    image = avatar.render(express("happy", variations=1, seed=1)[0], size=512)[..., :3]
    lm = mouths.landmarks(image)
    assert lm is not None
    return image, lm


def test_a_smile_s_side_teeth_lie_in_the_cheeks_shadow(smile):
    profile = mouths.teeth_row(*smile)
    peak = profile.max()
    # real smiles (CK+, single_face.jpg, 0-f15-hao-ph.jpg): the outermost tenth 0.09-0.33 of the peak;
    # lit like the incisors (before) 0.47-0.60 on this avatar, now 0.28-0.38
    assert profile[0] / peak < 0.43 and profile[-1] / peak < 0.43, profile.round()
    # ... and the teeth either side of the incisors stay lit (0.42-0.80 of the peak one bin in)
    assert profile[1] / peak > 0.42 and profile[-2] / peak > 0.42, profile.round()
    assert profile[3:7].min() / peak > 0.8, profile.round()


def test_the_teeth_take_part_of_the_skin_s_warmth(smile):
    warmth = mouths.mouth_measures(*smile)["warmth"]
    # real toothy smiles: the teeth's a* 0.52-0.68 of their skin's; the plain ivory's was 0.08
    assert 0.3 < warmth < 0.8, warmth


def test_teeth_colour_follows_the_skin_tone_at_the_ivory_s_brightness():
    from facemimic.head3d.head import TEETH_RGB, teeth_colour

    ivory = np.asarray(TEETH_RGB)
    assert np.allclose(teeth_colour(None), ivory)
    ruddy, olive = teeth_colour((0.85, 0.55, 0.45)), teeth_colour((0.70, 0.62, 0.45))
    assert ruddy[0] / ruddy[2] > olive[0] / olive[2] > ivory[0] / ivory[2]  # warmer with a warmer skin
    assert ruddy[0] / ruddy[1] > olive[0] / olive[1]  # redder with a redder skin
    for c in (ruddy, olive):
        assert abs(c.mean() - ivory.mean()) < 0.01 and c.max() <= 1.0
