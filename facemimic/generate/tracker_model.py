"""How capture reports a FACS-sized display: a measurement model learned from real frames.

FaceMimic generates what an avatar should *show*: FACS prototype displays turned into UE weights
through the one AU table (:mod:`facemimic.emotions.facs`). Real people captured in the same unit
(docs/units.md; capture measures the weights from the landmarks) show those displays at their own
size, and a webcam's landmarks move less than the skin on some channels. Comparing generated
expressions with real captured frames therefore uses a measurement model,
``observed = clip(floor + gain * shown, 0, 1)`` on the channels a capture reports:

* ``reported``: UE channels an ARKit-style capture drives at all (VRCFT's ARKit table) plus eye
  closure; channels a capture leaves dead get a gain near 0 from the data, they are not dropped;
* ``gain``: per channel, least squares through the floor of the real frames' mean per labelled
  state against the FACS prototype's mean for that state (:func:`dataset.sample_facs`); left and
  right channels share one gain;
* ``floor``: the capture's resting level, the lowest of the sources' 10th percentiles.

``units`` records the unit of the frames it was fitted on: ``"extent"`` (the shipped model,
fitted on frames captured in the unit) or ``"mediapipe"`` (MediaPipe's scores; the model shipped
before issue #11, when ``Generation.as_tracked`` used it). What MediaPipe would *score* a face is a
different question, answered by :mod:`.mediapipe_response`.

It is fitted only on the frames it is given (the benchmarks pass training frames, never the
held-out ones) and is used by the plausibility benchmark to view generated expressions the way a
capture of a real face would, and optionally by the analyser
(``fit_classifier(..., tracker="default")``), which then simulates captures around these gains.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..common.assets import asset_location, load_json_model
from ..errors import ModelAssetError
from ..expressions.names import UE_MIRROR
from ..emotions.facs import CLOSURE_LEFT, CLOSURE_RIGHT, N_X, X_NAMES

TRACKER_TAG = "facemimic.tracker_model"
TRACKER_ASSET = "generate/weights/tracker.json"  # its name in the asset manifest
TRACKER_PATH = asset_location(TRACKER_ASSET)
_X_MIRROR = np.array(list(UE_MIRROR) + [CLOSURE_RIGHT, CLOSURE_LEFT])
MAX_GAIN = 1.5  # a tracker may over-report (eye closure when squinting), but not without bound
MIN_STATE_FRAMES = 1  # a posed photo is one frame


@dataclass(frozen=True)
class TrackerModel:
    """Per-channel measurement model of a webcam tracker (see module docstring)."""

    gain: np.ndarray  # (90,) observed = floor + gain * shown on reported channels
    floor: np.ndarray  # (90,) the tracker's resting output per channel
    reported: np.ndarray  # (90,) bool: channels the tracker outputs at all
    states: tuple[str, ...] = ()  # labelled states the gains were fitted on
    sources: tuple[str, ...] = ()  # real media the model was fitted on
    units: str = "extent"  # the unit of the frames it was fitted on ("extent" or "mediapipe")

    def __post_init__(self) -> None:
        for name in ("gain", "floor", "reported"):
            v = np.asarray(getattr(self, name))
            if v.shape != (N_X,):
                raise ModelAssetError(f"tracker model: {name} must have {N_X} values, got shape {v.shape}")
        if not np.isfinite(self.gain).all() or not np.isfinite(self.floor).all():
            raise ModelAssetError("tracker model: gains/floors must be finite")

    def observe(self, x: np.ndarray) -> np.ndarray:
        """What a capture (in :attr:`units`) would report for expressions ``x``.

        Parameters
        ----------
        x : np.ndarray [shape=(N, 90)]
            Expressions as shown (88 UE weights + eye closure L/R).

        Returns
        -------
        np.ndarray [shape=(N, 90), dtype=float32]; channels a capture never reports are 0.
        """
        x = np.atleast_2d(np.asarray(x, np.float32))
        out = np.clip(self.floor + self.gain * x, 0.0, 1.0) * self.reported
        return out.astype(np.float32)

    def view(self, x: np.ndarray) -> np.ndarray:
        """Only the reported channels of ``x`` (real tracked frames are compared this way), (N, R)."""
        return np.atleast_2d(np.asarray(x, np.float32))[:, self.reported]

    def to_json(self) -> dict:
        return {"format": TRACKER_TAG, "schema": 2, "units": self.units, "names": list(X_NAMES),
                "gain": [round(float(v), 4) for v in self.gain], "floor": [round(float(v), 4) for v in self.floor],
                "reported": [bool(v) for v in self.reported], "states": list(self.states),
                "sources": list(self.sources)}

    @staticmethod
    def from_json(d: dict, *, name: str = "tracker model") -> TrackerModel:
        if d.get("format") != TRACKER_TAG or list(d.get("names", [])) != list(X_NAMES):
            raise ModelAssetError(f"{name}: not a FaceMimic tracker model for these {N_X} channels")
        # Schema 1 (before units were recorded) was fitted on MediaPipe's scores.
        units = d.get("units", "mediapipe")
        if units not in ("extent", "mediapipe"):
            raise ModelAssetError(f"{name}: unknown units {units!r} (extent or mediapipe)")
        return TrackerModel(np.asarray(d["gain"], np.float32), np.asarray(d["floor"], np.float32),
                            np.asarray(d["reported"], bool), tuple(d.get("states", ())), tuple(d.get("sources", ())),
                            units)

    def save(self, path: str | Path) -> Path:
        from ..common.files import AtomicFile

        with AtomicFile(path, "w") as out:
            out.file.write(json.dumps(self.to_json(), indent=None, separators=(",", ":")) + "\n")
        return out.path


def fit_tracker_model(real, *, n_per_state: int = 400, seed: int = 0, units: str = "extent") -> TrackerModel:
    """Fit the measurement model on real tracked frames.

    Parameters
    ----------
    real : LabelledFrames
        Real tracked frames (labelled rows fit the gains; all rows the floor and the reported set).
    units : {"extent", "mediapipe"}
        The unit ``real`` was captured in (recorded in the model).
    n_per_state : int
        FACS prototype samples per labelled state (natural style) whose mean is the "shown" value.
    seed : int

    Returns
    -------
    TrackerModel
    """
    from ..expressions.arkit import UE_DRIVEN_BY_ARKIT
    from .dataset import sample_facs
    from ..emotions.states import N_STATES, STATE_INDEX

    x_all = np.asarray(real.x, np.float32)
    if len(x_all) == 0:
        raise ModelAssetError("tracker model: no real frames to fit on")
    # Resting output: the lowest of the sources' 10th percentiles (mirrored: a tracker has no
    # preferred side). Per source, because most frames of a clip may hold one expression (a
    # smiling video says nothing about the tracker's output for a relaxed mouth).
    src = np.asarray(real.source)
    floor = np.min([np.percentile(np.concatenate([x_all[src == s], x_all[src == s][:, _X_MIRROR]]), 10, axis=0)
                    for s in dict.fromkeys(src.tolist())], axis=0).astype(np.float32)
    reported = np.concatenate([UE_DRIVEN_BY_ARKIT, [True, True]])
    lab = real.labelled
    states = [s for s in dict.fromkeys(lab.labels.tolist()) if (lab.labels == s).sum() >= MIN_STATE_FRAMES]
    rng = np.random.default_rng([seed, 11])
    shown, seen = [], []
    for s in states:
        m = np.zeros((n_per_state, N_STATES), np.float32)
        m[:, STATE_INDEX[s]] = 1.0
        f = sample_facs(m, ["natural"] * n_per_state, rng=rng)
        f = np.concatenate([f, f[:, _X_MIRROR]])
        r = lab.x[lab.labels == s]
        r = np.concatenate([r, r[:, _X_MIRROR]])
        shown.append(f.mean(0))
        seen.append(r.mean(0))
    gain = np.ones(N_X, np.float32)
    if states:
        fm, rm = np.stack(shown), np.stack(seen) - floor
        for c in range(N_X):
            f = fm[:, c]
            if f.max() >= 0.05:  # the prototypes use this channel: its gain is measurable
                gain[c] = np.clip((rm[:, c] @ f) / (f @ f), 0.0, MAX_GAIN)
    gain = np.where(reported, gain, 0.0).astype(np.float32)
    return TrackerModel(gain, np.where(reported, floor, 0.0).astype(np.float32), reported, tuple(states),
                        tuple(sorted(set(real.source.tolist()))), units)


def _parse_tracker(data: dict, source: str) -> "TrackerModel":
    tm = TrackerModel.from_json(data, name=source)
    if not all(a.shape == (N_X,) for a in (tm.gain, tm.floor, tm.reported)) or not (
            np.isfinite(tm.gain).all() and np.isfinite(tm.floor).all()):
        raise ModelAssetError(f"{source}: tracker model is damaged (gain/floor/reported must be {N_X} finite values)")
    return tm


def load_tracker_model(path: str | Path | None = None) -> TrackerModel:
    """The shipped tracker model or one at ``path``.

    The shipped ``weights/tracker.json`` is checked by SHA-256 against the asset manifest
    (:mod:`facemimic.common.assets`); a file at ``path`` is a user's model, checked for format only.

    Raises
    ------
    ModelAssetError
        Naming the file: missing, failing its SHA-256 check, or not a tracker model.
    """
    return load_json_model(TRACKER_ASSET, path, what="tracker model", parse=_parse_tracker)
