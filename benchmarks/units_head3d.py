"""The 3D avatar (head3d) in FaceMimic's unit: does weight w move it w x the channel's full extent?

Run: ``python benchmarks/units_head3d.py [--photos single_face 0-f1-su-ph] [--no-track] [--warp] [--json out.json]``

For every key channel of docs/units.md and weight 0.3 / 0.6 / 1.0, each photo's avatar is posed
with that channel alone (``facemimic.animate.avatar.measure.channel_frame``, driven through
``ue_to_arkit`` as the VRM's ARKit targets are) and measured the way ``docs/units.md`` measures a
real face (``facemimic.expressions.geometry``, in inter-pupil distances):

* **drawn**: the posed mesh's own 478 landmarks against its rest landmarks (no render, no tracker);
* **tracked**: the same pose rendered by head3d's rasteriser (512²) and tracked by the capture stage
  (MediaPipe's FaceLandmarker, still images) against the tracked neutral render: what a person's
  face tracker reads off the avatar (``retrack.unit_reading``'s measure).

* **warped** (``--warp``): the outside check of the render: the avatar's *neutral* render warped in
  2D by the portrait animator's own warp (`portrait.warp.MeshWarp`) by the posed mesh's landmark motion, re-tracked the same
  way, at weight 0.6. Where it reads as the 3D render does, what the tracker loses is not the 3D
  render's (shading, occlusion, the mouth's interior) but its response to landmarks moving without
  a real face's wrinkles and shading (docs/journal/avatar3d.md, fourteenth session).

Each cell is the measured fraction of the channel's full extent / the requested weight (1.00 =
exact; issue #11's target is 0.8-1.2). EyeClosed is read in the unit's own extent (the upper lid's
descent over the iris centre, 0.066 IPD), as the capture stage reads a person's blink.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from facemimic.animate.avatar.measure import channel_frame, channel_value  # noqa: E402
from facemimic.animate.portrait.warp import MeshWarp  # noqa: E402
from facemimic.expressions import geometry as geo  # noqa: E402
from facemimic.expressions.frame import ExpressionFrame  # noqa: E402

WEIGHTS = (0.3, 0.6, 1.0)
SIZE = 512
# docs/units.md's key channels, each asked as the ARKit target that carries it is driven: ARKit has
# one smile for MouthCornerPull and MouthCornerSlant, one browDown for BrowLowerer and BrowPinch, one
# browInnerUp for both sides, one funnel and one pucker for the four lip quadrants (``ue_to_arkit``
# averages them: MouthCornerPullLeft alone drives mouthSmileLeft at half its weight).
# (row, UE shapes set to the weight, channel measured)
REQUESTS = (
    ("JawOpen", ("JawOpen",), "JawOpen"),
    ("smile: corner pull", ("MouthCornerPullLeft", "MouthCornerSlantLeft"), "MouthCornerPullLeft"),
    ("smile: corner lift", ("MouthCornerPullLeft", "MouthCornerSlantLeft"), "MouthCornerSlantLeft"),
    ("MouthFrown", ("MouthFrownLeft",), "MouthFrownLeft"),
    ("MouthStretch", ("MouthStretchLeft",), "MouthStretchLeft"),
    ("LipPucker", tuple(f"LipPucker{p}{s}" for p in ("Upper", "Lower") for s in ("Left", "Right")), "LipPuckerUpperLeft"),
    ("LipFunnel", tuple(f"LipFunnel{p}{s}" for p in ("Upper", "Lower") for s in ("Left", "Right")), "LipFunnelUpperLeft"),
    ("MouthUpperUp", ("MouthUpperUpLeft",), "MouthUpperUpLeft"),
    ("MouthLowerDown", ("MouthLowerDownLeft",), "MouthLowerDownLeft"),
    ("MouthPress", ("MouthPressLeft",), "MouthPressLeft"),
    ("CheekSquint", ("CheekSquintLeft",), "CheekSquintLeft"),
    ("NoseSneer", ("NoseSneerLeft",), "NoseSneerLeft"),
    ("BrowInnerUp (both)", ("BrowInnerUpLeft", "BrowInnerUpRight"), "BrowInnerUpLeft"),
    ("BrowOuterUp", ("BrowOuterUpLeft",), "BrowOuterUpLeft"),
    ("browDown: lowerer", ("BrowLowererLeft", "BrowPinchLeft"), "BrowLowererLeft"),
    ("browDown: pinch", ("BrowLowererLeft", "BrowPinchLeft"), "BrowPinchLeft"),
    ("EyeClosed", ("EyeClosedLeft",), "EyeClosedLeft"),
    ("EyeWide", ("EyeWideLeft",), "EyeWideLeft"),
    ("EyeSquint", ("EyeSquintLeft",), "EyeSquintLeft"),
)


# The VRM's UE-named targets driven alone, as a VRCFaceTracking client drives them: (target, channel
# measured, partner channel or None). ARKit has one shape for the pairs (smile, browDown), both sides
# (browInnerUp, cheekPuff) and the four lip quadrants (pucker, funnel): the UE target is its own side
# of the shared shape (targets.side_split) or its own part of it (targets.merged_split).
UE_TARGETS = (("BrowInnerUpLeft", "BrowInnerUpLeft", None), ("CheekPuffLeft", "CheekPuffLeft", None),
              ("MouthCornerPullLeft", "MouthCornerPullLeft", "MouthCornerSlantLeft"),
              ("MouthCornerSlantLeft", "MouthCornerSlantLeft", "MouthCornerPullLeft"),
              ("BrowLowererLeft", "BrowLowererLeft", "BrowPinchLeft"), ("BrowPinchLeft", "BrowPinchLeft", "BrowLowererLeft"),
              ("LipPuckerUpperLeft", "LipPuckerUpperLeft", None), ("LipFunnelUpperLeft", "LipFunnelUpperLeft", None))
QUADRANTS = ("UpperLeft", "UpperRight", "LowerLeft", "LowerRight")
QUADRANT_SHAPES = {"LipPucker": "mouthPucker", "LipFunnel": "mouthFunnel"}


def _quadrant_share(face, delta, whole, quadrant):
    """How much of the whole-mouth shape's motion ``whole`` (478, 3) ``delta`` (478, 3) draws on the
    landmarks inside ``quadrant`` by position (beyond 0.12 IPD of the midline and 0.03 IPD above /
    below the closed lips' line) that the shape moves (1 = all of it there)."""
    from facemimic.head3d.unit import MIDLINE, _below_lip_line

    size = np.linalg.norm(whole, axis=1)
    x = face[:, 0] - face[list(MIDLINE), 0].mean()
    y = _below_lip_line(face)[1]
    side = x > 0.12 if quadrant.endswith("Left") else x < -0.12  # the subject's left is +x
    lip = y > 0.03 if quadrant.startswith("Upper") else y < -0.03
    pts = np.flatnonzero((size > 0.3 * size.max()) & side & lip)
    return float(np.sum(delta[pts] * whole[pts]) / np.sum(whole[pts] ** 2))


def ue_target_table(avatar) -> dict[str, dict[str, list[float]]]:
    """{UE target: {"own": [fraction / weight per weight], "other": [the other side's], "partner":
    [the partner channel's], "quadrants": [share of the whole shape drawn in each quadrant]}} on the
    avatar's own landmarks (the target's landmark displacements at each weight, no render)."""
    from facemimic.head3d import targets
    from facemimic.head3d.unit import _SIZE, _as_landmarks

    face = avatar.head.skin.positions[:478]
    expressions = np.asarray(avatar.expressions, np.float64)
    names = [n for n, _, _ in UE_TARGETS]
    if hasattr(targets, "landmark_deltas"):
        deltas = targets.landmark_deltas(face, expressions, names)
    else:  # the code before the side split: every UE target was its ARKit mix
        deltas = np.einsum("tk,kvc->tvc", np.stack([targets.arkit_mix(n) for n in names]), expressions)
    rest = geo.rest_face(_as_landmarks(face), _SIZE)
    m0 = geo.measure(_as_landmarks(face)[None], _SIZE, rest=rest)
    out = {}
    w = np.asarray(WEIGHTS)
    for (name, ch, partner), d in zip(UE_TARGETS, deltas):
        m = geo.measure(_as_landmarks(face[None] + w[:, None, None] * d[None]), _SIZE, rest=rest)
        c = geo.CHANNELS[ch]
        row = {"own": [round(float(v), 3) for v in (fraction(m, ch) - fraction(m0, ch)[0]) / w]}
        if c.side is not None:
            other = ch[:-4] + "Right" if ch.endswith("Left") else ch[:-5] + "Left"
            row["other"] = [round(float(v), 3) for v in (fraction(m, other) - fraction(m0, other)[0]) / w]
        if partner is not None:
            row["partner"] = [round(float(v), 3) for v in (fraction(m, partner) - fraction(m0, partner)[0]) / w]
        stem = next((s for s in QUADRANT_SHAPES if name.startswith(s)), None)
        if stem is not None:
            whole = expressions[list(targets.ARKIT_NAMES).index(QUADRANT_SHAPES[stem])]
            row["quadrants"] = [round(_quadrant_share(face, d, whole, q), 3) for q in QUADRANTS]
        out[name] = row
    return out


def request_frame(shapes: tuple[str, ...], weight: float) -> ExpressionFrame:
    """A frame asking ``weight`` of ``shapes`` (EyeClosed: VRCFaceTracking's ``1 - openness``)."""
    if shapes[0].startswith("EyeClosed"):
        return channel_frame(shapes[0], weight)
    return ExpressionFrame.from_shapes({n: weight for n in shapes})


def fraction(measures: geo.FaceMeasures, channel: str) -> np.ndarray:
    """The channel's measure as a fraction of its full extent, per frame (T,)."""
    return np.asarray(geo.extent_to_weight(channel, channel_value(measures, channel)), np.float64)


WARP_WEIGHT = 0.6


def photo_table(path, track: bool = True, warp: bool = False) -> dict[str, dict[str, list[float]]]:
    """{channel: {"drawn": [ratio per weight], "tracked": [...]}} for one photo's avatar."""
    from facemimic.head3d.api import make_avatar
    from facemimic.head3d.unit import _SIZE, _as_landmarks

    avatar = make_avatar(path)
    ue = ue_target_table(avatar)
    rest_mesh = _as_landmarks(avatar.head.skin.positions[:478])
    rest = geo.rest_face(rest_mesh, _SIZE)
    out: dict[str, dict[str, list[float]]] = {}
    tracker = None
    if track:
        from facemimic.capture.api import StillTracker

        tracker = StillTracker(max_faces=1)
        got = tracker.faces(avatar.render(None, size=SIZE))
        t_rest_lm = got[0].landmarks
        t_rest = geo.rest_face(t_rest_lm, (SIZE, SIZE))
        neutral = avatar.render(None, size=SIZE)
        # the mesh's face frame (IPD, y up) -> the render's pixels, fitted on the rest landmarks
        to_px, *_ = np.linalg.lstsq(np.c_[avatar.head.skin.positions[:478, :2], np.ones(478)],
                                    t_rest_lm[:, :2] * SIZE, rcond=None)
    try:
        m0 = geo.measure(rest_mesh[None], _SIZE, rest=rest)
        for row_name, shapes, ch in REQUESTS:
            frames = [request_frame(shapes, w) for w in WEIGHTS]
            skins = np.stack([avatar.posed(f)[0][:478] for f in frames])
            m = geo.measure(_as_landmarks(skins), _SIZE, rest=rest)
            drawn = (fraction(m, ch) - fraction(m0, ch)[0]) / np.asarray(WEIGHTS)
            row = {"drawn": [round(float(v), 3) for v in drawn]}
            if tracker is not None:
                lms = []
                for f in frames:
                    faces = tracker.faces(avatar.render(f, size=SIZE))
                    lms.append(faces[0].landmarks if faces else np.full((geo.N_LANDMARKS, 3), np.nan))
                mt = geo.measure(np.stack(lms), (SIZE, SIZE), rest=t_rest)
                mt0 = geo.measure(t_rest_lm[None], (SIZE, SIZE), rest=t_rest)
                row["tracked"] = [round(float(v), 3) for v in (fraction(mt, ch) - fraction(mt0, ch)[0]) / np.asarray(WEIGHTS)]
                if warp:
                    skin = avatar.posed(request_frame(shapes, WARP_WEIGHT))[0][:478]
                    moved = (skin[:, :2] - avatar.head.skin.positions[:478, :2]) @ to_px[:2]
                    src = t_rest_lm[:, :2] * SIZE
                    faces = tracker.faces(MeshWarp(src, neutral.shape[:2], np.array([0.0, 1.0])).apply(neutral, moved))
                    lm = faces[0].landmarks if faces else np.full((geo.N_LANDMARKS, 3), np.nan)
                    mw = geo.measure(lm[None], (SIZE, SIZE), rest=t_rest)
                    row["warped"] = round(float((fraction(mw, ch) - fraction(mt0, ch))[0]) / WARP_WEIGHT, 3)
            out[row_name] = row
    finally:
        if tracker is not None:
            tracker.close()
    return {"requests": out, "ue_targets": ue}


def main() -> None:
    from facemimic.samples import ensure_samples

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", nargs="+", default=["single_face", "0-f1-su-ph"], metavar="STEM")
    ap.add_argument("--no-track", action="store_true", help="drawn landmarks only (no render, no tracker)")
    ap.add_argument("--warp", action="store_true",
                    help=f"also re-track the neutral render warped in 2D by each pose's landmark motion (weight {WARP_WEIGHT})")
    ap.add_argument("--json", help="write the table here")
    args = ap.parse_args()
    samples = ensure_samples()
    tables = {}
    for stem in args.photos:
        path = next(p for p in sorted(samples.iterdir()) if p.stem == stem or p.name == stem)
        tables[path.name] = photo_table(path, track=not args.no_track, warp=args.warp and not args.no_track)
    print(f"extent / requested extent at weights {WEIGHTS} (target 0.80-1.20): drawn | tracked"
          + (f" | warped (at {WARP_WEIGHT})" if args.warp else ""))
    print(f"{'channel':22} " + "  ".join(f"{n[:28]:>46}" for n in tables))
    for ch, _, _ in REQUESTS:
        cells = []
        for name, t in tables.items():
            t = t["requests"]
            c = " ".join(f"{v:5.2f}" for v in t[ch]["drawn"])
            if "tracked" in t[ch]:
                c += " | " + " ".join(f"{v:5.2f}" for v in t[ch]["tracked"])
            if "warped" in t[ch]:
                c += f" | {t[ch]['warped']:5.2f}"
            cells.append(f"{c:>46}")
        print(f"{ch:22} " + "  ".join(cells))
    print("\nthe VRM's UE-named targets alone (drawn landmarks): own | other side | partner channel;"
          " lip quadrants: share of the whole shape drawn in UL UR LL LR")
    for name, _, _ in UE_TARGETS:
        cells = []
        for t in tables.values():
            r = t["ue_targets"][name]
            c = " ".join(f"{v:5.2f}" for v in r["own"])
            for key in ("other", "partner", "quadrants"):
                if key in r:
                    c += " | " + " ".join(f"{v:5.2f}" for v in r[key])
            cells.append(f"{c:>58}")
        print(f"{name:22} " + "  ".join(cells))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(tables, fh, indent=1)


if __name__ == "__main__":
    main()
