"""``facemimic batch track|analyze|lipsync``: a corpus of files -> a Parquet dataset (docs/batch.md)."""

from __future__ import annotations

import click

ENGINE_HELP = "local: a process pool on this machine; ray: Ray Data (pip install \"facemimic[ray]\"), local or a cluster."


def _engine_options(f):
    f = click.option("-q", "--quiet", is_flag=True, help="No progress bar; only the summary and errors.")(f)
    f = click.option("--force", is_flag=True, help="Process every file again, also those already done.")(f)
    f = click.option("--address", default=None, metavar="ADDR",
                     help="Ray cluster to join (auto, HEAD:6379 or ray://HEAD:10001); needs --engine ray.")(f)
    f = click.option("--workers", type=click.IntRange(1, 1024), default=None, metavar="N",
                     help="Worker processes (local) or actors (ray) [default: one per CPU].")(f)
    f = click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help=ENGINE_HELP)(f)
    f = click.option("-o", "--output", required=True, type=click.Path(path_type=str),
                     help="Dataset folder (created; run again to resume).")(f)
    return click.argument("patterns", nargs=-1, required=True)(f)


def _capture_options(f):
    from ._options import FiniteFloatRange

    f = click.option("--duration", type=FiniteFloatRange(0, None, min_open=True), default=None, metavar="S",
                     help="Only the first S seconds of each file.")(f)
    f = click.option("--units", type=click.Choice(["extent", "mediapipe"]), default="extent", show_default=True,
                     help="Weights as fractions of each shape's extent (docs/units.md) or MediaPipe's scores.")(f)
    f = click.option("--smoothing", type=click.Choice(["off", "light", "strong", "raw"]), default="light",
                     show_default=True, help="Temporal smoothing, as in `facemimic track`.")(f)
    return click.option("--max-faces", type=click.IntRange(1, 20), default=1, show_default=True,
                        help="Faces tracked per frame.")(f)


@click.group("batch")
def command() -> None:
    """Process a whole corpus of files into a Parquet dataset (resumable; local or on a Ray cluster).

    \b
      facemimic batch track "videos/**/*.mp4" -o faces/
      facemimic batch analyze "interviews/*.mov" -o emotions/ --workers 2
      facemimic batch lipsync "voice/**/*.wav" -o mouths/ --engine ray --address auto
      python -c "import pandas as pd; print(pd.read_parquet('faces/'))"
    """


@command.command("track")
@_engine_options
@_capture_options
def track_command(patterns, output, engine, workers, address, force, quiet, max_faces, smoothing, units,
                  duration) -> None:
    """Track every face of every file: one row per frame and face (UE weights, gaze, eyes, head).

    PATTERNS are files, folders or quoted globs ("clips/**/*.mp4"). Bad files are recorded in the
    manifest with their error and the rest carry on; a rerun skips files already done.
    """
    _run("track", patterns, output, engine, workers, address, force, quiet,
         capture=dict(max_faces=max_faces, smoothing=smoothing, units=units, duration=duration))


@command.command("analyze")
@_engine_options
@_capture_options
def analyze_command(patterns, output, engine, workers, address, force, quiet, max_faces, smoothing, units,
                    duration) -> None:
    """Track and analyse every file: the track columns plus emotion probabilities, valence/arousal and AUs."""
    _run("analyze", patterns, output, engine, workers, address, force, quiet,
         capture=dict(max_faces=max_faces, smoothing=smoothing, units=units, duration=duration))


@command.command("lipsync")
@_engine_options
@click.option("--fps", type=click.FloatRange(1, 240), default=60.0, show_default=True,
              help="Rows per second of audio.")
@click.option("--transcripts", is_flag=True,
              help="Align the transcript <name>.txt beside an audio file when there is one.")
@click.option("--transcribe", is_flag=True,
              help="English speech without a transcript: hear the words with the built-in speech recogniser "
              "first, then align them (far more accurate on real voices, several times slower).")
def lipsync_command(patterns, output, engine, workers, address, force, quiet, fps, transcripts, transcribe) -> None:
    """Lip-sync audio files (or the audio of videos): one row per frame with the mouth cue, phone and UE mouth."""
    _run("lipsync", patterns, output, engine, workers, address, force, quiet, lipsync_fps=fps,
         transcripts=transcripts, transcribe=transcribe)


def _run(task, patterns, output, engine, workers, address, force, quiet, *, capture=None, **spec_kw) -> None:
    from ..batch.options import BatchOptions, WorkSpec
    from ..batch.runner import run_batch

    capture = {k: v for k, v in (capture or {}).items() if v is not None}
    spec = WorkSpec(task, capture=tuple(capture.items()), **spec_kw)
    opts = BatchOptions(spec=spec, engine=engine, workers=workers, address=address, force=force)
    with _progress(quiet) as report:
        summary = run_batch(patterns, output, opts, progress=report)
    s = summary
    parts = [f"{s.done} done", f"{s.no_face} without a face" if s.no_face else "",
             f"{s.failed} failed" if s.failed else "", f"{s.skipped} already done" if s.skipped else "",
             f"{s.gave_up} given up" if s.gave_up else ""]
    rate = f", {s.frames / s.elapsed:.1f} frames/s" if s.frames and s.elapsed > 0 else ""
    files = f"{s.total} file{'s' if s.total != 1 else ''}"
    click.echo(f"{output}: {files} ({', '.join(p for p in parts if p)}), {s.rows} rows in {s.elapsed:.1f} s{rate}",
               err=True)
    for line in s.errors:
        click.echo(f"  {line}", err=True)
    if s.failed or s.gave_up:
        # Every other file was written; the exit status tells scripts that some were not.
        hint = "run again to retry them" if s.failed else "fix them, or use --force to try again"
        raise click.ClickException(f"{s.failed + s.gave_up} of {s.total} files failed (listed above and in "
                                   f"{output.rstrip('/')}/_manifest.parquet); {hint}")


def _progress(quiet: bool):
    """``progress(summary, result)`` callback: a rich bar with files/s, frames/s and ETA on a terminal,
    a line per file otherwise (logs and pipes see progress too)."""
    import contextlib
    import sys

    if quiet:
        return contextlib.nullcontext(None)
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        @contextlib.contextmanager
        def bar():
            with Progress(TextColumn("batch"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[rates]}"), TextColumn("ETA"), TimeRemainingColumn(),
                          console=Console(stderr=True, soft_wrap=True), transient=False) as p:
                task = p.add_task("batch", total=None, rates="")

                def report(s, res):
                    e = max(s.elapsed, 1e-9)
                    p.update(task, total=s.todo, completed=s.finished,
                             rates=f"{s.finished / e:.2f} files/s {s.frames / e:.0f} frames/s")

                yield report

        return bar()

    def line(s, res):
        if res is None:
            click.echo(f"batch: {s.todo} of {s.total} files to process ({s.skipped} already done)", err=True)
            return
        e = max(s.elapsed, 1e-9)
        left = (s.todo - s.finished) * e / s.finished if s.finished else 0.0
        click.echo(f"[{s.finished}/{s.todo}] {res.status} {res.path} ({res.frames} frames, {res.seconds:.1f} s); "
                   f"{s.finished / e:.2f} files/s, {s.frames / e:.0f} frames/s, ETA {left:.0f} s", err=True)

    return contextlib.nullcontext(line)
