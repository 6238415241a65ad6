"""The avatar driven by real captures (in the unit, docs/units.md): a smiling photo smiles, a talking
clip moves the mouth and its smile follows the captured one."""

from __future__ import annotations

import av
import numpy as np
import pytest

from facemimic.animate.avatar import AvatarRenderer, frames_for_video
from facemimic.animate.avatar.render import render_track_to_file
from facemimic.expressions.frame import ExpressionFrame as F

S = 256
K, CX, CY = 0.27 * S, S / 2, 0.43 * S


@pytest.fixture(scope="session")
def smiling_track(samples):
    from facemimic.capture.api import track

    tr = track(samples / "single_face.jpg")
    assert len(tr) == 1 and tr.present.all()
    return tr


# Seconds 10.0-13.5 of WolfgangLanger_Pexels.mp4: she talks and breaks into a broad smile (captured
# in the unit: pull 0.0-0.41, jaw 0.20-0.32). The clip's first seconds are crying, with eyes shut.
TALK_START, TALK_END = 10.0, 13.5


@pytest.fixture(scope="session")
def talking_track(samples):
    from facemimic.capture.api import track

    # Captured from the start (the person's running rest is built from every frame before), cut after.
    tr = track(samples / "WolfgangLanger_Pexels.mp4", duration=TALK_END).slice(TALK_START, TALK_END)
    assert tr.metadata["units"] == "extent"
    assert len(tr) >= 80 and tr.present.mean() > 0.9  # 23.976 fps clip
    return tr


def mouth_curve(img):
    """How far the mouth's middle sits below its corners, in pixels (a smile's U is positive)."""
    crop = img[int(CY + 0.5 * K):int(CY + 0.95 * K), int(CX - 0.42 * K):int(CX + 0.42 * K)].astype(int)
    mask = crop[..., 0] - crop[..., 1] > 65
    cols = np.flatnonzero(mask.any(0))
    ys = np.array([np.nonzero(mask[:, c])[0].mean() for c in cols])
    n = max(2, len(cols) // 10)
    centre = ys[len(ys) // 2 - n // 2: len(ys) // 2 + n // 2 + 1].mean()
    return centre - (ys[:n].mean() + ys[-n:].mean()) / 2


def test_captured_smile_lifts_the_mouth_corners(smiling_track):
    r = AvatarRenderer("default", size=S)
    rest = mouth_curve(r.render(F.neutral()))
    smile = mouth_curve(r.render(smiling_track[0]))
    assert smile > rest + 0.06 * K, (rest, smile)


def test_captured_talk_renders_to_mp4_with_a_moving_mouth(talking_track, tmp_path):
    out = render_track_to_file(talking_track, tmp_path / "talk.mp4", style="neko", size=S, fps=20, mark=False)
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        images = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    expected = int(np.floor((talking_track.time[-1] - talking_track.time[0]) * 20 + 1e-6)) + 1
    assert len(images) == expected
    mouth = np.stack([im[int(CY + 0.45 * K):int(CY + 1.3 * K), int(CX - 0.5 * K):int(CX + 0.5 * K)]
                      for im in images]).astype(np.float32)
    corner = np.stack([im[:int(0.1 * S), :int(0.12 * S)] for im in images]).astype(np.float32)
    # Speech: the mouth changes over time far more than the (static) background does.
    assert mouth.std(0).mean() > 5 * max(corner.std(0).mean(), 0.2)
    # The avatar's smile follows the captured one: compare the most and least smiling frames.
    drawn = frames_for_video(talking_track, fps=20)
    smile = np.array([(f.weight("MouthCornerPullLeft") + f.weight("MouthCornerPullRight")) / 2 for f in drawn])
    assert smile.max() - smile.min() > 0.2  # the capture saw a real change
    # Measured with the head held level so the mouth sits where mouth_curve looks.
    r = AvatarRenderer("neko", size=S)
    curve = [mouth_curve(r.render(f.replace(head_rotation=(0.0, 0.0, 0.0)))) for f in drawn]
    assert np.corrcoef(smile, curve)[0, 1] > 0.8
    assert max(curve) - min(curve) > 2
