"""Fit a face mesh to one photo: the capture stage's 478 landmarks -> a 3D face in MediaPipe's topology.

The landmarks are taken into the capture stage's face frame (``geometry.canonical_points``: pose
removed, 1.0 = the subject's inter-pupil distance); a similarity transform ``pixels = s R shape + t``
recovers the head pose. The shape is

    shape = mean + expression(captured weights) + components @ c + residual

with ``mean``, ``components`` and ``expression`` from the learned :class:`~.learn.FaceModel`. One
linear least-squares solve finds ``c`` and the per-vertex ``residual``: the image-plane coordinates
must land on the detected landmarks (full weight), MediaPipe's own depth is a weak prior (its z is a
learned guess, not a measurement), ``c`` is kept near the people the model was learned from, and the
residual is kept small and smooth over the mesh. So the outline comes from the photo and depth is
plausible from one view. The avatar's rest face is the fitted shape minus the captured expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..expressions import geometry as geo
from ..expressions.arkit import ue_to_arkit
from .learn import FaceModel, load_face_model
from .topology import LEFT_IRIS, N_SURFACE, RIGHT_IRIS, triangles

DEPTH_WEIGHT = 0.3  # MediaPipe's z against the image-plane coordinates (weight 1)
SHAPE_PRIOR = 1.0  # on c / sigma
RESIDUAL_SMOOTH = 0.5  # on the residual's graph Laplacian
RESIDUAL_IMAGE = 0.05  # on the residual across the image plane: the outline is the photo's
RESIDUAL_DEPTH = 1.0  # on the residual along the view: depth is the shape model's


@dataclass(frozen=True)
class FaceFit:
    """One face fitted in one photo.

    Attributes
    ----------
    shape : np.ndarray [shape=(478, 3)]
        The fitted face as photographed, face frame, IPD units.
    neutral : np.ndarray [shape=(478, 3)]
        ``shape`` without the captured expression: the avatar's rest face.
    arkit : np.ndarray [shape=(52,)]
        The capture's weights for the photo, as ARKit (the expression that was removed).
    coefficients : np.ndarray [shape=(K,)]
        Shape-model coefficients (in standard deviations: ``c / sigma``).
    scale, rotation, translation
        ``pixels = scale * rotation @ point + translation`` in a right-handed pixel frame
        (x right, y up = -row, z towards the camera).
    landmarks_px : np.ndarray [shape=(478, 2)]
        The detected landmarks in pixels (column, row).
    image_size : (width, height)
    """

    shape: np.ndarray
    neutral: np.ndarray
    arkit: np.ndarray
    coefficients: np.ndarray
    scale: float
    rotation: np.ndarray
    translation: np.ndarray
    landmarks_px: np.ndarray
    image_size: tuple[int, int]

    def project(self, points: np.ndarray) -> np.ndarray:
        """Face-frame points (N, 3) -> pixel (column, row) (N, 2) in the photo."""
        p = self.scale * np.asarray(points, np.float64) @ self.rotation.T + self.translation
        return np.stack([p[:, 0], -p[:, 1]], axis=1)

    def depth(self, points: np.ndarray) -> np.ndarray:
        """Distance towards the camera (pixels, larger = nearer) of face-frame points (N,)."""
        return (self.scale * np.asarray(points, np.float64) @ self.rotation.T + self.translation)[:, 2]

    @property
    def yaw_deg(self) -> float:
        """How far the face is turned from the camera, degrees (0 = frontal)."""
        forward = self.rotation[:, 2]
        return float(np.degrees(np.arctan2(abs(forward[0]), forward[2])))

    @property
    def ipd_px(self) -> float:
        """The subject's inter-pupil distance in the photo, pixels."""
        return float(self.scale)

    def errors(self) -> np.ndarray:
        """Image-plane distance from each projected surface vertex to its landmark, IPD units (468,)."""
        d = self.project(self.shape[:N_SURFACE]) - self.landmarks_px[:N_SURFACE]
        return np.linalg.norm(d, axis=1) / self.scale


def similarity(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Umeyama: ``s, R, t`` with ``dst ~ s R src + t`` (proper rotation), for (N, 3) point sets."""
    ms, md = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - ms, dst - md
    u, sv, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.diag([1.0, 1.0, d])
    rot = u @ fix @ vt
    s = float(np.trace(np.diag(sv) @ fix) / (a * a).sum())
    return s, rot, md - s * rot @ ms


@lru_cache(maxsize=1)
def _laplacian(n: int) -> np.ndarray:
    """Graph Laplacian (n, n) of the mesh edges (row-normalised; isolated points: zero rows)."""
    adj = np.zeros((n, n))
    for a, b, c in triangles():
        for u, v in ((a, b), (b, c), (c, a)):
            adj[u, v] = adj[v, u] = 1.0
    deg = adj.sum(axis=1)
    lap = np.eye(n) - adj / np.where(deg > 0, deg, 1)[:, None]
    lap[deg == 0] = 0.0
    return lap


def _solve(rot: np.ndarray, cam_basis: np.ndarray, misfit: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """The regularised least-squares solve for ``[c (K), residual (V*3)]`` (sparse normal equations).

    ``cam_basis`` (K, V, 3) and ``misfit`` (V, 3) are in the camera's orientation (IPD units)."""
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    k, v = cam_basis.shape[0], cam_basis.shape[1]
    idx = np.arange(v)
    blocks, rhs = [], []
    # The residual of point i in camera coordinate j is rot[j] . delta_i: a sparse (V, 3V) block.
    cam = [sparse.csr_matrix((np.repeat(rot[j][None], v, 0).ravel(), (np.repeat(idx, 3), (3 * idx[:, None] + np.arange(3)).ravel())),
                             shape=(v, 3 * v)) for j in range(3)]
    for j, weight in ((0, 1.0), (1, 1.0), (2, DEPTH_WEIGHT)):  # data: image plane, then MediaPipe's depth
        blocks.append(sparse.hstack([sparse.csr_matrix(weight * cam_basis[:, :, j].T), weight * cam[j]]))
        rhs.append(weight * misfit[:, j])
    blocks.append(sparse.hstack([sparse.diags(SHAPE_PRIOR / sigma), sparse.csr_matrix((k, 3 * v))]))
    rhs.append(np.zeros(k))
    lap = sparse.kron(sparse.csr_matrix(_laplacian(v)), sparse.eye(3))
    blocks.append(sparse.hstack([sparse.csr_matrix((3 * v, k)), RESIDUAL_SMOOTH * lap]))
    rhs.append(np.zeros(3 * v))
    for j, weight in ((0, RESIDUAL_IMAGE), (1, RESIDUAL_IMAGE), (2, RESIDUAL_DEPTH)):
        blocks.append(sparse.hstack([sparse.csr_matrix((v, k)), weight * cam[j]]))
        rhs.append(np.zeros(v))
    A = sparse.vstack(blocks).tocsr()
    b = np.concatenate(rhs)
    return spsolve((A.T @ A).tocsc(), A.T @ b)


def fit_face(landmarks: np.ndarray, image_size: tuple[int, int], arkit: np.ndarray, *,
             model: FaceModel | None = None) -> FaceFit:
    """Fit the face model to one face's landmarks.

    Parameters
    ----------
    landmarks : np.ndarray [shape=(478, 3)]
        MediaPipe landmarks (x/W, y/H, z in image-width units), as the capture stage keeps them.
    image_size : (width, height)
        Of the photo the landmarks were normalised by.
    arkit : np.ndarray [shape=(52,)]
        The capture's expression for the face, in ARKit form (``ue_to_arkit`` of its weights).
    model : FaceModel, optional
        Default: the shipped model.

    Returns
    -------
    FaceFit
    """
    model = model or load_face_model()
    w, h = (float(v) for v in image_size)
    lm = np.asarray(landmarks, np.float64)[: geo.N_LANDMARKS]
    pixels = lm * np.array([w, -h, -w])  # right-handed: y up, z towards the camera
    canon = geo.canonical_points(lm, (w, h))
    s, rot, t = similarity(canon, pixels)
    a = np.asarray(arkit, np.float64)
    expression = np.einsum("k,kvc->vc", a, model.expressions)
    prior = model.mean + expression  # (V, 3)
    v = prior.shape[0]
    k = len(model.sigma)
    # Rows in the camera's orientation: camera coordinate j of point i is rot[j] . shape_i.
    basis = model.components.reshape(k, v, 3)
    cam_target = (pixels - t) / s  # camera-oriented, IPD units
    cam_prior = prior @ rot.T
    cam_basis = np.einsum("kvc,jc->kvj", basis, rot)  # (K, V, 3)
    u = _solve(rot, cam_basis, cam_target - cam_prior, model.sigma)
    c, delta = u[:k], u[k:].reshape(v, 3)
    shape = prior + np.einsum("k,kvc->vc", c, basis) + delta
    return FaceFit(shape=shape, neutral=shape - expression, arkit=a, coefficients=c / model.sigma, scale=s,
                   rotation=rot, translation=t, landmarks_px=lm[:, :2] * np.array([w, h]),
                   image_size=(int(w), int(h)))


def frame_arkit(frame) -> np.ndarray:
    """The capture's weights of an ExpressionFrame as ARKit-52 (eyes from openness and gaze)."""
    return ue_to_arkit(np.nan_to_num(frame.weights), np.array([frame.gaze_left, frame.gaze_right]),
                       np.array([frame.openness_left, frame.openness_right]))


def photo_arkit(frame, image_size: tuple[int, int]) -> np.ndarray:
    """The expression to take off a photo's fitted face: :func:`frame_arkit` of the photo's rest weights
    (``geometry.photo_rest_weights``: the lips' press raised to all of the red lip they lost, as the
    portrait's neutral rest takes it).

    Parameters
    ----------
    frame : ExpressionFrame
        The capture's frame of the face, with its 478 landmarks.
    image_size : (width, height)
        Of the photo the landmarks were normalised by.

    Returns
    -------
    np.ndarray [shape=(52,)]
    """
    return ue_to_arkit(geo.photo_rest_weights(frame.weights, frame.landmarks, image_size),
                       np.array([frame.gaze_left, frame.gaze_right]),
                       np.array([frame.openness_left, frame.openness_right]))


def shape_distance(a: np.ndarray, b: np.ndarray) -> float:
    """RMS distance (IPD units) between two fitted neutral faces (478, 3) after a rigid alignment
    of the surface: how different two people's faces are, pose and position aside."""
    pa, pb = a[:N_SURFACE], b[:N_SURFACE]
    _, rot, _ = similarity(pa, pb)
    pa = (pa - pa.mean(0)) @ rot.T
    return float(np.sqrt(((pa - (pb - pb.mean(0))) ** 2).sum(axis=1).mean()))


__all__ = ["FaceFit", "LEFT_IRIS", "RIGHT_IRIS", "fit_face", "frame_arkit", "photo_arkit", "shape_distance", "similarity"]
