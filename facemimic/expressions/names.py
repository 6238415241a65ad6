"""Name vocabularies: Unified Expressions (canonical), ARKit-52, MediaPipe-52, VRM presets.

Left/right convention (used everywhere in FaceMimic): **the subject's own side**. ``…Left`` is the
subject's left, which appears on the *right* of an unmirrored camera image. This is the convention of
ARKit and of VRCFaceTracking. Capture maps MediaPipe's outputs onto it (tested on a mirrored image).

Sources: VRCFaceTracking ``UnifiedExpressions.cs`` (enum order), ``UnifiedSimpleExpressions.cs``;
MediaPipe ``kBlendshapeNames``; vrm-specification (VRM 1.0 presets, VRM 0.x clip names). See
``../shared/specs/unified-expressions.md``.
"""

from __future__ import annotations

from types import MappingProxyType

from ..errors import UnknownNameError, suggest

# The 88 Unified Expressions shapes in VRCFT enum order (index = enum value; Max = 88).
UE_NAMES: tuple[str, ...] = (
    "EyeSquintRight", "EyeSquintLeft", "EyeWideRight", "EyeWideLeft",
    "BrowPinchRight", "BrowPinchLeft", "BrowLowererRight", "BrowLowererLeft",
    "BrowInnerUpRight", "BrowInnerUpLeft", "BrowOuterUpRight", "BrowOuterUpLeft",
    "NasalDilationRight", "NasalDilationLeft", "NasalConstrictRight", "NasalConstrictLeft",
    "CheekSquintRight", "CheekSquintLeft", "CheekPuffRight", "CheekPuffLeft",
    "CheekSuckRight", "CheekSuckLeft", "JawOpen", "JawRight", "JawLeft", "JawForward",
    "JawBackward", "JawClench", "JawMandibleRaise", "MouthClosed",
    "LipSuckUpperRight", "LipSuckUpperLeft", "LipSuckLowerRight", "LipSuckLowerLeft",
    "LipSuckCornerRight", "LipSuckCornerLeft", "LipFunnelUpperRight", "LipFunnelUpperLeft",
    "LipFunnelLowerRight", "LipFunnelLowerLeft", "LipPuckerUpperRight", "LipPuckerUpperLeft",
    "LipPuckerLowerRight", "LipPuckerLowerLeft", "MouthUpperUpRight", "MouthUpperUpLeft",
    "MouthUpperDeepenRight", "MouthUpperDeepenLeft", "NoseSneerRight", "NoseSneerLeft",
    "MouthLowerDownRight", "MouthLowerDownLeft", "MouthUpperRight", "MouthUpperLeft",
    "MouthLowerRight", "MouthLowerLeft", "MouthCornerPullRight", "MouthCornerPullLeft",
    "MouthCornerSlantRight", "MouthCornerSlantLeft", "MouthFrownRight", "MouthFrownLeft",
    "MouthStretchRight", "MouthStretchLeft", "MouthDimpleRight", "MouthDimpleLeft",
    "MouthRaiserUpper", "MouthRaiserLower", "MouthPressRight", "MouthPressLeft",
    "MouthTightenerRight", "MouthTightenerLeft", "TongueOut", "TongueUp", "TongueDown",
    "TongueRight", "TongueLeft", "TongueRoll", "TongueBendDown", "TongueCurlUp",
    "TongueSquish", "TongueFlat", "TongueTwistRight", "TongueTwistLeft", "SoftPalateClose",
    "ThroatSwallow", "NeckFlexRight", "NeckFlexLeft",
)
N_UE = len(UE_NAMES)  # 88 == UnifiedExpressions.Max
UE_INDEX = MappingProxyType({n: i for i, n in enumerate(UE_NAMES)})

# VRCFT UnifiedSimpleExpressions enum order (formulas in conversions.vrcft).
UE_SIMPLE_NAMES: tuple[str, ...] = (
    "BrowUpRight", "BrowUpLeft", "BrowDownRight", "BrowDownLeft",
    "MouthSmileRight", "MouthSmileLeft", "MouthSadRight", "MouthSadLeft",
)

# Apple ARKit ARFaceAnchor.BlendShapeLocation, 52 names (alphabetical as Apple lists them).
ARKIT_NAMES: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight",
    "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight",
    "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight",
    "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)
N_ARKIT = len(ARKIT_NAMES)
ARKIT_INDEX = MappingProxyType({n: i for i, n in enumerate(ARKIT_NAMES)})

# MediaPipe FaceLandmarker blendshape categories, in output order: `_neutral` first, no tongueOut.
MEDIAPIPE_NAMES: tuple[str, ...] = ("_neutral",) + tuple(n for n in ARKIT_NAMES if n != "tongueOut")
N_MEDIAPIPE = len(MEDIAPIPE_NAMES)  # 52

# VRM 1.0 expression presets, in schema order.
VRM1_PRESETS: tuple[str, ...] = (
    "happy", "angry", "sad", "relaxed", "surprised",
    "aa", "ih", "ou", "ee", "oh",
    "blink", "blinkLeft", "blinkRight",
    "lookUp", "lookDown", "lookLeft", "lookRight",
    "neutral",
)
# VRM 0.x BlendShapeProxy preset clip names (UniVRM enum), the names VMC receivers expect.
VRM0_CLIPS: tuple[str, ...] = (
    "Neutral", "A", "I", "U", "E", "O", "Blink", "Joy", "Angry", "Sorrow", "Fun",
    "LookUp", "LookDown", "LookLeft", "LookRight", "Blink_L", "Blink_R",
)
# VRM 0.x presetName enum values in vrm.blendshape.group.schema.json.
VRM0_PRESET_NAMES: tuple[str, ...] = (
    "unknown", "neutral", "a", "i", "u", "e", "o", "blink", "joy", "angry", "sorrow", "fun",
    "lookup", "lookdown", "lookleft", "lookright", "blink_l", "blink_r",
)
# VMC spec's VRM0 -> VRM1 table, and the 1.0 preset each 0.x clip becomes.
VRM0_TO_VRM1 = MappingProxyType({
    "Neutral": "neutral", "A": "aa", "I": "ih", "U": "ou", "E": "ee", "O": "oh",
    "Blink": "blink", "Joy": "happy", "Angry": "angry", "Sorrow": "sad", "Fun": "relaxed",
    "LookUp": "lookUp", "LookDown": "lookDown", "LookLeft": "lookLeft", "LookRight": "lookRight",
    "Blink_L": "blinkLeft", "Blink_R": "blinkRight",
})


def ue_index(name: str) -> int:
    """Index of a Unified Expressions shape name; raises :class:`UnknownNameError`."""
    try:
        return UE_INDEX[name]
    except (KeyError, TypeError):  # TypeError: an unhashable name (a list …)
        if not isinstance(name, str):  # channel(3) failed inside suggest() with an AttributeError
            raise UnknownNameError(f"a Unified Expressions shape is named by a str, got {name!r} "
                                   f"({type(name).__name__})") from None
        raise UnknownNameError(
            f"unknown Unified Expressions shape {name!r}{suggest(name, UE_NAMES)}"
        ) from None


def ue_indices(names: "list[str] | tuple[str, ...]") -> list[int]:
    """Indices of several UE names, in the given order."""
    return [ue_index(n) for n in names]


def mirror_name(name: str) -> str:
    """Swap ``Left``/``Right`` in a shape name (``JawLeft`` <-> ``JawRight``); others unchanged."""
    if name.endswith("Left"):
        return name[:-4] + "Right"
    if name.endswith("Right"):
        return name[:-5] + "Left"
    return name


def side_stem(name: str) -> str:
    """A shape name without its ``Left``/``Right`` (``EyeWideLeft`` -> ``EyeWide``); others unchanged."""
    return name[:-4] if name.endswith("Left") else name[:-5] if name.endswith("Right") else name


# Permutation that mirrors a UE weight vector: mirrored = weights[UE_MIRROR].
UE_MIRROR: tuple[int, ...] = tuple(UE_INDEX[mirror_name(n)] for n in UE_NAMES)
