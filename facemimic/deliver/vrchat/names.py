"""VRChat parameter names and addresses: fixed OSC addresses, the prefix rule, VRCFT's name matching.

An avatar's parameter is relevant to ``v2/<Name>`` when it is that name or ends in ``/v2/<Name>`` not
preceded by ``v<N>`` (VRCFT ``BaseParameter.cs``); binary bools are ``<Name><2^i>``
(``BinaryBaseParameter.cs``). Names here are the 182 :data:`~facemimic.expressions.vrcft.PARAMETER_NAMES`
without the ``v2/`` version prefix.
"""

from __future__ import annotations

import re

from ...errors import ParameterError, UnknownNameError, suggest
from ...expressions.vrcft import PARAMETER_NAMES

ADDRESS_PREFIX = "/avatar/parameters/"
ACTIVE_NAMES = ("EyeTrackingActive", "ExpressionTrackingActive", "LipTrackingActive")
NATIVE_GAZE_ADDRESS = "/tracking/eye/LeftRightPitchYaw"
NATIVE_CLOSED_ADDRESS = "/tracking/eye/EyesClosedAmount"
DEFAULT_PORT = 9000  # VRChat receives OSC on 9000 (docs.vrchat.com "OSC Overview")
DEFAULT_PREFIX = "FT/"  # the community convention (Jerry's templates, VRCFury, Vixxy)

NAME_INDEX = {n: i for i, n in enumerate(PARAMETER_NAMES)}  # v2 name -> index in PARAMETER_NAMES


def check_parameter_name(name: str) -> str:
    """Raise :class:`UnknownNameError` unless ``name`` is a v2 parameter (without ``v2/``)."""
    if name not in NAME_INDEX:
        raise UnknownNameError(f"unknown VRCFT v2 parameter {name!r}{suggest(name, PARAMETER_NAMES)}")
    return name


def normalise_prefix(prefix: str) -> str:
    """``"FT"`` / ``"/FT/"`` -> ``"FT/"``; ``""`` stays empty. Rejects OSC-reserved characters."""
    p = prefix.strip("/")
    if re.search(r"[\s#*,?\[\]{}]", p):
        raise ParameterError(f"invalid parameter prefix {prefix!r}: OSC addresses cannot contain "
                             "spaces or any of # * , ? [ ] { }")
    return p + "/" if p else ""


# VRCFT: (?<!(v\d+))(/<name>)$|^(<name>)$ . Python has no variable-width look-behind, so the
# "not preceded by v<digits>" test is done with this pattern on what comes before "/<name>".
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
