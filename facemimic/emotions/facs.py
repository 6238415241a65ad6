"""FACS Action Units -> Unified Expressions: the ONE table every generated expression goes through.

Each Action Unit (AU) drives a few UE shapes with fixed gains. Sources (spec ``expressions.md``
§2.3): py-feat's ``blendshape_region_map.json`` (one AU per ARKit shape), the VRCFT ARKit table,
and the FACS AU definitions for shapes ARKit lacks (AU23 -> ``MouthTightener``, AU11 ->
``MouthUpperDeepen``, AU38/39 -> nostrils, AU31 -> ``JawClench``). Secondary gains (e.g. AU6 also
narrows the eye a little) follow the FACS manual's "appearance changes" for that AU.

AU intensities are per side: an array ``(..., N_AU, 2)`` with ``[..., k, 0]`` the subject's left
and ``[..., k, 1]`` the right. A sided UE shape (``…Left``/``…Right``) takes its side's intensity;
a midline shape (``JawOpen``, ``MouthRaiserLower``, ``TongueOut`` …) takes the mean of both sides.

Besides the 88 UE weights, generated expressions carry eye *closure* per eye (``1 - openness``),
because VRCFT has no eyelid-closing shape: the eye data carries it. So the "expression vector" used
by the generator and the analyser is 90 numbers: :data:`N_X` = 88 UE weights + closure left/right.

Intensity letters of FACS map to numbers by the usual convention A 0.2, B 0.4, C 0.6, D 0.8, E 1.0.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from ..errors import UnknownNameError, suggest
from ..expressions.names import N_UE, UE_INDEX, UE_NAMES

N_X = N_UE + 2  # 88 UE weights + eye closure (left, right)
CLOSURE_LEFT = N_UE  # index of the left eye's closure (1 - openness) in an expression vector
CLOSURE_RIGHT = N_UE + 1
X_NAMES: tuple[str, ...] = UE_NAMES + ("EyeClosedLeft", "EyeClosedRight")
X_INDEX = MappingProxyType({n: i for i, n in enumerate(X_NAMES)})

# FACS intensity letters (trace .. maximum) as numbers.
INTENSITY_LETTERS = MappingProxyType({"A": 0.2, "B": 0.4, "C": 0.6, "D": 0.8, "E": 1.0})

# AU number -> (FACS name, {UE base name: gain}). A base name ending in "*" is sided: "*" becomes
# Left/Right. "EyeClosed*" is the eye-closure channel.
AU_TABLE: "MappingProxyType[int, tuple[str, dict[str, float]]]" = MappingProxyType({
    1: ("inner brow raiser", {"BrowInnerUp*": 1.0}),
    2: ("outer brow raiser", {"BrowOuterUp*": 1.0}),
    4: ("brow lowerer", {"BrowLowerer*": 1.0, "BrowPinch*": 1.0}),  # corrugator + procerus, as ARKit browDown
    5: ("upper lid raiser", {"EyeWide*": 1.0}),
    6: ("cheek raiser", {"CheekSquint*": 1.0, "EyeSquint*": 0.3, "EyeClosed*": 0.2}),  # orbital part narrows the eye
    7: ("lid tightener", {"EyeSquint*": 1.0, "EyeClosed*": 0.15}),
    9: ("nose wrinkler", {"NoseSneer*": 1.0, "MouthUpperUp*": 0.35, "BrowLowerer*": 0.2}),
    10: ("upper lip raiser", {"MouthUpperUp*": 1.0, "MouthUpperDeepen*": 0.3}),
    11: ("nasolabial deepener", {"MouthUpperDeepen*": 1.0}),
    12: ("lip corner puller", {"MouthCornerPull*": 1.0, "MouthCornerSlant*": 1.0}),  # as ARKit mouthSmile
    13: ("sharp lip puller", {"MouthCornerSlant*": 1.0, "CheekPuff*": 0.15}),
    14: ("dimpler", {"MouthDimple*": 1.0}),
    15: ("lip corner depressor", {"MouthFrown*": 1.0}),
    16: ("lower lip depressor", {"MouthLowerDown*": 1.0}),
    17: ("chin raiser", {"MouthRaiserLower": 1.0, "MouthRaiserUpper": 0.4}),
    18: ("lip pucker", {"LipPuckerUpper*": 1.0, "LipPuckerLower*": 1.0}),
    19: ("tongue show", {"TongueOut": 1.0, "JawOpen": 0.25}),
    20: ("lip stretcher", {"MouthStretch*": 1.0}),
    21: ("neck tightener", {"NeckFlex*": 1.0}),
    22: ("lip funneler", {"LipFunnelUpper*": 1.0, "LipFunnelLower*": 1.0}),
    23: ("lip tightener", {"MouthTightener*": 1.0, "MouthPress*": 0.3}),
    24: ("lip pressor", {"MouthPress*": 1.0}),
    25: ("lips part", {"MouthLowerDown*": 0.35, "MouthUpperUp*": 0.2, "JawOpen": 0.1}),
    26: ("jaw drop", {"JawOpen": 0.6, "MouthLowerDown*": 0.15}),
    27: ("mouth stretch", {"JawOpen": 1.0, "MouthStretch*": 0.3}),
    28: ("lip suck", {"LipSuckUpper*": 1.0, "LipSuckLower*": 1.0}),
    29: ("jaw thrust", {"JawForward": 1.0}),
    31: ("jaw clencher", {"JawClench": 1.0}),
    34: ("cheek puff", {"CheekPuff*": 1.0}),
    35: ("cheek suck", {"CheekSuck*": 1.0}),
    38: ("nostril dilator", {"NasalDilation*": 1.0}),
    39: ("nostril compressor", {"NasalConstrict*": 1.0}),
    43: ("eyes closed", {"EyeClosed*": 1.0}),
})
AU_NUMBERS: tuple[int, ...] = tuple(AU_TABLE)
N_AU = len(AU_NUMBERS)
AU_POS = MappingProxyType({au: i for i, au in enumerate(AU_NUMBERS)})
AU_LABELS: tuple[str, ...] = tuple(f"AU{au}" for au in AU_NUMBERS)


def au_position(au: "int | str") -> int:
    """Row of an AU (``12``, ``"12"`` or ``"AU12"``) in :data:`AU_NUMBERS`."""
    key = str(au).upper().removeprefix("AU")
    if key.isdigit() and int(key) in AU_POS:
        return AU_POS[int(key)]
    raise UnknownNameError(f"unknown action unit {au!r}{suggest(str(au), AU_LABELS)}; "
                           f"known: {', '.join(AU_LABELS)}")


def _build() -> np.ndarray:
    # M[x, au, side]: expression-vector entry x gets M * intensity(au, side).
    m = np.zeros((N_X, N_AU, 2), np.float32)
    for k, (_, targets) in enumerate(AU_TABLE.values()):
        for base, gain in targets.items():
            if base.endswith("*"):
                stem = base[:-1]
                m[X_INDEX[stem + "Left"], k, 0] = gain
                m[X_INDEX[stem + "Right"], k, 1] = gain
            else:  # midline: the mean of the two sides
                m[X_INDEX[base], k, :] = gain / 2
    return m


AU_TO_X = _build()
# (N_X, 2*N_AU) matrix for the flattened ``(N_AU, 2)`` layout, used by the analyser's solver.
AU_TO_X_FLAT = AU_TO_X.reshape(N_X, N_AU * 2)


def au_to_x(au: np.ndarray) -> np.ndarray:
    """Per-side AU intensities -> expression vectors (UE weights + eye closure), clipped to [0, 1].

    Parameters
    ----------
    au : np.ndarray [shape=(..., N_AU, 2)]
        Intensities in [0, 1], ``[..., k, 0]`` left and ``[..., k, 1]`` right side of AU
        ``AU_NUMBERS[k]``.

    Returns
    -------
    np.ndarray [shape=(..., 90), dtype=float32]
        88 UE weights in :data:`UE_NAMES` order, then closure left, closure right.
    """
    a = np.asarray(au, np.float32)
    flat = a.reshape(a.shape[:-2] + (N_AU * 2,))
    return np.clip(flat @ AU_TO_X_FLAT.T, 0.0, 1.0).astype(np.float32)


def au_dict_to_x(aus: "dict[str, float]") -> np.ndarray:
    """``{"AU12": 0.8, "R14": 0.4, "L2": 0.5}`` (R/L prefix = one side only) -> expression vector."""
    a = np.zeros((N_AU, 2), np.float32)
    for key, value in aus.items():
        k = str(key).upper()
        sides = (0, 1)
        if k[:1] in "LR" and k[1:].isdigit():
            sides = (0,) if k[0] == "L" else (1,)
            k = k[1:]
        for s in sides:
            a[au_position(k), s] = value
    return au_to_x(a)


def table_rows() -> list[tuple[str, str, str]]:
    """The table as ``(AU, FACS name, "UE shape xgain, …")`` rows, for docs and ``--help``."""
    rows = []
    for au, (name, targets) in AU_TABLE.items():
        rows.append((f"AU{au}", name, ", ".join(f"{t.replace('*', '{L,R}')} x{g:g}" for t, g in targets.items())))
    return rows


assert all(n in UE_INDEX or n.startswith("EyeClosed") for n in X_NAMES)


def track_to_x(track) -> tuple[np.ndarray, np.ndarray]:
    """(expression vectors (T, 90), present mask (T,)) of an :class:`ExpressionTrack`: its 88 UE
    weights (gaps as 0) and each eye's closure (1 - openness), clipped to [0, 1]."""
    x = np.zeros((len(track), N_X), np.float32)
    x[:, :88] = np.nan_to_num(track.weights)
    x[:, CLOSURE_LEFT] = 1.0 - track.openness[:, 0]
    x[:, CLOSURE_RIGHT] = 1.0 - track.openness[:, 1]
    return np.clip(x, 0, 1), np.asarray(track.present, bool)
