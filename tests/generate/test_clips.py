import numpy as np
import pytest

from facemimic.errors import ParameterError
from facemimic.expressions.names import ue_index
from facemimic.expressions.track import ExpressionTrack
from facemimic.generate.clips import ClipOptions, blink_curve, clip, merge_with_speech, min_jerk, parse_timeline


def test_single_prompt_has_onset_apex_offset():
    tr = clip("happy", duration=3, seed=1, options=ClipOptions(blinks=False, saccades=False, head_motion=False))
    assert len(tr) == 90 and tr.fps == 30 and tr.metadata["generator"] == "facemimic.generate"
    smile = tr.channel("MouthCornerPullLeft")
    assert smile[0] < 0.02 and smile[-1] < 0.1  # starts and ends neutral
    assert smile[40:50].mean() > 0.3  # apex in the middle
    rise = np.diff(smile[:20])
    assert np.all(rise >= -0.02)  # onset rises smoothly


def test_posed_is_faster_than_spontaneous():
    kw = dict(duration=3, seed=4, intensity=0.8)
    o = dict(blinks=False, saccades=False, head_motion=False, micro=0.0)
    spont = clip("happy", options=ClipOptions(mode="spontaneous", **o), **kw).channel("MouthCornerPullLeft")
    posed = clip("happy", options=ClipOptions(mode="posed", **o), **kw).channel("MouthCornerPullLeft")
    t_half = lambda c: int(np.argmax(c >= 0.5 * c.max()))  # noqa: E731
    assert t_half(posed) < t_half(spont) and posed.max() > spont.max()


def test_timeline_segments():
    segs = parse_timeline("neutral 0.5s > surprised 1s > happy 2s")
    assert segs == [("neutral", 0.5), ("surprised", 1.0), ("happy", 2.0)]
    assert parse_timeline("happy > sad 500ms", duration=2.0) == [("happy", 1.5), ("sad", 0.5)]
    tr = clip("neutral 0.5s > surprised 1s > happy 2s", seed=2, options=ClipOptions(blinks=False))
    assert len(tr) == 105
    brow = tr.channel("BrowInnerUpLeft")
    smile = tr.channel("MouthCornerPullLeft")
    assert brow[:12].max() < 0.1 and brow[35:45].mean() > 0.3 and smile[-10:].mean() > 0.3
    with pytest.raises(ParameterError):
        parse_timeline(" > ")


def test_blinks_are_natural():
    rng = np.random.default_rng(0)
    t = np.arange(0, 600, 1 / 60)
    closure, events = blink_curve(t, rate_per_min=np.full(len(t), 17.0), rng=rng)
    rate = len(events) / 10.0
    assert 13 <= rate <= 21  # ~17/min at rest
    durs = np.array([d for _, d, _ in events])
    assert durs.min() >= 0.1 and durs.max() <= 0.4
    assert closure.max() == pytest.approx(1.0) and np.mean([p < 1 for *_, p in events]) > 0.2  # some incomplete
    _, talk = blink_curve(t, rate_per_min=np.full(len(t), 26.0), rng=np.random.default_rng(1))
    assert len(talk) > len(events)


def test_clip_eyes_and_head_move():
    tr = clip("neutral", duration=20, seed=5, options=ClipOptions(talking=True))
    assert tr.openness.min() < 0.3  # blinks close the eyes
    assert 4 <= len(tr.metadata["blinks"]) <= 16
    g = tr.gaze[:, 0, 0]
    assert np.abs(np.diff(g)).max() > 0.02  # saccades jump
    assert 0.3 < tr.head_rotation[:, 0].std() < 5  # small head motion


def test_seed_reproducible_and_options_checked():
    a, b = clip("smug", duration=1, seed=7), clip("smug", duration=1, seed=7)
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.gaze, b.gaze)
    with pytest.raises(ParameterError, match="mode"):
        ClipOptions(mode="fast")
    with pytest.raises(ParameterError, match="duration"):
        clip("happy", duration=-1)


def test_merge_with_speech_keeps_the_smile():
    mood = clip("happy", duration=2, seed=1, intensity=0.9)
    n = len(mood)
    w = np.zeros((n, 88), np.float32)
    w[:, ue_index("JawOpen")] = 0.5 * (1 + np.sin(np.arange(n) / 3))
    lip = ExpressionTrack.from_arrays({"time": mood.time, "weights": w}, fps=mood.fps)
    out = merge_with_speech(mood, lip, keep_corners=0.6)
    jaw, corner = ue_index("JawOpen"), ue_index("MouthCornerPullLeft")
    assert np.allclose(out.weights[:, jaw], w[:, jaw])  # speech owns the jaw
    mid = slice(n // 3, 2 * n // 3)
    assert np.allclose(out.weights[mid, corner], 0.6 * mood.weights[mid, corner], atol=1e-6)
    cheek = ue_index("CheekSquintLeft")
    assert np.array_equal(out.weights[:, cheek], mood.weights[:, cheek])  # the mood keeps the cheeks


def test_min_jerk():
    assert min_jerk(np.array([0.0, 0.5, 1.0, 2.0])).tolist() == [0.0, 0.5, 1.0, 1.0]


@pytest.mark.parametrize("timeline,fragment", [
    ("happy -1s > sad 1s", "timeline segment 'happy -1s': '-1s' is not a duration"),
    ("happy - 1s > sad", "'- 1s' is not a duration"),
    ("happy 0s > sad 1s", "timeline segment 'happy 0s' has a zero duration"),
    ("happy 0ms", "has a zero duration"),
    ("happy 1,5s > sad", "'1,5s' is not a duration"),
    ("happy 2min > sad", "'2min' is not a duration"),
    ("happy 1e3s > sad", "'1e3s' is not a duration"),
    ("happy >> sad", "has an empty segment"),
    ("happy 1s >", "has an empty segment"),
    ("5s > sad", "timeline segment '5s' names no expression"),
    ("happy 99999s", "clips are at most 3600 s"),
])
def test_bad_timeline_durations_are_one_line_errors(timeline, fragment):
    # "happy -1s" used to become a 1 s span named "happy -".
    with pytest.raises(ParameterError) as info:
        clip(timeline, seed=1)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_timeline_durations_in_every_spelling():
    assert parse_timeline("happy 2 s > sad .5 > smug 250ms > angry 1 second") == [
        ("happy", 2.0), ("sad", 0.5), ("smug", 0.25), ("angry", 1.0)]
    segment = "x" * 500 + " -1s > sad"
    with pytest.raises(ParameterError) as info:
        parse_timeline(segment)
    assert len(str(info.value)) < 220 and "…" in str(info.value)


def test_a_prompt_ending_in_a_duration_is_a_clip(tmp_path):
    from click.testing import CliRunner

    from facemimic.cli import cli
    from facemimic.expressions.io import read_track

    r = CliRunner().invoke(cli, ["express", "happy 2s", "--seed", "1", "-o", str(tmp_path / "c.jsonl")])
    assert r.exit_code == 0, r.output
    tr = read_track(tmp_path / "c.jsonl")
    assert len(tr) == 60 and tr.metadata["timeline"][0]["prompt"] == "happy"
    r = CliRunner().invoke(cli, ["express", "happy -1s > sad 1s"])
    assert r.exit_code == 1 and "Error: timeline segment 'happy -1s': '-1s' is not a duration" in r.output


def test_segment_dynamics_round_trip_and_shape_the_clip():
    from facemimic.generate.clips import TimelineSpan, format_spans, parse_spans

    text = "neutral 0.5s > surprised 1.2s (onset 0.2s, offset 300ms) > happy 2s (onset 0.8s)"
    spans = parse_spans(text)
    assert spans == [TimelineSpan("neutral", 0.5), TimelineSpan("surprised", 1.2, 0.2, 0.3),
                     TimelineSpan("happy", 2.0, 0.8, None)]
    assert format_spans(spans) == "neutral 0.5s > surprised 1.2s (onset 0.2s, offset 0.3s) > happy 2s (onset 0.8s)"
    assert parse_spans(format_spans(spans)) == spans
    assert parse_timeline(text) == [("neutral", 0.5), ("surprised", 1.2), ("happy", 2.0)]
    o = ClipOptions(blinks=False, saccades=False, head_motion=False, micro=0.0)
    tr = clip(text, seed=2, options=o)
    brow = tr.channel("BrowInnerUpLeft")
    fps = tr.fps
    at = lambda s: int(round(s * fps))  # noqa: E731
    # the surprise reaches its apex by 0.5 + 0.2 s (+ the weaker shapes' lag) and relaxes to neutral
    # in its last 0.3 s: nothing of it is left when the smile's slow 0.8 s onset starts
    apex = brow[at(0.8):at(1.35)].mean()
    assert apex > 0.3 and brow[at(0.62)] > 0.5 * apex
    assert brow[at(1.7) - 1] < 0.05 * apex
    seg = tr.metadata["timeline"]
    assert seg[1]["onset"] == 0.2 and seg[1]["offset"] == 0.3 and seg[2]["onset"] == 0.8 and "offset" not in seg[2]
    smile = tr.channel("MouthCornerPullLeft")
    half = np.argmax(smile >= 0.5 * smile[-5:].mean()) / fps - 1.7
    assert 0.25 < half < 0.6  # min-jerk reaches half way in the middle of the 0.8 s onset
    # a single prompt's offset is the relaxation at its end
    single = clip("happy 2s (onset 0.5s, offset 0.4s)", seed=2, options=o).channel("MouthCornerPullLeft")
    assert single[-1] < 0.02 and single[at(2.0 - 0.4) - 2] > 0.9 * single.max()


@pytest.mark.parametrize("timeline, fragment", [
    ("happy 1s (onset 0.6s, offset 0.6s)", "onset + offset take more than its 1 s"),
    ("happy 1s (attack 0.2s)", "is not 'onset DURATION' or 'offset DURATION'"),
    ("happy 1s (onset 0.2s, onset 0.3s)", "each at most once"),
    ("happy 1s (onset fast)", "'fast' is not a duration"),
    ("happy (onset 0.2s) 1s > sad", "write its dynamics at the end"),
])
def test_bad_segment_dynamics_are_one_line_errors(timeline, fragment):
    from facemimic.generate.clips import parse_spans

    with pytest.raises(ParameterError) as info:
        parse_spans(timeline)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_edited_blink_and_gaze_events_replace_the_random_ones():
    base = clip("neutral 0.5s > happy 3.5s", seed=6, talking=True)
    blinks, fixations = base.metadata["blinks"], base.metadata["saccades"]
    assert blinks and fixations and all(len(e) == 3 for e in blinks + fixations)
    # the generated events given back reproduce the clip (to the metadata's rounding)
    again = clip("neutral 0.5s > happy 3.5s", seed=6, talking=True, blink_events=blinks, saccade_events=fixations)
    np.testing.assert_allclose(again.openness, base.openness, atol=0.01)
    np.testing.assert_allclose(again.gaze, base.gaze, atol=0.01)
    np.testing.assert_allclose(again.head_rotation, base.head_rotation, atol=0.2)  # later random draws unchanged (head follows gaze a little)
    # one blink moved to 2 s, the others deleted; one fixation moved
    moved = clip("neutral 0.5s > happy 3.5s", seed=6, talking=True, blink_events=[[2.0, 0.2, 1.0]],
                 saccade_events=[[1.0, 0.3, -0.1]])
    t = moved.time
    assert moved.metadata["blinks"] == [[2.0, 0.2, 1.0]]
    shut = t[moved.openness[:, 0] < 0.2]
    assert len(shut) and shut.min() >= 2.0 and shut.max() <= 2.2
    still = clip("neutral 0.5s > happy 3.5s", seed=6, talking=True, saccades=False).gaze  # the mood's own gaze
    shift = moved.gaze[:, 0, 0] - still[:, 0, 0]
    assert shift[t < 1.0] == pytest.approx(0.0, abs=1e-6) and shift[t > 1.2] == pytest.approx(0.3, abs=1e-6)
    with pytest.raises(ParameterError, match="blink_events: each event must be"):
        ClipOptions(blink_events=[[1.0, 5.0, 1.0]])
    with pytest.raises(ParameterError, match="saccade_events must be a list"):
        ClipOptions(saccade_events=[["a"]])
