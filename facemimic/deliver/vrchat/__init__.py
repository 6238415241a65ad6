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

One module per job:

* :mod:`.names`: parameter names, fixed addresses and VRCFT's name-matching rules;
* :mod:`.binary`: the binary bool encoding, its presets (:data:`JERRY_BINARY`) and ``NAME=BITS[+neg]``;
* :mod:`.avatar_config`: reading VRChat's avatar OSC JSON, finding its folders, the config per avatar id;
* :mod:`.plan`: which parameters go where with which type (:func:`plan_parameters`, :func:`describe_plan`);
* :mod:`.evaluate`: the fast VRCFT formula evaluator (:class:`ParameterEvaluator`) and parameter ranges;
* :mod:`.encoder`: the per-frame send-on-change OSC encoder (:class:`VRChatEncoder`, :class:`VRChatOptions`).

Everything public is importable from ``facemimic.deliver.vrchat`` itself.
"""

from __future__ import annotations

from .avatar_config import (PARAMETER_TYPES, AvatarConfig, AvatarLibrary, AvatarParameter, load_avatar_config,
                            parse_avatar_config, vrchat_osc_folders)
from .binary import (ALL_BITS_AT, BINARY_PRESETS, JERRY_BINARY, JERRY_FLOATS, MAX_BITS, BinarySpec, check_bits,
                     decode_binary, encode_binary, parse_binary_spec)
from .encoder import VRChatEncoder, VRChatOptions, gaze_pitch_yaw
from .evaluate import ParameterEvaluator
from .names import (ACTIVE_NAMES, ADDRESS_PREFIX, DEFAULT_PORT, DEFAULT_PREFIX, NATIVE_CLOSED_ADDRESS,
                    NATIVE_GAZE_ADDRESS, binary_index, check_parameter_name, matches_name, normalise_prefix)
from .plan import NATIVE_EYES, BinaryTarget, ParameterPlan, check_native_eyes, describe_plan, plan_parameters

__all__ = [
    "ACTIVE_NAMES", "ADDRESS_PREFIX", "ALL_BITS_AT", "BINARY_PRESETS", "DEFAULT_PORT", "DEFAULT_PREFIX",
    "JERRY_BINARY", "JERRY_FLOATS", "MAX_BITS", "NATIVE_CLOSED_ADDRESS", "NATIVE_EYES", "NATIVE_GAZE_ADDRESS",
    "PARAMETER_TYPES", "AvatarConfig", "AvatarLibrary", "AvatarParameter", "BinarySpec", "BinaryTarget",
    "ParameterEvaluator", "ParameterPlan", "VRChatEncoder", "VRChatOptions", "binary_index", "check_bits",
    "check_native_eyes", "check_parameter_name", "decode_binary", "describe_plan", "encode_binary",
    "gaze_pitch_yaw", "load_avatar_config", "matches_name", "normalise_prefix", "parse_avatar_config",
    "parse_binary_spec", "plan_parameters", "vrchat_osc_folders",
]
