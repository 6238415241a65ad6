"""Throughput of the full ``facemimic.track`` pipeline against a bare MediaPipe loop.

Target: the full pipeline (PyAV decode on a background thread, VIDEO-mode inference, solve, face
ids, light smoothing) reaches >= 0.9x the frame rate of a bare ``detect_for_video`` loop over the
same frames already decoded in memory, and >= 60 fps for one face.

The clip is WolfgangLanger_Pexels.mp4 transcoded here with PyAV to 854x480 H.264 (472 frames).
Runs alternate (bare, full, bare, full, ...) so that load from other processes hits both alike;
the best run of each is reported with the median alongside.

    python benchmarks/capture_throughput.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path


def transcode_480p(src: Path, dst: Path) -> int:
    """Re-encode ``src`` to 854x480 H.264 (letterboxing is not needed: 16:9 -> 16:9)."""
    import av

    n = 0
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        ins = inp.streams.video[0]
        rate = ins.average_rate or Fraction(24000, 1001)
        s = out.add_stream("libx264", rate=rate)
        s.width, s.height, s.pix_fmt = 854, 480, "yuv420p"
        s.options = {"crf": "20", "preset": "veryfast"}
        for frame in inp.decode(ins):
            vf = frame.reformat(width=854, height=480, format="yuv420p")
            vf.pts = n
            vf.time_base = 1 / rate
            for p in s.encode(vf):
                out.mux(p)
            n += 1
        for p in s.encode(None):
            out.mux(p)
    return n


def decode_all(path: Path) -> tuple[list, list[float]]:
    import av
    import numpy as np

    frames, times = [], []
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            frames.append(np.ascontiguousarray(f.to_ndarray(format="rgb24")))  # rows may be padded
            times.append(float(f.time))
    return frames, times


def bare_loop(model: Path, frames, times) -> float:
    """Frames per second of FaceLandmarker alone (VIDEO mode, 1 face, blendshapes + matrix)."""
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    from facemimic.capture.landmarker import quiet_native_stderr

    opts = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)), running_mode=vision.RunningMode.VIDEO,
        num_faces=1, output_face_blendshapes=True, output_facial_transformation_matrixes=True)
    with quiet_native_stderr():
        lm = vision.FaceLandmarker.create_from_options(opts)
    t0, c0 = time.perf_counter(), time.process_time()
    found = 0
    for img, t in zip(frames, times):
        r = lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=img), int(round(t * 1000)))
        found += bool(r.face_landmarks)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    lm.close()
    assert found > 0.9 * len(frames), found
    return len(frames) / dt, 1000 * cpu / len(frames)


def full_pipeline(path: Path) -> tuple[float, float, int]:
    """Frames per second and CPU ms per frame of ``facemimic.track`` from the file (decode included)."""
    from facemimic.capture.api import track

    t0, c0 = time.perf_counter(), time.process_time()
    tr = track(path)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    return len(tr) / dt, 1000 * cpu / len(tr), int(tr.present.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from facemimic.capture.model import resolve_model
    from facemimic.samples import sample_path

    model = resolve_model()
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "wolfgang_480p.mp4"
        n = transcode_480p(sample_path("WolfgangLanger_Pexels.mp4"), clip)
        frames, times = decode_all(clip)
        print(f"clip: {clip.name}, {n} frames, 854x480; cpu cores: {os.cpu_count()}, "
              f"load average at start: {os.getloadavg()[0]:.2f}")
        bare, full, bare_cpu, full_cpu = [], [], [], []
        full_pipeline(clip)  # warm-up: imports, first graph
        for _ in range(args.repeats):
            fps, cpu = bare_loop(model, frames, times)
            bare.append(fps)
            bare_cpu.append(cpu)
            fps, cpu, present = full_pipeline(clip)
            full.append(fps)
            full_cpu.append(cpu)
        print(f"bare detect_for_video loop (frames in memory): best {max(bare):6.1f} fps, "
              f"median {statistics.median(bare):6.1f} fps  runs {[round(v, 1) for v in bare]}; "
              f"CPU {min(bare_cpu):.1f} ms/frame")
        print(f"full track() pipeline (decode+solve+smooth): best {max(full):6.1f} fps, "
              f"median {statistics.median(full):6.1f} fps  runs {[round(v, 1) for v in full]}; "
              f"CPU {min(full_cpu):.1f} ms/frame (faces in {present}/{n} frames)")
        print(f"CPU time ratio bare/full: {min(bare_cpu) / min(full_cpu):.3f} "
              f"(the pipeline's extra CPU: {min(full_cpu) - min(bare_cpu):.1f} ms/frame; "
              f"decode runs on a second thread)")
        ratio_best = max(full) / max(bare)
        ratio_med = statistics.median(full) / statistics.median(bare)
        print(f"ratio full/bare: best {ratio_best:.3f}, median {ratio_med:.3f}  (target >= 0.9)")
        print(f"absolute: {max(full):.1f} fps (target >= 60 fps for one face); "
              f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
