"""The 182 VRCFT v2 float parameters of a frame, fast (:class:`ParameterEvaluator`), and their ranges.

:func:`~facemimic.expressions.vrcft.vrcft_parameters` stays the single source of truth: the evaluator
is measured from it and checked against it, and :func:`parameter_floor` is measured from it too.
"""

from __future__ import annotations

import numpy as np

from ...expressions.names import UE_SIMPLE_NAMES
from ...expressions.vrcft import PARAMETER_NAMES, vrcft_parameters

_N_IN = 88 + 4 + 2 + 3 + 3  # weights, gaze (2x2), openness, head rotation, head position
_HEAD_SLICE = slice(len(PARAMETER_NAMES) - 6, len(PARAMETER_NAMES))


def _exact_parameters(x: np.ndarray, head_origin) -> np.ndarray:
    """vrcft_parameters on input rows ``x`` (N, 100) -> (N, 182), the reference."""
    p = vrcft_parameters(x[:, :88], x[:, 88:92].reshape(-1, 2, 2), x[:, 92:94], x[:, 94:97], x[:, 97:100],
                         head_origin=head_origin, prefix="")
    return np.stack([np.broadcast_to(v, x.shape[:1]) for v in p.values()], axis=1).astype(np.float64)


class ParameterEvaluator:
    """All 182 v2 float parameters of one frame, fast: an affine map plus the few nonlinear formulas.

    Almost every VRCFT formula is affine in (weights, gaze, openness, head); only a handful use
    ``max``/``min`` (``MouthSad*``, ``SmileSad*``, ``EyeWide``, ``EyeSquint`` …) and the head
    parameters are clipped to [-1, 1]. The affine map is *measured* from
    :func:`~facemimic.expressions.vrcft.vrcft_parameters` (the single source of truth) on basis
    inputs; outputs that then disagree on random probes are evaluated with VRCFT's own formula
    objects. The whole evaluator is verified against ``vrcft_parameters`` on random probes at
    construction and falls back to it (``exact_only``) if anything differs by more than 1e-5.
    """

    def __init__(self, head_origin=None, *, probes: int = 256, seed: int = 0) -> None:
        from ...expressions import vrcft as ref

        self.head_origin = head_origin
        step = 0.125  # small enough that no probe reaches a clip; a power of 2 keeps it exact
        basis = np.vstack([np.zeros(_N_IN), step * np.eye(_N_IN)])
        out = _exact_parameters(basis, head_origin)
        self._c = out[0]
        self._m = (out[1:] - out[0]) / step  # (100, 182)
        rng = np.random.default_rng(seed)
        x = np.hstack([rng.uniform(0, 1, (probes, 88)), rng.uniform(-1.5, 1.5, (probes, 4)),
                       rng.uniform(0, 1, (probes, 2)), rng.uniform(-200, 200, (probes, 3)),
                       rng.uniform(-1.5, 1.5, (probes, 3))])
        truth = _exact_parameters(x, head_origin)
        nonlinear = np.flatnonzero(np.abs(self._affine(x) - truth).max(axis=0) > 1e-5)
        formulas = dict(ref.COMBINED_FORMULAS)
        self._nl = []  # (output index, "simple" | formula)
        self.exact_only = False
        for i in nonlinear:
            name = PARAMETER_NAMES[i]
            if name in UE_SIMPLE_NAMES:
                self._nl.append((i, name, None))
            elif name in formulas:
                self._nl.append((i, name, formulas[name]))
            else:
                self.exact_only = True
        self._inputs = ref.FormulaInputs  # VRCFT formula objects read their inputs through this
        self._simple = ref.simple_expressions
        if not self.exact_only:
            got = np.stack([self._fast(row) for row in x[:64]])
            self.exact_only = bool(np.abs(got - truth[:64]).max() > 1e-5)
        self.nonlinear = tuple(PARAMETER_NAMES[i] for i in nonlinear)  # for inspection/tests

    def _affine(self, x: np.ndarray) -> np.ndarray:
        v = x @ self._m + self._c
        v[..., _HEAD_SLICE] = np.clip(v[..., _HEAD_SLICE], -1.0, 1.0)
        return v

    def _fast(self, x: np.ndarray) -> np.ndarray:
        v = self._affine(x)
        if self._nl:
            w = x[None, :88]
            simple = self._simple(w)
            inputs = self._inputs(w, x[None, 88:92].reshape(1, 2, 2), x[None, 92:94])
            for i, name, f in self._nl:
                v[i] = (simple[name] if f is None else f(inputs, simple))[0]
        return v

    def __call__(self, frame, *, origin=None) -> np.ndarray:
        """Values of :data:`PARAMETER_NAMES` for ``frame``, shape (182,), float64.

        ``origin`` (camera-frame metres) is subtracted from the head position first, on top of
        the evaluator's own ``head_origin``.
        """
        x = np.concatenate([frame.weights, np.ravel(frame.gaze), frame.openness, frame.head_rotation,
                            frame.head_position]).astype(np.float64)
        if origin is not None:
            x[97:100] -= origin
        if not np.isfinite(x).all():
            # NaN (a gap) must only blank the parameters that read it, as vrcft_parameters does;
            # ±inf (a broken source) is no value either: blanked the same way, never sent.
            x[np.isinf(x)] = np.nan
            return _exact_parameters(x[None], self.head_origin)[0]
        if self.exact_only:
            return _exact_parameters(x[None], self.head_origin)[0]
        return self._fast(x)


_EVALUATORS: dict = {}
_FLOOR: list = []


def parameter_floor() -> np.ndarray:
    """Lowest value of each of :data:`PARAMETER_NAMES` (shape (182,)): -1 for the signed ones
    (``JawX``, ``SmileFrown``, head …), 0 for the rest; the top is 1 for all. Measured from
    :func:`vrcft_parameters` over valid inputs, so it follows the formulas."""
    if not _FLOOR:
        rng = np.random.default_rng(0)
        n = 512
        x = np.hstack([rng.integers(0, 2, (n, 88)).astype(np.float64), rng.uniform(-1, 1, (n, 4)),
                       rng.uniform(0, 1, (n, 2)), rng.uniform(-90, 90, (n, 3)), rng.uniform(-0.5, 0.5, (n, 3))])
        low = _exact_parameters(x, None).min(axis=0)
        _FLOOR.append(np.where(low < -1e-6, -1.0, 0.0))
    return _FLOOR[0]


def shared_evaluator() -> ParameterEvaluator:
    """One shared evaluator per process (building one costs a few milliseconds)."""
    ev = _EVALUATORS.get(None)
    if ev is None:
        ev = _EVALUATORS[None] = ParameterEvaluator()
    return ev
