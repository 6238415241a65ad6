"""Analyse in the studio (issue #14 §4, first part): a workspace track or video -> the emotion
timeline, through `facemimic analyze` (the per-frame CSV is the CLI's, byte for byte)."""

from __future__ import annotations

import sys
from pathlib import Path
import subprocess

import numpy as np
import pytest

from studio_media import studio_client

PORT = 8769
CLI = str(Path(sys.executable).with_name("facemimic"))  # the facemimic of the interpreter running the tests


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with studio_client(tmp_path_factory.mktemp("analyse-ws"), "analyse", PORT) as c:
        yield c


def test_timeline_track_analysed_as_facemimic_analyze(client, tmp_path):
    # a mood-only timeline built in the studio: neutral, then happy, then surprised
    r = client.post("/api/create/timeline/build/moods", json={"mood": "neutral 1s > happy 1.5s > surprised 1.5s",
                                                              "seed": 2})
    assert r.status_code == 200, r.text
    r = client.post("/api/create/analyse", json={"source": "timelines/moods.jsonl"})
    assert r.status_code == 200, r.text
    a = r.json()
    cli_csv = tmp_path / "cli.csv"
    subprocess.run([CLI, "analyze", str(client.workspace / "timelines/moods.jsonl"), "--csv", str(cli_csv)],
                   check=True, capture_output=True)
    assert (client.workspace / a["csv"]).read_text() == cli_csv.read_text()
    t, basic = np.array(a["time"]), np.array(a["basic"], dtype=float)
    names = a["basic_names"]
    dominant = lambda lo, hi: names[int(np.argmax(basic[(t >= lo) & (t < hi)].mean(axis=0)))]  # noqa: E731
    assert dominant(0.1, 0.6) == "neutral"
    assert dominant(1.9, 2.5) == "happy"
    assert dominant(3.4, 4.0) == "surprised"
    assert len(a["aus"]) == len(t) and len(a["aus"][0]) == len(a["au_names"]) == len(a["au_titles"])
    assert a["au_titles"][a["au_names"].index("AU12")] == "lip corner puller"  # FACS names for the hover
    assert a["segments"][-1]["state"] == "surprised"


def test_video_analysed_and_bad_sources(client, samples, tmp_path):
    from test_create_jobs import _clip_mp4  # tests/studio is on sys.path (as conftest is)

    clip = tmp_path / "face.mp4"
    _clip_mp4(samples / "WolfgangLanger_Pexels.mp4", clip, 6.0, 7.0)
    assert client.put("/api/create/upload/face.mp4", content=clip.read_bytes()).status_code == 200
    r = client.post("/api/create/analyse", json={"source": "videos/face.mp4"})
    assert r.status_code == 200, r.text
    a = r.json()
    assert len(a["time"]) >= 20 and all(a["present"])
    assert np.allclose(np.array(a["basic"], dtype=float).sum(axis=1), 1.0, atol=0.01)
    r = client.post("/api/create/analyse", json={"source": "videos/missing.mp4"})
    assert r.status_code == 422 and r.json()["error"] == "videos/missing.mp4: not found in the workspace"
    r = client.post("/api/create/analyse", json={"source": "../../etc/passwd"})
    assert r.status_code == 403
