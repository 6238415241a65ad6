"""The avatar's drawing measured in FaceMimic's unit (``docs/units.md``), from its own geometry.

The drawing's features are read straight off the primitives' coordinates (the shapes tagged with
``Shape.part``: pupils, upper lids, eye whites, brows, lips, head outline, nose, cheeks; no tracker)
as landmarks in MediaPipe's 478-point topology, and measured by
:func:`facemimic.expressions.geometry.measure` against the avatar's own rest drawing: the same
quantities as for a real face (lip gap, chin drop, corner motion, brow heights, lid aperture, …) in
inter-pupil-distance (IPD) units of the avatar's own eyes (its pupil centres).

Where each landmark comes from (subject's left / right; the left is drawn on the image's right):

=====================  =====================================================================
landmarks              drawn geometry
=====================  =====================================================================
473 / 468 (irises)     pupil centres (gaze is set to 0 before measuring; a shut eye's pupil sits
                       mid-eye, level with the other)
386 / 159, 374 / 145   upper lid and lower lid at the eye's middle (the lower lid is the eye white's
                       lower edge; a shut eye, drawn without white, has its lids together)
336, 285 / 107, 55     brow centre line, inner end (the mean of a brow's upper and lower edge)
334, 282 / 105, 52     brow centre line, middle
300, 276 / 70, 46      brow centre line, outer end
13, 14                 lips' meeting edges at the midline (upper lip's lower edge, lower lip's
                       upper edge)
0, 17                  outer edges of the upper and lower lip at the midline
291 / 61               mouth corners
267, 312, 317, 314 /   upper lip outer and inner edge, lower lip inner and outer edge, a quarter
37, 82, 87, 84         of the mouth's half-width from the midline (where MediaPipe's points sit)
152                    the head outline's lowest point (the chin)
411 / 187              the head outline at cheek height (what a cheek puff bulges)
347 / 118              the blush's centre (the cheek under the eye; CheekSquint lifts it)
358 / 129              the upper end of the nose-wing line (the alar crease)
2                      the nose tip's lowest point (subnasale)
=====================  =====================================================================

The drawing is flat (z = 0) and is measured head-on: :func:`frontal` zeroes head rotation and
gaze. The head fit of :mod:`~facemimic.expressions.geometry` wants 3D stable points (eye corners,
nose dorsum 6/197/195, forehead, the face's sides at ear level), most of which a cartoon does not
draw; all 15 are placed at the canonical face's positions around the midpoint of the avatar's eye
corners (the ends of its upper-lid lines), scaled to its pupil distance, with the nose dorsum in the
drawing's plane. They never move, so the fit returns exactly the drawing's own axes
(:attr:`DrawnMeasures.frame_tilt_deg` checks it) and the chin drop is the chin's drop on the page.
Lip protrusion (``LipFunnel``) has no meaning in a flat drawing and reads 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ...expressions import geometry as geo
from ...expressions.frame import ExpressionFrame
from .primitives import Clip, Drawing, Shape
from .rig import rig_from_frame
from .shapes import build_drawing
from .style import AvatarStyle, load_style

# Sample index of each lip landmark along the 25 points of the mouth (u = -1 .. 1, image left ->
# right): 12 is the midline, 9 / 15 are u = -0.25 / +0.25 (subject's right / left).
_MID, _QUARTER_RIGHT, _QUARTER_LEFT = 12, 9, 15
# Head outline vertices (96 around, starting at the image's right, going down first).
_CHIN_VERTEX, _CHEEK_VERTEX = 24, (7, 41)  # (subject's left, right)


def frontal(frame: ExpressionFrame) -> ExpressionFrame:
    """``frame`` seen head-on, eyes straight ahead: how drawings are measured."""
    return frame.replace(head_rotation=(0.0, 0.0, 0.0), gaze_left=(0.0, 0.0), gaze_right=(0.0, 0.0))


def _parts(drawing: Drawing) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for item in drawing.items:
        shapes: Iterable[Shape] = item.children if isinstance(item, Clip) else (item,)
        for s in shapes:
            if s.part:
                out[s.part] = np.asarray(s.points, np.float64)
    return out


def _centre_line(ribbon: np.ndarray) -> np.ndarray:
    """The centre line of a :func:`~.shapes.ribbon` polygon (2N, 2) -> (N, 2)."""
    n = len(ribbon) // 2
    return (ribbon[:n] + ribbon[::-1][:n]) / 2


def _canonical_stable() -> dict[int, np.ndarray]:
    """The head fit's stable points on the canonical face (x right = subject's left, y up, z out),
    about the eye-corner midpoint, in units of its pupil distance (the eye-corner midpoints, as
    geometry uses), shifted in depth so that the nose dorsum (195) is at z = 0."""
    pts = {i: np.asarray(p, np.float64) for i, p in geo.CANONICAL_CM.items()}
    origin = sum(pts[i] for i in (33, 133, 362, 263)) / 4
    origin[2] = pts[geo.NOSE_DORSUM][2]
    ipd = float(np.linalg.norm((pts[263] + pts[362]) / 2 - (pts[33] + pts[133]) / 2))
    return {i: (pts[i] - origin) / ipd for i in geo.STABLE_POINTS}


_STABLE = _canonical_stable()


def drawing_landmarks(drawing: Drawing) -> np.ndarray:
    """The drawing's features as MediaPipe-topology landmarks (the table in the module docstring).

    Parameters
    ----------
    drawing : Drawing
        A frame drawn head-on with the gaze straight ahead (:func:`frontal`).

    Returns
    -------
    np.ndarray [shape=(478, 3), dtype=float64]
        Normalised like MediaPipe's (x / width, y / height, z = 0). Landmarks no measure uses sit
        at the eye-corner midpoint (``geometry.measure`` needs every point finite).
    """
    parts = _parts(drawing)
    px: dict[int, np.ndarray] = {}
    corners = []
    for side, (iris, up, low) in enumerate(((473, 386, 374), (468, 159, 145))):
        lid = _centre_line(parts[f"upper_lid:{side}"])
        corners += [lid[0], lid[-1]]
        pupil = parts.get(f"pupil:{side}")
        if pupil is not None:
            px[iris] = pupil.mean(axis=0)  # an ellipse sampled evenly: its mean is its centre
        n = len(lid)
        px[up] = lid[n // 2]
        white = parts.get(f"eye_white:{side}")
        px[low] = white[::-1][:n][n // 2] if white is not None else lid[n // 2]  # shut: lids together
    for iris, other, lid_part in ((473, 468, "upper_lid:0"), (468, 473, "upper_lid:1")):
        if iris not in px:  # a shut eye hides its pupil: it sits mid-eye, level with the other pupil
            lid = _centre_line(parts[lid_part])
            centre = (lid[0] + lid[-1]) / 2
            px[iris] = np.array([centre[0], px[other][1] if other in px else centre[1]])
    for side, (inner, mid, outer) in enumerate((((336, 285), (334, 282), (300, 276)),
                                                ((107, 55), (105, 52), (70, 46)))):
        line = _centre_line(parts[f"brow:{side}"])
        for ids, p in ((inner, line[0]), (mid, line[len(line) // 2]), (outer, line[-1])):
            for i in ids:
                px[i] = p
    upper, lower = parts["upper_lip"], parts["lower_lip"]
    n = len(upper) // 2
    up_outer, up_inner = upper[:n], upper[::-1][:n]
    lo_inner, lo_outer = lower[:n], lower[::-1][:n]
    px[0], px[13], px[14], px[17] = up_outer[_MID], up_inner[_MID], lo_inner[_MID], lo_outer[_MID]
    px[61], px[291] = up_inner[0], up_inner[-1]
    for q, (o_up, i_up, i_lo, o_lo) in ((_QUARTER_LEFT, (267, 312, 317, 314)), (_QUARTER_RIGHT, (37, 82, 87, 84))):
        px[o_up], px[i_up], px[i_lo], px[o_lo] = up_outer[q], up_inner[q], lo_inner[q], lo_outer[q]
    head = parts["head"]
    px[152] = head[_CHIN_VERTEX * len(head) // 96]
    px[411], px[187] = (head[v * len(head) // 96] for v in _CHEEK_VERTEX)
    nose = parts["nose"]
    px[2] = np.array([nose[:, 0].mean(), nose[:, 1].max()])
    for side, (wing, cheek) in enumerate(((358, 347), (129, 118))):
        px[wing] = parts[f"nose_wing:{side}"][-1]
        blush = parts.get(f"cheek:{side}")  # no blush in the style and no cheek motion: nothing drawn
        px[cheek] = blush.mean(axis=0) if blush is not None else np.array([np.nan, np.nan])
    # The head fit's stable points: the canonical face's, around the avatar's eyes, at its scale.
    origin = np.mean(corners, axis=0)
    ipd = float(np.linalg.norm(px[473] - px[468]))
    lm = np.tile(np.array([origin[0] / drawing.width, origin[1] / drawing.height, 0.0]), (geo.N_LANDMARKS, 1))
    for i, p in px.items():
        lm[i, :2] = (p[0] / drawing.width, p[1] / drawing.height)
    for i, (x, y, z) in _STABLE.items():  # MediaPipe's axes: y down, z away from the viewer
        lm[i] = ((origin[0] + ipd * x) / drawing.width, (origin[1] - ipd * y) / drawing.height,
                 -ipd * z / drawing.width)
    return lm


@dataclass(frozen=True)
class DrawnMeasures:
    """Frames of the avatar measured in the unit (:func:`measure_frames`)."""

    measures: geo.FaceMeasures  # (T,) / (T, 2) arrays, relative to the avatar's rest drawing
    landmarks: np.ndarray  # (T, 478, 3) the drawings' landmarks (normalised; NaN cheeks where undrawn)
    rest_landmarks: np.ndarray  # (478, 3) the rest drawing's
    ipd_px: float  # the avatar's pupil distance in pixels
    frame_tilt_deg: float  # angle between the fitted face frame's vertical and the drawing's (0 when exact)


def _frame_tilt(lm: np.ndarray, size: int) -> float:
    """Degrees between the face frame's downward axis and the nose-to-chin line, which is straight
    down the drawing: 0 when the head fit returns the drawing's own axes, as it should with
    canonical stable points."""
    c = geo.canonical_points(lm, (size, size))
    v = c[152] - c[195]
    return float(np.degrees(np.arccos(np.clip(-v[1] / np.linalg.norm(v), -1.0, 1.0))))


def measure_frames(frames: Sequence[ExpressionFrame], style: AvatarStyle | str | None = None, *,
                   size: int = 512) -> DrawnMeasures:
    """Measure what frames do on the avatar, in the unit of ``docs/units.md``.

    Parameters
    ----------
    frames : sequence of ExpressionFrame
        Drawn head-on with the gaze straight ahead (:func:`frontal` is applied).
    style : AvatarStyle or str, optional
        The avatar (a preset name or a style); default ``"default"``.
    size : int
        Drawing width and height in pixels (the measures do not depend on it).

    Returns
    -------
    DrawnMeasures
        ``measures`` against the avatar's own rest (the neutral frame's drawing), and the
        landmarks they were measured on.
    """
    style = style if isinstance(style, AvatarStyle) else load_style(style)

    def landmarks(frame: ExpressionFrame) -> np.ndarray:
        return drawing_landmarks(build_drawing(rig_from_frame(frontal(frame)), style, size=size))

    rest_lm = landmarks(ExpressionFrame.neutral())
    lms = np.stack([landmarks(f) for f in frames])
    # A cheek left undrawn (a style without blush, no cheek motion) has not moved from the rest's;
    # undrawn in the rest too, it is pinned to the eye corners (it never moves either).
    for i in (347, 118):
        if not np.isfinite(rest_lm[i, 0]):
            rest_lm[i] = rest_lm[33]
        undrawn = ~np.isfinite(lms[:, i, 0])
        lms[undrawn, i] = rest_lm[i]
    rest = geo.rest_face(rest_lm, (size, size))
    m = geo.measure(lms, (size, size), rest=rest)
    # The fitted tilt: the face frame's vertical against the drawing's (a pitch; flat drawing).
    return DrawnMeasures(m, lms, rest_lm, float(m.ipd_px[0]), _frame_tilt(rest_lm, size))


def channel_value(measures: geo.FaceMeasures, channel: str) -> np.ndarray:
    """The geometric measure (IPD units) of one channel in :data:`geometry.CHANNELS`, per frame."""
    ch = geo.CHANNELS[channel]
    v = np.asarray(getattr(measures, ch.measure))
    return v[..., ch.side] if ch.side is not None else v


# The channels that carry most of an expression (docs/units.md) which a flat drawing can show:
# everything there but LipFunnel (lips moving forward, invisible head-on), both sides.
KEY_CHANNELS: tuple[str, ...] = (
    "JawOpen", "MouthClosed",
    *(f"{stem}{side}" for stem in (
        "MouthCornerPull", "MouthCornerSlant", "MouthFrown", "MouthStretch", "MouthUpperUp",
        "MouthLowerDown", "MouthPress", "CheekPuff", "CheekSquint", "NoseSneer", "BrowInnerUp",
        "BrowOuterUp", "BrowLowerer", "BrowPinch", "EyeClosed", "EyeWide", "EyeSquint")
      for side in ("Left", "Right")),
    "LipPucker",
)
_PUCKER = tuple(f"LipPucker{part}{side}" for part in ("Upper", "Lower") for side in ("Left", "Right"))


def channel_frame(channel: str, weight: float) -> ExpressionFrame:
    """A frame asking for ``weight`` of one key channel alone.

    ``LipPucker`` sets its four quadrants (the unit has one measure for them); ``EyeClosedLeft`` /
    ``Right`` is VRCFaceTracking's ``1 - openness``; ``MouthClosed`` rides on ``JawOpen`` 1.0 (the
    lips close while the jaw is open, and MouthClosed <= JawOpen).
    """
    if channel == "LipPucker":
        return ExpressionFrame.from_shapes({n: weight for n in _PUCKER})
    if channel.startswith("EyeClosed"):
        eye = "openness_left" if channel.endswith("Left") else "openness_right"
        return ExpressionFrame.neutral().replace(**{eye: 1.0 - weight})
    if channel == "MouthClosed":
        return ExpressionFrame.from_shapes({"JawOpen": 1.0, "MouthClosed": weight})
    return ExpressionFrame.from_shapes({channel: weight})


def drawn_fraction(measured: DrawnMeasures, channel: str) -> np.ndarray:
    """What a key channel's frames did to the drawing, as a fraction of the channel's full extent.

    The unit's own measure over its full extent (:data:`geometry.CHANNELS`, unclipped), except:
    ``MouthClosed`` = JawOpen's fraction - lip gap / ``geometry.MOUTH_CLOSED_GAP_EXTENT`` (its
    definition), and ``EyeClosed`` = the upper lid's descent over the pupil as a share of **its own**
    rest height above the pupil (``lid_over_iris``): the unit's EyeClosed extent is a human upper
    lid's travel down to the iris centre (0.066 IPD, as high as an open human lid stands over it), and
    a cartoon eye is 3-5 times taller in IPD units (:func:`literal_eye_closed` gives the closure in the
    unit's extent). The cartoon's lids meet below the pupil, so a shut eye reads 1.14.

    Returns
    -------
    np.ndarray [shape=(T,)]
    """
    m = measured.measures
    if channel == "MouthClosed":
        return (geo.extent_to_weight("JawOpen", m.jaw_drop)
                - np.asarray(m.lip_gap) / geo.MOUTH_CLOSED_GAP_EXTENT)
    if channel == "LipPucker":
        channel = _PUCKER[0]
    if channel.startswith("EyeClosed"):
        side = geo.CHANNELS[channel].side
        closure = np.asarray(m.eye_closure)[..., side]
        return closure / (closure + np.asarray(m.lid_over_iris)[..., side])
    return geo.extent_to_weight(channel, channel_value(m, channel))


def literal_eye_closed(measured: DrawnMeasures, channel: str) -> np.ndarray:
    """EyeClosed in the unit's own extent (upper lid's descent over the pupil / 0.066 IPD), shape (T,)."""
    return geo.extent_to_weight(channel, channel_value(measured.measures, channel))


def unit_ratios(channel: str, weights: Sequence[float] = (0.25, 0.5, 1.0),
                style: AvatarStyle | str | None = None, *, size: int = 512) -> np.ndarray:
    """The avatar's extent over the requested extent for one key channel, per weight, shape (W,).

    1.0 everywhere means weight w moves the drawing exactly w x the channel's full extent.
    """
    measured = measure_frames([channel_frame(channel, w) for w in weights], style, size=size)
    return drawn_fraction(measured, channel) / np.asarray(weights, np.float64)
