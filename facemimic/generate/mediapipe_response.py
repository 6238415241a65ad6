"""What MediaPipe would score a face: per-channel response curves from the unit to MediaPipe's scale.

FaceMimic's weights are in one unit, the fraction of each shape's full extent (docs/units.md), and
capture measures them from the landmarks. MediaPipe's own blendshape scores are another scale:
non-linear (a talking jaw opened 0.3 of the way scores ``jawOpen`` 0.05, a gape of 0.5 scores
0.52), saturating (a smile a fifth of the broadest laugh scores ``mouthSmile`` 0.8) and dead on
some channels (``cheekSquint``, ``noseSneer``, ``eyeWide`` stay near 0 whatever the face does).
:meth:`Generation.as_tracked <facemimic.generate.api.Generation.as_tracked>` and
``facemimic express --as-tracked`` give a generated face as MediaPipe would score it (a track with
``"units": "mediapipe"``), through these curves.

One monotone curve per channel and MediaPipe running mode, **weight in the unit -> MediaPipe
score**, on a grid of weights 0, 0.05, ..., 1. They are the capture stage's response curves read in
the other direction: fitted on the same real faces (``eval/units/capture_response_samples.json``:
21 people, each face's MediaPipe score and its geometric weight) with the same fit
(:func:`facemimic.capture.api.fit_curve`, every person weighted alike), but as a regression of the
score on the weight. Inverting capture's score -> weight curves instead predicts unseen people's
scores worse (leave-one-person-out mean error 0.169 against 0.074, docs/generate.md): a regression
of weight on score cannot say what a dead score does, a regression of score on weight can.

Channels capture takes from MediaPipe's score in both units (cheek puff, lip funnel, jaw sideways,
tongue …; ``capture.api.SOURCES``) and eye closure (the same in both units) pass through; channels
MediaPipe has no blendshape for read 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ..common.assets import asset_location, load_json_model
from ..common.curves import identity_tables, knot_lookup, tables_from_json, tables_to_json
from ..emotions.facs import N_X, X_INDEX, X_NAMES
from ..errors import ParameterError, UnknownNameError, suggest

RESPONSE_TAG = "facemimic.mediapipe_response"
RESPONSE_ASSET = "generate/weights/mediapipe_response.json"  # its name in the asset manifest
RESPONSE_PATH = asset_location(RESPONSE_ASSET)
N_KNOTS = 21  # weights 0, 0.05, ..., 1
MODES = ("image", "video")  # MediaPipe's running modes (VIDEO mode's filter halves the brow scores)


def stem_channels(stem: str) -> list[str]:
    """Expression-vector channels one measured stem stands for (as the capture samples pool them)."""
    if stem in ("JawOpen", "MouthClosed"):
        return [stem]
    if stem in ("LipPucker", "LipFunnel"):  # one measure and one score for all four quadrants
        return [f"{stem}{q}{s}" for q in ("Upper", "Lower") for s in ("Left", "Right")]
    return [f"{stem}Left", f"{stem}Right"]


def _reported() -> np.ndarray:
    """(90,) bool: channels a MediaPipe capture can be non-zero on (ARKit-driven shapes, eye closure)."""
    from ..expressions.arkit import UE_DRIVEN_BY_ARKIT

    return np.concatenate([UE_DRIVEN_BY_ARKIT, [True, True]])


@dataclass(frozen=True, eq=False)
class MediaPipeResponse:
    """Per-channel curves, weight in the unit -> MediaPipe score, per running mode.

    ``tables[mode]`` is (90, :data:`N_KNOTS`): row ``i`` is expression channel ``i``'s score at
    weights 0, 0.05, ..., 1; channels without a fitted curve hold the identity.
    """

    tables: dict  # mode -> np.ndarray (90, N_KNOTS)
    fitted: tuple[str, ...]  # expression channels with a fitted curve
    about: str = ""

    def observe(self, x: np.ndarray, mode: str = "image") -> np.ndarray:
        """What MediaPipe would score for faces that show ``x``.

        Parameters
        ----------
        x : np.ndarray [shape=(N, 90)]
            Expression vectors in the unit (88 UE weights + eye closure L/R).
        mode : {"image", "video"}
            MediaPipe's running mode: ``"image"`` for stills (poses), ``"video"`` for clips.

        Returns
        -------
        np.ndarray [shape=(N, 90), dtype=float32]
            In MediaPipe's scale; channels MediaPipe has no blendshape for are 0.
        """
        if mode not in self.tables:
            raise UnknownNameError(f"unknown MediaPipe mode {mode!r}{suggest(str(mode), MODES)}; "
                                   f"valid: {', '.join(MODES)}")
        x = np.atleast_2d(np.asarray(x, np.float32))
        if x.shape[-1] != N_X:
            raise ParameterError(f"expression vectors must have {N_X} channels, got shape {x.shape}")
        out = knot_lookup(self.tables[mode], np.nan_to_num(x))
        return (np.clip(out, 0.0, 1.0) * _reported()).astype(np.float32)

    def to_json(self) -> dict:
        return tables_to_json(RESPONSE_TAG, self.about, self.tables, X_INDEX, self.fitted)

    @classmethod
    def from_json(cls, data: dict, *, source: str = "MediaPipe response") -> "MediaPipeResponse":
        """Parse :meth:`to_json`'s form; anything else raises :class:`ModelAssetError` naming ``source``."""
        tables, fitted, about = tables_from_json(data, source=source, tag=RESPONSE_TAG,
                                                 what="a FaceMimic MediaPipe response", index=X_INDEX,
                                                 n_channels=N_X, n_knots=N_KNOTS, modes=MODES)
        return cls(tables=tables, fitted=fitted, about=about)

    def save(self, path):
        from ..common.files import AtomicFile

        with AtomicFile(path, "w") as out:
            out.file.write(json.dumps(self.to_json(), separators=(",", ":")) + "\n")
        return out.path


def _pairs(people: list[dict], stem: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled (geometric weight, score, sample weight) of ``people``; every person weighs 1 in all."""
    ws, ss, sw = [], [], []
    for p in people:
        g = np.concatenate([np.asarray(v, np.float64) for v in p["geometric"][stem]])
        s = np.concatenate([np.asarray(v, np.float64) for v in p["score"][stem]])
        ok = np.isfinite(g) & np.isfinite(s)
        ws.append(np.clip(g[ok], 0.0, 1.0))
        ss.append(s[ok])
        sw.append(np.full(int(ok.sum()), 1.0 / max(int(ok.sum()), 1)))
    return np.concatenate(ws), np.concatenate(ss), np.concatenate(sw)


def fit_mediapipe_response(people: list[dict]) -> MediaPipeResponse:
    """Fit the curves on real faces: per channel and mode, MediaPipe's score on the geometric weight.

    Parameters
    ----------
    people : list of dict
        The ``people`` of ``eval/units/capture_response_samples.json`` (``scripts/fit_capture_units.py``):
        each with ``kind`` ("photo"/"video"), ``mode`` ("image"/"video") and, per channel stem and
        side, lists of MediaPipe ``score`` s and ``geometric`` weights of the same frames.

    Returns
    -------
    MediaPipeResponse
        Curves for the channels capture measures from the landmarks (``capture.api.SOURCES``);
        the ``video`` curves use the VIDEO-mode frames plus the photos, as capture's own curves do.
    """
    from ..capture.api import SOURCES, fit_curve

    if not people:
        raise ParameterError("fit_mediapipe_response needs real faces (no people given)")
    stems = sorted({s for p in people for s in p["score"]})
    tables = identity_tables(N_X, N_KNOTS, MODES)
    fitted = []
    for stem in stems:
        names = [n for n in stem_channels(stem) if SOURCES.get(n) == "geometry"]
        if not names:  # eye closure, and channels capture keeps as MediaPipe's score: identity
            continue
        for mode in MODES:
            chosen = [p for p in people if p["mode"] == mode or (mode == "video" and p["kind"] == "photo")]
            knots = fit_curve(*_pairs(chosen, stem))
            for n in names:
                tables[mode][X_INDEX[n]] = knots
        fitted += names
    n_people = len({(p["name"].split(".")[0], p.get("face", 0)) for p in people})
    about = ("MediaPipe response: UE weight in the unit (fraction of full extent, docs/units.md) -> MediaPipe's "
             "blendshape score (units='mediapipe'), per channel and running mode, at weights 0, 0.05, ..., 1. "
             f"Isotonic regression of the score on the geometric weight over {n_people} real people "
             "(every person weighted alike); scripts/train_default_model.py.")
    return MediaPipeResponse(tables=tables, fitted=tuple(n for n in X_NAMES if n in fitted), about=about)


def load_mediapipe_response(path=None) -> MediaPipeResponse:
    """The shipped curves (SHA-256 checked against the asset manifest) or a file at ``path``.

    Raises
    ------
    ModelAssetError
        Naming the file: missing, failing its SHA-256 check, or not a response file.
    """
    return load_json_model(RESPONSE_ASSET, path, what="MediaPipe response file",
                           parse=lambda data, source: MediaPipeResponse.from_json(data, source=source))


__all__ = ["MODES", "MediaPipeResponse", "RESPONSE_ASSET", "fit_mediapipe_response", "load_mediapipe_response",
           "stem_channels"]
