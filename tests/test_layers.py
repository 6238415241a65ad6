"""Import directions: the layering the README promises, enforced on the source.

From the bottom up:

* the base (errors, common/, samples) imports nothing above it;
* the centre (expressions/) imports only the base;
* shared vocabularies (emotions/: the FACS emotion space; phonetics/: phone sets, espeak-ng and
  G2P) import the base and the centre, never a stage or each other;
* a stage imports all of those, and another stage only through that stage's public surface
  (``facemimic.<stage>`` or ``facemimic.<stage>.api``) and only in the directions of ALLOWED;
* cli/, studio/ and demo sit on top and may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "facemimic"

BASE = {"errors", "_hashing", "common", "samples", "__init__"}
CENTRE = {"expressions"}
VOCAB = {"emotions", "phonetics"}
TOP = {"cli", "studio", "demo", "__main__"}
# stage -> stages it may use (through their public surface)
ALLOWED = {
    "capture": set(),
    "voice": set(),
    "lipsync": {"voice"},  # the evaluation set speaks its sentences with the built-in voice
    "generate": {"capture"},  # the default model learns from tracked sample media
    "analysis": {"capture", "generate"},  # analyse videos; train on generated expressions
    "deliver": {"capture"},  # stream a camera or a video
    "head3d": {"capture", "generate", "deliver"},  # selfie -> 3D avatar (facemimic.avatar3d): fit, learn a basis, write VRM
    "animate": {"capture", "generate", "lipsync", "voice", "head3d"},  # the drivers; 3D avatars
    "batch": {"capture", "analysis", "lipsync"},  # corpora: one worker per file, the stages' own calls
}
PUBLIC = {"api", None}  # facemimic.<stage> or facemimic.<stage>.api


def _imports(path: Path) -> list[tuple[list[str], int]]:
    """(absolute module path inside facemimic as parts, line) for every facemimic import in ``path``."""
    rel = path.relative_to(PACKAGE).with_suffix("").parts
    pkg = list(rel[:-1]) if rel[-1] != "__init__" else list(rel[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                mod = base + (node.module.split(".") if node.module else [])
                if not node.module:  # from . import x: x is a module, or a name the package defines
                    for alias in node.names:
                        sub = PACKAGE.joinpath(*mod, alias.name)
                        is_module = sub.is_dir() or sub.with_suffix(".py").is_file()
                        out.append((mod + [alias.name] if is_module else mod, node.lineno))
                    continue
            elif node.module and node.module.split(".")[0] == "facemimic":
                mod = node.module.split(".")[1:]
            else:
                continue
            out.append((mod, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "facemimic":
                    out.append((alias.name.split(".")[1:], node.lineno))
    return out


def _area(parts: "list[str] | tuple[str, ...]") -> str:
    return parts[0] if parts else "__init__"


def _violations() -> list[str]:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("").parts
        src = _area(rel)
        if src in TOP:
            continue
        for mod, line in _imports(path):
            dst = _area(mod)
            if dst == src or dst in BASE - {"samples"} or (dst == "samples" and src not in BASE):
                continue
            where = f"{'/'.join(path.relative_to(PACKAGE).parts)}:{line} imports facemimic.{'.'.join(mod)}"
            if src in BASE:
                if dst not in BASE:
                    bad.append(f"{where}: the base layer imports nothing above it")
            elif src in CENTRE:
                bad.append(f"{where}: expressions/ imports only the base layer")
            elif dst in CENTRE:
                continue
            elif src in VOCAB:
                bad.append(f"{where}: a shared vocabulary imports only the base and the centre")
            elif dst in VOCAB:
                continue
            elif dst in TOP:
                bad.append(f"{where}: a stage never imports cli/studio/demo")
            elif dst not in ALLOWED.get(src, set()):
                bad.append(f"{where}: {src} may not use {dst}")
            elif (mod[1] if len(mod) > 1 else None) not in PUBLIC:
                bad.append(f"{where}: use {dst}'s public surface (facemimic.{dst} or facemimic.{dst}.api)")
    return bad


def test_every_module_is_in_a_layer():
    areas = {_area(p.relative_to(PACKAGE).with_suffix("").parts) for p in PACKAGE.rglob("*.py")}
    layers = BASE | CENTRE | VOCAB | TOP | set(ALLOWED)
    assert areas <= layers, areas - layers


def test_allowed_stage_directions_have_no_cycle():
    def visit(stage: str, stack: tuple[str, ...]) -> None:
        assert stage not in stack, " -> ".join(stack + (stage,))
        for dep in ALLOWED[stage]:
            visit(dep, stack + (stage,))

    for stage in ALLOWED:
        visit(stage, ())


def test_imports_follow_the_layers():
    assert _violations() == []
