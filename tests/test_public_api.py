"""The top-level surface ``facemimic.*``: exactly these names, each documented, none shadowed by a
subpackage, and ``import facemimic`` loads nothing heavy."""

from __future__ import annotations

import inspect
import pkgutil
import subprocess
import sys

import pytest

import facemimic

PUBLIC = [
    "ARKIT_NAMES", "Avatar3DOptions", "CaptureOptions", "ExportOptions", "ExpressionFrame", "ExpressionTrack", "FaceMimicError",
    "GenerateOptions", "LipSyncOptions", "LiveLipSync", "PortraitOptions", "StreamOptions", "UE_NAMES",
    "VoiceOptions", "__version__", "analyze", "animate_face", "avatar3d", "capture_frames", "export", "express",
    "express_clip", "from_phones", "lip_sync", "merge_tracks", "read_track", "say", "stream", "track",
    "write_track",
]
CONSTANTS = {"UE_NAMES": 88, "ARKIT_NAMES": 52}  # name tuples and their lengths
# name -> where it is defined (module, attribute): what the lazy loader must hand out
DEFINED_IN = {
    "capture_frames": ("facemimic.capture.api", "capture_frames"),
    "lip_sync": ("facemimic.lipsync.api", "lipsync"),
    "animate_face": ("facemimic.animate.portrait.api", "animate_face"),
    "export": ("facemimic.deliver.export", "export_track"),
    "stream": ("facemimic.deliver.api", "stream"),
    "say": ("facemimic.voice.synth", "say"),
    "avatar3d": ("facemimic.head3d.api", "avatar3d"),
}


def test_the_surface_is_exactly_these_names():
    assert sorted(facemimic.__all__) == PUBLIC
    assert sorted(dir(facemimic)) == PUBLIC


@pytest.mark.parametrize("name", [n for n in PUBLIC if n != "__version__"])
def test_each_name_is_documented_and_callable(name):
    value = getattr(facemimic, name)
    if name in CONSTANTS:
        assert isinstance(value, tuple) and len(value) == CONSTANTS[name] and all(isinstance(n, str) for n in value)
        return
    assert inspect.isclass(value) or inspect.isfunction(value), f"{name} is {type(value).__name__}"
    doc = inspect.getdoc(value) or ""
    assert len(doc) > 20, f"facemimic.{name} has no real docstring"
    if inspect.isfunction(value):
        # documented parameters: the docstring names every required parameter
        required = [p.name for p in inspect.signature(value).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        missing = [p for p in required if p not in doc]
        assert not missing, f"facemimic.{name}: docstring does not mention {missing}"


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'capture_live'"):
        facemimic.capture_live  # noqa: B018


def test_no_public_name_is_a_subpackage_or_module():
    """Importing ``facemimic.x`` sets the attribute ``facemimic.x`` to the module: a public
    function of that name would be replaced (``facemimic.capture(0)`` -> 'module' object is not
    callable once anything imported ``facemimic.capture.api``)."""
    modules = {m.name for m in pkgutil.iter_modules(facemimic.__path__)}
    assert {"capture", "lipsync", "animate", "deliver", "generate"} <= modules
    assert not set(PUBLIC) & modules


def test_names_survive_importing_every_subpackage():
    """In a fresh interpreter: import every subpackage and the modules the names come from, then
    every public name is still the object it is defined as (no module in its place)."""
    code = f"""
import importlib, inspect, pkgutil, types
import facemimic
for m in pkgutil.iter_modules(facemimic.__path__):
    if m.name not in ("__main__",):
        importlib.import_module("facemimic." + m.name)
for module, _ in facemimic._LAZY.values():
    importlib.import_module(module)
bad = [n for n in facemimic.__all__ if isinstance(getattr(facemimic, n), types.ModuleType)]
assert not bad, bad
for name, (module, attr) in {DEFINED_IN!r}.items():
    assert getattr(facemimic, name) is getattr(importlib.import_module(module), attr), name
assert facemimic.capture.api.capture is facemimic.capture_frames   # the older name still works
print("OK")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "OK", r.stderr[-3000:]


def test_import_is_light_in_a_fresh_interpreter():
    code = ("import sys, time\nt = time.perf_counter()\nimport facemimic\ndt = time.perf_counter() - t\n"
            "names = dir(facemimic)\n"
            "heavy = [m for m in ('numpy', 'cv2', 'mediapipe', 'av') if m in sys.modules]\n"
            "print(heavy, len(names), dt)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    heavy, count, seconds = r.stdout.rsplit("]", 1)[0] + "]", *r.stdout.rsplit("]", 1)[1].split()
    assert heavy == "[]", r.stdout
    assert int(count) == len(PUBLIC)
    assert float(seconds) < 0.5


def test_the_documented_readme_loop_works_after_the_subpackage_is_imported(samples):
    """The README's third line, on a real video, after ``facemimic.capture.api`` is imported."""
    import facemimic.capture.api  # noqa: F401 - sets facemimic.capture to the subpackage

    frames = list(facemimic.capture_frames(samples / "single_face.mp4"))
    assert len(frames) == 72 and all(f.present for f in frames)
    assert max(f.weight("MouthCornerPullRight") for f in frames) > 0.8  # she breaks into a smile
    old = list(facemimic.capture.api.capture(samples / "single_face.jpg"))
    assert len(old) == 1 and old[0].present


# -- a user's bad inputs through the public calls ------------------------------------------------
def _options_calls(samples, tmp_path):
    """(label, call, options class) for every public call that takes ``options=``; each is given
    the dict of fields a user might write instead of the options object, on real inputs."""
    photo = samples / "single_face.jpg"
    fm = facemimic
    speech = fm.say("hello")
    clip = fm.express_clip("happy", duration=0.3, seed=1)
    return [
        ("track", lambda o: fm.track(photo, o), "CaptureOptions"),
        ("capture_frames", lambda o: list(fm.capture_frames(photo, o)), "CaptureOptions"),
        ("say", lambda o: fm.say("hello", options=o), "VoiceOptions"),
        ("lip_sync", lambda o: fm.lip_sync(speech, text="hello", options=o), "LipSyncOptions"),
        ("from_phones", lambda o: fm.from_phones(list(speech.phones), speech.duration, options=o), "LipSyncOptions"),
        ("LiveLipSync", lambda o: fm.LiveLipSync(options=o), "LiveOptions"),
        ("express_clip", lambda o: fm.express_clip("happy", options=o), "ClipOptions"),
        ("export", lambda o: fm.export(clip, tmp_path / "out.glb", options=o), "ExportOptions"),
        ("animate_face", lambda o: fm.animate_face(photo, tmp_path / "out.mp4", expression="happy", options=o),
         "PortraitOptions"),
        ("avatar3d", lambda o: fm.avatar3d(photo, tmp_path / "out.vrm", options=o), "Avatar3DOptions"),
    ]


def test_options_given_as_a_dict_are_one_clear_error_before_any_work(samples, tmp_path):
    """``options={"size": 256}`` used to fail deep inside with ``AttributeError: 'dict' object has
    no attribute 'face'`` (or ``'block'``, ``'espeak_voice'`` …), after some work had started."""
    from facemimic.errors import ParameterError

    for label, call, cls in _options_calls(samples, tmp_path):
        with pytest.raises(ParameterError) as e:
            call({"fps": 30})
        assert str(e.value) == f"options must be a {cls} or None, got dict; build one with {cls}(**options)", label
        with pytest.raises(ParameterError, match=f"options must be a {cls} or None, got str$"):
            call("fast")
    assert list(tmp_path.iterdir()) == []
