"""A smile drawn as real smiles are (issue #12, twelfth session): the teeth fill most of the parted
lips.

Real CK+ happy apexes against their own neutral onsets (3 people, 6 frames) and 0-f15-hao-ph: the
teeth fill 0.81-0.98 of the opening below the upper lip as one bright run (``mouth.SMILE_TEETH``).
Before, the painted upper row stayed a skull-fixed sliver under a lip the model barely lifts
(15-f13-anc-ph's happy apex, open loop: teeth over 0.49 of the middle of the opening, then a black
stripe of cavity: a clenched band).
"""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.animate.drivers import DriverSpec, build
from facemimic.animate.portrait import landmarks as L
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.expressions.names import UE_NAMES, ue_index


def _apex(expression: str):
    track = build(DriverSpec(expression=expression, duration=2.0, fps=10.0, seed=1)).track
    w = np.nan_to_num(np.asarray(track.weights, np.float64))
    keep = [k for k, n in enumerate(UE_NAMES) if not n.startswith("Eye")]
    return list(track)[int(np.argmax(np.abs(w[:, keep]).sum(axis=1)))]


def _drawn(anim: PortraitAnimator, frame) -> np.ndarray:
    """The moved landmarks (478, 2) px of ``frame`` as the open-loop render draws them."""
    plan = anim.plan(frame)
    c = anim.model.controls(plan.drive)
    motion = np.tensordot(c, anim.model.basis, axes=1) + anim._rest_overlap + anim.pose.motion(plan.head)
    return anim.points + anim.warp.fold_free(motion)


def _corner_rise(anim: PortraitAnimator, target: np.ndarray) -> float:
    """How far (IPD) the mouth corners of ``target`` rose from the photo's (mean of both)."""
    ids = [L.MOUTH_CORNER["right"], L.MOUTH_CORNER["left"]]
    down = anim.model.frame.rotation[:, 1]
    return -float(np.mean((target[ids] - anim.points[ids]) @ down)) / anim.model.frame.sx


def _teeth_share(anim: PortraitAnimator, target: np.ndarray) -> float:
    """Share of the opening's middle columns (a central incisor's width) painted as teeth: bright
    pixels of the interior layer against the dark cavity, from the upper lip down to the lower lip."""
    box, img, alpha, amount = anim.mouth.layer(target, anim.image.shape)
    x0, y0 = box[:2]
    mid = (target[13] + target[14]) / 2 - (x0, y0)
    half = max(int(round(0.06 * anim.model.frame.sx)), 1)
    cols = slice(int(round(mid[0])) - half, int(round(mid[0])) + half + 1)
    inside = alpha[:, cols, 0] > 0.6 * amount
    lum = img[:, cols].mean(2)
    teeth = inside & (lum > 1.1 * float(anim.mouth.palette.lip.mean()))
    return float(teeth.sum() / max(inside.sum(), 1))


@pytest.fixture(scope="module")
def anc(samples):
    with PortraitAnimator(str(samples / "15-f13-anc-ph.jpg"),
                          PortraitOptions(size=256, rest="neutral", refine=False)) as anim:
        yield anim


def test_a_smiles_upper_teeth_fill_most_of_the_parted_lips(anc):
    assert not anc.mouth.palette.from_photo  # closed lips in the photo: the teeth are painted
    target = _drawn(anc, _apex("happy"))
    assert _corner_rise(anc, target) > 0.06  # the corners are up
    assert anc.mouth.opening(target) / anc.model.frame.sx > 0.04  # and the lips parted
    # real smiles 0.81-0.98 (the anti-aliased lip edges count as not teeth here); 0.49 before
    assert _teeth_share(anc, target) > 0.75


def test_an_opening_without_a_smile_keeps_its_teeth_behind_the_lip(anc):
    # a surprised oval: the jaw drops, the corners do not rise; the upper teeth stay a sliver
    target = _drawn(anc, _apex("surprised"))
    assert _corner_rise(anc, target) < 0.01
    assert _teeth_share(anc, target) < 0.3


@pytest.mark.parametrize("expression", ["angry", "sad", "fearful", "disgusted"])
def test_no_other_emotion_is_drawn_as_a_smile(anc, expression):
    # the corners against the skull alone read an apex's head pitched down as a smile (angry on
    # 15-f13-anc: +0.04 IPD), against the upper lip's middle alone a press's thinned lip (+0.03)
    assert anc.mouth.smile(_drawn(anc, _apex(expression))) < 0.05
