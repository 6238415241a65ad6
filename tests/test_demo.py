"""The README's main job runs end to end on built-in defaults and writes real, readable files."""

import av
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.demo import count_blinks
from facemimic.expressions import read_track


def test_demo_end_to_end(tmp_path, samples):
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "-o", str(out)])
    assert result.exit_code == 0, result.output
    track = read_track(out / "capture.jsonl")
    assert len(track) == 472 and track.present.mean() > 0.95
    assert "What FaceMimic saw" in result.output and "Try next" in result.output
    assert f"blinks       {count_blinks(track)}" in result.output
    with av.open(str(out / "capture-preview.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == 472
