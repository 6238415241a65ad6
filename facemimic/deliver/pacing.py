"""Timing for live delivery: rate cap, send-on-change with keep-alive, real-time playback.

Every class takes its time from the caller (``now`` arguments) or from an injectable ``clock`` and
``sleep``, so tests drive them with :class:`ManualClock` instead of waiting.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from ..errors import ParameterError

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class ManualClock:
    """A clock that only moves when told to; ``sleep`` advances it instantly (for tests)."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` (negative values are ignored, as time.sleep rejects them)."""
        if seconds > 0:
            self.now += seconds

    def advance(self, seconds: float) -> None:
        """Same as :meth:`sleep`; reads better in tests."""
        self.sleep(seconds)


class RateLimiter:
    """Caps how often frames go out: at most ``max_hz`` on average, tolerant of jitter.

    A frame is allowed when it is not earlier than the next slot minus a 10 % slack; slots advance
    by exactly one interval, so a 60 fps source with jittery timestamps is not thinned by a 60 Hz
    cap, while a 120 fps source is halved. After a stall the schedule restarts from ``now``
    instead of bursting to catch up.
    """

    def __init__(self, max_hz: float, *, slack: float = 0.1) -> None:
        if not (max_hz > 0 and np.isfinite(max_hz)):
            raise ParameterError(f"rate cap must be a positive number of Hz, got {max_hz!r}")
        self.interval = 1.0 / float(max_hz)
        self._slack = slack * self.interval
        self._next: float | None = None

    def allow(self, now: float) -> bool:
        """True if a frame may be sent at time ``now`` (seconds); records it as sent."""
        nxt = self._next
        if nxt is not None and now < nxt - self._slack:
            return False
        # Keep the grid while on time; restart it from ``now`` after a stall (no burst).
        base = nxt if nxt is not None and now - nxt < self.interval else now
        self._next = base + self.interval
        return True


class ChangeFilter:
    """Send-on-change with a periodic keep-alive, for a fixed vector of parameter values.

    :meth:`select` returns which entries to send now: those whose value differs from the last one
    sent by more than ``epsilon`` (exact inequality by default, as VRCFaceTracking does), or every
    entry when ``keepalive_s`` has passed since the last full send (so a receiver that started late,
    or VRChat's 10 s native-eye timeout, still gets values). NaN values are never sent.
    """

    def __init__(self, size: int, *, keepalive_s: float = 1.0, epsilon: float = 0.0) -> None:
        if not keepalive_s > 0:
            raise ParameterError(f"keep-alive interval must be positive, got {keepalive_s!r} s")
        self.keepalive_s = float(keepalive_s)
        self.epsilon = float(epsilon)
        self._last = np.full(size, np.nan, np.float64)
        self._last_full: float | None = None

    def select(self, values: np.ndarray, now: float) -> np.ndarray:
        """Indices of ``values`` (shape ``(size,)``) to send at time ``now``; remembers them as sent."""
        v = np.asarray(values, np.float64)
        valid = ~np.isnan(v)
        if self._last_full is None or now - self._last_full >= self.keepalive_s:
            self._last_full = now
            send = valid
        else:
            diff = np.abs(v - self._last)
            # Never sent before (last NaN) counts as changed.
            send = valid & ((diff > self.epsilon) | np.isnan(self._last))
        idx = np.flatnonzero(send)
        self._last[idx] = v[idx]
        return idx

    def reset(self) -> None:
        """Forget what was sent: the next :meth:`select` sends everything."""
        self._last[:] = np.nan
        self._last_full = None


class Pacer:
    """Plays media time in real time: :meth:`wait` sleeps until a frame's timestamp is due.

    The first call anchors media time to the wall clock. Returns how late (seconds) the frame is,
    so callers can drop stale frames; never sleeps for frames already due.
    """

    def __init__(self, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self.clock, self.sleep = clock, sleep
        self._anchor: float | None = None  # wall time - media time

    def due(self, media_time: float) -> float:
        """Wall-clock time at which ``media_time`` is due (anchoring on first use)."""
        if self._anchor is None:
            self._anchor = self.clock() - media_time
        return self._anchor + media_time

    def wait(self, media_time: float, *, deadline: float | None = None) -> float:
        """Sleep until ``media_time`` is due (but not past ``deadline``); return the lateness."""
        target = self.due(media_time)
        now = self.clock()
        if target > now:
            stop = target if deadline is None else min(target, deadline)
            if stop > now:
                self.sleep(stop - now)
            return 0.0
        return now - target

    def shift(self, seconds: float) -> None:
        """Move the anchor (e.g. after a pause), so later frames are due ``seconds`` later."""
        if self._anchor is not None:
            self._anchor += seconds
