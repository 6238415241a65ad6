"""The designer's variations on a 3D avatar in Chromium (issue #14 §1): the exporters' test head
loaded in the designer, every variation and every slider edit drives its morph targets through the
export alias table the live 3D panel uses. The influences are read back from the three.js scene
and compared with the values `facemimic express` + the alias table give for the same prompt/seed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from studio_media import chromium, running_studio, screenshot_folder

from facemimic.expressions.io import read_track
from facemimic.expressions.names import UE_NAMES

CLI = str(Path(sys.executable).with_name("facemimic"))
DOCS_IMG = screenshot_folder()  # a temporary folder; docs/img with FACEMIMIC_UPDATE_DOCS_IMG=1
PROMPT, SEED, N = "very happy", 7, 3


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    yield from running_studio(tmp_path_factory, "designer3d-ws")


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def _expected(targets, frames):
    """What the live 3D panel's rule gives each target for each frame (the alias table)."""
    from facemimic.deliver.export.aliases import resolve_name
    from facemimic.deliver.export.signals import TrackSignals

    s = TrackSignals(np.stack([f.weights for f in frames]), np.stack([f.gaze for f in frames]),
                     np.asarray([f.openness for f in frames], np.float32))
    return [{t: float(s.values(resolve_name(t))[i]) for t in targets} for i in range(len(frames))]


def _designer_with(browser, studio, prompt: str, n: int, seed: int, model: str):
    """A page on the create view with ``n`` variations of ``prompt`` and the workspace's ``model``
    (a .vrm/.glb path in it) chosen in the designer's 3D panel, every variation drawn; the page
    and the panel's state."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, bypass_csp=True)
    page.goto(studio.url)
    page.evaluate("window.studioCreate.ready")
    page.click("#view-create")
    page.fill("#d-prompt", prompt)
    page.fill("#d-variations", str(n))
    page.fill("#d-seed", str(seed))
    page.click("#d-generate")
    page.wait_for_function(f"window.studioCreate.variations === {n}")
    page.focus("#d-3d-model")  # lists the workspace's .vrm/.glb files (the test head is always there)
    page.wait_for_selector(f'#d-3d-model option[value="{model}"]', state="attached")
    page.select_option("#d-3d-model", model)
    label = "the test head" if model == "testhead" else model
    page.wait_for_function(f"window.studioCreate.avatar3d && window.studioCreate.avatar3d.label === '{label}'"
                           f" && window.studioCreate.avatar3d.variations.length === {n}"
                           " && window.studioCreate.avatar3d.variations.every(Boolean)", timeout=60000)
    return page, page.evaluate("window.studioCreate.avatar3d")


def test_variations_and_edits_drive_the_test_heads_morph_targets(browser, studio, tmp_path):
    page, state = _designer_with(browser, studio, PROMPT, N, SEED, "testhead")
    thumbs = page.evaluate("[...document.querySelectorAll('#d-3d-variations img')].map(i => i.src)")
    assert state["kind"] == "gltf" and state["mapped"] >= 140 and state["unmapped"] == 0, state
    assert len(thumbs) == N and len(set(thumbs)) == N and all(t.startswith("data:image/jpeg") for t in thumbs)

    # each variation's influences in the scene = the alias table applied to `facemimic express`'s frames
    cli = tmp_path / "cli.jsonl"
    subprocess.run([CLI, "express", PROMPT, "-n", str(N), "--seed", str(SEED), "-o", str(cli)], check=True,
                   capture_output=True)
    frames = read_track(cli).frames
    targets = sorted(state["variations"][0]["influences"])
    want = _expected(targets, frames)
    for i in range(N):
        got = state["variations"][i]["influences"]
        err = max(abs(got[t] - want[i][t]) for t in targets)
        assert err < 1e-3, (i, err)
    smile = [state["variations"][i]["influences"]["mouthSmileLeft"] for i in range(N)]
    assert min(smile) > 0.2, smile  # a happy face on the ARKit mesh too
    assert state["influences"] == state["variations"][0]["influences"]  # the picked one is shown

    # nudge variation 2: the jaw slider drives JawOpen (UE mesh) and jawOpen (ARKit mesh) in the scene
    page.click('.variation[data-index="1"]')
    page.wait_for_function("window.studioCreate.avatar3d.picked === 1")
    page.fill('#d-sliders input[data-name="JawOpen"]', "0.8")
    page.wait_for_function("Math.abs(window.studioCreate.avatar3d.influences.JawOpen - 0.8) < 0.006", timeout=30000)
    edited = page.evaluate("window.studioCreate.avatar3d")
    print(f"3D: {N} variations valued and rendered in {state['ms']:.0f} ms; one slider edit in {edited['ms']:.0f} ms")
    page.wait_for_timeout(300)
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    shot = DOCS_IMG / "studio-designer-3d.jpg"
    page.locator("#designer-panel .designer-views").screenshot(path=str(shot), type="jpeg", quality=60)
    errors = page.evaluate("window.studioCreate.errors")
    page.close()
    assert errors == []
    f = frames[1]
    jaw = f.weights.copy()
    jaw[UE_NAMES.index("JawOpen")] = 0.8
    want_edit = _expected(targets, [f.replace(weights=jaw)])[0]
    got = edited["variations"][1]["influences"]
    assert max(abs(got[t] - want_edit[t]) for t in targets) < 6e-3  # the slider's 0.01 step
    assert got["jawOpen"] > state["variations"][1]["influences"]["jawOpen"] + 0.2
    # the other variations are untouched
    assert edited["variations"][0]["influences"] == state["variations"][0]["influences"]
    assert shot.stat().st_size < 150_000


def test_a_vrm_in_the_workspace_gets_the_variations_as_expressions(browser, studio, tmp_path):
    """A .vrm (`facemimic export -f vrm`: presets and a custom "mouthSmileLeft") loads through
    three-vrm; the variation's expression values are set on its expression manager, which moves the
    meshes' morph targets in the scene."""
    from click.testing import CliRunner

    from facemimic.cli import cli

    track = tmp_path / "happy.jsonl"
    assert CliRunner().invoke(cli, ["express", "happy", "-o", str(track), "--seed", "1"]).exit_code == 0
    (studio.workspace / "avatars").mkdir(exist_ok=True)
    vrm = studio.workspace / "avatars" / "head.vrm"
    r = CliRunner().invoke(cli, ["export", str(track), "-f", "vrm", "-e", "mouthSmileLeft=0", "-o", str(vrm)])
    assert r.exit_code == 0, r.output
    page, state = _designer_with(browser, studio, "very happy", 2, 2, "avatars/head.vrm")
    errors = page.evaluate("window.studioCreate.errors")
    page.close()
    assert errors == [] and state["kind"] == "vrm" and state["unmapped"] == 0 and state["mapped"] >= 12, state
    for v in state["variations"]:
        # what was sent is what the expression manager holds (the look expressions belong to lookAt)
        assert all(abs(v["expressions"][k] - x) < 1e-4 for k, x in v["sent"].items()), v
        assert v["sent"]["mouthSmileLeft"] > 0.2 and v["sent"]["happy"] > 0.2
        assert max(v["influences"].values()) > 0.2  # three-vrm moved the meshes' morph targets


def test_the_model_loaded_on_the_live_page_is_the_designers(browser, studio, tmp_path):
    """A .glb dropped on the live page's 3D panel (uploaded, then loaded there) is offered in the
    designer's 3D choice, marked as the live page's, and shown there without choosing it again."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, bypass_csp=True)
    page.goto(studio.url)
    page.evaluate("window.studioCreate.ready")
    glb = tmp_path / "my head.glb"
    glb.write_bytes(page.request.get(studio.url.split("?")[0].rstrip("/") + "/api/testhead.glb").body())
    page.set_input_files("#model-file", str(glb))  # the live page's 3D panel
    page.wait_for_function("window.studio.avatar3d && window.studio.avatar3d.mapped > 0", timeout=60000)
    page.click("#view-create")
    page.wait_for_function("document.querySelector('#d-3d-model').value.endsWith('my head.glb')")
    value = page.evaluate("document.querySelector('#d-3d-model').value")
    label = page.evaluate("document.querySelector('#d-3d-model').selectedOptions[0].textContent")
    page.fill("#d-prompt", "surprised")
    page.fill("#d-variations", "2")
    page.fill("#d-seed", "5")
    page.click("#d-generate")
    page.wait_for_function("window.studioCreate.avatar3d && window.studioCreate.avatar3d.variations.length === 2"
                           " && window.studioCreate.avatar3d.variations.every(Boolean)", timeout=60000)
    state = page.evaluate("window.studioCreate.avatar3d")
    errors = page.evaluate("window.studioCreate.errors")
    page.close()
    assert (studio.workspace / value).is_file() and (studio.workspace / value).read_bytes() == glb.read_bytes()
    assert label == f"{value} (on the live page)", label
    assert errors == [] and state["label"] == value and state["mapped"] > 50, state
    assert state["variations"][0]["influences"]["JawOpen"] > 0.1  # surprise opens the jaw on the uploaded mesh


def test_an_avatar3d_face_moves_each_shape_once_and_its_brow_pair_as_export_does(browser, studio, tmp_path, samples):
    """A `facemimic avatar3d` .glb (ARKit and UE names for the same shapes on one mesh, and two brow
    combination targets in its extras) in the designer: the ARKit targets carry the pose and the UE
    copies stay at rest (both were driven, so a smile moved twice), the combination targets carry
    the smaller of their two drivers, as `facemimic export` writes them; nothing is reported unmapped."""
    import facemimic
    from facemimic.deliver.export.base import resolve_targets
    from facemimic.deliver.export.gltf_io import load_gltf, morph_nodes
    from facemimic.deliver.export.signals import TrackSignals

    (studio.workspace / "avatars").mkdir(exist_ok=True)
    glb = studio.workspace / "avatars" / "me.glb"
    facemimic.avatar3d(samples / "single_face.jpg", glb, hair="none")
    page, state = _designer_with(browser, studio, "extremely fearful", 2, 3, "avatars/me.glb")
    errors = page.evaluate("window.studioCreate.errors")
    page.close()
    assert errors == [] and state["kind"] == "gltf" and state["unmapped"] == 0, state
    doc = load_gltf(glb)
    [node] = morph_nodes(doc.json)
    aliases, _ = resolve_targets(node.target_names, doc.json["meshes"][0]["extras"]["combinations"])
    driven = {t for t, a in zip(node.target_names, aliases) if a is not None}
    assert state["mapped"] == len(driven) == 54  # 52 ARKit + 2 combinations (61 UE copies at rest)
    for v in state["variations"]:
        got = v["influences"]
        assert got["browInnerUp"] > 0.2 and got["BrowInnerUpLeft"] == 0 and got["MouthCornerPullLeft"] == 0
        pair = min(got["browInnerUp"], got["browDownLeft"])
        assert got["browInnerUp_browDownLeft"] == pytest.approx(pair, abs=2e-3) and pair > 0.05


def test_a_selfie_vrm_is_driven_through_its_ue_expressions(browser, studio, samples):
    """A `facemimic avatar3d` .vrm through three-vrm: its UE_<shape> expressions carry the variation
    (a disgusted nose wrinkles), the emotion and viseme presets that bind the same targets rest."""
    import facemimic

    (studio.workspace / "avatars").mkdir(exist_ok=True)
    facemimic.avatar3d(samples / "single_face.jpg", studio.workspace / "avatars" / "me3d.vrm", hair="none")
    page, state = _designer_with(browser, studio, "extremely disgusted", 2, 4, "avatars/me3d.vrm")
    errors = page.evaluate("window.studioCreate.errors")
    page.close()
    assert errors == [] and state["kind"] == "vrm" and state["unmapped"] == 0, state
    for v in state["variations"]:
        assert v["sent"]["UE_NoseSneerLeft"] > 0.2 and "happy" not in v["sent"] and "aa" not in v["sent"], v["sent"]
        assert abs(v["expressions"]["UE_NoseSneerLeft"] - v["sent"]["UE_NoseSneerLeft"]) < 1e-4
