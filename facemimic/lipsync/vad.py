"""Voice-activity detection: cut a stream of 16 kHz PCM into speech segments.

WebRTC's VAD (bundled in pocketsphinx as :class:`pocketsphinx.Vad`) decides per 30 ms frame, as
Rhubarb does; an energy floor keeps digital silence and faint hiss out. Segments are emitted as
soon as they close, so memory stays flat on hour-long files: only the open segment is buffered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError


@dataclass(frozen=True)
class VadOptions:
    """How speech is found."""

    aggressiveness: int = 2  # WebRTC VAD mode 0 (loose) .. 3 (strict); Rhubarb uses 2
    min_rms: float = 120.0  # frames quieter than this (int16 RMS, about -48 dBFS) are never speech
    fill_gap: float = 0.3  # seconds: pauses up to this stay inside one segment
    min_speech: float = 0.06  # seconds: shorter bursts are dropped (clicks)
    pad: float = 0.1  # seconds of context added on both sides of a segment
    max_segment: float = 20.0  # seconds: longer speech is cut at its quietest frame

    def __post_init__(self) -> None:
        if self.aggressiveness not in (0, 1, 2, 3):
            raise ParameterError(f"VAD aggressiveness must be 0..3, got {self.aggressiveness!r}")
        for name in ("min_rms", "fill_gap", "min_speech", "pad"):
            if getattr(self, name) < 0:
                raise ParameterError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.max_segment < 2.0:
            raise ParameterError(f"max_segment must be >= 2 s, got {self.max_segment!r}")


class SpeechSegmenter:
    """Streams PCM in, speech segments out.

    ``push(pcm)`` returns the segments that closed, each ``(start_sample, pcm)`` with the start
    counted from the beginning of the stream; ``flush()`` closes the last one.
    """

    def __init__(self, options: VadOptions | None = None, *, sample_rate: int = 16000) -> None:
        from pocketsphinx import Vad

        self.opt = options or VadOptions()
        self.sr = sample_rate
        self.vad = Vad(self.opt.aggressiveness, sample_rate)
        self.flen = int(self.vad.frame_bytes // 2)  # samples per VAD frame (480 at 16 kHz)
        self.buf = np.zeros(0, np.int16)  # samples not yet emitted
        self.buf_start = 0  # stream index of buf[0]
        self.decisions: list[bool] = []  # per full frame of buf
        self.rms: list[float] = []

    # -- helpers --------------------------------------------------------------------------------
    def _classify_new(self) -> None:
        n_full = len(self.buf) // self.flen
        for i in range(len(self.decisions), n_full):
            fr = self.buf[i * self.flen:(i + 1) * self.flen]
            rms = float(np.sqrt(np.mean(fr.astype(np.float32) ** 2)))
            speech = rms >= self.opt.min_rms and self.vad.is_speech(fr.tobytes())
            self.decisions.append(bool(speech))
            self.rms.append(rms)

    def _speech_runs(self) -> list[tuple[int, int]]:
        d = np.asarray(self.decisions, bool)
        if not d.any():
            return []
        edges = np.diff(np.concatenate([[0], d.astype(np.int8), [0]]))
        runs = list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))
        gap = int(round(self.opt.fill_gap * self.sr / self.flen))
        merged: list[list[int]] = []
        for a, b in runs:
            if merged and a - merged[-1][1] <= gap:
                merged[-1][1] = b
            else:
                merged.append([a, b])
        keep = int(round(self.opt.min_speech * self.sr / self.flen))
        return [(a, b) for a, b in merged if b - a >= max(keep, 1)]

    def _emit(self, a_frame: int, b_frame: int) -> tuple[int, np.ndarray]:
        pad = int(round(self.opt.pad * self.sr))
        a = max(a_frame * self.flen - pad, 0)
        b = min(b_frame * self.flen + pad, len(self.buf))
        return self.buf_start + a, self.buf[a:b].copy()

    def _drop(self, upto_frame: int) -> None:
        cut = upto_frame * self.flen
        self.buf = self.buf[cut:]
        self.buf_start += cut
        self.decisions = self.decisions[upto_frame:]
        self.rms = self.rms[upto_frame:]

    # -- API ------------------------------------------------------------------------------------
    def push(self, pcm: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Add samples (int16, mono); return the segments that are complete."""
        self.buf = np.concatenate([self.buf, np.asarray(pcm, np.int16).reshape(-1)])
        self._classify_new()
        out = []
        gap = int(round(self.opt.fill_gap * self.sr / self.flen))
        pad_f = int(np.ceil(self.opt.pad * self.sr / self.flen))
        max_f = int(self.opt.max_segment * self.sr / self.flen)
        while True:
            runs = self._speech_runs()
            n = len(self.decisions)
            if not runs:
                # nothing but silence: keep only the padding's worth of history
                if n > pad_f + 1:
                    self._drop(n - pad_f - 1)
                break
            a, b = runs[0]
            if b < n - gap:  # closed: enough silence after it
                out.append(self._emit(a, b))
                self._drop(max(b, 0))
                continue
            if n - a >= max_f:  # too long: cut at the quietest frame of the last quarter
                lo = a + (3 * max_f) // 4
                cut = lo + int(np.argmin(self.rms[lo:a + max_f]))
                out.append(self._emit(a, cut))
                self._drop(cut)
                continue
            # open segment: drop leading silence beyond the padding
            if a > pad_f + 1:
                self._drop(a - pad_f - 1)
            break
        return out

    def flush(self) -> list[tuple[int, np.ndarray]]:
        """Close the stream; returns the last segment(s)."""
        self._classify_new()
        out = []
        for a, b in self._speech_runs():
            out.append(self._emit(a, b))
        self.buf = np.zeros(0, np.int16)
        self.decisions, self.rms = [], []
        return out


def speech_segments(pcm: np.ndarray, options: VadOptions | None = None, *,
                    sample_rate: int = 16000) -> list[tuple[float, float]]:
    """Speech spans ``[(start_s, end_s), …]`` (padding included) of a whole signal."""
    seg = SpeechSegmenter(options, sample_rate=sample_rate)
    parts = seg.push(pcm) + seg.flush()
    return [(s / sample_rate, (s + len(x)) / sample_rate) for s, x in parts]
