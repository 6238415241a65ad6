"""The geometric measures a combination of UE weights asks for, channels composed, not added.

``docs/units.md`` defines each channel by one measure (IPD units) at its full extent, but several
channels move the same landmarks: a corner pull raises the corner that MouthFrown lowers and moves
it out as MouthStretch does, while LipPucker draws it in; BrowInnerUp raises the inner brow that
BrowLowerer lowers with the middle brow; EyeSquint raises the lower lid whose gap to the upper lid
EyeWide widens. Judged one channel at a time such combinations contradict each other (a sad brow,
inner raise 0.66 with lowering 0.44, would need the middle brow 0.17 IPD down; an angry eye, wide
0.33 with squint 0.55, a wider and a narrower aperture at once). Here each channel is the
**displacement** its definition gives and the displacements add; the measures are then read off
the summed motion exactly as :func:`facemimic.expressions.geometry.measure` reads them off
landmarks:

* mouth corner (per side): ``up = 0.25 sin40 Pull - 0.10 Frown``, ``out = 0.25 cos40 Pull + 0.20
  Stretch - 0.15 Pucker`` (the pucker narrows the mouth by 0.30 at full extent, half per corner);
  smile_pull, corner_up/down, corner_stretch and mouth_narrowing follow from (out, up);
  MouthCornerSlant is drawn with the pull (``0.25 sin40 = 0.16`` = its own extent), not added;
* brows: BrowInnerUp raises the inner end by 0.12, BrowLowerer lowers inner and middle by 0.10:
  ``inner = 0.12 U - 0.10 L``, ``brow_lower = -(inner + middle) / 2 = 0.10 L - 0.06 U``;
* the outer brow end: ``brow_outer_raise = 0.12 BrowOuterUp - OUTER_FOLLOWS_LOWERING x 0.10
  BrowLowerer`` (the lowering carries the outer end down a little beyond what a captured
  BrowOuterUp already says);
* eyes: the aperture changes by ``0.06 Wide - 0.05 Squint`` (the squint's lower lid rise narrows
  it), plus the closure; ``lower_lid_raise = 0.05 Squint``;
* the lips' middle (13/14), which the corners are measured against: the upper lip rises by
  ``0.10 MouthUpperUp``, the lower lip drops by ``0.75 (JawOpen - MouthClosed) + 0.25 MouthLowerDown``
  (:func:`facemimic.expressions.mouth.implied_mouth`'s gap, one lip each), and the corners follow
  either lip by only :data:`CORNER_FOLLOW` of its motion, so ``up += (0.5 - CORNER_FOLLOW) (drop -
  rise)``: an open mouth's corners sit above its middle (a smile's open mouth: its frown slot used
  to read the corners "high" against a middle the lower lip had carried down, and drew a frown);
* the upper-lip border beside the philtrum rises with a smile's pull and falls as a press thins the
  red lips (the lips' line held, the upper lip loses its half of the red-lip height) and as a
  stretch draws the lips out and down: ``upper_lip_raise = 0.10 MouthUpperUp + PULL_LIFTS_LIP x
  smile_pull - PRESS_LOWERS_LIP x lip_thinning - STRETCH_LOWERS_LIP x MouthStretch``; a neutral
  rest that takes a pressed photo's press off raises it;
* every other channel moves only its own measure (``weight x full extent``; JawOpen the chin).
"""

from __future__ import annotations

import math

import numpy as np

from ...expressions import geometry
from ...expressions.names import ue_index

_ANGLE = math.radians(geometry.SMILE_ANGLE_DEG)
SIDES = ("Left", "Right")  # the order of geometry's sided measures
# measure -> the one channel stem that moves only it (extent from geometry.CHANNELS)
_OWN = {"upper_lip_raise": "MouthUpperUp", "lower_lip_depress": "MouthLowerDown", "lip_thinning": "MouthPress",
        "cheek_puff": "CheekPuff", "cheek_raise": "CheekSquint", "nose_wing_raise": "NoseSneer",
        "brow_pinch": "BrowPinch"}
# Share of a lip's vertical motion the mouth corners follow. Real CK+ surprise apexes against their
# own neutral onset (4 people, 6 frames; lower lip 0.38-0.75 IPD down): the corners dropped 0.33-0.40
# of the lower lip's drop (median 0.36), so corner_up read +0.07..+0.13 IPD with no smile at all.
CORNER_FOLLOW = 0.36
# The upper-lip border beside the philtrum (267/37) rises with a smile's pull: real CK+ happy apexes
# against their onsets (3 people, 6 frames): 0.14-0.26 of smile_pull (median 0.24; some AU10 in it)
PULL_LIFTS_LIP = 0.2
# Share of the red-lip height a press takes (lip_thinning: both lips) that the upper lip's border
# (267/37) loses: its half, with the lips' line held (the measures' definitions; the displacement
# model's press template draws 0.31 of it, the re-tracked rest 0.36 with the suck and sneer taken
# off too). Without it a pressed photo's neutral rest (15-f13-anc: MouthPress 0.92 taken off) was
# composed with the border where the photo has it, while the drawn rest lifts it 0.031 IPD
# (re-tracked 0.036): every smile then read its upper lip ~0.36 weight too high and the loop pulled
# it down to its limit (MouthUpperUp -0.35/-0.35 at the happy apex; with it +0.05/0.00).
PRESS_LOWERS_LIP = 0.5
# IPD the upper-lip border (267/37) comes down per unit of MouthStretch: the stretch draws the lips
# out and down round each corner (model.py's stretch template; both corners' shares add in the
# middle), measured on the drawn landmarks of 6 portraits at 0.7: 0.032-0.078 (median 0.042;
# 45-m7-di-ph's turned face 0.29-0.39). Composed without it, fear's target (stretch 0.69, MouthUpperUp
# 0.15) put the border 0.3 weight above what the request draws, the loop read it low and lifted it
# with MouthUpperUp (+0.30 on single_face for 0.15 asked): the upper teeth bared in a crescent, a
# grin (#12; refine.py bounded that lift with a rule of its own, which this replaces).
STRETCH_LOWERS_LIP = 0.04
# Share of the brow lowering's displacement (0.10 L) that takes the outer brow end down beyond what
# the capture stage's BrowOuterUp reports of it. A real talking face (WolfgangLanger_Pexels.mp4,
# every frame captured in the unit against its own rest): outer end = 0.108 O - 0.030 L IPD
# (residual sd 0.005), i.e. 0.3 of the lowering's 0.10 L; CK+'s posed apexes against their onsets
# read more (0.079 per unit of L, inflated by anger's L clipped at 1). Composed without it, an angry
# frame that still asked a little BrowOuterUp (0.17 at seed 7's apex) had its outer end aimed above
# where the lowering carries it, and the loop lifted the outer brow, and the lowered brow with it, to
# its limit (fidelity brow lowering r 0.27 on single_face; 0.52 with it; docs/journal/animate.md,
# "Twenty-second session").
OUTER_FOLLOWS_LOWERING = 0.3


def _ext(stem: str) -> float:
    return geometry.CHANNELS[stem + "Left"].full_extent


def _w(weights: np.ndarray, stem: str) -> np.ndarray:
    """(2,) [left, right] weights of a sided channel."""
    return np.array([weights[ue_index(stem + s)] for s in SIDES], np.float64)


# The most a frame opens a photo's lowered lids: this many of the photo's own apertures (a photo
# whose lids are half closed or more opens to twice its gap, not fully: past that the eye is
# painted from a sliver of the photo's).
PHOTO_OPEN_MAX = 1.0


def photo_closure(closure, photo) -> np.ndarray:
    """A closure counted in the photo's own lid aperture, from an open eye.

    EyeClosed (``1 - openness``) is a share of a *fully open* eye's lid travel (docs/units.md), and
    so is the photo's own closure ``photo``; the lid template (``eye_close``), the lash line and the
    closed loop's closure slots move the photo's own lids, whose aperture a photo with lowered lids
    has only ``1 - photo`` of. In that aperture an open eye is ``g = photo / (1 - photo)`` above
    the photo's lids (at most :data:`PHOTO_OPEN_MAX`) and a closure is ``closure / (1 - photo)``,
    so the difference of two (a frame against the photo: ``(closure - photo) / (1 - photo)``) is
    the share of the photo's aperture the frame closes: the photo's own closure leaves its lids
    where they are, a blink (1) shuts them, an open eye (0) raises them by ``g`` photo gaps. A
    frame asking a more open eye than the photo's is EyeClosed's (the lid's travel back to the
    open eye), not EyeWide's (past it). A photo read as more open than an open eye (``photo <=
    0``) keeps the closure as it is.

    Parameters
    ----------
    closure : float or np.ndarray [shape=(n,)]
        EyeClosed per eye (``1 - openness``), share of a fully open eye.
    photo : float or np.ndarray [shape=(n,)]
        The photo's own EyeClosed per eye, the same unit (0: the photo is the open eye).

    Returns
    -------
    np.ndarray [shape=(n,)]
        The closure in photo apertures, from an open eye (``photo_closure(photo, photo)`` is the
        photo's own lids: ``g``).
    """
    c = np.asarray(closure, np.float64)
    p = np.clip(np.nan_to_num(np.asarray(photo, np.float64), nan=0.0), 0.0, 1.0 - 1e-3)
    own = 1.0 - p  # the photo's aperture, share of an open eye's
    g = np.minimum(p / own, PHOTO_OPEN_MAX)  # an open eye above the photo's lids, photo apertures
    opening = g * c / np.where(p > 0.0, p, 1.0)  # between an open eye and the photo's lids
    return np.where(c >= p, g + (c - p) / own, np.where(p > 0.0, opening, c))


def implied_measures(weights: np.ndarray, closure: tuple[float, float] = (0.0, 0.0),
                     aperture: tuple[float, float] | None = None) -> dict[str, np.ndarray]:
    """Measures (IPD) the weights ask for, relative to the face they start from.

    Parameters
    ----------
    weights : np.ndarray [shape=(88,)]
        UE weights (relative to the starting face: rest-relative drive weights work too).
    closure : (left, right)
        Share of each eye's aperture ``aperture`` closed: for a photo's lids, the difference of
        :func:`photo_closure` of the frame's and the photo's EyeClosed (EyeClosed itself is a share
        of a fully open eye).
    aperture : (left, right), optional
        The eyes' apertures the closure is a share of (IPD), to turn it into a distance (default 0.10).

    Returns
    -------
    dict
        ``geometry.FaceMeasures`` field name -> (2,) [left, right] array, or a float for the
        central ``mouth_narrowing`` and ``jaw_drop``; only the measures the composition defines.
    """
    w = np.nan_to_num(np.asarray(weights, np.float64))
    pull, frown, stretch = _w(w, "MouthCornerPull"), _w(w, "MouthFrown"), _w(w, "MouthStretch")
    pucker = np.array([np.mean([w[ue_index(f"LipPucker{p}{s}")] for p in ("Upper", "Lower")]) for s in SIDES])
    up = _ext("MouthCornerPull") * math.sin(_ANGLE) * pull - _ext("MouthFrown") * frown
    # the lips' middle moves with the lips, the corners only CORNER_FOLLOW of it (module docstring)
    jaw = float(w[ue_index("JawOpen")])
    closed = float(np.clip(w[ue_index("MouthClosed")], 0.0, max(jaw, 0.0)))  # VRCFT: MouthClosed <= JawOpen
    drop = (geometry.MOUTH_CLOSED_GAP_EXTENT * (jaw - closed)
            + _ext("MouthLowerDown") * float(np.mean(_w(w, "MouthLowerDown"))))
    rise = _ext("MouthUpperUp") * float(np.mean(_w(w, "MouthUpperUp")))
    lifted = up + (0.5 - CORNER_FOLLOW) * (drop - rise)
    pull_part = _ext("MouthCornerPull") * pull  # the pull's own motion along its line (smile_pull)
    out = (_ext("MouthCornerPull") * math.cos(_ANGLE) * pull + _ext("MouthStretch") * stretch
           - 0.5 * geometry.CHANNELS["LipPuckerUpperLeft"].full_extent * pucker)
    res: dict[str, np.ndarray] = {
        "corner_out": out,
        "smile_pull": out * math.cos(_ANGLE) + up * math.sin(_ANGLE),
        "corner_up": lifted, "corner_down": -lifted,
        "corner_stretch": out - np.maximum(up, 0.0) / math.tan(_ANGLE),
        "mouth_narrowing": -float(out.sum()),
    }
    inner_up, lower = _w(w, "BrowInnerUp"), _w(w, "BrowLowerer")
    inner = _ext("BrowInnerUp") * inner_up - _ext("BrowLowerer") * lower
    middle = -_ext("BrowLowerer") * lower
    res["brow_inner_raise"] = inner
    res["brow_lower"] = -(inner + middle) / 2
    # the outer end: its own raise, and the lowering's pull on it (OUTER_FOLLOWS_LOWERING)
    res["brow_outer_raise"] = (_ext("BrowOuterUp") * _w(w, "BrowOuterUp")
                               - OUTER_FOLLOWS_LOWERING * _ext("BrowLowerer") * lower)
    ap = np.full(2, 0.10) if aperture is None else np.asarray(aperture, np.float64)
    squint = _ext("EyeSquint") * _w(w, "EyeSquint")
    res["eye_widen"] = _ext("EyeWide") * _w(w, "EyeWide") - squint - np.asarray(closure, np.float64) * ap
    res["lower_lid_raise"] = squint
    for measure, stem in _OWN.items():
        res[measure] = _ext(stem) * _w(w, stem)
    res["upper_lip_raise"] = (res["upper_lip_raise"] + PULL_LIFTS_LIP * np.maximum(pull_part, 0.0)
                              - PRESS_LOWERS_LIP * res["lip_thinning"] - STRETCH_LOWERS_LIP * stretch)
    res["jaw_drop"] = np.float64(geometry.CHANNELS["JawOpen"].full_extent * w[ue_index("JawOpen")])
    return res


def implied_weight(measures: dict[str, np.ndarray], channel: str) -> float:
    """A channel's implied measure in weight units (measure / full extent) from
    :func:`implied_measures` (NaN where the composition does not define its measure)."""
    ch = geometry.CHANNELS[channel]
    v = measures.get(ch.measure)
    if v is None:
        return float("nan")
    v = np.asarray(v, np.float64)
    return float(v if ch.side is None or v.ndim == 0 else v[ch.side]) / ch.full_extent
