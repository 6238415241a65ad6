"""Viseme weight curves: Rhubarb shapes, the 15 Oculus visemes, VRM ``aa ih ou ee oh`` and
Unified Expressions mouth/jaw/tongue shapes, sampled at any frame rate.

Interpolation (``--interpolation``):

* ``smooth`` (default): each channel's target steps are blended by a zero-phase, critically damped
  second-order filter (forward then backward), so neighbouring visemes overlap (co-articulation)
  and every movement starts a little before its sound (anticipation) without overshoot. Lip
  closures are then re-imposed so a P/B/M always shows closed lips.
* ``cosine``: cosine ease-in/out between consecutive cues over up to 8 cs.
* ``linear-keyframes``: the seed report's formula (cue keyframes, linear multiplier ramps through
  0.5; from/to rest ramps 0 <-> 1), kept for comparison.
* ``step``: hold each cue (what a sprite-swap animator shows).
"""

from __future__ import annotations

import numpy as np

from ..errors import UnknownNameError, suggest
from ..expressions.geometry import MOUTH_CLOSED_GAP_EXTENT, extent_to_weight
from ..expressions.mouth import LIPS_MEET_GAP, implied_mouth
from ..expressions.names import N_UE, UE_INDEX
from ..phonetics.phones import SILENCE, Phone
from .interpolation import INTERPOLATIONS, check_interpolation  # noqa: F401 - re-exported
from .shapes import ALL_SHAPES, MouthCue

RHUBARB_CHANNELS: tuple[str, ...] = tuple(ALL_SHAPES)
OCULUS_VISEMES: tuple[str, ...] = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa",
                                   "E", "ih", "oh", "ou")
VRM_VISEMES: tuple[str, ...] = ("aa", "ih", "ou", "ee", "oh")
CURVE_SETS = ("rhubarb", "oculus", "vrm", "ue")

PHONE_OCULUS = {
    "P": "PP", "B": "PP", "M": "PP", "F": "FF", "V": "FF", "TH": "TH", "DH": "TH", "T": "DD", "D": "DD",
    "K": "kk", "G": "kk", "NG": "kk", "HH": "kk", "CH": "CH", "JH": "CH", "SH": "CH", "ZH": "CH",
    "S": "SS", "Z": "SS", "N": "nn", "L": "nn", "R": "RR", "ER": "RR", "AA": "aa", "AH": "aa",
    "AE": "aa", "AY": "aa", "AW": "aa", "EH": "E", "EY": "E", "IH": "ih", "IY": "ih", "Y": "ih",
    "AO": "oh", "OW": "oh", "OY": "oh", "UW": "ou", "UH": "ou", "W": "ou", SILENCE: "sil", "NOISE": "sil",
}
# Rhubarb shape -> VRM weights (A and X closed; B slightly open like "i").
SHAPE_VRM = {
    "A": {}, "X": {}, "B": {"ih": 0.35}, "C": {"ee": 0.55, "aa": 0.25}, "D": {"aa": 1.0},
    "E": {"oh": 0.8}, "F": {"ou": 0.9}, "G": {"ih": 0.2}, "H": {"aa": 0.45, "ee": 0.2},
}


def _both(name: str, v: float) -> dict[str, float]:
    return {name + "Right": v, name + "Left": v}


# Rhubarb shape -> the mouth it stands for in normal speech, in the unit of docs/units.md:
# (chin drop, inner-lip gap) in inter-pupil distances (IPD), plus the lip shapes as UE weights.
# JawOpen and MouthClosed follow from the two distances (_ue_pose), so a weight means the same
# motion here as in capture: JawOpen 1.0 is a 0.75 IPD chin drop (a maximal gape), not "open".
# The numbers are fitted so that normal speech (FaceMimic's voice and MBROLA, sentence after
# sentence) matches real faces at the median and 95th percentile within 20 % and never opens
# wider than the widest real opening (0.29 IPD); docs/lipsync.md, "Units", has the measurements
# and benchmarks/units_speech.py re-measures them. Short vowels do not reach these targets: the
# smooth curves undershoot them as real jaws do.
_FUNNEL = {**_both("LipFunnelUpper", 0.5), **_both("LipFunnelLower", 0.5),
           **_both("LipPuckerUpper", 0.2), **_both("LipPuckerLower", 0.2)}
_PUCKER = {**_both("LipPuckerUpper", 0.7), **_both("LipPuckerLower", 0.7),
           **_both("LipFunnelUpper", 0.3), **_both("LipFunnelLower", 0.3)}
SHAPE_MOUTH: dict[str, tuple[float, float, dict[str, float]]] = {
    "X": (0.0, 0.0, {}),  # rest
    "A": (0.03, 0.0, _both("MouthPress", 0.35)),  # P B M: lips pressed together, jaw nearly shut
    "B": (0.165, 0.12, {**_both("MouthStretch", 0.25), **_both("MouthUpperUp", 0.1),
                        **_both("MouthLowerDown", 0.1)}),  # EE and most consonants: lips a little apart
    "C": (0.25, 0.28, {**_both("MouthUpperUp", 0.15), **_both("MouthLowerDown", 0.1),
                       **_both("MouthStretch", 0.15)}),  # EH AE AH: open
    "D": (0.275, 0.29, {**_both("MouthUpperUp", 0.2), **_both("MouthLowerDown", 0.1)}),  # AA: widest
    "E": (0.25, 0.25, _FUNNEL),  # AO ER: open and rounded
    "F": (0.13, 0.07, _PUCKER),  # UW W: puckered, lips nearly together
    "G": (0.11, 0.015, {**_both("LipSuckLower", 0.55), **_both("MouthUpperUp", 0.1)}),  # F V: lip to teeth
    "H": (0.23, 0.25, {"TongueUp": 0.6, **_both("MouthUpperUp", 0.15),
                       **_both("MouthLowerDown", 0.1)}),  # L: open, tongue up
}


def _ue_pose(chin_drop: float, lip_gap: float, lips: dict[str, float]) -> dict[str, float]:
    """UE weights for a mouth: JawOpen from the chin drop, then MouthClosed so that the jaw, the
    lips and MouthClosed together imply ``lip_gap`` (:func:`facemimic.expressions.mouth.implied_mouth`)."""
    jaw = float(extent_to_weight("JawOpen", chin_drop))
    pose = {**lips}
    lip_share = float(implied_mouth(_pose_vector(pose)).lip_gap)  # what the lip shapes part alone
    closed = jaw - (lip_gap - lip_share) / MOUTH_CLOSED_GAP_EXTENT
    if not (-1e-9 <= closed <= jaw + 1e-9):
        raise ValueError(f"no MouthClosed gives a {lip_gap} IPD lip gap with a {chin_drop} IPD chin drop")
    if jaw > 0:
        pose["JawOpen"] = round(jaw, 4)
    if closed > 1e-9:
        pose["MouthClosed"] = round(closed, 4)
    return pose


# Phone-specific tongue additions on top of the shape pose.
PHONE_UE_EXTRA: dict[str, dict[str, float]] = {
    "TH": {"TongueOut": 0.45}, "DH": {"TongueOut": 0.35}, "L": {"TongueUp": 0.6, "TongueOut": 0.1},
    "T": {"TongueUp": 0.3}, "D": {"TongueUp": 0.3}, "N": {"TongueUp": 0.3},
}
# Lips that meet: the implied inner-lip gap at most LIPS_MEET_GAP. Closure frames (A) are capped
# so that this holds whatever the smoothing left in MouthClosed: the jaw at most
# LIPS_MEET_GAP / MOUTH_CLOSED_GAP_EXTENT (a 0.03 IPD chin drop) and no lip raised or lowered;
# offline curves also set MouthClosed = JawOpen there, so the implied gap is 0.
CLOSURE_UE = {"JawOpen": round(LIPS_MEET_GAP / MOUTH_CLOSED_GAP_EXTENT, 4),
              **_both("MouthUpperUp", 0.0), **_both("MouthLowerDown", 0.0)}  # caps on closure frames


def _pose_vector(pose: dict[str, float]) -> np.ndarray:
    v = np.zeros(N_UE, np.float32)
    for k, w in pose.items():
        v[UE_INDEX[k]] = w
    return v


# Rhubarb shape -> UE pose (weights of mouth/jaw/tongue shapes), left/right symmetric.
SHAPE_UE: dict[str, dict[str, float]] = {s: _ue_pose(*m) for s, m in SHAPE_MOUTH.items()}
_SHAPE_UE_VEC = {s: _pose_vector(p) for s, p in SHAPE_UE.items()}
_EXTRA_VEC = {p: _pose_vector(d) for p, d in PHONE_UE_EXTRA.items()}


def _close_lips(curves: np.ndarray, closed: np.ndarray) -> None:
    """Impose lip closure on the frames ``closed`` (T,) of UE curves (T, 88), in place: the caps
    of :data:`CLOSURE_UE`, the closure's pressed lips, and MouthClosed = JawOpen (implied lip gap 0)."""
    if not closed.any():
        return
    for k, v in CLOSURE_UE.items():
        c = curves[:, UE_INDEX[k]]
        c[closed] = np.minimum(c[closed], v)
    for k in ("MouthPressRight", "MouthPressLeft"):
        c = curves[:, UE_INDEX[k]]
        c[closed] = np.maximum(c[closed], SHAPE_UE["A"][k])
    curves[closed, UE_INDEX["MouthClosed"]] = curves[closed, UE_INDEX["JawOpen"]]


#: Seconds a lip closure is held beyond each end of its closure cue (A) in the UE curves. Aligned
#: closures sit where the audio is silent, which need not be where a synthesiser says its P/B/M is:
#: ``facemimic say``'s phone times lag the aligned closures by 19-24 ms (espeak-ng reports the
#: burst, the silent closure comes before it), MBROLA's lead them by up to 16 ms. Animators hold
#: a closure for a couple of frames anyway; this hold covers both, at any frame rate.
CLOSURE_HOLD = 0.025
#: Output frames a lip closure shows at least (animators' rule: a closure under two frames is missed).
CLOSURE_MIN_FRAMES = 2


def closure_frames(cues: list[MouthCue], times: np.ndarray, *, hold: float = CLOSURE_HOLD,
                   min_frames: int = CLOSURE_MIN_FRAMES) -> np.ndarray:
    """Frames that show closed lips: each closure cue (A) held ``hold`` seconds beyond both ends
    (a frame counts when the half frame either side of it reaches that), and at least
    ``min_frames`` frames.

    The hold takes at most half of an opening neighbour, and a shape between two closures keeps
    its middle frame open, so the vowel of "mom" or "bib" still shows. Rest (X) neighbours are closed lips already.

    Parameters
    ----------
    cues : list of MouthCue
        Contiguous cues (from :func:`shapes.animate`).
    times : np.ndarray [shape=(T,)]
        Frame times in seconds, evenly spaced.

    Returns
    -------
    np.ndarray [shape=(T,), dtype=bool]
    """
    times = np.asarray(times, np.float64)
    closed = np.zeros(len(times), bool)
    if not len(times):
        return closed
    # a frame stands for the half frame either side of it: it is closed when that span reaches
    # the held closure
    half = float(times[1] - times[0]) / 2 if len(times) > 1 else 0.0
    reach = hold + half

    def _room(k: int) -> float:  # how far the hold may enter cue k: at most half of it, and not
        # onto its middle frame when closures hold it from both sides
        if k < 0 or k >= len(cues) or cues[k].shape == "X":
            return reach
        shut = 0 < k < len(cues) - 1 and cues[k - 1].shape == cues[k + 1].shape == "A"
        return min(reach, max(cues[k].duration / 2 - (half if shut else 0.0), 0.0))

    for i, c in enumerate(cues):
        if c.shape != "A":
            continue
        lead, lag = _room(i - 1), _room(i + 1)
        inside = (times > c.start - lead + 1e-6) & (times < c.end + lag - 1e-6)
        if inside.sum() < min_frames:  # too short for the frame rate: the frames nearest its middle
            mid = (c.start + c.end) / 2
            inside[np.argsort(np.abs(times - mid), kind="stable")[:min_frames]] = True
        closed |= inside
    return closed


# -- grids -------------------------------------------------------------------------------------
def shape_grid(cues: list[MouthCue], n: int) -> np.ndarray:
    """Shape letter per centisecond, shape ``(n,)``."""
    g = np.full(n, "X", dtype="<U1")
    for c in cues:
        a, b = max(int(round(c.start * 100)), 0), min(int(round(c.end * 100)), n)
        g[a:b] = c.shape
    return g


def phone_grid(phones: list[Phone], n: int) -> np.ndarray:
    g = np.full(n, SILENCE, dtype="<U5")
    for p in phones:
        a, b = max(int(round(p.start * 100)), 0), min(int(round(p.end * 100)), n)
        g[a:b] = p.name
    return g


def _one_hot(labels: np.ndarray, names: tuple[str, ...], table=None) -> np.ndarray:
    idx = {k: i for i, k in enumerate(names)}
    out = np.zeros((len(labels), len(names)), np.float32)
    for i, lab in enumerate(labels):
        key = table.get(lab, names[0]) if table is not None else lab
        out[i, idx.get(key, 0)] = 1.0
    return out


def _targets(kind: str, shapes: np.ndarray, phones: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Step targets per centisecond for one curve set: (n, channels), channel names."""
    if kind == "rhubarb":
        return _one_hot(shapes, RHUBARB_CHANNELS), RHUBARB_CHANNELS
    if kind == "oculus":
        t = _one_hot(phones, OCULUS_VISEMES, PHONE_OCULUS)
        closed = shapes == "A"  # closures the animator imposed show as PP
        t[closed] = 0.0
        t[closed, OCULUS_VISEMES.index("PP")] = 1.0
        rest = shapes == "X"
        t[rest] = 0.0
        t[rest, 0] = 1.0
        return t, OCULUS_VISEMES
    if kind == "vrm":
        t = np.zeros((len(shapes), len(VRM_VISEMES)), np.float32)
        for s, pose in SHAPE_VRM.items():
            m = shapes == s
            for k, w in pose.items():
                t[m, VRM_VISEMES.index(k)] = w
        return t, VRM_VISEMES
    if kind == "ue":
        t = np.stack([_SHAPE_UE_VEC[s] for s in shapes]) if len(shapes) else np.zeros((0, N_UE), np.float32)
        for p, v in _EXTRA_VEC.items():
            m = (phones == p) & (shapes != "A") & (shapes != "X")
            if m.any():
                t[m] = np.maximum(t[m], v)
        return t, tuple(UE_INDEX)
    raise UnknownNameError(f"unknown curve set {kind!r}{suggest(kind, CURVE_SETS)}; valid: {', '.join(CURVE_SETS)}")


# -- smoothing ---------------------------------------------------------------------------------
def critically_damped(x: np.ndarray, *, tau: float, dt: float = 0.01, state=None) -> tuple[np.ndarray, tuple]:
    """Causal critically damped low-pass along axis 0: two identical first-order stages (a double
    real pole), so a step rises smoothly and never overshoots.

    Parameters
    ----------
    x : np.ndarray [shape=(T, C)]
    tau : float
        Time constant in seconds of each stage.
    state : tuple or None
        The state returned by the previous call (streaming); ``None`` starts at rest on ``x[0]``.

    Returns
    -------
    y : np.ndarray [shape=(T, C)]
    state : tuple
        Each stage's ``e * y[-1]`` (``e = exp(-dt / tau)``): the state ``scipy.signal.lfilter``
        returns for these filters.
    """
    x = np.asarray(x, np.float64)
    if len(x) == 0:
        return x, state
    e = float(np.exp(-dt / tau))
    s1, s2 = (x[0] * e, x[0] * e) if state is None else state
    y1, z1 = _first_order(x, e, np.asarray(s1, np.float64))
    y2, z2 = _first_order(y1, e, np.asarray(s2, np.float64))
    return y2, (z1, z2)


_BLOCK = 64  # rows per matrix product in _first_order


def _first_order(x: np.ndarray, e: float, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``y[n] = (1 - e) x[n] + e y[n-1]`` along axis 0 of ``x`` (T, ...), the previous output
    given as ``z = e * y[-1]``; returns ``y`` and ``e * y[T-1]``.

    Why not ``scipy.signal.lfilter``: importing ``scipy.signal`` costs ~0.9 s, paid by every
    command that lip-syncs (``say``, ``lipsync``, ``animate --say``). Blocks of :data:`_BLOCK`
    rows are one matrix product each, ``y = M x + e^(k+1) y[-1]`` with ``M[k, j] = (1 - e)
    e^(k-j)`` below the diagonal: the recursion's own sums (powers of ``e`` that underflow only
    where they are below rounding anyway)."""
    n = len(x)
    k = np.arange(min(n, _BLOCK))
    lag = k[:, None] - k[None, :]
    with np.errstate(under="ignore"):
        m = np.where(lag >= 0, (1.0 - e) * np.power(e, np.maximum(lag, 0)), 0.0)
        carry = np.power(e, k)  # e^k: the weight of z (= e * y[-1]) on row k
    y = np.empty(x.shape, np.float64)  # (C order: ``out`` below is a view of it)
    flat = x.reshape(n, -1)
    out = y.reshape(n, -1)
    zf = np.broadcast_to(np.asarray(z, np.float64), x.shape[1:]).reshape(-1)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        b = stop - start
        out[start:stop] = m[:b, :b] @ flat[start:stop] + carry[:b, None] * zf[None, :]
        zf = e * out[stop - 1]
    return y, zf.reshape(x.shape[1:])


def _smooth(t: np.ndarray, tau: float) -> np.ndarray:
    if len(t) == 0:
        return t
    fwd, _ = critically_damped(t, tau=tau)
    back, _ = critically_damped(fwd[::-1], tau=tau)
    return back[::-1].astype(np.float32)


def _keyframe_curves(targets: np.ndarray, cues: list[MouthCue], n: int, mode: str) -> np.ndarray:
    """Interpolate between cue keyframes (``linear-keyframes`` or ``cosine``)."""
    out = np.zeros_like(targets)
    keys = [(int(round(c.start * 100)), c.shape) for c in cues if int(round(c.start * 100)) < n]
    keys.append((n, "X"))
    for (a, s1), (b, s2) in zip(keys[:-1], keys[1:]):
        if b <= a:
            continue
        v1 = targets[min(a, n - 1)]
        v2 = targets[min(b, n - 1)] if b < n else v1
        u = (np.arange(a, b) - a) / max(b - a, 1)
        if mode == "linear-keyframes":
            if s1 == "X":
                seg = v2[None] * u[:, None]
            elif s2 == "X":
                seg = v1[None] * (1 - u[:, None])
            else:
                first = u < 0.5
                seg = np.where(first[:, None], v1[None] * (1 - u[:, None]), v2[None] * u[:, None])
        else:  # cosine ease from v1 to v2 over the last min(8 cs, half) of the segment
            span = max(1, min(8, (b - a) // 2))
            k = np.clip((np.arange(a, b) - (b - span)) / span, 0, 1)
            e = 0.5 - 0.5 * np.cos(np.pi * k)
            seg = v1[None] * (1 - e[:, None]) + v2[None] * e[:, None]
        out[a:b] = seg
    return out


def viseme_curves(cues: list[MouthCue], phones: list[Phone], duration: float, *, kind: str = "ue",
                  interpolation: str = "smooth", fps: float = 100.0, tau: float = 0.025
                  ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Weight curves for one curve set.

    Parameters
    ----------
    cues : list of MouthCue
        The animated shapes (from :func:`shapes.animate`).
    phones : list of Phone
        The phones they came from (Oculus visemes and tongue shapes use them).
    duration : float
        Seconds; frames cover ``[0, duration]``.
    kind : {"ue", "rhubarb", "oculus", "vrm"}
    interpolation : {"smooth", "cosine", "linear-keyframes", "step"}
    fps : float
        Output frame rate.

    Returns
    -------
    times : np.ndarray [shape=(T,)]
    weights : np.ndarray [shape=(T, C), dtype=float32] in [0, 1]
    names : tuple of str, length C
    """
    check_interpolation(interpolation)
    n = max(int(np.ceil(duration * 100 - 1e-6)), 1)
    shapes = shape_grid(cues, n)
    pg = phone_grid(phones, n)
    targets, names = _targets(kind, shapes, pg)
    if interpolation == "step":
        curves = targets
    elif interpolation == "smooth":
        curves = _smooth(targets, tau)
        if kind == "ue":  # closures must close: cap the jaw on closure frames (held, see closure_frames)
            _close_lips(curves, closure_frames(cues, np.arange(n) / 100.0))
    else:
        curves = _keyframe_curves(targets, cues, n, interpolation)
    curves = np.clip(curves, 0.0, 1.0).astype(np.float32)
    if kind == "ue":  # VRCFT corrector: MouthClosed never exceeds JawOpen
        j, m = UE_INDEX["JawOpen"], UE_INDEX["MouthClosed"]
        curves[:, m] = np.minimum(curves[:, m], curves[:, j])
    n_out = max(int(np.floor(duration * fps + 1e-6)) + 1, 1)
    t_out = np.arange(n_out) / fps
    src_t = np.arange(n) / 100.0  # value of the centisecond that starts at t
    if n_out and n > 1:
        out = np.stack([np.interp(t_out, src_t, curves[:, c]) for c in range(curves.shape[1])], 1)
    else:
        out = np.repeat(curves[:1], n_out, axis=0)
    if kind == "ue" and interpolation == "smooth":
        # A frame inside a closure blends with the next (open) one when resampled, and a short
        # closure may fall between frames: close the held closure frames at the output rate.
        _close_lips(out, closure_frames(cues, t_out))
    return t_out, out.astype(np.float32), names
