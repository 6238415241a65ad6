"""The one frame type every FaceMimic stage passes along.

Units and conventions (also in the README's "Track schema"):

* ``weights``: the 88 Unified Expressions shapes in VRCFT enum order (:data:`UE_NAMES`), float32 in
  [0, 1]. Left/right are the subject's own sides.
* ``gaze_left``/``gaze_right``: VRCFT gaze, a tangent-plane vector: +x looks to the subject's right,
  +y up; ``x = tan(yaw)``, so 1.0 is 45°.
* ``openness_left``/``openness_right``: 1 open, 0 closed (widening is the ``EyeWide*`` shapes).
* ``head_rotation``: (yaw, pitch, roll) in degrees. +yaw turns to the subject's right, +pitch looks
  down, +roll tilts towards the subject's left shoulder (clockwise in an unmirrored image). This is
  VRCFT's head convention (which normalises by 90°).
* ``head_position``: (x, y, z) in metres in the camera frame: x image-right, y image-down,
  z away from the camera (OpenCV convention).
* ``present``: False marks an explicit gap (no face seen): weights and head are NaN there, never
  fake zeros; gaze and openness hold their last values and ``confidence`` decays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import ParameterError, ShapeError
from .names import N_UE, UE_INDEX, UE_NAMES, ue_index

_NAN3 = (float("nan"),) * 3


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


_REAL = (int, float, np.integer, np.floating)
# (field, length) of the small vectors. Their values may be NaN (a gap's head, capture's unknown
# pose) or even infinite: the streamers and renderers hold or clamp those (issue #10), so a live
# stream never stops on one frame.
_VECTORS = (("gaze_left", 2), ("gaze_right", 2), ("head_rotation", 3), ("head_position", 3))


def _check_fields(frame: "ExpressionFrame") -> None:
    """The slow path of the field check: name the first field that is not a number or a vector of
    the right length."""
    def number(name: str, value) -> None:
        if not isinstance(value, _REAL):
            raise ParameterError(f"{name} must be a number, got {value!r}")

    for name, n in _VECTORS:
        value = getattr(frame, name)
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != n:
            raise ShapeError(name, np.shape(value), f"({n},)")
        for i, v in enumerate(value):
            number(f"{name}[{i}]", v)
    for name in ("openness_left", "openness_right", "confidence"):
        number(name, getattr(frame, name))


@dataclass(frozen=True, eq=False, slots=True)
class ExpressionFrame:
    """One instant of one face.

    Parameters
    ----------
    time : float
        Seconds from the start of the track; NaN for a live frame with no stamp of its own.
    weights : np.ndarray [shape=(88,), dtype=float32]
        Unified Expressions weights in :data:`UE_NAMES` order; NaN where ``present`` is False.
    """

    time: float
    weights: np.ndarray
    gaze_left: tuple[float, float] = (0.0, 0.0)  # VRCFT units: x right / y up, 1.0 = 45°
    gaze_right: tuple[float, float] = (0.0, 0.0)
    openness_left: float = 1.0  # 1 open, 0 closed
    openness_right: float = 1.0
    head_rotation: tuple[float, float, float] = (0.0, 0.0, 0.0)  # yaw, pitch, roll (degrees)
    head_position: tuple[float, float, float] = (0.0, 0.0, 0.0)  # metres, camera frame
    confidence: float = 1.0  # 0..1
    face_id: int = 0  # stays with the same person across frames
    present: bool = True  # False: an explicit gap, no face seen
    landmarks: np.ndarray | None = field(default=None, repr=False)  # (478, 3) normalised x, y, z

    def __post_init__(self) -> None:
        # Refused here, not when a writer meets them: a time that is not a number (or is infinite),
        # vectors of the wrong length, fields that are not numbers. NaN is allowed: gaps and
        # capture's unknown head pose use it, and a NaN time is a live frame with no stamp (the
        # smoother stamps it by its clock).
        t = self.time
        if isinstance(t, bool) or not isinstance(t, _REAL) or math.isinf(t):
            raise ParameterError(f"time must be a number of seconds, got {t!r}")
        w = np.array(self.weights, dtype=np.float32, copy=True).reshape(-1)
        if w.shape != (N_UE,):
            raise ShapeError("weights", np.shape(self.weights), f"({N_UE},)")
        object.__setattr__(self, "weights", _frozen(w))
        # Frames are built once per video frame: the usual frame passes with four len() and one
        # sum (math.isfinite raises TypeError unless the sum is one real number); anything else
        # takes the slow path, which names the field.
        gl, gr, hr, hp = self.gaze_left, self.gaze_right, self.head_rotation, self.head_position
        try:
            ok = len(gl) == 2 and len(gr) == 2 and len(hr) == 3 and len(hp) == 3
            if ok:
                math.isfinite(sum((*gl, *gr, *hr, *hp, self.openness_left, self.openness_right, self.confidence)))
        except TypeError:  # None, a str, a scalar where a pair belongs …
            ok = False
        if not ok:
            _check_fields(self)
        if self.landmarks is not None:
            lm = np.array(self.landmarks, dtype=np.float32, copy=True)
            if lm.ndim != 2 or lm.shape[1] != 3:
                raise ShapeError("landmarks", lm.shape, "(N, 3)")
            object.__setattr__(self, "landmarks", _frozen(lm))

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def neutral(cls, time: float = 0.0, *, face_id: int = 0) -> "ExpressionFrame":
        """A resting face: all weights 0, eyes open and straight ahead, head level."""
        return cls(time=time, weights=np.zeros(N_UE, np.float32), face_id=face_id)

    @classmethod
    def gap(
        cls,
        time: float,
        *,
        face_id: int = 0,
        last: "ExpressionFrame | None" = None,
        confidence: float = 0.0,
    ) -> "ExpressionFrame":
        """An explicit no-face frame; eyes hold ``last``'s gaze and openness if given."""
        kw = {}
        if last is not None:
            kw = dict(gaze_left=last.gaze_left, gaze_right=last.gaze_right,
                      openness_left=last.openness_left, openness_right=last.openness_right)
        return cls(time=time, weights=np.full(N_UE, np.nan, np.float32), head_rotation=_NAN3,
                   head_position=_NAN3, confidence=confidence, face_id=face_id, present=False, **kw)

    @classmethod
    def from_shapes(cls, shapes: "dict[str, float]", *, time: float = 0.0, **fields) -> "ExpressionFrame":
        """Build a frame from ``{UE name: weight}``; unknown names raise with suggestions."""
        w = np.zeros(N_UE, np.float32)
        for name, value in shapes.items():
            w[ue_index(name)] = value
        return cls(time=time, weights=w, **fields)

    # -- accessors ----------------------------------------------------------------------------
    def weight(self, name: str) -> float:
        """Weight of one UE shape by name."""
        return float(self.weights[ue_index(name)])

    def shapes(self, *, nonzero: bool = False) -> dict[str, float]:
        """``{UE name: weight}`` for all 88 shapes (or only the non-zero ones)."""
        return {n: float(v) for n, v in zip(UE_NAMES, self.weights) if not nonzero or v != 0}

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` strongest shapes as ``(name, weight)``, strongest first."""
        if not self.present:
            return []
        order = np.argsort(-self.weights)[:n]
        return [(UE_NAMES[i], float(self.weights[i])) for i in order]

    @property
    def gaze(self) -> np.ndarray:
        """Both eyes' gaze, ``[[lx, ly], [rx, ry]]``, shape (2, 2)."""
        return np.array([self.gaze_left, self.gaze_right], np.float32)

    @property
    def openness(self) -> tuple[float, float]:
        """``(left, right)`` eye openness."""
        return (self.openness_left, self.openness_right)

    def replace(self, **changes) -> "ExpressionFrame":
        """A copy with some fields changed (``weights`` may be a ``{name: value}`` dict)."""
        w = changes.get("weights")
        if isinstance(w, dict):
            new = np.array(self.weights, copy=True)
            for name, value in w.items():
                new[UE_INDEX[name] if name in UE_INDEX else ue_index(name)] = value
            changes["weights"] = new
        return replace(self, **changes)
