"""UE -> VRCFT v2 parameters: names and the exact formulas of the spec (§1.2, §2.2)."""

import numpy as np
import pytest

from facemimic.expressions import vrcft
from facemimic.expressions.frame import ExpressionFrame
from facemimic.expressions.names import UE_NAMES


def approx(v):
    # Parameters are float32, like VRCFT's.
    return pytest.approx(v, abs=1e-5)


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(7)
    shapes = dict(zip(UE_NAMES, rng.uniform(0, 1, 88).round(3)))
    return ExpressionFrame.from_shapes(
        shapes, gaze_left=(0.2, -0.1), gaze_right=(0.4, 0.3), openness_left=0.9, openness_right=0.3,
        head_rotation=(45.0, -9.0, 18.0), head_position=(0.1, -0.05, 0.25))


@pytest.fixture(scope="module")
def params(frame):
    return vrcft.frame_parameters(frame)


def test_parameter_set_is_complete(params):
    assert len(vrcft.COMBINED_DEFINITIONS) == 77
    assert len(params) == 88 + 8 + 80 + 6
    assert all(k.startswith("v2/") for k in params)
    for name in UE_NAMES:
        assert f"v2/{name}" in params
    for name in ("EyeX", "EyeLeftY", "EyeRightX", "PupilDilation", "EyeLid", "BrowExpression",
                 "MouthX", "LipSuckFunnelLowerRight", "SmileSad", "TongueShape", "Head/Roll"):
        assert f"v2/{name}" in params


def test_base_shapes_pass_through(frame, params):
    for name in UE_NAMES:
        assert params[f"v2/{name}"] == approx(frame.weight(name))


def test_simple_expressions(frame, params):
    S = frame.weight
    assert params["v2/BrowUpLeft"] == approx(0.6 * S("BrowOuterUpLeft") + 0.4 * S("BrowInnerUpLeft"))
    assert params["v2/BrowDownRight"] == approx(0.75 * S("BrowLowererRight") + 0.25 * S("BrowPinchRight"))
    assert params["v2/MouthSmileLeft"] == approx(0.8 * S("MouthCornerPullLeft") + 0.2 * S("MouthCornerSlantLeft"))
    assert params["v2/MouthSadRight"] == approx(max(S("MouthFrownRight"), S("MouthStretchRight")))


def test_combined_formulas(frame, params):
    S = frame.weight
    p = lambda n: params["v2/" + n]  # noqa: E731
    smile_l = 0.8 * S("MouthCornerPullLeft") + 0.2 * S("MouthCornerSlantLeft")
    smile_r = 0.8 * S("MouthCornerPullRight") + 0.2 * S("MouthCornerSlantRight")
    sad_l = max(S("MouthFrownLeft"), S("MouthStretchLeft"))
    sad_r = max(S("MouthFrownRight"), S("MouthStretchRight"))
    down_l = 0.75 * S("BrowLowererLeft") + 0.25 * S("BrowPinchLeft")
    down_r = 0.75 * S("BrowLowererRight") + 0.25 * S("BrowPinchRight")
    assert p("EyeX") == approx((0.2 + 0.4) / 2)
    assert p("EyeY") == approx((-0.1 + 0.3) / 2)
    assert p("EyeRightX") == approx(0.4)
    assert p("EyeOpen") == approx(0.6)
    assert p("EyeClosedRight") == approx(0.7)
    assert p("EyeLidLeft") == approx(0.9 * 0.75 + S("EyeWideLeft") * 0.25)
    assert p("EyeLid") == approx(0.6 * 0.75 + (S("EyeWideLeft") + S("EyeWideRight")) / 2 * 0.25)
    assert p("EyeWide") == approx(max(S("EyeWideLeft"), S("EyeWideRight")))
    assert p("BrowExpressionLeft") == approx(
        min(1, 0.5 * S("BrowInnerUpLeft") + 0.5 * S("BrowOuterUpLeft")) - down_l)
    assert p("BrowExpression") == approx(
        (min(1, (S("BrowInnerUpRight") + S("BrowOuterUpRight")) * .5) - down_r
         + min(1, (S("BrowInnerUpLeft") + S("BrowOuterUpLeft")) * .5) - down_l) * 0.5)
    assert p("JawX") == approx(S("JawRight") - S("JawLeft"))
    assert p("JawZ") == approx(S("JawForward") - S("JawBackward"))
    assert p("CheekPuffSuckLeft") == approx(S("CheekPuffLeft") - S("CheekSuckLeft"))
    assert p("MouthX") == approx((S("MouthUpperRight") + S("MouthLowerRight")) / 2
                                        - (S("MouthUpperLeft") + S("MouthLowerLeft")) / 2)
    assert p("LipPucker") == approx(np.mean([S(f"LipPucker{a}{b}") for a in ("Upper", "Lower")
                                                    for b in ("Left", "Right")]))
    assert p("LipSuckFunnelUpperLeft") == approx(S("LipSuckUpperLeft") - S("LipFunnelUpperLeft"))
    assert p("MouthOpen") == approx(0.25 * (S("MouthUpperUpRight") + S("MouthUpperUpLeft")
                                                   + S("MouthLowerDownRight") + S("MouthLowerDownLeft")))
    assert p("MouthTightenerStretchRight") == approx(S("MouthTightenerRight") - S("MouthStretchRight"))
    assert p("MouthCornerY") == approx((S("MouthCornerSlantLeft") - S("MouthFrownLeft")
                                               + S("MouthCornerSlantRight") - S("MouthFrownRight")) / 2)
    assert p("SmileFrownLeft") == approx(smile_l - S("MouthFrownLeft"))
    assert p("SmileSad") == approx((smile_r + smile_l) / 2 - (sad_r + sad_l) / 2)
    assert p("SmileSadRight") == approx(smile_r - sad_r)
    # Code, not docs: TongueArchY = CurlUp - BendDown, TongueShape = Flat - Squish.
    assert p("TongueArchY") == approx(S("TongueCurlUp") - S("TongueBendDown"))
    assert p("TongueShape") == approx(S("TongueFlat") - S("TongueSquish"))
    assert p("PupilDilation") == 0.5


def test_head_parameters(params):
    assert params["v2/Head/Yaw"] == approx(0.5)
    assert params["v2/Head/Pitch"] == approx(-0.1)
    assert params["v2/Head/Roll"] == approx(0.2)
    assert params["v2/Head/PosX"] == approx(-0.2)  # 10 cm image-right = subject's left
    assert params["v2/Head/PosY"] == approx(0.1)  # 5 cm up
    assert params["v2/Head/PosZ"] == approx(-0.5)


def test_batched_matches_per_frame(frame):
    w = np.stack([frame.weights, frame.weights[::-1]])
    batch = vrcft.vrcft_parameters(w, prefix="FT/v2/")
    single = vrcft.vrcft_parameters(frame.weights[::-1].copy(), prefix="FT/v2/")
    for k, v in single.items():
        assert batch[k].shape == (2,)
        assert batch[k][1] == approx(float(v))
