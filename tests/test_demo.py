"""The README's main job runs end to end on built-in defaults and writes real, readable files."""

import json

import av
import cv2
import numpy as np
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.demo import DEMO_SCRIPT, count_blinks
from facemimic.expressions import read_track
from facemimic.expressions.regions import region_mask


def test_demo_end_to_end(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "-o", str(out), "--size", "256"])
    assert result.exit_code == 0, result.output
    assert "Try next" in result.output

    track = read_track(out / "demo-track.jsonl")
    assert track.present.all() and 8 < track.duration < 30
    # The mouth moves with speech (the lips close for the bilabials of "make", "something" …).
    jaw = track.channel("JawOpen")
    assert jaw.max() > 0.3 and jaw.min() < 0.05
    # Moods change the upper face over time: brows differ between the lines.
    upper = track.weights[:, region_mask("upper") > 0]
    assert np.ptp(upper, axis=0).max() > 0.3

    cues = (out / "demo-cues.tsv").read_text().splitlines()
    shapes = {line.split("\t")[1] for line in cues}
    assert {"A", "X"} <= shapes and len(shapes) >= 5  # closed lips, rest and several open shapes

    with av.open(str(out / "demo.mp4")) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.name == "h264" and a.codec_context.name == "aac"
        assert (v.width, v.height) == (256, 256)
        meta = json.dumps(dict(c.metadata)).lower()
        assert "synthetic" in meta or "ai-generated" in meta
        frames = sum(1 for _ in c.decode(v))
    assert abs(frames - track.duration * 30) <= 3

    sheet = cv2.imread(str(out / "demo-contact-sheet.png"))
    assert sheet is not None and sheet.shape[1] == 4 * 256
    assert len(DEMO_SCRIPT) >= 3


def test_demo_with_capture_summary(tmp_path, samples):
    from facemimic.demo import summarise_capture
    from facemimic.expressions import write_track
    from facemimic.capture.api import track as capture_track

    tr = capture_track(samples / "single_face.mp4")
    path = write_track(tr, tmp_path / "c.jsonl")
    text = summarise_capture(path)
    assert "72 frames" in text and "100% with a face" in text
    assert f"blinks       {count_blinks(tr)}" in text
    assert "MouthCornerPull" in text  # she smiles
