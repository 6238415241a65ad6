"""`facemimic animate avatar3d:me.vrm`: an avatar3d file read back and drawn, frame by frame."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from facemimic.cli import cli


def test_the_file_plays_as_the_avatar_it_was_made_from(samples, tmp_path, photo_avatar):
    import facemimic
    from facemimic.expressions.frame import ExpressionFrame
    from facemimic.head3d.api import AvatarPlayer

    facemimic.avatar3d(samples / "single_face.jpg", tmp_path / "me.vrm")
    player = AvatarPlayer(tmp_path / "me.vrm", size=256)
    avatar = photo_avatar("single_face.jpg")
    smile = ExpressionFrame.from_shapes({"JawOpen": 0.6, "MouthCornerPullLeft": 0.8, "MouthCornerPullRight": 0.8})
    for frame in (None, smile):
        from_file, in_memory = player.render(frame).astype(int), avatar.render(frame, size=256).astype(int)
        assert np.abs(from_file - in_memory).mean() < 3  # the same picture, up to the texture's JPEG
    assert np.abs(player.render(smile).astype(int) - player.render(None).astype(int)).mean() > 1
    # the brows' combination shape plays too: the sad brow (raise and lowering together) as drawn in memory
    from facemimic.generate.api import express

    sad = express("sad", variations=1, seed=1)[0]
    assert len(player.combinations) == 2
    from_file, in_memory = player.render(sad).astype(int), avatar.render(sad, size=256).astype(int)
    assert np.abs(from_file - in_memory).mean() < 3
    w = player.weights(sad)
    drive = {player.names[i]: w[i] for i, _, _ in player.combinations}
    assert min(drive.values()) > 0.2, drive  # browInnerUp 0.76 with browDown ~0.33 each side


def test_animate_plays_it(samples, tmp_path):
    import av

    import facemimic

    facemimic.avatar3d(samples / "single_face.jpg", tmp_path / "me.vrm", hair="none")
    res = CliRunner().invoke(cli, ["animate", f"avatar3d:{tmp_path / 'me.vrm'}", "-o", str(tmp_path / "a.mp4"),
                                   "--expression", "neutral 0.2s > surprised 0.6s", "--fps", "10", "--size", "192"])
    assert res.exit_code == 0, res.output
    with av.open(str(tmp_path / "a.mp4")) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) >= 8 and frames[0].shape == (192, 192, 3)
    assert np.abs(frames[-1].astype(int) - frames[0].astype(int)).mean() > 1  # the face moved
    assert (tmp_path / "a.png").exists()


def test_other_avatars_are_refused_in_one_line(tmp_path):
    from facemimic.deliver.export.testhead import write_test_head

    write_test_head(tmp_path / "head.vrm", vrm="1.0")
    res = CliRunner().invoke(cli, ["animate", f"avatar3d:{tmp_path / 'head.vrm'}", "-o", str(tmp_path / "a.mp4"),
                                   "--expression", "happy", "--duration", "0.5"])
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    assert "not an avatar made by `facemimic avatar3d`" in res.output
    res = CliRunner().invoke(cli, ["animate", f"avatar3d:{tmp_path / 'missing.vrm'}", "-o", str(tmp_path / "a.mp4"),
                                   "--expression", "happy"])
    assert res.exit_code == 1 and "missing.vrm: file not found" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["head.vrm"]
