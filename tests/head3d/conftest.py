"""Fixtures for the selfie -> 3D avatar tests: real faces tracked once per session."""

from __future__ import annotations

import numpy as np
import pytest
from head3d_photos import tracked_photo  # noqa: F401  (the tests import it from there)


def tracked_video_frames(path, indices):
    """{index: (size, frame)} for chosen frames of a real video, each judged on its own."""
    import cv2

    from facemimic.capture.api import StillTracker

    out, cap = {}, cv2.VideoCapture(str(path))
    with StillTracker(max_faces=1) as tracker:
        k = 0
        while len(out) < len(indices):
            ok, bgr = cap.read()
            assert ok, f"{path} ended before frame {max(indices)}"
            if k in indices:
                out[k] = ((bgr.shape[1], bgr.shape[0]), tracker.faces(np.ascontiguousarray(bgr[:, :, ::-1]))[0])
            k += 1
    cap.release()
    return out


@pytest.fixture(scope="session")
def fitted_people(samples):
    """Fits of four different people's photos and of two frames (30, 400) of one talking-head video."""
    from facemimic.head3d.fit import fit_face, photo_arkit

    out = {}
    for name in ("single_face.jpg", "0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg"):
        size, frame = tracked_photo(samples / name)
        out[name] = fit_face(frame.landmarks, size, photo_arkit(frame, size))
    for k, (size, frame) in tracked_video_frames(samples / "WolfgangLanger_Pexels.mp4", (30, 400)).items():
        out[f"video#{k}"] = fit_face(frame.landmarks, size, photo_arkit(frame, size))
    return out


@pytest.fixture(scope="module", params=["single_face.jpg", "0-f15-hao-ph.jpg"])
def basis(request, photo_avatar):
    """(rest positions (478, 3), ARKit expression displacements (52, V, 3)) of the avatar made
    from a real photo (once per test module)."""

    avatar = photo_avatar(request.param)
    return avatar.head.skin.positions[:478], avatar.expressions


@pytest.fixture(scope="session", params=["single_face.jpg", "0-f1-su-ph.jpg"])
def vrm_targets(request, photo_avatar):
    """(rest landmarks (478, 3), every VRM target's (skin, parts)) of a photo's avatar, built once."""
    from facemimic.head3d.targets import build_targets

    avatar = photo_avatar(request.param)
    targets = build_targets(avatar.head, avatar.expressions, "arkit+ue", avatar.combinations)
    return avatar.head.skin.positions[:478], targets  # the rest landmarks, every target's (skin, parts)


@pytest.fixture(scope="session")
def photo_avatar(samples, once_per_run):
    """``photo_avatar(name)`` -> a fresh copy of ``make_avatar(samples / name)`` (default options),
    built once per test run and shared by the workers (``once_per_run``): 20 modules asked for the
    avatars of the same four photos, 1.3-2.7 s each build."""
    from facemimic.head3d.api import make_avatar

    return lambda name: once_per_run(f"avatar-{name}", lambda: make_avatar(samples / name))
