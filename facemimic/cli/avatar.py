"""``facemimic avatar``: draw the built-in cartoon avatar from a track, and make avatar files."""

from __future__ import annotations

import click

from ._options import FPS

# Style fields settable from `avatar new`: option name -> (field, type, help).
_STYLE_OPTIONS = (
    ("--name", "name", str, "Name of the avatar."),
    ("--skin", "skin", str, "Skin colour, e.g. '#f4c9a4'."),
    ("--hair-style", "hair_style", str, "short, long, bob, spiky, bun or bald."),
    ("--hair-color", "hair_color", str, "Hair colour."),
    ("--eye-shape", "eye_shape", str, "round, almond or anime."),
    ("--iris-color", "iris_color", str, "Iris colour."),
    ("--eye-size", "eye_size", float, "Eye scale, 0.6 to 1.5."),
    ("--brow-thickness", "brow_thickness", float, "Brow thickness, 0.3 to 2.5 (1 = medium)."),
    ("--brow-color", "brow_color", str, "Brow colour (default: a darker hair colour)."),
    ("--lip-color", "lip_color", str, "Lip colour."),
    ("--shirt-color", "shirt_color", str, "Shirt colour."),
    ("--glasses", "glasses", str, "none, round or square."),
    ("--glasses-color", "glasses_color", str, "Glasses frame colour."),
    ("--headwear", "headwear", str, "none, hat, cat_ears or beanie."),
    ("--headwear-color", "headwear_color", str, "Hat / ears colour."),
    ("--blush", "blush", float, "Cheek blush strength, 0 to 1."),
    ("--outline-color", "outline_color", str, "Colour of the line work."),
    ("--background", "background", str, "One colour, or 'TOP,BOTTOM' for a gradient."),
)


@click.group("avatar")
def command() -> None:
    """FaceMimic's built-in 2D cartoon avatar.

    \b
      facemimic avatar render talk.jsonl -o talk.mp4 --avatar neko --audio talk.wav
      facemimic avatar render talk.jsonl -o smile.svg --at 1.5
      facemimic avatar new -o me.json --hair-style bob --hair-color '#e88fb5' --glasses round
      facemimic avatar presets
    """


@command.command("render")
@click.argument("track", type=click.Path(dir_okay=False, path_type=str))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="OUT.mp4 (the whole track), OUT.svg or OUT.png (one frame).")
@click.option("--avatar", "avatar", default=None, metavar="FILE|PRESET",
              help="Avatar file (.json) or preset name (see `facemimic avatar presets`).")
@click.option("--size", default=512, show_default=True, type=int, help="Width in pixels.")
@click.option("--height", default=None, type=int, help="Height in pixels [default: --size, square]; "
                                                       "e.g. --size 1280 --height 720.")
@click.option("--fps", default=None, type=FPS, help="Video frame rate [default: the track's].")
@click.option("--audio", default=None, type=click.Path(dir_okay=False, path_type=str),
              help="Audio file muxed into the MP4 as AAC.")
@click.option("--no-mark", is_flag=True, help="Leave out the visible 'AI-generated · FaceMimic' mark "
                                               "(the file's metadata still says it is synthetic).")
@click.option("--at", "at", default=None, type=float, help="For .svg/.png: the time in seconds [default: 0].")
@click.option("--face", "face_id", default=None, type=int, help="Which face of a multi-face track.")
@click.option("--transparent", is_flag=True, help="For .png/.svg: no background (RGBA PNG).")
def render(track: str, output: str, avatar: str | None, size: int, height: int | None, fps: float | None,
           audio: str | None, no_mark: bool, at: float | None, face_id: int | None, transparent: bool) -> None:
    """Draw the avatar performing TRACK (a .jsonl/.csv/.npz expression track)."""
    from pathlib import Path

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..animate.avatar.render import render_track_to_file
    from ..expressions.io import read_track

    from ..common.outputs import OutputSet

    outputs = OutputSet([output], inputs=(track, audio, avatar))  # never one of the inputs
    tr = read_track(track)
    if Path(output).suffix.lower() != ".mp4":
        if audio:
            raise click.UsageError("--audio only applies to .mp4 output")
        with outputs:
            path = render_track_to_file(tr, output, style=avatar, size=size, height=height, fps=fps, at=at,
                                        face_id=face_id, transparent=transparent)
        click.echo(f"Wrote {path}")
        return
    if transparent:
        raise click.UsageError("--transparent only applies to .png/.svg output (H.264 has no alpha)")
    console = Console(stderr=True, soft_wrap=True)
    with Progress(TextColumn("[bold]avatar[/]"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True,
                  disable=not console.is_terminal) as bar:  # off a terminal a bar only leaves a blank line
        task = bar.add_task("render", total=None)
        with outputs:
            path = render_track_to_file(
                tr, output, style=avatar, size=size, height=height, fps=fps, audio=audio, mark=not no_mark,
                face_id=face_id, progress=lambda done, total: bar.update(task, completed=done, total=total))
    click.echo(f"Wrote {path}")


@command.command("new")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="The avatar file to write (.json).")
@click.option("--from", "base", default="default", show_default=True, metavar="FILE|PRESET",
              help="Start from this avatar file or preset.")
@click.option("--freckles/--no-freckles", default=None, help="Freckles on the cheeks and nose.")
@click.option("--preview", default=None, type=click.Path(dir_okay=False, path_type=str),
              help="Also save a smiling preview image (.png, .jpg, .gif, .webp or .svg).")
def new(output: str, base: str, freckles: bool | None, preview: str | None, **values) -> None:
    """Make an avatar file: start from a preset and change what you like."""
    from pathlib import Path

    from ..animate.avatar.style import load_style, save_style, style_from_dict
    from ..common.outputs import OutputSet

    if Path(output).suffix.lower() != ".json":  # an avatar file is JSON: its name says so
        raise click.UsageError(f"{output}: an avatar file is JSON; name it with .json (e.g. me.json)")
    if preview and Path(preview).suffix.lower() != ".svg":
        from ..common.images import check_image_path

        check_image_path(preview)  # .png/.jpg/.gif/.webp: the format its name says, before any work
    # Avatar file and preview: checked first, written together or not at all.
    outputs = OutputSet((output, preview), inputs=(base,))
    style = load_style(base)
    data = style.to_json()
    for _, field, _, _ in _STYLE_OPTIONS:
        v = values.get(field)
        if v is not None:
            data[field] = [c.strip() for c in v.split(",")] if field == "background" else v
    if freckles is not None:
        data["freckles"] = freckles
    if values.get("name") is None:
        data["name"] = Path(output).stem  # "me.json" -> an avatar called "me"
    style = style_from_dict(data, source="command line")
    with outputs:
        path = save_style(style, output)
        if preview:
            from ..animate.avatar.render import AvatarRenderer, write_svg
            from ..common.images import write_image
            from ..expressions.frame import ExpressionFrame

            smile = ExpressionFrame.from_shapes({"MouthCornerPullLeft": 0.7, "MouthCornerPullRight": 0.7,
                                                 "CheekSquintLeft": 0.3, "CheekSquintRight": 0.3})
            r = AvatarRenderer(style, size=512)
            if preview.lower().endswith(".svg"):
                write_svg(r.svg(smile), preview)
            else:
                write_image(r.render(smile), preview)
    click.echo(f"Wrote {path}")
    if preview:
        click.echo(f"Wrote {preview}")


for _opt, _field, _type, _help in _STYLE_OPTIONS:
    new = click.option(_opt, _field, default=None, type=_type, help=_help)(new)


@command.command("presets")
def presets() -> None:
    """List the built-in avatar presets."""
    from ..animate.avatar.style import load_style, preset_names

    for name in preset_names():
        s = load_style(name)
        extras = [x for x in (s.glasses != "none" and f"{s.glasses} glasses",
                              s.headwear != "none" and s.headwear.replace("_", " ")) if x]
        click.echo(f"{name:10s} {s.hair_style} {s.hair_color} hair, {s.eye_shape} eyes"
                   + (", " + ", ".join(extras) if extras else ""))
