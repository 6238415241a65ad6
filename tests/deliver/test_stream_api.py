"""``facemimic.stream()``: tracks, track files, videos and frame lists to a real UDP receiver."""

from __future__ import annotations

import pytest

import facemimic
from facemimic.errors import InputError, ParameterError, UnknownNameError


def test_a_track_in_memory_reaches_a_vmc_receiver(osc_receiver, osc_tracked):
    stats = facemimic.stream(osc_tracked, "vmc", port=osc_receiver.port, standard="arkit")
    msgs = osc_receiver.wait(quiet=0.3)
    # a file runs ahead of real time: a frame may only be skipped if this process was starved
    assert stats.frames_sent + stats.frames_dropped == len(osc_tracked) == 72 and stats.frames_sent >= 60
    assert stats.errors == 0
    blend = [args for addr, args in msgs if addr == "/VMC/Ext/Blend/Val"]
    names = {a[0] for a in blend}
    assert "jawOpen" in names and "mouthSmileRight" in names  # the 52 ARKit names (perfect sync)
    smile = max(a[1] for a in blend if a[0] == "mouthSmileRight")
    assert smile > 0.5  # she smiles in single_face.mp4
    assert sum(1 for addr, _ in msgs if addr == "/VMC/Ext/Blend/Apply") >= 72
    assert stats.elapsed == pytest.approx(osc_tracked.duration, abs=0.6)  # real time


def test_a_track_file_goes_to_vrchat_with_the_prefix(osc_receiver, osc_tracked, tmp_path):
    path = facemimic.write_track(osc_tracked, tmp_path / "take.jsonl")
    stats = facemimic.stream(str(path), "vrchat", port=osc_receiver.port, prefix="FT/", duration=1.0)
    msgs = osc_receiver.wait(quiet=0.3)
    assert 0.9 <= stats.elapsed <= 1.5 and stats.frames_in <= 32  # stopped after 1 s of 2.4
    assert stats.frames_sent >= 15
    jaw = [args[0] for addr, args in msgs if addr == "/avatar/parameters/FT/v2/JawOpen"]
    assert jaw and all(isinstance(v, float) and 0 <= v <= 1 for v in jaw)


def test_a_video_is_captured_while_streaming(osc_receiver, samples):
    stats = facemimic.stream(samples / "single_face.mp4", "vmc", port=osc_receiver.port,
                             capture_options={"smoothing": "off"})
    msgs = osc_receiver.wait(quiet=0.3)
    assert stats.frames_sent == 72 and stats.frames_dropped == 0  # live sources are never dropped
    assert any(addr == "/VMC/Ext/Bone/Pos" and args[0] == "Head" for addr, args in msgs)


def test_a_list_of_frames_and_loop(osc_receiver):
    frames = facemimic.express("happy", variations=3, seed=1)
    frames = [f.replace(time=i / 30) for i, f in enumerate(frames)]  # three frames, 0.1 s
    stats = facemimic.stream(frames, "vmc", port=osc_receiver.port, loop=True, duration=0.5)
    assert stats.frames_sent >= 12  # looped: more frames than the list holds


def test_bad_requests_fail_before_anything_is_sent(osc_receiver, osc_tracked, tmp_path):
    with pytest.raises(UnknownNameError, match="unknown stream target 'vrchta'.*vrchat"):
        facemimic.stream(osc_tracked, "vrchta", port=osc_receiver.port)
    with pytest.raises(ParameterError, match="not a camera"):
        facemimic.stream(0, "vmc", port=osc_receiver.port, loop=True)
    with pytest.raises(InputError, match="missing.mp4"):
        facemimic.stream(tmp_path / "missing.mp4", "vmc", port=osc_receiver.port)
    with pytest.raises(InputError, match="missing.jsonl"):
        facemimic.stream(str(tmp_path / "missing.jsonl"), "vmc", port=osc_receiver.port)
    assert osc_receiver.wait(quiet=0.2) == []


def test_stream_options_fields_as_keywords_and_unknown_names(osc_receiver, osc_tracked):
    """``StreamOptions`` is public but ``stream()`` took no such object: its fields as keywords
    (``realtime=False``) reached the streamer and failed with ``TypeError: VRChatOptions.__init__()
    got an unexpected keyword argument 'realtime'``, and so did every typo, with no suggestion."""
    stats = facemimic.stream(osc_tracked, "vmc", port=osc_receiver.port, realtime=False, max_lag_s=0.5)
    assert stats.frames_sent == len(osc_tracked) == 72 and stats.frames_dropped == 0
    assert stats.elapsed < 0.5 * osc_tracked.duration  # as fast as possible, not in real time
    sent = len(osc_receiver.wait(quiet=0.3))
    assert sent > 72
    cases = [("vrchat", {"durration": 1}, "unknown vrchat stream option 'durration' (did you mean duration"),
             ("vrchat", {"realtme": False}, "unknown vrchat stream option 'realtme' (did you mean realtime?)"),
             ("vrchat", {"standard": "arkit"}, "unknown vrchat stream option 'standard' (a vmc option)"),
             ("vmc", {"prefix": "FT/"}, "unknown vmc stream option 'prefix' (a vrchat option)")]
    for to, kw, message in cases:
        with pytest.raises(UnknownNameError) as e:
            facemimic.stream(osc_tracked, to, port=osc_receiver.port, **kw)
        assert str(e.value).startswith(message), str(e.value)
    with pytest.raises(ParameterError, match="hold time must be >= 0 seconds, got -1"):
        facemimic.stream(osc_tracked, "vmc", port=osc_receiver.port, hold_s=-1)
    assert len(osc_receiver.wait(quiet=0.2)) == sent  # nothing more was sent
