"""SVG output: valid XML an independent parser reads, the same primitives as the raster path, and
(when Debian's chromium is installed) the same picture in a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from facemimic.animate.avatar import AvatarRenderer, Clip, Shape, rasterize
from facemimic.expressions.frame import ExpressionFrame as F

NS = {"svg": "http://www.w3.org/2000/svg"}
SMILE = F.from_shapes({"MouthCornerPullLeft": 0.8, "MouthCornerPullRight": 0.8, "JawOpen": 0.3,
                       "CheekSquintLeft": 0.4}, head_rotation=(12.0, 4.0, -6.0), gaze_left=(0.2, 0.1))


@pytest.mark.parametrize("preset", ["default", "neko", "scholar", "rocker", "sunny"])
def test_svg_parses_and_matches_the_primitives(preset):
    r = AvatarRenderer(preset, size=300)
    drawing = r.drawing(SMILE)
    root = ET.fromstring(r.svg(SMILE).split("\n", 1)[1])
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 300 300"
    assert "Synthetic" in root.find("svg:desc", NS).text and "FaceMimic" in root.find("svg:desc", NS).text
    clips = [i for i in drawing.items if isinstance(i, Clip)]
    shapes = [i for i in drawing.items if isinstance(i, Shape)] + [c for i in clips for c in i.children]
    visible = [s for s in shapes if s.opacity > 0 and len(s.points) >= 2]
    body_paths = [p for p in root.iter("{http://www.w3.org/2000/svg}path")
                  if not any(p in list(cp) for cp in root.iter("{http://www.w3.org/2000/svg}clipPath"))]
    assert len(body_paths) == len(visible)
    assert len(root.findall(".//svg:clipPath", NS)) == len(clips) >= 2  # eyes (and the open mouth)
    # Every path's coordinates are the primitive's points (2 decimals).
    first = visible[0]
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", body_paths[0].get("d"))]
    assert np.allclose(np.reshape(nums, (-1, 2)), first.points, atol=0.01)
    grad = root.find(".//svg:linearGradient", NS)
    assert grad is not None and len(grad.findall("svg:stop", NS)) == 2


def test_svg_and_raster_agree_in_a_browser(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:  # scripts/setup.d/20-gltf-tools.sh installs it; never skip silently
        pytest.fail("Debian's chromium is missing: run scripts/test.sh (or apt-get install chromium)",
                    pytrace=False)
    import cv2

    r = AvatarRenderer("scholar", size=256)
    svg = tmp_path / "a.svg"
    svg.write_text(r.svg(SMILE))
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=256,256", "--force-device-scale-factor=1",
                    svg.as_uri()], check=True, capture_output=True, timeout=60)
    browser = cv2.imread(str(shot))[..., ::-1].astype(int)
    ours = rasterize(r.drawing(SMILE)).astype(int)
    assert browser.shape == ours.shape
    diff = np.abs(browser - ours).sum(-1)
    assert diff.mean() < 9, diff.mean()  # anti-aliasing and blur differ slightly, nothing else
    assert (diff > 120).mean() < 0.03
    # and it is not trivially equal to a different expression
    other = rasterize(r.drawing(F.from_shapes({"JawOpen": 1.0, "EyeWideLeft": 1.0}))).astype(int)
    assert np.abs(browser - other).sum(-1).mean() > diff.mean() * 1.3


def test_transparent_outputs_composite_back_to_the_opaque_frame():
    from facemimic.animate.avatar.raster import _background

    r = AvatarRenderer("neko", size=160)
    rgba = r.render(SMILE, transparent=True)
    opaque = r.render(SMILE).astype(float)
    assert rgba.shape == (160, 160, 4)
    assert rgba[0, 0, 3] == 0 and rgba[80, 80, 3] == 255  # corner is background, face is solid
    d = r.drawing(SMILE)
    bg = _background(160, 160, *d.background).astype(float)
    a = rgba[..., 3:] / 255.0
    assert np.abs(rgba[..., :3] * a + bg * (1 - a) - opaque).mean() < 0.1
    root = ET.fromstring(r.svg(SMILE, transparent=True).split("\n", 1)[1])
    assert root.find("svg:rect", NS) is None
    assert ET.fromstring(r.svg(SMILE).split("\n", 1)[1]).find("svg:rect", NS) is not None
