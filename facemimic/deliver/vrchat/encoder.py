"""The per-frame VRChat OSC encoder: :class:`ExpressionFrame` s in, send-on-change OSC bundle elements out.

Values come from :mod:`.evaluate`, addresses and types from a :mod:`.plan`; floats, bool families,
binary bits, the ``*TrackingActive`` flags and VRChat's native eye messages go through one change filter
each (:class:`~facemimic.deliver.pacing.ChangeFilter`). Non-finite values are never sent and every float
is clamped to its parameter's range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ...errors import ParameterError
from ...expressions.names import UE_NAMES, UE_SIMPLE_NAMES
from ...expressions.vrcft import PARAMETER_NAMES
from ..osc import BoolSlot, FloatSlot, element, encode_message
from ..pacing import ChangeFilter
from .avatar_config import AvatarConfig
from .binary import BinarySpec, binary_int
from .evaluate import parameter_floor, shared_evaluator
from .names import (DEFAULT_PREFIX, NAME_INDEX, NATIVE_CLOSED_ADDRESS, NATIVE_GAZE_ADDRESS, check_parameter_name,
                    normalise_prefix)
from .plan import check_native_eyes, plan_parameters

# Bool threshold of each parameter's bool family: 0 for base and simple shapes, 0.5 for the rest.
_BOOL_THRESHOLD = np.array([0.0 if (n in UE_NAMES or n in UE_SIMPLE_NAMES) else 0.5
                            for n in PARAMETER_NAMES], np.float32)


@dataclass(frozen=True)
class VRChatOptions:
    """Options of the VRChat/VRCFT OSC output (validated in :meth:`__post_init__`)."""

    prefix: str = DEFAULT_PREFIX  # without an avatar config: /avatar/parameters/<prefix>v2/<Name>
    avatar: AvatarConfig | None = None  # send only this avatar's parameters
    binary: Mapping[str, BinarySpec] = field(default_factory=dict)  # without avatar: binary families
    floats: bool = True  # without avatar: send the float parameters
    native_eyes: str = "auto"  # VRChat /tracking/eye/*: auto|on|off
    tracking_active: bool = True  # send Eye/Expression/LipTrackingActive
    keepalive_s: float = 1.0  # resend every value this often even if unchanged
    epsilon: float = 0.0  # a float must change by more than this to be resent
    lost_after_s: float = 1.0  # *TrackingActive turn false after this long without a face
    head_origin: tuple[float, float, float] | None = None  # head rest position, camera frame (m); None: first tracked

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", normalise_prefix(self.prefix))
        check_native_eyes(self.native_eyes)
        for n, s in dict(self.binary).items():
            check_parameter_name(n)
            if not isinstance(s, BinarySpec):
                raise ParameterError(f"binary spec for {n!r} must be a BinarySpec")
        for label, v in (("keep-alive", self.keepalive_s), ("lost-after", self.lost_after_s)):
            if not (v > 0 and math.isfinite(v)):
                raise ParameterError(f"{label} time must be a positive number of seconds, got {v!r}")
        if not (self.epsilon >= 0):
            raise ParameterError(f"epsilon must be >= 0, got {self.epsilon!r}")


def gaze_pitch_yaw(gaze: np.ndarray) -> tuple[float, float, float, float]:
    """VRCFT gaze ``[[lx, ly], [rx, ry]]`` -> VRChat ``[L.pitch, L.yaw, R.pitch, R.yaw]`` degrees.

    VRCFT ``Vector2.ToYaw() = atan(x)``, ``ToPitch() = -atan(y)``: +pitch looks down, +yaw right.
    """
    g = np.asarray(gaze, np.float64)
    deg = np.degrees(np.arctan(g))
    # "+ 0.0" turns -0.0 into 0.0 so an idle gaze is not sent as a change.
    return (float(-deg[0, 1]) + 0.0, float(deg[0, 0]), float(-deg[1, 1]) + 0.0, float(deg[1, 0]))


class VRChatEncoder:
    """Turns :class:`ExpressionFrame` s into OSC bundle elements for VRChat, send-on-change.

    Call :meth:`start` once, :meth:`encode` per frame and :meth:`stop` at the end; each returns
    size-prefixed messages for :func:`facemimic.deliver.osc.pack_bundles`.
    """

    def __init__(self, options: VRChatOptions | None = None) -> None:
        self.options = o = options or VRChatOptions()
        self.plan = plan = plan_parameters(avatar=o.avatar, prefix=o.prefix, binary=o.binary,
                                           floats=o.floats, native_eyes=o.native_eyes,
                                           tracking_active=o.tracking_active)
        # One value vector: [floats | bools | binary bits (+negatives)]; one change filter.
        self._float_idx = np.array([NAME_INDEX[n] for n, _ in plan.floats], np.intp)
        self._bool_idx = np.array([NAME_INDEX[n] for n, _ in plan.bools], np.intp)
        self._bool_thr = _BOOL_THRESHOLD[self._bool_idx]
        slots: list = [FloatSlot(a) for _, a in plan.floats] + [BoolSlot(a) for _, a in plan.bools]
        self._binaries = []
        for t in plan.binaries:
            start = len(slots)
            slots += [BoolSlot(a) for _, a in t.bits]
            if t.negative is not None:
                slots.append(BoolSlot(t.negative))
            self._binaries.append((NAME_INDEX[t.name], t, start))
        self._slots = slots
        self._float_heads = [s.element(0.0)[:-4] for s in slots[:len(plan.floats)]]
        self._bool_pairs = [None] * len(plan.floats) + [(s.element(False), s.element(True))
                                                       for s in slots[len(plan.floats):]]
        self._n_float = len(plan.floats)
        self._values = np.full(len(slots), np.nan)
        self._changes = ChangeFilter(len(slots), keepalive_s=o.keepalive_s, epsilon=o.epsilon)
        self._native = ChangeFilter(5, keepalive_s=o.keepalive_s)
        self._active_slots = [BoolSlot(a) for _, a in plan.active]
        self._active: bool | None = None
        self._active_sent_at = -math.inf
        self._last_seen: float | None = None
        self.n_parameters = len(slots)
        self._evaluate = shared_evaluator()
        # Head/Pos* are offsets from a rest position: given, or the first tracked one (VRCFT's
        # range is ±0.5 m around the user, so the camera's own origin would saturate them).
        self._origin = None if o.head_origin is None else np.asarray(o.head_origin, np.float64)

    # The float vector of all 182 parameters (PARAMETER_NAMES order) for one frame.
    def parameter_values(self, frame) -> np.ndarray:
        """All v2 float parameters of ``frame`` as an array of shape (182,)."""
        if self._origin is None and frame.present:
            pos = np.asarray(frame.head_position, np.float64)
            if np.isfinite(pos).all():
                self._origin = pos
        return self._evaluate(frame, origin=self._origin)

    def _active_elements(self, active: bool, now: float, force: bool = False) -> list[bytes]:
        if not self._active_slots:
            return []
        if (not force and active == self._active
                and now - self._active_sent_at < self.options.keepalive_s):
            return []
        self._active, self._active_sent_at = active, now
        return [s.element(active) for s in self._active_slots]

    def start(self, now: float = 0.0) -> list[bytes]:
        """Messages to send when streaming starts: the tracking-active bools, true."""
        self._changes.reset()
        self._native.reset()
        self._last_seen = now  # the face gets lost_after_s to show up before the flags drop
        return self._active_elements(True, now, force=True)

    def stop(self, now: float = 0.0) -> list[bytes]:
        """Messages to send when streaming stops: the tracking-active bools, false."""
        return self._active_elements(False, now, force=True)

    def encode(self, frame, now: float) -> list[bytes]:
        """Bundle elements for ``frame`` at time ``now`` (seconds): what changed, or all on keep-alive."""
        if frame.present:
            self._last_seen = now
        lost = self._last_seen is None or now - self._last_seen >= self.options.lost_after_s
        out = self._active_elements(not lost, now)
        # Out-of-range input (a weight of 5) is clamped to each parameter's range; non-finite
        # values are NaN here and never sent, so the avatar holds the last value it got.
        values = np.clip(self.parameter_values(frame), parameter_floor(), 1.0)
        vec = self._values
        nf = self._n_float
        vec[:nf] = values[self._float_idx]
        nb = len(self._bool_idx)
        if nb:
            b = values[self._bool_idx]
            vec[nf:nf + nb] = np.where(np.isnan(b), np.nan, b < self._bool_thr)
        for idx, target, start in self._binaries:
            v = values[idx]
            n = target.n_bits
            if math.isnan(v):
                vec[start:start + n + (target.negative is not None)] = np.nan
                continue
            neg, big = binary_int(v, n, target.negative is not None)
            # Bit index comes from the name (<Name>8 is bit 3) even if the avatar skips one.
            for j, (bit, _) in enumerate(target.bits):
                vec[start + j] = (big >> bit) & 1
            if neg is not None:
                vec[start + n] = neg
        sel = self._changes.select(vec, now)
        split = int(np.searchsorted(sel, nf))
        fi, bi = sel[:split], sel[split:]
        if len(fi):
            # Floats: pack every selected value in one call, then prepend the pre-encoded heads.
            packed = vec[fi].astype(">f4").tobytes()
            heads = self._float_heads
            out += [heads[i] + packed[k:k + 4] for k, i in zip(range(0, 4 * len(fi), 4), fi.tolist())]
        if len(bi):
            pairs = self._bool_pairs
            out += [pairs[i][f] for i, f in zip(bi.tolist(), (vec[bi] > 0.5).tolist())]
        plan = self.plan
        if plan.native_gaze or plan.native_closed:
            g = gaze_pitch_yaw(frame.gaze)
            closed = float(np.clip(1.0 - 0.5 * (frame.openness_left + frame.openness_right), 0.0, 1.0))
            native = np.array(g + (closed,))
            native[~np.isfinite(native)] = np.nan  # not sent: VRChat keeps its last value
            sel = set(self._native.select(native, now).tolist())
            if plan.native_gaze and sel & {0, 1, 2, 3} and not np.isnan(native[:4]).any():
                out.append(element(encode_message(NATIVE_GAZE_ADDRESS, *g)))
            if plan.native_closed and 4 in sel:
                out.append(element(encode_message(NATIVE_CLOSED_ADDRESS, float(closed))))
        return out
