"""Unified Expressions frame -> the avatar's drawing parameters (the "rig").

The rig is a small set of numbers per facial feature, already in **image** terms: index 0 of every
per-side pair is the subject's *left* feature, which is drawn on the image's *right* (the avatar faces
the viewer, like a person seen through a camera); ``SIDE_SIGN[i]`` is its x direction in the image.
Signed values (``jaw_side``, ``mouth_shift``, ``tongue_side``, gaze x) are positive towards the image's
right. Which UE shapes feed which numbers is the whole mapping; the drawing in :mod:`.shapes` never
reads UE names. The numbers stay fractions (0..1) of each channel; :mod:`.shapes` turns them into
motion in FaceMimic's unit (a weight w moves the drawing w x the channel's full extent in the
avatar's own inter-pupil distances, ``docs/units.md``).

Unused channels (no visible 2D counterpart): JawBackward, JawClench, JawMandibleRaise,
MouthUpperDeepen*, NasalConstrict* (only narrows nostrils), TongueBendDown, TongueCurlUp,
TongueSquish, TongueFlat, TongueTwist*, SoftPalateClose, ThroatSwallow, NeckFlex*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...expressions.frame import ExpressionFrame
from ...expressions.names import UE_INDEX

SIDES = ("Left", "Right")  # rig index 0 = the subject's left
SIDE_SIGN = (1.0, -1.0)  # image x direction of each side (the subject's left is image right)
MAX_YAW, MAX_PITCH, MAX_ROLL = 50.0, 35.0, 45.0  # degrees the 2.5D head can show convincingly

# Channels the avatar shows; tests check each one changes the drawing.
SHOWN_CHANNELS: tuple[str, ...] = tuple(
    n for n in UE_INDEX if not n.startswith((
        "JawBackward", "JawClench", "JawMandibleRaise", "MouthUpperDeepen", "TongueBendDown",
        "TongueCurlUp", "TongueSquish", "TongueFlat", "TongueTwist", "SoftPalateClose",
        "ThroatSwallow", "NeckFlex")))


def _pair(w: np.ndarray, stem: str) -> tuple[float, float]:
    return (float(w[UE_INDEX[stem + "Left"]]), float(w[UE_INDEX[stem + "Right"]]))


@dataclass(frozen=True, slots=True)
class Rig:
    """Drawing parameters for one frame. Per-side pairs are ``(subject's left, subject's right)``."""

    yaw: float = 0.0  # degrees, + turns to the subject's right (features move to image left)
    pitch: float = 0.0  # degrees, + looks down
    roll: float = 0.0  # degrees, + tilts to the subject's left (clockwise in the image)
    eye_open: tuple[float, float] = (1.0, 1.0)  # openness: 0 shut, 1 open (1 - EyeClosed)
    eye_wide: tuple[float, float] = (0.0, 0.0)  # EyeWide: upper lid raised 0..1
    eye_squint: tuple[float, float] = (0.0, 0.0)  # EyeSquint 0..1 (narrows the eye)
    eye_lower: tuple[float, float] = (0.0, 0.0)  # lower lid raise 0..1 (squint, cheek squint)
    gaze: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.0), (0.0, 0.0))  # image x right, y down, -1..1
    brow_inner: tuple[float, float] = (0.0, 0.0)  # inner end raise 0..1
    brow_outer: tuple[float, float] = (0.0, 0.0)  # outer end raise 0..1
    brow_lower: tuple[float, float] = (0.0, 0.0)  # whole brow down 0..1
    brow_pinch: tuple[float, float] = (0.0, 0.0)  # inner end towards the middle 0..1
    cheek_puff: tuple[float, float] = (0.0, 0.0)
    cheek_raise: tuple[float, float] = (0.0, 0.0)  # CheekSquint
    cheek_suck: tuple[float, float] = (0.0, 0.0)
    sneer: tuple[float, float] = (0.0, 0.0)  # nose wing up + wrinkle
    nostril: tuple[float, float] = (0.0, 0.0)  # -1 narrowed .. 1 flared
    jaw_open: float = 0.0  # 0..1 chin (and the lower lip on it) drops
    jaw_side: float = 0.0  # -1..1, + chin to image right (JawLeft)
    jaw_forward: float = 0.0  # 0..1
    lips_closed: float = 0.0  # MouthClosed: lips stay together while the jaw opens (<= jaw_open)
    corner_pull: tuple[float, float] = (0.0, 0.0)  # MouthCornerPull: up and out along the smile line
    corner_slant: tuple[float, float] = (0.0, 0.0)  # MouthCornerSlant: corner up
    corner_down: tuple[float, float] = (0.0, 0.0)  # frown
    stretch: tuple[float, float] = (0.0, 0.0)  # lower lip pulled sideways/down
    dimple: tuple[float, float] = (0.0, 0.0)
    press: tuple[float, float] = (0.0, 0.0)  # lips pressed thin (press + tightener)
    upper_up: tuple[float, float] = (0.0, 0.0)  # upper lip raised, teeth show
    lower_down: tuple[float, float] = (0.0, 0.0)  # lower lip lowered, teeth show
    pucker: float = 0.0
    funnel: float = 0.0
    suck_upper: tuple[float, float] = (0.0, 0.0)  # upper lip rolled in (LipSuckUpper*), per half
    suck_lower: tuple[float, float] = (0.0, 0.0)  # lower lip rolled in (LipSuckLower*), per half
    suck_corner: float = 0.0
    mouth_shift: float = 0.0  # -1..1, + mouth to image right (MouthUpperLeft/MouthLowerLeft)
    chin_raise: float = 0.0  # MouthRaiserLower: lower lip pushed up
    upper_raise: float = 0.0  # MouthRaiserUpper
    tongue_out: float = 0.0
    tongue_up: float = 0.0
    tongue_down: float = 0.0
    tongue_side: float = 0.0  # -1..1, + tip to image right (TongueLeft)
    tongue_roll: float = 0.0


REST = Rig()


def _clip(v: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if v < lo else hi if v > hi else v


def _finite(v: float, default: float = 0.0) -> float:
    v = float(v)
    return v if np.isfinite(v) else default


def rig_from_frame(frame: ExpressionFrame) -> Rig | None:
    """The drawing parameters of one frame, or ``None`` for a gap frame (``present=False``).

    Parameters
    ----------
    frame : ExpressionFrame
        Any frame; weights are clipped to [0, 1], NaNs read as 0.

    Returns
    -------
    Rig or None
        ``None`` when the frame is a gap: the caller holds the last face (see
        :class:`~facemimic.animate.avatar.render.AvatarRenderer`).
    """
    if not frame.present:
        return None
    w = np.clip(np.nan_to_num(np.asarray(frame.weights, np.float32)), 0.0, 1.0)
    g = lambda n: float(w[UE_INDEX[n]])  # noqa: E731
    P = lambda stem: _pair(w, stem)  # noqa: E731
    squint, wide = P("EyeSquint"), P("EyeWide")
    cheek_sq = P("CheekSquint")
    openness = (_clip(_finite(frame.openness_left, 1.0)), _clip(_finite(frame.openness_right, 1.0)))
    eye_lower = tuple(_clip(sq + 0.4 * cs) for sq, cs in zip(squint, cheek_sq))  # AU6 pushes the lid up too
    gaze = []
    for gx, gy in (frame.gaze_left, frame.gaze_right):
        # VRCFT gaze: +x the subject's right = image left; +y up = image up.
        gaze.append((_clip(-_finite(gx), -1.0, 1.0), _clip(-_finite(gy), -1.0, 1.0)))
    pull, slant = P("MouthCornerPull"), P("MouthCornerSlant")
    stretch, dimple, frown = P("MouthStretch"), P("MouthDimple"), P("MouthFrown")
    press, tight = P("MouthPress"), P("MouthTightener")
    rot = [_finite(v) for v in frame.head_rotation]

    def mean(*names: str) -> float:
        return float(np.mean([g(n) for n in names]))

    return Rig(
        yaw=_clip(rot[0], -MAX_YAW, MAX_YAW), pitch=_clip(rot[1], -MAX_PITCH, MAX_PITCH),
        roll=_clip(rot[2], -MAX_ROLL, MAX_ROLL),
        eye_open=openness, eye_wide=wide, eye_squint=squint, eye_lower=eye_lower, gaze=(gaze[0], gaze[1]),
        brow_inner=P("BrowInnerUp"), brow_outer=P("BrowOuterUp"), brow_lower=P("BrowLowerer"),
        brow_pinch=P("BrowPinch"),
        cheek_puff=P("CheekPuff"), cheek_raise=cheek_sq, cheek_suck=P("CheekSuck"),
        sneer=P("NoseSneer"),
        nostril=tuple(d - 0.6 * c for d, c in zip(P("NasalDilation"), P("NasalConstrict"))),
        jaw_open=g("JawOpen"), jaw_side=g("JawLeft") - g("JawRight"), jaw_forward=g("JawForward"),
        lips_closed=min(g("MouthClosed"), g("JawOpen")),  # VRCFT's corrector: MouthClosed <= JawOpen
        corner_pull=pull, corner_slant=slant, corner_down=frown, stretch=stretch, dimple=dimple,
        press=tuple(_clip(p + 0.6 * t) for p, t in zip(press, tight)),
        upper_up=P("MouthUpperUp"), lower_down=P("MouthLowerDown"),
        pucker=mean("LipPuckerUpperLeft", "LipPuckerUpperRight", "LipPuckerLowerLeft", "LipPuckerLowerRight"),
        funnel=mean("LipFunnelUpperLeft", "LipFunnelUpperRight", "LipFunnelLowerLeft", "LipFunnelLowerRight"),
        suck_upper=P("LipSuckUpper"), suck_lower=P("LipSuckLower"),
        suck_corner=mean("LipSuckCornerLeft", "LipSuckCornerRight"),
        mouth_shift=0.5 * (g("MouthUpperLeft") - g("MouthUpperRight") + g("MouthLowerLeft") - g("MouthLowerRight")),
        chin_raise=g("MouthRaiserLower"), upper_raise=g("MouthRaiserUpper"),
        tongue_out=g("TongueOut"), tongue_up=g("TongueUp"), tongue_down=g("TongueDown"),
        tongue_side=g("TongueLeft") - g("TongueRight"), tongue_roll=g("TongueRoll"),
    )
