"""Free-text prompts -> a weighted mixture of known states plus modifiers, fully offline.

A small hand-built lexicon (every state's name and aliases), a little morphology (``happily`` ->
happy, ``smiling`` -> smile, ``sadness`` -> sad), degree adverbs (``a bit`` 0.45 … ``extremely``
1.5), negation (``not happy`` -> a little sad; ``not angry`` -> neutral), suppression (``trying not
to laugh``, ``holding back tears``: the emotion leaks at reduced strength, mostly in the upper
face, with pressed lips), compound adverbs (``angrily surprised`` -> Du et al.'s compound) and
modifiers for eyes, head, mouth, side and style (``looking down``, ``head tilted``, ``eyes
closed``, ``on the left``, ``subtle``, ``anime``). Unknown words raise :class:`UnknownNameError`
with the closest known states.

    >>> p = parse_prompt("a bit disgusted but amused")
    >>> sorted(p.mixture.items())            # doctest: +SKIP
    [('amused', 0.69), ('disgusted', 0.31)]
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from types import MappingProxyType

from ..errors import ParameterError, UnknownNameError
from ..emotions.states import BASIC, COMPOUND_OF_PAIR, STATES, STYLES

# Degree words -> how strongly the next state shows (1 = as named).
DEGREE = MappingProxyType({
    "barely": 0.25, "faintly": 0.3, "a touch": 0.35, "a touch of": 0.35, "a hint of": 0.35, "hint of": 0.35,
    "slightly": 0.4, "slight": 0.4, "a bit": 0.45, "a little": 0.45, "a little bit": 0.4, "little": 0.5,
    "mildly": 0.5, "mild": 0.5, "half": 0.5, "somewhat": 0.6, "kind of": 0.6, "kinda": 0.6, "sort of": 0.6,
    "sorta": 0.6, "moderately": 0.7, "less": 0.7, "fairly": 0.75, "rather": 0.8, "almost": 0.8,
    "pretty": 0.85, "quite": 0.9, "mostly": 1.0, "more": 1.15, "so": 1.2, "too": 1.2, "really": 1.25,
    "very": 1.3, "most": 1.3, "overly": 1.3, "deeply": 1.4, "super": 1.4, "totally": 1.4, "hugely": 1.4,
    "extremely": 1.5, "incredibly": 1.5, "completely": 1.5, "utterly": 1.5, "absolutely": 1.5,
    "intensely": 1.5, "wildly": 1.5, "insanely": 1.5,
})
# Words that name a state more (or less) strongly than its plain name.
INTENSITY_WORDS = MappingProxyType({
    "furious": 1.35, "fury": 1.35, "rage": 1.4, "raging": 1.4, "enraged": 1.4, "livid": 1.3, "fuming": 1.2,
    "ecstatic": 1.35, "elated": 1.2, "overjoyed": 1.3, "euphoric": 1.35, "thrilled": 1.15, "beaming": 1.2,
    "grin": 1.1, "grinning": 1.1, "smile": 0.8, "smiling": 0.8, "pleased": 0.7, "glad": 0.8, "content": 0.8,
    "irked": 0.7, "peeved": 0.7, "cross": 0.8, "shocked": 1.2, "stunned": 1.1, "heartbroken": 1.3,
    "miserable": 1.2, "grief": 1.3, "giggle": 0.7, "giggling": 0.7, "chuckle": 0.6, "chuckling": 0.6,
    "cackling": 1.2, "sob": 1.2, "sobbing": 1.2, "bawling": 1.4, "scream": 1.3, "screaming": 1.3,
    "roar": 1.3, "roaring": 1.3, "petrified": 1.2, "terrified": 1.1, "blue": 0.7, "meh": 0.7,
})
NEGATIONS = frozenset({"not", "no", "never", "without", "hardly", "neither", "nor"})
# Phrases that mean "this emotion, held back".
SUPPRESSION = ("trying not to", "try not to", "tries not to", "trying to hide", "hiding", "holding back",
               "holding in", "suppressing", "suppressed", "stifling", "stifled", "fighting back",
               "biting back", "masking", "hiding her", "hiding his", "hiding their")
STYLE_WORDS = MappingProxyType({
    "subtle": "subtle", "subtly": "subtle", "understated": "subtle", "restrained": "subtle",
    "exaggerated": "exaggerated", "over the top": "exaggerated", "cartoonish": "exaggerated",
    "cartoony": "exaggerated", "dramatic": "exaggerated", "theatrical": "exaggerated", "overacted": "exaggerated",
    "anime": "anime", "manga": "anime", "kawaii": "anime", "chibi": "anime",
    "natural": "natural", "realistic": "natural",
})
# Modifier phrases -> (extra AUs {AU: intensity}, gaze (x, y) or None, head (yaw, pitch, roll) or None,
# lateral: the x/yaw/roll sign may go either way).
MODIFIERS = MappingProxyType({
    "looking down": ({}, (0.0, -0.4), (0.0, 8.0, 0.0), False),
    "eyes down": ({}, (0.0, -0.4), None, False),
    "downcast eyes": ({}, (0.0, -0.4), (0.0, 6.0, 0.0), False),
    "looking at the floor": ({}, (0.0, -0.5), (0.0, 12.0, 0.0), False),
    "looking up": ({}, (0.0, 0.4), (0.0, -6.0, 0.0), False),
    "eyes up": ({}, (0.0, 0.4), None, False),
    "looking away": ({}, (0.45, -0.05), (10.0, 0.0, 0.0), True),
    "averted eyes": ({}, (0.45, -0.1), None, True),
    "averted gaze": ({}, (0.45, -0.1), None, True),
    "looking left": ({}, (-0.45, 0.0), (-8.0, 0.0, 0.0), False),
    "looking right": ({}, (0.45, 0.0), (8.0, 0.0, 0.0), False),
    "looking sideways": ({}, (0.45, 0.0), None, True),
    "eye contact": ({}, (0.0, 0.0), None, False),
    "looking at the camera": ({}, (0.0, 0.0), (0.0, 0.0, 0.0), False),
    "head tilted": ({}, None, (0.0, 0.0, 12.0), True),
    "tilted head": ({}, None, (0.0, 0.0, 12.0), True),
    "head tilt": ({}, None, (0.0, 0.0, 12.0), True),
    "chin up": ({}, None, (0.0, -10.0, 0.0), False),
    "head down": ({}, (0.0, 0.1), (0.0, 15.0, 0.0), False),
    "eyes closed": ({43: 0.95}, None, None, False),
    "closed eyes": ({43: 0.95}, None, None, False),
    "wide eyes": ({5: 0.7}, None, None, False),
    "wide eyed": ({5: 0.7}, None, None, False),
    "raised eyebrows": ({1: 0.6, 2: 0.6}, None, None, False),
    "raised brows": ({1: 0.6, 2: 0.6}, None, None, False),
    "furrowed brow": ({4: 0.6}, None, None, False),
    "furrowed brows": ({4: 0.6}, None, None, False),
    "mouth open": ({25: 0.6, 26: 0.6}, None, None, False),
    "open mouth": ({25: 0.6, 26: 0.6}, None, None, False),
    "showing teeth": ({10: 0.5, 25: 0.5}, None, None, False),
    "teeth": ({10: 0.5, 25: 0.5}, None, None, False),
    "pursed lips": ({24: 0.5, 18: 0.3}, None, None, False),
    "biting lip": ({28: 0.5}, None, None, False),
    "biting her lip": ({28: 0.5}, None, None, False),
    "biting his lip": ({28: 0.5}, None, None, False),
    "lip bite": ({28: 0.5}, None, None, False),
    "clenched jaw": ({31: 0.6, 24: 0.3}, None, None, False),
    "gritted teeth": ({31: 0.6, 20: 0.4, 25: 0.3, 10: 0.3}, None, None, False),
    "clenched teeth": ({31: 0.6, 20: 0.4, 25: 0.3, 10: 0.3}, None, None, False),
    "flared nostrils": ({38: 0.7}, None, None, False),
})
SIDES = MappingProxyType({"left": "left", "right": "right", "lefty": "left"})
STOPWORDS = frozenset("""
a an the and but yet with while though although or i im am is are was be being been feel feeling feels felt
look looks looking face faces expression expressions person character avatar me my her his their them they
she he of at in on to like as just still also then it its that this who someone something when after all
mood emotion emotions state vibe vibes kind sort bit trying try tries way one side eye eyes of at once
seems seem seeming getting get gets becoming become turning turn slowly suddenly some sense mix mixed
plus + & , with show showing shows expressing express
""".split())
# Negated states: pleasant ones turn a little sad; the rest fall back to neutral.
_NEG_POSITIVE = ("sad", 0.5)


ECHO_LIMIT = 60  # characters of a user's prompt quoted back in an error message


def quote_input(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` quoted for a one-line error message, cut to ``limit`` characters plus "…"."""
    text = str(text)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _norm_key(s: str) -> str:
    return " ".join(s.lower().replace("-", " ").replace("_", " ").split())


def _build_lexicon() -> dict[str, tuple[str, float]]:
    lex: dict[str, tuple[str, float]] = {}
    for name, st in STATES.items():
        for w in (name, *st.aliases):
            k = _norm_key(w)
            lex.setdefault(k, (name, INTENSITY_WORDS.get(k, 1.0)))
    return lex


LEXICON = MappingProxyType(_build_lexicon())
_MULTI = sorted({k for k in (*LEXICON, *DEGREE, *MODIFIERS, *STYLE_WORDS, *SUPPRESSION) if " " in k},
                key=lambda k: -len(k.split()))


@dataclass(frozen=True)
class Prompt:
    """What a prompt means: a mixture of states plus modifiers."""

    text: str  # the prompt as given
    mixture: dict  # {state name: weight}, weights sum to 1
    intensity_scale: float = 1.0  # degree words: multiplies the requested intensity
    suppressed: dict = field(default_factory=dict)  # {state: 0..1} emotions held back ("trying not to")
    extra_aus: dict = field(default_factory=dict)  # {AU number: intensity} from modifiers ("eyes closed")
    gaze: tuple | None = None  # gaze override (x, y), VRCFT units
    head: tuple | None = None  # head offset (yaw, pitch, roll) degrees
    lateral: bool = False  # the gaze/head offsets may point either way
    side: str | None = None  # "left"/"right": which side a one-sided display uses
    style: str | None = None  # style named in the prompt, if any
    negated: tuple = ()  # states the prompt negated (for the explanation)

    def dominant(self) -> str:
        return max(self.mixture, key=self.mixture.get)

    def describe(self) -> str:
        """One line, e.g. ``amused 69% + disgusted 31% (x0.83)``."""
        parts = [f"{k} {v:.0%}" for k, v in sorted(self.mixture.items(), key=lambda kv: -kv[1])]
        extra = []
        if abs(self.intensity_scale - 1) > 1e-6:
            extra.append(f"intensity x{self.intensity_scale:.2f}")
        if self.suppressed:
            extra.append("held back: " + ", ".join(self.suppressed))
        if self.negated:
            extra.append("not " + ", ".join(self.negated))
        for name, val in (("style", self.style), ("side", self.side)):
            if val:
                extra.append(f"{name} {val}")
        if self.extra_aus:
            extra.append("+" + "+".join(f"AU{a}" for a in self.extra_aus))
        return " + ".join(parts) + (f" ({'; '.join(extra)})" if extra else "")


def _tokens(text: str) -> list[str]:
    t = text.lower().replace("n't", " not").replace("’", "'")
    # Unicode words stay whole ("très" is one word, so an error quotes all of it).
    t = re.sub(r"[^\w'+&,?]+", " ", t.replace("-", " ").replace("_", " "))
    t = t.replace(",", " , ")
    return [w.strip("'") for w in t.split() if w.strip("'")]


def _morph(word: str) -> tuple[str, float, bool] | None:
    """(state, factor, is_adverb) for a single word, via a little morphology; None if unknown."""
    if word in LEXICON:
        return (*LEXICON[word], False)
    cands: list[tuple[str, bool]] = []
    if word.endswith("ily"):
        cands.append((word[:-3] + "y", True))
    if word.endswith("ly"):
        cands.append((word[:-2], True))
    if word.endswith("iness"):
        cands.append((word[:-5] + "y", False))
    if word.endswith("ness"):
        cands.append((word[:-4], False))
    if word.endswith("ing"):
        stem = word[:-3]
        cands += [(stem, False), (stem + "e", False)]
        if len(stem) > 2 and stem[-1] == stem[-2]:
            cands.append((stem[:-1], False))
    if word.endswith("ed"):
        cands += [(word[:-2], False), (word[:-1], False)]
    if word.endswith("es"):
        cands.append((word[:-2], False))
    if word.endswith("s"):
        cands.append((word[:-1], False))
    for c, adverb in cands:
        if c in LEXICON:
            return (*LEXICON[c], adverb)
    return None


def _closest(word: str) -> str:
    close = difflib.get_close_matches(word, list(LEXICON), n=6, cutoff=0.6)
    names = list(dict.fromkeys(LEXICON[c][0] for c in close))[:3]
    if not names:
        names = ["happy", "sad", "angry"]
    return ", ".join(names)


def parse_prompt(text: str) -> Prompt:
    """Parse a free-text prompt into a :class:`Prompt`.

    Raises
    ------
    ParameterError
        Empty prompt.
    UnknownNameError
        A word the lexicon does not know; the message names the closest known states.
    """
    if not isinstance(text, str) or not text.strip():
        raise ParameterError("empty prompt: name a feeling, e.g. 'happy' or 'a bit nervous'")
    toks = _tokens(text)
    amounts: dict[str, float] = {}
    suppressed: dict[str, float] = {}
    negated: list[str] = []
    extra: dict[int, float] = {}
    gaze = head = None
    lateral = False
    side = style = None
    degree = 1.0
    negate = suppress = False
    pending_adverb: tuple[str, float] | None = None
    unknown: list[str] = []

    def add_state(state: str, amount: float) -> None:
        nonlocal degree, negate, suppress
        if negate:
            negated.append(state)
            st = STATES[state]
            if st.valence > 0.3:
                tgt, f = _NEG_POSITIVE
                amounts[tgt] = amounts.get(tgt, 0.0) + f * amount
            else:
                amounts["neutral"] = amounts.get("neutral", 0.0) + amount
        else:
            amounts[state] = amounts.get(state, 0.0) + amount
            if suppress:
                suppressed[state] = 1.0
        degree, negate, suppress = 1.0, False, False

    def flush_adverb() -> None:
        nonlocal pending_adverb
        if pending_adverb is not None:
            add_state(*pending_adverb)
            pending_adverb = None

    i = 0
    while i < len(toks):
        phrase = None
        for p in _MULTI:
            n = len(p.split())
            if " ".join(toks[i:i + n]) == p:
                phrase = p
                break
        word = phrase or toks[i]
        step = len(phrase.split()) if phrase else 1
        if word in SUPPRESSION:
            flush_adverb()
            suppress = True
        elif word in DEGREE:
            flush_adverb()
            degree *= DEGREE[word]
        elif word in NEGATIONS:
            flush_adverb()
            negate = True
        elif word in MODIFIERS:
            aus, g, h, lat = MODIFIERS[word]
            for au, v in aus.items():
                extra[au] = max(extra.get(au, 0.0), v * min(degree, 1.5))
            gaze = g if g is not None else gaze
            head = h if h is not None else head
            lateral = lateral or lat
        elif word in STYLE_WORDS:
            style = STYLE_WORDS[word]
        elif word in SIDES:
            side = SIDES[word]
        elif word in LEXICON or _morph(word):
            state, factor, adverb = (*LEXICON[word], False) if word in LEXICON else _morph(word)
            amount = degree * factor
            if pending_adverb is not None:
                a_state, a_amount = pending_adverb
                pair = tuple(sorted((a_state, state), key=lambda s: BASIC.index(s) if s in BASIC else 99))
                pending_adverb = None
                if pair in COMPOUND_OF_PAIR and not negate:
                    add_state(COMPOUND_OF_PAIR[pair], max(amount, a_amount))
                else:
                    add_state(a_state, a_amount)
                    add_state(state, amount)
            elif adverb and state in BASIC and not negate:
                pending_adverb = (state, amount)
                degree = 1.0
            else:
                add_state(state, amount)
        elif word in STOPWORDS or word.isdigit():
            pass
        else:
            unknown.append(word)
        i += step
    flush_adverb()
    if unknown:
        w = unknown[0]
        raise UnknownNameError(f"unknown word {quote_input(w)} in prompt {quote_input(text)}; closest known "
                               f"states: {_closest(w)} (see `facemimic express --list`)")
    if not amounts:
        if negate or negated:
            amounts["neutral"] = 1.0
        elif extra or gaze is not None or head is not None or style:
            amounts["neutral"] = 1.0
        else:
            raise ParameterError(f"prompt {quote_input(text)} names no feeling; try e.g. 'happy', 'a bit nervous', "
                                 f"'trying not to laugh'")
    total = sum(amounts.values())
    mixture = {k: v / total for k, v in amounts.items()}
    # Degree words scale intensity: the weighted mean of each component's amount.
    scale = sum(v * v for v in amounts.values()) / total
    if style is not None and style not in STYLES:  # pragma: no cover - STYLE_WORDS maps into STYLES
        style = None
    return Prompt(text=text, mixture=mixture, intensity_scale=float(scale), suppressed=suppressed,
                  extra_aus=extra, gaze=gaze, head=head, lateral=lateral, side=side, style=style,
                  negated=tuple(negated))


def known_words() -> list[str]:
    """Every word/phrase the lexicon knows (state names and aliases)."""
    return sorted(LEXICON)
