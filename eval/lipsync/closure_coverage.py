"""How the frame-level evidence covers the closures the shipped path misses (issue #16 §3, session 15).

    FACEMIMIC_COMBINE_CACHE=... python eval/lipsync/closure_coverage.py mfa extra real sonnet fresh
    FACEMIMIC_COMBINE_CACHE=... python eval/lipsync/closure_coverage.py --probs OTHER_CACHE_DIR mfa ...

For every true P/B/M the shipped no-transcript path misses (:func:`closure_errors.analyse`) on the
recorded sets, print the closure detector's peak (3-frame smoothed P/B + M, as
``closure_candidates.candidate_spans`` reads it) and the frame-shape classifier's peak P(A) within
±40 ms of it, with what the loop heard. Then, per detector level ``insert_at``, how many detector runs
(>= 3 frames, under a consonant, no recognised P/B/M within 40 ms) become candidates, how many lie on a
true closure, and how many of the missed closures gain one. Tuning sets only: the held-out sets are
scored once. ``--probs DIR``: the same misses (of the shipped path on the cache), with the detector
probabilities of DIR's copy of the sets (``en_detector.py``: another detector, out-of-fold on the real
tuning sets).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import closure_errors as ce  # noqa: E402
import real_combine as rc  # noqa: E402

LEVELS = (0.5, 0.4, 0.3, 0.2, 0.1)


def _segment_at(segments, t: float):
    for phones, prob, off, _ in segments:
        if off <= t < off + len(prob) / 100:
            return phones, prob, off
    return None


def smoothed(prob: np.ndarray) -> np.ndarray:
    """The detector's P(closure) as candidate_spans smooths it, (T,)."""
    return np.convolve(prob[:, 1] + prob[:, 2], np.ones(3) / 3, mode="same")


def missed_evidence(data: dict, missed: list) -> list[tuple]:
    """Per missed closure: (recording, start, end, loop phones, detector peak, P(A) peak, or None)."""
    from facemimic.lipsync.bilabial import log_mel
    from facemimic.lipsync.frame_classes import shape_log_probs

    audio_of = {it[0]: (it[3], it[4]) for it in data["items"]}
    out = []
    for _n, id_, s, e, _tr, rp, _near in missed:
        seg = _segment_at(data["segments"][id_], 0.5 * (s + e))
        if seg is None:
            out.append((id_, s, e, rp, None, None))
            continue
        phones, prob, off = seg
        a, b = max(int((s - 0.04 - off) * 100), 0), min(int(np.ceil((e + 0.04 - off) * 100)), len(prob))
        audio, sr = audio_of[id_]
        pcm = rc.segment_audio(audio, sr, off, len(prob))
        mel = log_mel(pcm)
        pa = np.exp(shape_log_probs(pcm, mel=mel)[:, 0])
        pa = np.convolve(pa, np.ones(3) / 3, mode="same")
        out.append((id_, s, e, rp, float(smoothed(prob)[a:b].max()), float(pa[a:b].max()) if b > a else 0.0))
    return out


def insertion_counts(data: dict, missed: list, level: float) -> tuple[int, int, int]:
    """Detector runs that become "ins" candidates at ``level``: (all, on a true closure ±40 ms,
    missed closures they cover)."""
    from facemimic.lipsync.bilabial import BILABIALS
    from facemimic.lipsync.closure_candidates import candidate_spans

    n_all = n_true = 0
    covered = set()
    truth_of = {it[0]: it[2] for it in data["items"]}
    for id_, segs in data["segments"].items():
        spans = [(q.start - 0.04, q.end + 0.04) for q in truth_of[id_] if q.name in BILABIALS]
        mine = [(s, e) for _n, i, s, e, *_ in missed if i == id_]
        for phones, prob, off, _ in segs:
            for c in candidate_spans(phones, prob, offset=off, insert_at=level):
                if c.kind != "ins":
                    continue
                n_all += 1
                n_true += any(c.start < hi and c.end > lo for lo, hi in spans)
                for s, e in mine:
                    if c.start < e + 0.04 and c.end > s - 0.04:
                        covered.add((id_, s))
    return n_all, n_true, len(covered)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    other = None
    if "--probs" in argv:  # the misses of the shipped path, the evidence of another detector's cache
        i = argv.index("--probs")
        other, argv = Path(argv[i + 1]), argv[:i] + argv[i + 2:]
    names = argv or ["mfa", "extra", "real", "sonnet", "fresh"]
    all_ev, per_set = [], {}
    for name in names:
        data = rc.load(name)
        _rows, missed = ce.analyse(data, name, out=lambda *a, **k: None)
        no_cand = [m for m in missed if not m[6]]
        if other is not None:
            import pickle

            with open(other / f"{name}.pkl", "rb") as f:
                data = pickle.load(f)
        ev = missed_evidence(data, missed)
        per_set[name] = (data, missed)
        print(f"## {name}: {len(missed)} missed, {len(no_cand)} without any candidate", flush=True)
        for m, (id_, s, e, rp, det, pa) in zip(missed, ev):
            tag = "NO-CAND" if not m[6] else "cand   "
            print(f"  {tag} {id_} {s:.2f}-{e:.2f} truth {' '.join(m[4])} | rec {' '.join(rp)} | "
                  f"detector peak {det if det is None else round(det, 3)} P(A) peak {pa if pa is None else round(pa, 3)}")
            all_ev.append((not m[6], det, pa))
    nc = [(d, p) for n, d, p in all_ev if n and d is not None]
    print(f"no-candidate misses: {len(nc)}; detector peak >= 0.5/0.3/0.2/0.1: "
          + "/".join(str(sum(d >= lv for d, _ in nc)) for lv in (0.5, 0.3, 0.2, 0.1))
          + f"; P(A) peak >= 0.5/0.3/0.2: " + "/".join(str(sum(p >= lv for _, p in nc)) for lv in (0.5, 0.3, 0.2)))
    print("insertion candidates per detector level (all / on a true closure / missed closures covered):")
    for lv in LEVELS:
        tot = np.zeros(3, int)
        for name, (data, missed) in per_set.items():
            tot += insertion_counts(data, missed, lv)
        print(f"  insert_at {lv}: {tot[0]} / {tot[1]} / {tot[2]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
