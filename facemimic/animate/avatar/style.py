"""The avatar file: how the built-in cartoon avatar looks (colours, hair, eyes, accessories).

An avatar file is a small JSON object; every field is optional and falls back to the default::

    {"format": "facemimic.avatar", "schema": 1,
     "name": "Mika", "skin": "#f1c7a3", "hair_style": "bob", "hair_color": "#3b2a22",
     "eye_shape": "anime", "iris_color": "#3f7fbf", "glasses": "round", "blush": 0.6,
     "background": ["#dff1ff", "#a9d3f5"]}

Colours are ``"#rrggbb"`` (or ``"#rgb"``); ``background`` is one colour or a two-colour vertical
gradient ``[top, bottom]``. :func:`load_style` checks everything in one place and raises an
:class:`~facemimic.errors.InputError` that names the file and the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from ...errors import InputError, ParameterError, UnknownNameError, suggest

FORMAT_TAG = "facemimic.avatar"
SCHEMA_VERSION = 1

HAIR_STYLES = ("short", "long", "bob", "spiky", "bun", "bald")
EYE_SHAPES = ("round", "almond", "anime")
GLASSES = ("none", "round", "square")
HEADWEAR = ("none", "hat", "cat_ears", "beanie")
PRESET_DIR = Path(__file__).with_name("presets")

_HEX = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class AvatarStyle:
    """Everything that makes one avatar look like itself. Frozen; build variants with :meth:`replace`."""

    name: str = "FaceMimic"  # shown nowhere in the drawing; for lists and file names
    skin: str = "#f4c9a4"  # face, ears, neck
    hair_style: str = "short"  # one of HAIR_STYLES
    hair_color: str = "#4a3123"
    eye_shape: str = "round"  # one of EYE_SHAPES
    iris_color: str = "#4f7a3a"
    eye_size: float = 1.0  # 0.6..1.5, scales the eyes
    brow_thickness: float = 1.0  # 0.3..2.5, 1 = medium
    brow_color: str | None = None  # None: a darker shade of hair_color (skin-ish for bald)
    lip_color: str = "#c9605a"  # lip line and lips
    mouth_color: str = "#5a1f24"  # inside of the mouth
    tongue_color: str = "#e07a7f"
    shirt_color: str = "#4c6fb5"  # shoulders and collar
    glasses: str = "none"  # one of GLASSES
    glasses_color: str = "#2b2b2b"
    headwear: str = "none"  # one of HEADWEAR
    headwear_color: str = "#d2554a"
    blush: float = 0.35  # 0..1, opacity of the soft cheek blush
    freckles: bool = False
    outline_color: str = "#3a2a22"  # face outline and line work
    line_width: float = 1.0  # 0.3..3, scales every outline
    background: tuple[str, ...] = ("#e9f3ff", "#b9d7f2")  # one colour or [top, bottom] gradient

    def __post_init__(self) -> None:
        errors = _problems(self)
        if errors:
            field_name, problem = errors[0]
            raise ParameterError(f"avatar field {field_name!r}: {problem}")

    def replace(self, **changes) -> "AvatarStyle":
        """A copy with some fields changed (validated)."""
        if isinstance(changes.get("background"), (str, list)):
            changes["background"] = _as_background(changes["background"])
        return replace(self, **changes)

    def to_json(self) -> dict:
        """The JSON object :func:`save_style` writes (with the format header)."""
        d = {"format": FORMAT_TAG, "schema": SCHEMA_VERSION}
        d.update(asdict(self))
        d["background"] = list(self.background) if len(self.background) > 1 else self.background[0]
        return d


FIELD_NAMES = tuple(f.name for f in fields(AvatarStyle))


def _as_background(v) -> tuple[str, ...]:
    if isinstance(v, str):
        return (v,)
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return v  # let validation report the type


def _problems(s: AvatarStyle) -> list[tuple[str, str]]:
    """Every problem in a style as ``(field, message)``; the one place styles are checked."""
    out: list[tuple[str, str]] = []

    def colour(name: str, v, optional: bool = False) -> None:
        if optional and v is None:
            return
        if not isinstance(v, str) or not _HEX.match(v):
            out.append((name, f"{v!r} is not a colour like '#a1b2c3'"))

    def choice(name: str, v, valid: tuple[str, ...]) -> None:
        if v not in valid:
            hint = suggest(str(v), valid) if isinstance(v, str) else ""
            out.append((name, f"unknown value {v!r}{hint}; valid: {', '.join(valid)}"))

    def number(name: str, v, lo: float, hi: float) -> None:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= v <= hi):
            out.append((name, f"{v!r} is not a number in [{lo:g}, {hi:g}]"))

    if not isinstance(s.name, str):
        out.append(("name", f"{s.name!r} is not a string"))
    for name in ("skin", "hair_color", "iris_color", "lip_color", "mouth_color", "tongue_color",
                 "shirt_color", "glasses_color", "headwear_color", "outline_color"):
        colour(name, getattr(s, name))
    colour("brow_color", s.brow_color, optional=True)
    choice("hair_style", s.hair_style, HAIR_STYLES)
    choice("eye_shape", s.eye_shape, EYE_SHAPES)
    choice("glasses", s.glasses, GLASSES)
    choice("headwear", s.headwear, HEADWEAR)
    number("eye_size", s.eye_size, 0.6, 1.5)
    number("brow_thickness", s.brow_thickness, 0.3, 2.5)
    number("blush", s.blush, 0.0, 1.0)
    number("line_width", s.line_width, 0.3, 3.0)
    if not isinstance(s.freckles, bool):
        out.append(("freckles", f"{s.freckles!r} is not true or false"))
    bg = s.background
    if not isinstance(bg, tuple) or not 1 <= len(bg) <= 2:
        out.append(("background", f"{bg!r} is not a colour or a [top, bottom] pair of colours"))
    else:
        for c in bg:
            colour("background", c)
    return out


def style_from_dict(data: dict, *, source: str | Path = "<avatar>") -> AvatarStyle:
    """Build a validated :class:`AvatarStyle` from a JSON object.

    Raises
    ------
    InputError
        ``"<source>: field 'x': problem"`` for an unknown field or a bad value.
    """
    if not isinstance(data, dict):
        raise InputError(source, "an avatar file must hold a JSON object {...}")
    data = dict(data)
    fmt = data.pop("format", FORMAT_TAG)
    if fmt != FORMAT_TAG:
        raise InputError(source, f"field 'format': {fmt!r} is not {FORMAT_TAG!r}")
    schema = data.pop("schema", SCHEMA_VERSION)
    if not isinstance(schema, int) or schema > SCHEMA_VERSION:
        raise InputError(source, f"field 'schema': {schema!r} is newer than this FaceMimic reads "
                                 f"({SCHEMA_VERSION}); upgrade FaceMimic")
    for key in data:
        if key not in FIELD_NAMES:
            raise InputError(source, f"unknown field {key!r}{suggest(key, FIELD_NAMES)}")
    if "background" in data:
        data["background"] = _as_background(data["background"])
    try:
        return AvatarStyle(**data)
    except ParameterError as e:
        raise InputError(source, str(e).removeprefix("avatar ")) from None


def preset_names() -> tuple[str, ...]:
    """Names of the built-in avatar files (``default``, ``neko`` …)."""
    return tuple(sorted(p.stem for p in PRESET_DIR.glob("*.json")))


def load_style(source: str | Path | None = None) -> AvatarStyle:
    """Load an avatar file, or a built-in preset by name; ``None`` gives the default avatar.

    Parameters
    ----------
    source : str or Path or None
        A path to a ``.json`` avatar file, or a preset name from :func:`preset_names`.

    Raises
    ------
    InputError
        The file is missing, not JSON, or a field is unknown or has a bad value (the message names
        the file and the field).
    """
    if source is None:
        return load_style("default")
    path = Path(source)
    if not path.suffix and not path.exists():
        if str(source) in preset_names():
            path = PRESET_DIR / f"{source}.json"
        else:
            raise UnknownNameError(f"unknown avatar preset {str(source)!r}"
                                   f"{suggest(str(source), preset_names())}; "
                                   f"presets: {', '.join(preset_names())} (or give a .json file)")
    if path.is_dir():
        raise InputError(path, "is a folder, not an avatar file (.json)")
    if not path.is_file():
        raise InputError(path, "avatar file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(path, "avatar file is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise InputError(path, f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    return style_from_dict(data, source=path)


def save_style(style: AvatarStyle, path: str | Path) -> Path:
    """Write an avatar file atomically; returns the path."""
    from ...common.files import AtomicFile

    with AtomicFile(path) as out:
        out.file.write(json.dumps(style.to_json(), indent=2) + "\n")
    return out.path
