"""Bad track files: every problem is one line naming the file, the line (or frame) and the column,
in the reader and in every command that reads tracks; values a frame with a face cannot have are
refused before a renderer or exporter meets them."""

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.errors import InputError
from facemimic.expressions import ExpressionFrame, ExpressionTrack, read_track, write_track
from facemimic.expressions.io import CSV_COLUMNS
from facemimic.expressions.names import UE_NAMES
from facemimic.generate.clips import clip

JAW = UE_NAMES.index("JawOpen")
CSV_JAW = CSV_COLUMNS.index("JawOpen")


@pytest.fixture(scope="module")
def real_track():
    """A generated 1 s clip (30 frames) with a gap at frames 10-12, as FaceMimic writes them."""
    tr = clip("happy", duration=1.0, seed=4)
    frames = list(tr)
    for i in (10, 11, 12):
        frames[i] = ExpressionFrame.gap(frames[i].time, last=frames[9])
    return ExpressionTrack.from_frames(frames, fps=tr.fps, metadata=tr.metadata)


def edit_csv(path, line, column, value):
    rows = list(csv.reader(path.open(newline="")))
    rows[line - 1][CSV_COLUMNS.index(column)] = value
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def edit_jsonl(path, line, change):
    lines = path.read_text().splitlines()
    obj = json.loads(lines[line - 1])
    change(obj)
    lines[line - 1] = json.dumps(obj)
    path.write_text("\n".join(lines) + "\n")
    return path


def one_line_error(path, *fragments):
    with pytest.raises(InputError) as info:
        read_track(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: ") and "\n" not in msg, msg
    for f in fragments:
        assert f in msg, msg
    return msg


# -- the five commands that read tracks, on one bad CSV ------------------------------------------
COMMANDS = {
    "export": lambda bad, tmp: ["export", str(bad), "-o", str(tmp / "out.anim")],
    "analyze": lambda bad, tmp: ["analyze", str(bad)],
    "avatar render": lambda bad, tmp: ["avatar", "render", str(bad), "-o", str(tmp / "out.mp4")],
    "stream": lambda bad, tmp: ["stream", str(bad), "--to", "vrchat", "--port", "9", "--quiet"],
    "animate --track": lambda bad, tmp: ["animate", "avatar:neko", "-o", str(tmp / "out.mp4"), "--track", str(bad)],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_bad_csv_cell_is_one_line_in_every_command(real_track, tmp_path, command):
    bad = edit_csv(write_track(real_track, tmp_path / "take.csv"), 5, "JawOpen", "abc")
    r = CliRunner().invoke(cli, COMMANDS[command](bad, tmp_path))
    assert r.exit_code == 1, r.output
    assert f"Error: {bad}: line 5, column JawOpen: 'abc' is not a number" in r.output
    assert "Traceback" not in r.output and "could not convert" not in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.csv"]  # nothing written


@pytest.mark.parametrize("command", ["export", "animate --track"])
def test_nan_weight_in_a_present_frame_is_refused_before_any_work(real_track, tmp_path, command):
    bad = edit_jsonl(write_track(real_track, tmp_path / "take.jsonl"), 8,
                     lambda f: f["weights"].__setitem__(JAW, None))
    r = CliRunner().invoke(cli, COMMANDS[command](bad, tmp_path))
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert f"{bad}: line 8, JawOpen: weight nan in a frame with a face" in r.output
    assert "cannot convert" not in r.output


# -- CSV -----------------------------------------------------------------------------------------
def test_csv_problems_name_line_and_column(real_track, tmp_path):
    good = write_track(real_track, tmp_path / "good.csv")
    text = good.read_text()
    for name, line, column, value, fragment in [
        ("word", 3, "head_yaw", "left", "line 3, column head_yaw: 'left' is not a number"),
        ("time", 4, "time", "", "line 4, column time: empty; every row needs a time in seconds"),
        ("face", 4, "face_id", "1.5", "line 4, column face_id: '1.5' is not a face id"),
        ("present", 6, "present", "maybe", "line 6, column present: 'maybe' is not a number"),
        ("present2", 6, "present", "2", "line 6, column present: '2' is not 0 or 1"),
        ("nan", 7, "JawOpen", "nan", "line 7, JawOpen: weight nan in a frame with a face"),
        ("empty", 7, "JawOpen", "", "line 7, JawOpen: weight nan in a frame with a face"),
        ("inf", 7, "JawOpen", "inf", "line 7, JawOpen: weight inf"),
        ("huge", 7, "JawOpen", "1e300", "line 7, JawOpen: weight 1e+300 is out of range"),
        ("scale", 7, "JawOpen", "57", "weight 57 is out of range (weights are 0..1"),
        ("yaw", 7, "head_yaw", "-inf", "line 7, head_yaw: -inf is out of range (|value| > 360 degrees)"),
        ("back", 9, "time", "0.01", "line 9, time: 0.01 s comes before the previous frame's 0.2 s"),
    ]:
        path = tmp_path / f"{name}.csv"
        path.write_text(text)
        one_line_error(edit_csv(path, line, column, value), fragment)
    short = tmp_path / "short.csv"
    short.write_text(text.replace(text.splitlines()[3], ",".join(text.splitlines()[3].split(",")[:50])))
    one_line_error(short, "line 4: 50 cells, expected 104")


def test_csv_gaps_may_hold_nan_and_pandas_booleans_are_read(real_track, tmp_path):
    import pandas as pd

    path = write_track(real_track, tmp_path / "t.csv")
    df = pd.read_csv(path)
    assert df["JawOpen"].isna().sum() == 3  # the gap rows: empty cells, read back fine
    df["present"] = df["present"].astype(bool)  # a user's pandas edit writes True/False
    df.to_csv(tmp_path / "edited.csv", index=False)
    back = read_track(tmp_path / "edited.csv")
    assert back.present.tolist() == real_track.present.tolist()
    assert np.allclose(back.weights[back.present], real_track.weights[real_track.present], atol=1e-5)
    # A present frame with an unknown head (no head matrix) stays readable: NaN head is allowed.
    edit_csv(path, 5, "head_yaw", "")
    assert np.isnan(read_track(path).head_rotation[3, 0])


# -- JSON Lines ----------------------------------------------------------------------------------
def test_jsonl_problems_name_line_and_field(real_track, tmp_path):
    good = write_track(real_track, tmp_path / "good.jsonl")
    text = good.read_text()

    def case(name, line, change, *fragments):
        path = tmp_path / f"{name}.jsonl"
        path.write_text(text)
        return one_line_error(edit_jsonl(path, line, change), *fragments)

    case("word", 4, lambda f: f["weights"].__setitem__(5, "abc"), "line 4, weights[5] (BrowPinchLeft): 'abc' is not a number")
    case("short", 4, lambda f: f["weights"].pop(), "line 4, weights: expected a list of 88 numbers, got 87 values")
    case("eyes", 4, lambda f: f.pop("eyes"), "line 4, missing 'eyes'")
    case("gaze", 4, lambda f: f["eyes"]["left"].__setitem__("gaze", [1]), "line 4, eyes.left.gaze: expected a list of 2")
    case("time", 4, lambda f: f.__setitem__("t", "soon"), "line 4, t: 'soon' is not a number")
    case("face", 4, lambda f: f.__setitem__("face", -1), "line 4, face: -1 is not a face id")
    case("huge", 6, lambda f: f["weights"].__setitem__(JAW, 1e300), "line 6, JawOpen: weight 1e+300 is out of range")
    case("back", 9, lambda f: f.__setitem__("t", 0.0), "line 9, time: 0 s comes before the previous frame's")
    # A gap frame (present false) carries null weights by design.
    lines = text.splitlines()
    assert json.loads(lines[12])["present"] is False and json.loads(lines[12])["weights"] is None
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines[:5] + ['{"t": 0.2, "face": 0,'] + lines[6:]) + "\n")
    one_line_error(broken, "line 6 is not JSON (")
    head = json.loads(lines[0])
    for name, change, fragment in [("fps", {"fps": "fast"}, "header: fps 'fast' is not a positive number"),
                                   ("fps0", {"fps": 0}, "header: fps 0 is not a positive number")]:
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join([json.dumps({**head, **change})] + lines[1:]) + "\n")
        one_line_error(path, fragment)
    (tmp_path / "list.jsonl").write_text("[1, 2]\n")
    one_line_error(tmp_path / "list.jsonl", "not a FaceMimic track")


# -- NPZ -----------------------------------------------------------------------------------------
def test_npz_problems(real_track, tmp_path):
    renamed = tmp_path / "notes.npz"
    renamed.write_text("these are my notes, not arrays\n")
    msg = one_line_error(renamed, "not an .npz archive", "zip")
    assert "pickle" not in msg
    arrays = real_track.to_arrays()
    header = np.array(json.dumps({"format": "facemimic.track", "schema": 1, "fps": 30.0, "names": list(UE_NAMES),
                                  "metadata": {}}))

    def npz(name, **changes):
        path = tmp_path / f"{name}.npz"
        np.savez(path, **{"header": header, **arrays, **changes})
        return path

    w = np.array(arrays["weights"], np.float64)
    w[7, JAW] = np.nan
    one_line_error(npz("nan", weights=w), "frame 7, JawOpen: weight nan in a frame with a face")
    w[7, JAW] = 1e300
    one_line_error(npz("huge", weights=w), "frame 7, JawOpen: weight 1e+300 is out of range")
    one_line_error(npz("shape", weights=w[:, :52]), "array 'weights' has shape (30, 52), expected (T, 88)")
    one_line_error(npz("short", confidence=arrays["confidence"][:5]), "array 'confidence' has shape (5,)")
    one_line_error(npz("text", weights=np.full((30, 88), "x")), "array 'weights' holds <U1 values, not numbers")
    path = tmp_path / "nohead.npz"
    np.savez(path, **arrays)
    one_line_error(path, "no 'header' array")
    # Gap rows hold NaN weights: fine.
    assert len(read_track(npz("ok"))) == 30


# -- errors raised after reading name the file too -----------------------------------------------
def test_later_track_errors_name_the_file(real_track, tmp_path):
    good = write_track(real_track, tmp_path / "take.jsonl")
    r = CliRunner().invoke(cli, ["export", str(good), "-o", str(tmp_path / "x.anim"), "--face", "99"])
    assert r.exit_code == 1 and f"Error: {good}: face 99 is not in the track (faces: 0)" in r.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text(good.read_text().splitlines()[0] + "\n")  # a header and no frames
    r = CliRunner().invoke(cli, ["export", str(empty), "-o", str(tmp_path / "x.anim")])
    assert r.exit_code == 1 and f"Error: {empty}: the track has no frames" in r.output
    assert read_track(good).for_face(0).resample(10).origin == str(good)
    # In memory (no file) the same problems stay ParameterErrors with the frame named.
    from facemimic.errors import ParameterError

    with pytest.raises(ParameterError, match=r"non-decreasing \(frame 1 at 0.5 s comes after 1 s\)"):
        ExpressionTrack.from_arrays({"weights": np.zeros((2, 88)), "time": [1.0, 0.5]})


def test_an_old_express_pose_table_is_named_as_one(tmp_path):
    old = tmp_path / "amused.csv"  # the separate schema `express` wrote before it wrote tracks
    old.write_text("variation," + ",".join(UE_NAMES) + ",openness_left\n1," + ",".join(["0.1"] * 88) + ",1\n")
    one_line_error(old, "an old `facemimic express` pose table, not a track")
