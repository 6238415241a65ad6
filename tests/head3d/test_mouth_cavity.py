"""An open mouth shows a mouth, not a flat black box (issue #15, docs/journal/avatar3d.md, fourteenth
session).

At JawOpen 0.6 (a surprised gape) the cavity was painted (0.2, 0.05, 0.06) and shaded to a fifth of
that at its back wall: in a 512 px front render its pixels averaged (23, 6, 7), 91 % of the mouth's
inside was near-black (every channel < 30), and the tongue (low, flat, riding the mandible 0.5 IPD back
behind the cavity's floor) never showed (0 px, single_face.jpg and 0-f15-hao-ph.jpg). A real open
mouth is a dark red-brown cavity, darker towards the throat, with the tongue's top surface low in it."""

from __future__ import annotations

import numpy as np
import pytest

SIZE, SPAN, CENTRE = 512, 4.0, (0.0, -0.55)
INSIDE = ("mouth", "teeth_upper", "teeth_lower", "tongue")


def inside_render(avatar, weight: float):
    """The front render (SIZE, SIZE, 3) of ``jawOpen`` at ``weight`` and the part seen at each pixel
    (SIZE, SIZE) (``""`` where the skin or nothing is seen)."""
    from facemimic.head3d.raster import Surface, rasterize, render
    from facemimic.head3d.targets import build_targets

    head = avatar.head
    skin_d, parts_d = build_targets(head, avatar.expressions, "arkit", avatar.combinations)["jawOpen"]
    skin, parts = head.skin.positions + weight * skin_d, head.parts.positions + weight * parts_d
    image = render([Surface(skin, head.skin.triangles, uv=head.skin.uv, texture=avatar.texture),
                    Surface(parts, head.parts.triangles, colours=head.parts.colours)],
                   size=(SIZE, SIZE), centre=CENTRE, span=SPAN).astype(np.float64)
    pos = np.concatenate([skin, parts])
    tris = np.concatenate([head.skin.triangles.astype(np.int64), head.parts.triangles.astype(np.int64) + len(skin)])
    scale = SIZE / SPAN
    screen = np.stack([SIZE / 2 + (pos[:, 0] - CENTRE[0]) * scale, SIZE / 2 - (pos[:, 1] - CENTRE[1]) * scale,
                       pos[:, 2]], axis=1)
    tri_id, _ = rasterize(screen, tris, (SIZE, SIZE))
    n_skin = len(head.skin.triangles)
    seen = np.full(tri_id.shape, "", dtype=object)
    part = tri_id >= n_skin
    seen[part] = head.parts.part[head.parts.triangles[tri_id[part] - n_skin, 0]]
    return image, seen


@pytest.fixture(scope="module", params=["single_face.jpg", "0-f15-hao-ph.jpg"])
def avatar(request, photo_avatar):
    return photo_avatar(request.param)


@pytest.mark.parametrize("weight", [0.6, 1.0])
def test_open_mouth_is_a_dark_red_brown_cavity_with_a_tongue(avatar, weight):
    image, seen = inside_render(avatar, weight)
    inside = np.isin(seen, INSIDE)
    assert inside.sum() > 1500, inside.sum()  # the mouth is open
    r, g, b = image[inside].mean(axis=0)
    # dark red-brown: red well above green and blue, darker than the skin, not black
    assert 40 < r < 120 and r > 1.6 * g and r > 1.6 * b, (r, g, b)
    near_black = (image[inside].max(axis=1) < 30).mean()
    assert near_black < 0.2, near_black
    # the tongue's top surface lies in the lower part of the opening
    tongue = seen == "tongue"
    assert tongue.sum() > 150, tongue.sum()
    ys = np.nonzero(inside)[0]
    assert np.nonzero(tongue)[0].mean() > ys.mean(), (np.nonzero(tongue)[0].mean(), ys.mean())
    # the cavity darkens towards the throat: its middle third (across) is darker than its outer thirds
    cavity = seen == "mouth"
    cols = np.nonzero(cavity)[1]
    lo, hi = np.quantile(cols, [1 / 3, 2 / 3])
    lum = image.mean(axis=2)
    middle = lum[cavity & (np.arange(SIZE)[None] > lo) & (np.arange(SIZE)[None] < hi)].mean()
    sides = lum[cavity & ((np.arange(SIZE)[None] <= lo) | (np.arange(SIZE)[None] >= hi))].mean()
    assert middle < 0.9 * sides, (middle, sides)


def test_the_vrm_carries_the_parts_colours_as_glTF_reads_them(avatar):
    """glTF reads COLOR_0 as linear light (three-vrm: vertex colours are not sRGB-decoded), while the
    parts' colours are display values like the photo's texture: written as they were, the mouth's
    inside showed in three-vrm lighter and greyer than the head3d renders ((0.14, 0.05, 0.05) displayed
    as (0.41, 0.25, 0.24)). Decoded as a glTF viewer does, the file's colours are the rendered ones, and
    the player (animate avatar3d:FILE) reads them back."""
    from facemimic.deliver.export.gltf_io import parse_glb
    from facemimic.head3d.player import _accessor
    from facemimic.head3d.targets import build_targets
    from facemimic.head3d.write import build_document

    head = avatar.head
    targets = build_targets(head, avatar.expressions, "arkit", avatar.combinations)
    doc = parse_glb(build_document(head, avatar.texture, {"jawOpen": targets["jawOpen"]}, vrm=False).glb_bytes())
    prim = next(p for p in doc.json["meshes"][0]["primitives"] if "COLOR_0" in p["attributes"])
    linear = _accessor(doc, prim["attributes"]["COLOR_0"])[:, :3]
    shown = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * np.clip(linear, 0, 1) ** (1 / 2.4) - 0.055)
    assert np.abs(shown - head.parts.colours[:, :3]).max() < 2e-3


@pytest.mark.parametrize("weight", [0.6, 1.0])
def test_the_rendered_opening_narrows_to_its_corners(avatar, weight):
    """The opening seen (the mouth's inside) is a lens: near the corners it is a fraction of its
    middle's height (real open mouths' lips 0.20-0.31 at 0.9 of the half width, 0.39-0.54 at 0.8,
    test_jaw_opening), not the box with straight sides it was (0.65-0.71 and 0.77-0.80)."""
    _, seen = inside_render(avatar, weight)
    columns = np.isin(seen, INSIDE).sum(axis=0)  # the opening's height in each pixel column
    xs = np.flatnonzero(columns)
    mid, half = (xs[0] + xs[-1]) / 2, (xs[-1] - xs[0]) / 2
    height = columns[int(round(mid))]

    def at(u):
        return np.mean([columns[int(round(mid + s * u * half))] for s in (-1, 1)]) / height

    assert 0.3 < at(0.8) < 0.6 and 0.15 < at(0.9) < 0.45, (at(0.8), at(0.9))
