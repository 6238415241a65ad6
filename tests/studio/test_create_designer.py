"""The expression designer's routes (issue #14 §1): the same generator and files as `facemimic express`.

A design saved from the studio (prompt, options, seed) is the track `facemimic express … --seed S -o`
writes; slider edits land in exactly the shapes edited; exports go through the track writers; bad
input gets the library's one-line errors."""

from __future__ import annotations

import sys
from pathlib import Path
import csv
import json
import subprocess

import numpy as np
import pytest

from facemimic.expressions.io import read_track
from facemimic.expressions.names import UE_NAMES
from studio_media import studio_client

PORT = 8766
CLI = str(Path(sys.executable).with_name("facemimic"))  # the facemimic of the interpreter running the tests
DESIGN = {"prompt": "a bit disgusted but amused", "intensity": 0.8, "style": "exaggerated", "variations": 3,
          "seed": 11}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with studio_client(tmp_path_factory.mktemp("designer-ws"), "designer", PORT) as c:
        yield c


def _cli_track(tmp_path, *args):
    out = tmp_path / "cli.jsonl"
    subprocess.run([CLI, "express", *args, "-o", str(out)], check=True, capture_output=True)
    return read_track(out)


def test_variations_are_the_generators_and_drawn(client):
    r = client.post("/api/create/express", json=dict(DESIGN, avatar_style="neko"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["seed"] == 11 and len(body["variations"]) == 3
    from facemimic import express

    frames = express(DESIGN["prompt"], intensity=0.8, style="exaggerated", variations=3, seed=11)
    for v, f in zip(body["variations"], frames):
        assert np.allclose(v["weights"], f.weights, atol=1e-4)
        assert v["svg"].startswith("<svg") or v["svg"].lstrip().startswith("<?xml")
    # distinct variations, distinct drawings
    assert len({v["svg"] for v in body["variations"]}) == 3


def test_saved_design_equals_facemimic_express(client, tmp_path):
    r = client.post("/api/create/library/amused", json=DESIGN)
    assert r.status_code == 200, r.text
    saved = read_track(client.workspace / r.json()["path"])
    cli = _cli_track(tmp_path, DESIGN["prompt"], "--intensity", "0.8", "--style", "exaggerated", "-n", "3",
                     "--seed", "11")
    a, b = saved.to_arrays(), cli.to_arrays()
    assert set(a) == set(b)
    for k in a:
        if a[k] is not None:
            assert np.array_equal(a[k], b[k]), k
    assert {k: v for k, v in saved.metadata.items() if k != "designer"} == cli.metadata
    assert saved.metadata["designer"] == {"intensity": 0.8, "style": "exaggerated", "asymmetry": 0.0, "edits": {},
                                         "model": None}
    # the re-export through part 1's /api/export equals the CLI's CSV
    csv_text = client.get("/api/export/expressions/amused.jsonl", params={"format": "csv"}).text
    cli_csv = tmp_path / "cli.csv"
    subprocess.run([CLI, "express", DESIGN["prompt"], "--intensity", "0.8", "--style", "exaggerated", "-n", "3",
                    "--seed", "11", "-o", str(cli_csv)], check=True, capture_output=True)
    assert list(csv.reader(csv_text.splitlines())) == list(csv.reader(cli_csv.read_text().splitlines()))
    listed = client.get("/api/create/library").json()["expressions"]
    assert [e["name"] for e in listed] == ["amused"] and listed[0]["seed"] == 11 and not listed[0]["edited"]


def test_edits_change_only_the_edited_shapes(client):
    edits = {"1": {"JawOpen": 0.61, "EyeOpennessLeft": 0.2, "HeadYaw": 12.0}}
    r = client.post("/api/create/library/amused-nudged", json=dict(DESIGN, edits=edits))
    assert r.status_code == 200, r.text
    plain = read_track(client.workspace / "expressions/amused.jsonl")
    nudged = read_track(client.workspace / "expressions/amused-nudged.jsonl")
    pf, nf = plain.frames, nudged.frames
    assert np.array_equal(pf[0].weights, nf[0].weights) and np.array_equal(pf[2].weights, nf[2].weights)
    diff = np.flatnonzero(pf[1].weights != nf[1].weights)
    assert list(diff) == [UE_NAMES.index("JawOpen")] and nf[1].weights[diff[0]] == pytest.approx(0.61, abs=1e-4)
    assert nf[1].openness_left == pytest.approx(0.2, abs=1e-4) and nf[1].head_rotation[0] == pytest.approx(12, abs=1e-3)
    assert nudged.metadata["designer"]["edits"] == edits
    # the drawn pose follows the sliders: another jaw, another drawing
    pose = {"weights": list(map(float, nf[1].weights)), "openness": [0.2, 1.0], "gaze": [[0, 0], [0, 0]],
            "head": [12, 0, 0]}
    svg1 = client.post("/api/create/pose", json=pose).json()["svg"]
    pose["weights"][UE_NAMES.index("JawOpen")] = 0.0
    svg2 = client.post("/api/create/pose", json=pose).json()["svg"]
    assert svg1 != svg2


@pytest.mark.parametrize("route,body,message", [
    ("/api/create/express", {"prompt": ""}, "give a prompt"),
    ("/api/create/express", {"prompt": "happy", "style": "gothic"}, "unknown style 'gothic'"),
    ("/api/create/express", {"prompt": "happy", "edits": {"0": {"JawOpn": 0.5}}}, "did you mean"),
    ("/api/create/express", {"prompt": "happy", "edits": {"0": {"JawOpen": 2}}}, "JawOpen must be a number in [0, 1]"),
    ("/api/create/library/..%2Fescape", dict(DESIGN), "expression name"),
    ("/api/create/library/x", {"prompt": "happy"}, "needs the seed"),
])
def test_bad_designs_get_one_line_errors(client, route, body, message):
    r = client.post(route, json=body)
    assert r.status_code in (404, 422), r.text
    if r.status_code == 422:
        err = r.json()["error"]
        assert message in err and "\n" not in err
    assert not list(client.workspace.glob("expressions/x.jsonl"))


def test_vrm_expressions_equal_facemimic_export(client, tmp_path):
    import json
    import struct

    assert client.post("/api/create/library/amused", json=DESIGN).status_code == 200
    r = client.get("/api/create/library/amused/vrm")
    assert r.status_code == 200, r.text
    cli_out = tmp_path / "cli.vrm"
    subprocess.run([CLI, "export", str(client.workspace / "expressions/amused.jsonl"), "-o", str(cli_out), "-f", "vrm",
                    "-e", "amused-1=0", "-e", "amused-2=1", "-e", "amused-3=2"], check=True, capture_output=True)

    def gltf_json(data: bytes) -> dict:
        assert data[:4] == b"glTF"
        length, kind = struct.unpack("<I4s", data[12:20])
        assert kind == b"JSON"
        return json.loads(data[20:20 + length])

    ours, theirs = gltf_json(r.content), gltf_json(cli_out.read_bytes())
    custom = ours["extensions"]["VRMC_vrm"]["expressions"]["custom"]
    assert {"amused-1", "amused-2", "amused-3"} <= set(custom)
    assert custom == theirs["extensions"]["VRMC_vrm"]["expressions"]["custom"]
    r = client.get("/api/create/library/nothing-saved/vrm")
    assert r.status_code == 422 and r.json()["error"] == "expressions/nothing-saved.jsonl: not found (save the expression first)"
    r = client.get("/api/create/library/amused/vrm", params={"avatar": "../outside.vrm"})
    assert r.status_code == 403


def test_morph_values_for_a_3d_model_follow_the_export_alias_table(client):
    """/api/create/morphs: a model's targets valued for designed poses by the live 3D panel's rule."""
    body = client.post("/api/create/express", json=dict(DESIGN)).json()
    poses = [{k: v[k] for k in ("weights", "openness", "gaze", "head")} for v in body["variations"]]
    poses[1]["weights"][UE_NAMES.index("JawOpen")] = 0.7
    targets = ["JawOpen", "jawOpen", "mouthSmileLeft", "aa", "blinkLeft", "NotAShape"]
    r = client.post("/api/create/morphs", json={"targets": targets, "poses": poses})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["mapped"] == 5 and got["unmapped"] == ["NotAShape"] and len(got["values"]) == 3
    assert got["values"][1]["JawOpen"] == pytest.approx(0.7, abs=1e-4)  # a UE target carries its weight
    assert got["values"][1]["jawOpen"] > got["values"][0]["jawOpen"]  # ARKit's, through the table
    from facemimic.deliver.export.aliases import resolve_name
    from facemimic.deliver.export.signals import TrackSignals

    w = np.asarray([p["weights"] for p in poses], np.float32)
    s = TrackSignals(w, np.asarray([p["gaze"] for p in poses], np.float32), np.asarray([p["openness"] for p in poses]))
    for t in targets[:-1]:
        assert [v[t] for v in got["values"]] == pytest.approx(s.values(resolve_name(t)), abs=1e-4)
    for bad, message in (({"targets": "JawOpen", "poses": poses}, "targets must be a list"),
                         ({"targets": targets, "poses": ["x"]}, "poses must be a list"),
                         ({"targets": targets, "poses": [{"weights": [0.1]}]}, "bad pose")):
        r = client.post("/api/create/morphs", json=bad)
        assert r.status_code == 422 and r.json()["error"].startswith(message) and "\n" not in r.json()["error"]


def test_every_pose_slider_moves_the_2d_avatar(client):
    """Eye openness, gaze and head pose (the designer's non-shape sliders) each change the drawing."""
    from facemimic.studio.create.designer import POSE_KEYS

    rest = {"weights": [0.0] * len(UE_NAMES), "openness": [1.0, 1.0], "gaze": [[0, 0], [0, 0]], "head": [0, 0, 0]}
    base = client.post("/api/create/pose", json=rest).json()["svg"]
    moved = {"EyeOpennessLeft": ("openness", 0, 0.1), "EyeOpennessRight": ("openness", 1, 0.1),
             "GazeX": ("gaze", None, (0.8, 0)), "GazeY": ("gaze", None, (0, 0.8)),
             "HeadYaw": ("head", 0, 20.0), "HeadPitch": ("head", 1, 20.0), "HeadRoll": ("head", 2, 20.0)}
    assert set(moved) == set(POSE_KEYS)
    for name, (field, i, value) in moved.items():
        pose = {k: (list(map(list, v)) if k == "gaze" else list(v)) for k, v in rest.items()}
        if field == "gaze":
            pose["gaze"] = [list(value), list(value)]
        else:
            pose[field][i] = value
        r = client.post("/api/create/pose", json=pose)
        assert r.status_code == 200 and r.json()["svg"] != base, name
