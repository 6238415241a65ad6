"""Pitch of real recordings, for the lip-sync tests that check a voice (imported by them)."""

from __future__ import annotations

import numpy as np


def median_f0(audio: np.ndarray) -> float:
    """Median autocorrelation pitch (Hz) of the loud 40 ms frames of (N,) 16 kHz audio (70-400 Hz)."""
    x = audio.astype(float)
    out = []
    for i in range(0, len(x) - 640, 160):
        w = x[i:i + 640] - x[i:i + 640].mean()
        if (w ** 2).mean() < 1e5:
            continue
        c = np.correlate(w, w, "full")[639:]
        k = 40 + int(np.argmax(c[40:228]))  # 70-400 Hz
        if c[k] > 0.5 * c[0]:
            out.append(16000 / k)
    return float(np.median(out))
