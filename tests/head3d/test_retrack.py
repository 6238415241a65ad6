"""The avatar's expressions read back: renders of it posed are re-tracked by the capture stage."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.expressions.frame import ExpressionFrame


@pytest.fixture(scope="module")
def avatar(samples):
    from facemimic.head3d.api import make_avatar

    return make_avatar(samples / "single_face.jpg")


def test_single_shapes_read_back_monotonically(avatar):
    from facemimic.capture.api import StillTracker

    with StillTracker(max_faces=1) as tracker:
        jaw = [tracker.faces(avatar.render(ExpressionFrame.from_shapes({"JawOpen": v}), size=384))[0].weight("JawOpen")
               for v in (0.0, 0.5, 1.0)]
        eyes = [tracker.faces(avatar.render(ExpressionFrame.from_shapes({}, openness_left=v, openness_right=v),
                                            size=384))[0] for v in (1.0, 0.0)]
    assert jaw[0] < 0.05 < jaw[1] < jaw[2] and jaw[2] > 0.4, jaw  # the unit: JawOpen 1 is a wide-open jaw
    assert eyes[0].openness_left > 0.7 and eyes[1].openness_left < 0.15 and eyes[1].openness_right < 0.15


def test_generated_expressions_are_recovered(avatar):
    from facemimic.head3d.retrack import generated_frames, retrack

    res = retrack(avatar, generated_frames(1, seed=3), size=384)
    assert res.missed == 0
    assert res.r["eye openness"] >= 0.8 and res.mae["eye openness"] <= 0.2, res.line()
    assert res.r["corner pull"] >= 0.7 and res.mae["corner pull"] <= 0.2, res.line()
    assert res.r["JawOpen"] >= 0.5 and res.mae["JawOpen"] <= 0.2, res.line()
    assert res.r["brow raise"] >= 0.5, res.line()
