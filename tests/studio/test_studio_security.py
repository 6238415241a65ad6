"""The studio's safety rules (issue #13 §5): every rule has a request that must be refused.

Requests go through FastAPI's TestClient against the real app (real workspace folder, real
uploads read back by the CLI's own readers)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from facemimic.errors import InputError
from facemimic.studio.security import StudioSecurity, confine, split_host
from facemimic.studio.server import StudioConfig, create_app

PORT = 8765
TOKEN = "t0ken-for-tests_0123456789abcdef"
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture()
def workspace(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "take.jsonl").write_text("not a track\n")
    (tmp_path / "secret.txt").write_text("outside the workspace")
    return ws


def _client(workspace, *, max_upload=1024 * 1024, cookies=True):
    from fastapi.testclient import TestClient

    sec = StudioSecurity(token=TOKEN, port=PORT, max_upload_bytes=max_upload)
    app = create_app(StudioConfig(workspace=workspace, security=sec, vendor_dir=workspace / "no-vendor"))
    client = TestClient(app, base_url=BASE, follow_redirects=False)
    if cookies:
        client.cookies.set(sec.cookie_name, TOKEN)
    return client


def test_token_required_on_every_route(workspace):
    c = _client(workspace, cookies=False)
    for path in ("/", "/static/app.js", "/api/info", "/api/files", "/files/take.jsonl"):
        r = c.get(path)
        assert r.status_code == 401, path
        assert "token" in r.json()["error"]
    assert c.get("/api/info", params={"token": "wrong"}).status_code == 401
    assert c.get("/api/info", headers={"cookie": f"facemimic-studio-{PORT}=wrong"}).status_code == 401
    # a cookie for another studio's port is not ours
    assert c.get("/api/info", headers={"cookie": f"facemimic-studio-9999={TOKEN}"}).status_code == 401
    assert c.put("/api/upload/x.jsonl", content=b"{}").status_code == 401


def test_token_in_url_sets_cookie_and_redirects_without_it(workspace):
    c = _client(workspace, cookies=False)
    r = c.get("/", params={"token": TOKEN})
    assert r.status_code == 303
    assert r.headers["location"] == "/"  # the secret leaves the address bar
    cookie = r.headers["set-cookie"]
    assert f"facemimic-studio-{PORT}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    r = c.get("/")  # the client kept the cookie
    assert r.status_code == 200 and "FaceMimic studio" in r.text
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    from facemimic import UE_NAMES

    assert c.get("/api/info").json()["ue_names"] == list(UE_NAMES)


def test_websocket_needs_the_token(workspace):
    from starlette.websockets import WebSocketDisconnect

    c = _client(workspace, cookies=False)
    with pytest.raises(WebSocketDisconnect) as e:
        with c.websocket_connect(f"ws://127.0.0.1:{PORT}/ws/live"):
            pass
    assert e.value.code == 4401


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1:9999", "127.0.0.1.evil.example:8765",
                                  "localhost:8765@evil.example", ""])
def test_foreign_host_header_refused(workspace, host):
    """DNS rebinding: another site's name pointing at 127.0.0.1 reaches us with its own Host."""
    c = _client(workspace)
    r = c.get("/api/info", headers={"host": host})
    assert r.status_code == 400, host
    assert c.get("/api/info", headers={"host": f"localhost:{PORT}"}).status_code == 200
    assert c.get("/api/info", headers={"host": f"[::1]:{PORT}"}).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", f"http://evil.example:{PORT}", "null",
                                    f"https://127.0.0.1:{PORT}", "http://127.0.0.1:9999", "file://"])
def test_cross_origin_requests_refused(workspace, origin):
    c = _client(workspace)
    assert c.get("/api/files", headers={"origin": origin}).status_code == 403
    assert c.put("/api/upload/a.jsonl", content=b"x", headers={"origin": origin}).status_code == 403
    assert c.get("/api/files", headers={"origin": f"http://localhost:{PORT}"}).status_code == 200


def test_cross_origin_websocket_refused(workspace):
    from starlette.websockets import WebSocketDisconnect

    c = _client(workspace)
    with pytest.raises(WebSocketDisconnect) as e:
        with c.websocket_connect(f"ws://127.0.0.1:{PORT}/ws/live", headers={"origin": "http://evil.example"}):
            pass
    assert e.value.code == 4403


def test_cross_site_post_refused_even_without_origin(workspace):
    c = _client(workspace)
    r = c.put("/api/upload/a.jsonl", content=b"x", headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403
    assert not (workspace / "a.jsonl").exists()


def test_upload_size_limit(workspace, samples):
    c = _client(workspace, max_upload=4096)
    big = b"x" * 5000
    r = c.put("/api/upload/big.jsonl", content=big)
    # refused from its Content-Length before the body is read, naming the file (its name is in the path)
    assert r.status_code == 413 and r.json()["error"] == "big.jsonl: upload larger than 4 KB"
    r = c.put("/api/create/upload/my%20%22clip%22.mp4", content=big)
    assert r.status_code == 413 and r.json()["error"] == 'my "clip".mp4: upload larger than 4 KB'
    # without a Content-Length (chunked): counted while reading, nothing left behind
    r = c.put("/api/upload/big.jsonl", content=iter([big[:3000], big[3000:]]))
    assert r.status_code == 413 and "big.jsonl" in r.json()["error"]
    assert sorted(p.name for p in workspace.iterdir()) == ["take.jsonl"]


def test_upload_validated_by_the_cli_readers(workspace, tmp_path):
    """A bad track is refused with the reader's one-line error naming the file; a good one lands."""
    import facemimic

    c = _client(workspace)
    r = c.put("/api/upload/bad.jsonl", content=b'{"format": "facemimic.track", "schema": 1}\n{"t": "x"}\n')
    assert r.status_code == 422
    msg = r.json()["error"]
    assert msg.startswith("bad.jsonl: ") and "\n" not in msg
    assert not (workspace / "bad.jsonl").exists() and not any(p.name.startswith(".") for p in workspace.iterdir())
    r = c.put("/api/upload/fake.vrm", content=b"PK\x03\x04 not gltf")
    assert r.status_code == 422 and r.json()["error"].startswith("fake.vrm: not a binary glTF")
    assert c.put("/api/upload/run.sh", content=b"rm -rf /").status_code == 400

    good = tmp_path / "good.jsonl"
    facemimic.write_track(facemimic.ExpressionTrack.from_frames(
        [facemimic.ExpressionFrame.from_shapes({"JawOpen": 0.5}, time=t / 30) for t in range(5)]), good)
    r = c.put("/api/upload/good.jsonl", content=good.read_bytes())
    assert r.status_code == 200 and r.json() == {"path": "good.jsonl", "bytes": good.stat().st_size, "kind": "track"}
    back = facemimic.read_track(workspace / "good.jsonl")
    assert back.weights.shape == (5, 88) and abs(back.weights[0, facemimic.UE_NAMES.index("JawOpen")] - 0.5) < 1e-6
    files = c.get("/api/files").json()["files"]
    assert {"path": "good.jsonl", "bytes": good.stat().st_size} in files


# Paths that must not leave the workspace: dot-dot, encoded dot-dot, absolute, backslash, NUL, symlink.
ESCAPES = ["..%2Fsecret.txt", "%2e%2e/secret.txt", "%2E%2E%2Fsecret.txt", "sub/%2e%2e/%2e%2e/secret.txt",
           "%2Ftmp%2Fsecret.txt", "..%5Csecret.txt", "%00secret.txt", "C:%5Csecret.txt"]


@pytest.mark.parametrize("raw", ESCAPES)
def test_workspace_downloads_confined(workspace, raw):
    c = _client(workspace)
    r = c.get("/files/" + raw)
    assert r.status_code in (403, 404), raw
    assert "outside the workspace" not in r.text


def test_symlink_out_of_the_workspace_refused(workspace, tmp_path):
    os.symlink(tmp_path / "secret.txt", workspace / "link.txt")
    os.symlink(tmp_path, workspace / "up")
    c = _client(workspace)
    assert c.get("/files/link.txt").status_code == 403
    assert c.get("/files/up/secret.txt").status_code == 403
    assert all("secret" not in f["path"] and f["path"] != "link.txt" for f in c.get("/api/files").json()["files"])
    # uploading onto a link that points outside is refused too: nothing written through it
    assert c.put("/api/upload/link.txt", content=b"x").status_code == 400
    assert (tmp_path / "secret.txt").read_text() == "outside the workspace"
    os.symlink(tmp_path / "elsewhere.jsonl", workspace / "out.jsonl")
    assert c.put("/api/upload/out.jsonl", content=b"x").status_code == 403
    assert not (tmp_path / "elsewhere.jsonl").exists()


@pytest.mark.parametrize("raw", ["..%2F..%2Fpyproject.toml", "%2e%2e/server.py", "%2E%2E/__init__.py",
                                 "%252e%252e/server.py"])
def test_static_files_confined(workspace, raw):
    c = _client(workspace)
    r = c.get("/static/" + raw)
    assert r.status_code in (403, 404), raw
    assert "create_app" not in r.text
    assert c.get("/static/app.js").status_code == 200


def test_vendor_serves_only_the_two_libraries(workspace, tmp_path):
    c = _client(workspace)
    assert c.get("/vendor/three/build/three.module.js").status_code == 404  # not installed here
    assert "20-gltf-tools.sh" in c.get("/vendor/three/build/three.module.js").json()["error"]
    assert c.get("/vendor/gltf-validator/package.json").status_code == 404
    assert c.get("/vendor/three/%2e%2e/%2e%2e/secret.txt").status_code in (403, 404)


@pytest.mark.parametrize("relative", ["..", "../x", "a/../../x", "/etc/passwd", "a\\..\\x", "x\x00", "~/x", ""])
def test_confine_refuses(tmp_path, relative):
    with pytest.raises(InputError):
        confine(tmp_path, relative)


def test_confine_allows_inside(tmp_path):
    assert confine(tmp_path, "a/b.json") == (tmp_path / "a" / "b.json").resolve()


def test_split_host():
    assert split_host("[::1]:8765") == ("::1", 8765)
    assert split_host("LocalHost:80") == ("localhost", 80)
    assert split_host("127.0.0.1") == ("127.0.0.1", None)
    assert split_host("a:b")[1] == -1
