"""Lip sync speaks the unit (issue #11): the mouth FaceMimic's speech asks for, turned back into
geometry, opens like a real face's and closes on every bilabial.

The real reference is measured here, from the landmarks of WolfgangLanger_Pexels.mp4 against her
own rest: her vocalising span 6.0-13.0 s (docs/lipsync.md, "Units"). FaceMimic's side is real
synthesised speech (the ``speech_items`` subset) through lip sync, with exact phones, with the
transcript and without it.
"""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.expressions import geometry as geo
from facemimic.expressions.mouth import LIPS_MEET_GAP, implied_mouth
from facemimic.expressions.names import N_UE, UE_INDEX
from facemimic.lipsync.speech_units import bilabial_phones, speech_mouth
from facemimic.lipsync.visemes import SHAPE_MOUTH, SHAPE_UE, _pose_vector

TALKING = (6.0, 13.0)  # s, WolfgangLanger's vocalising span (chosen by looking at the frames)
BAND = (0.8, 1.2)  # FaceMimic / real at the median and the 95th percentile


@pytest.fixture(scope="module")
def real(samples):
    import cv2

    from facemimic.capture.api import track

    path = samples / "WolfgangLanger_Pexels.mp4"
    tr = track(path, keep_landmarks=True, duration=TALKING[1])
    cap = cv2.VideoCapture(str(path))
    size = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    cap.release()
    lm = tr.landmarks.astype(np.float64)
    m = geo.measure(lm, size, rest=geo.estimate_rest(lm, size))
    talking = (tr.time >= TALKING[0]) & (tr.time < TALKING[1])
    assert talking.sum() > 150
    return {"measures": m, "gap": m.lip_gap[talking], "chin": m.jaw_drop[talking],
            "widest": float(np.nanmax(m.lip_gap))}


@pytest.fixture(scope="module")
def said(speech_items):
    """id -> LipSyncResult from the voice's exact phones (what ``facemimic say`` animates)."""
    from facemimic.lipsync.api import from_phones

    return {it.id: from_phones(list(it.phones), it.duration) for it in speech_items}


def _pooled(results) -> tuple[np.ndarray, np.ndarray]:
    mouths = [speech_mouth(r).mouth for r in results]
    return np.concatenate([m.lip_gap for m in mouths]), np.concatenate([m.jaw_drop for m in mouths])


def _ratios(fm: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    return float(np.median(fm) / np.median(ref)), float(np.percentile(fm, 95) / np.percentile(ref, 95))


def test_real_reference_is_a_talking_mouth(real):
    """The reference span is an open, moving mouth (not the crying with lips pressed)."""
    gap = real["gap"]
    assert 0.05 < np.median(gap) < np.percentile(gap, 95) <= real["widest"] < 0.35
    assert np.ptp(gap) > 0.1


def test_implied_lip_gap_matches_real_faces(real):
    """The relation used to read a lip gap off UE weights holds on the real frames: jaw (through
    JawOpen), upper and lower lip add up to the measured inner-lip gap."""
    m = real["measures"]
    w = np.zeros((len(m.lip_gap), N_UE))
    w[:, UE_INDEX["JawOpen"]] = geo.extent_to_weight("JawOpen", m.jaw_drop)
    for side, k in (("Left", 0), ("Right", 1)):
        w[:, UE_INDEX["MouthUpperUp" + side]] = geo.extent_to_weight("MouthUpperUp" + side, m.upper_lip_raise[:, k])
        w[:, UE_INDEX["MouthLowerDown" + side]] = geo.extent_to_weight("MouthLowerDown" + side,
                                                                      m.lower_lip_depress[:, k])
    implied = implied_mouth(w).lip_gap
    ok = np.isfinite(implied) & np.isfinite(m.lip_gap)
    assert np.abs(implied[ok] - m.lip_gap[ok]).mean() < 0.04
    assert np.corrcoef(implied[ok], m.lip_gap[ok])[0, 1] > 0.9


def test_shape_tables_imply_their_mouths():
    """Each shape's UE pose stands for the chin drop and lip gap its table names."""
    for shape, (chin, gap, _) in SHAPE_MOUTH.items():
        mouth = implied_mouth(_pose_vector(SHAPE_UE[shape]))
        assert float(mouth.jaw_drop) == pytest.approx(chin, abs=1e-3), shape
        assert float(mouth.lip_gap) == pytest.approx(gap, abs=1e-3), shape


@pytest.mark.parametrize("source", ["said", "aligned", "recognized"])
def test_speech_opens_like_real_speech(source, real, request):
    results = request.getfixturevalue(source).values()
    gap, chin = _pooled(results)
    lo, hi = BAND
    med, p95 = _ratios(gap, real["gap"])
    assert lo <= p95 <= hi, f"lip gap p95 {np.percentile(gap, 95):.3f} vs real {np.percentile(real['gap'], 95):.3f}"
    assert lo <= med <= hi, f"lip gap median {np.median(gap):.3f} vs real {np.median(real['gap']):.3f}"
    med, p95 = _ratios(chin, real["chin"])
    assert lo <= med <= hi and lo <= p95 <= hi, (med, p95)
    # never wider than the widest opening of the real face
    assert gap.max() <= real["widest"]


@pytest.mark.parametrize("source", ["said", "aligned", "recognized"])
@pytest.mark.parametrize("fps", [100, 60, 24])
def test_every_closure_closes_the_lips(source, fps, request):
    """Every frame inside every closure cue shows lips that meet, at any frame rate."""
    results = request.getfixturevalue(source)
    n = 0
    for res in results.values():
        sm = speech_mouth(res, fps=fps)
        assert np.all(sm.closure_gaps <= LIPS_MEET_GAP), sm.closure_gaps
        n += len(sm.closures)
    assert n >= 5  # the subset has 7 P/B/M


def test_every_bilabial_shows_closed_lips(said):
    """With the voice's exact phones every P/B/M gets lips that meet at its middle."""
    n = 0
    for res in said.values():
        tr = res.track(fps=100)
        gaps = implied_mouth(tr.weights).lip_gap
        for p in bilabial_phones(res.phones):
            assert gaps[int(round((p.start + p.end) * 50))] <= LIPS_MEET_GAP, p
            n += 1
    assert n == 7


@pytest.mark.parametrize("fps", [30, 60])
def test_aligned_bilabials_close_at_their_true_middle(aligned, speech_items, fps):
    """With the transcript, every P/B/M of the voice shows lips that meet at the voice's own
    phone middle, although the aligned closures sit ~20 ms before the voice's phone times (the
    closure is held around the aligned cue: visemes.closure_frames)."""
    n = 0
    for it in speech_items:
        tr = aligned[it.id].track(fps=fps)
        gaps = implied_mouth(tr.weights).lip_gap
        for p in bilabial_phones(it.phones):
            k = min(int(round((p.start + p.end) / 2 * fps)), len(gaps) - 1)
            assert gaps[k] <= LIPS_MEET_GAP, (it.id, p, float(gaps[k]))
            n += 1
    assert n == 7


def test_closure_hold_leaves_the_vowel_between_bilabials_open():
    """The held closure never swallows the vowel of "mom": its middle frame stays open."""
    from facemimic.lipsync.shapes import MouthCue
    from facemimic.lipsync.visemes import closure_frames

    cues = [MouthCue(0.0, 0.2, "X"), MouthCue(0.2, 0.25, "A"), MouthCue(0.25, 0.31, "D"),
            MouthCue(0.31, 0.36, "A"), MouthCue(0.36, 0.6, "X")]
    for fps in (24, 30, 60, 100):
        t = np.arange(int(0.6 * fps) + 1) / fps
        closed = closure_frames(cues, t)
        assert not closed[np.argmin(np.abs(t - 0.28))], fps
        assert closed[np.argmin(np.abs(t - 0.225))] and closed[np.argmin(np.abs(t - 0.335))]
    # a closure shorter than a frame still shows on two frames, held or not
    t = np.arange(25) / 24
    short = [MouthCue(0.0, 0.5, "D"), MouthCue(0.51, 0.52, "A"), MouthCue(0.52, 1.0, "D")]
    assert closure_frames(short, t, hold=0.0).sum() == 2
    assert closure_frames(short, t).sum() >= 2
