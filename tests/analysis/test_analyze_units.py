"""The analyser reads weights in the unit (#11): captures in the unit, MediaPipe-scale tracks converted."""

import numpy as np

from facemimic.analysis.api import analyze, in_unit
from facemimic.expressions.io import read_track, write_track
from facemimic.generate.dataset import tracked_sample


def _happy_share(res, a=11.0, b=20.0):
    k = res.present & (res.time >= a) & (res.time < b)
    return float((res.dominant()[k] == "happy").mean())


def test_photo_is_captured_in_the_unit_and_named(samples):
    res = analyze(str(samples / "0-f1-su-ph.jpg"))
    assert res.metadata["units"] == "extent"
    assert res.top_basic(0, 1)[0][0] == "surprised"


def test_mediapipe_scale_track_file_is_converted_before_analysis(samples, wolfgang_track, tmp_path):
    assert wolfgang_track.metadata["units"] == "extent"
    mp = tracked_sample("WolfgangLanger_Pexels.mp4", units="mediapipe")
    path = tmp_path / "wl_mediapipe.jsonl"
    write_track(mp, path)
    conv = in_unit(read_track(path))
    assert conv.metadata["units"] == "extent" and read_track(path).metadata["units"] == "mediapipe"
    # Converted, not read as it is: MediaPipe's resting eyeSquint (~0.4) is near 0 in the unit.
    from facemimic.emotions.facs import X_INDEX

    sq = X_INDEX["EyeSquintLeft"]
    assert np.nanmedian(np.asarray(mp.weights)[:, sq]) > 0.25 > 0.15 > np.nanmedian(conv.weights[:, sq])
    res_ext, res_mp = analyze(wolfgang_track), analyze(str(path))
    assert res_mp.metadata["units"] == "extent"
    # Her laughing span (11-20 s) reads happy either way.
    assert _happy_share(res_ext) > 0.7 and _happy_share(res_mp) > 0.7
