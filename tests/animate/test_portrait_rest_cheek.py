"""A neutral rest takes a smile's cheek raise off no further than a real smile raised it (issue #12,
the astronaut's identity).

The CheekSquint template's apple sits below the unit's point (the infraorbital cheek, which it
raises 0.1 IPD at full extent) and moved the mid-cheek 2.4x as far: the astronaut's rest (CheekSquint
0.42-0.45) pulled her mid-cheek 0.126 IPD down, more than three real full smiles ever raised it
(0.075-0.111), a hollow from the nose to the jaw (dlib 0.393 from her photo; 0.368 with the bound).
Real smiles move the mid-cheek 1.32-1.45x their infraorbital rise (``CHEEK_REST_REACH``).
"""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.animate.portrait import animator
from facemimic.animate.portrait import landmarks as L
from facemimic.animate.portrait import model as M
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.expressions.names import N_UE, ue_index

MID_CHEEK = {"left": 425, "right": 205}


def _rest_motion(anim) -> np.ndarray:
    """(478,) how far (IPD) the rest moves each landmark back: the rest's controls and its overlap."""
    zero = M.drive_vector(np.zeros(N_UE, np.float32), (1.0, 1.0))
    motion = np.tensordot(anim.model.controls(zero), anim.model.basis, axes=1)
    motion = motion + animator.rest_overlap(anim.model, anim.points)
    return np.linalg.norm(motion, axis=1) / float(np.linalg.norm(anim.points[468] - anim.points[473]))


@pytest.fixture(scope="module")
def cheek_rest(samples):
    """single_face with a rest that is the astronaut's cheek raise alone (CheekSquint 0.45)."""
    w = np.zeros(N_UE, np.float32)
    for s in ("Left", "Right"):
        w[ue_index(f"CheekSquint{s}")] = 0.45
    rest = animator.frame_drive(w, (1.0, 1.0))
    mp = pytest.MonkeyPatch()
    mp.setattr(animator, "neutral_rest", lambda frame, points, photo_size=None: rest)
    try:
        opts = PortraitOptions(size=256, rest="neutral", calibrate=False, refine=False, mouth=False, eyes=False)
        with PortraitAnimator(str(samples / "single_face.jpg"), opts) as anim:
            yield anim
    finally:
        mp.undo()


def test_taking_the_cheek_raise_off_reaches_no_further_than_a_real_smile(cheek_rest):
    move = _rest_motion(cheek_rest)
    for side in M.SIDES:
        unit = move[M.CHEEK_UPPER[side]]
        assert unit == pytest.approx(0.045, abs=0.01)  # the unit: 0.45 of 0.1 IPD, taken off
        # the old template: the mid-cheek 2.4x the infraorbital point
        assert move[MID_CHEEK[side]] <= animator.CHEEK_REST_REACH * unit * 1.01, (side, move[MID_CHEEK[side]], unit)
    # anywhere else the cheek's rest reaches (the rest's jaw also closes the photo's open mouth)
    cheek = [M.CONTROL_NAMES.index(f"cheek_squint_{s}") for s in M.SIDES]
    others = np.asarray(cheek_rest.model.rest_mix, np.float64).copy()
    others[cheek] = 0.0
    away = np.linalg.norm(np.tensordot(others, cheek_rest.model.basis, axes=1), axis=1) < 1e-3
    assert away.sum() > 300
    unit = max(move[M.CHEEK_UPPER[s]] for s in M.SIDES)
    assert move[away].max() <= animator.CHEEK_REST_REACH * unit * 1.01

def test_the_cheek_is_still_taken_off_in_full_at_the_units_point(cheek_rest, monkeypatch):
    """The bound shortens the template's reach, not the rest: the infraorbital cheek and the lower
    lid come down as far as without it (the unit's point is exact), the mid-cheek less far."""
    move = _rest_motion(cheek_rest)
    monkeypatch.setattr(animator, "CHEEK_REST_REACH", np.inf)
    unbound = _rest_motion(cheek_rest)
    for side in M.SIDES:
        kept = [M.CHEEK_UPPER[side], *L.EYE_LOWER[side][1:-1]]
        assert np.allclose(move[kept], unbound[kept], rtol=1e-4), side
        assert move[MID_CHEEK[side]] < 0.7 * unbound[MID_CHEEK[side]]  # 2.4x the unit's point before
