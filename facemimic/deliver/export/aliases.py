"""The one alias table: avatar morph-target names -> what FaceMimic drives them with.

Avatars name their shape keys in many ways. This table resolves a target name to an
:class:`Alias` — a *kind* (which vocabulary) and a canonical name — and every exporter uses it:

=============  ================================================  ===================================
kind           names (case- and style-insensitive)               value per frame
=============  ================================================  ===================================
``arkit``      the 52 ARKit names (``jawOpen``, ``eyeBlink_L``)  ``ue_to_arkit`` incl. eyeBlink from
                                                                 openness and eyeLook from gaze
``ue``         the 88 Unified Expressions shapes                 the UE weight itself
``ue_eye``     UE eye base shapes: ``EyeClosedLeft/Right``,      1 − openness; eyeLook from gaze
               ``EyeLook{Out,In,Up,Down}{Left,Right}``           (same rule as ARKit)
``ue_simple``  VRCFT simple shapes: ``BrowUpRight``,             VRCFT's formulas (spec §1.2)
               ``MouthSmileLeft``, ``MouthSadRight`` …
``vrm``        VRM 1.0 presets (``aa``, ``happy``, ``blinkLeft``  :mod:`facemimic.deliver.vrm_mapping`
               …), VRM 0.x clips (``A``, ``Joy``, ``Blink_L``),  (``vrm1_weights``); blink sides
               VRoid ``Fcl_*`` names (rules below), VRChat       see :func:`vrm_values`
               visemes ``vrc.v_aa`` …
``min_of``     a combination (corrective) target the mesh        the smaller of its two ARKit
               declares in ``extras.combinations`` (name ->      drivers' values (the rule
               ``{"drivers": [a, b], "weight": "min"}``), as     ``facemimic avatar3d`` writes and
               ``facemimic avatar3d`` writes for                 its renderer applies)
               ``browInnerUp_browDownLeft``; name ``a,b``
=============  ================================================  ===================================

Matching rules, applied in this order by :func:`resolve_name`:

1. **VRoid** names ``[prefix_]Fcl_<PART>_<Name>``: ``Fcl_MTH_A/I/U/E/O`` -> ``aa/ih/ou/ee/oh``,
   ``Fcl_EYE_Close`` -> ``blink``, ``Fcl_EYE_Close_L/_R`` -> ``blinkLeft/Right``,
   ``Fcl_ALL_Joy/Angry/Sorrow/Fun/Surprised/Neutral`` -> ``happy/angry/sad/relaxed/surprised/
   neutral``. Per-part emotion keys (``Fcl_BRW_Angry``, ``Fcl_EYE_Joy``, ``Fcl_MTH_Fun`` …) stay
   unmapped on purpose: VRoid's ``Fcl_ALL_*`` already combine them, and driving both doubles the
   expression.
2. **VRChat visemes** ``vrc.v_aa/e/ih/oh/ou`` -> ``aa/ee/ih/oh/ou`` (the consonant visemes have no
   UE equivalent).
3. **Prefixes** up to the last ``.``, ``/`` or ``:`` are dropped (``blendShape1.jawOpen``,
   ``Face/JawOpen``), a side suffix ``_L``/``_R``/``.L``/``-R``/`` L`` becomes ``Left``/``Right``,
   then case and every non-alphanumeric character are ignored: ``jawOpen``, ``JawOpen``,
   ``jaw_open``, ``Jaw Open`` and ``JAW-OPEN`` are the same name.
4. ``UE_<shape>`` with a UE shape name (the custom expressions ``facemimic avatar3d`` writes into
   its VRMs) is that UE shape; with such expressions, or all 52 ARKit ones (perfect sync), the
   emotion and viseme presets are left at rest (:func:`one_expression_vocabulary`).
5. The normalised name is looked up in this precedence: ARKit, UE, UE eye, UE simple, VRM 1.0
   preset, VRM 0.x clip/preset name. Where ARKit and UE share a name (``jawOpen``/``JawOpen``,
   ``mouthFrownLeft``/``MouthFrownLeft`` …) the value is the same either way.

Left/right is the subject's own side everywhere (ARKit, UE and VRM agree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ...expressions.arkit import UE_TO_ARKIT_MATRIX
from ...expressions.names import ARKIT_INDEX, ARKIT_NAMES, UE_NAMES, UE_SIMPLE_NAMES, VRM0_CLIPS, VRM0_TO_VRM1, VRM1_PRESETS

KINDS = ("arkit", "ue", "ue_eye", "ue_simple", "vrm", "min_of")
# Rule 4: a VRM custom expression named UE_<shape> (facemimic avatar3d) is that UE shape.
UE_EXPRESSION_PREFIX = "UE_"
_UE_SET = frozenset(UE_NAMES)
# VRM presets that summarise face shapes (one_expression_vocabulary): the emotions and the visemes.
SHAPE_PRESETS = ("happy", "angry", "sad", "relaxed", "surprised", "aa", "ih", "oh", "ou", "ee")
BLINK_PRESETS = ("blink", "blinkLeft", "blinkRight")

# UE eye base shapes from the VRCFT docs' shape table (not in the 88-shape enum: eye data instead).
UE_EYE_NAMES: tuple[str, ...] = tuple(
    f"EyeLook{d}{s}" for s in ("Right", "Left") for d in ("Out", "In", "Up", "Down")
) + ("EyeClosedRight", "EyeClosedLeft")

# VRM 0.x presetName enum values (lower-case) -> VRM 1.0 preset.
VRM0_PRESET_TO_VRM1 = {
    "neutral": "neutral", "a": "aa", "i": "ih", "u": "ou", "e": "ee", "o": "oh", "blink": "blink",
    "joy": "happy", "angry": "angry", "sorrow": "sad", "fun": "relaxed", "lookup": "lookUp",
    "lookdown": "lookDown", "lookleft": "lookLeft", "lookright": "lookRight",
    "blink_l": "blinkLeft", "blink_r": "blinkRight",
}
# VRoid Studio shape keys (rule 1).
_VROID = {
    ("MTH", "A"): "aa", ("MTH", "I"): "ih", ("MTH", "U"): "ou", ("MTH", "E"): "ee", ("MTH", "O"): "oh",
    ("EYE", "CLOSE"): "blink", ("EYE", "CLOSE_L"): "blinkLeft", ("EYE", "CLOSE_R"): "blinkRight",
    ("ALL", "JOY"): "happy", ("ALL", "ANGRY"): "angry", ("ALL", "SORROW"): "sad", ("ALL", "FUN"): "relaxed",
    ("ALL", "SURPRISED"): "surprised", ("ALL", "NEUTRAL"): "neutral",
}
_VROID_RE = re.compile(r"(?:^|[_.\s])Fcl_([A-Za-z]+)_(\w+)$")
# VRChat viseme shape keys (rule 2).
_VRC_VISEMES = {"aa": "aa", "e": "ee", "ih": "ih", "oh": "oh", "ou": "ou"}
_VRC_RE = re.compile(r"^vrc\.v_([a-z]+)$", re.IGNORECASE)
_SIDE_RE = re.compile(r"(?<=[A-Za-z0-9])[._\s-]([LRlr])$")
_ALNUM_RE = re.compile(r"[^0-9a-z]")


@dataclass(frozen=True)
class Alias:
    """What an avatar target is driven by."""

    kind: str  # one of KINDS
    name: str  # canonical name in that vocabulary (ARKit/UE/VRM 1.0 preset spelling)

    @property
    def key(self) -> str:
        """``kind:name``, e.g. ``arkit:jawOpen``."""
        return f"{self.kind}:{self.name}"


def normalize_name(name: str) -> str:
    """Rule 3: drop prefixes, spell sides out, ignore case and separators (``Jaw Open`` -> ``jawopen``)."""
    s = str(name).strip()
    # Side suffix first, so "mouthSmile.L" is not mistaken for a prefix "mouthSmile." + "L".
    s = _SIDE_RE.sub(lambda m: "Left" if m.group(1) in "Ll" else "Right", s)
    s = re.split(r"[./:]", s)[-1] or s
    return _ALNUM_RE.sub("", s.lower())


def _build_table() -> dict[str, Alias]:
    table: dict[str, Alias] = {}

    def add(names, kind, canon=lambda n: n):
        for n in names:
            table.setdefault(normalize_name(n), Alias(kind, canon(n)))

    add(ARKIT_NAMES, "arkit")
    add(UE_NAMES, "ue")
    add(UE_EYE_NAMES, "ue_eye")
    add(UE_SIMPLE_NAMES, "ue_simple")
    add(VRM1_PRESETS, "vrm")
    add(VRM0_CLIPS, "vrm", lambda n: VRM0_TO_VRM1[n])
    add(VRM0_PRESET_TO_VRM1, "vrm", lambda n: VRM0_PRESET_TO_VRM1[n])
    # Common spellings of the same presets.
    add(["joy"], "vrm", lambda n: "happy")
    add(["sorrow"], "vrm", lambda n: "sad")
    add(["fun"], "vrm", lambda n: "relaxed")
    add(["surprise"], "vrm", lambda n: "surprised")
    return table


ALIAS_TABLE = MappingProxyType(_build_table())


def resolve_name(name: str) -> Alias | None:
    """Resolve one avatar target name through the alias table (None if nothing drives it).

    >>> resolve_name("blendShape1.jawOpen")
    Alias(kind='arkit', name='jawOpen')
    >>> resolve_name("Fcl_MTH_A").key
    'vrm:aa'
    """
    raw = str(name).strip()
    m = _VROID_RE.search(raw)
    if m:
        preset = _VROID.get((m.group(1).upper(), m.group(2).upper()))
        return Alias("vrm", preset) if preset else None
    m = _VRC_RE.match(raw)
    if m:
        preset = _VRC_VISEMES.get(m.group(1).lower())
        return Alias("vrm", preset) if preset else None
    if raw.startswith(UE_EXPRESSION_PREFIX) and raw[len(UE_EXPRESSION_PREFIX):] in _UE_SET:
        return Alias("ue", raw[len(UE_EXPRESSION_PREFIX):])  # rule 4: a VRM's UE_<shape> expression
    return ALIAS_TABLE.get(normalize_name(raw))


def one_expression_vocabulary(names, aliases) -> tuple:
    """A VRM's expressions driven once: where its custom expressions carry a shape vocabulary one
    shape at a time — the UE shapes as ``UE_<shape>`` (``facemimic avatar3d``), or all 52 ARKit
    shapes ("perfect sync") — the presets that summarise the same shapes (:data:`SHAPE_PRESETS`:
    emotions and visemes) are left at rest (None), since driving both moves each shape twice; so are
    the blink presets beside perfect sync's eyeBlink expressions (UE has no eyelid closure: with UE
    expressions the blinks stay).

    Parameters
    ----------
    names : sequence of str
        The expression names.
    aliases : sequence of Alias or None
        :func:`resolve_name` of each.
    """
    ue = any(str(n).startswith(UE_EXPRESSION_PREFIX) and a is not None and a.kind == "ue"
             for n, a in zip(names, aliases))
    perfect_sync = {a.name for a in aliases if a is not None and a.kind == "arkit"} >= set(ARKIT_NAMES)
    resting = SHAPE_PRESETS if (ue or perfect_sync) else ()
    if perfect_sync:
        resting = resting + BLINK_PRESETS
    return tuple(None if a is not None and a.kind == "vrm" and a.name in resting else a for a in aliases)


def combination_alias(spec) -> Alias | None:
    """The :class:`Alias` of a combination target from its mesh's ``extras.combinations`` entry
    (``{"drivers": [a, b], "weight": "min"}``, both drivers ARKit names), or None when the entry is
    not one this exporter knows how to drive.

    >>> combination_alias({"drivers": ["browInnerUp", "browDownLeft"], "weight": "min"}).key
    'min_of:browInnerUp,browDownLeft'
    """
    if not isinstance(spec, dict) or spec.get("weight") != "min":
        return None
    drivers = spec.get("drivers")
    if not isinstance(drivers, list) or len(drivers) != 2:
        return None
    found = [resolve_name(d) if isinstance(d, str) else None for d in drivers]
    if any(a is None or a.kind != "arkit" for a in found):
        return None
    return Alias("min_of", ",".join(a.name for a in found))


# -- which track channels each alias reads (for "not mapped" reports) ---------------------------------

def _ue_group(*prefixes: str) -> frozenset[str]:
    return frozenset(n for n in UE_NAMES if n.startswith(prefixes))


_OPEN = frozenset({"JawOpen", "MouthClosed"})
_ROUND = _ue_group("LipFunnel", "LipPucker")
_SPREAD = _ue_group("MouthStretch")
# VRM preset -> the UE shapes (and eye channels) its formula in vrm_mapping reads.
_VRM_SOURCES = {
    "aa": _OPEN | _ROUND | _SPREAD, "ih": _OPEN | _ROUND | _SPREAD, "ou": _OPEN | _ROUND,
    "ee": _OPEN | _ROUND | _SPREAD, "oh": _OPEN | _ROUND,
    "happy": _ue_group("MouthCornerPull", "MouthCornerSlant"),
    "angry": _ue_group("BrowLowerer", "BrowPinch"),
    "sad": _ue_group("MouthFrown", "BrowInnerUp", "BrowOuterUp"),
    "surprised": _ue_group("BrowInnerUp", "BrowOuterUp", "EyeWide") | _OPEN,
    "relaxed": frozenset(), "neutral": frozenset(),
    "blink": frozenset({"openness"}), "blinkLeft": frozenset({"openness"}),
    "blinkRight": frozenset({"openness"}),
    "lookUp": frozenset({"gaze"}), "lookDown": frozenset({"gaze"}),
    "lookLeft": frozenset({"gaze"}), "lookRight": frozenset({"gaze"}),
}
_SIMPLE_SOURCES = {
    "BrowUp": ("BrowOuterUp", "BrowInnerUp"), "BrowDown": ("BrowLowerer", "BrowPinch"),
    "MouthSmile": ("MouthCornerPull", "MouthCornerSlant"), "MouthSad": ("MouthFrown", "MouthStretch"),
}


def alias_sources(alias: Alias) -> frozenset[str]:
    """Track channels an alias reads: UE shape names, plus ``openness``/``gaze`` for eye data."""
    if alias.kind == "ue":
        return frozenset({alias.name})
    if alias.kind == "ue_eye":
        return frozenset({"openness" if alias.name.startswith("EyeClosed") else "gaze"})
    if alias.kind == "ue_simple":
        side = "Right" if alias.name.endswith("Right") else "Left"
        base = alias.name[: -len(side)]
        return frozenset(p + side for p in _SIMPLE_SOURCES[base])
    if alias.kind == "min_of":
        return frozenset().union(*(alias_sources(Alias("arkit", n)) for n in alias.name.split(",")))
    if alias.kind == "arkit":
        if alias.name.startswith("eyeBlink"):
            return frozenset({"openness"})
        if alias.name.startswith("eyeLook"):
            return frozenset({"gaze"})
        row = UE_TO_ARKIT_MATRIX[ARKIT_INDEX[alias.name]]
        return frozenset(UE_NAMES[i] for i in np.flatnonzero(row))
    return _VRM_SOURCES[alias.name]


__all__ = ["ALIAS_TABLE", "Alias", "KINDS", "SHAPE_PRESETS", "UE_EXPRESSION_PREFIX", "UE_EYE_NAMES", "VRM0_PRESET_TO_VRM1",
           "alias_sources", "combination_alias", "normalize_name", "one_expression_vocabulary", "resolve_name"]
