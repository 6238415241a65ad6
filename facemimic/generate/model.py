"""The learned generator: a small conditional VAE over expression vectors, inference in NumPy.

``x`` (90: 88 UE weights + eye closure L/R) is generated from a latent ``z ~ N(0, I)`` (8 dims)
and a condition ``c`` = the emotion mixture over :data:`STATE_NAMES` (largest weight 1) plus a
one-hot style. Decoder: ``[z, c] -> 128 tanh -> 128 tanh -> 90 sigmoid``; the encoder (only used in
training) mirrors it. One forward pass is three small matrix products, so thousands of expressions
are generated per millisecond batch and a single one in well under a millisecond.

Model files are ``.npz`` with the weight arrays plus ``header`` (JSON: ``format:
facemimic.generator``, schema, state and style vocabularies, latent size, training record). The
shipped default lives in ``facemimic/generate/weights/default.npz`` and is checked by SHA-256 against
the package's asset manifest (:mod:`facemimic.common.assets`) before its format is checked; a
user's model (``facemimic train``) is checked for format only. ``scripts/train_default_model.py``
reproduces the default and updates the manifest.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..common.assets import asset_location, shipped_path
from ..errors import ModelAssetError
from ..emotions.states import N_STATES, STATE_NAMES, STYLES
from ..emotions.facs import N_X
from ..common.nn import mlp_forward, sigmoid, write_npz

MODEL_TAG = "facemimic.generator"
MODEL_SCHEMA = 1
LATENT = 8
HIDDEN = 128
DEFAULT_MODEL_ASSET = "generate/weights/default.npz"  # its name in the asset manifest
DEFAULT_MODEL = asset_location(DEFAULT_MODEL_ASSET)
WEIGHTS_DIR = DEFAULT_MODEL.parent
N_COND = N_STATES + len(STYLES)


def condition(mixtures: np.ndarray, styles: "np.ndarray | list[str] | str") -> np.ndarray:
    """Condition vectors ``[mixture (S), style one-hot (4)]``, shape (B, S + 4)."""
    m = np.atleast_2d(np.asarray(mixtures, np.float32))
    c = np.zeros((m.shape[0], N_COND), np.float32)
    c[:, :N_STATES] = m
    if isinstance(styles, str):
        styles = [styles] * m.shape[0]
    idx = np.array([STYLES.index(s) for s in styles])
    c[np.arange(m.shape[0]), N_STATES + idx] = 1.0
    return c


@dataclass(eq=False)
class GeneratorModel:
    """Weights of the conditional VAE plus its header."""

    params: dict  # "encW0".."decb2": float32 arrays
    header: dict = field(default_factory=dict)  # JSON-able: vocabularies, training record
    path: Path | None = None  # where it was loaded from (None = in memory)

    @property
    def name(self) -> str:
        return self.header.get("name") or (self.path.stem if self.path else "in-memory")

    def decode(self, z: np.ndarray, cond: np.ndarray) -> np.ndarray:
        """Expression vectors for latents and conditions.

        Parameters
        ----------
        z : np.ndarray [shape=(B, 8)]
        cond : np.ndarray [shape=(B, S + 4)] from :func:`condition`

        Returns
        -------
        np.ndarray [shape=(B, 90), dtype=float32] in [0, 1]
        """
        h = np.concatenate([np.asarray(z, np.float32), np.asarray(cond, np.float32)], axis=1)
        return sigmoid(mlp_forward(self.params, h, prefix="dec")).astype(np.float32)

    def encode(self, x: np.ndarray, cond: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance of ``z`` for expression vectors, each (B, 8)."""
        out = mlp_forward(self.params, np.concatenate([x, cond], axis=1).astype(np.float32), prefix="enc")
        return out[:, :LATENT], out[:, LATENT:]

    def save(self, path: "str | Path") -> Path:
        """Write the model atomically as ``.npz``."""
        from ..common.files import AtomicFile

        with AtomicFile(path, "wb") as out:
            write_npz(out.file, {"header": np.array(json.dumps(self.header, sort_keys=True)),
                                 **{k: v.astype(np.float32) for k, v in self.params.items()}})
        return out.path


def new_header(**training) -> dict:
    return {"format": MODEL_TAG, "schema": MODEL_SCHEMA, "states": list(STATE_NAMES), "styles": list(STYLES),
            "latent": LATENT, "hidden": HIDDEN, "x_dim": N_X, "training": training}


def _read(path: Path) -> GeneratorModel:
    """A generator from ``path``, checked for format (header, vocabulary, shapes, finite weights)."""
    if not path.exists():
        raise ModelAssetError(f"{path}: model file not found")
    if not zipfile.is_zipfile(path):
        raise ModelAssetError(f"{path}: not a FaceMimic model (not an .npz archive; damaged or the wrong file)")
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            params = {k: z[k].astype(np.float32) for k in z.files if k != "header"}
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as e:
        raise ModelAssetError(f"{path}: not a readable FaceMimic model ({type(e).__name__}: {e})") from None
    if header.get("format") != MODEL_TAG:
        raise ModelAssetError(f"{path}: not a FaceMimic generator model (missing format header)")
    if header.get("states") != list(STATE_NAMES) or header.get("styles") != list(STYLES):
        raise ModelAssetError(f"{path}: model was trained for a different emotion vocabulary; retrain it "
                              f"with `facemimic train`")
    expect = {"decW0": (LATENT + N_COND, HIDDEN), "decW2": (HIDDEN, N_X), "encW0": (N_X + N_COND, HIDDEN)}
    for k, shape in expect.items():
        if k not in params or params[k].shape != shape:
            raise ModelAssetError(f"{path}: model weights are damaged ({k} missing or the wrong shape)")
    if not all(np.isfinite(v).all() for v in params.values()):
        raise ModelAssetError(f"{path}: model weights contain NaN/inf")
    return GeneratorModel(params=params, header=header, path=path)


_CACHE: dict[tuple[str, float], GeneratorModel] = {}


def load_model(path: "str | Path | GeneratorModel | None" = None, *, fallback: bool = False) -> GeneratorModel:
    """Load a generator: the shipped default (``None``/``"default"``) or a user's ``.npz``.

    Parameters
    ----------
    path : str, Path, GeneratorModel or None
    fallback : bool
        If the given model file is missing or damaged, warn and use the default instead of raising.

    Raises
    ------
    ModelAssetError
        Naming the file and the problem (also when the shipped default fails its SHA-256 check).
    """
    if isinstance(path, GeneratorModel):
        return path
    if path is None or str(path) == "default":
        p = shipped_path(DEFAULT_MODEL_ASSET)  # SHA-256 against the manifest (cached per file)
        key = (str(p), p.stat().st_mtime)
        if key not in _CACHE:
            _CACHE[key] = _read(p)
        return _CACHE[key]
    p = Path(path)  # a user's model: not in the manifest, checked for format only
    try:
        return _read(p)
    except ModelAssetError as e:
        if not fallback:
            raise
        import warnings

        warnings.warn(f"{e}; using the default model instead", stacklevel=2)
        return load_model(None)
