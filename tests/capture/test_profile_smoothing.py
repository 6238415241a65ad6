"""Per-region smoothing saved in a calibration profile: the brows, mouth, eyes and head of a real
clip smoothed on their own, by `facemimic track --profile` exactly as by the filter it names."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

import facemimic
from facemimic.capture.calibration import CalibrationProfile
from facemimic.capture.filters import FrameSmoother, SmoothingOptions, region_smoothing
from facemimic.cli import cli
from facemimic.errors import InputError, ParameterError, UnknownNameError
from facemimic.expressions.io import read_track
from facemimic.expressions.regions import region_mask

BROWS = region_mask("brows").astype(bool)
EYES = region_mask("eyes").astype(bool)
MOUTH = ~(BROWS | EYES)


def test_regions_take_the_presets_groups_and_custom_values():
    light, strong = SmoothingOptions.preset("light"), SmoothingOptions.preset("strong")
    o = region_smoothing("light", {"brows": "strong", "head": "off", "mouth": {"min_cutoff": 0.7, "beta": 3}})
    assert o.group("brows") == strong.expression and o.expression.min_cutoff == 0.7 and o.expression.beta == 3
    assert o.pose is None and o.position is None and o.eyes == light.eyes
    # The default brows follow the expression group in every preset (nothing changes for old callers).
    assert all(SmoothingOptions.preset(p).group("brows") == SmoothingOptions.preset(p).expression
               for p in ("light", "strong", "raw"))
    with pytest.raises(UnknownNameError, match="unknown smoothing region 'brow'.*brows"):
        region_smoothing("light", {"brow": "strong"})
    with pytest.raises(UnknownNameError, match="unknown smoothing preset 'strnog'"):
        region_smoothing("light", {"eyes": "strnog"})
    with pytest.raises(ParameterError, match="min_cutoff must be a positive number"):
        region_smoothing("light", {"eyes": {"min_cutoff": 0, "beta": 1}})


def test_profile_file_round_trip_and_bad_entries(tmp_path):
    p = CalibrationProfile.identity().with_smoothing({"eyes": "raw", "mouth": {"min_cutoff": 0.6, "beta": 2.5}})
    path = p.save(tmp_path / "me.json")
    data = json.loads(path.read_text())
    assert data["smoothing"] == {"eyes": "raw", "mouth": {"min_cutoff": 0.6, "beta": 2.5}}
    back = CalibrationProfile.load(path)
    assert dict(back.smoothing) == data["smoothing"]
    assert back.smoothing_options("light") == region_smoothing("light", data["smoothing"])
    assert replace(back, floor=None).smoothing == back.smoothing  # copies keep it
    assert back.with_smoothing({"eyes": None}).smoothing == {"mouth": {"min_cutoff": 0.6, "beta": 2.5}}
    assert "smoothing" not in CalibrationProfile.identity().to_json()  # old readers see the old file
    data["smoothing"] = {"nose": "light"}
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"bad\.json.*unknown smoothing region 'nose'"):
        CalibrationProfile.load(tmp_path / "bad.json")


def test_track_profile_smooths_each_region_as_set(samples, tmp_path):
    """`facemimic track --profile` with per-region smoothing == the unsmoothed capture through the
    filter the profile names, then the profile; and each region really is smoothed differently."""
    regions = {"brows": "strong", "mouth": "off", "eyes": {"min_cutoff": 0.5, "beta": 1.0}}
    profile = CalibrationProfile.identity().with_smoothing(regions)
    ppath = profile.save(tmp_path / "p.json")
    out = tmp_path / "t.jsonl"
    clip = str(samples / "WolfgangLanger_Pexels.mp4")
    r = CliRunner().invoke(cli, ["track", clip, "-o", str(out), "--profile", str(ppath), "--duration", "2",
                                 "--quiet"])
    assert r.exit_code == 0, r.output
    got = read_track(out)
    unsmoothed = list(facemimic.capture_frames(clip, smoothing="off", duration=2))
    expected = profile.apply_all(FrameSmoother(options=region_smoothing("light", regions)).process_all(unsmoothed))
    w = np.stack([f.weights for f in expected])
    assert got.weights.shape == w.shape
    assert np.allclose(got.weights, w, atol=2e-4)
    raw = np.stack([f.weights for f in unsmoothed])
    light = np.stack([f.weights for f in FrameSmoother("light").process_all(unsmoothed)])
    assert np.allclose(got.weights[:, MOUTH], raw[:, MOUTH], atol=2e-4)  # mouth: off
    # brows: the strong preset is steadier than light, frame to frame
    moving = BROWS & (raw.std(axis=0) > 0.01)
    assert moving.any()
    assert np.abs(np.diff(got.weights[:, moving], axis=0)).mean() < np.abs(np.diff(light[:, moving], axis=0)).mean()
