"""The expression designer (issue #14 §1): a prompt -> N variations, slider edits, a named library.

Everything goes through :func:`facemimic.generate.api.generate` and
:func:`facemimic.generate.poses.poses_track` (what ``facemimic express`` runs): a saved expression
is the generator re-run with the same prompt and seed, the person's slider edits applied on top,
written as an ordinary track file (``expressions/NAME.jsonl`` in the workspace). With no edits its
frames and the generator's header are what ``facemimic express PROMPT --seed S -o NAME.jsonl``
writes (plus a ``designer`` header entry: what was asked); every exporter and ``/api/export`` read it.

A design is a :class:`Design` (the generator's inputs) plus edits: ``{variation: {key: value}}``
where a key is a UE shape name or one of :data:`POSE_KEYS` (eye openness, gaze, head pose).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ...errors import InputError, ParameterError
from ..morph_targets import MAX_TARGETS  # noqa: F401  (re-exported: the designer's limit is the panels' one)

LIBRARY_DIR = "expressions"  # inside the workspace
STYLES = ("natural", "subtle", "exaggerated", "anime")
MAX_VARIATIONS = 16  # the page shows them side by side
# Pose controls beside the 88 UE shapes: (key, range). Gaze moves both eyes (VRCFT units, 1 = 45°).
POSE_KEYS = {"EyeOpennessLeft": (0.0, 1.0), "EyeOpennessRight": (0.0, 1.0),
             "GazeX": (-1.0, 1.0), "GazeY": (-1.0, 1.0),
             "HeadYaw": (-45.0, 45.0), "HeadPitch": (-45.0, 45.0), "HeadRoll": (-45.0, 45.0)}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


@dataclass(frozen=True)
class Design:
    """What the designer asks the generator for (the ``facemimic express`` options).

    Parameters
    ----------
    prompt : str
        Free text, degree words, compounds ("a bit disgusted but amused").
    intensity : float or None
        0..1; None = 0.75 scaled by the prompt's degree words.
    asymmetry : float
        -1..1 (> 0: the subject's right side).
    style : str or None
        One of :data:`STYLES`; None = the prompt's or natural.
    variations : int
        1..:data:`MAX_VARIATIONS`.
    seed : int or None
        None: a fresh seed (reported back in the result).
    edits : dict
        ``{variation index: {UE name or POSE_KEYS key: value}}``, applied after generation.
    model : str or None
        A workspace-relative generator from ``facemimic train`` (``models/me.npz``); None: the
        shipped one (``express --model``).
    """

    prompt: str
    intensity: float | None = None
    asymmetry: float = 0.0
    style: str | None = None
    variations: int = 1
    seed: int | None = None
    edits: dict = field(default_factory=dict)
    model: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise ParameterError("give a prompt (e.g. 'happy', 'a bit nervous')")
        if self.style is not None and self.style not in STYLES:
            raise ParameterError(f"unknown style {self.style!r}; valid: {', '.join(STYLES)}")
        if isinstance(self.variations, bool) or not isinstance(self.variations, int) \
                or not 1 <= self.variations <= MAX_VARIATIONS:
            raise ParameterError(f"variations must be 1 to {MAX_VARIATIONS}, got {self.variations!r}")
        object.__setattr__(self, "edits", check_edits(self.edits, self.variations))

    @classmethod
    def from_json(cls, data: dict) -> "Design":
        """A design from the page's JSON (unknown fields are an error, not ignored)."""
        if not isinstance(data, dict):
            raise ParameterError("a design must be a JSON object")
        known = {"prompt", "intensity", "asymmetry", "style", "variations", "seed", "edits", "model"}
        extra = sorted(set(data) - known)
        if extra:
            raise ParameterError(f"unknown design field(s): {', '.join(extra)}")
        try:
            return cls(prompt=data.get("prompt", ""),
                       intensity=None if data.get("intensity") is None else float(data["intensity"]),
                       asymmetry=float(data.get("asymmetry") or 0.0), style=data.get("style") or None,
                       variations=int(data.get("variations", 1)),
                       seed=None if data.get("seed") in (None, "") else int(data["seed"]),
                       edits=data.get("edits") or {}, model=data.get("model") or None)
        except (TypeError, ValueError) as e:
            raise ParameterError(f"bad design value: {e}") from None


def check_edits(edits, variations: int) -> dict:
    """Validate slider edits -> ``{int index: {key: float}}`` (keys: UE names or :data:`POSE_KEYS`)."""
    from ...expressions.names import UE_NAMES

    if not isinstance(edits, dict):
        raise ParameterError("edits must be an object {variation: {shape: value}}")
    out: dict[int, dict[str, float]] = {}
    for k, values in edits.items():
        try:
            index = int(k)
        except (TypeError, ValueError):
            raise ParameterError(f"edits: {k!r} is not a variation number") from None
        if not 0 <= index < variations:
            raise ParameterError(f"edits: variation {index} does not exist (0 to {variations - 1})")
        if not isinstance(values, dict):
            raise ParameterError(f"edits[{index}] must be an object {{shape: value}}")
        checked = {}
        for key, value in values.items():
            lo, hi = POSE_KEYS.get(key, (0.0, 1.0))
            if key not in POSE_KEYS and key not in UE_NAMES:
                from ...errors import UnknownNameError, suggest

                raise UnknownNameError(f"edits: unknown shape {key!r}{suggest(key, UE_NAMES)}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ParameterError(f"edits: {key} must be a number in [{lo:g}, {hi:g}], got {value!r}")
            checked[key] = float(value)
        if checked:
            out[index] = checked
    return out


def generate_design(design: Design, workspace: Path | None = None):
    """Run the generator for ``design`` and apply its edits (``design.model`` is looked up in
    ``workspace``).

    Returns
    -------
    Generation
        ``x`` (N, 90), ``gaze`` (N, 2, 2), ``head`` (N, 3); with ``seed`` the one used.
    """
    from ...generate.api import GenerateOptions, generate

    model = None
    if design.model:
        from ..security import confine

        if workspace is None:
            raise ParameterError("a trained model needs the workspace it lives in")
        path = confine(workspace, design.model)
        if not path.is_file():
            raise InputError(design.model, "not found in the workspace (train a model first)")
        model = str(path)
    try:
        g = generate(design.prompt, options=GenerateOptions(
            intensity=design.intensity, asymmetry=design.asymmetry, style=design.style,
            variations=design.variations, seed=design.seed), model=model)
    except InputError as e:
        if model is None:
            raise
        raise InputError(design.model, e.problem) from None
    return apply_edits(g, design.edits) if design.edits else g


def apply_edits(g, edits: dict):
    """``g`` (a Generation) with slider values set: a new Generation (the arrays are copied)."""
    from ...expressions.names import UE_NAMES
    from ...generate.api import CLOSURE_LEFT, CLOSURE_RIGHT

    x, gaze, head = g.x.copy(), g.gaze.copy(), g.head.copy()
    index = {n: i for i, n in enumerate(UE_NAMES)}
    for k, values in edits.items():
        for key, v in values.items():
            if key in index:
                x[k, index[key]] = v
            elif key == "EyeOpennessLeft":
                x[k, CLOSURE_LEFT] = 1.0 - v  # the generator stores closure
            elif key == "EyeOpennessRight":
                x[k, CLOSURE_RIGHT] = 1.0 - v
            elif key in ("GazeX", "GazeY"):
                gaze[k, :, 0 if key == "GazeX" else 1] = v
            else:
                head[k, ("HeadYaw", "HeadPitch", "HeadRoll").index(key)] = v
    return replace(g, x=x, gaze=gaze, head=head)


def frame_json(frame) -> dict:
    """One :class:`ExpressionFrame` as the page's pose: weights (88,), openness, gaze, head."""
    return {"weights": [round(float(w), 5) for w in frame.weights],
            "openness": [round(frame.openness_left, 5), round(frame.openness_right, 5)],
            "gaze": [list(frame.gaze_left), list(frame.gaze_right)],
            "head": [round(float(v), 4) for v in frame.head_rotation]}


def frame_from_json(pose: dict):
    """The page's pose (see :func:`frame_json`) -> an :class:`ExpressionFrame` (checked)."""
    from ...expressions.frame import ExpressionFrame
    from ...expressions.names import UE_NAMES

    try:
        w = np.asarray(pose["weights"], dtype=np.float32)
        op = [float(v) for v in pose.get("openness", (1.0, 1.0))]
        gz = np.asarray(pose.get("gaze", ((0, 0), (0, 0))), dtype=float)
        hd = [float(v) for v in pose.get("head", (0, 0, 0))]
    except (KeyError, TypeError, ValueError) as e:
        raise ParameterError(f"bad pose: {e}") from None
    if w.shape != (len(UE_NAMES),) or gz.shape != (2, 2) or len(op) != 2 or len(hd) != 3 \
            or not (np.isfinite(w).all() and np.isfinite(gz).all() and np.isfinite(op + hd).all()):
        raise ParameterError(f"bad pose: weights must be {len(UE_NAMES)} numbers, openness 2, gaze 2x2, head 3")
    return ExpressionFrame(time=0.0, weights=np.clip(w, 0, 1), openness_left=min(max(op[0], 0), 1),
                           openness_right=min(max(op[1], 0), 1), gaze_left=tuple(gz[0]), gaze_right=tuple(gz[1]),
                           head_rotation=tuple(hd))


def avatar_svg(frame, style: str = "default", size: int = 256) -> str:
    """The built-in 2D avatar's SVG for ``frame`` (the renderer's own drawing, as part 1 shows it)."""
    from ...animate.avatar import AvatarRenderer, preset_names

    if style not in preset_names():
        raise ParameterError(f"unknown avatar preset {style!r}; valid: {', '.join(preset_names())}")
    return AvatarRenderer(style, size=size).svg(frame, transparent=True)


def variations_json(g, style: str = "default") -> dict:
    """A Generation as the page shows it: what was understood, and each variation's pose + SVG."""
    frames = g.frames()
    return {"meaning": g.prompt.describe(), "intensity": round(float(g.intensity), 4), "style": g.style,
            "seed": int(g.seed), "model": g.model,
            "variations": [dict(frame_json(f), svg=avatar_svg(f, style)) for f in frames]}


def library_path(workspace: Path, name: str) -> Path:
    """``expressions/NAME.jsonl`` in the workspace; the name is checked (letters, digits, ``_ .-``)."""
    if not isinstance(name, str) or not _NAME.match(name) or name.endswith("."):
        raise ParameterError(f"expression name {name!r}: use 1-64 letters, digits, spaces, '_', '.' or '-'")
    return Path(workspace) / LIBRARY_DIR / f"{name}.jsonl"


def save_design(workspace: Path, name: str, design: Design) -> Path:
    """Generate ``design`` (seed fixed) and write it as the track ``expressions/NAME.jsonl``.

    The header carries the generator's metadata (as ``facemimic express`` writes it) plus
    ``"designer": {"intensity", "style", "asymmetry", "edits", "model"}`` (what was asked) so the page can
    reopen the design.
    """
    from ...expressions.io import write_track
    from ...generate.poses import poses_track

    target = library_path(workspace, name)
    g = generate_design(design, workspace)
    track = poses_track(g)
    # What was asked (the header's intensity/style are the effective ones: degree words scale an
    # asked intensity, so reopening needs the asked one) and the edits.
    track.metadata["designer"] = {"intensity": design.intensity, "style": design.style,
                                  "asymmetry": design.asymmetry, "edits": {str(k): v for k, v in design.edits.items()},
                                  "model": design.model}
    target.parent.mkdir(parents=True, exist_ok=True)
    write_track(track, target)
    return target


def list_library(workspace: Path) -> list[dict]:
    """The saved expressions: name, path (workspace-relative), prompt, seed, variations, edited."""
    from ...expressions.io import read_track

    folder = Path(workspace) / LIBRARY_DIR
    out = []
    for p in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
        try:
            meta = read_track(p).metadata
        except InputError:
            continue  # a file someone else put there that is not a track: not ours to list
        designer = meta.get("designer", {})
        out.append({"name": p.stem, "path": f"{LIBRARY_DIR}/{p.name}", "prompt": meta.get("prompt"),
                    "seed": meta.get("seed"), "intensity": designer.get("intensity", meta.get("intensity")),
                    "style": designer.get("style", meta.get("style")),
                    "variations": meta.get("variations"), "asymmetry": designer.get("asymmetry", 0.0),
                    "edits": designer.get("edits", {}), "edited": bool(designer.get("edits")),
                    "model": designer.get("model")})
    return out


def export_vrm_expressions(workspace: Path, name: str, target: Path, avatar: str | None = None) -> Path:
    """The saved expression ``name`` as VRM expressions: ``facemimic export expressions/NAME.jsonl
    -f vrm --avatar AVATAR -e NAME-1=0 -e NAME-2=1 …`` (variation k is the pose at k seconds).

    Parameters
    ----------
    avatar : str, optional
        A workspace-relative ``.vrm``; None: the procedural test head.
    """
    from ...deliver.export import ExportOptions, get_exporter
    from ...expressions.io import read_track
    from ...generate.poses import POSE_SPACING_S
    from ..security import confine

    source = library_path(workspace, name)
    if not source.is_file():
        raise InputError(f"{LIBRARY_DIR}/{name}.jsonl", "not found (save the expression first)")
    track = read_track(source)
    avatar_path = None
    if avatar:
        avatar_path = confine(workspace, avatar)
        if not avatar_path.is_file():
            raise InputError(avatar, "not found in the workspace (drop the .vrm onto the page first)")
    names = tuple((f"{name}-{k + 1}", k * POSE_SPACING_S) for k in range(len(track)))
    get_exporter("vrm").export(track, target, ExportOptions(avatar=None if avatar_path is None else str(avatar_path),
                                                           expressions=names))
    return target




def morph_values(targets, frames, combinations=None, meshes=None) -> dict:
    """A 3D model's morph targets driven by designed poses, by the live view's rules.

    Each target is resolved as ``facemimic export`` and the live page's 3D panel resolve it
    (:func:`facemimic.studio.morph_targets.mapped_targets`: the alias table, combination targets by
    their rule, one vocabulary per model) and valued by
    :class:`~facemimic.deliver.export.signals.TrackSignals`.

    Parameters
    ----------
    targets : list of str
        The model's morph target (or VRM expression) names.
    frames : list of ExpressionFrame
        The poses (the variations, or the one being edited).
    combinations, meshes : optional
        The model's ``extras.combinations`` and its names per mesh (:func:`.morph_targets.mapped_targets`).

    Returns
    -------
    dict
        ``mapped`` (how many targets are driven), ``unmapped`` (names nothing drives) and
        ``values``: one ``{target: value}`` per frame, values in [0, 1] for the mapped targets.
    """
    from ...deliver.export.signals import TrackSignals
    from ..morph_targets import mapped_targets

    mapped, unmapped = mapped_targets(targets, combinations, meshes)
    if not frames:
        raise ParameterError("give at least one pose")
    signals = TrackSignals(np.stack([f.weights for f in frames]), np.stack([f.gaze for f in frames]),
                           np.asarray([f.openness for f in frames], np.float32))
    columns = {t: signals.values(a) for t, a in mapped}  # (T,) each
    return {"mapped": len(mapped), "unmapped": unmapped,
            "values": [{t: round(float(v[i]), 4) for t, v in columns.items()} for i in range(len(frames))]}


__all__ = ["Design", "LIBRARY_DIR", "MAX_TARGETS", "POSE_KEYS", "STYLES", "apply_edits", "avatar_svg",
           "check_edits", "export_vrm_expressions", "frame_from_json", "frame_json", "generate_design", "library_path",
           "list_library", "morph_values", "save_design", "variations_json"]
