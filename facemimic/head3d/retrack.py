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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..expressions.names import UE_INDEX

CHANNELS = {
    "JawOpen": ("JawOpen",),
    "corner pull": ("MouthCornerPullLeft", "MouthCornerPullRight"),
    "eye openness": (),  # from openness, not a UE weight
    "brow raise": ("BrowInnerUpLeft", "BrowInnerUpRight", "BrowOuterUpLeft", "BrowOuterUpRight"),
    "brow lowering": ("BrowLowererLeft", "BrowLowererRight", "BrowPinchLeft", "BrowPinchRight"),
}

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


@dataclass(frozen=True)
class RetrackResult:
    """Per channel: driven and read values (N,), Pearson r and mean absolute error (the channels
    of :data:`CHANNELS`, then :data:`LOWERING_ALONE` on the frames whose brows are not raised)."""

    driven: dict
    read: dict
    r: dict
    mae: dict
    missed: int  # renders in which the capture stage found no face

    def line(self) -> str:
        return "; ".join(f"{k} r {self.r[k]:.2f} MAE {self.mae[k]:.3f}" for k in self.r)


def retrack(avatar, frames, *, size: int = 512) -> RetrackResult:
    """Render ``avatar`` with each ExpressionFrame in ``frames``, re-track, and compare."""
    from ..capture.api import StillTracker

    driven = {k: [] for k in CHANNELS}
    read = {k: [] for k in CHANNELS}
    missed = 0
    with StillTracker(max_faces=1) as tracker:
        rest_faces = tracker.faces(avatar.render(None, size=size))
        if not rest_faces:
            raise RuntimeError("the capture stage finds no face in the avatar's neutral render")
        from ..expressions import geometry as geo

        rest_shape = geo.rest_face(rest_faces[0].landmarks, (size, size))
        rest = channel_values(rest_faces[0], unit_reading(rest_faces[0], size, rest_shape))
        for f in frames:
            got = tracker.faces(avatar.render(f, size=size))
            if not got:
                missed += 1
                continue
            want, seen = channel_values(f), channel_values(got[0], unit_reading(got[0], size, rest_shape))
            for k in CHANNELS:
                driven[k].append(want[k])
                # openness reads against the rest's openness (1 = as open as the avatar's eyes at rest)
                read[k].append(seen[k] / max(rest[k], 1e-3) if k == "eye openness" else seen[k] - rest[k])
    d = {k: np.array(v) for k, v in driven.items()}
    g = {k: np.array(v) for k, v in read.items()}
    alone = d["brow raise"] < RAISED
    d[LOWERING_ALONE], g[LOWERING_ALONE] = d["brow lowering"][alone], g["brow lowering"][alone]
    r = {k: float(np.corrcoef(d[k], g[k])[0, 1]) if d[k].std() > 0 and g[k].std() > 0 else float("nan") for k in d}
    mae = {k: float(np.mean(np.abs(d[k] - g[k]))) for k in d}
    return RetrackResult(d, g, r, mae, missed)


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
