"""``facemimic label``: cut a recording into labelled spans -> a training dataset (NPZ)."""

from __future__ import annotations

import click


def parse_time(text: str) -> float:
    """``"3"``, ``"3.5s"``, ``"0:03"``, ``"1:02.5"``, ``"1:00:02"`` -> seconds."""
    import math

    from ..errors import ParameterError

    s = text.strip().lower().removesuffix("s")
    try:
        parts = [float(p) for p in s.split(":")]
    except ValueError:
        raise ParameterError(f"bad time {text!r}: use seconds (3.5) or m:ss (0:03)") from None
    if not parts or len(parts) > 3 or any(not 0 <= p < math.inf for p in parts):  # also nan, inf
        raise ParameterError(f"bad time {text!r}: use seconds (3.5) or m:ss (0:03)")
    sec = 0.0
    for p in parts:
        sec = sec * 60 + p
    return sec


def parse_span(text: str) -> tuple[float, float, str]:
    """``"0:03-0:05=happy"`` -> (3.0, 5.0, "happy") with the state validated."""
    from ..errors import ParameterError
    from ..emotions.states import get_state

    if "=" not in text or "-" not in text.split("=", 1)[0]:
        raise ParameterError(f"bad label span {text!r}: write START-END=STATE, e.g. 0:03-0:05=happy")
    times, state = text.split("=", 1)
    if times.strip().startswith("-"):  # "-1-2=happy": '-' is the separator, so say what is wrong
        raise ParameterError(f"bad label span {text!r}: times must be 0 or more")
    a, b = times.split("-", 1)
    start, end = parse_time(a), parse_time(b)
    if end <= start:
        raise ParameterError(f"bad label span {text!r}: the end must come after the start")
    return start, end, get_state(state.strip()).name


def read_labels_file(path: str) -> list[tuple[float, float, str]]:
    """Spans from a file: lines ``0:03-0:05=happy`` or ``start,end,state`` (CSV, optional header), or
    JSON ``[{"start":…, "end":…, "label":…}]``."""
    import json
    from pathlib import Path

    from ..errors import FaceMimicError, InputError

    p = Path(path)
    if not p.exists():
        raise InputError(path, "labels file not found")
    if p.is_dir():
        raise InputError(path, "is a folder, not a labels file")
    try:
        text = p.read_text(encoding="utf-8-sig")  # a BOM from Windows editors is fine
    except UnicodeDecodeError as e:
        raise InputError(path, f"not a labels file: not UTF-8 text (byte 0x{e.object[e.start]:02x} at "
                               f"offset {e.start}); expected lines START-END=STATE, CSV or JSON") from None
    except OSError as e:
        raise InputError(path, f"cannot read the labels file ({e.strerror or e})") from None
    if "\x00" in text:  # UTF-16 or other binary data that happens to decode
        raise InputError(path, "not a labels file: binary data; expected lines START-END=STATE, CSV or JSON")
    spans = []
    try:
        if text.lstrip().startswith("["):
            for item in json.loads(text):
                spans.append(parse_span(f"{item['start']}-{item['end']}={item.get('label') or item['state']}"))
        else:
            for n, line in enumerate(text.splitlines(), 1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                if "=" in line:
                    spans.append(parse_span(line))
                    continue
                cells = [c.strip() for c in line.replace("\t", ",").split(",")]
                if len(cells) != 3:
                    raise InputError(path, f"line {n}: expected START-END=STATE or start,end,state")
                if n == 1 and cells[0].lower() in ("start", "from", "begin"):
                    continue
                spans.append(parse_span(f"{cells[0]}-{cells[1]}={cells[2]}"))
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise InputError(path, f"not a labels file ({e})") from None
    except FaceMimicError as e:
        if isinstance(e, InputError):
            raise
        raise InputError(path, str(e)) from None
    if not spans:
        raise InputError(path, "labels file has no spans")
    return spans


@click.command("label")
@click.argument("source", type=str)
@click.option("--at", "spans", multiple=True, metavar="START-END=STATE",
              help="A labelled span, e.g. --at 0:03-0:05=happy (repeatable).")
@click.option("--labels", "labels_file", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="File of spans (lines START-END=STATE, CSV start,end,state, or JSON).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="Dataset file to write (.npz).")
@click.option("--face", "face_id", type=int, default=None, help="Which face of a multi-face recording.")
@click.option("--file", "dataset_file", default=None, metavar="NAME",
              help="With a `facemimic batch` dataset as SOURCE: the file to label (source id, path or name).")
@click.option("--keep-unlabelled", is_flag=True, help="Also keep frames outside the spans (label '').")
@click.option("--auto", "auto", type=float, default=None, metavar="P",
              help="Label frames outside the spans with the analyser's state where its probability >= P.")
def command(source, spans, labels_file, output, face_id, dataset_file, keep_unlabelled, auto) -> None:
    """Track SOURCE (a video, photo or saved track) and label spans of it -> a dataset for `facemimic train`.

    \b
      facemimic label me.mp4 --at 0:03-0:05=happy --at 0:08-0:10=smug -o me.npz
      facemimic label me.mp4 --labels spans.txt -o me.npz
      facemimic label faces/ --file me.mp4 --at 0:03-0:05=happy -o me.npz   # a `batch track` dataset
      facemimic label faces/ --auto 0.8 -o corpus.npz                       # every file of it
      facemimic train me.npz -o my_model.npz
    """
    from pathlib import Path

    from rich.console import Console

    from ..errors import InputError, ParameterError
    from ..generate.dataset import label_track, save_dataset

    console = Console(stderr=True, soft_wrap=True)
    all_spans = [parse_span(s) for s in spans]
    if labels_file:
        all_spans += read_labels_file(labels_file)
    if not all_spans and auto is None:
        raise click.UsageError("give at least one span (--at 0:03-0:05=happy, --labels FILE) or --auto P")
    if auto is not None and not 0 < auto <= 1:
        raise ParameterError(f"--auto must be a probability in (0, 1], got {auto}")
    if not output.lower().endswith(".npz"):
        raise ParameterError(f"{output}: datasets are .npz files")
    from ..common.outputs import OutputSet

    outputs = OutputSet([output], inputs=(source, labels_file))  # before tracking: not an input, writable
    src = Path(source)
    from ..batch.dataset import is_dataset

    if is_dataset(src):  # a `facemimic batch track|analyze` dataset: its tracks, no re-tracking
        from ..batch.dataset import read_tracks

        tracks = read_tracks(src, source=dataset_file)
        if all_spans and len(tracks) > 1:
            raise ParameterError(f"{source}: spans belong to one recording but the dataset holds {len(tracks)} "
                                 "files; choose one with --file NAME")
    elif dataset_file is not None:
        raise ParameterError("--file chooses a file of a `facemimic batch` dataset folder; SOURCE is not one")
    elif src.suffix.lower() in (".jsonl", ".csv", ".npz"):
        from ..expressions.io import read_track

        tracks = {source: read_track(src)}
    else:
        if not src.exists():
            raise InputError(source, "file not found")
        from ..capture.api import track

        with console.status(f"tracking {source} ..."):
            tracks = {source: track(source)}  # in the unit (docs/units.md), what the generator learns in
    from ..generate.dataset import LabelledFrames

    data = LabelledFrames.concat([label_one(name, tr, all_spans, face_id, auto) for name, tr in tracks.items()])
    if not keep_unlabelled:
        data = data.labelled
    if len(data.labelled) == 0:
        raise InputError(source, "no tracked face inside the labelled spans")
    with outputs:
        save_dataset(data, output, metadata={"source": src.name, "spans": [list(s) for s in all_spans]})
    counts = ", ".join(f"{k} {v}" for k, v in data.counts().items())
    console.print(f"[green]wrote[/] {output}: {len(data)} frames ({counts})")


def label_one(source: str, tr, spans, face_id, auto):
    """One recording's frames labelled by ``spans`` (and by the analyser where ``auto`` is given)."""
    from pathlib import Path

    from ..errors import ParameterError
    from ..generate.dataset import label_track

    if len(tr):  # the face asked for (one line naming the faces there are), else the first
        tr = tr.single_face(face_id)
    end = float(tr.time[-1]) if len(tr) else 0.0
    for a, b, state in spans:
        if a > end:
            raise ParameterError(f"span {a:g}-{b:g}={state} starts after the end of {source} ({end:.2f} s)")
    data = label_track(tr, spans, source=Path(source).name)
    if auto is not None and len(data):
        # Pseudo-labels from the analyser where it is confident and the user said nothing.
        import numpy as np

        from ..analysis.api import analyze
        from ..emotions.states import STATE_NAMES

        res = analyze(tr)
        p = res.states[res.present]
        best = p.argmax(1)
        sure = (p.max(1) >= auto) & (data.labels == "")
        data.labels[sure] = np.array(STATE_NAMES)[best[sure]]
    return data
