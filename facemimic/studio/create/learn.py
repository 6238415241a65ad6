"""Learn my face (issue #14 §4): labelled spans -> a dataset -> a trained generator.

Labelling is ``facemimic label SOURCE --at START-END=STATE -o datasets/NAME.npz`` (its span parser
and :func:`facemimic.cli.label.label_one`); training is ``facemimic train datasets/NAME.npz -o
models/NAME.npz`` (the same :class:`~facemimic.generate.train.TrainOptions` and
:func:`~facemimic.generate.train.train_generator`), run as a background job whose loss per epoch
the page polls (a reloaded page finds a running job in the list and follows it again). Models in ``models/`` appear in the designer's model choice.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ...errors import FaceMimicError, InputError, ParameterError

DATASET_DIR = "datasets"
MODEL_DIR = "models"
MAX_EPOCHS_STUDIO = 50  # a laptop's patience; the CLI goes further


def label_spans(workspace: Path, source: str, spans: list, name: str) -> dict:
    """Write ``datasets/NAME.npz`` from ``spans`` (``[[start, end, state], …]``) of a workspace file.

    Returns ``{"dataset", "frames", "counts"}``.
    """
    from ...cli.label import label_one, parse_span
    from ...generate.dataset import save_dataset
    from ..security import confine
    from .designer import library_path

    stem = library_path(workspace, name).stem
    src = confine(workspace, source)
    if not src.is_file():
        raise InputError(source, "not found in the workspace")
    if not isinstance(spans, list) or not spans:
        raise ParameterError("label at least one span (start, end, state)")
    try:
        texts = [f"{float(a):.3f}-{float(b):.3f}={state}" for a, b, state in spans]
    except (TypeError, ValueError):
        raise ParameterError("spans must be [start seconds, end seconds, state]") from None
    parsed = [parse_span(t) for t in texts]  # the CLI's checks (state names, order) and messages
    if src.suffix.lower() in (".jsonl", ".csv", ".npz"):
        from ...expressions.io import read_track

        track = read_track(src)
    else:
        from ...capture.api import track as capture_track

        track = capture_track(src)  # in the unit (docs/units.md), what the generator learns in
    try:
        data = label_one(source, track, parsed, None, None).labelled
    except InputError as e:
        raise InputError(source, e.problem) from None
    if len(data) == 0:
        raise InputError(source, "no tracked face inside the labelled spans")
    out = Path(workspace) / DATASET_DIR / f"{stem}.npz"
    out.parent.mkdir(parents=True, exist_ok=True)
    save_dataset(data, out, metadata={"source": src.name, "spans": [list(s) for s in parsed]})
    return {"dataset": out.relative_to(Path(workspace)).as_posix(), "frames": len(data),
            "counts": {k: int(v) for k, v in data.counts().items()}}


@dataclass(frozen=True)
class TrainJob:
    """One training run, as the page sees it."""

    id: str
    dataset: str
    model: str
    epochs: int
    seed: int = 0
    state: str = "running"  # running, done, failed, cancelled
    losses: list = field(default_factory=list)  # one per finished epoch
    error: str | None = None


class _Cancelled(Exception):
    """Raised from the epoch callback: the run stops, nothing is written."""


class Trainer:
    """Training runs for one workspace (one at a time, in a thread; their loss curves in memory)."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(workspace)
        self._lock = threading.Lock()
        self._jobs: dict[str, TrainJob] = {}
        self._stop: set[str] = set()

    def cancel(self, job_id: str) -> TrainJob:
        """Stop a running job at the end of its current epoch (no model is written) -> the job."""
        job = self.get(job_id)
        if job.state == "running":
            with self._lock:
                self._stop.add(job_id)
        return job

    def start(self, dataset: str, name: str, epochs: int = 6, seed: int = 0) -> TrainJob:
        """Check everything now (one-line errors), then train in a thread -> the job."""
        from ..security import confine
        from .designer import library_path

        if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= MAX_EPOCHS_STUDIO:
            raise ParameterError(f"epochs must be 1 to {MAX_EPOCHS_STUDIO}, got {epochs!r}")
        stem = library_path(self.workspace, name).stem
        data_path = confine(self.workspace, dataset)
        if not data_path.is_file():
            raise InputError(dataset, "not found (label some spans first)")
        with self._lock:
            if any(j.state == "running" for j in self._jobs.values()):
                raise ParameterError("a model is being trained; wait for it to finish")
            job = TrainJob(id=f"train-{len(self._jobs) + 1}", dataset=dataset, model=f"{MODEL_DIR}/{stem}.npz",
                           epochs=epochs, seed=seed)
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, data_path), name="studio-train", daemon=True).start()
        return job

    def list(self) -> list[TrainJob]:
        """Every run since the studio started, oldest first (a reloaded page finds the running one)."""
        with self._lock:
            return list(self._jobs.values())

    def get(self, job_id: str) -> TrainJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise InputError(job_id, "no such job")
        return job

    def _set(self, job_id: str, **changes) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)

    def _epoch(self, job_id: str, loss: float) -> None:
        self._set(job_id, losses=[*self.get(job_id).losses, round(float(loss), 4)])
        if job_id in self._stop:
            raise _Cancelled

    def _run(self, job: TrainJob, data_path: Path) -> None:
        try:
            train_dataset(data_path, self.workspace / job.model, epochs=job.epochs, seed=job.seed,
                          progress=lambda e, n, loss: self._epoch(job.id, loss))
        except _Cancelled:
            self._set(job.id, state="cancelled")
        except FaceMimicError as e:
            self._set(job.id, state="failed", error=str(e).replace(str(self.workspace.resolve()) + "/", ""))
        except Exception as e:  # noqa: BLE001 - shown in the page, the studio keeps running
            self._set(job.id, state="failed", error=f"{type(e).__name__}: {e}")
        else:
            self._set(job.id, state="done")


def train_dataset(dataset: Path, output: Path, *, epochs: int, seed: int, progress) -> Path:
    """``facemimic train DATASET -o OUTPUT --epochs E --seed S`` (fine-tuning the shipped model),
    with ``progress(epoch, epochs, loss)`` after each epoch; the model and its loss plot appear together."""
    from ...common.nn import single_blas_thread
    from ...common.outputs import OutputSet
    from ...generate.dataset import load_dataset
    from ...generate.model import load_model
    from ...generate.train import TrainOptions, check_training_data, plot_history, train_generator

    output.parent.mkdir(parents=True, exist_ok=True)
    plot = output.with_suffix(".loss.png")
    outputs = OutputSet((output, plot), inputs=(dataset,))
    data = check_training_data(load_dataset(dataset), name=dataset.name)
    # the CLI's options for `--from default` (fine-tune)
    opts = TrainOptions(epochs=epochs, seed=seed, finetune=True, full_mask=False, n_synthetic=30000,
                        real_repeat=max(4, min(40, 6000 // max(len(data), 1))))
    with single_blas_thread():  # the CLI sets one BLAS thread too: the live page keeps a core
        model, history = train_generator(data, options=opts, init=load_model(None), progress=progress)
    model.header["name"] = output.stem
    model.header["training"]["datasets"] = [dataset.name]
    with outputs:
        model.save(output)
        plot_history(history, plot)
    return output


def list_models(workspace: Path) -> list[dict]:
    """Trained models in ``models/``: name and workspace-relative path."""
    folder = Path(workspace) / MODEL_DIR
    return [{"name": p.stem, "path": f"{MODEL_DIR}/{p.name}"}
            for p in sorted(folder.glob("*.npz")) if folder.is_dir() and not p.name.endswith(".loss.npz")]


__all__ = ["DATASET_DIR", "MODEL_DIR", "TrainJob", "Trainer", "label_spans", "list_models", "train_dataset"]
