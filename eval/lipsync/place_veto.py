"""Session 10 (issue #16 §3): veto weakly-scored recognised P/B/M whose place cues say "not lips".

    python eval/lipsync/place_veto.py              # tuning sets only: out-of-fold grid and the rule's pick
    python eval/lipsync/place_veto.py --held-out   # ... then the held-out sets, once, every setting

The error analysis (``closure_errors.py`` on the real tuning recordings) found 34 of 37 false
closures to be the phone loop's own P/B/M kept by the candidate classifier at low scores, 25 of
them at an alveolar or dental place (N, T/D, TH/DH). :mod:`place_cues` (this folder) measures
the nasal murmur's balance (750–1250 against 1450–2200 Hz: /m/ high) and the release burst's
centroid (labial: low); their difference in standard units, ``z = murmur - burst``, scored AUC
0.66 (real) and 0.70 (synthetic English) among the kept recognised P/B/M under 0.5 (out-of-fold).
A recognised P/B/M the classifier keeps (score >= ``rec_level``) is dropped when its score is under
``S`` and ``z < C``; the classifier (session 8 recipe) and its levels are unchanged.
The selection rule is in ``RULE`` (/work/notes/s10/rv3-rule.md, written before any held-out set was scored).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import closure_classifier as ccl  # noqa: E402
import real_closure_score as rcs  # noqa: E402
import real_combine as rc  # noqa: E402

ENGLISH_TUNE = ("mfa", "extra", "mbrola-tune", "espeak-tune")
S_LEVELS = (0.3, 0.4, 0.5, 0.6)
C_LEVELS = (-2.0, -1.5, -1.0, -0.5, 0.0)
GRID = [None] + list(itertools.product(S_LEVELS, C_LEVELS))
HELD_OUT = ("real", "sonnet", "mbrola", "espeak")
N_PLACE = 4  # the place cues ride at the end of each candidate's feature list (ccl.PLACE_CUES)
RULE = "see /work/notes/s10/rv3-rule.md"


def network_features(feats) -> np.ndarray:
    """The session-8 classifier's features only, (..., F - N_PLACE): the place cues are the veto's,
    not the network's."""
    return np.asarray(feats)[..., :-N_PLACE]


def out_of_fold(cands: dict) -> np.ndarray:
    """(n,) the classifier's out-of-fold score of every English tuning candidate, in
    ``ccl.design``'s order (a model per fold, trained on the other folds)."""
    x, y, w, f = ccl.design(cands, ccl.TUNE)
    x = network_features(x)
    oof = np.zeros(len(y))
    for k in range(ccl.FOLDS):
        model = ccl.fitter(x[f != k], y[f != k], w[f != k])
        oof[f == k] = model(x[f == k])
    return oof


def z_stats(cands: dict) -> tuple[np.ndarray, np.ndarray]:
    """Mean and s.d. of the murmur balance and burst centroid over the English tuning candidates."""
    c = np.array([f[-N_PLACE:][:2] for n in ENGLISH_TUNE for f, _, _ in cands[n][1]])
    return c.mean(0), c.std(0)


def vetoing(score_of, levels: tuple[float, float], veto, mu, sd):
    """Keep candidate ``c`` as the classifier does at ``levels``, but drop a kept recognised P/B/M
    scored under ``veto[0]`` whose place score ``z`` is under ``veto[1]`` (``veto`` None: no veto)."""
    rec, ins = levels

    def keep(c):
        s = score_of(c)
        if c[0] != "rec":
            return s >= ins
        if s < rec:
            return False
        if veto is None or s >= veto[0]:
            return True
        m, b = (np.asarray(c[4][-N_PLACE:][:2]) - mu) / sd
        return bool(m - b >= veto[1])
    return keep


def tuning_grid(sets, cands, oof_score, mu, sd, label=""):
    """The veto grid on the tuning sets (out-of-fold scores): every setting's real-tune, MBROLA and
    espeak-ng tuning scores, and the pick by :data:`RULE` (None if no setting qualifies)."""
    levels = (0.1, 0.5)  # shipped (session 8's rule)
    base, ok = None, []
    for veto in GRID:
        keep = vetoing(oof_score, levels, veto, mu, sd)
        r = {"real-tune": ccl.pooled(sets, cands, ccl.REAL_TUNE, keep)}
        for n in ("mbrola-tune", "espeak-tune"):
            r[n] = rcs.scored(sets[n], cands[n][0], keep)
        if veto is None:
            base = r
        good = admissible(r, base)
        print(label, "veto", veto, " | ".join(f"{n} {v[0]:.1f}/{v[1]:.1f} {v[2]:.1f}" for n, v in r.items()),
              "admissible" if good and veto else "", flush=True)
        if good and veto:
            ok.append((round(r["real-tune"][1], 6), -veto[0], -veto[1], veto))
    pick = max(ok)[3] if ok else None
    gain = None
    if pick:
        gain = ccl.pooled(sets, cands, ccl.REAL_TUNE, vetoing(oof_score, levels, pick, mu, sd))[1] - base["real-tune"][1]
    print(label, "picked on the tuning sets:", pick, f"({len(ok)} of {len(GRID) - 1} admissible)",
          f"real-tune precision gain {gain:.1f}" if gain is not None else "", flush=True)
    return pick


def admissible(r: dict, base: dict) -> bool:
    """Session 10's rule (``RULE_S10``) or, with ``--rule s11``, session 11's: real-tune precision
    rises with no real-tune closure lost (macro >= no veto - 1) and no MBROLA or espeak-ng tuning
    closure lost."""
    if RULE_S11:
        return (r["real-tune"][1] > base["real-tune"][1] and r["real-tune"][0] >= base["real-tune"][0]
                and r["real-tune"][2] >= base["real-tune"][2] - 1
                and all(r[n][0] >= base[n][0] for n in ("mbrola-tune", "espeak-tune")))
    return (r["real-tune"][0] >= base["real-tune"][0] and r["real-tune"][2] >= base["real-tune"][2] - 1
            and r["mbrola-tune"][0] >= 90 and r["espeak-tune"][0] >= base["espeak-tune"][0] - 0.5)


RULE_S11 = False


def main(argv=None) -> int:
    import place_cues as pc

    argv = sys.argv[1:] if argv is None else argv
    held_out = "--held-out" in argv
    global RULE_S11
    RULE_S11 = "s11" in argv[argv.index("--rule") + 1:argv.index("--rule") + 2] if "--rule" in argv else False
    modes = argv[argv.index("--cues") + 1].split(",") if "--cues" in argv else ["span"]
    for a in argv:  # --search=S: closure_extent's search margin
        if a.startswith("--search="):
            pc.CLOSURE_SEARCH = float(a.split("=")[1])
    print(f"rule {'s11' if RULE_S11 else 's10'}; cue readings {modes}; closure search ±{pc.CLOSURE_SEARCH * 1000:.0f} ms",
          flush=True)
    ccl.PA_CANDIDATES, ccl.PLACE_CUES = True, True
    names = ccl.TUNE + (HELD_OUT if held_out else ())
    sets = {n: rc.load(n) for n in names}
    by_mode = {}
    for mode in modes:
        pc.CUE_SPAN = mode
        by_mode[mode] = {n: ccl.collect(d) for n, d in sets.items()}
    cands = by_mode[modes[0]]
    oof = out_of_fold(cands)
    picks = {}
    for mode in modes:
        cm = by_mode[mode]
        mu, sd = z_stats(cm)
        print(f"[{mode}] place z: murmur mean {mu[0]:.3f} sd {sd[0]:.3f}, burst mean {mu[1]:.3f} sd {sd[1]:.3f}",
              flush=True)
        score, i = {}, 0
        for n in ccl.TUNE:  # candidates come in the same order whatever the cue reading
            for feats, _, _ in cm[n][1]:
                score[id(feats)] = oof[i]
                i += 1
        picks[mode] = (tuning_grid(sets, cm, lambda c, s=score: s[id(c[4])], mu, sd, f"[{mode}]"), mu, sd)
    if held_out:
        from facemimic.lipsync.closure_candidates import load_weights, scores

        wts = load_weights()
        shipped_levels = (float(wts["rec_level"]), float(wts["ins_level"]))
        shipped_score = lambda c: float(scores(network_features(c[4])[None], wts)[0])  # noqa: E731
        for mode in modes:
            pick, mu, sd = picks[mode]
            for n in HELD_OUT:
                line = [f"[{mode}] held out {n}"]
                for veto in GRID:
                    r = rcs.scored(sets[n], by_mode[mode][n][0], vetoing(shipped_score, shipped_levels, veto, mu, sd))
                    line.append(f"{veto}{' PICK' if veto == pick else ''} {r[0]:.1f}/{r[1]:.1f} {r[2]:.1f}")
                print(" | ".join(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
