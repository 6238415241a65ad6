"""The seal of the photo's own lip gap (DisplacementModel.seal) on a real toothy photo."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.animate.portrait.model import SPEAKING_REST_GAP
from facemimic.expressions.names import N_UE, ue_index


@pytest.fixture(scope="module")
def model(samples):
    """single_face.jpg's model: its lips are parted 0.2 IPD, wider than a speaking rest."""
    anim = PortraitAnimator(str(samples / "single_face.jpg"), PortraitOptions(size=384, calibrate=False))
    assert anim.model.photo_gap > SPEAKING_REST_GAP + 0.05, anim.model.photo_gap
    return anim.model


def _drive(model, **shapes) -> np.ndarray:
    x = np.zeros(len(model.rest), np.float32)
    for name, w in shapes.items():
        x[ue_index(name)] = w
    return x


def test_neutral_keeps_the_photos_own_gap(model):
    x = np.zeros(len(model.rest), np.float32)
    assert model.seal(x) == 0.0
    assert model.lip_gap(x) == pytest.approx(model.photo_gap)


@pytest.mark.parametrize("lips", [{}, {"MouthClosed": 0.1}, {"LipFunnelUpperLeft": 0.05},
                                  {"MouthStretchRight": 0.2, "MouthUpperUpLeft": 0.1}])
def test_lip_gap_never_shrinks_as_the_jaw_opens(model, lips):
    """With the other shapes held, the gap a frame asks for is non-decreasing in JawOpen (the
    speaking rest used to relax 0.20 -> 0.10 IPD over JawOpen 0-0.1, faster than the jaw's own gap
    grew), and ends up at the jaw's own opening. MouthClosed <= JawOpen (VRCFT), so a held
    closure sweeps the jaw from the closure up."""
    jaws = np.linspace(lips.get("MouthClosed", 0.0), 0.8, 81)
    gaps = np.array([model.lip_gap(_drive(model, JawOpen=j, **lips)) for j in jaws])
    assert np.all(np.diff(gaps) >= -1e-6), np.round(gaps, 3)
    assert gaps[-1] >= 0.75 * (0.8 - lips.get("MouthClosed", 0.0)) - 1e-6


def test_speaking_lip_shapes_relax_a_gaping_photo_to_the_speaking_rest(model):
    """Funnel, pucker, stretch, press or closure at SPEAKING_ONSET bring the photo's gap down to
    SPEAKING_REST_GAP; a full closure seals it."""
    for name in ("LipFunnelUpperRight", "LipPuckerLowerLeft", "MouthStretchLeft", "MouthPressRight"):
        assert model.lip_gap(_drive(model, **{name: 0.1})) == pytest.approx(SPEAKING_REST_GAP, abs=1e-6), name
    assert model.lip_gap(_drive(model, JawOpen=0.3, MouthClosed=0.3)) == pytest.approx(0.0, abs=1e-6)
    assert N_UE == len(model.rest) - 5
