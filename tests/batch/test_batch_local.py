"""`facemimic batch track` on the local engine: rows, manifest, readers, resuming, interruption."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.cli import cli

FACEMIMIC = str(Path(sys.executable).with_name("facemimic"))


def _manifest(root) -> dict:
    from facemimic.batch import read_manifest

    return {Path(r["path"]).name: r for r in read_manifest(root).to_pylist()}


def test_corpus_rows_match_the_capture_api(local_dataset, corpus):
    import pandas as pd

    from facemimic.capture.api import track
    from facemimic.expressions.names import UE_NAMES

    root, result = local_dataset
    # one bad file fails the exit code, after every other file was written
    assert result.exit_code == 1, result.output
    assert "1 of 4 files failed" in result.output
    # progress, one line per file when not on a terminal: files/s, frames/s and the ETA
    lines = [ln for ln in result.output.splitlines() if ln.startswith("[")]
    assert len(lines) == 4 and all("files/s" in ln and "frames/s" in ln and "ETA" in ln for ln in lines)
    m = _manifest(root)
    assert {k: v["status"] for k, v in m.items()} == {
        "single_face.mp4": "done", "wolfgang.mp4": "done", "no_face.mp4": "no_face", "corrupt.mp4": "failed"}
    df = pd.read_parquet(root)
    for name, n in (("single_face.mp4", 30), ("wolfgang.mp4", 24)):  # 1 s at 30 and 24 fps
        path = next(corpus.rglob(name))
        rows = df[df.path == str(path)].sort_values(["frame", "face_id"])
        tr = track(path)  # the same file through the capture API in this process
        assert len(rows) == len(tr) == m[name]["rows"] == m[name]["frames"] == n
        assert rows.present.all() and m[name]["faces"] == 1
        np.testing.assert_array_equal(rows[list(UE_NAMES)].to_numpy(np.float32), tr.weights)
        np.testing.assert_array_equal(rows.time.to_numpy(), tr.time)
        np.testing.assert_array_equal(rows[["head_yaw", "head_pitch", "head_roll"]].to_numpy(np.float32),
                                      tr.head_rotation)
        np.testing.assert_array_equal(rows[["openness_left", "openness_right"]].to_numpy(np.float32), tr.openness)
        assert (rows.content_hash == m[name]["content_hash"]).all()
        assert m[name]["duration"] == pytest.approx(1.0, abs=0.05) and m[name]["seconds"] > 0
    # the smile shows in the weights: a real face, not zeros
    smile = df[df.path.str.endswith("single_face.mp4")][["MouthCornerPullLeft", "MouthCornerPullRight"]]
    assert smile.mean().min() > 0.2


def test_bad_files_are_recorded_with_one_line_and_no_rows(local_dataset, corpus):
    root, result = local_dataset
    m = _manifest(root)
    bad = m["corrupt.mp4"]
    assert bad["error"].startswith(str(corpus / "corrupt.mp4") + ": ") and "\n" not in bad["error"]
    assert "corrupt" in bad["error"] and bad["attempts"] == 1 and bad["rows"] == 0
    assert m["no_face.mp4"]["error"] == f"{corpus / 'no_face.mp4'}: no face found in 24 frames"  # 24 fps
    assert bad["error"] in result.output
    parts = sorted(p.parent.name for p in root.glob("source_id=*/frames.parquet"))
    assert parts == sorted(f"source_id={m[n]['source_id']}" for n in ("single_face.mp4", "wolfgang.mp4"))
    assert not list(root.rglob("*.tmp")) and not (root / "_manifest.jsonl").exists()
    assert json.loads((root / "_dataset.json").read_text())["task"] == "track"


def test_dataset_reads_in_pandas_and_pyarrow(local_dataset):
    import pandas as pd
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    from facemimic.batch import read_dataset

    root, _ = local_dataset
    m = _manifest(root)
    done = {v["source_id"]: v["rows"] for v in m.values() if v["status"] == "done"}
    df = pd.read_parquet(root)
    assert df.groupby("source_id", observed=True).size().to_dict() == done
    t = ds.dataset(root, format="parquet", partitioning="hive").to_table()
    assert t.num_rows == sum(done.values()) and len(t.column_names) == 108  # + source_id from the folders
    assert pq.read_table(root).num_rows == t.num_rows
    one = read_dataset(root, filters=[("source_id", "=", next(iter(done)))])
    assert one.num_rows == next(iter(done.values()))
    # the manifest is Parquet too, beside the data but not read as data
    assert pd.read_parquet(root / "_manifest.parquet").shape[0] == 4


def test_rerun_skips_done_files_and_retries_a_failed_one_once(corpus, tmp_path):
    from facemimic.batch import BatchOptions, WorkSpec, run_batch

    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(corpus / "talk" / "single_face.mp4", src / "a.mp4")
    shutil.copy(corpus / "corrupt.mp4", src / "b.mp4")
    out = tmp_path / "ds"
    opts = BatchOptions(WorkSpec("track"), workers=1)
    s1 = run_batch([str(src)], out, opts)
    assert (s1.done, s1.failed, s1.skipped) == (1, 1, 0)
    part = next(out.glob("source_id=a-*/frames.parquet"))
    stamp = part.stat().st_mtime_ns
    s2 = run_batch([str(src)], out, opts)  # a.mp4 done: skipped; b.mp4 failed once: retried
    assert (s2.todo, s2.skipped, s2.failed) == (1, 1, 1)
    assert _manifest(out)["b.mp4"]["attempts"] == 2 and part.stat().st_mtime_ns == stamp
    s3 = run_batch([str(src)], out, opts)  # failed twice: left alone until it changes
    assert (s3.todo, s3.skipped, s3.gave_up) == (0, 1, 1) and "failed 2 times" in s3.errors[0]
    shutil.copy(corpus / "talk" / "deeper" / "wolfgang.mp4", src / "b.mp4")  # the file is fixed
    s4 = run_batch([str(src)], out, opts)
    assert (s4.todo, s4.done, s4.skipped) == (1, 1, 1)
    m = _manifest(out)
    assert m["b.mp4"]["status"] == "done" and m["b.mp4"]["attempts"] == 0 and m["b.mp4"]["rows"] == 24
    s5 = run_batch([str(src)], out, BatchOptions(WorkSpec("track", capture=(("max_faces", 2),)), workers=1))
    assert s5.todo == 2  # other options shape other rows: everything is done again


def test_sigterm_leaves_whole_partitions_and_a_manifest_that_matches(corpus, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(4):
        shutil.copy(corpus / "talk" / "single_face.mp4", src / f"clip{i}.mp4")
    out = tmp_path / "ds"
    cmd = [FACEMIMIC, "batch", "track", str(src / "*.mp4"), "-o", str(out), "--workers", "1"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journal = out / "_manifest.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (journal.exists() and journal.read_text().count("\n") >= 1):
        time.sleep(0.05)
    workers = _children(p.pid)
    assert workers  # the pool process, busy with the next file
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 143, err
    assert "Terminated." in err
    from facemimic.batch import read_manifest

    m = {r["source_id"]: r for r in read_manifest(out).to_pylist()}
    parts = {d.name.split("=", 1)[1] for d in out.glob("source_id=*")}
    assert 1 <= len(m) < 4 and parts == {k for k, r in m.items() if r["status"] == "done"}
    assert not list(out.rglob("*.tmp")) and not journal.exists()  # folded into _manifest.parquet
    assert all(f.stat().st_size > 0 for f in out.glob("source_id=*/frames.parquet"))
    # no worker left running (multiprocessing's resource tracker, also a child, exits on its own soon after)
    deadline = time.monotonic() + 10
    while [w for w in workers if _alive(w)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)]
    r = CliRunner().invoke(cli, ["batch", "track", str(src / "*.mp4"), "-o", str(out), "--workers", "2", "-q"])
    assert r.exit_code == 0, r.output
    assert f"{len(m)} already done" in r.output
    assert len(list(out.glob("source_id=*/frames.parquet"))) == 4


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


@pytest.mark.parametrize("args, message", [
    (["nothing/*.mp4"], "nothing/*.mp4: matches no files"),
    (["missing.mp4"], "missing.mp4: file not found"),
    (["{corpus}/talk", "--address", "auto"], "--address is a Ray cluster address: use it with --engine ray"),
    (["{corpus}/talk", "--max-faces", "0"], "Invalid value for '--max-faces'"),
])
def test_bad_arguments_are_one_line_errors(corpus, tmp_path, args, message):
    args = [a.replace("{corpus}", str(corpus)) for a in args]
    r = CliRunner().invoke(cli, ["batch", "track", *args, "-o", str(tmp_path / "ds")])
    assert r.exit_code in (1, 2) and message in r.output
    assert not (tmp_path / "ds").exists()


def test_output_that_is_not_a_dataset_is_refused(corpus, tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    for out, problem in ((tmp_path / "file", "is a file, not a dataset folder"),
                         (tmp_path / "busy", "is a folder that is not a FaceMimic batch dataset (and not empty)")):
        r = CliRunner().invoke(cli, ["batch", "track", str(corpus / "talk"), "-o", str(out)])
        assert r.exit_code == 1 and r.output.strip() == f"Error: {out}: {problem}"
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"


def test_a_second_run_on_the_same_dataset_is_refused(corpus, tmp_path):
    import fcntl

    from facemimic.batch import BatchOptions, WorkSpec, run_batch
    from facemimic.errors import OutputError

    out = tmp_path / "ds"
    out.mkdir()
    with (out / "_batch.lock").open("a") as held:  # another run holds the dataset
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(OutputError, match="another `facemimic batch` run is writing this dataset"):
            run_batch([str(corpus / "talk")], out, BatchOptions(WorkSpec("track"), workers=1))
    assert not list(out.glob("source_id=*"))


def test_the_command_module_stays_light():
    # `facemimic --help` lists `batch` without loading NumPy, pyarrow, Ray or MediaPipe
    code = ("import sys, facemimic.cli.batch as b; b.command.get_command(None, 'track'); "
            "print(sorted(m for m in ('numpy', 'pyarrow', 'ray', 'mediapipe') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_worker_killed_mid_file_does_not_stop_the_batch(corpus, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(corpus / "talk" / "single_face.mp4", src / "clip.mp4")
    out = tmp_path / "ds"
    p = subprocess.Popen([FACEMIMIC, "batch", "track", str(src), "-o", str(out), "--workers", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    victims: list[int] = []
    while time.monotonic() < deadline and not victims:
        # the pool worker (the resource tracker, also a child, holds no MediaPipe)
        victims = [c for c in _children(p.pid) if "mediapipe" in Path(f"/proc/{c}/maps").read_text()]
        time.sleep(0.05)
    assert victims
    time.sleep(0.3)
    os.kill(victims[0], signal.SIGKILL)  # a crash inside native code, as far as the driver can tell
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err  # the file in flight was done again, alone, in a fresh worker
    assert "1 file (1 done)" in err
    (rec,) = _manifest(out).values()
    assert rec["status"] == "done" and rec["rows"] == 30 and not rec["worker"].endswith(f":{victims[0]}")


def test_a_run_that_fails_before_any_file_leaves_no_dataset_behind(corpus, tmp_path, monkeypatch, samples):
    # `--engine ray --address auto` with no Ray running: one line, and no half-made dataset folder
    # (it kept _dataset.json, _manifest.parquet and _batch.lock, which a later run then reused)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    out = tmp_path / "faces"
    r = CliRunner().invoke(cli, ["batch", "track", str(samples / "single_face.jpg"), "-o", str(out),
                                 "--engine", "ray", "--address", "auto", "-q"])
    assert r.exit_code == 1 and "Ray" in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert not out.exists()
    # a dataset that already holds records is never removed by a failing rerun
    ok = CliRunner().invoke(cli, ["batch", "track", str(samples / "single_face.jpg"), "-o", str(out), "-q"])
    assert ok.exit_code == 0, ok.output
    r = CliRunner().invoke(cli, ["batch", "track", str(samples / "single_face.jpg"), "-o", str(out), "--force",
                                 "--engine", "ray", "--address", "auto", "-q"])
    assert r.exit_code == 1 and (out / "_dataset.json").is_file() and (out / "_manifest.parquet").is_file()
