"""Pictures and videos dropped on the studio are read by the capture stage's own source opening
(what `facemimic track` runs): a corrupt JPEG and a truncated MP4 get the CLI's one-line errors,
and nothing of them stays in the workspace; good media lands in media/."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.studio.security import StudioSecurity
from facemimic.studio.server import StudioConfig, create_app

PORT = 8765
TOKEN = "upload-test-token"


def _client(workspace):
    from fastapi.testclient import TestClient

    sec = StudioSecurity(token=TOKEN, port=PORT, max_upload_bytes=8 * 1024 * 1024)
    c = TestClient(create_app(StudioConfig(workspace=workspace, security=sec)), base_url=f"http://127.0.0.1:{PORT}")
    c.cookies.set(sec.cookie_name, TOKEN)
    return c


def _cli_error(tmp_path, name, data):
    """The one line `facemimic track NAME` prints for these bytes, without the 'Error: ' and folder."""
    folder = tmp_path / "cli"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    r = CliRunner().invoke(cli, ["track", str(folder / name), "-o", str(folder / "out.jsonl"), "-q"])
    assert r.exit_code == 1
    line = r.output.strip()
    assert line.startswith("Error: ") and "\n" not in line
    return line.removeprefix("Error: ").replace(str(folder) + "/", "")


@pytest.fixture()
def broken_media(samples):
    photo = (samples / "single_face.jpg").read_bytes()
    video = (samples / "WolfgangLanger_Pexels.mp4").read_bytes()
    return {"corrupt.jpg": photo[:600] + bytes(range(256)) * 20,  # a real JPEG header, then garbage
            "cut.mp4": video[: len(video) * 6 // 10]}  # the clip cut at 60 %: its index promises more frames


def test_broken_media_gets_the_cli_error_and_leaves_nothing(tmp_path, broken_media):
    expected = {name: _cli_error(tmp_path, name, data) for name, data in broken_media.items()}
    assert expected["cut.mp4"] == "cut.mp4: video is truncated: decoded 288 of 472 frames"
    assert expected["corrupt.jpg"].startswith("corrupt.jpg: not an image")
    ws = tmp_path / "ws"
    ws.mkdir()
    with _client(ws) as c:
        for name, data in broken_media.items():
            r = c.put(f"/api/upload/{name}", content=data)
            assert r.status_code == 422, r.text
            assert r.json()["error"] == expected[name]
    assert list(ws.rglob("*")) == []  # no file, no temporary file, no media/ folder


def test_good_media_lands_in_media(tmp_path, samples):
    with _client(tmp_path) as c:
        for name in ("single_face.jpg", "WolfgangLanger_Pexels.mp4"):
            data = (samples / name).read_bytes()
            t0 = time.perf_counter()
            r = c.put(f"/api/upload/{name}", content=data)
            print(f"{name}: {len(data) / 1e6:.1f} MB checked in {time.perf_counter() - t0:.2f} s")
            assert r.status_code == 200, r.text
            assert r.json()["path"] == f"media/{name}" and r.json()["kind"] in ("image", "video")
            assert (tmp_path / "media" / name).read_bytes() == data
        # a text file is no picture, whatever its name says
        r = c.put("/api/upload/notes.png", content=b"hello, not a picture")
        assert r.status_code == 422 and r.json()["error"].startswith("notes.png: ")
    assert sorted(p.name for p in (tmp_path / "media").iterdir()) == ["WolfgangLanger_Pexels.mp4", "single_face.jpg"]
