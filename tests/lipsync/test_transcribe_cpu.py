"""The speech recogniser's library is compiled for AVX-512 (x86-64-v4): on a CPU without it, loading
the library killed the whole process with SIGILL (`facemimic lipsync --transcribe`, the studio's
recordings, `animate --audio` without a transcript). Now the CPU is asked first, and speech without a
transcript is recognised as phones, with a warning that says why. These run on every machine."""

from __future__ import annotations

import platform
import sys

import numpy as np
import pytest

from facemimic.errors import ModelAssetError
from facemimic.lipsync import transcribe as T
from facemimic.lipsync.api import LipSyncOptions, lipsync

# /proc/cpuinfo's per-core lines as Linux writes them; an AVX2-only Zen 2 core and an AVX-512 one
ZEN2 = ("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B12\n"
        "flags\t\t: fpu vme sse sse2 ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand "
        "bmi1 avx2 bmi2 sha_ni\n\n")
ICELAKE = ZEN2.replace("avx2 bmi2", "avx2 bmi2 avx512f avx512dq avx512cd avx512bw avx512vl avx512vbmi")


def test_the_cpu_flags_the_library_needs_are_read_from_cpuinfo():
    assert T.missing_cpu_flags(ZEN2) == ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl")
    assert T.missing_cpu_flags(ICELAKE) == ()
    assert T.missing_cpu_flags(ICELAKE.replace(" avx512vl", "")) == ("avx512vl",)
    assert T.missing_cpu_flags("") == T.REQUIRED_CPU_FLAGS  # nothing known: never risk the load
    assert T.missing_cpu_flags(ICELAKE + ZEN2.replace("processor\t: 0", "processor\t: 1")) == T.REQUIRED_CPU_FLAGS


def test_this_machines_answer_matches_its_own_cpuinfo():
    text = T.CPUINFO.read_text()
    assert T.missing_cpu_flags() == T.missing_cpu_flags(text)
    if sys.platform == "linux" and platform.machine() == "x86_64":  # the wheel is a dependency here
        assert T.available() == (T.missing_cpu_flags(text) == ())


# the wheel (a dependency there) carries the real voice these use; elsewhere it does not exist
LINUX_X86_64 = pytest.mark.skipif(sys.platform != "linux" or platform.machine() != "x86_64",
                                  reason="the recogniser's wheel exists for Linux x86-64 only")


@pytest.fixture
def old_cpu(monkeypatch):
    monkeypatch.setattr(T, "missing_cpu_flags", lambda cpuinfo=None: ("avx512f", "avx512vl"))
    monkeypatch.setattr(T, "_model", None)  # a model this process loaded already is not reused


@LINUX_X86_64
def test_without_avx512_speech_is_recognised_as_phones_and_the_warning_says_why(old_cpu):
    beckett = T.model_dir().parent.parent / "test-data" / "beckett.wav"  # a real voice, 10 s
    assert not T.available() and "avx512f" in T.unavailable_reason()
    got = lipsync(beckett, options=LipSyncOptions(transcribe=True))
    assert got.method == "recognize"
    assert any("lacks avx512f, avx512vl" in w and "recognising phones instead" in w for w in got.warnings), got.warnings
    # and a direct call refuses with an error instead of letting the library kill the process
    with pytest.raises(ModelAssetError, match="lacks avx512f"):
        T.transcribe(np.zeros(16000, np.int16))


@LINUX_X86_64
def test_asked_to_hear_where_the_wheel_is_missing_the_warning_says_so(monkeypatch):
    beckett = T.model_dir().parent.parent / "test-data" / "beckett.wav"
    monkeypatch.setattr(T, "unavailable_reason", lambda: "the speech recogniser (the moonshine_cpp wheel) is not installed")
    got = lipsync(beckett, options=LipSyncOptions(transcribe=True))
    assert got.method == "recognize"
    assert any("is not installed; recognising phones instead" in w for w in got.warnings), got.warnings
