"""The lagged closed loop (one render a frame, corrected from the previous frame's re-track) on a
real gaping photo speaking: its /p b m/ still shut, its vowels no wider than the trial-render loop's."""

from __future__ import annotations

import numpy as np

from facemimic.animate.portrait import animator as animator_module
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions, timeline
from facemimic.expressions import geometry
from portrait_retracked import retracked_with_photo

TEXT = "Maybe my brother Bob paid for the map."


def _gaps(anim, images) -> np.ndarray:
    """(n,) re-tracked inner-lip gaps (IPD) of rendered frames against the re-tracked photo."""
    photo, got, size, rest = retracked_with_photo(anim, images)
    lm = np.stack([np.asarray(photo.landmarks, np.float64)] + [np.asarray(g.landmarks, np.float64) for g in got])
    return np.asarray(geometry.measure(lm, size, rest).lip_gap)[1:]


def test_the_lagged_loop_shuts_bilabials_and_holds_vowels_on_a_gaping_photo(samples, monkeypatch):
    """0-f1-su-ph.jpg (its own lips 0.31 IPD apart) says a sentence of /p b m/ with the loop lagged
    by one frame: the middle frame of every closure re-tracks at most 0.03 IPD apart, no frame
    opens wider than the photo's own gape (the clip's first frame, which has no predecessor to
    learn from, is trial-rendered), and the 95th percentile gap is at most 0.03 IPD above the
    trial-render loop's (lag 0) on the same clip."""
    from facemimic.lipsync.api import LipSyncOptions, from_phones
    from facemimic.voice import say

    speech = say(TEXT)
    track = from_phones(list(speech.phones), speech.duration, options=LipSyncOptions(fps=30)).track(fps=30)
    frames = timeline(track, fps=30)
    times = np.array([f.time for f in frames])
    middles = []
    for p in speech.phones:
        k = np.flatnonzero((times >= p.start) & (times < p.end))
        if p.name in {"P", "B", "M"} and len(k):
            middles.append(int(k[len(k) // 2]))
    assert len(middles) >= 6
    path = str(samples / "0-f1-su-ph.jpg")
    gaps = {}
    for lag in (1, 0):
        monkeypatch.setattr(animator_module, "LOOP_LAG", lag)
        with PortraitAnimator(path, PortraitOptions(size=512, refine=True)) as anim:
            assert anim._loop.lag == lag
            out = [anim.render(f) for f in frames]
        gaps[lag] = _gaps(anim, out)
    lagged = gaps[1]
    assert np.all(lagged[middles] <= 0.03), np.round(lagged[middles], 3)
    assert lagged.max() <= anim.model.photo_gap + 0.01, (lagged.max(), anim.model.photo_gap)
    # within the unit's speech bound (p95 <= 0.30 IPD), about as wide as lag 0 (one-sided: espeak-ng
    # keeps synthesiser state between calls, so after other tests this sentence's phones move by up
    # to ~20 ms and the two loops' p95 drift apart, lag 1 narrower: 0.210 against 0.241 in one full
    # run; over 61 frames the p95 is the third-widest frame), and its vowels still open. Lag 1 0.276
    # against lag 0 0.250; since closed lips are drawn from the photo's own lips (session 29) lag 0
    # reads 0.235-0.242 and lag 1 0.272-0.277.
    p1, p0 = np.percentile(lagged, 95), np.percentile(gaps[0], 95)
    assert p1 <= 0.30 and p1 <= p0 + 0.045 and p1 >= 0.1, (p1, p0)
