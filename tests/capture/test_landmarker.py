"""MediaPipe runner: small-face tiling on a real group photo, VIDEO-mode timestamps."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.capture.landmarker import FaceLandmarkerRunner, _rescale, _tile_origins, box_iou, same_face
from facemimic.capture.model import resolve_model
from facemimic.capture.options import CaptureOptions
from facemimic.capture.sources import read_image


@pytest.fixture(scope="module")
def group_rgb(samples):
    rgb, _, _ = read_image(samples / "multi_face.jpg", max_side=2560, max_megapixels=100)
    return rgb


def test_tiling_finds_all_five_faces_a_single_pass_misses(group_rgb):
    with FaceLandmarkerRunner(resolve_model(), video=False, options=CaptureOptions(max_faces=8)) as r:
        single = r.detect(group_rgb)
        tiled = r.detect_still(group_rgb)
    assert len(single) == 2  # measured: MediaPipe's 128x128 detector sees only the two largest
    assert len(tiled) == 5
    assert sum(f.from_tile for f in tiled) == 3
    # Five different people: no two boxes overlap, and each box is face-sized.
    for i, a in enumerate(tiled):
        w, h = a.box[2] - a.box[0], a.box[3] - a.box[1]
        assert 50 < w < 200 and 50 < h < 200
        for b in tiled[i + 1:]:
            assert box_iou(a.box, b.box) == 0.0
    # Tile faces are placed back into full-frame coordinates: landmarks inside their own box.
    for f in tiled:
        xs, ys = f.landmarks[:, 0] * group_rgb.shape[1], f.landmarks[:, 1] * group_rgb.shape[0]
        assert xs.min() >= f.box[0] - 1e-3 and ys.max() <= f.box[3] + 1e-3
        assert f.matrix[2, 3] < 0  # in front of the (full-frame) camera


def test_a_misfitted_small_face_is_fitted_again_on_a_crop_around_it(group_rgb):
    """The full pass fitted multi_face.jpg's rightmost face (a broad toothy smile) with its mouth
    on the chin and its chin on the neck; a fit on a crop centred on the face puts them where they
    are. Positions measured by hand on the photo: the teeth's middle (733, 385), the chin's lowest
    point (735, 417), in pixels of the 1000 x 667 original."""
    with FaceLandmarkerRunner(resolve_model(), video=False, options=CaptureOptions(max_faces=8)) as r:
        first = r.detect(group_rgb)  # the full pass alone
        tiled = r.detect_still(group_rgb)
    h, w = group_rgb.shape[:2]
    scale = w / 1000.0

    def points(face):
        lm = face.landmarks[:, :2] * (w, h) / scale
        return (lm[13] + lm[14]) / 2, lm[152], float(np.linalg.norm(lm[468] - lm[473]))

    right = max(tiled, key=lambda f: f.box[0])
    mouth, chin, ipd = points(right)
    assert np.linalg.norm(mouth - (733, 385)) < 0.25 * ipd, mouth
    assert np.linalg.norm(chin - (735, 417)) < 0.25 * ipd, chin
    # ... where the full pass had it 1 IPD off (what this guards against)
    _, chin_first, _ = points(max(first, key=lambda f: f.box[0]))
    assert np.linalg.norm(chin_first - (735, 417)) > 0.8 * ipd, chin_first
    # a good fit is kept to the bit: the other full-pass face is the full pass's own
    left_first = min(first, key=lambda f: f.box[0])
    kept = [f for f in tiled if same_face(f.box, _rescale(left_first, w, h).box)]
    assert len(kept) == 1 and np.array_equal(kept[0].landmarks, left_first.landmarks)


def test_group_track_has_five_distinct_ids(group_track):
    assert len(group_track) == 5
    assert sorted(group_track.face_id.tolist()) == [0, 1, 2, 3, 4]
    assert group_track.present.all()
    # Further faces (smaller in the photo) are further away.
    lm = group_track.landmarks
    width = lm[:, :, 0].max(1) - lm[:, :, 0].min(1)
    z = group_track.head_position[:, 2]
    assert np.corrcoef(width, z)[0, 1] < -0.5


def test_max_faces_caps_the_group(samples):
    from facemimic.capture.api import track

    tr = track(samples / "multi_face.jpg", max_faces=3)
    assert len(tr) == 3


def test_tiling_off_keeps_the_single_pass(samples):
    from facemimic.capture.api import track

    assert len(track(samples / "multi_face.jpg", max_faces=8, tiling="off")) == 2


def test_tile_grid_covers_the_frame():
    tiles = _tile_origins(1000, 667, 400, 0.3)
    assert (0, 0) in tiles and max(x for x, _ in tiles) == 600 and max(y for _, y in tiles) == 267
    assert _tile_origins(300, 300, 400, 0.3) == [(0, 0)]


def test_same_face_rules():
    a = (0, 0, 10, 10)
    assert same_face(a, (1, 1, 11, 11)) and same_face(a, (4, 4, 30, 30)) and not same_face(a, (20, 20, 30, 30))


def test_video_mode_timestamps_stay_strictly_increasing(smile_rgb):
    """Duplicate or backwards times (broken PTS) must not crash MediaPipe's VIDEO mode."""
    with FaceLandmarkerRunner(resolve_model(), video=True, options=CaptureOptions()) as r:
        for t in (0.0, 0.0, 0.0004, -1.0, 0.033):
            assert len(r.detect(smile_rgb, t)) == 1
        assert r._last_ms == 33


def test_a_landmarks_only_still_tracker_gives_the_landmarks_of_the_full_one_to_the_bit(samples):
    """StillTracker.landmarks (no blendshape model, no solver: the portrait loop re-tracks every
    frame with it) reads the same landmarks as faces() on real photos, shifted and in a group."""
    from facemimic.capture.still import StillTracker

    with StillTracker(max_faces=4) as tracker:
        for name in ("single_face.jpg", "0-f1-su-ph.jpg", "multi_face.jpg"):
            rgb, _, _ = read_image(samples / name, max_side=1280, max_megapixels=100)
            for shift in (0, 5):
                image = np.ascontiguousarray(np.roll(rgb, shift, axis=1))
                full = [f.landmarks for f in tracker.faces(image)]
                alone = tracker.landmarks(image)
                assert len(alone) == len(full) >= 1
                for a, b in zip(alone, full):
                    assert a.shape == (478, 3)
                    np.testing.assert_array_equal(a, b)
        assert tracker._landmarks_runner is not None  # the second landmarker really ran
    with FaceLandmarkerRunner(resolve_model(), video=False, options=CaptureOptions(), blendshapes=False) as r:
        face, = r.detect(np.ascontiguousarray(read_image(samples / "single_face.jpg", max_side=1280,
                                                          max_megapixels=100)[0]))
    assert not face.blendshapes.any()  # no scores asked for: zeros, not stale values
