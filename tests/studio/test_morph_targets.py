"""The studio's 3D panels resolve a model's morph targets as `facemimic export` does
(studio/morph_targets.py): one vocabulary per mesh, combination targets by their rule."""

from __future__ import annotations

import pytest

from facemimic.deliver.export.gltf_io import morph_nodes
from facemimic.deliver.export.testhead import build_test_head
from facemimic.errors import ParameterError
from facemimic.expressions.names import ARKIT_NAMES, UE_NAMES
from facemimic.studio.morph_targets import mapped_targets

COMBOS = {"browInnerUp_browDownLeft": {"drivers": ["browInnerUp", "browDownLeft"], "weight": "min"}}


def test_arkit_and_ue_names_on_one_mesh_move_each_shape_once():
    # as `facemimic avatar3d` writes a face: the 52 ARKit names, the UE names not also ARKit ones, a combination
    arkit = {n.lower() for n in ARKIT_NAMES}
    names = list(ARKIT_NAMES) + [n for n in UE_NAMES if n.lower() not in arkit] + list(COMBOS)
    mapped, unmapped = mapped_targets(names, COMBOS, [names])
    kinds = {t: a.kind for t, a in mapped}
    assert unmapped == [] and len(mapped) == 53
    assert kinds["browInnerUp_browDownLeft"] == "min_of" and kinds["mouthSmileLeft"] == "arkit"
    assert "MouthCornerPullLeft" not in kinds  # at rest: mouthSmileLeft makes the same shape
    # without the meshes nothing says the names share one: each resolved on its own (as before)
    alone, _ = mapped_targets(names, COMBOS)
    assert len(alone) == len(names)


def test_the_test_heads_two_meshes_are_both_driven():
    names = [list(mn.target_names) for mn in morph_nodes(build_test_head().json)]
    mapped, unmapped = mapped_targets(sum(names, []), None, names)
    assert unmapped == [] and len(mapped) == 150


@pytest.mark.parametrize("bad", [{"targets": "jawOpen"}, {"combinations": ["x"]}, {"meshes": [["a"], "b"]}])
def test_bad_requests_are_one_line(bad):
    args = {"targets": ["jawOpen"], "combinations": None, "meshes": None, **bad}
    with pytest.raises(ParameterError) as e:
        mapped_targets(args["targets"], args["combinations"], args["meshes"])
    assert "\n" not in str(e.value)


def test_a_selfie_vrms_ue_expressions_rest_its_emotion_and_viseme_presets():
    """A `facemimic avatar3d` VRM's expressions: presets and one UE_<shape> custom per UE shape. The
    customs carry the shapes; happy/aa … (which bind the same targets) rest; the blinks stay."""
    from facemimic.expressions.names import VRM1_PRESETS

    names = [p for p in VRM1_PRESETS if not p.startswith("look")] + [f"UE_{n}" for n in UE_NAMES]
    mapped, unmapped = mapped_targets(names)
    kinds = {t: a for t, a in mapped}
    assert unmapped == [] and kinds["UE_JawOpen"].key == "ue:JawOpen" and kinds["blinkLeft"].kind == "vrm"
    assert not {"happy", "aa", "surprised"} & set(kinds)
    # without UE customs the presets drive the face, as before
    plain, _ = mapped_targets([p for p in VRM1_PRESETS if not p.startswith("look")])
    assert {"happy", "aa"} <= {t for t, _ in plain}
