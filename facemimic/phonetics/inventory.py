"""A language's vowels, and English phone-loop vowels snapped onto them.

Without a transcript, lip sync hears phones with pocketsphinx's English phone loop (the only
acoustic model in its wheel). English splits the open vowels finely (``AA`` *father*, ``AE``
*cat*, ``AH`` *cut*, schwa …) and the loop uses all of them; Spanish and Italian have a single
open vowel, *a*, which the loop hears as ``AH``/``AE`` as often as ``AA``, so their wide-open
mouth (shape D) came out half open (C). Whether a recognised vowel can exist in a language is
a property of the language, not of the audio: this module reads the language's vowels from
espeak-ng's pronunciation of a short sample text (:data:`SAMPLE_TEXTS`, written for FaceMimic,
none of it from the evaluation sentences), and moves each recognised vowel the language lacks
to the nearest one it has, by articulatory features (:func:`~.articulation.distance`). A
language whose vowels cover the one heard (German and French have their schwa, ``AH``) keeps
it; English keeps everything.
"""

from __future__ import annotations

import functools

from .articulation import ARPABET_IPA, distance, segments
from .phones import VOWELS, Phone

# Diphthongs are left as heard: they are two shapes already, and snapping a glide onto one
# vowel would lose the second.
MONOPHTHONGS = frozenset({"AA", "AE", "AH", "AO", "EH", "ER", "IH", "IY", "UH", "UW"})
# Everyday prose per language: every vowel of the language occurs in it, stressed and not.
SAMPLE_TEXTS: dict[str, str] = {
    "es": ("El sol sale temprano en el pueblo. Los niños juegan en la plaza mientras sus abuelos "
           "hablan de la cosecha, del tiempo y de la música que escuchaban cuando eran jóvenes. "
           "Mi vecina cultiva tomates, lechugas y cebollas; su hijo estudia ingeniería en Sevilla."),
    "it": ("Il sole sorge presto sul paese. I bambini giocano in piazza mentre i nonni parlano del "
           "raccolto, del tempo e della musica che ascoltavano da giovani. La mia vicina coltiva "
           "pomodori, lattuga e cipolle; suo figlio studia ingegneria a Bologna, vicino all'università."),
    "de": ("Die Sonne geht früh über dem Dorf auf. Die Kinder spielen auf dem Platz, während ihre "
           "Großeltern über die Ernte, das Wetter und die Musik ihrer Jugend reden. Meine Nachbarin "
           "zieht Tomaten, Salat und Zwiebeln; ihr Sohn studiert Technik in Köln."),
    "fr": ("Le soleil se lève tôt sur le village. Les enfants jouent sur la place pendant que leurs "
           "grands-parents parlent de la récolte, du temps et de la musique de leur jeunesse. Ma "
           "voisine cultive des tomates, de la salade et des oignons; son fils étudie à Lyon."),
    "pt": ("O sol nasce cedo na aldeia. As crianças brincam na praça enquanto os avós falam da "
           "colheita, do tempo e da música que ouviam quando eram jovens. A minha vizinha cultiva "
           "tomates, alface e cebolas; o filho dela estuda engenharia em Coimbra."),
    "nl": ("De zon komt vroeg op boven het dorp. De kinderen spelen op het plein terwijl hun "
           "grootouders praten over de oogst, het weer en de muziek van hun jeugd. Mijn buurvrouw "
           "kweekt tomaten, sla en uien; haar zoon studeert techniek in Utrecht."),
}


def _base(code: str) -> str:
    return code.split("-")[0].lower()


def has_inventory(language: str) -> bool:
    """True when FaceMimic knows ``language``'s vowels (a sample text for its base code)."""
    return _base(language) in SAMPLE_TEXTS


@functools.lru_cache(maxsize=32)
def vowel_inventory(language: str) -> frozenset[str]:
    """The ARPAbet monophthongs espeak-ng's pronunciation of the language's sample text uses.

    Parameters
    ----------
    language : str
        An espeak-ng code (``es``, ``it``, ``pt-br`` …) with a sample text (:func:`has_inventory`).

    Returns
    -------
    frozenset of str
        ARPAbet vowels, diphthongs included; Spanish: ``{'AA', 'EY', 'IY', 'OW', 'UW'}`` (IPA
        *e* and *o* are ``EY``/``OW`` through the features).
    """
    from .articulation import ipa_to_arpabet
    from .g2p import phonemize_ipa
    from .languages import resolve_language

    out: set[str] = set()
    voice = resolve_language(language).voice  # "fr-fr" is spoken by the voice "fr"
    for word in phonemize_ipa(SAMPLE_TEXTS[_base(language)], voice=voice):
        for p in word:
            out.update(n for n in ipa_to_arpabet(p) if n in VOWELS)
    return frozenset(out)


def _vowel_distance(a: str, b: str) -> float:
    return min(distance(sa, sb) for x in ARPABET_IPA[a] for y in ARPABET_IPA[b]
               for sa in segments(x)[:1] for sb in segments(y)[:1])


@functools.lru_cache(maxsize=32)
def vowel_snap(language: str) -> dict[str, str]:
    """Recognised monophthong -> the language's nearest vowel, for those the language lacks.

    Targets are the language's vowels that are monophthongs or whose ARPAbet diphthong starts
    like a plain vowel (``EY`` for *e*, ``OW`` for *o*: espeak-ng's IPA ``e``/``o`` map there).
    Empty for a language without a sample text (nothing is changed).
    """
    if not has_inventory(language):
        return {}
    have = vowel_inventory(language)
    targets = sorted(v for v in have if v in ARPABET_IPA)
    if not targets:
        return {}
    snap = {}
    for v in sorted(MONOPHTHONGS - have):
        best = min(targets, key=lambda t: (_vowel_distance(v, t), t))
        snap[v] = best
    return snap


def snap_vowels(phones: list[Phone], language: str) -> list[Phone]:
    """``phones`` with every vowel ``language`` lacks replaced by its nearest vowel (:func:`vowel_snap`)."""
    snap = vowel_snap(language)
    if not snap:
        return list(phones)
    return [Phone(p.start, p.end, snap.get(p.name, p.name), p.word) for p in phones]


__all__ = ["SAMPLE_TEXTS", "has_inventory", "snap_vowels", "vowel_inventory", "vowel_snap"]
