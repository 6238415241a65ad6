"""The personalised displacement model: Unified Expressions -> 2D landmark motion for one face.

Each *control* (jaw drop, left mouth-corner pull, right eyelid closing …) is a displacement of the
478 MediaPipe landmarks authored in a **canonical face frame** — origin between the eyes, x along
the eye line towards the subject's left eye, y down towards the chin, x measured in inter-ocular
distances and y in 0.36 face heights (so horizontal motion is foreshortened on a turned face the
way it would be in the photo). The templates are built from *this* face's own landmarks (its lip
seam, lid margins, brow lines), then mapped to image pixels with the face's roll and scale.

Per frame the model is ``landmark motion = basis (478*2, K) @ curve(mix (K, 93) @ drive (93,))``:
``drive`` is the 88 UE weights, the two eye closures (``1 - openness``), the lips the jaw keeps
together (``min(MouthClosed, JawOpen)``, VRCFaceTracking's rule) and the two "sad brow" products
BrowInnerUp x BrowLowerer.

**The unit** (``docs/units.md``, issue #11): every key control's template is scaled, for this face,
so that amount 1 moves its landmarks by the channel's full extent as
:func:`facemimic.expressions.geometry.measure` measures it (IPD units, the photo as the rest):
JawOpen 1 drops the chin 0.75 IPD (the lower lip, chin and lower cheeks ride on the jaw), a corner
pull of 1 moves the mouth corner 0.25 IPD along the zygomatic line, and so on (:data:`UNIT_CONTROLS`).
The lip gap is not a control: it follows from the jaw, MouthClosed and the lip shapes
(:func:`facemimic.expressions.mouth.implied_lip_gap`); a photo whose lips are already parted (a
toothy smile) has its own gap sealed as far as the frame's lips close (:meth:`DisplacementModel.seal`).
``curve`` is a per-control monotone response curve fitted by :func:`facemimic.animate.portrait.
calibrate.calibrate` so that the landmarks re-tracked on the animated portrait move by the requested
extent (identity: the landmark motion itself is by the unit).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ...expressions import geometry
from ...expressions.mouth import LIPS_MEET_GAP, implied_lip_gap
from ...expressions.names import UE_NAMES, ue_index
from . import landmarks as L

N_DRIVE = len(UE_NAMES) + 5  # 88 weights, closure R/L, min(MouthClosed, JawOpen), sad brow R/L
DRIVE_CLOSE_RIGHT = len(UE_NAMES)
DRIVE_CLOSE_LEFT = len(UE_NAMES) + 1
DRIVE_LIPS_CLOSED = len(UE_NAMES) + 2
DRIVE_SAD_BROW = {"right": len(UE_NAMES) + 3, "left": len(UE_NAMES) + 4}
# AU1 + AU4 (the "sad" brow): the product of the two could add inner raise. It was 1 while the
# loop chased MediaPipe's brow readings (which see either the lowerer or the raise, never both);
# with the loop's composed targets (implied.py: the raise and the lowering as displacements that
# add) it only overshot the inner raise (fearful: 1.5-2.5x) and lifted the middle brow, so 0.
SAD_BROW_GAIN = 0.0
SIDES = ("right", "left")
SIDE_SIGN = {"right": -1.0, "left": 1.0}  # canonical x of the subject's right/left side

# Controls: name -> {drive input: gain}. Sided controls use "{S}" for Right/Left.
_SIDED = {
    "corner_pull": {"MouthCornerPull{S}": 1.0, "MouthCornerSlant{S}": 0.0},
    "frown": {"MouthFrown{S}": 1.0},
    "stretch": {"MouthStretch{S}": 1.0},
    "dimple": {"MouthDimple{S}": 1.0},
    "upper_up": {"MouthUpperUp{S}": 1.0, "MouthUpperDeepen{S}": 0.3},
    "lower_down": {"MouthLowerDown{S}": 1.0},
    "press": {"MouthPress{S}": 0.6, "MouthTightener{S}": 0.6, "LipSuckUpper{S}": 0.5,
              "LipSuckLower{S}": 0.5, "LipSuckCorner{S}": 0.3},
    # The mouth's narrowing is LipPucker's measure alone (docs/units.md; LipFunnel's is the lips
    # forward, and its own template gathers the lips a little): a funnel fed into the pucker too
    # narrowed "AO" (funnel 0.5, pucker 0.2) 0.36 IPD on single_face.jpg for the unit's 0.06.
    "pucker": {"LipPuckerUpper{S}": 0.5, "LipPuckerLower{S}": 0.5},
    "funnel": {"LipFunnelUpper{S}": 0.5, "LipFunnelLower{S}": 0.5},
    "cheek_puff": {"CheekPuff{S}": 1.0, "CheekSuck{S}": -0.7},
    "cheek_squint": {"CheekSquint{S}": 1.0},
    "nose_sneer": {"NoseSneer{S}": 1.0},
    "eye_wide": {"EyeWide{S}": 1.0},
    "eye_squint": {"EyeSquint{S}": 1.0},
    "brow_inner_up": {"BrowInnerUp{S}": 1.0},
    "brow_outer_up": {"BrowOuterUp{S}": 1.0},
    "brow_lower": {"BrowLowerer{S}": 1.0},
    "brow_pinch": {"BrowPinch{S}": 1.0},
}
_SINGLE = {
    "jaw_open": {"JawOpen": 1.0},
    "lips_close": {"*lips_closed": 1.0},
    "seal": {},  # closes the photo's own lip gap; its amount comes from DisplacementModel.seal
    "seal_corners": {},  # the corners' rise as the lips close it (DisplacementModel.seal_amounts)
    "jaw_side": {"JawLeft": 1.0, "JawRight": -1.0},  # + towards the subject's left
    "jaw_forward": {"JawForward": 1.0, "JawBackward": -0.5},
    "upper_lip_side": {"MouthUpperLeft": 1.0, "MouthUpperRight": -1.0},
    "lower_lip_side": {"MouthLowerLeft": 1.0, "MouthLowerRight": -1.0},
    "chin_raise": {"MouthRaiserLower": 1.0, "MouthRaiserUpper": 0.3},
}


def control_names() -> tuple[str, ...]:
    """Names of the K controls, in basis order (sided ones as ``name_right``/``name_left``)."""
    names = list(_SINGLE)
    names += [f"{n}_{s}" for n in _SIDED for s in SIDES]
    names += ["eye_close_right", "eye_close_left"]
    return tuple(names)


CONTROL_NAMES = control_names()
_JAW_CONTROL = CONTROL_NAMES.index("jaw_open")
_LIPS_CONTROL = CONTROL_NAMES.index("lips_close")
_SEAL_CONTROL = CONTROL_NAMES.index("seal")
_SEAL_CORNERS_CONTROL = CONTROL_NAMES.index("seal_corners")
_LID_CONTROLS = [CONTROL_NAMES.index("eye_close_right"), CONTROL_NAMES.index("eye_close_left")]
SPEAKING_REST_GAP = 0.10  # IPD: the widest own lip gap kept while the mouth moves (a toothy smile's)
SPEAKING_ONSET = 0.1  # MouthClosed / speaking lip shape at which a wider photo gap has relaxed to it

# Controls scaled by the unit: control stem -> the UE channel whose full extent amount 1 moves
# (``geometry.CHANNELS``: its measure, side and extent). "{S}": the subject's Right/Left.
# Not here: lips_close (scaled with the jaw, so MouthClosed = JawOpen seals what the jaw opened),
# seal (the photo's own gap), LipFunnel (lips forward: depth a 2D warp cannot show), the eye
# closures (1 = the lids meet, whatever the eye's own aperture), dimple, jaw side/forward, the
# lips' sideways moves and the chin raiser (no geometric definition yet).
UNIT_CONTROLS = {
    "jaw_open": "JawOpen",
    "corner_pull": "MouthCornerPull{S}", "frown": "MouthFrown{S}", "stretch": "MouthStretch{S}",
    "upper_up": "MouthUpperUp{S}", "lower_down": "MouthLowerDown{S}", "press": "MouthPress{S}",
    "pucker": "LipPuckerUpper{S}", "cheek_puff": "CheekPuff{S}", "cheek_squint": "CheekSquint{S}",
    "nose_sneer": "NoseSneer{S}", "brow_inner_up": "BrowInnerUp{S}", "brow_outer_up": "BrowOuterUp{S}",
    "brow_lower": "BrowLowerer{S}", "brow_pinch": "BrowPinch{S}", "eye_wide": "EyeWide{S}",
    "eye_squint": "EyeSquint{S}",
}
UNIT_PROBE = 0.5  # template amount measured to size each control (the measures are near linear)
UNIT_GAIN_RANGE = (0.2, 5.0)  # a template is never rescaled beyond this (a lost measure keeps 1)


def unit_controls() -> dict[str, tuple[str, ...]]:
    """UE channel -> the controls that move it together (both sides for a central measure)."""
    out: dict[str, tuple[str, ...]] = {}
    for stem, channel in UNIT_CONTROLS.items():
        if "{S}" not in channel:
            out[channel] = (stem,)
            continue
        central = geometry.CHANNELS[channel.replace("{S}", "Left")].side is None
        for s in SIDES:
            name = channel.replace("{S}", s.capitalize())
            out[name] = (f"{stem}_right", f"{stem}_left") if central else (f"{stem}_{s}",)
    return out


def measure_motion(points: np.ndarray, motions: np.ndarray, rest: np.ndarray) -> geometry.FaceMeasures:
    """Geometric measures (IPD units, against ``rest``) of the face's landmarks moved in 2D.

    Parameters
    ----------
    points : np.ndarray [shape=(478, 3)]
        Landmark pixels (x, y, depth in x's pixels).
    motions : np.ndarray [shape=(T, 478, 2)]
        Pixel motions; depth is kept.
    rest : np.ndarray [shape=(478, 3)]
        The face's rest in the face frame (``geometry.rest_face(points, (1, 1))``).
    """
    moved = np.repeat(np.asarray(points, np.float64)[None, :, :3], len(motions), axis=0)
    moved[..., :2] += motions
    return geometry.measure(moved, (1.0, 1.0), rest)


def unit_gains(points: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, dict]:
    """Per-control factors that make each template's amount 1 the channel's full extent.

    Parameters
    ----------
    points : np.ndarray [shape=(478, 3)]
        The photo's landmark pixels (x, y, depth), its own rest.
    basis : np.ndarray [shape=(K, 478, 2)]
        Pixel templates in :data:`CONTROL_NAMES` order.

    Returns
    -------
    (gains (K,), report {channel: extent per unit template amount before scaling, as a fraction of
    the full extent})
    """
    rest = geometry.rest_face(points, (1.0, 1.0))
    index = {n: i for i, n in enumerate(CONTROL_NAMES)}
    groups = unit_controls()
    motions = []
    for controls in groups.values():
        c = np.zeros(len(CONTROL_NAMES), np.float32)
        c[[index[n] for n in controls]] = UNIT_PROBE
        motions.append(np.tensordot(c, basis, axes=1))
    m = measure_motion(points, np.stack(motions), rest)
    gains = np.ones(len(CONTROL_NAMES), np.float32)
    report = {}
    for t, (channel, controls) in enumerate(groups.items()):
        ch = geometry.CHANNELS[channel]
        v = getattr(m, ch.measure)[t]
        v = float(v if ch.side is None else v[ch.side]) / UNIT_PROBE
        frac = v / ch.full_extent
        report[channel] = round(frac, 3)
        if np.isfinite(frac) and frac > 0.02:
            for n in controls:
                if ch.side is not None or n.endswith(SIDES[0]) or len(controls) == 1:
                    gains[index[n]] = np.clip(1.0 / frac, *UNIT_GAIN_RANGE)
                else:
                    gains[index[n]] = gains[index[controls[0]]]
    gains[_LIPS_CONTROL] = gains[_JAW_CONTROL]  # MouthClosed = JawOpen seals what the jaw opened
    return gains, report


# Skin whose tracked surface turns more than ~60 degrees from the camera (cos < EDGE_ON_COS) is
# seen edge-on, at the silhouette: a motion along it moves it mostly in depth, so its sideways
# motion in the picture is foreshortened (foreshorten_edge_on, on the side turned away).
# 45-m7-di-ph.jpg (turned 34 degrees) has its far mouth corner on the outline (cos 0.17): the
# neutral rest's MouthStretch undo (0.34) pulled it 7 px inwards and stretched the 5 px strip to
# the outline 2.4x, a pale notch with a dark V on every frame. The lips of the benchmark's six other
# faces lie at cos 0.59-0.96 (both sides alike) and keep their motion.
EDGE_ON_COS = 0.5
EDGE_ON_NEIGHBOURS = 10  # landmarks in each local plane fit of the tracked surface
EDGE_ON_SMOOTHING = 2  # rounds of averaging the fits over the same neighbourhoods


def _nearest(points: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """(len(queries), k) indices of the ``k`` nearest ``points`` to each query, nearest first
    (all pairs: a few hundred landmarks; scipy.spatial's import alone costs ~0.3 s)."""
    d = np.sum((queries[:, None, :] - points[None, :, :]) ** 2, axis=2)
    part = np.argpartition(d, k - 1, axis=1)[:, :k]
    order = np.argsort(np.take_along_axis(d, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def surface_cos(points: np.ndarray, frame: "FaceFrame") -> np.ndarray:
    """How much of a sideways motion along the tracked face surface shows in the image, per landmark.

    Parameters
    ----------
    points : np.ndarray [shape=(478, 3)]
        Landmark pixels (x, y, depth in x's pixels).
    frame : FaceFrame
        The face's canonical frame (its x axis: the eye line).

    Returns
    -------
    np.ndarray [shape=(478,)]
        ``1 / sqrt(1 + (dz/du)^2)``, ``dz/du`` the depth's slope along the eye line of a plane fitted
        to the landmark and its nearest mesh neighbours (1: the surface faces the camera along the eye
        line, 0: it is seen edge-on).
        The irises (not on the surface mesh) take 1.
    """
    pts = np.asarray(points, np.float64)
    mesh = pts[:L.N_MESH]
    uv = (mesh[:, :2] - frame.origin) @ frame.rotation
    k = min(EDGE_ON_NEIGHBOURS, len(mesh))
    nb = _nearest(uv, uv, k)
    d = uv[nb] - uv[:, None, :]  # (468, k, 2)
    a = np.concatenate([d, np.ones(d.shape[:2] + (1,))], axis=2)
    z = mesh[nb, 2] - mesh[:, None, 2]
    # least squares per landmark: z = s_u du + s_v dv + c
    ata = np.einsum("nki,nkj->nij", a, a) + 1e-9 * np.eye(3)
    atz = np.einsum("nki,nk->ni", a, z)
    slope = np.linalg.solve(ata, atz[..., None])[:, 0, 0]
    cos = 1.0 / np.sqrt(1.0 + slope * slope)
    # averaged over the same neighbourhoods: single fits scatter (45-m7-di-ph's lip landmarks beside
    # its far corner read 0.2-0.97), and neighbours scaled unlike each other fold the mesh
    for _ in range(EDGE_ON_SMOOTHING):
        cos = cos[nb].mean(axis=1)
    out = np.ones(len(pts))
    out[:L.N_MESH] = cos
    return out


@functools.lru_cache(maxsize=1)
def mirror_landmarks() -> np.ndarray:
    """(478,) int: each landmark's mirror image across the face's midline (itself on the midline),
    from MediaPipe's canonical mesh, which is left/right symmetric; the irises swap."""
    from ...capture.api import canonical_mesh
    from ...expressions.geometry import mirror_partners

    mirror = mirror_partners(canonical_mesh())
    iris = np.arange(L.N_MESH, L.N_MESH + 10)
    return np.concatenate([mirror, np.roll(iris, 5)]).astype(np.int64)


def edge_on_scale(points: np.ndarray, frame: "FaceFrame") -> np.ndarray:
    """(478,) how much of a sideways motion each landmark keeps where its side is seen more
    edge-on than its mirror image: ``min(1, e / e_mirror)``, ``e = min(1, surface_cos /
    EDGE_ON_COS)``; 1 on a face seen from the front (both sides alike) and on the near side.

    Parameters
    ----------
    points : np.ndarray [shape=(478, 3)]
        Landmark pixels (x, y, depth in x's pixels).
    frame : FaceFrame
    """
    edge = np.clip(surface_cos(points, frame) / EDGE_ON_COS, 1e-3, 1.0)
    return np.minimum(1.0, edge / edge[mirror_landmarks()])


def foreshorten_edge_on(motion: np.ndarray, points: np.ndarray, frame: "FaceFrame") -> np.ndarray:
    """``motion`` (..., 478, 2) px with each landmark's motion along the eye line scaled down where
    its side is seen more edge-on than its mirror image (a turned face's far side): by
    ``min(1, e / e_mirror)``, ``e = min(1, surface_cos / EDGE_ON_COS)`` (see :data:`EDGE_ON_COS`).
    A face seen from the front (both sides alike) keeps its motion; the motion across the eye
    line is always kept.

    Parameters
    ----------
    motion : np.ndarray [shape=(..., 478, 2)]
    points : np.ndarray [shape=(478, 3)]
        Landmark pixels (x, y, depth in x's pixels).
    frame : FaceFrame

    Returns
    -------
    np.ndarray, ``motion``'s shape and dtype
    """
    scale = edge_on_scale(points, frame)
    motion = np.asarray(motion)
    if np.all(scale >= 1.0):
        return motion
    ax = np.asarray(frame.rotation[:, 0], np.float64)
    along = motion.astype(np.float64) @ ax  # (..., 478)
    out = motion - ((1.0 - scale) * along)[..., None] * ax
    return out.astype(motion.dtype)


# A turned face's far side ends at its silhouette: the cheek there turns away from the camera, and
# a mouth corner moved outwards along it goes behind the cheek, not past it into the background.
# 45-m7-di-ph.jpg (turned 34 degrees) has its far mouth corner 2 px of mesh (5 px of skin) from
# the silhouette at 256 px; fear's MouthStretch 0.69 drew it 11-12 px (0.28 IPD) outwards and a
# smile 2-3 px, so the lips spilled over the cheek's edge (the far side's calibrated curve asks
# 2x the unit where the tracker barely sees that corner move; foreshortening the motion by the
# edge-on scale alone, 0.34 there, still drew it 7 px out). Each landmark's outward motion along
# the eye line is held to EDGE_HOLD_SHARE of its room to the silhouette (FarSideHold).
EDGE_HOLD_SHARE = 0.5  # of the room (px) from a landmark to the silhouette, outwards along the eye line
EDGE_HOLD_BAND = 0.1  # IPD: the silhouette at a landmark's height is the outermost mesh point this near it
# The hold applies to the whole side turned away, by how far the head is turned: not at all up to
# EDGE_HOLD_YAW[0] degrees (the benchmark's other faces, 0-10 degrees, keep their motion), in full
# from EDGE_HOLD_YAW[1]. Per landmark by its edge-on scale, the cheek above 45-m7's far corner
# (scale 0.75-0.85: its mirror is seen at a slant too) was held a third and still bulged 12 px
# out beside the held corner, a spike in the outline.
EDGE_HOLD_YAW = (15.0, 25.0)


@dataclass(frozen=True)
class FarSideHold:
    """Holds a turned face's far side inside its silhouette (see :data:`EDGE_HOLD_SHARE`).

    ``outward`` (478, 2) unit vectors along the eye line away from the face's midline, ``limit``
    (478,) px the outward motion may approach (``EDGE_HOLD_SHARE`` x the room to the silhouette),
    ``weight`` (478,) 0..1 how far the hold applies (on the side turned away, by the head's turn;
    0 on the near side and the midline)."""

    outward: np.ndarray
    limit: np.ndarray
    weight: np.ndarray

    @classmethod
    def for_face(cls, points: np.ndarray, frame: "FaceFrame", yaw: float) -> "FarSideHold":
        """The hold of one face.

        Parameters
        ----------
        points : np.ndarray [shape=(478, 3)]
            Landmark pixels (x, y, depth in x's pixels).
        frame : FaceFrame
        yaw : float
            The head's turn in the photo, degrees (its sign is not used: the side turned away is
            the one seen more edge-on, :func:`edge_on_scale`).
        """
        pts = np.asarray(points, np.float64)
        ax, down = frame.rotation[:, 0], frame.rotation[:, 1]
        xy = pts[:, :2]
        side = np.sign((xy - xy[mirror_landmarks()]) @ ax)  # +1: towards the image's eye-line end
        side[L.N_MESH:] = 0.0  # the irises move with the lids' own rules
        scale = edge_on_scale(pts, frame)[:L.N_MESH]
        far = 1.0 if scale[side[:L.N_MESH] > 0].mean() < scale[side[:L.N_MESH] < 0].mean() else -1.0
        turned = float(np.clip((abs(yaw) - EDGE_HOLD_YAW[0]) / (EDGE_HOLD_YAW[1] - EDGE_HOLD_YAW[0]), 0.0, 1.0))
        weight = np.where(side == far, turned, 0.0) if np.isfinite(yaw) else np.zeros(len(pts))
        outward = side[:, None] * ax[None, :]
        mesh = xy[:L.N_MESH]
        along = (mesh[None, :, :] - xy[:, None, :]) @ ax * side[:, None]  # (478, 468) outwards
        near = np.abs((mesh[None, :, :] - xy[:, None, :]) @ down) < EDGE_HOLD_BAND * frame.sx
        room = np.maximum(np.where(near, along, 0.0).max(axis=1), 0.0)
        return cls(outward, EDGE_HOLD_SHARE * room, weight)

    @property
    def active(self) -> bool:
        return bool(np.any(self.weight > 0.0))

    def __call__(self, motion: np.ndarray) -> np.ndarray:
        """``motion`` (478, 2) px with each landmark's outward motion along the eye line eased
        towards its limit (``limit * tanh(out / limit)``, 0 where the limit is 0), by its weight;
        inward and vertical motion kept.

        Parameters
        ----------
        motion : np.ndarray [shape=(478, 2)]

        Returns
        -------
        np.ndarray [shape=(478, 2)], ``motion``'s dtype
        """
        motion = np.asarray(motion)
        if not self.active:
            return motion
        out = np.einsum("ij,ij->i", motion.astype(np.float64), self.outward)
        lim = np.maximum(self.limit, 1e-6)
        held = np.where(out > 0.0, lim * np.tanh(np.maximum(out, 0.0) / lim), out)
        cut = self.weight * (out - held)  # >= 0: only outward motion is taken back
        return (motion - cut[:, None] * self.outward).astype(motion.dtype)


REST_LIMIT = 1.5  # largest rest amount the jaw takes (a photo gaping wider is not a rest)
# the rest's lip shapes that hold the lips apart (a toothy smile's raised upper and lowered lower lip)
_LIP_OPENERS = [CONTROL_NAMES.index(f"{n}_{s}") for n in ("upper_up", "lower_down") for s in SIDES]


def _rest_lips(points: np.ndarray, basis: np.ndarray, rest_mix: np.ndarray) -> np.ndarray:
    """``rest_mix`` with the rest's lip-opening shapes scaled back so that taking them away closes
    the photo's inner-lip gap and no further (``rest="neutral"``).

    The rest is read as weights and taken off in template amounts; on a toothy smile the raised
    upper lip and lowered lower lip read stronger than the photo's own gap (0-f15-hao-ph.jpg:
    MouthUpperUp 0.8 and MouthLowerDown 0.4 close 38 px of a 27.5 px gap at 512 px), so taking
    them off drove the lower lip 11-15 px through the upper one: the warp pressed the lips
    together into a pout. The shapes are scaled by the share that just closes the gap (the jaw,
    :func:`_rest_jaw`, then closes what is left, nothing here)."""
    own = geometry.rest_face(points, (1.0, 1.0))
    others = rest_mix.copy()
    others[[_JAW_CONTROL, _LIPS_CONTROL, _SEAL_CONTROL, _SEAL_CORNERS_CONTROL]] = 0.0
    kept = others.copy()
    kept[_LIP_OPENERS] = 0.0
    m = measure_motion(points, np.stack([np.tensordot(-others, basis, axes=1),
                                         np.tensordot(-kept, basis, axes=1)]), own)
    full, without = float(m.lip_gap[0]), float(m.lip_gap[1])  # gap left with / without the openers off
    out = rest_mix.copy()
    if np.isfinite(full) and np.isfinite(without) and full < 0.0 < without:
        # the lip gap is linear in the template amounts: this share of the openers closes it exactly
        out[_LIP_OPENERS] *= without / (without - full)
    return out


def _rest_jaw(points: np.ndarray, basis: np.ndarray, rest_mix: np.ndarray) -> float:
    """The jaw amount of a ``rest="neutral"`` rest: what closes the photo's inner-lip gap that
    the rest's other controls leave open (so taking the rest away brings the lips together, and
    no further: lips driven past each other fold the mesh)."""
    own = geometry.rest_face(points, (1.0, 1.0))
    others = rest_mix.copy()
    # (the seal's row of an absolute rest is the upper lip's relax, _rest_upper_lip: part of what
    # closes the gap)
    others[[_JAW_CONTROL, _LIPS_CONTROL]] = 0.0
    probe = np.zeros_like(others)
    probe[_JAW_CONTROL] = UNIT_PROBE
    motions = np.stack([np.tensordot(-others, basis, axes=1), np.tensordot(probe, basis, axes=1)])
    m = measure_motion(points, motions, own)
    gap0 = float(geometry.measure(np.asarray(points, np.float64)[:, :3], (1.0, 1.0)).lip_gap)
    left = float(m.lip_gap[0])  # the photo's gap with the other rest controls taken away
    per_amount = (float(m.lip_gap[1]) - gap0) / UNIT_PROBE
    if not (np.isfinite(left) and np.isfinite(per_amount)) or per_amount <= 1e-6:
        return 0.0
    return float(np.clip(left / per_amount, 0.0, REST_LIMIT))


# A smile stretches the upper lip thin (and everts less of it): a toothy smile's upper vermilion is
# 0.058-0.061 IPD at the middle (single_face, the astronaut) against 0.08-0.17 (median 0.12) on real
# closed mouths (CK+ neutral onsets), upper / lower 0.6-0.85. Taking the smile's weights off moves
# the whole upper lip but gives it no height back, so the rest of such a photo closed on a thin,
# stretched upper lip (upper / lower 0.44-0.5). The rest lowers the upper lip's inner edge (its
# outer edge, and the skin above, stay) until the upper lip is REST_UPPER_LIP_RATIO of the lower,
# at most REST_UPPER_LIP_MAX (IPD) tall and never past REST_UPPER_LIP_SHARE of the gap the jaw
# still has to close (the lips meet lower; none of it on a photo whose lips already touch).
REST_UPPER_LIP_RATIO = 0.8
REST_UPPER_LIP_MAX = 0.13
REST_UPPER_LIP_SHARE = 0.8


def _relax_upper_lip(frame: "FaceFrame") -> np.ndarray:
    """Pixel displacement (478, 2) that lowers the upper lip's inner edge by the photo's own
    inner-lip gap (amount 1), its outer edge not at all (linear between), in proportion to the
    gap along the mouth (none at the corners). Used as the ``seal`` row of a ``rest="neutral"``
    model (whose seal is otherwise always 0: the rest's jaw closes the photo's gap)."""
    g = _Geometry(frame)
    P = g.P
    upper, lower = P[list(L.LIP_INNER_UPPER)], P[list(L.LIP_INNER_LOWER)]
    outer = P[list(L.LIP_OUTER_UPPER)]
    uc = np.clip(g.u, upper[:, 0].min(), upper[:, 0].max())
    v_in, v_out = _interp_chain(upper, uc), _interp_chain(outer, uc)
    gap = np.maximum(_interp_chain(lower, uc) - v_in, 0.0)
    share = np.clip((g.v - v_out) / np.maximum(v_in - v_out, 1e-3), 0.0, 1.0)
    share[list(g.lower_set)] = 0.0
    share[g.v > v_in + 1e-3] = 0.0  # nothing below the upper lip's inner edge moves
    share[list(L.LIP_INNER_UPPER)] = 1.0
    d = np.zeros_like(P)
    d[:, 1] = share * gap * g.mesh
    return frame.to_pixels(d).astype(np.float32)


def _rest_upper_lip(points: np.ndarray, basis: np.ndarray, rest_mix: np.ndarray,
                    frame: "FaceFrame", relax: np.ndarray) -> float:
    """The amount of :func:`_relax_upper_lip`'s ``relax`` (478, 2) px that a ``rest="neutral"``
    rest gives a smile's thin upper lip (0 when the lips are closed in the photo or the upper lip
    is already REST_UPPER_LIP_RATIO of the lower), measured at the mouth's middle on the photo's
    landmarks ``points`` (478, 2+) px with the rest's other controls ``rest_mix`` (K,) taken off."""
    others = rest_mix.copy()
    others[[_JAW_CONTROL, _LIPS_CONTROL, _SEAL_CONTROL, _SEAL_CORNERS_CONTROL]] = 0.0
    rest = np.asarray(points, np.float64)[:, :2] - np.tensordot(others, basis, axes=1)
    v = rest @ frame.rotation[:, 1] / frame.sx  # IPD along "down"
    upper, lower, left = v[13] - v[0], v[17] - v[14], v[14] - v[13]
    per_amount = float(relax[13] @ frame.rotation[:, 1]) / frame.sx
    if not (left > 0.0 and per_amount > 1e-6):
        return 0.0
    want = min(REST_UPPER_LIP_RATIO * lower, REST_UPPER_LIP_MAX) - upper
    add = float(np.clip(want, 0.0, REST_UPPER_LIP_SHARE * left))
    return add / per_amount


def mix_matrix() -> np.ndarray:
    """(K, 93) matrix turning the drive vector into control amounts."""
    m = np.zeros((len(CONTROL_NAMES), N_DRIVE), np.float32)
    row = {n: i for i, n in enumerate(CONTROL_NAMES)}

    def col(name: str) -> int:
        return DRIVE_LIPS_CLOSED if name == "*lips_closed" else ue_index(name)

    for n, ins in _SINGLE.items():
        for src, g in ins.items():
            m[row[n], col(src)] += g
    for n, ins in _SIDED.items():
        for s in SIDES:
            for src, g in ins.items():
                m[row[f"{n}_{s}"], col(src.replace("{S}", s.capitalize()))] += g
    m[row["eye_close_right"], DRIVE_CLOSE_RIGHT] = 1.0
    m[row["eye_close_left"], DRIVE_CLOSE_LEFT] = 1.0
    for s in SIDES:
        m[row[f"brow_inner_up_{s}"], DRIVE_SAD_BROW[s]] = SAD_BROW_GAIN
    return m


def drive_vector(weights: np.ndarray, openness: tuple[float, float]) -> np.ndarray:
    """The (93,) drive: 88 UE weights, closure right/left, the lips the jaw keeps together
    (``min(MouthClosed, JawOpen)``: the unit's rule, ``docs/units.md``), and the "sad brow" products
    BrowInnerUp*BrowLowerer right/left.

    Parameters
    ----------
    weights : np.ndarray [shape=(88,)]
    openness : (right, left) eye openness, 1 open
    """
    x = np.zeros(N_DRIVE, np.float32)
    w = np.nan_to_num(np.asarray(weights, np.float32), nan=0.0)
    x[:len(UE_NAMES)] = w
    x[DRIVE_CLOSE_RIGHT] = 1.0 - float(openness[0])
    x[DRIVE_CLOSE_LEFT] = 1.0 - float(openness[1])
    x[DRIVE_LIPS_CLOSED] = min(max(w[_MOUTH_CLOSED], 0.0), max(w[_JAW], 0.0))
    for s in SIDES:
        x[DRIVE_SAD_BROW[s]] = w[_BROW_UP[s]] * w[_BROW_DOWN[s]]
    return x


_JAW = ue_index("JawOpen")
_MOUTH_CLOSED = ue_index("MouthClosed")
# Lip shapes that neither drop the jaw nor part the lips: any of them active means the mouth is
# speaking, so DisplacementModel.seal relaxes a gaping photo gap to SPEAKING_REST_GAP.
_SPEAKING_SHAPES = np.array([ue_index(n) for n in UE_NAMES
                             if n.startswith(("LipFunnel", "LipPucker", "MouthStretch", "MouthPress", "LipSuck"))])
_BROW_UP = {s: ue_index(f"BrowInnerUp{s.capitalize()}") for s in SIDES}
_BROW_DOWN = {s: ue_index(f"BrowLowerer{s.capitalize()}") for s in SIDES}


# ------------------------------------------------------------------------------------------------
# The face's own frame
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FaceFrame:
    """Canonical face frame of one detected face (pixels of the work image).

    ``canonical = inv(R @ diag(sx, sy)) @ (pixel - origin)``.
    """

    origin: np.ndarray  # (2,) px: midpoint of the two eye centres
    rotation: np.ndarray  # (2, 2): columns are the canonical x (eye line) and y (down) axes in the image
    sx: float  # px per canonical x unit: inter-ocular distance (foreshortened on a turned face)
    sy: float  # px per canonical y unit: 0.36 x forehead-to-chin distance
    points: np.ndarray  # (478, 2) landmark pixels
    canonical: np.ndarray  # (478, 2) landmarks in the canonical frame

    @classmethod
    def from_landmarks(cls, pts: np.ndarray) -> "FaceFrame":
        """Build from (478, 2) landmark pixels."""
        pts = np.asarray(pts, np.float64)[:, :2]
        er = pts[[33, 133]].mean(0)
        el = pts[[263, 362]].mean(0)
        ex = el - er
        iod = float(np.hypot(*ex))
        ax = ex / max(iod, 1e-6)
        ay = np.array([-ax[1], ax[0]])  # 90 degrees clockwise in image coordinates: "down"
        if np.dot(pts[L.CHIN] - pts[L.FOREHEAD_TOP], ay) < 0:  # a mirrored mesh: keep y towards the chin
            ay = -ay
        origin = (er + el) / 2
        height = float(abs(np.dot(pts[L.CHIN] - pts[L.FOREHEAD_TOP], ay)))
        sy = max(0.36 * height, 1e-6)
        rot = np.stack([ax, ay], axis=1)
        can = ((pts - origin) @ rot) / np.array([max(iod, 1e-6), sy])
        return cls(origin, rot, max(iod, 1e-6), sy, pts, can)

    def to_pixels(self, d: np.ndarray) -> np.ndarray:
        """Canonical displacements (..., 2) -> pixel displacements (..., 2)."""
        return (np.asarray(d) * np.array([self.sx, self.sy])) @ self.rotation.T

    @property
    def size(self) -> float:
        """A face size in pixels (the larger of the two scales, x 2.8: about the face's width)."""
        return 2.8 * max(self.sx, self.sy)


# ------------------------------------------------------------------------------------------------
# Templates
# ------------------------------------------------------------------------------------------------
def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _interp_chain(chain_pts: np.ndarray, u: np.ndarray) -> np.ndarray:
    """v of a polyline (points sorted by u) at abscissae ``u`` (held flat beyond its ends)."""
    order = np.argsort(chain_pts[:, 0])
    return np.interp(u, chain_pts[order, 0], chain_pts[order, 1])


class _Geometry:
    """Canonical landmark positions plus the derived lines the templates need."""

    def __init__(self, frame: FaceFrame) -> None:
        P = frame.canonical
        self.P = P
        self.u, self.v = P[:, 0], P[:, 1]
        self.idx = np.arange(len(P))
        self.mesh = self.idx < L.N_MESH
        inner_u = P[list(L.LIP_INNER_UPPER)]
        inner_l = P[list(L.LIP_INNER_LOWER)]
        self.seam = (inner_u + inner_l) / 2  # (11, 2) mouth seam from right to left corner
        self.corner = {s: P[L.MOUTH_CORNER[s]] for s in SIDES}
        self.mouth_centre = (P[13] + P[14]) / 2
        self.mouth_half = max(abs(self.corner["left"][0] - self.corner["right"][0]) / 2, 0.2)
        self.lip_gap = float(max(P[14, 1] - P[13, 1], 0.0))
        self.lower_set = set(L.LIP_INNER_LOWER[1:-1]) | set(L.LIP_OUTER_LOWER[1:-1])
        self.upper_set = set(L.LIP_INNER_UPPER[1:-1]) | set(L.LIP_OUTER_UPPER[1:-1])
        self.lip_height = float(max(P[17, 1] - P[0, 1], 0.15))  # outer top to outer bottom

    def seam_v(self, u):
        return _interp_chain(self.seam, u)

    def below_seam(self) -> np.ndarray:
        """Membership (478,) of the lower jaw: 1 on the lower lip and chin, 0 above the seam."""
        u, v = self.u, self.v
        d = v - self.seam_v(u)
        out_of_corners = np.maximum(np.abs(u - self.mouth_centre[0]) - self.mouth_half, 0.0)
        width = 0.03 + 0.6 * out_of_corners  # hard at the lips, soft beside the mouth
        m = _smoothstep(d / width + 0.5)
        m[list(self.lower_set)] = 1.0
        m[list(self.upper_set)] = 0.0
        # Near the corners both lips share the motion (the corners belong to both), so the mouth
        # opens into a lens, not a box, and the skin beside the corners does not tear.
        to_corner = np.minimum(np.hypot(u - self.corner["right"][0], v - self.corner["right"][1]),
                               np.hypot(u - self.corner["left"][0], v - self.corner["left"][1]))
        taper = _smoothstep(to_corner / (0.6 * self.mouth_half))
        m = 0.5 + (m - 0.5) * taper
        return m

    def lateral(self, start: float, end: float) -> np.ndarray:
        """1 within ``start`` of the mouth's midline, falling to 0 at ``end``."""
        a = np.abs(self.u - self.mouth_centre[0])
        return 1.0 - _smoothstep((a - start) / max(end - start, 1e-6))

    def gauss(self, centre, sigma: float, sy: float | None = None) -> np.ndarray:
        sy = sigma if sy is None else sy
        du = (self.u - centre[0]) / sigma
        dv = (self.v - centre[1]) / sy
        return np.exp(-0.5 * (du * du + dv * dv))

    def lip_zone(self, reach: float = 1.6) -> np.ndarray:
        """1 on the lips, fading within ``reach`` lip heights of the seam and beyond the corners."""
        d = np.abs(self.v - self.seam_v(self.u)) / (self.lip_height * reach)
        return (1 - _smoothstep(d)) * self.lateral(self.mouth_half * 0.9, self.mouth_half * 1.5)


# A smile's cheek raise (AU6) lifts the lower lid by only part of the cheek's own rise: real CK+
# happy apexes against their neutral onsets, 0.37-0.48 (median 0.43; docs/journal/animate.md, twelfth
# session). The template carried the lid 0.6-0.9 of the cheek's rise, so a rest="neutral" rest
# taking a smiling photo's cheek raise off dropped the lower lid up to twice as far as the smile
# had lifted it (the astronaut: CheekSquint 0.45, lid 0.044 IPD down, re-tracked EyeWide 0.5 ->
# 0.9-1.0 at rest: round, staring eyes), and a smile's apex squinted more than the loop's targets.
CHEEK_LID_FOLLOW = 0.43
CHEEK_UPPER = dict(zip(("left", "right"), geometry.CHEEK_UPPER))  # the cheek point cheek_raise reads


def _eye_templates(g: _Geometry, side: str) -> dict[str, np.ndarray]:
    """Closing, widening and squinting displacements of one eye (478, 2)."""
    P, u, v = g.P, g.u, g.v
    up = P[list(L.EYE_UPPER[side])]
    lo = P[list(L.EYE_LOWER[side])]
    gap_at = lambda x: np.maximum(_interp_chain(lo, x) - _interp_chain(up, x), 0.0)  # noqa: E731
    umin, umax = min(up[:, 0].min(), lo[:, 0].min()), max(up[:, 0].max(), lo[:, 0].max())
    width = umax - umin
    eye_h = float(max(gap_at(np.linspace(umin, umax, 9)).max(), 0.04))
    ucen = (umin + umax) / 2
    # horizontal falloff: full over the eye, gone half an eye-width beyond the corners
    lat = 1 - _smoothstep((np.abs(u - ucen) - width / 2) / (0.5 * width))
    v_up = _interp_chain(up, u)
    v_lo = _interp_chain(lo, u)
    gap = gap_at(np.clip(u, umin, umax))
    # The lid's skin follows up to 2.6 eye heights above the margin, but never reaches the brow
    # (drawn eyes are large and sit close under the brows).
    brow = P[list(L.BROW_LOWER[side])]
    reach = np.clip(0.8 * (v_up - _interp_chain(brow, u)), 0.5 * eye_h, 2.6 * eye_h)
    above = np.clip((v_up - v) / reach, 0, None)  # 0 on the lid margin, 1 at the reach
    below = np.clip((v - v_lo) / (2.2 * eye_h), 0, None)
    f_above = (1 - _smoothstep(above)) * (v <= v_up + 1e-9) * lat
    f_below = (1 - _smoothstep(below)) * (v >= v_lo - 1e-9) * lat
    upper_ids = list(L.EYE_UPPER[side][1:-1])
    lower_ids = list(L.EYE_LOWER[side][1:-1])
    corners = [L.EYE_UPPER[side][0], L.EYE_UPPER[side][-1]]
    out = {}
    # Close: the upper lid travels 85 % of the opening, the lower lid rises 15 %; the skin above
    # follows (the lid fold stretches), the cheek below barely moves.
    d = np.zeros_like(P)
    d[:, 1] += 0.85 * gap * f_above
    d[:, 1] -= 0.15 * gap * f_below * 0.6
    d[upper_ids, 1] = 0.85 * gap[upper_ids]
    d[lower_ids, 1] = -0.15 * gap[lower_ids]
    d[corners] = 0.0
    d[~g.mesh] = 0.0
    out["eye_close"] = d
    # Wide: the upper lid rises by 35 % of the eye's height with the skin above.
    d = np.zeros_like(P)
    d[:, 1] -= 0.35 * eye_h * f_above * np.clip(gap / eye_h, 0.3, 1.0)
    d[corners] = 0.0
    d[~g.mesh] = 0.0
    out["eye_wide"] = d
    # Squint: the lower lid rises 22 % of the eye's height (the upper lid stays: a squint is not
    # a blink, and the tracker reads a lowered upper lid as closing).
    d = np.zeros_like(P)
    d[:, 1] -= 0.22 * eye_h * f_below * np.clip(gap / eye_h, 0.3, 1.0)
    d[corners] = 0.0
    d[~g.mesh] = 0.0
    out["eye_squint"] = d
    # Cheek squint: the cheek and the lower lid rise (orbicularis oculi, AU6).
    cheek = np.array([ucen, float(lo[:, 1].max()) + 0.5])
    d = np.zeros_like(P)
    d[:, 1] -= 0.08 * g.gauss(cheek, 0.35, 0.2) * g.mesh  # the cheek's apple, kept off the lid
    d[:, 1] -= 0.12 * eye_h * f_below
    d[corners, 1] *= 0.5
    # the lower lid rises CHEEK_LID_FOLLOW of the infraorbital cheek's rise, no more
    c = CHEEK_UPPER[side]
    r_c, r_l = -float(d[c, 1]), -float(np.mean(d[lower_ids, 1]))
    near = (1 - _smoothstep(np.clip((v - v_lo) / eye_h, 0, None))) * (v >= v_lo - 1e-9)
    near[lower_ids] = 1.0
    if r_c > 0 and r_l > CHEEK_LID_FOLLOW * r_c:
        h = (r_l - CHEEK_LID_FOLLOW * r_c) / (r_l - CHEEK_LID_FOLLOW * r_c * float(near[c]))
        d[:, 1] *= 1.0 - h * near
    out["cheek_squint"] = d
    return out


# The face outline over the forehead, temple to temple (the brow templates fade to it).
FOREHEAD_OUTLINE = (54, 103, 67, 109, 10, 338, 297, 332, 284)
# Why linear and past the outline: a smoothstep fade over 0.9 units with the outline held still
# squeezed the forehead between raised brows and the outline to a fifth of its height (brows
# 0.25-0.30 IPD up under an outline 0.25-0.36 IPD above them; 0-f1-su, t1: the photo's soft light
# change became an edge). With the outline moving (1 - 1/REACH) of the brows and the head ring 0.4
# of the outline (warp.HEAD_RING_FOLLOW), the band below and the band above the outline (about as
# high) compress alike for REACH = 1 / (1 - 1/1.6) ~ 2.7: each keeps 1 - 0.375 lift/height.
FOREHEAD_REACH = 2.7
FOREHEAD_MIN_HEIGHT = 0.15  # canonical units (~0.25 IPD): a turned face's temple near its brow's end


def _brow_templates(g: _Geometry, side: str) -> dict[str, np.ndarray]:
    P, u, v = g.P, g.u, g.v
    top = P[list(L.BROW_UPPER[side])]
    bot = P[list(L.BROW_LOWER[side])]
    mid = (top + bot) / 2  # outer -> inner
    uo, ui = mid[0, 0], mid[-1, 0]
    span = abs(ui - uo)
    t_outer = np.clip((u - ui) / (uo - ui), 0, 1)  # 0 at the inner end, 1 at the outer end
    v_brow = _interp_chain(mid, u)
    lid = P[list(L.EYE_UPPER[side])]
    v_lid = _interp_chain(lid, u)
    umin, umax = min(uo, ui), max(uo, ui)
    lat = 1 - _smoothstep((np.maximum(umin - u, u - umax)) / (0.45 * span))
    # over the forehead between the brows the two sides' fields share the skin (they sum to 1 on a
    # symmetric raise): each side's own falloff left the midline at a third of the brows' lift, a
    # column of skin lagging behind and squeezed against its neighbours
    other = P[L.BROW_UPPER["left" if side == "right" else "right"][-1], 0]
    between = (u - other) / (ui - other) if abs(ui - other) > 1e-6 else np.ones_like(u)
    shared = np.where((between > 0) & (between < 1), _smoothstep(between), lat)
    lat_own = lat
    lat = lat + (np.maximum(shared, lat) - lat) * _smoothstep((v_brow - v) / 0.15)
    # above the brow: the forehead skin follows less and less, linearly, up to FOREHEAD_REACH times
    # the mesh's forehead height (its outline is mid-forehead, 0.25-0.35 IPD above the brows, not
    # the hairline), so the skin compresses (stretches) evenly; below: fades to 0 at the lid
    v_top = _interp_chain(P[list(FOREHEAD_OUTLINE)], u)
    reach = FOREHEAD_REACH * np.maximum(v_brow - v_top, FOREHEAD_MIN_HEIGHT)
    above = np.clip((v_brow - v) / reach, 0, 1)
    below = 1 - _smoothstep((v - v_brow) / np.maximum(v_lid - v_brow, 0.05))
    f = np.where(v <= v_brow, 1 - above, below)
    f = f * lat * g.mesh
    f[v > v_lid + 0.02] = 0.0
    # lowered brows stretch the skin above them instead: it fades over 0.9 units as before, the
    # outline held (build_templates; carried down like the raise, the face read shorter: dlib
    # distance at the angry apexes +0.01-0.03 on 5 of 7 portraits)
    fl = np.where(v <= v_brow, 1 - _smoothstep(np.clip((v_brow - v) / 0.9, 0, None)), below)
    fl = fl * lat_own * g.mesh
    fl[v > v_lid + 0.02] = 0.0
    inner = 1 - t_outer
    towards_mid = -SIDE_SIGN[side]  # x direction towards the face's midline
    out = {}
    d = np.zeros_like(P)
    d[:, 1] = -0.20 * f * (0.35 + 0.65 * inner ** 1.5)
    out["brow_inner_up"] = d
    d = np.zeros_like(P)
    d[:, 1] = -0.18 * f * (0.25 + 0.75 * t_outer)
    out["brow_outer_up"] = d
    d = np.zeros_like(P)
    d[:, 1] = 0.13 * fl * (0.6 + 0.4 * inner)
    d[:, 0] = 0.04 * towards_mid * fl * inner
    out["brow_lower"] = d
    d = np.zeros_like(P)
    d[:, 0] = 0.07 * towards_mid * fl * inner
    d[:, 1] = 0.02 * fl * inner
    out["brow_pinch"] = d
    return out


def _mouth_templates(g: _Geometry, side: str) -> dict[str, np.ndarray]:
    P = g.P
    sgn = SIDE_SIGN[side]
    c = g.corner[side]
    zone = g.lip_zone()
    # Which half of the mouth: 1 on this side of the midline, fading across it.
    half = _smoothstep((sgn * (g.u - g.mouth_centre[0])) / (0.6 * g.mouth_half) + 0.5)
    low = g.below_seam()
    out = {}
    # Corner shapes move this corner, not the middle of the lips (nor the nose and chin above and
    # below it): on a narrow mouth (15-f13-anc, 0.75 IPD wide) the corner's Gaussian reached the
    # lips' middle, which moved with the corners, so the corner (measured from the lips' middle)
    # read little of the motion, its unit gain grew, and the whole mouth was carried off.
    from_middle = _smoothstep(sgn * (g.u - g.mouth_centre[0]) / (0.7 * g.mouth_half))
    w = g.gauss(c, 0.30) * g.mesh * from_middle
    d = np.zeros_like(P)
    d[:, 0] = 0.13 * sgn * w
    d[:, 1] = -0.19 * w
    nl = g.gauss(c + np.array([0.12 * sgn, -0.3]), 0.25, 0.18) * g.mesh  # the cheek above rises with it
    d[:, 1] -= 0.06 * nl
    out["corner_pull"] = d
    w = g.gauss(c, 0.28) * g.mesh
    d = np.zeros_like(P)
    d[:, 0] = 0.02 * sgn * w * from_middle
    d[:, 1] = 0.16 * w * from_middle
    out["frown"] = d
    # the stretch too moves its corner sideways, not the lips' middle (see from_middle): on a
    # turned face the far half of the mouth is foreshortened to ~0.35 IPD and the corner's
    # Gaussian reached the middle at 0.8 of the corner's motion (45-m7-di-ph.jpg): fear's far
    # stretch carried the whole mouth 17 px (0.4 IPD) sideways over the cheek's edge. (Down, the
    # middle still follows a little: both sides' shares add there; taking it away too changed
    # speech's re-tracked lip gaps, 0-f1-su-ph: vowels read shut 10 -> 13 of 109. Lowered only near
    # the corners (session 15): 9 -> 11, though the mean re-tracked gap of the open frames *opens*
    # +0.003 IPD: MediaPipe reads that photo's lips open ~0.2 or shut ~0.02, and 22 frames flipped,
    # both ways; the middle's drop is what makes fear's mouth line a smile's U, #12.)
    d = np.zeros_like(P)
    d[:, 0] = 0.14 * sgn * w * from_middle
    d[:, 1] = 0.05 * w
    out["stretch"] = d
    w = g.gauss(c, 0.2) * g.mesh
    d = np.zeros_like(P)
    d[:, 0] = 0.07 * sgn * w
    d[:, 1] = -0.02 * w
    out["dimple"] = d
    d = np.zeros_like(P)
    d[:, 1] = -0.16 * zone * (1 - low) * half * g.mesh
    out["upper_up"] = d
    d = np.zeros_like(P)
    d[:, 1] = 0.16 * zone * low * half * g.mesh
    out["lower_down"] = d
    # Press / suck: the lips thin towards the seam.
    d = np.zeros_like(P)
    d[:, 1] = -0.35 * (g.v - g.seam_v(g.u)) * zone * half * g.mesh
    out["press"] = d
    # Pucker: the lips gather towards the middle; funnel: and part.
    towards = -(g.u - g.mouth_centre[0])
    d = np.zeros_like(P)
    d[:, 0] = 0.40 * towards * zone * half * g.mesh
    out["pucker"] = d
    d = np.zeros_like(P)
    d[:, 0] = 0.25 * towards * zone * half * g.mesh
    d[:, 1] = (0.10 * low - 0.05 * (1 - low)) * zone * half * g.mesh
    out["funnel"] = d
    # Cheek puff / suck: the lower cheek bulges outwards.
    cheek = np.array([c[0] + 0.35 * sgn, c[1] - 0.25])
    d = np.zeros_like(P)
    d[:, 0] = 0.10 * sgn * g.gauss(cheek, 0.35) * g.mesh
    out["cheek_puff"] = d
    ala = P[L.NOSE_ALA[side]]
    # AU9 lifts the nose wing and the skin beside it down to the upper lip, not the mouth corner
    # (AU12's) nor the lower lip: the lower lobe reached the corner and lifted it 0.04-0.07 IPD per
    # unit (0.65-0.7 of the wing's lift), so a disgusted apex smiled and taking a frowning photo's
    # sneer reading off (15-f13-anc: 0.3-0.45) turned its corners down
    lobe = g.gauss(ala + np.array([0, 0.35]), 0.2) * (1 - g.gauss(c, SNEER_CORNER_CLEAR)) * (1 - low)
    d = np.zeros_like(P)
    d[:, 1] = -0.09 * g.gauss(ala, 0.16) * g.mesh - 0.05 * lobe * g.mesh
    out["nose_sneer"] = d
    return out


SNEER_CORNER_CLEAR = 0.18  # canonical units: how far from the mouth corner the sneer's lower lobe fades in


# The upper lip's share of MouthClosed's closing. Raised alone against a chin that stays, the lower
# lip dragged MediaPipe's chin up with it: in reenactment, where the closed loop holds the lips
# through this control, the re-tracked chin read 0.69 of the jaw's request (docs/units.md, Portraits).
LIPS_CLOSE_UPPER = 0.4
# The seal's share of the photo's own lip gap closed by the upper lip coming down (the rest by the
# lower lip rising), as MouthClosed's. Raised by the lower lip alone, a gaping photo's sealed lips
# met on the upper lip's own arched inner contour, high under the nose, which MediaPipe re-tracks
# ~0.02 IPD apart however hard they are pressed (0-f1-su-ph.jpg: 0.020-0.025 drawn 0.03-0.10 IPD
# past touching; its /p b m/ in --say 0.008-0.031 against the 0.03 bound, with the loop's corner pull
# straightening the seam the only ones read shut). Met between the lips: 0.008-0.011 (0.5: 0.017-0.031).
# Only on a photo gaping past a toothy mouth (its own gap from SEAL_UPPER_GAPE[0] IPD, all of the
# share from [1], as the template reads it: 0-f1-su 0.295): on the toothy photos (single_face 0.20,
# 0-f15-hao 0.22 IPD) the lower lip alone
# already re-tracks closed (hao's /p b m/ 0.000-0.009; with the share 0.009-0.016), and the share
# there cost the reenactment's chin (0.75 -> 0.70 of the driver's) and widened hao's vowels.
SEAL_UPPER = 0.35
SEAL_UPPER_GAPE = (0.24, 0.28)
# The share of the inner lips' centre's rise (or fall) the seal gives the mouth corners. A jaw
# closing carries the corners half as far as the lower lip (the jaw template), so a sealed smile
# keeps its corners' height against the mouth's centre. Without it (0) the lower lip rose to the
# upper one under corners that stayed: single_face's toothy smile, sealed by a reenactment driver's
# closed lips, flattened to 0.05-0.08 IPD less smile pull than the driver showed.
SEAL_CORNERS = 1.0


def _single_templates(g: _Geometry) -> dict[str, np.ndarray]:
    P = g.P
    low = g.below_seam()
    lat = g.lateral(g.mouth_half * 1.2, g.mouth_half * 3.2)
    out = {}
    # The mandible rotates about its joints: the lower lip, chin and lower cheeks drop together
    # (the inner-lip gap follows the chin drop one for one, as MOUTH_CLOSED_GAP_EXTENT says), the
    # chin swings back a little (narrowing in 2D) and the skin fades out towards the ears.
    d = np.zeros_like(P)
    d[:, 1] = 0.50 * low * lat * g.mesh
    d[:, 0] = -0.06 * (g.u - g.mouth_centre[0]) * low * lat * g.mesh  # the jaw narrows a little
    out["jaw_open"] = d
    near = 1 - _smoothstep((g.v - g.seam_v(g.u)) / (2.0 * g.lip_height))
    near_up = 1 - _smoothstep((g.seam_v(g.u) - g.v) / (2.0 * g.lip_height))
    # MouthClosed's lips meet between the two lips: the lower lip rises (1 - LIPS_CLOSE_UPPER) of
    # the way and the upper lip comes down the rest, the skin above it fading out before the nose
    # (see LIPS_CLOSE_UPPER).
    d = np.zeros_like(P)
    d[:, 1] = 0.50 * ((LIPS_CLOSE_UPPER * (1 - low) * near_up) - (1 - LIPS_CLOSE_UPPER) * low * near) \
        * g.lateral(g.mouth_half, g.mouth_half * 1.6) * g.mesh
    out["lips_close"] = d
    # Seal: the photo's own lip gap closed by the lower lip rising to the upper one (the upper
    # lip, measured against the nose, stays where MouthUpperUp puts it); the chin stays on the
    # jaw. Amount 1 brings the inner lips together.
    upper = P[list(L.LIP_INNER_UPPER)]
    lower = P[list(L.LIP_INNER_LOWER)]
    uc = np.clip(g.u, upper[:, 0].min(), upper[:, 0].max())
    gap = np.maximum(_interp_chain(lower, uc) - _interp_chain(upper, uc), 0.0)
    side = g.lateral(g.mouth_half, g.mouth_half * 1.6) * g.mesh
    below = 1 - _smoothstep((g.v - g.seam_v(g.u)) / (1.4 * g.lip_height))
    above = 1 - _smoothstep((g.seam_v(g.u) - g.v) / (1.4 * g.lip_height))
    gape = float(np.mean(gap[list(L.LIP_INNER_LOWER[3:8])]))  # the photo's own gap, as drawn_lip_gap reads it
    share = SEAL_UPPER * _smoothstep((gape - SEAL_UPPER_GAPE[0]) / (SEAL_UPPER_GAPE[1] - SEAL_UPPER_GAPE[0]))
    d = np.zeros_like(P)
    d[:, 1] = (share * (1 - low) * above - (1 - share) * low * below) * gap * side
    inner_lower = list(L.LIP_INNER_LOWER[1:-1])
    inner_upper = list(L.LIP_INNER_UPPER[1:-1])
    d[inner_lower, 1] = -(1 - share) * gap[inner_lower]
    d[inner_upper, 1] = share * gap[inner_upper]
    out["seal"] = d
    # The corners keep their height against the inner lips' centre as the lips close the gap
    # (SEAL_CORNERS): both lips and the skin beside the corners rise together by (0.5 - share) of
    # the gap, all of it at the corners and none in the middle, so the lips meet where the seal
    # meets them. Its amount is the lips' own share of the seal (DisplacementModel.seal_amounts).
    d = np.zeros_like(P)
    if gape > 0.0:
        towards_corner = np.clip(1.0 - gap / gape, 0.0, 1.0)
        d[:, 1] = -SEAL_CORNERS * (0.5 - share) * gape * towards_corner * above * below * side
    out["seal_corners"] = d
    d = np.zeros_like(P)
    d[:, 0] = 0.14 * low * lat * g.mesh
    out["jaw_side"] = d
    d = np.zeros_like(P)
    d[:, 1] = 0.03 * low * lat * g.mesh
    out["jaw_forward"] = d
    zone = g.lip_zone()
    d = np.zeros_like(P)
    d[:, 0] = 0.12 * zone * (1 - low) * g.mesh
    out["upper_lip_side"] = d
    d = np.zeros_like(P)
    d[:, 0] = 0.12 * zone * low * g.mesh
    out["lower_lip_side"] = d
    chin = P[L.CHIN] + np.array([0, -0.4])
    d = np.zeros_like(P)
    d[:, 1] = -0.08 * g.gauss(chin, 0.45) * low * g.mesh
    out["chin_raise"] = d
    return out


def build_templates(frame: FaceFrame) -> np.ndarray:
    """Canonical displacement templates (K, 478, 2) for this face, in :data:`CONTROL_NAMES` order."""
    g = _Geometry(frame)
    t = _single_templates(g)
    sided = {}
    for s in SIDES:
        for name, d in {**_mouth_templates(g, s), **_brow_templates(g, s), **_eye_templates(g, s)}.items():
            sided[f"{name}_{s}"] = d
    t.update(sided)
    # What no expression moves (the sitter's identity): the nose and the face's sides at ear level.
    # The lip, cheek and press shapes' fields reached the nose (a smile lifted its tip and wings
    # 0.13-0.24 IPD, so taking a photo's smile off dragged it into a long snout). Only the sneer
    # moves the nose wings in full; the upper-lip raiser (levator labii, inserted at the wings)
    # keeps half its pull there.
    rigid = _rigid(g)
    # the brow raisers' forehead field fades out evenly past the face outline (_brow_templates):
    # pinning the outline over the forehead squeezed the skin below it to a fifth of its height
    rigid_brows = _rigid(g, forehead=False)
    for name in t:
        if name.startswith(("brow_inner_up", "brow_outer_up")):
            t[name] = t[name] * (1.0 - rigid_brows)[:, None]
        elif name.startswith("upper_up"):
            t[name] = t[name] * (1.0 - 0.5 * rigid)[:, None]
        elif not name.startswith("nose_sneer"):
            t[name] = t[name] * (1.0 - rigid)[:, None]
    return np.stack([t[n] for n in CONTROL_NAMES]).astype(np.float32)


RIGID_SIDES = (127, 356, 234, 454, 93, 323, 162, 389)  # the face's sides at ear level (geometry.STABLE_POINTS)
# The face outline over the forehead (the hairline and temples): the brow raisers' forehead field
# reached it, and surprised moved it 0.16-0.22 IPD up (a longer face: single_face re-tracked
# outline 0.061 IPD from the photo's at the apex, the face scaled 0.95 to fit)
RIGID_FOREHEAD = (10, 338, 297, 332, 284, 54, 103, 67, 109)


def _rigid(g: _Geometry, *, forehead: bool = True) -> np.ndarray:
    """How still each landmark stays (478,), 0..1: 1 on the nose (bridge to subnasale, wing to wing),
    at the face's sides by the ears and on its outline over the forehead, fading over ~0.08-0.1
    units around them."""
    u, v, P = g.u, g.v, g.P
    top, base = P[168], P[L.SUBNASALE]
    wings = P[[129, 358]]
    mid = np.interp(v, [top[1], base[1]], [top[0], base[0]])
    half_width = np.interp(v, [top[1], wings[:, 1].mean(), base[1]],
                           [0.12, 0.5 * abs(wings[1, 0] - wings[0, 0]) + 0.04, 0.5 * abs(wings[1, 0] - wings[0, 0])])
    nose = ((1 - _smoothstep((np.abs(u - mid) - half_width) / 0.08))
            * (1 - _smoothstep((v - base[1]) / 0.05)) * (1 - _smoothstep((top[1] - v) / 0.1)))
    d = np.min(np.hypot(u[:, None] - P[list(RIGID_SIDES), 0], v[:, None] - P[list(RIGID_SIDES), 1]), axis=1)
    sides = np.exp(-0.5 * (d / 0.1) ** 2)
    d = np.min(np.hypot(u[:, None] - P[list(RIGID_FOREHEAD), 0], v[:, None] - P[list(RIGID_FOREHEAD), 1]), axis=1)
    # only well above the brows (on a turned face the far temple comes close to its brow's end)
    brow_top = min(float(P[list(L.BROW_UPPER[s]), 1].min()) for s in SIDES)
    pin = np.exp(-0.5 * (d / 0.12) ** 2) * _smoothstep((brow_top - v - 0.1) / 0.2) if forehead else 0.0
    return np.maximum(np.maximum(nose, sides), pin) * g.mesh


# ------------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------------
# The jaw under held lips: a drive whose lips hold this share of its opening closed
# (min(MouthClosed, JawOpen) / JawOpen) is drawn on the jaw's held-lips curve
# (ResponseCurves.held_jaw, probed with the lips held so), less on the way (share 0: the jaw's own
# curve, probed alone). MediaPipe reads a warped chin shorter under held lips (single_face.jpg:
# 0.51-0.66 of its motion with a third held, 0.39-0.59 with 0.6 held, 0.60-0.70 alone), and the
# closed loop does not correct the jaw: reenactment read the driver's jaw at 0.72-0.77. 0.6 is how
# the loop holds an open jaw's lips (WolfgangLanger -> single_face, drives with JawOpen > 0.2: held
# share p25 0.61, median 0.86); probed at a third, the curve gained 3-5 % and the jaw read 0.78.
HELD_SHARE = 0.6


def held_blend(x: np.ndarray) -> float:
    """How far (0..1) the (93,) rest-relative drive ``x`` is drawn on the jaw's held-lips curve:
    ``min(f / HELD_SHARE, 1)``, ``f = min(MouthClosed, JawOpen) / JawOpen`` (0 with the jaw shut)."""
    jaw = max(float(x[_JAW]), 0.0)
    if jaw <= 1e-3:
        return 0.0
    return min(max(float(x[DRIVE_LIPS_CLOSED]), 0.0) / jaw / HELD_SHARE, 1.0)


@dataclass(frozen=True)
class ResponseCurves:
    """Per-control monotone response: requested amount -> template amount (``np.interp``)."""

    knots: np.ndarray  # (n,) requested amounts, ascending, spanning [-1, 1]
    values: np.ndarray  # (K, n) template amounts at the knots
    # (n,) the jaw's template amounts at the knots with HELD_SHARE of its opening held closed
    # (None: the jaw's own curve, values[jaw], for every drive)
    held_jaw: np.ndarray | None = None

    @classmethod
    def identity(cls, k: int) -> "ResponseCurves":
        knots = np.array([-1.0, 0.0, 1.0], np.float32)
        return cls(knots, np.tile(knots, (k, 1)))

    def __call__(self, c: np.ndarray) -> np.ndarray:
        """Map (K,) control amounts (piecewise linear, extrapolated linearly beyond +-1)."""
        # np.interp's arithmetic for all K at once (the knots are shared): the same values to the
        # bit, ~4x faster; the closed loop maps ~10 drives a frame (engineer SP, #11 speed)
        x = np.asarray(c, np.float64)
        xp, fp = self.knots.astype(np.float64), self.values.astype(np.float64)
        j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
        rows = np.arange(len(x))
        y0 = fp[rows, j]
        res = (fp[rows, j + 1] - y0) / (xp[j + 1] - xp[j]) * (x - xp[j]) + y0
        res = np.where(x == xp[j], y0, res)
        res = np.where(x < xp[0], fp[:, 0], np.where(x >= xp[-1], fp[:, -1], res))
        out = res.astype(np.asarray(c).dtype)
        over = c > self.knots[-1]
        out[over] += (c[over] - self.knots[-1]) * (self.values[over, -1] - self.values[over, -2]) / (
            self.knots[-1] - self.knots[-2])
        return out

    def held_gain(self, request: float) -> float:
        """Template amount the jaw's held-lips curve adds over its own curve at a jaw ``request``
        (0 without a held-lips curve); linear past the knots, as :meth:`__call__`."""
        if self.held_jaw is None or request <= 0.0:
            return 0.0
        xp = self.knots.astype(np.float64)
        rows = np.stack([self.values[_JAW_CONTROL], self.held_jaw]).astype(np.float64)
        at = [float(np.interp(request, xp, r)) for r in rows]
        if request > xp[-1]:
            at = [a + (request - xp[-1]) * (r[-1] - r[-2]) / (xp[-1] - xp[-2]) for a, r in zip(at, rows)]
        return at[1] - at[0]


@dataclass(frozen=True)
class DisplacementModel:
    """UE weights -> landmark pixel motion for one face (see the module docstring)."""

    frame: FaceFrame  # the source face's canonical frame
    basis: np.ndarray  # (K, 478, 2) pixel displacement per unit control
    mix: np.ndarray  # (K, 93) drive -> controls
    curves: ResponseCurves = field(default=None)  # calibrated response (identity when uncalibrated)
    rest: np.ndarray = field(default=None)  # (93,) drive subtracted before mixing (zeros: the source is the rest pose)
    photo_gap: float = 0.0  # the photo's own inner-lip gap, IPD units (what the seal closes)
    units: dict = field(default_factory=dict)  # channel -> template extent before scaling (fraction of full)
    # rest="neutral": the weights are absolute and ``rest`` is the photo's own expression, its lip
    # gap included (the rest's jaw and lip shapes account for it), so nothing is sealed and the
    # lips' target is the gap the absolute weights imply
    absolute: bool = False
    rest_mix: np.ndarray | None = None  # (K,) control amounts of the rest (default: mix @ rest)

    @classmethod
    def for_face(cls, landmarks_px: np.ndarray, *, curves: ResponseCurves | None = None,
                 rest: np.ndarray | None = None) -> "DisplacementModel":
        """Build the personalised model from one face's landmark pixels.

        ``landmarks_px`` (478, 3) (x, y, depth in x's pixels) gives the model in the unit: every
        template of :data:`UNIT_CONTROLS` scaled by :func:`unit_gains`. (478, 2) (no depth) keeps
        the templates' own sizes (the face frame cannot be measured in 3D)."""
        pts = np.asarray(landmarks_px, np.float64)
        frame = FaceFrame.from_landmarks(pts[:, :2])
        basis = frame.to_pixels(build_templates(frame)).astype(np.float32)
        k = len(CONTROL_NAMES)
        photo_gap, units = 0.0, {}
        mix = mix_matrix()
        absolute = rest is not None
        rest = np.zeros(N_DRIVE, np.float32) if rest is None else np.asarray(rest, np.float32)
        rest_mix = mix @ rest
        if pts.shape[1] >= 3:
            gains, units = unit_gains(pts, basis)
            basis = basis * gains[:, None, None]
            gap = float(geometry.measure(pts[:, :3], (1.0, 1.0)).lip_gap)
            photo_gap = gap if np.isfinite(gap) else 0.0
            if absolute:
                rest_mix[_SEAL_CONTROL] = 0.0
                rest_mix = _rest_lips(pts, basis, rest_mix)
                relax = _relax_upper_lip(frame)
                amount = _rest_upper_lip(pts, basis, rest_mix, frame, relax)
                if amount > 0.0:  # the seal's row (unused with absolute weights) carries it
                    basis = basis.copy()
                    basis[_SEAL_CONTROL] = relax
                    rest_mix[_SEAL_CONTROL] = -amount  # (taken off, as every rest control: drawn +amount)
                rest_mix[_JAW_CONTROL] = _rest_jaw(pts, basis, rest_mix)
        return cls(frame, basis, mix, curves or ResponseCurves.identity(k), rest,
                   photo_gap=photo_gap, units=units, absolute=absolute, rest_mix=rest_mix)

    def seal(self, x: np.ndarray) -> float:
        """How much of the photo's own lip gap the (rest-relative) drive ``x`` (93,) closes, 0..1
        (:meth:`seal_amounts`' first)."""
        return self.seal_amounts(x)[0]

    def seal_amounts(self, x: np.ndarray) -> tuple[float, float]:
        """``(seal, lips)``: how much of the photo's own lip gap the (rest-relative) drive ``x``
        (93,) closes, 0..1, and how much of it the lips close themselves (the ``seal_corners``
        control's amount: the jaw's opening taking the photo's gap into its own moves no corner).

        The jaw's opening counts from closed lips, not on top of the photo's: the jaw's part of the
        inner-lip gap becomes ``max(photo gap x (1 - f), jaw gap)``, where ``jaw gap =
        MOUTH_CLOSED_GAP_EXTENT x (JawOpen - MouthClosed)`` and ``f = MouthClosed / JawOpen`` is
        the share of the opening the lips keep closed (1 on a /p b m/ closure); the lip shapes
        (MouthUpperUp, MouthLowerDown) add to it. All-zero weights keep the photo exactly."""
        if self.photo_gap <= LIPS_MEET_GAP or self.absolute:
            # (absolute weights: the rest's own jaw and lip shapes hold the photo's gap, and
            # subtracting them closes it; sealing too would press the lips through each other)
            return 0.0, 0.0
        w = x[:len(UE_NAMES)]
        jaw, closed = max(float(w[_JAW]), 0.0), float(w[_MOUTH_CLOSED])
        f = float(np.clip(closed / jaw, 0.0, 1.0)) if jaw > 1e-3 else 0.0
        jaw_gap = geometry.MOUTH_CLOSED_GAP_EXTENT * jaw * (1.0 - f)
        # A photo gaping wider than a speaking mouth's rest (a surprised face) relaxes to that rest
        # as soon as the lips move (closure, funnel, pucker, stretch, press, suck): speech adds to
        # a talking rest, not a gape. Not the jaw: its own gap only grows from max(rest, jaw gap),
        # so the gap a frame implies never shrinks as JawOpen rises (reenactment r 0.67 -> 0.89).
        lips = max(closed, float(np.max(w[_SPEAKING_SHAPES])))
        moving = float(np.clip(lips / SPEAKING_ONSET, 0.0, 1.0))
        rest = self.photo_gap - moving * max(self.photo_gap - SPEAKING_REST_GAP, 0.0)
        kept = rest * (1.0 - f)  # what the lips leave of the photo's gap
        return (float(np.clip(1.0 - max(kept - jaw_gap, 0.0) / self.photo_gap, 0.0, 1.0)),
                float(np.clip(1.0 - kept / self.photo_gap, 0.0, 1.0)))

    def set_seal(self, c: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Write the seal's two controls (:meth:`seal_amounts`) for the rest-relative drive ``x``
        (93,) into the template amounts ``c`` (K,), in place; returns ``c``."""
        c[_SEAL_CONTROL], c[_SEAL_CORNERS_CONTROL] = self.seal_amounts(x)
        return c

    def lip_gap(self, x: np.ndarray, photo_gap: float | None = None) -> float:
        """The inner-lip gap (IPD) the rest-relative drive ``x`` (93,) asks of this face: the
        photo's own gap (``photo_gap``, default the model's) as far as :meth:`seal` leaves it, plus
        the frame's implied opening. Absolute weights (``rest="neutral"``): the gap they imply, from
        closed lips (the photo's own gap is part of the rest they replace)."""
        if self.absolute:
            return float(implied_lip_gap((np.asarray(x, np.float32) + self.rest)[:len(UE_NAMES)]))
        gap0 = self.photo_gap if photo_gap is None else float(photo_gap)
        implied = float(implied_lip_gap(np.asarray(x, np.float32)[:len(UE_NAMES)]))
        return max(gap0 * (1.0 - self.seal(x)), 0.0) + implied

    def controls(self, drive: np.ndarray) -> np.ndarray:
        """(K,) template amounts for a (93,) drive vector."""
        x = np.asarray(drive, np.float32) - self.rest
        if self.absolute:
            # the rest is taken off in template amounts, where the unit is exact on the photo's
            # own landmarks (the lips meet, the corners reach the population's neutral); the
            # calibrated curves map only the absolute request
            rest_mix = self.mix @ self.rest if self.rest_mix is None else self.rest_mix
            request = self.mix @ np.asarray(drive, np.float32)
            c = self.curves(request) - rest_mix
            c[_LID_CONTROLS] = self._lid_amounts(x[[DRIVE_CLOSE_RIGHT, DRIVE_CLOSE_LEFT]])
        else:
            request = self.mix @ x
            c = self.curves(request)
        if self.curves.held_jaw is not None:
            b = held_blend(x)
            if b > 0.0:  # lips held over part of the opening: the chin drawn as probed under held lips
                c[_JAW_CONTROL] += b * self.curves.held_gain(float(request[_JAW_CONTROL]))
        # (absolute weights: the seal's row is the rest's upper-lip relax, drawn as rest_mix says)
        if self.absolute:
            c[_SEAL_CONTROL], c[_SEAL_CORNERS_CONTROL] = -rest_mix[_SEAL_CONTROL], 0.0
        else:
            self.set_seal(c, x)
        return c

    def _lid_amounts(self, closure: np.ndarray) -> np.ndarray:
        """(2,) lid template amounts (right, left) for a rest-relative closure (2,) with absolute
        weights: the share of the photo's own aperture closed (``implied.photo_closure``; the
        rest's slots hold the photo's own lids ``g``, an open eye above them). Closing goes through
        the blink curves (calibrated closing the photo's lids); the rest's lowered lids, down to
        ``-g``, are raised in template amounts, as every rest is taken off (the curves' opening
        side is extrapolated from the closing slope and held at -1: t1-left's lids opened to 0.67
        of the 0.87 photo gaps asked); opening past an open eye goes through the curves again. A
        photo with open lids (``g = 0``) gets the curves alone."""
        r = np.asarray(closure, np.float32)
        g = np.maximum(self.rest[[DRIVE_CLOSE_RIGHT, DRIVE_CLOSE_LEFT]], 0.0).astype(np.float32)
        up = np.zeros(len(self.mix), np.float32)
        down = np.zeros(len(self.mix), np.float32)
        up[_LID_CONTROLS] = np.maximum(r, 0.0)
        down[_LID_CONTROLS] = np.minimum(r + g, 0.0)
        return (self.curves(up)[_LID_CONTROLS] + np.clip(r, -g, 0.0)
                + self.curves(down)[_LID_CONTROLS])

    def displacement(self, drive: np.ndarray) -> np.ndarray:
        """Landmark motion in pixels, shape (478, 2), for a (93,) drive vector."""
        return np.tensordot(self.controls(drive), self.basis, axes=1)

    def replace(self, **kw) -> "DisplacementModel":
        from dataclasses import replace

        return replace(self, **kw)
