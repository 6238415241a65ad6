"""Fast OSC 1.0 encoding and a UDP transport that survives an absent receiver.

python-osc's builders re-encode the address and type tags of every message on every frame; a face
rig sends the same few hundred addresses 60 times a second, so here each address is encoded once
(:class:`FloatSlot`, :class:`BoolSlot`) and a frame only packs the 4-byte values. Messages are
encoded as **bundle elements** (size-prefixed) and packed greedily into ``#bundle`` datagrams of at
most :data:`MAX_DATAGRAM` bytes, the buffer VRCFaceTracking uses.

OSC 1.0 facts used: strings are UTF-8, NUL-terminated and padded to 4 bytes; numbers are
big-endian; ``T``/``F`` bools carry no data; a bundle is ``"#bundle\\0"``, an 8-byte NTP time tag
(``1`` = immediately) and elements each prefixed by an int32 size.
"""

from __future__ import annotations

import errno
import socket
import struct
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..errors import ParameterError

MAX_DATAGRAM = 4096  # bytes: VRCFT's OSC send buffer; far below the UDP/loopback limits
BUNDLE_HEADER = b"#bundle\x00" + struct.pack(">Q", 1)  # time tag 1 = "immediately"

_pack_f = struct.Struct(">f").pack
_pack_i = struct.Struct(">i").pack


def osc_string(text: str) -> bytes:
    """UTF-8 ``text`` NUL-terminated and padded to a multiple of 4 bytes."""
    raw = text.encode("utf-8") + b"\x00"
    return raw + b"\x00" * (-len(raw) % 4)


def encode_message(address: str, *args) -> bytes:
    """One OSC message (no size prefix). ``bool`` -> T/F, ``int`` -> i, ``float`` -> f, ``str`` -> s.

    Parameters
    ----------
    address : str
        Starts with ``/``.
    *args : bool | int | float | str
    """
    if not address.startswith("/"):
        raise ParameterError(f"OSC address must start with '/', got {address!r}")
    tags = [","]
    data = []
    for a in args:
        if a is True:
            tags.append("T")
        elif a is False:
            tags.append("F")
        elif isinstance(a, int):
            tags.append("i")
            data.append(_pack_i(a))
        elif isinstance(a, float):
            tags.append("f")
            data.append(_pack_f(a))
        elif isinstance(a, str):
            tags.append("s")
            data.append(osc_string(a))
        else:
            raise ParameterError(f"cannot encode OSC argument {a!r} of type {type(a).__name__}")
    return osc_string(address) + osc_string("".join(tags)) + b"".join(data)


def element(message: bytes) -> bytes:
    """A message as a bundle element: int32 size prefix + message."""
    return _pack_i(len(message)) + message


class FloatSlot:
    """A float parameter at a fixed address; :meth:`element` packs only the value."""

    __slots__ = ("address", "_head")

    def __init__(self, address: str) -> None:
        self.address = address
        body = osc_string(address) + b",f\x00\x00"
        self._head = _pack_i(len(body) + 4) + body

    def element(self, value: float) -> bytes:
        """The size-prefixed message carrying ``value`` (float32)."""
        return self._head + _pack_f(value)


class BoolSlot:
    """A bool parameter at a fixed address: both possible elements are pre-encoded."""

    __slots__ = ("address", "_true", "_false")

    def __init__(self, address: str) -> None:
        self.address = address
        self._true = element(osc_string(address) + b",T\x00\x00")
        self._false = element(osc_string(address) + b",F\x00\x00")

    def element(self, value: bool) -> bytes:
        """The size-prefixed ``T`` or ``F`` message."""
        return self._true if value else self._false


def pack_bundles(elements: Sequence[bytes], *, max_size: int = MAX_DATAGRAM) -> list[bytes]:
    """Pack bundle elements, in order, into as few ``#bundle`` datagrams of ≤ ``max_size`` bytes.

    Parameters
    ----------
    elements : sequence of bytes
        Size-prefixed messages (:func:`element`, ``*Slot.element``).
    max_size : int
        Upper bound of each datagram in bytes.

    Returns
    -------
    list[bytes]
        Datagrams; empty when ``elements`` is empty. Order is preserved across datagrams.
    """
    room = max_size - len(BUNDLE_HEADER)
    sizes = list(map(len, elements))
    if sum(sizes) <= room:  # the common case: one datagram
        return [BUNDLE_HEADER + b"".join(elements)] if sizes else []
    out: list[bytes] = []
    chunk: list[bytes] = []
    size = 0
    for e in elements:
        n = len(e)
        if n > room:
            raise ParameterError(f"OSC message of {n} bytes does not fit a {max_size}-byte bundle")
        if size + n > room:
            out.append(BUNDLE_HEADER + b"".join(chunk))
            chunk, size = [], 0
        chunk.append(e)
        size += n
    if chunk:
        out.append(BUNDLE_HEADER + b"".join(chunk))
    return out


def resolve_target(host: str, port: int) -> tuple[str, int]:
    """Check ``host``/``port`` and resolve the host to an IPv4/IPv6 address (one-line errors)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ParameterError(f"invalid port {port!r}: must be an integer from 1 to 65535")
    if not host or any(c.isspace() for c in host):
        raise ParameterError(f"invalid host {host!r}")
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as e:
        raise ParameterError(f"invalid host {host!r}: {getattr(e, 'strerror', None) or e}") from None
    family, _, _, _, addr = info[0]
    return addr[0], port


@dataclass
class UdpTransport:
    """Connected UDP socket that counts, instead of raising, receiver errors.

    UDP has no connection, but a *connected* socket receives the ICMP "port unreachable" that a
    host answers when nothing listens; Linux reports it as ``ConnectionRefusedError`` on a later
    send. A live stream must keep going (the receiver may start later), so such errors are counted
    in :attr:`errors` and the datagram is lost.
    """

    host: str
    port: int
    sent_datagrams: int = 0  # datagrams handed to the kernel
    sent_bytes: int = 0  # bytes of those datagrams
    errors: int = 0  # sends that failed (ICMP unreachable, network down …)
    last_error: str = ""  # text of the most recent failure
    _sock: socket.socket | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        addr, port = resolve_target(self.host, self.port)
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self._sock.connect((addr, port))
        except OSError as e:
            self._sock.close()
            raise ParameterError(f"cannot send to {self.host}:{self.port}: {e.strerror or e}") from None

    def send(self, datagrams: Iterable[bytes]) -> int:
        """Send each datagram; returns how many went out (failures are counted, not raised)."""
        ok = 0
        sock = self._sock
        for d in datagrams:
            try:
                sock.send(d)
            except OSError as e:  # ConnectionRefusedError (ICMP), ENETUNREACH, ENOBUFS …
                self.errors += 1
                self.last_error = errno.errorcode.get(e.errno, "") or str(e)
                continue
            ok += 1
            self.sent_datagrams += 1
            self.sent_bytes += len(d)
        return ok

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> "UdpTransport":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- decoding (for the few messages FaceMimic listens to, e.g. VRChat's /avatar/change) ---------
def _read_string(data: bytes, i: int) -> tuple[str, int]:
    end = data.index(b"\x00", i)
    return data[i:end].decode("utf-8", "replace"), end + 1 + (-(end + 1 - i) % 4)


def decode_packet(data: bytes) -> list[tuple[str, tuple]]:
    """Messages of one OSC datagram (bundles flattened, in order) as ``(address, args)``.

    Supports the types VRChat and VMC senders use (``i f s T F N``); a malformed datagram
    raises ``ValueError``.
    """
    out: list[tuple[str, tuple]] = []
    try:
        _decode(memoryview(data).tobytes(), out)
    except (IndexError, struct.error) as e:
        raise ValueError(f"malformed OSC datagram ({e})") from None
    return out


def _decode(data: bytes, out: list) -> None:
    if data.startswith(b"#bundle\x00"):
        i = 16
        while i < len(data):
            (n,) = struct.unpack_from(">i", data, i)
            if n < 0 or i + 4 + n > len(data):
                raise ValueError("bundle element overruns the datagram")
            _decode(data[i + 4:i + 4 + n], out)
            i += 4 + n
        return
    address, i = _read_string(data, 0)
    if not address.startswith("/"):
        raise ValueError(f"not an OSC message (address {address!r})")
    if i >= len(data):
        out.append((address, ()))
        return
    tags, i = _read_string(data, i)
    args: list = []
    for t in tags.lstrip(","):
        if t == "i":
            args.append(struct.unpack_from(">i", data, i)[0])
            i += 4
        elif t == "f":
            args.append(struct.unpack_from(">f", data, i)[0])
            i += 4
        elif t == "s":
            s, i = _read_string(data, i)
            args.append(s)
        elif t in "TF":
            args.append(t == "T")
        elif t == "N":
            args.append(None)
        else:
            raise ValueError(f"unsupported OSC type tag {t!r}")
    out.append((address, tuple(args)))


class UdpListener:
    """Non-blocking UDP receiver: :meth:`poll` returns the OSC messages that arrived since last time."""

    def __init__(self, host: str = "127.0.0.1", port: int = 9001) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ParameterError(f"invalid listen port {port!r}: must be an integer from 0 to 65535")
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.bind((host, port))
        except OSError as e:
            self._sock.close()
            hint = " (is another OSC app, e.g. VRCFaceTracking, using it?)" if e.errno == errno.EADDRINUSE else ""
            raise ParameterError(f"cannot listen on {host}:{port}: {e.strerror or e}{hint}") from None
        self._sock.setblocking(False)
        self.host, self.port = host, self._sock.getsockname()[1]
        self.malformed = 0  # datagrams that were not OSC

    def poll(self) -> list[tuple[str, tuple]]:
        """All messages waiting in the socket buffer (never blocks)."""
        out: list[tuple[str, tuple]] = []
        while True:
            try:
                data = self._sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return out
            except OSError:
                return out
            try:
                out += decode_packet(data)
            except ValueError:
                self.malformed += 1

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
