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


def arkit_shape(basis, name: str):
    """One ARKit shape's displacements (V, 3) from the ``basis`` fixture's expressions."""
    from facemimic.expressions.names import ARKIT_NAMES

    return basis[1][ARKIT_NAMES.index(name)]
