"""A ctypes binding to the libespeak-ng shipped by ``espeakng-loader`` (no system install needed).

espeak-ng is a process-global C library, so one :class:`_Engine` is created lazily and every call
holds a lock. Synthesis runs in ``AUDIO_OUTPUT_SYNCHRONOUS`` mode: a callback receives the samples
and the event list (word and phoneme events, each with its exact sample position), so the phones
we report are the ones the synthesiser spoke, not a guess.

espeak-ng's synthesiser carries state from one utterance to the next in C globals that no API
call resets (1.52: the pitch-flutter index ``Flutter_ix``, the echo buffer and the breath
resonators in wavegen.c), so the same text said twice in one process came out different (phones
up to ~20 ms apart). So a process synthesises in-process only while its espeak-ng is fresh (its
first utterance: ``facemimic say`` pays nothing); later utterances go to a helper process per
voice that forks a fresh child per utterance (:mod:`.speaker`). Every call thus gives what a fresh process
gives, whatever was said before. Text-to-phonemes leaves no such state (measured), so it stays
in-process; loading a voice queues a command that only synthesis consumes, so helpers never
switch voice. Without ``fork`` (Windows) synthesis stays in-process and
keeps the drift.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import threading
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import ModelAssetError, ParameterError
from .speaker import HelperStartError, Speaker

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EV_LIST_TERMINATED, _EV_WORD, _EV_SENTENCE, _EV_END, _EV_PHONEME = 0, 1, 2, 5, 7
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_RANGE = 1, 2, 3, 4


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))


@dataclass(frozen=True, slots=True)
class RawEvent:
    """One espeak-ng event: ``kind`` 'phoneme' or 'word', sample index, and payload."""

    kind: str  # "phoneme" | "word"
    sample: int  # sample index at the engine's rate where the event starts
    value: str  # phoneme mnemonic, or the word text
    text_position: int  # 1-based character position in the input (words)


class _Engine:
    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as e:  # pragma: no cover - a declared dependency
            raise ModelAssetError(f"espeakng-loader is not installed ({e})") from None
        try:
            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data = espeakng_loader.get_data_path()
        except (OSError, RuntimeError) as e:
            raise ModelAssetError(f"cannot load libespeak-ng from espeakng-loader: {e}") from None
        lib = self.lib
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint),
                                     ctypes.c_void_p]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_ng_SetPhonemeEvents.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(),
                                                 _INIT_PHONEME_EVENTS | _INIT_DONT_EXIT)
        if self.sample_rate <= 0:
            raise ModelAssetError(f"espeak-ng failed to initialise with data at {data}")
        self._chunks: list[np.ndarray] = []
        self._events: list[RawEvent] = []
        self._cb = _Callback(self._on_audio)  # keep a reference: C holds only the pointer
        lib.espeak_SetSynthCallback(self._cb)
        self.lock = threading.Lock()
        self._voice: bytes | None = None
        self.isolated = hasattr(os, "fork")  # speak through helpers after the first utterance
        self._fresh = True  # nothing synthesised in this process yet
        self._voice_loads = 0  # each queues a command only synthesis consumes (see .speaker)
        self.speaker = Speaker()
        atexit.register(self.speaker.close)

    def _on_audio(self, wav, n, events) -> int:
        if n > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, (n,)).copy())
        i = 0
        while events[i].type != _EV_LIST_TERMINATED:
            e = events[i]
            if e.type == _EV_PHONEME:
                self._events.append(RawEvent("phoneme", int(e.sample),
                                             bytes(e.id.string).split(b"\0")[0].decode("utf-8", "replace"),
                                             int(e.text_position)))
            elif e.type == _EV_WORD:
                self._events.append(RawEvent("word", int(e.sample), str(e.length), int(e.text_position)))
            i += 1
        return 0

    def set_voice(self, voice: str) -> None:
        if voice.encode() == self._voice:
            return
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ParameterError(f"unknown espeak-ng voice {voice!r} (try en-us, en-us+f3, en, en-gb-x-rp)")
        self._voice = voice.encode()
        self._voice_loads += 1

    def synth(self, text: str, *, voice: str, rate: int, pitch: int,
              ipa: bool = False) -> tuple[np.ndarray, list[RawEvent]]:
        """Speak ``text``: (int16 samples, events). ``ipa``: phoneme events carry IPA symbols
        (any language) instead of espeak-ng's ASCII mnemonics (which are per-language names).

        The same text and options give the same samples and events whatever was synthesised
        before in this process (see the module docstring).
        """
        with self.lock:
            # An unknown voice fails here, in this process; loading leaves no synthesis state.
            self.set_voice(voice)
            # In-process only as a fresh process would: nothing said yet, no other voice loaded.
            if not self.isolated or (self._fresh and self._voice_loads == 1):
                self._fresh = False  # from now on this process's espeak-ng carries state
                return self.synth_here(text, rate=rate, pitch=pitch, ipa=ipa)
            self._fresh = False
        try:
            return self.speaker.synth(text, voice=voice, rate=rate, pitch=pitch, ipa=ipa)
        except HelperStartError as e:  # e.g. an embedding application's sys.executable
            warnings.warn(f"{e}; speaking in-process from now on: the same text may come out a few "
                          "samples different after other speech", RuntimeWarning, stacklevel=3)
            self.isolated = False
        with self.lock:
            self.set_voice(voice)
            return self.synth_here(text, rate=rate, pitch=pitch, ipa=ipa)

    def synth_here(self, text: str, *, rate: int, pitch: int,
                   ipa: bool) -> tuple[np.ndarray, list[RawEvent]]:
        """Synthesise in this process with the voice already set (the lock held, or in a child)."""
        self.lib.espeak_ng_SetPhonemeEvents(1, 1 if ipa else 0)
        self.lib.espeak_SetParameter(_PARAM_RATE, int(rate), 0)
        self.lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
        self._chunks, self._events = [], []
        # espeak-ng draws random numbers (noise sources): a fixed seed per call makes the same
        # samples and phone timing every time (measured: without it the evaluation set differed
        # run to run). The rest of its state carries over between calls: hence the helper.
        seed = getattr(self.lib, "espeak_ng_SetRandSeed", None)
        if seed is not None:
            seed(ctypes.c_long(0))
        data = text.encode("utf-8")
        rc = self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if rc != 0:
            raise ParameterError(f"espeak-ng could not synthesise the text (error {rc})")
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        events = self._events
        self._chunks, self._events = [], []
        return audio.astype(np.int16, copy=False), events

    def phonemize(self, text: str, *, voice: str, ipa: bool = False, separator: str = "") -> str:
        """espeak-ng's phonemes for ``text``: words separated by spaces; ASCII mnemonics, or IPA
        (``ipa``); ``separator`` (one character) between the phonemes of a word."""
        mode = (2 if ipa else 0) | (ord(separator) << 8 if separator else 0)
        with self.lock:
            self.set_voice(voice)
            buf = ctypes.c_char_p(text.encode("utf-8"))
            ptr = ctypes.pointer(buf)
            parts = []
            # Each call returns one clause and advances the pointer; NULL when done.
            while ptr.contents.value:
                res = self.lib.espeak_TextToPhonemes(ptr, _CHARS_UTF8, mode)
                if res is None:
                    break
                parts.append(res.decode("utf-8", "replace"))
            return " ".join(p.strip() for p in parts if p.strip())


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


def list_voices() -> list[dict]:
    """espeak-ng's voices: ``[{"name", "language", "identifier", "gender"}]``.

    Any voice takes a variant suffix (``en-us+f3``); :func:`list_variants` names them.
    """
    eng = engine()
    with eng.lock:
        fn = eng.lib.espeak_ListVoices
        fn.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        fn.argtypes = [ctypes.c_void_p]
        arr = fn(None)
        out = []
        i = 0
        while arr[i]:
            v = arr[i].contents
            # languages: (priority byte, name, NUL) pairs; the first is the voice's own language
            raw = ctypes.string_at(v.languages, 32) if v.languages else b"\0"
            lang = raw[1:raw.index(b"\0", 1)].decode("utf-8", "replace") if raw[0] else ""
            out.append({"name": (v.name or b"").decode(), "language": lang,
                        "identifier": (v.identifier or b"").decode(),
                        "gender": {1: "male", 2: "female"}.get(v.gender, "")})
            i += 1
        return out


def list_variants() -> list[str]:
    """Voice variants (``f1`` … ``m7``, ``klatt`` …) usable as ``<voice>+<variant>``."""
    import os

    import espeakng_loader

    folder = os.path.join(espeakng_loader.get_data_path(), "voices", "!v")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def engine() -> _Engine:
    """The process-wide espeak-ng engine (loaded on first use)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE
