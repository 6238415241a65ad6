"""An avatar's VRChat OSC config: reading it, finding VRChat's config folders, picking the current one.

VRChat writes one JSON per avatar (``…/VRChat/VRChat/OSC/usr_…/Avatars/avtr_….json``) listing each
parameter's OSC input address and type; only the settable ones (with an ``input``) are kept.
:class:`AvatarLibrary` serves the config of the avatar VRChat reports on ``/avatar/change``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ...common.files import read_json_file
from ...errors import InputError


@dataclass(frozen=True)
class AvatarParameter:
    """One settable parameter of an avatar, from its VRChat OSC config."""

    name: str  # parameter name, e.g. "FT/v2/JawOpen"
    address: str  # OSC input address, e.g. "/avatar/parameters/FT/v2/JawOpen"
    type: str  # "Float", "Bool" or "Int"


@dataclass(frozen=True)
class AvatarConfig:
    """The input side of a VRChat avatar OSC config (``…/OSC/usr_…/Avatars/avtr_….json``)."""

    id: str  # "avtr_…"
    name: str  # display name
    parameters: tuple[AvatarParameter, ...]  # only those with an ``input`` (settable)
    source: str = ""  # file it came from, for messages


PARAMETER_TYPES = ("Float", "Bool", "Int")  # OSC input types in the config


def parse_avatar_config(obj: object, source: str = "<avatar config>") -> AvatarConfig:
    """Validate a decoded VRChat OSC config; raises :class:`InputError` naming ``source``."""
    if not isinstance(obj, dict) or not isinstance(obj.get("parameters"), list):
        raise InputError(source, "not a VRChat avatar OSC config (no 'parameters' list)")
    params = []
    for i, p in enumerate(obj["parameters"]):
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            raise InputError(source, f"parameter #{i} has no name")
        inp = p.get("input")
        if inp is None:  # output-only (VelocityZ, GestureLeft …): cannot be set over OSC
            continue
        if (not isinstance(inp, dict) or not isinstance(inp.get("address"), str)
                or inp.get("type") not in PARAMETER_TYPES):
            raise InputError(source, f"parameter {p['name']!r} has a bad input "
                                     f"(need address and type Float|Bool|Int)")
        params.append(AvatarParameter(p["name"], inp["address"], inp["type"]))
    return AvatarConfig(str(obj.get("id", "")), str(obj.get("name", "")), tuple(params), source)


def load_avatar_config(path: str | Path) -> AvatarConfig:
    """Read a VRChat avatar OSC config JSON file (VRChat writes it with a UTF-8 BOM)."""
    path = Path(path)
    obj = read_json_file(path, "VRChat avatar config")
    return parse_avatar_config(obj, str(path))


def vrchat_osc_folders() -> list[Path]:
    """VRChat's per-user avatar config folders (``…/VRChat/VRChat/OSC/usr_*/Avatars``), newest first.

    Looks where VRChat writes them on Windows and under Steam Proton on Linux (as VRCFT does).
    """
    import os

    home = Path.home()
    roots = [Path(os.environ.get("USERPROFILE", home)) / "AppData/LocalLow/VRChat/VRChat/OSC"]
    for steam in (home / ".steam/steam", home / ".local/share/Steam"):
        roots.append(steam / "steamapps/compatdata/438100/pfx/drive_c/users/steamuser/AppData/LocalLow/VRChat/VRChat/OSC")
    found = [d for r in roots if r.is_dir() for d in r.glob("usr_*/Avatars") if d.is_dir()]
    return sorted(set(found), key=lambda d: d.stat().st_mtime, reverse=True)


class AvatarLibrary:
    """A folder of avatar OSC configs named ``<avatar id>.json`` (VRChat's ``OSC/usr_…/Avatars``)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise InputError(self.folder, "not a folder of VRChat avatar OSC configs")
        self.problem = ""  # last config that could not be used, for the status line

    def get(self, avatar_id: str) -> AvatarConfig | None:
        """The config of ``avatar_id``, or None (with :attr:`problem` set) if missing or broken."""
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", avatar_id or ""):
            self.problem = f"ignored odd avatar id {avatar_id!r}"
            return None
        try:
            return load_avatar_config(self.folder / f"{avatar_id}.json")
        except InputError as e:
            self.problem = str(e)
            return None

    def latest(self) -> AvatarConfig | None:
        """The most recently written config (VRChat writes it when the avatar loads), or None."""
        for path in sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True):
            try:
                return load_avatar_config(path)
            except InputError as e:
                self.problem = str(e)
        return None
