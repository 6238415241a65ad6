"""Live latency: frame in -> ExpressionFrame out, against MediaPipe's own inference time.

Frames of WolfgangLanger_Pexels.mp4 (640x360) are fed through ``facemimic.capture`` from a
generator paced like a camera (real time at the clip's 23.976 fps). Latency of a frame is the
time from the generator handing it over to ``capture`` yielding its ExpressionFrame (conversion,
VIDEO-mode inference, solve, face ids, light smoothing). The baseline is a bare
``detect_for_video`` loop over the same frames with the same pacing, measured in the same run.

Target: median latency <= median inference time + 3 ms.

    python benchmarks/capture_latency.py [--frames 240] [--unpaced]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def load_frames(n: int):
    import av
    import numpy as np

    from facemimic.samples import sample_path

    frames, times = [], []
    with av.open(str(sample_path("WolfgangLanger_Pexels.mp4"))) as c:
        for f in c.decode(video=0):
            frames.append(np.ascontiguousarray(f.to_ndarray(format="rgb24")))
            times.append(float(f.time))
            if len(frames) == n:
                break
    return frames, times


def paced(frames, times, stamps: dict, *, pace: bool):
    """Yield (time, frame) like a camera would, recording when each frame was handed over."""
    start = time.perf_counter()
    for img, t in zip(frames, times):
        if pace:
            delay = start + t - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        stamps[round(t, 6)] = time.perf_counter()
        yield t, img


def bare_inference_ms(frames, times, *, pace: bool) -> list[float]:
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    from facemimic.capture.landmarker import quiet_native_stderr
    from facemimic.capture.model import resolve_model

    opts = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(resolve_model())), running_mode=vision.RunningMode.VIDEO,
        num_faces=1, output_face_blendshapes=True, output_facial_transformation_matrixes=True)
    with quiet_native_stderr():
        lm = vision.FaceLandmarker.create_from_options(opts)
    out = []
    stamps: dict = {}
    for t, img in paced(frames, times, stamps, pace=pace):
        t0 = time.perf_counter()
        lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=img), int(round(t * 1000)))
        out.append(1000 * (time.perf_counter() - t0))
    lm.close()
    return out


def pipeline_latency_ms(frames, times, *, pace: bool) -> list[float]:
    from facemimic.capture.api import capture

    stamps: dict = {}
    out = []
    for f in capture(paced(frames, times, stamps, pace=pace)):
        out.append(1000 * (time.perf_counter() - stamps[round(f.time, 6)]))
    return out


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--unpaced", action="store_true", help="feed frames as fast as possible")
    args = ap.parse_args()
    pace = not args.unpaced
    frames, times = load_frames(args.frames)
    print(f"{len(frames)} frames 640x360, {'paced at 23.976 fps' if pace else 'unpaced'}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    pipeline_latency_ms(frames[:20], times[:20], pace=False)  # warm-up
    # Alternate twice so that background load hits both alike.
    inf, lat = [], []
    for _ in range(2):
        inf += bare_inference_ms(frames, times, pace=pace)[5:]  # skip the detector's first frames
        lat += pipeline_latency_ms(frames, times, pace=pace)[5:]
    mi, ml = statistics.median(inf), statistics.median(lat)
    print(f"bare inference  : median {mi:5.1f} ms  p90 {pct(inf, 0.9):5.1f} ms")
    print(f"frame -> frame  : median {ml:5.1f} ms  p90 {pct(lat, 0.9):5.1f} ms")
    print(f"overhead        : median {ml - mi:+5.2f} ms (target <= +3 ms); ratio {ml / mi:.3f}")


if __name__ == "__main__":
    main()
