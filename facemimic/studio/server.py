"""``create_app()``: the studio's FastAPI application (pages, workspace files, live capture).

Everything the studio computes is a call into the library (capture, deliver, the 2D avatar); this
module only wires HTTP and WebSocket routes to those calls, behind :mod:`.security`.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse, Response

from ..errors import FaceMimicError, InputError
from .live import regions
from .security import SecurityMiddleware, StudioSecurity, UploadTooLarge, confine

STATIC_DIR = Path(__file__).with_name("static")
# The JavaScript libraries the page may load from the npm cache (scripts/setup.d/20-gltf-tools.sh);
# nothing else in node_modules is served.
VENDOR_PACKAGES = ("three", "@pixiv/three-vrm")
VENDOR_INSTALL_HINT = "bash scripts/setup.d/20-gltf-tools.sh   (installs three and @pixiv/three-vrm into " \
                      "~/.cache/facemimic/npm; then reload the page)"
# What may be uploaded into the workspace, by extension -> the check that reads it (the CLI's readers).
UPLOAD_KINDS = {".jsonl": "track", ".csv": "track", ".npz": "track", ".json": "profile",
                ".vrm": "model", ".glb": "model",
                **dict.fromkeys((".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"), "image"),
                **dict.fromkeys((".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"), "video")}
# Folder of the workspace each kind is uploaded into ("": the top).
UPLOAD_FOLDERS = {"image": "media", "video": "media"}

# Downloads of a take: the track file formats, then the clip exporters (test head, no avatar).
EXPORT_FORMATS = ("jsonl", "csv", "npz", "glb", "vrma", "anim", "tres")

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("model/gltf-binary", ".glb")
mimetypes.add_type("model/gltf-binary", ".vrm")


def npm_cache_dir() -> Path:
    """Where scripts/setup.d/20-gltf-tools.sh installs the npm packages (``node_modules`` inside)."""
    return Path(os.environ.get("FACEMIMIC_NPM_CACHE", Path.home() / ".cache" / "facemimic" / "npm")) / "node_modules"


def vendor_available(root: Path | None = None) -> bool:
    """True when three.js is installed where the studio serves it from (the 3D panel needs it)."""
    root = root or npm_cache_dir()
    return (root / "three" / "build" / "three.module.js").is_file()


def vrm_library_available(root: Path | None = None) -> bool:
    """True when three-vrm is installed too (``.vrm`` files then load through it; without it they
    load as plain glTF)."""
    root = root or npm_cache_dir()
    return vendor_available(root) and (root / "@pixiv" / "three-vrm" / "lib" / "three-vrm.module.js").is_file()


@dataclass(frozen=True)
class StudioConfig:
    """What one launch serves.

    Parameters
    ----------
    workspace : Path
        The only folder the studio reads user files from and writes into.
    security : StudioSecurity
        Token, own address and upload limit.
    vendor_dir : Path or None
        ``node_modules`` holding three.js and three-vrm (None: :func:`npm_cache_dir`).
    """

    workspace: Path
    security: StudioSecurity
    vendor_dir: Path | None = None


def check_upload(path: Path, name: str) -> str:
    """Read an uploaded file (at ``path``, a temporary name) with the CLI's own reader.

    Returns the file's kind (``UPLOAD_KINDS``); raises the reader's one-line error, naming ``name``.
    """
    suffix = Path(name).suffix.lower()
    kind = UPLOAD_KINDS.get(suffix)
    try:
        _read_as(path, name, kind, suffix)
    except InputError as e:
        raise InputError(name, e.problem) from None
    return kind


def _read_as(path: Path, name: str, kind: str | None, suffix: str) -> None:
    if kind == "track":
        from ..expressions.io import read_track

        read_track(path, fmt=suffix[1:])
    elif kind == "profile":
        from ..capture.calibration import CalibrationProfile

        CalibrationProfile.load(path)
    elif kind in ("image", "video"):
        _read_media(path, name)
    elif kind == "model":
        with open(path, "rb") as f:
            head = f.read(12)
        if len(head) < 12 or head[:4] != b"glTF" or int.from_bytes(head[4:8], "little") != 2:
            raise InputError(name, "not a binary glTF 2.0 file (.vrm/.glb must start with 'glTF', version 2)")


def _read_media(path: Path, name: str) -> None:
    """Open a picture or video as ``facemimic track`` does (the capture stage's ``open_source``) and
    decode it: a photo's pixels, every frame of a video (a video cut short fails at its end)."""
    import tempfile

    from ..capture.api import CaptureOptions
    from ..capture.sources import open_source

    # The source is chosen by the file's extension, as the CLI chooses it: show the reader the
    # upload under its own name (a link to the not-yet-committed temporary file).
    with tempfile.TemporaryDirectory(prefix="facemimic-upload-") as tmp:
        shown = Path(tmp) / Path(name).name
        shown.symlink_to(Path(path).resolve())
        source = open_source(shown, CaptureOptions())
        try:
            for _ in source.frames():
                pass
        finally:
            source.close()


def import_map_hash() -> str:
    """CSP source for the page's inline import map (``'sha256-…'``): it may run, nothing else inline."""
    import base64
    import hashlib
    import re

    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
    if m is None:
        return ""
    return "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode() + "'"


_TEST_HEAD: list[bytes] = []


def test_head_glb() -> bytes:
    """The test head as .glb bytes, built once per process (it takes a few seconds)."""
    if not _TEST_HEAD:
        from ..deliver.export.testhead import build_test_head

        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "testhead.glb"
            build_test_head().save(path)
            _TEST_HEAD.append(path.read_bytes())
    return _TEST_HEAD[0]


def convert_track(source: Path, target: Path, shown: str) -> None:
    """Write the track at ``source`` as ``target`` (its extension names the format)."""
    from ..deliver.export import export_track
    from ..expressions.io import read_track, write_track

    try:
        track = read_track(source)
    except InputError as e:
        raise InputError(shown, e.problem) from None
    if target.suffix in (".jsonl", ".csv", ".npz"):
        write_track(track, target)
    else:
        export_track(track, target)


def create_app(config: StudioConfig):
    """The studio's ASGI app.

    Parameters
    ----------
    config : StudioConfig

    Returns
    -------
    starlette ASGI app
        The FastAPI application wrapped in :class:`~.security.SecurityMiddleware`.
    """
    from .. import __version__
    from ..common.files import AtomicFile

    workspace = Path(config.workspace).resolve()
    vendor_dir = config.vendor_dir or npm_cache_dir()
    app = FastAPI(title="FaceMimic studio", docs_url=None, redoc_url=None, openapi_url=None)

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def file_response(path: Path):
        if not path.is_file():
            return error(404, f"{path.name}: not found")
        return FileResponse(path, headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"})

    page_csp = ("default-src 'self'; script-src 'self' " + import_map_hash() + "; img-src 'self' data: blob:; "
                "media-src 'self' blob:; connect-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
                "frame-ancestors 'none'")

    @app.get("/")
    def index():
        # The page loads only its own scripts (and its import map, by hash); no frame may embed it.
        return FileResponse(STATIC_DIR / "index.html", headers={
            "cache-control": "no-cache", "content-security-policy": page_csp, "x-frame-options": "DENY"})

    @app.get("/api/testhead.glb")
    def testhead():
        """The exporters' procedural test head (88 UE + 52 ARKit morph targets) for the 3D panel."""
        return Response(test_head_glb(), media_type="model/gltf-binary", headers={"cache-control": "no-cache"})

    @app.get("/static/{path:path}")
    def static(path: str):
        try:
            return file_response(confine(STATIC_DIR, path))
        except InputError as e:
            return error(403, str(e))

    @app.get("/vendor/{path:path}")
    def vendor(path: str):
        if not path.startswith(tuple(p + "/" for p in VENDOR_PACKAGES)):
            return error(404, f"{path}: not a vendored library (served: {', '.join(VENDOR_PACKAGES)})")
        try:
            target = confine(vendor_dir, path)
        except InputError as e:
            return error(403, str(e))
        if not target.is_file():
            return error(404, f"{path}: not installed; run {VENDOR_INSTALL_HINT}")
        return file_response(target)

    @app.get("/api/info")
    def info():
        from ..expressions.names import UE_NAMES
        from ..lipsync.transcribe import unavailable_reason

        return {"version": __version__, "workspace": str(workspace), "ue_names": list(UE_NAMES),
                # why "hear the words" cannot run on this machine (None: it can); the pages say so
                "recogniser": unavailable_reason(),
                "vendor": vendor_available(vendor_dir), "vrm_library": vrm_library_available(vendor_dir),
                "vendor_hint": VENDOR_INSTALL_HINT,
                "max_upload_bytes": config.security.max_upload_bytes, "regions": regions(),
                "export_formats": list(EXPORT_FORMATS)}

    @app.get("/api/export/{path:path}")
    def export(path: str, format: str = "jsonl"):
        """A workspace track in another format, through the CLI's writers and exporters."""
        import tempfile

        from starlette.background import BackgroundTask

        if format not in EXPORT_FORMATS:
            return error(400, f"unknown format {format!r}; valid: {', '.join(EXPORT_FORMATS)}")
        try:
            source = confine(workspace, path)
            if not source.is_file():
                raise InputError(path, "not found")
            tmp = Path(tempfile.mkdtemp(prefix="facemimic-studio-export-"))
            target = tmp / (Path(path).stem + "." + format)
            try:
                convert_track(source, target, path)
            except BaseException:
                import shutil

                shutil.rmtree(tmp, ignore_errors=True)
                raise
        except FaceMimicError as e:
            return error(422 if not isinstance(e, InputError) or "leaves" not in str(e) else 403, str(e))
        import shutil

        return FileResponse(target, filename=target.name, media_type="application/octet-stream",
                            background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True))

    @app.get("/api/files")
    def list_files():
        files = []
        for p in sorted(workspace.rglob("*")):
            if p.is_file() and not p.name.startswith(".") and p.resolve().is_relative_to(workspace):
                files.append({"path": p.relative_to(workspace).as_posix(), "bytes": p.stat().st_size})
        return {"files": files}

    @app.get("/files/{path:path}")
    def download(path: str):
        try:
            return file_response(confine(workspace, path))
        except InputError as e:
            return error(403, str(e))

    @app.put("/api/upload/{name}")
    async def upload(name: str, request: Request):
        import asyncio
        import contextlib

        if "/" in name or Path(name).suffix.lower() not in UPLOAD_KINDS:
            return error(400, f"{name}: cannot upload this kind of file "
                              f"(accepted: {', '.join(sorted(UPLOAD_KINDS))})")
        folder = UPLOAD_FOLDERS.get(UPLOAD_KINDS[Path(name).suffix.lower()], "")
        try:
            target = confine(workspace, f"{folder}/{name}" if folder else name)
        except InputError as e:
            return error(403, str(e))
        new_folder = not target.parent.exists()
        target.parent.mkdir(exist_ok=True)
        limit = config.security.max_upload_bytes
        try:
            with AtomicFile(target, "wb") as out:
                size = 0
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise UploadTooLarge(limit)
                    out.file.write(chunk)
                out.file.flush()
                # Validate before the file appears: a bad upload leaves nothing behind. In a
                # thread: decoding a video takes a while and the live socket must keep going.
                kind = await asyncio.get_running_loop().run_in_executor(None, check_upload, out.tmp, name)
        except (UploadTooLarge, FaceMimicError) as e:
            if new_folder:  # nothing of a refused upload stays, not even its folder
                with contextlib.suppress(OSError):
                    target.parent.rmdir()
            return error(413, f"{name}: {e}") if isinstance(e, UploadTooLarge) else error(422, str(e))
        return {"path": target.relative_to(workspace).as_posix(), "bytes": size, "kind": kind}

    from .create import create_router  # issue #14: designer, animation jobs

    app.include_router(create_router(workspace, config.security.max_upload_bytes))

    @app.websocket("/ws/live")
    async def live(ws: WebSocket):
        await live_socket(ws, workspace)

    @app.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    return SecurityMiddleware(app, config.security)


async def live_socket(ws, workspace: Path) -> None:
    """Move messages between one page and its :class:`~.session.LiveSession`.

    Capture runs in one worker thread per socket (MediaPipe's graph stays in it); the event loop
    only receives and sends. The page keeps one frame in flight, so frames never queue up here.
    """
    import asyncio
    import json
    from concurrent.futures import ThreadPoolExecutor

    from starlette.websockets import WebSocketDisconnect

    from .session import LiveSession

    await ws.accept()
    loop = asyncio.get_running_loop()
    worker = ThreadPoolExecutor(1, thread_name_prefix="studio-live")
    session = await loop.run_in_executor(worker, LiveSession, workspace)
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("bytes") is not None:
                replies = await loop.run_in_executor(worker, session.on_frame, message["bytes"])
            else:
                replies = await loop.run_in_executor(worker, session.on_command, message.get("text") or "")
            for reply in replies:
                await ws.send_text(json.dumps(reply, allow_nan=False))
            if message.get("bytes") is not None:
                # The avatar's SVG goes after the weights, so drawing it never delays them.
                avatar = await loop.run_in_executor(worker, session.avatar_message)
                if avatar is not None:
                    await ws.send_text(json.dumps(avatar))
    except WebSocketDisconnect:
        pass
    finally:
        # Submitted, not awaited: even when this task is cancelled the session is closed, in
        # the thread that owns MediaPipe's graph (closing it from another thread can hang).
        worker.submit(session.close)
        worker.shutdown(wait=False)
