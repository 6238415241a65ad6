"""Live lip sync fed with chunks of a real file: latency, coverage, agreement with offline."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.errors import ParameterError
from facemimic.expressions.regions import region_mask
from facemimic.lipsync.live import LiveLipSync, LiveOptions


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        self.t += 0.001  # each reading advances 1 ms
        return self.t


@pytest.fixture(scope="module")
def live_run(speech_items):
    it = next(i for i in speech_items if i.id == "s07")
    live = LiveLipSync(sample_rate=16000)
    chunk = 320  # 20 ms
    out = []  # (audio seconds received, frames)
    for k in range(0, len(it.audio), chunk):
        frames = live.push(it.audio[k:k + chunk])
        out.append((min(k + chunk, len(it.audio)) / 16000, frames))
    tail = live.close()
    return it, live, out, tail


def test_frames_cover_the_audio_in_order(live_run):
    it, live, out, tail = live_run
    frames = [f for _, fs in out for f in fs] + tail
    times = np.array([f.time for f in frames])
    assert np.allclose(np.diff(times), 1 / 60)
    assert times[0] == 0 and times[-1] >= it.duration - 1 / 60
    w = np.stack([f.weights for f in frames])
    assert np.all(w[:, region_mask("speech") == 0] == 0)


def test_latency_within_budget(live_run):
    """A frame for time t comes out once audio up to t + delay has arrived (delay 60 ms), so
    chunk (20 ms) + delay stays under the 150 ms budget; no look-ahead beyond that."""
    it, live, out, tail = live_run
    lags = [received - f.time for received, fs in out for f in fs]
    assert max(lags) <= 0.06 + 0.02 + 1e-6
    assert min(lags) >= 0.06 - 1e-6  # never emits a frame before its audio + delay is in


def test_agrees_with_offline(live_run, aligned):
    it, live, out, tail = live_run
    frames = [f for _, fs in out for f in fs] + tail
    jaw = np.array([f.weight("JawOpen") for f in frames])
    off = aligned["s07"].track(fps=60).channel("JawOpen")
    n = min(len(jaw), len(off))
    assert np.corrcoef(jaw[:n], off[:n])[0, 1] > 0.5
    # silence at the start keeps the mouth at rest
    assert jaw[: int(0.1 * 60)].max() < 0.05


def test_injectable_clock_and_stereo_float_input(speech_items):
    it = speech_items[0]
    clock = FakeClock()
    live = LiveLipSync(sample_rate=48000, clock=clock)
    from facemimic.common.audio import resample

    x = (resample(it.audio.astype(np.float64), 16000, 48000) / 32768).astype(np.float32)
    stereo = np.stack([x, x * 0.5], 1)
    n = 0
    for k in range(0, len(stereo), 960):
        n += len(live.push(stereo[k:k + 960]))
    n += len(live.close())
    assert abs(n - it.duration * 60) <= 2
    assert all(abs(l - 0.001) < 1e-9 for l in live.latencies)  # readings 1 ms apart


def test_a_glitch_of_nan_samples_is_silence_and_the_session_goes_on(speech_items):
    """A live float stream with a run of NaN / inf samples (a driver's glitch) keeps producing
    frames: the glitch is silence there, while a file with such samples is refused (as_pcm16)."""
    it = speech_items[0]
    x = (it.audio.astype(np.float32) / 32768).copy()
    x[4000:4400] = np.nan
    x[9000] = np.inf
    live = LiveLipSync(sample_rate=16000, clock=FakeClock())
    n = 0
    for k in range(0, len(x), 320):
        n += len(live.push(x[k:k + 320]))
    n += len(live.close())
    assert abs(n - it.duration * 60) <= 2
    from facemimic.common.audio import as_pcm16

    with pytest.raises(ParameterError, match="non-finite"):
        as_pcm16(x, 16000)


def test_options():
    with pytest.raises(ParameterError):
        LiveOptions(delay=0.5)
