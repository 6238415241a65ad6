"""CalibrationProfile and ``facemimic calibrate``: real faces in, JSON read back with ``json``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.capture.calibration import FORMAT, VERSION, CalibrationProfile
from facemimic.cli import cli
from facemimic.errors import InputError, NoFaceError, OutputError, ParameterError
from facemimic.expressions.frame import ExpressionFrame
from facemimic.expressions.names import N_UE, UE_NAMES

# WolfgangLanger_Pexels.mp4 (23.98 fps): frames ~150–215 are a resting mouth with habitually raised
# brows (the clip's "fearful" stretch); from ~430 on he smiles broadly.
REST = slice(150, 215)
SMILE = slice(430, 472)


@pytest.fixture(scope="module")
def wolfgang(samples):
    from facemimic.capture.api import track

    # Default capture (VIDEO mode + light smoothing) in MediaPipe's scale: these tests pin the
    # calibration arithmetic on the scores it was designed on (its brow priors are for them);
    # tests/capture/test_units.py calibrates in the unit.
    tr = track(samples / "WolfgangLanger_Pexels.mp4", units="mediapipe")
    frames = list(tr)
    assert all(f.present for f in frames[REST]) and all(f.present for f in frames[SMILE])
    return frames


@pytest.fixture(scope="module")
def profile(wolfgang):
    return CalibrationProfile.from_frames(wolfgang[REST], name="wolfgang", source="WolfgangLanger_Pexels.mp4")


def test_from_frames_on_a_real_resting_face(wolfgang, profile):
    rest = np.array([f.weights for f in wolfgang[REST]])
    # The tracker reads his resting brows as raised: that is what the baseline must hold.
    brow = UE_NAMES.index("BrowOuterUpRight")
    assert rest[:, brow].mean() > 0.15
    assert profile.baseline[brow] == pytest.approx(np.median(rest[:, brow]), abs=1e-6)
    assert profile.frames == REST.stop - REST.start and profile.name == "wolfgang"
    assert profile.warnings() == []
    assert 0.5 < min(profile.openness_rest) <= 1.0
    # Calibrated, the resting face reads ~0 everywhere (the "always puckered" complaint).
    cal = np.array([f.weights for f in profile.apply_all(wolfgang[REST])])
    assert np.median(cal, axis=0).max() <= 0.01
    # The stretch has speech and brow motion, so not every frame is 0, but the face's total
    # activation (sum of all weights) drops to a small fraction of what it read uncalibrated.
    assert cal.sum(axis=1).mean() < 0.3 * rest.sum(axis=1).mean()
    assert (cal.mean(axis=0) < rest.mean(axis=0) + 1e-6).all()
    # Eyes at rest read fully open, head offset removed.
    opens = np.array([f.openness for f in profile.apply_all(wolfgang[REST])])
    assert np.median(opens) == pytest.approx(1.0, abs=0.02)
    heads = np.array([f.head_rotation for f in profile.apply_all(wolfgang[REST])])
    assert np.abs(np.median(heads, axis=0)).max() < 0.5


def test_apply_keeps_a_real_smile_high(wolfgang, profile):
    smile = wolfgang[SMILE]
    for name in ("MouthCornerPullLeft", "MouthCornerPullRight"):
        before = np.array([f.weight(name) for f in smile])
        after = np.array([profile.apply(f).weight(name) for f in smile])
        assert np.median(before) > 0.8
        assert np.median(after) > 0.8
        assert np.all((after >= 0) & (after <= 1))


def test_round_trip_json_read_back_independently(tmp_path, profile, wolfgang):
    path = profile.save(tmp_path / "me.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == FORMAT and data["version"] == VERSION
    assert list(data["shapes"]) == list(UE_NAMES)
    i = UE_NAMES.index("BrowOuterUpRight")
    assert data["shapes"]["BrowOuterUpRight"]["baseline"] == pytest.approx(float(profile.baseline[i]), abs=1e-6)
    assert data["eyes"]["openness_rest"] == pytest.approx(list(profile.openness_rest), abs=1e-6)
    assert set(data["head"]["rotation_offset"]) == {"yaw", "pitch", "roll"}
    back = CalibrationProfile.load(path)
    np.testing.assert_allclose(back.gains, profile.gains, atol=1e-6)
    np.testing.assert_allclose(back.baseline, profile.baseline, atol=1e-6)
    f = wolfgang[300]
    np.testing.assert_allclose(back.apply(f).weights, profile.apply(f).weights, atol=1e-5)
    assert back.created == profile.created and back.source == profile.source
    assert not list(tmp_path.glob(".*.tmp"))  # no temp file left behind


def test_non_neutral_calibration_is_flagged(wolfgang):
    # His first second: a broad smile with the eyes nearly shut; a poor calibration face.
    bad = CalibrationProfile.from_frames(wolfgang[:24])
    text = " ".join(bad.warnings())
    assert "MouthCornerPull" in text and "eyes" in text


def test_single_image_profile(samples):
    from facemimic.capture.api import track

    tr = track(samples / "single_face.jpg")
    p = CalibrationProfile.from_frames(tr, name="one photo")
    assert p.frames == 1 and np.all(p.spread == 0)
    out = p.apply(tr[0])
    assert np.nanmax(out.weights) <= 1e-6  # the calibration image itself reads as rest


def test_user_range_sets_the_gain_and_priors_boost_weak_channels():
    rng = np.random.default_rng(0)
    frames = [ExpressionFrame.from_shapes({"MouthCornerPullLeft": 0.1 + 0.01 * rng.standard_normal()}, time=i / 30)
              for i in range(80)]
    frames += [ExpressionFrame.from_shapes({"MouthCornerPullLeft": 0.6}, time=(80 + i) / 30) for i in range(20)]
    p = CalibrationProfile.from_frames(frames, units="mediapipe")
    assert p.units == "mediapipe"
    # The user's widest smile during calibration becomes 1.0.
    assert p.apply(frames[-1]).weight("MouthCornerPullLeft") == pytest.approx(1.0, abs=0.02)
    # Brows up carry a prior gain: a weak brow raise reads stronger than it came in.
    brow = ExpressionFrame.from_shapes({"BrowInnerUpLeft": 0.3, "JawOpen": 0.3})
    out = p.apply(brow)
    assert out.weight("BrowInnerUpLeft") > 0.4 and out.weight("JawOpen") == pytest.approx(0.3, abs=1e-6)
    assert p.with_gains({"JawOpen": 2.0}).apply(brow).weight("JawOpen") == pytest.approx(0.6, abs=1e-6)
    # The priors make up for MediaPipe's weak brows; in the unit brows are measured at full scale.
    q = CalibrationProfile.from_frames(frames)
    assert q.units == "extent" and q.apply(brow).weight("BrowInnerUpLeft") == pytest.approx(0.3, abs=1e-6)
    assert q.apply(frames[-1]).weight("MouthCornerPullLeft") == pytest.approx(1.0, abs=0.02)


def test_gaps_identity_and_errors():
    ident = CalibrationProfile.identity()
    f = ExpressionFrame.from_shapes({"JawOpen": 0.4}, openness_left=0.7, head_rotation=(3.0, 4.0, 5.0))
    out = ident.apply(f)
    np.testing.assert_allclose(out.weights, f.weights)
    assert out.openness_left == pytest.approx(0.7) and out.head_rotation == pytest.approx((3.0, 4.0, 5.0))
    gap = ExpressionFrame.gap(1.0, last=f)
    assert ident.apply(gap) is gap
    with pytest.raises(NoFaceError):
        CalibrationProfile.from_frames([gap])
    with pytest.raises(ParameterError, match="openness"):
        CalibrationProfile(baseline=np.zeros(N_UE), spread=np.zeros(N_UE), gains=np.ones(N_UE),
                           openness_rest=(0.5, 0.9), openness_closed=(0.6, 0.0))
    with pytest.raises(ParameterError, match="gains of JawOpen"):
        CalibrationProfile.identity().with_gains({"JawOpen": -1.0})
    with pytest.raises(ParameterError, match="did you mean"):
        CalibrationProfile.identity().with_gains({"JawOpn": 1.0})


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_bad_profile_files(tmp_path):
    good = CalibrationProfile.identity().to_json()
    cases = {
        "missing.json": (None, "not found"),
        "broken.json": ("{\"format\": ", "not valid JSON"),
        "other.json": (json.dumps({"format": "something-else", "version": 1}), "not a FaceMimic calibration profile"),
        "future.json": (json.dumps({**good, "version": VERSION + 1}), "newer than this FaceMimic"),
        "noversion.json": (json.dumps({k: v for k, v in good.items() if k != "version"}), "no valid version"),
        "badvalue.json": (json.dumps({**good, "shapes": {"JawOpen": {"gain": "high"}}}), "JawOpen.gain"),
        "unknown.json": (json.dumps({**good, "shapes": {"JawOpn": {"gain": 1.0}}}), "did you mean JawOpen"),
        "badeyes.json": (json.dumps({**good, "eyes": {"openness_rest": [0.0, 0.5]}}), "openness"),
    }
    for name, (text, problem) in cases.items():
        path = tmp_path / name if text is None else _write(tmp_path, name, text)
        with pytest.raises(InputError) as e:
            CalibrationProfile.load(path)
        assert str(path) in str(e.value) and problem in str(e.value), (name, str(e.value))
    with pytest.raises(InputError, match="folder"):
        CalibrationProfile.load(tmp_path)


def test_save_is_atomic(tmp_path, monkeypatch):
    with pytest.raises(OutputError, match="does not exist"):
        CalibrationProfile.identity().save(tmp_path / "nope" / "p.json")
    target = tmp_path / "p.json"
    import facemimic.capture.calibration as cal

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(cal.json, "dump", boom)
    with pytest.raises(OSError):
        CalibrationProfile.identity().save(target)
    assert list(tmp_path.iterdir()) == []


# -- CLI -----------------------------------------------------------------------------------------------

def test_cli_calibrate_video_then_track_with_profile(samples, tmp_path):
    out = tmp_path / "me.json"
    r = CliRunner().invoke(cli, ["calibrate", str(samples / "single_face.mp4"), "-o", str(out),
                                 "--seconds", "0.5", "--name", "me"])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["name"] == "me" and data["format"] == FORMAT
    assert "Warning" not in r.output  # a sane profile
    assert 10 <= data["frames"] <= 17  # 0.5 s of a 30 fps clip
    assert str(out) in r.output
    # The profile is usable by the capture pipeline.
    from facemimic.capture.api import track

    tr = track(samples / "single_face.mp4", profile=str(out), duration=0.5)
    assert np.nanmedian(tr.weights, axis=0).max() < 0.05


def test_cli_calibrate_errors(samples, tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["calibrate", str(tmp_path / "nope.mp4"), "-o", str(tmp_path / "p.json")])
    assert r.exit_code != 0 and "nope.mp4" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, ["calibrate", str(samples / "free-mountain-vector-01.jpg"), "-o", str(tmp_path / "p.json")])
    assert r.exit_code == 1 and "Error:" in r.output and "face" in r.output.lower()
    r = runner.invoke(cli, ["calibrate", str(samples / "single_face.jpg"), "-o", str(tmp_path / "p.json"),
                            "--seconds", "-1"])
    assert r.exit_code != 0
    assert not (tmp_path / "p.json").exists()
