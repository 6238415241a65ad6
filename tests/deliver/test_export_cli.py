"""``facemimic export`` driven through click's CliRunner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from export_helpers import assert_valid, make_avatar, parse_tres, parse_unity_yaml, read_glb, real_track
from facemimic.cli import cli
from facemimic.expressions import write_track


@pytest.fixture(scope="module")
def track_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "face.jsonl"
    write_track(real_track(), path)
    return path


def _run(*args):
    return CliRunner().invoke(cli, ["export", *map(str, args)], catch_exceptions=False)


def test_every_format_from_the_output_extension(track_file, tmp_path):
    outs = {ext: tmp_path / f"face.{ext}" for ext in ("glb", "gltf", "vrma", "vrm", "tres", "anim")}
    for ext, out in outs.items():
        r = _run(track_file, "-o", out)
        assert r.exit_code == 0, r.output
        # a clip says its frames; a .vrm holds named poses and says which
        assert f"Wrote {out}" in r.output and ("expression(s): face (t = " if ext == "vrm" else "frames") in r.output
    assert_valid(outs["glb"], outs["gltf"], outs["vrma"], outs["vrm"])
    assert parse_tres(outs["tres"].read_text())["header"]["type"] == "Animation"
    assert parse_unity_yaml(outs["anim"].read_text())["class"] == 74


def test_options_reach_the_exporters(track_file, tmp_path):
    avatar = make_avatar(tmp_path / "av.glb", [["jawOpen", "mouthSmile_L", "Bulge"]])
    out = tmp_path / "clip.tres"
    r = _run(track_file, "-o", out, "--avatar", avatar, "--node-path", "Body", "--name", "Hello",
             "--fps", "10", "--loop", "--gaps", "interpolate")
    assert r.exit_code == 0, r.output
    assert "not driven (1): Mesh0/Bulge" in r.output
    props = parse_tres(out.read_text())["props"]
    assert props["resource_name"] == "Hello" and props["loop_mode"] == 1
    assert props["tracks/0/path"] == ("NodePath", "Body:jawOpen")
    assert props["step"] == pytest.approx(0.1)
    vrm = tmp_path / "e.vrm"
    r = _run(track_file, "-o", vrm, "-e", "happy=2.0", "-e", "calm=0.1")
    assert r.exit_code == 0, r.output
    # named poses, not a clip: the summary names them and their times (it said "N frames, 0.00 s")
    assert "2 expression(s): happy (t = 2.00 s), calm (t = 0.10 s)" in r.output, r.output
    assert "0.00 s" not in r.output
    exprs = read_glb(vrm).json["extensions"]["VRMC_vrm"]["expressions"]
    assert "calm" in exprs["custom"] and exprs["preset"]["happy"]["morphTargetBinds"]
    r = _run(track_file, "-o", tmp_path / "x.vrma", "--perfect-sync", "--no-head")
    assert r.exit_code == 0 and "64 targets driven" in r.output


@pytest.mark.parametrize("when", ["99", "-1"])
def test_an_expression_time_outside_the_track_is_refused(track_file, tmp_path, when):
    # `-e happy=99` on a shorter track wrote its last frame as "happy" (t = its end) without a word
    from facemimic.expressions import read_track

    end = float(read_track(track_file).time[-1])
    assert end < 99
    r = CliRunner().invoke(cli, ["export", str(track_file), "-o", str(tmp_path / "e.vrm"), "-e", f"happy={when}"])
    assert r.exit_code == 1 and r.output.count("\n") == 1, r.output
    assert r.output.startswith(f"Error: expression 'happy' at {when} s is outside the track (0.00 to {end:.2f} s)")
    assert not any(tmp_path.iterdir())
    r = _run(track_file, "-o", tmp_path / "e.vrm", "-e", f"happy={end}", "-e", "calm=0")  # both ends are fine
    assert r.exit_code == 0 and f"happy (t = {end:.2f} s), calm (t = 0.00 s)" in r.output, r.output


@pytest.mark.parametrize("args,message", [
    (["-o", "{tmp}/x.glb", "--format", "fbx"], "unknown export format 'fbx'"),
    (["-o", "{tmp}/x.fbx"], "cannot tell the export format"),
    (["-o", "{tmp}/x.glb", "--avatar", "{track}"], "not a glTF file"),
    (["-o", "{tmp}/nope/x.glb"], "does not exist"),
    (["-o", "{tmp}/x.glb", "--face", "3"], "face 3 is not in the track"),
])
def test_bad_input_is_one_line_and_writes_nothing(track_file, tmp_path, args, message):
    args = [a.format(tmp=tmp_path, track=track_file) for a in args]
    r = _run(track_file, *args)
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], r.output
    assert not (tmp_path / "x.glb").exists() and not any(p.suffix == ".tmp" for p in tmp_path.iterdir())


def test_usage_errors(track_file, tmp_path):
    r = _run(track_file, "-o", tmp_path / "x.glb", "-e", "happy")
    assert r.exit_code == 2 and "NAME=SECONDS" in r.output
    r = _run(track_file, "-o", tmp_path / "x.glb", "-e", "happy=1")
    assert r.exit_code == 2 and "--format vrm only" in r.output
    r = _run(tmp_path / "missing.jsonl", "-o", tmp_path / "x.glb")
    assert r.exit_code == 1 and "missing.jsonl: file not found" in r.output
    assert "unity" in CliRunner().invoke(cli, ["export", "--help"]).output


def test_batch_skips_a_bad_track_and_goes_on(track_file, tmp_path):
    from facemimic.expressions import write_track

    from export_helpers import ramp_track

    second = write_track(ramp_track(JawOpen=(0, 1)), tmp_path / "second.csv")
    bad = tmp_path / "broken.jsonl"
    bad.write_text("not a track\n")
    out = tmp_path / "clips"
    r = CliRunner().invoke(cli, ["export", str(track_file), str(bad), str(second), "-o", str(out),
                                 "--format", "unity", "--node-path", "Body"])
    assert r.exit_code == 1, r.output  # the others are exported, but the run reports the failure
    assert "Warning: skipping" in r.output and "broken.jsonl" in r.output
    assert "Exported 2 of 3 tracks" in r.output and "Error: 1 of 3 tracks failed" in r.output
    assert sorted(p.name for p in out.iterdir()) == ["face.anim", "second.anim"]
    assert parse_unity_yaml((out / "second.anim").read_text())["body"]["AnimationClip"]["m_Name"] == "second"
    r = CliRunner().invoke(cli, ["export", str(track_file), str(second), "-o", str(out)])
    assert r.exit_code == 2 and "need --format" in r.output
    r = CliRunner().invoke(cli, ["export", str(bad), str(bad), "-o", str(out), "-f", "gltf"])
    assert r.exit_code == 1 and "no track could be exported" in r.output


def test_batch_with_a_bad_csv_cell_skips_it_and_exits_1(track_file, tmp_path):
    # Issue: `export A.jsonl B.jsonl bad.csv -o dir -f unity` crashed with a traceback after writing
    # one clip, although the help promised to skip failing tracks with a warning.
    import csv

    from facemimic.expressions import read_track
    from facemimic.expressions.io import CSV_COLUMNS

    a = write_track(read_track(track_file), tmp_path / "A.jsonl")
    b = write_track(read_track(track_file).shifted(1.0), tmp_path / "B.jsonl")
    bad = write_track(read_track(track_file), tmp_path / "bad.csv")
    rows = list(csv.reader(bad.open(newline="")))
    rows[4][CSV_COLUMNS.index("JawOpen")] = "abc"
    with bad.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    out = tmp_path / "clips"
    r = CliRunner().invoke(cli, ["export", str(a), str(b), str(bad), "-o", str(out), "-f", "unity"])
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    warning = [line for line in r.output.splitlines() if line.startswith("Warning:")]
    assert warning == [f"Warning: skipping {bad}: line 5, column JawOpen: 'abc' is not a number"]
    assert "Exported 2 of 3 tracks" in r.output and f"Error: 1 of 3 tracks failed: {bad}" in r.output
    assert sorted(p.name for p in out.iterdir()) == ["A.anim", "B.anim"]  # nothing half-written
    for name in ("A", "B"):
        assert parse_unity_yaml((out / f"{name}.anim").read_text())["body"]["AnimationClip"]["m_Name"] == name
    # All good: exit 0.
    r = CliRunner().invoke(cli, ["export", str(a), str(b), "-o", str(out), "-f", "unity"])
    assert r.exit_code == 0 and "Exported 2 of 2 tracks" in r.output


def test_batch_refuses_two_tracks_with_one_clip_name(track_file, tmp_path):
    (tmp_path / "x").mkdir()
    other = write_track(real_track(), tmp_path / "x" / "face.csv")
    out = tmp_path / "clips"
    r = CliRunner().invoke(cli, ["export", str(track_file), str(other), "-o", str(out), "-f", "godot"])
    assert r.exit_code == 1, r.output
    assert f"Warning: skipping {other}: its clip face.tres is already written from {track_file}" in r.output
    assert [p.name for p in out.iterdir()] == ["face.tres"]
    assert parse_tres((out / "face.tres").read_text())["header"]["type"] == "Animation"
