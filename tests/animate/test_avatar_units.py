"""The 2D avatar speaks FaceMimic's unit: weight w moves the drawing w x the channel's full extent.

Measured on the drawing's own geometry (landmarks read off the primitives, measured by
``expressions.geometry`` in the avatar's own inter-pupil distances, against its rest drawing) and
compared with ``geometry.CHANNELS``; an outside check tracks renders with the capture stage.
"""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.animate.avatar import AvatarRenderer, build_drawing, preset_names, rig_from_frame
from facemimic.animate.avatar import shapes
from facemimic.animate.avatar.measure import (KEY_CHANNELS, channel_frame, drawing_landmarks, drawn_fraction,
                                              literal_eye_closed, measure_frames, unit_ratios)
from facemimic.animate.avatar.style import load_style
from facemimic.expressions import geometry as geo
from facemimic.expressions.frame import ExpressionFrame as F

WEIGHTS = (0.25, 0.5, 1.0)


@pytest.mark.parametrize("style", preset_names())
@pytest.mark.parametrize("channel", KEY_CHANNELS)
def test_weight_moves_the_drawing_by_that_fraction_of_the_full_extent(style, channel):
    ratio = unit_ratios(channel, WEIGHTS, style)
    assert np.all(np.abs(ratio - 1) <= 0.2), f"{channel} on {style!r}: extent / requested = {ratio.round(2)}"


def test_the_measure_is_the_units_own():
    """A smile of weight 0.5 measured by hand from the primitives, with geometry's formulas."""
    d = measure_frames([F.from_shapes({"MouthCornerPullLeft": 0.5})])
    lm, rest = d.landmarks[0], d.rest_landmarks
    size = 512
    ipd = np.linalg.norm((lm[473, :2] - lm[468, :2]) * size)
    assert ipd == pytest.approx(d.ipd_px) and ipd == pytest.approx(2 * shapes.EYE_X * 0.27 * size, rel=1e-4)
    corner = (lm[291, :2] - rest[291, :2]) * size / ipd * [1, -1]  # image y is down
    centre = ((lm[13, 1] + lm[14, 1]) - (rest[13, 1] + rest[14, 1])) / 2 * size / ipd * -1
    angle = np.radians(geo.SMILE_ANGLE_DEG)
    by_hand = corner[0] * np.cos(angle) + (corner[1] - centre) * np.sin(angle)
    assert d.measures.smile_pull[0, 0] == pytest.approx(by_hand, abs=1e-6)
    assert by_hand / geo.CHANNELS["MouthCornerPullLeft"].full_extent == pytest.approx(0.5, rel=0.2)
    assert d.frame_tilt_deg < 0.01  # the head fit returns the drawing's own axes


def test_landmarks_sit_on_the_rendered_pixels():
    """The primitives read as landmarks are what the raster shows: pupils and lips."""
    r = AvatarRenderer("default", size=512)
    frame = F.from_shapes({"JawOpen": 0.5})
    img = r.render(frame).astype(int)
    lm = drawing_landmarks(r.drawing(frame)) * 512
    pupil = np.abs(img - [22, 18, 20]).sum(-1) < 20
    for i, x0, x1 in ((473, 256, 512), (468, 0, 256)):
        ys, xs = np.nonzero(pupil[:, x0:x1])
        assert np.hypot(xs.mean() + x0 - lm[i, 0], ys.mean() - lm[i, 1]) < 1.0
    # Between the inner lips at the midline: the dark mouth (or teeth and tongue), not lip or skin.
    column = img[int(lm[13, 1]) + 2:int(lm[14, 1]) - 1, 256]
    assert len(column) > 20
    skin = np.array([int(load_style("default").skin[k:k + 2], 16) for k in (1, 3, 5)])
    assert (np.abs(column - skin).sum(-1) > 60).all()


def test_a_mis_scaled_mapping_is_caught(monkeypatch):
    """The measure reads the drawing, not the request: a jaw drawn 1.5x too far reads 1.5."""
    monkeypatch.setattr(shapes, "JAW_DROP", shapes.JAW_DROP * 1.5)
    assert unit_ratios("JawOpen", WEIGHTS) == pytest.approx([1.5] * 3, rel=0.01)


def test_eye_closed_shuts_the_cartoon_eye():
    d = measure_frames([channel_frame("EyeClosedLeft", w) for w in (0.5, 1.0)])
    assert d.measures.eye_aperture[1, 0] == 0.0  # shut: lids together
    assert np.abs(d.measures.eye_closure[:, 1]).max() < 1e-9  # the other eye stays as it was
    # EyeClosed is the upper lid's descent over the pupil (docs/units.md): the cartoon's lids meet
    # 0.14 of the lid's rest height below the pupil, so its shut eye reads 1.14, linear in the weight.
    drawn = drawn_fraction(d, "EyeClosedLeft")
    assert drawn == pytest.approx([0.5, 1.0], rel=0.2) and drawn[1] == pytest.approx(2 * drawn[0], rel=0.01)
    # In the unit's own extent (a human eye's aperture) the cartoon eye moves 3-5 times as far.
    assert 2.5 < literal_eye_closed(d, "EyeClosedLeft")[1] < 5


def test_mouth_closed_closes_the_lips_and_leaves_the_jaw_open():
    d = measure_frames([F.from_shapes({"JawOpen": 0.8}), F.from_shapes({"JawOpen": 0.8, "MouthClosed": 0.8})])
    jaw = geo.extent_to_weight("JawOpen", d.measures.jaw_drop)
    assert jaw == pytest.approx([0.8, 0.8], rel=0.01)
    assert d.measures.lip_gap[0] == pytest.approx(0.8 * geo.MOUTH_CLOSED_GAP_EXTENT, rel=0.05)
    assert abs(d.measures.lip_gap[1]) < 0.01


def test_tracked_renders_agree_on_the_mouth():
    """Outside check: MediaPipe, tracking renders of the avatar, finds the mouth and chin where the
    drawing says they are and reads the jaw's opening in the unit within 25 %."""
    from facemimic.capture.api import StillTracker

    size = 512
    r = AvatarRenderer("default", size=size)
    rest_drawn = drawing_landmarks(build_drawing(rig_from_frame(F.neutral()), r.style, size=size))
    ipd = np.linalg.norm((rest_drawn[473, :2] - rest_drawn[468, :2]) * size)
    with StillTracker(max_faces=1) as tracker:
        def track(frame):
            faces = tracker.faces(r.render(frame))
            assert len(faces) == 1, "MediaPipe did not find the avatar's face"
            return faces[0].landmarks

        rest_lm = track(F.neutral())
        for i in (13, 14, 61, 291, 152):
            assert np.linalg.norm((rest_lm[i, :2] - rest_drawn[i, :2]) * size) / ipd < 0.1, i
        rest = geo.rest_face(rest_lm, (size, size))
        opened = np.stack([track(F.from_shapes({"JawOpen": w})) for w in (0.5, 1.0)])
    jaw = geo.extent_to_weight("JawOpen", geo.measure(opened, (size, size), rest=rest).jaw_drop)
    assert np.all(np.abs(jaw / [0.5, 1.0] - 1) < 0.25), jaw
