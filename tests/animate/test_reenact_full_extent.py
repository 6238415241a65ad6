"""A reenactment on a photo that already smiles never draws the corners past their full extent.

single_face.mp4 (a man breaking into a broad smile) driving single_face.jpg (the same man, smiling):
the driver's change from its rest reaches MouthCornerPull/Slant ~0.98, on a photo whose own read
0.50-0.81: drawn as is, 1.5-1.6 full extents, a second grin past the first (found by a new user).
"""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.animate.drivers import relative_motion
from facemimic.animate.portrait import api
from facemimic.animate.portrait.animator import PortraitAnimator, timeline
from facemimic.capture.api import track as capture_track
from facemimic.expressions.names import UE_NAMES, ue_index


@pytest.fixture(scope="module")
def case(samples):
    rel = relative_motion(capture_track(str(samples / "single_face.mp4")))
    with PortraitAnimator(str(samples / "single_face.jpg"), size=256, calibrate=False) as a:
        photo = np.nan_to_num(np.asarray(a.face_frame.weights, np.float32))
    return timeline(rel, fps=rel.fps), photo


def test_the_corners_stop_at_their_full_extent_and_nothing_else_changes(case):
    frames, photo = case
    out = api.within_full_extent(frames, photo)
    grin = [ue_index(n) for n in api.GRIN_CHANNELS]
    other = [i for i in range(len(UE_NAMES)) if i not in grin]
    w0 = np.array([f.weights for f in frames if f is not None and f.present])
    w1 = np.array([f.weights for f in out if f is not None and f.present])
    # the driver asks more than the photo leaves (the case the new user met) ...
    assert (w0[:, grin] + photo[grin] > 1.2).any()
    # ... and gets exactly what is left, never more; below it, the driver's own change
    assert np.all(w1[:, grin] + photo[grin] <= 1.0 + 1e-6)
    np.testing.assert_array_equal(w1[:, grin], np.minimum(w0[:, grin], 1.0 - photo[grin]))
    np.testing.assert_array_equal(w1[:, other], w0[:, other])


def test_animate_drive_on_the_photo_as_rest_uses_it(samples, tmp_path, monkeypatch):
    seen = []
    real = api.within_full_extent

    def spy(frames, photo):
        seen.append(np.asarray(photo).copy())
        return real(frames, photo)

    monkeypatch.setattr(api, "within_full_extent", spy)
    from facemimic.animate.portrait.animator import PortraitOptions

    api.animate_face(str(samples / "single_face.jpg"), tmp_path / "a.mp4", drive=samples / "single_face.mp4",
                     options=PortraitOptions(size=192, crop="face", refine=False, calibrate=False))
    assert len(seen) == 1 and seen[0][ue_index("MouthCornerPullRight")] > 0.3  # the photo's own smile
    seen.clear()
    api.animate_face(str(samples / "single_face.jpg"), tmp_path / "b.mp4", drive=samples / "single_face.mp4",
                     options=PortraitOptions(size=192, crop="face", refine=False, calibrate=False, rest="neutral"))
    assert seen == []  # absolute weights on a neutral rest: nothing is added to the photo's smile
