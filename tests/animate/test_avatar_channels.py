"""Every Unified Expressions channel the avatar shows changes the right pixels, on the right side.

Measured on the raster output of synthetic frames: region centroids of pixel differences, dark
mouth area, eye-white area, pupil centroids and a mirror test. Left/right are the subject's own:
``…Left`` features are on the image's right.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facemimic.animate.avatar import SHOWN_CHANNELS, AvatarRenderer, rig_from_frame
from facemimic.animate.avatar.shapes import WHITE
from facemimic.expressions.frame import ExpressionFrame as F
from facemimic.expressions.names import UE_MIRROR, UE_NAMES

S = 256
K, CX, CY = 0.27 * S, S / 2, 0.43 * S  # face unit in pixels and the face origin (see shapes.Pose)
PUPIL = np.array([22, 18, 20])


@pytest.fixture(scope="module")
def renderer() -> AvatarRenderer:
    return AvatarRenderer("default", size=S)


def to_units(xs, ys):
    return (np.mean(xs) - CX) / K, (np.mean(ys) - CY) / K


def box(img, x0, x1, y0, y1):
    """Crop by face units."""
    return img[int(CY + y0 * K):int(CY + y1 * K), int(CX + x0 * K):int(CX + x1 * K)]


def near(img, colour, tol=30):
    return np.abs(img.astype(int) - np.asarray(colour)).sum(-1) < tol


def _base(name: str) -> dict:
    # Tongue and lips-closed channels need an open mouth to be seen.
    return {"JawOpen": 0.6} if (name.startswith("Tongue") and name != "TongueOut") or name == "MouthClosed" else {}


REGION_Y = {  # face-unit y band where a channel's change must be centred
    "Eye": (-0.2, 0.35), "Brow": (-0.45, 0.0), "Nasal": (0.3, 0.6), "Nose": (0.2, 0.6),
    "Cheek": (0.1, 0.8), "Jaw": (0.5, 1.3), "Lip": (0.5, 0.95), "Mouth": (0.5, 1.1), "Tongue": (0.6, 1.2),
}


@pytest.mark.parametrize("name", SHOWN_CHANNELS)
def test_each_shown_channel_changes_its_region_on_its_side(renderer, name):
    base = _base(name)
    a0 = renderer.render(F.from_shapes(base)).astype(int)
    a1 = renderer.render(F.from_shapes({**base, name: 1.0})).astype(int)
    changed = np.abs(a1 - a0).sum(-1) > 20
    assert changed.sum() >= 8, f"{name} changes only {changed.sum()} pixels"
    ys, xs = np.nonzero(changed)
    ux, uy = to_units(xs, ys)
    lo, hi = next(v for k, v in REGION_Y.items() if name.startswith(k))
    assert lo <= uy <= hi, f"{name}: change centred at y={uy:.2f}, expected within {lo}..{hi}"
    # Per-side shapes that live on one side of the face: the subject's left is the image's right.
    one_sided = name.startswith(("Eye", "Brow", "Cheek", "MouthCorner", "MouthFrown", "MouthDimple",
                                 "NoseSneer", "MouthStretch", "LipSuckUpper", "LipSuckLower"))
    if one_sided and name.endswith("Left"):
        assert ux > 0.03, f"{name}: change centred at x={ux:.2f}, expected on the image's right"
    if one_sided and name.endswith("Right"):
        assert ux < -0.03, f"{name}: change centred at x={ux:.2f}, expected on the image's left"


def dark_mouth_area(img):
    mouth = box(img, -0.5, 0.5, 0.45, 1.4)
    return int(near(mouth, (90, 31, 36), 40).sum())


def test_jaw_open_grows_the_dark_mouth_area(renderer):
    areas = [dark_mouth_area(renderer.render(F.from_shapes({"JawOpen": v}))) for v in (0.0, 0.3, 0.6, 1.0)]
    assert areas[0] == 0
    assert areas[1] < areas[2] < areas[3], areas


def eye_white(img, side):
    # side +1: the image's right (the subject's left eye)
    x0, x1 = (0.1, 0.7) if side > 0 else (-0.7, -0.1)
    return int(near(box(img, x0, x1, -0.15, 0.4), WHITE, 12).sum())


def test_blink_closes_only_that_eye(renderer):
    open_ = renderer.render(F.neutral())
    wink = renderer.render(F.neutral().replace(openness_left=0.0))
    assert eye_white(open_, +1) > 40
    assert eye_white(wink, +1) < 0.05 * eye_white(open_, +1)  # subject's left eye = image right
    assert abs(eye_white(wink, -1) - eye_white(open_, -1)) < 0.05 * eye_white(open_, -1)
    half = renderer.render(F.neutral().replace(openness_left=0.5))
    assert eye_white(wink, +1) < eye_white(half, +1) < eye_white(open_, +1)


def test_wide_and_squint_change_eye_opening(renderer):
    rest = eye_white(renderer.render(F.neutral()), +1)
    wide = eye_white(renderer.render(F.from_shapes({"EyeWideLeft": 1.0})), +1)
    squint = eye_white(renderer.render(F.from_shapes({"EyeSquintLeft": 1.0})), +1)
    assert squint < rest < wide


def pupil_centroid(img, side):
    x0, x1 = (0.1, 0.7) if side > 0 else (-0.7, -0.1)
    crop = box(img, x0, x1, -0.15, 0.4)
    ys, xs = np.nonzero(near(crop, PUPIL, 20))
    assert len(xs) > 5, "no pupil found"
    return xs.mean(), ys.mean()


@pytest.mark.parametrize("gaze,dx,dy", [((0.8, 0.0), -1, 0), ((-0.8, 0.0), 1, 0), ((0.0, 0.8), 0, -1),
                                        ((0.0, -0.8), 0, 1)])
def test_gaze_moves_pupils_the_right_way(renderer, gaze, dx, dy):
    # VRCFT gaze: +x looks to the subject's right = the image's left; +y looks up.
    rest = renderer.render(F.neutral())
    look = renderer.render(F.neutral().replace(gaze_left=gaze, gaze_right=gaze))
    for side in (+1, -1):
        (x0, y0), (x1, y1) = pupil_centroid(rest, side), pupil_centroid(look, side)
        if dx:
            assert (x1 - x0) * dx > 2, (side, x0, x1)
        if dy:
            assert (y1 - y0) * dy > 2, (side, y0, y1)


def mirror(f: F) -> F:
    (lx, ly), (rx, ry) = f.gaze_left, f.gaze_right
    yaw, pitch, roll = f.head_rotation
    return f.replace(weights=f.weights[list(UE_MIRROR)], gaze_left=(-rx, ry), gaze_right=(-lx, ly),
                     openness_left=f.openness_right, openness_right=f.openness_left,
                     head_rotation=(-yaw, pitch, -roll))


def test_mirrored_frame_draws_the_mirrored_image(renderer):
    rng = np.random.default_rng(7)
    w = np.zeros(len(UE_NAMES), np.float32)
    w[rng.choice(len(UE_NAMES), 20, replace=False)] = rng.uniform(0.3, 1.0, 20)
    f = F(time=0.0, weights=w, gaze_left=(0.3, 0.2), gaze_right=(0.25, 0.1), openness_left=0.4,
          openness_right=1.0, head_rotation=(18.0, 5.0, 9.0))
    a = renderer.render(f).astype(int)
    b = renderer.render(mirror(f)).astype(int)
    mirrored_error = np.abs(b - a[:, ::-1]).mean()
    unmirrored = np.abs(b - a).mean()
    assert mirrored_error < 0.3, mirrored_error
    assert unmirrored > 10 * mirrored_error


def test_head_yaw_pitch_roll_move_the_features(renderer):
    def pupils(img):
        ys, xs = np.nonzero(near(img, PUPIL, 20))
        return xs.mean(), ys.mean()

    x0, y0 = pupils(renderer.render(F.neutral()))
    x_yaw, _ = pupils(renderer.render(F.neutral().replace(head_rotation=(30.0, 0.0, 0.0))))
    _, y_pitch = pupils(renderer.render(F.neutral().replace(head_rotation=(0.0, 20.0, 0.0))))
    assert x_yaw < x0 - 0.1 * K  # +yaw turns to the subject's right = the image's left
    assert y_pitch > y0 + 0.05 * K  # +pitch looks down
    # +roll tilts towards the subject's left shoulder: the top of the head goes to the image's right.
    rolled = renderer.render(F.neutral().replace(head_rotation=(0.0, 0.0, 20.0)))
    hair = np.asarray(renderer.drawing(F.neutral()).items[4].fill or (0, 0, 0))
    top = lambda img: np.nonzero(near(img[: int(CY - 0.5 * K)], hair, 10))[1].mean()  # noqa: E731
    assert top(rolled) > top(renderer.render(F.neutral())) + 0.1 * K


def mouth_curve(img):
    """How far the mouth's middle sits below its corners (px): positive = a smile's U shape."""
    crop = box(img, -0.42, 0.42, 0.5, 0.95).astype(int)
    mask = crop[..., 0] - crop[..., 1] > 65  # lips and mouth are much redder than skin
    cols = np.flatnonzero(mask.any(0))
    ys = np.array([np.nonzero(mask[:, c])[0].mean() for c in cols])
    n = max(2, len(cols) // 10)
    centre = ys[len(ys) // 2 - n // 2: len(ys) // 2 + n // 2 + 1].mean()
    return centre - (ys[:n].mean() + ys[-n:].mean()) / 2


def test_smile_lifts_corners_and_frown_drops_them(renderer):
    rest = mouth_curve(renderer.render(F.neutral()))
    smile = mouth_curve(renderer.render(F.from_shapes({"MouthCornerPullLeft": 1, "MouthCornerPullRight": 1})))
    frown = mouth_curve(renderer.render(F.from_shapes({"MouthFrownLeft": 1, "MouthFrownRight": 1})))
    assert smile > rest + 0.05 * K
    assert frown < rest - 0.05 * K


def test_tongue_out_shows_tongue_below_the_mouth(renderer):
    tongue = (224, 122, 127)
    below = lambda img: int(near(box(img, -0.3, 0.3, 0.85, 1.4), tongue, 30).sum())  # noqa: E731
    assert below(renderer.render(F.neutral())) == 0
    out = renderer.render(F.from_shapes({"TongueOut": 1.0}))
    assert below(out) > 0.02 * K * K
    left = renderer.render(F.from_shapes({"TongueOut": 1.0, "TongueLeft": 1.0}))
    xs = lambda img: np.nonzero(near(box(img, -0.5, 0.5, 0.85, 1.4), tongue, 30))[1].mean()  # noqa: E731
    assert xs(left) > xs(out) + 2  # TongueLeft: the subject's left = image right


def test_gap_holds_the_last_face_then_rest():
    r = AvatarRenderer(size=128)
    smile = F.from_shapes({"MouthCornerPullLeft": 1, "MouthCornerPullRight": 1, "JawOpen": 0.4})
    shown = r.render(smile)
    held = r.render(F.gap(0.1, last=smile))
    assert np.array_equal(shown, held)
    fresh = AvatarRenderer(size=128)
    assert np.array_equal(fresh.render(F.gap(0.0)), fresh.render(F.neutral()))
    assert rig_from_frame(F.gap(0.0)) is None


def test_nan_and_out_of_range_values_draw_something_sane(renderer):
    w = np.full(len(UE_NAMES), np.nan, np.float32)
    f = F(time=0, weights=w, openness_left=float("nan"), gaze_left=(float("inf"), 0.0),
          head_rotation=(500.0, -500.0, float("nan")))
    img = renderer.render(f)
    assert img.shape == (S, S, 3) and img.dtype == np.uint8
    over = renderer.render(F.from_shapes({n: 5.0 for n in UE_NAMES}))
    assert over.std() > 10


@settings(max_examples=25, deadline=None)
@given(weights=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=88, max_size=88),
       gaze=st.tuples(st.floats(-3, 3), st.floats(-3, 3)), openness=st.floats(-1, 2),
       rot=st.tuples(st.floats(-180, 180), st.floats(-180, 180), st.floats(-180, 180)))
def test_any_frame_draws_and_serialises(weights, gaze, openness, rot):
    import xml.etree.ElementTree as ET

    r = AvatarRenderer("neko", size=64)
    f = F(time=0.0, weights=np.array(weights, np.float32), gaze_left=gaze, gaze_right=gaze,
          openness_left=openness, openness_right=openness, head_rotation=rot)
    img = r.render(f)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    ET.fromstring(r.svg(f).split("\n", 1)[1])  # always well-formed, never NaN coordinates
    assert "nan" not in r.svg(f).lower()
