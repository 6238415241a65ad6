"""Public generation API: prompt -> N distinct, plausible Unified Expressions poses or a timed clip.

    >>> from facemimic.generate.api import express
    >>> frames = express("nervous smile", variations=4, seed=1)     # 4 ExpressionFrames
    >>> frames[0].top(3)                                            # doctest: +SKIP

Pipeline for one call (each step is documented in docs/generate.md):

1. parse the prompt (:mod:`.prompt`) into a mixture of states plus modifiers;
2. the learned conditional VAE (:mod:`.model`) decodes one latent draw per variation into an apex
   expression for that mixture and style;
3. held-back emotions ("trying not to …") keep 75 % of their upper face and 30 % of the mouth,
   plus pressed lips (masking leaks in the upper face; Ekman & Friesen);
4. modifier AUs ("eyes closed", "mouth open") are added through the FACS table;
5. intensity ramps every shape up monotonically, weaker (secondary) shapes joining later; under it
   lies the prototype's floor (every core AU of the prompt's states at its FACS range's low end),
   shown in full at the default intensity 0.75 and exaggerated above it, so a plain "happy" always
   reaches a recognisable apex;
   the brow lowerer yields to the inner brow raise (AU1+4: brows up and together, :func:`oblique_brows`);
6. asymmetry moves weight between the left and right shapes; one-sided displays follow ``side``;
7. the constraint projection (:mod:`.constraints`) removes impossible combinations;
8. gaze and head come from the states' tendencies plus per-variation variation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..emotions.facs import AU_POS, CLOSURE_LEFT, CLOSURE_RIGHT, N_AU, N_X, X_NAMES, au_to_x
from ..emotions.states import STATE_NAMES, STATES, check_style, mixture_vector
from ..errors import ParameterError
from ..expressions.frame import ExpressionFrame
from ..expressions.names import N_UE, UE_MIRROR
from .constraints import project
# The analyser learns from the same FACS-grounded samples (and the measured tracker model) as the
# generator: part of this stage's public surface.
from .dataset import random_conditions, sample_facs
from .model import LATENT, GeneratorModel, condition, load_model
from .prompt import Prompt, parse_prompt
from .mediapipe_response import MediaPipeResponse, load_mediapipe_response
from .tracker_model import TrackerModel, load_tracker_model

DEFAULT_INTENSITY = 0.75  # when neither the caller nor the prompt says how strong
# The intensity at which a state shows its natural FACS apex (its AU ranges, the prototype a viewer
# recognises): a plain "happy" is a full natural smile; intensity 1 ("very happy") goes 1/0.75 of
# the way further (an exaggerated display, each shape clipped at its full extent); below, the ramp.
APEX_INTENSITY = DEFAULT_INTENSITY
MAX_VARIATIONS = 100_000
# An optional AU present in at least this share of a state's displays joins its prototype floor:
# FACS's happy is 6+12(+25), and a smile with closed lips (the learned apex parted them 0.015 IPD)
# read to viewers as contentment or nothing; at AU25's low end the lips part 0.055 IPD.
USUAL_COMPANION = 0.6
# Latent temperature per style: subtle and anime displays vary less between takes.
TEMPERATURE = {"natural": 1.2, "subtle": 0.8, "exaggerated": 1.1, "anime": 0.9}
# How far gaze/head tendencies are expressed per style.
POSTURE_GAIN = {"natural": 1.0, "subtle": 0.5, "exaggerated": 1.4, "anime": 1.2}

_X_MIRROR = np.array(list(UE_MIRROR) + [CLOSURE_RIGHT, CLOSURE_LEFT])
_LEFT = np.array([i for i, n in enumerate(X_NAMES[:N_UE]) if n.endswith("Left")])
_RIGHT = np.array([X_NAMES.index(X_NAMES[i][:-4] + "Right") for i in _LEFT])
# Mouth-region channels (what a held-back emotion mostly hides).
_MOUTH = np.array([i for i, n in enumerate(X_NAMES) if n.startswith(("Mouth", "Lip", "Jaw", "Tongue", "Cheek"))])


@dataclass(frozen=True)
class GenerateOptions:
    """Controls for :func:`generate`; checked once in ``__post_init__``."""

    intensity: float | None = None  # 0..1; None = 0.75 scaled by the prompt's degree words
    asymmetry: float = 0.0  # -1..1: >0 moves weight to the subject's right shapes, <0 to the left
    style: str | None = None  # natural | subtle | exaggerated | anime; None = the prompt's or natural
    variations: int = 1  # how many distinct expressions
    seed: int | None = None  # same seed, same output; None = a fresh random seed (reported back)
    temperature: float | None = None  # latent spread; None = per-style default

    def __post_init__(self) -> None:
        if self.intensity is not None and not (0.0 <= float(self.intensity) <= 1.0):
            raise ParameterError(f"intensity must be between 0 and 1, got {self.intensity!r}")
        if not (-1.0 <= float(self.asymmetry) <= 1.0):
            raise ParameterError(f"asymmetry must be between -1 and 1, got {self.asymmetry!r}")
        if self.style is not None:
            check_style(self.style)
        if not isinstance(self.variations, (int, np.integer)) or not 1 <= self.variations <= MAX_VARIATIONS:
            raise ParameterError(f"variations must be an integer from 1 to {MAX_VARIATIONS}, got {self.variations!r}")
        if self.seed is not None and (not isinstance(self.seed, (int, np.integer)) or self.seed < 0):
            raise ParameterError(f"seed must be a non-negative integer, got {self.seed!r}")
        if self.temperature is not None and not (0.0 <= self.temperature <= 3.0):
            raise ParameterError(f"temperature must be between 0 and 3, got {self.temperature!r}")


@dataclass(frozen=True)
class Generation:
    """The result of :func:`generate`: arrays for all variations plus what was asked."""

    x: np.ndarray  # (N, 90): 88 UE weights then eye closure left/right
    gaze: np.ndarray  # (N, 2, 2) VRCFT gaze [left, right] x [x, y]
    head: np.ndarray  # (N, 3) yaw, pitch, roll in degrees
    prompt: Prompt  # what the prompt was understood as
    intensity: float  # the effective intensity used
    style: str  # the style used
    seed: int  # the seed used (reproduces this output)
    model: str  # the generator's name

    @property
    def weights(self) -> np.ndarray:
        """UE weights, shape (N, 88)."""
        return self.x[:, :N_UE]

    def as_tracked(self, response=None, *, mode: str = "image") -> np.ndarray:
        """These expressions as MediaPipe would score them (its blendshape scale, ``units="mediapipe"``).

        :attr:`x` is in FaceMimic's unit (the fraction of each shape's full extent, what avatars
        and ``facemimic track`` use); MediaPipe's scores are non-linear, saturate and stay dead on
        some channels. The per-channel response curves of :mod:`.mediapipe_response` (fitted on
        real faces) map one to the other. Use it to compare generated faces with tracks captured
        with ``--units mediapipe`` or to test a pipeline that consumes MediaPipe's scores; avatars
        should get :attr:`x` itself.

        Parameters
        ----------
        response : MediaPipeResponse, optional
            The curves to use (default: the shipped ones).
        mode : {"image", "video"}
            MediaPipe's running mode (poses are stills: ``"image"``).

        Returns
        -------
        np.ndarray [shape=(N, 90), dtype=float32]
        """
        from .mediapipe_response import load_mediapipe_response

        return (response or load_mediapipe_response()).observe(self.x, mode)

    def frames(self, *, time: float = 0.0) -> list[ExpressionFrame]:
        """One :class:`ExpressionFrame` per variation."""
        out = []
        for k in range(len(self.x)):
            out.append(ExpressionFrame(
                time=time, weights=self.x[k, :N_UE],
                gaze_left=(float(self.gaze[k, 0, 0]), float(self.gaze[k, 0, 1])),
                gaze_right=(float(self.gaze[k, 1, 0]), float(self.gaze[k, 1, 1])),
                openness_left=float(1 - self.x[k, CLOSURE_LEFT]), openness_right=float(1 - self.x[k, CLOSURE_RIGHT]),
                head_rotation=tuple(float(v) for v in self.head[k])))
        return out


def _as_prompt(prompt) -> Prompt:
    if isinstance(prompt, Prompt):
        return prompt
    if isinstance(prompt, dict):
        m = mixture_vector(prompt)
        total = float(m.sum())
        return Prompt(text=str(prompt), mixture={STATE_NAMES[i]: float(m[i] / total) for i in np.flatnonzero(m)})
    if not isinstance(prompt, str):  # parse_prompt called 3 or ["happy"] an empty prompt
        raise ParameterError(f"prompt must be text or a {{state: weight}} dict, got {type(prompt).__name__}")
    return parse_prompt(prompt)


def ramp_intensity(x: np.ndarray, intensity: "float | np.ndarray") -> np.ndarray:
    """Scale apex expressions to an intensity, monotonically per shape.

    The strongest shape of each expression grows linearly with ``intensity``; a shape at a fraction
    ``r`` of the strongest starts at ``0.4 * (1 - r)`` and reaches its apex value at 1, so secondary
    shapes join later (a faint smile has no cheek raise yet).

    Parameters
    ----------
    x : np.ndarray [shape=(N, 90)]
    intensity : float or np.ndarray [shape=(N,)] in [0, 1]
    """
    x = np.asarray(x, np.float32)
    i = np.broadcast_to(np.asarray(intensity, np.float32), x.shape[:1])[:, None]
    peak = np.maximum(x.max(axis=1, keepdims=True), 1e-6)
    theta = 0.4 * (1.0 - x / peak)
    ramp = np.clip((i - theta) / (1.0 - theta), 0.0, 1.0)
    return (x * ramp).astype(np.float32)


def apex_amplitude(x: np.ndarray, intensity: float) -> np.ndarray:
    """A natural apex shown at a requested intensity; :data:`APEX_INTENSITY` shows it as it is.

    Below it, :func:`ramp_intensity` of ``intensity / APEX_INTENSITY`` (secondary shapes join
    late); above it, every shape scaled by ``intensity / APEX_INTENSITY`` and clipped at 1, so
    "very happy" is stronger than "happy" and every shape keeps the order of intensities.

    Parameters
    ----------
    x : np.ndarray [shape=(N, 90)]
        Apex expressions (a natural display).
    intensity : float in [0, 1]

    Returns
    -------
    np.ndarray [shape=(N, 90), dtype=float32]
    """
    rel = float(intensity) / APEX_INTENSITY
    if rel <= 1.0:
        return ramp_intensity(x, rel)
    return np.clip(np.asarray(x, np.float32) * rel, 0.0, 1.0).astype(np.float32)


def prototype_floor(mixture: "dict[str, float]", *, skip: "frozenset[str]" = frozenset(),
                    companions: bool = False) -> np.ndarray:
    """The least a natural apex of a mixture shows: every core AU at the low end of its FACS range
    (``companions=True``: instead the usual companions, :data:`USUAL_COMPANION`, at theirs).

    The decoder learned from FACS samples *and* real frames; real labelled spans are mostly onsets,
    offsets and mild displays, so the learned apex sits below the prototype (a "happy" corner pull
    of 0.58 where FACS's AU12 C-E says 0.6-1). Without its defining AUs at a recognisable intensity
    a display does not read as that emotion, so :func:`generate` keeps every expression at or above
    this floor (shown at the requested intensity by :func:`apex_amplitude`); the latent still varies
    everything above it. Each state's core AUs come from ``emotions/states.py``, scaled by the
    state's share of the mixture (the largest = 1).

    Parameters
    ----------
    mixture : dict
        ``{state: weight}`` of the prompt.
    skip : frozenset of str
        States left out (those a user's fine-tuned model learned from their own face).

    Returns
    -------
    np.ndarray [shape=(90,), dtype=float32]
    """
    a = np.zeros((N_AU, 2), np.float32)
    top = max(mixture.values(), default=0.0)
    for name, wt in mixture.items():
        if name in skip or top <= 0:
            continue
        # companions: what most displays add (happy's parted lips, which show the upper teeth a
        # viewer reads as a smile; angry's tightened lips)
        aurs = tuple(r for r in STATES[name].optional if r.p >= USUAL_COMPANION) if companions else STATES[name].core
        for r in aurs:
            for side in r.sides:
                a[AU_POS[r.au], side] = max(a[AU_POS[r.au], side], r.low * wt / top)
    return au_to_x(a)


INNER_TRACE = 0.2  # FACS A: a brow raise below it is no AU1 / AU2 (oblique_brows)
_BROW_OUTER = np.array([X_NAMES.index(f"BrowOuterUp{s}") for s in ("Left", "Right")])
_BROW_PAIRS = np.array([(X_NAMES.index(f"BrowLowerer{s}"), X_NAMES.index(f"BrowInnerUp{s}")) for s in ("Left", "Right")])


def oblique_brows(x: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """The brow of AU1+4 (sadness, fear, worry) as FACS describes it: inner corners raised *and*
    drawn together, not lowered.

    AU4 drives ``BrowLowerer`` and ``BrowPinch`` alike (ARKit's browDown); with AU1 the frontalis
    lifts what the depressor pulls down at the inner corner, so on each side the lowerer fades as
    the prompt's prototype raises the inner brow from FACS trace (A = 0.2: no AU1, the lowerer
    kept) to slight (B = 0.4), and the pinch stays. How far it fades depends on AU2: with the outer
    brow raised too (fear's 1+2+4) nothing lowers the brow any more (up and together: the lowerer
    gone); without it (sadness's 1+4) the lateral brow stays down, half the lowerer kept, so a
    renderer draws the oblique brow (inner corner up by ``BrowInnerUp`` minus that half, outer end
    down). Why: avatars and portraits add shapes, and ``BrowInnerUp`` 0.65 + ``BrowLowerer`` 0.48
    drew a flat brow (a fearful face read as surprised, a sad one as nothing). Anger (no AU1) keeps
    its lowered brows; a mixture in proportion to its AU1. The fraction comes from the prototype,
    not from each take, so every shape still grows with the intensity. Applied once, after the
    floor.

    Parameters
    ----------
    x : np.ndarray [shape=(N, 90)]
    floor : np.ndarray [shape=(90,)]
        The prompt's :func:`prototype_floor` (its core AUs' low ends).

    Returns
    -------
    np.ndarray [shape=(N, 90), dtype=float32]
    """
    x = np.array(x, np.float32, copy=True)
    low, inner = _BROW_PAIRS[:, 0], _BROW_PAIRS[:, 1]
    floor = np.asarray(floor)
    inner_raised = np.clip((floor[inner] - INNER_TRACE) / INNER_TRACE, 0.0, 1.0)
    outer_raised = np.clip((floor[_BROW_OUTER] - INNER_TRACE) / INNER_TRACE, 0.0, 1.0)
    x[:, low] *= 1.0 - inner_raised * (0.5 + 0.5 * outer_raised)
    return x


def _user_states(gen: GeneratorModel) -> frozenset:
    """States a fine-tuned model learned from someone's own face: their apex is theirs, not FACS's."""
    training = gen.header.get("training", {}) if isinstance(gen.header, dict) else {}
    return frozenset(training.get("real_states", ())) if training.get("finetune") else frozenset()


def apply_asymmetry(x: np.ndarray, asymmetry: float) -> np.ndarray:
    """Move a fraction ``|asymmetry|`` of each left shape's weight onto its right twin (or back).

    Eye closure is left alone (an asymmetric blink would read as a wink).
    """
    a = float(asymmetry)
    if a == 0:
        return x
    x = np.array(x, np.float32, copy=True)
    src, dst = (_LEFT, _RIGHT) if a > 0 else (_RIGHT, _LEFT)
    moved = x[:, src] * abs(a)
    x[:, src] -= moved
    x[:, dst] = np.minimum(1.0, x[:, dst] + moved)
    return x


def _posture(p: Prompt, n: int, style: str, intensity: float, rng: np.random.Generator):
    w = p.mixture
    total = sum(w.values())
    gaze = np.zeros(2, np.float32)
    head = np.zeros(3, np.float32)
    lateral = p.lateral
    for name, wt in w.items():
        st = STATES[name]
        gaze += wt / total * np.array(st.gaze, np.float32)
        head += wt / total * np.array(st.head, np.float32)
        lateral = lateral or st.lateral
    if p.gaze is not None:
        gaze = np.array(p.gaze, np.float32)
    if p.head is not None:
        head = head + np.array(p.head, np.float32)
    g = POSTURE_GAIN[style] * np.sqrt(max(intensity, 0.0))
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0) if lateral else np.ones(n)
    if p.side is not None:
        sign = np.full(n, 1.0 if p.side == "right" else -1.0)
    gx = sign * gaze[0] * g + rng.normal(0, 0.04, n)
    gy = gaze[1] * g + rng.normal(0, 0.03, n)
    verg = np.abs(rng.normal(0, 0.01, n))  # a little convergence, as at conversational distance
    gz = np.stack([np.stack([gx + verg, gy], -1), np.stack([gx - verg, gy], -1)], 1).astype(np.float32)
    hd = np.stack([sign * head[0] * g + rng.normal(0, 2.0, n), head[1] * g + rng.normal(0, 1.5, n),
                   sign * head[2] * g + rng.normal(0, 1.5, n)], -1).astype(np.float32)
    return gz, hd


def generate(prompt, *, options: GenerateOptions | None = None, model: "GeneratorModel | str | None" = None,
             fallback: bool = False, **kwargs) -> Generation:
    """Generate expressions for a prompt (arrays; see :func:`express` for frames).

    Parameters
    ----------
    prompt : str, dict or Prompt
        Free text ("a bit disgusted but amused"), or ``{state: weight}``.
    options : GenerateOptions, optional
        Or pass its fields as keyword arguments (``intensity=0.6, variations=8, seed=1``).
    model : GeneratorModel, path or None
        A trained generator (``facemimic train``); None = the shipped default.
    fallback : bool
        Use the default model when ``model`` cannot be loaded.

    Returns
    -------
    Generation
        ``x`` (N, 90), ``gaze`` (N, 2, 2), ``head`` (N, 3) and what was used.
    """
    o = options or GenerateOptions(**kwargs)
    p = _as_prompt(prompt)
    gen = load_model(model, fallback=fallback)
    style = o.style or p.style or "natural"
    seed = int(o.seed) if o.seed is not None else int(np.random.SeedSequence().entropy % (2 ** 31))
    base = DEFAULT_INTENSITY if o.intensity is None else float(o.intensity)
    intensity = float(np.clip(base * p.intensity_scale, 0.0, 1.0))
    n = int(o.variations)
    rng = np.random.default_rng(seed)
    temp = TEMPERATURE[style] if o.temperature is None else o.temperature
    z = rng.standard_normal((n, LATENT)).astype(np.float32) * temp
    m = mixture_vector(p.mixture)
    cond = condition(np.broadcast_to(m, (n, m.size)), style)
    x = gen.decode(z, cond)
    floor = prototype_floor(p.mixture, skip=_user_states(gen))
    if p.suppressed:  # a held-back emotion's floor is held back like the rest of it
        floor = floor * _suppress_scale(p)[1]
    x = _suppress(x, p, m)
    if p.extra_aus:
        a = np.zeros((N_AU, 2), np.float32)
        for au, v in p.extra_aus.items():
            a[AU_POS[au]] = v
        x = np.maximum(x, au_to_x(a)[None])
    # The prompt's defining channels (those with a floor) show the learned apex, never below the
    # prototype's floor, as a natural apex at the default intensity; every other channel keeps the
    # plain intensity ramp (a neutral face's faint learned residue stays faint).
    core = floor > 0
    learned = ramp_intensity(x, intensity)
    natural = apex_amplitude(np.maximum(x, floor[None]), intensity)
    x = np.where(core[None], np.maximum(learned, natural), learned).astype(np.float32)
    # The usual companions only lift their channels to their own floor: the learned apex of a
    # channel a companion shares is still ramped (a happy jaw shown in full gaped 0.13-0.24 IPD).
    extra = prototype_floor(p.mixture, skip=_user_states(gen), companions=True)
    if p.suppressed:
        extra = extra * _suppress_scale(p)[1]
    x = np.maximum(x, apex_amplitude(extra[None], intensity)).astype(np.float32)
    x = oblique_brows(x, floor)
    if p.side is None and _one_sided(p):
        # One-sided displays (contempt, a smirk, a wink) use either side across people and takes.
        flip = np.random.default_rng([seed, 2]).random(n) < 0.35
        x[flip] = x[flip][:, _X_MIRROR]
    elif p.side is not None:
        lm, rm = x[:, _LEFT].sum(1), x[:, _RIGHT].sum(1)
        flip = (rm < lm) if p.side == "right" else (lm < rm)
        x[flip] = x[flip][:, _X_MIRROR]
    asym = o.asymmetry if o.asymmetry != 0 or p.side is None else (0.3 if p.side == "right" else -0.3)
    x = project(apply_asymmetry(x, asym))
    gaze, head = _posture(p, n, style, intensity, np.random.default_rng([seed, 1]))
    return Generation(x=x, gaze=gaze, head=head, prompt=p, intensity=intensity, style=style, seed=seed,
                      model=gen.name)


def _one_sided(p: Prompt) -> bool:
    return any(len(r.sides) == 1 for name in p.mixture for r in STATES[name].core)


def _suppress_scale(p: Prompt) -> "tuple[float, np.ndarray]":
    """(share of held-back states, per-channel scale): a held-back emotion keeps 75 % of its upper
    face and 30 % of its mouth."""
    share = sum(p.mixture.get(s, 0.0) for s in p.suppressed) / max(sum(p.mixture.values()), 1e-9)
    scale = np.full(N_X, 1.0 - 0.25 * share, np.float32)
    scale[_MOUTH] = 1.0 - 0.7 * share
    return share, scale


def _suppress(x: np.ndarray, p: Prompt, m: np.ndarray) -> np.ndarray:
    if not p.suppressed:
        return x
    share, scale = _suppress_scale(p)
    x = np.array(x, copy=True)
    x *= scale
    a = np.zeros((N_AU, 2), np.float32)
    a[AU_POS[24]], a[AU_POS[17]], a[AU_POS[14]] = 0.55 * share, 0.35 * share, 0.25 * share
    return np.maximum(x, au_to_x(a)[None])


def express(prompt, *, intensity: float | None = None, asymmetry: float = 0.0, style: str | None = None,
            variations: int = 1, seed: int | None = None, model=None, fallback: bool = False) -> list[ExpressionFrame]:
    """N distinct, plausible expressions for a prompt, as :class:`ExpressionFrame` s.

    Parameters
    ----------
    prompt : str or dict
        "happy", "a bit disgusted but amused", "trying not to laugh", or ``{"happy": .7, "sad": .3}``.
    intensity : float in [0, 1], optional
        Default 0.75, scaled by degree words in the prompt ("very", "a bit").
    asymmetry : float in [-1, 1]
        > 0 moves weight onto the subject's right shapes, < 0 onto the left.
    style : {"natural", "subtle", "exaggerated", "anime"}, optional
    variations : int
        How many different expressions (one latent draw each).
    seed : int, optional
        Same seed, same output.
    model : path or GeneratorModel, optional
        A model from ``facemimic train``; the shipped default otherwise.

    Returns
    -------
    list of ExpressionFrame, length ``variations`` (weights (88,), gaze, openness, head rotation).
    """
    g = generate(prompt, options=GenerateOptions(intensity=intensity, asymmetry=asymmetry, style=style,
                                                 variations=variations, seed=seed), model=model, fallback=fallback)
    return g.frames()


def express_clip(prompt_or_timeline: str, *, duration: float | None = None, **kwargs):
    """A timed clip (an :class:`ExpressionTrack`); see :func:`facemimic.generate.clips.clip`."""
    from .clips import clip

    return clip(prompt_or_timeline, duration=duration, **kwargs)


__all__ = ["APEX_INTENSITY", "GenerateOptions", "Generation", "MediaPipeResponse", "TrackerModel", "apex_amplitude",
           "apply_asymmetry", "express",
           "express_clip", "generate", "load_mediapipe_response", "load_tracker_model", "oblique_brows", "prototype_floor",
           "ramp_intensity", "random_conditions", "sample_facs"]
