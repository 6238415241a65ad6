"""Benchmark: export a 60 s, 60 fps track onto an avatar with 52 morph targets, per format.

Target (issue #3 §2): the glTF export takes <= 1 s. Prints wall times (best of N runs) and the
ratio to a baseline measured in the same process: saving the same (3600, 52) float32 weight matrix
with ``np.save`` (the bare cost of writing the numbers).

    python benchmarks/deliver_export.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from facemimic.deliver.export import ExportOptions, get_exporter
from facemimic.deliver.export.testhead import build_test_head
from facemimic.expressions import ExpressionTrack
from facemimic.expressions.names import ARKIT_NAMES


def make_track(seconds: float = 60.0, fps: float = 60.0, seed: int = 0) -> ExpressionTrack:
    """Smooth random expression curves (sums of slow sines), blinks and a 1 s tracking gap."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fps)
    t = np.arange(n) / fps
    freq = rng.uniform(0.1, 2.0, (3, 88))
    phase = rng.uniform(0, 2 * np.pi, (3, 88))
    w = np.clip(sum(np.sin(t[:, None] * f * 2 * np.pi + p) for f, p in zip(freq, phase)) / 3, 0, 1)
    openness = np.ones((n, 2))
    openness[(t % 4.0) < 0.15] = 0.0  # a blink every 4 s
    present = np.ones(n, bool)
    present[int(30 * fps): int(31 * fps)] = False
    w[~present] = np.nan
    return ExpressionTrack.from_arrays({"weights": w.astype(np.float32), "openness": openness,
                                        "present": present}, fps=fps)


def avatar_52(folder: Path) -> Path:
    """The test head's ARKit mesh alone: one node, 52 morph targets."""
    doc = build_test_head()
    doc.json["nodes"] = [doc.json["nodes"][0]]
    doc.json["meshes"] = [doc.json["meshes"][0]]
    doc.json["scenes"] = [{"nodes": [0]}]
    return doc.save(folder / "avatar52.glb")


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    track = make_track()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        avatar = avatar_52(folder)
        opts = ExportOptions(avatar=avatar)
        weights = np.random.default_rng(1).random((len(track), len(ARKIT_NAMES)), dtype=np.float32)
        base = best(lambda: np.save(folder / "baseline.npy", weights), args.repeat)
        print(f"track: {len(track)} frames ({track.duration:.0f} s at {track.fps:g} fps), avatar: 52 targets")
        print(f"baseline np.save of the (3600, 52) weights: {base * 1000:.1f} ms")
        print(f"{'format':8} {'time (s)':>9} {'x baseline':>11} {'size (MB)':>10}")
        for name in ("gltf", "vrma", "godot", "unity", "vrm"):
            ex = get_exporter(name)
            out = folder / f"clip{ex.extension}"
            # VRMA drives VRM expressions (12 presets + 52 ARKit customs here); VRM writes one expression.
            o = {"vrma": ExportOptions(perfect_sync=True),
                 "vrm": ExportOptions(expressions=(("peak", 10.0),))}.get(name, opts)
            sec = best(lambda: ex.export(track, out, o), args.repeat)
            print(f"{name:8} {sec:9.3f} {sec / base:11.0f} {out.stat().st_size / 1e6:10.2f}")
        gltf_time = best(lambda: get_exporter("gltf").export(track, folder / "c.glb", opts), args.repeat)
        print(f"glTF target <= 1 s: {'PASS' if gltf_time <= 1.0 else 'FAIL'} ({gltf_time:.3f} s)")


if __name__ == "__main__":
    main()
