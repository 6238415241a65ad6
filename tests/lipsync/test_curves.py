"""Viseme curves and the UE track: ranges, closures, region ownership, merging over a mood."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.errors import UnknownNameError
from facemimic.expressions.names import UE_NAMES, ue_index
from facemimic.expressions.regions import region_mask
from facemimic.expressions.track import ExpressionTrack, merge_tracks
from facemimic.lipsync.visemes import OCULUS_VISEMES, VRM_VISEMES, viseme_curves


@pytest.fixture(scope="module")
def res(aligned):
    return aligned["s07"]  # "The box was thrown beside the parked truck."


def test_track_owns_only_speech(res):
    tr = res.track(fps=60)
    assert tr.fps == 60 and abs(tr.duration - res.duration) < 0.05
    outside = region_mask("speech") == 0
    assert np.all(tr.weights[:, outside] == 0)
    assert np.all(tr.openness == 1) and np.all(tr.head_rotation == 0)
    assert tr.metadata["region"] == "speech"
    assert 0 <= tr.weights.min() and tr.weights.max() <= 1


def test_jaw_follows_vowels_and_closes_on_bilabials(res):
    tr = res.track(fps=100)
    jaw = tr.channel("JawOpen")
    for p in res.phones:
        i = int(round((p.start + p.end) / 2 * 100))
        if p.name in ("B", "P", "M"):
            assert jaw[i] <= 0.061, p
            assert tr.channel("MouthPressLeft")[i] > 0.2
        if p.name in ("AA", "AW") and p.duration > 0.08:
            assert jaw[i] > 0.3, p
    assert np.all(tr.channel("MouthClosed") <= jaw + 1e-6)  # VRCFT corrector


def test_tongue_for_th(aligned):
    r = aligned["s07"]
    th = [p for p in r.phones if p.name in ("DH", "TH") and p.duration >= 0.04]
    tr = r.track(fps=100)
    assert th and max(tr.channel("TongueOut")[int(round((p.start + p.end) * 50))] for p in th) > 0.15


def test_interpolations_differ_and_smooth_is_smooth(res):
    curves = {m: res.track(fps=100, interpolation=m).channel("JawOpen")
              for m in ("smooth", "cosine", "linear-keyframes", "step")}
    jerk = {m: float(np.abs(np.diff(c, 2)).mean()) for m, c in curves.items()}
    assert jerk["smooth"] < jerk["linear-keyframes"] and jerk["smooth"] < jerk["step"]
    assert not np.allclose(curves["smooth"], curves["linear-keyframes"])


def test_linear_keyframes_formula(res):
    """Seed formula: between two non-rest cues the first shape falls 1 -> 0.5, the second rises."""
    t, w, names = viseme_curves(list(res.cues), list(res.phones), res.duration, kind="rhubarb",
                                interpolation="linear-keyframes", fps=100)
    a, b = next((x, y) for x, y in zip(res.cues, res.cues[1:]) if x.duration >= 0.08 and "X" not in (x.shape, y.shape))
    i0 = int(round(a.start * 100))
    quarter = int(round((a.start + a.duration / 4) * 100))
    k = names.index(a.shape)
    assert w[i0, k] == pytest.approx(1.0, abs=1e-3)
    assert w[quarter, k] == pytest.approx(0.75, abs=0.08)


def test_curve_sets(res):
    for kind, names in (("oculus", OCULUS_VISEMES), ("vrm", VRM_VISEMES)):
        t, w, n = res.curves(kind, fps=30)
        assert n == names and w.shape == (len(t), len(names))
        assert np.all((w >= 0) & (w <= 1))
    t, w, n = res.curves("oculus", fps=100, interpolation="step")
    pp = [p for p in res.phones if p.name in ("P", "B")]
    assert all(w[int(round((p.start + p.end) * 50)), 1] == 1.0 for p in pp)  # PP
    with pytest.raises(UnknownNameError):
        res.curves("arkit")


def test_merges_over_a_mood(res):
    n = 90
    mood_w = np.zeros((n, len(UE_NAMES)), np.float32)
    mood_w[:, ue_index("MouthCornerPullLeft")] = 0.6  # a smile: mouth region
    mood_w[:, ue_index("BrowInnerUpLeft")] = 0.4  # brows: not speech
    mood = ExpressionTrack.from_arrays({"weights": mood_w}, fps=30)
    lip = res.track(fps=60)
    merged = merge_tracks(mood, lip, "speech")
    assert np.allclose(merged.channel("BrowInnerUpLeft"), 0.4)
    assert merged.channel("JawOpen").max() > 0.3
