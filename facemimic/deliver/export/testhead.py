"""A procedural 3D test head with morph targets for every ARKit and Unified Expressions shape.

Built from code (no asset files) so that every exporter can be tried and tested without an avatar.
The ``.glb`` holds **two head meshes side by side** that share one geometry (an ellipsoid face of
~2,300 vertices with a nose, indexed triangles, normals and vertex colours for eyes, brows and lips):

* node ``HeadARKit`` (left of the origin, x = −0.11 m): 52 targets named like ARKit (``jawOpen``);
* node ``HeadUE`` (right, x = +0.11 m): 98 targets named like Unified Expressions — the 88 enum
  shapes plus the 10 eye base shapes ``EyeClosedLeft/Right``, ``EyeLook{Out,In,Up,Down}{L,R}``.

Each target is a plausible geometric deformation built from smooth Gaussian "bumps" around facial
landmarks on the ellipsoid: ``jawOpen`` rotates the lower face about a jaw hinge, smiles pull the
mouth corners up and out, blinks bring the upper lid down to the lower lid, brows rise and fall,
puffs push the cheeks out along the normal. The head has no tongue or teeth, so tongue shapes move
the lips and mouth opening instead. Targets are stored as sparse accessors (only moved vertices).

The key targets speak FaceMimic's unit (``docs/units.md``): at 1.0 each moves the head's landmarks
(:data:`LANDMARKS`: points on the mesh, read off its vertices) by the channel's full extent in the
head's own inter-pupil distance (IPD, 61 mm between the painted eye centres), measured by
:mod:`facemimic.expressions.geometry`; a target's shape is drawn by hand, its size is set by that
measure (:data:`UNIT_TARGETS`, :func:`head_measures`).

The head faces +Z (glTF and VRM 1.0 forward); the subject's left is +X. ``vrm="1.0"`` or
``vrm="0.x"`` wraps the heads in a minimal humanoid (the required bones, no skin) with VRM preset
expressions bound to the ARKit head, so VRM expression and VRMA exports have a model to go with.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from ...expressions import geometry as geo
from ...expressions.names import ARKIT_NAMES, UE_NAMES
from .aliases import UE_EYE_NAMES
from .gltf_io import ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER, FLOAT, GltfDocument, parse_glb

RADII = np.array([0.080, 0.105, 0.095], np.float32)  # ellipsoid half-axes x, y, z (metres)
N_LAT, N_LON = 40, 56  # rings and segments of the UV sphere
HEAD_OFFSET = 0.11  # each head sits this far from the origin along x
UE_TARGET_NAMES: tuple[str, ...] = UE_NAMES + UE_EYE_NAMES


def _dir(az: float, el: float) -> np.ndarray:
    """Unit direction from azimuth (from +Z towards +X = subject's left) and elevation (up)."""
    return np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)], np.float32)


# Landmarks as directions on the ellipsoid; s = +1 subject's left, -1 subject's right.
EYE_AZ, EYE_EL = 0.40, 0.20  # the painted eye's centre (the pupil)
LID_HALF_ANGLE = 0.0415  # lids this far above / below it: a 0.14 IPD aperture, the unit's EyeClosed extent


def _eye(s): return _dir(EYE_AZ * s, EYE_EL)
def _brow_in(s): return _dir(0.17 * s, 0.42)
def _brow_mid(s): return _dir(0.38 * s, 0.43)
def _brow_out(s): return _dir(0.58 * s, 0.38)
def _cheek(s): return _dir(0.62 * s, -0.22)
def _cheek_hi(s): return _dir(0.48 * s, -0.02)
def _nostril(s): return _dir(0.11 * s, -0.16)
def _corner(s): return _dir(0.30 * s, -0.45)
def _upper_lip(s=0): return _dir(0.13 * s, -0.37)
def _lower_lip(s=0): return _dir(0.13 * s, -0.52)
def _neck(s=0): return _dir(0.5 * s, -1.05)


MOUTH = _dir(0.0, -0.44)
NOSE_TIP = _dir(0.0, -0.06)
CHIN = _dir(0.0, -0.75)

# The mouth line (elevation -0.44) runs between two vertex rows: the upper lip's inner edge is the row
# above it, the lower lip's the row below (the jaw moves that one, see _Deformer.jaw_weight).
_ROWS = np.linspace(np.pi / 2, -np.pi / 2, N_LAT + 1)
EL_LIP_UPPER_INNER, EL_LIP_LOWER_INNER = float(_ROWS[25]), float(_ROWS[26])
EL_LIP_UPPER_OUTER, EL_LIP_LOWER_OUTER = -0.35, -0.53  # the painted lips' outer borders
AZ_LIP_QUARTER = 0.112  # a third of the way to the mouth corner (0.30), where MediaPipe's 267/314 sit
# MediaPipe landmark -> (azimuth, elevation) of the point on the head that plays it (positive azimuth
# = the subject's left). What the unit's measures need; geometry's head-fit points are added by
# head_landmarks.
LANDMARKS: dict[int, tuple[float, float]] = {
    473: (EYE_AZ, EYE_EL), 468: (-EYE_AZ, EYE_EL),
    386: (EYE_AZ, EYE_EL + LID_HALF_ANGLE), 159: (-EYE_AZ, EYE_EL + LID_HALF_ANGLE),
    374: (EYE_AZ, EYE_EL - LID_HALF_ANGLE), 145: (-EYE_AZ, EYE_EL - LID_HALF_ANGLE),
    336: (0.17, 0.42), 285: (0.17, 0.42), 107: (-0.17, 0.42), 55: (-0.17, 0.42),  # inner brow
    334: (0.38, 0.43), 282: (0.38, 0.43), 105: (-0.38, 0.43), 52: (-0.38, 0.43),  # middle of the brow
    300: (0.58, 0.38), 276: (0.58, 0.38), 70: (-0.58, 0.38), 46: (-0.58, 0.38),  # outer brow
    13: (0.0, EL_LIP_UPPER_INNER), 14: (0.0, EL_LIP_LOWER_INNER),
    0: (0.0, EL_LIP_UPPER_OUTER), 17: (0.0, EL_LIP_LOWER_OUTER),
    291: (0.30, -0.44), 61: (-0.30, -0.44),  # mouth corners
    267: (AZ_LIP_QUARTER, EL_LIP_UPPER_OUTER), 37: (-AZ_LIP_QUARTER, EL_LIP_UPPER_OUTER),
    312: (AZ_LIP_QUARTER, EL_LIP_UPPER_INNER), 82: (-AZ_LIP_QUARTER, EL_LIP_UPPER_INNER),
    317: (AZ_LIP_QUARTER, EL_LIP_LOWER_INNER), 87: (-AZ_LIP_QUARTER, EL_LIP_LOWER_INNER),
    314: (AZ_LIP_QUARTER, EL_LIP_LOWER_OUTER), 84: (-AZ_LIP_QUARTER, EL_LIP_LOWER_OUTER),
    2: (0.0, -0.20), 195: (0.0, 0.05), 152: (0.0, -0.75),  # subnasale, nose dorsum, chin
    411: (0.62, -0.22), 187: (-0.62, -0.22),  # buccal cheek (_cheek)
    347: (0.48, -0.02), 118: (-0.48, -0.02),  # infraorbital cheek (_cheek_hi)
    358: (0.11, -0.16), 129: (-0.11, -0.16),  # nose wing (_nostril)
}


@lru_cache(maxsize=1)
def _geometry():
    """Positions (V, 3), normals (V, 3), colours (V, 4), indices (I,), unit directions (V, 3)."""
    lat = np.linspace(np.pi / 2, -np.pi / 2, N_LAT + 1)
    lon = np.linspace(-np.pi, np.pi, N_LON + 1)
    el, az = np.meshgrid(lat, lon, indexing="ij")
    d = np.stack([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)], -1).reshape(-1, 3)
    d = d.astype(np.float32)
    pos = d * RADII
    # Nose: a forward bump on the midline; eye sockets: a slight dent.
    pos += _gauss(d, NOSE_TIP, 0.13)[:, None] * np.array([0, -0.004, 0.022], np.float32)
    for s in (1, -1):
        pos += _gauss(d, _eye(s), 0.12)[:, None] * np.array([0, 0, -0.006], np.float32)
    tris = []
    w = N_LON + 1
    for i in range(N_LAT):
        for j in range(N_LON):
            a, b, c, e = i * w + j, i * w + j + 1, (i + 1) * w + j, (i + 1) * w + j + 1
            if i != 0:  # the top ring's quads collapse to one triangle at the pole
                tris.append((a, c, b))
            if i != N_LAT - 1:
                tris.append((b, c, e))
    idx = np.array(tris, np.uint32)
    # Counter-clockwise seen from outside: flip if the first triangle's normal points inwards.
    p0, p1, p2 = pos[idx[:, 0]], pos[idx[:, 1]], pos[idx[:, 2]]
    face_n = np.cross(p1 - p0, p2 - p0)
    if np.einsum("ij,ij->i", face_n, p0).mean() < 0:
        idx = idx[:, [0, 2, 1]]
        face_n = -face_n
    normals = np.zeros_like(pos)
    for k in range(3):
        np.add.at(normals, idx[:, k], face_n)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    # Vertices no triangle uses (the collapsed pole row) get the ellipsoid's own normal.
    normals = np.where(length > 1e-12, normals / np.maximum(length, 1e-12), d / RADII)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    colour = np.tile(np.array([0.87, 0.70, 0.60, 1.0], np.float32), (len(pos), 1))
    paint = [(_eye(1), 0.07, (0.15, 0.12, 0.10)), (_eye(-1), 0.07, (0.15, 0.12, 0.10)),
             (_brow_mid(1), 0.09, (0.35, 0.22, 0.15)), (_brow_mid(-1), 0.09, (0.35, 0.22, 0.15)),
             (MOUTH, 0.10, (0.70, 0.30, 0.30))]
    for centre, sigma, rgb in paint:
        g = np.clip(_gauss(d, centre, sigma) * 1.6, 0, 1)[:, None]
        colour[:, :3] = colour[:, :3] * (1 - g) + np.array(rgb, np.float32) * g
    return pos.astype(np.float32), normals.astype(np.float32), colour, idx.reshape(-1).astype(np.uint16), d


def _gauss(d: np.ndarray, centre: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian of the angle between vertex directions and a landmark direction."""
    ang = np.arccos(np.clip(d @ centre, -1.0, 1.0))
    return np.exp(-((ang / sigma) ** 2)).astype(np.float32)


class _Deformer:
    """Builds one target's position deltas (V, 3) from bumps, normal pushes and rotations."""

    def __init__(self) -> None:
        self.pos, self.normals, _, _, self.d = _geometry()
        self.delta = np.zeros_like(self.pos)

    def bump(self, centre, sigma, vec, mask=None):
        g = _gauss(self.d, centre, sigma)
        if mask is not None:
            g = g * mask
        self.delta += g[:, None] * np.asarray(vec, np.float32)
        return self

    def push(self, centre, sigma, amount):
        self.delta += (_gauss(self.d, centre, sigma) * amount)[:, None] * self.normals
        return self

    def above(self, centre):
        return (self.d[:, 1] > centre[1]).astype(np.float32)

    def below(self, centre):
        return (self.d[:, 1] <= centre[1]).astype(np.float32)

    def lid(self, s, amount):
        """Upper lid down to the lower lid's line (amount 1 = shut), inside the eye region."""
        e = _eye(s)
        g = _gauss(self.d, e, 0.16) * self.above(e)
        lower = np.sin(EYE_EL - LID_HALF_ANGLE) * RADII[1]
        self.delta[:, 1] += g * (lower - self.pos[:, 1]) * amount
        self.delta[:, 2] += g * 0.002 * amount
        return self

    def jaw_weight(self):
        # The lower lip rides on the jaw: its inner edge (the row below the mouth line) moves with
        # the chin, the upper lip's (the row above) stays, so the lips part as far as the jaw drops.
        el = np.arcsin(np.clip(self.d[:, 1], -1, 1))
        return (np.clip((-0.40 - el) / 0.06, 0, 1) * np.clip((self.d[:, 2] + 0.2) / 0.5, 0, 1)).astype(np.float32)

    def jaw_rotate(self, angle):
        w = self.jaw_weight()
        hinge = np.array([0.0, -0.01, -0.03], np.float32)
        p = self.pos - hinge
        th = angle * w
        y = p[:, 1] * np.cos(th) - p[:, 2] * np.sin(th)
        z = p[:, 1] * np.sin(th) + p[:, 2] * np.cos(th)
        self.delta[:, 1] += y - p[:, 1]
        self.delta[:, 2] += z - p[:, 2]
        return self

    def jaw_move(self, vec):
        self.delta += self.jaw_weight()[:, None] * np.asarray(vec, np.float32)
        return self


def _side(name: str) -> int:
    return 1 if name.endswith("Left") else -1 if name.endswith("Right") else 0


def _arkit_raw(name: str) -> np.ndarray:
    """An ARKit target's shape, before it is sized in the unit (jawOpen is already sized)."""
    D, s = _Deformer(), _side(name)
    base = name[:-4] if s == 1 else name[:-5] if s == -1 else name
    if base == "browDown":
        D.bump(_brow_mid(s), 0.2, (0, -0.008, 0)).bump(_brow_in(s), 0.12, (-s * 0.003, -0.003, 0))
    elif base == "browInnerUp":
        D.bump(_brow_in(1), 0.13, (0, 0.009, 0)).bump(_brow_in(-1), 0.13, (0, 0.009, 0))
    elif base == "browOuterUp":
        D.bump(_brow_out(s), 0.14, (0, 0.009, 0))
    elif base == "cheekPuff":  # (narrow enough to leave the eyes where they are)
        D.push(_cheek(1), 0.22, 0.012).push(_cheek(-1), 0.22, 0.012)
    elif base == "cheekSquint":
        D.bump(_cheek_hi(s), 0.18, (0, 0.006, 0.002))
    elif base == "eyeBlink":
        D.lid(s, 0.95)
    elif base.startswith("eyeLook"):
        way = base[len("eyeLook"):]
        vec = {"Up": (0, 0.004, 0), "Down": (0, -0.004, 0), "In": (-s * 0.004, 0, 0), "Out": (s * 0.004, 0, 0)}[way]
        D.bump(_eye(s), 0.09, vec)
    elif base == "eyeSquint":
        D.bump(_eye(s), 0.14, (0, 0.005, 0.001), D.below(_eye(s)))
    elif base == "eyeWide":
        D.bump(_eye(s), 0.17, (0, 0.006, 0.001), D.above(_eye(s)))
    elif base == "jawOpen":
        angle, lip = _jaw_motion()
        D.jaw_rotate(angle).bump(_lower_lip(), 0.1, (0, -lip, 0), D.below(MOUTH))
    elif base == "jawForward":
        D.jaw_move((0, 0, 0.008))
    elif name == "jawLeft":
        D.jaw_move((0.008, 0, 0))
    elif name == "jawRight":
        D.jaw_move((-0.008, 0, 0))
    elif base == "mouthClose":
        D.bump(_lower_lip(), 0.12, (0, 0.010, 0)).bump(_upper_lip(), 0.1, (0, -0.004, 0))
    elif base == "mouthFunnel":
        D.bump(MOUTH, 0.2, (0, 0, 0.008)).bump(_upper_lip(), 0.1, (0, 0.003, 0)).bump(_lower_lip(), 0.1, (0, -0.003, 0))
    elif base == "mouthPucker":
        D.bump(MOUTH, 0.18, (0, 0, 0.010)).bump(_corner(1), 0.12, (-0.006, 0, 0)).bump(_corner(-1), 0.12, (0.006, 0, 0))
    elif base == "mouth" and s:  # mouthLeft / mouthRight
        D.bump(MOUTH, 0.25, (s * 0.008, 0, 0))
    elif base == "mouthSmile":
        D.bump(_corner(s), 0.14, (s * 0.005, 0.007, -0.002))
    elif base == "mouthFrown":
        D.bump(_corner(s), 0.14, (0, -0.007, 0))
    elif base == "mouthDimple":
        D.bump(_corner(s), 0.12, (s * 0.003, 0, -0.004))
    elif base == "mouthStretch":
        D.bump(_corner(s), 0.16, (s * 0.007, -0.003, 0))
    elif base == "mouthRollLower":
        D.bump(_lower_lip(), 0.1, (0, 0.002, -0.006))
    elif base == "mouthRollUpper":
        D.bump(_upper_lip(), 0.1, (0, -0.002, -0.006))
    elif base == "mouthShrugLower":
        D.bump(_lower_lip(), 0.15, (0, 0.005, 0.002))
    elif base == "mouthShrugUpper":
        D.bump(_upper_lip(), 0.1, (0, 0.004, 0.001))
    elif base == "mouthPress":  # the lips' outer borders close on the mouth line: thinner red lips
        D.bump(_dir(0.13 * s, -0.30), 0.06, (0, -0.004, -0.001)).bump(_dir(0.13 * s, -0.58), 0.06, (0, 0.004, -0.001))
    elif base == "mouthLowerDown":
        D.bump(_lower_lip(s), 0.1, (0, -0.006, 0))
    elif base == "mouthUpperUp":
        D.bump(_upper_lip(s), 0.1, (0, 0.006, 0))
    elif base == "noseSneer":
        D.bump(_nostril(s), 0.1, (0, 0.005, 0.001))
    elif base == "tongueOut":
        D.bump(MOUTH, 0.08, (0, -0.002, 0.012))
    else:  # pragma: no cover - every ARKit name has a rule (checked by the tests)
        raise KeyError(name)
    return D.delta


def _ue_delta(name: str) -> np.ndarray:
    s = _side(name)
    base = name[:-4] if s == 1 else name[:-5] if s == -1 else name
    if name in _UE_WHOLE:
        return _arkit_delta(_UE_WHOLE[name])
    if base in _UE_SAME and s:
        return _arkit_delta(_UE_SAME[base] + ("Left" if s == 1 else "Right"))
    return _ue_raw(name) * _unit_scale("ue", name)


# UE shapes whose ARKit counterpart has the same geometry.
_UE_SAME = {
    "EyeSquint": "eyeSquint", "EyeWide": "eyeWide", "BrowOuterUp": "browOuterUp",
    "CheekSquint": "cheekSquint", "NoseSneer": "noseSneer", "MouthUpperUp": "mouthUpperUp",
    "MouthLowerDown": "mouthLowerDown", "MouthFrown": "mouthFrown", "MouthStretch": "mouthStretch",
    "MouthDimple": "mouthDimple", "MouthPress": "mouthPress", "EyeClosed": "eyeBlink",
    "EyeLookOut": "eyeLookOut", "EyeLookIn": "eyeLookIn", "EyeLookUp": "eyeLookUp",
    "EyeLookDown": "eyeLookDown",
}
_UE_WHOLE = {"JawOpen": "jawOpen", "JawForward": "jawForward", "JawLeft": "jawLeft", "JawRight": "jawRight",
             "MouthClosed": "mouthClose", "MouthRaiserUpper": "mouthShrugUpper",
             "MouthRaiserLower": "mouthShrugLower", "TongueOut": "tongueOut"}


def _ue_raw(name: str) -> np.ndarray:
    """A UE-only target's shape, before it is sized in the unit."""
    D, s = _Deformer(), _side(name)
    base = name[:-4] if s == 1 else name[:-5] if s == -1 else name
    if base == "BrowPinch":
        D.bump(_brow_in(s), 0.12, (-s * 0.004, -0.002, 0))
    elif base == "BrowLowerer":
        D.bump(_brow_mid(s), 0.2, (0, -0.008, 0))
    elif base == "BrowInnerUp":
        D.bump(_brow_in(s), 0.13, (0, 0.009, 0))
    elif base == "NasalDilation":
        D.push(_nostril(s), 0.07, 0.003)
    elif base == "NasalConstrict":
        D.push(_nostril(s), 0.07, -0.003)
    elif base == "CheekPuff":
        D.push(_cheek(s), 0.22, 0.012)
    elif base == "CheekSuck":
        D.push(_cheek(s), 0.25, -0.008)
    elif name == "JawBackward":
        D.jaw_move((0, 0, -0.006))
    elif name == "JawClench":
        D.bump(_dir(0.9, -0.5), 0.3, (0.002, 0.002, 0)).bump(_dir(-0.9, -0.5), 0.3, (-0.002, 0.002, 0))
    elif name == "JawMandibleRaise":
        D.jaw_move((0, 0.004, 0))
    elif base == "LipSuckUpper":
        D.bump(_upper_lip(s), 0.09, (0, -0.002, -0.006))
    elif base == "LipSuckLower":
        D.bump(_lower_lip(s), 0.09, (0, 0.002, -0.006))
    elif base == "LipSuckCorner":
        D.bump(_corner(s), 0.08, (0, 0, -0.004))
    elif base == "LipFunnelUpper":  # each quadrant a quarter of the whole funnel (all four: full extent)
        D.bump(_dir(0.07 * s, -0.37), 0.1, (0, 0.003, 0.006))
    elif base == "LipFunnelLower":
        D.bump(_dir(0.07 * s, -0.52), 0.1, (0, -0.003, 0.006))
    elif base == "LipPuckerUpper":  # the corner's half of the lip pulled in and forward
        D.bump(_dir(0.24 * s, -0.41), 0.12, (-s * 0.006, 0, 0.006))
    elif base == "LipPuckerLower":
        D.bump(_dir(0.24 * s, -0.48), 0.12, (-s * 0.006, 0, 0.006))
    elif base == "MouthUpperDeepen":
        D.bump(_dir(0.2 * s, -0.33), 0.08, (0, 0.004, -0.002))
    elif base == "MouthUpper":
        D.bump(_upper_lip(), 0.15, (s * 0.007, 0, 0))
    elif base == "MouthLower":
        D.bump(_lower_lip(), 0.15, (s * 0.007, 0, 0))
    elif base == "MouthCornerPull":
        D.bump(_corner(s), 0.14, (s * 0.005, 0.006, -0.002))
    elif base == "MouthCornerSlant":
        D.bump(_corner(s), 0.12, (0, 0.007, 0))
    elif base == "MouthTightener":
        D.bump(_upper_lip(s), 0.1, (-s * 0.003, 0, 0.002)).bump(_lower_lip(s), 0.1, (-s * 0.003, 0, 0.002))
    elif name == "TongueUp":
        D.bump(MOUTH, 0.07, (0, 0.004, 0.004))
    elif name == "TongueDown":
        D.bump(MOUTH, 0.07, (0, -0.004, 0.004))
    elif base == "Tongue" and s:  # TongueLeft / TongueRight
        D.bump(MOUTH, 0.07, (s * 0.004, 0, 0.004))
    elif name == "TongueRoll":
        D.bump(MOUTH, 0.06, (0, 0, 0.005))
    elif name == "TongueBendDown":
        D.bump(_lower_lip(), 0.07, (0, -0.003, 0.003))
    elif name == "TongueCurlUp":
        D.bump(_upper_lip(), 0.07, (0, 0.003, 0.003))
    elif name == "TongueSquish":
        D.bump(MOUTH, 0.06, (0, 0.002, 0.002))
    elif name == "TongueFlat":
        D.bump(MOUTH, 0.08, (0, -0.001, 0.003))
    elif base == "TongueTwist":
        D.bump(MOUTH, 0.06, (s * 0.002, 0.002, 0.002))
    elif name == "SoftPalateClose":
        D.bump(_dir(0, -0.30), 0.1, (0, -0.002, -0.002))
    elif name == "ThroatSwallow":
        D.bump(_neck(), 0.25, (0, 0.006, -0.002))
    elif base == "NeckFlex":
        D.bump(_neck(s), 0.3, (s * 0.003, 0, 0.002))
    else:  # pragma: no cover - every UE name has a rule (checked by the tests)
        raise KeyError(name)
    return D.delta


# --- the unit: landmarks read off the mesh, measured by expressions.geometry ---------------------
# Key targets -> the UE channel (stem) whose full extent they reach at 1.0 (docs/units.md). Sided
# targets measure their own side; two-sided ones (cheekPuff, browInnerUp) the subject's left.
_ARKIT_UNIT = {
    "jawOpen": "JawOpen", "mouthClose": "MouthClosed", "mouthSmile": "MouthCornerPull", "mouthFrown": "MouthFrown",
    "mouthStretch": "MouthStretch", "mouthPucker": "LipPucker", "mouthFunnel": "LipFunnel",
    "mouthUpperUp": "MouthUpperUp", "mouthLowerDown": "MouthLowerDown", "mouthPress": "MouthPress",
    "cheekPuff": "CheekPuff", "cheekSquint": "CheekSquint", "noseSneer": "NoseSneer", "browInnerUp": "BrowInnerUp",
    "browOuterUp": "BrowOuterUp", "browDown": "BrowLowerer", "eyeBlink": "EyeClosed", "eyeWide": "EyeWide",
    "eyeSquint": "EyeSquint",
}
_UE_UNIT = {
    "MouthCornerPull": "MouthCornerPull", "MouthCornerSlant": "MouthCornerSlant", "BrowPinch": "BrowPinch",
    "BrowLowerer": "BrowLowerer", "BrowInnerUp": "BrowInnerUp", "CheekPuff": "CheekPuff",
    # the four quadrants together make the one measured pucker / funnel
    "LipPuckerUpper": "LipPucker", "LipPuckerLower": "LipPucker",
    "LipFunnelUpper": "LipFunnel", "LipFunnelLower": "LipFunnel",
}
_QUADRANTS = {stem: tuple(f"{stem}{part}{side}" for part in ("Upper", "Lower") for side in ("Left", "Right"))
              for stem in ("LipPucker", "LipFunnel")}


def _stem(name: str) -> tuple[str, int]:
    s = _side(name)
    return (name[:-4] if s == 1 else name[:-5] if s == -1 else name), (1 if s == -1 else 0)


def _unit_channel(vocabulary: str, name: str) -> str | None:
    base, _ = _stem(name)
    if vocabulary == "arkit":
        return _ARKIT_UNIT.get(base)
    if name in _UE_WHOLE:
        return _ARKIT_UNIT.get(_UE_WHOLE[name])
    if base in _UE_SAME and name != base:
        return _ARKIT_UNIT.get(_UE_SAME[base])
    return _UE_UNIT.get(base)


def _unit_targets(vocabulary: str) -> dict[str, str]:
    names = ARKIT_NAMES if vocabulary == "arkit" else UE_TARGET_NAMES
    return {n: ch for n in names if (ch := _unit_channel(vocabulary, n)) is not None}


@lru_cache(maxsize=1)
def _landmark_weights() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Landmark ids (L,), the 4 grid vertices around each (L, 4) and their bilinear weights (L, 4)."""
    ids = np.array(list(LANDMARKS))
    idx = np.zeros((len(ids), 4), np.int64)
    w = np.zeros((len(ids), 4))
    row = N_LON + 1
    for k, i in enumerate(ids):
        az, el = LANDMARKS[int(i)]
        fi, fj = (np.pi / 2 - el) / (np.pi / N_LAT), (az + np.pi) / (2 * np.pi / N_LON)
        i0, j0 = int(np.floor(fi)), int(np.floor(fj))
        a, b = fi - i0, fj - j0
        idx[k] = [i0 * row + j0, i0 * row + j0 + 1, (i0 + 1) * row + j0, (i0 + 1) * row + j0 + 1]
        w[k] = [(1 - a) * (1 - b), (1 - a) * b, a * (1 - b), a * b]
    return ids, idx, w


def _canonical_stable() -> dict[int, np.ndarray]:
    """geometry's head-fit points on the canonical face, in its pupil distances, about its nose dorsum."""
    pts = {i: np.asarray(p, np.float64) for i, p in geo.CANONICAL_CM.items()}
    ipd = float(np.linalg.norm((pts[263] + pts[362]) / 2 - (pts[33] + pts[133]) / 2))
    return {i: (pts[i] - pts[geo.NOSE_DORSUM]) / ipd for i in geo.STABLE_POINTS}


_STABLE = _canonical_stable()


def head_landmarks(positions: np.ndarray, rest: np.ndarray | None = None) -> np.ndarray:
    """The head's landmarks in MediaPipe's topology, for :func:`geometry.measure` (image size (1, 1)).

    Each point of :data:`LANDMARKS` is interpolated (bilinearly, on the latitude/longitude grid) from
    the mesh vertices around it. geometry's head fit also wants 15 stable points (eye corners, nose
    dorsum, forehead, the sides at ear level): the canonical face's, scaled to the head's IPD and
    placed with their nose dorsum on the head's (landmark 195), so the fit returns the head's own
    axes (it faces +z with +x the subject's left, as geometry's face frame does).

    Parameters
    ----------
    positions : np.ndarray [shape=(V, 3) or (T, V, 3)]
        Vertex positions in metres (the base mesh plus weighted target deltas).
    rest : np.ndarray [shape=(V, 3)], optional
        Where the stable points come from (default: ``positions`` itself; for a sequence, its first).

    Returns
    -------
    np.ndarray [shape=(478, 3) or (T, 478, 3)]
        MediaPipe's convention (x right, y down, z away from the viewer), metres; unused points sit
        between the eyes.
    """
    p = np.asarray(positions, np.float64)
    single = p.ndim == 2
    if single:
        p = p[None]
    ids, idx, w = _landmark_weights()
    pts = np.einsum("tlkc,lk->tlc", p[:, idx], w)  # (T, L, 3)
    anchor = np.einsum("lkc,lk->lc", (p[0] if rest is None else np.asarray(rest, np.float64))[idx], w)
    at = {int(i): k for k, i in enumerate(ids)}
    ipd = float(np.linalg.norm(anchor[at[473]] - anchor[at[468]]))
    out = np.tile((pts[:, at[473]] + pts[:, at[468]])[:, None] / 2, (1, geo.N_LANDMARKS, 1))
    out[:, ids] = pts
    for i, c in _STABLE.items():
        out[:, i] = anchor[at[geo.NOSE_DORSUM]] + ipd * c
    out = out * np.array([1.0, -1.0, -1.0])
    return out[0] if single else out


def head_measures(base: np.ndarray, deltas: np.ndarray) -> geo.FaceMeasures:
    """The unit's measures of a head with target deltas applied, against the bare head.

    Parameters
    ----------
    base : np.ndarray [shape=(V, 3)]
        The mesh's rest positions (metres).
    deltas : np.ndarray [shape=(T, V, 3)]
        Position offsets (weighted sums of targets), one set per measured pose.

    Returns
    -------
    geometry.FaceMeasures
        ``(T,)`` / ``(T, 2)`` arrays in the head's IPD units, relative to the bare head.
    """
    base = np.asarray(base, np.float64)
    rest = geo.rest_face(head_landmarks(base), (1.0, 1.0))
    return geo.measure(head_landmarks(base[None] + np.asarray(deltas, np.float64), base), (1.0, 1.0), rest=rest)


def head_fraction(base: np.ndarray, deltas: np.ndarray, channel: str, side: int = 0) -> np.ndarray:
    """How far poses move the head along one UE channel, as a fraction of its full extent, shape (T,).

    ``channel`` is a stem (``"MouthCornerPull"``, ``"LipPucker"``, ``"JawOpen"``, ``"MouthClosed"``)
    and ``side`` 0 the subject's left, 1 the right. ``MouthClosed`` is JawOpen's fraction minus the
    lip gap gained over ``geometry.MOUTH_CLOSED_GAP_EXTENT`` (the head's lips touch only as paint, so
    its gap is counted from rest); the poses should include the jaw.
    """
    m = head_measures(base, deltas)
    if channel == "MouthClosed":
        rest_gap = head_measures(base, np.zeros((1,) + np.shape(base))).lip_gap[0]
        jaw = geo.extent_to_weight("JawOpen", m.jaw_drop)
        return jaw - (np.asarray(m.lip_gap) - rest_gap) / geo.MOUTH_CLOSED_GAP_EXTENT
    name = _QUADRANTS[channel][0] if channel in _QUADRANTS else channel
    if name not in geo.CHANNELS:
        name += ("Left", "Right")[side]
    ch = geo.CHANNELS[name]
    v = np.asarray(getattr(m, ch.measure))
    return geo.extent_to_weight(name, v[..., ch.side] if ch.side is not None else v)


@lru_cache(maxsize=1)
def _jaw_motion() -> tuple[float, float]:
    """JawOpen at 1.0: the jaw rotation (radians) that drops the chin by the full extent (bisection),
    and the extra drop (metres) of the lower lip that parts the lips as far (the unit's relaxed lips,
    ``geometry.MOUTH_CLOSED_GAP_EXTENT``; the lip, nearer the hinge, swings a little less)."""
    base = _geometry()[0]
    lo, hi = 0.05, 1.2
    for _ in range(40):
        mid = (lo + hi) / 2
        if head_fraction(base, _Deformer().jaw_rotate(mid).delta[None], "JawOpen")[0] < 1.0:
            lo = mid
        else:
            hi = mid
    angle = (lo + hi) / 2
    D = _Deformer()
    poses = np.stack([np.zeros_like(D.pos), D.jaw_rotate(angle).delta,
                      _Deformer().bump(_lower_lip(), 0.1, (0, -1.0, 0), D.below(MOUTH)).delta])
    gap = head_measures(base, poses).lip_gap
    return angle, float((geo.MOUTH_CLOSED_GAP_EXTENT - (gap[1] - gap[0])) / (gap[2] - gap[0]))


@lru_cache(maxsize=None)
def _unit_scale(vocabulary: str, name: str) -> float:
    """The factor that sizes a target's hand-drawn shape to its channel's full extent (1 if none)."""
    channel = _unit_channel(vocabulary, name)
    if channel is None or channel == "JawOpen":  # the jaw's angle is solved for directly
        return 1.0
    base_name, side = _stem(name)
    if vocabulary == "ue" and name in _UE_WHOLE:  # built from an ARKit target: sized there
        return _unit_scale("arkit", _UE_WHOLE[name])
    if vocabulary == "ue" and base_name in _UE_SAME and name != base_name:
        return _unit_scale("arkit", _UE_SAME[base_name] + ("Left", "Right")[side])
    raw = _arkit_raw if vocabulary == "arkit" else _ue_raw
    base = _geometry()[0]
    if channel == "MouthClosed":  # lips together with the jaw open: cancel the jaw's lip gap
        jaw = _arkit_delta("jawOpen")
        gap = lambda d: head_measures(base, d[None]).lip_gap[0]  # noqa: E731
        return float((gap(jaw) - gap(np.zeros_like(jaw))) / (gap(jaw) - gap(jaw + raw(name))))
    if vocabulary == "ue" and channel in _QUADRANTS:  # the four quadrants at 1.0 make the full extent
        shape = sum(raw(n) for n in _QUADRANTS[channel])
    else:
        shape = raw(name)
    return float(1.0 / head_fraction(base, shape[None], channel, side)[0])


def _arkit_delta(name: str) -> np.ndarray:
    return _arkit_raw(name) * _unit_scale("arkit", name)


# Every key target of each head -> the UE channel stem whose full extent it reaches at 1.0 (sided
# targets on their own side; UE's pucker and funnel quadrants reach it all four together).
UNIT_TARGETS: dict[str, dict[str, str]] = {v: _unit_targets(v) for v in ("arkit", "ue")}


def target_deltas(names: tuple[str, ...], *, vocabulary: str) -> list[np.ndarray]:
    """Position deltas (V, 3) per target name, for ``vocabulary`` ``"arkit"`` or ``"ue"``."""
    fn = _arkit_delta if vocabulary == "arkit" else _ue_delta
    return [fn(n).astype(np.float32) for n in names]


def _add_sparse_target(doc: GltfDocument, delta: np.ndarray, eps: float = 1e-6) -> int:
    moved = np.flatnonzero(np.abs(delta).max(axis=1) > eps)
    values = np.ascontiguousarray(delta[moved], np.float32)
    acc = {"componentType": FLOAT, "count": int(len(delta)), "type": "VEC3",
           "min": [float(min(0.0, x)) for x in (values.min(axis=0) if len(moved) else np.zeros(3))],
           "max": [float(max(0.0, x)) for x in (values.max(axis=0) if len(moved) else np.zeros(3))]}
    if len(moved):
        acc["sparse"] = {
            "count": int(len(moved)),
            "indices": {"bufferView": doc.add_buffer_view(moved.astype(np.uint16).tobytes()), "componentType": 5123},
            "values": {"bufferView": doc.add_buffer_view(values.tobytes())},
        }
    doc.json.setdefault("accessors", []).append(acc)
    return len(doc.json["accessors"]) - 1


# Preset expressions of the VRM variants, bound to the ARKit head: preset -> {ARKit target: weight}.
_VRM_PRESET_BINDS = {
    "aa": {"jawOpen": 1.0}, "ih": {"mouthStretchLeft": 0.6, "mouthStretchRight": 0.6, "jawOpen": 0.2},
    "ou": {"mouthPucker": 1.0}, "ee": {"mouthStretchLeft": 0.8, "mouthStretchRight": 0.8, "jawOpen": 0.4},
    "oh": {"mouthFunnel": 1.0, "jawOpen": 0.5},
    "happy": {"mouthSmileLeft": 1.0, "mouthSmileRight": 1.0, "cheekSquintLeft": 0.5, "cheekSquintRight": 0.5},
    "angry": {"browDownLeft": 1.0, "browDownRight": 1.0, "mouthPressLeft": 0.5, "mouthPressRight": 0.5},
    "sad": {"browInnerUp": 1.0, "mouthFrownLeft": 1.0, "mouthFrownRight": 1.0},
    "relaxed": {"mouthSmileLeft": 0.5, "mouthSmileRight": 0.5, "eyeBlinkLeft": 0.3, "eyeBlinkRight": 0.3},
    "surprised": {"eyeWideLeft": 1.0, "eyeWideRight": 1.0, "browInnerUp": 1.0, "jawOpen": 0.4},
    "blink": {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0},
    "blinkLeft": {"eyeBlinkLeft": 1.0}, "blinkRight": {"eyeBlinkRight": 1.0},
    # Gaze as expressions (VRM 1.0 lookAt type "expression"); lookLeft = the model's own left.
    "lookLeft": {"eyeLookOutLeft": 1.0, "eyeLookInRight": 1.0},
    "lookRight": {"eyeLookInLeft": 1.0, "eyeLookOutRight": 1.0},
    "lookUp": {"eyeLookUpLeft": 1.0, "eyeLookUpRight": 1.0},
    "lookDown": {"eyeLookDownLeft": 1.0, "eyeLookDownRight": 1.0},
}
_EMOTIONS = ("happy", "angry", "sad", "relaxed", "surprised")
_VRM1_TO_VRM0 = {"aa": "a", "ih": "i", "ou": "u", "ee": "e", "oh": "o", "happy": "joy", "angry": "angry",
                 "sad": "sorrow", "relaxed": "fun", "blink": "blink", "blinkLeft": "blink_l",
                 "blinkRight": "blink_r"}
_VRM0_CLIP_NAMES = {"a": "A", "i": "I", "u": "U", "e": "E", "o": "O", "joy": "Joy", "angry": "Angry",
                    "sorrow": "Sorrow", "fun": "Fun", "blink": "Blink", "blink_l": "Blink_L", "blink_r": "Blink_R"}
# The VRM 1.0 required humanoid bones: name -> (parent, local translation in metres).
HUMANOID_BONES = {
    "hips": (None, (0, 0.95, 0)), "spine": ("hips", (0, 0.12, 0)), "chest": ("spine", (0, 0.13, 0)),
    "neck": ("chest", (0, 0.20, 0)), "head": ("neck", (0, 0.08, 0)),
    "leftUpperLeg": ("hips", (0.09, -0.05, 0)), "leftLowerLeg": ("leftUpperLeg", (0, -0.42, 0)),
    "leftFoot": ("leftLowerLeg", (0, -0.42, 0)),
    "rightUpperLeg": ("hips", (-0.09, -0.05, 0)), "rightLowerLeg": ("rightUpperLeg", (0, -0.42, 0)),
    "rightFoot": ("rightLowerLeg", (0, -0.42, 0)),
    "leftUpperArm": ("chest", (0.18, 0.17, 0)), "leftLowerArm": ("leftUpperArm", (0.28, 0, 0)),
    "leftHand": ("leftLowerArm", (0.25, 0, 0)),
    "rightUpperArm": ("chest", (-0.18, 0.17, 0)), "rightLowerArm": ("rightUpperArm", (-0.28, 0, 0)),
    "rightHand": ("rightLowerArm", (-0.25, 0, 0)),
}


def add_humanoid_nodes(nodes: list[dict]) -> dict[str, int]:
    """Append :data:`HUMANOID_BONES` to glTF ``nodes`` as a parented hierarchy; returns bone -> index."""
    index = {}
    for bone, (_, t) in HUMANOID_BONES.items():
        index[bone] = len(nodes)
        nodes.append({"name": bone, "translation": [float(v) for v in t]})
    for bone, (parent, _) in HUMANOID_BONES.items():
        if parent:
            nodes[index[parent]].setdefault("children", []).append(index[bone])
    return index


@lru_cache(maxsize=4)
def _test_head_glb(vrm: str | None) -> bytes:
    pos, normals, colour, idx, _ = _geometry()
    doc = GltfDocument({"asset": {"version": "2.0", "generator": "FaceMimic test head"}})
    a_pos = doc.add_accessor(pos, "VEC3", target=ARRAY_BUFFER)
    a_nrm = doc.add_accessor(normals, "VEC3", target=ARRAY_BUFFER, min_max=False)
    a_col = doc.add_accessor(colour, "VEC4", target=ARRAY_BUFFER, min_max=False)
    a_idx = doc.add_accessor(idx, "SCALAR", target=ELEMENT_ARRAY_BUFFER, min_max=False)
    g = doc.json
    g["materials"] = [{"name": "Skin", "pbrMetallicRoughness": {
        "baseColorFactor": [1, 1, 1, 1], "metallicFactor": 0.0, "roughnessFactor": 0.8}}]
    meshes, nodes = [], []
    for node_name, names, vocab, x in (("HeadARKit", ARKIT_NAMES, "arkit", -HEAD_OFFSET),
                                       ("HeadUE", UE_TARGET_NAMES, "ue", HEAD_OFFSET)):
        targets = [{"POSITION": _add_sparse_target(doc, d)} for d in target_deltas(names, vocabulary=vocab)]
        meshes.append({
            "name": node_name,
            "primitives": [{"attributes": {"POSITION": a_pos, "NORMAL": a_nrm, "COLOR_0": a_col},
                            "indices": a_idx, "material": 0, "mode": 4, "targets": targets}],
            "weights": [0.0] * len(names),
            "extras": {"targetNames": list(names)},
        })
        nodes.append({"name": node_name, "mesh": len(meshes) - 1, "translation": [x, 0.0, 0.0]})
    g["meshes"] = meshes
    g["nodes"] = nodes
    if vrm is None:
        g["scene"], g["scenes"] = 0, [{"name": "FaceMimicTestHead", "nodes": [0, 1]}]
        return doc.glb_bytes()
    # Humanoid: bones as plain nodes; the heads hang under the head bone.
    bone_index = add_humanoid_nodes(nodes)
    nodes[bone_index["head"]]["children"] = [0, 1]
    nodes[0]["translation"][1] = nodes[1]["translation"][1] = 0.08
    g["scene"], g["scenes"] = 0, [{"name": "FaceMimicTestHead", "nodes": [bone_index["hips"]]}]
    arkit_index = {n: i for i, n in enumerate(ARKIT_NAMES)}
    if vrm == "1.0":
        presets = {name: {"morphTargetBinds": [{"node": 0, "index": arkit_index[t], "weight": w}
                                               for t, w in binds.items()],
                          "isBinary": False,
                          # Emotions block blinking, as VRoid/UniVRM models usually do.
                          "overrideBlink": "block" if name in _EMOTIONS else "none"}
                   for name, binds in _VRM_PRESET_BINDS.items()}
        g["extensions"] = {"VRMC_vrm": {
            "specVersion": "1.0",
            "meta": {"name": "FaceMimic test head", "version": "1", "authors": ["FaceMimic"],
                     "licenseUrl": "https://vrm.dev/licenses/1.0/", "avatarPermission": "everyone",
                     "commercialUsage": "corporation", "allowRedistribution": True, "modification": "allowModification"},
            "humanoid": {"humanBones": {b: {"node": i} for b, i in bone_index.items()}},
            "expressions": {"preset": presets, "custom": {}},
            "lookAt": {"offsetFromHeadBone": [0.0, 0.06, 0.0], "type": "expression",
                       **{f"rangeMap{k}": {"inputMaxValue": 30.0, "outputScale": 1.0}
                          for k in ("HorizontalInner", "HorizontalOuter", "VerticalDown", "VerticalUp")}},
        }}
        g["extensionsUsed"] = ["VRMC_vrm"]
    elif vrm == "0.x":
        groups = [{"name": _VRM0_CLIP_NAMES[_VRM1_TO_VRM0[n]],
                   "presetName": _VRM1_TO_VRM0[n],
                   "binds": [{"mesh": 0, "index": arkit_index[t], "weight": w * 100} for t, w in binds.items()],
                   "materialValues": [], "isBinary": False}
                  for n, binds in _VRM_PRESET_BINDS.items() if n in _VRM1_TO_VRM0]
        g["extensions"] = {"VRM": {
            "exporterVersion": "FaceMimic", "specVersion": "0.0",
            "meta": {"title": "FaceMimic test head", "version": "1", "author": "FaceMimic",
                     "allowedUserName": "Everyone", "licenseName": "CC0"},
            "humanoid": {"humanBones": [{"bone": b, "node": i, "useDefaultValues": True} for b, i in bone_index.items()]},
            "blendShapeMaster": {"blendShapeGroups": groups},
            "firstPerson": {}, "secondaryAnimation": {"boneGroups": [], "colliderGroups": []},
            "materialProperties": [],
        }}
        g["extensionsUsed"] = ["VRM"]
    else:
        raise ValueError(f"vrm must be None, '1.0' or '0.x', got {vrm!r}")
    return doc.glb_bytes()


def build_test_head(*, vrm: str | None = None) -> GltfDocument:
    """A fresh in-memory copy of the test head (``vrm``: None, ``"1.0"`` or ``"0.x"``)."""
    if vrm not in (None, "1.0", "0.x"):
        from ...errors import ParameterError

        raise ParameterError(f"vrm must be None, '1.0' or '0.x', got {vrm!r}")
    return parse_glb(_test_head_glb(vrm), source=f"<test head{' VRM ' + vrm if vrm else ''}>")


def write_test_head(path: str | Path, *, vrm: str | None = None) -> Path:
    """Write the test head as ``.glb``/``.vrm`` (or ``.gltf``) atomically; returns the path."""
    return build_test_head(vrm=vrm).save(path)


__all__ = ["HEAD_OFFSET", "HUMANOID_BONES", "LANDMARKS", "UE_TARGET_NAMES", "UNIT_TARGETS", "add_humanoid_nodes",
           "build_test_head", "head_fraction", "head_landmarks", "head_measures", "target_deltas", "write_test_head"]
