"""The webcam tracker's measurement model: fitted on real tracked frames, shipped, used for plausibility."""

import json

import numpy as np
import pytest

from facemimic.errors import ModelAssetError
from facemimic.generate.api import generate
from facemimic.generate.dataset import held_out, real_frames
from facemimic.emotions.facs import X_INDEX
from facemimic.generate.tracker_model import (
    TRACKER_PATH,
    TrackerModel,
    fit_tracker_model,
    load_tracker_model,
)


@pytest.fixture(scope="session")
def real(samples):
    return real_frames()


def test_shipped_model_is_checksummed_and_reproducible(real):
    shipped = load_tracker_model()
    from facemimic.common.assets import expected_sha256, verify_file

    assert verify_file(TRACKER_PATH, "generate/weights/tracker.json") and expected_sha256("generate/weights/tracker.json")
    # Refit exactly as scripts/train_default_model.py does: training frames only.
    from facemimic.generate.dataset import hand_over_mouth, tracker_fit_frames

    fit_on = tracker_fit_frames(real)
    assert not held_out(fit_on.source, fit_on.time).any() and not hand_over_mouth(fit_on.source, fit_on.time).any()
    refit = fit_tracker_model(fit_on)
    assert np.allclose(refit.gain, shipped.gain, atol=1e-3) and np.allclose(refit.floor, shipped.floor, atol=1e-3)


def test_measured_gains_match_what_mediapipe_is_known_to_do():
    tm = load_tracker_model()
    g = {n: float(tm.gain[i]) for n, i in X_INDEX.items()}
    # Dead in MediaPipe's blendshapes (spec tracking.md): measured near zero, not assumed.
    for n in ("EyeWideLeft", "NoseSneerLeft", "CheekSquintLeft"):
        assert g[n] < 0.1, n
    # Brows are reported at a fraction of their size; the smile close to its size.
    assert 0.1 < g["BrowLowererLeft"] < 0.7 and 0.1 < g["BrowInnerUpLeft"] < 0.8
    assert g["MouthCornerPullLeft"] > 0.6
    assert g["BrowLowererLeft"] == g["BrowLowererRight"]  # no preferred side
    assert not tm.reported[X_INDEX["TongueUp"]] and tm.reported[X_INDEX["EyeClosedLeft"]]


def test_observe_is_bounded_and_monotonic():
    tm = load_tracker_model()
    g = generate("surprised", seed=2, variations=8)
    seen = g.as_tracked()
    assert seen.shape == (8, 90) and seen.min() >= 0 and seen.max() <= 1
    assert np.all(tm.observe(g.x * 0.5) <= tm.observe(g.x) + 1e-6)
    assert np.all(seen[:, ~tm.reported] == 0)


def test_tracked_view_of_generated_faces_is_near_real_frames_but_noise_is_not(real):
    # Held-out real frames of the sample videos vs generated "happy"/"surprised", seen by the tracker.
    tm = load_tracker_model()
    k = held_out(real.source, real.time)
    r, src, t = tm.view(real.x[k]), real.source[k], real.time[k]
    d_rr = np.linalg.norm(r[:, None] - r[None], axis=-1)
    d_rr[(src[:, None] == src[None]) & (np.abs(t[:, None] - t[None]) < 1.0)] = np.inf  # not the same moment
    thr = np.percentile(d_rr.min(1), 95)
    for p in ("happy", "amused"):
        x = generate(p, seed=1, variations=20, intensity=0.7).as_tracked()
        assert (np.linalg.norm(tm.view(x)[:, None] - r[None], axis=-1).min(1) <= thr).mean() >= 0.8, p
    noise = np.random.default_rng(0).uniform(0, 1, (50, 90)).astype(np.float32)
    assert (np.linalg.norm(tm.view(tm.observe(noise))[:, None] - r[None], axis=-1).min(1) <= thr).mean() < 0.1


def test_bad_tracker_files_are_named(tmp_path):
    bad = tmp_path / "tracker.json"
    bad.write_text("{not json")
    with pytest.raises(ModelAssetError, match="tracker.json"):
        load_tracker_model(bad)
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ModelAssetError, match="not a FaceMimic tracker model"):
        load_tracker_model(bad)
    with pytest.raises(ModelAssetError, match="gain"):
        TrackerModel(np.ones(3), np.zeros(90), np.ones(90, bool))
    tm = load_tracker_model()
    p = tm.save(tmp_path / "copy.json")
    again = load_tracker_model(p)
    assert np.allclose(again.gain, tm.gain, atol=1e-4) and np.array_equal(again.reported, tm.reported)
