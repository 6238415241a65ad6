"""Timed clips: onset/apex/offset dynamics, blinks, gaze saccades, micro-movements, head motion.

``clip("happy", duration=3)`` rises from neutral into a generated "happy" apex, holds it with
micro-movements and relaxes back; ``clip("neutral 0.5s > surprised 1s > happy 2s")`` plays a
timeline, each segment easing from the previous expression into its own.

Dynamics (spec ``expressions.md`` §2.5; numbers are defaults, all in :class:`ClipOptions`):

* **Onset/offset**: minimum-jerk easing. *Spontaneous* displays rise in 0.6 s and relax in 0.9 s;
  *posed* ones are faster (0.35 s / 0.5 s) and 10 % larger (Schmidt et al. 2006: deliberate smiles
  have greater onset/offset speed and amplitude; genuine smiles have longer onset, apex and offset,
  Guo et al. 2018). Weaker (secondary) shapes lag the strongest by up to 25 % of the onset, e.g. the
  cheek raise follows the lip-corner pull.
* **Blinks**: log-normal inter-blink intervals around the state's rate (rest 17/min, talking
  26/min; Bentivoglio 1997), durations log-normal with median 170 ms clipped to 100-400 ms,
  closing 40 % of the time, opening 60 % (closing is faster); 35 % of blinks are incomplete.
* **Gaze**: fixations (log-normal, median 1.2 s) around the state's gaze tendency with saccades
  whose duration follows the main sequence (20 ms + 2.5 ms/degree); larger gaze shifts often
  carry a blink.
* **Head**: the state's posture plus slow 1/f-like drift (about 1-2 degrees) that partly follows
  large gaze shifts; **micro-movements**: a few percent of slow intensity fluctuation on active
  shapes, shared by both sides so a smile never flickers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, check_options
from ..expressions.names import N_UE
from ..expressions.track import ExpressionTrack, merge_tracks
from .api import GenerateOptions, generate
from ..emotions.facs import CLOSURE_LEFT, CLOSURE_RIGHT, N_X, X_INDEX
from .prompt import quote_input

# A timeline is segments separated by ">", "->" or "then"; each may end in a duration.
_SEPARATORS = re.compile(r"->|>|\bthen\b")
_UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0}
_DURATION = re.compile(r"^(?P<num>\d+(?:\.\d+)?|\.\d+)(?P<unit>[a-z]*)$")
# A last word that starts like a number (or a signed one) is meant as a duration: it must be one.
_DURATION_LIKE = re.compile(r"^[-+\u2212]?\.?\d")
MAX_CLIP_SECONDS = 3600.0


@dataclass(frozen=True)
class ClipOptions:
    """How a clip moves; every field is checked in ``__post_init__``."""

    fps: float = 30.0  # frames per second of the output track
    mode: str = "spontaneous"  # spontaneous | posed: onset/offset speed and amplitude (spec §2.5)
    talking: bool = False  # blink at the conversational rate (26/min) instead of the state's rate
    blinks: bool = True  # add blinks
    saccades: bool = True  # add fixations and saccades
    head_motion: bool = True  # add head drift
    micro: float = 0.05  # relative amplitude of slow intensity fluctuation at the apex
    lead_in: float = 0.1  # seconds of neutral before a single prompt's onset
    # Explicit events instead of the random ones (an edited blink or gaze lane; metadata lists the
    # generated ones in the same form): blinks (start s, duration s, depth 0-1), fixations
    # (time s, gaze x, gaze y) each reached by a main-sequence saccade.
    blink_events: tuple | None = None
    saccade_events: tuple | None = None

    def __post_init__(self) -> None:
        for name, lo, hi in (("blink_events", (0.0, 0.02, 0.0), (MAX_CLIP_SECONDS, 1.0, 1.0)),
                             ("saccade_events", (0.0, -1.0, -1.0), (MAX_CLIP_SECONDS, 1.0, 1.0))):
            events = getattr(self, name)
            if events is None:
                continue
            try:
                arr = np.asarray(events, np.float64).reshape(-1, 3)
            except (TypeError, ValueError):
                raise ParameterError(f"{name} must be a list of [time, a, b] triples") from None
            if len(arr) != len(events) or not np.all(np.isfinite(arr)) or np.any(arr < lo) or np.any(arr > hi):
                raise ParameterError(f"{name}: each event must be [time in [0, {MAX_CLIP_SECONDS:g}], "
                                     f"{'duration in [0.02, 1], depth in [0, 1]' if name == 'blink_events' else 'x, y in [-1, 1]'}]")
            object.__setattr__(self, name, tuple(tuple(float(v) for v in e) for e in sorted(arr.tolist())))
        if not (0 < self.fps <= 240):
            raise ParameterError(f"fps must be in (0, 240], got {self.fps!r}")
        if self.mode not in ("spontaneous", "posed"):
            raise ParameterError(f"mode must be 'spontaneous' or 'posed', got {self.mode!r}")
        if not (0 <= self.micro <= 0.3):
            raise ParameterError(f"micro must be between 0 and 0.3, got {self.micro!r}")


_TIMING = {"spontaneous": (0.6, 0.9, 1.0), "posed": (0.35, 0.5, 1.1)}  # onset s, offset s, amplitude


def split_duration(segment: str) -> tuple[str, float | None]:
    """``"surprised 1s"`` -> ``("surprised", 1.0)``; ``"happy"`` -> ``("happy", None)``.

    The last word is a duration when it starts like a number: digits with an optional unit
    (``ms``, ``s``, ``sec``, ``seconds``; none means seconds), also written apart (``2 s``). A
    last word that starts like a number but is not a positive duration (``-1s``, ``0s``,
    ``1,5s``, ``2min``) is refused rather than read as part of the prompt.
    """
    words = segment.split()
    if not words:
        raise ParameterError("empty timeline segment: write e.g. 'neutral 0.5s > surprised 1s > happy 2s'")
    tail, n_tail = words[-1], 1
    if len(words) >= 2 and tail.lower() in _UNITS and _DURATION_LIKE.match(words[-2]):
        tail, n_tail = words[-2] + tail, 2
    if not _DURATION_LIKE.match(tail):
        return " ".join(words), None
    prompt = " ".join(words[:-n_tail])
    m = _DURATION.match(tail.lower())
    sign = prompt[-1:] in ("-", "+", "\u2212")  # "happy - 1s": a detached sign
    if m is None or m.group("unit") not in ("", *_UNITS) or sign:
        shown = (words[-n_tail - 1] + " " if sign else "") + " ".join(words[-n_tail:])
        raise ParameterError(f"timeline segment {quote_input(segment)}: {quote_input(shown)} is not a duration; "
                             f"write a positive number of seconds or milliseconds, e.g. 1.5s or 500ms")
    sec = float(m.group("num")) * _UNITS.get(m.group("unit") or "s", 1.0)
    if sec <= 0:
        raise ParameterError(f"timeline segment {quote_input(segment)} has a zero duration; durations must be "
                             f"positive")
    if not prompt:
        raise ParameterError(f"timeline segment {quote_input(segment)} names no expression")
    return prompt, sec


def is_timed(text: str) -> bool:
    """True for a timeline (``a > b``) or a prompt ending in a duration (``happy 2s``): a clip."""
    if _SEPARATORS.search(text):
        return True
    words = text.split()
    return bool(words) and bool(_DURATION_LIKE.match(words[-1]) or
                                (len(words) >= 2 and words[-1].lower() in _UNITS and _DURATION_LIKE.match(words[-2])))


# A segment may end in its dynamics: "surprised 1s (onset 0.3s, offset 0.2s)".
_DYNAMICS = re.compile(r"\(([^()]*)\)\s*$")
_DYNAMIC_KEYS = ("onset", "offset")


@dataclass(frozen=True)
class TimelineSpan:
    """One segment of a timeline: ``surprised 1s (onset 0.3s, offset 0.2s)``.

    ``onset`` is the rise from the previous expression into this one's apex, from the span's start;
    ``offset`` the relaxation to neutral that ends the span. The apex holds between them. None:
    the generator's own timing (a randomised 0.6 s / 0.35 s onset, capped at 45 % of the span; no
    offset inside a timeline, a 0.9 s / 0.5 s one at the end of a single prompt).
    """

    prompt: str
    seconds: float
    onset: float | None = None
    offset: float | None = None

    def text(self) -> str:
        """The segment in the timeline syntax (parses back to this span)."""
        dyn = [f"{k} {v:g}s" for k, v in (("onset", self.onset), ("offset", self.offset)) if v is not None]
        return f"{self.prompt} {self.seconds:g}s" + (f" ({', '.join(dyn)})" if dyn else "")


def split_dynamics(segment: str) -> tuple[str, float | None, float | None]:
    """``"surprised 1s (onset 0.3s, offset 0.2s)"`` -> ``("surprised 1s", 0.3, 0.2)``.

    The parenthesis names ``onset`` and/or ``offset``, each with a duration in the timeline's
    spelling (``0.3s``, ``300ms``, ``0``: an instant change); anything else is refused in one line.
    """
    m = _DYNAMICS.search(segment)
    if m is None:
        if "(" in segment or ")" in segment:
            raise ParameterError(f"timeline segment {quote_input(segment)}: write its dynamics at the end as "
                                 f"'(onset 0.3s, offset 0.2s)'")
        return segment, None, None
    found: dict[str, float] = {}
    for item in [x.strip() for x in m.group(1).split(",")]:
        words = item.split()
        key = words[0].lower() if words else ""
        if key not in _DYNAMIC_KEYS or len(words) not in (2, 3) or key in found:
            raise ParameterError(f"timeline segment {quote_input(segment)}: {quote_input(item or '()')} is not "
                                 f"'onset DURATION' or 'offset DURATION' (each at most once)")
        d = _DURATION.match("".join(words[1:]).lower())
        if d is None or d.group("unit") not in ("", *_UNITS):
            raise ParameterError(f"timeline segment {quote_input(segment)}: {quote_input(' '.join(words[1:]))} is "
                                 f"not a duration; write e.g. 0.3s or 300ms")
        found[key] = float(d.group("num")) * _UNITS.get(d.group("unit") or "s", 1.0)
    return segment[:m.start()].rstrip(), found.get("onset"), found.get("offset")


def parse_spans(text: str, *, duration: float | None = None) -> list[TimelineSpan]:
    """``"neutral 0.5s > surprised 1s (onset 0.3s, offset 0.2s)"`` -> :class:`TimelineSpan` list.

    As :func:`parse_timeline`, with each segment's optional dynamics; onset + offset must fit in the
    segment's seconds.
    """
    parts = [p.strip() for p in _SEPARATORS.split(text)]
    if not any(parts):
        raise ParameterError("empty timeline: write e.g. 'neutral 0.5s > surprised 1s > happy 2s'")
    if not all(parts):
        raise ParameterError(f"timeline {quote_input(text)} has an empty segment (two separators in a row, or one "
                             f"at an end)")
    dyn = [split_dynamics(p) for p in parts]
    segs = [split_duration(rest) for rest, _, _ in dyn]
    fixed = sum(s for _, s in segs if s is not None)
    free = [i for i, (_, s) in enumerate(segs) if s is None]
    if free:
        share = 1.0 if duration is None else (duration - fixed) / len(free)
        if share <= 0:
            raise ParameterError(f"timeline needs more than {duration} s: its fixed segments take {fixed:g} s")
        segs = [(p, s if s is not None else share) for p, s in segs]
    spans = [TimelineSpan(p, float(s), on, off) for (p, s), (_, on, off) in zip(segs, dyn)]
    for sp, part in zip(spans, parts):
        if (sp.onset or 0.0) + (sp.offset or 0.0) > sp.seconds + 1e-9:
            raise ParameterError(f"timeline segment {quote_input(part)}: onset + offset take more than its "
                                 f"{sp.seconds:g} s")
    return spans


def format_spans(spans) -> str:
    """:class:`TimelineSpan` list -> timeline text (``parse_spans`` reads it back)."""
    return " > ".join(sp.text() for sp in spans)


def parse_timeline(text: str, *, duration: float | None = None) -> list[tuple[str, float]]:
    """``"neutral 0.5s > surprised 1s > happy 2s"`` -> ``[(prompt, seconds), …]``.

    Segments are separated by ``>`` (or ``->``, ``then``). A segment without a duration gets an
    equal share of what ``duration`` leaves (1 s each when no duration is given). Negative, zero
    or malformed durations raise :class:`ParameterError` quoting the segment (cut to 60 characters).
    Segments' dynamics (``(onset 0.3s, offset 0.2s)``) are read and left out: :func:`parse_spans`
    keeps them.
    """
    return [(sp.prompt, sp.seconds) for sp in parse_spans(text, duration=duration)]


def min_jerk(tau: np.ndarray) -> np.ndarray:
    """Minimum-jerk easing ``10t^3 - 15t^4 + 6t^5`` on [0, 1] (clipped outside)."""
    t = np.clip(tau, 0.0, 1.0)
    return t * t * t * (10 - 15 * t + 6 * t * t)


def smooth_noise(n: int, *, fps: float, cutoff: float, rng: np.random.Generator, channels: int = 1) -> np.ndarray:
    """Low-pass filtered Gaussian noise with unit standard deviation, shape (n, channels)."""
    a = np.exp(-2 * np.pi * cutoff / fps)
    w = rng.standard_normal((n + int(3 * fps / max(cutoff, 1e-3)) + 1, channels))
    out = np.empty_like(w)
    acc = np.zeros(channels)
    for i in range(len(w)):  # one-pole filter; n is small (seconds of video)
        acc = a * acc + (1 - a) * w[i]
        out[i] = acc
    out = out[-n:] if n else out[:0]
    sd = out.std(axis=0) if n > 1 else np.ones(channels)
    return out / np.where(sd > 0, sd, 1.0)


def blink_closure(t: np.ndarray, events) -> np.ndarray:
    """Eye closure of blink events ``[(start, duration, depth), …]`` at times ``t`` (T,), shape (T,).

    Closing takes 40 % of a blink, opening the rest (closing is faster), both minimum-jerk.
    """
    closure = np.zeros_like(np.asarray(t, np.float64))
    for now, dur, depth in events:
        tc = 0.4 * dur
        u = t - now
        up = np.where((u >= 0) & (u < tc), min_jerk(u / tc), 0.0)
        down = np.where((u >= tc) & (u < dur), 1 - min_jerk((u - tc) / (dur - tc)), 0.0)
        closure = np.maximum(closure, depth * np.maximum(up, down))
    return closure


def blink_curve(t: np.ndarray, *, rate_per_min: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list]:
    """Eye-closure added by blinks, shape (T,), and the list of (start, duration, depth)."""
    events = []
    if len(t) == 0:
        return np.zeros_like(t), events
    now = float(t[0]) + rng.uniform(0.2, 1.5)
    end = float(t[-1])
    while now < end:
        k = min(int(np.searchsorted(t, now)), len(t) - 1)
        rate = max(float(rate_per_min[k]), 1.0)
        dur = float(np.clip(rng.lognormal(np.log(0.17), 0.35), 0.1, 0.4))
        depth = 1.0 if rng.random() > 0.35 else float(rng.uniform(0.6, 0.9))
        events.append((now, dur, depth))
        mean_gap = 60.0 / rate
        now += dur + max(0.25, rng.lognormal(np.log(mean_gap) - 0.18, 0.6))
    return blink_closure(t, events), events


def _segments_for(prompt_or_timeline: str, duration: float | None, o: ClipOptions) -> tuple[list, bool]:
    from dataclasses import replace

    single = not _SEPARATORS.search(prompt_or_timeline)
    if single:
        rest, onset, offset = split_dynamics(prompt_or_timeline.strip())
        prompt, sec = split_duration(rest)
        # An explicit duration wins over one written in the prompt; 3 s when neither says.
        d = float(duration) if duration is not None else (sec if sec is not None else 3.0)
        if (onset or 0.0) + (offset or 0.0) > d + 1e-9:
            raise ParameterError(f"prompt {quote_input(prompt_or_timeline)}: onset + offset take more than its {d:g} s")
        return [TimelineSpan(prompt, d, onset, offset)], True
    segs = parse_spans(prompt_or_timeline, duration=duration)
    if duration is not None:
        total = sum(sp.seconds for sp in segs)
        if total < duration:  # hold the last expression to fill the requested length
            segs[-1] = replace(segs[-1], seconds=segs[-1].seconds + duration - total)
    return segs, False


def clip(prompt_or_timeline: str, *, duration: float | None = None, options: ClipOptions | None = None,
         intensity: float | None = None, asymmetry: float = 0.0, style: str | None = None, seed: int | None = None,
         model=None, fallback: bool = False, **clip_kwargs) -> ExpressionTrack:
    """Generate a timed clip.

    Parameters
    ----------
    prompt_or_timeline : str
        A prompt ("nervous smile") or a timeline ("neutral 0.5s > surprised 1s > happy 2s").
    duration : float, optional
        Total seconds (default 3 s for a single prompt; the sum of the segments for a timeline).
    options : ClipOptions, optional
        Or its fields as keywords (``fps=60, mode="posed", talking=True``).
    intensity, asymmetry, style, seed, model, fallback
        As in :func:`facemimic.generate.api.express`.

    Returns
    -------
    ExpressionTrack
        ``fps`` frames per second; ``metadata`` has the timeline, seed, blinks and model.
    """
    if not isinstance(prompt_or_timeline, str):  # the timeline parser failed inside re
        raise ParameterError(f"prompt must be text (a prompt or a timeline), got {type(prompt_or_timeline).__name__}")
    o = check_options(options, ClipOptions) or ClipOptions(**clip_kwargs)
    if duration is not None and not (0 < float(duration) <= 3600):
        raise ParameterError(f"duration must be between 0 and 3600 seconds, got {duration!r}")
    segs, single = _segments_for(prompt_or_timeline, duration, o)
    if sum(sp.seconds for sp in segs) > MAX_CLIP_SECONDS:
        raise ParameterError(f"the timeline lasts {sum(sp.seconds for sp in segs):g} s; clips are at most "
                             f"{MAX_CLIP_SECONDS:g} s")
    GenerateOptions(intensity=intensity, asymmetry=asymmetry, style=style, seed=seed)  # validate early
    seed = int(seed) if seed is not None else int(np.random.SeedSequence().entropy % (2 ** 31))
    rng = np.random.default_rng([seed, 3])
    onset, offset, amp = _TIMING[o.mode]
    total = sum(sp.seconds for sp in segs)
    n = max(int(round(total * o.fps)), 1)
    t = np.arange(n) / o.fps

    x = np.zeros((n, N_X), np.float32)
    head_bias = np.zeros((n, 3), np.float32)
    gaze_bias = np.zeros((n, 2), np.float32)
    blink_rate = np.zeros(n, np.float32)
    prev_x = np.zeros(N_X, np.float32)
    prev_h = np.zeros(3, np.float32)
    prev_g = np.zeros(2, np.float32)
    start = 0.0
    seg_meta = []
    keys = []  # (start, dur, from, to, ...)
    zero_x, zero_3, zero_2 = np.zeros(N_X, np.float32), np.zeros(3, np.float32), np.zeros(2, np.float32)
    for k, span in enumerate(segs):
        prompt, sec = span.prompt, span.seconds
        g = generate(prompt, options=GenerateOptions(intensity=intensity, asymmetry=asymmetry, style=style,
                                                     seed=seed + k), model=model, fallback=fallback)
        apex = np.clip(g.x[0] * amp, 0, 1)
        p = g.prompt
        rate = 26.0 if o.talking else sum(w * _state_blink(s) for s, w in p.mixture.items())
        lead = o.lead_in if (single and k == 0) else 0.0
        d_on = min(onset * rng.uniform(0.8, 1.2), 0.45 * sec)  # drawn even when given: same seed, same rest
        if span.onset is not None:
            d_on = span.onset
        keys.append((start + lead, d_on, prev_x, apex, prev_h, g.head[0], prev_g, g.gaze[0].mean(0)))
        sl = (t >= start) & (t < start + sec)
        blink_rate[sl] = rate
        seg_meta.append({"prompt": prompt, "start": round(start, 4), "seconds": sec, "meaning": p.describe(),
                         "onset": round(float(d_on), 4)})
        prev_x, prev_h, prev_g = apex, g.head[0], g.gaze[0].mean(0)
        if span.offset is not None and not single:  # this span relaxes to neutral before the next
            keys.append((start + sec - span.offset, span.offset, prev_x, zero_x, prev_h, zero_3, prev_g, zero_2))
            seg_meta[-1]["offset"] = round(float(span.offset), 4)
            prev_x, prev_h, prev_g = zero_x, zero_3, zero_2
        start += sec
    if single:  # relax back to neutral at the end: the offset
        d_off = min(offset * rng.uniform(0.8, 1.2), 0.4 * total)
        if segs[0].offset is not None:
            d_off = segs[0].offset
        keys.append((total - d_off, d_off, prev_x, zero_x, prev_h, zero_3, prev_g, zero_2))
        seg_meta[-1]["offset"] = round(float(d_off), 4)
    x[:] = 0
    for (s0, d, xa, xb, ha, hb, ga, gb) in keys:
        peak = max(float(np.max(np.maximum(xa, xb))), 1e-6)
        rel = np.maximum(xa, xb) / peak
        lag = 0.25 * d * (1.0 - rel)  # weaker shapes join later
        tau = (t[:, None] - s0 - lag[None]) / max(d, 1e-3)
        e = min_jerk(tau)
        after = t >= s0
        x[after] = (xa[None] + (xb - xa)[None] * e)[after]
        eh = min_jerk((t - s0) / max(d, 1e-3))[:, None]
        head_bias[after] = (ha + (hb - ha) * eh)[after]
        gaze_bias[after] = (ga + (gb - ga) * eh)[after]

    # Micro-movements: slow shared intensity fluctuation plus a faint left/right imbalance.
    if o.micro > 0:
        common = smooth_noise(n, fps=o.fps, cutoff=0.4, rng=rng)[:, 0]
        side = smooth_noise(n, fps=o.fps, cutoff=0.3, rng=rng)[:, 0]
        gain = 1 + o.micro * common
        x *= gain[:, None].astype(np.float32)
        left = np.array([i for i in range(N_UE) if _name(i).endswith("Left")])
        right = np.array([i for i in range(N_UE) if _name(i).endswith("Right")])
        x[:, left] *= (1 + 0.3 * o.micro * side)[:, None]
        x[:, right] *= (1 - 0.3 * o.micro * side)[:, None]
    x = np.clip(x, 0, 1)

    blinks: list = []
    if o.blinks:  # drawn even when events are given: the head drift after them stays the seed's
        bc, blinks = blink_curve(t, rate_per_min=blink_rate, rng=rng)
    if o.blink_events is not None:
        blinks = list(o.blink_events)
        bc = blink_closure(t, blinks)
    if blinks:
        for c in (CLOSURE_LEFT, CLOSURE_RIGHT):
            x[:, c] = np.maximum(x[:, c], bc)
    gaze = np.repeat(gaze_bias[:, None, :], 2, axis=1)
    fixations: list = []
    if o.saccades:
        shift, fixations = _saccades(t, rng)
    if o.saccade_events is not None:
        fixations = list(o.saccade_events)
        shift = saccade_gaze(t, fixations)
    if fixations:
        gaze += shift[:, None, :]
    head = head_bias.copy()
    if o.head_motion:
        drift = smooth_noise(n, fps=o.fps, cutoff=0.25, rng=rng, channels=3) * np.array([1.5, 1.0, 0.8])
        head += drift.astype(np.float32)
        follow = np.degrees(np.arctan(gaze.mean(1) - gaze_bias)) * 0.3  # head follows the eyes a little
        head[:, 0] += follow[:, 0]
        head[:, 1] -= follow[:, 1]
    from .constraints import project

    x = project(x)
    arrays = {"time": t, "weights": x[:, :N_UE], "gaze": gaze.astype(np.float32),
              "openness": 1.0 - x[:, [CLOSURE_LEFT, CLOSURE_RIGHT]], "head_rotation": head}
    meta = {"generator": "facemimic.generate", "timeline": seg_meta, "seed": seed, "mode": o.mode,
            "talking": o.talking, "blinks": [[round(a, 3), round(b, 3), round(c, 2)] for a, b, c in blinks],
            "saccades": [[round(a, 3), round(b, 3), round(c, 3)] for a, b, c in fixations],
            "model": str(model) if model is not None else "default"}
    return ExpressionTrack.from_arrays(arrays, fps=o.fps, metadata=meta)


def _name(i: int) -> str:
    from ..emotions.facs import X_NAMES

    return X_NAMES[i]


def _state_blink(name: str) -> float:
    from ..emotions.states import STATES

    return STATES[name].blink_rate


def _saccades(t: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list]:
    """Gaze offsets from fixations and saccades (VRCFT units), shape (T, 2), and the fixations
    ``[(time, x, y), …]`` (each saccade's start and target)."""
    events = []
    if len(t) == 0:
        return np.zeros((0, 2), np.float32), events
    pos = np.zeros(2)
    now = float(t[0]) + rng.uniform(0.1, 0.8)
    while now < t[-1]:
        big = rng.random() < 0.15
        target = rng.normal(0, 0.22 if big else 0.07, 2) * np.array([1.0, 0.6])
        target = np.clip(target, -0.5, 0.5)
        events.append((now, float(target[0]), float(target[1])))
        now += _saccade_seconds(pos, target) + max(0.15, rng.lognormal(np.log(1.2), 0.5))
        pos = target
    return saccade_gaze(t, events), events


def _saccade_seconds(a, b) -> float:
    """Main sequence: 20 ms + 2.5 ms per degree of the gaze shift."""
    return 0.02 + 0.0025 * float(np.degrees(np.arctan(np.linalg.norm(np.subtract(b, a)))))


def saccade_gaze(t: np.ndarray, events) -> np.ndarray:
    """Gaze offsets (VRCFT units) of fixations ``[(time, x, y), …]`` at times ``t`` (T,), shape (T, 2):
    each a minimum-jerk saccade of main-sequence duration from the previous fixation (start: 0, 0)."""
    out = np.zeros((len(t), 2), np.float32)
    pos = np.zeros(2)
    for now, x, y in events:
        target = np.array([x, y])
        e = min_jerk((t - now) / _saccade_seconds(pos, target))[:, None]
        after = t >= now
        out[after] = (pos + (target - pos) * e)[after]
        pos = target
    return out


# Mouth-corner shapes a mood keeps (partly) under speech: a smile shows while talking.
CORNER_SHAPES = ("MouthCornerPull", "MouthCornerSlant", "MouthFrown", "MouthDimple", "MouthStretch")


def merge_with_speech(mood: ExpressionTrack, lip: ExpressionTrack, *, keep_corners: float = 0.6) -> ExpressionTrack:
    """Speech owns the mouth, the mood keeps the rest, with a soft blend at the lips.

    ``merge_tracks(mood, lip, "speech")`` replaces jaw, mouth and tongue; then the mood's lip-corner
    shapes come back at ``keep_corners`` of their strength wherever they exceed the speech's own
    (a smiling talker keeps smiling). Cheeks, eyes and brows stay the mood's.
    """
    if not 0 <= keep_corners <= 1:
        raise ParameterError(f"keep_corners must be in [0, 1], got {keep_corners!r}")
    merged = merge_tracks(mood, lip, "speech")
    a = merged.to_arrays()
    w = np.array(a["weights"], copy=True)
    idx = [X_INDEX[f"{s}{side}"] for s in CORNER_SHAPES for side in ("Left", "Right")]
    mood_w = np.nan_to_num(mood.weights[:, idx])
    w[:, idx] = np.maximum(np.nan_to_num(w[:, idx]), keep_corners * mood_w)
    w[~merged.present] = np.nan
    a["weights"] = w
    meta = {**merged.metadata, "speech_blend": {"keep_corners": keep_corners}}
    return ExpressionTrack.from_arrays(a, fps=merged.fps, metadata=meta)


__all__ = ["ClipOptions", "TimelineSpan", "clip", "format_spans", "is_timed", "parse_spans", "parse_timeline", "split_duration", "split_dynamics", "merge_with_speech", "blink_closure", "blink_curve", "min_jerk", "saccade_gaze"]
