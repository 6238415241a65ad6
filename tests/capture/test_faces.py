"""Face ids: the same person keeps an id while moving; new faces get new ids; lost ids retire."""

from __future__ import annotations

from facemimic.capture.faces import FaceIdTracker


def _box(cx, cy, s=0.1):
    return (cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2)


def test_ids_follow_people_whatever_the_detection_order():
    t = FaceIdTracker(retire_after=1.0)
    assert t.assign([_box(0.2, 0.5), _box(0.7, 0.5)], 0.0) == [0, 1]
    # Both move a little and MediaPipe lists them the other way round.
    assert t.assign([_box(0.72, 0.52), _box(0.21, 0.49)], 0.04) == [1, 0]


def test_a_far_jump_is_a_new_person_and_lost_ids_retire():
    t = FaceIdTracker(retire_after=1.0)
    assert t.assign([_box(0.2, 0.5)], 0.0) == [0]
    assert t.assign([_box(0.8, 0.5)], 0.1) == [1]  # 6 face widths away: not the same face
    assert t.active_ids() == [0, 1]
    t.assign([_box(0.8, 0.5)], 0.9)
    t.assign([_box(0.8, 0.5)], 1.5)
    assert t.active_ids() == [1]  # face 0 unseen for > 1 s
    assert t.assign([_box(0.2, 0.5), _box(0.8, 0.5)], 1.6) == [2, 1]  # never reuses a retired id


def test_short_absence_keeps_the_id():
    t = FaceIdTracker(retire_after=2.0)
    t.assign([_box(0.3, 0.3)], 0.0)
    assert t.assign([], 0.5) == []
    assert t.assign([_box(0.33, 0.31)], 1.0) == [0]


def test_single_face_mode_is_always_id_zero():
    t = FaceIdTracker(single=True, retire_after=0.1)
    assert t.assign([_box(0.1, 0.1)], 0.0) == [0]
    assert t.assign([_box(0.9, 0.9)], 5.0) == [0]
    assert t.active_ids() == [0]
