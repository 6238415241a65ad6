"""Temporal smoothing of captured frames: a vectorised One Euro filter and per-group presets.

Why One Euro (Casiez, Roussel & Vogel, CHI 2012): it is a first-order low-pass whose cutoff rises
with the signal's speed, so a still face is smoothed hard (jitter gone) while a fast move (a blink,
a head turn) passes with little lag. A fixed low-pass reaching the same jitter costs 100–140 ms of
lag; a One Euro tuned per signal costs 25–55 ms (``shared/specs/tracking.md`` §1.4).

MediaPipe's VIDEO mode already runs a One Euro filter on its landmarks, so the default preset
(``light``) only takes off part of the residual jitter. ``raw`` is for unsmoothed (IMAGE-mode) input
where this filter does all the work; it keeps brow/lip micro-motion that MediaPipe's filter halves.

Channel groups (each with its own :class:`FilterSettings`):

* ``pose``: head rotation (yaw, pitch, roll), in degrees; ``beta`` in Hz per °/s.
* ``position``: head position, in metres; ``beta`` in Hz per m/s.
* ``expression``: every Unified Expressions shape except the eye and brow shapes (cheeks, nose,
  jaw, mouth, tongue …), in weight units; ``beta`` in Hz per weight/s.
* ``brows``: the ``Brow*`` shapes; by default the same settings as ``expression`` (every preset),
  its own group so a profile can calm the brows without slowing the mouth (:func:`region_smoothing`).
* ``eyes``: gaze (VRCFT units, 1.0 = 45°), eye openness and the ``EyeSquint*``/``EyeWide*`` shapes.
  Light smoothing and a high ``beta`` so saccades stay crisp and blinks survive.
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Callable

import numpy as np

from ..errors import ParameterError, UnknownNameError, suggest
from ..expressions.frame import ExpressionFrame
from ..expressions.names import N_UE
from ..expressions.regions import region_mask

Clock = Callable[[], float]

_TWO_PI = 2.0 * math.pi


def _alpha(cutoff: np.ndarray, dt: np.ndarray) -> np.ndarray:
    """Smoothing factor of a first-order low-pass with ``cutoff`` Hz sampled every ``dt`` s."""
    tau = 1.0 / (_TWO_PI * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """A One Euro filter over an array of independent channels.

    Parameters
    ----------
    min_cutoff : float or array_like
        Cutoff (Hz) when the signal is still. Lower = less jitter, more lag on slow motion.
    beta : float or array_like
        How fast the cutoff rises with speed (Hz per unit/s). Higher = less lag on fast motion.
    d_cutoff : float or array_like
        Cutoff (Hz) of the low-pass on the speed estimate.

    Each parameter may be an array broadcasting against the samples, so one filter can hold
    channels with different settings (FrameSmoother runs one per face this way).
    clock : callable, optional
        Returns the current time in seconds; used when :meth:`__call__` gets no ``t``.
        Defaults to :func:`time.monotonic`. Inject a fake clock in tests and replays.

    Notes
    -----
    Each channel keeps its own state and last time stamp. A NaN input leaves that channel's state
    untouched and returns NaN for it, so a channel that drops out and comes back resumes from
    where it was (with the longer ``dt`` making it catch up quickly). A time stamp equal to the
    previous one returns the previous output; an earlier one restarts the filter (a new clip).
    """

    def __init__(self, *, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0,
                 clock: Clock | None = None) -> None:
        def param(name, v, lowest_ok):
            try:
                a = np.asarray(v, dtype=np.float64)
            except (TypeError, ValueError):
                a = np.array(np.nan)
            ok = a.size > 0 and np.all(np.isfinite(a)) and (np.all(a >= 0) if lowest_ok else np.all(a > 0))
            if not ok or isinstance(v, (bool, str)):
                raise ParameterError(f"{name} must be {'a number >= 0' if lowest_ok else 'a positive number of Hz'}, got {v!r}")
            return float(a) if a.ndim == 0 else a

        self.min_cutoff = param("min_cutoff", min_cutoff, False)
        self.beta = param("beta", beta, True)
        self.d_cutoff = param("d_cutoff", d_cutoff, False)
        self.clock: Clock = clock or _time.monotonic
        self.reset()

    def reset(self) -> None:
        """Forget all state: the next sample is passed through and starts the filter."""
        self._x: np.ndarray | None = None  # last filtered value per channel (NaN = no state)
        self._dx: np.ndarray | None = None  # last filtered speed per channel
        self._t: np.ndarray | None = None  # last time stamp per channel

    def __call__(self, x, t: float | None = None) -> np.ndarray:
        """Filter one sample.

        Parameters
        ----------
        x : array_like [shape=(...)]
            The sample: any shape, the same on every call (a scalar is fine).
        t : float, optional
            Its time in seconds; ``None`` reads the injected clock.

        Returns
        -------
        np.ndarray [shape=x.shape, dtype=float64]
            The filtered sample (NaN where ``x`` is NaN).
        """
        x = np.asarray(x, dtype=np.float64)
        t = float(self.clock() if t is None else t)
        if self._x is None or self._x.shape != x.shape:
            self._x = np.full(x.shape, np.nan)
            self._dx = np.zeros(x.shape)
            self._t = np.full(x.shape, np.nan)
        valid = np.isfinite(x)
        fresh = valid & ~np.isfinite(self._x)  # no state yet: start from this sample
        dt = t - self._t
        backwards = valid & ~fresh & (dt < 0)
        fresh |= backwards  # time went back (a new clip): restart those channels
        step = valid & ~fresh & (dt > 0)  # dt == 0: duplicate stamp, hold the last output

        out = np.where(valid, self._x, np.nan)
        if np.any(step):
            dts = np.where(step, dt, 1.0)  # 1.0 only keeps masked lanes finite
            prev = np.where(step, self._x, 0.0)
            dx = (np.where(step, x, 0.0) - prev) / dts
            dx_hat = self._dx + _alpha(np.broadcast_to(self.d_cutoff, dts.shape), dts) * (dx - self._dx)
            cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
            x_hat = prev + _alpha(cutoff, dts) * (np.where(step, x, 0.0) - prev)
            out = np.where(step, x_hat, out)
            self._dx = np.where(step, dx_hat, self._dx)
        out = np.where(fresh, x, out)
        self._dx = np.where(fresh, 0.0, self._dx)
        self._x = np.where(valid, out, self._x)
        self._t = np.where(step | fresh, t, self._t)
        return out


@dataclass(frozen=True)
class FilterSettings:
    """One Euro parameters for one channel group (see :class:`OneEuroFilter`)."""

    min_cutoff: float  # Hz when still: lower = steadier but laggier on slow moves
    beta: float  # Hz per (unit/s): how quickly the cutoff opens up on fast moves
    d_cutoff: float = 1.0  # Hz, low-pass on the speed estimate (the paper's default)

    def make(self, clock: Clock | None = None) -> OneEuroFilter:
        """A fresh :class:`OneEuroFilter` with these settings."""
        return OneEuroFilter(min_cutoff=self.min_cutoff, beta=self.beta, d_cutoff=self.d_cutoff,
                             clock=clock)


_GROUPS = ("pose", "position", "expression", "eyes", "brows")
SAME_AS_EXPRESSION = "expression"  # the ``brows`` default: follow the expression group


@dataclass(frozen=True)
class SmoothingOptions:
    """Per-group smoothing settings; ``None`` leaves a group unfiltered.

    Build one from a preset with :meth:`preset` and change single groups with
    :func:`dataclasses.replace`. Defaults are the ``light`` preset.
    """

    # Head rotation (degrees). 1 Hz / 0.2: −30–50 % residual jitter for ~23 ms lag on the
    # VIDEO-mode stream (tracking.md §1.4 table "pose 1.0 / 0.2").
    pose: FilterSettings | None = FilterSettings(1.0, 0.2)
    # Head position (metres). Depth from a monocular fit jitters most, so a low cutoff; beta is
    # large because the units are small (0.1 m/s is a brisk lean).
    position: FilterSettings | None = FilterSettings(1.0, 20.0)
    # Non-eye shapes (weight units). 1 Hz / 5: between the 0.5/2 (27 ms) and 1/10 (13 ms) rows.
    expression: FilterSettings | None = FilterSettings(1.0, 5.0)
    # Gaze, openness, eye shapes. A very high beta opens the filter on any blink or saccade: on
    # WolfgangLanger's 10 real eye blinks (VIDEO mode, 24 fps) 1.5 Hz / 30 keeps 84–99 % of each
    # blink's depth (1.5 / 10 kept only 77 %), a 100 ms 0.95-deep blink still drops 0.94, and the
    # tremor of a still eye is roughly halved (diff-std x0.46).
    eyes: FilterSettings | None = FilterSettings(1.5, 30.0)
    # Brow shapes: "expression" (the default) uses the expression group's settings.
    brows: FilterSettings | None | str = SAME_AS_EXPRESSION
    # Seconds without a face after which a face's filters restart, so a face that comes back
    # appears where it is instead of sliding in from where it was lost.
    reset_after: float = 0.5
    # Openness below which an eye's gaze is held at its last open value: as the lid closes the
    # iris vanishes and MediaPipe reads the blink as a glance down (0.12–0.22 = 7–12° on the six
    # WolfgangLanger blinks; VSeeFaceReleases#30). 0.7 removes the dip on 4 of the 6 (0.5: 3),
    # the other two dip before the lid moves. None: no hold.
    blink_gaze_hold: float | None = 0.7
    # Longest hold, in seconds (blinks last 0.1–0.4 s): a longer closure is someone looking down
    # through half-shut lids, whose gaze must pass.
    blink_hold_max: float = 0.4

    def __post_init__(self) -> None:
        self._verify()

    def _verify(self) -> None:
        for name in _GROUPS:
            s = self.group(name)
            if s is None:
                continue
            if not isinstance(s, FilterSettings):
                raise ParameterError(f"smoothing group {name!r} must be FilterSettings or None, got {s!r}")
            for f in fields(FilterSettings):
                v = getattr(s, f.name)
                ok = isinstance(v, (int, float)) and math.isfinite(v) and (v >= 0 if f.name == "beta" else v > 0)
                if not ok:
                    raise ParameterError(f"smoothing {name}.{f.name} must be a "
                                         f"{'number >= 0' if f.name == 'beta' else 'positive number'}, got {v!r}")
        if not (isinstance(self.reset_after, (int, float)) and self.reset_after >= 0):
            raise ParameterError(f"reset_after must be seconds >= 0, got {self.reset_after!r}")
        h = self.blink_gaze_hold
        if h is not None and not (isinstance(h, (int, float)) and not isinstance(h, bool) and 0 < h < 1):
            raise ParameterError(f"blink_gaze_hold must be an openness between 0 and 1 (or None), got {h!r}")
        m = self.blink_hold_max
        if not (isinstance(m, (int, float)) and not isinstance(m, bool) and math.isfinite(m) and m >= 0):
            raise ParameterError(f"blink_hold_max must be seconds >= 0, got {m!r}")

    def group(self, name: str) -> FilterSettings | None:
        """The settings of one channel group (``brows`` resolved to ``expression`` by default)."""
        s = getattr(self, name)
        return self.expression if (name == "brows" and s == SAME_AS_EXPRESSION) else s

    @property
    def is_identity(self) -> bool:
        """True when nothing is changed (the ``off`` preset)."""
        return all(self.group(g) is None for g in _GROUPS) and self.blink_gaze_hold is None

    @classmethod
    def preset(cls, name: str) -> "SmoothingOptions":
        """The options of a named preset: ``off``, ``light``, ``strong`` or ``raw``."""
        try:
            return PRESETS[name]
        except KeyError:
            raise UnknownNameError(
                f"unknown smoothing preset {name!r}{suggest(name, list(PRESETS))}; "
                f"choose one of {', '.join(PRESETS)}") from None


PRESETS = MappingProxyType({
    # No filtering at all: frames come out exactly as they went in.
    "off": SmoothingOptions(pose=None, position=None, expression=None, eyes=None, blink_gaze_hold=None),
    # Default, on top of MediaPipe's already-filtered VIDEO-mode output.
    "light": SmoothingOptions(),
    # Calm, "streamer" look: the slower rows of tracking.md §1.4 (~50 ms lag on slow motion).
    "strong": SmoothingOptions(
        pose=FilterSettings(0.5, 0.05),
        position=FilterSettings(0.5, 10.0),
        expression=FilterSettings(0.5, 2.0),
        eyes=FilterSettings(1.0, 15.0),
    ),
    # For unsmoothed IMAGE-mode input, where this filter must do MediaPipe's job too. The
    # 0.5 Hz / high-beta rows cut IMAGE-mode jitter to ~7–8 % (tracking.md §1.4) while the speed
    # term lets real brow/lip movements through at full amplitude.
    "raw": SmoothingOptions(
        pose=FilterSettings(0.5, 0.05),
        position=FilterSettings(0.5, 10.0),
        expression=FilterSettings(0.5, 2.0),
        eyes=FilterSettings(1.0, 20.0),  # IMAGE-mode blink channels are ~5x noisier (§1.4)
    ),
})
SMOOTHING_PRESETS: tuple[str, ...] = tuple(PRESETS)

# Which UE shapes follow the eye group (EyeSquint*, EyeWide*); all others are "expression".
_EYE_SHAPES = region_mask("eyes").astype(bool)
_BROW_SHAPES = region_mask("brows").astype(bool)

# One filter per face runs over all channels at once, laid out as:
# weights (88) | gaze lx, ly, rx, ry (4) | openness l, r (2) | head rotation (3) | head position (3)
_W = slice(0, N_UE)
_GAZE = slice(N_UE, N_UE + 4)
_OPEN = slice(N_UE + 4, N_UE + 6)
_ROT = slice(N_UE + 6, N_UE + 9)
_POS = slice(N_UE + 9, N_UE + 12)
N_CHANNELS = N_UE + 12


def _channel_groups() -> np.ndarray:
    """Group name of each channel in the layout above."""
    g = np.empty(N_CHANNELS, dtype=object)
    g[_W] = np.where(_EYE_SHAPES, "eyes", np.where(_BROW_SHAPES, "brows", "expression"))
    g[_GAZE] = g[_OPEN] = "eyes"
    g[_ROT] = "pose"
    g[_POS] = "position"
    return g


_CHANNEL_GROUP = _channel_groups()


@dataclass
class _FaceState:
    """The filter of one face."""

    filter: OneEuroFilter
    last_seen: float = -math.inf  # time of the last present frame
    held_gaze: np.ndarray = field(default_factory=lambda: np.full((2, 2), np.nan))  # last open gaze per eye
    closed_since: np.ndarray = field(default_factory=lambda: np.full(2, np.nan))  # when each eye shut

    def reset(self) -> None:
        self.filter.reset()
        self.held_gaze[:] = np.nan
        self.closed_since[:] = np.nan


class FrameSmoother:
    """Smooths a stream of :class:`ExpressionFrame` s, one filter bank per ``face_id``.

    Parameters
    ----------
    preset : str
        ``off`` (identity), ``light`` (default, for MediaPipe VIDEO-mode output), ``strong`` or
        ``raw`` (for unsmoothed IMAGE-mode output).
    clock : callable, optional
        Time source for frames whose ``time`` is not finite (defaults to :func:`time.monotonic`).
    options : SmoothingOptions, optional
        Explicit settings; overrides ``preset``.

    Examples
    --------
    >>> smoother = FrameSmoother("light")
    >>> smoothed = [smoother.process(f) for f in frames]  # doctest: +SKIP
    """

    def __init__(self, preset: str = "light", *, clock: Clock | None = None,
                 options: SmoothingOptions | None = None) -> None:
        if options is not None and not isinstance(options, SmoothingOptions):
            raise ParameterError(f"options must be SmoothingOptions, got {type(options).__name__}")
        self.options = options if options is not None else SmoothingOptions.preset(preset)
        self.preset = preset if options is None else "custom"
        self.clock: Clock = clock or _time.monotonic
        self._faces: dict[int, _FaceState] = {}
        # Per-channel parameters; channels of an unfiltered group are masked out.
        o = self.options
        params = np.ones((3, N_CHANNELS))
        self._filtered = np.zeros(N_CHANNELS, bool)
        for group in _GROUPS:
            s = o.group(group)
            if s is not None:
                sel = _CHANNEL_GROUP == group
                params[:, sel] = np.array([[s.min_cutoff], [s.beta], [s.d_cutoff]])
                self._filtered |= sel
        self._params = params

    def reset(self) -> None:
        """Forget every face's filter state."""
        self._faces.clear()

    def _state(self, face_id: int) -> _FaceState:
        st = self._faces.get(face_id)
        if st is None:
            mc, beta, dc = self._params
            st = _FaceState(OneEuroFilter(min_cutoff=mc, beta=beta, d_cutoff=dc, clock=self.clock))
            self._faces[face_id] = st
        return st

    def process(self, frame: ExpressionFrame) -> ExpressionFrame:
        """Smooth one frame, using ``frame.time`` as its time stamp.

        Gap frames (``present=False``) pass through unchanged; after a gap longer than
        ``options.reset_after`` the face's filters restart from the next frame it is seen.
        """
        if self.options.is_identity or not frame.present:
            return frame
        t = frame.time if math.isfinite(frame.time) else self.clock()
        st = self._state(frame.face_id)
        if t - st.last_seen > self.options.reset_after or t < st.last_seen:
            st.reset()  # long gap (or a new clip): start afresh, no slide-in
        st.last_seen = t
        gaze = np.array([frame.gaze_left, frame.gaze_right], np.float64)
        if self.options.blink_gaze_hold is not None:
            gaze = self._hold_gaze_in_blinks(st, gaze, frame.openness, t)
        x = np.empty(N_CHANNELS)
        x[_W] = frame.weights
        x[_GAZE] = gaze.reshape(-1)
        x[_OPEN] = (frame.openness_left, frame.openness_right)
        x[_ROT] = frame.head_rotation
        x[_POS] = frame.head_position
        y = np.where(self._filtered, st.filter(x, t), x)
        # One Euro output is a convex mix of inputs, so clipping only trims rounding.
        w = np.clip(y[_W], 0.0, 1.0)
        g = y[_GAZE].tolist()
        o = y[_OPEN].tolist()
        return frame.replace(
            weights=w, gaze_left=(g[0], g[1]), gaze_right=(g[2], g[3]),
            openness_left=o[0], openness_right=o[1],
            head_rotation=tuple(y[_ROT].tolist()), head_position=tuple(y[_POS].tolist()),
        )

    def _hold_gaze_in_blinks(self, st: _FaceState, gaze: np.ndarray, openness, t: float) -> np.ndarray:
        """Per eye: while it is (nearly) shut, for at most ``blink_hold_max`` s, keep the gaze
        it had when last open."""
        o = self.options
        for eye in (0, 1):
            if not openness[eye] < o.blink_gaze_hold:  # open (or NaN): remember, no hold
                if np.all(np.isfinite(gaze[eye])):
                    st.held_gaze[eye] = gaze[eye]
                st.closed_since[eye] = np.nan
                continue
            if np.isnan(st.closed_since[eye]):
                st.closed_since[eye] = t
            if t - st.closed_since[eye] <= o.blink_hold_max and np.all(np.isfinite(st.held_gaze[eye])):
                gaze[eye] = st.held_gaze[eye]
        return gaze

    def process_all(self, frames) -> list[ExpressionFrame]:
        """Smooth an iterable of frames in order; returns a list."""
        return [self.process(f) for f in frames]


# Face regions a user tunes separately (the studio's smoothing panel, a profile's "smoothing"),
# and the channel groups each sets. "mouth" is the rest of the face's shapes (cheeks, nose, jaw,
# lips, tongue): they move together when speaking. "head" sets the rotation (degrees); custom
# values leave the head position (metres, other units) at the base preset's.
SMOOTHING_REGIONS = MappingProxyType({"eyes": ("eyes",), "brows": ("brows",), "mouth": ("expression",),
                                      "head": ("pose", "position")})
_CUSTOM_KEYS = tuple(f.name for f in fields(FilterSettings))


def region_smoothing(base: str, regions: "dict | None") -> SmoothingOptions:
    """Smoothing options: the ``base`` preset with some face regions set on their own.

    Parameters
    ----------
    base : str
        The preset for everything not in ``regions`` (``off``, ``light``, ``strong``, ``raw``).
    regions : dict, optional
        ``{region: preset name or {"min_cutoff", "beta"[, "d_cutoff"]}}`` for regions of
        :data:`SMOOTHING_REGIONS` (eyes, brows, mouth, head); a preset name takes that preset's
        settings for the region's groups (``"off"``: unfiltered), a dict is a custom One Euro filter.

    Returns
    -------
    SmoothingOptions

    Raises
    ------
    UnknownNameError, ParameterError
        An unknown region or preset, or custom values that are not valid One Euro parameters.
    """
    options = SmoothingOptions.preset(base)
    changes = {}
    for region, value in (regions or {}).items():
        if region not in SMOOTHING_REGIONS:
            raise UnknownNameError(f"unknown smoothing region {region!r}{suggest(str(region), list(SMOOTHING_REGIONS))}; "
                                   f"valid: {', '.join(SMOOTHING_REGIONS)}")
        groups = SMOOTHING_REGIONS[region]
        if isinstance(value, str):
            preset = SmoothingOptions.preset(value)
            changes.update({g: preset.group(g) for g in groups})
        elif isinstance(value, dict):
            bad = sorted(set(value) - set(_CUSTOM_KEYS))
            if bad or not {"min_cutoff", "beta"} <= set(value):
                raise ParameterError(f"custom {region} smoothing needs min_cutoff and beta (and optionally d_cutoff), "
                                     f"got {sorted(value)}")
            changes[groups[0]] = FilterSettings(**value)
        else:
            raise ParameterError(f"{region} smoothing must be a preset name or {{min_cutoff, beta}}, got {value!r}")
    return replace(options, **changes)  # __post_init__ checks the custom numbers


__all__ = ["FilterSettings", "FrameSmoother", "OneEuroFilter", "PRESETS", "SMOOTHING_PRESETS",
           "SMOOTHING_REGIONS", "SmoothingOptions", "region_smoothing"]
