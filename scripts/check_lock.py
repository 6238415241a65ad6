"""Checks that the test environment meets facemimic[test]'s requirements exactly from the lock.

Run by scripts/test.sh inside the suite's virtual environment, after installing requirements.lock
and facemimic itself with --no-deps: a requirement that the lock forgot (not installed) or pins
outside pyproject.toml's range fails here with one line per problem, before any test runs.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from packaging.requirements import Requirement


def problems(dist: str = "facemimic", extras: tuple[str, ...] = ("test",)) -> list[str]:
    """Unmet requirements of ``dist[extras]`` in this environment, one sentence each."""
    out = []
    for line in metadata.requires(dist) or []:
        req = Requirement(line)
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in ("",) + extras):
            continue
        try:
            have = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            out.append(f"{req.name}: required by {dist} ({req}) but not in requirements.lock")
            continue
        if req.specifier and not req.specifier.contains(have, prereleases=True):
            out.append(f"{req.name}: requirements.lock pins {have}, outside pyproject.toml's range {req.specifier}")
    return out


def main() -> int:
    found = problems()
    pip_check = subprocess.run([sys.executable, "-m", "pip", "check", "--disable-pip-version-check"],
                               capture_output=True, text=True)
    if pip_check.returncode != 0:
        found += [line for line in pip_check.stdout.splitlines() if line.strip()]
    for line in found:
        print(f"lock: {line}", file=sys.stderr)
    if found:
        print("lock: regenerate it with `bash scripts/lock.sh`", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
