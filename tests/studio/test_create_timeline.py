"""The timeline's routes (issue #14 §2): the text syntax round-trips through the lane's spans, and a
built timeline is the track and voice `facemimic animate --say TEXT --mood TIMELINE` is driven by."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from facemimic.expressions.io import read_track
from facemimic.expressions.names import UE_NAMES
from facemimic.expressions.regions import region_mask
from studio_media import studio_client

CLI = str(Path(sys.executable).with_name("facemimic"))  # the facemimic of the interpreter running the tests
PORT = 8768


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with studio_client(tmp_path_factory.mktemp("timeline-ws"), "timeline", PORT) as c:
        yield c


@pytest.mark.parametrize("text", ["neutral 0.5s > surprised 1s > happy 2s", "a bit sad 750ms -> very angry 1.25 s",
                                  "calm then nervous smile 2s", "happy",
                                  "neutral 0.5s > surprised 1s (onset 0.2s, offset 300ms) > happy 2s (onset 0.8s)"])
def test_text_and_lane_round_trip(client, text):
    spans = client.post("/api/create/timeline/parse", json={"text": text}).json()["spans"]
    assert spans and all(s["seconds"] > 0 for s in spans)
    back = client.post("/api/create/timeline/format", json={"spans": spans}).json()
    assert back["spans"] == spans  # lane -> text -> lane is the identity
    again = client.post("/api/create/timeline/parse", json={"text": back["text"]}).json()["spans"]
    assert again == spans
    assert [s["start"] for s in spans] == pytest.approx(np.cumsum([0] + [s["seconds"] for s in spans[:-1]]))


@pytest.mark.parametrize("body,message", [
    ({"text": "happy > > sad"}, "empty segment"),
    ({"text": "happy -1s"}, "is not a duration"),
])
def test_bad_timeline_text(client, body, message):
    r = client.post("/api/create/timeline/parse", json=body)
    assert r.status_code == 422 and message in r.json()["error"] and "\n" not in r.json()["error"]


def test_bad_lane_spans(client):
    r = client.post("/api/create/timeline/format", json={"spans": [{"prompt": "happy 2s", "seconds": 1}]})
    assert r.status_code == 422 and "ends in a duration" in r.json()["error"]
    r = client.post("/api/create/timeline/format", json={"spans": [{"prompt": "happy", "seconds": 0}]})
    assert r.status_code == 422 and "seconds must be in" in r.json()["error"]


def test_dragged_handles_write_the_generators_dynamics(client):
    # the lane's onset/offset handles are the text syntax's own fields: the CLI reads what the page wrote
    from facemimic.generate.clips import TimelineSpan, parse_spans

    spans = [{"prompt": "neutral", "seconds": 0.5}, {"prompt": "surprised", "seconds": 1.2, "onset": 0.25, "offset": 0.3},
             {"prompt": "happy", "seconds": 2, "onset": 0.8, "offset": None}]
    r = client.post("/api/create/timeline/format", json={"spans": spans}).json()
    assert r["text"] == "neutral 0.5s > surprised 1.2s (onset 0.25s, offset 0.3s) > happy 2s (onset 0.8s)"
    assert parse_spans(r["text"])[1] == TimelineSpan("surprised", 1.2, 0.25, 0.3)
    assert [(s["onset"], s["offset"]) for s in r["spans"]] == [(None, None), (0.25, 0.3), (0.8, None)]
    bad = client.post("/api/create/timeline/format", json={"spans": [{"prompt": "happy", "seconds": 1, "onset": 0.7,
                                                                      "offset": 0.5}]})
    assert bad.status_code == 422 and "onset + offset take more than its 1 s" in bad.json()["error"]


def test_built_timeline_is_animates_driver(client):
    import av

    from facemimic.animate.drivers import DriverSpec, build

    mood, say = "neutral 0.5s > surprised 1s > happy 1.5s", "Hello! Nice to meet you."
    r = client.post("/api/create/timeline/build/greeting", json={"mood": mood, "say": say, "seed": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    saved = read_track(client.workspace / body["track"])
    with av.open(str(client.workspace / body["audio"])) as box:
        samples = sum(f.samples for f in box.decode(audio=0))
        rate = box.streams.audio[0].rate
    with build(DriverSpec(say=say, mood=mood, seed=5)) as driven:  # what `facemimic animate` runs
        a, b = saved.to_arrays(), driven.track.to_arrays()
        with av.open(driven.audio) as ref:
            ref_samples = sum(f.samples for f in ref.decode(audio=0))
        # the JSONL file keeps weights to 1e-5 and head angles to 1e-3 degrees
        assert all(np.allclose(a[k], b[k], atol=1e-3, equal_nan=True) for k in b if k != "weights" and b[k] is not None)
        if samples == ref_samples:
            assert np.allclose(a["weights"], b["weights"], atol=1e-5, equal_nan=True)
        else:  # espeak-ng's state from earlier calls in this process moved the voice by a few samples
            d = np.abs(np.nan_to_num(a["weights"]) - np.nan_to_num(b["weights"]))
            assert d.mean() < 1e-3 and d.max() < 0.05, (d.mean(), d.max())
    # the voice again (the synthesiser's length varies by a few samples from run to run)
    assert abs(samples - ref_samples) < 0.01 * rate and samples / rate > 0.8
    assert len(body["frames"]) == len(saved) and body["duration"] >= samples / rate - 1e-3
    # speech owns the mouth while the voice speaks; the mood's surprise lifts the brows at 0.5-1.5 s
    w = np.nan_to_num(saved.weights)
    t = saved.to_arrays()["time"]
    jaw = w[:, UE_NAMES.index("JawOpen")]
    assert jaw[t < samples / rate].max() > 0.15
    brows = w[:, UE_NAMES.index("BrowInnerUpLeft")]
    assert brows[(t > 0.9) & (t < 1.4)].mean() > brows[t < 0.3].mean() + 0.05
    r = client.post("/api/create/timeline/build/greeting", json={"mood": "", "say": ""})
    assert r.status_code == 422 and "timeline is empty" in r.json()["error"]


def test_speech_cues_equal_facemimic_lipsync(client):
    import json
    import subprocess

    say = "Hello! Nice to meet you."
    assert client.post("/api/create/timeline/build/cues", json={"mood": "happy 2s", "say": say, "seed": 2}).status_code == 200
    r = client.get("/api/create/timeline/cues/cues", params={"format": "rhubarb-tsv"})
    assert r.status_code == 200, r.text
    wav = client.workspace / "timelines/cues.wav"
    cli = subprocess.run([CLI, "lipsync", str(wav), "--text", say, "-f", "rhubarb-tsv", "-q"],
                         check=True, capture_output=True, text=True).stdout
    assert r.text == cli
    lines = [ln.split("\t") for ln in cli.strip().splitlines()]
    assert len(lines) >= 5 and {s for _, s in lines} - {"X"}  # mouth shapes besides rest
    cues = json.loads(client.get("/api/create/timeline/cues/cues", params={"format": "rhubarb-json"}).text)
    # the same cues (Rhubarb's TSV ends with an extra rest line at the end time)
    assert [c["value"] for c in cues["mouthCues"]] == [s for _, s in lines[:-1]] and lines[-1][1] == "X"
    r = client.get("/api/create/timeline/cues/none-built")
    assert r.status_code == 422 and r.json()["error"].startswith("timelines/none-built.wav: not found")


def test_recorded_speech_lane_is_animates_audio_driver(client, tmp_path):
    import subprocess

    from facemimic.animate.drivers import DriverSpec, build

    said = "Good morning, everybody."
    rec = tmp_path / "morning.wav"  # a recording: another voice, slower
    subprocess.run([CLI, "say", said, "--voice", "en-us+f3", "--rate", "150", "-o", str(rec)],
                   check=True, capture_output=True)
    up = client.put("/api/create/upload/morning.wav", content=rec.read_bytes())
    assert up.status_code == 200 and up.json()["path"] == "audio/morning.wav"
    body = {"mood": "calm 1s > happy 1s", "audio": "audio/morning.wav", "text": said, "seed": 4}
    r = client.post("/api/create/timeline/build/morning", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["audio"] == "timelines/morning.wav"
    saved = read_track(client.workspace / "timelines/morning.jsonl")
    with build(DriverSpec(audio=str(client.workspace / "audio/morning.wav"), text=said, mood="calm 1s > happy 1s",
                          seed=4)) as driven:
        assert np.allclose(saved.to_arrays()["weights"], driven.track.to_arrays()["weights"], atol=1e-5, equal_nan=True)
    assert (client.workspace / "timelines/morning.wav").read_bytes() == rec.read_bytes()
    jaw = np.nan_to_num(saved.weights[:, UE_NAMES.index("JawOpen")])
    assert jaw.max() > 0.15
    # its cues are the transcript aligned to the recording
    cues = client.get("/api/create/timeline/cues/morning").text
    assert len(cues.strip().splitlines()) >= 5
    r = client.post("/api/create/timeline/build/morning", json=dict(body, say="hi"))
    assert r.status_code == 422 and "not both" in r.json()["error"]
    r = client.post("/api/create/timeline/build/morning", json=dict(body, audio="audio/missing.wav"))
    assert r.status_code == 422 and r.json()["error"].startswith("audio/missing.wav: not found")
    # "hear the words" is for a recording without a transcript, and a yes/no (one-line refusals)
    r = client.post("/api/create/timeline/build/morning", json=dict(body, transcribe=True))
    assert r.status_code == 422 and "transcript or hear its words, not both" in r.json()["error"]
    r = client.post("/api/create/timeline/build/morning", json={"say": "hi", "transcribe": True})
    assert r.status_code == 422 and "needs a recording" in r.json()["error"]
    r = client.post("/api/create/timeline/build/morning", json=dict(body, text="", transcribe="yes"))
    assert r.status_code == 422 and "transcribe must be true or false" in r.json()["error"]


def test_edited_lanes_are_the_generators_events_and_the_librarys_merge(client):
    # blinks/gaze edited in their lanes, a manual JawOpen lane and a bent head: the saved track is
    # the animator's driver given those events, then facemimic.expressions.keyframes.merge_keyframes
    from facemimic.animate.drivers import DriverSpec, build
    from facemimic.expressions.keyframes import merge_keyframes

    mood, say = "neutral 0.5s > happy 2.5s", "Nice to meet you."
    first = client.post("/api/create/timeline/build/lanes", json={"mood": mood, "say": say, "seed": 3}).json()
    assert first["blinks"] and first["saccades"]  # the generated events the lanes show
    blinks = [[2.2, 0.18, 1.0]]  # the first blink moved to 2.2 s, the others deleted
    saccades = [[s[0] + (0.3 if i == 0 else 0), s[1], s[2]] for i, s in enumerate(first["saccades"])]
    keys = {"BrowInnerUpLeft": [[1.0, 0.9], [1.6, 0.9]]}
    head = {"HeadYaw": [[0.5, 0], [1.0, 12.0], [1.5, 0]]}
    body = {"mood": mood, "say": say, "seed": 3, "blinks": blinks, "saccades": saccades, "keys": keys, "head": head}
    r = client.post("/api/create/timeline/build/lanes", json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["blinks"] == blinks and got["saccades"] == [[round(v, 3) for v in s] for s in saccades]
    saved = read_track(client.workspace / got["track"])
    with build(DriverSpec(say=say, mood=mood, seed=3, blink_events=tuple(map(tuple, blinks)),
                          saccade_events=tuple(map(tuple, saccades)))) as driven:
        ref = merge_keyframes(merge_keyframes(driven.track, keys), head, mode="add")
    a, b = saved.to_arrays(), ref.to_arrays()
    # the voice's phone timing varies by a few ms from run to run: the speech shapes are compared
    # loosely, everything the lanes own exactly
    speech = region_mask("speech") > 0
    assert np.allclose(a["weights"][:, ~speech], b["weights"][:, ~speech], atol=1e-5, equal_nan=True)
    assert np.abs(np.nan_to_num(a["weights"][:, speech]) - np.nan_to_num(b["weights"][:, speech])).mean() < 0.01
    assert all(np.allclose(a[k], b[k], atol=1e-3) for k in ("gaze", "openness", "head_rotation"))
    t = a["time"]
    shut = t[a["openness"][:, 0] < 0.3]
    assert len(shut) and shut.min() >= 2.2 and shut.max() <= 2.2 + 0.18
    brow = a["weights"][:, UE_NAMES.index("BrowInnerUpLeft")]
    assert np.allclose(brow[(t >= 1.0) & (t <= 1.6)], 0.9, atol=1e-4)
    assert saved.metadata["keyframes"] == {"replace": keys, "add": head}
    bad = client.post("/api/create/timeline/build/lanes", json={**body, "keys": {"JawOpn": [[1, 1]]}})
    assert bad.status_code == 422 and "unknown keyframe channel 'JawOpn'" in bad.json()["error"]
    bad = client.post("/api/create/timeline/build/lanes", json={**body, "blinks": [[1.0, 3.0, 1.0]]})
    assert bad.status_code == 422 and "blink_events: each event must be" in bad.json()["error"]


def test_morph_values_for_the_3d_avatar_are_exports(client):
    # the 3D avatar plays a timeline from values the export's alias table gives its morph targets
    from facemimic.deliver.export.aliases import resolve_name
    import base64

    from facemimic.studio.create.timeline import decode_morphs
    from facemimic.deliver.export.signals import TrackSignals

    built = client.post("/api/create/timeline/build/morphs", json={"mood": "neutral 0.5s > happy 1s (onset 0.3s)",
                                                                   "say": "Hi there.", "seed": 2})
    assert built.status_code == 200
    # the mood lane's spans as generated: a given onset as given, the generator's own otherwise
    spans = built.json()["mood_timeline"]
    assert [s["prompt"] for s in spans] == ["neutral", "happy"] and spans[1]["onset"] == 0.3
    assert 0 < spans[0]["onset"] <= 0.45 * 0.5
    targets = ["JawOpen", "MouthCornerPullLeft", "eyeBlinkLeft", "blendShape1.jawOpen", "NotAShape"]
    r = client.post("/api/create/timeline/morphs/morphs", json={"targets": targets})
    assert r.status_code == 200, r.text
    body = r.json()
    saved = read_track(client.workspace / "timelines/morphs.jsonl")
    assert body["targets"] == targets[:4] and body["unmapped"] == ["NotAShape"] and body["fps"] == saved.fps
    # compact: the moving targets as 8-bit codes over their own range, decoded within 1/255
    assert body["bits"] == 8 and body["frames"] == len(saved)
    # JawOpen and blendShape1.jawOpen are one signal: its codes are sent once
    assert body["same"] == {"blendShape1.jawOpen": "JawOpen"} and set(body["moving"]) == set(targets[:3])
    values = decode_morphs(body)
    assert values.shape == (len(saved), 4)
    signals = TrackSignals.from_track(saved)
    for k, name in enumerate(body["targets"]):
        exact = signals.values(resolve_name(name))
        assert np.abs(values[:, k] - exact).max() <= (exact.max() - exact.min()) / 510 + 1e-9 <= 1 / 255
    assert np.allclose(values[:, 0], np.nan_to_num(saved.weights[:, UE_NAMES.index("JawOpen")]), atol=1 / 255)
    assert values[:, 0].max() > 0.1 and values[:, 2].max() > 0.5  # speech opens the jaw; a blink closes the eye
    # a target that holds still is sent once, not per frame
    every = client.post("/api/create/timeline/morphs/morphs", json={"targets": list(UE_NAMES)}).json()
    ptp = {n: np.ptp(signals.values(resolve_name(n))) for n in every["targets"]}
    assert sorted(every["moving"] + list(every["same"])) == sorted(n for n in every["targets"] if ptp[n] > 1e-6)
    assert "JawOpen" in every["moving"]
    # (which shapes hold still depends on the voice's exact length, which espeak-ng varies with what the
    # process synthesised before: at least one does in every build seen)
    assert set(every["constant"]) == {n for n in every["targets"] if ptp[n] <= 1e-6} and len(every["constant"]) >= 1
    assert len(base64.b64decode(every["data"])) == len(saved) * len(every["moving"])  # one byte per moving value
    assert np.abs(decode_morphs(every) - np.array([signals.values(resolve_name(n)) for n in every["targets"]]).T).max() <= 1 / 255
    r = client.post("/api/create/timeline/morphs/none-built", json={"targets": targets})
    assert r.status_code == 422 and r.json()["error"].startswith("timelines/none-built.jsonl: not found")


def test_2d_poses_in_chunks_are_the_renderers_drawings(client):
    # playback shows the 2D avatar from chunks of drawings cached in the page: each one is the CLI's
    # 2D renderer (AvatarRenderer, as designer.avatar_svg draws it) on the built track's own frame
    from facemimic.studio.create.designer import avatar_svg

    built = client.post("/api/create/timeline/build/poses", json={"mood": "neutral 0.3s > surprised 0.6s", "seed": 4}).json()
    saved = read_track(client.workspace / "timelines/poses.jsonl")
    r = client.post("/api/create/timeline/poses/poses", json={"start": 5, "count": 12, "avatar_style": "default"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["start"] == 5 and body["frames"] == len(saved) == len(built["frames"]) and body["fps"] == saved.fps
    assert body["version"] == built["version"] and len(body["svgs"]) == 12
    for k in (0, 7, 11):
        assert body["svgs"][k] == avatar_svg(saved.frames[5 + k], "default")
    assert body["svgs"][0] != body["svgs"][11]  # the surprise rises: the drawings differ
    # the last chunk is clipped to the track; another preset draws another avatar
    tail = client.post("/api/create/timeline/poses/poses", json={"start": len(saved) - 3, "count": 30}).json()
    assert len(tail["svgs"]) == 3 and tail["svgs"][-1] == avatar_svg(saved.frames[-1])
    # a rebuild changes the version the page's cache is keyed by
    again = client.post("/api/create/timeline/build/poses", json={"mood": "neutral 0.3s > happy 0.6s", "seed": 4}).json()
    assert again["version"] != built["version"]
    assert client.post("/api/create/timeline/poses/poses", json={"start": 0, "count": 1}).json()["version"] == again["version"]
    for body, message in (({"start": -1, "count": 5}, "start must be >= 0"), ({"start": 0, "count": 500}, "count in [1, 150]"),
                          ({"start": "x"}, "whole numbers"), ({"start": 0, "count": 2, "avatar_style": "nope"}, "unknown avatar preset")):
        bad = client.post("/api/create/timeline/poses/poses", json=body)
        assert bad.status_code == 422 and message in bad.json()["error"] and "\n" not in bad.json()["error"]
    missing = client.post("/api/create/timeline/poses/none-built", json={"start": 0, "count": 1})
    assert missing.status_code == 422 and missing.json()["error"].startswith("timelines/none-built.jsonl: not found")
