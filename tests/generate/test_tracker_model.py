"""The capture measurement model: fitted in the unit on real captured frames, shipped, used for plausibility."""

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


def test_measured_gains_in_the_unit():
    # Issue #11: capture measures these channels from the landmarks, so the shapes MediaPipe's scores
    # never move (eyeWide, noseSneer, cheekSquint: gains 0.05, 0, 0 when this model was fitted on
    # MediaPipe's scale) are seen now; the jaw is read at about its size (a gape is a gape).
    tm = load_tracker_model()
    assert tm.units == "extent"
    g = {n: float(tm.gain[i]) for n, i in X_INDEX.items()}
    assert g["EyeWideLeft"] > 0.5
    for n in ("NoseSneerLeft", "CheekSquintLeft"):
        assert g[n] > 0.1, n
    assert 0.8 < g["JawOpen"] <= 1.5
    # Real people show a smile and raised brows smaller than the FACS prototypes' apex (measured, not assumed).
    assert 0.3 < g["MouthCornerPullLeft"] < 1.0 and 0.05 < g["BrowInnerUpLeft"] < 0.8
    assert g["BrowLowererLeft"] == g["BrowLowererRight"]  # no preferred side
    assert not tm.reported[X_INDEX["TongueUp"]] and tm.reported[X_INDEX["EyeClosedLeft"]]


def test_observe_is_bounded_and_monotonic():
    tm = load_tracker_model()
    g = generate("surprised", seed=2, variations=8)
    seen = tm.observe(g.x)
    assert seen.shape == (8, 90) and seen.min() >= 0 and seen.max() <= 1
    assert np.all(tm.observe(g.x * 0.5) <= seen + 1e-6)
    assert np.all(seen[:, ~tm.reported] == 0)


def test_old_mediapipe_scale_model_files_still_load(tmp_path):
    # A schema-1 file (before models recorded their unit) was fitted on MediaPipe's scores.
    d = load_tracker_model().to_json()
    d.pop("units")
    d["schema"] = 1
    old = tmp_path / "old.json"
    old.write_text(json.dumps(d))
    assert load_tracker_model(old).units == "mediapipe"
    d["units"] = "furlongs"
    old.write_text(json.dumps(d))
    with pytest.raises(ModelAssetError, match="old.json: unknown units 'furlongs'"):
        load_tracker_model(old)


def test_tracked_view_of_generated_faces_is_near_real_frames_but_noise_is_not(real):
    # Held-out real frames of the sample videos vs generated "happy"/"amused", seen as a capture would.
    tm = load_tracker_model()
    k = held_out(real.source, real.time)
    r, src, t = tm.view(real.x[k]), real.source[k], real.time[k]
    d_rr = np.linalg.norm(r[:, None] - r[None], axis=-1)
    d_rr[(src[:, None] == src[None]) & (np.abs(t[:, None] - t[None]) < 1.0)] = np.inf  # not the same moment
    thr = np.percentile(d_rr.min(1), 95)
    for p in ("happy", "amused"):
        x = tm.observe(generate(p, seed=1, variations=20, intensity=0.7).x)
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
