"""``facemimic export``: a track file into glTF/VRM, VRM expressions, VRMA, Godot or Unity clips."""

from __future__ import annotations

import click

from ._options import FPS
from ._renamed import RenamedChoice


def _parse_expression(value: str) -> tuple[str, float]:
    name, sep, time = value.rpartition("=")
    if not sep or not name.strip():
        raise click.BadParameter(f"{value!r} is not NAME=SECONDS (e.g. happy=2.5)", param_hint="--expression")
    try:
        return name.strip(), float(time)
    except ValueError:
        raise click.BadParameter(f"{value!r}: {time!r} is not a time in seconds", param_hint="--expression") from None


@click.command("export")
@click.argument("tracks", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(),
              help="File to write (.glb/.gltf, .vrm, .vrma, .tres, .anim); a folder for several TRACKs.")
@click.option("-f", "--format", "fmt", default=None, metavar="FORMAT",
              help="gltf | vrm | vrma | godot | unity (default: from the output extension).")
@click.option("-a", "--avatar", default=None, type=click.Path(dir_okay=False),
              help="Avatar .glb/.gltf/.vrm whose morph targets to drive (default: FaceMimic's test head).")
@click.option("--gaps", type=RenamedChoice(["hold", "interpolate", "neutral"], {"ease": "interpolate"}),
              default="hold", show_default=True,
              help="Tracking gaps: hold the last face, interpolate linearly to the next, or go neutral.")
@click.option("--fps", type=FPS, default=None, help="Resample the track to this frame rate first.")
@click.option("--face", "face_id", type=int, default=None, help="Face id of a multi-face track (default: first).")
@click.option("--name", default=None, help="Clip/animation name (default: the output file's stem).")
@click.option("--node-path", default=None,
              help="Godot/Unity: the mesh node path the curves target (default: the avatar's node paths).")
@click.option("-e", "--expression", "expressions", multiple=True, metavar="NAME=SECONDS",
              help="vrm: write the frame at SECONDS as expression NAME (repeatable).")
@click.option("--no-head", is_flag=True, help="gltf/vrma: do not turn the head with the track's head pose.")
@click.option("--no-look-at", is_flag=True, help="vrma: do not write the gaze (lookAt) rotation.")
@click.option("--perfect-sync", is_flag=True,
              help="vrm: add the 52 ARKit shapes as custom expressions; vrma without --avatar: animate them.")
@click.option("--loop", is_flag=True, help="godot/unity: mark the clip as looping.")
def command(tracks, output, fmt, avatar, gaps, fps, face_id, name, node_path, expressions, no_head,
            no_look_at, perfect_sync, loop):
    """Export TRACK (a .jsonl/.csv/.npz track file) as an avatar animation clip.

    With several TRACKs, OUTPUT is a folder (created if missing) and --format is required; each
    clip is named after its track. A track that cannot be read or exported is skipped with a
    one-line warning naming it and the others are still exported (each clip is written whole or
    not at all); the exit status is then 1 ("Error: N of M tracks failed"), 0 only when every
    track was exported.

    \b
    Formats:
      gltf   the avatar (or test head) with a morph-target weight animation (.glb/.gltf/.vrm)
      vrm    the VRM avatar with named expressions added (--expression NAME=SECONDS)
      vrma   a VRM Animation of expression weights, gaze (lookAt) and head rotation
      godot  a Godot 4 Animation resource (.tres) with blend_shape tracks
      unity  a Unity AnimationClip (.anim) with blendShape curves (weights 0-100)

    Morph target names are matched case- and style-insensitively against Unified Expressions,
    ARKit and VRM names (see docs/export.md). Without --avatar the procedural test head is used.

    \b
    Examples:
      facemimic export talk.jsonl -o talk.glb --avatar me.vrm
      facemimic export talk.jsonl -o talk.anim --avatar me.vrm --node-path Body
      facemimic export talk.jsonl -o faces.vrm -f vrm --avatar me.vrm -e happy=1.2 -e pout=3.4
    """
    from pathlib import Path

    from ..deliver.export import ExportOptions, format_for_path, get_exporter
    from ..expressions.io import read_track

    batch = len(tracks) > 1 or Path(output).is_dir()
    if batch and not fmt:
        raise click.UsageError("several tracks (or a folder as --output) need --format")
    exporter = get_exporter(fmt) if fmt else get_exporter(format_for_path(output))
    options = ExportOptions(
        avatar=avatar, gaps=gaps, fps=fps, face_id=face_id, name=name, node_path=node_path,
        head=not no_head, look_at=not no_look_at, perfect_sync=perfect_sync, loop=loop,
        expressions=tuple(_parse_expression(e) for e in expressions))
    if expressions and exporter.name != "vrm":
        raise click.UsageError("--expression applies to --format vrm only")
    from ..common.outputs import check_output

    if not batch:
        check_output(output, inputs=(*tracks, avatar))  # never overwrite the track or the avatar
        result = exporter.export(read_track(tracks[0]), Path(output), options)
        click.echo(result.summary())
        return
    from ..errors import FaceMimicError, InputError

    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    claimed: dict[Path, str] = {}  # clip file -> the track that wrote it (two "take.jsonl" would collide)
    for track in tracks:
        target = folder / (Path(track).stem + exporter.extension)
        try:
            check_output(target, inputs=(*tracks, avatar))  # e.g. -f vrm into the avatar's own folder
            if target in claimed:
                raise InputError(track, f"its clip {target.name} is already written from {claimed[target]}")
            result = exporter.export(read_track(track), target, options)
        except (FaceMimicError, OSError) as e:
            # One bad file never stops the batch; the error already names its file when it is the track.
            line = str(e) if str(e).startswith(f"{track}:") else f"{track}: {e}"
            click.echo(f"Warning: skipping {line}", err=True)
            failed.append(str(track))
            continue
        claimed[target] = str(track)
        click.echo(result.summary())
    done = len(tracks) - len(failed)
    click.echo(f"Exported {done} of {len(tracks)} tracks to {folder}")
    if done == 0:
        raise click.ClickException("no track could be exported")
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(tracks)} tracks failed: {', '.join(failed)}")
