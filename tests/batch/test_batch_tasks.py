"""`batch analyze` and `batch lipsync`: their extra columns equal the stages' own calls."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.batch import BatchOptions, WorkSpec, read_dataset, read_manifest, run_batch
from facemimic.cli import cli


def test_analyze_rows_carry_the_analysers_output(corpus, tmp_path):
    from facemimic.analysis.api import analyze
    from facemimic.batch.schema import BASIC_COLUMNS, STATE_COLUMNS
    from facemimic.capture.api import track
    from facemimic.emotions.facs import AU_LABELS

    clip = corpus / "talk" / "single_face.mp4"
    out = tmp_path / "emotions"
    # weights in MediaPipe's scale: the analyser must be told (track metadata) and convert them
    spec = WorkSpec("analyze", capture=(("units", "mediapipe"),))
    s = run_batch([str(clip), str(corpus / "no_face.mp4")], out, BatchOptions(spec, workers=2))
    assert (s.done, s.no_face) == (1, 1)
    df = read_dataset(out).to_pandas().sort_values("frame")
    a = analyze(track(clip, units="mediapipe"))  # the same file through the analysis API
    assert len(df) == len(a) == 30
    np.testing.assert_allclose(df[list(BASIC_COLUMNS)].to_numpy(), a.basic, atol=1e-6)
    np.testing.assert_allclose(df[list(STATE_COLUMNS)].to_numpy(), a.states, atol=1e-6)
    np.testing.assert_allclose(df.valence.to_numpy(), a.valence, atol=1e-6)
    np.testing.assert_allclose(df[[f"{AU_LABELS[0]}_left", f"{AU_LABELS[0]}_right"]].to_numpy(), a.aus[:, 0],
                               atol=1e-6)
    assert np.allclose(df[list(BASIC_COLUMNS)].sum(axis=1), 1.0, atol=1e-4)
    # the smiling woman reads as happy, with positive valence
    assert df[list(BASIC_COLUMNS)].mean().idxmax() == "p_happy" and df.valence.mean() > 0.2


def test_lipsync_rows_hold_the_cues_of_each_file(speech_items, speech_wavs, samples, corpus, tmp_path):
    from facemimic.lipsync.api import LipSyncOptions, lipsync

    src = tmp_path / "audio"
    src.mkdir()
    item = next(it for it in speech_items if it.id == "s07")
    wav = shutil.copy(speech_wavs["s07"], src / "s07.wav")
    (src / "s07.txt").write_text(item.text + "\n")  # the transcript beside it: aligned
    shutil.copy(samples / "single_face.mp4", src / "video.mp4")  # the audio of a video, recognised
    shutil.copy(corpus / "corrupt.mp4", src / "corrupt.mp4")
    out = tmp_path / "mouths"
    r = CliRunner().invoke(cli, ["batch", "lipsync", str(src), "-o", str(out), "--fps", "50", "--transcripts",
                                 "--workers", "2", "-q"])
    assert r.exit_code == 1 and "3 files (2 done, 1 failed)" in r.output, r.output
    m = {r["path"].rsplit("/", 1)[1]: r for r in read_manifest(out).to_pylist()}
    assert m["corrupt.mp4"]["error"].startswith(f"{src / 'corrupt.mp4'}: ")
    df = read_dataset(out).to_pandas()
    for name, text in (("s07.wav", item.text), ("video.mp4", None)):
        rows = df[df.path == str(src / name)].sort_values("frame")
        ref = lipsync(src / name, text=text, options=LipSyncOptions(fps=50, workers=1))
        assert len(rows) == m[name]["rows"] == m[name]["frames"] == len(ref.track(fps=50))
        assert m[name]["duration"] == pytest.approx(ref.duration)
        cues = sorted({(round(a, 6), round(b, 6), c) for a, b, c in zip(rows.cue_start, rows.cue_end, rows.cue)})
        want = [(round(c.start, 6), round(c.end, 6), c.shape) for c in ref.cues]
        # every cue at least one frame long is there, in order, with its exact span
        assert cues == [w for w in want if any(w[0] <= t <= w[1] for t in rows.time)]
        np.testing.assert_array_equal(rows.JawOpen.to_numpy(np.float32), ref.track(fps=50).channel("JawOpen"))
    speech = df[df.path == str(src / "s07.wav")]
    assert set(speech.cue) - {"X"} and (speech.phone != "").any()  # the sentence moves the mouth
    assert "A" in set(speech.cue)  # "box thrown": its bilabials get the closed mouth (Rhubarb A)
