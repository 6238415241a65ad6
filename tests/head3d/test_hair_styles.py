"""``avatar3d --hair short|bob|long``: hair hanging to the jaw or the shoulders, framing the face.

Built on a real photo's avatar (0-f15-hao-ph.jpg, long dark hair), checked on the mesh (how far the
hair falls, that it stays outside the skin and never moves with an expression), in a front render (hair
beside the face at the mouth's height, where the short cap shows the ears and the background) and by
the Khronos validator.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deliver"))  # the export tests' harness
from export_helpers import assert_valid  # noqa: E402


@pytest.fixture(scope="module")
def styled(samples):
    from facemimic.head3d.api import Avatar3DOptions, make_avatar

    photo = samples / "0-f15-hao-ph.jpg"
    return {s: make_avatar(photo, Avatar3DOptions(hair=s, texture_size=256)) for s in ("auto", "short", "bob", "long")}


def _hair(avatar) -> np.ndarray:
    parts = avatar.head.parts
    return parts.positions[np.asarray(parts.part) == "hair"]


def test_each_style_falls_as_far_as_it_says(styled):
    from facemimic.head3d.head import HAIR_STYLES

    lows = {s: float(_hair(a)[:, 1].min()) for s, a in styled.items()}
    chin = {s: float(a.head.skin.positions[152, 1]) for s, a in styled.items()}
    assert lows["auto"] == lows["short"] and lows["short"] > chin["short"] + 0.5  # a cap: nothing hangs
    for s in ("bob", "long"):
        assert lows[s] == pytest.approx(chin[s] - HAIR_STYLES[s], abs=1e-6)
    assert styled["bob"].hair_rgb == styled["short"].hair_rgb  # the colour read from the photo


def test_hanging_hair_stays_outside_the_head_and_moves_with_it_alone(styled):
    avatar = styled["long"]
    parts, skin = avatar.head.parts, avatar.head.skin
    hair = np.asarray(parts.part) == "hair"
    centre = avatar.head.cranium[0]
    pts = parts.positions[hair]
    # Every hair point lies further from the head's vertical axis than the skin (face, ears) at that
    # azimuth and height band, so no skin pokes through it.
    flat = lambda p: (p - centre) * np.array([1.0, 0.0, 1.0])  # noqa: E731
    hr, sr = np.linalg.norm(flat(pts), axis=1), np.linalg.norm(flat(skin.positions), axis=1)
    haz = np.arctan2(flat(pts)[:, 0], flat(pts)[:, 2])
    saz = np.arctan2(flat(skin.positions)[:, 0], flat(skin.positions)[:, 2])
    low = pts[:, 1] < skin.positions[10, 1] - 0.3  # the hanging part (below the cap's hairline)
    neck = np.isin(skin.region, ("neck",))
    for p_r, p_az, p_y in zip(hr[low], haz[low], pts[low, 1]):
        near = (~neck) & (np.abs(np.angle(np.exp(1j * (saz - p_az)))) < 0.05) & (np.abs(skin.positions[:, 1] - p_y) < 0.1)
        assert not near.any() or p_r > sr[near].max()
    hanging = pts[:, 1] < skin.positions[152, 1]  # below the chin: the hanging sheet alone
    assert hanging.any() and not np.asarray(parts.follow)[hair][hanging].any()  # no expression moves it


def test_front_render_frames_the_face_with_hair(styled):
    """Between the mouth's and the chin's height (rows 0.55-0.7 of a front render), beside the face, the
    bob's and the long hair's renders show the hair (its colour's hue, as dark as it is or darker in
    the side light); the short cap's shows none there."""
    hair = np.asarray(styled["short"].hair_rgb)

    def hair_share(style):
        rgb = styled[style].render(None, size=512).astype(np.float64) / 255
        band = rgb[int(0.55 * 512):int(0.7 * 512)]
        level = band.mean(axis=-1, keepdims=True)
        hue = np.linalg.norm(band / np.maximum(level, 1e-3) - hair / hair.mean(), axis=-1)
        return float(((hue < 0.15) & (level[..., 0] <= hair.mean() + 0.03)).mean())

    assert hair_share("short") < 0.01
    assert hair_share("bob") > 0.08 and hair_share("long") > 0.08


def test_a_styled_avatar_passes_the_khronos_validator(samples, tmp_path):
    import facemimic

    r = facemimic.avatar3d(samples / "0-f15-hao-ph.jpg", tmp_path / "long.vrm", hair="long")
    assert r.hair_rgb is not None
    assert_valid(tmp_path / "long.vrm")


def test_a_style_asked_where_no_hair_is_seen_is_dark_brown_with_a_note(samples, monkeypatch):
    """(A photo whose hair is hidden or outside the picture: the hairline search finds none.)"""
    from facemimic.head3d import texture
    from facemimic.head3d.api import DEFAULT_HAIR_RGB, Avatar3DOptions, make_avatar

    monkeypatch.setattr(texture, "hair_colour", lambda *a, **k: None)
    photo = samples / "single_face.jpg"
    bob = make_avatar(photo, Avatar3DOptions(hair="bob", texture_size=256))
    auto = make_avatar(photo, Avatar3DOptions(texture_size=256))
    assert bob.hair_rgb == DEFAULT_HAIR_RGB and any("bob hair in dark brown" in n for n in bob.notes)
    assert auto.hair_rgb is None and not (np.asarray(auto.head.parts.part) == "hair").any()


def test_each_face_of_the_sheet_has_its_own_vertices(styled):
    """A renderer lights a vertex by the mean of its triangles' normals: the sheet's two faces sharing
    vertices summed them to nothing (the hanging hair rendered flat, by the ambient light alone)."""
    parts = styled["long"].head.parts
    tris = np.asarray(parts.triangles)
    p = parts.positions
    n = np.cross(p[tris[:, 1]] - p[tris[:, 0]], p[tris[:, 2]] - p[tris[:, 0]])
    summed = np.zeros_like(p)
    for k in range(3):
        np.add.at(summed, tris[:, k], n)
    used = np.zeros(len(p), bool)
    used[tris.ravel()] = True
    hair = (np.asarray(parts.part) == "hair") & used
    area = np.linalg.norm(n, axis=1).mean()
    assert (np.linalg.norm(summed[hair], axis=1) > 0.1 * area).all()
