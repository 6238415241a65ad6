"""One Euro filter and FrameSmoother: against a reference implementation, on synthetic signals
whose truth is known, and on real MediaPipe blinks (WolfgangLanger clip)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facemimic.capture.filters import (
    PRESETS, FilterSettings, FrameSmoother, OneEuroFilter, SmoothingOptions,
)
from facemimic.errors import ParameterError, UnknownNameError
from facemimic.expressions.frame import ExpressionFrame


class ReferenceOneEuro:
    """Scalar One Euro, a line-by-line transcription of Algorithm 1 in Casiez et al., CHI 2012
    ("1€ Filter"): dx = (x - x̂_prev) * rate; edx = LPF(dx, α(dcutoff)); cutoff = mincutoff + β|edx|;
    x̂ = LPF(x, α(cutoff)); α = 1 / (1 + τ/Te), τ = 1 / (2π·cutoff); first sample passes, dx = 0."""

    def __init__(self, mincutoff, beta, dcutoff):
        self.mincutoff, self.beta, self.dcutoff = mincutoff, beta, dcutoff
        self.first = True
        self.xhat = self.dxhat = self.t = None

    @staticmethod
    def alpha(rate, cutoff):
        tau = 1.0 / (2 * math.pi * cutoff)
        te = 1.0 / rate
        return 1.0 / (1.0 + tau / te)

    def __call__(self, x, t):
        if self.first:
            self.first = False
            self.xhat, self.dxhat, self.t = x, 0.0, t
            return x
        rate = 1.0 / (t - self.t)
        self.t = t
        dx = (x - self.xhat) * rate
        a_d = self.alpha(rate, self.dcutoff)
        self.dxhat = a_d * dx + (1 - a_d) * self.dxhat
        cutoff = self.mincutoff + self.beta * abs(self.dxhat)
        a = self.alpha(rate, cutoff)
        self.xhat = a * x + (1 - a) * self.xhat
        return self.xhat


def _t90(y, t, start, target, t0):
    """Seconds after t0 until y first reaches start + 0.9 (target - start)."""
    hit = np.flatnonzero((y - start) >= 0.9 * (target - start))
    hit = hit[t[hit] >= t0]
    return float(t[hit[0]] - t0)


# -- OneEuroFilter ----------------------------------------------------------------------------------

def test_matches_reference_on_noisy_signals_with_uneven_timing():
    rng = np.random.default_rng(1)
    n = 400
    t = np.cumsum(rng.uniform(0.02, 0.05, n))  # jittery frame times, 20–50 fps
    signals = np.stack([
        np.sin(2 * np.pi * 0.7 * t) + 0.05 * rng.standard_normal(n),  # smooth motion + noise
        np.where(t > t[n // 2], 1.0, 0.0) + 0.02 * rng.standard_normal(n),  # a step
        15 * np.sign(np.sin(2 * np.pi * 0.3 * t)) + rng.standard_normal(n),  # pose-like square wave
    ], axis=1)
    for mc, beta, dc in [(1.0, 0.0, 1.0), (0.5, 2.0, 1.0), (1.5, 30.0, 1.0), (0.5, 0.05, 2.0)]:
        ours = OneEuroFilter(min_cutoff=mc, beta=beta, d_cutoff=dc)
        refs = [ReferenceOneEuro(mc, beta, dc) for _ in range(3)]
        got = np.array([ours(signals[i], t[i]) for i in range(n)])
        want = np.array([[r(signals[i, c], t[i]) for c, r in enumerate(refs)] for i in range(n)])
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_still_signal_jitter_is_reduced_and_more_by_lower_cutoff():
    rng = np.random.default_rng(2)
    t = np.arange(300) / 30
    x = 0.3 + 0.01 * rng.standard_normal(300)  # a resting shape with tracker noise
    ratios = {}
    for mc in (0.5, 1.0, 4.0):
        f = OneEuroFilter(min_cutoff=mc, beta=2.0)
        y = np.array([f(v, ti) for v, ti in zip(x, t)])
        ratios[mc] = np.diff(y[30:]).std() / np.diff(x[30:]).std()
        assert abs(y[30:].mean() - 0.3) < 0.005  # no bias
    assert ratios[0.5] < ratios[1.0] < ratios[4.0] < 1.0
    assert ratios[1.0] < 0.35


def test_step_response_speed_adaptive_beats_fixed_lowpass():
    t = np.arange(90) / 30
    x = np.where(t >= 1.0, 0.8, 0.0)  # a 0.8 step at t = 1 s (e.g. a jaw opening)
    fixed = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    adaptive = OneEuroFilter(min_cutoff=1.0, beta=5.0)
    y_fixed = np.array([fixed(v, ti) for v, ti in zip(x, t)])
    y_adapt = np.array([adaptive(v, ti) for v, ti in zip(x, t)])
    t90_fixed = _t90(y_fixed, t, 0.0, 0.8, 1.0)
    t90_adapt = _t90(y_adapt, t, 0.0, 0.8, 1.0)
    # A 1 Hz first-order low-pass needs ~0.37 s to 90 %; the speed term cuts that to a few frames.
    assert 0.3 < t90_fixed < 0.45
    assert t90_adapt <= 0.1
    assert np.all(np.diff(y_adapt) >= -1e-12) and y_adapt.max() <= 0.8 + 1e-9  # no overshoot


def test_injected_clock_controls_time():
    now = [0.0]
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0, clock=lambda: now[0])
    g = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    assert f(0.0) == 0.0 and g(0.0, 0.0) == 0.0
    now[0] = 1 / 30
    a = f(1.0)
    assert a == pytest.approx(g(1.0, 1 / 30))
    now[0] = 10.0  # a long pause: the low-pass has all but settled
    assert f(1.0) == pytest.approx(g(1.0, 10.0))
    assert float(f(1.0)) > 0.98 > 0.5 > float(a)  # duplicate stamp: held
    now[0] = 10.0  # same stamp again: output held, no division by zero
    assert f(5.0) == pytest.approx(g(1.0, 10.0))


def test_nan_channels_hold_their_state_and_resume():
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    f([0.0, 0.0], 0.0)
    y1 = f([1.0, 1.0], 0.1)
    y2 = f([np.nan, 1.0], 0.2)
    assert np.isnan(y2[0]) and y2[1] > y1[1]
    # Channel 0 resumes from its own last state with dt = 0.2 s (not from NaN, not from scratch).
    ref = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    ref(0.0, 0.0), ref(1.0, 0.1)
    y3 = f([1.0, 1.0], 0.3)
    assert y3[0] == pytest.approx(float(ref(1.0, 0.3)))
    assert np.all(np.isfinite(y3))


def test_time_going_backwards_restarts_and_reset_forgets():
    f = OneEuroFilter(min_cutoff=0.5, beta=0.0)
    f(0.0, 5.0), f(0.0, 5.1)
    assert f(1.0, 0.0) == 1.0  # a new clip starting at t = 0: no smear from the old one
    f.reset()
    assert f(0.25, 7.0) == 0.25


@pytest.mark.parametrize("kw", [dict(min_cutoff=0), dict(min_cutoff=-1), dict(beta=-0.1),
                                dict(d_cutoff=float("nan")), dict(min_cutoff="fast")])
def test_bad_filter_parameters(kw):
    with pytest.raises(ParameterError):
        OneEuroFilter(**kw)


# -- options and presets ----------------------------------------------------------------------------

def test_presets_and_validation():
    assert set(PRESETS) == {"off", "light", "strong", "raw"}
    assert SmoothingOptions.preset("light") == SmoothingOptions()
    assert PRESETS["off"].is_identity and not PRESETS["light"].is_identity
    # Strong smooths harder than light in every group.
    for g in ("pose", "expression", "eyes"):
        assert getattr(PRESETS["strong"], g).min_cutoff <= getattr(PRESETS["light"], g).min_cutoff
    with pytest.raises(UnknownNameError, match="did you mean strong"):
        SmoothingOptions.preset("strnog")
    with pytest.raises(UnknownNameError):
        FrameSmoother("heavy")
    with pytest.raises(ParameterError, match="pose.min_cutoff"):
        SmoothingOptions(pose=FilterSettings(0.0, 1.0))
    with pytest.raises(ParameterError, match="reset_after"):
        SmoothingOptions(reset_after=-1)
    with pytest.raises(ParameterError):
        FrameSmoother(options={"pose": None})


# -- FrameSmoother ---------------------------------------------------------------------------------

def _noisy_frames(n=120, fps=30.0, seed=3, face_id=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        w = np.zeros(88, np.float32)
        w[22] = 0.3 + 0.02 * rng.standard_normal()  # JawOpen
        w[0] = 0.1 + 0.02 * rng.standard_normal()  # EyeSquintRight (eye group)
        out.append(ExpressionFrame(
            time=i / fps, weights=np.clip(w, 0, 1), face_id=face_id,
            head_rotation=tuple(np.array([5.0, -3.0, 1.0]) + 0.5 * rng.standard_normal(3)),
            head_position=tuple(np.array([0.0, 0.0, 0.6]) + 0.005 * rng.standard_normal(3)),
            gaze_left=tuple(0.05 * rng.standard_normal(2)), gaze_right=tuple(0.05 * rng.standard_normal(2)),
            openness_left=float(0.9 + 0.02 * rng.standard_normal()), openness_right=0.9,
        ))
    return out


def _jitter(frames, get):
    return float(np.std(np.diff(np.array([get(f) for f in frames]), axis=0)))


def test_off_is_identity_and_presets_order_jitter():
    frames = _noisy_frames()
    off = FrameSmoother("off")
    assert all(off.process(f) is f for f in frames)
    jit = {}
    for p in ("light", "strong"):
        sm = FrameSmoother(p).process_all(frames)
        assert [f.time for f in sm] == [f.time for f in frames]
        jit[p] = {
            "jaw": _jitter(sm, lambda f: f.weight("JawOpen")),
            "pose": _jitter(sm, lambda f: f.head_rotation),
            "pos": _jitter(sm, lambda f: f.head_position),
            "eye": _jitter(sm, lambda f: f.weight("EyeSquintRight")),
            "gaze": _jitter(sm, lambda f: f.gaze_left),
        }
    raw = {
        "jaw": _jitter(frames, lambda f: f.weight("JawOpen")),
        "pose": _jitter(frames, lambda f: f.head_rotation),
        "pos": _jitter(frames, lambda f: f.head_position),
        "eye": _jitter(frames, lambda f: f.weight("EyeSquintRight")),
        "gaze": _jitter(frames, lambda f: f.gaze_left),
    }
    for k in raw:
        assert jit["strong"][k] < jit["light"][k] < raw[k], k
    assert jit["light"]["jaw"] < 0.5 * raw["jaw"]
    assert jit["light"]["pose"] < 0.5 * raw["pose"]


def test_gap_frames_pass_and_long_gap_resets():
    fps = 30.0
    a = ExpressionFrame.from_shapes({"JawOpen": 0.0}, head_rotation=(0.0, 0.0, 0.0))
    for gap_s, expect_reset in ((0.1, False), (1.0, True)):
        sm = FrameSmoother("strong")
        t = 0.0
        for i in range(30):
            sm.process(a.replace(time=i / fps))
        t = 29 / fps
        g = ExpressionFrame.gap(t + 1 / fps, last=a)
        assert sm.process(g) is g  # gaps pass through untouched
        back = ExpressionFrame.from_shapes({"JawOpen": 0.8}, time=t + gap_s, head_rotation=(20.0, 0.0, 0.0))
        out = sm.process(back)
        if expect_reset:  # face re-appears where it is, no slide-in from the old pose
            assert out.weight("JawOpen") == pytest.approx(0.8)
            assert out.head_rotation[0] == pytest.approx(20.0)
        else:  # a brief dropout keeps the filter running
            assert 0.0 < out.weight("JawOpen") < 0.8
            assert 0.0 < out.head_rotation[0] < 20.0


def test_faces_have_separate_filters():
    a = _noisy_frames(60, seed=4, face_id=0)
    b = [f.replace(face_id=1, head_rotation=(-30.0, 10.0, 0.0), weights={"JawOpen": 0.9}) for f in _noisy_frames(60, seed=5)]
    sm = FrameSmoother("light")
    mixed = [sm.process(f) for pair in zip(a, b) for f in pair]  # two faces share each time
    alone = FrameSmoother("light").process_all(a)
    np.testing.assert_allclose([f.weights for f in mixed[0::2]], [f.weights for f in alone])
    assert all(f.head_rotation[0] < -29 for f in mixed[1::2])


def test_nan_frame_time_uses_the_clock_and_nan_weights_stay_nan():
    now = [100.0]
    sm = FrameSmoother("light", clock=lambda: now[0])
    f0 = ExpressionFrame.from_shapes({"JawOpen": 0.2}, time=float("nan"))
    assert sm.process(f0).weight("JawOpen") == pytest.approx(0.2)
    now[0] += 1 / 30
    w = np.full(88, 0.5, np.float32)
    w[5] = np.nan
    out = sm.process(ExpressionFrame(time=float("nan"), weights=w))
    assert np.isnan(out.weights[5]) and np.isfinite(out.weights[22])
    assert 0.2 < out.weight("JawOpen") < 0.5


@pytest.mark.parametrize("preset", ["light", "strong", "raw"])
@pytest.mark.parametrize("fps", [24.0, 30.0])
def test_short_blink_survives(preset, fps):
    """A 100–150 ms blink (openness 1 -> 0.05) must still close the eye by >= 0.6."""
    for dur in (0.1, 0.15):
        n_closed = max(1, int(round(dur * fps)) - 1)
        openness = np.r_[np.ones(int(fps)), 0.5, np.full(n_closed - 1, 0.05), 0.5, np.ones(int(fps))] if n_closed > 1 \
            else np.r_[np.ones(int(fps)), 0.4, 0.05, 0.4, np.ones(int(fps))]
        sm = FrameSmoother(preset)
        out = [sm.process(ExpressionFrame.neutral(i / fps).replace(openness_left=float(o), openness_right=float(o)))
               for i, o in enumerate(openness)]
        low = min(f.openness_left for f in out)
        assert 1.0 - low >= 0.6, (preset, fps, dur, low)
        assert out[-1].openness_left > 0.95  # and the eye opens again


def test_real_blinks_keep_most_of_their_depth(wolfgang_openness):
    """WolfgangLanger's real blinks (MediaPipe VIDEO mode): the light eye filter keeps >= 80 % of
    each blink's depth and >= 90 % on average."""
    times, openness, blinks, _ = wolfgang_openness
    assert len(blinks) >= 3
    sm = FrameSmoother("light")
    out = np.array([sm.process(ExpressionFrame.neutral(t).replace(openness_left=float(o[0]), openness_right=float(o[1])))
                    .openness for t, o in zip(times, openness)])
    kept = []
    for i in blinks:
        for eye in (0, 1):
            before = np.median(openness[i - 6:i - 2, eye])
            depth_in = before - openness[i - 2:i + 3, eye].min()
            depth_out = before - out[i - 2:i + 3, eye].min()
            if depth_in > 0.2:
                kept.append(depth_out / depth_in)
    assert len(kept) >= 4
    assert min(kept) >= 0.8 and np.mean(kept) >= 0.9, kept


@pytest.fixture(scope="module")
def wolfgang_openness(samples):
    """Per-frame eye openness of the WolfgangLanger clip from the capture pipeline (no smoothing)
    and gaze, and the frame indices of its blinks (sharp dips from an open eye)."""
    from facemimic.capture.api import track

    tr = track(samples / "WolfgangLanger_Pexels.mp4", smoothing="off")
    keep = tr.present
    times, openness, gaze = tr.time[keep], tr.openness[keep].astype(np.float64), tr.gaze[keep].astype(np.float64)
    m = openness.mean(axis=1)
    blinks = []
    for i in range(6, len(m) - 3):
        pre = np.median(m[i - 6:i - 2])
        if m[i] == m[i - 2:i + 3].min() and pre > 0.75 and pre - m[i] > 0.2 and (not blinks or i - blinks[-1] > 3):
            blinks.append(i)
    return times, openness, blinks, gaze


def test_custom_options_leave_unfiltered_groups_untouched():
    from dataclasses import replace

    opts = replace(SmoothingOptions.preset("strong"), pose=None)
    sm = FrameSmoother(options=opts)
    assert sm.preset == "custom"
    frames = _noisy_frames(40)
    out = sm.process_all(frames)
    # untouched means bit for bit: the pose group passes through the smoother unchanged
    np.testing.assert_array_equal(np.array([f.head_rotation for f in out]), np.array([f.head_rotation for f in frames]))
    assert _jitter(out, lambda f: f.weight("JawOpen")) < 0.5 * _jitter(frames, lambda f: f.weight("JawOpen"))


def test_array_parameters_match_separate_filters():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((50, 2)).cumsum(axis=0)
    both = OneEuroFilter(min_cutoff=[0.5, 2.0], beta=[0.1, 3.0], d_cutoff=[1.0, 2.0])
    a = OneEuroFilter(min_cutoff=0.5, beta=0.1, d_cutoff=1.0)
    b = OneEuroFilter(min_cutoff=2.0, beta=3.0, d_cutoff=2.0)
    for i, row in enumerate(x):
        y = both(row, i / 30)
        assert y[0] == pytest.approx(float(a(row[0], i / 30))) and y[1] == pytest.approx(float(b(row[1], i / 30)))


def test_gaze_is_held_through_a_blink_but_not_a_long_closure():
    fps = 30.0
    sm = FrameSmoother("light")
    out = []
    for i in range(60):
        closed = 20 <= i < 24 or 40 <= i < 60  # a 133 ms blink, then a 0.67 s closure
        f = ExpressionFrame.neutral(i / fps).replace(
            openness_left=0.05 if closed else 1.0, openness_right=0.05 if closed else 1.0,
            gaze_left=(0.2, -0.3 if closed else 0.1), gaze_right=(0.2, -0.3 if closed else 0.1))
        out.append(sm.process(f))
    gy = np.array([f.gaze_left[1] for f in out])
    assert np.allclose(gy[20:24], 0.1, atol=1e-6)  # the blink's fake "look down" never shows
    assert np.allclose(gy[40:52], 0.1, atol=1e-6)  # held for up to blink_hold_max = 0.4 s ...
    assert gy[-1] < -0.25  # ... then a longer closure's gaze passes (looking down, lids low)
    assert min(f.openness_left for f in out[20:24]) < 0.1  # the blink itself is untouched
    no_hold = FrameSmoother(options=SmoothingOptions(blink_gaze_hold=None))
    gy2 = np.array([no_hold.process(f).gaze_left[1] for f in _blink_frames()])
    assert gy2.min() < 0.0
    with pytest.raises(ParameterError, match="blink_gaze_hold"):
        SmoothingOptions(blink_gaze_hold=1.5)


def _blink_frames():
    return [ExpressionFrame.neutral(i / 30).replace(
        openness_left=0.05 if 10 <= i < 14 else 1.0, gaze_left=(0.0, -0.3 if 10 <= i < 14 else 0.1))
        for i in range(30)]


def test_real_blinks_no_longer_look_down(wolfgang_openness):
    times, openness, blinks, gaze = wolfgang_openness
    sm = FrameSmoother("light")
    out = np.array([sm.process(ExpressionFrame.neutral(t).replace(
        openness_left=float(o[0]), openness_right=float(o[1]),
        gaze_left=tuple(g[0]), gaze_right=tuple(g[1]))).gaze for t, o, g in zip(times, openness, gaze)])
    dips_in, dips_out = [], []
    for i in blinks:
        before = gaze[i - 4, :, 1]
        dips_in.append(np.max(before - gaze[i - 1:i + 2, :, 1].min(axis=0)))
        dips_out.append(np.max(before - out[i - 1:i + 2, :, 1].min(axis=0)))
    # Each blink pulls MediaPipe's vertical gaze down by ~0.1–0.2 (6–11°); held, the dip shrinks.
    assert np.mean(dips_in) > 0.08
    assert np.mean(dips_out) < 0.5 * np.mean(dips_in), (dips_in, dips_out)
