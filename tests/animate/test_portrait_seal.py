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


def test_the_lips_own_share_of_the_seal_moves_the_corners_not_the_jaws(model):
    """seal_amounts: a jaw opening past the photo's gap takes the gap into its own (sealed, no
    corner rise); lips held shut over the jaw close it themselves (the corners rise with them); a
    speaking lip shape relaxes it to the speaking rest (the corners rise by that share)."""
    assert model.seal_amounts(_drive(model, JawOpen=0.6)) == (1.0, 0.0)
    assert model.seal_amounts(_drive(model, JawOpen=0.1, MouthClosed=0.1)) == (1.0, 1.0)
    seal, lips = model.seal_amounts(_drive(model, MouthStretchLeft=0.1))
    assert lips == pytest.approx(1.0 - SPEAKING_REST_GAP / model.photo_gap, abs=1e-6)
    assert seal == pytest.approx(lips, abs=1e-6)
    assert model.seal_amounts(np.zeros(len(model.rest), np.float32)) == (0.0, 0.0)


def test_a_sealed_toothy_smile_keeps_its_corners_against_the_mouths_centre(samples):
    """A reenactment driver's closed lips over single_face.jpg's toothy smile (JawOpen = MouthClosed
    = 0.1, nothing else asked): re-tracked, the lips meet and the smile measure (the corners' pull
    along the smile line, their height counted from the inner lips' centre: docs/units.md) stays
    within 0.02 IPD of the photo's (both sides' mean; +0.009 here, open loop). Before the corners
    rose with the lower lip they stayed while the centre rose by half the 0.2 IPD gap: the closed
    smile flattened, -0.034."""
    from facemimic.animate.portrait.calibrate import rest_of, retrack
    from facemimic.expressions import geometry
    from facemimic.expressions.frame import ExpressionFrame as F

    anim = PortraitAnimator(str(samples / "single_face.jpg"), PortraitOptions(size=384, calibrate=False))
    x0, y0, x1, y1 = anim.warp.roi
    size = (x1 - x0, y1 - y0)
    centre = anim.points.mean(0) - (x0, y0)
    shut = anim.render(F.from_shapes({"JawOpen": 0.1, "MouthClosed": 0.1}))
    photo, got = retrack([anim.image[y0:y1, x0:x1], shut[y0:y1, x0:x1]], centre)
    rest, _ = rest_of(photo, size)
    m0, m1 = (geometry.measure(np.asarray(f.landmarks, np.float64), size, rest) for f in (photo, got))
    assert float(m0.lip_gap) >= 0.15, float(m0.lip_gap)
    assert float(m1.lip_gap) <= 0.03, float(m1.lip_gap)
    # (both sides' mean: one side's reading moves ~0.02 IPD with the tracker's noise on a re-track)
    assert abs(float(np.mean(m1.smile_pull - m0.smile_pull))) <= 0.02, (m0.smile_pull, m1.smile_pull)
