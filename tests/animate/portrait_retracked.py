"""Re-tracking a portrait's renders the way the tests measure them (imported by the portrait tests)."""

from __future__ import annotations

from facemimic.animate.portrait.calibrate import StillTracker, rest_of, retrack


def retracked_with_photo(anim, images):
    """The animator's photo and ``images`` (each (h, w, 3) uint8, the animator's size) re-tracked
    in one sequence, cropped to the warp's region: (photo frame, [frames], crop size (w, h), the
    re-tracked photo's rest face). Every face must be found."""
    x0, y0, x1, y1 = anim.warp.roi
    size = (x1 - x0, y1 - y0)
    centre = anim.points.mean(0) - (x0, y0)
    with StillTracker() as t:
        photo, *got = retrack([anim.image[y0:y1, x0:x1]] + [im[y0:y1, x0:x1] for im in images], centre, tracker=t)
    rest, _ = rest_of(photo, size)
    assert rest is not None and all(g is not None for g in got)
    return photo, got, size, rest
