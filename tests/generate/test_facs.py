import numpy as np
import pytest

from facemimic.errors import UnknownNameError
from facemimic.expressions.arkit import ARKIT_TO_UE
from facemimic.expressions.names import UE_NAMES
from facemimic.emotions.facs import (AU_NUMBERS, AU_TABLE, N_AU, N_X, X_INDEX, X_NAMES, au_dict_to_x, au_position,
                                     au_to_x, table_rows)


def test_every_target_is_a_ue_shape_or_eye_closure():
    for au, (_, targets) in AU_TABLE.items():
        for t in targets:
            stem = t.rstrip("*")
            names = [stem + "Left", stem + "Right"] if t.endswith("*") else [stem]
            for n in names:
                assert n in X_INDEX, (au, n)
    assert X_NAMES[:88] == UE_NAMES and N_X == 90


def test_sided_aus_drive_their_own_side_only():
    x = au_dict_to_x({"R12": 0.8})
    assert x[X_INDEX["MouthCornerPullRight"]] == pytest.approx(0.8)
    assert x[X_INDEX["MouthCornerPullLeft"]] == 0.0


def test_midline_shapes_take_the_mean_of_both_sides():
    a = np.zeros((N_AU, 2), np.float32)
    a[au_position(26)] = (1.0, 0.0)
    assert au_to_x(a)[X_INDEX["JawOpen"]] == pytest.approx(0.3)  # 0.6 gain x mean(1, 0)


def test_smile_matches_the_arkit_table():
    # AU12 is ARKit mouthSmile: the same UE shapes as the VRCFT ARKit table drives.
    x = au_dict_to_x({"AU12": 1.0})
    driven = {X_NAMES[i] for i in np.flatnonzero(x)}
    assert driven == set(ARKIT_TO_UE["mouthSmileLeft"]) | set(ARKIT_TO_UE["mouthSmileRight"])


def test_basic_prototype_aus_reach_their_shapes():
    x = au_dict_to_x({"AU1": .8, "AU2": .8, "AU5": .7, "AU26": .8})  # surprise
    for n in ("BrowInnerUpLeft", "BrowOuterUpRight", "EyeWideLeft", "JawOpen"):
        assert x[X_INDEX[n]] > 0.3
    x = au_dict_to_x({"AU43": 1.0})
    assert x[X_INDEX["EyeClosedLeft"]] == 1.0 and x[:88].sum() == 0


def test_batch_shapes_and_unknown_au():
    assert au_to_x(np.zeros((5, 3, N_AU, 2))).shape == (5, 3, 90)
    with pytest.raises(UnknownNameError, match="AU99"):
        au_position("AU99")
    assert len(table_rows()) == len(AU_NUMBERS)
