"""The studio's safety rules for a server on the user's machine (issue #13 §5).

A local web server is reachable by every web page the user visits (through the browser) and, if
bound beyond loopback, by the network. Each rule closes one hole:

* **token**: a per-launch secret in the opened URL (as Jupyter does), then in an HttpOnly,
  SameSite=Strict cookie; every HTTP request and WebSocket without it is refused (401/close 4401);
* **Host allow-list**: a DNS-rebinding page reaches us under *its* host name, so only our own
  names are served (400);
* **Origin check**: a cross-site ``fetch``/WebSocket from another page carries its Origin, which
  must be ours (403);
* **upload limit**: request bodies above ``max_upload_bytes`` are refused (413) before they are read.

Path confinement (files served and written only inside a root) is :func:`confine`.
"""

from __future__ import annotations

import hmac
import json
import ipaddress
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, quote, urlsplit

from ..errors import InputError

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
DEFAULT_MAX_UPLOAD = 200 * 1024 * 1024  # a 3D avatar or a short clip; more is a mistake or an attack


def new_token() -> str:
    """A fresh per-launch secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """True when ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _own_names(bind_host: str) -> set[str]:
    """Host names a browser may use to reach a server bound to ``bind_host``."""
    names = set(LOOPBACK_NAMES)
    if bind_host in WILDCARD_HOSTS:
        # Bound to every interface: the machine's own names and addresses, nothing else.
        hostname = socket.gethostname()
        names |= {hostname, socket.getfqdn()}
        try:
            names |= {info[4][0] for info in socket.getaddrinfo(hostname, None)}
        except OSError:
            pass
    else:
        names.add(bind_host.strip("[]"))
    return {n.lower() for n in names if n}


def split_host(value: str) -> tuple[str, int | None]:
    """``"Host"`` header -> (name, port); ``"[::1]:8765"`` -> ("::1", 8765). Port None if absent."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif value.count(":") == 1:
        name, _, port = value.partition(":")
    else:
        name, port = value, ""
    if port and not port.isdigit():
        return name, -1  # never matches
    return name, int(port) if port else None


@dataclass(frozen=True)
class StudioSecurity:
    """The rules of one studio launch.

    Parameters
    ----------
    token : str
        The per-launch secret.
    port : int
        The port the server listens on (Host and Origin must name it).
    bind_host : str
        The address it is bound to (127.0.0.1 by default).
    max_upload_bytes : int
        Largest request body accepted.
    """

    token: str
    port: int
    bind_host: str = "127.0.0.1"
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    allowed_names: frozenset = field(default=frozenset())

    def __post_init__(self) -> None:
        if not self.allowed_names:
            object.__setattr__(self, "allowed_names", frozenset(_own_names(self.bind_host)))

    @property
    def cookie_name(self) -> str:
        # Cookies are not separated by port: two studios on one machine must not share one.
        return f"facemimic-studio-{self.port}"

    def host_ok(self, host_header: str | None) -> bool:
        """The Host header names this server (one of our names, our port)."""
        if not host_header:
            return False
        name, port = split_host(host_header)
        return name in self.allowed_names and (port == self.port or (port is None and self.port == 80))

    def origin_ok(self, origin: str | None) -> bool:
        """No Origin (same-origin navigation, a non-browser client) or our own http origin."""
        if origin is None:
            return True
        parts = urlsplit(origin)
        if parts.scheme != "http" or not parts.hostname:
            return False  # "null" (sandboxed frames, file://) and https pages of other sites
        try:
            port = parts.port or 80
        except ValueError:
            return False
        return parts.hostname.lower() in self.allowed_names and port == self.port

    def token_ok(self, candidate: str | None) -> bool:
        """Constant-time comparison with the launch token."""
        return bool(candidate) and hmac.compare_digest(candidate.encode(), self.token.encode())

    def url(self, path: str = "/") -> str:
        """The URL to open: loopback name, our port, the token."""
        host = "127.0.0.1" if self.bind_host in WILDCARD_HOSTS or is_loopback(self.bind_host) else self.bind_host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}{path}?token={quote(self.token)}"


def _headers(scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope.get("headers", []):
        key = k.decode("latin-1").lower()
        if key not in out:  # a repeated Host/Origin header: the first one counts (and is checked)
            out[key] = v.decode("latin-1")
    return out


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    for part in header.split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v
    return None


class SecurityMiddleware:
    """ASGI middleware enforcing :class:`StudioSecurity` on every HTTP request and WebSocket.

    A valid ``?token=`` on a GET sets the cookie and redirects to the same URL without the token,
    so the secret does not stay in the address bar or the history.
    """

    def __init__(self, app, security: StudioSecurity) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        sec = self.security
        headers = _headers(scope)
        problem = None
        if not sec.host_ok(headers.get("host")):
            problem = (400, "unknown Host header (the studio answers only to its own address)")
        elif not sec.origin_ok(headers.get("origin")):
            problem = (403, "cross-origin request refused")
        elif scope["type"] == "http" and headers.get("sec-fetch-site") == "cross-site" \
                and scope["method"] not in ("GET", "HEAD"):
            problem = (403, "cross-site request refused")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        url_token = (query.get("token") or [None])[0]
        cookie_token = _cookie(headers.get("cookie"), sec.cookie_name)
        header_token = headers.get("authorization", "").removeprefix("token ").strip() or None
        if problem is None and not (sec.token_ok(url_token) or sec.token_ok(cookie_token)
                                    or sec.token_ok(header_token)):
            problem = (401, "missing or wrong studio token: open the URL the studio printed")
        if problem is None and scope["type"] == "http":
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > sec.max_upload_bytes):
                # the file's name travels in the upload routes' path, not in the body never read
                name = _upload_name(scope.get("path", ""))
                problem = (413, (f"{name}: " if name else "")
                           + f"upload larger than {size_words(sec.max_upload_bytes)}")
        if problem is not None:
            return await self._refuse(scope, receive, send, *problem)
        if scope["type"] == "http" and sec.token_ok(url_token) and scope["method"] == "GET":
            return await self._set_cookie_and_redirect(scope, send)
        if scope["type"] == "http":
            receive = self._limited(receive, send)
        return await self.app(scope, receive, send)

    def _limited(self, receive, send):
        """Counts body bytes of chunked uploads without a Content-Length."""
        limit = self.security.max_upload_bytes
        seen = 0

        async def wrapped():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise UploadTooLarge(limit)
            return message

        return wrapped

    async def _set_cookie_and_redirect(self, scope, send):
        sec = self.security
        query = [(k, v) for k, vs in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()
                 if k != "token" for v in vs]
        location = quote(scope.get("root_path", "") + scope["path"])
        if query:
            location += "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query)
        cookie = f"{sec.cookie_name}={sec.token}; Path=/; HttpOnly; SameSite=Strict"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode("latin-1")), (b"set-cookie", cookie.encode()),
                                (b"cache-control", b"no-store"), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, scope, receive, send, status: int, message: str):
        if scope["type"] == "websocket":
            # Close before accepting: the browser sees a failed handshake (HTTP 403).
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 4000 + status, "reason": message})
            return
        body = json.dumps({"error": message}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def size_words(n: int) -> str:
    """A byte count as people say it: ``200 MB``, ``4 KB``, ``512 bytes``."""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


UPLOAD_ROUTES = ("/api/upload/", "/api/create/upload/")  # PUT <route><file name>


def _upload_name(path: str) -> str:
    """The file name an upload route's ``path`` (ASGI's, already percent-decoded) carries ('' for
    other paths)."""
    for route in UPLOAD_ROUTES:
        if path.startswith(route):
            return path[len(route):].split("/")[-1][:200]
    return ""


class UploadTooLarge(Exception):
    """A request body grew past the limit while it was being read."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"upload larger than {size_words(limit)}")


def confine(root: str | Path, relative: str) -> Path:
    """``root / relative`` if it stays inside ``root`` after resolving symlinks, else an error.

    Parameters
    ----------
    root : str or Path
        The folder everything must stay in (the workspace, the static folder).
    relative : str
        The already URL-decoded path from the request.

    Returns
    -------
    Path
        The resolved path (it may not exist yet).

    Raises
    ------
    InputError
        ``..`` segments, absolute or drive paths, backslashes, NUL or control characters, or a
        symlink that leads outside ``root``.
    """
    text = str(relative)
    if not text or any(ord(c) < 32 for c in text) or "\\" in text or ":" in text:
        raise InputError(relative, "not a plain relative path")
    pure = PurePosixPath(text)
    if pure.is_absolute() or any(part in ("..", ".") for part in pure.parts) or text.startswith("~"):
        raise InputError(relative, "path leaves the allowed folder")
    base = Path(root).resolve()
    target = (base / pure).resolve()  # follows symlinks: a link out of the folder is caught below
    if target != base and not target.is_relative_to(base):
        raise InputError(relative, "path leaves the allowed folder")
    return target
