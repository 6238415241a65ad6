"""Captured faces in the unit of a UE weight: the fraction of the shape's full extent.

``docs/units.md`` defines a Unified Expressions weight geometrically (landmark displacements in the
face frame, in inter-pupil distances, over each channel's full extent;
:mod:`facemimic.expressions.geometry`). MediaPipe's 52 blendshape scores are not that unit: they
are non-linear, channel-dependent, and on several channels carry almost no information (measured
in ``docs/capture.md``, section *Units*). So capture (``CaptureOptions(units="extent")``, the
default) takes each channel from the best source, per channel (:data:`SOURCES`):

* ``"geometry"``: measured from the 478 landmarks the capture stage already has, by the
  definition itself, against the person's own rest face when a stream shows it (a running
  estimate, :class:`RestEstimate`: the frames with the lips together, as
  :func:`~facemimic.expressions.geometry.estimate_rest` does for a whole video), else against the
  population rest (photos, and a stream's first frames).
* ``"score"``: MediaPipe's score as it is, where neither the score nor the geometry is reliable
  (cheek puff, lip funnel) or where no geometric definition exists yet (jaw sideways, lip roll,
  tongue …); ``docs/capture.md`` lists them and why.

The per-channel **response curves** (score -> geometric weight, monotone, fitted on real faces by
``scripts/fit_capture_units.py`` and shipped as :data:`CURVES_ASSET`) are the measured relation
between the two units. They convert tracks captured in MediaPipe's scale (``units="mediapipe"``,
or captured before units were recorded) into the unit (:func:`scores_to_extent`), and stand in for
the geometry on a frame whose landmarks give no measure.

``units="mediapipe"`` keeps MediaPipe's scores (through the ARKit table) as captured before.
Eye openness is the same in both units (see ``docs/capture.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..common.curves import knot_lookup, tables_from_json, tables_to_json
from ..errors import ParameterError, UnknownNameError, suggest
from ..expressions import geometry as geo
from ..expressions.names import N_UE, UE_INDEX, UE_NAMES

from .options import UNITS  # noqa: E402  ("extent", "mediapipe")

DEFAULT_UNITS = "extent"
#: The shipped response curves, relative to the ``facemimic`` package (SHA-256 in the asset manifest).
CURVES_ASSET = "capture/weights/response_curves.json"
CURVES_FORMAT = "facemimic.response-curves"
#: Score knots of every curve: 0, 0.05, ..., 1 (a uniform grid, so a lookup is one multiply).
N_KNOTS = 21
#: MediaPipe running modes a curve exists for (VIDEO mode's own filter halves the brow scores).
MODES = ("image", "video")


def check_units(units) -> str:
    """``units`` if it names a unit, else an :class:`UnknownNameError` with suggestions."""
    if units not in UNITS:
        raise UnknownNameError(f"unknown units {units!r}{suggest(str(units), UNITS)}; valid: {', '.join(UNITS)}")
    return units


# --- which source each channel takes in extent units ------------------------------------------------
# Geometric definitions that are not trusted for capture (docs/units.md, "known weak spots"):
# LipFunnel uses MediaPipe's inferred z (it reads 0.77 at the 95th percentile of ordinary talking and
# laughing frames), CheekPuff reads the bulge of smiling cheeks (0.3-0.6 on smiles, never puffed).
UNTRUSTED_GEOMETRY = ("LipFunnel", "CheekPuff")
# Eye closure is the eye data (openness), not a shape; it keeps its own mapping (docs/capture.md).
_EYE_DATA = ("EyeClosedLeft", "EyeClosedRight")
GEOMETRY_CHANNELS: tuple[str, ...] = tuple(
    n for n in (*geo.CHANNELS, "MouthClosed")
    if n not in _EYE_DATA and not n.startswith(UNTRUSTED_GEOMETRY))
#: UE name -> "geometry" or "score": where each channel comes from with ``units="extent"``.
SOURCES = {n: ("geometry" if n in GEOMETRY_CHANNELS else "score") for n in UE_NAMES}
_GEO_INDEX = np.array([UE_INDEX[n] for n in GEOMETRY_CHANNELS])


# --- response curves -----------------------------------------------------------------------------
def fit_curve(score, weight, sample_weight=None) -> np.ndarray:
    """A monotone response curve on the :data:`N_KNOTS` grid: score -> geometric weight.

    Weighted isotonic regression (pool adjacent violators) of ``weight`` on ``score``, averaged
    within each grid cell (which smooths the isotonic steps), interpolated to the knots, kept
    non-decreasing and within [0, 1]; flat beyond the scores seen.

    Parameters
    ----------
    score, weight : np.ndarray [shape=(N,)]
        MediaPipe scores and the geometric weights of the same faces and frames.
    sample_weight : np.ndarray [shape=(N,)], optional
        E.g. so that every person counts alike, however many frames they bring.

    Returns
    -------
    np.ndarray [shape=(N_KNOTS,), dtype=float64]
        The geometric weight at scores 0, 0.05, ..., 1.
    """
    x = np.clip(np.asarray(score, np.float64).ravel(), 0.0, 1.0)
    y = np.asarray(weight, np.float64).ravel()
    w = np.ones_like(x) if sample_weight is None else np.asarray(sample_weight, np.float64).ravel()
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (w > 0)
    if x.shape != y.shape or x.shape != w.shape or not ok.any():
        raise ParameterError("fit_curve needs equally long score, weight and sample_weight with finite values")
    x, y, w = x[ok], y[ok], w[ok]
    order = np.argsort(x, kind="stable")
    x, y, w = x[order], y[order], w[order]
    # Pool adjacent violators: blocks of (mean, weight, count).
    means, weights, counts = [], [], []
    for yi, wi in zip(y.tolist(), w.tolist()):
        means.append(yi)
        weights.append(wi)
        counts.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            wt = weights[-2] + weights[-1]
            means[-2:] = [(means[-2] * weights[-2] + means[-1] * weights[-1]) / wt]
            weights[-2:] = [wt]
            counts[-2:] = [counts[-2] + counts[-1]]
    iso = np.repeat(means, counts)
    grid = np.linspace(0.0, 1.0, N_KNOTS)
    cell = np.minimum((x * (N_KNOTS - 1)).astype(int), N_KNOTS - 2)
    centres, values = [], []
    for k in np.unique(cell):
        s = cell == k
        centres.append(float(np.average(x[s], weights=w[s])))
        values.append(float(np.average(iso[s], weights=w[s])))
    knots = np.interp(grid, centres, values)
    return np.clip(np.maximum.accumulate(knots), 0.0, 1.0)


@dataclass(frozen=True, eq=False)
class ResponseCurves:
    """Per-channel response curves, score -> weight in the unit, per MediaPipe running mode.

    ``tables[mode]`` is (88, :data:`N_KNOTS`): row ``i`` is UE channel ``i``'s weight at scores
    0, 0.05, ..., 1; channels without a fitted curve hold the identity (the score as it is).
    """

    tables: dict  # mode -> np.ndarray (88, N_KNOTS)
    fitted: tuple[str, ...]  # UE names with a fitted curve
    about: str = ""

    def apply(self, scores: np.ndarray, mode: str = "image") -> np.ndarray:
        """Scores in MediaPipe's scale -> weights in the unit (vectorised; NaN stays NaN).

        Parameters
        ----------
        scores : np.ndarray [shape=(..., 88)]
            UE weights as MediaPipe reads them (``units="mediapipe"``).
        mode : {"image", "video"}
            The MediaPipe running mode they were captured in (track metadata ``capture.mode``).

        Returns
        -------
        np.ndarray [shape=(..., 88), dtype=float32]
        """
        if mode not in self.tables:
            raise UnknownNameError(f"unknown capture mode {mode!r}{suggest(str(mode), MODES)}; "
                                   f"valid: {', '.join(MODES)}")
        s = np.asarray(scores, np.float32)
        if s.shape[-1] != N_UE:
            raise ParameterError(f"scores must have {N_UE} channels in the last axis, got shape {s.shape}")
        return knot_lookup(self.tables[mode], s)

    def to_json(self) -> dict:
        return tables_to_json(CURVES_FORMAT, self.about, self.tables, UE_INDEX, self.fitted)

    @classmethod
    def from_json(cls, data: dict, *, source: str = "response curves") -> "ResponseCurves":
        """Parse :meth:`to_json`'s form; anything else raises :class:`ModelAssetError`."""
        tables, fitted, about = tables_from_json(data, source=source, tag=CURVES_FORMAT,
                                                 what="FaceMimic response curves", index=UE_INDEX,
                                                 n_channels=N_UE, n_knots=N_KNOTS, modes=MODES)
        return cls(tables=tables, fitted=fitted, about=about)


def load_curves() -> ResponseCurves:
    """The shipped response curves (:data:`CURVES_ASSET`), checked by SHA-256 first."""
    from ..common.assets import load_json_model

    return load_json_model(CURVES_ASSET, what="response curves",
                           parse=lambda data, source: ResponseCurves.from_json(data, source=source))


def scores_to_extent(weights: np.ndarray, mode: str = "image") -> np.ndarray:
    """Weights in MediaPipe's scale (a track captured with ``units="mediapipe"``, or before the
    unit was recorded) -> the unit, through the shipped response curves.

    Parameters
    ----------
    weights : np.ndarray [shape=(..., 88)]
    mode : {"image", "video"}
        ``track.metadata["capture"]["mode"]``: MediaPipe's VIDEO mode reads brows at about half.

    Returns
    -------
    np.ndarray [shape=(..., 88), dtype=float32]
        Channels without a fitted curve are unchanged. Without landmarks this is the best a
        conversion can do; its measured error is in ``docs/capture.md`` (held-out column).
    """
    return load_curves().apply(weights, mode)


def track_units(metadata: dict) -> str:
    """The unit a track's weights are in, from its header metadata.

    ``"units"`` when recorded; a captured track without it (``"capture"`` in the metadata) was
    captured before units were recorded, in MediaPipe's scale; any other track (lip sync,
    generation, hand-made) is in the unit.
    """
    units = (metadata or {}).get("units")
    if units in UNITS:
        return units
    return "mediapipe" if "capture" in (metadata or {}) else "extent"


# --- geometry, one frame at a time ---------------------------------------------------------------
# The landmarks a measure needs (the population rest's points) plus the irises, in one small array.
_USED = tuple(sorted(geo.POPULATION_REST))
_POS = {lm: k for k, lm in enumerate(_USED)}
_PICK = np.array([*_USED, geo.RIGHT_IRIS, geo.LEFT_IRIS])
_STABLE = np.array([_POS[i] for i in geo.STABLE_POINTS])
_REF = np.stack([geo._REFERENCE[i] for i in geo.STABLE_POINTS])
_REF_C = _REF - _REF.mean(axis=0)
_REF_SS = float((_REF_C * _REF_C).sum())
_CORNERS = np.array([_POS[i] for i in geo._EYE_CORNERS])
_LIDS = np.array([_POS[i] for i in _USED if i in geo.EYELID_POINTS])
_POP_REST = np.array([geo.POPULATION_REST[i] for i in _USED], np.float64)
_TAN = math.tan(math.radians(geo.SMILE_ANGLE_DEG))
_COS, _SIN = math.cos(math.radians(geo.SMILE_ANGLE_DEG)), math.sin(math.radians(geo.SMILE_ANGLE_DEG))
_SIGN = np.array([1.0, -1.0])


def _p(*lms) -> np.ndarray:
    return np.array([_POS[i] for i in lms])


def _pp(pair) -> tuple[np.ndarray, np.ndarray]:
    """Positions of a (left, right) pair of landmark pairs (each side is the mean of two)."""
    return _p(pair[0][0], pair[1][0]), _p(pair[0][1], pair[1][1])


_I = dict(
    lip=_p(geo.UPPER_LIP_INNER, geo.LOWER_LIP_INNER), upper_lid=_p(*geo.UPPER_LID), lower_lid=_p(*geo.LOWER_LID),
    chin=_POS[geo.CHIN], nose=_POS[geo.NOSE_DORSUM], corner=_p(*geo.MOUTH_CORNER),
    lips_z=_p(geo.UPPER_LIP, geo.LOWER_LIP), subnasale=_POS[geo.SUBNASALE],
    upper_side=_p(*geo.UPPER_LIP_SIDE), lower_side=_p(*geo.LOWER_LIP_SIDE),
    upper_inner=_p(*geo.UPPER_LIP_SIDE_INNER), lower_inner=_p(*geo.LOWER_LIP_SIDE_INNER),
    cheek_up=_p(*geo.CHEEK_UPPER), cheek_low=_p(*geo.CHEEK_LOWER), nose_wing=_p(*geo.NOSE_WING),
    brow_in=_pp(geo.BROW_INNER), brow_mid=_pp(geo.BROW_MID), brow_out=_pp(geo.BROW_OUTER),
    eye_out=_p(*geo.EYE_OUTER), eye_in=_p(*geo.EYE_INNER),
)


def _lip_length(c: np.ndarray, middle: int, side_inner: np.ndarray) -> np.ndarray:
    """(2,) one lip's inner edge, middle -> beside the philtrum -> each corner (geometry._lip_length)."""
    side, corner = c[side_inner, :2], c[_I["corner"], :2]
    return np.linalg.norm(side - c[middle, :2], axis=-1) + np.linalg.norm(corner - side, axis=-1)


# Features that are not linear in the points (lengths): computed directly, never through the matrix.
_NONLINEAR = ("nose_chin", "up_len", "lo_len")


def _features(c: np.ndarray) -> dict[str, np.ndarray]:
    """The quantities every measure is a difference of, for face-frame points ``c`` (len(_USED), 3)."""
    i = _I
    y = c[:, 1]
    centre_y = (y[i["lip"][0]] + y[i["lip"][1]]) / 2
    return dict(
        lip_gap=y[i["lip"][0]] - y[i["lip"][1]],
        aperture=y[i["upper_lid"]] - y[i["lower_lid"]],
        nose_chin=np.linalg.norm(c[i["chin"]] - c[i["nose"]]),
        out=c[i["corner"], 0] * _SIGN, up=y[i["corner"]] - centre_y,
        width=c[i["corner"][0], 0] - c[i["corner"][1], 0],
        lips_z=c[i["lips_z"], 2].mean(),
        nose_lip=y[i["subnasale"]] - y[i["upper_side"]], lip_chin=y[i["lower_side"]] - y[i["chin"]],
        red_up=y[i["upper_side"]] - y[i["upper_inner"]], red_lo=y[i["lower_inner"]] - y[i["lower_side"]],
        up_len=_lip_length(c, i["lip"][0], i["upper_inner"]), lo_len=_lip_length(c, i["lip"][1], i["lower_inner"]),
        puff_x=c[i["cheek_low"], 0] * _SIGN, cheek_y=y[i["cheek_up"]], wing_y=y[i["nose_wing"]],
        inner_y=(y[i["brow_in"][0]] + y[i["brow_in"][1]]) / 2,
        inner_x=(c[i["brow_in"][0], 0] + c[i["brow_in"][1], 0]) / 2 * _SIGN,
        mid_y=(y[i["brow_mid"][0]] + y[i["brow_mid"][1]]) / 2,
        outer_y=(y[i["brow_out"][0]] + y[i["brow_out"][1]]) / 2,
        lower_lid=y[i["lower_lid"]] - (y[i["eye_out"]] + y[i["eye_in"]]) / 2,
    )


def _linear_feature_map() -> tuple[np.ndarray, dict[str, slice]]:
    """Every feature but the :data:`_NONLINEAR` ones is linear in the points: one matrix
    (F, 3 * len(_USED)), built by probing :func:`_features` (the readable definition) with unit vectors."""
    zero = np.zeros((len(_USED), 3))
    names = [k for k in _features(zero) if k not in _NONLINEAR]
    sizes = [np.size(_features(zero)[k]) for k in names]
    cols = []
    for j in range(zero.size):
        e = zero.ravel().copy()
        e[j] = 1.0
        f = _features(e.reshape(zero.shape))
        cols.append(np.concatenate([np.atleast_1d(f[k]) for k in names]))
    slices, at = {}, 0
    for k, n in zip(names, sizes):
        slices[k] = slice(at, at + n) if n > 1 else at
        at += n
    return np.stack(cols, axis=1), slices


def _features_fast(c: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`_features` as one matrix product (~5 µs instead of ~35 µs)."""
    v = _FEATURE_MAP @ c.ravel()
    out = {k: v[sl] for k, sl in _FEATURE_SLICES.items()}
    d = c[_I["chin"]] - c[_I["nose"]]
    out["nose_chin"] = math.sqrt(float(d @ d))
    out["up_len"] = _lip_length(c, _I["lip"][0], _I["upper_inner"])
    out["lo_len"] = _lip_length(c, _I["lip"][1], _I["lower_inner"])
    return out


def _lip_thinning(f: dict, r: dict) -> np.ndarray:
    """(2,) red lip lost beyond the lips' stretch (geometry.lip_thinning): each lip expected at its
    rest height x min(1, rest length / length)."""
    return sum(r[red] * np.minimum(r[length] / np.maximum(f[length], 1e-9), 1.0) - f[red]
               for red, length in (("red_up", "up_len"), ("red_lo", "lo_len")))


def _measures(f: dict, r: dict) -> dict[str, np.ndarray]:
    """FaceMeasures fields (the ones channels use) from current and rest features."""
    corner_out, corner_up = f["out"] - r["out"], f["up"] - r["up"]
    inner = f["inner_y"] - r["inner_y"]
    return dict(
        lip_gap=f["lip_gap"], jaw_drop=f["nose_chin"] - r["nose_chin"],
        corner_up=corner_up, corner_down=-corner_up,
        smile_pull=corner_out * _COS + corner_up * _SIN,
        corner_stretch=corner_out - np.maximum(corner_up, 0.0) / _TAN,
        mouth_narrowing=r["width"] - f["width"], lip_protrusion=f["lips_z"] - r["lips_z"],
        upper_lip_raise=r["nose_lip"] - f["nose_lip"], lower_lip_depress=r["lip_chin"] - f["lip_chin"],
        lip_thinning=_lip_thinning(f, r), cheek_puff=f["puff_x"] - r["puff_x"],
        cheek_raise=f["cheek_y"] - r["cheek_y"], nose_wing_raise=f["wing_y"] - r["wing_y"],
        brow_inner_raise=inner, brow_outer_raise=f["outer_y"] - r["outer_y"],
        brow_lower=-(inner + f["mid_y"] - r["mid_y"]) / 2, brow_pinch=-(f["inner_x"] - r["inner_x"]),
        eye_widen=f["aperture"] - r["aperture"],  # (no eye_closure: EyeClosed is the eye data, openness)
        lower_lid_raise=f["lower_lid"] - r["lower_lid"],
    )


# (measure name, side or None, full extent) for each geometry channel except MouthClosed, in order.
_CHANNEL_SPEC = [(geo.CHANNELS[n].measure, geo.CHANNELS[n].side, geo.CHANNELS[n].full_extent)
                 for n in GEOMETRY_CHANNELS if n != "MouthClosed"]
assert GEOMETRY_CHANNELS[-1] == "MouthClosed"
_JAW = GEOMETRY_CHANNELS.index("JawOpen")


def _weights(f: dict, r: dict) -> np.ndarray:
    """Geometric weights (len(GEOMETRY_CHANNELS),), clipped to [0, 1] as geometry does."""
    m = _measures(f, r)
    out = np.empty(len(GEOMETRY_CHANNELS))
    out[:-1] = [(m[name] if side is None else m[name][side]) / extent for name, side, extent in _CHANNEL_SPEC]
    np.clip(out, 0.0, 1.0, out=out)
    jaw = out[_JAW]
    out[-1] = min(max(jaw - float(m["lip_gap"]) / geo.MOUTH_CLOSED_GAP_EXTENT, 0.0), jaw) if jaw == jaw else jaw
    return out


@dataclass(frozen=True)
class FramePose:
    """One face's points in the face frame, before the IPD scale is applied."""

    points: np.ndarray  # (len(_USED), 3) face-frame points in units of the face size
    iris_ratio: float  # IPD / face size on this frame (NaN when turned past geometry.FRONTAL_YAW_DEG)


def face_pose(landmarks: np.ndarray, frame_size: tuple[int, int]) -> FramePose | None:
    """The rigid fit of :func:`facemimic.expressions.geometry.canonical_points` for one face, on
    the few landmarks the channels need (a tenth of ``geometry.measure``'s cost).

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3)]
        MediaPipe's normalised landmarks.
    frame_size : (width, height)

    Returns
    -------
    FramePose or None
        None for a degenerate face (NaN landmarks, zero size).
    """
    w, h = frame_size
    pts = np.asarray(landmarks)[_PICK].astype(np.float64) * (w, -h, -w)
    if not np.isfinite(pts).all():
        return None
    stable = pts[_STABLE]
    a = stable - stable.sum(axis=0) / len(_STABLE)
    u, _, vt = np.linalg.svd(a.T @ _REF_C)
    if np.linalg.det(u @ vt) < 0:  # a proper rotation: a mirrored face is not reflected back
        vt = vt * np.array([[1.0], [1.0], [-1.0]])
    rot = vt.T @ u.T
    size = float(((a @ rot.T) * _REF_C).sum()) / _REF_SS
    if not size > 0:
        return None
    yaw = math.degrees(math.atan2(abs(rot[2, 0]), rot[2, 2]))
    iris = float(np.linalg.norm(pts[-1] - pts[-2]))
    ratio = iris / size if yaw < geo.FRONTAL_YAW_DEG and iris > 0 else math.nan
    origin = pts[_CORNERS].sum(axis=0) / 4
    return FramePose(points=(pts[:-2] - origin) @ rot.T / size, iris_ratio=ratio)


def geometric_weights(landmarks: np.ndarray, frame_size: tuple[int, int],
                      rest: np.ndarray | None = None, ipd_ratio: float | None = None) -> np.ndarray:
    """UE weights of one face by the geometric definition (what capture writes for geometry channels).

    The same numbers as ``geometry.geometric_weights(geometry.measure(...))`` for one face.

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3)]
    frame_size : (width, height)
    rest : np.ndarray [shape=(478, 3)], optional
        The person's rest face in the face frame (``geometry.rest_face`` / ``estimate_rest``);
        default the population rest.
    ipd_ratio : float, optional
        IPD / face size to use (default: this frame's own when frontal, else the population's).

    Returns
    -------
    np.ndarray [shape=(88,), dtype=float32]
        NaN on channels that are not geometry channels (:data:`GEOMETRY_CHANNELS`) or when the
        face is degenerate.
    """
    out = np.full(N_UE, np.nan, np.float32)
    pose = face_pose(landmarks, frame_size)
    if pose is None:
        return out
    ratio = ipd_ratio if ipd_ratio is not None else (
        pose.iris_ratio if np.isfinite(pose.iris_ratio) else geo.POPULATION_IPD_PER_SIZE)
    r = _POP_REST if rest is None else np.asarray(rest, np.float64)[list(_USED)]
    out[_GEO_INDEX] = _weights(_features_fast(pose.points / ratio), _features_fast(r))
    return out


# Eyelid aperture (IPD) below which an eye counts as shut or screwed up, not at rest: half the
# population's resting aperture (0.12).
OPEN_EYE_APERTURE = 0.06
# Inner-lip gap (IPD) below which lips count as together, as geometry.estimate_rest uses.
LIPS_TOGETHER_GAP = 0.03
# ... and at most this far above the person's own contact (their tightest frames). Why: in VIDEO
# mode MediaPipe reads WolfgangLanger's lips 0.012-0.019 IPD apart in the 1.2 s where her fingers
# cover half her closed, smiling mouth (frames 105-139; IMAGE mode reads 0.03-0.07 there), against
# <= 0.005 on every unoccluded lips-together frame. Counted as rest, those guessed lips shrank the
# rest's red-lip height and MouthPress read 0.2 low on every laughing frame (docs/units.md, Capture).
CONTACT_MARGIN = 0.01


def lips_together_gap(gaps: np.ndarray) -> float:
    """The inner-lip gap below which one person's lips count as together (IPD).

    Their own contact (the 5th percentile of their gaps, at least 0) plus :data:`CONTACT_MARGIN`,
    at most :data:`LIPS_TOGETHER_GAP`. Pass it to ``geometry.estimate_rest(..., max_lip_gap=...)``
    for the whole-clip rest that :class:`RestEstimate` estimates as the stream goes.

    Parameters
    ----------
    gaps : np.ndarray [shape=(T,)]
        The person's inner-lip gaps, in IPD (``FaceMeasures.lip_gap``); NaNs are ignored.

    Returns
    -------
    float
    """
    gaps = np.asarray(gaps, np.float64)
    gaps = gaps[np.isfinite(gaps)]
    if not len(gaps):
        return LIPS_TOGETHER_GAP
    contact = max(float(np.percentile(gaps, 5)), 0.0)
    return min(LIPS_TOGETHER_GAP, contact + CONTACT_MARGIN)


class RestEstimate:
    """A running estimate of one streamed person's rest face and IPD (a causal ``estimate_rest``).

    As :func:`facemimic.expressions.geometry.estimate_rest` does for a whole video: mouth, jaw and
    the rest of the face from the median of the frames with the lips together; eyelids from the
    median of the frames whose aperture lies in the middle half; IPD / face size from the median
    over frontal frames. "Lips together" is the person's own lip contact: an inner-lip gap within
    :data:`CONTACT_MARGIN` of their tightest frames (the 5th percentile of the gaps seen, at least
    0), and below :data:`LIPS_TOGETHER_GAP` (``estimate_rest``'s bound). Over the first :attr:`max_frames` frames (30 s
    at 30 fps; then it stays fixed); until :attr:`min_frames` lips-together frames are seen, the
    population's rest stands in.
    """

    min_frames = 5
    max_frames = 900

    def __init__(self) -> None:
        self._points = np.empty((self.max_frames, len(_USED), 3))  # face-size units
        self._closed = np.zeros(self.max_frames, bool)
        self._gaps = np.empty(self.max_frames)  # inner-lip gap, face-size units
        self._ratios: list[float] = []
        self._n = 0
        self._next = self.min_frames  # frame count at which the medians are recomputed
        self.ratio = geo.POPULATION_IPD_PER_SIZE
        self.rest = _POP_REST  # face-frame points (len(_USED), 3), IPD units
        self.rest_features = _POP_FEATURES
        self.kind = "population"

    def update(self, pose: FramePose) -> None:
        """Add one frame (call before measuring it)."""
        if self._n >= self.max_frames:
            return
        if np.isfinite(pose.iris_ratio):
            self._ratios.append(pose.iris_ratio)
            if len(self._ratios) <= self.min_frames:
                self.ratio = float(np.median(self._ratios))
        n = self._n
        self._points[n] = pose.points
        self._gaps[n] = pose.points[_I["lip"][0], 1] - pose.points[_I["lip"][1], 1]
        self._n = n + 1
        # Medians cost ~0.05 ms per 100 frames: recompute every 5 frames at first, then every
        # tenth of the frames seen, so the cost per frame stays a few microseconds.
        if self._n >= self._next:
            self._next = self._n + max(5, self._n // 10)
            self._refresh()

    def _refresh(self) -> None:
        if self._ratios:
            self.ratio = float(np.median(self._ratios))
        gaps = self._gaps[:self._n] / self.ratio
        closed = self._closed[:self._n]
        np.less(gaps, lips_together_gap(gaps), out=closed)
        if closed.sum() < self.min_frames:
            return
        every = self._points[:self._n]
        rest = np.median(every[closed], axis=0)
        # Eyelids: the middle half of the apertures of the frames whose eyes are open (a resting
        # eye is open; WolfgangLanger's first 5 s are a laugh with the eyes shut, which would
        # make every open frame after it read as wide eyes). Until there are enough, the population's.
        ap = (every[:, _I["upper_lid"], 1] - every[:, _I["lower_lid"], 1]).mean(axis=1) / self.ratio
        open_ = ap > OPEN_EYE_APERTURE
        if open_.sum() >= self.min_frames:
            lo, hi = np.percentile(ap[open_], [25, 75])
            typical = open_ & (ap >= lo) & (ap <= hi)
            rest[_LIDS] = np.median(every[typical][:, _LIDS], axis=0)
        else:
            rest[_LIDS] = _POP_REST[_LIDS] * self.ratio
        self.rest = rest / self.ratio
        self.rest_features = _features_fast(self.rest)
        self.kind = "person"


class UnitConverter:
    """Puts captured frames into the requested unit; one per capture run (per-face rest state).

    Parameters
    ----------
    units : {"extent", "mediapipe"}
    still : bool
        Unrelated photos: every face is measured against the population rest, nothing carried over.
    mode : {"image", "video"}
        MediaPipe's running mode (for the fallback curves).
    """

    def __init__(self, units: str = DEFAULT_UNITS, *, still: bool = False, mode: str = "image") -> None:
        self.units = check_units(units)
        self.still = still
        self.mode = mode
        self._rests: dict[int, RestEstimate] = {}
        self._curves = load_curves() if units == "extent" else None

    def weights(self, scores: np.ndarray, landmarks: np.ndarray, frame_size: tuple[int, int],
                face_id: int = 0) -> np.ndarray:
        """One face's (88,) MediaPipe-scale weights -> weights in :attr:`units`."""
        if self.units == "mediapipe":
            return scores
        out = np.array(scores, np.float32, copy=True)
        pose = face_pose(landmarks, frame_size)
        geo_w = None
        if pose is not None:
            if self.still:
                ratio = pose.iris_ratio if np.isfinite(pose.iris_ratio) else geo.POPULATION_IPD_PER_SIZE
                rest_f = _POP_FEATURES
            else:
                est = self._rests.setdefault(face_id, RestEstimate())
                est.update(pose)
                ratio, rest_f = est.ratio, est.rest_features
            with np.errstate(invalid="ignore", divide="ignore"):
                geo_w = _weights(_features_fast(pose.points / ratio), rest_f)
        if geo_w is None or not np.isfinite(geo_w).all():
            # No usable geometry on this frame: the response curves stand in.
            fallback = self._curves.apply(scores, self.mode)[_GEO_INDEX]
            geo_w = fallback if geo_w is None else np.where(np.isfinite(geo_w), geo_w, fallback)
        out[_GEO_INDEX] = geo_w
        return out

    def keep_only(self, face_ids) -> None:
        """Forget the rest estimates of faces that are no longer tracked (retired ids)."""
        for fid in [k for k in self._rests if k not in face_ids]:
            del self._rests[fid]


_FEATURE_MAP, _FEATURE_SLICES = _linear_feature_map()
_POP_FEATURES = _features_fast(_POP_REST)

__all__ = ["CURVES_ASSET", "DEFAULT_UNITS", "GEOMETRY_CHANNELS", "ResponseCurves", "RestEstimate", "SOURCES",
           "UNITS", "UnitConverter", "check_units", "face_pose", "fit_curve", "geometric_weights",
           "lips_together_gap", "load_curves", "scores_to_extent", "track_units"]
