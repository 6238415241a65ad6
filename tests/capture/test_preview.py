"""PreviewWriter: a real capture of single_face.mp4 drawn, encoded and read back with PyAV."""

from __future__ import annotations

import av
import numpy as np
import pytest

from facemimic.capture.preview import PreviewWriter, render_preview
from facemimic.errors import OutputError, ParameterError, ShapeError
from facemimic.expressions.frame import ExpressionFrame

N = 15  # frames of single_face.mp4 used (0.5 s)


@pytest.fixture(scope="module")
def groups(samples):
    """(image, frames) for the first N frames of single_face.mp4, with landmarks."""
    from facemimic.capture.api import CaptureRun

    run = CaptureRun(samples / "single_face.mp4", keep_landmarks=True, duration=(N - 0.5) / 30)
    try:
        out = [(g.source_frame.image, list(g.frames)) for g in run]
    finally:
        run.close()
    assert len(out) == N and all(g[1][0].present and g[1][0].landmarks is not None for g in out)
    return out


def _decode(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        info = (s.codec_context.name, s.codec_context.width, s.codec_context.height,
                s.codec_context.pix_fmt, float(s.average_rate))
        images = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return info, images


def test_preview_video_reads_back(groups, tmp_path):
    path = tmp_path / "preview.mp4"
    with PreviewWriter(path, fps=30, size=(640, 360)) as pw:
        for image, frames in groups:
            pw.write(image, frames)
    (codec, w, h, pix, fps), images = _decode(path)
    assert (codec, w, h, pix) == ("h264", 640, 360, "yuv420p")
    assert fps == pytest.approx(30.0)
    assert len(images) == N
    assert not list(tmp_path.glob(".*.tmp"))

    # Pixels changed where the mesh contours are drawn, and stayed (nearly) the same far from the
    # face and the panel (H.264 noise aside).
    src, frames = groups[7]
    got = images[7].astype(np.int16)
    diff = np.abs(got - src.astype(np.int16)).sum(axis=2)
    lm = frames[0].landmarks
    from mediapipe.tasks.python.vision import FaceLandmarksConnections as C

    pts = []
    for c in C.FACE_LANDMARKS_FACE_OVAL:  # midpoints of the face-oval contour segments
        a, b = lm[c.start, :2], lm[c.end, :2]
        pts.append(((a + b) / 2) * (640, 360))
    pts = np.round(pts).astype(int)
    on_mesh = diff[pts[:, 1].clip(0, 359), pts[:, 0].clip(0, 639)]
    assert np.median(on_mesh) > 60
    corner = diff[200:280, 560:630]  # background right of the face, under no overlay
    assert np.median(corner) < 12
    # The bar panel (top-left) shows the frame's strongest shape: the bar is drawn in a colour.
    assert diff[10:150, 10:200].mean() > 30


def test_render_draws_every_face_and_no_face_label(groups):
    image, frames = groups[3]
    face = frames[0]
    blank = render_preview(image, [])
    gap = render_preview(image, [ExpressionFrame.gap(face.time, last=face)])
    one = render_preview(image, [face])
    # "no face" label in the centre when nothing is present (gap rows count as absent).
    centre = (slice(160, 200), slice(260, 380))
    assert np.abs(blank[centre].astype(int) - image[centre].astype(int)).mean() > 30
    np.testing.assert_array_equal(blank[:300], gap[:300])  # (the gap row adds only its time stamp)
    # A second face (shifted copy of the first) gets its own mesh.
    moved = face.replace(face_id=1, landmarks=face.landmarks + np.array([0.3, 0.0, 0.0], np.float32))
    two = render_preview(image, [face, moved])
    right = (slice(60, 300), slice(480, 640))
    assert np.abs(two[right].astype(int) - one[right].astype(int)).sum() > 0
    # Odd-sized input is scaled to the requested size.
    small = render_preview(image[:, :-1], [face], size=(320, 180))
    assert small.shape == (180, 320, 3)


def test_head_axes_follow_the_pose(groups):
    image, frames = groups[3]
    face = frames[0]
    a = render_preview(image, [face.replace(head_rotation=(0.0, 0.0, 0.0))])
    b = render_preview(image, [face.replace(head_rotation=(40.0, 0.0, 0.0))])
    nose = (face.landmarks[1, :2] * (640, 360)).astype(int)
    x0, y0 = nose
    box = (slice(y0 - 60, y0 + 60), slice(x0 - 120, x0 + 120))
    assert np.abs(a[box].astype(int) - b[box].astype(int)).sum() > 1000


def test_errors_leave_nothing_behind(groups, tmp_path):
    path = tmp_path / "p.mp4"
    with pytest.raises(RuntimeError):
        with PreviewWriter(path, fps=30, size=(640, 360)) as pw:
            pw.write(*groups[0])
            raise RuntimeError("capture failed half-way")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ShapeError):
        with PreviewWriter(path, fps=30, size=(640, 360)) as pw:
            pw.write(np.zeros((360, 640), np.uint8), [])
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError):
        PreviewWriter(tmp_path / "missing" / "p.mp4", fps=30, size=(640, 360))
    with pytest.raises(ParameterError):
        PreviewWriter(path, fps=0, size=(640, 360))
    with pytest.raises(ParameterError):
        PreviewWriter(path, fps=30, size=(640,))


def test_odd_size_is_rounded_to_even(groups, tmp_path):
    path = tmp_path / "odd.mp4"
    with PreviewWriter(path, fps=24, size=(321, 181)) as pw:
        for image, frames in groups[:3]:
            pw.write(image, frames)
    (codec, w, h, pix, fps), images = _decode(path)
    assert (w, h) == (322, 182) and len(images) == 3 and pix == "yuv420p"


def test_group_shot_panels_leave_every_face_visible(samples, group_track):
    """With five faces the panels go along the bottom: no face is hidden under a dark backdrop."""
    import cv2

    rgb = cv2.cvtColor(cv2.imread(str(samples / "multi_face.jpg")), cv2.COLOR_BGR2RGB)
    faces = [f for f in group_track if f.present]
    assert len(faces) == 5
    out = render_preview(rgb, faces)
    h, w = rgb.shape[:2]
    before, after = rgb.astype(np.float32).mean(axis=2), out.astype(np.float32).mean(axis=2)
    for f in faces:
        x0, y0 = (f.landmarks[:, :2].min(axis=0) * (w, h)).astype(int)
        x1, y1 = (f.landmarks[:, :2].max(axis=0) * (w, h)).astype(int)
        mx, my = (x1 - x0) // 5, (y1 - y0) // 5  # the inner face, away from the drawn outline
        inner = (slice(y0 + my, y1 - my), slice(x0 + mx, x1 - mx))
        darkened = np.mean(after[inner] < 0.6 * before[inner])
        assert darkened < 0.1, (f.face_id, darkened)  # a panel backdrop would darken most of it
    # Each face still gets its panel: "face N" titles for all five appear in the bottom strip.
    bottom = np.abs(out[int(h * 0.6):].astype(int) - rgb[int(h * 0.6):].astype(int)).sum(axis=2) > 60
    assert bottom.mean() > 0.15
