"""The avatar's expressions read back: renders of it posed are re-tracked by the capture stage."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.expressions.frame import ExpressionFrame


@pytest.fixture(scope="module")
def avatar(photo_avatar):
    return photo_avatar("single_face.jpg")


def test_single_shapes_read_back_monotonically(avatar):
    from facemimic.capture.api import StillTracker
    from facemimic.expressions import geometry as geo
    from facemimic.expressions.names import UE_INDEX
    from facemimic.head3d.retrack import unit_reading

    with StillTracker(max_faces=1) as tracker:
        # read in the unit against the avatar's rest render, as retrack reads (MediaPipe's own jawOpen
        # score is an appearance model, not the unit: it reads a jaw drop under a still upper lip low)
        rest = geo.rest_face(tracker.faces(avatar.render(None, size=384))[0].landmarks, (384, 384))
        jaw = [float(unit_reading(tracker.faces(avatar.render(ExpressionFrame.from_shapes({"JawOpen": v}), size=384))[0],
                                  384, rest)[UE_INDEX["JawOpen"]]) for v in (0.0, 0.5, 1.0)]
        eyes = [tracker.faces(avatar.render(ExpressionFrame.from_shapes({}, openness_left=v, openness_right=v),
                                            size=384))[0] for v in (1.0, 0.0)]
    assert jaw[0] < 0.05 < jaw[1] < jaw[2] and jaw[2] > 0.4, jaw  # the unit: JawOpen 1 is a wide-open jaw
    assert eyes[0].openness_left > 0.7 and eyes[1].openness_left < 0.15 and eyes[1].openness_right < 0.15


def test_generated_expressions_are_recovered(avatar):
    from facemimic.head3d.retrack import generated_frames, retrack

    res = retrack(avatar, generated_frames(1, seed=3), size=384)
    assert res.missed == 0
    assert res.r["eye openness"] >= 0.8 and res.mae["eye openness"] <= 0.2, res.line()
    assert res.r["corner pull"] >= 0.7 and res.mae["corner pull"] <= 0.2, res.line()
    assert res.r["JawOpen"] >= 0.5 and res.mae["JawOpen"] <= 0.2, res.line()
    assert res.r["brow raise"] >= 0.5, res.line()


def test_shapes_the_data_hardly_shows_reach_the_unit(avatar):
    """Frown, upper-lip raise and sneer: learned at 5 %, 35 % and -3 % of their extent, completed to it."""
    from facemimic.head3d.unit import COMPLETED, unit_fractions

    fractions = unit_fractions(avatar.fit.neutral, avatar.expressions)
    for name in COMPLETED:
        assert 0.9 <= fractions[name][1] <= 1.1, (name, fractions[name])
    # renders re-tracked: the upper lip's raise reads back as a weight; the frown moves the corners the
    # capture stage finds down (geometry's measure on its landmarks; its MediaPipe-score path reads ~0)
    from facemimic.capture.api import StillTracker
    from facemimic.expressions import geometry as geo

    size = (384, 384)
    with StillTracker(max_faces=1) as tracker:
        rest = geo.rest_face(np.asarray(tracker.faces(avatar.render(None, size=384))[0].landmarks), size)
        lip = tracker.faces(avatar.render(ExpressionFrame.from_shapes({"MouthUpperUpLeft": 1.0, "MouthUpperUpRight": 1.0}),
                                          size=384))[0]
        frown = tracker.faces(avatar.render(ExpressionFrame.from_shapes({"MouthFrownLeft": 1.0, "MouthFrownRight": 1.0}),
                                            size=384))[0]
    # read in the unit, as retrack reads every channel (MediaPipe's MouthUpperUp score also counts the
    # mouth's opening: 0.74-0.77 while the raise dropped the lower lip too, 0.46-0.58 since it does not)
    lip_m = geo.measure(np.asarray(lip.landmarks)[None], size, rest=rest)
    raised = np.asarray(lip_m.upper_lip_raise)[0] / geo.CHANNELS["MouthUpperUpLeft"].full_extent
    assert raised.min() > 0.5, raised  # 0.75 measured
    lowered = np.asarray(lip_m.lower_lip_depress)[0] / geo.CHANNELS["MouthLowerDownLeft"].full_extent
    assert lowered.max() < 0.25, lowered  # the lower lip stays (0.08-0.10; AU10 is not a grin)
    down = np.asarray(geo.measure(np.asarray(frown.landmarks)[None], size, rest=rest).corner_down)[0] / 0.1
    assert down.min() > 0.2, down  # 0.27-0.34 measured; the learned frown alone: ~0.05


def test_brow_lowering_reads_back_when_the_brows_are_not_raised(avatar):
    from facemimic.head3d.retrack import LOWERING_ALONE, generated_frames, retrack

    res = retrack(avatar, generated_frames(1, seed=3), size=384)
    assert len(res.driven[LOWERING_ALONE]) >= 6 and res.driven[LOWERING_ALONE].max() > 0.5, res.driven[LOWERING_ALONE]
    assert res.r[LOWERING_ALONE] >= 0.7 and res.mae[LOWERING_ALONE] <= 0.2, res.line()


def test_rendered_brow_lowering_is_seen_by_the_capture(avatar):
    """browDown at 0.5 and 1 on a render, read by the capture stage in the unit against the rest
    render: the brow landmarks follow most of the lowering (the inner-end slant they followed 0.44 of
    at weight 1, 0.17-0.19 at 0.5; the real frowns' whole-brow profile 0.73-0.76 and 0.38)."""
    from facemimic.capture.api import StillTracker
    from facemimic.expressions import geometry as geo

    size = (512, 512)
    with StillTracker(max_faces=1) as tracker:
        rest = geo.rest_face(np.asarray(tracker.faces(avatar.render(None, size=512))[0].landmarks), size)
        read = []
        for w in (0.5, 1.0):
            got = tracker.faces(avatar.render(ExpressionFrame.from_shapes({f"Brow{k}{s}": w for k in ("Lowerer", "Pinch")
                                                                          for s in ("Left", "Right")}),
                                              size=512))[0]
            read.append(np.asarray(geo.measure(np.asarray(got.landmarks)[None], size, rest=rest).brow_lower)[0] / 0.1)
    assert read[0].min() > 0.28 and read[1].min() > 0.6 and (read[1] > read[0] + 0.2).all(), read


def test_the_drawn_mesh_is_read_apart_from_the_render(avatar):
    """retrack also reads the drawn mesh's own landmarks (no render, no tracker): the avatar draws the
    brow lowering the drive asks (r 0.99 here) where the re-tracked render loses it — in the pinch,
    which the capture stage's landmarks follow less (0.72; drawn 0.87) than the lowering (0.87)."""
    from facemimic.head3d.retrack import DRAWN, generated_frames, retrack

    res = retrack(avatar, generated_frames(1, seed=3), size=384)
    assert set(res.drawn_r) == set(DRAWN) and len(res.drawn["JawOpen"]) == len(res.driven["JawOpen"])
    assert res.drawn_r["JawOpen"] >= 0.95 and res.drawn_mae["JawOpen"] <= 0.05, res.drawn_r
    assert res.drawn_r["brow lowering"] >= 0.85 and res.drawn_r["brow lowering"] > res.r["brow lowering"] + 0.1
    assert res.r["brow lowerer"] >= 0.75, res.line()
    assert res.r["brow pinch"] < min(res.r["brow lowerer"], res.drawn_r["brow pinch"]) - 0.1, (res.line(), res.drawn_r)
    # the frames the benchmark lists: worst first, each off its drive by more than 0.05
    off = [abs(f["brow lowering read"] - f["brow lowering driven"]) for f in res.departures()]
    assert off and min(off) > 0.049 and off == sorted(off, reverse=True), off  # (values rounded to 0.001)
