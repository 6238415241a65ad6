"""The test command's two runs (scripts/test.sh): the parallel one with ``-m "not serial"``, then the
browser files alone with ``-m serial``. The second run selects exactly the tests the marker gives,
without importing the other test modules (tests/conftest.py, ``pytest_ignore_collect``); browser
files that read no clock are not serial (``UNTIMED_BROWSER_FILES``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _collect(markexpr: str, folder: Path) -> tuple[list[str], str]:
    """-> (test ids, pytest's summary line) of ``pytest --collect-only -m markexpr folder``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    r = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                        "-p", "no:randomly", "-m", markexpr, str(folder)],
                       cwd=TESTS.parent, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    return sorted(line for line in lines if "::" in line), [line for line in lines if "collected" in line][-1]


def test_the_serial_run_collects_the_browser_files_alone():
    """``-m serial`` gives the same tests as any other spelling of the expression (which collects
    every module and deselects), and nothing was collected to be deselected."""
    folder = TESTS / "studio"  # browser files beside plain ones
    fast, summary = _collect("serial", folder)
    full, full_summary = _collect("(serial)", folder)
    assert fast == full and len(fast) >= 20, (fast, full)
    assert all(t.split("::")[0].endswith("_browser.py") for t in fast), fast
    # the browser files that read no clock (a finished job's pixels, morph influences) run in the
    # parallel run; the clock-reading ones (live capture, sound against frames) stay serial
    files = {t.split("::")[0].rsplit("/", 1)[-1] for t in fast}
    assert {"test_studio_browser.py", "test_create_timeline_browser.py", "test_create_browser.py"} <= files, files
    assert not files & {"test_create_animate_browser.py", "test_create_designer3d_browser.py"}, files
    assert "deselected" in full_summary  # the plain collection imports the other modules, then drops them
    assert "deselected" not in summary, summary  # here none was imported to be dropped
