"""Start the studio: bind a socket, build the app, serve it with uvicorn, open the browser."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import OutputError, ParameterError
from .security import DEFAULT_MAX_UPLOAD, StudioSecurity, is_loopback, new_token
from .server import StudioConfig, create_app


def prepare_workspace(path: str | Path) -> Path:
    """Create the workspace folder if needed; -> its resolved path. One-line error if impossible."""
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise OutputError(p, "is a file, not a folder (the studio's workspace must be a folder)")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(p, f"cannot create the workspace ({e.strerror or e})") from None
    return p.resolve()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port)."""
    if not 0 <= port <= 65535:
        raise ParameterError(f"port must be 0 to 65535, got {port}")
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ParameterError(f"host {host!r}: {e.strerror}") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as e:
        sock.close()
        raise ParameterError(f"cannot listen on {host}:{port} ({e.strerror or e}); "
                             "is another studio running? try --port") from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


@dataclass
class Studio:
    """A running (or ready) studio: its URL, app, socket and uvicorn server."""

    url: str
    security: StudioSecurity
    workspace: Path
    app: object
    sock: socket.socket
    server: object = None
    thread: threading.Thread | None = None

    def serve(self) -> None:
        """Serve until Ctrl-C (blocking)."""
        self.server.run(sockets=[self.sock])

    def start_in_thread(self) -> "Studio":
        """Serve from a daemon thread (tests, benchmarks); returns once it accepts requests."""
        import time

        self.thread = threading.Thread(target=self.serve, name="facemimic-studio", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Ask uvicorn to finish and wait for it."""
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.sock.close()


def make_studio(*, workspace: str | Path, host: str = "127.0.0.1", port: int = 8765,
                max_upload_bytes: int = DEFAULT_MAX_UPLOAD, token: str | None = None,
                vendor_dir: Path | None = None) -> Studio:
    """Bind and build a studio (not yet serving).

    Parameters
    ----------
    workspace : str or Path
        Folder for profiles, takes and uploads (created if missing).
    host, port : str, int
        Where to listen (port 0: a free port).
    max_upload_bytes : int
        Largest accepted request body.
    token : str, optional
        The launch secret (default: a fresh random one).
    vendor_dir : Path, optional
        ``node_modules`` with three.js / three-vrm (default: the npm cache).
    """
    import uvicorn

    ws = prepare_workspace(workspace)
    sock = bind_socket(host, port)
    actual_port = sock.getsockname()[1]
    security = StudioSecurity(token=token or new_token(), port=actual_port, bind_host=host,
                              max_upload_bytes=max_upload_bytes)
    app = create_app(StudioConfig(workspace=ws, security=security, vendor_dir=vendor_dir))
    config = uvicorn.Config(app, log_level="warning", ws="websockets-sansio", lifespan="off",
                            ws_max_size=8 * 1024 * 1024)
    server = uvicorn.Server(config)
    return Studio(url=security.url(), security=security, workspace=ws, app=app, sock=sock, server=server)


def run_studio(*, workspace: str | Path, host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True,
               echo: Callable[[str], None] = print) -> None:
    """``facemimic studio``: serve until Ctrl-C, opening the browser on the tokenised URL."""
    studio = make_studio(workspace=workspace, host=host, port=port)
    if not is_loopback(host):
        echo(f"Warning: listening on {host}, reachable from other machines; anyone with the URL's "
             "token can use your camera feed and workspace. Use the default 127.0.0.1 unless you need this.")
    echo(f"FaceMimic studio: {studio.url}")
    echo(f"Workspace: {studio.workspace}   (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, args=(studio.url,)).start()
    try:
        studio.serve()
    finally:
        studio.sock.close()
