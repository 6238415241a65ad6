"""Expression creases: a frame's weights shade the folds of its expression into the avatar's skin."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.expressions.frame import ExpressionFrame


@pytest.fixture(scope="module")
def avatar(photo_avatar):
    return photo_avatar("15-f13-anc-ph.jpg")


def _darkening(avatar, crease, side, frame):
    """Mean darkening (0..1) of the texture inside one crease's band for a frame."""
    shader = avatar.creases
    k = shader.keys.index((crease, side))
    y0, y1, x0, x1 = shader.box
    band = shader.masks[k] > 0.5
    before = avatar.texture[y0:y1, x0:x1][band].mean()
    after = shader.apply(avatar.texture, frame.weights)[y0:y1, x0:x1][band].mean()
    return 1 - after / before


def test_no_weights_no_creases(avatar):
    assert avatar.creases.apply(avatar.texture, ExpressionFrame.neutral().weights) is avatar.texture


def test_each_expression_shades_its_own_folds(avatar):
    smile = ExpressionFrame.from_shapes({"MouthCornerPullLeft": 1.0, "MouthCornerPullRight": 1.0})
    frown = ExpressionFrame.from_shapes({"BrowLowererLeft": 1.0, "BrowLowererRight": 1.0, "BrowPinchLeft": 1.0,
                                         "BrowPinchRight": 1.0})
    raised = ExpressionFrame.from_shapes({"BrowInnerUpLeft": 1.0, "BrowInnerUpRight": 1.0})
    half_smile = ExpressionFrame.from_shapes({"MouthCornerPullLeft": 0.5})
    for side in ("Left", "Right"):
        assert _darkening(avatar, "nasolabial", side, smile) > 0.2
        assert _darkening(avatar, "glabella", side, smile) < 0.01
        assert _darkening(avatar, "glabella", side, frown) > 0.2
        assert _darkening(avatar, "nasolabial", side, frown) < 0.01
        assert _darkening(avatar, "forehead", side, raised) > 0.1
        # the inner raise (AU1, sadness and fear) folds the forehead's middle, not its sides (AU2)
        assert _darkening(avatar, "forehead_side", side, raised) < 0.5 * _darkening(avatar, "forehead", side, raised)
        both = ExpressionFrame.from_shapes({f"BrowInnerUp{side}": 1.0, f"BrowOuterUp{side}": 1.0})
        assert _darkening(avatar, "forehead_side", side, both) > 0.1  # surprise: lines right across
    # as deep as the weight asks, on its own side
    assert 0.3 < _darkening(avatar, "nasolabial", "Left", half_smile) / _darkening(avatar, "nasolabial", "Left", smile) < 0.7
    assert _darkening(avatar, "nasolabial", "Right", half_smile) < 0.01


def test_the_smiles_fold_is_a_soft_arc_from_the_nose_wing_to_beside_the_mouth_corner(avatar):
    """A smile's nasolabial fold as real posed smiles show it (CK+ S052_004, S055_005, S074_005,
    0-f15-hao-ph): from beside the nose wing down and out in one arc to beside the mouth corner, its
    shadow sharp on the cheek's side, spreading towards the lips and fading at its lower end. Drawn
    as a line through landmark 206 (out from the wing, straight down, back in to the corner) it was a
    box round the smiling mouth at every size."""
    from facemimic.head3d.head import UV_SPAN

    shader = avatar.creases
    y0, _, x0, _ = shader.box
    uv = avatar.head.skin.uv[:478]
    size = avatar.texture.shape[0]
    for side, wing, cheek, corner in (("Left", 358, 426, 291), ("Right", 129, 206, 61)):
        mask = shader.masks[shader.keys.index(("nasolabial", side))]
        ys, xs = np.nonzero(mask > 0.05)
        v, u = (ys + y0) / size, (xs + x0) / size
        outward = np.sign(uv[corner, 0] - 0.5)
        # from the wing's height down to beside the corner, not on down the chin (a marionette line)
        assert v.min() < uv[wing, 1] + 0.05 / UV_SPAN
        assert uv[corner, 1] - 0.06 / UV_SPAN < v.max() < uv[corner, 1] + 0.03 / UV_SPAN
        assert np.all((u - 0.5) * outward > 0)  # on its own side of the face
        low = v > v.max() - 0.02 / UV_SPAN
        assert np.mean((u[low] - uv[corner, 0]) * outward) * UV_SPAN > 0.03  # beside the corner, not under it
        # one arc that bows towards the cheek's landmark without a knee at it
        ys, xs = np.nonzero(mask > 0.5)
        v5, u5 = (ys + y0) / size, (xs + x0) / size
        assert np.hypot(u5 - uv[cheek, 0], v5 - uv[cheek, 1]).min() * UV_SPAN > 0.03
        # shaded, not drawn: deepest in its upper half, fading towards the corner ...
        rows = np.round(v5 * size).astype(int)
        along = {r: mask[r - y0].max() for r in np.unique(np.round(v * size).astype(int))}
        ks = np.array(sorted(along))
        top, bottom = ks[: len(ks) // 3], ks[-len(ks) // 6:]
        assert np.mean([along[k] for k in bottom]) < 0.5 * np.mean([along[k] for k in top])
        # ... and its shadow spreads further towards the lips than onto the cheek
        mid = int(np.median(rows)) - y0
        line = mask[mid]
        peak = int(np.argmax(line))
        lit = np.nonzero(line > 0.2 * line[peak])[0]
        cheek_side, lips_side = (lit.max() - peak, peak - lit.min()) if outward > 0 else (peak - lit.min(), lit.max() - peak)
        assert lips_side > 1.5 * cheek_side, (lips_side, cheek_side)


def test_the_file_shades_the_same_creases(avatar, samples, tmp_path):
    import facemimic
    from facemimic.head3d.api import AvatarPlayer

    facemimic.avatar3d(samples / "15-f13-anc-ph.jpg", tmp_path / "me.glb")
    player = AvatarPlayer(tmp_path / "me.glb", size=256)
    frown = ExpressionFrame.from_shapes({"BrowLowererLeft": 0.8, "BrowLowererRight": 0.8})
    assert player.creases.keys == avatar.creases.keys
    a, b = player.creases.amounts(frown.weights), avatar.creases.amounts(frown.weights)
    assert np.allclose(a, b) and a.max() > 0.3
    overlap = [(np.minimum(p, q).sum() / np.maximum(p, q).sum()) for p, q in zip(player.creases.masks, avatar.creases.masks)]
    assert min(overlap) > 0.9, overlap  # drawn in the same places from the file's texture coordinates

def _mask_texture_coords(avatar, key):
    """Texture coordinates ``(u, v)`` of the pixels where crease ``key`` is drawn (mask > 0.5), and
    the face landmarks' own ``uv`` (478, 2) to compare them with."""
    shader = avatar.creases
    y0, _, x0, _ = shader.box
    size = avatar.texture.shape[0]
    ys, xs = np.nonzero(shader.masks[shader.keys.index(key)] > 0.5)
    return (xs + x0) / size, (ys + y0) / size, avatar.head.skin.uv[:478]


def test_a_sneer_wrinkles_the_upper_nose_on_its_own_side(avatar):
    sneer = ExpressionFrame.from_shapes({"NoseSneerLeft": 1.0})
    smile = ExpressionFrame.from_shapes({"MouthCornerPullLeft": 1.0, "MouthCornerPullRight": 1.0})
    assert _darkening(avatar, "nose_wrinkle", "Left", sneer) > 0.2
    assert _darkening(avatar, "nose_wrinkle", "Right", sneer) < 0.01
    assert _darkening(avatar, "nose_wrinkle", "Left", smile) < 0.01
    # across the nose between its root and its tip, on the sneer's side of the dorsum
    u, v, uv = _mask_texture_coords(avatar, ("nose_wrinkle", "Left"))
    assert uv[168, 1] < v.min() and v.max() < uv[4, 1]
    outward = np.sign(uv[291, 0] - 0.5)
    assert np.all((u - uv[168, 0]) * outward > 0)


def test_a_sneer_deepens_the_upper_furrow_in_one_arc_not_the_smiles_bracket(avatar):
    """AU9 deepens the nasolabial furrow's upper part, from the wing down and out to beside the mouth
    corner; drawn on the smile's path (out to landmark 206, then straight down and back in) the
    disgusted face had a bracket round its mouth."""
    from facemimic.head3d.head import UV_SPAN

    sneer = ExpressionFrame.from_shapes({"NoseSneerLeft": 1.0, "NoseSneerRight": 1.0})
    smile = ExpressionFrame.from_shapes({"MouthCornerPullLeft": 1.0, "MouthCornerPullRight": 1.0,
                                         "MouthUpperUpLeft": 1.0, "MouthUpperUpRight": 1.0})
    for side, wing, cheek, corner in (("Left", 358, 426, 291), ("Right", 129, 206, 61)):
        assert _darkening(avatar, "nasolabial_upper", side, sneer) > 0.15
        # each fold is driven by its own shapes (the two bands meet at the wing, so a texel test would
        # see the other's shading there)
        keys = avatar.creases.keys
        assert avatar.creases.amounts(smile.weights)[keys.index(("nasolabial_upper", side))] == 0
        assert avatar.creases.amounts(sneer.weights)[keys.index(("nasolabial", side))] == 0
        u, v, uv = _mask_texture_coords(avatar, ("nasolabial_upper", side))
        assert v.min() < uv[wing, 1] + 0.03 / UV_SPAN and uv[corner, 1] - 0.06 / UV_SPAN < v.max() < uv[corner, 1]
        # an arc that bows out towards the cheek's landmark without reaching it: no knee there
        gap = np.hypot(u - uv[cheek, 0], v - uv[cheek, 1]).min() * UV_SPAN
        assert gap > 0.03, gap
        outward = np.sign(uv[corner, 0] - 0.5)
        rows = np.round(v * avatar.texture.shape[0]).astype(int)
        reach = np.array([((u[rows == r] - uv[corner, 0]) * outward).max() for r in np.unique(rows)])
        top = int(np.argmax(reach))  # widening to one widest row, then narrowing: no straight drop
        assert 0 < top < len(reach) - 1
        assert np.all(np.diff(reach[:top + 1]) > -2e-3) and np.all(np.diff(reach[top:]) < 2e-3)


def test_a_raised_cheek_folds_the_skin_under_its_eye(avatar):
    squint = ExpressionFrame.from_shapes({"CheekSquintRight": 1.0})
    frown = ExpressionFrame.from_shapes({"BrowLowererRight": 1.0, "MouthFrownRight": 1.0})
    assert _darkening(avatar, "infraorbital", "Right", squint) > 0.15
    assert _darkening(avatar, "infraorbital", "Left", squint) < 0.01
    assert _darkening(avatar, "infraorbital", "Right", frown) < 0.01
    u, v, uv = _mask_texture_coords(avatar, ("infraorbital", "Right"))
    assert v.min() > uv[145, 1] and v.max() < uv[4, 1]  # below the lower lid, above the nose tip
    assert u.min() > min(uv[33, 0], uv[133, 0]) - 0.02 and u.max() < max(uv[33, 0], uv[133, 0]) + 0.02  # under the eye


def test_the_frown_furrows_run_from_the_nose_root_up_into_the_forehead(avatar):
    """AU4's vertical furrows, as four real posed angers show them (15-f13-anc-ph, CK+ S113_008,
    S074_004, S125_008): from beside the nose root 0.3-0.45 IPD up into the forehead, 0.045-0.08 IPD
    either side of the midline, a little apart at the top (they ended ~0.18 IPD above the root)."""
    from facemimic.head3d.head import UV_SPAN

    for side, corner in (("Left", 291), ("Right", 61)):
        u, v, uv = _mask_texture_coords(avatar, ("glabella", side))
        height = (uv[168, 1] - v) * UV_SPAN  # IPD above the nose root (v runs down)
        outward = (u - uv[168, 0]) * np.sign(uv[corner, 0] - 0.5) * UV_SPAN  # IPD out from the root
        assert height.min() < 0.05 and height.max() > 0.3, (height.min(), height.max())
        assert 0.02 < outward.min() and outward.max() < 0.12, (outward.min(), outward.max())
        upper = height > np.median(height)
        assert outward[upper].mean() > outward[~upper].mean()


def test_the_brows_drawn_together_furrow_the_glabella_and_keep_the_forehead_lines_central(avatar):
    """The vertical furrows are the corrugator's (the brows drawn together, BrowPinch), and AU4 with
    raised brows (fear's AU1+2+4) wrinkles the forehead's middle, not its sides as surprise does."""
    pinch = ExpressionFrame.from_shapes({"BrowPinchLeft": 1.0, "BrowPinchRight": 1.0})
    lower = ExpressionFrame.from_shapes({"BrowLowererLeft": 1.0, "BrowLowererRight": 1.0})
    raised = {"BrowInnerUpLeft": 0.8, "BrowInnerUpRight": 0.8, "BrowOuterUpLeft": 0.45, "BrowOuterUpRight": 0.45}
    surprise = ExpressionFrame.from_shapes(raised)
    fear = ExpressionFrame.from_shapes({**raised, "BrowPinchLeft": 0.4, "BrowPinchRight": 0.4})
    for side in ("Left", "Right"):
        assert _darkening(avatar, "glabella", side, pinch) >= _darkening(avatar, "glabella", side, lower) > 0.1
        assert _darkening(avatar, "glabella", side, fear) > 0.06  # fear's pinch shows its furrows (0.08; were 0.04)
        assert _darkening(avatar, "forehead_side", side, fear) < 0.5 * _darkening(avatar, "forehead_side", side, surprise)
        assert _darkening(avatar, "forehead", side, fear) == pytest.approx(_darkening(avatar, "forehead", side, surprise), rel=0.1)
