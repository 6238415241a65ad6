"""``facemimic animate``: bring a portrait (or the built-in avatar) to life from any driver."""

from __future__ import annotations

import click

from ._options import FPS


@click.command("animate")
@click.argument("source", metavar="SOURCE")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="OUT.mp4 (H.264 + AAC); the first frame is also saved as OUT.png.")
@click.option("--expression", default=None, metavar="PROMPT",
              help="Generated expression or timeline: 'happy', 'neutral 1s > surprised 1s > happy 2s'.")
@click.option("--track", "track_file", default=None, type=click.Path(dir_okay=False, path_type=str),
              help="An expression track (.jsonl/.csv/.npz).")
@click.option("--drive", default=None, type=click.Path(dir_okay=False, path_type=str), metavar="VIDEO",
              help="Reenactment: copy a person's motion from a video (changes from their resting face).")
@click.option("--reference", default="rest", show_default=True, type=click.Choice(["rest", "first"]),
              help="--drive: measure the driver's changes from their resting face over the whole video "
                   "(rest) or from its first frame (first, as FOMM does; the video must start neutral).")
@click.option("--audio", default=None, type=click.Path(dir_okay=False, path_type=str),
              help="A voice recording: lip sync (alone) or just the soundtrack (with another driver).")
@click.option("--text", default=None, help="Transcript of --audio (exact alignment).")
@click.option("--transcribe", is_flag=True, help="No --text: hear the words of an English --audio first, then "
              "align them (lip closures far more accurate on real voices; a few seconds more).")
@click.option("--say", "say_text", default=None, metavar="TEXT", help="Speak TEXT with the built-in voice.")
@click.option("--voice", default="en-us", show_default=True, help="Voice for --say (espeak-ng name).")
@click.option("--mood", default=None, metavar="PROMPT",
              help="The face around the lips for --audio/--say ('cheerful', 'a bit sad'); alone, an expression.")
@click.option("--duration", default=None, type=float, help="Seconds for --expression/--mood [default: 3].")
@click.option("--seed", default=None, type=int, help="Generator seed (same seed, same motion).")
@click.option("--size", default=512, show_default=True, type=int,
              help="Output size in pixels (the longer side; the square's side with --crop face).")
@click.option("--crop", default="fit", show_default=True, type=click.Choice(["fit", "face"]),
              help="fit: the whole picture; face: a square around the face.")
@click.option("--fps", default=30.0, show_default=True, type=FPS, help="Video frame rate.")
@click.option("--face", "face", default=None, type=int,
              help="Which face of a group photo (0 = leftmost) [default: the largest].")
@click.option("--rest", default="auto", show_default=True, type=click.Choice(["auto", "source", "neutral"]),
              help="source: the photo is the resting face; neutral: weights are absolute (the photo's "
                   "own expression is relaxed first); auto: neutral for --expression/--mood alone, "
                   "source otherwise.")
@click.option("--no-calibrate", is_flag=True, help="Skip the per-face calibration (faster start).")
@click.option("--refine/--no-refine", default=True, show_default=True,
              help="Portraits: re-track every frame and correct jaw, smile, eyelids and brows so the video "
                   "reads back as asked (closed loop: at 512 px on two cores 16-34 fps, by the CPU, "
                   "instead of 40-70).")
@click.option("--no-mark", is_flag=True, help="Leave out the visible 'AI-generated' mark "
                                               "(the file's metadata still says it is synthetic).")
def command(source, output, expression, track_file, drive, reference, audio, text, transcribe, say_text, voice, mood,
            duration, seed, size, crop, fps, face, rest, no_calibrate, refine, no_mark) -> None:
    """Animate SOURCE: a photo or drawing of a face, `avatar[:STYLE|FILE]` for the built-in avatar, or
    `avatar3d:FILE.vrm` for a 3D avatar made by `facemimic avatar3d`.

    \b
      facemimic animate me.jpg -o hello.mp4 --say "Hello there!" --mood cheerful
      facemimic animate me.jpg -o talk.mp4 --audio talk.wav --text "what I said"
      facemimic animate me.jpg -o mimic.mp4 --drive friend.mp4
      facemimic animate me.jpg -o moods.mp4 --expression "neutral 1s > surprised 1s > happy 2s"
      facemimic animate avatar:neko -o neko.mp4 --track talk.jsonl --audio talk.wav

    The video lasts as long as the longer of the motion and the sound; after the motion ends the
    face eases back to rest. Every video is marked as AI-generated (metadata + a small visible mark).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..animate.drivers import DriverSpec, default_rest
    from ..animate.portrait.animator import PortraitOptions
    from ..animate.portrait.api import animate, check_output

    from ..animate.portrait.api import is_avatar, preview_path
    from ..common.outputs import OutputSet

    check_output(output, source)
    # Video and preview: neither may be an input; both appear together or neither does.
    in_3d = source.startswith("avatar3d:")  # a file from `facemimic avatar3d`
    source_file = source.split(":", 1)[1] if (is_avatar(source) or in_3d) and ":" in source else source
    outputs = OutputSet((output, preview_path(output)), inputs=(source_file, track_file, drive, audio))
    spec = DriverSpec(expression=expression, track=track_file, drive=drive, reference=reference, audio=audio,
                      text=text, transcribe=transcribe, say=say_text, mood=mood, duration=duration, fps=fps, seed=seed, voice=voice)
    if rest == "auto":
        rest = default_rest(spec)
    opts = PortraitOptions(size=size, crop=crop, face=face, rest=rest, calibrate=not no_calibrate, refine=refine)
    console = Console(stderr=True, soft_wrap=True)
    with Progress(TextColumn("[bold]animate[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as bar:  # off a terminal a bar only leaves a blank line
        task = bar.add_task("", total=None)
        with outputs:
            result = animate(source, output, spec, options=opts, fps=fps, mark=not no_mark,
                             progress=lambda done, total: bar.update(task, completed=done, total=total),
                             status=lambda msg: bar.update(task, description=msg))
    for w in result.warnings:
        click.echo(f"Warning: {w}", err=True)
    w, h = result.size
    click.echo(f"Wrote {result.video} ({result.frames} frames, {w}x{h}, {result.fps:g} fps"
               f"{', with sound' if result.audio else ''}) and {result.preview}")
