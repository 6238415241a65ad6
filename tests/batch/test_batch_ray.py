"""The Ray Data engine, on a Ray it starts itself and on one started by the test (2 CPUs): the same
rows as the local engine."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def ray_dataset(corpus, tmp_path_factory):
    """``(folder, summary)`` of a run on a Ray that the engine starts and stops itself, as the CLI does
    (on this machine: all its CPUs, 2 in CI)."""
    import os

    import ray

    from facemimic.batch import BatchOptions, WorkSpec, run_batch
    from facemimic.batch.engines import LOCAL_RAY_ENV

    assert not ray.is_initialized()
    ours = {k: os.environ.get(k) for k in LOCAL_RAY_ENV}  # the workers' BLAS threads, Ray's usage stats
    out = tmp_path_factory.mktemp("ray") / "faces"
    summary = run_batch([str(corpus / "**" / "*.mp4")], out, BatchOptions(WorkSpec("track"), engine="ray", workers=2))
    assert not ray.is_initialized()  # stopped at the end of the run
    assert {k: os.environ.get(k) for k in LOCAL_RAY_ENV} == ours  # set for that Ray only, then restored
    return out, summary


@pytest.fixture(scope="module")
def ray_session(ray_dataset):
    """A Ray started by the test itself (the engine uses it as it is), after ``ray_dataset``'s run."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _sorted(table):
    return table.sort_by([("path", "ascending"), ("frame", "ascending"), ("face_id", "ascending")])


def test_ray_engine_gives_the_local_engine_rows(ray_dataset, local_dataset):
    from facemimic.batch import read_dataset, read_manifest

    ray_root, summary = ray_dataset
    local_root, _ = local_dataset
    assert (summary.done, summary.no_face, summary.failed) == (2, 1, 1)
    a, b = _sorted(read_dataset(ray_root)), _sorted(read_dataset(local_root))
    assert a.num_rows == b.num_rows == 54
    assert a.equals(b)  # every column, bit for bit (NaN gaps included)
    cols = ["path", "status", "error", "frames", "rows", "faces", "content_hash", "options_key"]
    assert read_manifest(ray_root).select(cols).equals(read_manifest(local_root).select(cols))
    # two actors, each a worker process of its own, shared the files
    workers = set(read_manifest(ray_root).column("worker").to_pylist())
    assert 1 <= len(workers) <= 2


def test_ray_data_reads_the_dataset(ray_dataset, ray_session):
    import ray.data

    root, _ = ray_dataset
    rows = ray.data.read_parquet(str(root)).take_all()
    assert len(rows) == 54  # the frames only: _manifest.parquet and _dataset.json are not data
    assert "source_id" in rows[0] and "JawOpen" in rows[0] and "status" not in rows[0]
    smile = [r for r in rows if r["path"].endswith("single_face.mp4")]
    assert len(smile) == 30 and all(r["present"] for r in smile)
    assert len({r["source_id"] for r in smile}) == 1


def test_ray_rerun_skips_what_is_done(ray_dataset, corpus):
    from facemimic.batch import BatchOptions, WorkSpec, run_batch

    root, _ = ray_dataset
    s = run_batch([str(corpus / "**" / "*.mp4")], root, BatchOptions(WorkSpec("track"), engine="ray", workers=2))
    assert (s.skipped, s.todo, s.failed) == (3, 1, 1)  # only the corrupt file, retried once
