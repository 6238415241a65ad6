"""`facemimic label` and `facemimic train` read a `batch track` dataset instead of re-tracking."""

from __future__ import annotations

import re

import numpy as np
from click.testing import CliRunner

from facemimic.cli import cli


def test_label_a_file_of_the_dataset_equals_labelling_the_video(local_dataset, corpus, tmp_path):
    root, _ = local_dataset
    clip = corpus / "talk" / "single_face.mp4"
    r1 = CliRunner().invoke(cli, ["label", str(root), "--file", "single_face.mp4", "--at", "0-0.5=happy",
                                  "-o", str(tmp_path / "from_dataset.npz")])
    r2 = CliRunner().invoke(cli, ["label", str(clip), "--at", "0-0.5=happy", "-o", str(tmp_path / "from_video.npz")])
    assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
    with np.load(tmp_path / "from_dataset.npz") as a, np.load(tmp_path / "from_video.npz") as b:
        assert a["x"].shape == (15, 90)  # 0.5 s at 30 fps
        np.testing.assert_array_equal(a["x"], b["x"])
        np.testing.assert_array_equal(a["time"], b["time"])
        assert set(a["labels"]) == {"happy"}


def test_label_spans_need_one_file_of_a_multi_file_dataset(local_dataset, tmp_path):
    root, _ = local_dataset
    r = CliRunner().invoke(cli, ["label", str(root), "--at", "0-0.5=happy", "-o", str(tmp_path / "x.npz")])
    assert r.exit_code == 1 and "holds 2 files; choose one with --file NAME" in r.output
    r = CliRunner().invoke(cli, ["label", str(root), "--file", "nope.mp4", "--at", "0-0.5=happy",
                                 "-o", str(tmp_path / "x.npz")])
    assert r.exit_code == 1 and "no file 'nope.mp4' done in this dataset; files: single_face.mp4, wolfgang.mp4" \
        in r.output
    assert not (tmp_path / "x.npz").exists()


def test_train_on_a_dataset_folder(local_dataset, tmp_path):
    root, _ = local_dataset
    out = tmp_path / "corpus_model.npz"
    r = CliRunner().invoke(cli, ["train", str(root), "-o", str(out), "--epochs", "1", "--auto", "0.5"])
    assert r.exit_code == 0, r.output
    # the smiling clip's frames, labelled by the analyser, taught the model
    assert re.search(r"labelled frames: [^)]*\bhappy \d+", r.output) and out.exists(), r.output
    from facemimic.generate.model import load_model

    assert load_model(out).header["training"]["datasets"] == [root.name]
