"""VRCFaceTracking's binary encoding of one parameter into ``<Name>1``, ``<Name>2``, ``<Name>4`` … bools.

Also the binary layouts avatars use (:data:`JERRY_BINARY`, :data:`BINARY_PRESETS`) and the
``NAME=BITS[+neg]`` option syntax (:func:`parse_binary_spec`) for sending them without an avatar config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ...errors import ParameterError
from ...expressions.vrcft import PREFIX as VERSION_PREFIX
from .names import check_parameter_name

ALL_BITS_AT = 0.99999  # |v| above this sets every bit (VRCFT)
MAX_BITS = 16


def check_bits(bits: int) -> int:
    """Raise :class:`ParameterError` unless ``bits`` is a usable bit count (1 … :data:`MAX_BITS`)."""
    if not 1 <= bits <= MAX_BITS:
        raise ParameterError(f"binary parameters need 1 to {MAX_BITS} bits, got {bits}")
    return bits


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
    check_bits(bits)
    neg, big = binary_int(float(value), bits, negative)
    return neg, tuple(bool((big >> i) & 1) for i in range(bits))


def binary_int(v: float, bits: int, negative: bool) -> tuple[bool | None, int]:
    """(Negative flag or None, the integer whose bits are sent) for one value; unchecked (hot path)."""
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
        check_bits(self.bits)


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
