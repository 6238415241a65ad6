"""Which part of a drawn frame costs the sitter's likeness (issue #12 identity, dlib ≤ 0.5 in every frame).

A clip is planned exactly as ``facemimic animate PHOTO --expression EMOTION --size 256 --fps 10
--seed 1`` plans it (``rest="neutral"``, calibrated, the closed loop on: ``portrait_judges``'s clips),
then one frame's plan (default: the apex, as ``portrait_judges`` picks it) is drawn again with one
part of the drawing switched off at a time:

* ``no_creases`` / ``no_mouthpaint`` / ``no_lash`` / ``no_head`` / ``no_eyes`` / ``no_overlap``: the
  crease layer, the mouth painter, the lash line, the head pose, the iris move, the rest's overlap;
* ``no_restremoval``: the photo's own expression left in (the frame's template amounts less the rest's);
* ``rest_G`` / ``only_G``: control group G held at its rest amount / alone moved (creases off);
* ``nocorr_S``: the closed loop's correction of slot S dropped (the request drawn);
* ``G_x0.5`` / ``G_x0.75``: one group's motion from its rest scaled.

Each variant is embedded by the judges' own worker (dlib's ResNet descriptor, ``portrait_judges``'s
environment; no emotion judge runs) and its distance to the source photo printed next to the full
frame's. The PNGs and ``ablation.json`` go to ``-o``. (The PNGs read 0.007-0.014 below the
benchmark's H.264 frames with the visible mark.)

    python benchmarks/portrait_identity_ablation.py --portraits astronaut --emotions fearful sad
    python benchmarks/portrait_identity_ablation.py --portraits astronaut --emotions sad --frame 4
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

import portrait_judges as pj

GROUPS = {
    "jaw": ("jaw_open", "lips_close", "seal", "jaw_side", "jaw_forward", "chin_raise"),
    "lips": ("upper_lip_side", "lower_lip_side", "upper_up_right", "upper_up_left", "lower_down_right",
             "lower_down_left", "press_right", "press_left", "pucker_right", "pucker_left", "funnel_right",
             "funnel_left"),
    "corners": ("corner_pull_right", "corner_pull_left", "frown_right", "frown_left", "stretch_right",
                "stretch_left", "dimple_right", "dimple_left"),
    "cheek": ("cheek_puff_right", "cheek_puff_left", "cheek_squint_right", "cheek_squint_left"),
    "nose": ("nose_sneer_right", "nose_sneer_left"),
    "lids": ("eye_wide_right", "eye_wide_left", "eye_squint_right", "eye_squint_left", "eye_close_right",
             "eye_close_left"),
    "brows": ("brow_inner_up_right", "brow_inner_up_left", "brow_outer_up_right", "brow_outer_up_left",
              "brow_lower_right", "brow_lower_left", "brow_pinch_right", "brow_pinch_left"),
}
SCALED = {
    "stretch": ("stretch_right", "stretch_left"), "press": ("press_right", "press_left"),
    "brow_lower": ("brow_lower_right", "brow_lower_left"), "brow_pinch": ("brow_pinch_right", "brow_pinch_left"),
    "brow_inner": ("brow_inner_up_right", "brow_inner_up_left"), "lid_close": ("eye_close_right", "eye_close_left"),
}


def draw(anim, plan, controls=None, *, creases=True, mouth=True, lash=True, head=True, eyes=True,
         overlap=True) -> np.ndarray:
    """``anim.draw(plan)`` with parts left out (``controls``: (K,) template amounts instead of the
    plan's). Returns (h, w, 3|4) uint8."""
    motion, parts = anim.drawing(plan, controls, overlap=overlap, head=head)
    if not lash:
        parts["closure"] = (0.0, 0.0)
    if not eyes:
        parts["gaze"] = None
    if not creases:
        parts["weights"] = None
    painter = anim.mouth
    if not mouth:
        anim.mouth = None
    try:
        return anim.render_parts(motion, scratch=anim.new_scratch(), **parts)
    finally:
        anim.mouth = painter


def variants(anim, frames, plans, k: int) -> dict[str, np.ndarray]:
    """Every ablation of frame ``k`` (name -> RGB(A) image)."""
    from facemimic.animate.portrait import refine as R
    from facemimic.animate.portrait.animator import FramePlan
    from facemimic.animate.portrait.model import CONTROL_NAMES

    p = FramePlan(plans[k].drive, plans[k].weights, plans[k].gaze, plans[k].head)  # drawn again
    p0 = FramePlan(plans[0].drive, plans[0].weights, plans[0].gaze, plans[0].head)
    c_k, c_0 = anim.model.controls(p.drive), anim.model.controls(p0.drive)
    out = {"full": draw(anim, p), "rest": draw(anim, p0),
           "no_creases": draw(anim, p, creases=False), "no_mouthpaint": draw(anim, p, mouth=False),
           "no_lash": draw(anim, p, lash=False), "no_head": draw(anim, p, head=False),
           "no_eyes": draw(anim, p, eyes=False), "no_overlap": draw(anim, p, overlap=False),
           "no_restremoval": draw(anim, p, c_k - c_0, overlap=False)}
    for g, names in GROUPS.items():
        idx = [CONTROL_NAMES.index(n) for n in names]
        c = c_k.copy()
        c[idx] = c_0[idx]
        out[f"rest_{g}"] = draw(anim, p, c)
        c = c_0.copy()
        c[idx] = c_k[idx]
        out[f"only_{g}"] = draw(anim, p, c, creases=False)
    for g, names in SCALED.items():
        idx = [CONTROL_NAMES.index(n) for n in names]
        for f in (0.5, 0.75):
            c = c_k.copy()
            c[idx] = c_0[idx] + f * (c_k[idx] - c_0[idx])
            out[f"{g}_x{f}"] = draw(anim, p, c)
    fk = frames[k]
    request = anim.drive(np.asarray(fk.weights, np.float32), (fk.openness_right, fk.openness_left))
    out["nocorr_all"] = draw(anim, FramePlan(request, p.weights, p.gaze, p.head))
    for stem in (*R._SIDED_SLOTS, "lips", "closure"):
        idx = [i for i, ch in R.LOOP if ch.startswith(stem)]
        d = p.drive.copy()
        d[idx] = request[idx]
        if np.abs(d - p.drive).max() > 0.02:  # only slots the loop corrected
            out[f"nocorr_{stem}"] = draw(anim, FramePlan(d, p.weights, p.gaze, p.head))
    return out


def main() -> int:
    from facemimic.animate.drivers import DriverSpec, build
    from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions, timeline
    from facemimic.animate.portrait.source import load_image

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--portraits", nargs="+", default=["astronaut"])
    ap.add_argument("--emotions", nargs="+", default=["fearful"], choices=pj.EMOTIONS)
    ap.add_argument("--frame", type=int, default=None, help="frame to ablate (default: the apex)")
    ap.add_argument("-o", "--out", type=Path, default=Path("identity_ablation"))
    args = ap.parse_args()
    known = {name: (photo, extra) for name, photo, extra in pj.portraits()}
    result = []
    for name in args.portraits:
        photo, extra = known[name]
        face = int(extra[extra.index("--face") + 1]) if "--face" in extra else None
        image, label = load_image(str(photo))
        opts = PortraitOptions(size=256, crop="face" if "--crop" in extra else "fit", face=face, rest="neutral",
                               refine=True)
        with PortraitAnimator(image, opts, name=label) as anim:
            for emotion in args.emotions:
                with build(DriverSpec(expression=emotion, duration=2.0, fps=10.0, seed=1)) as driven:
                    frames = timeline(driven.track, fps=10.0, duration=driven.duration)
                anim.reset()
                plans = [anim.plan(f) for f in frames]  # in order: the closed loop carries over
                k = args.frame if args.frame is not None else \
                    pj.apex_index(frames, pj.driving_weights(emotion, len(frames)))
                folder = args.out / name / emotion
                folder.mkdir(parents=True, exist_ok=True)
                paths = {}
                for v, img in variants(anim, frames, plans, k).items():
                    paths[v] = folder / f"frame{k:02d}-{v}.png"
                    cv2.imwrite(str(paths[v]), cv2.cvtColor(img[..., :3], cv2.COLOR_RGB2BGR))
                pick = {Path(photo)} if "--face" in extra else set()  # as portrait_judges picks the face
                got = pj.judge([Path(photo), *paths.values()], emotion=set(), leftmost=pick)
                src = got[0]["descriptor"]
                dist = {v: pj.distance(src, g["descriptor"]) for v, g in zip(paths, got[1:])}
                full = dist["full"]
                print(f"{name} {emotion} frame {k}: full {full:.3f}, rest {dist['rest']:.3f}")
                for v, d in sorted(dist.items(), key=lambda kv: kv[1]):
                    if v not in ("full", "rest"):
                        print(f"    {v:20s} {d:.3f} ({d - full:+.3f})")
                result.append({"portrait": name, "emotion": emotion, "frame": k, "distance": dist})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ablation.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
