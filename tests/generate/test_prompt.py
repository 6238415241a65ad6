import pytest

from facemimic.errors import ParameterError, UnknownNameError
from facemimic.generate.prompt import parse_prompt


def test_degree_and_contrast():
    p = parse_prompt("a bit disgusted but amused")
    assert set(p.mixture) == {"disgusted", "amused"}
    assert p.mixture["amused"] > p.mixture["disgusted"]
    assert sum(p.mixture.values()) == pytest.approx(1.0)


def test_degree_words_scale_intensity_in_order():
    scales = [parse_prompt(t).intensity_scale for t in ("barely happy", "a bit happy", "happy", "very happy",
                                                        "extremely happy")]
    assert scales == sorted(scales) and scales[2] == 1.0


def test_trying_not_to_laugh_is_held_back_laughter():
    p = parse_prompt("trying not to laugh")
    assert p.mixture == {"laughing": 1.0} and "laughing" in p.suppressed


def test_nervous_smile_mixes_two_states():
    assert set(parse_prompt("nervous smile").mixture) == {"nervous", "happy"}


def test_adverb_compounds_and_morphology():
    assert parse_prompt("angrily surprised").mixture == {"angrily surprised": 1.0}
    assert parse_prompt("Happily surprised!").mixture == {"happily surprised": 1.0}
    assert parse_prompt("smiling").mixture == {"happy": 1.0}
    assert parse_prompt("sadness").mixture == {"sad": 1.0}
    assert parse_prompt("laughs").mixture == {"laughing": 1.0}
    assert parse_prompt("smiling happily").mixture == {"happy": 1.0}


def test_negation():
    assert set(parse_prompt("not happy").mixture) == {"sad"}
    assert parse_prompt("not angry").mixture == {"neutral": 1.0}
    assert parse_prompt("isn't sad").mixture == {"neutral": 1.0}


def test_modifiers():
    p = parse_prompt("subtle smug smile, looking away, head tilted")
    assert p.style == "subtle" and p.gaze is not None and p.head is not None and p.lateral
    p = parse_prompt("happy with eyes closed on the left")
    assert 43 in p.extra_aus and p.side == "left"
    assert parse_prompt("eyes closed").mixture == {"neutral": 1.0}


def test_unknown_words_name_the_closest_states():
    with pytest.raises(UnknownNameError, match="unknown word 'hapy'.*happy"):
        parse_prompt("hapy")
    with pytest.raises(UnknownNameError, match="'zorbly'"):
        parse_prompt("happy but zorbly")


def test_empty_prompts():
    for bad in ("", "   ", "the a and"):
        with pytest.raises(ParameterError):
            parse_prompt(bad)


def test_unicode_words_are_quoted_whole():
    # "très" used to be cut at the accent and reported as 'tr'.
    with pytest.raises(UnknownNameError) as info:
        parse_prompt("très heureux")
    assert "unknown word 'très' in prompt 'très heureux'" in str(info.value)
    with pytest.raises(UnknownNameError, match="unknown word 'glücklich'"):
        parse_prompt("happy but glücklich")
    assert parse_prompt("Happy—but nervous").mixture.keys() == {"happy", "nervous"}  # punctuation still splits


def test_long_prompts_are_not_echoed_whole():
    prompt = "happy " + "zorbly" * 2000  # 12,006 characters
    with pytest.raises(UnknownNameError) as info:
        parse_prompt(prompt)
    msg = str(info.value)
    assert len(msg) < 250 and "\n" not in msg
    assert "'happy zorblyzorbly" in msg and "…'" in msg
    with pytest.raises(ParameterError) as info:
        parse_prompt("the " * 3000)
    assert len(str(info.value)) < 250
