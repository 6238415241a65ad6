"""The designer's pose on the user's portrait (issue #14 §1): one still from the animator.

:class:`~facemimic.animate.portrait.animator.PortraitAnimator` (what ``facemimic animate`` draws
with) is prepared once per portrait and size, kept, and asked for one frame per request: the
face-finding and model fitting (seconds) happen on the first still only; later ones cost one
plan + draw. An expression is absolute, so the rest is ``neutral`` (``animate --expression``'s
default); the per-face calibration is skipped to keep the first still quick.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ...errors import InputError

STILL_SIZES = (256, 384, 512)


class StillRenderer:
    """One cached animator for the portrait last asked for (a laptop keeps one in memory)."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(workspace)
        self._lock = threading.Lock()
        self._key = None
        self._anim = None

    def _animator(self, source: str, size: int):
        from ...animate.portrait.animator import PortraitAnimator, PortraitOptions
        from ..security import confine

        path = confine(self.workspace, source)
        if not path.is_file():
            raise InputError(source, "not found in the workspace (upload the photo first)")
        key = (str(path), path.stat().st_mtime_ns, size)
        if key != self._key:
            if self._anim is not None:
                self._anim.close()
                self._anim, self._key = None, None
            try:
                self._anim = PortraitAnimator(path, PortraitOptions(size=size, rest="neutral", calibrate=False),
                                              name=source)
            except InputError as e:
                raise InputError(source, e.problem) from None
            self._key = key
        return self._anim

    def render(self, source: str, frame, size: int = 512) -> bytes:
        """``frame`` (an ExpressionFrame) drawn on the portrait -> JPEG bytes (size: longer side)."""
        import cv2

        if size not in STILL_SIZES:
            from ...errors import ParameterError

            raise ParameterError(f"size must be one of {', '.join(map(str, STILL_SIZES))}, got {size!r}")
        with self._lock:  # one animator, one caller at a time (its plan state is sequential)
            anim = self._animator(source, size)
            rgb = anim.draw(anim.plan(frame))
        if rgb.shape[2] == 4:  # a cut-out portrait: on white, as the video shows it
            a = rgb[..., 3:4].astype(np.float32) / 255.0
            rgb = (rgb[..., :3] * a + 255 * (1 - a)).astype(np.uint8)
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
        return jpeg.tobytes()


__all__ = ["STILL_SIZES", "StillRenderer"]
