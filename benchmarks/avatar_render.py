"""Avatar rendering speed: frames per second at 256/512/1024, against two baselines.

Run: ``python benchmarks/avatar_render.py [--frames 300]``

* **ours**: :meth:`AvatarRenderer.render` (rig -> primitives -> OpenCV anti-aliased raster, reused buffer);
  also split into the drawing step (rig + primitives) and the raster step.
* **naive raster**: the same primitives, but every shape drawn into its own full-frame layer and
  alpha-blended over the whole frame (what a straightforward compositor does).
* **SVG**: the same primitives serialised as an SVG document (the browser path; no pixels yet).
* **MP4**: render + H.264 encode at 512² (what ``facemimic avatar render`` does per frame).

Numbers are from one process on a shared machine: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from facemimic.animate.avatar import AvatarRenderer, Clip, build_drawing, rasterize, to_svg  # noqa: E402
from facemimic.animate.avatar.raster import _background, _draw, _draw_clip  # noqa: E402
from facemimic.expressions.frame import ExpressionFrame  # noqa: E402
from facemimic.expressions.names import UE_NAMES  # noqa: E402


def animation(n: int) -> list[ExpressionFrame]:
    """A varied performance: talking, smiling, blinking, looking around, head moving."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        t = i / 30
        w = np.zeros(len(UE_NAMES), np.float32)
        w[rng.choice(len(UE_NAMES), 12, replace=False)] = rng.uniform(0, 0.6, 12)
        w[UE_NAMES.index("JawOpen")] = 0.5 + 0.5 * np.sin(t * 9)
        w[UE_NAMES.index("MouthCornerPullLeft")] = w[UE_NAMES.index("MouthCornerPullRight")] = 0.5 + 0.5 * np.sin(t)
        blink = 0.0 if (i % 90) < 4 else 1.0
        out.append(ExpressionFrame(time=t, weights=w, openness_left=blink, openness_right=blink,
                                   gaze_left=(0.4 * np.sin(t), 0.2 * np.cos(t)),
                                   gaze_right=(0.4 * np.sin(t), 0.2 * np.cos(t)),
                                   head_rotation=(20 * np.sin(t * 0.7), 8 * np.sin(t * 1.1), 10 * np.sin(t * 0.5))))
    return out


def naive_rasterize(drawing) -> np.ndarray:
    """Baseline: each primitive on its own full-size layer, blended over the whole frame."""
    img = _background(drawing.width, drawing.height, *drawing.background).astype(np.float32)
    for item in drawing.items:
        layer = img.astype(np.uint8)
        if isinstance(item, Clip):
            _draw_clip(layer, item)
        else:
            _draw(layer, item)
        mask = np.any(layer != img.astype(np.uint8), axis=-1, keepdims=True).astype(np.float32)
        img = img * (1 - mask) + layer.astype(np.float32) * mask
    return img.astype(np.uint8)


def rate(fn, items) -> float:
    """Frames per second of *CPU time* used by this process (the machine is shared, so wall-clock
    time mostly measures the other users); the wall-clock rate is printed separately."""
    t0 = time.process_time()
    for x in items:
        fn(x)
    return len(items) / max(time.process_time() - t0, 1e-9)


def wall_rate(fn, items) -> float:
    t0 = time.perf_counter()
    for x in items:
        fn(x)
    return len(items) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=240)
    args = ap.parse_args()
    import cv2

    cv2.setNumThreads(1)  # one core: numbers don't depend on how many cores happen to be free
    frames = animation(args.frames)
    print(f"avatar render benchmark: {args.frames} frames, preset 'neko' (hair, cat ears, anime eyes), "
          f"one core, fps = frames / CPU seconds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print(f"{'size':>6} {'ours fps':>9} {'draw fps':>9} {'raster fps':>11} {'naive fps':>10} {'svg fps':>8} "
          f"{'ours/naive':>11} {'ours wall fps':>14}")
    for size in (256, 512, 1024):
        r = AvatarRenderer("neko", size=size)
        r.render(frames[0], reuse=True)  # warm caches
        ours = rate(lambda f: r.render(f, reuse=True), frames)
        drawings = [build_drawing(r.rig(f), r.style, size=size) for f in frames]
        draw = rate(lambda f: build_drawing(r.rig(f), r.style, size=size), frames)
        buf = None

        def raster(d):
            nonlocal buf
            buf = rasterize(d, out=buf)

        rast = rate(raster, drawings)
        naive_n = max(20, len(frames) // 6)
        naive = rate(naive_rasterize, drawings[:naive_n])
        svg = rate(to_svg, drawings)
        wall = wall_rate(lambda f: r.render(f, reuse=True), frames[:60])
        print(f"{size:>6} {ours:9.1f} {draw:9.1f} {rast:11.1f} {naive:10.1f} {svg:8.1f} {ours / naive:10.1f}x "
              f"{wall:14.1f}")
    from facemimic.animate.video import VideoWriter

    r = AvatarRenderer("neko", size=512)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        c0 = time.process_time()
        with VideoWriter(os.path.join(tmp, "b.mp4"), width=512, height=512, fps=30) as v:
            for f in frames:
                v.write(r.render(f, reuse=True))
        mp4 = len(frames) / (time.perf_counter() - t0)
        mp4_cpu = len(frames) / (time.process_time() - c0)
    print(f"\nrender + H.264 encode at 512²: {mp4_cpu:.1f} fps per CPU second (x264 may use several "
          f"threads), {mp4:.1f} fps wall-clock")
    print(f"primitives per frame: {len(drawings[0].items)} items")


if __name__ == "__main__":
    main()
