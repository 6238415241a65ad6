"""Audio in and out, shared by lip sync, the video writer and the animation drivers: any file PyAV
can decode (WAV, FLAC, OGG, MP3, M4A, the audio of a video), any rate and channel count, delivered as
16 kHz mono int16 — the format pocketsphinx wants.

:func:`iter_audio` streams fixed-size blocks so an hour-long file never sits in memory;
:func:`load_audio` is the convenience for short clips. Errors name the file and the problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import InputError, ParameterError

SAMPLE_RATE = 16000  # pocketsphinx en-us acoustic model rate
# Plausible sample rates. Real audio runs from 8 kHz (telephone; 4 kHz leaves room for old
# formats) to 768 kHz (the highest rate pro interfaces offer). A header outside that range lies:
# a WAV claiming 7 Hz would make 2 s of speech "last" 100 minutes and lipsync chew on it.
MIN_SAMPLE_RATE = 4_000
MAX_SAMPLE_RATE = 768_000


def open_audio(path: str | Path):
    """Open ``path`` with PyAV for its first audio stream, refusing what cannot be audio.

    The one place FaceMimic opens audio files (``lipsync``, ``say``'s readers, ``animate
    --audio``, ``avatar render --audio``): missing, empty, folder, undecodable, no audio track
    and implausible sample rates (outside :data:`MIN_SAMPLE_RATE` .. :data:`MAX_SAMPLE_RATE`)
    all raise :class:`InputError` naming the file. The caller closes the returned container.
    """
    return _open(Path(path))


def _open(path: Path):
    import av

    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty (0 bytes)")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise InputError(path, f"not a readable audio or video file ({e.__class__.__name__}: "
                               f"{getattr(e, 'strerror', None) or e})") from None
    if not container.streams.audio:
        container.close()
        raise InputError(path, "has no audio track")
    rate = container.streams.audio[0].codec_context.sample_rate
    if rate and not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:  # 0: unknown until decoded
        container.close()
        raise InputError(path, f"implausible sample rate {rate} Hz in the file header (audio is "
                               f"{MIN_SAMPLE_RATE // 1000} kHz to {MAX_SAMPLE_RATE // 1000} kHz); "
                               "the file is damaged or mislabelled")
    return container


def _plain_wav(path: Path, sample_rate: int = SAMPLE_RATE):
    """An open ``wave`` reader when ``path`` is a 16-bit PCM mono WAV at ``sample_rate``, else None.

    Such files need no decoding and no resampling: reading them with the standard library
    spares importing PyAV (~0.05 s of a lip-sync run's start-up). Anything else, damaged files
    included, goes through PyAV and its checks.
    """
    import wave

    try:
        w = wave.open(str(path), "rb")
    except (wave.Error, EOFError, OSError, ValueError):
        return None
    if (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getcomptype()) != (1, 2, sample_rate, "NONE") \
            or w.getnframes() == 0:
        w.close()
        return None
    return w


def audio_info(path: str | Path) -> dict:
    """``{"duration": s or None, "sample_rate": Hz, "channels": n, "codec": name}`` of a file."""
    path = Path(path)
    w = _plain_wav(path)
    if w is not None:
        with w:  # a truncated file holds fewer frames than its header says (44: the usual header)
            frames = min(w.getnframes(), max(path.stat().st_size - 44, 0) // 2)
            return {"duration": frames / w.getframerate(), "sample_rate": w.getframerate(),
                    "channels": 1, "codec": "pcm_s16le"}
    c = _open(path)
    try:
        s = c.streams.audio[0]
        dur = None
        if s.duration is not None and s.time_base is not None:
            dur = float(s.duration * s.time_base)
        elif c.duration is not None:
            dur = c.duration / 1_000_000
        return {"duration": dur, "sample_rate": s.codec_context.sample_rate,
                "channels": s.codec_context.channels, "codec": s.codec_context.name}
    finally:
        c.close()


def iter_audio(path: str | Path, *, block: float = 10.0, sample_rate: int = SAMPLE_RATE) -> Iterator[np.ndarray]:
    """Decode ``path`` to mono int16 at ``sample_rate`` and yield blocks of ``block`` seconds.

    Memory stays flat however long the file is (one block plus the decoder's buffers).

    Yields
    ------
    np.ndarray [shape=(n,), dtype=int16]
        The last block may be shorter.
    """
    path = Path(path)
    if block <= 0:
        raise ParameterError(f"block must be positive, got {block!r}")
    n_block = int(round(block * sample_rate))
    w = _plain_wav(path, sample_rate)
    if w is not None:  # already what pocketsphinx wants: the same samples PyAV would give
        with w:
            while True:
                data = w.readframes(n_block)
                if len(data) < 2:
                    return
                yield np.frombuffer(data[:len(data) // 2 * 2], "<i2").astype(np.int16)
    import av

    c = _open(path)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
    buf: list[np.ndarray] = []
    have = 0
    decoded_any = False
    try:
        stream = c.streams.audio[0]
        try:
            for frame in c.decode(stream):
                decoded_any = True
                for out in resampler.resample(frame):
                    a = out.to_ndarray().reshape(-1)
                    buf.append(a)
                    have += len(a)
                    while have >= n_block:
                        joined = np.concatenate(buf)
                        yield joined[:n_block].astype(np.int16, copy=False)
                        rest = joined[n_block:]
                        buf, have = ([rest] if len(rest) else []), len(rest)
            for out in resampler.resample(None):
                a = out.to_ndarray().reshape(-1)
                buf.append(a)
                have += len(a)
        except av.error.FFmpegError as e:
            if not decoded_any:
                raise InputError(path, f"cannot decode audio ({e})") from None
            # A truncated tail: keep what decoded, as players do.
    finally:
        c.close()
    if not decoded_any:
        raise InputError(path, "no audio could be decoded (corrupt or empty stream)")
    if have:
        joined = np.concatenate(buf)
        while len(joined):
            yield joined[:n_block].astype(np.int16, copy=False)
            joined = joined[n_block:]


def load_audio(path: str | Path, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The whole file as mono int16 at ``sample_rate`` (shape ``(n,)``)."""
    blocks = list(iter_audio(path, block=60.0, sample_rate=sample_rate))
    return np.concatenate(blocks) if blocks else np.zeros(0, np.int16)


def as_pcm16(audio: np.ndarray, sample_rate: int, *, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Convert an in-memory signal to mono int16 at ``target_rate``.

    Parameters
    ----------
    audio : np.ndarray [shape=(n,) or (n, channels)]
        int16, or float in [-1, 1] (finite: a NaN or inf sample is a :class:`ParameterError`).
    sample_rate : int
        Rate of ``audio``.
    """
    if not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
        raise ParameterError(f"sample rate must be {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} Hz, got {sample_rate!r}")
    a = np.asarray(audio)
    if a.ndim == 2:
        a = a.mean(axis=1) if a.shape[1] <= 8 else a.mean(axis=0)
    if a.ndim != 1:
        raise ParameterError(f"audio must be (n,) or (n, channels), got shape {np.shape(audio)}")
    if a.dtype.kind not in "iuf":
        raise ParameterError(f"audio samples must be integers or floats in [-1, 1], got dtype {a.dtype}")
    if a.dtype.kind == "f":
        x = a.astype(np.float64)
        bad = ~np.isfinite(x)
        if bad.any():  # NaN became silence (lip sync then found "no speech"), inf a full-scale click
            i = int(np.argmax(bad))
            what = "every sample" if bad.all() else f"{int(bad.sum())} of {len(x)} samples"
            raise ParameterError(f"audio has non-finite samples (NaN or inf): {what}, the first at sample {i} "
                                 f"({i / sample_rate:.3f} s); silence is zeros (a signal divided by its own "
                                 f"zero peak gives NaN)")
        x = np.clip(x, -1.0, 1.0) * 32767.0
    else:
        x = a.astype(np.float64)
        if a.dtype.itemsize > 2:
            x = x / (2 ** (8 * a.dtype.itemsize - 16))
    if sample_rate != target_rate and len(x):
        x = resample(x, sample_rate, target_rate)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited polyphase resampling (scipy) of a 1-D signal."""
    from math import gcd

    from scipy.signal import resample_poly

    if rate_in <= 0 or rate_out <= 0:
        raise ParameterError(f"sample rates must be positive, got {rate_in} -> {rate_out}")
    g = gcd(int(rate_in), int(rate_out))
    return resample_poly(x, int(rate_out) // g, int(rate_in) // g)


def check_wav_path(path: str | Path) -> None:
    """Refuse an output name that does not end in ``.wav``: :func:`write_wav` writes WAV bytes
    only, and a WAV named ``.mp3`` or ``.ogg`` misleads every player and tool that trusts the name.

    Raises
    ------
    OutputError
        ``<path>: ...`` when the extension is not ``.wav`` (any case).
    """
    from ..errors import OutputError

    if Path(path).suffix.lower() != ".wav":
        got = f"extension '{Path(path).suffix}'" if Path(path).suffix else "no extension"
        raise OutputError(path, f"speech is written as WAV, got {got}; end the name in .wav")


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int) -> Path:
    """Write mono int16 PCM as a WAV file atomically (``path`` must end in ``.wav``)."""
    import wave

    from ..common.files import AtomicFile

    check_wav_path(path)
    a = np.asarray(audio)
    if a.dtype != np.int16:
        a = as_pcm16(a, sample_rate, target_rate=sample_rate)
    with AtomicFile(path, "wb") as out:
        with wave.open(out.file, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(int(sample_rate))
            w.writeframes(a.astype("<i2").tobytes())
    return out.path
