"""Generated basic emotions reach a recognisable FACS apex (issue #12 §2), in the unit of docs/units.md.

FACS prototypes: happy = AU6+12 (+10+25: the upper teeth real smiles show), surprised = AU1+2+5+26,
angry = AU4+5+7+23/24, disgusted = AU9+10 (+15+17), fearful = AU1+2+4+5+20+26, sad = AU1+4+15 (+17).
Fear's AU4 with AU1+2 draws the raised brows together (``BrowPinch``) without lowering them
(``BrowLowerer`` would cancel the raise on a renderer); sadness's 1+4 keeps half the lowering: the
oblique brow. At the apex of ``express_clip(EMOTION)`` (default
intensity) each defining UE channel must exceed a floor (a weight is a fraction of the shape's full
physical extent; FACS intensity C = 0.6, B = 0.4) and channels that would contradict the emotion
stay low. Both sides are checked; several seeds, since the generator varies every take.
"""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.expressions.names import UE_INDEX
from facemimic.generate.api import express, express_clip, generate

SIDED = ("BrowInnerUp", "BrowOuterUp", "BrowLowerer", "BrowPinch", "EyeWide", "EyeSquint", "CheekSquint",
         "MouthCornerPull", "MouthFrown", "MouthStretch", "MouthPress", "NoseSneer", "MouthUpperUp", "MouthLowerDown")

# emotion -> ({defining channel: floor}, {contradicting channel: ceiling})
APEX = {
    "happy": ({"MouthCornerPull": 0.55, "CheekSquint": 0.35, "MouthUpperUp": 0.25},
              {"MouthFrown": 0.1, "BrowLowerer": 0.15, "BrowInnerUp": 0.15}),
    "surprised": ({"BrowInnerUp": 0.55, "BrowOuterUp": 0.55, "EyeWide": 0.45, "JawOpen": 0.22},
                  {"BrowLowerer": 0.1, "EyeSquint": 0.1, "MouthCornerPull": 0.1}),
    "angry": ({"BrowLowerer": 0.55, "BrowPinch": 0.55, "EyeSquint": 0.45, "EyeWide": 0.25, "MouthPress": 0.35},
              {"BrowInnerUp": 0.15, "BrowOuterUp": 0.1, "MouthCornerPull": 0.1}),
    # disgust's floors follow the real disgust faces (states.py: AU9 .2, AU10 .05, AU4 .3 low ends)
    "disgusted": ({"NoseSneer": 0.18, "MouthUpperUp": 0.1, "BrowLowerer": 0.3, "MouthFrown": 0.15,
                   "MouthRaiserLower": 0.25},
                  {"MouthCornerPull": 0.1, "BrowOuterUp": 0.1}),
    "fearful": ({"BrowInnerUp": 0.55, "BrowOuterUp": 0.35, "BrowPinch": 0.35, "EyeWide": 0.55,
                 "MouthStretch": 0.45},
                {"MouthCornerPull": 0.1, "EyeSquint": 0.2, "BrowLowerer": 0.05}),
    "sad": ({"BrowInnerUp": 0.45, "BrowPinch": 0.35, "BrowLowerer": 0.15, "MouthFrown": 0.45,
             "MouthRaiserLower": 0.25},
            {"MouthCornerPull": 0.1, "BrowOuterUp": 0.15, "EyeWide": 0.15}),
}


def _values(weights: np.ndarray, channel: str) -> list[float]:
    if channel in SIDED:
        return [float(weights[UE_INDEX[channel + "Left"]]), float(weights[UE_INDEX[channel + "Right"]])]
    return [float(weights[UE_INDEX[channel]])]


@pytest.mark.parametrize("emotion", list(APEX))
@pytest.mark.parametrize("seed", [0, 7, 42])
def test_clip_apex_shows_the_facs_prototype(emotion, seed):
    track = express_clip(emotion, duration=3, seed=seed)
    w = np.nan_to_num(track.weights)
    apex = w[int(np.argmax(w.sum(1)))]
    defining, contradicting = APEX[emotion]
    for ch, floor in defining.items():
        assert min(_values(apex, ch)) >= floor, (emotion, seed, ch, _values(apex, ch))
    for ch, ceiling in contradicting.items():
        assert max(_values(apex, ch)) <= ceiling, (emotion, seed, ch, _values(apex, ch))


@pytest.mark.parametrize("emotion", list(APEX))
def test_every_pose_variation_reaches_the_floor(emotion):
    # express() poses: 24 latent draws, none may fall below the prototype's floor.
    poses = np.stack([f.weights for f in express(emotion, variations=24, seed=3)])
    for ch, floor in APEX[emotion][0].items():
        lowest = min(min(_values(p, ch)) for p in poses)
        assert lowest >= floor, (emotion, ch, lowest)


def test_degree_words_order_the_apex():
    # "a bit" < plain < "very": the natural apex is the plain prompt, the extremes on either side.
    corner = UE_INDEX["MouthCornerPullLeft"]
    v = [generate(p, seed=1, variations=16).x[:, corner].mean() for p in ("a bit happy", "happy", "very happy")]
    assert v[0] < v[1] < v[2], v
    assert v[1] >= 0.6


def test_low_intensity_stays_faint():
    # The floor is the natural apex, not a minimum at every intensity: a faint smile stays faint.
    corner = UE_INDEX["MouthCornerPullLeft"]
    faint = generate("happy", seed=1, variations=16, intensity=0.2).x[:, corner]
    assert faint.max() < 0.3


def test_usual_companions_join_the_floor():
    """FACS's happy is 6+12(+25): most smiles part the lips, and the upper teeth they show are what a
    viewer reads; angry's lips tighten (AU23). Over 30 takes the learned apex left happy's lips
    0.03 IPD apart at worst (express() poses 0.018) and angry's lip tightener at 0.03; the floor
    now holds them at AU25's / AU23's low end."""
    from facemimic.expressions.mouth import implied_lip_gap

    happy, tight = [], []
    for seed in range(30):
        w = np.nan_to_num(express_clip("happy", duration=3, seed=seed).weights)
        happy.append(implied_lip_gap(w[int(np.argmax(w.sum(1)))]))
        w = np.nan_to_num(express_clip("angry", duration=3, seed=seed).weights)
        tight.append(min(_values(w[int(np.argmax(w.sum(1)))], "MouthTightener" + "Left")
                         + _values(w[int(np.argmax(w.sum(1)))], "MouthTightener" + "Right")))
    assert min(happy) >= 0.05, np.round(happy, 3)
    assert np.median(happy) <= 0.15, np.round(happy, 3)  # a smile, not a gaping mouth
    assert min(tight) >= 0.35, np.round(tight, 2)
    poses = [implied_lip_gap(f.weights) for f in express("happy", variations=24, seed=3)]
    assert min(poses) >= 0.05, np.round(poses, 3)


def test_au1_with_au4_raises_and_draws_the_brows_together():
    """FACS 1+4 (sadness, fear, worry): inner brows up and together, never pulled down, so a renderer
    that adds BrowInnerUp and BrowLowerer does not flatten the brow; anger (no AU1) keeps its lowered
    brows, and a mixture keeps the lowerer in proportion to how little AU1 it has."""
    from facemimic.generate.api import oblique_brows, prototype_floor

    def brows(prompt):
        x = generate(prompt, seed=2, variations=16).x
        return {c: float(np.median(x[:, UE_INDEX[c + "Left"]])) for c in ("BrowInnerUp", "BrowLowerer", "BrowPinch")}

    # fear (1+2+4): up and together, nothing lowers the brow
    b = brows("fearful")
    assert b["BrowInnerUp"] >= 0.45 and b["BrowPinch"] >= 0.3 and b["BrowLowerer"] <= 0.02, b
    # sadness, worry (1+4, no AU2): the oblique brow, inner corner up by more than the lateral lowering
    for prompt in ("sad", "worried"):
        b = brows(prompt)
        assert b["BrowPinch"] >= 0.3 and 0.1 <= b["BrowLowerer"] <= b["BrowInnerUp"] - 0.2, (prompt, b)
    angry = brows("angry")
    assert angry["BrowLowerer"] >= 0.55 and angry["BrowPinch"] >= 0.55, angry
    mostly_angry = brows({"angry": 0.8, "sad": 0.2})
    assert mostly_angry["BrowLowerer"] >= 0.55, mostly_angry
    # the rule itself: the lowerer fades between FACS trace (0.2) and slight (0.4) inner raise, to
    # half without an outer raise, to nothing with one
    x = np.zeros((1, 90), np.float32)
    x[:, UE_INDEX["BrowLowererLeft"]] = 0.6

    def lowered(inner, outer):
        floor = np.zeros(90, np.float32)
        floor[UE_INDEX["BrowInnerUpLeft"]], floor[UE_INDEX["BrowOuterUpLeft"]] = inner, outer
        return float(oblique_brows(x, floor)[0, UE_INDEX["BrowLowererLeft"]])

    assert [lowered(v, 0.0) for v in (0.15, 0.3, 0.5)] == pytest.approx([0.6, 0.45, 0.3], abs=1e-6)
    assert [lowered(0.5, v) for v in (0.15, 0.3, 0.5)] == pytest.approx([0.3, 0.15, 0.0], abs=1e-6)
    assert prototype_floor({"angry": 1.0})[UE_INDEX["BrowInnerUpLeft"]] == 0.0
