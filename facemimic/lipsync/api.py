"""``lipsync()``: audio (+ optional transcript) -> timed phones -> mouth cues -> curves / track.

With a transcript the words are force-aligned (exact phones, fast); without one, speech found by
voice-activity detection is phone-recognised segment by segment while the file streams in, so
memory stays flat on hour-long recordings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..errors import InputError, ParameterError, UnknownNameError, check_options, is_number, suggest
from ..phonetics.phones import PHONE_NAMES, SILENCE, Phone, merge_silence
from .recognize import RecognizerOptions
from .shapes import AnimationOptions, MouthCue, animate
from .vad import VadOptions
from .interpolation import check_interpolation

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class LipSyncOptions:
    """Everything that shapes a lip-sync run (each part validated in its own dataclass)."""

    animation: AnimationOptions = field(default_factory=AnimationOptions)  # shape rules
    recognizer: RecognizerOptions = field(default_factory=RecognizerOptions)  # pocketsphinx tuning
    vad: VadOptions = field(default_factory=VadOptions)  # speech detection (no transcript)
    fps: float = 60.0  # frame rate of tracks and curve files
    interpolation: str = "smooth"  # smooth | cosine | linear-keyframes | step
    max_align_duration: float = 900.0  # s: longer files with a transcript fall back on recognition
    block: float = 10.0  # s of audio decoded at a time (memory bound for long files)
    workers: int = 0  # processes aligning (or hearing) the pieces of a long file; 0: one per core (forked.py)
    # English without a transcript: True hears the words first (transcribe.py, a bundled speech
    # recogniser), then aligns them: far more accurate on real voices, ~8x slower; off by default, as
    # a robotic diphone voice is misheard (MBROLA set: one /p b m/ fewer; docs/lipsync.md, "Words first")
    transcribe: bool = False

    def __post_init__(self) -> None:
        if not (0 < self.fps <= 1000):
            raise ParameterError(f"fps must be in (0, 1000], got {self.fps!r}")
        check_interpolation(self.interpolation)
        if self.max_align_duration <= 0 or self.block <= 0:
            raise ParameterError("max_align_duration and block must be positive")
        if not isinstance(self.transcribe, bool):
            raise ParameterError(f"transcribe must be True or False, got {self.transcribe!r}")
        if not isinstance(self.workers, int) or self.workers < 0:
            raise ParameterError(f"workers must be an integer >= 0 (0: one per core), got {self.workers!r}")


@dataclass(frozen=True)
class LipSyncResult:
    """What was said when, and how the mouth moves.

    Attributes
    ----------
    phones : tuple of Phone
        Timed phones (``SIL`` for silence).
    cues : tuple of MouthCue
        Rhubarb mouth shapes covering ``[0, duration]``.
    duration : float
        Seconds of audio.
    method : str
        ``align`` (transcript), ``transcribe`` (no transcript: the words heard by the built-in
        speech recogniser, then aligned), ``recognize`` (phone recognition), ``given`` (phones
        supplied, e.g. by ``facemimic say``) or ``empty``.
    warnings : tuple of str
        Problems worth telling the user (no speech, transcript mismatch, clipping …).
    words : str or None
        With ``method == "transcribe"``, the words the recogniser heard (what was aligned).
    """

    phones: tuple[Phone, ...]
    cues: tuple[MouthCue, ...]
    duration: float
    method: str
    sound_file: str = ""
    options: LipSyncOptions = field(default_factory=LipSyncOptions)
    warnings: tuple[str, ...] = ()
    words: str | None = None

    @property
    def extended_shapes(self) -> str:
        return self.options.animation.extended_shapes

    def curves(self, kind: str = "ue", *, fps: float | None = None, interpolation: str | None = None):
        """``(times (T,), weights (T, C), names)`` for ``kind`` in ue | rhubarb | oculus | vrm."""
        from .visemes import viseme_curves  # imported on use: the expression geometry costs ~30 ms

        return viseme_curves(list(self.cues), list(self.phones), self.duration, kind=kind,
                             interpolation=interpolation or self.options.interpolation,
                             fps=self._fps(fps))

    def _fps(self, fps: float | None) -> float:
        """``fps``, or the options' rate when None (0 was taken for None and gave that rate)."""
        if fps is None:
            return self.options.fps
        if not (is_number(fps) and 0 < fps <= 1000):
            raise ParameterError(f"fps must be in (0, 1000], got {fps!r}")
        return fps

    def track(self, *, fps: float | None = None, interpolation: str | None = None):
        """The mouth as an :class:`ExpressionTrack` that owns only the ``speech`` region.

        Weights outside ``region_mask('speech')`` are 0, eyes open, head level; merge it over a
        mood with ``merge_tracks(mood, lip, 'speech')``.
        """
        from ..expressions.regions import region_mask
        from ..expressions.track import ExpressionTrack

        fps = self._fps(fps)
        interp = interpolation or self.options.interpolation
        t, w, _ = self.curves("ue", fps=fps, interpolation=interp)
        w = w * region_mask("speech")[None]
        meta = {"source": "facemimic.lipsync", "region": "speech", "regions": ["jaw", "mouth", "tongue"],
                "method": self.method, "interpolation": interp, "sound_file": self.sound_file}
        return ExpressionTrack.from_arrays({"time": t, "weights": w}, fps=fps, metadata=meta)

    def write(self, path: str | Path, fmt: str | None = None, **options) -> Path:
        """Write a Rhubarb/phones/curves file (see :mod:`.formats`)."""
        from .formats import write

        kw = {"fps": self.options.fps, "interpolation": self.options.interpolation, **options}
        return write(self, path, fmt, **kw)


def from_phones(phones: list[Phone], duration: float, *, options: LipSyncOptions | None = None,
                method: str = "given", sound_file: str = "", warnings: tuple[str, ...] = ()) -> LipSyncResult:
    """Animate known phones (e.g. from ``facemimic say`` or your own TTS) without any audio.

    Parameters
    ----------
    phones : list of Phone
        Timed phones (``Phone(start, end, name)``, ARPAbet names, ``SIL`` for silence), in order;
        ``facemimic.say(text).phones`` gives the exact ones the built-in voice spoke.
    duration : float
        Seconds of the utterance (phones starting later are dropped).
    options : LipSyncOptions, optional
        Frame rate, interpolation and mouth-shape rules.
    method, sound_file, warnings
        Recorded in the result (what produced the phones, which sound they belong to).

    Returns
    -------
    LipSyncResult
        The same result type as :func:`lipsync`: ``cues``, ``phones``, ``track()``, ``curves()``,
        ``write()``.

    Raises
    ------
    ParameterError
        An item that is not a :class:`Phone`, a phone whose span is not finite or ends before it
        starts, a negative or non-finite ``duration``; :class:`UnknownNameError` for a phone name
        that is not ARPAbet, ``SIL`` or ``NOISE`` (with the close ones: ``"ah"`` -> ``AH``).
    """
    opt = check_options(options, LipSyncOptions) or LipSyncOptions()
    if not is_number(duration) or duration < 0 or not np.isfinite(duration):
        raise ParameterError(f"duration must be a finite number >= 0, got {duration!r}")
    return _animate_phones(_checked_phones(phones), duration, opt, method, sound_file, warnings)


def _animate_phones(phones: list[Phone], duration: float, opt: LipSyncOptions, method: str, sound_file: str,
                    warnings: tuple[str, ...]) -> LipSyncResult:
    """:func:`from_phones` once its inputs are checked (lip sync's own phones go straight here)."""
    phones = merge_silence([p for p in phones if p.start < duration])
    cues = animate(phones, duration, opt.animation) if duration > 0 else []
    # The recogniser decodes each speech segment re-cut 87 ms either side of its speech
    # (recognize.anchor_segment), so a file that starts or ends on speech gave phones from -0.08 s
    # or past its end (phones.tsv rows at negative times). The result keeps them inside the sound;
    # the cues, curves and track, which never looked outside [0, duration], are unchanged.
    inside = tuple(Phone(max(p.start, 0.0), min(p.end, duration), p.name, p.word)
                   for p in phones if p.end > 0 and p.start < duration)
    return LipSyncResult(inside, tuple(cues), float(duration), method, sound_file, opt, tuple(warnings))


def _checked_phones(phones) -> list[Phone]:
    """``phones`` as a list, each a :class:`Phone` with a known name and a finite span, else one
    :class:`ParameterError` naming the phone (an unknown name, e.g. lower-case ``"ah"``, drew a
    wrong mouth shape; a reversed or NaN span vanished)."""
    if hasattr(phones, "phones") and hasattr(phones, "audio"):  # a voice.Speech
        raise ParameterError("phones must be a list of Phone: for a say() result pass "
                             "speech.phones and speech.duration")
    if isinstance(phones, (str, bytes)) or not isinstance(phones, Iterable):
        raise ParameterError(f"phones must be a list of Phone, got {type(phones).__name__}")
    out = list(phones)
    for i, p in enumerate(out):
        if not isinstance(p, Phone):
            raise ParameterError(f"phone {i} must be a Phone(start, end, name), got {type(p).__name__} {p!r:.60}")
        if p.name not in PHONE_NAMES:
            raise UnknownNameError(f"phone {i}: unknown phone name {p.name!r}{suggest(str(p.name), PHONE_NAMES)}; "
                                   "names are ARPAbet without stress (AA … ZH), SIL or NOISE")
        if not (is_number(p.start) and is_number(p.end) and np.isfinite(p.start) and np.isfinite(p.end)
                and p.start <= p.end):
            raise ParameterError(f"phone {i} ({p.name}): start and end must be finite seconds with start <= end, "
                                 f"got {p.start!r} to {p.end!r}")
    return out


def _audio_blocks(audio, sample_rate: int | None, block: float):
    """(iterator of int16 16 kHz blocks, sound_file name, expected duration or None, info dict)."""
    from ..common.audio import as_pcm16, audio_info, iter_audio

    if isinstance(audio, (str, Path)):
        path = Path(audio)
        info = audio_info(path)
        return iter_audio(path, block=block), str(path.resolve()), info.get("duration"), info
    if hasattr(audio, "audio") and hasattr(audio, "sample_rate"):  # a voice.Speech
        audio, sample_rate = audio.audio, audio.sample_rate
    if not isinstance(audio, (np.ndarray, list, tuple)):
        raise ParameterError(f"audio must be a file path, samples (np.ndarray) or a say() result, "
                             f"got {type(audio).__name__}")
    if sample_rate is None:
        raise ParameterError("sample_rate is required when audio is an array")
    if not (is_number(sample_rate) and np.isfinite(sample_rate)):
        raise ParameterError(f"sample_rate must be a number of Hz, got {sample_rate!r}")
    pcm = as_pcm16(np.asarray(audio), int(sample_rate))
    n = int(block * SAMPLE_RATE)
    return (pcm[i:i + n] for i in range(0, len(pcm), n)), "", len(pcm) / SAMPLE_RATE, \
        {"sample_rate": sample_rate, "channels": 1}


def resolve_transcript_language(language: str | None, text: str | None, *,
                                source: str = "the transcript") -> str:
    """The espeak-ng language code lip sync uses for ``language`` and a transcript.

    ``None`` keeps English; ``"auto"`` guesses from the transcript (English without one); an
    unknown code raises :class:`~facemimic.errors.UnknownNameError` with suggestions, and a
    transcript written in another script than the language, or a Japanese one with kanji
    (espeak-ng cannot read them), a :class:`ParameterError`.
    """
    from ..phonetics.kana import JAPANESE, require_kana
    from ..phonetics.languages import AUTO, ENGLISH, check_script, guess_language, resolve_language

    if language is None:
        return ENGLISH
    has_text = text is not None and text.strip() != ""
    if language.strip().lower() == AUTO:
        code = guess_language(text) if has_text else ENGLISH
    else:
        lang = resolve_language(language)
        if has_text:
            check_script(text, lang, source=source)
        code = lang.code
    if has_text and code == JAPANESE:
        require_kana(text, source=source)
    return code


def lipsync(audio, *, text: str | None = None, sample_rate: int | None = None,
            language: str | None = None, options: LipSyncOptions | None = None,
            progress: Callable[[float, float | None], None] | None = None) -> LipSyncResult:
    """Lip-sync an audio file or signal.

    Parameters
    ----------
    audio : str, Path, np.ndarray [shape=(n,) or (n, channels)] or voice.Speech
        A file PyAV can read (WAV, FLAC, OGG, MP3, M4A, video) or samples (then ``sample_rate``).
    text : str, optional
        The transcript. Given, the words are force-aligned; if they do not match the audio the
        result falls back on recognition and says so in ``warnings``. Without one, phones are
        recognised; with ``options.transcribe``, English speech is first transcribed by the built-in
        recogniser and its words aligned (``result.words`` says what it heard).
    language : str, optional
        The transcript's language (``de``, ``fr``, ``es``, ``it``, ``ja`` … any espeak-ng
        language, or ``auto`` to guess it from the transcript); default English (or
        ``options.recognizer.language``). Its words are pronounced by espeak-ng's rules for that
        language and mapped to the aligner's phones through articulatory features. Without a
        transcript the phones are recognised the same way in every language.
    progress : callable, optional
        Called as ``progress(seconds_done, total_seconds_or_None)``.

    Returns
    -------
    LipSyncResult
    """
    from .recognize import recognize_phones
    from .vad import SpeechSegmenter

    opt = check_options(options, LipSyncOptions) or LipSyncOptions()
    if text is not None and not isinstance(text, str):
        raise ParameterError(f"text must be the transcript as a str, got {type(text).__name__}")
    if language is not None:
        code = resolve_transcript_language(language, text)
        opt = dataclasses.replace(opt, recognizer=dataclasses.replace(opt.recognizer, language=code))
    blocks, sound_file, expected, info = _audio_blocks(audio, sample_rate, opt.block)
    label = sound_file or "audio"
    warnings: list[str] = []
    if info.get("sample_rate") and info["sample_rate"] < 16000:
        warnings.append(f"{label}: {info['sample_rate']} Hz audio (telephone quality) was upsampled; "
                        "expect lower accuracy")
    use_align = text is not None and text.strip() != ""
    if text is not None and not use_align:
        warnings.append(f"{label}: the transcript is empty; recognising phones instead")
    if use_align and expected is not None and expected > opt.max_align_duration:
        warnings.append(f"{label}: {expected:.0f} s is too long to align in one piece "
                        f"(> {opt.max_align_duration:.0f} s); recognising phones instead")
        use_align = False

    from ..phonetics.languages import is_english

    # English without a transcript: the words are heard first (transcribe.py) and aligned
    hear = (not use_align and opt.transcribe and is_english(opt.recognizer.language)
            and (expected is None or expected <= opt.max_align_duration))
    if hear:
        why = _transcriber_unavailable()
        if why is not None:  # asked to hear, and it cannot here (no wheel, or the CPU): say so
            hear = False
            warnings.append(f"{label}: {why}; recognising phones instead")
    keep = use_align or hear
    seg = SpeechSegmenter(opt.vad, sample_rate=SAMPLE_RATE)
    phones: list[Phone] = []
    kept: list[np.ndarray] = []  # whole audio, only when aligning
    spans: list[tuple[float, float]] = []
    n_total = n_clipped = 0
    for b in blocks:
        n_total += len(b)
        n_clipped += int(np.count_nonzero((b >= 32700) | (b <= -32700)))
        for start, x in seg.push(b):
            spans.append((start / SAMPLE_RATE, (start + len(x)) / SAMPLE_RATE))
            if keep:
                continue
            phones += recognize_phones(x, offset=start / SAMPLE_RATE, options=opt.recognizer)
        if keep:
            kept.append(b)
        if progress:
            progress(n_total / SAMPLE_RATE, expected)
    for start, x in seg.flush():
        spans.append((start / SAMPLE_RATE, (start + len(x)) / SAMPLE_RATE))
        if not keep:
            phones += recognize_phones(x, offset=start / SAMPLE_RATE, options=opt.recognizer)
    duration = n_total / SAMPLE_RATE
    if n_total == 0:
        raise InputError(label, "contains no audio samples (0 s)")
    if n_clipped > 0.01 * n_total:
        warnings.append(f"{label}: {100 * n_clipped / n_total:.1f} % of samples are clipped; "
                        "recognition may suffer")
    method = "align" if use_align else "recognize"
    if not spans:
        if use_align:
            warnings.append(f"{label}: no speech found, but a transcript was given; mouth kept at rest")
        else:
            warnings.append(f"{label}: no speech found; mouth kept at rest")
        return _animate_phones([Phone(0.0, duration, SILENCE)], duration, opt, "empty", sound_file, tuple(warnings))
    words = None
    pcm = np.concatenate(kept) if keep else None  # the whole sound, when aligning or hearing
    del kept
    workers = opt.workers or _cpu_workers()
    if hear:
        from .transcribe import transcribe_spans

        words = transcribe_spans(pcm, spans, workers=workers)
        if words:
            text, use_align, method = words, True, "transcribe"
        else:  # nothing it could call a word (a hum, a cough): the phones as heard
            phones = _recognise_spans(pcm, spans, opt.recognizer)
    if use_align:
        from .align import AlignmentError, align

        a = max(int((spans[0][0] - 0.2) * SAMPLE_RATE), 0)  # align only the speech span (speed)
        b = min(int((spans[-1][1] + 0.2) * SAMPLE_RATE), len(pcm))
        phones, error = [], None
        # pocketsphinx's alignment grammar sometimes fails to finish at one frame rate and
        # succeeds at another (phones shorter than 3 frames); try the configured rate, then 100
        # and 200 fps, before concluding that the transcript does not match. (The configured rate
        # is 150 fps in English, 120 in other languages: recognize.FOREIGN_ALIGN_FRAME_RATE.)
        from .recognize import alignment_rate

        rates = list(dict.fromkeys([alignment_rate(opt.recognizer), 100, 200]))
        for k, rate in enumerate(rates):
            ropt = dataclasses.replace(opt.recognizer, align_frame_rate=rate)
            span = (a, b) if k == 0 else (0, len(pcm))
            # the speech the VAD found, in samples of the aligned span (pieces are cut between)
            inner = [(max(int(s0 * SAMPLE_RATE) - span[0], 0), min(int(s1 * SAMPLE_RATE) - span[0], span[1] - span[0]))
                     for s0, s1 in spans]
            try:
                phones = align(pcm[span[0]:span[1]], text, offset=span[0] / SAMPLE_RATE, options=ropt,
                               spans=inner, workers=workers)
                error = None
                break
            except AlignmentError as e:
                error = e
        if error is not None:
            e = error
            if method == "transcribe":
                warnings.append(f"{label}: the words heard ({_short(words)}) could not be aligned; "
                                "recognising phones instead")
            else:
                warnings.append(f"{label}: {e}; recognising phones instead")
            method = "recognize"
            phones = _recognise_spans(pcm, spans, opt.recognizer)
    if not any(p.name != SILENCE for p in phones):
        warnings.append(f"{label}: no speech sounds recognised; mouth kept at rest")
    res = _animate_phones(phones, duration, opt, method, sound_file, tuple(warnings))
    return dataclasses.replace(res, words=words) if method == "transcribe" else res


def _recognise_spans(pcm: np.ndarray, spans: list[tuple[float, float]], options) -> list[Phone]:
    """Phones recognised in each speech span (s) of the whole 16 kHz sound ``pcm`` (n,) int16."""
    from .recognize import recognize_phones

    phones: list[Phone] = []
    for s0, s1 in spans:
        phones += recognize_phones(pcm[int(s0 * SAMPLE_RATE):int(s1 * SAMPLE_RATE)], offset=s0, options=options)
    return phones


def _cpu_workers() -> int:
    from .forked import cpu_workers

    return cpu_workers()


def _transcriber_unavailable() -> str | None:
    """Why the speech recogniser cannot hear on this machine (None: it can)."""
    from .transcribe import unavailable_reason

    return unavailable_reason()


def _short(words: str | None, most: int = 8) -> str:
    w = (words or "").split()
    return "'" + " ".join(w[:most]) + (" …'" if len(w) > most else "'")
