"""The lagged closed loop (ClosedLoop(lag=n)): each frame corrected from the re-track of the final
render n frames back, that re-track running on the loop's own thread."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from facemimic.animate.portrait import refine
from facemimic.animate.portrait.model import N_DRIVE
from facemimic.expressions.names import ue_index

_W = 32  # the stand-in image: (_W, _W, 3) uint8 holds a (93,) float32 drive


class _Plant:
    """Re-tracking stand-in: an image carries the drive it was rendered from (so a re-track on
    another thread reads what that image drew, whenever it runs); each loop slot reads ``gain`` x
    its drawn drive."""

    def __init__(self, gains: dict[str, float]):
        self.gains = gains
        self.calls = 0

    @staticmethod
    def render(drive: np.ndarray) -> np.ndarray:
        img = np.zeros((_W, _W, 3), np.uint8)
        raw = np.asarray(drive, np.float32).tobytes()
        img.reshape(-1)[:len(raw)] = np.frombuffer(raw, np.uint8)
        return img

    def faces(self, image):
        self.calls += 1
        drawn = np.frombuffer(np.ascontiguousarray(image).reshape(-1)[:4 * N_DRIVE].tobytes(), np.float32)
        return [SimpleNamespace(present=True, landmarks=np.full((478, 3), 0.5), drawn=drawn.copy())]

    def read(self, got, *_args) -> np.ndarray:
        return np.array([self.gains.get(ch, 1.0) * got.drawn[i] for i, ch in refine.LOOP], np.float32)


def _loop(plant, monkeypatch, lag: int):
    monkeypatch.setattr(refine, "readings", plant.read)
    monkeypatch.setattr(refine, "rest_of", lambda frame, size: (np.zeros((478, 3)), np.ones(2)))
    model = SimpleNamespace(rest=np.zeros(N_DRIVE, np.float32), photo_gap=0.0, lip_gap=lambda x, gap: 0.0)
    anim = SimpleNamespace(warp=SimpleNamespace(roi=(0, 0, _W, _W)), model=model,
                           points=np.full((478, 2), 2.0), image=np.zeros((_W, _W, 3), np.uint8),
                           drawn_gap=lambda drive: 1.0)  # lips drawn wide apart (OPEN_FLOOR idle)
    anim.image = plant.render(np.zeros(N_DRIVE, np.float32))  # the photo: the rest
    return refine.ClosedLoop(anim, tracker=plant, lag=lag)


def _run_lagged(loop, plant, drives) -> list[np.ndarray]:
    outs = []
    for d in drives:
        out = loop.correct_lagged(d)
        loop.observe(plant.render(out))
        outs.append(out)
    return outs


@pytest.mark.parametrize("lag", [1, 2])
def test_a_lagged_loop_converges_where_the_trial_render_loop_does(monkeypatch, lag):
    """An under-read smile (read 0.6 x drawn) held for 20 frames: lagged by one or two frames the
    loop ends at the same corrected drive as the trial-render loop (request / 0.6), within 1 %."""
    pull = ue_index("MouthCornerPullRight")
    d = np.zeros(N_DRIVE, np.float32)
    d[pull] = 0.3
    plant = _Plant({"MouthCornerPullRight": 0.6})
    direct = _loop(plant, monkeypatch, 0)
    for _ in range(20):
        want = direct.correct(d, plant.render)
    assert want[pull] == pytest.approx(0.3 / 0.6, rel=0.01)
    lagged = _loop(_Plant({"MouthCornerPullRight": 0.6}), monkeypatch, lag)
    got = _run_lagged(lagged, lagged.tracker, [d] * 20)
    lagged.close()
    assert got[-1][pull] == pytest.approx(want[pull], rel=0.01)
    assert got[0][pull] == pytest.approx(0.3)  # the first frame: nothing observed yet


def test_an_observation_from_before_a_jump_teaches_the_new_regime_nothing(monkeypatch):
    """Lag 2: the request jumps (a smile 0.1 -> 0.5) while a frame of the old regime is still
    being re-tracked; that frame's error (read 0.6 x drawn) must not be added to the new regime's
    correction (it started afresh at the jump): the jump frame and the next are drawn as asked,
    the one after that corrected by the jump frame's own reading."""
    pull = ue_index("MouthCornerPullRight")
    slot = refine._SLOT["MouthCornerPullRight"]
    small, big = np.zeros(N_DRIVE, np.float32), np.zeros(N_DRIVE, np.float32)
    small[pull], big[pull] = 0.1, 0.5
    plant = _Plant({"MouthCornerPullRight": 0.6})
    loop = _loop(plant, monkeypatch, 2)
    _run_lagged(loop, plant, [small] * 3)  # the old regime still converging: its errors are not 0
    assert loop.corr[slot] == pytest.approx(refine.GAIN * (0.1 - 0.6 * 0.1))  # learned from its first frame
    out = _run_lagged(loop, plant, [big] * 3)
    loop.close()
    assert out[0][pull] == pytest.approx(0.5, abs=1e-6)  # the jump: afresh
    assert out[1][pull] == pytest.approx(0.5, abs=1e-6)  # the frame before the jump observed: stale
    assert out[2][pull] == pytest.approx(0.5 + refine.GAIN * (0.5 - 0.6 * 0.5), abs=1e-5)


def test_reset_waits_for_the_re_tracks_in_flight_and_forgets_them(monkeypatch):
    """A new clip after reset() learns nothing from the previous clip's last frames, and every
    re-track that was started has run (none left on the loop's thread)."""
    pull = ue_index("MouthCornerPullRight")
    d = np.zeros(N_DRIVE, np.float32)
    d[pull] = 0.3
    plant = _Plant({"MouthCornerPullRight": 0.6})
    loop = _loop(plant, monkeypatch, 1)
    calls0 = plant.calls
    _run_lagged(loop, plant, [d] * 5)
    loop.reset()
    assert plant.calls - calls0 == 5 and not loop._pending
    out = _run_lagged(loop, plant, [d])
    loop.close()
    assert out[0][pull] == pytest.approx(0.3)


def _direct_and_lagged(monkeypatch, drives, gains, lips_gap):
    """The same drives through the trial-render loop (lag 0) and, given the renderer, the lagged
    one (lag 1), each on its own plant: (lag 0's drives, lag 1's drives, the lagged loop, closed)."""
    direct_plant, lagged_plant = _Plant(gains), _Plant(gains)
    direct = _loop(direct_plant, monkeypatch, 0)
    direct.animator.model.lip_gap = lips_gap
    want = [direct.correct(d, direct_plant.render) for d in drives]
    lagged = _loop(lagged_plant, monkeypatch, 1)
    lagged.animator.model.lip_gap = lips_gap
    got = []
    for d in drives:
        got.append(lagged.correct_lagged(d, lagged_plant.render))
        lagged.observe(lagged_plant.render(got[-1]))
    lagged.close()
    return want, got, lagged


def _smile_then_lips_jump(n: int):
    """``n`` drives of a held smile (corner pull 0.3) whose lips' request jumps open at frame 4, the
    plant's gains, and a lip gap that reads the jaw alone."""
    jaw, pull = ue_index("JawOpen"), ue_index("MouthCornerPullRight")
    drives = []
    for k in range(n):
        d = np.zeros(N_DRIVE, np.float32)
        d[pull] = 0.3
        d[jaw] = 0.3 if k >= 4 else 0.0  # the lips' request jumps at frame 4
        drives.append(d)

    def lips_gap(x, gap):
        return 0.75 * float(x[jaw])

    return drives, {"MouthCornerPullRight": 0.6, "lips": 0.5}, lips_gap


def test_the_first_frame_and_a_lips_jump_are_trial_rendered_so_the_lagged_loop_draws_what_the_direct_one_does(
        monkeypatch):
    """Given a renderer, a lagged loop trial-renders and re-tracks the clip's first frame and every
    frame whose lips' request jumped (here a vowel's onset) before drawing it, as the trial-render
    loop does every frame; on the frames between, the previous frame's final render was drawn
    with the very drive the direct loop's trial would draw (request held, correction carried), so
    with held requests and a lips jump every frame comes out as lag 0's, with two trial renders
    instead of eight."""
    from facemimic.animate.portrait.model import DRIVE_LIPS_CLOSED

    drives, gains, lips_gap = _smile_then_lips_jump(8)
    pull = ue_index("MouthCornerPullRight")
    want, got, lagged = _direct_and_lagged(monkeypatch, drives, gains, lips_gap)
    assert lagged.fixups == 2
    np.testing.assert_allclose(np.array(got), np.array(want), atol=1e-6)
    assert got[4][DRIVE_LIPS_CLOSED] != 0.0  # the vowel's lips corrected in its first frame
    assert got[1][pull] != got[0][pull]  # and the smile learned from frame 0's final render


def test_a_closure_just_after_an_opening_is_trial_rendered_and_a_mouth_at_rest_is_not(monkeypatch):
    """A /p b m/ after a vowel: every frame asking the lips to meet within CLOSURE_TRIAL_FRAMES of
    asking them open is trial-rendered first (drawn as the direct loop draws it: a closure's middle
    drawn from the previous frame's reading alone re-tracked 0.030 IPD apart on the drawn
    illustration); lips kept together from the clip's start (an expression clip's closed mouth)
    cost no trial after the first frame."""
    from facemimic.animate.portrait.model import DRIVE_LIPS_CLOSED

    jaw = ue_index("JawOpen")
    gains = {"lips": 0.5}

    def lips_gap(x, gap):
        return 0.75 * float(x[jaw])

    def clip(open_frames):
        out = []
        for k in range(16):
            d = np.zeros(N_DRIVE, np.float32)
            d[jaw] = 0.3 if k in open_frames else 0.0
            out.append(d)
        return out

    speech = clip(range(1, 4))  # frame 0 shut, a vowel (1-3), then the lips meet from frame 4 on
    want, got, lagged = _direct_and_lagged(monkeypatch, speech, gains, lips_gap)
    # frame 0, the vowel's onset (1), the closure's onset (4) and its next CLOSURE_TRIAL_FRAMES
    assert lagged.fixups == 1 + 1 + 1 + refine.CLOSURE_TRIAL_FRAMES
    closing = slice(4, 5 + refine.CLOSURE_TRIAL_FRAMES)
    np.testing.assert_allclose(np.array(got)[closing, DRIVE_LIPS_CLOSED], np.array(want)[closing, DRIVE_LIPS_CLOSED],
                               atol=1e-6)

    at_rest = _loop(_Plant(gains), monkeypatch, 1)
    at_rest.animator.model.lip_gap = lips_gap
    for d in clip(()):
        at_rest.observe(_Plant.render(at_rest.correct_lagged(d, _Plant.render)))
    at_rest.close()
    assert at_rest.fixups == 1


class _HeldPlant(_Plant):
    """A plant whose next re-track on the loop's thread, once ``hold`` is set, waits until a
    render has been drawn (or 2 s: ``waited_out``)."""

    def __init__(self, gains: dict[str, float]):
        super().__init__(gains)
        self.hold = False
        self.rendered = threading.Event()
        self.started = threading.Event()  # the held re-track has begun
        self.waited_out = False

    def render_and_tell(self, drive: np.ndarray) -> np.ndarray:
        self.rendered.set()
        return self.render(drive)

    def faces(self, image):
        if self.hold and threading.current_thread() is not threading.main_thread():
            self.hold = False
            self.started.set()
            self.waited_out = not self.rendered.wait(2.0)
        return super().faces(image)


def _wait_for_calls(plant: _Plant, n: int, timeout: float = 5.0) -> None:
    """Wait until ``plant`` has been asked to re-track ``n`` images (the photo, frame 0's trial
    and the frames observed so far)."""
    deadline = time.monotonic() + timeout
    while plant.calls < n:
        assert time.monotonic() < deadline, f"only {plant.calls} of {n} re-tracks began"
        time.sleep(0.001)


@pytest.mark.parametrize("lag", [1, 2])
def test_a_trial_render_is_drawn_while_the_re_track_it_supersedes_finishes(monkeypatch, lag):
    """A lips jump's trial render drops the re-tracks still pending: the one running finishes beside
    the trial render (not before it: a re-track and a render in series), one not started is
    cancelled (lag 2: never re-tracked), and at lag 1 the frames drawn are lag 0's."""
    drives, gains, lips_gap = _smile_then_lips_jump(5)
    plant = _HeldPlant(gains)
    loop = _loop(plant, monkeypatch, lag)
    loop.animator.model.lip_gap = lips_gap
    got = []
    for k, d in enumerate(drives):
        if k == 4:
            assert plant.started.wait(2.0)
        got.append(loop.correct_lagged(d, plant.render_and_tell))
        if k == 4:
            calls = plant.calls
            break
        if k == 4 - lag:  # this frame's re-track is the one running when frame 4 is planned
            # the earlier frames' re-tracks must have begun first, or on a busy machine one of
            # them (still queued) is the one held, and frame 4 - lag + 1's plan waits it out
            _wait_for_calls(plant, 2 + k)
            plant.hold = True
            plant.rendered.clear()
        loop.observe(plant.render(got[-1]))
    loop.close()
    assert not plant.waited_out
    assert loop.fixups == 2
    # the photo, frame 0's trial, frames 0-3 observed (lag 2: frame 3's cancelled, queued behind
    # frame 2's), frame 4's trial
    assert calls == 1 + 1 + (4 if lag == 1 else 3) + 1
    direct_plant = _Plant(gains)
    direct = _loop(direct_plant, monkeypatch, 0)
    direct.animator.model.lip_gap = lips_gap
    want = [direct.correct(d, direct_plant.render) for d in drives]
    if lag == 1:  # (lag 2 learns a frame later on held requests)
        np.testing.assert_allclose(np.array(got), np.array(want), atol=1e-6)


def test_two_frames_late_the_loop_steps_from_the_reading_predicted_and_does_not_overshoot(monkeypatch):
    """Lag 2 on an under-read smile (read 0.6 x drawn), held: each reading is two frames old, so a
    plain integral step at GAIN overshoots the correction it settles on and swings back (poles
    0.5 +- 0.59i); stepping from the reading predicted for the frames drawn since
    (ClosedLoop._learn) rises to it without passing it, as lag 1 does."""
    pull = ue_index("MouthCornerPullRight")
    d = np.zeros(N_DRIVE, np.float32)
    d[pull] = 0.3
    lagged = _loop(_Plant({"MouthCornerPullRight": 0.6}), monkeypatch, 2)
    got = np.array(_run_lagged(lagged, lagged.tracker, [d] * 30))[:, pull] - 0.3
    lagged.close()
    settled = 0.3 / 0.6 - 0.3
    assert got[-1] == pytest.approx(settled, rel=0.01)
    assert got.max() <= settled * 1.01, np.round(got, 3)
    assert np.all(np.diff(got) >= -1e-6), np.round(got, 3)  # never swings back
