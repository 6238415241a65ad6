"""The portrait animator in the unit (issue #11): re-tracked landmarks move by w x full extent."""

from __future__ import annotations

import numpy as np
import pytest

from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions, timeline
from facemimic.expressions import geometry
from portrait_retracked import retracked_with_photo
from facemimic.expressions.frame import ExpressionFrame as F


def _measures(anim, images):
    photo, got, size, rest = retracked_with_photo(anim, images)
    # The photo and its renders are one person (docs/units.md: a sequence's IPD is measured once,
    # over its frames), as test_portrait_calibration measures them: a render's own
    # iris distance reads a few per cent wider as the jaw drops, which read its chin 10-20 % short
    # (single_face, JawOpen probe 0.4: 0.233 of the unit at its own IPD, 0.280 at the photo's).
    lm = np.stack([np.asarray(photo.landmarks, np.float64)] + [np.asarray(g.landmarks, np.float64) for g in got])
    m = geometry.measure(lm, size, rest)
    return type(m)(**{k: v[1:] for k, v in m.as_dict().items()}, rest_kind=m.rest_kind)


@pytest.fixture(scope="module")
def closed_mouth(samples):
    return PortraitAnimator(str(samples / "15-f13-anc-ph.jpg"), PortraitOptions(size=384))


@pytest.mark.parametrize("w", [0.2, 0.4])
def test_jaw_open_moves_the_retracked_chin_by_the_unit(closed_mouth, w):
    """JawOpen w drops the re-tracked chin (nose dorsum 195 -> chin 152) by w x 0.75 IPD +-20 %,
    and the lips part with it (the lip gap follows the jaw drop)."""
    m = _measures(closed_mouth, [closed_mouth.render(F.from_shapes({"JawOpen": w}))])
    want = w * geometry.CHANNELS["JawOpen"].full_extent
    assert abs(float(m.jaw_drop[0]) / want - 1) <= 0.2, (float(m.jaw_drop[0]), want)
    assert float(m.lip_gap[0]) > 0.5 * want


def test_uncalibrated_landmark_motion_is_the_unit(samples):
    """Before any rendering, the model's own landmark motion measures w x full extent exactly:
    the templates are sized on the photo's landmarks (model.unit_gains)."""
    from facemimic.animate.portrait.model import drive_vector, measure_motion

    a = PortraitAnimator(str(samples / "single_face.jpg"), PortraitOptions(size=384, calibrate=False))
    from facemimic.animate.portrait.source import find_faces

    face = find_faces(a.image, "t")[0]  # the photo at output size, with depth
    pts = face.landmarks
    rest = geometry.rest_face(pts, (1.0, 1.0))
    for ch, w in (("MouthCornerPullLeft", 0.5), ("BrowInnerUpRight", 0.5), ("BrowLowererLeft", 0.4)):
        motion = a.model.displacement(drive_vector(F.from_shapes({ch: w}).weights, (1, 1)))
        m = measure_motion(pts, motion[None], rest)
        c = geometry.CHANNELS[ch]
        got = float(getattr(m, c.measure)[0][c.side])
        assert abs(got / (w * c.full_extent) - 1) <= 0.1, (ch, got)


def _said_on_portrait(photo, text: str, size: int):
    """``text`` spoken by the built-in voice, lip-synced at 30 fps and rendered on ``photo`` with the
    closed loop -> (frames, re-tracked lip gap per frame in IPD, index of each /p b m/'s middle frame)."""
    from facemimic.lipsync.api import LipSyncOptions, from_phones
    from facemimic.voice import say

    sp = say(text)
    track = from_phones(list(sp.phones), sp.duration, options=LipSyncOptions(fps=30)).track(fps=30)
    anim = PortraitAnimator(str(photo), PortraitOptions(size=size, refine=True))
    frames = timeline(track, fps=30)
    gap = np.asarray(_measures(anim, [anim.render(f).copy() for f in frames]).lip_gap)
    times = np.array([f.time for f in frames])
    mids = []
    for p in sp.phones:
        k = np.flatnonzero((times >= p.start) & (times < p.end))
        if p.name in ("P", "B", "M") and len(k):
            mids.append(int(k[len(k) // 2]))
    return frames, gap, mids


def test_said_bilabials_close_the_lips_even_on_a_toothy_photo(samples):
    """Every /p b m/ of the built-in voice closes the re-tracked lips (<= 0.03 IPD) on a photo whose
    own lips are parted 0.2 IPD, and speech never gapes past a real surprised gape (0.33)."""
    from facemimic.expressions.mouth import implied_lip_gap

    frames, gap, mids = _said_on_portrait(samples / "single_face.jpg", "Maybe my brother Bob paid for the map.", 384)
    # the closures lip sync asks for (a /b/ it blends into a neighbouring vowel is not one)
    mids = [i for i in mids if implied_lip_gap(frames[i].weights) <= 0.03]
    assert len(mids) >= 8
    assert np.all(gap[mids] <= 0.03), gap[mids]
    assert np.nanmax(gap) <= 0.35 and np.nanpercentile(gap, 95) <= 0.30


def test_neutral_rest_relaxes_a_smiling_photo(samples):
    """rest="neutral": all-zero weights take the photo's own smile off (the corners come down and
    in), while rest="source" keeps the photo exactly."""
    path = str(samples / "0-f15-hao-ph.jpg")
    src = PortraitAnimator(path, PortraitOptions(size=384, calibrate=False))
    assert np.array_equal(src.render(F.neutral()), src.image)
    neu = PortraitAnimator(path, PortraitOptions(size=384, calibrate=False, rest="neutral"))
    m = _measures(neu, [neu.render(F.neutral())])
    assert float(np.mean(m.smile_pull[0])) < -0.05


def test_jaw_open_moves_the_chin_by_the_unit_on_a_toothy_photo(samples):
    """On a photo whose lips are parted (0.2 IPD, the seal closes them from below as the jaw
    opens), JawOpen w still drops the re-tracked chin by w x 0.75 IPD +-20 % (judged on the mean of
    chin and lip gap the calibration left it at 0.67-0.80)."""
    w = 0.3
    anim = PortraitAnimator(str(samples / "single_face.jpg"), PortraitOptions(size=512))
    m = _measures(anim, [anim.render(F.from_shapes({"JawOpen": w}))])
    want = w * geometry.CHANNELS["JawOpen"].full_extent
    assert abs(float(m.jaw_drop[0]) / want - 1) <= 0.2, (float(m.jaw_drop[0]), want)


def test_jaw_curve_never_extrapolates_far_past_its_probes(samples):
    """The jaw's calibrated curve asks at most JAW_EXTRAPOLATION x its largest (rising) probe's
    amount, even on a gaping photo whose chin reading collapses past the probes (0-f1-su)."""
    from facemimic.animate.portrait.calibrate import JAW_EXTRAPOLATION

    for name in ("0-f1-su-ph.jpg", "15-f13-anc-ph.jpg"):
        anim = PortraitAnimator(str(samples / name), PortraitOptions(size=384))
        rep = anim.stats.calibration["jaw"]
        resp = np.asarray(rep["response"])
        rising = np.concatenate([[True], resp[1:] > np.maximum.accumulate(resp)[:-1]])
        last = len(resp) if rising.all() else int(np.argmin(rising))
        largest = np.asarray(rep["amounts"])[:max(last, 2)].max()
        assert max(rep["curve"]) <= JAW_EXTRAPOLATION * largest + 1e-3, (name, rep)


def test_frown_lowers_the_corners_of_a_narrow_mouth(closed_mouth):
    """MouthFrown 0.3 on 15-f13-anc (a mouth 0.75 IPD wide) drops each re-tracked corner, measured
    from the lips' middle, by 0.3 x 0.1 IPD +-20 % (the middle of the lips stays: it used to drop
    with the corners and the frown read 0)."""
    m = _measures(closed_mouth, [closed_mouth.render(F.from_shapes({"MouthFrownLeft": 0.3, "MouthFrownRight": 0.3}))])
    expected = 0.3 * geometry.CHANNELS["MouthFrownLeft"].full_extent
    assert np.all(np.abs(m.corner_down[0] / expected - 1.0) <= 0.2), m.corner_down[0]


def test_the_mouth_narrows_by_the_pucker_not_the_funnel(closed_mouth):
    """The mouth's narrowing is LipPucker's measure (0.30 IPD at 1.0); LipFunnel's is the lips
    forward (docs/units.md). LipPucker 0.6 narrows the re-tracked mouth by 0.18 IPD +-20 %;
    LipFunnel 0.5 alone by at most 0.05 (fed into the pucker too, it narrowed 0.13 on this face
    and "AO" read 0.36 IPD narrower on single_face.jpg for the unit's 0.06)."""
    quads = [f"{q}{s}" for q in ("Upper", "Lower") for s in ("Left", "Right")]
    m = _measures(closed_mouth, [closed_mouth.render(F.from_shapes({f"LipPucker{q}": 0.6 for q in quads})),
                                 closed_mouth.render(F.from_shapes({f"LipFunnel{q}": 0.5 for q in quads}))])
    assert abs(float(m.mouth_narrowing[0]) / (0.6 * 0.30) - 1) <= 0.2, m.mouth_narrowing
    assert float(m.mouth_narrowing[1]) <= 0.05, m.mouth_narrowing


def test_closed_loop_holding_the_lips_keeps_the_chin_down(samples):
    """JawOpen 0.3 with MouthClosed 0.1 (lips asked 0.15 IPD apart, the chin 0.225 IPD down), the
    closed loop holding the lips: the re-tracked chin drops >= 0.65 of the unit on average over a
    toothy and a smiling photo. MouthClosed brings both lips together (model.LIPS_CLOSE_UPPER);
    raising the lower lip alone towards the chin dragged MediaPipe's chin up with it (0.37 / 0.54
    of the unit, mean 0.46; with the upper lip's share 0.4: 0.61 / 0.86; reenactment jaw 0.71 -> 0.83)."""
    want = 0.3 * geometry.CHANNELS["JawOpen"].full_extent
    got = []
    for photo in ("single_face.jpg", "0-f15-hao-ph.jpg"):
        anim = PortraitAnimator(str(samples / photo), PortraitOptions(size=512, refine=True))
        frame = F.from_shapes({"JawOpen": 0.3, "MouthClosed": 0.1})
        last = [anim.render(frame).copy() for _ in range(6)][-1]  # the loop settles on a held frame
        m = _measures(anim, [last])
        assert abs(float(m.lip_gap[0]) - 0.15) <= 0.05, (photo, float(m.lip_gap[0]))
        got.append(float(m.jaw_drop[0]) / want)
    assert np.mean(got) >= 0.65, got


def test_said_sentences_on_a_gaping_photo_look_like_speech(samples):
    """0-f1-su-ph.jpg's own mouth gapes 0.31 IPD (surprised) and the tracker reads its parted lips
    ~0.2 IPD farther apart than drawn: under --say (several sentences) its re-tracked lips still
    open by the unit's speech (p95 <= 0.30 IPD), meet on every /p b m/, and are not held shut
    through the vowels (refine.LIPS_BIAS_FREE, LIPS_SHOWN)."""
    from facemimic.expressions.mouth import implied_lip_gap

    text = ("Hello, I will be back soon with many photos. Maybe my brother Bob paid for the map. "
            "We were happy to see you at the party.")
    frames, gap, mids = _said_on_portrait(samples / "0-f1-su-ph.jpg", text, 512)
    assert len(mids) >= 12
    assert np.all(gap[mids] <= 0.03), gap[mids]
    assert np.nanpercentile(gap, 95) <= 0.30, np.nanpercentile(gap, 95)
    # never wider than the sitter's own gape (issue #11 measured this photo's at 0.33 IPD; re-tracked
    # 0.31-0.32 here. The first three frames read 0.36-0.43 before the loop started from the lips'
    # probed response; now the widest frames are vowels drawn 0.04-0.05 apart, which the tracker
    # reads anywhere in 0.19-0.32 from frame to frame)
    assert np.nanmax(gap) <= 0.33, (np.nanmax(gap), int(np.nanargmax(gap)))
    asked = np.array([implied_lip_gap(f.weights) for f in frames])
    open_ = asked >= 0.1
    assert np.mean(gap[open_] < 0.05) <= 0.1  # lips asked open re-track open
    assert np.median(gap[open_]) >= 0.1


def test_a_gaping_photo_opens_no_wider_than_its_own_gape_from_the_first_frame(samples):
    """0-f1-su-ph.jpg gapes 0.32 IPD (the sitter's own widest opening) and the tracker reads its
    parted lips 0.1-0.2 IPD farther apart than drawn (the precondition, >= 0.09 on the probes past
    the first: 0.099 at the 0.05 probe since the sealed corners rise with the lips). Calibration
    probes the lips' response (drawn vs re-tracked gap, calibrate.LIPS_PROBE_GAPS, kept with the
    calibration), so the closed loop knows it before the first frame: the first frames of a
    sentence, and of a held open vowel after a reset, re-track open but no wider than the photo
    (before: 0.43 / 0.35 / 0.36 and 0.46 / 0.39), and neutral frames still reproduce the photo exactly (nothing moves its lips: no ceiling)."""
    from facemimic.lipsync.api import LipSyncOptions, from_phones
    from facemimic.voice import say

    anim = PortraitAnimator(str(samples / "0-f1-su-ph.jpg"), PortraitOptions(size=512, refine=True))
    probe = anim.stats.calibration["lips"]
    assert len(probe["drawn"]) >= 3 and np.nanmin(np.subtract(probe["read"], probe["drawn"])[1:]) >= 0.09, probe
    sp = say("Hello, I will be back soon.")
    track = from_phones(list(sp.phones), sp.duration, options=LipSyncOptions(fps=30)).track(fps=30)
    images = [anim.render(f).copy() for f in timeline(track, fps=30)[:3]]
    anim.reset()
    images += [anim.render(F.from_shapes({"JawOpen": 0.35})).copy() for _ in range(3)]
    gap = np.asarray(_measures(anim, images).lip_gap)
    assert np.all(gap <= anim.model.photo_gap), (gap, anim.model.photo_gap)
    assert np.all(gap >= 0.15), gap  # asked open (0.26-0.28 IPD): not held shut
    anim.reset()
    for _ in range(3):
        assert np.array_equal(anim.render(F.neutral()), anim.image)


@pytest.mark.parametrize("photo", ["single_face.jpg", "0-f15-hao-ph.jpg"])
def test_a_sentence_opening_mid_vowel_does_not_gape_on_its_first_frames(samples, photo):
    """A toothy smile's lips (single_face 0.20, 0-f15-hao 0.23 IPD apart) driven by a sentence
    that opens mid-vowel ("Hello ...": JawOpen 0.33 on its first frame): the first frame is
    trialled until the loop's lips correction settles (refine.FIRST_TRIALS), so the first three
    frames re-track no wider than a real talking face's most open frame (0.32 IPD in
    WolfgangLanger_Pexels.mp4, issue #11). With one trial they read 0.40 / 0.37 / 0.34."""
    from facemimic.lipsync.api import LipSyncOptions, from_phones
    from facemimic.voice import say

    anim = PortraitAnimator(str(samples / photo), PortraitOptions(size=512, refine=True))
    sp = say("Hello, I will be back soon.")
    track = from_phones(list(sp.phones), sp.duration, options=LipSyncOptions(fps=30)).track(fps=30)
    frames = timeline(track, fps=30)[:3]
    assert frames[0].weight("JawOpen") >= 0.25  # the sentence opens mid-vowel
    gap = np.asarray(_measures(anim, [anim.render(f).copy() for f in frames]).lip_gap)
    assert np.all(gap <= 0.32), gap
    assert np.all(gap >= 0.12), gap  # asked open: not held shut


@pytest.mark.parametrize("photo", ["0-f1-su-ph.jpg", "0-f15-hao-ph.jpg"])
def test_a_sealed_closure_retracks_shut_with_a_margin(samples, photo):
    """A /p b m/ as lip sync asks it (JawOpen = MouthClosed 0.04, MouthPress 0.35), open loop, on
    a gaping (0-f1-su, 0.31 IPD) and a toothy smiling photo re-tracks at most 0.015 IPD apart,
    half the bilabial bound. The seal meets the lips between them (model.SEAL_UPPER): raised by the
    lower lip alone to su's arched upper lip, the closure re-tracked 0.021 IPD however far it was
    pressed, and the closed loop's /p b m/ sat at 0.008-0.031 against the 0.03 bound."""
    anim = PortraitAnimator(str(samples / photo), PortraitOptions(size=512, refine=False))
    closure = F.from_shapes({"JawOpen": 0.04, "MouthClosed": 0.04, "MouthPressRight": 0.35, "MouthPressLeft": 0.35})
    gap = float(_measures(anim, [anim.render(closure)]).lip_gap[0])
    assert gap <= 0.015, (photo, gap)
