"""The capture loop on real clips: tracking loss and recovery, explicit gaps, blinks, options."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from facemimic.capture.api import CaptureRun, capture, track
from facemimic.capture.options import CaptureOptions
from facemimic.errors import NoFaceError, ParameterError, UnknownNameError


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    out, i, n = [], 0, len(mask)
    while i < n:
        if mask[i]:
            j = i
            while j + 1 < n and mask[j + 1]:
                j += 1
            out.append((i, j))
            i = j + 1
        else:
            i += 1
    return out


def test_no_face_clip_is_all_gaps(samples):
    tr = track(samples / "no_face.mp4")
    assert len(tr) >= 90 and not tr.present.any()
    assert set(tr.face_id.tolist()) == {0}  # one face-0 gap row per frame
    assert np.isnan(tr.weights).all() and np.isnan(tr.head_rotation).all()
    assert (tr.confidence == 0).all()
    assert np.all(np.diff(tr.time) > 0)


def test_face_leaves_then_rows_become_gaps_with_held_eyes(face_noface_track):
    tr = face_noface_track
    assert len(tr) == 169 and set(tr.face_id.tolist()) == {0}
    runs = _runs(tr.present)
    assert runs[0][0] == 0 and runs[0][1] >= 60  # the face is there from the start for 2.4 s
    lost = runs[0][1] + 1
    assert not tr.present[lost:lost + 80].any()  # ...then gone
    last = tr[lost - 1]
    gap = tr[lost + 5]
    # Eyes hold their last values; weights and head are NaN, never fake zeros.
    assert gap.gaze_left == pytest.approx(last.gaze_left) and gap.openness == pytest.approx(last.openness)
    assert np.isnan(gap.weights).all() and all(math.isnan(v) for v in gap.head_rotation)
    # Confidence halves every 0.2 s from the last seen value.
    dt = tr.time[lost + 5] - tr.time[lost - 1]
    assert gap.confidence == pytest.approx(last.confidence * 0.5 ** (dt / 0.2), rel=1e-4)
    assert np.all(np.diff(tr.confidence[lost:lost + 40]) <= 0)


def test_face_enters_and_tracking_resumes(noface_face_track):
    tr = noface_face_track
    p = tr.present
    assert not p[:80].any()  # nobody for the first ~3 s
    assert p[96:160].all()  # then tracked without a break
    # Before the face ever appears there is exactly one face-0 gap row per frame.
    assert (tr.face_id == 0).all() and (tr.confidence[:80] == 0).all()
    f = tr[120]
    assert f.present and f.confidence == 1.0 and np.isfinite(f.weights).all()
    assert np.all(np.abs(tr.gaze[p]) <= 1.0)  # even at the frame edge


def test_blinks_match_the_ones_counted_by_eye(wolf_track):
    """WolfgangLanger_Pexels.mp4, counted frame by frame from PNG crops of the eyes:

    * frames 0-139: eyes shut (crying), open at 140-142;
    * blinks (lids down, then up again) at 153-154, 202, 248-249, 288-289, 386-388, and a
      laughing squeeze 427-431;
    * from ~440 to the end (471) the eyes stay shut (laughing).
    """
    closed = wolf_track.openness.min(axis=1) < 0.5
    events = _runs(closed)
    assert events[0][0] == 0 and 136 <= events[0][1] <= 142
    assert 436 <= events[-1][0] <= 442 and events[-1][1] == 471
    blinks = [e for e in events[1:-1]]
    by_eye = [153, 202, 248, 288, 386, 427]
    assert len(blinks) == len(by_eye), blinks
    for (start, end), frame in zip(blinks, by_eye):
        assert abs(start - frame) <= 2 and end - start <= 8, (start, end, frame)
    # Between blinks the eyes read open.
    assert wolf_track.openness[160:195].min() > 0.6


def test_raw_mode_keeps_more_brow_motion(samples):
    """``raw`` skips MediaPipe's VIDEO filter, which halves browInnerUp (tracking.md §1.4): a
    property of MediaPipe's scores, so measured on them (``units="mediapipe"``)."""
    kw = dict(duration=4.0, units="mediapipe")
    video = track(samples / "WolfgangLanger_Pexels.mp4", smoothing="off", **kw)
    raw = track(samples / "WolfgangLanger_Pexels.mp4", smoothing="raw", **kw)
    assert raw.metadata["capture"]["mode"] == "image" and video.metadata["capture"]["mode"] == "video"
    # Skip the first half second, where VIDEO mode is still settling from its first detection.
    b_video = video.channel("BrowInnerUpLeft")[12:]
    b_raw = raw.channel("BrowInnerUpLeft")[12:]
    assert np.std(b_raw) > 1.3 * np.std(b_video), (np.std(b_raw), np.std(b_video))


def test_duration_and_streaming_capture(samples):
    frames = list(capture(samples / "WolfgangLanger_Pexels.mp4", duration=1.0))
    assert 23 <= len(frames) <= 25 and frames[-1].time < 1.0
    assert all(a.time < b.time for a, b in zip(frames, frames[1:]))
    tr = track(samples / "WolfgangLanger_Pexels.mp4", duration=1.0)
    assert tr.fps == pytest.approx(24000 / 1001)
    assert tr.metadata["source_kind"] == "video" and tr.metadata["capture"]["smoothing"] == "light"


def test_capture_is_lazy(samples):
    it = capture(samples / "WolfgangLanger_Pexels.mp4")
    first = next(it)
    assert first.time == 0.0 and first.present
    t0 = time.perf_counter()
    it.close()  # stops the decoding thread and releases the landmarker
    assert time.perf_counter() - t0 < 1.0


def test_numpy_clip_with_gap(smile_rgb):
    blank = np.full_like(smile_rgb, 90)
    tr = track([smile_rgb, smile_rgb, blank, smile_rgb], image_fps=10)
    assert tr.present.tolist() == [True, True, False, True]
    assert tr.time.tolist() == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert tr.fps == 10.0


@pytest.fixture(scope="module")
def two_people(samples):
    """(both, one): two real faces side by side, and the same with the right-hand one gone."""
    import cv2

    a = cv2.cvtColor(cv2.imread(str(samples / "single_face.jpg")), cv2.COLOR_BGR2RGB)
    b = cv2.cvtColor(cv2.imread(str(samples / "0-f15-hao-ph.jpg")), cv2.COLOR_BGR2RGB)
    b = cv2.resize(b, (a.shape[0] * b.shape[1] // b.shape[0], a.shape[0]))
    both = np.ascontiguousarray(np.hstack([a, b]))
    one = both.copy()
    one[:, a.shape[1]:] = 90
    return both, one


def test_multi_face_stream_keeps_ids_and_gap_rows(two_people):
    """Two faces side by side, then one of them leaves: its id gets gap rows, the other's id
    stays the same, and the same person coming back within 2 s gets the old id back."""
    both, one = two_people
    frames = [both] * 3 + [one] * 3 + [both] * 2
    tr = track(frames, max_faces=2, image_fps=10)
    assert set(tr.face_id.tolist()) == {0, 1}
    assert len(tr) == 2 * len(frames)  # one row per known id per frame
    by_id = {fid: tr.for_face(fid) for fid in (0, 1)}
    x = {fid: np.nanmean(t.head_position[:, 0]) for fid, t in by_id.items()}
    right = max(x, key=x.get)
    assert by_id[right].present.tolist() == [True] * 3 + [False] * 3 + [True] * 2
    assert by_id[1 - right].present.all()


def test_a_face_gone_longer_than_retire_after_gets_a_new_id(two_people):
    both, one = two_people
    # At 1 frame/s the right-hand person is away for 4 s > retire_after (2 s).
    tr = track([both] * 2 + [one] * 5 + [both], max_faces=2, image_fps=1)
    rows_per_frame = np.unique(tr.time, return_counts=True)[1].tolist()
    # Last seen at t=1: gap rows at t=2 and 3 (<= 2 s), retired from t=4 on (no rows).
    assert rows_per_frame == [2, 2, 2, 2, 1, 1, 1, 2]
    last_ids = set(tr.face_id[tr.time == tr.time[-1]].tolist())
    assert len(last_ids) == 2 and 2 in last_ids  # back after 6 s: a new id, never a reused one


def test_single_image_without_a_face_raises(samples):
    with pytest.raises(NoFaceError, match="free-mountain-vector-01.jpg: no face found"):
        track(samples / "free-mountain-vector-01.jpg")


def test_bad_options_are_one_line_errors(samples):
    with pytest.raises(UnknownNameError, match="unknown smoothing 'ligth'.*did you mean light"):
        track(samples / "single_face.jpg", smoothing="ligth")
    with pytest.raises(UnknownNameError, match="unknown capture option 'max_face'.*max_faces"):
        track(samples / "single_face.jpg", max_face=2)
    for bad in (dict(max_faces=0), dict(max_faces=2.5), dict(duration=-1), dict(camera_size=(5, 5)),
                dict(gaze_iris_weight=1.5), dict(max_side=64), dict(keep_landmarks="yes")):
        with pytest.raises(ParameterError):
            CaptureOptions(**bad)
    o = CaptureOptions.from_kwargs(max_faces=3, duration=None)
    assert o.max_faces == 3 and o.duration is None


def test_capture_run_reports_progress_numbers(samples):
    run = CaptureRun(samples / "single_face.mp4", duration=1.0)
    assert run.frame_count == 31
    groups = list(run)
    st = run.stats
    assert st.frames == len(groups) == 30 and st.frames_with_face == 30 and st.face_ids == {0}
    assert st.fps > 0 and st.face_ratio == 1.0


def test_track_metadata_records_the_frame_size_the_landmarks_refer_to(samples, tmp_path):
    """The geometry of docs/units.md needs the landmarks' pixel aspect: capture records it."""
    import av
    from PIL import Image

    from facemimic.capture.api import track

    photo = samples / "single_face.jpg"
    assert track(photo).metadata["capture"]["frame_size"] == list(Image.open(photo).size)
    video = samples / "WolfgangLanger_Pexels.mp4"
    with av.open(str(video)) as c:
        s = c.streams.video[0]
        size = [s.codec_context.width, s.codec_context.height]
    assert track(video, duration=0.2).metadata["capture"]["frame_size"] == size
    # A folder of photos of different sizes has no one frame size.
    folder = tmp_path / "mixed"
    folder.mkdir()
    im = Image.open(photo).convert("RGB")
    im.save(folder / "a.jpg")
    im.resize((im.width // 2, im.height // 2)).save(folder / "b.jpg")
    assert track(folder).metadata["capture"]["frame_size"] is None
