"""Real tracked faces for the analysis tests (tracked once per session through the capture API)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def wolfgang_track(samples):
    """WolfgangLanger_Pexels.mp4 (sad -> fearful -> happy) tracked by the capture API."""
    from facemimic.generate.dataset import tracked_sample

    return tracked_sample("WolfgangLanger_Pexels.mp4")
