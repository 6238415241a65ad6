"""Hand tuning in calibration profiles (floor, ceiling, curve; the studio's sliders): one profile
format for the studio and `facemimic track/stream --profile`."""

from __future__ import annotations

import json

import numpy as np
import pytest

import facemimic
from facemimic.capture.calibration import CalibrationProfile
from facemimic.errors import InputError, ParameterError

J = facemimic.UE_NAMES.index("JawOpen")
S = facemimic.UE_NAMES.index("MouthCornerPullLeft")


def test_untuned_profile_is_unchanged_and_files_stay_as_before(tmp_path):
    p = CalibrationProfile.identity()
    assert not p.tuned
    shapes = p.to_json()["shapes"]
    assert shapes["JawOpen"] == {"baseline": 0.0, "spread": 0.0, "gain": 1.0}
    f = facemimic.ExpressionFrame.from_shapes({"JawOpen": 0.37})
    assert np.allclose(p.apply(f).weights, f.weights)


def test_tuning_formula_and_roundtrip(tmp_path):
    p = CalibrationProfile.identity().with_tuning({"JawOpen": {"floor": 0.1, "ceiling": 0.6, "curve": 2.0},
                                                   "MouthCornerPullLeft": {"gain": 2.0}})
    assert p.tuned
    f = facemimic.ExpressionFrame.from_shapes({"JawOpen": 0.35, "MouthCornerPullLeft": 0.3})
    w = p.apply(f).weights
    assert w[J] == pytest.approx(((0.35 - 0.1) / 0.5) ** 2, abs=1e-6)
    assert w[S] == pytest.approx(0.6, abs=1e-6)
    assert p.apply(facemimic.ExpressionFrame.from_shapes({"JawOpen": 0.05})).weights[J] == 0.0  # dead zone
    assert p.apply(facemimic.ExpressionFrame.from_shapes({"JawOpen": 0.9})).weights[J] == 1.0  # ceiling
    path = p.save(tmp_path / "tuned.json")
    data = json.loads(path.read_text())
    assert data["shapes"]["JawOpen"] == {"baseline": 0.0, "spread": 0.0, "gain": 1.0, "floor": 0.1,
                                         "ceiling": 0.6, "curve": 2.0}
    back = CalibrationProfile.load(path)
    assert np.allclose(back.apply(f).weights, w)


@pytest.mark.parametrize("entry, text", [({"floor": 0.7, "ceiling": 0.7}, "at least 0.05 above"),
                                         ({"curve": 9}, "curve of JawOpen must be in"),
                                         ({"floor": -0.1}, "floor of JawOpen"),
                                         ({"ceiling": "high"}, "finite number")])
def test_bad_tuning_in_a_file_is_one_line(tmp_path, entry, text):
    data = CalibrationProfile.identity().to_json()
    data["shapes"]["JawOpen"].update(entry)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as e:
        CalibrationProfile.load(path)
    assert str(e.value).startswith(str(path)) and text in str(e.value) and "\n" not in str(e.value)


def test_with_tuning_refuses_unknown_names():
    with pytest.raises(ParameterError, match="did you mean JawOpen"):
        CalibrationProfile.identity().with_tuning({"JawOpne": {"floor": 0.1}})
    with pytest.raises(ParameterError, match="unknown tuning 'gian'"):
        CalibrationProfile.identity().with_tuning({"JawOpen": {"gian": 2}})


def test_track_cli_applies_the_tuning(tmp_path, samples):
    from click.testing import CliRunner

    from facemimic.cli import cli

    plain = CalibrationProfile.identity().save(tmp_path / "plain.json")
    tuned = CalibrationProfile.identity().with_tuning(
        {n: {"floor": 0.05, "ceiling": 0.5, "curve": 0.5} for n in facemimic.UE_NAMES}).save(tmp_path / "tuned.json")
    out = {}
    for name, prof in (("plain", plain), ("tuned", tuned)):
        target = tmp_path / f"{name}.jsonl"
        r = CliRunner().invoke(cli, ["track", str(samples / "single_face.jpg"), "--profile", str(prof), "-o", str(target)])
        assert r.exit_code == 0, r.output
        out[name] = facemimic.read_track(target).weights[0]
    expected = np.clip((out["plain"] - 0.05) / 0.45, 0, 1) ** 0.5
    assert np.allclose(out["tuned"], expected, atol=3e-4)  # track files keep 5 decimals
    assert np.abs(out["tuned"] - out["plain"]).max() > 0.1
