"""A portrait animated up to an emotion's apex as the CLI does it (imported by the portrait tests)."""

from __future__ import annotations

import contextlib

import numpy as np

from facemimic.animate.drivers import DriverSpec, build
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions, timeline
from facemimic.expressions.names import UE_NAMES


@contextlib.contextmanager
def t1_left_at_apex(emotion: str):
    """(animator, plan) at the ``emotion`` apex of insightface's ``t1.jpg``, leftmost face, as
    ``animate --expression EMOTION --crop face --face 0`` draws it (256 px, 2 s at 10 fps, seed 1,
    rest neutral, closed loop): the apex is the frame whose non-eye weights are largest, and the
    animator has planned every frame up to it (the loop's corrections included)."""
    from facemimic.samples import ensure_group_samples

    with build(DriverSpec(expression=emotion, duration=2.0, fps=10.0, seed=1)) as driven:
        frames = timeline(driven.track, fps=10.0, duration=driven.duration)
    w = np.array([np.nan_to_num(f.weights) for f in frames])
    keep = [k for k, n in enumerate(UE_NAMES) if not n.startswith("Eye")]
    apex = int(np.argmax(np.abs(w[:, keep]).sum(1)))
    opts = PortraitOptions(size=256, crop="face", face=0, rest="neutral", refine=True)
    with PortraitAnimator(str(ensure_group_samples() / "t1.jpg"), opts) as anim:
        for frame in frames[:apex + 1]:
            plan = anim.plan(frame)
        yield anim, plan
