"""Studio fixtures: the clip's frames around its known blink (helpers in studio_media.py)."""

from __future__ import annotations

import pytest
from studio_media import BLINK_WINDOW, CLIP, clip_frames


@pytest.fixture(scope="session")
def blink_frames(samples):
    """The clip's frames around its known blink, as JPEG bytes with their times."""
    return clip_frames(samples / CLIP, *BLINK_WINDOW)
