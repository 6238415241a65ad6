"""``facemimic train``: fine-tune the expression generator on your own labelled recordings."""

from __future__ import annotations

import click

from ._options import SEED


@click.command("train")
@click.argument("datasets", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="Model file to write (.npz); use it with `facemimic express --model`.")
@click.option("--epochs", type=click.IntRange(1, None), default=6, show_default=True,
              help="Passes over the training data (at most 1000).")
@click.option("--from", "start", type=click.Choice(["default", "scratch"]), default="default", show_default=True,
              help="Fine-tune the shipped model, or train a new one from scratch.")
@click.option("--seed", type=SEED, default=0, show_default=True,
              help="Training seed, 0 to 2**32-1 (same data + seed = same model).")
@click.option("--plot", "plot_out", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Loss plot (.png, .jpg, .gif, .webp, .svg or .pdf) [default: MODEL.loss.png].")
@click.option("--all-channels", is_flag=True,
              help="Let your frames teach every channel, also brows, cheeks, nose and wide eyes (by default only "
                   "the mouth, jaw and eyelids learn from real frames).")
@click.option("--auto", type=click.FloatRange(0, 1, min_open=True), default=0.8, show_default=True, metavar="P",
              help="For a `facemimic batch track|analyze` dataset folder: label its frames with the analyser's "
                   "state where its probability >= P (as `label --auto P`).")
def command(datasets, output, epochs, start, seed, plot_out, all_channels, auto) -> None:
    """Train a generator on DATASETS from `facemimic label` ("learn my smile") or `facemimic batch` folders.

    \b
      facemimic train me.npz -o my_model.npz
      facemimic train faces/ -o corpus_model.npz --auto 0.8    # a `facemimic batch track` dataset
      facemimic express happy --model my_model.npz
    """
    import os
    from pathlib import Path

    # Small matrices: one BLAS thread is fastest (set before NumPy loads, if it has not yet).
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")

    from ..errors import ParameterError
    from ..generate.dataset import LabelledFrames, load_dataset
    from ..generate.model import load_model
    from ..generate.train import MAX_EPOCHS, TrainOptions, check_training_data, plot_history, train_generator

    if epochs > MAX_EPOCHS:  # before any data is read: 10**9 epochs would run for years in silence
        raise ParameterError(f"--epochs must be 1 to {MAX_EPOCHS}, got {epochs}")
    if not output.lower().endswith(".npz"):
        raise ParameterError(f"{output}: models are .npz files")
    from ..common.outputs import OutputSet

    plot = plot_out or str(Path(output).with_suffix(".loss.png"))
    from ..common.images import check_image_path

    check_image_path(plot, vector=True)  # .png/.jpg/.gif/.webp/.svg/.pdf, before training
    # Model and plot: checked before training, written together or not at all.
    outputs = OutputSet((output, plot), inputs=datasets)
    parts = []
    for d in datasets:
        part = _read_dataset(d, auto, load_dataset)
        parts.append(check_training_data(part, name=d) if len(datasets) == 1 else part)
    data = check_training_data(LabelledFrames.concat(parts), name=", ".join(datasets))
    opts = TrainOptions(epochs=epochs, seed=seed, finetune=start == "default", full_mask=all_channels,
                        n_synthetic=30000 if start == "default" else 60000,
                        real_repeat=max(4, min(40, 6000 // max(len(data), 1))))
    init = load_model(None) if start == "default" else None
    with _epoch_progress(epochs) as report:
        model, history = train_generator(data, options=opts, init=init, progress=report)
    model.header["name"] = Path(output).stem
    model.header["training"]["datasets"] = [Path(d).name for d in datasets]
    with outputs:
        model.save(output)
        plot_history(history, plot)
    click.echo(f"wrote {output} ({len(data)} labelled frames: "
               f"{', '.join(f'{k} {v}' for k, v in data.counts().items())}); loss plot {plot}")


def _read_dataset(path: str, auto: float, load_dataset):
    """A `facemimic label` NPZ, or the frames of a `facemimic batch` dataset folder labelled by the
    analyser where it is at least ``auto`` sure (its unsure frames are left out)."""
    from ..batch.dataset import is_dataset

    if not is_dataset(path):
        return load_dataset(path)
    from ..batch.dataset import read_tracks
    from ..generate.dataset import LabelledFrames
    from .label import label_one

    return LabelledFrames.concat([label_one(name, tr, [], None, auto) for name, tr in read_tracks(path).items()]).labelled


def _epoch_progress(epochs: int):
    """Context manager giving a ``progress(epoch, epochs, loss)`` callback that reports on stderr:
    a rich bar on a terminal, else a line every tenth of the run (logs and pipes see progress too)."""
    import contextlib
    import sys
    import time

    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        @contextlib.contextmanager
        def bar():
            with Progress(TextColumn("training"), BarColumn(), TextColumn("epoch {task.completed}/{task.total}"),
                          TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(),
                          console=Console(stderr=True, soft_wrap=True), transient=False) as p:
                task = p.add_task("train", total=epochs, loss="-")
                yield lambda e, n, loss: p.update(task, completed=e, loss=f"{loss:.2f}")

        return bar()
    every = max(1, epochs // 10)
    t0 = time.monotonic()

    def line(e, n, loss):
        if e % every == 0 or e == n:
            click.echo(f"training: epoch {e}/{n}, loss {loss:.2f}, {time.monotonic() - t0:.1f} s", err=True)

    return contextlib.nullcontext(line)
