"""Animate-a-portrait jobs (issue #14 §3): uploads read by the animator's readers, a background queue
persisted in the workspace, real MP4s with sound, cancel, and a restart that keeps the results."""

from __future__ import annotations

import json
import time

import pytest

from facemimic.lipsync.transcribe import missing_cpu_flags
from facemimic.studio.security import StudioSecurity
from facemimic.studio.server import StudioConfig, create_app

PORT = 8767
PHOTO = "single_face.jpg"


def _client(ws):
    from fastapi.testclient import TestClient

    sec = StudioSecurity(token="jobs-token", port=PORT)
    c = TestClient(create_app(StudioConfig(workspace=ws, security=sec)), base_url=f"http://127.0.0.1:{PORT}")
    c.cookies.set(sec.cookie_name, "jobs-token")
    return c


def _wait(c, job_id, states=("done", "failed", "cancelled"), timeout=120):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = c.get(f"/api/create/jobs/{job_id}").json()
        if job["state"] in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['state']}")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return tmp_path_factory.mktemp("jobs-ws")


def test_bad_uploads_get_the_readers_one_line_errors(workspace, samples):
    with _client(workspace) as c:
        r = c.put("/api/create/upload/me.jpg", content=b"this is not a jpeg at all")
        assert r.status_code == 422
        assert r.json()["error"] == "me.jpg: not a readable image (JPEG, PNG, WebP, BMP or TIFF)"
        r = c.put("/api/create/upload/talk.wav", content=b"RIFF\x00\x00\x00\x00WAVEjunk")
        assert r.status_code == 422 and r.json()["error"].startswith("talk.wav: ") and "\n" not in r.json()["error"]
        r = c.put("/api/create/upload/run.sh", content=b"#!/bin/sh")
        assert r.status_code == 422 and "cannot upload this kind of file" in r.json()["error"]
        r = c.post("/api/create/jobs", json={"source": "portraits/missing.jpg", "driver": "say", "value": "hi"})
        assert r.status_code == 422 and r.json()["error"].startswith("portraits/missing.jpg: not found")
        r = c.post("/api/create/jobs", json={"source": "../../etc/passwd", "driver": "say", "value": "hi"})
        assert r.status_code == 403
    assert not any(workspace.rglob("me.jpg")) and not any(workspace.rglob("talk.wav"))


def test_job_runs_to_an_mp4_with_sound_and_survives_a_restart(workspace, samples):
    import av

    with _client(workspace) as c:
        r = c.put(f"/api/create/upload/{PHOTO}", content=(samples / PHOTO).read_bytes())
        assert r.status_code == 200, r.text and r.json()["path"] == f"portraits/{PHOTO}"
        job = c.post("/api/create/jobs", json={"source": f"portraits/{PHOTO}", "driver": "say",
                                               "value": "hello there", "size": 256, "calibrate": False}).json()
        assert job["state"] in ("queued", "running")
        seen = set()
        end = time.monotonic() + 120
        while (j := c.get(f"/api/create/jobs/{job['id']}").json())["state"] in ("queued", "running"):
            seen.add((j["state"], j["done"] > 0))
            assert time.monotonic() < end
            time.sleep(0.05)
        assert j["state"] == "done", j
        assert ("running", True) in seen or ("running", False) in seen
        video = c.get(f"/files/{j['video']}")
        assert video.status_code == 200 and c.get(f"/files/{j['preview']}").status_code == 200
    path = workspace / j["video"]
    with av.open(str(path)) as box:
        vs, aus = box.streams.video, box.streams.audio
        assert len(vs) == 1 and len(aus) == 1
        frames = sum(1 for _ in box.decode(vs[0]))
        assert frames == j["frames"] and frames > 10
        assert max(vs[0].width, vs[0].height) == 256
        meta = {k.lower(): v for k, v in box.metadata.items()}
    assert "synthetic" in json.dumps(meta).lower() or "ai-generated" in json.dumps(meta).lower(), meta
    # a new studio on the same workspace lists the job and its files
    with _client(workspace) as c2:
        jobs = c2.get("/api/create/jobs").json()["jobs"]
        assert [x["id"] for x in jobs if x["state"] == "done"] == [j["id"]]


@pytest.mark.skipif(bool(missing_cpu_flags()),  # where the CPU has them the wheel is a dependency
                    reason="the speech recogniser needs AVX-512 (tests/lipsync/test_transcribe_cpu.py)")
def test_a_recording_with_its_words_heard(workspace):
    # "hear the words" (no transcript): the job is `animate --audio REC --transcribe`; its record and
    # the video's description say what the recogniser heard
    import av

    from facemimic.lipsync import transcribe

    wav = transcribe.model_dir().parent.parent / "test-data" / "beckett.wav"  # the recogniser's own test line
    with _client(workspace) as c:
        assert c.put("/api/create/upload/beckett.wav", content=wav.read_bytes()).status_code == 200
        body = {"source": "avatar", "driver": "audio", "value": "audio/beckett.wav", "transcribe": True,
                "size": 256, "calibrate": False, "refine": False, "seed": 2}
        for bad, message in (({"text": "ever tried"}, "transcript or hear its words, not both"),
                             ({"driver": "say"}, "for the audio recording driver"),
                             ({"transcribe": "yes"}, "transcribe must be true or false")):
            r = c.post("/api/create/jobs", json={**body, **bad})
            assert r.status_code == 422 and message in r.json()["error"], r.text
        # the request's own checks read as they are written (not "bad animation value: …")
        r = c.post("/api/create/jobs", json={**body, "driver": "expression", "value": "", "transcribe": False})
        assert r.status_code == 422 and r.json()["error"] == "give the expression to animate with", r.text
        r = c.post("/api/create/jobs", json={**body, "size": 10})
        assert r.json()["error"] == "size must be a whole number of pixels in [64, 4096], got 10", r.text
        r = c.post("/api/create/jobs", json={**body, "size": "big"})
        assert r.json()["error"].startswith("bad animation value: "), r.text  # not a number at all
        j = _wait(c, c.post("/api/create/jobs", json=body).json()["id"], timeout=300)
    assert j["state"] == "done", j
    assert j["words"] and "fail better" in j["words"].lower()
    with av.open(str(workspace / j["video"])) as box:
        description = box.metadata["description"]
        assert len(box.streams.audio) == 1 and abs(float(box.duration / av.time_base) - 9.97) < 0.1
    assert f"lip sync of beckett.wav (words heard: {j['words']!r})" in description, description


def test_cancel_discards_the_partial_video(workspace, samples):
    with _client(workspace) as c:
        job = c.post("/api/create/jobs", json={"source": f"portraits/{PHOTO}", "driver": "expression",
                                               "value": "neutral 1s > surprised 4s > happy 4s", "size": 256,
                                               "calibrate": False}).json()
        _wait(c, job["id"], states=("running",), timeout=60)
        while c.get(f"/api/create/jobs/{job['id']}").json()["done"] < 3:
            time.sleep(0.05)
        c.post(f"/api/create/jobs/{job['id']}/cancel")
        j = _wait(c, job["id"])
        assert j["state"] == "cancelled" and j["video"] is None
    assert not (workspace / "animations" / f"{job['id']}.mp4").exists()
    assert not list((workspace / "animations").glob(f".*{job['id']}*"))  # no temporary left behind


def test_timeline_driver_face_crop_and_bad_options(workspace, samples):
    import av

    with _client(workspace) as c:
        assert c.put(f"/api/create/upload/{PHOTO}", content=(samples / PHOTO).read_bytes()).status_code == 200
        built = c.post("/api/create/timeline/build/hi", json={"mood": "happy 1s", "say": "Hi!", "seed": 1}).json()
        job = c.post("/api/create/jobs", json={"source": f"portraits/{PHOTO}", "driver": "timeline", "value": "hi",
                                               "size": 256, "calibrate": False, "crop": "face"}).json()
        j = _wait(c, job["id"])
        assert j["state"] == "done", j
        with av.open(str(workspace / j["video"])) as box:
            v = box.streams.video[0]
            assert v.width == v.height == 256 and len(box.streams.audio) == 1  # a square face crop, the voice
            assert abs(float(box.duration / av.time_base) - built["duration"]) < 0.2
        r = c.post("/api/create/jobs", json={"source": f"portraits/{PHOTO}", "driver": "say", "value": "hi",
                                             "crop": "square"})
        assert r.status_code == 422 and r.json()["error"].startswith("unknown crop 'square'")
        r = c.post("/api/create/jobs", json={"source": f"portraits/{PHOTO}", "driver": "timeline", "value": "nope"})
        assert r.status_code == 422 and r.json()["error"] == "timelines/nope.jsonl: not found (build the timeline first)"
        # a face the photo does not have: the animator's one-line error, in the job
        job = c.post("/api/create/jobs", json={"source": f"portraits/{PHOTO}", "driver": "expression", "value": "happy",
                                               "size": 256, "calibrate": False, "face": 3}).json()
        j = _wait(c, job["id"])
        assert j["state"] == "failed" and "\n" not in j["error"], j
        assert j["error"].startswith(f"portraits/{PHOTO}: face 3 does not exist"), j


def _clip_mp4(src, out, start, end):
    """Real frames of ``src`` in [start, end) re-encoded as a short H.264 MP4 (a driving video)."""
    import av

    with av.open(str(src)) as c, av.open(str(out), "w") as o:
        s = c.streams.video[0]
        v = o.add_stream("libx264", rate=int(round(float(s.average_rate))))
        v.width, v.height, v.pix_fmt = s.width, s.height, "yuv420p"
        for frame in c.decode(s):
            t = float(frame.pts * s.time_base)
            if t >= end:
                break
            if t >= start:
                for p in v.encode(frame.reformat(format="yuv420p")):
                    o.mux(p)
        for p in v.encode():
            o.mux(p)


def test_video_and_track_drivers(workspace, samples, tmp_path):
    import av

    from facemimic.expressions.io import read_track

    clip = tmp_path / "drive.mp4"
    _clip_mp4(samples / "WolfgangLanger_Pexels.mp4", clip, 11.4, 12.6)  # the clip's blink
    with _client(workspace) as c:
        assert c.put(f"/api/create/upload/{PHOTO}", content=(samples / PHOTO).read_bytes()).status_code == 200
        r = c.put("/api/create/upload/drive.mp4", content=clip.read_bytes())
        assert r.status_code == 200 and r.json() == {"path": "videos/drive.mp4", "bytes": clip.stat().st_size,
                                                     "kind": "video"}
        r = c.put("/api/create/upload/broken.mp4", content=b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
        assert r.status_code == 422 and r.json()["error"].startswith("broken.mp4: MP4/MOV video is truncated or corrupt")
        assert not (workspace / "videos" / "broken.mp4").exists()
        job = c.post("/api/create/jobs", json={"source": f"portraits/{PHOTO}", "driver": "video",
                                               "value": "videos/drive.mp4", "size": 256, "calibrate": False}).json()
        j = _wait(c, job["id"])
        assert j["state"] == "done", j
        with av.open(str(workspace / j["video"])) as box:
            assert abs(float(box.duration / av.time_base) - 1.2) < 0.15
        # a track in the workspace (a saved expression) drives the face
        assert c.post("/api/create/library/pose", json={"prompt": "surprised", "variations": 2, "seed": 1}).status_code == 200
        job = c.post("/api/create/jobs", json={"source": "avatar:neko", "driver": "track",
                                               "value": "expressions/pose.jsonl", "size": 256}).json()
        j = _wait(c, job["id"])
        assert j["state"] == "done", j
        assert j["frames"] >= round(read_track(workspace / "expressions/pose.jsonl").duration * 30)
        (workspace / "notes.csv").write_text("not,a,track\n1,2\n")
        r = c.post("/api/create/jobs", json={"source": "avatar", "driver": "track", "value": "notes.csv"})
        assert r.status_code == 422 and r.json()["error"].startswith("notes.csv: ") and "\n" not in r.json()["error"]
