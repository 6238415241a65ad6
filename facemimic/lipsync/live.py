"""Live lip sync: audio chunks in, mouth frames out, with a fixed small delay.

Each pushed chunk goes straight into an open pocketsphinx phone-loop utterance; the partial
result's phones (all but the last ``settle`` seconds, which may still change) become UE mouth
poses that a causal, critically damped filter smooths. In another language the phone loop and
its vowels are the offline no-transcript path's (recognize.phone_loop_settings, language_phones). No look-ahead beyond ``delay``: a frame
for time *t* is emitted as soon as audio up to *t + delay* has arrived. Utterances restart at
pauses so partial decoding stays cheap in hour-long sessions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import ParameterError, check_options
from ..expressions.frame import ExpressionFrame
from ..expressions.regions import region_mask
from ..phonetics.phones import SILENCE
from ..phonetics.phones import Phone
from .recognize import (RecognizerOptions, dithered, language_phones, model_paths, phone_loop_settings,
                        unit_name)
from .shapes import PHONE_SHAPE, DIPHTHONG_SHAPES
from ..expressions.names import UE_INDEX
from .visemes import _EXTRA_VEC, _SHAPE_UE_VEC, CLOSURE_UE, critically_damped

SR = 16000


@dataclass(frozen=True)
class LiveOptions:
    """Latency/quality trade-offs of :class:`LiveLipSync`."""

    fps: float = 60.0  # frames emitted per second of audio
    delay: float = 0.06  # s: frames lag the audio by this much (phones settle meanwhile)
    tau: float = 0.02  # s: smoothing time constant of each filter stage
    min_rms: float = 150.0  # int16 RMS below which the mouth rests
    pause: float = 0.4  # s of quiet that ends an utterance (decoder restarts)
    recognizer: RecognizerOptions = field(default_factory=RecognizerOptions)

    def __post_init__(self) -> None:
        if not 1 <= self.fps <= 240:
            raise ParameterError(f"fps must be 1..240, got {self.fps!r}")
        if not 0 <= self.delay <= 0.15:
            raise ParameterError(f"delay must be 0..0.15 s (the live latency budget), got {self.delay!r}")
        if not 0 < self.tau <= 0.2:
            raise ParameterError(f"tau must be in (0, 0.2] s, got {self.tau!r}")


class LiveLipSync:
    """Streaming lip sync.

    Parameters
    ----------
    sample_rate : int
        Rate of the chunks you push (resampled to 16 kHz inside).
    options : LiveOptions
    clock : callable
        Monotonic seconds, injectable for tests; used to report processing latency.
    language : str, optional
        Language of the speech (``de``, ``French``, ``auto`` …; default: ``options.recognizer``'s,
        English). Recognition then uses the offline no-transcript settings for that language
        (phone-loop weight, vowels snapped to its inventory). An unknown code raises
        :class:`~facemimic.errors.UnknownNameError` with suggestions.

    Examples
    --------
    >>> live = LiveLipSync(sample_rate=48000)            # doctest: +SKIP
    >>> for chunk in mic_chunks():                       # doctest: +SKIP
    ...     for frame in live.push(chunk):
    ...         send(frame)
    """

    def __init__(self, *, sample_rate: int = SR, options: LiveOptions | None = None,
                 clock: Callable[[], float] = time.perf_counter, language: str | None = None) -> None:
        import dataclasses

        from pocketsphinx import Decoder

        self.opt = check_options(options, LiveOptions) or LiveOptions()
        if language is not None:
            from .api import resolve_transcript_language

            self.opt = dataclasses.replace(self.opt, recognizer=dataclasses.replace(
                self.opt.recognizer, language=resolve_transcript_language(language, None)))
        self.language = self.opt.recognizer.language
        self.sample_rate = int(sample_rate)
        self.clock = clock
        p = model_paths()
        r = self.opt.recognizer
        lm, lw = phone_loop_settings(r)  # the same phone loop as offline recognition in this language
        # no dictionary: the phone loop does not use it (parsing CMUdict costs ~0.1 s)
        self._dec = Decoder(hmm=p["hmm"], dict=None, lm=None, loglevel="FATAL", frate=r.frame_rate,
                            topn=r.topn, allphone=lm, lw=lw, beam=r.beam, pbeam=r.beam)
        self._frate = float(r.frame_rate)
        self._in_utt = False
        self._utt_start = 0  # stream sample where the open utterance began
        self._phones: list[tuple[float, float, str]] = []  # settled (start, end, name) in stream time
        self._partial: list[tuple[float, float, str]] = []
        self._received = 0  # 16 kHz samples received
        self._quiet = 0  # consecutive quiet samples
        self._next_frame = 0  # index of the next frame to emit
        self._rms_hist: list[tuple[int, float]] = []  # (end sample, rms) per chunk
        self._state = None
        self._mask = region_mask("speech")
        self._resample_tail = np.zeros(0)
        self.latencies: list[float] = []  # seconds from push() entry to return, per call
        # Rhubarb shape and phone behind each frame the last push()/close() returned (for scoring)
        self.last_shapes: list[str] = []
        self.last_phones: list[str] = []
        # Warm up lazy imports (the resampler's scipy.signal) and the filter now, not inside the first push().
        critically_damped(np.zeros((1, self._mask.shape[0])), tau=self.opt.tau)
        self._to16k(np.zeros(16, np.int16))

    # -- internals ------------------------------------------------------------------------------
    def _to16k(self, chunk: np.ndarray) -> np.ndarray:
        from ..common.audio import as_pcm16

        chunk = np.asarray(chunk)
        if chunk.dtype.kind == "f" and not np.all(np.isfinite(chunk)):
            # a glitch in a live stream is a moment of silence, not the end of the session (a file's
            # NaN samples are refused by as_pcm16: there nothing is lost by saying so)
            chunk = np.nan_to_num(chunk, nan=0.0, posinf=0.0, neginf=0.0)
        return as_pcm16(chunk, self.sample_rate) if len(chunk) else np.zeros(0, np.int16)

    def _shape_at(self, t: float) -> tuple[str, str]:
        for a, b, name in reversed(self._partial or []):
            if a <= t < b:
                return self._shape_for(name, t, a, b), name
        for a, b, name in reversed(self._phones):
            if a <= t < b:
                return self._shape_for(name, t, a, b), name
            if b <= t:
                break
        return "X", SILENCE

    def _bilabial_near(self, t: float, half: float = 0.025) -> bool:
        """A P/B/M phone overlaps ``[t - half, t + half]`` (within the settle delay)."""
        for a, b, name in (self._partial or []) + self._phones[-8:]:
            if name in ("P", "B", "M") and a < t + half and b > t - half:
                return True
        return False

    @staticmethod
    def _shape_for(name: str, t: float, a: float, b: float) -> str:
        if name in DIPHTHONG_SHAPES:
            s1, s2 = DIPHTHONG_SHAPES[name]
            return s1 if t < a + 0.6 * (b - a) else s2
        return PHONE_SHAPE.get(name, "B")

    def _rms_at(self, sample: int) -> float:
        for end, rms in reversed(self._rms_hist):
            if end - 800 <= sample:  # chunks are short; nearest chunk within 50 ms
                return rms
        return 0.0

    def _update_phones(self) -> None:
        segs = self._dec.seg() or []
        off = self._utt_start / SR
        phones = [Phone(off + s.start_frame / self._frate, off + (s.end_frame + 1) / self._frate,
                        unit_name(s.word)) for s in segs]
        self._partial = [(p.start, p.end, p.name) for p in language_phones(phones, self.language)]

    def _end_utt(self) -> None:
        if self._in_utt:
            self._dec.end_utt()
            self._update_phones()
            self._phones.extend(self._partial)
            self._partial = []
            self._in_utt = False
            # keep only recent history
            cutoff = self._received / SR - 2.0
            self._phones = [p for p in self._phones if p[1] >= cutoff]

    def _emit(self, upto: float) -> list[ExpressionFrame]:
        fps = self.opt.fps
        frames = []
        self.last_shapes, self.last_phones = [], []
        while True:
            t = self._next_frame / fps
            if t > upto:
                break
            shape, name = self._shape_at(t)
            if self._bilabial_near(t):
                shape = "A"  # closures are short: show them for the whole +-25 ms window
            elif self._rms_at(int(t * SR)) < self.opt.min_rms:
                shape = "X"
            target = _SHAPE_UE_VEC[shape]
            if name in _EXTRA_VEC and shape not in "AX":
                target = np.maximum(target, _EXTRA_VEC[name])
            y, self._state = critically_damped(target[None].astype(np.float64), tau=self.opt.tau,
                                               dt=1.0 / fps, state=self._state)
            w = np.clip(y[0], 0, 1).astype(np.float32)
            if shape == "A":  # the lips must meet even though the filter is still catching up
                for k, v in CLOSURE_UE.items():
                    w[UE_INDEX[k]] = min(w[UE_INDEX[k]], v)
            w *= self._mask
            frames.append(ExpressionFrame(time=t, weights=w))
            self.last_shapes.append(shape)
            self.last_phones.append(name)
            self._next_frame += 1
        return frames

    # -- API ------------------------------------------------------------------------------------
    def push(self, chunk: np.ndarray) -> list[ExpressionFrame]:
        """Feed the next audio chunk (int16 or float, mono or (n, channels)); returns the frames
        that are now final (times up to ``received - delay``)."""
        t0 = self.clock()
        pcm = self._to16k(chunk)
        if len(pcm):
            rms = float(np.sqrt(np.mean(pcm.astype(np.float32) ** 2)))
            self._received += len(pcm)
            self._rms_hist.append((self._received, rms))
            self._rms_hist = self._rms_hist[-200:]
            loud = rms >= self.opt.min_rms
            self._quiet = 0 if loud else self._quiet + len(pcm)
            if loud and not self._in_utt:
                self._dec.start_utt()
                self._in_utt = True
                self._utt_start = self._received - len(pcm)
            if self._in_utt:
                self._dec.process_raw(dithered(pcm))
                self._update_phones()
                if self._quiet >= self.opt.pause * SR or self._received - self._utt_start > 20 * SR:
                    self._end_utt()
        frames = self._emit(self._received / SR - self.opt.delay)
        self.latencies.append(self.clock() - t0)
        return frames

    def close(self) -> list[ExpressionFrame]:
        """End of stream: finish the utterance and emit the remaining frames."""
        self._end_utt()
        return self._emit(self._received / SR)


def live_microphone(*, device=None, options: LiveOptions | None = None, block: float = 0.02,
                    language: str | None = None):
    """Yield frames from a microphone via ``sounddevice`` (Ctrl+C stops); ``language`` as in
    :class:`LiveLipSync` (checked before the microphone opens)."""
    import queue

    live = LiveLipSync(sample_rate=SR, options=options, language=language)  # bad options fail first
    try:
        import sounddevice as sd
    except (ImportError, OSError) as e:
        from ..errors import InputError
        raise InputError("microphone", f"sounddevice is not available ({e})") from None
    q: "queue.Queue[np.ndarray]" = queue.Queue()

    def cb(indata, frames, t, status):  # audio thread: only hand the block over
        q.put(indata[:, 0].copy())

    try:
        stream = sd.InputStream(samplerate=SR, channels=1, dtype="int16", blocksize=int(block * SR),
                                device=device, callback=cb)
    except Exception as e:  # PortAudio raises its own types
        from ..errors import InputError
        raise InputError(f"microphone {device if device is not None else '(default)'}",
                         f"cannot open ({e})") from None
    with stream:
        while True:
            yield from live.push(q.get())
