"""``facemimic express``: a feeling in words -> Unified Expressions poses or a timed clip."""

from __future__ import annotations

import click

from ._options import FPS

_TRACK_FORMATS = ("jsonl", "csv", "npz")  # the track files of facemimic.expressions.io


@click.command("express")
@click.argument("prompt", required=False)
@click.option("--intensity", type=float, default=None, help="0..1 [default: 0.75, scaled by words like 'very'].")
@click.option("--asymmetry", type=float, default=0.0, show_default=True,
              help="-1..1: >0 moves weight to the subject's right shapes, <0 to the left.")
@click.option("--style", type=click.Choice(["natural", "subtle", "exaggerated", "anime"]), default=None,
              help="Display style [default: named in the prompt, else natural].")
@click.option("-n", "--variations", type=int, default=1, show_default=True, help="How many distinct expressions.")
@click.option("--seed", type=int, default=None, help="Same seed, same output [default: random, printed].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write a track file (.jsonl, .csv or .npz); poses are one frame per variation, 1 s apart.")
@click.option("--format", "fmt", type=click.Choice(_TRACK_FORMATS), default=None,
              help="Track format [default: from the extension]; without -o, print it to stdout (jsonl, csv).")
@click.option("--model", default=None, metavar="MODEL.npz", help="A generator from `facemimic train`.")
@click.option("--fallback", is_flag=True, help="If --model cannot be loaded, warn and use the default model.")
@click.option("--duration", type=float, default=None,
              help="Make a timed clip of this many seconds (onset, apex, offset, blinks, gaze, head).")
@click.option("--fps", type=FPS, default=30.0, show_default=True, help="Clip frame rate.")
@click.option("--mode", type=click.Choice(["spontaneous", "posed"]), default="spontaneous", show_default=True,
              help="Clip dynamics: spontaneous (slower, smoother) or posed (faster, larger).")
@click.option("--talking", is_flag=True, help="Clip blinks at the conversational rate (26/min).")
@click.option("--as-tracked", is_flag=True,
              help="Output these faces as MediaPipe would score them (its blendshape scale: the track says "
                   "units 'mediapipe'), not in the unit avatars use (for comparing with `track --units mediapipe` "
                   "captures / testing pipelines that read MediaPipe's scores).")
@click.option("--list", "list_states", is_flag=True, help="List every known state with its FACS AUs and exit.")
def command(prompt, intensity, asymmetry, style, variations, seed, output, fmt, model, fallback, duration, fps,
            mode, talking, as_tracked, list_states) -> None:
    """Generate expressions for PROMPT: a feeling in words or a timeline.

    Every output is a FaceMimic track file (the format `track` writes, and `export`, `analyze`,
    `animate --track`, `avatar render` and `stream` read). Poses: variation k is the frame at k
    seconds. Clips (--duration, a timeline "a 1s > b 2s", or a prompt ending in a duration): FPS
    frames per second. JSONL and NPZ keep the prompt, meaning and seed in the header metadata.

    \b
      facemimic express happy
      facemimic express "a bit disgusted but amused" -n 8 --seed 3 -o amused.csv
      facemimic express "trying not to laugh" --style anime -o pose.jsonl
      facemimic express "nervous smile" --duration 3 -o nervous.jsonl
      facemimic express "neutral 0.5s > surprised 1s > happy 2s" -o reaction.jsonl
      facemimic express --list
    """
    from rich.console import Console

    import warnings

    console = Console(stderr=True, soft_wrap=True)
    warnings.showwarning = lambda message, *a, **k: console.print(f"[yellow]Warning:[/] {message}")
    if list_states:
        _print_states()
        return
    if not prompt:
        raise click.UsageError("give a PROMPT (e.g. 'happy', 'a bit nervous') or use --list")
    from ..expressions.io import format_for_path, write_track
    from ..generate.clips import is_timed

    if output is not None:
        fmt = format_for_path(output, fmt)  # one line naming the file for an unknown extension
        from ..common.outputs import check_output

        check_output(output, inputs=(model,))  # writable, and never the --model file it reads
    elif fmt == "npz":
        raise click.UsageError("npz is binary: give -o FILE.npz")
    if duration is not None or is_timed(prompt):
        if as_tracked:
            raise click.UsageError("--as-tracked works on poses, not clips")
        from ..generate.clips import ClipOptions, clip

        tr = clip(prompt, duration=duration, options=ClipOptions(fps=fps, mode=mode, talking=talking),
                  intensity=intensity, asymmetry=asymmetry, style=style, seed=seed, model=model, fallback=fallback)
        done = f"{len(tr)} frames, {tr.duration:.2f} s, seed {tr.metadata['seed']}"
        if output is None and fmt is None:
            for seg in tr.metadata["timeline"]:
                click.echo(f"{seg['start']:6.2f}s  {seg['seconds']:.2f}s  {seg['meaning']}")
            click.echo(f"{len(tr)} frames at {tr.fps:g} fps, {len(tr.metadata['blinks'])} blinks, "
                       f"seed {tr.metadata['seed']} (use -o FILE.jsonl to save)")
            return
    else:
        from ..generate.api import GenerateOptions, generate
        from ..generate.poses import poses_track

        g = generate(prompt, options=GenerateOptions(intensity=intensity, asymmetry=asymmetry, style=style,
                                                     variations=variations, seed=seed), model=model, fallback=fallback)
        if as_tracked:
            from dataclasses import replace

            g = replace(g, x=g.as_tracked())
        if output is None and fmt is None:
            _print_generation(g)
            return
        tr = poses_track(g, as_tracked=as_tracked)
        done = f"{len(g.x)} variation(s) of '{g.prompt.describe()}' (one frame per second), seed {g.seed}"
    if output is None:
        _track_to_stdout(tr, fmt)
        return
    write_track(tr, output, fmt=fmt)
    console.print(f"[green]wrote[/] {output}: {done}")


def _track_to_stdout(tr, fmt: str) -> None:
    import os
    import sys
    import tempfile

    from ..expressions.io import write_track

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, f"clip.{fmt}")
        write_track(tr, path, fmt=fmt)
        with open(path, encoding="utf-8") as fh:
            sys.stdout.write(fh.read())


def _print_generation(g) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=True)
    console.print(f"[bold]{g.prompt.describe()}[/]  intensity {g.intensity:.2f}, style {g.style}, seed {g.seed}, "
                  f"model {g.model}")
    table = Table("#", "strongest shapes", "eyes open L/R", "head yaw/pitch/roll")
    shown = 20  # a table of thousands helps nobody: the files have them all
    from dataclasses import replace

    head = replace(g, x=g.x[:shown], gaze=g.gaze[:shown], head=g.head[:shown])
    for k, f in enumerate(head.frames()):
        shapes = ", ".join(f"{n} {w:.2f}" for n, w in f.top(6) if w > 0.01) or "(neutral)"
        table.add_row(str(k + 1), shapes, f"{f.openness_left:.2f}/{f.openness_right:.2f}",
                      "/".join(f"{v:+.0f}" for v in f.head_rotation))
    console.print(table)
    if len(g.x) > shown:
        console.print(f"… and {len(g.x) - shown} more (use -o FILE.jsonl/.csv/.npz to get them all)")


def _print_states() -> None:
    from ..emotions.states import describe

    # Plain columns (greppable, never wrapped): name, kind, valence/arousal, core AUs | optional AUs, aliases.
    for s in describe():
        aus = s["core"] + (f" | {s['optional']}" if s["optional"] else "")
        click.echo(f"{s['name']:22s} {s['kind']:8s} v{s['valence']:+.1f} a{s['arousal']:+.1f}  {aus:40s}  "
                   f"{', '.join(s['aliases'][:8])}")
