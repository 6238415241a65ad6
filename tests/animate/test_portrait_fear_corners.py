"""A fearful apex on a smiling photo does not re-smile: the closed loop leaves the mouth corners'
height to what the frame asks of them (issue #12, HP16).

fear asks MouthStretch 0.7 and parted lips, no pull and no frown. The loop's corner slots aimed at
the stretch's outward motion (which the pull's reading counts) and the parted lips' implied corner
lift, against targets relative to the smiling photo, whose rest's corners ``calibrate.rest_corners``
levels to a neutral face's: the frown was corrected to -0.35 (its limit) and 0-f15-hao's fearful
corners stood 0.048 IPD (left) above the rest's, a crescent of teeth that read happy. Measured on
re-tracked renders, as ``facemimic animate PHOTO --expression fearful`` draws them."""

from __future__ import annotations

import numpy as np

from facemimic.animate.drivers import DriverSpec, build
from facemimic.animate.portrait import calibrate
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions, timeline
from facemimic.expressions import geometry


def test_a_fearful_apex_keeps_a_smiling_photos_corners_at_the_rests_height(samples):
    with build(DriverSpec(expression="fearful", duration=2.0, fps=10.0, seed=1)) as driven:
        frames = timeline(driven.track, fps=10.0, duration=driven.duration)
    opts = PortraitOptions(size=256, rest="neutral", refine=True)
    with PortraitAnimator(str(samples / "0-f15-hao-ph.jpg"), opts) as anim:
        images = [anim.draw(anim.plan(f)) for f in frames[:8]]
    first, apex = calibrate.retrack([images[0], images[7]])
    h, w = images[0].shape[:2]
    up = [np.asarray(geometry.measure(np.asarray(f.landmarks, np.float64), (w, h)).corner_up) for f in (first, apex)]
    rise = up[1] - up[0]
    print("corner rise over the rest (left, right), IPD:", rise.round(3).tolist())
    # old: +0.047 / +0.019 (the loop's frown at -0.35); new -0.006 / +0.002
    assert np.all(rise <= 0.02), rise
