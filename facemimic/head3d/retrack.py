"""Do the avatar's expressions read back? Render it posed, re-track the renders, compare.

The renders come from the NumPy rasteriser (:meth:`.api.Avatar.render`), the reading from the
capture stage's landmarks of each render (``StillTracker``), put into FaceMimic's unit as the
capture stage puts a person's face (``units="extent"``, the default of ``facemimic track``): each
channel measured on the landmarks by :mod:`facemimic.expressions.geometry` against the person's own
rest face — here the avatar's neutral render, as a calibration profile or a video's rest estimate
gives the capture stage a person's rest. Compared per channel: JawOpen, corner pull
(MouthCornerPull, both sides), eye openness, brow raise (BrowInnerUp and BrowOuterUp) and brow
lowering (BrowLowerer and BrowPinch) — each the mean of its sides.

(``StillTracker.faces`` returns MediaPipe's blendshape scores taken through the ARKit table, not the
unit: there BrowLowerer and BrowPinch are both browDown's one score, so a render whose brows came
down by their full extent without pinching read 0.3-0.4 on both. Comparing the unit's drive with
that scale was the re-track's error, not the mesh's; :func:`unit_reading` measures instead.)

Brow lowering is also reported on the renders whose brows are not raised at the same time
(``"brow lowering, brows not raised"``: driven brow raise below :data:`RAISED`). When a face lowers
and raises its brows together (the generate stage's fear and sadness: browDown with browInnerUp) the
two cancel on the brow's height, on a correct mesh as on a real face; the unit reads the net height
(BrowLowerer) and the inner brows' pull together (BrowPinch), so such frames read only the pinch.
Its two parts are reported apart too ("brow lowerer", "brow pinch"): the capture stage's landmarks
follow the lowering (r 0.87 on single_face.jpg, 120 frames, seeds 0-9) better than the pinch (0.74,
where the mesh draws it at 0.87).

Each channel is also read on the **drawn** mesh (:attr:`RetrackResult.drawn`): the posed avatar's own
478 landmarks measured by the same geometry against its own rest face, no render and no tracker. Where
the drawn reading follows the drive and the re-tracked one does not, the loss is the tracker's reading
of the render, not the avatar's shapes (docs/journal/avatar3d.md, "Eleventh session").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..expressions.names import UE_INDEX

CHANNELS = {
    "JawOpen": ("JawOpen",),
    "corner pull": ("MouthCornerPullLeft", "MouthCornerPullRight"),
    "eye openness": (),  # from openness, not a UE weight
    "brow raise": ("BrowInnerUpLeft", "BrowInnerUpRight", "BrowOuterUpLeft", "BrowOuterUpRight"),
    "brow lowering": ("BrowLowererLeft", "BrowLowererRight", "BrowPinchLeft", "BrowPinchRight"),
    "brow lowerer": ("BrowLowererLeft", "BrowLowererRight"),  # brow lowering's two parts, apart
    "brow pinch": ("BrowPinchLeft", "BrowPinchRight"),
}
DRAWN = tuple(k for k in CHANNELS if k != "eye openness")  # openness is the tracker's, not a landmark measure

RAISED = 0.2  # driven brow raise from which a frame's brow lowering is not read from the brows' height
LOWERING_ALONE = "brow lowering, brows not raised"


def channel_values(frame, weights: np.ndarray | None = None) -> dict[str, float]:
    """The compared channels of one ExpressionFrame (its own weights, or ``weights`` (88,))."""
    w = np.nan_to_num(np.asarray(frame.weights if weights is None else weights, np.float64))
    out = {k: float(np.mean([w[UE_INDEX[n]] for n in names])) for k, names in CHANNELS.items() if names}
    out["eye openness"] = float(np.mean([frame.openness_left, frame.openness_right]))
    return out


def unit_reading(frame, size: int, rest: np.ndarray) -> np.ndarray:
    """UE weights (88,) of a re-tracked render in FaceMimic's unit: the geometric channels measured on
    its landmarks (478, 3) against ``rest`` (the avatar's rest face, ``geometry.rest_face``), the
    others as the capture stage read them."""
    from ..expressions import geometry as geo

    w = np.array(frame.weights, np.float64, copy=True)
    for name, value in geo.geometric_weights(geo.measure(frame.landmarks, (size, size), rest=rest)).items():
        if name in UE_INDEX:
            w[UE_INDEX[name]] = float(value)
    return w


def drawn_reading(avatar, frame, rest: np.ndarray) -> np.ndarray:
    """UE weights (88,) of the posed avatar's own landmarks for an ExpressionFrame: the geometric
    channels measured on the drawn mesh's 478 landmarks against ``rest`` (its neutral landmarks,
    ``geometry.rest_face``), the others as driven."""
    from ..expressions import geometry as geo
    from .unit import _SIZE, _as_landmarks

    skin, _ = avatar.posed(frame)
    w = np.nan_to_num(np.array(frame.weights, np.float64, copy=True))
    for name, value in geo.geometric_weights(geo.measure(_as_landmarks(skin[:478]), _SIZE, rest=rest)).items():
        if name in UE_INDEX:
            w[UE_INDEX[name]] = float(value)
    return w


def _r(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1]) if len(a) > 1 and a.std() > 0 and b.std() > 0 else float("nan")


@dataclass(frozen=True)
class RetrackResult:
    """Per channel: driven and read values (N,), Pearson r and mean absolute error (the channels
    of :data:`CHANNELS`, then :data:`LOWERING_ALONE` on the frames whose brows are not raised);
    ``drawn``, ``drawn_r``, ``drawn_mae``: the same read on the drawn mesh's landmarks
    (:func:`drawn_reading`; the channels of :data:`DRAWN`, N values each)."""

    driven: dict
    read: dict
    r: dict
    mae: dict
    missed: int  # renders in which the capture stage found no face
    drawn: dict = field(default_factory=dict)
    drawn_r: dict = field(default_factory=dict)
    drawn_mae: dict = field(default_factory=dict)

    def line(self) -> str:
        return "; ".join(f"{k} r {self.r[k]:.2f} MAE {self.mae[k]:.3f}" for k in self.r)

    def departures(self, channel: str = "brow lowering", more_than: float = 0.05) -> list[dict]:
        """The frames whose re-tracked ``channel`` is off its drive by more than ``more_than``, worst
        first: index, driven, drawn and read values of every channel (what the benchmark lists)."""
        d, g = self.driven[channel], self.read[channel]
        out = []
        for i in np.argsort(-np.abs(g - d)):
            if abs(g[i] - d[i]) <= more_than:
                break
            out.append({"frame": int(i), **{f"{k} {what}": round(float(v[k][i]), 3)
                                             for k in CHANNELS for what, v in (("driven", self.driven),
                                                                               ("drawn", self.drawn), ("read", self.read))
                                             if k in v}})
        return out


def retrack(avatar, frames, *, size: int = 512) -> RetrackResult:
    """Render ``avatar`` with each ExpressionFrame in ``frames``, re-track, and compare."""
    from ..capture.api import StillTracker

    from ..expressions import geometry as geo
    from .unit import _SIZE, _as_landmarks

    driven = {k: [] for k in CHANNELS}
    read = {k: [] for k in CHANNELS}
    drawn = {k: [] for k in DRAWN}
    missed = 0
    mesh_rest = geo.rest_face(_as_landmarks(avatar.head.skin.positions[:478]), _SIZE)
    with StillTracker(max_faces=1) as tracker:
        rest_faces = tracker.faces(avatar.render(None, size=size))
        if not rest_faces:
            raise RuntimeError("the capture stage finds no face in the avatar's neutral render")
        rest_shape = geo.rest_face(rest_faces[0].landmarks, (size, size))
        rest = channel_values(rest_faces[0], unit_reading(rest_faces[0], size, rest_shape))
        for f in frames:
            got = tracker.faces(avatar.render(f, size=size))
            if not got:
                missed += 1
                continue
            want, seen = channel_values(f), channel_values(got[0], unit_reading(got[0], size, rest_shape))
            mesh = channel_values(f, drawn_reading(avatar, f, mesh_rest))
            for k in CHANNELS:
                driven[k].append(want[k])
                # openness reads against the rest's openness (1 = as open as the avatar's eyes at rest)
                read[k].append(seen[k] / max(rest[k], 1e-3) if k == "eye openness" else seen[k] - rest[k])
            for k in DRAWN:
                drawn[k].append(mesh[k])
    d = {k: np.array(v) for k, v in driven.items()}
    g = {k: np.array(v) for k, v in read.items()}
    m = {k: np.array(v) for k, v in drawn.items()}
    alone = d["brow raise"] < RAISED
    d[LOWERING_ALONE], g[LOWERING_ALONE] = d["brow lowering"][alone], g["brow lowering"][alone]
    r = {k: _r(d[k], g[k]) for k in d}
    mae = {k: float(np.mean(np.abs(d[k] - g[k]))) for k in d}
    return RetrackResult(d, g, r, mae, missed, drawn=m, drawn_r={k: _r(d[k], m[k]) for k in m},
                         drawn_mae={k: float(np.mean(np.abs(d[k] - m[k]))) for k in m})


def generated_frames(n_per_prompt: int = 3, seed: int = 0) -> list:
    """Expressions from the generate stage that exercise the compared channels (ExpressionFrames)."""
    from ..generate.api import express

    prompts = ("happy", "surprised", "angry", "sad", "sleepy", "laughing", "neutral", "fearful", "disgusted",
               "mouth open", "eyes closed", "skeptical")
    rng = np.random.default_rng(seed)
    out = []
    for i, p in enumerate(prompts):
        for f in express(p, variations=n_per_prompt, seed=seed + i):
            out.append(f)
    rng.shuffle(out)
    return out
