"""Real photos tracked for the 3D avatar tests (a plainly named module: tests import it by name,
which a module called ``conftest`` cannot promise once several test folders have one)."""

from __future__ import annotations


def tracked_photo(path):
    """(image size, the first face's ExpressionFrame with landmarks) of a real photo."""
    from PIL import Image

    from facemimic.capture.api import capture_frames

    with Image.open(path) as im:
        size = im.size
    frames = [f for f in capture_frames(str(path), keep_landmarks=True, smoothing="raw") if f.present]
    return size, frames[0]
