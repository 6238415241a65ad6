"""The two-stage frame pipeline: order, threads, progress and errors; on a real portrait the
closed loop drawn behind on another thread gives exactly the frames of the plain serial render."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from facemimic.animate.pipeline import run_two_stage
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions, timeline
from facemimic.generate.api import express_clip


def test_items_pass_both_stages_in_order_and_the_second_runs_on_a_worker():
    firsts, seconds, done = [], [], []
    main = threading.get_ident()

    def first(i):
        firsts.append((i, threading.get_ident()))
        return i * 10

    def second(x):
        time.sleep(0.001 * (x % 3))  # uneven work must not reorder anything
        seconds.append((x, threading.get_ident()))

    n = run_two_stage(range(40), first, second, depth=2, progress=done.append)
    assert n == 40
    assert [i for i, _ in firsts] == list(range(40)) and {t for _, t in firsts} == {main}
    assert [x for x, _ in seconds] == [10 * i for i in range(40)]
    assert len({t for _, t in seconds}) == 1 and main not in {t for _, t in seconds}
    assert done == list(range(1, 41))
    assert not any(t.name == "facemimic-frame-writer" for t in threading.enumerate())


def test_an_error_in_the_second_stage_stops_the_first_and_is_raised():
    firsts = []

    def second(x):
        if x == 5:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run_two_stage(range(1000), lambda i: firsts.append(i) or i, second, depth=2)
    assert len(firsts) < 20  # stopped soon after, not run to the end
    assert not any(t.name == "facemimic-frame-writer" for t in threading.enumerate())


def test_an_error_in_the_first_stage_stops_the_worker_before_returning():
    seconds = []

    def first(i):
        if i == 7:
            raise KeyboardInterrupt
        return i

    def second(x):
        time.sleep(0.002)
        seconds.append(x)

    with pytest.raises(KeyboardInterrupt):
        run_two_stage(range(100), first, second)
    snapshot = list(seconds)
    time.sleep(0.05)
    assert seconds == snapshot and snapshot == list(range(len(snapshot))) and len(snapshot) <= 7
    assert not any(t.name == "facemimic-frame-writer" for t in threading.enumerate())


def test_closed_loop_drawn_behind_on_a_thread_equals_the_serial_render(samples):
    anim = PortraitAnimator(samples / "single_face.jpg",
                            PortraitOptions(size=256, rest="neutral", calibrate=False, refine=True))
    frames = timeline(express_clip("neutral 0.3s > happy 0.4s > surprised 0.5s", duration=1.2, fps=30, seed=4),
                      fps=30)
    serial = [anim.render(f).copy() for f in frames]
    anim.reset()
    scratch, canvas, piped = anim.new_scratch(), np.empty_like(anim.image), []
    run_two_stage(frames, anim.plan, lambda plan: piped.append(anim.draw(plan, out=canvas, scratch=scratch).copy()))
    assert len(piped) == len(serial) == len(frames)
    assert all(np.array_equal(a, b) for a, b in zip(serial, piped))
    # a real clip: the face moves, and the loop corrected something
    assert np.abs(serial[-1].astype(int) - serial[0]).mean() > 1.0
    assert np.any(anim._loop.corr != 0)
