"""`as tracked` = as MediaPipe would score it: response curves from the unit to MediaPipe's scale (#11)."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.emotions.facs import X_INDEX
from facemimic.errors import ModelAssetError, UnknownNameError
from facemimic.expressions.io import read_track
from facemimic.generate.api import generate
from facemimic.generate.dataset import track_to_x, tracked_sample
from facemimic.generate.mediapipe_response import (
    RESPONSE_ASSET,
    RESPONSE_PATH,
    fit_mediapipe_response,
    load_mediapipe_response,
)

SAMPLES_JSON = Path(__file__).resolve().parents[2] / "eval" / "units" / "capture_response_samples.json"


def test_shipped_curves_are_checksummed_and_refit_from_the_capture_samples():
    from facemimic.common.assets import expected_sha256, verify_file

    assert verify_file(RESPONSE_PATH, RESPONSE_ASSET) and expected_sha256(RESPONSE_ASSET)
    refit = fit_mediapipe_response(json.loads(SAMPLES_JSON.read_text())["people"])
    shipped = load_mediapipe_response()
    assert refit.fitted == shipped.fitted and "JawOpen" in shipped.fitted and "CheekPuffLeft" not in shipped.fitted
    for mode in ("image", "video"):
        assert np.allclose(refit.tables[mode], shipped.tables[mode], atol=1e-4)


def test_curves_carry_what_mediapipe_is_measured_to_do():
    r = load_mediapipe_response()
    one = np.zeros((3, 90), np.float32)
    one[:, X_INDEX["JawOpen"]] = (0.3, 0.6, 0.0)  # talking jaw, gape
    for n in ("EyeWideLeft", "CheekSquintLeft", "NoseSneerLeft", "BrowInnerUpLeft", "MouthCornerPullLeft"):
        one[:, X_INDEX[n]] = (1.0, 0.2, 0.0)
    one[1, X_INDEX["MouthCornerPullLeft"]] = 0.3
    s = r.observe(one)
    assert s[0, X_INDEX["JawOpen"]] < 0.1 < 0.4 < s[1, X_INDEX["JawOpen"]]  # convex: talking under-read
    for n in ("EyeWideLeft", "CheekSquintLeft", "NoseSneerLeft"):
        assert s[0, X_INDEX[n]] < 0.05, n  # MediaPipe's dead scores
    assert s[0, X_INDEX["BrowInnerUpLeft"]] < 0.6  # brows saturate
    assert s[1, X_INDEX["MouthCornerPullLeft"]] > 0.5  # under a third of the broadest laugh: a big smile
    assert s[2, X_INDEX["EyeSquintLeft"]] > 0.3  # MediaPipe's resting eyeSquint
    # Channels kept as MediaPipe's score in both units, and eye closure, pass through.
    x = np.zeros((1, 90), np.float32)
    x[0, [X_INDEX["CheekPuffLeft"], X_INDEX["EyeClosedLeft"], X_INDEX["TongueUp"]]] = 0.7
    y = r.observe(x)[0]
    assert y[X_INDEX["CheekPuffLeft"]] == pytest.approx(0.7) and y[X_INDEX["EyeClosedLeft"]] == pytest.approx(0.7)
    assert y[X_INDEX["TongueUp"]] == 0  # no MediaPipe blendshape drives it
    # VIDEO mode (MediaPipe's own filter) reads brows lower.
    assert r.observe(one, "video")[1, X_INDEX["BrowInnerUpLeft"]] <= s[1, X_INDEX["BrowInnerUpLeft"]] + 0.2
    with pytest.raises(UnknownNameError, match="unknown MediaPipe mode 'vidoe'.*video"):
        r.observe(one, "vidoe")


def test_curves_predict_real_mediapipe_scores_from_the_unit(samples):
    # The same real frames captured both ways: the curves take the unit to MediaPipe's scores much
    # closer than reading the unit as if it were MediaPipe's scale.
    xe, xm = [], []
    for name in ("0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "single_face.mp4"):
        (a, oka), (b, okb) = track_to_x(tracked_sample(name)), track_to_x(tracked_sample(name, units="mediapipe"))
        xe.append(a[oka & okb])
        xm.append(b[oka & okb])
    xe, xm = np.concatenate(xe), np.concatenate(xm)
    key = [X_INDEX[n] for n in ("JawOpen", "MouthCornerPullLeft", "MouthCornerPullRight", "BrowInnerUpLeft",
                                "BrowLowererLeft", "EyeWideLeft", "EyeSquintLeft", "CheekSquintLeft", "NoseSneerLeft")]
    err_curves = np.abs(load_mediapipe_response().observe(xe)[:, key] - xm[:, key]).mean()
    err_identity = np.abs(xe[:, key] - xm[:, key]).mean()
    assert err_curves < 0.1 and err_curves < 0.7 * err_identity, (err_curves, err_identity)


def test_as_tracked_is_bounded_monotonic_and_drops_what_mediapipe_cannot_see():
    g = generate("surprised", seed=2, variations=8)
    seen = g.as_tracked()
    assert seen.shape == (8, 90) and seen.min() >= 0 and seen.max() <= 1
    half = type(g)(**{**g.__dict__, "x": g.x * 0.5}).as_tracked()
    assert np.all(half <= seen + 1e-6)
    assert g.x[:, X_INDEX["EyeWideLeft"]].mean() > 0.3 and seen[:, X_INDEX["EyeWideLeft"]].mean() < 0.05


def test_express_as_tracked_track_says_mediapipe_and_analyze_converts_it_back(tmp_path):
    shown, seen = tmp_path / "shown.jsonl", tmp_path / "seen.jsonl"
    run = CliRunner()
    assert run.invoke(cli, ["express", "surprised", "-n", "6", "--seed", "4", "-o", str(shown)]).exit_code == 0
    r = run.invoke(cli, ["express", "surprised", "-n", "6", "--seed", "4", "--as-tracked", "-o", str(seen)])
    assert r.exit_code == 0, r.output
    a, b = read_track(shown), read_track(seen)
    assert a.metadata["units"] == "extent" and b.metadata["units"] == "mediapipe" and b.metadata["as_tracked"]
    from facemimic.analysis.api import analyze, in_unit

    back = in_unit(b)
    assert back.metadata["units"] == "extent"
    # Converted back through capture's curves: a jaw MediaPipe scores 0.52 is a gape again.
    assert np.abs(back.weights[:, X_INDEX["JawOpen"]] - a.weights[:, X_INDEX["JawOpen"]]).mean() < 0.15
    res = analyze(str(seen))
    assert sum(res.top_basic(i, 1)[0][0] == "surprised" for i in range(len(res))) >= 5


def test_bad_response_files_are_named(tmp_path):
    bad = tmp_path / "resp.json"
    bad.write_text("{not json")
    with pytest.raises(ModelAssetError, match="resp.json: not a readable"):
        load_mediapipe_response(bad)
    bad.write_text(json.dumps({"format": "facemimic.mediapipe_response", "knots": 21,
                               "curves": {"JawOpen": {"image": [1.0] * 20 + [0.0], "video": [0.0] * 21}}}))
    with pytest.raises(ModelAssetError, match="resp.json: curve JawOpen/image must be 21 finite non-decreasing"):
        load_mediapipe_response(bad)
    copy = load_mediapipe_response().save(tmp_path / "copy.json")
    assert np.allclose(load_mediapipe_response(copy).tables["image"], load_mediapipe_response().tables["image"], atol=1e-4)
