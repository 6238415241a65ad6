"""``say``: offline speech from espeak-ng with the exact phones it spoke.

The phone timings come from espeak-ng's own phoneme events (sample positions in the audio it
returns), so speech made by FaceMimic needs no recognition at all: its lip sync is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError, check_options, is_number
from ..phonetics.articulation import ipa_to_arpabet
from ..phonetics.espeak import RawEvent, engine
from ..phonetics.languages import is_english, resolve_language
from ..phonetics.phones import SILENCE, Phone, espeak_to_arpabet, merge_silence


def _whole(value) -> float:
    """``int(value)``, or NaN when it has none (NaN, inf, None, "fast": int() raised NumPy's
    "cannot convert float NaN to integer" and the like), so a range check refuses it."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return float("nan")


@dataclass(frozen=True)
class VoiceOptions:
    """How the built-in voice speaks."""

    voice: str = "en-us"  # espeak-ng voice name, optionally with a variant: en-us+f3, en-gb-x-rp
    language: str | None = None  # a language code (de, fr, es, ja …): its voice, keeping voice's +variant
    rate: int = 175  # words per minute, 80..450
    pitch: int = 50  # base pitch, 0..99
    lead_silence: float = 0.0  # seconds of silence added before the speech
    trail_silence: float = 0.0  # seconds of silence added after it

    def __post_init__(self) -> None:
        if not isinstance(self.voice, str) or not self.voice.strip():
            raise ParameterError(f"voice must be an espeak-ng voice name, got {self.voice!r}")
        if not 80 <= _whole(self.rate) <= 450:
            raise ParameterError(f"rate must be 80..450 words per minute, got {self.rate!r}")
        if not 0 <= _whole(self.pitch) <= 99:
            raise ParameterError(f"pitch must be 0..99, got {self.pitch!r}")
        for name in ("lead_silence", "trail_silence"):
            value = getattr(self, name)
            if not is_number(value) or not 0 <= value <= 60:
                raise ParameterError(f"{name} must be 0..60 seconds, got {value!r}")
        if self.language is not None:
            resolve_language(self.language)  # unknown codes fail here, with suggestions

    @property
    def espeak_voice(self) -> str:
        """The espeak-ng voice to speak with: ``language``'s voice plus ``voice``'s variant."""
        if self.language is None:
            return self.voice
        variant = self.voice.partition("+")[2]
        base = resolve_language(self.language).voice
        return f"{base}+{variant}" if variant else base


@dataclass(frozen=True)
class Speech:
    """Synthesised speech and what was said when.

    Attributes
    ----------
    audio : np.ndarray [shape=(N,), dtype=int16]
        Mono samples at ``sample_rate``.
    sample_rate : int
        espeak-ng's output rate (22050 Hz).
    phones : tuple of Phone
        ARPAbet phones covering ``[0, duration]`` exactly, silences as ``SIL``.
    espeak_phonemes : tuple of (float, str)
        The raw espeak-ng mnemonics with their start times (for debugging and IPA users).
    """

    audio: np.ndarray
    sample_rate: int
    phones: tuple[Phone, ...]
    espeak_phonemes: tuple[tuple[float, str], ...] = field(default=(), repr=False)
    text: str = ""

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate

    def __iter__(self):  # ``audio, sr, phones = say(...)``
        return iter((self.audio, self.sample_rate, self.phones))


def _words(text: str, events: list[RawEvent]) -> list[tuple[int, str]]:
    """(sample, word text) for every word event."""
    out = []
    for e in events:
        if e.kind == "word":
            start = e.text_position - 1
            out.append((e.sample, text[start:start + int(e.value)]))
    return out


MIN_IPA_PAUSE = 0.04  # s: an unnamed IPA event shorter than this is not a pause


def _ipa_names(value: str) -> tuple[str, ...]:
    return ipa_to_arpabet(value) or (SILENCE,)  # IPA events name a pause ""


def events_to_phones(events: list[RawEvent], n_samples: int, sample_rate: int,
                     text: str = "", *, ipa: bool = False) -> tuple[list[Phone], list[tuple[float, str]]]:
    """Turn espeak-ng phoneme events into contiguous ARPAbet phones over ``[0, n/sr]``.

    Each phoneme lasts until the next phoneme event (or the end of the audio); a diphthong that
    maps to two ARPAbet phones is split 60/40. ``ipa``: the events carry IPA symbols (any
    language), mapped through articulatory features; else English espeak-ng mnemonics.
    """
    to_arpabet = _ipa_names if ipa else espeak_to_arpabet
    ph = [e for e in events if e.kind == "phoneme"]
    last_named = max((k for k, e in enumerate(ph) if e.value.strip()), default=-1)
    words = _words(text, events)
    out: list[Phone] = []
    raw: list[tuple[float, str]] = []
    end_s = n_samples / sample_rate
    wi = -1
    for i, e in enumerate(ph):
        t0 = min(e.sample, n_samples) / sample_rate
        t1 = (min(ph[i + 1].sample, n_samples) if i + 1 < len(ph) else n_samples) / sample_rate
        raw.append((t0, e.value))
        while wi + 1 < len(words) and words[wi + 1][0] <= e.sample:
            wi += 1
        names = to_arpabet(e.value)
        if ipa and not ipa_to_arpabet(e.value) and t1 > t0 and out and out[-1].name != SILENCE \
                and out[-1].end >= t0 - 1e-9 and i < last_named \
                and (e.value.strip() or t1 - t0 < MIN_IPA_PAUSE):
            # a modifier espeak-ng reports as a phoneme of its own (Russian ʲ), or a short
            # unnamed step inside a word (a release): part of the sound before, not a pause
            last = out[-1]
            out[-1] = Phone(last.start, t1, last.name, last.word)
            continue
        if t1 <= t0 or not names:
            continue
        word = words[wi][1] if wi >= 0 and names != (SILENCE,) else ""
        if len(names) == 1:
            out.append(Phone(t0, t1, names[0], word))
        else:
            cut = t0 + 0.6 * (t1 - t0)
            out.append(Phone(t0, cut, names[0], word))
            out.append(Phone(cut, t1, names[1], word))
    phones = merge_silence(out)
    if not phones:
        phones = [Phone(0.0, end_s, SILENCE)] if end_s > 0 else []
    else:
        if phones[0].start > 0:
            phones.insert(0, Phone(0.0, phones[0].start, SILENCE))
        if phones[-1].end < end_s:
            phones.append(Phone(phones[-1].end, end_s, SILENCE))
        phones = merge_silence(phones)
    return phones, raw


def check_text_for_voice(text: str, voice: str, *, source: str = "the text to say") -> None:
    """Refuse text the espeak-ng ``voice`` would read as garbage: kanji for Japanese.

    Raises
    ------
    ParameterError
        One line naming ``source`` and the kanji (:func:`facemimic.phonetics.kana.require_kana`).
    """
    from ..phonetics.kana import JAPANESE, require_kana

    if voice.partition("+")[0].strip().lower() == JAPANESE:
        require_kana(text, source=source)


def say(text: str, *, voice: str = "en-us", rate: int = 175, pitch: int = 50,
        language: str | None = None, options: VoiceOptions | None = None) -> Speech:
    """Speak ``text`` offline with espeak-ng and return the audio and its exact phones.

    Parameters
    ----------
    text : str
        What to say (UTF-8; punctuation makes pauses).
    voice, rate, pitch, language
        Shortcuts for :class:`VoiceOptions` fields (ignored when ``options`` is given).
        ``language`` (``de``, ``fr``, ``es``, ``ja`` …) speaks with that language's voice; its
        phones are exact as in English, mapped to ARPAbet through articulatory features.

    Returns
    -------
    Speech
        Unpacks as ``audio (N,) int16, sample_rate, phones``.

    Notes
    -----
    The same text and options give the same samples and phones whatever was said before in the
    process, and the same as a fresh process: after a process's first utterance, speech comes
    from a helper process per voice with a fresh espeak-ng (:mod:`facemimic.phonetics.speaker`;
    docs/lipsync.md, "Repeatable speech").

    Examples
    --------
    >>> audio, sr, phones = say("Hello world")            # doctest: +SKIP
    >>> [p.name for p in phones][:5]                        # doctest: +SKIP
    ['SIL', 'HH', 'AH', 'L', 'OW']
    """
    opts = check_options(options, VoiceOptions) or VoiceOptions(voice=voice, rate=rate, pitch=pitch, language=language)
    if not isinstance(text, str) or not text.strip():
        raise ParameterError("say needs some text to speak")
    espeak_voice = opts.espeak_voice
    check_text_for_voice(text, espeak_voice)
    eng = engine()
    # English keeps espeak-ng's English mnemonics (the table the lip sync was measured with);
    # every other language reports IPA, which articulatory features map for any language.
    ipa = not is_english(espeak_voice)
    audio, events = eng.synth(text, voice=espeak_voice, rate=opts.rate, pitch=opts.pitch, ipa=ipa)
    sr = eng.sample_rate
    lead = int(round(opts.lead_silence * sr))
    trail = int(round(opts.trail_silence * sr))
    if lead or trail:
        audio = np.concatenate([np.zeros(lead, np.int16), audio, np.zeros(trail, np.int16)])
        events = [RawEvent(e.kind, e.sample + lead, e.value, e.text_position) for e in events]
    phones, raw = events_to_phones(events, len(audio), sr, text, ipa=ipa)
    return Speech(audio=audio, sample_rate=sr, phones=tuple(phones), espeak_phonemes=tuple(raw), text=text)
