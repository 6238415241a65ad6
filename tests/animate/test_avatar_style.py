"""Avatar files: presets, round trips, every option visible in the drawing, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facemimic.animate.avatar import (EYE_SHAPES, GLASSES, HAIR_STYLES, HEADWEAR, AvatarRenderer, AvatarStyle,
                                      load_style, preset_names, save_style, style_from_dict)
from facemimic.animate.avatar.primitives import hex_to_rgb
from facemimic.errors import InputError, ParameterError, UnknownNameError
from facemimic.expressions.frame import ExpressionFrame as F

S = 128


def render(style: AvatarStyle, frame: F | None = None) -> np.ndarray:
    return AvatarRenderer(style, size=S).render(frame or F.neutral())


def test_presets_load_and_differ():
    names = preset_names()
    assert {"default", "neko", "scholar", "rocker", "sunny"} <= set(names)
    images = [render(load_style(n)) for n in names]
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert np.abs(images[i].astype(int) - images[j]).mean() > 5, (names[i], names[j])
    assert load_style(None) == load_style("default")


def test_save_and_load_round_trip(tmp_path):
    s = AvatarStyle(name="Mika", hair_style="bob", eye_shape="anime", glasses="round", freckles=True,
                    background=("#112233", "#445566"), brow_color="#101010", blush=0.8)
    path = save_style(s, tmp_path / "mika.json")
    data = json.loads(path.read_text())  # an independent JSON parser reads it
    assert data["format"] == "facemimic.avatar" and data["hair_style"] == "bob"
    assert data["background"] == ["#112233", "#445566"]
    assert load_style(path) == s
    flat = save_style(s.replace(background="#abcdef"), tmp_path / "flat.json")
    assert json.loads(flat.read_text())["background"] == "#abcdef"
    assert load_style(flat).background == ("#abcdef",)


@pytest.mark.parametrize("field,values", [("hair_style", HAIR_STYLES), ("eye_shape", EYE_SHAPES),
                                          ("glasses", GLASSES), ("headwear", HEADWEAR)])
def test_every_choice_draws_differently(field, values):
    images = {v: render(AvatarStyle(**{field: v})) for v in values}
    for a in values:
        for b in values:
            if a < b:
                assert np.abs(images[a].astype(int) - images[b]).mean() > 0.3, (field, a, b)


def test_colours_and_background_are_used():
    s = AvatarStyle(background=("#ff0000", "#0000ff"), skin="#00ff00", hair_style="bald", blush=0.0)
    img = render(s)
    assert tuple(img[0, 0]) == hex_to_rgb("#ff0000")
    assert tuple(img[-1, 0]) == hex_to_rgb("#0000ff")
    assert (np.abs(img.astype(int) - (0, 255, 0)).sum(-1) < 6).mean() > 0.1  # lots of green skin
    flat = render(AvatarStyle(background="#123456" and ("#123456",)))
    assert tuple(flat[0, 0]) == tuple(flat[-1, 0]) == hex_to_rgb("#123456")


def test_freckles_brows_and_blush_change_the_face():
    base = AvatarStyle(blush=0.0)
    for change in ({"freckles": True}, {"brow_thickness": 2.2}, {"blush": 1.0}, {"eye_size": 1.4},
                   {"line_width": 2.5}, {"iris_color": "#ff00ff"}):
        assert np.abs(render(base.replace(**change)).astype(int) - render(base)).mean() > 0.05, change


@pytest.mark.parametrize("content,expect", [
    ("{", "not valid JSON (line 1"),
    ("[1, 2]", "must hold a JSON object"),
    ('{"hairstyle": "bob"}', "unknown field 'hairstyle' (did you mean hair_style"),
    ('{"hair_style": "spikey"}', "field 'hair_style': unknown value 'spikey' (did you mean spiky?)"),
    ('{"skin": "pink"}', "field 'skin': 'pink' is not a colour"),
    ('{"blush": 3}', "field 'blush': 3 is not a number in [0, 1]"),
    ('{"blush": "lots"}', "field 'blush'"),
    ('{"freckles": "yes"}', "field 'freckles'"),
    ('{"background": ["#fff", "#000", "#123"]}', "field 'background'"),
    ('{"format": "something.else"}', "field 'format'"),
    ('{"schema": 99}', "field 'schema': 99 is newer"),
])
def test_bad_avatar_files_name_the_file_and_field(tmp_path, content, expect):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError) as err:
        load_style(path)
    msg = str(err.value)
    assert msg.startswith(str(path) + ": ")
    assert expect in msg
    assert "\n" not in msg


def test_missing_file_and_unknown_preset(tmp_path):
    with pytest.raises(InputError, match="avatar file not found"):
        load_style(tmp_path / "none.json")
    with pytest.raises(UnknownNameError, match="did you mean neko"):
        load_style("nekko")
    (tmp_path / "latin1.json").write_bytes(b'{"name": "\xe9"}')
    with pytest.raises(InputError, match="not UTF-8"):
        load_style(tmp_path / "latin1.json")


def test_invalid_values_in_code_raise_parameter_error():
    with pytest.raises(ParameterError, match="eye_shape"):
        AvatarStyle(eye_shape="square")
    with pytest.raises(InputError, match="<avatar>: field 'glasses'"):
        style_from_dict({"glasses": "monocle"})


def test_save_into_missing_folder_is_a_clear_error(tmp_path):
    from facemimic.errors import OutputError

    with pytest.raises(OutputError, match="does not exist"):
        save_style(AvatarStyle(), tmp_path / "nope" / "a.json")
    assert not list(tmp_path.iterdir())
