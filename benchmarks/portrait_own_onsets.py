"""Real neutral faces animated into the expression each person posed, judged beside the real thing (#12).

Every CK+ sequence starts at the sitter's neutral face and ends at the expression they posed (the
EmoPy wheel keeps both: ``judges_media``). So for each labelled CK+ apex whose sequence's neutral
first frame is there, the onset photo is animated into that label as a user would
(``facemimic animate ONSET --expression LABEL --crop face``, the options of
``portrait_judges.py``), and the same outside judges read

* the **real apex**, framed as the animator frames the onset (the same face crop and size: CK+'s
  camera and head stay put through a sequence), and
* the **animated apex hold** (mean probability over the hold's frames, as ``portrait_judges.py``).

So the animator is judged on faces it never saw, from a neutral start (a user's plain selfie, not
a smiling photo), against the same person's own expression: per judge, how often the posed label
is the top one on the real apexes and on the animated ones, and their ratio (issue #12's target
asks >= 0.8). Identity (dlib): the animated apex against the real apex of the same person and
against the onset it was made from, beside how far the real apex lies from the onset.

A contact sheet per run (onset, real apex, animated apex, with the judges' labels) is written to
``OUT/own-onsets.jpg``; the numbers to ``OUT/own-onsets.json``. The CK+ frames are research-use
only: they stay in the cache and in OUT, never in the repository.

    python benchmarks/portrait_own_onsets.py -o /tmp/own-onsets [--judges facex] [--emotions angry]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from facemimic.animate.portrait.animator import PortraitOptions  # noqa: E402
from judges_media import _emopy_dir, _sequence, posed_photos  # noqa: E402
from portrait_judges import (ALL_JUDGES, DEVELOPMENT_JUDGE, JUDGE_INFO, JUDGES, RATIO_TARGET, animate,  # noqa: E402
                             apex_index, distance, driving_weights, hold_indices, judge, mean_scores, top)

SIZE = 256  # portrait_judges.animate's --size
FACE_SCALE = PortraitOptions.face_scale  # the --crop face square's side / face-oval width


def onset_of(photo: Path) -> Path | None:
    """The neutral first frame of the CK+ sequence ``photo`` ends (None outside CK+ or without it)."""
    found = sorted(_emopy_dir().glob(f"sample_image_series_directory/*/{_sequence(photo)}/*_00000001.png"))
    return found[0] if found else None


def framed_like_the_animator(photo: Path, onset: Path) -> np.ndarray:
    """``photo`` (RGB) cropped and scaled as ``animate ONSET --crop face --size SIZE`` frames ``onset``
    (the square :class:`~facemimic.animate.portrait.animator.PortraitAnimator` cuts around the onset's
    face, applied to ``photo``: a CK+ sequence is filmed from one place)."""
    from facemimic.animate.portrait.source import choose_face, face_square, find_faces, load_image

    image, name = load_image(str(onset))
    x0, y0, s = face_square(choose_face(find_faces(image, name), None, name), image.shape[:2], FACE_SCALE)
    rgb = cv2.cvtColor(cv2.imread(str(photo), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    crop = rgb[y0:y0 + s, x0:x0 + s]
    interp = cv2.INTER_AREA if SIZE < s else cv2.INTER_CUBIC
    return cv2.resize(crop, (SIZE, SIZE), interpolation=interp)


def cases(emotions: list[str] | None) -> list[tuple[object, Path]]:
    """(posed CK+ photo, its sequence's onset) for every labelled sequence that has its onset: one a
    sequence (EmoPy keeps two apex frames of some; the later one, CK+'s peak, is the real apex)."""
    last: dict[str, object] = {}
    for p in posed_photos():
        if not p.path.name.startswith("S") or (emotions and p.label not in emotions):
            continue
        seq = _sequence(p.path)
        if seq not in last or p.path.name > last[seq].path.name:
            last[seq] = p
    out = []
    for seq, p in last.items():
        onset = onset_of(p.path)
        if onset is not None:
            out.append((p, onset))
    return out


def sheet(rows: list[dict], judges: tuple[str, ...], path: Path) -> None:
    """One line per case: onset, real apex, animated apex, each with the judges' top labels."""
    tag = {"fer": "fer", "pyemotion": "pe", "facex": "fx"}
    lines = []
    for r in rows:
        cells = []
        for title, img, said in (("onset", r["_onset"], None), (f"real {r['label']}", r["_real"], r["real"]),
                                 (f"animated {r['label']}", r["_anim"], r["animated"])):
            band = np.full((16 + 14 * len(judges), SIZE, 3), 255, np.uint8)
            cv2.putText(band, title, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
            for k, j in enumerate(judges if said else ()):
                ok = said[j] == r["label"]
                cv2.putText(band, f"{tag[j]} {said[j]}", (4, 27 + 14 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.38,
                            (0, 120, 0) if ok else (170, 0, 0), 1, cv2.LINE_AA)
            cells += [np.vstack([img, band]), np.full((SIZE + band.shape[0], 4, 3), 255, np.uint8)]
        lines.append(np.hstack(cells[:-1]))
        lines.append(np.full((4, lines[-1].shape[1], 3), 255, np.uint8))
    cv2.imwrite(str(path), cv2.cvtColor(np.vstack(lines[:-1]), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out", type=Path, default=Path("own-onsets"), help="output folder")
    ap.add_argument("--judges", nargs="+", choices=ALL_JUDGES,
                    help=f"only these judges' verdicts (during development: {DEVELOPMENT_JUDGE} alone)")
    ap.add_argument("--emotions", nargs="*", help="only the posed photos with these labels")
    args = ap.parse_args()
    judges = tuple(args.judges) if args.judges else JUDGES
    args.out.mkdir(parents=True, exist_ok=True)

    todo = cases(args.emotions)
    print(f"{len(todo)} CK+ sequences with their neutral onset and posed apex; judges: "
          + "; ".join(JUDGE_INFO[j] for j in judges))
    rows, paths = [], []
    for photo, onset in todo:
        seq = _sequence(photo.path)
        folder = args.out / seq
        folder.mkdir(exist_ok=True)
        frames = animate(onset, photo.label, ["--crop", "face"], folder)
        weights = driving_weights(photo.label, len(frames))
        apex = apex_index(frames, weights)
        hold = hold_indices(weights, apex)
        real = framed_like_the_animator(photo.path, onset)
        first = framed_like_the_animator(onset, onset)
        files = {"real": folder / "real.png", "onset": folder / "onset.png"}
        cv2.imwrite(str(files["real"]), cv2.cvtColor(real, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(files["onset"]), cv2.cvtColor(first, cv2.COLOR_RGB2BGR))
        held = []
        for k in hold:
            f = folder / f"hold{k:02d}.png"
            cv2.imwrite(str(f), cv2.cvtColor(frames[k], cv2.COLOR_RGB2BGR))
            held.append(f)
        rows.append({"sequence": seq, "label": photo.label, "photo": str(photo.path), "onset": str(onset),
                     "apex": apex, "hold": hold, "_files": files, "_held": held,
                     "_onset": first, "_real": real, "_anim": frames[apex]})
        paths += [files["real"], files["onset"], *held]
        print(f"  {seq} {photo.label}: {len(frames)} frames, apex {apex}, hold {hold[0]}-{hold[-1]}", flush=True)

    verdicts = dict(zip(paths, judge(paths)))
    for r in rows:
        vr, vo = verdicts[r["_files"]["real"]], verdicts[r["_files"]["onset"]]
        vh = [verdicts[f] for f in r["_held"]]
        r["real"] = {j: top(vr[j])[0] for j in judges}
        r["animated"] = {j: top(mean_scores([v[j] for v in vh]))[0] for j in judges}
        r["p_real"] = {j: (vr[j] or {}).get(r["label"], 0.0) for j in judges}
        r["p_animated"] = {j: (mean_scores([v[j] for v in vh]) or {}).get(r["label"], 0.0) for j in judges}
        apex_v = verdicts[r["_held"][r["hold"].index(r["apex"])]]
        r["identity"] = {"animated_to_real": distance(apex_v["descriptor"], vr["descriptor"]),
                         "animated_to_onset": distance(apex_v["descriptor"], vo["descriptor"]),
                         "real_to_onset": distance(vr["descriptor"], vo["descriptor"])}

    print()
    print("| sequence | posed | " + " | ".join(f"{j}: real / animated" for j in judges)
          + " | dlib: animated-real / animated-onset / real-onset |")
    print("|---|---|" + "---|" * (len(judges) + 1))
    for r in rows:
        cells = [" / ".join(f"**{s}**" if s == r["label"] else s for s in (r["real"][j], r["animated"][j]))
                 for j in judges]
        i = r["identity"]
        print(f"| {r['sequence']} | {r['label']} | " + " | ".join(cells)
              + f" | {i['animated_to_real']:.3f} / {i['animated_to_onset']:.3f} / {i['real_to_onset']:.3f} |")
    print()
    summary = {}
    labels = sorted({r["label"] for r in rows})
    for j in judges:
        real = sum(r["real"][j] == r["label"] for r in rows)
        anim = sum(r["animated"][j] == r["label"] for r in rows)
        per = {e: (sum(r["real"][j] == e for r in rows if r["label"] == e),
                   sum(r["animated"][j] == e for r in rows if r["label"] == e),
                   sum(r["label"] == e for r in rows)) for e in labels}
        ratio = anim / real if real else float("nan")
        summary[j] = {"real": real, "animated": anim, "n": len(rows), "ratio": ratio, "per_emotion": per,
                      "p_real": float(np.mean([r["p_real"][j] for r in rows])),
                      "p_animated": float(np.mean([r["p_animated"][j] for r in rows]))}
        print(f"{j}: posed label on {real}/{len(rows)} real apexes, {anim}/{len(rows)} animated: ratio {ratio:.2f} "
              f"({'meets' if ratio >= RATIO_TARGET else 'under'} {RATIO_TARGET}); mean p(label) real "
              f"{summary[j]['p_real']:.2f}, animated {summary[j]['p_animated']:.2f}; per emotion (real, animated, n): "
              + ", ".join(f"{e} {a}/{b}/{n}" for e, (a, b, n) in per.items()))
    ident = {k: [r["identity"][k] for r in rows] for k in ("animated_to_real", "animated_to_onset", "real_to_onset")}
    for k, v in ident.items():
        d = np.array(v, float)
        d = d[np.isfinite(d)]
        print(f"dlib {k.replace('_', ' ')}: mean {d.mean():.3f}, max {d.max():.3f} (n {len(d)})")
    sheet(rows, judges, args.out / "own-onsets.jpg")
    for r in rows:
        for k in [k for k in r if k.startswith("_")]:
            del r[k]
    (args.out / "own-onsets.json").write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
    print(f"wrote {args.out / 'own-onsets.jpg'} and {args.out / 'own-onsets.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
