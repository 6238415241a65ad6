import numpy as np
import pandas as pd
import pytest
from PIL import Image

from facemimic.analysis.api import analyze
from facemimic.errors import InputError
from facemimic.expressions.io import read_track, write_track
from facemimic.generate.api import generate
from facemimic.generate.clips import clip
from facemimic.emotions.states import BASIC, STATE_NAMES, STATES


@pytest.mark.parametrize("emotion", BASIC[1:])
def test_round_trip_basic(emotion):
    hits = 0
    for seed in range(4):
        g = generate(emotion, seed=seed, intensity=0.5 + 0.25 * (seed % 3), variations=4)
        res = analyze(g.x)
        hits += sum(res.top_basic(i, 1)[0][0] == emotion for i in range(len(res)))
    assert hits >= 15  # of 16


@pytest.mark.parametrize("compound", ["happily surprised", "angrily disgusted", "sadly angry", "fearfully surprised"])
def test_round_trip_compound_top2(compound):
    g = generate(compound, seed=0, intensity=0.8, variations=8)
    res = analyze(g.x)
    want = set(STATES[compound].components)
    both = sum({b for b, _ in res.top_basic(i, 2)} == want for i in range(len(res)))
    itself = sum(compound in [s for s, _ in res.top_states(i, 2)] for i in range(len(res)))
    assert both >= 6 and itself >= 6


def test_probabilities_and_affect():
    res = analyze(np.concatenate([generate("happy", seed=1, intensity=0.9).x, generate("sad", seed=1, intensity=0.9).x]))
    assert res.states.shape == (2, len(STATE_NAMES)) and res.basic.shape == (2, 8)
    assert np.allclose(res.states.sum(1), 1, atol=1e-5) and np.allclose(res.basic.sum(1), 1, atol=1e-5)
    assert res.valence[0] > 0.3 > -0.3 > res.valence[1]
    assert res.aus.shape[0] == 2


def test_clip_summary_csv_and_plot(tmp_path):
    tr = clip("neutral 1s > surprised 1.5s > happy 2s", seed=3)
    path = tmp_path / "reaction.jsonl"
    write_track(tr, path)
    res = analyze(path)
    states = [s.state for s in res.summary()]
    assert states[0] == "neutral" and "surprised" in states and states[-1] == "happy"
    df = pd.read_csv(res.to_csv(tmp_path / "a.csv"))
    assert len(df) == len(tr) and {"time", "dominant", "valence", "arousal", "p_happy", "AU12"} <= set(df.columns)
    assert df["dominant"].iloc[-1] == "happy"
    png = res.plot(tmp_path / "a.png")
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size == (1000, 500)


def test_csv_column_names_are_unique_and_match_the_batch_dataset(tmp_path):
    # Eight state names are also basic emotions: `p_<state>` columns repeated `p_happy` … in the
    # header (pandas read them back as `p_happy.1`). States are `state_<name>` as in batch analyze.
    from facemimic.batch.schema import BASIC_COLUMNS, STATE_COLUMNS

    res = analyze(clip("happy", duration=0.5, seed=1))
    path = res.to_csv(tmp_path / "a.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert len(header) == len(set(header))
    df = pd.read_csv(path)
    assert list(BASIC_COLUMNS) + list(STATE_COLUMNS) == [c for c in df.columns if c.startswith(("p_", "state_"))]
    assert df[list(BASIC_COLUMNS)].sum(axis=1).round(2).eq(1).all()
    assert df[list(STATE_COLUMNS)].sum(axis=1).round(2).eq(1).all()


def test_gaps_stay_gaps():
    tr = read_track_with_gap()
    res = analyze(tr)
    assert not res.present[1] and np.isnan(res.basic[1]).all() and res.top_basic(1) == []
    assert res.dominant()[1] == ""


def read_track_with_gap():
    from facemimic.expressions.frame import ExpressionFrame
    from facemimic.expressions.track import ExpressionTrack

    f = generate("angry", seed=0).frames()
    return ExpressionTrack.from_frames([f[0], ExpressionFrame.gap(1 / 30), f[0].replace(time=2 / 30)])


def test_posed_photos_are_named(samples):
    # Real faces through the capture API: the labelled posed photos.
    for name, want in (("0-f1-su-ph.jpg", "surprised"), ("0-f15-hao-ph.jpg", "happy"),
                       ("15-f13-anc-ph.jpg", "angry"), ("45-m7-di-ph.jpg", "disgusted")):
        res = analyze(samples / name)
        assert res.top_basic(0, 1)[0][0] == want, (name, res.top_basic(0, 3))


def test_wolfgang_spans_are_named(wolfgang_track):
    res = analyze(wolfgang_track)
    for (a, b), want in (((0.0, 5.0), "sad"), ((7.0, 9.4), "fearful"), ((11.0, 19.7), "happy")):
        k = (res.time >= a) & (res.time < b) & res.present
        mean = np.nanmean(res.basic[k], axis=0)
        assert BASIC[int(mean.argmax())] == want, (a, b, dict(zip(BASIC, mean.round(2))))
    segs = res.summary(smooth=1.0, min_length=1.0)
    assert segs[0].state == "sad" and segs[-1].state == "happy"


def test_missing_input():
    with pytest.raises(InputError, match="not found"):
        analyze("no/such/video.mp4")
    with pytest.raises(InputError):
        read_track("no/such/track.jsonl")
