"""Per-user calibration: a resting-face baseline, per-channel gains, eye and head offsets.

Why: a tracker's "neutral" is not the user's neutral. Resting faces read as expressions ("my lips
always look puckered", SnekStudio#53), narrow eyes read as half-blinks, a webcam above the screen
reads as a head tilted down, and some MediaPipe channels are weak (brows, cheeks, eyeWide:
mediapipe#4450/#4436; its VIDEO filter halves browInnerUp, tracking.md §1.4). A profile recorded
from a few seconds of the user's neutral face fixes all of this with one cheap per-frame map:

``w' = clip((w - baseline - spread) * gain, 0, 1)`` with ``gain = max(prior, 1 / (1 - baseline - spread))``
(or ``1 / (user max - baseline - spread)`` for a channel the user exercised while calibrating),, ``openness' = clip((o - closed) / (rest - closed), 0, 1)``,
``gaze' = gaze - gaze_offset``, ``head' = head - head_offset``.

**Units.** Baselines and gains are numbers in the unit of the track they were measured on
(``CaptureOptions.units``: ``"extent"``, the fraction of full extent of ``docs/units.md``, or
``"mediapipe"``, MediaPipe's scores), so a profile records its unit and capture refuses a profile
of the other unit (:meth:`CalibrationProfile.check_units`). A version-1 profile has no ``units``:
it was recorded before the unit existed, in MediaPipe's scores. The gain priors
(:data:`DEFAULT_GAIN_PRIORS`) make up for MediaPipe's weak channels, so they apply to
``"mediapipe"`` profiles only: in the unit, brows, eyes and cheeks are measured from the
landmarks at their full scale already (``docs/capture.md``, *Units*).

Profiles are small versioned JSON files (one object per UE shape, hand-editable)::

    {"format": "facemimic.calibration", "version": 2, "units": "extent", "name": "alice", "created": "...",
     "source": "webcam 0", "frames": 90,
     "shapes": {"EyeSquintRight": {"baseline": 0.02, "spread": 0.004, "gain": 1.02}, ...},
     "eyes": {"openness_rest": [0.86, 0.83], "openness_closed": [0.0, 0.0],
              "gaze_offset": {"left": [0.01, -0.12], "right": [0.0, -0.11]}},
     "head": {"rotation_offset": {"yaw": 2.1, "pitch": 9.5, "roll": -1.0}}}
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Iterable

import numpy as np

from ..errors import InputError, NoFaceError, ParameterError, UnknownNameError, suggest
from ..expressions.frame import ExpressionFrame
from ..common.files import AtomicFile
from ..expressions.names import N_UE, UE_INDEX, UE_NAMES

FORMAT = "facemimic.calibration"
VERSION = 2  # 2: "units" (version 1 profiles are in MediaPipe's scores)
UNITS = ("extent", "mediapipe")

# Gain priors for channels MediaPipe under-reports, used unless the calibration frames show the
# user's own range for that channel. Reasons:
# * brows up: MediaPipe's VIDEO-mode filter keeps only 0.54–0.61 of browInnerUp's amplitude
#   (tracking.md §1.4), so ~1/0.6, rounded down to stay clear of noise;
# * EyeWide, CheekSquint, CheekPuff, NoseSneer: "stay near 0" upstream (mediapipe#4450, #4436);
#   cheekSquint read 0.00 on a broad smile that py-feat scored AU06 = 0.87. A gain cannot revive
#   a dead channel, but it lets the weak response there is reach a visible weight.
DEFAULT_GAIN_PRIORS = MappingProxyType({
    **{n: 1.6 for n in UE_NAMES if n.startswith(("BrowInnerUp", "BrowOuterUp"))},
    **{n: 2.0 for n in UE_NAMES if n.startswith("EyeWide")},
    **{n: 1.5 for n in UE_NAMES if n.startswith(("CheekSquint", "CheekPuff", "NoseSneer"))},
})
MAX_GAIN = 4.0  # from_frames never goes beyond this: a channel's noise floor would become visible motion
GAIN_LIMIT = 10.0  # hand-edited profiles may go this far
CURVE_LIMITS = (0.2, 5.0)  # response exponents of hand tuning (the studio's curve slider)


def _prior_array(priors) -> np.ndarray:
    g = np.ones(N_UE)
    for name, v in dict(priors).items():
        if name not in UE_INDEX:
            raise ParameterError(f"unknown Unified Expressions shape {name!r} in gain priors"
                                 f"{suggest(name, UE_NAMES)}")
        g[UE_INDEX[name]] = float(v)
    return g


def _pair(v, name: str) -> tuple[float, float]:
    a = np.asarray(v, np.float64).reshape(-1)
    if a.shape != (2,) or not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be two finite numbers, got {v!r}")
    return (float(a[0]), float(a[1]))


@dataclass(frozen=True, eq=False)
class CalibrationProfile:
    """One user's calibration; apply it to every captured frame with :meth:`apply`.

    Build one with :meth:`from_frames` (a neutral face) or :meth:`load` (a saved profile).
    """

    baseline: np.ndarray  # (88,) resting weight of each UE shape: the median over the neutral frames
    spread: np.ndarray  # (88,) resting noise (2 robust sigmas, from the MAD): a dead zone so a still face reads 0
    gains: np.ndarray  # (88,) scale after subtracting baseline + spread (so full motion reaches 1)
    openness_rest: tuple[float, float] = (1.0, 1.0)  # (left, right) openness of the resting eye
    openness_closed: tuple[float, float] = (0.0, 0.0)  # (left, right) openness the tracker reports shut
    gaze_offset: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.0), (0.0, 0.0))  # left, right
    head_rotation_offset: tuple[float, float, float] = (0.0, 0.0, 0.0)  # yaw, pitch, roll (degrees)
    name: str = "default"  # a label for the person/setup
    created: str = ""  # ISO 8601 UTC time of creation
    source: str = ""  # what it was recorded from (file, "camera 0" …)
    frames: int = 0  # how many face frames went into it
    units: str = "extent"  # the unit of baseline/spread/gains: "extent" or "mediapipe" (capture's units)
    # Hand tuning after calibration (the studio's sliders; identity by default), per UE shape:
    # w'' = clip((w' - floor) / (ceiling - floor), 0, 1) ** curve
    floor: np.ndarray | None = None  # (88,) dead zone: calibrated weights below this read 0
    ceiling: np.ndarray | None = None  # (88,) calibrated weights at or above this read 1
    curve: np.ndarray | None = None  # (88,) response exponent: < 1 lifts small motion, > 1 calms it
    # Smoothing per face region, on top of the capture's preset (filters.region_smoothing):
    # {"eyes"|"brows"|"mouth"|"head": preset name or {"min_cutoff", "beta"[, "d_cutoff"]}}; None: the preset alone
    smoothing: dict | None = None

    def __post_init__(self) -> None:
        self._verify()

    def _verify(self) -> None:
        if self.units not in UNITS:
            raise ParameterError(f"units must be one of {', '.join(UNITS)}, got {self.units!r}"
                                 f"{suggest(str(self.units), UNITS)}")
        for field_name in ("baseline", "spread", "gains"):
            a = np.array(getattr(self, field_name), np.float32, copy=True).reshape(-1)
            if a.shape != (N_UE,):
                raise ParameterError(f"{field_name} must have {N_UE} values (one per UE shape), got {a.size}")
            if not np.all(np.isfinite(a)):
                bad = UE_NAMES[int(np.flatnonzero(~np.isfinite(a))[0])]
                raise ParameterError(f"{field_name} of {bad} is not a finite number")
            lo, hi = (0.0, GAIN_LIMIT) if field_name == "gains" else (0.0, 1.0)
            if np.any((a < lo) | (a > hi)):
                i = int(np.flatnonzero((a < lo) | (a > hi))[0])
                raise ParameterError(f"{field_name} of {UE_NAMES[i]} must be in [{lo:g}, {hi:g}], got {a[i]:g}")
            a.setflags(write=False)
            object.__setattr__(self, field_name, a)
        rest = _pair(self.openness_rest, "openness_rest")
        closed = _pair(self.openness_closed, "openness_closed")
        for side, r, c in (("left", rest[0], closed[0]), ("right", rest[1], closed[1])):
            if not (0.0 <= c < r <= 1.0):
                raise ParameterError(f"{side} eye: need 0 <= openness_closed ({c:g}) < openness_rest ({r:g}) <= 1")
        gaze = np.asarray(self.gaze_offset, np.float64)
        if gaze.shape != (2, 2) or not np.all(np.isfinite(gaze)):
            raise ParameterError(f"gaze_offset must be [[lx, ly], [rx, ry]], got {self.gaze_offset!r}")
        head = np.asarray(self.head_rotation_offset, np.float64).reshape(-1)
        if head.shape != (3,) or not np.all(np.isfinite(head)):
            raise ParameterError(f"head_rotation_offset must be (yaw, pitch, roll), got {self.head_rotation_offset!r}")
        for field_name, default, lo, hi in (("floor", 0.0, 0.0, 0.95), ("ceiling", 1.0, 0.05, 1.0),
                                            ("curve", 1.0, CURVE_LIMITS[0], CURVE_LIMITS[1])):
            value = getattr(self, field_name)
            a = np.full(N_UE, default, np.float32) if value is None else np.array(value, np.float32).reshape(-1)
            if a.shape != (N_UE,) or not np.all(np.isfinite(a)):
                raise ParameterError(f"{field_name} must have {N_UE} finite values (one per UE shape)")
            if np.any((a < lo) | (a > hi)):
                i = int(np.flatnonzero((a < lo) | (a > hi))[0])
                raise ParameterError(f"{field_name} of {UE_NAMES[i]} must be in [{lo:g}, {hi:g}], got {a[i]:g}")
            a.setflags(write=False)
            object.__setattr__(self, field_name, a)
        if np.any(self.ceiling - self.floor < 0.05):
            i = int(np.flatnonzero(self.ceiling - self.floor < 0.05)[0])
            raise ParameterError(f"{UE_NAMES[i]}: ceiling ({self.ceiling[i]:g}) must be at least 0.05 above "
                                 f"floor ({self.floor[i]:g})")
        if self.smoothing is not None:
            from .filters import region_smoothing

            if not isinstance(self.smoothing, (dict, MappingProxyType)):
                raise ParameterError(f"smoothing must be an object of {{region: preset or values}}, got {self.smoothing!r}")
            region_smoothing("light", dict(self.smoothing))  # unknown regions, presets or bad numbers fail here
            object.__setattr__(self, "smoothing", MappingProxyType(
                {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.smoothing.items()}) or None)
        object.__setattr__(self, "openness_rest", rest)
        object.__setattr__(self, "openness_closed", closed)
        object.__setattr__(self, "gaze_offset", tuple(tuple(float(v) for v in row) for row in gaze))
        object.__setattr__(self, "head_rotation_offset", tuple(float(v) for v in head))
        object.__setattr__(self, "frames", int(self.frames))
        object.__setattr__(self, "name", str(self.name))

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def identity(cls, *, name: str = "identity", units: str = "extent") -> "CalibrationProfile":
        """A profile whose :meth:`apply` changes nothing (baseline 0, gains 1, no offsets)."""
        return cls(baseline=np.zeros(N_UE), spread=np.zeros(N_UE), gains=np.ones(N_UE), name=name, units=units)

    @classmethod
    def from_frames(
        cls,
        frames: Iterable[ExpressionFrame],
        *,
        name: str = "default",
        source: str = "",
        face_id: int | None = None,
        units: str | None = None,
        gain_priors=None,
        spread_sigmas: float = 2.0,
        range_percentile: float = 99.0,
        min_range: float = 0.3,
    ) -> "CalibrationProfile":
        """Measure a profile from frames of the user's neutral (resting) face.

        Parameters
        ----------
        frames : iterable of ExpressionFrame (or an ExpressionTrack)
            A single image's frame, or the first seconds of a video/webcam stream. Gap frames are
            ignored; blinks and brief expressions are tolerated (medians, not means).
        name, source : str
            Stored in the profile.
        face_id : int, optional
            Which face to use; default: the face seen in the most frames.
        units : {"extent", "mediapipe"}, optional
            The unit the frames' weights are in (the capture's ``units``); default: the unit
            recorded in ``frames.metadata`` when ``frames`` is a track, else ``"extent"``.
        gain_priors : mapping of UE name -> float, optional
            Gains for channels the tracker under-reports; default :data:`DEFAULT_GAIN_PRIORS` for
            ``"mediapipe"``, none for ``"extent"`` (measured at full scale from the landmarks).
        spread_sigmas : float
            Dead zone above the baseline, in robust standard deviations (1.4826 x the median
            absolute deviation): resting jitter reads 0, and a smile held for part of the
            calibration does not inflate it (the MAD ignores up to half the frames).
        range_percentile : float
            Percentile taken as the user's own maximum of a channel, when that channel moved at
            least ``min_range`` above rest during calibration (e.g. the user was asked to smile);
            then ``gain = 1 / (max - baseline - spread)`` and the prior is not used.
        min_range : float
            See ``range_percentile``.

        Returns
        -------
        CalibrationProfile

        Raises
        ------
        NoFaceError
            If no frame has a face.
        """
        if units is None:
            from .units import track_units

            meta = getattr(frames, "metadata", None)
            units = track_units(meta) if isinstance(meta, dict) and meta else "extent"
        if units not in UNITS:
            raise ParameterError(f"units must be one of {', '.join(UNITS)}, got {units!r}")
        if gain_priors is None:
            gain_priors = DEFAULT_GAIN_PRIORS if units == "mediapipe" else {}
        present = [f for f in frames if f.present]
        if face_id is None and present:
            ids, counts = np.unique([f.face_id for f in present], return_counts=True)
            face_id = int(ids[np.argmax(counts)])
        present = [f for f in present if f.face_id == face_id]
        if not present:
            raise NoFaceError(source or "calibration", "no face found in the calibration frames")
        if not (spread_sigmas >= 0 and 0 < range_percentile <= 100 and min_range > 0):
            raise ParameterError("need spread_sigmas >= 0, 0 < range_percentile <= 100, min_range > 0")
        w = np.stack([f.weights for f in present]).astype(np.float64)  # (N, 88)
        base = np.nan_to_num(np.nanmedian(w, axis=0), nan=0.0)
        mad = np.nan_to_num(np.nanmedian(np.abs(w - base), axis=0), nan=0.0)
        spread = spread_sigmas * 1.4826 * mad
        top = np.nan_to_num(np.nanpercentile(w, range_percentile, axis=0), nan=0.0)
        # Cap the dead zone: a channel that "rests" high still needs room to move.
        base = np.clip(base, 0.0, 0.9)
        spread = np.minimum(spread, 0.95 - base)
        room = 1.0 - base - spread  # what is left for real motion
        # Full tracker output still reaches 1.0 (1 / room); weak channels get at least their prior.
        gains = np.maximum(_prior_array(gain_priors), 1.0 / room)
        exercised = (top - base - spread) >= min_range
        gains[exercised] = 1.0 / (top - base - spread)[exercised]
        gains = np.clip(gains, 0.0, MAX_GAIN)

        openness = np.array([f.openness for f in present], np.float64)  # (N, 2)
        rest = np.clip(np.median(openness, axis=0), 0.05, 1.0)
        gaze = np.median(np.stack([f.gaze for f in present]).astype(np.float64), axis=0)  # (2, 2)
        head = np.nan_to_num(np.nanmedian(np.array([f.head_rotation for f in present], np.float64), axis=0))
        return cls(
            baseline=base, spread=spread, gains=gains,
            openness_rest=tuple(rest), openness_closed=(0.0, 0.0),
            gaze_offset=gaze, head_rotation_offset=tuple(head),
            name=name, source=str(source), frames=len(present), units=units,
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )

    def check_units(self, units: str, source: str = "calibration profile") -> None:
        """Refuse to calibrate a track of another unit (baselines and gains would mean other numbers).

        Raises
        ------
        InputError
            Naming ``source`` (the profile file) and how to get a matching profile.
        """
        if units != self.units:
            raise InputError(source, f"calibration profile is in {self.units!r} units but capture is in {units!r} "
                                     f"(docs/units.md); record it again with `facemimic calibrate --units {units}` "
                                     f"or capture with --units {self.units}")

    # -- use -----------------------------------------------------------------------------------
    def apply(self, frame: ExpressionFrame) -> ExpressionFrame:
        """Calibrate one frame; gap frames (``present=False``) are returned unchanged."""
        if not frame.present:
            return frame
        w = (np.asarray(frame.weights, np.float32) - self.baseline - self.spread) * self.gains
        rest = np.array(self.openness_rest)
        closed = np.array(self.openness_closed)
        o = np.clip((np.array(frame.openness, np.float64) - closed) / (rest - closed), 0.0, 1.0)
        g = frame.gaze.astype(np.float64) - np.array(self.gaze_offset)
        h = np.asarray(frame.head_rotation, np.float64) - np.array(self.head_rotation_offset)
        w = np.clip(w, 0.0, 1.0)  # NaN (a missing channel) stays NaN
        if self.tuned:
            w = np.clip((w - self.floor) / (self.ceiling - self.floor), 0.0, 1.0) ** self.curve
        return frame.replace(
            weights=w,
            openness_left=float(o[0]), openness_right=float(o[1]),
            gaze_left=(float(g[0, 0]), float(g[0, 1])), gaze_right=(float(g[1, 0]), float(g[1, 1])),
            head_rotation=tuple(float(v) for v in h),
        )

    def smoothing_options(self, base: str):
        """The :class:`~facemimic.capture.filters.SmoothingOptions` of the capture preset ``base``
        with this profile's per-region smoothing (``None`` when the profile has none)."""
        if not self.smoothing:
            return None
        from .filters import region_smoothing

        return region_smoothing(base, dict(self.smoothing))

    def with_smoothing(self, regions: "dict[str, str | dict]") -> "CalibrationProfile":
        """A copy with some face regions' smoothing set (``{"eyes": "strong", "mouth": {"min_cutoff":
        0.8, "beta": 4}}``); ``None`` as a value removes that region's own setting."""
        merged = {**dict(self.smoothing or {}), **regions}
        merged = {k: v for k, v in merged.items() if v is not None}
        return replace(self, smoothing=merged or None)

    @property
    def tuned(self) -> bool:
        """True when any shape has a floor, ceiling or curve other than the identity."""
        return bool(np.any(self.floor != 0) or np.any(self.ceiling != 1) or np.any(self.curve != 1))

    def with_tuning(self, shapes: "dict[str, dict]") -> "CalibrationProfile":
        """A copy with some shapes' ``gain``, ``floor``, ``ceiling`` and ``curve`` set by UE name,
        e.g. ``{"JawOpen": {"floor": 0.05, "curve": 0.8}}`` (keys left out keep their values)."""
        arrays = {k: np.array(getattr(self, a), np.float64)
                  for k, a in (("gain", "gains"), ("floor", "floor"), ("ceiling", "ceiling"), ("curve", "curve"))}
        for n, entry in shapes.items():
            if n not in UE_INDEX:
                raise ParameterError(f"unknown Unified Expressions shape {n!r}{suggest(n, UE_NAMES)}")
            if not isinstance(entry, dict):
                raise ParameterError(f"tuning of {n} must be an object, got {entry!r}")
            for k, v in entry.items():
                if k not in arrays:
                    raise ParameterError(f"unknown tuning {k!r} for {n}; valid: {', '.join(arrays)}")
                arrays[k][UE_INDEX[n]] = _number(v, f"{n}.{k}")
        return replace(self, gains=arrays["gain"], floor=arrays["floor"], ceiling=arrays["ceiling"],
                       curve=arrays["curve"])

    def warnings(self) -> list[str]:
        """Signs that the calibration face was not neutral (a held smile, closed eyes, a turned
        head), each as one sentence; empty when the profile looks sane. Such a profile makes
        tracking insensitive in those channels, so the CLI tells the user to record again."""
        out = []
        strong = [(UE_NAMES[i], float(self.baseline[i])) for i in np.argsort(-self.baseline)[:3]
                  if self.baseline[i] >= 0.5]
        if strong:
            out.append("the resting face reads as an expression (" +
                       ", ".join(f"{n} {v:.2f}" for n, v in strong) + "); relax your face and record again")
        if min(self.openness_rest) < 0.4:
            out.append(f"the eyes look nearly closed at rest (openness {self.openness_rest[0]:.2f} / "
                       f"{self.openness_rest[1]:.2f}); keep your eyes open while calibrating")
        big = [f"{k} {v:+.0f}°" for k, v in zip(("yaw", "pitch", "roll"), self.head_rotation_offset) if abs(v) > 25]
        if big:
            out.append(f"the head is turned far from the camera ({', '.join(big)}); sit as you will when tracking")
        return out

    def apply_all(self, frames: Iterable[ExpressionFrame]) -> list[ExpressionFrame]:
        """:meth:`apply` over an iterable of frames; returns a list."""
        return [self.apply(f) for f in frames]

    def with_gains(self, gains: "dict[str, float]") -> "CalibrationProfile":
        """A copy with some channels' gains set by UE name (e.g. ``{"BrowInnerUpLeft": 2.0}``)."""
        g = np.array(self.gains, np.float64)
        for n, v in gains.items():
            if n not in UE_INDEX:
                raise ParameterError(f"unknown Unified Expressions shape {n!r}{suggest(n, UE_NAMES)}")
            g[UE_INDEX[n]] = v
        return replace(self, gains=g)

    # -- files ---------------------------------------------------------------------------------
    def to_json(self) -> dict:
        """The profile as a JSON-ready dict (the file format)."""
        r = lambda v: round(float(v), 6)  # noqa: E731 - short and local
        return {
            "format": FORMAT,
            "version": VERSION,
            "units": self.units,
            "name": self.name,
            "created": self.created,
            "source": self.source,
            "frames": self.frames,
            "shapes": {n: {"baseline": r(self.baseline[i]), "spread": r(self.spread[i]), "gain": r(self.gains[i]),
                           # hand tuning, written only where it is not the identity
                           **{k: r(a[i]) for k, a, d in (("floor", self.floor, 0), ("ceiling", self.ceiling, 1),
                                                         ("curve", self.curve, 1)) if a[i] != d}}
                       for i, n in enumerate(UE_NAMES)},
            "eyes": {
                "openness_rest": [r(v) for v in self.openness_rest],
                "openness_closed": [r(v) for v in self.openness_closed],
                "gaze_offset": {"left": [r(v) for v in self.gaze_offset[0]],
                                "right": [r(v) for v in self.gaze_offset[1]]},
            },
            "head": {"rotation_offset": dict(zip(("yaw", "pitch", "roll"), (r(v) for v in self.head_rotation_offset)))},
            # written only when set: older readers see the profile they know
            **({"smoothing": {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.smoothing.items()}}
               if self.smoothing else {}),
        }

    def save(self, path: str | Path) -> Path:
        """Write the profile as JSON, atomically (nothing is left behind on failure)."""
        with AtomicFile(path) as out:
            json.dump(self.to_json(), out.file, indent=1)
            out.file.write("\n")
        return out.path

    @classmethod
    def from_json(cls, data: dict, *, source: str = "profile") -> "CalibrationProfile":
        """Parse the dict form; bad content raises :class:`InputError` naming ``source``."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(source, f"not a FaceMimic calibration profile (expected \"format\": \"{FORMAT}\")")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise InputError(source, f"calibration profile has no valid version, got {version!r}")
        if version > VERSION:
            raise InputError(source, f"calibration profile version {version} is newer than this FaceMimic "
                                     f"reads (version {VERSION}); upgrade FaceMimic")
        if version < 1:
            raise InputError(source, f"unsupported calibration profile version {version}")
        try:
            base, spread, gains = np.zeros(N_UE), np.zeros(N_UE), np.ones(N_UE)
            floor, ceiling, curve = np.zeros(N_UE), np.ones(N_UE), np.ones(N_UE)
            shapes = data.get("shapes", {})
            if not isinstance(shapes, dict):
                raise ParameterError("'shapes' must be an object of {shape name: {baseline, spread, gain}}")
            for n, entry in shapes.items():
                if n not in UE_INDEX:
                    raise ParameterError(f"unknown Unified Expressions shape {n!r}{suggest(n, UE_NAMES)}")
                if not isinstance(entry, dict):
                    raise ParameterError(f"shape {n!r} must be an object, got {entry!r}")
                i = UE_INDEX[n]
                base[i] = _number(entry.get("baseline", 0.0), f"{n}.baseline")
                spread[i] = _number(entry.get("spread", 0.0), f"{n}.spread")
                gains[i] = _number(entry.get("gain", 1.0), f"{n}.gain")
                floor[i] = _number(entry.get("floor", 0.0), f"{n}.floor")
                ceiling[i] = _number(entry.get("ceiling", 1.0), f"{n}.ceiling")
                curve[i] = _number(entry.get("curve", 1.0), f"{n}.curve")
            eyes = data.get("eyes", {}) or {}
            gaze = eyes.get("gaze_offset", {}) or {}
            head = (data.get("head", {}) or {}).get("rotation_offset", {}) or {}
            return cls(
                baseline=base, spread=spread, gains=gains, floor=floor, ceiling=ceiling, curve=curve,
                openness_rest=eyes.get("openness_rest", (1.0, 1.0)),
                openness_closed=eyes.get("openness_closed", (0.0, 0.0)),
                gaze_offset=(gaze.get("left", (0.0, 0.0)), gaze.get("right", (0.0, 0.0))),
                head_rotation_offset=tuple(_number(head.get(k, 0.0), f"head.{k}") for k in ("yaw", "pitch", "roll")),
                name=str(data.get("name", "default")), created=str(data.get("created", "")),
                source=str(data.get("source", "")), frames=int(data.get("frames", 0) or 0),
                # Version 1 predates units: its numbers are MediaPipe's scores.
                units=data.get("units", "mediapipe") if version >= 2 else "mediapipe",
                smoothing=data.get("smoothing"),
            )
        except (ParameterError, UnknownNameError, TypeError, ValueError, AttributeError) as e:
            raise InputError(source, f"invalid calibration profile: {e}") from None

    @classmethod
    def load(cls, path: str | Path) -> "CalibrationProfile":
        """Read a profile saved by :meth:`save`.

        Raises
        ------
        InputError
            The file is missing, unreadable, not JSON, not a profile, of a newer version, or holds
            bad values; the message names the file and the problem.
        """
        from ..common.files import read_json_file

        return cls.from_json(read_json_file(path, "calibration profile"), source=str(path))


def _number(v, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ParameterError(f"{what} must be a finite number, got {v!r}")
    return float(v)


__all__ = ["CalibrationProfile", "DEFAULT_GAIN_PRIORS", "FORMAT", "MAX_GAIN", "UNITS", "VERSION"]
