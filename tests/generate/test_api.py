import numpy as np
import pytest

from facemimic.errors import ParameterError, UnknownNameError
from facemimic.expressions.frame import ExpressionFrame
from facemimic.expressions.names import UE_NAMES
from facemimic.generate.api import apply_asymmetry, express, generate, ramp_intensity
from facemimic.generate.constraints import project, violations
from facemimic.emotions.states import BASIC, STATE_NAMES
from facemimic.emotions.facs import X_INDEX

LEFT = [i for i, n in enumerate(UE_NAMES) if n.endswith("Left")]
RIGHT = [UE_NAMES.index(UE_NAMES[i][:-4] + "Right") for i in LEFT]


def test_express_returns_distinct_frames():
    frames = express("happy", variations=5, seed=3)
    assert len(frames) == 5 and all(isinstance(f, ExpressionFrame) for f in frames)
    w = np.stack([f.weights for f in frames])
    assert w.shape == (5, 88) and np.all((w >= 0) & (w <= 1))
    d = np.linalg.norm(w[:, None] - w[None], axis=-1)[np.triu_indices(5, 1)]
    assert d.min() > 0.02  # all different
    # A smile: the lip corners (pulled or lifted: MouthCornerPull/Slant) are among the strongest shapes of
    # every variation. (In the unit a broad smile also raises the upper lip: 0.34-0.78 on real smiles.)
    for f in frames:
        assert "MouthCorner" in " ".join(n for n, _ in f.top(6))


def test_same_seed_same_output_and_first_variation_is_stable():
    a = generate("nervous smile", seed=11, variations=4)
    b = generate("nervous smile", seed=11, variations=4)
    c = generate("nervous smile", seed=12, variations=4)
    one = generate("nervous smile", seed=11, variations=1)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.head, b.head) and np.array_equal(a.gaze, b.gaze)
    assert not np.allclose(a.x, c.x)
    assert np.allclose(one.x[0], a.x[0], atol=1e-5)


@pytest.mark.parametrize("prompt", ["happy", "surprised", "angry", "sad", "smug"])
def test_intensity_is_monotonic(prompt):
    levels = np.linspace(0, 1, 11)
    xs = np.stack([generate(prompt, seed=5, intensity=float(i)).x[0] for i in levels])
    assert np.all(np.diff(xs[:, :88], axis=0) >= -1e-6)  # every shape non-decreasing
    assert xs[0, :88].sum() < 0.05 and xs[-1, :88].sum() > xs[5, :88].sum() > xs[0, :88].sum()


def test_ramp_intensity_brings_secondary_shapes_in_later():
    x = np.zeros((1, 90), np.float32)
    x[0, 0], x[0, 1] = 1.0, 0.3
    half = ramp_intensity(x, 0.5)[0]
    assert half[0] == pytest.approx(0.5) and half[1] / 0.3 < 0.5


def test_asymmetry_moves_weight_between_sides():
    # 0.6: below the natural apex (0.75), where no shape saturates at 1, so the weight moved is kept
    base = generate("happy", seed=2, intensity=0.6).x
    right = generate("happy", seed=2, intensity=0.6, asymmetry=0.6).x
    left = generate("happy", seed=2, intensity=0.6, asymmetry=-0.6).x
    assert right[0, RIGHT].sum() > base[0, RIGHT].sum() and right[0, LEFT].sum() < base[0, LEFT].sum()
    assert left[0, LEFT].sum() > base[0, LEFT].sum() and left[0, RIGHT].sum() < base[0, RIGHT].sum()
    moved = apply_asymmetry(base, 0.5)
    assert moved[0, LEFT + RIGHT].sum() == pytest.approx(base[0, LEFT + RIGHT].sum(), rel=0.05)


def test_one_sided_displays_follow_the_side_word():
    g = generate("smug on the left", seed=1, variations=6)
    assert np.all(g.x[:, LEFT].sum(1) > g.x[:, RIGHT].sum(1))


def test_never_impossible():
    prompts = list(STATE_NAMES) + ["eyes closed surprised", "shouting with pursed lips", "playful sleepy"]
    for k, p in enumerate(prompts):
        for style in ("natural", "exaggerated", "anime"):
            g = generate(p, seed=k, variations=16, style=style, intensity=1.0)
            assert violations(g.x).sum() == 0, p
            wide = g.x[:, [X_INDEX["EyeWideLeft"], X_INDEX["EyeWideRight"]]]
            closed = g.x[:, [X_INDEX["EyeClosedLeft"], X_INDEX["EyeClosedRight"]]]
            assert not np.any((wide > 0.5) & (closed > 0.5)), p
            assert not np.any((g.x[:, X_INDEX["MouthClosed"]] > 0.5) & (g.x[:, X_INDEX["JawOpen"]] > 0.5)), p


def test_projection_fixes_impossible_vectors():
    x = np.zeros((1, 90), np.float32)
    x[0, X_INDEX["EyeWideLeft"]] = x[0, X_INDEX["EyeClosedLeft"]] = 0.9
    x[0, X_INDEX["JawOpen"]] = x[0, X_INDEX["MouthClosed"]] = 0.9
    x[0, X_INDEX["JawLeft"]], x[0, X_INDEX["JawRight"]] = 0.6, 0.2
    assert violations(x)[0] >= 3
    p = project(x)
    assert violations(p)[0] == 0 and p[0, X_INDEX["JawLeft"]] == pytest.approx(0.4)


def test_styles_differ():
    nat = generate("happy", seed=4, style="natural", intensity=0.9).x[0]
    sub = generate("happy", seed=4, style="subtle", intensity=0.9).x[0]
    anime = generate("laughing", seed=4, style="anime", intensity=0.9, variations=8).x
    real = generate("laughing", seed=4, style="natural", intensity=0.9, variations=8).x
    assert sub[:88].sum() < nat[:88].sum()
    closed = X_INDEX["EyeClosedLeft"]
    assert anime[:, closed].mean() > real[:, closed].mean() + 0.15  # ^ ^ eyes
    assert anime[:, X_INDEX["NoseSneerLeft"]].max() < 0.05  # anime rigs draw no nose wrinkles


def test_held_back_laughter_keeps_the_mouth_closed():
    free = generate("laughing", seed=1, variations=8).x
    held = generate("trying not to laugh", seed=1, variations=8).x
    assert held[:, X_INDEX["JawOpen"]].mean() < 0.5 * free[:, X_INDEX["JawOpen"]].mean()
    assert held[:, X_INDEX["MouthPressLeft"]].mean() > 0.2
    assert held[:, X_INDEX["CheekSquintLeft"]].mean() > 0.1  # the upper face leaks the laugh


def test_gaze_and_head_follow_the_state():
    down = generate("embarrassed", seed=0, variations=32)
    up = generate("thinking", seed=0, variations=32)
    assert down.gaze[:, :, 1].mean() < -0.1 < up.gaze[:, :, 1].mean()
    assert down.head[:, 1].mean() > 3  # +pitch: looks down


def test_dict_mixtures_and_frames():
    g = generate({"happy": 0.7, "surprised": 0.3}, seed=0, variations=2)
    assert g.prompt.mixture["happy"] == pytest.approx(0.7)
    f = g.frames()[0]
    assert f.openness_left == pytest.approx(1 - g.x[0, 88])


@pytest.mark.parametrize("kwargs,match", [
    ({"intensity": 1.5}, "intensity"), ({"intensity": -0.1}, "intensity"), ({"asymmetry": 2}, "asymmetry"),
    ({"variations": 0}, "variations"), ({"seed": -1}, "seed"), ({"style": "pixar"}, "style")])
def test_bad_controls(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        express("happy", **kwargs)


def test_unknown_state_in_dict():
    with pytest.raises(UnknownNameError, match="did you mean"):
        generate({"hapy": 1.0})
    assert "neutral" in BASIC


@pytest.mark.parametrize("prompt,message", [
    (3, "prompt must be text or a {state: weight} dict, got int"),  # was 'empty prompt: name a feeling …'
    (["happy"], "prompt must be text or a {state: weight} dict, got list"),
])
def test_a_prompt_that_is_not_text_or_weights_is_named(prompt, message):
    with pytest.raises(ParameterError) as e:
        express(prompt, seed=1)
    assert str(e.value) == message


@pytest.mark.parametrize("prompt", [5, None, {"happy": 1.0}])
def test_a_clip_prompt_must_be_text(prompt):
    """``express_clip(5)`` failed inside ``re`` ('expected string or bytes-like object')."""
    from facemimic.generate.clips import clip

    with pytest.raises(ParameterError) as e:
        clip(prompt, duration=0.5)
    assert str(e.value) == f"prompt must be text (a prompt or a timeline), got {type(prompt).__name__}"
