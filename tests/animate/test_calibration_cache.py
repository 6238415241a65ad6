"""The calibration cache on a real portrait: hits, misses, eviction, corrupt entries, switched off.

Calibrations here probe only the jaw (6 re-tracked renders) so that each miss costs a fraction of
a second; the cache key and file format are the same as for a full calibration.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from facemimic.animate.portrait import calibrate as C
from facemimic.animate.portrait import calibration_cache as cc
from facemimic.animate.portrait.animator import PortraitAnimator, PortraitOptions

JAW = {"jaw": C.GROUPS["jaw"]}


@pytest.fixture(scope="module")
def photo(samples):
    return samples / "single_face.jpg"


@pytest.fixture(scope="module")
def anim(photo):
    return PortraitAnimator(photo, PortraitOptions(size=256, calibrate=False, rest="neutral"))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEMIMIC_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("FACEMIMIC_NO_CACHE", raising=False)
    return tmp_path / cc.FOLDER


@pytest.fixture
def retracks(monkeypatch):
    """Counts the calibrations that really ran: per calibration, the renders it re-tracked (the jaw
    group re-tracks its probes alone and again under held lips: two passes, one calibration)."""
    calls = []
    real_calibrate, real_retrack = C._calibrate, C._render_and_retrack

    def calibrating(*a, **kw):
        calls.append(0)
        return real_calibrate(*a, **kw)

    def counting(render, jobs, *a, **kw):
        out = real_retrack(render, jobs, *a, **kw)
        calls[-1] += len(out)  # renders re-tracked
        return out

    monkeypatch.setattr(C, "_calibrate", calibrating)
    monkeypatch.setattr(C, "_render_and_retrack", counting)
    return calls


def _same(r1, r2) -> bool:
    (c1, rep1), (c2, rep2) = r1, r2
    return (np.array_equal(c1.knots, c2.knots) and np.array_equal(c1.values, c2.values)
            and (c1.held_jaw is None) == (c2.held_jaw is None)
            and (c1.held_jaw is None or np.array_equal(c1.held_jaw, c2.held_jaw))
            and json.dumps(rep1, sort_keys=True) == json.dumps(rep2, sort_keys=True))


def test_same_content_and_options_hit(anim, cache_dir, retracks):
    first = C.calibrate(anim, groups=JAW)
    assert len(retracks) == 1 and retracks[0] >= 4  # the jaw's probes, alone and under held lips
    entries = list(cache_dir.glob("*.bin"))
    assert len(entries) == 1
    second = C.calibrate(anim, groups=JAW)
    assert len(retracks) == 1  # nothing re-rendered or re-tracked
    assert _same(first, second)
    assert first[1]["jaw"]["response"][-1] > 0.2  # a real measurement: the jaw opens when asked


def test_a_new_process_sees_the_same_key(anim, photo, cache_dir, retracks):
    C.calibrate(anim, groups=JAW)
    again = PortraitAnimator(photo, PortraitOptions(size=256, calibrate=False, rest="neutral"))
    C.calibrate(again, groups=JAW)
    assert len(retracks) == 1  # the same photo and options, found again from scratch: a hit


def test_changed_options_miss(anim, photo, cache_dir, retracks):
    C.calibrate(anim, groups=JAW)
    C.calibrate(anim, groups=JAW, amounts=(0.35, 0.7))  # calibrate()'s own options
    assert len(retracks) == 2
    source = PortraitAnimator(photo, PortraitOptions(size=256, calibrate=False, rest="source"))
    C.calibrate(source, groups=JAW)  # another rest pose
    assert len(retracks) == 3
    no_mouth = PortraitAnimator(photo, PortraitOptions(size=256, calibrate=False, rest="neutral", mouth=False))
    C.calibrate(no_mouth, groups=JAW)  # a rendering option
    assert len(retracks) == 4
    assert len(list(cache_dir.glob("*.bin"))) == 4
    # refine and calibrate do not change a calibration: no new entry
    refined = PortraitAnimator(photo, PortraitOptions(size=256, calibrate=False, rest="neutral", refine=False))
    C.calibrate(refined, groups=JAW)
    assert len(retracks) == 4


def test_changed_image_bytes_miss(anim, photo, tmp_path, cache_dir, retracks):
    C.calibrate(anim, groups=JAW)
    img = cv2.imread(str(photo))
    img[:8, :8] = 255 - img[:8, :8]  # a corner of the background, far from the face
    edited = tmp_path / "edited.png"
    cv2.imwrite(str(edited), img)
    other = PortraitAnimator(edited, PortraitOptions(size=256, calibrate=False, rest="neutral"))
    C.calibrate(other, groups=JAW)
    assert len(retracks) == 2
    assert len(list(cache_dir.glob("*.bin"))) == 2


def test_bounded_size_evicts_least_recently_used(anim, cache_dir, retracks, monkeypatch):
    monkeypatch.setattr(cc, "MAX_ENTRIES", 2)
    a = C.calibrate(anim, groups=JAW, amounts=(0.35,))
    C.calibrate(anim, groups=JAW, amounts=(0.7,))
    C.calibrate(anim, groups=JAW, amounts=(0.35,))  # a hit: (0.35,) is now the most recent
    assert len(retracks) == 2
    C.calibrate(anim, groups=JAW, amounts=(1.05,))  # a third entry: (0.7,) goes
    assert len(retracks) == 3
    assert len(list(cache_dir.glob("*.bin"))) == 2
    assert _same(a, C.calibrate(anim, groups=JAW, amounts=(0.35,)))
    assert len(retracks) == 3  # kept
    C.calibrate(anim, groups=JAW, amounts=(0.7,))
    assert len(retracks) == 4  # evicted, so calibrated again


def test_corrupt_entry_is_rebuilt(anim, cache_dir, retracks):
    first = C.calibrate(anim, groups=JAW)
    (entry,) = cache_dir.glob("*.bin")
    good = entry.read_bytes()
    for bad in (b"not a calibration", good[: len(good) // 2]):  # garbage, and a truncated file
        entry.write_bytes(bad)
        again = C.calibrate(anim, groups=JAW)
        assert _same(first, again)
        assert entry.read_bytes() != bad  # rewritten with a valid entry
    assert len(retracks) == 3
    C.calibrate(anim, groups=JAW)
    assert len(retracks) == 3  # and it is used again


def test_full_calibration_round_trips(anim, cache_dir):
    """A whole calibration (every group, measured in the unit) comes back identical from the cache."""
    fresh = C.calibrate(anim)
    cached = C.calibrate(anim)
    assert set(fresh[1]) == set(C.GROUPS) | {"jaw_held"}  # the jaw is probed again under held lips
    assert fresh[0].held_jaw is not None
    assert _same(fresh, cached)


def test_switched_off_by_the_environment(anim, cache_dir, retracks, monkeypatch):
    monkeypatch.setenv("FACEMIMIC_NO_CACHE", "1")
    C.calibrate(anim, groups=JAW)
    C.calibrate(anim, groups=JAW)
    assert len(retracks) == 2
    assert not cache_dir.exists()


def test_switched_off_by_the_argument(anim, cache_dir, retracks):
    C.calibrate(anim, groups=JAW, cache=False)
    C.calibrate(anim, groups=JAW, cache=False)
    assert len(retracks) == 2
    assert not cache_dir.exists()


def test_a_failing_render_stops_calibration_and_caches_nothing(photo, cache_dir, monkeypatch):
    """Probes are rendered on a worker thread: its error reaches the caller, and the thread ends."""
    import threading

    broken = PortraitAnimator(photo, PortraitOptions(size=256, calibrate=False, rest="neutral"))
    real = broken.render_parts
    count = []

    def failing(*a, **kw):
        count.append(1)
        if len(count) == 3:
            raise MemoryError("out of memory in render")
        return real(*a, **kw)

    monkeypatch.setattr(broken, "render_parts", failing)
    with pytest.raises(MemoryError, match="out of memory in render"):
        C.calibrate(broken, groups=JAW)
    assert not any(t.name == "facemimic-calibration-render" for t in threading.enumerate())
    assert not list(cache_dir.glob("*.bin"))


def test_probes_on_several_threads_read_exactly_as_on_one(anim):
    """Each worker has its own landmarker and render buffers; IMAGE mode judges every probe on its
    own, so spreading the probes over threads changes nothing but the wall time."""
    rng = np.random.default_rng(3)
    k = anim.model.basis.shape[0]
    jobs = [(np.tensordot(rng.uniform(-0.6, 1.2, k).astype(np.float32) * (rng.random(k) < 0.3), anim.model.basis,
                          axes=1), (float(c), float(c))) for c in rng.uniform(0, 1, 9)]
    x0, y0, x1, y1 = anim.warp.roi
    centre = anim.points.mean(0) - (x0, y0)

    def render(job, scratch):
        return anim.render_parts(job[0], closure=job[1], scratch=scratch)[y0:y1, x0:x1].copy()

    one = C._render_and_retrack(render, jobs, centre, workers=1, new_scratch=anim.new_scratch)
    three = C._render_and_retrack(render, jobs, centre, workers=3, new_scratch=anim.new_scratch)
    assert all(f is not None for f in one)
    for a, b in zip(one, three):
        assert np.array_equal(a.weights, b.weights) and np.array_equal(a.landmarks, b.landmarks)
        assert (a.openness_left, a.openness_right) == (b.openness_left, b.openness_right)
    # the probes differ from each other: a real reading per render
    assert np.ptp([f.weight("JawOpen") for f in one]) > 0.05


def test_an_error_while_rendering_a_probe_is_raised_and_stops_the_workers(anim):
    import threading

    def render(job, scratch):
        if job == 5:
            raise ValueError("probe 5 failed")
        return anim.image

    with pytest.raises(ValueError, match="probe 5 failed"):
        C._render_and_retrack(render, list(range(40)), None, workers=2, new_scratch=anim.new_scratch)
    assert not any(t.name.startswith("facemimic-calibration") for t in threading.enumerate())
