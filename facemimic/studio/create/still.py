"""The designer's pose on the user's portrait (issue #14 §1): one still from the animator.

:class:`~facemimic.animate.portrait.animator.PortraitAnimator` (what ``facemimic animate`` draws
with) is prepared once per portrait and size, kept, and asked for one frame per request: the
face-finding and model fitting (seconds) happen on the first still only; later ones cost one
plan + draw. An expression is absolute, so the rest is ``neutral`` (``animate --expression``'s
default); the per-face calibration is skipped to keep the first still quick. The face and crop are
the animate panel's (``--face N``, ``--crop``), so a group photo shows the face the video will animate;
where the whole photo would leave that face too small to draw (a group photo at 512 px), the still
is the square around the face instead, and says so.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import InputError, ParameterError

STILL_SIZES = (256, 384, 512)


@dataclass(frozen=True)
class Still:
    """One drawn still: the JPEG and the crop it was drawn with (``fit`` or ``face``)."""

    jpeg: bytes
    crop: str


class StillRenderer:
    """One cached animator for the portrait last asked for (a laptop keeps one in memory)."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(workspace)
        self._lock = threading.Lock()
        self._key = None
        self._anim = None

    def _animator(self, source: str, size: int, face: int | None, crop: str):
        from ...animate.portrait.animator import PortraitAnimator, PortraitOptions
        from ..security import confine

        path = confine(self.workspace, source)
        if not path.is_file():
            raise InputError(source, "not found in the workspace (upload the photo first)")
        key = (str(path), path.stat().st_mtime_ns, size, face, crop)
        if key != self._key:
            if self._anim is not None:
                self._anim.close()
                self._anim, self._key = None, None
            try:
                try:
                    self._anim = PortraitAnimator(path, PortraitOptions(size=size, rest="neutral", calibrate=False,
                                                                          face=face, crop=crop), name=source)
                except ParameterError as e:
                    if crop != "fit" or "crop='face'" not in str(e):
                        raise
                    # the face is too small in the whole photo: the preview shows the square around it
                    self._anim = PortraitAnimator(path, PortraitOptions(size=size, rest="neutral", calibrate=False,
                                                                          face=face, crop="face"), name=source)
            except InputError as e:
                raise InputError(source, e.problem) from None
            self._key = key
        return self._anim

    def render(self, source: str, frame, size: int = 512, face: int | None = None, crop: str = "fit") -> Still:
        """One pose drawn on the portrait.

        Parameters
        ----------
        source : str
            A workspace photo (``portraits/NAME.jpg``).
        frame : ExpressionFrame
            The pose (weights, openness, gaze, head).
        size : int
            Output side in px (the longer side for ``crop="fit"``), one of :data:`STILL_SIZES`.
        face : int, optional
            ``animate --face N`` (0 = leftmost); None: the largest face.
        crop : str
            ``fit`` (the whole photo) or ``face`` (a square around the face), as ``animate --crop``;
            ``fit`` falls back to ``face`` when the face would be under 64 px in the whole photo.

        Returns
        -------
        Still
            ``jpeg``: ``(H, W, 3)`` pixels, ``max(H, W) == size``; ``crop``: the crop drawn with.
        """
        import cv2

        if size not in STILL_SIZES:
            from ...errors import ParameterError

            raise ParameterError(f"size must be one of {', '.join(map(str, STILL_SIZES))}, got {size!r}")
        with self._lock:  # one animator, one caller at a time (its plan state is sequential)
            anim = self._animator(source, size, face, crop)
            rgb = anim.draw(anim.plan(frame))
            used = anim.options.crop
        if rgb.shape[2] == 4:  # a cut-out portrait: on white, as the video shows it
            a = rgb[..., 3:4].astype(np.float32) / 255.0
            rgb = (rgb[..., :3] * a + 255 * (1 - a)).astype(np.uint8)
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
        return Still(jpeg.tobytes(), used)


__all__ = ["STILL_SIZES", "Still", "StillRenderer"]
