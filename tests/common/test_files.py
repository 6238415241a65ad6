"""Atomic outputs and JSON files read with one-line errors (facemimic.common.files)."""

import json
import os
import stat

import pytest

from facemimic.errors import InputError


def test_atomic_file_commits_a_finished_block_and_leaves_nothing_on_error(tmp_path):
    from facemimic.common.files import AtomicFile

    umask = os.umask(0)
    os.umask(umask)
    with AtomicFile(tmp_path / "ok.json") as out:
        out.file.write("{}\n")
    assert out.path.read_text() == "{}\n"
    assert stat.S_IMODE(out.path.stat().st_mode) == 0o666 & ~umask
    with pytest.raises(KeyboardInterrupt):
        with AtomicFile(tmp_path / "half.bin", "wb") as out:
            out.file.write(b"half")
            raise KeyboardInterrupt  # Ctrl-C mid-write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.json"]  # no file, no temp file


def test_read_json_file_errors(tmp_path):
    from facemimic.common.files import read_json_file

    good = tmp_path / "a.json"
    good.write_bytes(b"\xef\xbb\xbf" + json.dumps({"x": 1}).encode())  # VRChat's BOM
    assert read_json_file(good, "thing") == {"x": 1}
    with pytest.raises(InputError, match="nope.json: file not found"):
        read_json_file(tmp_path / "nope.json", "thing")
    with pytest.raises(InputError, match="is a folder, not a thing"):
        read_json_file(tmp_path, "thing")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(InputError, match=r"bad.json: not valid JSON \(.* at line 1\); expected a thing"):
        read_json_file(bad, "thing")
