"""The lip-sync smoother's filter: scipy's ``lfilter`` to rounding, without importing scipy.signal."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from facemimic.lipsync.visemes import critically_damped


def _lfilter_reference(x, tau, dt=0.01, state=None):
    """The two first-order stages as ``scipy.signal.lfilter`` runs them (the filter shipped before)."""
    from scipy.signal import lfilter

    e = float(np.exp(-dt / tau))
    b, a = [1.0 - e], [1.0, -e]
    s1, s2 = (x[0] * e, x[0] * e) if state is None else state
    y1, z1 = lfilter(b, a, x, axis=0, zi=np.asarray(s1)[None])
    y2, z2 = lfilter(b, a, y1, axis=0, zi=np.asarray(s2)[None])
    return y2, (z1[0], z2[0])


@pytest.mark.parametrize("length", [1, 2, 63, 64, 65, 129, 3000])
@pytest.mark.parametrize("tau", [0.001, 0.03, 1.0])
def test_matches_lfilter_in_one_call_and_streamed(length, tau):
    rng = np.random.default_rng(length)
    x = rng.random((length, 7))
    y, state = critically_damped(x, tau=tau)
    ref, ref_state = _lfilter_reference(x, tau)
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-12)
    # streaming: the next chunk continues from the returned state as lfilter's does
    more = rng.random((length, 7))
    y2, _ = critically_damped(more, tau=tau, state=state)
    ref2, _ = _lfilter_reference(more, tau, state=ref_state)
    np.testing.assert_allclose(y2, ref2, rtol=0, atol=1e-12)


def test_a_reversed_view_filters_as_its_copy():
    """The smoother runs backwards over a reversed view (``_smooth``): strides must not matter."""
    x = np.random.default_rng(3).random((200, 4))
    view, _ = critically_damped(x[::-1], tau=0.03)
    copy, _ = critically_damped(np.ascontiguousarray(x[::-1]), tau=0.03)
    assert np.array_equal(view, copy)


def test_a_step_rises_without_overshoot_and_settles():
    x = np.zeros((200, 1))
    x[20:] = 1.0
    y, _ = critically_damped(x, tau=0.03)
    assert np.all(np.diff(y[:, 0]) >= -1e-15) and y.max() <= 1.0 + 1e-12
    assert y[19, 0] == 0.0 and y[-1, 0] > 0.999


def test_lip_sync_does_not_import_scipy_signal(tmp_path):
    """``scipy.signal``'s import alone costs ~0.9 s, once per lip-syncing command."""
    code = ("import sys\nfrom facemimic.cli import cli\n"
            f"cli(['say', 'Hello there.', '-o', {str(tmp_path / 'a.wav')!r}, '--track', "
            f"{str(tmp_path / 'a.jsonl')!r}], standalone_mode=False)\n"
            "print('SIGNAL', 'scipy.signal' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "SIGNAL False" in out.stdout
    assert (tmp_path / "a.jsonl").stat().st_size > 0
