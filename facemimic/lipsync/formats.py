"""Lip-sync output files behind one registry: Rhubarb's four formats (byte-for-byte as Rhubarb
1.14 writes them, so its Godot/Unity/After Effects/OpenToonz integrations read them), timed
phones, viseme curves (JSONL/CSV) and the FaceMimic expression track.

Every writer renders text and writes it atomically (temporary file + rename), or returns the
text for stdout.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ParameterError, UnknownNameError, suggest
from .shapes import MouthCue

PRESTON_BLAIR = {"A": "MBP", "B": "etc", "C": "E", "D": "AI", "E": "O", "F": "U", "G": "FV",
                 "H": "L", "X": "rest"}


def _cs(t: float) -> int:
    return int(round(t * 100))


def _sec(cs: int) -> str:
    return f"{cs // 100}.{cs % 100:02d}"


def _rest_shape(extended: str) -> str:
    return "X" if "X" in extended else "A"


def _duration_cs(duration: float) -> int:
    return int(math.floor(duration * 100 + 1e-6))  # Rhubarb truncates to centiseconds


def rhubarb_tsv(cues: list[MouthCue], duration: float, *, extended: str = "GHX", **_) -> str:
    """``start<TAB>shape`` per cue, then the file end with the rest shape."""
    lines = [f"{_sec(_cs(c.start))}\t{c.shape}" for c in cues]
    lines.append(f"{_sec(_duration_cs(duration))}\t{_rest_shape(extended)}")
    return "\n".join(lines) + "\n"


def _json_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def rhubarb_json(cues: list[MouthCue], duration: float, *, sound_file: str = "", **_) -> str:
    out = ["{", '  "metadata": {', f'    "soundFile": {_json_str(sound_file)},',
           f'    "duration": {_sec(_duration_cs(duration))}', "  },", '  "mouthCues": [']
    rows = [f'    {{ "start": {_sec(_cs(c.start))}, "end": {_sec(_cs(c.end))}, "value": "{c.shape}" }}'
            for c in cues]
    out.append(",\n".join(rows))
    out += ["  ]", "}"]
    return "\n".join(out) + "\n"


def rhubarb_xml(cues: list[MouthCue], duration: float, *, sound_file: str = "", **_) -> str:
    from xml.sax.saxutils import escape  # here: it pulls in urllib and http (start-up time)

    out = ['<?xml version="1.0" encoding="utf-8"?>', "<rhubarbResult>", "  <metadata>",
           f"    <soundFile>{escape(sound_file)}</soundFile>",
           f"    <duration>{_sec(_duration_cs(duration))}</duration>", "  </metadata>", "  <mouthCues>"]
    out += [f'    <mouthCue start="{_sec(_cs(c.start))}" end="{_sec(_cs(c.end))}">{c.shape}</mouthCue>'
            for c in cues]
    out += ["  </mouthCues>", "</rhubarbResult>"]
    return "\n".join(out) + "\n"


def rhubarb_dat(cues: list[MouthCue], duration: float, *, extended: str = "GHX", dat_fps: int = 24,
                preston_blair: bool = False, **_) -> str:
    """Moho / OpenToonz switch data: ``MohoSwitch1`` then ``<1-based frame> <shape>`` lines."""
    if not 24 <= int(dat_fps) <= 100:
        raise ParameterError(f"dat frame rate must be 24..100, got {dat_fps!r}")

    def frame(cs: int) -> int:
        return 1 + (cs * int(dat_fps)) // 100

    def name(s: str) -> str:
        return PRESTON_BLAIR[s] if preston_blair else s

    lines = ["MohoSwitch1"]
    last = 0
    for c in cues:
        f = frame(_cs(c.start))
        if f == last:
            continue
        lines.append(f"{f} {name(c.shape)}")
        last = f
    f = frame(_duration_cs(duration))
    if f == last:
        f += 1
    lines.append(f"{f} {name(_rest_shape(extended))}")
    return "\n".join(lines) + "\n"


def phones_tsv(result, **_) -> str:
    """``start<TAB>end<TAB>phone<TAB>word`` with a header line (seconds, 3 decimals)."""
    lines = ["start\tend\tphone\tword"]
    lines += [f"{p.start:.3f}\t{p.end:.3f}\t{p.name}\t{p.word}" for p in result.phones]
    return "\n".join(lines) + "\n"


def _curve_table(result, fps: float, interpolation: str):
    from .visemes import viseme_curves, shape_grid, phone_grid
    from ..expressions.regions import region_mask
    from ..expressions.names import UE_NAMES

    cols: list[str] = []
    blocks = []
    t = None
    for kind in ("rhubarb", "oculus", "vrm", "ue"):
        t, w, names = viseme_curves(result.cues, list(result.phones), result.duration, kind=kind,
                                    interpolation=interpolation, fps=fps)
        if kind == "ue":
            keep = np.flatnonzero(region_mask("speech") > 0)
            w, names = w[:, keep], tuple(UE_NAMES[i] for i in keep)
        cols += [f"{kind}.{n}" for n in names]
        blocks.append(w)
    n = max(int(np.ceil(result.duration * 100 - 1e-6)), 1)
    idx = np.minimum((t * 100).astype(int), n - 1)
    shapes = shape_grid(result.cues, n)[idx]
    phones = phone_grid(list(result.phones), n)[idx]
    return t, shapes, phones, cols, np.concatenate(blocks, axis=1)


def _csv_lines(result, *, fps: float = 60.0, interpolation: str = "smooth", **_):
    t, shapes, phones, cols, w = _curve_table(result, fps, interpolation)
    yield ",".join(["time", "shape", "phone"] + cols) + "\n"
    for i in range(len(t)):
        yield ",".join([f"{t[i]:.4f}", shapes[i], phones[i]] + [f"{v:.4g}" for v in w[i]]) + "\n"


def _jsonl_lines(result, *, fps: float = 60.0, interpolation: str = "smooth", **_):
    t, shapes, phones, cols, w = _curve_table(result, fps, interpolation)
    sets: dict[str, list[str]] = {}
    for c in cols:
        k, n = c.split(".", 1)
        sets.setdefault(k, []).append(n)
    head = {"format": "facemimic.visemes", "schema": 1, "fps": fps, "interpolation": interpolation,
            "duration": round(result.duration, 4), "channels": sets,
            "source": result.sound_file}
    yield json.dumps(head) + "\n"
    bounds = np.cumsum([0] + [len(v) for v in sets.values()])
    for i in range(len(t)):
        row = {"t": round(float(t[i]), 4), "shape": str(shapes[i]), "phone": str(phones[i])}
        for (k, _), a, b in zip(sets.items(), bounds[:-1], bounds[1:]):
            row[k] = [round(float(v), 4) for v in w[i, a:b]]
        yield json.dumps(row) + "\n"


def curves_csv(result, **kw) -> str:
    """One row per frame: time, shape, phone, then every curve (``rhubarb.A`` … ``ue.TongueOut``)."""
    return "".join(_csv_lines(result, **kw))


def curves_jsonl(result, **kw) -> str:
    """Header line (format, fps, channel names per set), then one object per frame."""
    return "".join(_jsonl_lines(result, **kw))


# Writers that stream line by line (long files never become one big string).
_STREAMING = {"csv": _csv_lines, "jsonl": _jsonl_lines}


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    render: Callable  # (result, **options) -> str
    description: str


def _cues_format(fn):
    def render(result, **kw):
        return fn(list(result.cues), result.duration, sound_file=result.sound_file,
                  extended=result.extended_shapes, **kw)
    return render


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("rhubarb-tsv", ".tsv", _cues_format(rhubarb_tsv), "Rhubarb TSV: start<TAB>shape"),
    Format("rhubarb-json", ".json", _cues_format(rhubarb_json), "Rhubarb JSON (metadata + mouthCues)"),
    Format("rhubarb-xml", ".xml", _cues_format(rhubarb_xml), "Rhubarb XML (rhubarbResult)"),
    Format("rhubarb-dat", ".dat", _cues_format(rhubarb_dat), "Moho/OpenToonz switch data"),
    Format("phones", ".phones.tsv", phones_tsv, "timed phones: start, end, phone, word"),
    Format("jsonl", ".jsonl", curves_jsonl, "viseme curves, one JSON object per frame"),
    Format("csv", ".csv", curves_csv, "viseme curves, one CSV row per frame"),
)}


def get_format(name: str) -> Format:
    try:
        return FORMATS[name.lower()]
    except KeyError:
        raise UnknownNameError(f"unknown lip-sync format {name!r}{suggest(name, list(FORMATS))}; "
                               f"valid: {', '.join(FORMATS)}") from None


def format_for_path(path: str | Path) -> str:
    """The format implied by a file name (``.tsv`` -> rhubarb-tsv, ``.phones.tsv`` -> phones …)."""
    name = Path(path).name.lower()
    for f in sorted(FORMATS.values(), key=lambda f: -len(f.extension)):
        if name.endswith(f.extension):
            return f.name
    # No option named here: `say --cues` has none, `lipsync` adds its --format itself.
    raise UnknownNameError(f"{path}: cannot tell the lip-sync format from the file name; end it in one of "
                           f"{', '.join(f.extension for f in FORMATS.values())}")


def render(result, fmt: str, **options) -> str:
    """The text of ``result`` in format ``fmt``."""
    return get_format(fmt).render(result, **options)


def write(result, path: str | Path, fmt: str | None = None, **options) -> Path:
    """Write ``result`` to ``path`` atomically (format from ``fmt`` or the file name)."""
    from ..common.files import AtomicFile

    fmt = get_format(fmt or format_for_path(path)).name
    chunks = _STREAMING[fmt](result, **options) if fmt in _STREAMING else [render(result, fmt, **options)]
    with AtomicFile(path, "w", newline="") as out:
        for text in chunks:
            out.file.write(text)
    return out.path
