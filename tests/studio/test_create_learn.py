"""Learn my face in the studio (issue #14 §4): labelled spans -> dataset (`facemimic label`) ->
trained model (`facemimic train`, loss per epoch) -> the designer generates with it."""

from __future__ import annotations

import sys
from pathlib import Path
import subprocess
import time

import numpy as np
import pytest

from studio_media import studio_client

PORT = 8770
CLI = str(Path(sys.executable).with_name("facemimic"))  # the facemimic of the interpreter running the tests


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with studio_client(tmp_path_factory.mktemp("learn-ws"), "learn", PORT) as c:
        yield c


def test_label_train_and_generate_with_the_model(client, tmp_path):
    from facemimic.generate.dataset import load_dataset

    # "my smile": a studio timeline whose happy span is labelled
    assert client.post("/api/create/timeline/build/me", json={"mood": "neutral 1s > very happy 2s > neutral 1s",
                                                              "seed": 7}).status_code == 200
    r = client.post("/api/create/label/my-smile", json={"source": "timelines/me.jsonl", "spans": [[1.4, 2.8, "happy"]]})
    assert r.status_code == 200, r.text
    assert r.json()["counts"] == {"happy": r.json()["frames"]} and r.json()["frames"] >= 40
    cli_ds = tmp_path / "cli.npz"
    subprocess.run([CLI, "label", str(client.workspace / "timelines/me.jsonl"), "--at", "1.4-2.8=happy",
                    "-o", str(cli_ds)], check=True, capture_output=True)
    ours, theirs = load_dataset(client.workspace / "datasets/my-smile.npz"), load_dataset(cli_ds)
    assert np.array_equal(ours.labels, theirs.labels) and np.allclose(ours.x, theirs.x)

    job = client.post("/api/create/train/my-smile", json={"dataset": "datasets/my-smile.npz", "epochs": 2}).json()
    assert job["state"] == "running", job
    seen = []
    end = time.monotonic() + 120
    while (j := client.get(f"/api/create/train/job/{job['id']}").json())["state"] == "running":
        seen.append(len(j["losses"]))
        assert time.monotonic() < end
        time.sleep(0.1)
    assert j["state"] == "done", j
    assert len(j["losses"]) == 2 and all(np.isfinite(j["losses"]))
    assert (client.workspace / "models/my-smile.npz").is_file() and (client.workspace / "models/my-smile.loss.png").is_file()
    assert client.get("/api/create/models").json()["models"] == [{"name": "my-smile", "path": "models/my-smile.npz"}]

    # the designer generates with it: what `facemimic express happy --model models/my-smile.npz` writes
    design = {"prompt": "happy", "variations": 2, "seed": 3, "model": "models/my-smile.npz"}
    r = client.post("/api/create/library/learned", json=design)
    assert r.status_code == 200, r.text
    cli_out = tmp_path / "cli.jsonl"
    subprocess.run([CLI, "express", "happy", "-n", "2", "--seed", "3", "--model",
                    str(client.workspace / "models/my-smile.npz"), "-o", str(cli_out)], check=True, capture_output=True)
    from facemimic.expressions.io import read_track

    a, b = read_track(client.workspace / "expressions/learned.jsonl"), read_track(cli_out)
    assert np.array_equal(a.to_arrays()["weights"], b.to_arrays()["weights"])
    assert a.metadata["model"] == b.metadata["model"] == "my-smile"
    default = client.post("/api/create/express", json=dict(design, model=None)).json()["variations"]
    learned = client.post("/api/create/express", json=design).json()["variations"]
    assert not np.allclose(default[0]["weights"], learned[0]["weights"])


def test_learn_errors(client):
    r = client.post("/api/create/label/x", json={"source": "timelines/none.jsonl", "spans": [[0, 1, "happy"]]})
    assert r.status_code == 422 and r.json()["error"] == "timelines/none.jsonl: not found in the workspace"
    client.post("/api/create/timeline/build/short", json={"mood": "happy 1s", "seed": 1})
    r = client.post("/api/create/label/x", json={"source": "timelines/short.jsonl", "spans": [[0, 1, "hapy"]]})
    assert r.status_code == 422 and "hapy" in r.json()["error"] and "\n" not in r.json()["error"]
    r = client.post("/api/create/train/x", json={"dataset": "datasets/none.npz"})
    assert r.status_code == 422 and r.json()["error"].startswith("datasets/none.npz: not found")
    r = client.post("/api/create/express", json={"prompt": "happy", "model": "models/none.npz"})
    assert r.status_code == 422 and r.json()["error"].startswith("models/none.npz: not found")


def test_training_cancelled_writes_no_model(client):
    """Cancel stops the run at the end of the epoch under way; no model, no loss plot."""
    client.post("/api/create/timeline/build/cancel-me", json={"mood": "neutral 0.5s > happy 1.5s", "seed": 2})
    r = client.post("/api/create/label/cancel-me", json={"source": "timelines/cancel-me.jsonl", "spans": [[0.6, 1.9, "happy"]]})
    assert r.status_code == 200, r.text
    job = client.post("/api/create/train/cancel-me", json={"dataset": r.json()["dataset"], "epochs": 20}).json()
    assert [j["id"] for j in client.get("/api/create/train/jobs").json()["jobs"] if j["state"] == "running"] == [job["id"]]
    deadline = time.time() + 120
    while not job["losses"] and time.time() < deadline:
        time.sleep(0.2)
        job = client.get(f"/api/create/train/job/{job['id']}").json()
    assert client.post(f"/api/create/train/job/{job['id']}/cancel").status_code == 200
    while job["state"] == "running" and time.time() < deadline:
        time.sleep(0.2)
        job = client.get(f"/api/create/train/job/{job['id']}").json()
    assert job["state"] == "cancelled" and 1 <= len(job["losses"]) < 20, job
    assert not (client.workspace / "models" / "cancel-me.npz").exists()
    assert not (client.workspace / "models" / "cancel-me.loss.png").exists()
    r = client.post("/api/create/train/job/train-99/cancel")
    assert r.status_code == 404 and r.json()["error"] == "train-99: no such job"
