"""The studio's JavaScript libraries: exact npm versions with integrity hashes (issue #13 §1), and the
installed copies the studio serves are those versions."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "scripts" / "npm" / "package-lock.json"
SETUP = ROOT / "scripts" / "setup.d" / "20-gltf-tools.sh"


def _setup_versions() -> dict[str, str]:
    text = SETUP.read_text()
    v = dict(re.findall(r'^(\w+)_VERSION="([^"]+)"', text, flags=re.M))
    return {"gltf-validator": v["GLTF_VALIDATOR"], "three": v["THREE"],
            "@pixiv/three-vrm": v["THREE_VRM"], "@pixiv/three-vrm-animation": v["THREE_VRM"]}


def test_lock_pins_exact_versions_with_sha512_integrity():
    lock = json.loads(LOCK.read_text())
    wanted = json.loads((LOCK.parent / "package.json").read_text())["dependencies"]
    assert wanted == _setup_versions()  # one set of versions: the manifest, the lock and the script agree
    assert lock["packages"][""]["dependencies"] == wanted
    packages = {k: v for k, v in lock["packages"].items() if k}
    for name, version in wanted.items():
        assert packages[f"node_modules/{name}"]["version"] == version
    for key, entry in packages.items():  # every package, dependencies of dependencies too
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", entry["integrity"]), key


def test_installed_libraries_are_the_locked_versions():
    from facemimic.studio.server import npm_cache_dir  # where the studio serves /vendor from

    lock = json.loads(LOCK.read_text())
    for key, entry in lock["packages"].items():
        if key:
            installed = json.loads((npm_cache_dir() / key.removeprefix("node_modules/") / "package.json").read_text())
            assert installed["version"] == entry["version"], key
