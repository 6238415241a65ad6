"""Sample media unpacked by several processes at once (parallel test workers, two commands on a
fresh machine): each unpacks into a staging folder of its own and the first complete copy stays,
so no process deletes a folder another one is reading."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from facemimic.samples import _move_into_place


def _staged(parent: Path, name: str, text: str) -> Path:
    staging = parent / f".{name}.partial.{text}"
    staging.mkdir()
    (staging / "photo.txt").write_text(text)
    (staging / ".complete").write_text(text + "\n")
    return staging


def test_a_missing_or_half_made_target_is_replaced(tmp_path):
    target = tmp_path / "samples"
    _move_into_place(_staged(tmp_path, "samples", "a"), target)
    assert (target / "photo.txt").read_text() == "a"

    half = tmp_path / "half"
    half.mkdir()
    (half / "stale.txt").write_text("left by an interrupted run")
    _move_into_place(_staged(tmp_path, "half", "b"), half)
    assert sorted(p.name for p in half.iterdir()) == [".complete", "photo.txt"]


def test_a_complete_target_is_kept_and_the_late_copy_dropped(tmp_path):
    target = tmp_path / "samples"
    _move_into_place(_staged(tmp_path, "samples", "first"), target)
    late = _staged(tmp_path, "samples", "late")
    _move_into_place(late, target)
    assert (target / "photo.txt").read_text() == "first"
    assert not late.exists()


def _race(parent: str, text: str, start) -> str:
    start.wait()
    target = Path(parent) / "samples"
    _move_into_place(_staged(Path(parent), "samples", text), target)
    return (target / "photo.txt").read_text()  # readable by every racer once it returns


def test_racing_processes_all_end_with_one_complete_copy(tmp_path):
    # Several rounds: the window (one racer checks, another renames in, the first removes) is narrow.
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(4) as pool:
        for round_ in range(25):
            parent = tmp_path / f"round{round_}"
            parent.mkdir()
            start = manager.Barrier(4)
            seen = pool.starmap(_race, [(str(parent), f"p{i}", start) for i in range(4)])
            kept = (parent / "samples" / "photo.txt").read_text()
            assert seen == [kept] * 4, f"round {round_}: a racer's copy was removed under another"
            assert not [p.name for p in parent.iterdir() if ".partial." in p.name]  # no staging left behind
