"""``facemimic analyze``: emotions, valence/arousal and AUs over time from faces or tracks."""

from __future__ import annotations

import click


@click.command("analyze")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--csv", "csv_out", type=click.Path(path_type=str), default=None,
              help="Per-frame CSV (probabilities, valence/arousal, AUs). A folder when several INPUTS.")
@click.option("--plot", "plot_out", type=click.Path(path_type=str), default=None,
              help="Timeline plot (.png, .jpg, .gif, .webp, .svg or .pdf). A folder when several INPUTS.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--face", "face_id", type=int, default=None, help="Which face of a multi-face input.")
@click.option("--duration", type=click.FloatRange(0, None, min_open=True), default=None,
              help="Seconds to capture from a camera or video.")
@click.option("--max-faces", type=click.IntRange(1, 20), default=1, show_default=True,
              help="Faces to track in images/videos.")
def command(inputs, csv_out, plot_out, as_json, face_id, duration, max_faces) -> None:
    """Analyse INPUTS: images, videos, a camera index, or saved/generated tracks (.jsonl/.csv/.npz).

    \b
      facemimic analyze talk.mp4 --csv talk.csv --plot talk.png
      facemimic analyze smile.jpg frown.jpg --plot plots/
      facemimic analyze reaction.jsonl --json
      facemimic analyze 0 --duration 10          # webcam 0 for 10 s
    """
    import json
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from ..analysis.api import analyze
    from ..common.outputs import OutputSet
    from ..errors import FaceMimicError, NoFaceError, OutputError

    err = Console(stderr=True, soft_wrap=True)
    out = Console(soft_wrap=True)
    many = len(inputs) > 1
    for target in (csv_out, plot_out):
        if many and target is not None and not Path(target).is_dir():
            raise OutputError(target, "with several inputs, --csv/--plot must be an existing folder")
    if plot_out and not many:
        from ..common.images import check_image_path

        check_image_path(plot_out, vector=True)  # .png/.jpg/.gif/.webp/.svg/.pdf, before any work

    def outputs_for(src) -> tuple[Path | None, Path | None]:
        stem = Path(str(src)).name
        csv_path = plot_path = None
        if csv_out:
            csv_path = Path(csv_out) / f"{stem}.emotions.csv" if many else Path(csv_out)
        if plot_out:
            plot_path = Path(plot_out) / f"{stem}.emotions.png" if many else Path(plot_out)
        return csv_path, plot_path

    opts = {"max_faces": max_faces}
    if duration is not None:
        opts["duration"] = duration
    docs, failed = [], 0
    for src in inputs:
        source = int(src) if src.isdigit() and not Path(src).exists() else src
        csv_path, plot_path = outputs_for(src)
        try:
            # CSV and plot of one input: checked before the analysis, written together or not at all.
            outputs = OutputSet((csv_path, plot_path), inputs=inputs)
            with err.status(f"analysing {src} ..."):
                res = analyze(source, face_id=face_id, capture_options=opts)
            if not res.present.any():
                raise NoFaceError(src, f"no face found in any of its {len(res)} frames")
        except FaceMimicError as e:
            if not many:
                raise
            # most errors already start with the file's name: say it once
            err.print(f"[yellow]Skipping[/] {e}" if str(e).startswith(f"{src}:") else f"[yellow]Skipping {src}:[/] {e}",
                      soft_wrap=True)  # one line, however narrow the console
            failed += 1
            continue
        with outputs:
            if csv_path:
                res.to_csv(csv_path)
            if plot_path:
                res.plot(plot_path)
        for path in (csv_path, plot_path):
            if path:
                err.print(f"[green]wrote[/] {path}")
        segs = res.summary()
        mean = res.mean_basic()
        doc = {"input": str(src), "frames": len(res), "with_face": int(res.present.sum()),
               "mean": {k: round(v, 4) for k, v in mean.items()},
               "valence": round(float(res.valence[res.present].mean()), 4) if res.present.any() else None,
               "arousal": round(float(res.arousal[res.present].mean()), 4) if res.present.any() else None,
               "segments": [{"start": round(s.start, 3), "end": round(s.end, 3), "state": s.state,
                             "probability": round(s.probability, 4), "detail": s.detail} for s in segs]}
        docs.append(doc)
        if as_json:
            continue
        out.print(f"[bold]{src}[/]: {doc['with_face']}/{doc['frames']} frames with a face; "
                  f"valence {doc['valence'] if doc['valence'] is not None else '-'}, "
                  f"arousal {doc['arousal'] if doc['arousal'] is not None else '-'}")
        table = Table("from", "to", "emotion", "p", "closest state")
        for s in segs:
            table.add_row(f"{s.start:.2f}s", f"{s.end:.2f}s", s.state, f"{s.probability:.2f}", s.detail)
        out.print(table)
        top = sorted(mean.items(), key=lambda kv: -kv[1])[:3]
        out.print("overall: " + ", ".join(f"{k} {v:.0%}" for k, v in top))
    if as_json:
        click.echo(json.dumps(docs if many else (docs[0] if docs else {}), indent=1))
    if failed and failed == len(inputs):
        raise click.ClickException("no input could be analysed")
