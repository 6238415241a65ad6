"""Session-scoped capture results on the real sample media, shared by the capture tests.

Each clip is tracked once per session (MediaPipe on 2 cores costs ~15 ms a frame), so the
whole capture suite stays well inside its time budget.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def wolf_track(samples, once_per_run):
    """WolfgangLanger_Pexels.mp4 (472 frames), default options (VIDEO mode + light smoothing).
    Tracked once per run (7 s), not once per worker: three modules use it."""
    from facemimic.capture.api import track

    return once_per_run("wolf_track", lambda: track(samples / "WolfgangLanger_Pexels.mp4", keep_landmarks=True))


@pytest.fixture(scope="session")
def smile_track(samples):
    """single_face.jpg: a frontal smiling man, with landmarks."""
    from facemimic.capture.api import track

    return track(samples / "single_face.jpg", keep_landmarks=True)


@pytest.fixture(scope="session")
def surprise_track(samples):
    from facemimic.capture.api import track

    return track(samples / "0-f1-su-ph.jpg")


@pytest.fixture(scope="session")
def group_track(samples):
    """multi_face.jpg (five people) with up to 8 faces and the default small-face tiling."""
    from facemimic.capture.api import track

    return track(samples / "multi_face.jpg", max_faces=8, keep_landmarks=True)


@pytest.fixture(scope="session")
def face_noface_track(samples):
    """HEVC clip: a face that leaves the frame."""
    from facemimic.capture.api import track

    return track(samples / "face_noface.mov")


@pytest.fixture(scope="session")
def noface_face_track(samples):
    """HEVC clip: a face that enters the frame."""
    from facemimic.capture.api import track

    return track(samples / "noface_face.mov")


@pytest.fixture(scope="session")
def smile_rgb(samples):
    """single_face.jpg decoded to RGB (H, W, 3) uint8."""
    import cv2

    return cv2.cvtColor(cv2.imread(str(samples / "single_face.jpg")), cv2.COLOR_BGR2RGB)
