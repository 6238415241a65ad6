"""`facemimic avatar …` through click's runner: real track files in, real files out."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import av
import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.expressions.frame import ExpressionFrame as F
from facemimic.expressions.io import write_track
from facemimic.expressions.track import ExpressionTrack


@pytest.fixture(scope="module")
def track_file(tmp_path_factory):
    """1 s at 30 fps: the jaw opens and a gap in the middle (frames 12-16)."""
    frames = []
    for i in range(30):
        t = i / 30
        if 12 <= i < 17:
            frames.append(F.gap(t))
        else:
            frames.append(F.from_shapes({"JawOpen": i / 30, "MouthCornerPullLeft": 0.5}, time=t))
    path = tmp_path_factory.mktemp("tracks") / "talk.jsonl"
    write_track(ExpressionTrack.from_frames(frames, fps=30), path)
    return path


def run(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


def test_render_mp4(track_file, tmp_path):
    out = tmp_path / "a.mp4"
    res = run("avatar", "render", track_file, "-o", out, "--size", 128, "--fps", 20, "--avatar", "rocker")
    assert res.exit_code == 0, res.output
    assert f"Wrote {out}" in res.output
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.width, v.height, v.codec_context.name) == (128, 128, "h264")
        assert "FaceMimic" in c.metadata["comment"] and "rocker" in c.metadata["description"].lower()
        n = sum(1 for _ in c.decode(video=0))
    assert n == 20  # 0 .. 0.967 s resampled to 20 fps


def test_render_wide_video(track_file, tmp_path):
    out = tmp_path / "wide.mp4"
    res = run("avatar", "render", track_file, "-o", out, "--size", 160, "--height", 90, "--fps", 10)
    assert res.exit_code == 0, res.output
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.width, v.height) == (160, 90)
        assert sum(1 for _ in c.decode(video=0)) == 10


def test_render_svg_and_png_at_a_time(track_file, tmp_path):
    svg, png, png0 = tmp_path / "a.svg", tmp_path / "a.png", tmp_path / "b.png"
    assert run("avatar", "render", track_file, "-o", svg, "--at", 0.9).exit_code == 0
    assert ET.parse(svg).getroot().tag.endswith("svg")
    assert run("avatar", "render", track_file, "-o", png, "--at", 0.9, "--size", 200).exit_code == 0
    assert run("avatar", "render", track_file, "-o", png0, "--size", 200).exit_code == 0
    a, b = cv2.imread(str(png)), cv2.imread(str(png0))
    assert a.shape == (200, 200, 3)
    assert np.abs(a.astype(int) - b).mean() > 0.5  # jaw open at 0.9 s, closed at 0


def test_gap_frame_holds_the_last_face(track_file, tmp_path):
    held, before = tmp_path / "held.png", tmp_path / "before.png"
    assert run("avatar", "render", track_file, "-o", held, "--at", 0.5, "--size", 128).exit_code == 0  # in the gap
    assert run("avatar", "render", track_file, "-o", before, "--at", 11 / 30, "--size", 128).exit_code == 0
    assert np.array_equal(cv2.imread(str(held)), cv2.imread(str(before)))


def test_new_avatar_file_and_preview(tmp_path):
    out, preview = tmp_path / "me.json", tmp_path / "me.png"
    res = run("avatar", "new", "-o", out, "--hair-style", "bun", "--glasses", "square", "--freckles",
              "--background", "#ffffff,#000000", "--from", "neko", "--preview", preview)
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["hair_style"] == "bun" and data["glasses"] == "square" and data["freckles"] is True
    assert data["eye_shape"] == "anime"  # kept from the neko preset
    assert data["background"] == ["#ffffff", "#000000"] and data["name"] == "me"
    assert cv2.imread(str(preview)).shape == (512, 512, 3)
    res = run("avatar", "render", "--help")
    assert "--no-mark" in res.output


def test_presets_lists_the_built_ins():
    res = run("avatar", "presets")
    assert res.exit_code == 0
    for name in ("default", "neko", "rocker", "scholar", "sunny"):
        assert name in res.output


@pytest.mark.parametrize("args,expect", [
    (["render", "{missing}", "-o", "{tmp}/x.mp4"], "missing.jsonl: file not found"),
    (["render", "{track}", "-o", "{tmp}/nope/x.mp4"], "does not exist"),
    (["render", "{track}", "-o", "{tmp}/x.gif"], "cannot tell what to write"),
    (["render", "{track}", "-o", "{tmp}/x.png", "--avatar", "{bad}"], "bad.json: unknown field 'eyes'"),
    (["render", "{track}", "-o", "{tmp}/x.png", "--avatar", "nekko"], "did you mean neko"),
    (["render", "{track}", "-o", "{tmp}/x.png", "--at", "5"], "--at 5 is outside the track"),
    (["render", "{track}", "-o", "{tmp}/x.png", "--size", "8"], "size must be"),
    (["render", "{track}", "-o", "{tmp}/x.mp4", "--audio", "{missing}"], "audio file not found"),
    (["render", "{track}", "-o", "{tmp}/x.png", "--face", "3"], "face 3 is not in the track"),
    (["new", "-o", "{tmp}/x.json", "--skin", "beige"], "field 'skin': 'beige' is not a colour"),
])
def test_errors_are_one_line_and_leave_nothing(track_file, tmp_path, args, expect):
    bad = tmp_path / "bad.json"
    bad.write_text('{"eyes": "big"}')
    fill = {"track": track_file, "tmp": tmp_path, "missing": tmp_path / "missing.jsonl", "bad": bad}
    res = CliRunner().invoke(cli, ["avatar"] + [a.format(**fill) for a in args])
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expect in lines[0], res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_bad_track_file_is_reported(tmp_path):
    junk = tmp_path / "junk.jsonl"
    junk.write_text("hello\n")
    res = CliRunner().invoke(cli, ["avatar", "render", str(junk), "-o", str(tmp_path / "x.mp4")])
    assert res.exit_code == 1 and "junk.jsonl: not a FaceMimic track" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.jsonl"]


def test_audio_only_for_video(track_file, tmp_path):
    res = CliRunner().invoke(cli, ["avatar", "render", str(track_file), "-o", str(tmp_path / "x.png"),
                                   "--audio", str(track_file)])
    assert res.exit_code == 2 and "--audio only applies to .mp4" in res.output


def test_transparent_png_and_refusals(track_file, tmp_path):
    png = tmp_path / "t.png"
    assert run("avatar", "render", track_file, "-o", png, "--transparent", "--size", 96).exit_code == 0
    img = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
    assert img.shape == (96, 96, 4) and img[0, 0, 3] == 0 and img[48, 48, 3] == 255
    res = CliRunner().invoke(cli, ["avatar", "render", str(track_file), "-o", str(tmp_path / "t.mp4"),
                                   "--transparent"])
    assert res.exit_code == 2 and "--transparent only applies" in res.output
    folder = tmp_path / "taken.png"
    folder.mkdir()
    res = CliRunner().invoke(cli, ["avatar", "render", str(track_file), "-o", str(folder)])
    assert res.exit_code == 2 and "is a directory" in res.output  # click refuses it up front
    from facemimic.animate.avatar import render_track_to_file
    from facemimic.errors import OutputError
    from facemimic.expressions.io import read_track

    for name in ("taken.png", "taken.mp4"):  # the library says so too, and leaves no temp file
        (tmp_path / name).mkdir(exist_ok=True)
        with pytest.raises(OutputError, match=f"{name}: is a folder$"):
            render_track_to_file(read_track(track_file), tmp_path / name, size=64)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.png", "taken.mp4", "taken.png"]
    assert list(folder.iterdir()) == []
