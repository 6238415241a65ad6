import numpy as np
import pytest

from facemimic.errors import UnknownNameError
from facemimic.emotions.states import (BASIC, BASIC_COMPOSITION, COMPOUNDS, STATES, get_state, mixture_vector)

DU_COMPOUNDS = ("happily surprised", "happily disgusted", "sadly fearful", "sadly angry", "sadly surprised",
                "sadly disgusted", "fearfully angry", "fearfully surprised", "fearfully disgusted",
                "angrily surprised", "angrily disgusted", "disgustedly surprised", "appalled", "hatred", "awed")
AVATAR = ("smug", "bored", "sleepy", "confused", "skeptical", "embarrassed", "flirty", "determined", "pouting",
          "laughing", "crying", "shouting", "wincing")


@pytest.mark.parametrize("word,state", [
    ("happy", "happy"), ("happiness", "happy"), ("sad", "sad"), ("sadness", "sad"), ("angry", "angry"),
    ("anger", "angry"), ("surprised", "surprised"), ("surprise", "surprised"), ("fearful", "fearful"),
    ("fear", "fearful"), ("disgusted", "disgusted"), ("disgust", "disgusted"), ("contempt", "contempt"),
    ("neutral", "neutral"), ("Happily-Surprised", "happily surprised")])
def test_basic_states_accept_adjectives_and_nouns(word, state):
    assert get_state(word).name == state


def test_compounds_and_avatar_states_exist():
    assert set(DU_COMPOUNDS) <= set(COMPOUNDS)
    for name in AVATAR:
        assert STATES[name].kind == "avatar"


def test_every_state_is_grounded_and_placed():
    aliases = {}
    for s in STATES.values():
        assert -1 <= s.valence <= 1 and -1 <= s.arousal <= 1
        assert abs(sum(s.basic.values()) - 1) < 1e-6
        assert s.name == "neutral" or s.core, s.name
        for r in s.aus:
            assert 0 <= r.low <= r.high <= 1
        for a in s.aliases:
            assert aliases.setdefault(a, s.name) == s.name, f"alias {a!r} used twice"
    assert np.allclose(BASIC_COMPOSITION.sum(1), 1)
    # Circumplex sanity: pleasant vs unpleasant, activated vs calm.
    assert STATES["happy"].valence > 0 > STATES["sad"].valence
    assert STATES["surprised"].arousal > 0 > STATES["sleepy"].arousal


def test_compounds_blend_their_two_basic_components():
    for c in COMPOUNDS:
        comps = STATES[c].components
        assert len(comps) == 2 and all(x in BASIC for x in comps)
        assert set(k for k, v in STATES[c].basic.items() if v > 0) == set(comps)


def test_unknown_state_suggests():
    with pytest.raises(UnknownNameError, match="did you mean .*happy"):
        get_state("hapy")


def test_mixture_vector_scales_the_largest_to_one():
    v = mixture_vector({"happy": 2.0, "sad": 1.0})
    assert v.max() == 1.0 and v[list(STATES).index("sad")] == 0.5
