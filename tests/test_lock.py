"""The dependency contract: ranges with upper bounds in pyproject.toml, exact pins in the lock.

A fresh machine once failed the suite because nothing pinned what it was tested with (pytest 9
arrived and changed ``approx``). These checks keep the two files honest; scripts/check_lock.py does
the same against the installed environment each time scripts/test.sh runs.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return [Requirement(r) for r in reqs]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert m, f"requirements.lock: not an exact pin: {line!r}"
        pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def test_every_range_has_an_upper_bound():
    loose = [str(r) for r in _declared()
             if not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)]
    assert loose == []


def test_lock_pins_every_declared_dependency_inside_its_range():
    pins = _pins()
    for req in _declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is declared in pyproject.toml but not pinned in requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {req.name}=={pins[name]}, outside {req.specifier}")


def test_test_command_installs_from_the_lock_into_its_own_environment():
    script = (ROOT / "scripts" / "test.sh").read_text()
    assert "-m venv" in script and "-r requirements.lock" in script
    assert "--no-deps -e ." in script and "scripts/check_lock.py" in script
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("bash scripts/test.sh")
