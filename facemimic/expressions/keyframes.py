"""Manual keyframes laid over a track: ``merge_keyframes(track, {"JawOpen": [(0.5, 0.8), (1.0, 0.2)]})``.

A keyframe lane is a channel and its ``(time s, value)`` keys. Between its first and last key the
channel follows the keys (a monotone cubic through them, Fritsch-Carlson: no overshoot, flat at
a peak and at the ends, so a lone pair eases in and out and a moved key bends only its neighbours'
intervals); within ``fade`` seconds
outside them it crossfades back to the track's own value, so the keys never make a jump. A lane
with one key holds that value at its time and fades on both sides. With ``mode="add"`` the keys
are offsets added to the track's own value instead (keys of 0 change nothing), so dragging one key
of a sampled curve bends the curve there and keeps the rest of its detail. Used by the studio's
timeline (manual lanes: replace; the edited head lane: add) on the track the animator's driver built.

Channels: the 88 UE shape names (weights, clipped to [0, 1]), ``EyeOpennessLeft`` /
``EyeOpennessRight`` ([0, 1]), ``GazeX`` / ``GazeY`` (both eyes, VRCFT units) and ``HeadYaw`` /
``HeadPitch`` / ``HeadRoll`` (degrees): the names the designer's sliders use.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import ParameterError, UnknownNameError, suggest
from .names import UE_NAMES
from .track import ExpressionTrack

POSE_CHANNELS = ("EyeOpennessLeft", "EyeOpennessRight", "GazeX", "GazeY", "HeadYaw", "HeadPitch", "HeadRoll")
DEFAULT_FADE = 0.15  # s: long enough to hide the join, short enough to stay where the keys are


def keyframe_curve(t: np.ndarray, keys) -> np.ndarray:
    """The value of keys ``[(time, value), …]`` (sorted by time) at times ``t`` (T,), shape (T,).

    Monotone cubic Hermite through the keys (Fritsch-Carlson slopes: the harmonic mean of the two
    neighbouring secants, zero where they differ in sign and at the first and last key); before the
    first / after the last key the end values hold.
    """
    k = np.asarray(keys, np.float64).reshape(-1, 2)
    t = np.asarray(t, np.float64)
    if len(k) == 1:
        return np.full(t.shape, k[0, 1])
    kt, kv = k[:, 0], k[:, 1]
    secant = np.diff(kv) / np.maximum(np.diff(kt), 1e-9)
    a, b = secant[:-1], secant[1:]
    slope = np.zeros(len(k))
    same = a * b > 0
    slope[1:-1][same] = 2 * a[same] * b[same] / (a[same] + b[same])
    i = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(k) - 2)
    h = np.maximum(kt[i + 1] - kt[i], 1e-9)
    u = np.clip((t - kt[i]) / h, 0.0, 1.0)
    u2, u3 = u * u, u * u * u
    return ((2 * u3 - 3 * u2 + 1) * kv[i] + (u3 - 2 * u2 + u) * h * slope[i]
            + (-2 * u3 + 3 * u2) * kv[i + 1] + (u3 - u2) * h * slope[i + 1])


def _checked(lanes: Mapping) -> dict[str, np.ndarray]:
    if not isinstance(lanes, Mapping):
        raise ParameterError("keyframe lanes must map a channel name to [[time, value], …]")
    out = {}
    for name, keys in lanes.items():
        if name not in UE_NAMES and name not in POSE_CHANNELS:
            raise UnknownNameError(f"unknown keyframe channel {name!r}{suggest(str(name), (*UE_NAMES, *POSE_CHANNELS))}")
        try:
            k = np.asarray(keys, np.float64)
        except (TypeError, ValueError):
            k = np.zeros((0, 3))
        if k.ndim != 2 or k.shape[1] != 2 or not np.all(np.isfinite(k)):
            raise ParameterError(f"keyframe lane {name}: keys must be [[time, value], …] numbers")
        if len(k) == 0:
            continue
        k = k[np.argsort(k[:, 0], kind="stable")]
        if np.any(np.diff(k[:, 0]) <= 0):
            raise ParameterError(f"keyframe lane {name}: two keys at the same time ({k[np.argmin(np.diff(k[:, 0])), 0]:g} s)")
        out[name] = k
    return out


def merge_keyframes(track: ExpressionTrack, lanes: Mapping, *, fade: float = DEFAULT_FADE,
                    mode: str = "replace") -> ExpressionTrack:
    """Lay keyframe lanes over a track.

    Parameters
    ----------
    track : ExpressionTrack
        The generated track (T frames; every face is changed alike).
    lanes : mapping of str to sequence of (float, float)
        Channel name -> keys ``[(time s, value), …]`` (any order; times distinct). An empty lane
        changes nothing.
    fade : float
        Seconds over which a lane blends into the track's own value before its first and after its
        last key (minimum-jerk weight); 0: a hard switch.
    mode : {"replace", "add"}
        ``replace``: the channel takes the keys' values; ``add``: the keys are offsets added to it.

    Returns
    -------
    ExpressionTrack
        A new track (same times, faces, metadata plus ``"keyframes": {mode: lanes}``, sorted):
        ``weights`` (T, 88), ``openness`` (T, 2), ``gaze`` (T, 2, 2), ``head_rotation`` (T, 3)
        follow the keys where a lane covers them. Frames without a face stay without one.
    """
    if mode not in ("replace", "add"):
        raise ParameterError(f"unknown keyframe mode {mode!r}; valid: replace, add")
    if not 0 <= fade <= 5:
        raise ParameterError(f"fade must be in [0, 5] seconds, got {fade!r}")
    checked = _checked(lanes)
    a = {k: np.array(v, copy=True) for k, v in track.to_arrays().items()}
    t = np.asarray(track.time, np.float64)
    ue = {n: i for i, n in enumerate(UE_NAMES)}
    for name, k in checked.items():
        value = keyframe_curve(t, k)
        # weight 1 between the first and last key, easing to 0 over `fade` outside them
        gap = np.maximum(k[0, 0] - t, 0.0) + np.maximum(t - k[-1, 0], 0.0)
        if fade > 0:
            u = np.clip(1.0 - gap / fade, 0.0, 1.0)
            w = u * u * u * (10 - 15 * u + 6 * u * u)
        else:
            w = (gap == 0).astype(np.float64)

        def blend(column: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
            own = np.nan_to_num(column, nan=0.0)
            v = own + value if mode == "add" else value
            v = v if lo is None else np.clip(v, lo, hi)
            return (own + (v - own) * w).astype(column.dtype)

        if name in ue:
            a["weights"][:, ue[name]] = blend(a["weights"][:, ue[name]], 0.0, 1.0)
        elif name.startswith("EyeOpenness"):
            j = 0 if name.endswith("Left") else 1
            a["openness"][:, j] = blend(a["openness"][:, j], 0.0, 1.0)
        elif name in ("GazeX", "GazeY"):
            j = 0 if name == "GazeX" else 1
            for eye in (0, 1):
                a["gaze"][:, eye, j] = blend(a["gaze"][:, eye, j], -1.0, 1.0)
        else:
            j = ("HeadYaw", "HeadPitch", "HeadRoll").index(name)
            a["head_rotation"][:, j] = blend(a["head_rotation"][:, j])
    absent = ~np.asarray(track.present, bool)
    a["weights"][absent] = np.nan
    done = {n: [[round(float(x), 4) for x in key] for key in k] for n, k in checked.items()}
    meta = {**track.metadata, "keyframes": {**track.metadata.get("keyframes", {}), mode: done}}
    return ExpressionTrack.from_arrays(a, fps=track.fps, metadata=meta, origin=track.origin)


__all__ = ["DEFAULT_FADE", "POSE_CHANNELS", "keyframe_curve", "merge_keyframes"]
