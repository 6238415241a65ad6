"""Phone recognition with pocketsphinx 5 (its wheel ships the en-us model, CMUdict and a phone LM).

Without a transcript, speech segments found by :mod:`.vad` are decoded with pocketsphinx's
*allphone* search (a phone loop weighted by the phone bigram LM). The decoders run faster than the
model's usual 100 frames per second (115 for recognition, 150 for English alignment, 120 for other
languages' alignment: FOREIGN_ALIGN_FRAME_RATE): pocketsphinx's
three-state phone HMMs need at least three frames per phone, and fast speech has 10–25 ms
consonants that 10 ms frames cannot fit. Measured on the evaluation set this lifts macro shape
recall by 6-8 points and bilabial closure recall by 10 (docs/lipsync.md). Decoders are loaded
once per process and reused.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass

import numpy as np

from ..errors import ModelAssetError, ParameterError
from ..phonetics.phones import ARPABET, SILENCE, Phone, merge_silence
from .vad import VadOptions


@dataclass(frozen=True)
class RecognizerOptions:
    """pocketsphinx tuning (defaults measured on the evaluation set)."""

    frame_rate: int = 115  # feature frames/s of phone recognition (pocketsphinx's default is 100)
    align_frame_rate: int | None = None  # frames/s of forced alignment; None: 150 in English, else FOREIGN_ALIGN_FRAME_RATE
    language_weight: float = 2.0  # phone-LM weight of the allphone search
    beam: float = 1e-15  # HMM beam of the allphone search (1e-20 scored the same, 10 % slower)
    topn: int = 4  # Gaussians scored per mixture in recognition (pocketsphinx default 4)
    align_topn: int = 2  # ... in alignment: 2 is twice as fast and loses ~1 point (docs/journal/lipsync.md)
    align_beam: float = 1e-30  # HMM beam of alignment (1e-48 default: 10 % slower, no better)
    closure_detector: bool = True  # insert P/B/M the phone loop missed (acoustic detector, bilabial.py)
    closure_threshold: float | None = None  # detector threshold; None = the one trained with the weights
    frame_classes: bool = True  # other languages: re-label phones by the frame-shape classifier (frame_classes.py)
    closure_classifier: bool = True  # English: keep/add closures by the candidate classifier (closure_candidates.py)
    language: str = "en-us"  # transcript's language (espeak-ng code): CMUdict for English, else espeak-ng G2P

    def __post_init__(self) -> None:
        for name in ("frame_rate", "align_frame_rate"):
            if getattr(self, name) is None and name == "align_frame_rate":
                continue
            if not 50 <= getattr(self, name) <= 400:
                raise ParameterError(f"{name} must be 50..400, got {getattr(self, name)!r}")
        if not 0 < self.language_weight <= 20:
            raise ParameterError(f"language_weight must be in (0, 20], got {self.language_weight!r}")
        if not (1 <= self.topn <= 16 and 1 <= self.align_topn <= 16):
            raise ParameterError(f"topn must be 1..16, got {self.topn!r}/{self.align_topn!r}")
        if not (0 < self.beam < 1 and 0 < self.align_beam < 1):
            raise ParameterError(f"beam must be in (0, 1), got {self.beam!r}")
        if self.closure_threshold is not None and not 0 < self.closure_threshold < 1:
            raise ParameterError(f"closure_threshold must be in (0, 1), got {self.closure_threshold!r}")
        from ..phonetics.languages import is_english

        if not is_english(self.language):  # an unknown code fails here, with suggestions
            from ..phonetics.languages import resolve_language

            resolve_language(self.language)


# Other languages are aligned with the English acoustic model: their sounds fit its phones less
# well, and the English beam pruned the only path through some sentences (5 of 12 Spanish and
# Italian ones failed at 1e-30). pocketsphinx's default beam keeps them.
# (At the 120 frames/s below, 1e-80 aligns every evaluation, held-out and espeak-ng sentence
# exactly as 1e-100 did, 3-5 % faster; 1e-60 lost 0.3 points in German.)
FOREIGN_ALIGN_BEAM = float(os.environ.get("FACEMIMIC_FOREIGN_ALIGN_BEAM", "1e-80"))
# ... and their best path lags: a sound the English model knows badly holds the path in its
# states (pocketsphinx's phone insertion penalty 1 does not push it on), so by the end of the
# audio it has not reached the last word. A bonus for entering the next phone moves it along
# (chosen on the de/fr/es/it evaluation sets: 3 left 2 Spanish sentences unaligned, 10 and 30
# scored alike with 30 faster on Spanish (31x CPU instead of 21x: no halves needed), 100 and
# above lost German points). The beam was chosen on the same sets; held-out sentences
# (evalset.LANGUAGE_HELDOUT) check both. (Forbidding the optional silence between words
# gained 0.5-1.5 points on those sets but misplaced whole words after a real pause in a
# held-out German sentence, so pocketsphinx's silence probability stays.)
FOREIGN_PHONE_BONUS = float(os.environ.get("FACEMIMIC_FOREIGN_PHONE_BONUS", "30"))
# ... and at 120 frames/s instead of English's 150. The 150 was measured on English (fast
# consonants need three frames); with the phone bonus above, other languages align better at
# fewer frames: macro recall with a transcript rose in every language on the evaluation sets
# (de 79.6 -> 80.7, fr 82.4 -> 83.0, es 78.9 -> 79.8, it 76.0 -> 77.2) and by 9-11 points on
# FaceMimic's own espeak-ng voice (100 frames/s scored higher on the MBROLA sets but lower on
# espeak's), every closure kept, and alignment costs a quarter less CPU (docs/lipsync.md).
ENGLISH_ALIGN_FRAME_RATE = 150
FOREIGN_ALIGN_FRAME_RATE = int(os.environ.get("FACEMIMIC_FOREIGN_ALIGN_FRAME_RATE", "120"))
# Without a transcript the phone loop is English (the only model in the wheel); its phone
# bigram weighted 1 instead of 2 lifted macro recall 1-1.7 points in each of de/fr/es/it.
FOREIGN_LANGUAGE_WEIGHT = float(os.environ.get("FACEMIMIC_FOREIGN_LANGUAGE_WEIGHT", "1.0"))
# A phone LM of the language's own (phone_lm.py: espeak-ng's pronunciation of prose in that
# language, in the English model's phones) is OFF: at weight 2 it cut the phone error rate in
# German by 6 points, but macro shape recall moved -2.3..+1.9 points by language and setting
# (weight 1-2, bigram or trigram, mixed with the English LM or not), never up in all four, and
# fell 2-4 points on held-out German and Spanish (docs/journal/lipsync.md, Languages). FACEMIMIC_FOREIGN_PHONE_LM=1 turns it on for experiments.
FOREIGN_PHONE_LM = os.environ.get("FACEMIMIC_FOREIGN_PHONE_LM", "0") not in ("", "0")
# Without a transcript, in every language but English, the recognised phones' mouth shapes are
# corrected by a frame classifier trained on many languages and voices (frame_classes.py;
# docs/journal/lipsync.md, Round 8: macro recall +7..+17 points in de/fr/es/it, closures unchanged).
# FACEMIMIC_FRAME_CLASSES=0 turns it off for before/after measurements (RecognizerOptions(frame_classes=False)).
FRAME_CLASSES = os.environ.get("FACEMIMIC_FRAME_CLASSES", "1") not in ("", "0")
# Without a transcript, in English, every closure candidate (recognised P/B/M, detector run, run of
# closed-lip frames) is kept or dropped by a small classifier trained on real and synthetic voices
# (closure_candidates.py; docs/journal/lipsync.md, Real voices, session 8: real held-out closures
# 88.4 / 57.6 -> 90.7 / 71.7 % recall / precision). FACEMIMIC_CLOSURE_CLASSIFIER=0 (or
# RecognizerOptions(closure_classifier=False), or an explicit closure_threshold) keeps the
# detector's own combination (bilabial.add_missed_closures), as other languages do.
CLOSURE_CLASSIFIER = os.environ.get("FACEMIMIC_CLOSURE_CLASSIFIER", "1") not in ("", "0")



def alignment_rate(options: RecognizerOptions) -> int:
    """Feature frames per second of forced alignment: ``options.align_frame_rate``, or when it
    is None, 150 for English and :data:`FOREIGN_ALIGN_FRAME_RATE` for any other language."""
    if options.align_frame_rate is not None:
        return int(options.align_frame_rate)
    from ..phonetics.languages import is_english

    return ENGLISH_ALIGN_FRAME_RATE if is_english(options.language) else FOREIGN_ALIGN_FRAME_RATE


_CACHE: dict[tuple, object] = {}
_CACHE_LOCK = threading.Lock()


def model_paths() -> dict[str, str]:
    """Paths of the en-us acoustic model, dictionary and phone LM inside the pocketsphinx wheel."""
    return dict(_model_paths())


@functools.lru_cache(maxsize=1)
def _model_paths() -> dict[str, str]:
    # found once per process: ``get_model_path`` asks the import system, and alignment asks per word
    try:
        from pocketsphinx import get_model_path
    except ImportError as e:  # pragma: no cover - declared dependency
        raise ModelAssetError(f"pocketsphinx is not installed ({e})") from None
    root = os.path.join(get_model_path(), "en-us")
    paths = {"hmm": os.path.join(root, "en-us"), "dict": os.path.join(root, "cmudict-en-us.dict"),
             "allphone": os.path.join(root, "en-us-phone.lm.bin")}
    for k, p in paths.items():
        if not os.path.exists(p):
            raise ModelAssetError(f"pocketsphinx model file missing: {p} ({k})")
    return paths


def decoder(kind: str, options: RecognizerOptions | None = None):
    """A cached ``pocketsphinx.Decoder``: ``kind`` is ``"allphone"``, ``"align"`` or ``"align-coarse"``.

    Decoders are not thread-safe; callers hold ``decoder_lock(kind, options)`` while using one.
    """
    from pocketsphinx import Decoder

    from ..phonetics.languages import is_english

    opt = options or RecognizerOptions()
    key = (kind, opt)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key][0]
        p = model_paths()
        # dithered() needs numpy.random (~20 ms CPU: it loads secrets/hashlib): loaded here, with
        # the model, a long file's forked alignment workers inherit it instead of each loading it.
        import numpy.random  # noqa: F401
        # No dictionary: parsing CMUdict costs ~0.1 s per decoder; the phone loop does not use it,
        # and alignment loads just the transcript's words (dictionary.load_words).
        if kind == "align-coarse":  # word boundaries only, to cut long files: cheap settings
            common = dict(hmm=p["hmm"], dict=None, lm=None, loglevel="FATAL", frate=100, ds=2, topn=2)
        else:
            rate = alignment_rate(opt) if kind == "align" else opt.frame_rate
            common = dict(hmm=p["hmm"], dict=None, lm=None, loglevel="FATAL", frate=rate,
                          topn=opt.align_topn if kind == "align" else opt.topn)
            if kind == "align":
                # The word pass's result is the Viterbi backtrace, not a best path through a word
                # lattice: the lattice adds a one-frame <s>/</s> word wherever several words
                # could start or end the utterance, on which the phone pass then failed (2 of
                # the 40 tuning sentences, 5 of 12 pieces of the joined evaluation file).
                beam = opt.align_beam if is_english(opt.language) else min(opt.align_beam, FOREIGN_ALIGN_BEAM)
                common.update(beam=beam, wbeam=min(beam * 1e10, 1e-10), bestpath=False)
                if not is_english(opt.language):
                    common.update(pbeam=beam, pip=FOREIGN_PHONE_BONUS)
        if kind == "allphone":
            lm, lw = phone_loop_settings(opt)
            d = Decoder(allphone=lm, lw=lw, beam=opt.beam, pbeam=opt.beam, **common)
        elif kind in ("align", "align-coarse"):
            d = Decoder(**common)
        else:
            raise ParameterError(f"unknown decoder kind {kind!r}")
        _CACHE[key] = (d, threading.Lock())
        _INITIAL_CMN[id(d)] = d.get_cmn()
        return d


def phone_loop_settings(options: RecognizerOptions) -> tuple[str, float]:
    """The phone loop's LM file and weight for ``options.language`` (offline and live alike)."""
    from ..phonetics.languages import is_english

    p = model_paths()
    if is_english(options.language):
        return p["allphone"], options.language_weight
    # the phone bigram is English phonotactics: other languages lean on it less
    lm = p["allphone"]
    if FOREIGN_PHONE_LM:
        from .phone_lm import has_phone_lm, phone_lm_path

        if has_phone_lm(options.language):
            lm = str(phone_lm_path(options.language))
    return lm, min(options.language_weight, FOREIGN_LANGUAGE_WEIGHT)


def language_phones(phones: list[Phone], language: str) -> list[Phone]:
    """Recognised phones moved into ``language``'s vowel inventory (unchanged in English).

    The English loop hears Spanish/Italian "a" as AH/AE (half open) as often as AA: vowels the
    language lacks move to its nearest one (phonetics/inventory.py; es +12.7 points). Offline
    recognition and :class:`~facemimic.lipsync.live.LiveLipSync` both call this.
    """
    from ..phonetics.languages import is_english

    if is_english(language):
        return list(phones)
    from ..phonetics.inventory import snap_vowels

    return snap_vowels(phones, language)


_INITIAL_CMN: dict[int, str] = {}


def start_fresh_utterance(d) -> None:
    """``d.start_utt()`` as if ``d`` had never heard anything before.

    pocketsphinx carries two running estimates from one utterance to the next: the noise level
    (reset by ``start_stream``) and the live cepstral mean. With a cached decoder both made a
    recognition depend on what the process had decoded before (the same sentence gave different
    phones after other audio); restoring the model's initial mean makes every call depend only on
    its own audio, in any order, in any process.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "unnecessary", but it is the reset
        d.start_stream()
    initial = _INITIAL_CMN.get(id(d))
    if initial is not None:
        d.set_cmn(initial)
    d.start_utt()


def decoder_lock(kind: str, options: RecognizerOptions | None = None) -> threading.Lock:
    decoder(kind, options)
    return _CACHE[(kind, options or RecognizerOptions())][1]


def dithered(pcm: np.ndarray) -> bytes:
    """PCM bytes with +-1 LSB of fixed-seed noise added.

    Digital silence gives log(0) filterbank energies; pocketsphinx's own ``-dither`` fixes that
    with a generator whose state carries over between utterances, which made results depend on
    call order. A fixed seed per call keeps every run reproducible.
    """
    x = np.asarray(pcm, np.int16)
    noise = np.random.default_rng(len(x)).integers(-1, 2, len(x), dtype=np.int16)
    return np.clip(x.astype(np.int32) + noise, -32768, 32767).astype(np.int16).tobytes()


def unit_name(word: str) -> str:
    """pocketsphinx unit -> our phone name (fillers such as ``+NSN+`` and ``SIL`` -> ``SIL``)."""
    w = word.upper()
    if w in ARPABET:
        return w
    return SILENCE


# Where a speech segment starts decides where the phone loop's 8.7 ms frames fall on the speech,
# and the loop is sensitive to that phase: one MBROLA sentence scored 72.5/52.7/68.0/72.2/57.7/72.5
# macro recall with 0/5/10/15/20/30 ms of leading silence, and a long file (whose VAD segments
# start on a 30 ms grid wherever each sentence happens to fall) scored differently from the same
# sentences cut apart (es held-out -3.1 points). Each segment is therefore re-cut a fixed distance
# from its first and last loud sample (anchor_segment), so the same speech is decoded at the same
# phase wherever it sits in a file. The lead, 80 ms plus 3/4 of a 115 frames/s frame, was chosen
# among four quarter-frame phases by a rule fixed before scoring: closure recall >= 85 % on every
# MBROLA evaluation set (de fr es it en; only this phase passed), then mean macro recall; the
# held-out sets were scored after (docs/journal/lipsync.md, Languages, round 7).
ANCHOR_LEAD = 1385  # samples at 16 kHz before the first / after the last loud sample
ANCHOR_LEVEL = VadOptions().min_rms  # int16 RMS over 5 ms that counts as loud: the VAD's own floor
_ANCHOR_WINDOW = 80  # samples (5 ms) of the RMS envelope


def anchor_segment(pcm: np.ndarray, offset: float = 0.0, *, sample_rate: int = 16000) -> tuple[np.ndarray, float]:
    """``pcm`` re-cut to run from :data:`ANCHOR_LEAD` samples before its first loud sample to as
    many after its last one (zeros added where the segment is shorter), and the new start time.

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,), dtype=int16]
        One speech segment (VAD padding included).
    offset : float
        Time of ``pcm[0]`` in the whole file.

    Returns
    -------
    (np.ndarray [shape=(m,), dtype=int16], float)
        The re-cut segment and the time of its first sample. A segment with no loud 5 ms
        stretch is returned unchanged.
    """
    x = np.asarray(pcm, np.int16)
    w = _ANCHOR_WINDOW
    if len(x) < w:
        return x, offset
    # windows may hang over either end (silence there), so speech at the very start of a file
    # is found where it would be found after any amount of silence
    padded = np.concatenate([np.zeros(w - 1), x.astype(np.float64), np.zeros(w - 1)])
    energy = np.concatenate([[0.0], np.cumsum(padded ** 2)])
    loud = np.flatnonzero((energy[w:] - energy[:-w]) >= w * ANCHOR_LEVEL ** 2) - (w - 1)
    if len(loud) == 0:
        return x, offset
    a, b = int(loud[0]) - ANCHOR_LEAD, int(loud[-1]) + w + ANCHOR_LEAD
    before, after = max(-a, 0), max(b - len(x), 0)
    if before or after:
        out = np.concatenate([np.zeros(before, np.int16), x[max(a, 0):min(b, len(x))], np.zeros(after, np.int16)])
    else:
        out = x[a:b]
    return out, offset + a / sample_rate


def recognize_phones(pcm: np.ndarray, *, offset: float = 0.0, sample_rate: int = 16000,
                     options: RecognizerOptions | None = None) -> list[Phone]:
    """Phone-loop recognition of one speech segment.

    Parameters
    ----------
    pcm : np.ndarray [shape=(n,), dtype=int16]
        16 kHz mono speech (one VAD segment, a few seconds).
    offset : float
        Time of ``pcm[0]`` in the whole file, added to every phone.

    Returns
    -------
    list of Phone
        Contiguous phones (``SIL`` between words where pocketsphinx heard silence or noise).
    """
    if sample_rate != 16000:
        raise ParameterError("pocketsphinx needs 16 kHz audio; resample first (audio.as_pcm16)")
    opt = options or RecognizerOptions()
    if len(pcm) < sample_rate // 20:  # under 50 ms: nothing to recognise
        return []
    pcm, offset = anchor_segment(pcm, offset)  # the same speech at the same frame phase anywhere
    d = decoder("allphone", opt)
    fr = float(opt.frame_rate)
    with decoder_lock("allphone", opt):
        start_fresh_utterance(d)
        d.process_raw(dithered(pcm), full_utt=True)
        d.end_utt()
        segs = [(s.word, s.start_frame, s.end_frame) for s in d.seg()]
    phones = merge_silence([Phone(offset + a / fr, offset + (b + 1) / fr, unit_name(w)) for w, a, b in segs])
    phones = language_phones(phones, opt.language)
    from ..phonetics.languages import is_english

    shapes_too = opt.frame_classes and FRAME_CLASSES and not is_english(opt.language)
    mel = None
    if opt.closure_detector:
        from .bilabial import (
            WIN,
            ClosureOptions,
            add_missed_closures,
            closure_probability,
            context_features,
            forward,
            load_weights,
            log_mel,
        )

        w = load_weights()
        copt = ClosureOptions(threshold=opt.closure_threshold or float(w["threshold"]),
                              min_frames=int(w["min_frames"]), peak=float(w.get("peak", 0.0)),
                              veto=float(w.get("veto", 0.0)))  # trained with real speech (issue #16 §3)
        classify = (opt.closure_classifier and CLOSURE_CLASSIFIER and opt.closure_threshold is None
                    and is_english(opt.language) and len(pcm) >= WIN)
        if (shapes_too or classify) and len(pcm) >= WIN:  # closure_probability(pcm), its spectra kept
            mel = log_mel(pcm)
            prob = forward(context_features(mel), w)
        else:
            prob = closure_probability(pcm)
        if classify:
            from .closure_candidates import classify_closures
            from .frame_classes import shape_log_probs

            phones = merge_silence(classify_closures(phones, prob, mel, shape_log_probs(pcm, mel=mel), offset=offset,
                                                     pcm=pcm))
        else:
            phones = merge_silence(add_missed_closures(phones, prob, offset=offset, options=copt))
    if shapes_too:
        # last, so the closure path above stays exactly as it was. Not in English: the loop is an
        # English model there, and the correction cost 7-9 points on English MBROLA and real voices
        phones = merge_silence(correct_shapes(phones, pcm, offset, mel=mel))
    return phones


def correct_shapes(phones: list[Phone], pcm: np.ndarray, offset: float, *, mel: np.ndarray | None = None) -> list[Phone]:
    """``phones`` of one segment re-labelled where the multilingual frame-shape classifier hears
    another mouth shape (:func:`.frame_classes.rescore_phones`; closures and silence untouched).

    The English phone loop mishears the vowels and consonants of other languages; a network
    trained on many languages and voices corrects the shape while the loop keeps the timing
    (docs/journal/lipsync.md, Round 8). ``mel``: :func:`.bilabial.log_mel` of ``pcm`` when the closure
    detector already computed it.
    """
    from .frame_classes import rescore_phones, shape_log_probs

    return rescore_phones(phones, shape_log_probs(pcm, mel=mel), offset=offset)


__all__ = ["RecognizerOptions", "alignment_rate", "anchor_segment", "correct_shapes", "decoder", "dithered", "language_phones", "model_paths",
           "phone_loop_settings", "recognize_phones"]
