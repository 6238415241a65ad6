"""What the shipped closure path gets wrong on a recorded set (issue #16 §3, session 10).

    FACEMIMIC_COMBINE_CACHE=... python eval/lipsync/closure_errors.py mfa extra

Replays each recording of the sets (``real_combine.record`` first) through the shipped English
path (``real_combine.shipped``: the closure-candidate classifier), and lists

* every **false closure** the output shows — an A-run (lips closed) with no true P/B/M within
  ±40 ms (``scoring.closure_scores``' rule): its time, the true phones under it (the set's
  alignment), the phones the loop recognised there, the candidate(s) that put it there (kind,
  classifier score, features), and its group (:func:`group`: what the truth has under it);
* every **missed closure** (a true P/B/M with no A/X within ±40 ms) and the candidates that lay
  near it with their scores.

Use on tuning sets only (mfa, extra, mbrola-tune, espeak-tune): the held-out sets are scored once.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import real_combine as rc  # noqa: E402

TOL = 0.04  # the scorer's ±4 frames


@dataclass
class Shown:
    """One candidate as the shipped path saw it (absolute times)."""

    kind: str
    start: float
    end: float
    name: str
    score: float
    under: str
    features: np.ndarray
    segment: int


def logged_shipped(log: list):
    """``real_combine.shipped`` that also appends every candidate it scores to ``log``."""
    from facemimic.lipsync import closure_candidates as cc
    from facemimic.lipsync.bilabial import log_mel
    from facemimic.lipsync.frame_classes import shape_log_probs

    seg = [0]

    def combine(phones, prob, offset, copt):
        pcm = rc.SEGMENT["pcm"]
        mel = log_mel(pcm)
        cands = cc.candidates(phones, prob, mel, shape_log_probs(pcm, mel=mel), offset=offset)
        if cands:
            s = cc.scores(np.stack([c.features for c in cands]))
            for c, v in zip(cands, s):
                log.append(Shown(c.kind, c.start, c.end, c.name, float(v), cc._under(phones, 0.5 * (c.start + c.end)),
                                 c.features, seg[0]))
        seg[0] += 1
        return rc.shipped(phones, prob, offset, copt)
    return combine


def truth_under(truth, t0: float, t1: float) -> list[str]:
    return [q.name for q in truth if q.end > t0 and q.start < t1]


def group(truth, t0: float, t1: float) -> str:
    """What a false closure at ``[t0, t1)`` really is, from the true phones under its middle 60 %."""
    from facemimic.phonetics.phones import SILENCE, VOWELS

    m0, m1 = t0 + 0.2 * (t1 - t0), t1 - 0.2 * (t1 - t0)
    under = [q for q in truth if q.end > m0 and q.start < m1]
    names = [q.name for q in under]
    # the phone covering most of the span decides
    best = max(under, key=lambda q: min(q.end, m1) - max(q.start, m0)).name if under else SILENCE
    if best in ("T", "D"):
        return "t/d stop"
    if best in ("K", "G"):
        return "k/g stop"
    if best in ("N", "NG"):
        return "n/ng nasal"
    if best in ("F", "V", "W"):
        return "w/f/v"
    if best in ("TH", "DH"):
        return "th/dh"
    if best in ("S", "Z", "SH", "ZH", "CH", "JH"):
        return "sibilant/affricate"
    if best in (SILENCE, "sp", "", "NOISE"):
        nxt = [q for q in truth if q.start >= m1 - 0.01]
        return "pause/breath" + (" (before speech)" if nxt and nxt[0].name not in (SILENCE,) else "")
    if best in VOWELS:
        return "vowel"
    if best in ("L", "R", "Y", "HH"):
        return "l/r/y/hh"
    return f"other ({'/'.join(names)})"


def analyse(data: dict, name: str = "", out=print):
    """Print the false and missed closures of a recorded set (``real_combine.load(name)`` or
    ``real_combine.recognise(items)``).

    Returns
    -------
    rows : list of tuple
        One per false closure: (name, recording, start, end, group, true phones, recognised phones,
        candidates behind it (:class:`Shown`)).
    missed : list of tuple
        One per missed closure: (name, recording, start, end, true phones, recognised phones,
        candidates within 100 ms).
    """
    from facemimic.lipsync.api import lipsync
    from facemimic.lipsync.bilabial import BILABIALS
    from facemimic.lipsync.closure_candidates import load_weights
    from facemimic.lipsync.scoring import _runs, cues_to_frames

    w = load_weights()
    kept = lambda c: c.score >= float(w["rec_level"] if c.kind == "rec" else w["ins_level"])  # noqa: E731
    rows, missed = [], []
    for id_, dur, truth, audio, sr in data["items"]:
        log: list[Shown] = []
        with rc.replayed(data["segments"][id_], logged_shipped(log), data.get("language")):
            r = lipsync(audio, sample_rate=sr, language=data.get("language"))
        pred = cues_to_frames(r.cues, dur)
        bil = [(q.start, q.end) for q in truth if q.name in BILABIALS]
        rec = [q for q in r.phones]
        for a, b in _runs(pred == "A"):
            t0, t1 = a / 100, b / 100
            if any(s - TOL < t1 and e + TOL > t0 for s, e in bil):
                continue
            src = [c for c in log if c.start < t1 + 0.01 and c.end > t0 - 0.01 and kept(c)]
            rows.append((name, id_, t0, t1, group(truth, t0, t1), truth_under(truth, t0 - 0.03, t1 + 0.03),
                         [q.name for q in rec if q.end > t0 - 0.03 and q.start < t1 + 0.03], src))
        closed = np.isin(pred, ["A", "X"])
        for s, e in bil:
            a, b = int(round(s * 100)), int(round(e * 100))
            if not closed[max(a - 4, 0):b + 4].any():
                near = [c for c in log if c.start < e + 0.1 and c.end > s - 0.1]
                missed.append((name, id_, s, e, truth_under(truth, s - 0.05, e + 0.05),
                               [q.name for q in rec if q.end > s - 0.05 and q.start < e + 0.05], near))
    out(f"## {name}: {len(rows)} false closures shown, {len(missed)} true closures missed")
    for n, id_, t0, t1, g, tr, rp, src in rows:
        kinds = ", ".join(f"{c.kind} {c.name} {c.start:.2f}-{c.end:.2f} s={c.score:.2f}" for c in src)
        out(f"FALSE {id_} {t0:.2f}-{t1:.2f} [{g}] truth {' '.join(tr)} | rec {' '.join(rp)} | {kinds}")
    for n, id_, s, e, tr, rp, near in missed:
        kinds = ", ".join(f"{c.kind} {c.name} {c.start:.2f}-{c.end:.2f} s={c.score:.2f}" for c in near) or "no candidate"
        out(f"MISSED {id_} {s:.2f}-{e:.2f} truth {' '.join(tr)} | rec {' '.join(rp)} | {kinds}")
    out("groups: " + ", ".join(f"{g} {k}" for g, k in Counter(r[4] for r in rows).most_common()))
    return rows, missed


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for name in argv or ("mfa", "extra"):
        analyse(rc.load(name), name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
