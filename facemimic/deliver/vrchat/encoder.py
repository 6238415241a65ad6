"""VRChat / VRCFaceTracking v2 avatar parameters over OSC.

What goes out (spec ``unified-expressions.md`` §2; VRCFT ``BaseParameter.cs``,
``BinaryBaseParameter.cs``, ``ParamContainers.cs``):

* floats ``/avatar/parameters/<prefix>v2/<Name>`` for the 88 base shapes, 8 simple, 80 combined and
  6 head parameters (values from :func:`facemimic.expressions.vrcft.vrcft_parameters`);
* the **bool** family ``v2/<Name>`` (true when the value is below a threshold: 0 for base and
  simple shapes, 0.5 otherwise) and the **binary** family ``v2/<Name>1``, ``…2``, ``…4`` … plus
  ``v2/<Name>Negative`` (:func:`encode_binary`);
* ``EyeTrackingActive``, ``ExpressionTrackingActive``, ``LipTrackingActive`` bools (no ``v2/``),
  sent at start, on change and false once the face has been lost for ``lost_after_s``;
* optionally VRChat's native ``/tracking/eye/LeftRightPitchYaw`` and ``/tracking/eye/EyesClosedAmount``.

Given an avatar's VRChat OSC config JSON (:func:`load_avatar_config`), only the parameters that avatar
has are sent, to its exact addresses, with the right types; the bit count of each binary parameter
is the number of ``<Name><2^i>`` bools it has. Without a config, every float goes to
``/avatar/parameters/<prefix>v2/<Name>`` and binary families only where asked (:class:`BinarySpec`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from ...errors import InputError, ParameterError, UnknownNameError, suggest
from ...common.files import read_json_file
from ...expressions.names import UE_NAMES, UE_SIMPLE_NAMES
from ...expressions.vrcft import PARAMETER_NAMES, PREFIX as VERSION_PREFIX, vrcft_parameters
from ..osc import BoolSlot, FloatSlot, element, encode_message
from ..pacing import ChangeFilter

ADDRESS_PREFIX = "/avatar/parameters/"
ACTIVE_NAMES = ("EyeTrackingActive", "ExpressionTrackingActive", "LipTrackingActive")
NATIVE_GAZE_ADDRESS = "/tracking/eye/LeftRightPitchYaw"
NATIVE_CLOSED_ADDRESS = "/tracking/eye/EyesClosedAmount"
DEFAULT_PORT = 9000  # VRChat receives OSC on 9000 (docs.vrchat.com "OSC Overview")
DEFAULT_PREFIX = "FT/"  # the community convention (Jerry's templates, VRCFury, Vixxy)
ALL_BITS_AT = 0.99999  # |v| above this sets every bit (VRCFT)
MAX_BITS = 16

_NAME_INDEX = {n: i for i, n in enumerate(PARAMETER_NAMES)}
# Bool threshold of each parameter's bool family: 0 for base and simple shapes, 0.5 for the rest.
_BOOL_THRESHOLD = np.array([0.0 if (n in UE_NAMES or n in UE_SIMPLE_NAMES) else 0.5
                            for n in PARAMETER_NAMES], np.float32)
_GAZE_PARAMS = ("EyeX", "EyeY", "EyeLeftX", "EyeLeftY", "EyeRightX", "EyeRightY")
_OPEN_PARAMS = ("EyeOpenLeft", "EyeOpenRight", "EyeOpen", "EyeClosedLeft", "EyeClosedRight",
                "EyeClosed", "EyeLidLeft", "EyeLidRight", "EyeLid")


# -- binary encoding ---------------------------------------------------------------------------
def encode_binary(value: float, *, bits: int, negative: bool = False) -> tuple[bool | None, tuple[bool, ...]]:
    """VRCFaceTracking's binary encoding of one value into ``bits`` bools (+ sign).

    ``Negative = value < 0``; the magnitude ``|v|`` sets every bit when above 0.99999, otherwise
    ``big = int(|v| * 2**bits)`` and bool ``i`` (parameter ``<Name><2**i>``) is bit ``i`` of ``big``.
    Without a ``Negative`` parameter, negative values turn every bit off.

    Parameters
    ----------
    value : float
    bits : int
        Number of bool parameters (1 … 16).
    negative : bool
        Whether the avatar has ``<Name>Negative``.

    Returns
    -------
    negative_flag : bool or None
        The ``Negative`` bool, None when ``negative`` is False.
    bit_values : tuple[bool, ...] [length=bits]
        Bit ``i`` first (``<Name>1``, ``<Name>2``, ``<Name>4`` …).
    """
    if not 1 <= bits <= MAX_BITS:
        raise ParameterError(f"binary parameters need 1 to {MAX_BITS} bits, got {bits}")
    neg, big = _binary_int(float(value), bits, negative)
    return neg, tuple(bool((big >> i) & 1) for i in range(bits))


def _binary_int(v: float, bits: int, negative: bool) -> tuple[bool | None, int]:
    """(Negative flag or None, the integer whose bits are sent) for one value."""
    neg = v < 0
    if neg and not negative:
        return None, 0
    a = abs(v)
    big = (1 << bits) - 1 if a > ALL_BITS_AT else int(a * (1 << bits))
    return (neg if negative else None), big


def decode_binary(bit_values: "tuple[bool, ...] | list[bool]", negative: bool = False) -> float:
    """What an avatar's animator rebuilds from the bools: ``±sum(bit_i * 2**i) / 2**N``."""
    n = len(bit_values)
    v = sum(1 << i for i, b in enumerate(bit_values) if b) / (1 << n)
    return -v if negative else v


@dataclass(frozen=True)
class BinarySpec:
    """How many bools carry one parameter (used when no avatar config says so)."""

    bits: int  # number of <Name><2^i> bools, 1..16
    negative: bool = False  # also send <Name>Negative

    def __post_init__(self) -> None:
        if not 1 <= self.bits <= MAX_BITS:
            raise ParameterError(f"binary parameters need 1 to {MAX_BITS} bits, got {self.bits}")


def parse_binary_spec(text: str) -> tuple[str, BinarySpec]:
    """Parse ``NAME=BITS`` or ``NAME=BITS+neg`` (``MouthX=4+neg``) into ``(name, spec)``."""
    name, sep, rest = text.partition("=")
    name = name.strip().removeprefix(VERSION_PREFIX)
    rest = rest.strip().lower()
    neg = rest.endswith("+neg")
    bits_text = rest.removesuffix("+neg")
    if not sep or not bits_text.isdigit():
        raise ParameterError(f"binary parameter {text!r} must look like NAME=BITS or NAME=BITS+neg "
                             f"(e.g. JawOpen=4, MouthX=4+neg)")
    check_parameter_name(name)
    return name, BinarySpec(int(bits_text), neg)


def check_parameter_name(name: str) -> str:
    """Raise :class:`UnknownNameError` unless ``name`` is a v2 parameter (without ``v2/``)."""
    if name not in _NAME_INDEX:
        raise UnknownNameError(f"unknown VRCFT v2 parameter {name!r}{suggest(name, PARAMETER_NAMES)}")
    return name


# Jerry's Unified Expressions template (spec §2.3): the binary layout most avatars use.
JERRY_BINARY: Mapping[str, BinarySpec] = {
    **{n: BinarySpec(3) for n in (
        "EyeSquintLeft", "EyeSquintRight", "MouthLowerDown", "LipFunnel", "LipPucker", "NoseSneer",
        "MouthStretchLeft", "MouthStretchRight", "MouthTightenerLeft", "MouthTightenerRight",
        "LipSuckUpper", "LipSuckLower", "JawForward", "TongueOut", "PupilDilation",
        "MouthRaiserLower", "MouthRaiserUpper")},
    **{n: BinarySpec(3, True) for n in (
        "SmileFrownLeft", "SmileFrownRight", "BrowExpressionLeft", "BrowExpressionRight", "JawX",
        "TongueX", "TongueY", "CheekPuffSuckLeft", "CheekPuffSuckRight")},
    "MouthX": BinarySpec(4, True),
}
JERRY_FLOATS = ("EyeLeftX", "EyeRightX", "EyeY", "EyeLidLeft", "EyeLidRight", "JawOpen",
                "MouthClosed", "MouthUpperUp")
BINARY_PRESETS: Mapping[str, Mapping[str, BinarySpec]] = {"jerry": JERRY_BINARY}


# -- avatar OSC config -------------------------------------------------------------------------
@dataclass(frozen=True)
class AvatarParameter:
    """One settable parameter of an avatar, from its VRChat OSC config."""

    name: str  # parameter name, e.g. "FT/v2/JawOpen"
    address: str  # OSC input address, e.g. "/avatar/parameters/FT/v2/JawOpen"
    type: str  # "Float", "Bool" or "Int"


@dataclass(frozen=True)
class AvatarConfig:
    """The input side of a VRChat avatar OSC config (``…/OSC/usr_…/Avatars/avtr_….json``)."""

    id: str  # "avtr_…"
    name: str  # display name
    parameters: tuple[AvatarParameter, ...]  # only those with an ``input`` (settable)
    source: str = ""  # file it came from, for messages


_TYPES = ("Float", "Bool", "Int")


def parse_avatar_config(obj: object, source: str = "<avatar config>") -> AvatarConfig:
    """Validate a decoded VRChat OSC config; raises :class:`InputError` naming ``source``."""
    if not isinstance(obj, dict) or not isinstance(obj.get("parameters"), list):
        raise InputError(source, "not a VRChat avatar OSC config (no 'parameters' list)")
    params = []
    for i, p in enumerate(obj["parameters"]):
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            raise InputError(source, f"parameter #{i} has no name")
        inp = p.get("input")
        if inp is None:  # output-only (VelocityZ, GestureLeft …): cannot be set over OSC
            continue
        if not isinstance(inp, dict) or not isinstance(inp.get("address"), str) or inp.get("type") not in _TYPES:
            raise InputError(source, f"parameter {p['name']!r} has a bad input "
                                     f"(need address and type Float|Bool|Int)")
        params.append(AvatarParameter(p["name"], inp["address"], inp["type"]))
    return AvatarConfig(str(obj.get("id", "")), str(obj.get("name", "")), tuple(params), source)


def load_avatar_config(path: str | Path) -> AvatarConfig:
    """Read a VRChat avatar OSC config JSON file (VRChat writes it with a UTF-8 BOM)."""
    path = Path(path)
    obj = read_json_file(path, "VRChat avatar config")
    return parse_avatar_config(obj, str(path))



def vrchat_osc_folders() -> list[Path]:
    """VRChat's per-user avatar config folders (``…/VRChat/VRChat/OSC/usr_*/Avatars``), newest first.

    Looks where VRChat writes them on Windows and under Steam Proton on Linux (as VRCFT does).
    """
    import os

    home = Path.home()
    roots = [Path(os.environ.get("USERPROFILE", home)) / "AppData/LocalLow/VRChat/VRChat/OSC"]
    for steam in (home / ".steam/steam", home / ".local/share/Steam"):
        roots.append(steam / "steamapps/compatdata/438100/pfx/drive_c/users/steamuser/AppData/LocalLow/VRChat/VRChat/OSC")
    found = [d for r in roots if r.is_dir() for d in r.glob("usr_*/Avatars") if d.is_dir()]
    return sorted(set(found), key=lambda d: d.stat().st_mtime, reverse=True)


class AvatarLibrary:
    """A folder of avatar OSC configs named ``<avatar id>.json`` (VRChat's ``OSC/usr_…/Avatars``)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise InputError(self.folder, "not a folder of VRChat avatar OSC configs")
        self.problem = ""  # last config that could not be used, for the status line

    def get(self, avatar_id: str) -> AvatarConfig | None:
        """The config of ``avatar_id``, or None (with :attr:`problem` set) if missing or broken."""
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", avatar_id or ""):
            self.problem = f"ignored odd avatar id {avatar_id!r}"
            return None
        try:
            return load_avatar_config(self.folder / f"{avatar_id}.json")
        except InputError as e:
            self.problem = str(e)
            return None

    def latest(self) -> AvatarConfig | None:
        """The most recently written config (VRChat writes it when the avatar loads), or None."""
        for path in sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True):
            try:
                return load_avatar_config(path)
            except InputError as e:
                self.problem = str(e)
        return None


def _name_regex(name: str) -> "re.Pattern[str]":
    # VRCFT: (?<!(v\d+))(/<name>)$|^(<name>)$ . Python has no variable-width look-behind, so the
    # "not preceded by v<digits>" test is done in :func:`matches_name` instead.
    return re.compile(r"(?:^|/)" + re.escape(name) + r"$")


_VERSION_TAIL = re.compile(r"v\d+$")


def matches_name(param: str, name: str) -> bool:
    """VRCFT's relevance rule: ``param`` is ``name`` or ends in ``/name`` not preceded by ``v<N>``.

    ``name`` includes the version prefix (``v2/JawOpen``); so ``FT/v2/JawOpen`` and
    ``/avatar/parameters/v2/JawOpen`` match, ``v1/v2/JawOpen`` and ``v2/JawOpenX`` do not.
    """
    if param == name:
        return True
    if not param.endswith("/" + name):
        return False
    return _VERSION_TAIL.search(param[: -len(name) - 1]) is None


def binary_index(param: str, name: str) -> int | None:
    """For a bool ``param`` matching ``<name><k>`` (VRCFT's binary regex), the bit index log2(k)."""
    m = re.search(re.escape(name) + r"(\d+)$", param)
    if not m:
        return None
    head = param[: m.start()]
    if head and not (head.endswith("/") and _VERSION_TAIL.search(head[:-1]) is None):
        return None
    k = int(m.group(1))
    if k < 1 or k & (k - 1):
        return None  # not a power of two
    return k.bit_length() - 1


# -- which addresses to send -------------------------------------------------------------------
@dataclass(frozen=True)
class BinaryTarget:
    """A binary family resolved to addresses."""

    name: str  # parameter name without "v2/"
    bits: tuple[tuple[int, str], ...]  # (bit index, address) per bool
    negative: str | None  # address of <Name>Negative, or None

    @property
    def n_bits(self) -> int:
        """N: how many bit bools exist (VRCFT counts them, it does not take the highest index)."""
        return len(self.bits)


@dataclass(frozen=True)
class ParameterPlan:
    """Every address a :class:`VRChatEncoder` sends, resolved once per avatar."""

    floats: tuple[tuple[str, str], ...]  # (parameter name, address)
    bools: tuple[tuple[str, str], ...]  # bool family (value < threshold): (name, address)
    binaries: tuple[BinaryTarget, ...]
    active: tuple[tuple[str, str], ...]  # (EyeTrackingActive|…, address)
    native_gaze: bool  # send /tracking/eye/LeftRightPitchYaw
    native_closed: bool  # send /tracking/eye/EyesClosedAmount

    @property
    def n_messages(self) -> int:
        """Messages in one full (keep-alive) send."""
        return (len(self.floats) + len(self.bools) + len(self.active) + int(self.native_gaze)
                + int(self.native_closed) + sum(b.n_bits + (b.negative is not None) for b in self.binaries))


def describe_plan(plan: ParameterPlan, avatar: AvatarConfig | None = None) -> list[str]:
    """Human-readable lines listing what a :class:`ParameterPlan` sends (``--show-plan``)."""
    lines = [f"Avatar: {avatar.name or '?'} ({avatar.id or 'no id'}) from {avatar.source}" if avatar is not None
             else "No avatar config: every float parameter (VRChat ignores the ones an avatar lacks)"]
    lines.append(f"Floats ({len(plan.floats)}):")
    lines += [f"  {a}" for _, a in plan.floats]
    lines.append(f"Binary families ({len(plan.binaries)}):")
    for t in plan.binaries:
        base = t.bits[0][1][: -len(str(1 << t.bits[0][0]))] if t.bits else t.name
        neg = " + Negative" if t.negative else ""
        lines.append(f"  {base}{{{','.join(str(1 << b) for b, _ in t.bits)}}}  {t.n_bits} bits{neg}")
    if plan.bools:
        lines.append(f"Bools ({len(plan.bools)}):")
        lines += [f"  {a}" for _, a in plan.bools]
    lines.append("Tracking flags: " + (", ".join(a for _, a in plan.active) or "none"))
    lines.append(f"Native eyes: {NATIVE_GAZE_ADDRESS} {'on' if plan.native_gaze else 'off'}, "
                 f"{NATIVE_CLOSED_ADDRESS} {'on' if plan.native_closed else 'off'}")
    lines.append(f"Messages per keep-alive: {plan.n_messages}")
    return lines


def normalise_prefix(prefix: str) -> str:
    """``"FT"`` / ``"/FT/"`` -> ``"FT/"``; ``""`` stays empty. Rejects OSC-reserved characters."""
    p = prefix.strip("/")
    if re.search(r"[\s#*,?\[\]{}]", p):
        raise ParameterError(f"invalid parameter prefix {prefix!r}: OSC addresses cannot contain "
                             "spaces or any of # * , ? [ ] { }")
    return p + "/" if p else ""


def plan_parameters(
    *,
    avatar: AvatarConfig | None = None,
    prefix: str = DEFAULT_PREFIX,
    binary: Mapping[str, BinarySpec] | None = None,
    floats: bool = True,
    native_eyes: str = "auto",
    tracking_active: bool = True,
) -> ParameterPlan:
    """Resolve what to send: the avatar's parameters, or every float (+ requested binaries).

    Parameters
    ----------
    avatar : AvatarConfig, optional
        Send only what it has (VRCFT's matching rule and type check); ``prefix``, ``binary``
        and ``floats`` are then ignored.
    prefix : str
        Without an avatar: addresses are ``/avatar/parameters/<prefix>v2/<Name>``.
    binary : mapping of name -> BinarySpec, optional
        Without an avatar: binary families to send (e.g. :data:`JERRY_BINARY`).
    floats : bool
        Without an avatar: send the 182 float parameters.
    native_eyes : {"auto", "on", "off"}
        VRChat's native eye OSC. ``auto``: only with an avatar config, and then like VRCFT only
        when the avatar has no ``Eye*X/Y`` (gaze) or no eye openness/lid parameters (closed).
    tracking_active : bool
        Send the ``*TrackingActive`` bools (with an avatar: where it has them).
    """
    if native_eyes not in ("auto", "on", "off"):
        raise ParameterError(f"native eyes must be auto, on or off, got {native_eyes!r}")
    if avatar is None:
        pre = ADDRESS_PREFIX + normalise_prefix(prefix) + VERSION_PREFIX
        specs = dict(binary or {})
        for n in specs:
            check_parameter_name(n)
        f = tuple((n, pre + n) for n in PARAMETER_NAMES) if floats else ()
        b = tuple(BinaryTarget(n, tuple((i, f"{pre}{n}{1 << i}") for i in range(s.bits)),
                               f"{pre}{n}Negative" if s.negative else None)
                  for n, s in specs.items())
        active = tuple((n, ADDRESS_PREFIX + n) for n in ACTIVE_NAMES) if tracking_active else ()
        on = native_eyes == "on"
        return ParameterPlan(f, (), b, active, on, on)

    by_type: dict[str, list[AvatarParameter]] = {t: [] for t in _TYPES}
    for p in avatar.parameters:
        by_type[p.type].append(p)

    def first(name: str, typ: str) -> str | None:
        for p in by_type[typ]:
            if matches_name(p.name, name):
                return p.address
        return None

    fl, bo, bi = [], [], []
    for n in PARAMETER_NAMES:
        full = VERSION_PREFIX + n
        a = first(full, "Float")
        if a:
            fl.append((n, a))
        a = first(full, "Bool")
        if a:
            bo.append((n, a))
        found: dict[int, str] = {}
        for p in by_type["Bool"]:
            i = binary_index(p.name, full)
            if i is not None:
                found.setdefault(i, p.address)
        negative = first(full + "Negative", "Bool")
        if found or negative:  # VRCFT sends a lone <Name>Negative too
            bi.append(BinaryTarget(n, tuple(sorted(found.items())), negative))
    active = []
    if tracking_active:
        for n in ACTIVE_NAMES:
            a = first(n, "Bool")
            if a:
                active.append((n, a))
    has = {n for n, _ in fl} | {t.name for t in bi}
    if native_eyes == "off":
        gaze = closed = False
    elif native_eyes == "on":
        gaze = closed = True
    else:  # VRCFT: native eye data only for avatars without their own eye parameters
        gaze = not any(n in has for n in _GAZE_PARAMS)
        closed = not any(n in has for n in _OPEN_PARAMS)
    return ParameterPlan(tuple(fl), tuple(bo), tuple(bi), tuple(active), gaze, closed)


# -- fast parameter evaluation ------------------------------------------------------------------
_N_IN = 88 + 4 + 2 + 3 + 3  # weights, gaze (2x2), openness, head rotation, head position
_HEAD_SLICE = slice(len(PARAMETER_NAMES) - 6, len(PARAMETER_NAMES))


def _exact_parameters(x: np.ndarray, head_origin) -> np.ndarray:
    """vrcft_parameters on input rows ``x`` (N, 100) -> (N, 182), the reference."""
    p = vrcft_parameters(x[:, :88], x[:, 88:92].reshape(-1, 2, 2), x[:, 92:94], x[:, 94:97], x[:, 97:100],
                         head_origin=head_origin, prefix="")
    return np.stack([np.broadcast_to(v, x.shape[:1]) for v in p.values()], axis=1).astype(np.float64)


class ParameterEvaluator:
    """All 182 v2 float parameters of one frame, fast: an affine map plus the few nonlinear formulas.

    Almost every VRCFT formula is affine in (weights, gaze, openness, head); only a handful use
    ``max``/``min`` (``MouthSad*``, ``SmileSad*``, ``EyeWide``, ``EyeSquint`` …) and the head
    parameters are clipped to [-1, 1]. The affine map is *measured* from
    :func:`~facemimic.expressions.vrcft.vrcft_parameters` (the single source of truth) on basis
    inputs; outputs that then disagree on random probes are evaluated with VRCFT's own formula
    objects. The whole evaluator is verified against ``vrcft_parameters`` on random probes at
    construction and falls back to it (``exact_only``) if anything differs by more than 1e-5.
    """

    def __init__(self, head_origin=None, *, probes: int = 256, seed: int = 0) -> None:
        from ...expressions import vrcft as ref

        self.head_origin = head_origin
        step = 0.125  # small enough that no probe reaches a clip; a power of 2 keeps it exact
        basis = np.vstack([np.zeros(_N_IN), step * np.eye(_N_IN)])
        out = _exact_parameters(basis, head_origin)
        self._c = out[0]
        self._m = (out[1:] - out[0]) / step  # (100, 182)
        rng = np.random.default_rng(seed)
        x = np.hstack([rng.uniform(0, 1, (probes, 88)), rng.uniform(-1.5, 1.5, (probes, 4)),
                       rng.uniform(0, 1, (probes, 2)), rng.uniform(-200, 200, (probes, 3)),
                       rng.uniform(-1.5, 1.5, (probes, 3))])
        truth = _exact_parameters(x, head_origin)
        nonlinear = np.flatnonzero(np.abs(self._affine(x) - truth).max(axis=0) > 1e-5)
        formulas = dict(ref.COMBINED_FORMULAS)
        self._nl = []  # (output index, "simple" | formula)
        self.exact_only = False
        for i in nonlinear:
            name = PARAMETER_NAMES[i]
            if name in UE_SIMPLE_NAMES:
                self._nl.append((i, name, None))
            elif name in formulas:
                self._nl.append((i, name, formulas[name]))
            else:
                self.exact_only = True
        self._inputs = ref.FormulaInputs  # VRCFT formula objects read their inputs through this
        self._simple = ref.simple_expressions
        if not self.exact_only:
            got = np.stack([self._fast(row) for row in x[:64]])
            self.exact_only = bool(np.abs(got - truth[:64]).max() > 1e-5)
        self.nonlinear = tuple(PARAMETER_NAMES[i] for i in nonlinear)  # for inspection/tests

    def _affine(self, x: np.ndarray) -> np.ndarray:
        v = x @ self._m + self._c
        v[..., _HEAD_SLICE] = np.clip(v[..., _HEAD_SLICE], -1.0, 1.0)
        return v

    def _fast(self, x: np.ndarray) -> np.ndarray:
        v = self._affine(x)
        if self._nl:
            w = x[None, :88]
            simple = self._simple(w)
            inputs = self._inputs(w, x[None, 88:92].reshape(1, 2, 2), x[None, 92:94])
            for i, name, f in self._nl:
                v[i] = (simple[name] if f is None else f(inputs, simple))[0]
        return v

    def __call__(self, frame, *, origin=None) -> np.ndarray:
        """Values of :data:`PARAMETER_NAMES` for ``frame``, shape (182,), float64.

        ``origin`` (camera-frame metres) is subtracted from the head position first, on top of
        the evaluator's own ``head_origin``.
        """
        x = np.concatenate([frame.weights, np.ravel(frame.gaze), frame.openness, frame.head_rotation,
                            frame.head_position]).astype(np.float64)
        if origin is not None:
            x[97:100] -= origin
        if not np.isfinite(x).all():
            # NaN (a gap) must only blank the parameters that read it, as vrcft_parameters does;
            # ±inf (a broken source) is no value either: blanked the same way, never sent.
            x[np.isinf(x)] = np.nan
            return _exact_parameters(x[None], self.head_origin)[0]
        if self.exact_only:
            return _exact_parameters(x[None], self.head_origin)[0]
        return self._fast(x)


# -- the encoder -------------------------------------------------------------------------------
@dataclass(frozen=True)
class VRChatOptions:
    """Options of the VRChat/VRCFT OSC output (validated in :meth:`__post_init__`)."""

    prefix: str = DEFAULT_PREFIX  # without an avatar config: /avatar/parameters/<prefix>v2/<Name>
    avatar: AvatarConfig | None = None  # send only this avatar's parameters
    binary: Mapping[str, BinarySpec] = field(default_factory=dict)  # without avatar: binary families
    floats: bool = True  # without avatar: send the float parameters
    native_eyes: str = "auto"  # VRChat /tracking/eye/*: auto|on|off
    tracking_active: bool = True  # send Eye/Expression/LipTrackingActive
    keepalive_s: float = 1.0  # resend every value this often even if unchanged
    epsilon: float = 0.0  # a float must change by more than this to be resent
    lost_after_s: float = 1.0  # *TrackingActive turn false after this long without a face
    head_origin: tuple[float, float, float] | None = None  # head rest position, camera frame (m); None: first tracked

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", normalise_prefix(self.prefix))
        if self.native_eyes not in ("auto", "on", "off"):
            raise ParameterError(f"native eyes must be auto, on or off, got {self.native_eyes!r}")
        for n, s in dict(self.binary).items():
            check_parameter_name(n)
            if not isinstance(s, BinarySpec):
                raise ParameterError(f"binary spec for {n!r} must be a BinarySpec")
        for label, v in (("keep-alive", self.keepalive_s), ("lost-after", self.lost_after_s)):
            if not (v > 0 and math.isfinite(v)):
                raise ParameterError(f"{label} time must be a positive number of seconds, got {v!r}")
        if not (self.epsilon >= 0):
            raise ParameterError(f"epsilon must be >= 0, got {self.epsilon!r}")


def gaze_pitch_yaw(gaze: np.ndarray) -> tuple[float, float, float, float]:
    """VRCFT gaze ``[[lx, ly], [rx, ry]]`` -> VRChat ``[L.pitch, L.yaw, R.pitch, R.yaw]`` degrees.

    VRCFT ``Vector2.ToYaw() = atan(x)``, ``ToPitch() = -atan(y)``: +pitch looks down, +yaw right.
    """
    g = np.asarray(gaze, np.float64)
    deg = np.degrees(np.arctan(g))
    # "+ 0.0" turns -0.0 into 0.0 so an idle gaze is not sent as a change.
    return (float(-deg[0, 1]) + 0.0, float(deg[0, 0]), float(-deg[1, 1]) + 0.0, float(deg[1, 0]))


class VRChatEncoder:
    """Turns :class:`ExpressionFrame` s into OSC bundle elements for VRChat, send-on-change.

    Call :meth:`start` once, :meth:`encode` per frame and :meth:`stop` at the end; each returns
    size-prefixed messages for :func:`facemimic.deliver.osc.pack_bundles`.
    """

    def __init__(self, options: VRChatOptions | None = None) -> None:
        self.options = o = options or VRChatOptions()
        self.plan = plan = plan_parameters(avatar=o.avatar, prefix=o.prefix, binary=o.binary,
                                           floats=o.floats, native_eyes=o.native_eyes,
                                           tracking_active=o.tracking_active)
        # One value vector: [floats | bools | binary bits (+negatives)]; one change filter.
        self._float_idx = np.array([_NAME_INDEX[n] for n, _ in plan.floats], np.intp)
        self._bool_idx = np.array([_NAME_INDEX[n] for n, _ in plan.bools], np.intp)
        self._bool_thr = _BOOL_THRESHOLD[self._bool_idx]
        slots: list = [FloatSlot(a) for _, a in plan.floats] + [BoolSlot(a) for _, a in plan.bools]
        self._binaries = []
        for t in plan.binaries:
            start = len(slots)
            slots += [BoolSlot(a) for _, a in t.bits]
            if t.negative is not None:
                slots.append(BoolSlot(t.negative))
            self._binaries.append((_NAME_INDEX[t.name], t, start))
        self._slots = slots
        self._float_heads = [s.element(0.0)[:-4] for s in slots[:len(plan.floats)]]
        self._bool_pairs = [None] * len(plan.floats) + [(s.element(False), s.element(True))
                                                       for s in slots[len(plan.floats):]]
        self._n_float = len(plan.floats)
        self._values = np.full(len(slots), np.nan)
        self._changes = ChangeFilter(len(slots), keepalive_s=o.keepalive_s, epsilon=o.epsilon)
        self._native = ChangeFilter(5, keepalive_s=o.keepalive_s)
        self._active_slots = [BoolSlot(a) for _, a in plan.active]
        self._active: bool | None = None
        self._active_sent_at = -math.inf
        self._last_seen: float | None = None
        self.n_parameters = len(slots)
        self._evaluate = _evaluator()
        # Head/Pos* are offsets from a rest position: given, or the first tracked one (VRCFT's
        # range is ±0.5 m around the user, so the camera's own origin would saturate them).
        self._origin = None if o.head_origin is None else np.asarray(o.head_origin, np.float64)

    # The float vector of all 182 parameters (PARAMETER_NAMES order) for one frame.
    def parameter_values(self, frame) -> np.ndarray:
        """All v2 float parameters of ``frame`` as an array of shape (182,)."""
        if self._origin is None and frame.present:
            pos = np.asarray(frame.head_position, np.float64)
            if np.isfinite(pos).all():
                self._origin = pos
        return self._evaluate(frame, origin=self._origin)

    def _active_elements(self, active: bool, now: float, force: bool = False) -> list[bytes]:
        if not self._active_slots:
            return []
        if (not force and active == self._active
                and now - self._active_sent_at < self.options.keepalive_s):
            return []
        self._active, self._active_sent_at = active, now
        return [s.element(active) for s in self._active_slots]

    def start(self, now: float = 0.0) -> list[bytes]:
        """Messages to send when streaming starts: the tracking-active bools, true."""
        self._changes.reset()
        self._native.reset()
        self._last_seen = now  # the face gets lost_after_s to show up before the flags drop
        return self._active_elements(True, now, force=True)

    def stop(self, now: float = 0.0) -> list[bytes]:
        """Messages to send when streaming stops: the tracking-active bools, false."""
        return self._active_elements(False, now, force=True)

    def encode(self, frame, now: float) -> list[bytes]:
        """Bundle elements for ``frame`` at time ``now`` (seconds): what changed, or all on keep-alive."""
        if frame.present:
            self._last_seen = now
        lost = self._last_seen is None or now - self._last_seen >= self.options.lost_after_s
        out = self._active_elements(not lost, now)
        # Out-of-range input (a weight of 5) is clamped to each parameter's range; non-finite
        # values are NaN here and never sent, so the avatar holds the last value it got.
        values = np.clip(self.parameter_values(frame), _parameter_floor(), 1.0)
        vec = self._values
        nf = self._n_float
        vec[:nf] = values[self._float_idx]
        nb = len(self._bool_idx)
        if nb:
            b = values[self._bool_idx]
            vec[nf:nf + nb] = np.where(np.isnan(b), np.nan, b < self._bool_thr)
        for idx, target, start in self._binaries:
            v = values[idx]
            n = target.n_bits
            if math.isnan(v):
                vec[start:start + n + (target.negative is not None)] = np.nan
                continue
            neg, big = _binary_int(v, n, target.negative is not None)
            # Bit index comes from the name (<Name>8 is bit 3) even if the avatar skips one.
            for j, (bit, _) in enumerate(target.bits):
                vec[start + j] = (big >> bit) & 1
            if neg is not None:
                vec[start + n] = neg
        sel = self._changes.select(vec, now)
        split = int(np.searchsorted(sel, nf))
        fi, bi = sel[:split], sel[split:]
        if len(fi):
            # Floats: pack every selected value in one call, then prepend the pre-encoded heads.
            packed = vec[fi].astype(">f4").tobytes()
            heads = self._float_heads
            out += [heads[i] + packed[k:k + 4] for k, i in zip(range(0, 4 * len(fi), 4), fi.tolist())]
        if len(bi):
            pairs = self._bool_pairs
            out += [pairs[i][f] for i, f in zip(bi.tolist(), (vec[bi] > 0.5).tolist())]
        plan = self.plan
        if plan.native_gaze or plan.native_closed:
            g = gaze_pitch_yaw(frame.gaze)
            closed = float(np.clip(1.0 - 0.5 * (frame.openness_left + frame.openness_right), 0.0, 1.0))
            native = np.array(g + (closed,))
            native[~np.isfinite(native)] = np.nan  # not sent: VRChat keeps its last value
            sel = set(self._native.select(native, now).tolist())
            if plan.native_gaze and sel & {0, 1, 2, 3} and not np.isnan(native[:4]).any():
                out.append(element(encode_message(NATIVE_GAZE_ADDRESS, *g)))
            if plan.native_closed and 4 in sel:
                out.append(element(encode_message(NATIVE_CLOSED_ADDRESS, float(closed))))
        return out


_EVALUATORS: dict = {}
_FLOOR: list = []


def _parameter_floor() -> np.ndarray:
    """Lowest value of each of :data:`PARAMETER_NAMES` (shape (182,)): -1 for the signed ones
    (``JawX``, ``SmileFrown``, head …), 0 for the rest; the top is 1 for all. Measured from
    :func:`vrcft_parameters` over valid inputs, so it follows the formulas."""
    if not _FLOOR:
        rng = np.random.default_rng(0)
        n = 512
        x = np.hstack([rng.integers(0, 2, (n, 88)).astype(np.float64), rng.uniform(-1, 1, (n, 4)),
                       rng.uniform(0, 1, (n, 2)), rng.uniform(-90, 90, (n, 3)), rng.uniform(-0.5, 0.5, (n, 3))])
        low = _exact_parameters(x, None).min(axis=0)
        _FLOOR.append(np.where(low < -1e-6, -1.0, 0.0))
    return _FLOOR[0]


def _evaluator() -> ParameterEvaluator:
    """One shared evaluator per process (building one costs a few milliseconds)."""
    ev = _EVALUATORS.get(None)
    if ev is None:
        ev = _EVALUATORS[None] = ParameterEvaluator()
    return ev
