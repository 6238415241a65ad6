"""Play an avatar3d file: read a ``.vrm``/``.glb`` that ``facemimic avatar3d`` wrote and draw it
showing expression frames (``facemimic animate avatar3d:me.vrm``).

The file is read back independently of how it was made: the mesh's primitives (positions, UVs or
vertex colours, triangles), its morph targets (sparse accessors decoded here; ``GltfDocument``
reads only dense ones) and the skin texture. A frame drives the targets as FaceMimic's exporters do:
ARKit-named targets with ``ue_to_arkit`` of the frame (eyes from openness and gaze), UE-named ones
with the UE weights when the file has no ARKit set.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..expressions.names import ARKIT_NAMES, UE_NAMES
from .raster import Surface, render
from .write import IPD_M, linear_to_srgb

GENERATOR = "FaceMimic avatar3d"
PREFIX = "avatar3d"


def is_avatar3d(source) -> bool:
    """``avatar3d:FILE`` names an avatar3d file to animate."""
    return isinstance(source, str) and source.startswith(PREFIX + ":") and len(source) > len(PREFIX) + 1


@dataclass(frozen=True)
class _Part:
    positions: np.ndarray  # (N, 3) IPD units
    triangles: np.ndarray  # (M, 3)
    targets: np.ndarray  # (T, N, 3) IPD units
    uv: np.ndarray | None
    colours: np.ndarray | None


def _accessor(doc, index: int) -> np.ndarray:
    """Dense or sparse accessor data (count, n) as float64 / int."""
    acc = doc.json["accessors"][index]
    n = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[acc["type"]]
    out = doc.accessor_array(index).astype(np.float64).reshape(acc["count"], n)
    sparse = acc.get("sparse")
    if sparse:
        views = doc.json["bufferViews"]
        iv, vv = views[sparse["indices"]["bufferView"]], views[sparse["values"]["bufferView"]]
        itype = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32}[sparse["indices"]["componentType"]]
        idx = np.frombuffer(bytes(doc.bin), itype, sparse["count"],
                            iv.get("byteOffset", 0) + sparse["indices"].get("byteOffset", 0))
        vals = np.frombuffer(bytes(doc.bin), np.float32, sparse["count"] * n,
                             vv.get("byteOffset", 0) + sparse["values"].get("byteOffset", 0))
        out[idx.astype(np.int64)] = vals.reshape(-1, n)
    return out


class AvatarPlayer:
    """An avatar3d file ready to draw. ``render(frame)`` -> RGB uint8 (size, size, 3).

    Raises
    ------
    InputError
        The file is missing, not a GLB/VRM, or not made by ``facemimic avatar3d``.
    """

    def __init__(self, path: str | Path, *, size: int = 512) -> None:
        from PIL import Image

        from ..deliver.api import parse_glb

        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(self.path, "file not found")
        doc = parse_glb(self.path.read_bytes(), source=str(self.path))
        if doc.json.get("asset", {}).get("generator") != GENERATOR:
            raise InputError(self.path, "not an avatar made by `facemimic avatar3d` (animate avatar3d:FILE "
                                        "plays those; other glTF/VRM avatars: use facemimic export)")
        mesh = doc.json["meshes"][0]
        self.names = tuple(mesh["extras"]["targetNames"])
        self.parts = []
        shared = {}  # POSITION accessor -> the primitives drawing those vertices (the parts and the mouth's inside)
        for prim in mesh["primitives"]:
            shared.setdefault(prim["attributes"]["POSITION"], []).append(prim)
        for prims in shared.values():
            prim, attrs = prims[0], prims[0]["attributes"]
            pos = _accessor(doc, attrs["POSITION"]) / IPD_M
            tris = np.concatenate([_accessor(doc, p["indices"]).astype(np.int64).reshape(-1, 3) for p in prims])
            targets = np.stack([_accessor(doc, t["POSITION"]) / IPD_M for t in prim["targets"]])
            uv = _accessor(doc, attrs["TEXCOORD_0"]) if "TEXCOORD_0" in attrs else None
            # written as linear light (glTF); drawn as display values, as the texture
            colours = linear_to_srgb(_accessor(doc, attrs["COLOR_0"])[:, :3]) if "COLOR_0" in attrs else None
            self.parts.append(_Part(pos, tris, targets, uv, colours))
        view = doc.json["bufferViews"][doc.json["images"][0]["bufferView"]]
        start = view.get("byteOffset", 0)
        data = bytes(doc.bin[start:start + view["byteLength"]])
        self.texture = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float64) / 255
        self.size = int(size)
        from .creases import CreaseShader
        from .head import UV_SPAN

        skin = next(p for p in self.parts if p.uv is not None)  # its first 478 vertices are the landmarks
        self.creases = CreaseShader(skin.uv[:478], self.texture.shape[0], UV_SPAN)
        self.arkit = [self.names.index(n) if n in self.names else None for n in ARKIT_NAMES]
        self.ue = [self.names.index(n) if n in self.names else None for n in UE_NAMES]
        self.uses_arkit = any(i is not None for i in self.arkit)
        # combination shapes (.combos): each driven by the smaller of its two ARKit weights
        combos = mesh["extras"].get("combinations", {})
        self.combinations = [(self.names.index(c), ARKIT_NAMES.index(r["drivers"][0]), ARKIT_NAMES.index(r["drivers"][1]))
                             for c, r in combos.items() if c in self.names and r.get("weight") == "min"]

    @property
    def name(self) -> str:
        return self.path.name

    def weights(self, frame) -> np.ndarray:
        """The file's target weights (T,) for an ExpressionFrame."""
        from .fit import frame_arkit

        w = np.zeros(len(self.names))
        if self.uses_arkit:
            arkit = frame_arkit(frame)
            for i, v in zip(self.arkit, arkit):
                if i is not None:
                    w[i] = v
            for i, a, b in self.combinations:
                w[i] = max(min(arkit[a], arkit[b]), 0.0)
        else:
            for i, v in zip(self.ue, np.nan_to_num(np.asarray(frame.weights, np.float64))):
                if i is not None:
                    w[i] = np.clip(v, 0, 1)
        return w

    def render(self, frame=None) -> np.ndarray:
        """The avatar's front view, neutral or showing ``frame`` (RGB uint8 (size, size, 3)): its
        weights drive the targets and its ``head_rotation`` turns the head (:mod:`.pose`)."""
        from .pose import frame_rotation, turned

        w = np.zeros(len(self.names)) if frame is None else self.weights(frame)
        rotation = frame_rotation(frame)  # the track's head pose turns the head about its neck
        surfaces = []
        for part in self.parts:
            pos = turned(part.positions + np.einsum("t,tnc->nc", w, part.targets), rotation)
            if part.uv is not None:
                texture = self.texture if frame is None else self.creases.apply(self.texture, frame.weights)
                surfaces.append(Surface(pos, part.triangles, uv=part.uv, texture=texture))
            else:
                surfaces.append(Surface(pos, part.triangles, colours=part.colours))
        return render(surfaces, size=(self.size, self.size), centre=(0.0, -0.55), span=4.0)
