"""Track files: every writer's output is read back by an independent reader (json, pandas, numpy)
and by FaceMimic's own reader; writes are atomic; bad files give one-line errors."""

import json
import os
import stat

import numpy as np
import pandas as pd
import pytest

from facemimic.errors import InputError, OutputError, UnknownNameError
from facemimic.expressions import ExpressionFrame, ExpressionTrack, read_track, write_track
from facemimic.expressions.io import CSV_COLUMNS, open_writer
from facemimic.expressions.names import UE_NAMES


@pytest.fixture
def track():
    rng = np.random.default_rng(3)
    frames = []
    for i in range(12):
        t = i / 24
        if i == 5:
            frames.append(ExpressionFrame.gap(t, last=frames[-1], confidence=0.4))
            continue
        frames.append(ExpressionFrame(
            time=t, weights=rng.uniform(0, 1, 88).astype(np.float32), gaze_left=(0.1, -0.2),
            gaze_right=(0.12, -0.18), openness_left=0.9, openness_right=0.1 * i,
            head_rotation=(5.0, -3.0, 1.5), head_position=(0.01, -0.02, 0.6), confidence=0.97))
    return ExpressionTrack.from_frames(frames, fps=24, metadata={"source": "unit"})


def same(a: ExpressionTrack, b: ExpressionTrack, atol=1e-4):
    assert len(a) == len(b)
    assert np.array_equal(a.present, b.present)
    for col in ("time", "weights", "gaze", "openness", "head_rotation", "head_position", "confidence"):
        x, y = getattr(a, col), getattr(b, col)
        assert np.allclose(np.nan_to_num(x, nan=-9), np.nan_to_num(y, nan=-9), atol=atol), col


@pytest.mark.parametrize("ext", ["jsonl", "csv", "npz"])
def test_round_trip(tmp_path, track, ext):
    path = write_track(track, tmp_path / f"t.{ext}")
    back = read_track(path)
    same(track, back)
    assert back.fps == pytest.approx(24)
    assert not list(tmp_path.glob("*.tmp"))


def test_jsonl_read_by_json(tmp_path, track):
    path = write_track(track, tmp_path / "t.jsonl")
    lines = path.read_text().splitlines()
    head = json.loads(lines[0])
    assert head["format"] == "facemimic.track" and head["schema"] == 1
    assert head["names"] == list(UE_NAMES) and head["fps"] == 24
    frames = [json.loads(line) for line in lines[1:]]
    assert len(frames) == 12
    assert frames[5]["present"] is False and frames[5]["weights"] is None
    assert frames[5]["eyes"]["right"]["openness"] == pytest.approx(0.4)  # held from frame 4
    assert frames[3]["weights"][UE_NAMES.index("JawOpen")] == pytest.approx(
        float(track.weights[3, UE_NAMES.index("JawOpen")]), abs=1e-5)
    assert frames[3]["head"]["yaw"] == 5.0


def test_csv_read_by_pandas(tmp_path, track):
    path = write_track(track, tmp_path / "t.csv")
    df = pd.read_csv(path)
    assert tuple(df.columns) == CSV_COLUMNS
    assert len(df) == 12
    assert df["present"].tolist()[5] == 0 and pd.isna(df["JawOpen"][5])
    assert df["MouthCornerPullLeft"][2] == pytest.approx(float(track.weights[2, UE_NAMES.index("MouthCornerPullLeft")]), abs=1e-5)
    assert df["openness_right"][3] == pytest.approx(0.3)


def test_npz_read_by_numpy(tmp_path, track):
    path = write_track(track, tmp_path / "t.npz")
    with np.load(path, allow_pickle=False) as z:
        assert z["weights"].shape == (12, 88) and z["weights"].dtype == np.float32
        assert z["gaze"].shape == (12, 2, 2)
        assert json.loads(str(z["header"]))["metadata"] == {"source": "unit"}
        assert np.isnan(z["weights"][5]).all()


def test_failed_write_leaves_nothing(tmp_path, track):
    target = tmp_path / "t.jsonl"
    with pytest.raises(RuntimeError):
        with open_writer(target, fps=24) as w:
            w.write(track[0])
            raise RuntimeError("capture crashed")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_paths(tmp_path, track):
    with pytest.raises(OutputError, match="does not exist"):
        write_track(track, tmp_path / "missing" / "t.jsonl")
    if os.geteuid() != 0:  # root ignores directory permissions
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
        with pytest.raises(OutputError):
            write_track(track, ro / "t.jsonl")


def test_bad_files(tmp_path, track):
    with pytest.raises(InputError, match="file not found"):
        read_track(tmp_path / "nope.jsonl")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        read_track(empty)
    junk = tmp_path / "junk.jsonl"
    junk.write_text("hello\n")
    with pytest.raises(InputError, match="not a FaceMimic track"):
        read_track(junk)
    csv = tmp_path / "other.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="header"):
        read_track(csv)
    npz = tmp_path / "bad.npz"
    npz.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="NPZ"):
        read_track(npz)
    good = write_track(track, tmp_path / "t.jsonl")
    lines = good.read_text().splitlines()
    (tmp_path / "trunc.jsonl").write_text("\n".join(lines[:4] + [lines[4][:30]]) + "\n")
    with pytest.raises(InputError, match="line 5"):
        read_track(tmp_path / "trunc.jsonl")
    with pytest.raises(UnknownNameError, match="jsonl"):
        write_track(track, tmp_path / "t.txt")
    newer = json.loads(lines[0])
    newer["schema"] = 99
    (tmp_path / "new.jsonl").write_text(json.dumps(newer) + "\n")
    with pytest.raises(InputError, match="newer"):
        read_track(tmp_path / "new.jsonl")


def test_written_files_get_normal_permissions(tmp_path, track):
    umask = os.umask(0)
    os.umask(umask)
    path = write_track(track, tmp_path / "t.csv")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_write_track_given_frames_says_what_it_wants(tmp_path):
    """``write_track(express(...), path)`` failed with ``AttributeError: 'list' object has no
    attribute 'fps'``."""
    from facemimic.errors import ParameterError
    from facemimic.generate.api import express

    frames = express("happy", variations=2, seed=1)
    with pytest.raises(ParameterError) as e:
        write_track(frames, tmp_path / "t.jsonl")
    assert str(e.value) == "expected an ExpressionTrack, got list (ExpressionTrack.from_frames makes one from frames)"
    assert list(tmp_path.iterdir()) == []
    assert len(read_track(write_track(ExpressionTrack.from_frames(frames), tmp_path / "t.jsonl"))) == 2
