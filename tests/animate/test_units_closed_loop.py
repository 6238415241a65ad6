"""Issue #11's same-motion table through the closed loop ``facemimic animate`` runs (seventeenth
session): ``benchmarks/units_portrait.py --refine`` holds each request from a reset loop and measures
the last frame, where the table without it renders the calibrated open loop."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import units_portrait as up  # noqa: E402


def test_the_closed_loop_table_measures_the_loops_corrected_frames(samples):
    """Held 8 frames, the loop's corrections change what is drawn (the drawn ratios differ from the
    open loop's), and channels the loop holds at the unit re-track within +-20 %."""
    photo = samples / "single_face.jpg"
    ratios, drawn, room = up.same_motion(photo, 0.3, None, refine=True, hold=8)
    assert set(ratios) == set(drawn) == set(up.KEY) and room > 1.5
    assert np.isfinite(list(ratios.values())).all()
    for ch in ("MouthCornerPullLeft", "BrowInnerUpLeft", "BrowLowererLeft"):
        assert abs(ratios[ch] - 1.0) <= 0.2, (ch, ratios[ch])
    _, open_drawn, _ = up.same_motion(photo, 0.3, None)
    assert max(abs(drawn[ch] - open_drawn[ch]) for ch in up.KEY) > 0.05  # the loop corrected
