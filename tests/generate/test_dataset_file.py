"""Dataset files of `facemimic label`: what `train` reads, and the one-line refusals of what it cannot."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.errors import InputError
from facemimic.expressions.io import write_track
from facemimic.generate.clips import clip
from facemimic.generate.dataset import label_track, load_dataset, save_dataset


@pytest.fixture(scope="module")
def recording():
    return clip("neutral 1s > happy 2s", seed=5)  # stands in for a tracked recording


def test_label_writes_what_load_dataset_reads(recording, tmp_path):
    data = label_track(recording, [(1.2, 3.0, "happy")], source="me.mp4")
    save_dataset(data, tmp_path / "me.npz")
    back = load_dataset(tmp_path / "me.npz")
    assert np.array_equal(back.x, data.x) and back.counts() == {"happy": len(back.labelled)} == data.counts()


def test_not_a_dataset_is_one_line(recording, tmp_path):
    notes = tmp_path / "notes.npz"
    notes.write_text("my labels, typed by hand\n")
    with pytest.raises(InputError) as info:
        load_dataset(notes)
    assert "not an .npz archive" in str(info.value) and "pickle" not in str(info.value)
    for ext in ("csv", "jsonl", "npz"):  # a track is not a dataset: say how to make one
        track = write_track(recording, tmp_path / f"take.{ext}")
        with pytest.raises(InputError, match=r"a track file, not a training dataset: label it first"):
            load_dataset(track)
    data = label_track(recording, [(1.2, 3.0, "happy")])
    x = np.array(data.x, copy=True)
    x[4, 22] = np.nan
    head = {"format": "facemimic.dataset", "schema": 1, "names": json.loads(
        str(np.load(save_dataset(data, tmp_path / "ok.npz"))["header"]))["names"]}
    np.savez(tmp_path / "nan.npz", x=x, labels=data.labels, time=data.time, source=data.source,
             header=np.array(json.dumps(head)))
    with pytest.raises(InputError, match=r"nan.npz: row 4, JawOpen: nan is not a finite number"):
        load_dataset(tmp_path / "nan.npz")


def test_train_on_a_track_file_points_to_label(recording, tmp_path):
    track = write_track(recording, tmp_path / "take.jsonl")
    r = CliRunner().invoke(cli, ["train", str(track), "-o", str(tmp_path / "m.npz")])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert f"Error: {track}: a track file, not a training dataset" in r.output
    assert not (tmp_path / "m.npz").exists()
