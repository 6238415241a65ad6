"""Read and write glTF 2.0 (``.glb``, ``.vrm``, ``.vrma``, ``.gltf``) as JSON + one binary buffer.

Exporters edit the JSON as plain dicts and append data through :meth:`GltfDocument.add_accessor`,
so an avatar round-trips untouched except for what is added. A ``.gltf`` with external or
``data:`` buffers and images is folded into a single buffer on load, so every output can be a
self-contained GLB (or a ``.gltf`` with one embedded ``data:`` buffer).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import InputError
from ...common.files import AtomicFile

GLB_MAGIC = b"glTF"
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942
# glTF accessor component types and element sizes.
FLOAT, UNSIGNED_SHORT, UNSIGNED_INT = 5126, 5123, 5125
_TYPE_SIZE = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963


class GltfDocument:
    """A glTF asset: its JSON (``self.json``) and its single binary buffer (``self.bin``)."""

    def __init__(self, gltf: dict, bin_data: bytes | bytearray = b"", *, source: str = "<memory>") -> None:
        self.json = gltf
        self.bin = bytearray(bin_data)
        self.source = source

    # -- reading --------------------------------------------------------------------------------
    def accessor_array(self, index: int) -> np.ndarray:
        """The data of a (non-sparse) accessor as a NumPy array, shape (count, n) or (count,)."""
        acc = self.json["accessors"][index]
        dtype = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8,
                 5122: np.int16, 5120: np.int8}[acc["componentType"]]
        n = _TYPE_SIZE[acc["type"]]
        count = acc["count"]
        if "bufferView" not in acc:
            return np.zeros((count, n) if n > 1 else (count,), dtype)
        view = self.json["bufferViews"][acc["bufferView"]]
        start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
        item = np.dtype(dtype).itemsize * n
        stride = view.get("byteStride", item)
        raw = np.frombuffer(bytes(self.bin), np.uint8, count=(count - 1) * stride + item if count else 0,
                            offset=start)
        rows = np.lib.stride_tricks.as_strided(raw, (count, item), (stride, 1)) if count else raw.reshape(0, item)
        out = np.ascontiguousarray(rows).view(dtype).reshape(count, n)
        return out if n > 1 else out[:, 0]

    # -- writing --------------------------------------------------------------------------------
    def add_buffer_view(self, data: bytes, *, target: int | None = None, align: int = 4) -> int:
        """Append bytes (aligned) as a new bufferView of buffer 0; returns its index."""
        pad = -len(self.bin) % align
        self.bin.extend(b"\0" * pad)
        view = {"buffer": 0, "byteOffset": len(self.bin), "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.bin.extend(data)
        views = self.json.setdefault("bufferViews", [])
        views.append(view)
        return len(views) - 1

    def add_accessor(self, array: np.ndarray, type_: str = "SCALAR", *, target: int | None = None,
                     min_max: bool = True, name: str | None = None) -> int:
        """Append a float32/uint16/uint32 array as a tightly packed accessor; returns its index.

        Parameters
        ----------
        array : np.ndarray [shape=(count,) or (count, n)]
        type_ : {"SCALAR", "VEC2", "VEC3", "VEC4"}
        min_max : bool
            Write ``min``/``max`` (required for animation inputs and POSITION).
        """
        a = np.ascontiguousarray(array)
        comp = {np.dtype(np.float32): FLOAT, np.dtype(np.uint16): UNSIGNED_SHORT,
                np.dtype(np.uint32): UNSIGNED_INT}[a.dtype]
        n = _TYPE_SIZE[type_]
        rows = a.reshape(-1, n)
        view = self.add_buffer_view(a.tobytes(), target=target)
        acc = {"bufferView": view, "componentType": comp, "count": int(rows.shape[0]), "type": type_}
        if min_max and rows.shape[0]:
            cast = float if comp == FLOAT else int
            acc["min"] = [cast(x) for x in rows.min(axis=0)]
            acc["max"] = [cast(x) for x in rows.max(axis=0)]
        if name:
            acc["name"] = name
        accs = self.json.setdefault("accessors", [])
        accs.append(acc)
        return len(accs) - 1

    def add_extension_used(self, name: str) -> None:
        used = self.json.setdefault("extensionsUsed", [])
        if name not in used:
            used.append(name)

    def _finalise(self) -> None:
        pad = -len(self.bin) % 4
        self.bin.extend(b"\0" * pad)
        if self.bin:
            buffers = self.json.setdefault("buffers", [{}])
            buffers[0] = {k: v for k, v in buffers[0].items() if k != "uri"}
            buffers[0]["byteLength"] = len(self.bin)
            del buffers[1:]
        elif "buffers" in self.json:
            del self.json["buffers"]

    def glb_bytes(self) -> bytes:
        """The asset as GLB: header, JSON chunk (space-padded), BIN chunk (zero-padded)."""
        self._finalise()
        js = json.dumps(self.json, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
        js += b" " * (-len(js) % 4)
        chunks = struct.pack("<II", len(js), _CHUNK_JSON) + js
        if self.bin:
            chunks += struct.pack("<II", len(self.bin), _CHUNK_BIN) + bytes(self.bin)
        return GLB_MAGIC + struct.pack("<II", 2, 12 + len(chunks)) + chunks

    def gltf_text(self) -> str:
        """The asset as ``.gltf`` JSON with its buffer embedded as a ``data:`` URI."""
        self._finalise()
        doc = json.loads(json.dumps(self.json))
        if self.bin:
            doc["buffers"][0]["uri"] = ("data:application/octet-stream;base64,"
                                        + base64.b64encode(bytes(self.bin)).decode())
        return json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False)

    def save(self, path: str | Path) -> Path:
        """Write atomically: ``.gltf`` as JSON, anything else as GLB."""
        path = Path(path)
        text = path.suffix.lower() == ".gltf"
        with AtomicFile(path, "w" if text else "wb") as out:
            out.file.write(self.gltf_text() if text else self.glb_bytes())
        return out.path


def parse_glb(data: bytes, source: str = "<memory>") -> GltfDocument:
    """Parse GLB bytes (raises :class:`InputError` naming ``source`` on any damage)."""
    if len(data) < 20 or data[:4] != GLB_MAGIC:
        raise InputError(source, "not a GLB file (no 'glTF' header)")
    version, length = struct.unpack_from("<II", data, 4)
    if version != 2:
        raise InputError(source, f"GLB version {version} is not supported (need glTF 2.0)")
    if length > len(data):
        raise InputError(source, f"GLB is truncated ({len(data)} of {length} bytes)")
    off, gltf, bin_data = 12, None, b""
    while off + 8 <= length:
        clen, ctype = struct.unpack_from("<II", data, off)
        chunk = data[off + 8: off + 8 + clen]
        if ctype == _CHUNK_JSON and gltf is None:
            try:
                gltf = json.loads(chunk.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise InputError(source, f"GLB JSON chunk is not valid JSON ({e})") from None
        elif ctype == _CHUNK_BIN and not bin_data:
            bin_data = chunk
        off += 8 + clen
    if not isinstance(gltf, dict):
        raise InputError(source, "GLB has no JSON chunk")
    _check_asset(gltf, source)
    doc = GltfDocument(gltf, bin_data, source=source)
    if any("uri" in b for b in gltf.get("buffers", [])):
        _fold_buffers(doc, None)
    return doc


def _check_asset(gltf: dict, source: str) -> None:
    version = str(gltf.get("asset", {}).get("version", ""))
    if not version.startswith("2."):
        raise InputError(source, f"not a glTF 2.0 asset (asset.version {version or 'missing'})")


def _read_uri(uri: str, base: Path | None, source: str) -> bytes:
    if uri.startswith("data:"):
        head, _, payload = uri.partition(",")
        return base64.b64decode(payload) if head.endswith(";base64") else payload.encode()
    if base is None:
        raise InputError(source, f"refers to an external file {uri!r} (GLB buffers must be embedded)")
    from urllib.parse import unquote

    path = base / unquote(uri)
    try:
        return path.read_bytes()
    except OSError:
        raise InputError(source, f"its file {uri!r} cannot be read") from None


def _fold_buffers(doc: GltfDocument, base: Path | None) -> None:
    """Concatenate every buffer into buffer 0 and embed external images as bufferViews."""
    gltf = doc.json
    blobs, starts, total = [], [], 0
    for i, b in enumerate(gltf.get("buffers", [])):
        if "uri" in b:
            data = _read_uri(b["uri"], base, doc.source)
        elif i == 0:
            data = bytes(doc.bin)
        else:  # e.g. an EXT_meshopt_compression fallback buffer: no data, only a size
            data = bytes(b.get("byteLength", 0))
        total += -total % 8
        starts.append(total)
        blobs.append((total, data[: b.get("byteLength", len(data))]))
        total += b.get("byteLength", len(data))
    merged = bytearray(total)
    for start, data in blobs:
        merged[start: start + len(data)] = data
    for view in gltf.get("bufferViews", []):
        view["byteOffset"] = view.get("byteOffset", 0) + starts[view.get("buffer", 0)]
        view["buffer"] = 0
    doc.bin = merged
    gltf["buffers"] = [{"byteLength": len(merged)}] if merged else []
    for image in gltf.get("images", []):
        uri = image.pop("uri", None)
        if uri is None:
            continue
        data = _read_uri(uri, base, doc.source)
        mime = uri[5:].split(";")[0] if uri.startswith("data:") else mimetypes.guess_type(uri)[0]
        image["mimeType"] = mime or ("image/png" if data[:4] == b"\x89PNG" else "image/jpeg")
        image["bufferView"] = doc.add_buffer_view(data)


def load_gltf(path: str | Path) -> GltfDocument:
    """Load ``.glb``/``.vrm``/``.vrma`` (binary) or ``.gltf`` (JSON) into one-buffer form.

    Raises
    ------
    InputError
        The file is missing, not glTF 2.0, or damaged; the message names the file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except OSError as e:
        raise InputError(path, f"cannot be read ({e.strerror or e})") from None
    if data[:4] == GLB_MAGIC:
        return parse_glb(data, str(path))
    try:
        gltf = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(path, "not a glTF file (neither GLB nor glTF JSON)") from None
    if not isinstance(gltf, dict) or "asset" not in gltf:
        raise InputError(path, "not a glTF file (JSON without an 'asset' object)")
    _check_asset(gltf, str(path))
    doc = GltfDocument(gltf, b"", source=str(path))
    _fold_buffers(doc, path.parent)
    return doc


# -- morph targets -------------------------------------------------------------------------------

@dataclass(frozen=True)
class MorphNode:
    """A scene node whose mesh has morph targets, with the targets' names."""

    node: int  # glTF node index
    mesh: int  # glTF mesh index
    node_name: str  # the node's name (or "node<i>")
    node_path: str  # names from the scene root down, joined by "/" (Unity/Godot-style path)
    target_names: tuple[str, ...]  # one per morph target, in target order
    default_weights: tuple[float, ...]  # mesh.weights or zeros


def target_names(gltf: dict, mesh_index: int, doc: GltfDocument | None = None) -> tuple[str, ...]:
    """Morph target names of a mesh: ``mesh.extras.targetNames``, else the first primitive's
    ``extras.targetNames``, else per-target ``extras.name``, else the target POSITION accessors'
    names, else ``target<i>``."""
    mesh = gltf["meshes"][mesh_index]
    prims = mesh.get("primitives", [])
    n = max((len(p.get("targets", [])) for p in prims), default=0)
    candidates = [mesh.get("extras", {}).get("targetNames")]
    candidates += [p.get("extras", {}).get("targetNames") for p in prims]
    for c in candidates:
        if isinstance(c, list) and len(c) == n and all(isinstance(x, str) for x in c):
            return tuple(c)
    if prims and prims[0].get("targets"):
        targets = prims[0]["targets"]
        names = [t.get("extras", {}).get("name") if isinstance(t.get("extras"), dict) else None for t in targets]
        if all(isinstance(x, str) for x in names) and len(names) == n:
            return tuple(names)
        accs = gltf.get("accessors", [])
        names = [accs[t["POSITION"]].get("name") if "POSITION" in t and t["POSITION"] < len(accs) else None
                 for t in targets]
        if all(isinstance(x, str) and x for x in names) and len(set(names)) == n:
            return tuple(names)
    return tuple(f"target{i}" for i in range(n))


def morph_nodes(gltf: dict) -> list[MorphNode]:
    """Every node (in index order) whose mesh has morph targets."""
    nodes = gltf.get("nodes", [])
    parent = {c: i for i, nd in enumerate(nodes) for c in nd.get("children", [])}

    def name(i: int) -> str:
        return str(nodes[i].get("name") or f"node{i}")

    def path(i: int) -> str:
        parts = [name(i)]
        while i in parent:
            i = parent[i]
            parts.append(name(i))
        return "/".join(reversed(parts))

    out = []
    for i, nd in enumerate(nodes):
        m = nd.get("mesh")
        if m is None or m >= len(gltf.get("meshes", [])):
            continue
        names = target_names(gltf, m)
        if not names:
            continue
        w = gltf["meshes"][m].get("weights") or [0.0] * len(names)
        out.append(MorphNode(i, m, name(i), path(i), names, tuple(float(x) for x in w)))
    return out


__all__ = ["GltfDocument", "MorphNode", "load_gltf", "morph_nodes", "parse_glb", "target_names"]
