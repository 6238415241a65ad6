"""The track's head pose turns the 3D avatar's head (``animate avatar3d:me.vrm``), and the capture
stage reads the turned renders back as the same turn."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from facemimic.cli import cli

YAWS = (-25.0, -15.0, -5.0, 0.0, 5.0, 15.0, 25.0)


def _retracked(images):
    from facemimic.capture.api import StillTracker

    with StillTracker(max_faces=1) as tracker:
        faces = [tracker.faces(np.ascontiguousarray(im)) for im in images]
    assert all(faces), "a turned render lost its face"
    return np.array([f[0].head_rotation for f in faces], np.float64)  # (N, 3) yaw, pitch, roll


def test_head_turn_convention():
    from facemimic.head3d.pose import PIVOT, head_turn, turned

    front = np.array([0.0, 0.0, 1.0])
    assert head_turn((30, 0, 0)) @ front @ [1, 0, 0] < -0.49  # +yaw: the face turns to the subject's right (-x)
    assert head_turn((0, 30, 0)) @ front @ [0, 1, 0] < -0.49  # +pitch: looks down
    assert head_turn((0, 0, 30)) @ [0, 1, 0] @ [1, 0, 0] > 0.49  # +roll: the crown to the subject's left (+x)
    assert np.allclose(turned(PIVOT[None], (20, 10, 5)), PIVOT[None])  # turns about the neck
    assert np.allclose(head_turn((np.nan, np.nan, np.nan)), np.eye(3))  # a gap in a track: no turn


def test_the_file_turns_its_head_as_the_frame_says(samples, tmp_path):
    import facemimic
    from facemimic.expressions.frame import ExpressionFrame
    from facemimic.head3d.api import AvatarPlayer

    facemimic.avatar3d(samples / "single_face.jpg", tmp_path / "me.vrm", hair="none")
    player = AvatarPlayer(tmp_path / "me.vrm", size=320)
    poses = [(y, 0.0, 0.0) for y in YAWS] + [(0.0, 15.0, 0.0), (0.0, -15.0, 0.0), (0.0, 0.0, 15.0), (0.0, 0.0, -15.0)]
    images = [player.render(ExpressionFrame.from_shapes({}, head_rotation=p)) for p in poses]
    read = _retracked(images)
    yaw = read[: len(YAWS), 0]
    assert np.corrcoef(YAWS, yaw)[0, 1] > 0.98, yaw
    assert np.all(np.diff(yaw) > 0), yaw  # each step further turns the read head further
    assert np.abs(yaw[[0, -1]]).min() > 12, yaw  # and by a real amount (orthographic views read ~0.75 of it)
    rest = read[YAWS.index(0.0)]
    pitch_down, pitch_up, roll_left, roll_right = read[len(YAWS):] - rest
    assert pitch_down[1] > 7 and pitch_up[1] < -7, (pitch_down, pitch_up)
    assert roll_left[2] > 7 and roll_right[2] < -7, (roll_left, roll_right)


def test_animate_with_a_yaw_track_turns_the_face(samples, tmp_path):
    import av

    import facemimic
    from facemimic.expressions.frame import ExpressionFrame
    from facemimic.expressions.io import write_track
    from facemimic.expressions.track import ExpressionTrack

    facemimic.avatar3d(samples / "single_face.jpg", tmp_path / "me.vrm", hair="none")
    fps, n = 10, 16
    yaw = 25.0 * np.sin(np.linspace(0, 2 * np.pi, n, endpoint=False))
    track = ExpressionTrack.from_frames([ExpressionFrame.from_shapes({}, time=k / fps, head_rotation=(float(y), 0.0, 0.0))
                                         for k, y in enumerate(yaw)], fps=fps)
    write_track(track, tmp_path / "turn.jsonl")
    res = CliRunner().invoke(cli, ["animate", f"avatar3d:{tmp_path / 'me.vrm'}", "-o", str(tmp_path / "turn.mp4"),
                                   "--track", str(tmp_path / "turn.jsonl"), "--fps", str(fps), "--size", "320"])
    assert res.exit_code == 0, res.output
    with av.open(str(tmp_path / "turn.mp4")) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) >= n - 1
    read = _retracked(frames[: n - 1])[:, 0]
    driven = yaw[: n - 1]
    assert np.corrcoef(driven, read)[0, 1] > 0.95, (driven.round(1), read.round(1))
    assert read.max() > 12 and read.min() < -12, read.round(1)
