"""Fixtures for the live-delivery tests: two independent OSC receivers and an avatar config.

* ``osc_receiver``: python-osc's ``ThreadingOSCUDPServer`` + ``Dispatcher`` on 127.0.0.1, port 0.
  Datagrams are also recorded raw, in arrival order, before python-osc dispatches them.
* ``osc_dump``: Debian liblo's ``oscdump`` (scripts/setup.d/10-liblo-tools.sh) on a free port.
* ``osc_avatar_config``: a VRChat avatar OSC config JSON laid out like Jerry's Unified Expressions
  template (spec §2.3), with VRChat's built-in output-only parameters, unrelated toggles and
  decoys that VRCFT's matching rule must reject.
* ``osc_tracked``: a real track of ``single_face.mp4`` through the capture API (session-scoped).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

# --------------------------------------------------------------------------------------------
# python-osc receiver


class _Receiver:
    def __init__(self) -> None:
        from pythonosc.dispatcher import Dispatcher
        from pythonosc.osc_server import ThreadingOSCUDPServer

        self.datagrams: list[bytes] = []  # raw, in arrival order
        self.dispatched: list[tuple[str, tuple]] = []  # via python-osc's Dispatcher (any order)
        self._lock = threading.Lock()
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(self._on_message)
        receiver = self

        class Server(ThreadingOSCUDPServer):
            def verify_request(self, request, client_address):  # runs in the serving thread, in order
                with receiver._lock:
                    receiver.datagrams.append(bytes(request[0]))
                return super().verify_request(request, client_address)

        self.server = Server(("127.0.0.1", 0), dispatcher)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()

    def _on_message(self, address, *args) -> None:
        with self._lock:
            self.dispatched.append((address, args))

    def messages(self) -> list[tuple[str, tuple]]:
        """Every message, in arrival order, parsed by python-osc's OscPacket (bundles unpacked)."""
        from pythonosc.osc_packet import OscPacket

        with self._lock:
            raw = list(self.datagrams)
        out = []
        for d in raw:
            for m in OscPacket(d).messages:
                out.append((m.message.address, tuple(m.message.params)))
        return out

    def wait(self, *, count: int | None = None, quiet: float = 0.3, timeout: float = 10.0) -> list:
        """Wait until ``count`` messages arrived (or nothing new for ``quiet`` s); return them."""
        end = time.monotonic() + timeout
        last_n, last_change = -1, time.monotonic()
        while time.monotonic() < end:
            msgs = self.messages()
            if count is not None and len(msgs) >= count:
                break
            if len(msgs) != last_n:
                last_n, last_change = len(msgs), time.monotonic()
            elif count is None and time.monotonic() - last_change >= quiet:
                break
            time.sleep(0.02)
        # Let python-osc's handler threads finish dispatching too.
        time.sleep(0.05)
        return self.messages()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def osc_receiver():
    """python-osc receiver on 127.0.0.1 (``.port``, ``.messages()``, ``.datagrams``, ``.wait()``)."""
    r = _Receiver()
    try:
        yield r
    finally:
        r.close()


# --------------------------------------------------------------------------------------------
# oscdump receiver


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _OscDump:
    PROBE = "/facemimic/test/probe"

    def __init__(self, exe: str) -> None:
        self.port = _free_udp_port()
        self.proc = subprocess.Popen([exe, "-L", str(self.port)], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._wait_ready()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    def _wait_ready(self) -> None:
        # oscdump prints nothing when it starts: probe until it echoes a message.
        from pythonosc.udp_client import SimpleUDPClient

        client = SimpleUDPClient("127.0.0.1", self.port)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"oscdump exited: {self.raw_lines()}")
            client.send_message(self.PROBE, 1)
            time.sleep(0.05)
            if any(self.PROBE in ln for ln in self.raw_lines()):
                return
        raise RuntimeError("oscdump did not start listening within 10 s")

    def raw_lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def records(self) -> list[tuple[str, str, list[str]]]:
        """``(address, type tags, [argument texts])`` per message, probes removed, in order."""
        out = []
        for ln in self.raw_lines():
            parts = ln.split()
            if len(parts) < 2 or parts[1] == self.PROBE:
                continue
            # "<timetag> <address> <types> <args…>"; a message without arguments has no types.
            address = parts[1]
            types = parts[2] if len(parts) > 2 else ""
            out.append((address, types, parts[3:]))
        return out

    def wait(self, *, count: int | None = None, quiet: float = 0.3, timeout: float = 10.0):
        end = time.monotonic() + timeout
        last_n, last_change = -1, time.monotonic()
        while time.monotonic() < end:
            n = len(self.records())
            if count is not None and n >= count:
                break
            if n != last_n:
                last_n, last_change = n, time.monotonic()
            elif count is None and time.monotonic() - last_change >= quiet:
                break
            time.sleep(0.02)
        return self.records()

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def osc_dump():
    """Debian liblo's ``oscdump`` on a free UDP port (``.port``, ``.wait()`` -> records)."""
    exe = shutil.which("oscdump")
    if exe is None:
        pytest.fail("oscdump not found: run scripts/setup.d/10-liblo-tools.sh (apt-get install liblo-tools)",
                    pytrace=False)
    d = _OscDump(exe)
    try:
        yield d
    finally:
        d.close()


# --------------------------------------------------------------------------------------------
# Avatar config modelled on Jerry's UE template (spec §2.3)

JERRY_FLOATS = ("EyeLeftX", "EyeRightX", "EyeY", "EyeLidLeft", "EyeLidRight", "JawOpen", "MouthClosed",
                "MouthUpperUp")
JERRY_3BIT = ("EyeSquintLeft", "EyeSquintRight", "MouthLowerDown", "LipFunnel", "LipPucker", "NoseSneer",
              "MouthStretchLeft", "MouthStretchRight", "MouthTightenerLeft", "MouthTightenerRight",
              "LipSuckUpper", "LipSuckLower", "JawForward", "TongueOut", "PupilDilation",
              "MouthRaiserLower", "MouthRaiserUpper")
JERRY_3BIT_NEG = ("SmileFrownLeft", "SmileFrownRight", "BrowExpressionLeft", "BrowExpressionRight", "JawX",
                  "TongueX", "TongueY", "CheekPuffSuckLeft", "CheekPuffSuckRight")
JERRY_4BIT_NEG = ("MouthX",)
# Parameters that look like face tracking but must NOT be sent (VRCFT's rule rejects them).
DECOYS = (
    ("JawOpen", "Float"),  # a v1-era name without v2/
    ("Legacy/v1/v2/TongueRoll", "Float"),  # "/v2/…" preceded by v1: VRCFT's look-behind rejects it
    ("FT/v2/CheekPuffLeft", "Int"),  # right name, wrong type
    ("FT/v2/MouthClosedX", "Float"),  # different name that only starts like one
    ("FT/v2/NoseSneer3", "Bool"),  # 3 is not a power of two: not a bit
)
VRCHAT_BUILTINS = (  # output-only: VRChat sends them, nobody can set them
    ("VelocityX", "Float"), ("VelocityY", "Float"), ("VelocityZ", "Float"), ("AngularY", "Float"),
    ("Upright", "Float"), ("Grounded", "Bool"), ("Seated", "Bool"), ("AFK", "Bool"),
    ("TrackingType", "Int"), ("VRMode", "Int"), ("MuteSelf", "Bool"), ("InStation", "Bool"),
    ("GestureLeft", "Int"), ("GestureRight", "Int"), ("GestureLeftWeight", "Float"),
    ("GestureRightWeight", "Float"), ("Viseme", "Int"), ("IsLocal", "Bool"), ("Voice", "Float"),
)


def _entry(name: str, typ: str, *, settable: bool = True) -> dict:
    out = {"address": f"/avatar/parameters/{name}", "type": typ}
    e = {"name": name}
    if settable:
        e["input"] = dict(out)
    e["output"] = out
    return e


def jerry_avatar_json() -> dict:
    """A VRChat OSC config dict: Jerry's UE layout, built-ins, toggles and decoys."""
    params = [_entry(n, t, settable=False) for n, t in VRCHAT_BUILTINS]
    params += [_entry("Toggles/Hat", "Bool"), _entry("Hue", "Float"), _entry("Outfit", "Int")]
    params += [_entry(f"FT/v2/{n}", "Float") for n in JERRY_FLOATS]
    for names, bits, neg in ((JERRY_3BIT, 3, False), (JERRY_3BIT_NEG, 3, True), (JERRY_4BIT_NEG, 4, True)):
        for n in names:
            params += [_entry(f"FT/v2/{n}{1 << i}", "Bool") for i in range(bits)]
            if neg:
                params.append(_entry(f"FT/v2/{n}Negative", "Bool"))
    params += [_entry("EyeTrackingActive", "Bool"), _entry("LipTrackingActive", "Bool")]
    params += [_entry(n, t) for n, t in DECOYS]
    return {"id": "avtr_c38a1615-5bf5-42b4-84eb-a8b6c37cbd11", "name": "Jerry UE Template Test",
            "parameters": params}


@pytest.fixture(scope="session")
def osc_avatar_config(tmp_path_factory) -> Path:
    """Path of the Jerry-layout avatar OSC config, written with a UTF-8 BOM as VRChat does."""
    path = tmp_path_factory.mktemp("vrchat_osc") / "avtr_c38a1615-5bf5-42b4-84eb-a8b6c37cbd11.json"
    path.write_text(json.dumps(jerry_avatar_json(), indent=2), encoding="utf-8-sig")
    return path


@pytest.fixture(scope="session")
def osc_tracked(samples):
    """A real ExpressionTrack of ``single_face.mp4`` (72 frames, 30 fps) via the capture API."""
    from facemimic.capture.api import track

    return track(str(samples / "single_face.mp4"))


@pytest.fixture(scope="session")
def osc_jerry_layout() -> dict:
    """The layout ``osc_avatar_config`` encodes: floats, binary families (bits, Negative), decoys."""
    binaries = {**{n: (3, False) for n in JERRY_3BIT}, **{n: (3, True) for n in JERRY_3BIT_NEG},
                **{n: (4, True) for n in JERRY_4BIT_NEG}}
    return {"floats": JERRY_FLOATS, "binaries": binaries, "decoys": DECOYS}
