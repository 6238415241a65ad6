"""The lip-sync evaluation set, synthesised at run time (nothing large is committed).

Twelve English sentences (eight Harvard sentences and four conversational ones with pauses),
spoken by several espeak-ng US voices in rotation. The truth is the phone list espeak-ng reports
for the audio it produced, so the timing is exact by construction. ``eval/lipsync/build_eval.py``
writes the set to a folder (WAV at 16 kHz + a ground-truth TSV per sentence).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..phonetics.phones import SILENCE, Phone

SENTENCES: tuple[tuple[str, str], ...] = (
    ("s01", "The birch canoe slid on the smooth planks."),
    ("s02", "Glue the sheet to the dark blue background."),
    ("s03", "It's easy to tell the depth of a well."),
    ("s04", "These days a chicken leg is a rare dish."),
    ("s05", "Rice is often served in round bowls."),
    ("s06", "The juice of lemons makes fine punch."),
    ("s07", "The box was thrown beside the parked truck."),
    ("s08", "The hogs were fed chopped corn and garbage."),
    ("s09", "Well... maybe. I'm not sure about that, to be honest."),
    ("s10", "Hi there! Could you pass me the bread, please?"),
    ("s11", "Oh, wow. That was a big surprise, wasn't it?"),
    ("s12", "Give me a moment; I will be right back with more paper."),
)
# (espeak-ng voice, words per minute, pitch) in rotation: male, female and a deeper male.
VOICES: tuple[tuple[str, int, int], ...] = (
    ("en-us", 170, 50), ("en-us+f3", 175, 55), ("en-us+m3", 165, 40),
)
# A separate tuning/training set: Harvard lists 2-4 and conversational lines rich in P/B/M. None
# of these is in SENTENCES, so models and thresholds fitted on them are measured honestly there.
TUNING_SENTENCES: tuple[tuple[str, str], ...] = tuple((f"t{k + 1:02d}", s) for k, s in enumerate((
    "The boy was there when the sun rose.", "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.", "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.", "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.", "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.", "The girl at the booth sold fifty bonds.",
    "The small pup gnawed a hole in the sock.", "The fish twisted and turned on the bent hook.",
    "Press the pants and sew a button on the vest.", "The swan dive was far short of perfect.",
    "The beauty of the view stunned the young boy.", "Two blue fish swam in the tank.",
    "Her purse was full of useless trash.", "The colt reared and threw the tall rider.",
    "It snowed, rained, and hailed the same morning.", "Read verse out loud for pleasure.",
    "Hoist the load to your left shoulder.", "Take the winding path to reach the lake.",
    "Note closely the size of the gas tank.", "Wipe the grease off his dirty face.",
    "Mend the coat before you go out.", "The wrist was badly strained and hung limp.",
    "The stray cat gave birth to kittens.", "The young girl gave no clear response.",
    "The meal was cooked before the bell rang.", "What joy there is in living.",
    "Maybe we should meet at my place at nine.", "Please bring me the blue bottle from the boat.",
    "Mom made a big bowl of soup before lunch.", "Hmm, probably not. Perhaps tomorrow, Bob.",
    "Remember, the bus comes by at seven.", "My brother bought a map of Bombay.",
    "Stop! Don't move. Be calm and breathe.", "A pumpkin pie is the best dessert in the fall.",
    "The lamp by the bed has a broken bulb.", "I'm happy, but my members are upset.",
)))
LEAD_SILENCE = 0.2  # seconds before each sentence (as in the spec's MBROLA set)
TRAIL_SILENCE = 0.15


@dataclass(frozen=True)
class EvalItem:
    """One sentence of the set: audio (16 kHz mono int16) and its exact phones."""

    id: str
    text: str
    voice: str
    audio: np.ndarray
    sample_rate: int
    phones: tuple[Phone, ...]

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


def spoken_item(item_id: str, text: str, options, *, sample_rate: int = 16000) -> EvalItem:
    """``text`` spoken by the built-in voice with ``options`` (a ``VoiceOptions``), as an item whose
    truth is the synthesiser's own phones; audio (N,) int16 at ``sample_rate``."""
    from ..voice import say
    from ..common.audio import as_pcm16

    sp = say(text, options=options)
    pcm = as_pcm16(sp.audio, sp.sample_rate, target_rate=sample_rate)
    # Phone times are in seconds, so they hold at the new rate; clip the last to the new length.
    dur = len(pcm) / sample_rate
    phones = [p for p in sp.phones if p.start < dur]
    if phones and phones[-1].end != dur:
        last = phones[-1]
        phones[-1] = Phone(last.start, dur, last.name, last.word)
    return EvalItem(item_id, text, options.voice, pcm, sample_rate, tuple(phones))


def build_items(ids: list[str] | None = None, *, sample_rate: int = 16000) -> list[EvalItem]:
    """Synthesise the set (or the sentences named in ``ids``) in memory."""
    from ..voice import VoiceOptions

    out = []
    for k, (sid, text) in enumerate(SENTENCES):
        if ids is not None and sid not in ids:
            continue
        voice, rate, pitch = VOICES[k % len(VOICES)]
        options = VoiceOptions(voice=voice, rate=rate, pitch=pitch,
                               lead_silence=LEAD_SILENCE, trail_silence=TRAIL_SILENCE)
        out.append(spoken_item(sid, text, options, sample_rate=sample_rate))
    return out


# MBROLA SAMPA (us1/us2/us3 voices, as espeak-ng's --pho writes it) -> ARPAbet.
SAMPA_TO_ARPABET = {
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "g": "G", "f": "F", "v": "V", "T": "TH",
    "D": "DH", "s": "S", "z": "Z", "S": "SH", "Z": "ZH", "tS": "CH", "dZ": "JH", "m": "M", "n": "N",
    "N": "NG", "l": "L", "r": "R", "w": "W", "j": "Y", "h": "HH", "i": "IY", "I": "IH", "E": "EH",
    "{": "AE", "A": "AA", "V": "AH", "O": "AO", "U": "UH", "u": "UW", "@": "AH", "r=": "ER",
    "3`": "ER", "EI": "EY", "AI": "AY", "OI": "OY", "aU": "AW", "@U": "OW", "_": SILENCE,
}
MBROLA_VOICES = ("us1", "us2", "us3")


def mbrola_available() -> bool:
    """True when Debian's ``espeak-ng``, ``mbrola`` and the us1-us3 voices are installed."""
    import shutil

    return bool(shutil.which("espeak-ng") and shutil.which("mbrola")) and all(
        Path(f"/usr/share/mbrola/{v}/{v}").exists() for v in MBROLA_VOICES)


def build_mbrola_items(ids: list[str] | None = None, *, sample_rate: int = 16000,
                       sentences: tuple[tuple[str, str], ...] = SENTENCES,
                       voices: tuple[str, ...] | None = None, rate: int | None = None) -> list[EvalItem]:
    """The same sentences spoken by MBROLA diphone voices (real recorded diphones, closer to
    natural speech than espeak-ng's formant voice), truth from the ``.pho`` file they were made
    from (the spec's method). Needs ``scripts/setup.d/30-mbrola-voices.sh``.

    ``voices`` given: every sentence is spoken by each of them (ids ``<id>-<voice>``), else the
    voices rotate as in the spec. ``rate`` is espeak-ng's words per minute (default: its own).
    """
    import tempfile

    if not mbrola_available():
        from ..errors import ModelAssetError
        raise ModelAssetError("MBROLA voices are not installed (run scripts/setup.d/30-mbrola-voices.sh)")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, (sid, text) in enumerate(sentences):
            if ids is not None and sid not in ids:
                continue
            if voices is None:
                out.append(_mbrola_item(sid, text, MBROLA_VOICES[k % len(MBROLA_VOICES)], Path(tmp),
                                        sample_rate, rate))
            else:
                out += [_mbrola_item(f"{sid}-{v}", text, v, Path(tmp), sample_rate, rate) for v in voices]
    return out


def _english_names(name: str) -> tuple[str, ...]:
    arpa = SAMPA_TO_ARPABET.get(name) or SAMPA_TO_ARPABET.get(name.split("_")[0], SILENCE)
    return (arpa,)


def _sampa_names(name: str) -> tuple[str, ...]:
    """Any language's MBROLA phone: SAMPA -> IPA -> articulatory features -> ARPAbet."""
    from ..phonetics.articulation import ipa_to_arpabet
    from ..phonetics.sampa import sampa_to_ipa

    return ipa_to_arpabet(sampa_to_ipa(name)) or (SILENCE,)


def _unknown_diphones(mbrola_output: str) -> list[tuple[str, str]]:
    """The diphones MBROLA reported missing (``Warning: n-o/ unknown, replaced with _-_``)."""
    import re

    return [(m.group(1), m.group(2)) for m in re.finditer(r"Warning: (\S+?)-(\S+) unknown", mbrola_output)]


def _plain_name(name: str) -> str:
    """A phone name without the voice-specific marks espeak-ng adds (``o/`` ``a1`` ``O2`` -> ``o``
    ``a`` ``O``) and with a doubled consonant single (``ss`` -> ``s``)."""
    plain = name.rstrip("/0123456789") or name
    if len(plain) == 2 and plain[0] == plain[1]:
        plain = plain[0]
    return plain


def _speak_known_diphones(lines: list[str], voice: str, pho_path: Path, wav_path: Path) -> list[str]:
    """Synthesise ``lines`` (a .pho file) with MBROLA ``voice``, renaming phones the voice lacks.

    MBROLA replaces a diphone its database lacks by *silence* (``-e``) and goes on, so the truth
    would claim a vowel where the audio is silent. Debian's espeak-ng 1.51 writes reduced vowels
    the Spanish and Italian voices do not have (``e/``, ``o/``, ``i/``: 165 silent diphones in
    the Spanish sentences, 40 in the Italian ones, up to half a sentence silent); each phone of
    a missing diphone that has a plain form (:func:`_plain_name`) is renamed to it and the file
    spoken again, so audio and truth agree. Returns the lines spoken (names as the voice knows
    them; durations unchanged).
    """
    import subprocess

    lines = list(lines)
    for _ in range(3):
        pho_path.write_text("\n".join(lines) + "\n")
        r = subprocess.run(["mbrola", "-e", f"/usr/share/mbrola/{voice}/{voice}", str(pho_path), str(wav_path)],
                           check=True, capture_output=True, text=True)
        missing = {n for pair in _unknown_diphones(r.stdout + r.stderr) for n in pair}
        renamed = False
        for k, ln in enumerate(lines):
            f = ln.split(maxsplit=1)
            if f and f[0] in missing and _plain_name(f[0]) != f[0]:
                lines[k] = "\t".join([_plain_name(f[0])] + f[1:])
                renamed = True
        if not renamed:
            break
    return lines


def _mbrola_item(sid: str, text: str, v: str, tmp: Path, sample_rate: int, rate: int | None,
                 names_of=_english_names) -> EvalItem:
    import subprocess

    from ..common.audio import load_audio
    from ..phonetics.phones import merge_silence

    cmd = ["espeak-ng", "-v", f"mb-{v}", "-q", "--pho"] + (["-s", str(rate)] if rate else []) + [text]
    pho = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    lines = [f"_\t{int(LEAD_SILENCE * 1000)}"] + [ln for ln in pho.splitlines()
                                               if ln.strip() and not ln.startswith(";")]
    lines.append(f"_\t{int(TRAIL_SILENCE * 1000)}")
    pho_path, wav_path = tmp / f"{sid}.pho", tmp / f"{sid}.wav"
    lines = _speak_known_diphones(lines, v, pho_path, wav_path)
    pcm = load_audio(wav_path, sample_rate=sample_rate)
    phones, t = [], 0.0
    for ln in lines:
        f = ln.split()
        name, dur = f[0], float(f[1]) / 1000.0
        names = names_of(name)
        if len(names) == 1:
            phones.append(Phone(t, t + dur, names[0]))
        else:  # a diphthong English lacks, or a lip stop + fricative: split 60/40 as say() does
            phones += [Phone(t, t + 0.6 * dur, names[0]), Phone(t + 0.6 * dur, t + dur, names[1])]
        t += dur
    phones = merge_silence(phones)
    dur = len(pcm) / sample_rate
    phones = [p for p in phones if p.start < dur]
    phones[-1] = Phone(phones[-1].start, dur, phones[-1].name)
    return EvalItem(sid, text, f"mb-{v}", pcm, sample_rate, tuple(phones))


def concatenate(items: list[EvalItem]) -> EvalItem:
    """All items as one long file (for speed runs), phones shifted accordingly."""
    audio = np.concatenate([it.audio for it in items])
    phones: list[Phone] = []
    t = 0.0
    for it in items:
        phones.extend(Phone(p.start + t, p.end + t, p.name, p.word) for p in it.phones)
        t += it.duration
    return EvalItem("all", " ".join(it.text for it in items), "mixed", audio,
                    items[0].sample_rate, tuple(phones))


def write_set(folder: str | Path, items: list[EvalItem]) -> Path:
    """Write ``wav/<id>.wav``, ``gt/<id>.tsv`` (start, end, phone, word) and ``sentences.tsv``."""
    from ..common.audio import write_wav

    folder = Path(folder)
    (folder / "wav").mkdir(parents=True, exist_ok=True)
    (folder / "gt").mkdir(exist_ok=True)
    rows = ["id\tvoice\ttext"]
    for it in items:
        write_wav(folder / "wav" / f"{it.id}.wav", it.audio, it.sample_rate)
        lines = [f"{p.start:.4f}\t{p.end:.4f}\t{p.name}\t{p.word}" for p in it.phones]
        (folder / "gt" / f"{it.id}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        rows.append(f"{it.id}\t{it.voice}\t{it.text}")
    (folder / "sentences.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def set_stats(items: list[EvalItem]) -> dict:
    """Duration, speech time, phone and bilabial counts of a set."""
    dur = sum(it.duration for it in items)
    speech = sum(p.duration for it in items for p in it.phones if p.name != SILENCE)
    n_ph = sum(1 for it in items for p in it.phones if p.name != SILENCE)
    n_bil = sum(1 for it in items for p in it.phones if p.name in ("P", "B", "M"))
    return {"files": len(items), "duration_s": round(dur, 2), "speech_s": round(speech, 2),
            "phones": n_ph, "bilabials": n_bil}


# Other languages (issue #16): sentences written for FaceMimic (none from a corpus), each
# language's set rich in bilabials, spoken by two MBROLA voices of that language in rotation.
LANGUAGE_SENTENCES: dict[str, tuple[str, ...]] = {
    "de": ("Bitte pack mir ein Brot und etwas Butter ein.", "Mein Bruder malt ein großes Bild vom Meer.",
           "Am Montag fahren wir mit dem Bus nach München.", "Die Lampe im Zimmer brennt seit gestern Abend.",
           "Peter bringt morgen frische Blumen mit.", "Wir haben keine Milch mehr, nur noch Wasser.",
           "Das Wetter war gestern wirklich wunderbar.", "Kannst du mir bitte sagen, wie spät es ist?",
           "Hallo! Schön, dass du da bist. Komm doch rein.", "Ich glaube, das Problem ist jetzt gelöst.",
           "Meine Oma backt jeden Sonntag einen Apfelkuchen.", "Ruf mich bitte an, wenn du im Büro bist."),
    "fr": ("Bonjour, je voudrais un peu de pain, s'il vous plaît.", "Mon père boit un café noir tous les matins.",
           "Le bébé dort paisiblement dans sa chambre.", "Nous partons à Paris au mois de mai.",
           "Elle a mis une jolie robe bleue pour la fête.", "Ce problème est beaucoup plus simple que prévu.",
           "Passe-moi le beurre et la confiture, merci.", "Il pleut depuis ce matin sur toute la ville.",
           "Attends! Je ne trouve plus mes lunettes.", "Mon ami Pierre habite près de la mer.",
           "Tu peux fermer la porte, s'il te plaît?", "Le musée ouvre ses portes à neuf heures."),
    "es": ("Buenos días, ¿me pasas el pan, por favor?", "Mi hermano vive en una casa cerca del mar.",
           "El perro blanco bebe agua de la fuente.", "Mañana vamos a comprar manzanas en el mercado.",
           "La película empieza a las nueve de la noche.", "¡Bienvenidos! Pasen y siéntense, por favor.",
           "Mi madre prepara una paella muy buena.", "Ayer compré un libro sobre el cambio climático.",
           "¿Puedes abrir la ventana? Hace mucho calor.", "El tiempo pasa muy rápido cuando estamos felices.",
           "Pablo bailó toda la noche con Marta.", "Siempre tomo un café después de comer."),
    "it": ("Buongiorno, mi passi il pane, per favore?", "Mio padre beve un caffè ogni mattina.",
           "Il bambino gioca nel parco con la palla.", "Domani partiamo per Roma in macchina.",
           "Questa pizza è buonissima, complimenti!", "Mamma, posso mangiare un biscotto?",
           "Il mare è molto bello in primavera.", "Ho comprato una bottiglia di vino rosso.",
           "Aspetta! Ho dimenticato il mio ombrello.", "Paolo lavora in una banca vicino al porto.",
           "Per piacere, apri la finestra della camera.", "Ieri abbiamo visto un film molto divertente."),
}
# Held-out sentences (issue #16): written after the alignment settings were chosen on
# LANGUAGE_SENTENCES, used only to check them (ids <language>h1 …, same voices in rotation).
LANGUAGE_HELDOUT: dict[str, tuple[str, ...]] = {
    "de": ("Morgen besuchen wir meine Großmutter in Bremen.", "Der Hund spielt im Garten mit einem Ball.",
           "Bitte mach das Fenster zu, es ist kalt.", "Am Abend trinken wir gemeinsam ein Bier.",
           "Warum bist du heute so müde?", "Papa kocht Suppe mit Kartoffeln und Bohnen."),
    "fr": ("Demain matin, nous irons à la plage.", "Mon petit frère mange une pomme verte.",
           "Prends ton parapluie, il va pleuvoir.", "Le boulanger ouvre sa boutique à sept heures.",
           "Pourquoi est-ce que tu ris comme ça?", "Maman prépare un bon repas pour nous."),
    "es": ("Mañana por la mañana iremos a la playa.", "Mi hermano pequeño come una manzana verde.",
           "Toma el paraguas, va a llover.", "El panadero abre su tienda a las siete.",
           "¿Por qué te ríes tanto?", "Mamá prepara una comida muy rica para nosotros."),
    "it": ("Domani mattina andiamo al mare.", "Mio fratello piccolo mangia una mela verde.",
           "Prendi l'ombrello, sta per piovere.", "Il panettiere apre il negozio alle sette.",
           "Perché ridi così tanto?", "La mamma prepara un buon pranzo per tutti."),
}

# Debian's mbrola-* voices per language (scripts/setup.d/40-mbrola-languages.sh installs them).
LANGUAGE_VOICES: dict[str, tuple[str, ...]] = {
    "de": ("de1", "de2"), "fr": ("fr1", "fr4"), "es": ("es1", "es2"), "it": ("it3", "it4"),
}


def language_mbrola_available(language: str) -> bool:
    """True when espeak-ng, mbrola and ``language``'s MBROLA voices are installed."""
    import shutil

    return bool(shutil.which("espeak-ng") and shutil.which("mbrola")) and all(
        Path(f"/usr/share/mbrola/{v}/{v}").exists() for v in LANGUAGE_VOICES[language])


def build_language_items(language: str, ids: list[str] | None = None, *, sample_rate: int = 16000,
                         rate: int | None = None, heldout: bool = False) -> list[EvalItem]:
    """``language``'s evaluation set (``de``, ``fr``, ``es``, ``it``): ids ``<language>01`` …,
    spoken by its MBROLA voices in rotation, truth from the ``.pho`` files (SAMPA -> IPA ->
    articulatory features -> ARPAbet, :mod:`facemimic.phonetics.sampa`). ``heldout``: the
    held-out sentences instead (``LANGUAGE_HELDOUT``, ids ``<language>h1`` …)."""
    import tempfile

    if language not in LANGUAGE_SENTENCES:
        from ..errors import UnknownNameError, suggest

        raise UnknownNameError(f"no evaluation set for {language!r}{suggest(language, list(LANGUAGE_SENTENCES))}")
    if not language_mbrola_available(language):
        from ..errors import ModelAssetError

        raise ModelAssetError(f"MBROLA voices for {language} are not installed "
                              "(run scripts/setup.d/40-mbrola-languages.sh)")
    voices = LANGUAGE_VOICES[language]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        sentences = (LANGUAGE_HELDOUT if heldout else LANGUAGE_SENTENCES)[language]
        for k, text in enumerate(sentences):
            sid = f"{language}h{k + 1}" if heldout else f"{language}{k + 1:02d}"
            if ids is not None and sid not in ids:
                continue
            out.append(_mbrola_item(sid, text, voices[k % len(voices)], Path(tmp), sample_rate, rate,
                                    names_of=_sampa_names))
    return out
