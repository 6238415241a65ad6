"""The avatar's rest face has its lips together, whatever the photo's mouth was doing."""

from __future__ import annotations

import numpy as np

from head3d_photos import tracked_photo


def test_open_mouthed_photo_rests_with_closed_lips(samples):
    from facemimic.head3d.fit import fit_face, photo_arkit
    from facemimic.head3d.rest import HELD, LOWER_INNER, UPPER_INNER, lips_closed

    size, frame = tracked_photo(samples / "0-f1-su-ph.jpg")  # a surprised face, mouth open
    neutral = fit_face(frame.landmarks, size, photo_arkit(frame, size)).neutral
    gap = neutral[list(UPPER_INNER), 1] - neutral[list(LOWER_INNER), 1]
    assert gap.max() > 0.15, gap  # the fit's rest keeps the open mouth (what this fixes)
    closed = lips_closed(neutral)
    moved = np.linalg.norm(closed - neutral, axis=1)
    after = closed[list(UPPER_INNER), 1] - closed[list(LOWER_INNER), 1]
    assert np.allclose(after[gap > 0], 0.0, atol=1e-9) and np.array_equal(after[gap <= 0], gap[gap <= 0])
    assert moved[list(HELD)].max() < 0.02, moved[list(HELD)]  # upper lip, nose and corners stay
    assert moved.max() <= gap.max() + 0.02  # nothing moves further than the lips had to (and a pair's sideways meeting)
    assert np.array_equal(closed[list(UPPER_INNER), 0], closed[list(LOWER_INNER), 0])  # pairs meet: no cracks
    assert 0.0 < closed[152, 1] - neutral[152, 1] < gap.max()  # the chin comes up some of the way
    assert np.array_equal(lips_closed(closed), closed)  # closed lips are left as they are


def test_rest_render_reads_as_a_closed_mouth(photo_avatar):
    from facemimic.capture.api import StillTracker

    avatar = photo_avatar("0-f1-su-ph.jpg")
    with StillTracker(max_faces=1) as tracker:
        rest = tracker.faces(avatar.render(None, size=384))[0]
    assert rest.weight("JawOpen") < 0.1, rest.weight("JawOpen")
