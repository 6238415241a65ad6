"""Shared helpers for the export tests: real tracks, independent readers and external validators.

* :func:`real_track`: ``single_face.mp4`` (a real smiling face) through the capture API, once per
  session (cached here, because fixtures imported into several modules would each run it).
* :func:`validate_gltf`: the Khronos glTF validator (npm ``gltf-validator``, run by node) on
  files, one node process per call.
* :func:`browser_probe`: three.js ``GLTFLoader`` + ``AnimationMixer`` in headless Debian Chromium
  (Playwright), pages served from 127.0.0.1; returns morph influences / node positions at times.
* :func:`read_glb`: the test's own GLB parser (raw JSON + NumPy), with pygltflib on demand.
* :func:`make_avatar`: small avatars with chosen target names, written with pygltflib.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import socketserver
import struct
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

NPM_DIR = Path(os.environ.get("FACEMIMIC_NPM_CACHE", Path.home() / ".cache/facemimic/npm"))
NODE_MODULES = NPM_DIR / "node_modules"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def require_tools(*, browser: bool = False) -> None:
    """Fail (never skip) with the set-up command when a validation tool is missing."""
    missing = []
    if shutil.which("node") is None:
        missing.append("node")
    for pkg in ("gltf-validator", "three", "@pixiv/three-vrm", "@pixiv/three-vrm-animation"):
        if not (NODE_MODULES / pkg / "package.json").exists():
            missing.append(f"npm {pkg} in {NODE_MODULES}")
    if browser and not Path(CHROMIUM).exists():
        missing.append(CHROMIUM)
    if missing:
        pytest.fail("glTF test tools missing (run: bash scripts/setup.d/20-gltf-tools.sh): "
                    + ", ".join(missing), pytrace=False)


# -- real data ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def real_track():
    """A real capture of ``single_face.mp4`` (72 frames, one smiling face)."""
    from facemimic.capture.api import track
    from facemimic.samples import ensure_samples

    folder = ensure_samples()
    return track(folder / "single_face.mp4")


def ramp_track(n: int = 60, fps: float = 30.0, **channels):
    """A synthetic track with known values: ``channels`` UE name -> (start, end) linear ramps;
    ``openness=(a, b)`` and ``gaze_x=(a, b)`` ramp the eyes (both eyes alike)."""
    from facemimic.expressions import ExpressionTrack
    from facemimic.expressions.names import UE_INDEX

    w = np.zeros((n, 88), np.float32)
    arrays = {}
    for name, (a, b) in channels.items():
        if name == "openness":
            arrays["openness"] = np.repeat(np.linspace(a, b, n)[:, None], 2, 1)
        elif name == "gaze_x":
            g = np.zeros((n, 2, 2), np.float32)
            g[:, :, 0] = np.linspace(a, b, n)[:, None]
            arrays["gaze"] = g
        elif name == "yaw":
            hr = np.zeros((n, 3), np.float32)
            hr[:, 0] = np.linspace(a, b, n)
            arrays["head_rotation"] = hr
        else:
            w[:, UE_INDEX[name]] = np.linspace(a, b, n)
    return ExpressionTrack.from_arrays({"weights": w, **arrays}, fps=fps)


# -- independent glTF reading ------------------------------------------------------------------------

_NP = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8, 5122: np.int16, 5120: np.int8}
_N = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


class Glb:
    """A GLB read independently of FaceMimic: raw JSON + NumPy accessor decoding (incl. sparse);
    ``.gltf`` is the same file parsed by pygltflib (loaded on first use; it is slow)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        data = self.path.read_bytes()
        assert data[:4] == b"glTF", f"{path} is not GLB"
        version, length = struct.unpack_from("<II", data, 4)
        assert version == 2 and length == len(data)
        jlen, jtype = struct.unpack_from("<II", data, 12)
        assert jtype == 0x4E4F534A and jlen % 4 == 0
        self.json = json.loads(data[20:20 + jlen])
        self.blob = b""
        if 20 + jlen < len(data):
            blen, btype = struct.unpack_from("<II", data, 20 + jlen)
            assert btype == 0x004E4942 and blen % 4 == 0
            self.blob = data[28 + jlen: 28 + jlen + blen]
        self._gltf = None

    @property
    def gltf(self):
        if self._gltf is None:
            import pygltflib

            self._gltf = pygltflib.GLTF2().load_binary(str(self.path))
        return self._gltf

    def accessor(self, index: int) -> np.ndarray:
        acc = self.json["accessors"][index]
        dtype, n, count = _NP[acc["componentType"]], _N[acc["type"]], acc["count"]
        out = np.zeros((count, n), dtype)
        views = self.json.get("bufferViews", [])
        if "bufferView" in acc:
            view = views[acc["bufferView"]]
            start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
            assert view.get("byteStride") in (None, np.dtype(dtype).itemsize * n)
            out = np.frombuffer(self.blob, dtype, count * n, start).reshape(count, n).copy()
        if "sparse" in acc:
            sp = acc["sparse"]
            iv, vv = views[sp["indices"]["bufferView"]], views[sp["values"]["bufferView"]]
            idx = np.frombuffer(self.blob, _NP[sp["indices"]["componentType"]], sp["count"],
                                iv.get("byteOffset", 0) + sp["indices"].get("byteOffset", 0))
            vals = np.frombuffer(self.blob, dtype, sp["count"] * n,
                                 vv.get("byteOffset", 0) + sp["values"].get("byteOffset", 0))
            out[idx.astype(np.int64)] = vals.reshape(sp["count"], n)
        return out if n > 1 else out[:, 0]


def read_glb(path) -> Glb:
    return Glb(Path(path))


def make_avatar(path: Path, meshes: list[list[str]], *, where: str = "mesh", extras=None) -> Path:
    """Write a small GLB (pygltflib) with one quad mesh node per name list; ``where`` puts the
    names in ``mesh.extras.targetNames`` ("mesh"), the primitive's extras ("primitive") or
    nowhere ("none")."""
    import pygltflib

    pos = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], np.float32)
    idx = np.array([0, 1, 2, 2, 1, 3], np.uint16)
    blob = bytearray(pos.tobytes() + idx.tobytes())
    accessors = [
        pygltflib.Accessor(bufferView=0, componentType=5126, count=4, type="VEC3",
                           min=[0, 0, 0], max=[1, 1, 0]),
        pygltflib.Accessor(bufferView=1, componentType=5123, count=6, type="SCALAR"),
    ]
    views = [pygltflib.BufferView(buffer=0, byteOffset=0, byteLength=48, target=34962),
             pygltflib.BufferView(buffer=0, byteOffset=48, byteLength=12, target=34963)]
    gl_meshes, nodes = [], []
    for names in meshes:
        targets = []
        for k, _ in enumerate(names):
            d = np.zeros((4, 3), np.float32)
            d[3] = (0.0, 0.0, 0.1 * (k + 1))
            views.append(pygltflib.BufferView(buffer=0, byteOffset=len(blob), byteLength=48))
            blob += d.tobytes()
            accessors.append(pygltflib.Accessor(bufferView=len(views) - 1, componentType=5126, count=4,
                                                type="VEC3", min=d.min(0).tolist(), max=d.max(0).tolist()))
            targets.append({"POSITION": len(accessors) - 1})
        prim = pygltflib.Primitive(attributes=pygltflib.Attributes(POSITION=0), indices=1, targets=targets)
        mesh = pygltflib.Mesh(primitives=[prim])
        if where == "mesh":
            mesh.extras = {"targetNames": names}
        elif where == "primitive":
            prim.extras = {"targetNames": names}
        gl_meshes.append(mesh)
        nodes.append(pygltflib.Node(name=f"Mesh{len(nodes)}", mesh=len(gl_meshes) - 1))
    g = pygltflib.GLTF2(asset=pygltflib.Asset(version="2.0"), scene=0,
                        scenes=[pygltflib.Scene(nodes=list(range(len(nodes))))], nodes=nodes,
                        meshes=gl_meshes, accessors=accessors, bufferViews=views,
                        buffers=[pygltflib.Buffer(byteLength=len(blob))])
    if extras:
        g.extensions = extras
    g.set_binary_blob(bytes(blob))
    g.save_binary(str(path))
    return path


# -- Khronos glTF validator --------------------------------------------------------------------------

_VALIDATE_JS = r"""
const fs = require('fs');
const validator = require(process.argv[2]);
(async () => {
  const out = {};
  for (const f of process.argv.slice(3)) {
    const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(f)), {maxIssues: 200});
    out[f] = report;
  }
  process.stdout.write(JSON.stringify(out));
})().catch(e => { console.error(String(e)); process.exit(2); });
"""


def validate_gltf(*paths) -> dict[str, dict]:
    """Khronos validator reports by path (``report['issues']['numErrors']`` …)."""
    require_tools()
    script = NPM_DIR / "facemimic_validate.js"
    if not script.exists() or script.read_text() != _VALIDATE_JS:
        script.write_text(_VALIDATE_JS)
    res = subprocess.run(["node", str(script), str(NODE_MODULES / "gltf-validator"), *map(str, paths)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def assert_valid(*paths) -> dict[str, dict]:
    """Zero validator errors for every path (messages in the assertion)."""
    reports = validate_gltf(*paths)
    for p, r in reports.items():
        errors = [m for m in r["issues"]["messages"] if m["severity"] == 0]
        assert r["issues"]["numErrors"] == 0, f"{p}: {errors[:5]}"
    return reports


# -- three.js in headless Chromium -------------------------------------------------------------------

_PAGE = """<!doctype html><html><body>
<script type="importmap">{"imports": {"three": "/three/build/three.module.js",
  "three/addons/": "/three/examples/jsm/",
  "@pixiv/three-vrm": "/pixiv/three-vrm/lib/three-vrm.module.js",
  "@pixiv/three-vrm-animation": "/pixiv/three-vrm-animation/lib/three-vrm-animation.module.js"}}</script>
<script type="module">
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { VRMLoaderPlugin } from '@pixiv/three-vrm';
import { VRMAnimationLoaderPlugin, createVRMAnimationClip } from '@pixiv/three-vrm-animation';
// A VRM avatar driven by a VRMA through pixiv's own loaders (what VRM web apps use).
window.probeVrma = async (vrmUrl, vrmaUrl, times, names) => {
  const loader = new GLTFLoader();
  loader.register(p => new VRMLoaderPlugin(p));
  loader.register(p => new VRMAnimationLoaderPlugin(p));
  const vrm = (await loader.loadAsync(vrmUrl)).userData.vrm;
  const vrma = (await loader.loadAsync(vrmaUrl)).userData.vrmAnimations[0];
  const clip = createVRMAnimationClip(vrma, vrm);
  const mixer = new THREE.AnimationMixer(vrm.scene);
  mixer.clipAction(clip).play();
  const head = vrm.humanoid.getNormalizedBoneNode('head');
  const samples = [];
  for (const t of times) {
    mixer.setTime(t);
    vrm.update(0);
    const expressions = {};
    for (const n of names) expressions[n] = vrm.expressionManager.getValue(n);
    const morphs = {};
    vrm.scene.traverse(o => {
      if (o.isMesh && o.morphTargetDictionary) {
        const m = {};
        for (const [k, i] of Object.entries(o.morphTargetDictionary)) m[k] = o.morphTargetInfluences[i];
        morphs[o.name] = m;
      }
    });
    samples.push({t, expressions, morphs, yaw: vrm.lookAt.yaw, pitch: vrm.lookAt.pitch,
                  head: head.quaternion.toArray()});
  }
  return {tracks: clip.tracks.map(tr => tr.name), samples};
};
window.probe = async (url, times, clipIndex) => {
  const gltf = await new GLTFLoader().loadAsync(url);
  const clip = gltf.animations[clipIndex ?? 0];
  const mixer = new THREE.AnimationMixer(gltf.scene);
  mixer.clipAction(clip).play();
  const samples = [];
  for (const t of times) {
    mixer.setTime(t);
    const meshes = {}, nodes = {};
    gltf.scene.traverse(o => {
      if (o.isMesh && o.morphTargetInfluences) {
        const byName = {};
        for (const [name, i] of Object.entries(o.morphTargetDictionary || {})) byName[name] = o.morphTargetInfluences[i];
        meshes[o.name] = byName;
      }
      nodes[o.name] = [o.position.x, o.position.y, o.position.z, o.quaternion.x, o.quaternion.y, o.quaternion.z, o.quaternion.w];
    });
    samples.push({t, meshes, nodes});
  }
  return {clip: clip.name, duration: clip.duration, tracks: clip.tracks.length, samples};
};
window.ready = true;
</script></body></html>"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    roots: dict[str, Path] = {}

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0]
        for prefix, root in self.roots.items():
            if path.startswith(prefix + "/"):
                return str(root / path[len(prefix) + 1:])
        return str(Path(self.roots["/files"]) / "index.html")

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


class BrowserProbe:
    """A page with three.js served from 127.0.0.1 in headless Chromium; ``probe(path, times)``."""

    def __init__(self, files: Path) -> None:
        require_tools(browser=True)
        from playwright.sync_api import sync_playwright

        self.files = files
        (files / "index.html").write_text(_PAGE)
        handler = type("H", (_Handler,), {"roots": {"/three": NODE_MODULES / "three",
                                                    "/pixiv": NODE_MODULES / "@pixiv", "/files": files}})
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.pw = sync_playwright().start()
        self.browser = self.pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.page = self.browser.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(self.url + "/files/index.html")
        self.page.wait_for_function("window.ready === true", timeout=20000)

    def probe(self, path: Path, times, clip_index: int = 0) -> dict:
        target = self.files / Path(path).name
        if Path(path).resolve() != target.resolve():
            shutil.copyfile(path, target)
        return self.page.evaluate("([u, t, c]) => window.probe(u, t, c)",
                                  [f"/files/{target.name}", list(map(float, times)), clip_index])

    def probe_vrma(self, vrm: Path, vrma: Path, times, names) -> dict:
        urls = []
        for path in (vrm, vrma):
            target = self.files / Path(path).name
            if Path(path).resolve() != target.resolve():
                shutil.copyfile(path, target)
            urls.append(f"/files/{target.name}")
        return self.page.evaluate("([v, a, t, n]) => window.probeVrma(v, a, t, n)",
                                  [*urls, list(map(float, times)), list(names)])

    def close(self) -> None:
        self.browser.close()
        self.pw.stop()
        self.server.shutdown()
        self.server.server_close()


# -- format readers for the engine files (written against each format's grammar) --------------------

def _yaml_scalar(s: str):
    s = s.strip()
    if s == "[]":
        return []
    if s.startswith("{") and s.endswith("}"):
        body = s[1:-1].strip()
        return {k.strip(): _yaml_scalar(v) for k, v in (p.split(":", 1) for p in body.split(","))} if body else {}
    if s.startswith("'") and s.endswith("'"):
        return s[1:-1].replace("''", "'")
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def parse_unity_yaml(text: str) -> dict:
    """A Unity-YAML subset reader: ``%`` directives, one ``--- !u!<class> &<id>`` document, block
    mappings (2-space indents), Unity-style sequences (``- `` at the parent key's indent), flow
    mappings ``{a: 1}``, ``[]``, plain and single-quoted scalars. Returns ``{"class": …, "id": …,
    "body": {…}}``; raises AssertionError on anything outside that grammar."""
    lines = text.split("\n")
    assert lines[0] == "%YAML 1.1" and lines[1] == "%TAG !u! tag:unity3d.com,2011:", lines[:2]
    import re

    m = re.fullmatch(r"--- !u!(\d+) &(\d+)", lines[2])
    assert m, lines[2]
    body = [ln for ln in lines[3:] if ln.strip()]
    assert all(not ln.startswith("---") for ln in body), "one document expected"

    def indent(ln):
        return len(ln) - len(ln.lstrip(" "))

    def block(i, ind):
        if body[i].lstrip().startswith("- ") and indent(body[i]) == ind:
            items = []
            while i < len(body) and indent(body[i]) == ind and body[i].lstrip().startswith("- "):
                body[i] = " " * (ind + 2) + body[i].lstrip()[2:]  # the item's first key
                item, i = block(i, ind + 2)
                items.append(item)
            return items, i
        out = {}
        while i < len(body) and indent(body[i]) == ind and not body[i].lstrip().startswith("- "):
            key, sep, rest = body[i].strip().partition(":")
            assert sep, f"not a key: {body[i]!r}"
            assert key not in out, f"duplicate key {key}"
            i += 1
            if rest.strip():
                out[key] = _yaml_scalar(rest)
            elif i < len(body) and (indent(body[i]) > ind or
                                    (indent(body[i]) == ind and body[i].lstrip().startswith("- "))):
                out[key], i = block(i, indent(body[i]))
            else:
                out[key] = None
        return out, i

    doc, end = block(0, 0)
    assert end == len(body), f"unparsed line {end}: {body[end]!r}"
    return {"class": int(m.group(1)), "id": int(m.group(2)), "body": doc}


def parse_tres(text: str) -> dict:
    """A Godot 4 text-resource reader for Animation resources: the ``[gd_resource …]`` header
    attributes, then ``[resource]`` properties whose values are strings, numbers, booleans,
    ``NodePath("…")`` or ``PackedFloat32Array(…)`` (returned as NumPy float32)."""
    import re

    lines = [ln for ln in text.split("\n") if ln.strip()]
    head = re.fullmatch(r"\[gd_resource (.*)\]", lines[0])
    assert head, lines[0]
    attrs = dict(re.findall(r'(\w+)=("[^"]*"|\d+)', head.group(1)))
    assert lines[1] == "[resource]", lines[1]
    props = {}
    string = r'"((?:[^"\\]|\\.)*)"'
    for ln in lines[2:]:
        key, sep, value = ln.partition(" = ")
        assert sep and re.fullmatch(r"[\w/]+", key), ln
        assert key not in props, f"duplicate {key}"
        if m := re.fullmatch(string, value):
            props[key] = re.sub(r"\\(.)", r"\1", m.group(1))
        elif m := re.fullmatch(r"NodePath\(" + string + r"\)", value):
            props[key] = ("NodePath", re.sub(r"\\(.)", r"\1", m.group(1)))
        elif m := re.fullmatch(r"PackedFloat32Array\((.*)\)", value):
            props[key] = np.array([float(x) for x in m.group(1).split(",")] if m.group(1).strip() else [], np.float32)
        elif value in ("true", "false"):
            props[key] = value == "true"
        else:
            props[key] = float(value) if re.fullmatch(r"-?[\d.]+(e-?\d+)?", value) else value
            assert not isinstance(props[key], str), f"unknown value syntax: {ln!r}"
    return {"header": {k: v.strip('"') for k, v in attrs.items()}, "props": props}
