"""The VMC protocol (Virtual Motion Capture): FaceMimic as a *Performer* feeding a *Marionette*.

Receivers (VSeeFace, Warudo, VNyan, VMagicMirror, EVMC4U …) listen on UDP 39539 for OSC. Per frame
FaceMimic sends one bundle stream, in this order (spec ``unified-expressions.md`` §4,
protocol.vmc.info):

1. ``/VMC/Ext/OK 1 3 0 <tracking>`` - loaded, calibrated, normal mode, tracking 1/0 (v2.7);
2. ``/VMC/Ext/T <time>`` - seconds since the stream started;
3. ``/VMC/Ext/Bone/Pos "Head" px py pz qx qy qz qw`` and, with eye bones, ``"LeftEye"``/``"RightEye"``;
4. ``/VMC/Ext/Blend/Val <name> <value>`` for each VRM 0.x clip (``A`` … ``Blink_R``) or, with
   perfect sync, the 52 ARKit names;
5. ``/VMC/Ext/Blend/Apply`` - after every ``Val`` of the frame.

Axes. VMC uses Unity's left-handed frame: +X the avatar's right, +Y up, +Z the avatar's forward
(towards the camera when it faces you). FaceMimic's head angles are the subject's own (+yaw turns to
their right, +pitch looks down, +roll tilts to their left), and the avatar mirrors the subject's
sides (subject's right = avatar's right, like every VTuber app), so:

* yaw   -> rotation about **+Y** by +yaw   (Unity: +Y turns forward towards +X, the right);
* pitch -> rotation about **+X** by +pitch (Unity: +X turns forward towards -Y, down);
* roll  -> rotation about **+Z** by +roll  (Unity: +Z turns up towards -X, the avatar's left);

composed in Unity's ``Quaternion.Euler`` order (Z, then X, then Y: ``q = qY · qX · qZ``).
Head position: camera-frame metres (x right in the image, y down, z away) become Unity metres
relative to the first tracked position: ``(X, Y, Z) = -(x, y, z)``.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from .osc import element, encode_message, osc_string
from .vrm_mapping import STANDARDS

DEFAULT_PORT = 39539  # Marionette (receiver) port in the VMC spec

_pack_f = struct.Struct(">f").pack
_BLEND_VAL = osc_string("/VMC/Ext/Blend/Val") + osc_string(",sf")
_APPLY = element(encode_message("/VMC/Ext/Blend/Apply"))


def _axis_quat(axis: int, degrees: float) -> np.ndarray:
    q = np.zeros(4)
    h = math.radians(degrees) / 2
    q[axis] = math.sin(h)
    q[3] = math.cos(h)
    return q


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ])


def head_quaternion(yaw: float, pitch: float, roll: float) -> tuple[float, float, float, float]:
    """Unity quaternion ``(x, y, z, w)`` for FaceMimic head angles in degrees.

    Parameters
    ----------
    yaw, pitch, roll : float
        Degrees: +yaw turns to the subject's right, +pitch looks down, +roll tilts to their left.

    Returns
    -------
    tuple of 4 floats
        ``Quaternion.Euler(pitch, yaw, roll)`` in Unity's left-handed frame (``w`` last).
    """
    q = _qmul(_qmul(_axis_quat(1, yaw), _axis_quat(0, pitch)), _axis_quat(2, roll))
    if q[3] < 0:  # one canonical hemisphere, so receivers that interpolate don't spin
        q = -q
    return tuple(float(v) for v in q)


def eye_quaternion(gaze_x: float, gaze_y: float) -> tuple[float, float, float, float]:
    """Eye bone rotation from VRCFT gaze (``tan`` of the angle, +x right, +y up)."""
    yaw = math.degrees(math.atan(gaze_x))
    pitch = -math.degrees(math.atan(gaze_y))  # +pitch looks down
    return head_quaternion(yaw, pitch, 0.0)


def unity_position(camera_xyz, origin) -> tuple[float, float, float]:
    """Camera-frame metres -> Unity metres relative to ``origin``: ``-(p - origin)``."""
    return tuple(float(-(p - o)) for p, o in zip(camera_xyz, origin))


@dataclass(frozen=True)
class VMCOptions:
    """Options of the VMC output (validated in :meth:`__post_init__`)."""

    standard: str = "vrm0"  # blendshape names: "vrm0" clips or "arkit" (perfect sync)
    head: bool = True  # send /VMC/Ext/Bone/Pos "Head"
    head_position: bool = True  # head bone position = offset from the first tracked position
    eye_bones: bool = True  # send LeftEye/RightEye bone rotations from gaze

    def __post_init__(self) -> None:
        if self.standard not in ("vrm0", "arkit"):
            raise ParameterError(f"VMC blendshape names must be vrm0 or arkit, got {self.standard!r}")


class VMCEncoder:
    """Turns :class:`ExpressionFrame` s into VMC bundle elements (everything, every frame).

    VMC receivers expect a continuous stream (no send-on-change): each frame carries all clips,
    the head/eye bones and ``Apply``. In a gap (no face) the last values are held and
    ``/VMC/Ext/OK`` reports tracking 0.
    """

    def __init__(self, options: VMCOptions | None = None) -> None:
        self.options = options or VMCOptions()
        self._convert = STANDARDS[self.options.standard]
        self._t0: float | None = None
        self._origin: tuple[float, float, float] | None = None
        self._last: dict[str, float] = {}
        self._last_head: tuple | None = None
        self._names_cache: dict[str, bytes] = {}

    def _val(self, name: str, value: float) -> bytes:
        head = self._names_cache.get(name)
        if head is None:
            head = self._names_cache[name] = _BLEND_VAL + osc_string(name)
        msg = head + _pack_f(value)
        return len(msg).to_bytes(4, "big") + msg

    def start(self, now: float = 0.0) -> list[bytes]:
        """Messages when streaming starts (none: VMC has no handshake for performers)."""
        self._t0 = now
        return []

    def stop(self, now: float = 0.0) -> list[bytes]:
        """Messages when streaming stops: ``OK`` with tracking 0."""
        return [element(encode_message("/VMC/Ext/OK", 1, 3, 0, 0))]

    def blend_values(self, frame) -> dict[str, float]:
        """``{clip name: weight}`` for ``frame`` (NaN in a gap)."""
        w = self._convert(frame.weights, frame.gaze, np.array(frame.openness, np.float32))
        return {k: float(v) for k, v in w.items()}

    def encode(self, frame, now: float) -> list[bytes]:
        """All messages of one frame, in VMC order (OK, T, bones, Blend/Val…, Blend/Apply)."""
        if self._t0 is None:
            self._t0 = now
        o = self.options
        tracking = bool(frame.present)
        out = [element(encode_message("/VMC/Ext/OK", 1, 3, 0, int(tracking))),
               element(encode_message("/VMC/Ext/T", float(now - self._t0)))]
        rot = tuple(frame.head_rotation)
        pos = tuple(frame.head_position)
        if tracking and all(math.isfinite(v) for v in rot + pos):
            if self._origin is None:
                self._origin = pos
            p = unity_position(pos, self._origin) if o.head_position else (0.0, 0.0, 0.0)
            self._last_head = p + head_quaternion(*rot)
        if o.head and self._last_head is not None:
            out.append(element(encode_message("/VMC/Ext/Bone/Pos", "Head", *self._last_head)))
        if o.eye_bones:
            for bone, (gx, gy) in (("LeftEye", frame.gaze_left), ("RightEye", frame.gaze_right)):
                if math.isfinite(gx) and math.isfinite(gy):
                    q = eye_quaternion(gx, gy)
                    out.append(element(encode_message("/VMC/Ext/Bone/Pos", bone, 0.0, 0.0, 0.0, *q)))
        values = self.blend_values(frame)
        for name, v in values.items():
            if math.isnan(v):
                v = self._last.get(name, math.nan)  # gap: hold the last value
                if math.isnan(v):
                    continue
            self._last[name] = v
            out.append(self._val(name, v))
        out.append(_APPLY)
        return out
