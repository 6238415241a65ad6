"""The closed loop's composed mouth targets at a smile's open-mouthed apex (issue #12 §1, implied.py).

A smile's pull lifts the upper lip beside the philtrum (real CK+ smiles: 0.14-0.26 of the pull) and
an open mouth's corners follow its lips only partly (real CK+ surprise: 0.36 of the lower lip's
drop). Composed without them, the loop read a smiling frowner's upper lip as raised too far and
pulled it down at its limit (MouthUpperUp -0.33/-0.35), carrying the lips' middle down, so the
corners read "high" against it and the frown slot frowned the smile.
"""

from __future__ import annotations

import numpy as np

from facemimic.animate.drivers import DriverSpec, build
from facemimic.animate.portrait import refine
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions, timeline
from facemimic.expressions.names import UE_NAMES


def _happy_apex_corrections(photo) -> dict[str, float]:
    """The loop's corrections at the apex of ``animate PHOTO --expression happy`` (the CLI's clip:
    256 px, 2 s at 10 fps, seed 1, rest neutral, closed loop)."""
    with build(DriverSpec(expression="happy", duration=2.0, fps=10.0, seed=1)) as driven:
        frames = timeline(driven.track, fps=10.0, duration=driven.duration)
    w = np.array([np.nan_to_num(f.weights) for f in frames])
    keep = [k for k, n in enumerate(UE_NAMES) if not n.startswith("Eye")]
    apex = int(np.argmax(np.abs(w[:, keep]).sum(1)))
    with PortraitAnimator(str(photo), PortraitOptions(size=256, rest="neutral", refine=True)) as anim:
        for frame in frames[:apex + 1]:
            anim.plan(frame)
        return {channel: float(c) for (_, channel), c in zip(refine.LOOP, anim._loop.corr)}


def test_a_smiles_upper_lip_is_not_pulled_down_on_a_frowning_sitter(samples):
    corr = _happy_apex_corrections(samples / "15-f13-anc-ph.jpg")
    # before the composition: -0.33 / -0.35 (the limit); after: -0.06 / -0.13
    for side in ("Left", "Right"):
        assert corr[f"MouthUpperUp{side}"] > -0.25, corr
