"""ExpressionFrame / ExpressionTrack: construction, gaps, slicing, resampling, merging."""

import numpy as np
import pytest

from facemimic.errors import ParameterError, ShapeError, UnknownNameError
from facemimic.expressions import ExpressionFrame, ExpressionTrack, merge_tracks, region_mask
from facemimic.expressions.names import N_UE, UE_INDEX


def ramp_track(n=11, fps=10.0, channel="JawOpen"):
    w = np.zeros((n, N_UE), np.float32)
    w[:, UE_INDEX[channel]] = np.linspace(0, 1, n)
    return ExpressionTrack.from_arrays({"weights": w}, fps=fps)


def test_frame_is_frozen_and_validated():
    f = ExpressionFrame.from_shapes({"JawOpen": 0.5}, time=1.0)
    with pytest.raises(Exception):
        f.time = 2.0
    with pytest.raises(ValueError):
        f.weights[0] = 1.0  # read-only array
    assert f.weight("JawOpen") == 0.5
    assert f.top(1) == [("JawOpen", 0.5)]
    with pytest.raises(ShapeError):
        ExpressionFrame(time=0, weights=np.zeros(52))
    with pytest.raises(UnknownNameError, match="did you mean"):
        ExpressionFrame.from_shapes({"JawOpn": 1})


def test_gap_frames_are_explicit_and_hold_the_eyes():
    last = ExpressionFrame.neutral(0.0).replace(gaze_left=(0.3, 0.1), openness_right=0.4)
    gap = ExpressionFrame.gap(0.1, last=last, confidence=0.5)
    assert not gap.present and np.isnan(gap.weights).all() and np.isnan(gap.head_rotation).all()
    assert gap.gaze_left == (0.3, 0.1) and gap.openness_right == 0.4
    assert gap.top() == []


def test_track_round_trips_frames_and_arrays():
    frames = [ExpressionFrame.from_shapes({"MouthCornerPullLeft": i / 10}, time=i / 30, face_id=i % 2,
                                          head_rotation=(i, -i, 0.5 * i)) for i in range(10)]
    tr = ExpressionTrack.from_frames(frames, fps=30, metadata={"source": "test"})
    assert len(tr) == 10 and tr.face_ids() == (0, 1)
    assert tr[3].weight("MouthCornerPullLeft") == pytest.approx(0.3)
    assert tr[-1].head_rotation == (9.0, -9.0, 4.5)
    again = ExpressionTrack.from_arrays(tr.to_arrays(), fps=tr.fps, metadata=tr.metadata)
    assert np.array_equal(again.weights, tr.weights)
    assert len(tr.for_face(1)) == 5
    assert tr[2:4].time.tolist() == pytest.approx([2 / 30, 3 / 30])
    with pytest.raises(IndexError):
        tr[10]


def test_track_rejects_bad_input():
    with pytest.raises(ShapeError):
        ExpressionTrack.from_arrays({"weights": np.zeros((4, 52))})
    with pytest.raises(ParameterError):
        ExpressionTrack.from_arrays({"weights": np.zeros((2, N_UE)), "time": [1.0, 0.5]})
    with pytest.raises(ParameterError):
        ramp_track(fps=-1)


def test_slice_by_time():
    tr = ramp_track()
    part = tr.slice(0.2, 0.5)
    assert part.time.tolist() == pytest.approx([0.2, 0.3, 0.4])


def test_resample_interpolates_and_keeps_gaps():
    tr = ramp_track(n=11, fps=10)
    up = tr.resample(20)
    assert len(up) == 21
    assert up.channel("JawOpen")[1] == pytest.approx(0.05)
    frames = list(tr)
    frames[5] = ExpressionFrame.gap(frames[5].time, last=frames[4])
    gappy = ExpressionTrack.from_frames(frames, fps=10)
    up = gappy.resample(20)
    # Samples touching the gap frame (t=0.45, 0.5, 0.55) are gaps; the rest interpolate.
    gaps = up.time[~up.present]
    assert gaps.tolist() == pytest.approx([0.45, 0.5, 0.55])
    assert np.isnan(up.weights[~up.present]).all()
    assert np.isfinite(up.weights[up.present]).all()
    down = tr.resample(5)
    assert down.channel("JawOpen").tolist() == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_fill_gaps():
    frames = list(ramp_track(n=5, fps=10))
    frames[2] = ExpressionFrame.gap(frames[2].time)
    tr = ExpressionTrack.from_frames(frames, fps=10)
    assert tr.fill_gaps("hold").channel("JawOpen")[2] == pytest.approx(0.25)
    assert tr.fill_gaps("interpolate").channel("JawOpen")[2] == pytest.approx(0.5)
    assert tr.fill_gaps("neutral").channel("JawOpen")[2] == 0
    assert not tr.fill_gaps("interpolate").present[2]


def test_old_gap_fill_name_is_refused_with_the_new_one():
    # "ease" meant interpolate here but hold-then-ease-to-neutral in the live streamers: the word
    # is gone from both, and each names its replacement instead of guessing.
    from facemimic.deliver.export import ExportOptions
    from facemimic.deliver.streamers import GapFiller, StreamOptions

    tr = ramp_track(n=5, fps=10)
    with pytest.raises(ParameterError, match="'ease' is now called 'interpolate'"):
        tr.fill_gaps("ease")
    with pytest.raises(ParameterError, match="'ease' is now called 'interpolate'"):
        ExportOptions(gaps="ease")
    with pytest.raises(ParameterError, match="'ease' is now called 'ease-to-neutral'"):
        GapFiller("ease")
    with pytest.raises(ParameterError, match="'ease' is now called 'ease-to-neutral'"):
        StreamOptions(gap="ease")
    with pytest.raises(ParameterError, match="unknown gap fill 'lerp'"):
        tr.fill_gaps("lerp")


def test_merge_puts_speech_over_mood():
    n = 24
    mood_w = np.zeros((n, N_UE), np.float32)
    mood_w[:, UE_INDEX["MouthCornerPullLeft"]] = 0.6
    mood_w[:, UE_INDEX["BrowInnerUpLeft"]] = 0.7
    mood = ExpressionTrack.from_arrays({"weights": mood_w}, fps=20)
    lip = ramp_track(n=10, fps=10)  # JawOpen 0 -> 1 over 0.9 s, no smile
    out = merge_tracks(mood, lip, "speech")
    assert out.channel("BrowInnerUpLeft").tolist() == pytest.approx([0.7] * n)  # outside the region
    # lip's JawOpen is t / 0.9 (t in s); mood samples every 0.05 s.
    assert out.channel("JawOpen")[10] == pytest.approx(0.5 / 0.9, abs=1e-5)
    assert out.channel("JawOpen")[19] == pytest.approx(1.0)  # t = 0.95: lip's last frame lasts to 1.0
    assert out.channel("JawOpen")[22] == 0  # t = 1.1: past the lip track, the mood shows through
    assert out.channel("MouthCornerPullLeft")[22] == pytest.approx(0.6)
    assert out.channel("MouthCornerPullLeft")[5] == 0  # speech owns the mouth
    soft = merge_tracks(mood, lip, "speech", strength=0.5)
    assert soft.channel("MouthCornerPullLeft")[5] == pytest.approx(0.3)
    added = merge_tracks(mood, lip, "speech", mode="max")
    assert added.channel("MouthCornerPullLeft")[5] == pytest.approx(0.6)
    assert region_mask("speech")[UE_INDEX["JawOpen"]] == 1
    with pytest.raises(UnknownNameError):
        merge_tracks(mood, lip, "mouths")


def test_frames_where_a_track_is_wanted_are_named():
    """``merge_tracks(express(...), track)`` failed with ``AttributeError: 'list' object has no
    attribute 'to_arrays'`` (``None``: ``object of type 'NoneType' has no len()``) and
    ``from_frames([1, 2])`` with ``'int' object has no attribute 'landmarks'``."""
    from facemimic.generate.api import express

    frames = express("happy", variations=2, seed=1)
    track = ExpressionTrack.from_frames(frames)
    assert len(merge_tracks(track, track)) == 2
    with pytest.raises(ParameterError, match=r"^base must be an ExpressionTrack, got list$"):
        merge_tracks(frames, track)
    with pytest.raises(ParameterError, match=r"^over must be an ExpressionTrack, got NoneType$"):
        merge_tracks(track, None)
    with pytest.raises(ParameterError, match=r"^frame 1 must be an ExpressionFrame, got int$"):
        ExpressionTrack.from_frames([frames[0], 1])


@pytest.fixture(scope="module")
def clip():
    import facemimic

    return facemimic.express_clip("happy", duration=1.0)


@pytest.mark.parametrize("call, match", [
    # NaN made every time NaN; a NaN bound kept no row at all
    (lambda t: t.shifted(float("nan")), r"^offset must be a finite number of seconds, got nan$"),
    (lambda t: t.shifted(float("inf")), "offset must be a finite number"),
    (lambda t: t.shifted(None), r"^offset must be a number of seconds, got None$"),
    (lambda t: t.slice(float("nan")), r"^start must be a number of seconds, got nan$"),
    (lambda t: t.slice(0.0, float("nan")), r"^end must be a number of seconds"),
    (lambda t: t.slice("0.5"), r"^start must be a number of seconds, got '0.5'$"),
    # resample(1e6) built about a million frames per second of track
    (lambda t: t.resample(1e6), r"^fps must be in \(0, 1000\], got 1000000.0$"),
    (lambda t: t.resample(float("nan")), r"^fps must be in \(0, 1000\]"),
    (lambda t: t.resample(30, end=float("nan")), r"^end must be a finite number of seconds, got nan$"),
])
def test_time_operations_refuse_non_numbers(clip, call, match):
    with pytest.raises(ParameterError, match=match):
        call(clip)


def test_open_ended_slices_and_the_highest_rate_still_work(clip):
    assert len(clip.slice(0.5, float("inf"))) == len(clip.slice(0.5))
    assert len(clip.slice(float("-inf"), 0.5)) == len(clip.slice(None, 0.5))
    assert len(clip.resample(1000)) == pytest.approx(clip.duration * 1000, abs=35)
    assert clip.shifted(np.float64(1.5)).time[0] == pytest.approx(clip.time[0] + 1.5)


def test_bad_frame_numbers_and_keys_are_named(clip):
    """``frame(1000)`` and ``track["JawOpen"]`` gave NumPy's IndexError naming neither the frame nor
    the track; ``channel(3)`` failed inside suggest() with ``'int' object has no attribute 'lower'``."""
    n = len(clip)
    for call in (lambda: clip.frame(1000), lambda: clip[1000], lambda: clip.frame(-n - 1)):
        with pytest.raises(ParameterError, match=rf"^frame -?\d+ out of range for a track of {n} frames$") as e:
            call()
        assert isinstance(e.value, IndexError)  # still the sequence protocol's error
    assert clip.frame(-1).time == clip[n - 1].time
    with pytest.raises(ParameterError, match=r"got 'JawOpen'; for one shape's weights over time use "
                                             r"track.channel\('JawOpen'\)$"):
        clip["JawOpen"]
    for key in (1.5, None, True):
        with pytest.raises(ParameterError, match="a track is indexed by frame number"):
            clip[key]
    with pytest.raises(ParameterError, match=r"^a frame number must be an int, got 2.0 \(float\)$"):
        clip.frame(2.0)
    with pytest.raises(UnknownNameError, match=r"^a Unified Expressions shape is named by a str, got 3 \(int\)$"):
        clip.channel(3)
    with pytest.raises(UnknownNameError, match="did you mean JawOpen"):
        clip.channel("JawOpn")
    assert len(clip[:5]) == 5 and len(clip[clip.time < 0.5]) == int((clip.time < 0.5).sum())
