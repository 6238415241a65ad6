"""The create view in a real browser (Playwright + Debian's Chromium), issue #14 §5.

Designer: prompt -> variations drawn on the 2D avatar, a saved design equals `facemimic express`
with the same prompt and seed (file and downloaded CSV), slider edits with the left-right link,
undo/redo. Animate: a bad upload shows the reader's one-line error in the page; a job runs to a
video the page plays, still listed after a reload; a long job is cancelled from the page."""

from __future__ import annotations

import sys
import subprocess
from pathlib import Path

import numpy as np
import pytest
from studio_media import running_studio, screenshot_folder

from facemimic.expressions.io import read_track
from facemimic.expressions.names import UE_NAMES

CLI = str(Path(sys.executable).with_name("facemimic"))  # the facemimic of the interpreter running the tests
DOCS_IMG = screenshot_folder()  # a temporary folder; docs/img with FACEMIMIC_UPDATE_DOCS_IMG=1
PROMPT, SEED = "a bit disgusted but amused", 11


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    yield from running_studio(tmp_path_factory, "create-ws")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # the timeline's Play is pressed by the test (no user gesture): allow audio to start
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--autoplay-policy=no-user-gesture-required"])
        yield b
        b.close()


def _open_create(browser, studio):
    # bypass_csp only lets Playwright's own polling (eval) run; the page's scripts are unchanged.
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, bypass_csp=True, accept_downloads=True)
    page.goto(studio.url)
    page.evaluate("window.studioCreate.ready")
    page.click("#view-create")
    assert page.is_visible("#designer-panel") and not page.is_visible("#camera-panel")
    return page


def test_designer_session_saved_and_exported_equals_facemimic_express(browser, studio, tmp_path):
    page = _open_create(browser, studio)
    # a slider for every UE shape, plus eye openness, gaze and head pose
    info = page.evaluate("fetch('/api/create/info').then(r => r.json())")
    names = page.evaluate("[...document.querySelectorAll('#d-sliders input')].map(i => i.dataset.name)")
    assert sorted(names) == sorted([*UE_NAMES, *info["pose_keys"]])
    # an empty prompt: the generator's one-line error in the page, nothing drawn
    page.fill("#d-prompt", "")
    page.click("#d-generate")
    page.wait_for_selector("#create-error:not([hidden])")
    error = page.inner_text("#create-error")
    assert "give a prompt" in error and "\n" not in error and page.locator(".variation").count() == 0, error
    page.fill("#d-prompt", PROMPT)
    page.fill("#d-intensity", "0.8")
    page.select_option("#d-style", "exaggerated")
    page.fill("#d-variations", "3")
    page.fill("#d-seed", str(SEED))
    page.click("#d-generate")
    page.wait_for_function("window.studioCreate.variations === 3")
    page.wait_for_function("[...document.querySelectorAll('.variation img')].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator(".variation").count() == 3
    assert "seed 11" in page.inner_text("#d-meaning")

    # Save untouched: the file is what `facemimic express` writes with the same prompt and seed.
    page.fill("#d-name", "amused")
    page.click("#d-save")
    page.wait_for_selector('#d-library li[data-name="amused"]')
    cli_jsonl, cli_csv = tmp_path / "cli.jsonl", tmp_path / "cli.csv"
    args = [CLI, "express", PROMPT, "--intensity", "0.8", "--style", "exaggerated", "-n", "3", "--seed", str(SEED)]
    for out in (cli_jsonl, cli_csv):
        subprocess.run(args + ["-o", str(out)], check=True, capture_output=True)
    saved, cli = read_track(studio.workspace / "expressions/amused.jsonl"), read_track(cli_jsonl)
    a, b = saved.to_arrays(), cli.to_arrays()
    assert all(np.array_equal(a[k], b[k]) for k in a if a[k] is not None) and {k: v for k, v in saved.metadata.items() if k != "designer"} == cli.metadata
    with page.expect_download() as dl:
        page.click('#d-library li[data-name="amused"] a[data-format="csv"]')
    assert Path(dl.value.path()).read_text() == cli_csv.read_text()
    # ... and the VRM expressions link: `facemimic export -f vrm -e amused-1=0 …`'s custom expressions
    with page.expect_download() as dl:
        page.click('#d-library li[data-name="amused"] a[data-format="vrm-expressions"]')
    cli_vrm = tmp_path / "cli.vrm"
    subprocess.run([CLI, "export", str(cli_jsonl), "-o", str(cli_vrm), "-f", "vrm", "-e", "amused-1=0",
                    "-e", "amused-2=1", "-e", "amused-3=2"], check=True, capture_output=True)
    ours, theirs = _vrm_custom(Path(dl.value.path()).read_bytes()), _vrm_custom(cli_vrm.read_bytes())
    assert set(ours) == {"amused-1", "amused-2", "amused-3"} and ours == theirs

    # Nudge variation 2: a linked slider moves both sides; undo and redo; the drawing follows.
    page.click('.variation[data-index="1"]')
    before = page.get_attribute('.variation[data-index="1"] img', "src")
    page.fill('#d-sliders input[data-name="MouthCornerPullLeft"]', "0.9")
    page.wait_for_function("src => document.querySelector('.variation[data-index=\"1\"] img').src !== src", arg=before)
    right = float(page.input_value('#d-sliders input[data-name="MouthCornerPullRight"]'))
    assert right == pytest.approx(0.9)
    page.fill('#d-sliders input[data-name="JawOpen"]', "0.5")
    page.click("#d-undo")  # back to the generated value (the slider shows it to its 0.01 step)
    assert float(page.input_value('#d-sliders input[data-name="JawOpen"]')) == pytest.approx(
        float(cli.frames[1].weights[UE_NAMES.index("JawOpen")]), abs=0.006)
    page.click("#d-redo")
    assert float(page.input_value('#d-sliders input[data-name="JawOpen"]')) == pytest.approx(0.5)
    page.fill("#d-name", "amused-nudged")
    page.click("#d-save")
    page.wait_for_selector('#d-library li[data-name="amused-nudged"]')
    _save_shot(page, "studio-designer.jpg")
    # reopened after a reload: the same variations, the edits back on variation 2
    page.reload()
    page.evaluate("window.studioCreate.ready")
    page.click("#view-create")
    page.click('#d-library li[data-name="amused-nudged"] button.open')
    page.wait_for_function("window.studioCreate.variations === 3")
    page.wait_for_function("document.querySelector('.variation[data-index=\"1\"]').getAttribute('aria-selected') === 'true'")
    assert float(page.input_value('#d-sliders input[data-name="MouthCornerPullLeft"]')) == pytest.approx(0.9)
    assert float(page.input_value('#d-sliders input[data-name="JawOpen"]')) == pytest.approx(0.5)
    assert page.input_value("#d-intensity") == "0.8" and page.input_value("#d-seed") == str(SEED)
    page.close()
    nudged = read_track(studio.workspace / "expressions/amused-nudged.jsonl")
    f0, f1 = cli.frames[1], nudged.frames[1]
    changed = {UE_NAMES[i] for i in np.flatnonzero(f0.weights != f1.weights)}
    assert changed <= {"MouthCornerPullLeft", "MouthCornerPullRight", "JawOpen"} and "MouthCornerPullRight" in changed
    assert f1.weights[UE_NAMES.index("MouthCornerPullLeft")] == pytest.approx(0.9, abs=1e-4)
    assert f1.weights[UE_NAMES.index("JawOpen")] == pytest.approx(0.5, abs=1e-4)
    assert np.array_equal(nudged.frames[0].weights, cli.frames[0].weights)


def test_animate_in_the_page_errors_job_reload_cancel(browser, studio, samples):
    page = _open_create(browser, studio)
    page.set_input_files("#a-photo", files=[{"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": b"not an image"}])
    page.wait_for_selector("#create-error:not([hidden])")
    assert page.inner_text("#create-error") == "broken.jpg: not a readable image (JPEG, PNG, WebP, BMP or TIFF)"

    page.set_input_files("#a-photo", str(samples / "single_face.jpg"))
    page.wait_for_function("document.querySelector('#a-source').value === 'portraits/single_face.jpg'")
    page.select_option("#a-driver", "say")
    page.fill("#a-value", "hello there")
    page.select_option("#a-size", "256")
    page.uncheck("#a-calibrate")
    page.click("#a-start")
    page.wait_for_selector('#a-jobs li[data-state="done"] video', timeout=120000)
    # the page plays the MP4: its metadata loads and it has a duration
    page.wait_for_function("(() => { const v = document.querySelector('#a-jobs video'); "
                           "return v.readyState >= 2 && v.duration > 0.5; })()", timeout=20000)
    assert "synthetic" in page.inner_text('#a-jobs li[data-state="done"]')
    _save_shot(page, "studio-animate.jpg", selector="#animate-panel")
    # the MP4 the page made decodes with PyAV: video frames and the voice
    import av

    made = page.evaluate("window.studioCreate.jobs.find(j => j.state === 'done').video")
    with av.open(str(studio.workspace / made)) as box:
        assert len(box.streams.audio) == 1
        rate = box.streams.audio[0].sample_rate
        frames = sum(1 for _ in box.decode(video=0))
    with av.open(str(studio.workspace / made)) as box:
        sound = sum(f.samples for f in box.decode(audio=0)) / rate
    assert frames >= 15 and sound > 0.5, (frames, sound)  # "hello there": about a second

    page.reload()  # the job list comes from the workspace
    page.evaluate("window.studioCreate.ready")
    page.click("#view-create")
    page.wait_for_selector('#a-jobs li[data-state="done"] video')

    page.select_option("#a-source", "portraits/single_face.jpg")
    page.select_option("#a-driver", "expression")
    page.fill("#a-value", "neutral 1s > surprised 4s > happy 4s")
    page.click("#a-start")
    page.wait_for_function("window.studioCreate.jobs.some(j => j.state === 'running' && j.done >= 2)", timeout=60000)
    page.click('#a-jobs li[data-state="running"] button.cancel')
    page.wait_for_selector('#a-jobs li[data-state="cancelled"]', timeout=30000)
    states = page.evaluate("window.studioCreate.jobs.map(j => j.state)")
    page.close()
    assert sorted(states) == ["cancelled", "done"]
    assert len(list((studio.workspace / "animations").glob("*.mp4"))) == 1


def test_timeline_lane_round_trip_build_and_play_with_sound(browser, studio):
    page = _open_create(browser, studio)
    page.fill("#t-text", "neutral 0.5s > surprised 1s > happy 1.5s")
    page.click("#t-parse")
    page.wait_for_function("window.studioCreate.spans && window.studioCreate.spans.length === 3 "
                           "&& window.studioCreate.spans[2].seconds === 1.5")
    # lane -> text: lengthen the surprise in its block
    page.fill('#t-lane .span[data-index="1"] input[type=number]', "1.25")
    page.dispatch_event('#t-lane .span[data-index="1"] input[type=number]', "change")
    page.wait_for_function("document.querySelector('#t-text').value === 'neutral 0.5s > surprised 1.25s > happy 1.5s'")
    page.fill("#t-say", "Hello! Nice to meet you.")
    page.fill("#t-seed", "5")
    page.fill("#t-name", "greeting")
    page.click("#t-build")
    page.wait_for_function("window.studioCreate.timeline && window.studioCreate.timeline.drawn.length > 0", timeout=60000)
    tl = page.evaluate("window.studioCreate.timeline")
    assert tl["audio"] == "timelines/greeting.wav" and tl["track"] == "timelines/greeting.jsonl"
    saved = read_track(studio.workspace / tl["track"])
    assert len(saved) == tl["frames"] and saved.metadata["studio_timeline"]["mood"].startswith("neutral 0.5s > surprised 1.25s")
    # play with sound: the audio element decodes the voice and the avatar follows its clock
    page.wait_for_function("document.querySelector('#t-audio').readyState >= 2")
    page.evaluate("document.querySelector('#t-audio').play()")
    page.wait_for_function("window.studioCreate.playing === true")
    page.wait_for_function("document.querySelector('#t-audio').ended && !window.studioCreate.playing", timeout=30000)
    drawn = np.array(page.evaluate("window.studioCreate.timeline.drawn")[1:])  # [0] is the still before play
    voice = page.evaluate("document.querySelector('#t-audio').duration")
    with page.expect_download() as dl:
        page.click('#t-exports a[data-format="csv"]')
    csv_text = Path(dl.value.path()).read_text()
    # a recording for the speech lane is read by the CLI's audio reader: a broken one is refused
    page.select_option("#t-speech-kind", "audio")
    page.set_input_files("#t-rec", files=[{"name": "take.wav", "mimeType": "audio/wav", "buffer": b"RIFF0000WAVEjunk"}])
    page.wait_for_selector("#create-error:not([hidden])")
    error = page.inner_text("#create-error")
    page.close()
    assert error.startswith("take.wav: ") and "\n" not in error
    assert not (studio.workspace / "audio" / "take.wav").exists()
    assert 0.8 < voice <= tl["duration"] + 0.05
    # the avatar plays the whole timeline (past the voice's end), in order
    assert len(drawn) >= 10 and np.all(np.diff(drawn[:, 1]) >= 0) and drawn[-1, 1] >= len(saved) - 3
    # drawn pose vs sound at the moment it appears, in frames (+: the face is behind the voice)
    during = drawn[drawn[:, 2] < voice - 0.05]
    assert len(during) >= 8
    lag_frames = (during[:, 2] - during[:, 0]) * saved.fps
    print("frames drawn", len(drawn), "lag (frames) median", np.median(lag_frames),
          "median |lag|", np.median(np.abs(lag_frames)), "p90 |lag|", np.percentile(np.abs(lag_frames), 90))
    assert np.median(np.abs(lag_frames)) <= 1.5
    assert csv_text.splitlines()[0].startswith("time") and len(csv_text.splitlines()) == len(saved) + 1


def test_a_recording_never_takes_the_typed_text_as_its_transcript(browser, studio):
    # A user who types text for the voice, then gives a recording (switching the timeline's speech to
    # "recording", or uploading one in the animate panel) must not have the typed line sent as the
    # recording's transcript: the recording would be force-aligned to words it does not say.
    from facemimic.lipsync import transcribe

    wav = transcribe.model_dir().parent.parent / "test-data" / "beckett.wav"
    page = _open_create(browser, studio)
    sent = {}

    def capture(route):  # the request as the page sends it; answered with an error, nothing is built
        sent[route.request.url.split("/api/create/")[1]] = route.request.post_data_json
        route.fulfill(status=422, content_type="application/json", body='{"error": "captured"}')

    page.route("**/api/create/timeline/build/*", capture)
    page.route("**/api/create/jobs", lambda route: capture(route) if route.request.method == "POST" else route.continue_())
    typed = page.input_value("#t-say")
    page.select_option("#t-speech-kind", "audio")
    transcript_box = page.input_value("#t-say")
    with page.expect_response(lambda r: "/api/create/upload/" in r.url and r.ok):
        page.set_input_files("#t-rec", str(wav))
    # the response has arrived; the page takes it up a moment later (Build pressed in between built
    # without a recording: "choose a recording for the speech lane first", never the captured request)
    page.wait_for_function("document.querySelector('#t-rec-pick').value === 'audio/beckett.wav'")
    page.click("#t-build")
    page.wait_for_function("window.studioCreate.errors.includes('captured')")
    page.select_option("#t-speech-kind", "say")  # back to the voice: the typed text is still there
    typed_again = page.input_value("#t-say")
    said = page.input_value("#a-value")
    with page.expect_response(lambda r: "/api/create/upload/" in r.url and r.ok):
        page.set_input_files("#a-audio", str(wav))
    page.wait_for_function("document.querySelector('#a-driver').value === 'audio'")  # the upload taken up
    label, box = page.inner_text("#a-value-label"), page.input_value("#a-value")
    page.click("#a-start")
    page.wait_for_function("window.studioCreate.errors.filter((e) => e === 'captured').length >= 2")
    job = dict(sent["jobs"])
    page.fill("#a-value", "typed by mistake")
    page.check("#a-hear")  # "hear the words": the job is `animate --audio REC --transcribe`, no transcript sent
    resting = page.is_disabled("#a-value")
    page.click("#a-start")
    page.wait_for_function("window.studioCreate.errors.filter((e) => e === 'captured').length >= 3")
    heard = sent["jobs"]
    page.select_option("#a-driver", "say")
    said_again = page.input_value("#a-value")
    page.close()
    assert typed and transcript_box == "" and typed_again == typed
    assert sent["timeline/build/my-timeline"]["audio"] == "audio/beckett.wav" and sent["timeline/build/my-timeline"]["text"] == ""
    assert label == "Transcript" and box == "" and said_again == said and said
    assert job["driver"] == "audio" and job["value"] == "audio/beckett.wav" and job["text"] is None
    assert job["transcribe"] is False and heard["transcribe"] is True and heard["text"] is None and resting


def test_a_recording_stays_offered_after_a_reload(browser, studio, tmp_path):
    # The timeline's recording is a file input: a reload emptied it and Build said "choose a recording
    # for the speech lane first" although the recording is in the workspace. It is offered again.
    from facemimic.lipsync import transcribe

    rec = tmp_path / "reloaded.wav"
    rec.write_bytes((transcribe.model_dir().parent.parent / "test-data" / "beckett.wav").read_bytes())
    page = _open_create(browser, studio)
    page.select_option("#t-speech-kind", "audio")
    with page.expect_response(lambda r: "/api/create/upload/" in r.url and r.ok):
        page.set_input_files("#t-rec", str(rec))
    page.wait_for_function("document.querySelector('#t-rec-pick').value === 'audio/reloaded.wav'")
    page.reload()
    page.evaluate("window.studioCreate.ready")
    page.click("#view-create")
    page.select_option("#t-speech-kind", "audio")
    page.wait_for_function("[...document.querySelector('#t-rec-pick').options].some((o) => o.value === 'audio/reloaded.wav')")
    page.select_option("#t-rec-pick", "audio/reloaded.wav")
    sent = []
    page.route("**/api/create/timeline/build/*", lambda route: (sent.append(route.request.post_data_json), route.fulfill(
        status=422, content_type="application/json", body='{"error": "captured"}')))
    page.click("#t-build")
    page.wait_for_function("window.studioCreate.errors.includes('captured')")
    page.close()
    assert sent and sent[0]["audio"] == "audio/reloaded.wav"


def test_the_mood_lane_shows_the_built_timeline(browser, studio):
    # Mood text typed and built without "Show in lane": the lane must show the spans that were built
    # (it showed the page's starting text, spans that do not play)
    page = _open_create(browser, studio)
    page.wait_for_function("window.studioCreate.spans && window.studioCreate.spans.length === 3")  # the starting text
    hint = page.inner_text("#t-note")  # before a first build the empty lanes and avatar say what to do
    page.fill("#t-text", "neutral 1s > happy 2s")
    page.fill("#t-say", "")
    page.fill("#t-name", "typed")
    page.click("#t-build")
    page.wait_for_function("window.studioCreate.timeline && window.studioCreate.timeline.track === 'timelines/typed.jsonl'"
                           " && !window.studioCreate.timelineBusy", timeout=60000)
    spans = page.evaluate("window.studioCreate.spans")
    blocks = page.locator("#t-lane > *").count()
    page.close()
    assert [(s["prompt"], s["seconds"]) for s in spans] == [("neutral", 1.0), ("happy", 2.0)], spans
    assert blocks == 2 and "then Build" in hint, hint


def test_analyse_a_timeline_hover_shows_the_frame(browser, studio):
    page = _open_create(browser, studio)
    page.fill("#t-text", "neutral 1s > happy 1.5s > surprised 1.5s")
    page.fill("#t-say", "")
    page.fill("#t-name", "moods")
    page.click("#t-build")
    page.wait_for_function("window.studioCreate.timeline && window.studioCreate.timeline.track === 'timelines/moods.jsonl'",
                           timeout=60000)
    page.fill("#y-source", "timelines/moods.jsonl")
    page.click("#y-run")
    page.wait_for_function("window.studioCreate.analysis && window.studioCreate.analysis.frames > 0", timeout=60000)
    result = page.evaluate("window.studioCreate.analysis")
    assert [s["state"] for s in result["segments"]][-1] == "surprised"
    box = page.locator("#y-plot").bounding_box()
    # hover at 2.2 s of the 4 s clip (frames 0 .. 3.967 s): the tooltip names that frame, "happy" leads
    page.hover("#y-plot", position={"x": box["width"] * 2.2 / 3.967, "y": box["height"] / 2})
    page.wait_for_selector("#y-tip:not([hidden])")
    tip = page.inner_text("#y-tip")
    page.close()
    lines = tip.splitlines()
    assert lines[0].endswith(" s") and 2.0 <= float(lines[0].split()[0]) <= 2.4, tip
    assert lines[1].startswith("happy "), tip
    assert "valence" in tip and "AUs:" in tip and result["frames"] == 120


def test_analyse_an_uploaded_video_bad_upload_and_au_hover(browser, studio, samples, tmp_path):
    """The analyse panel's own upload: a broken video's one-line error stays in view down there; a
    real clip is analysed at once and hovering a frame shows its AU intensities."""
    import re

    from test_create_jobs import _clip_mp4  # tests/studio is on sys.path (as conftest is)

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video")
    clip = tmp_path / "talk.mp4"
    _clip_mp4(samples / "WolfgangLanger_Pexels.mp4", clip, 6.0, 7.0)
    page = _open_create(browser, studio)
    page.locator("#analyse-panel").scroll_into_view_if_needed()
    page.set_input_files("#y-upload", str(broken))
    page.wait_for_selector("#create-error:not([hidden])")
    error = page.inner_text("#create-error")
    banner = page.locator("#create-error").bounding_box()
    assert error.startswith("broken.mp4: ") and "\n" not in error, error
    assert 0 <= banner["y"] < 1100, banner  # sticky: in view while the page is scrolled to the panel
    assert not (studio.workspace / "videos" / "broken.mp4").exists()
    page.set_input_files("#y-upload", str(clip))
    page.wait_for_function("window.studioCreate.analysis && window.studioCreate.analysis.source === 'videos/talk.mp4'",
                           timeout=90000)
    result = page.evaluate("window.studioCreate.analysis")
    box = page.locator("#y-plot").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    page.wait_for_selector("#y-tip:not([hidden])")
    tip = page.inner_text("#y-tip")
    errors = page.evaluate("window.studioCreate.errors")
    assert page.is_hidden("#create-error")  # the next upload cleared it
    _save_shot(page, "studio-analyse.jpg", "#analyse-panel")
    page.close()
    assert errors == [error] and result["frames"] >= 20
    au = re.search(r"AUs: (.+)", tip)
    assert au and re.fullmatch(r"(AU\d+ [a-z ]+ \d\.\d\d)(, AU\d+ [a-z ]+ \d\.\d\d)*", au.group(1)), tip


def test_learn_my_face_from_a_dragged_span(browser, studio):
    """Drag a span over the analysed timeline, label it, train, and generate with the model."""
    page = _open_create(browser, studio)
    page.fill("#t-text", "neutral 1s > very happy 2s > neutral 1s")
    page.fill("#t-say", "")
    page.fill("#t-name", "smile")
    page.click("#t-build")
    page.wait_for_function("window.studioCreate.timeline && window.studioCreate.timeline.track === 'timelines/smile.jsonl'",
                           timeout=60000)
    page.fill("#y-source", "timelines/smile.jsonl")
    page.click("#y-run")
    page.wait_for_function("window.studioCreate.analysis && window.studioCreate.analysis.source === 'timelines/smile.jsonl'",
                           timeout=60000)
    plot = page.locator("#y-plot")
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    x = lambda t: box["x"] + box["width"] * t / 3.967  # noqa: E731 - the clip's frames span 0..3.967 s
    page.mouse.move(x(1.4), box["y"] + 40)
    page.mouse.down()
    page.mouse.move(x(2.1), box["y"] + 60)
    page.mouse.move(x(2.8), box["y"] + 60)
    page.mouse.up()
    page.fill("#l-state", "happy")
    page.click("#l-add")
    spans = page.evaluate("window.studioCreate.spansLabelled")
    assert len(spans) == 1 and spans[0][2] == "happy" and abs(spans[0][0] - 1.4) < 0.1 and abs(spans[0][1] - 2.8) < 0.1
    page.fill("#l-name", "my-smile")
    page.click("#l-label")
    page.wait_for_function("window.studioCreate.dataset")
    dataset = page.evaluate("window.studioCreate.dataset")
    assert dataset["dataset"] == "datasets/my-smile.npz" and dataset["counts"] == {"happy": dataset["frames"]}
    page.fill("#l-epochs", "4")  # long enough that the reload below lands while it still runs
    page.click("#l-train")
    page.wait_for_function("document.querySelector('#l-note').textContent.startsWith('training')")
    # a reload mid-training: the page finds the running job and follows its loss curve again
    page.reload()
    page.evaluate("window.studioCreate.ready")
    page.click("#view-create")
    page.wait_for_function("window.studioCreate.training && window.studioCreate.training.state !== 'running'",
                           timeout=120000)
    job = page.evaluate("window.studioCreate.training")
    live = page.evaluate("window.studioCreate.lossLive")
    assert job["state"] == "done" and len(job["losses"]) == 4, job
    assert any(0 < n < 4 for n in live), live  # the curve was drawn with finished epochs while later ones ran
    # the model is in the designer's choice and generates
    page.select_option("#d-model", "models/my-smile.npz")
    page.fill("#d-prompt", "happy")
    page.fill("#d-variations", "2")
    page.fill("#d-seed", "3")
    page.click("#d-generate")
    page.wait_for_function("window.studioCreate.variations === 2 && document.querySelector('#d-meaning').textContent.includes('seed 3')")
    meaning = page.inner_text("#d-meaning")
    errors = page.evaluate("window.studioCreate.errors")
    page.close()
    assert errors == [] and "happy" in meaning and "model my-smile" in meaning, meaning
    assert (studio.workspace / "models" / "my-smile.npz").is_file()


def test_designer_on_my_portrait(browser, studio, samples):
    """The picked variation drawn on an uploaded portrait, redrawn when a slider moves."""
    page = _open_create(browser, studio)
    page.set_input_files("#a-photo", str(samples / "single_face.jpg"))
    page.wait_for_selector('#d-portrait option[value="portraits/single_face.jpg"]', state="attached")
    page.fill("#d-prompt", "surprised")
    page.fill("#d-variations", "2")
    page.fill("#d-seed", "1")
    page.click("#d-generate")
    page.wait_for_function("window.studioCreate.variations === 2")
    page.select_option("#d-portrait", "portraits/single_face.jpg")
    page.wait_for_function("window.studioCreate.stills >= 1", timeout=60000)
    # every variation on the portrait, side by side (one animator still each)
    page.wait_for_function("window.studioCreate.portraitVariations === 2", timeout=60000)
    thumbs = page.evaluate(_THUMBS)
    first = page.evaluate("document.querySelector('#d-still').src")
    page.fill('#d-sliders input[data-name="JawOpen"]', "0.8")
    page.wait_for_function("src => document.querySelector('#d-still').src !== src && window.studioCreate.stills >= 2",
                           arg=first, timeout=30000)
    page.wait_for_function(f"(() => {{ const c = document.querySelector('#d-still-variations canvas[data-index=\"0\"]');"
                           f" return c.toDataURL() !== {thumbs[0]['url']!r}; }})()", timeout=30000)
    edited = page.evaluate(_THUMBS)
    per_ms = page.evaluate("window.studioCreate.portraitVariationsMs")
    size = page.evaluate("(() => { const i = document.querySelector('#d-still'); return [i.naturalWidth, i.naturalHeight]; })()")
    ms = page.evaluate("window.studioCreate.stillMs")
    errors = page.evaluate("window.studioCreate.errors")
    page.close()
    print(f"portrait still after a slider change: {ms:.0f} ms in the page; variation thumbnails "
          f"{', '.join(f'{x:.0f}' for x in per_ms)} ms (the first waits for the portrait's preparation)")
    assert errors == [] and max(size) == 512
    assert [t["w"] for t in thumbs] == [120, 120] and thumbs[0]["url"] != thumbs[1]["url"]
    assert _mean_diff(thumbs[0]["px"], thumbs[1]["px"]) > 0.5  # two variations, two faces
    # the picked variation's thumbnail followed the jaw slider; the other did not move
    assert _mean_diff(thumbs[0]["px"], edited[0]["px"]) > 0.5 and edited[1]["url"] == thumbs[1]["url"]


_THUMBS = """[...document.querySelectorAll('#d-still-variations canvas')].map(c => ({
  w: Math.max(c.width, c.height), url: c.toDataURL(),
  px: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 !== 3))}))"""


def _vrm_custom(data: bytes) -> dict:
    """A .vrm's custom expressions (its glTF JSON chunk)."""
    import json
    import struct

    assert data[:4] == b"glTF"
    length, kind = struct.unpack("<I4s", data[12:20])
    assert kind == b"JSON"
    return json.loads(data[20:20 + length])["extensions"]["VRMC_vrm"]["expressions"]["custom"]


def _mean_diff(a, b):
    return float(np.abs(np.asarray(a, float) - np.asarray(b, float)).mean())


def _save_shot(page, name, selector=None):
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    path = DOCS_IMG / name
    target = page.locator(selector) if selector else page
    target.screenshot(path=str(path), type="jpeg", quality=60)
    assert path.stat().st_size < 200_000


def test_hear_the_words_says_so_where_the_recogniser_cannot_run(browser, studio):
    # The recogniser's library needs AVX-512 (tests/lipsync/test_transcribe_cpu.py): where it cannot
    # run, both "hear the words" boxes say so (the job would recognise phones and warn); where it can,
    # they carry no such note. Either way the page follows the server's own answer.
    from facemimic.lipsync.transcribe import unavailable_reason

    reason = unavailable_reason()
    page = _open_create(browser, studio)
    info = page.evaluate("fetch('/api/info').then((r) => r.json())")
    hints = page.eval_on_selector_all(".no-recogniser", "(es) => es.map((e) => e.parentElement.querySelector('input').id)")
    titles = [page.get_attribute(sel, "title") for sel in ("#a-hear >> xpath=..", "#t-hear-label")]
    page.close()
    assert info["recogniser"] == reason
    if reason:
        assert sorted(hints) == ["a-hear", "t-hear"], hints
        assert all(f"Not on this machine: {reason}" in t for t in titles), titles
    else:
        assert hints == [] and not any("Not on this machine" in t for t in titles), (hints, titles)
