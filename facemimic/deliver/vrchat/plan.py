"""Which parameters to send, to which addresses, with which types: a :class:`ParameterPlan`.

With an avatar config only what the avatar has (VRCFT's matching rule and type check, bit counts from
its ``<Name><2^i>`` bools); without one every float at ``/avatar/parameters/<prefix>v2/<Name>`` plus the
binary families asked for. :func:`describe_plan` lists a plan for ``facemimic stream --show-plan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ...errors import ParameterError
from ...expressions.vrcft import PARAMETER_NAMES, PREFIX as VERSION_PREFIX
from .avatar_config import PARAMETER_TYPES, AvatarConfig, AvatarParameter
from .binary import BinarySpec
from .names import (ACTIVE_NAMES, ADDRESS_PREFIX, DEFAULT_PREFIX, NATIVE_CLOSED_ADDRESS, NATIVE_GAZE_ADDRESS,
                    binary_index, check_parameter_name, matches_name, normalise_prefix)

NATIVE_EYES = ("auto", "on", "off")  # when to send VRChat's /tracking/eye/* (see plan_parameters)
# An avatar with any of these gets no native gaze / eyes-closed data under "auto" (as in VRCFT).
_GAZE_PARAMS = ("EyeX", "EyeY", "EyeLeftX", "EyeLeftY", "EyeRightX", "EyeRightY")
_OPEN_PARAMS = ("EyeOpenLeft", "EyeOpenRight", "EyeOpen", "EyeClosedLeft", "EyeClosedRight",
                "EyeClosed", "EyeLidLeft", "EyeLidRight", "EyeLid")


def check_native_eyes(mode: str) -> str:
    """Raise :class:`ParameterError` unless ``mode`` is one of :data:`NATIVE_EYES`."""
    if mode not in NATIVE_EYES:
        raise ParameterError(f"native eyes must be auto, on or off, got {mode!r}")
    return mode


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
    """Every address a :class:`~.encoder.VRChatEncoder` sends, resolved once per avatar."""

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
        Without an avatar: binary families to send (e.g. :data:`~.binary.JERRY_BINARY`).
    floats : bool
        Without an avatar: send the 182 float parameters.
    native_eyes : {"auto", "on", "off"}
        VRChat's native eye OSC. ``auto``: only with an avatar config, and then like VRCFT only
        when the avatar has no ``Eye*X/Y`` (gaze) or no eye openness/lid parameters (closed).
    tracking_active : bool
        Send the ``*TrackingActive`` bools (with an avatar: where it has them).
    """
    check_native_eyes(native_eyes)
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

    by_type: dict[str, list[AvatarParameter]] = {t: [] for t in PARAMETER_TYPES}
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
