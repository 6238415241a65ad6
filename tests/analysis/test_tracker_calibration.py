"""The analyser's optional calibration for captures uses the measured tracker model (fitted in the unit)."""

import numpy as np

from facemimic.analysis.classifier import (
    degrade_like_tracker,
    features,
    fit_classifier,
    load_classifier,
)
from facemimic.generate.api import generate
from facemimic.emotions.states import BASIC
from facemimic.emotions.facs import X_INDEX
from facemimic.generate.tracker_model import load_tracker_model


def test_degradation_follows_the_measured_gains():
    tm = load_tracker_model()
    x = generate("surprised", seed=0, variations=400, intensity=1.0).x
    seen = degrade_like_tracker(x, np.random.default_rng(0), tm)
    assert seen.shape == x.shape and seen.min() >= 0 and seen.max() <= 1
    # Jittered around the measured gains (in the unit capture measures the lids, so wide eyes stay).
    for name in ("EyeWideLeft", "BrowInnerUpLeft"):
        c = X_INDEX[name]
        ratio = seen[:, c].mean() / x[:, c].mean()
        assert 0.5 * tm.gain[c] < ratio < 1.6 * tm.gain[c], name
    assert seen[:, X_INDEX["EyeWideLeft"]].mean() > 0.2
    assert np.all(seen[:, ~tm.reported] == 0)


def test_shipped_analyser_records_its_calibration():
    # The shipped analyser uses the fixed weak-channel table (see scripts/train_default_model.py).
    assert load_classifier().header["training"]["tracker_model"] is None


def test_small_fit_with_a_tracker_model_learns_basic_emotions():
    clf, hist = fit_classifier(n_synthetic=4000, epochs=3, seed=1, tracker="default")
    assert hist[-1]["loss"] < hist[0]["loss"]
    assert clf.header["training"]["tracker_model"] == list(load_tracker_model().sources)
    x = np.concatenate([generate(e, seed=5, variations=10, intensity=1.0).x for e in ("happy", "surprised")])
    _, pb = clf.predict(features(x))
    assert (pb[:10].argmax(1) == BASIC.index("happy")).mean() >= 0.8
    assert (pb[10:].argmax(1) == BASIC.index("surprised")).mean() >= 0.8
