"""The avatar's mouth (issue #15 §2): lips meet and never pass through each other, a pressed mouth stays
shut, and lips that part show the upper teeth while the lower teeth stay behind the lower lip until
the jaw drops it — on a real photo's avatar, seen in renders by which pixels the teeth cover."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def avatar(photo_avatar):
    return photo_avatar("single_face.jpg")


def _gaps(face, displacement):
    from facemimic.head3d.rest import LOWER_INNER, UPPER_INNER

    posed = face + displacement
    return posed[list(UPPER_INNER), 1] - posed[list(LOWER_INNER), 1]  # (9,) per facing pair


def test_no_shape_moves_the_lower_lip_through_the_upper(avatar):
    from facemimic.expressions.names import ARKIT_NAMES
    from facemimic.head3d.unit import LIPS_FREE, LIPS_PRESSED, PRESS_SQUEEZE

    face = avatar.head.skin.positions[:478]
    rest = _gaps(face, 0.0)
    assert np.abs(rest).max() < 1e-3  # the rest face's lips meet (.rest)
    for k, name in enumerate(ARKIT_NAMES):
        if name in LIPS_FREE:
            continue
        least = -PRESS_SQUEEZE if name.startswith(LIPS_PRESSED) else 0.0  # a press squeezes them a little
        assert (_gaps(face, avatar.expressions[k]) - rest).min() > least - 0.005, name
    for name in ("mouthPressLeft", "mouthPressRight"):  # pressed lips stay together (squeezed, never apart)
        assert (_gaps(face, avatar.expressions[ARKIT_NAMES.index(name)]) - rest).max() < 0.005, name
    # the shapes that open the mouth still do (the upper-lip raise by its own lip alone: 0.1 had
    # counted the lower lip it dropped, test_each_lip_shape_moves_its_own_lip)
    for name, least in (("jawOpen", 0.25), ("mouthUpperUpLeft", 0.05), ("mouthLowerDownLeft", 0.02)):
        assert _gaps(face, avatar.expressions[ARKIT_NAMES.index(name)]).max() > least, name


def _teeth_pixels(avatar, arkit):
    """Pixels of a 512 px front render covered by the upper and by the lower teeth (two counts)."""
    from facemimic.head3d.raster import Surface, render
    from facemimic.head3d.targets import blended

    head = avatar.head
    skin, parts = blended(head, avatar.expressions, arkit)

    def draw(colours):
        return render([Surface(skin, head.skin.triangles, uv=head.skin.uv, texture=avatar.texture),
                       Surface(parts, head.parts.triangles, colours=colours)], size=(512, 512),
                      centre=(0.0, -0.55), span=4.0).astype(int)

    plain = draw(head.parts.colours)
    counts = []
    for label in ("teeth_upper", "teeth_lower"):
        marked = head.parts.colours.copy()
        marked[head.parts.part == label, :3] = (0.0, 1.0, 0.0)
        counts.append(int((np.abs(draw(marked) - plain).sum(axis=2) > 30).sum()))
    return counts


def test_parted_lips_show_the_upper_teeth_and_a_dropped_jaw_the_lower(avatar):
    from facemimic.expressions.names import ARKIT_NAMES

    def weights(**named):
        w = np.zeros(len(ARKIT_NAMES))
        for n, v in named.items():
            w[ARKIT_NAMES.index(n)] = v
        return w

    assert _teeth_pixels(avatar, weights()) == [0, 0]  # at rest the lips hide every tooth
    upper, lower = _teeth_pixels(avatar, weights(mouthSmileLeft=0.65, mouthSmileRight=0.65, jawOpen=0.15))
    assert upper > 300 and lower < 0.2 * upper, (upper, lower)  # a smile with parted lips: upper teeth
    upper, lower = _teeth_pixels(avatar, weights(mouthPressLeft=0.8, mouthPressRight=0.8))
    assert upper + lower < 20, (upper, lower)  # pressed lips: none
    upper, lower = _teeth_pixels(avatar, weights(jawOpen=0.5))
    assert upper > 100 and lower == 0, (upper, lower)  # a dropped jaw: the upper lip stays over the upper teeth' edges
    _, lower = _teeth_pixels(avatar, weights(jawOpen=0.2, mouthLowerDownLeft=1.0, mouthLowerDownRight=1.0))
    assert lower > 25, lower  # the lower lip pulled down (not the jaw) bares the lower teeth


def test_each_lip_shape_moves_its_own_lip(avatar):
    """The upper-lip raise (AU10) leaves the lower lip and chin, the lower-lip depressor the upper
    lip: learned from talking faces, each had moved the other lip by 0.05-0.08 IPD."""
    from facemimic.expressions.names import ARKIT_NAMES
    from facemimic.head3d.rest import LOWER_INNER, UPPER_INNER

    for side in ("Left", "Right"):
        up = avatar.expressions[ARKIT_NAMES.index("mouthUpperUp" + side)]
        down = avatar.expressions[ARKIT_NAMES.index("mouthLowerDown" + side)]
        assert np.abs(up[list(LOWER_INNER)]).max() < 0.005 and np.abs(up[152]).max() < 0.005
        assert up[list(UPPER_INNER), 1].max() > 0.03  # it still lifts its lip
        assert np.abs(down[list(UPPER_INNER)]).max() < 0.005 and np.abs(down[[0, 13, 2]]).max() < 0.005
        assert down[list(LOWER_INNER), 1].min() < -0.03


def test_a_raised_upper_lip_bares_the_upper_teeth_not_the_lower(avatar):
    """Disgust's AU9+10 (the generate stage's apex: mouthUpperUp 0.8, noseSneer 0.5): the upper lip
    lifts off the upper teeth and the lower lip stays over the lower ones — not a grin's two rows."""
    from facemimic.expressions.names import ARKIT_NAMES

    w = np.zeros(len(ARKIT_NAMES))
    for name, v in (("mouthUpperUp", 0.8), ("noseSneer", 0.5)):
        w[ARKIT_NAMES.index(name + "Left")] = w[ARKIT_NAMES.index(name + "Right")] = v
    upper, lower = _teeth_pixels(avatar, w)
    assert upper > 300 and lower < 0.1 * upper, (upper, lower)


def test_mouth_close_shuts_the_lips_the_jaw_parts(avatar):
    """ARKit's mouthClose: with jawOpen at the same weight the lips meet over the dropped jaw (the
    capture reads MouthClosed = JawOpen - lip gap; CK+ anger apexes read JawOpen 0.26 with MouthClosed
    0.26). The learned shape moved the lips 0.003 IPD at weight 1: such faces were drawn as a grin."""
    from facemimic.expressions.names import ARKIT_NAMES
    from facemimic.head3d.unit import measured_extents

    face = avatar.head.skin.positions[:478]
    jaw = avatar.expressions[ARKIT_NAMES.index("jawOpen")]
    close = avatar.expressions[ARKIT_NAMES.index("mouthClose")]
    for w in (0.26, 1.0):
        assert _gaps(face, w * jaw).max() > 0.1 * w  # the jaw alone parts them
        assert np.abs(_gaps(face, w * (jaw + close))).max() < 0.005, w  # with mouthClose they meet
        # and the jaw stays dropped: the chin is where jawOpen put it
        opened = measured_extents(face, w * jaw, ("jaw_drop",))["jaw_drop"]
        held = measured_extents(face, w * (jaw + close), ("jaw_drop",))["jaw_drop"]
        assert abs(held - opened) < 0.05 * w, (w, opened, held)

    def weights(**named):
        v = np.zeros(len(ARKIT_NAMES))
        for n, x in named.items():
            v[ARKIT_NAMES.index(n)] = x
        return v

    upper, lower = _teeth_pixels(avatar, weights(jawOpen=0.26, mouthClose=0.26))
    assert upper + lower < 20, (upper, lower)  # shut lips hide the teeth
