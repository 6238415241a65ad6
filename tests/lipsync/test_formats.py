"""Rhubarb's four formats byte-for-byte (golden strings from Rhubarb 1.14's exporters, spec §1.4),
read back by independent parsers (csv, json, xml.etree), plus phones and curve files."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from click.testing import CliRunner

from facemimic.cli import cli
from facemimic.errors import UnknownNameError
from facemimic.lipsync.api import from_phones
from facemimic.lipsync.formats import FORMATS, format_for_path, render
from facemimic.lipsync.shapes import MouthCue


class _Result:  # the minimal object the Rhubarb writers read
    def __init__(self, cues, duration, sound_file="/data/wav/s04.wav", extended="GHX"):
        self.cues, self.duration, self.sound_file, self.extended_shapes = cues, duration, sound_file, extended


SPEC_CUES = [MouthCue(0.0, 0.21, "X"), MouthCue(0.21, 0.40, "B"), MouthCue(0.40, 1.66, "C"),
             MouthCue(1.66, 1.96, "X")]


def test_tsv_golden():
    assert render(_Result(SPEC_CUES, 1.9675), "rhubarb-tsv") == "0.00\tX\n0.21\tB\n0.40\tC\n1.66\tX\n1.96\tX\n"
    # without X the rest shape is A, in the cues and on the closing line
    basic = [MouthCue(0.0, 0.3, "A"), MouthCue(0.3, 0.5, "C"), MouthCue(0.5, 0.8, "A")]
    assert render(_Result(basic, 0.8, extended=""), "rhubarb-tsv").splitlines()[-1] == "0.80\tA"


def test_json_golden():
    text = render(_Result(SPEC_CUES, 1.9675), "rhubarb-json")
    assert text == (
        '{\n  "metadata": {\n    "soundFile": "/data/wav/s04.wav",\n    "duration": 1.96\n  },\n'
        '  "mouthCues": [\n'
        '    { "start": 0.00, "end": 0.21, "value": "X" },\n'
        '    { "start": 0.21, "end": 0.40, "value": "B" },\n'
        '    { "start": 0.40, "end": 1.66, "value": "C" },\n'
        '    { "start": 1.66, "end": 1.96, "value": "X" }\n'
        "  ]\n}\n")
    data = json.loads(text)
    assert data["metadata"] == {"soundFile": "/data/wav/s04.wav", "duration": 1.96}
    assert [c["value"] for c in data["mouthCues"]] == ["X", "B", "C", "X"]


def test_xml_golden():
    text = render(_Result(SPEC_CUES, 1.9675, sound_file="/a&b/s.wav"), "rhubarb-xml")
    assert text.splitlines()[:4] == ['<?xml version="1.0" encoding="utf-8"?>', "<rhubarbResult>",
                                     "  <metadata>", "    <soundFile>/a&amp;b/s.wav</soundFile>"]
    assert '    <mouthCue start="0.21" end="0.40">B</mouthCue>' in text.splitlines()
    root = ET.fromstring(text.encode())
    assert root.tag == "rhubarbResult"
    assert root.find("metadata/soundFile").text == "/a&b/s.wav"
    assert root.find("metadata/duration").text == "1.96"
    cues = root.findall("mouthCues/mouthCue")
    assert [(c.get("start"), c.get("end"), c.text) for c in cues][1] == ("0.21", "0.40", "B")


def test_dat_golden():
    assert render(_Result(SPEC_CUES, 1.9675), "rhubarb-dat", preston_blair=True) == \
        "MohoSwitch1\n1 rest\n6 etc\n10 E\n40 rest\n48 rest\n"
    assert render(_Result(SPEC_CUES, 1.9675), "rhubarb-dat", dat_fps=100).splitlines()[1:3] == ["1 X", "22 B"]
    with pytest.raises(Exception, match="24..100"):
        render(_Result(SPEC_CUES, 1.9675), "rhubarb-dat", dat_fps=12)


@pytest.fixture(scope="module")
def result(speech_items):
    it = next(i for i in speech_items if i.id == "s10")
    return from_phones(list(it.phones), it.duration, sound_file="/x/s10.wav")


def test_real_result_in_every_format_parses(result, tmp_path):
    for name, f in FORMATS.items():
        path = result.write(tmp_path / f"out{f.extension}")
        assert format_for_path(path) == name
        text = path.read_text(encoding="utf-8")
        if name == "rhubarb-tsv":
            rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
            assert rows[0] == ["0.00", "X"] and rows[-1][1] == "X"
            assert [float(r[0]) for r in rows] == sorted(float(r[0]) for r in rows)
        elif name == "rhubarb-json":
            cues = json.loads(text)["mouthCues"]
            assert all(a["end"] == b["start"] for a, b in zip(cues, cues[1:]))
            assert cues[-1]["end"] == json.loads(text)["metadata"]["duration"]
        elif name == "rhubarb-xml":
            assert len(ET.parse(path).getroot().findall("mouthCues/mouthCue")) == len(result.cues)
        elif name == "rhubarb-dat":
            lines = text.splitlines()
            frames = [int(ln.split()[0]) for ln in lines[1:]]
            assert lines[0] == "MohoSwitch1" and frames == sorted(set(frames)) and frames[0] == 1
        elif name == "phones":
            df = pd.read_csv(path, sep="\t", keep_default_na=False)
            assert list(df.columns) == ["start", "end", "phone", "word"] and (df.end > df.start).all()
        elif name == "csv":
            df = pd.read_csv(path)
            assert {"time", "shape", "phone", "rhubarb.A", "oculus.PP", "vrm.aa", "ue.JawOpen",
                    "ue.TongueOut"} <= set(df.columns)
            assert abs(df.time.diff().dropna() - 1 / 60).max() < 1e-3
            assert df.filter(like="ue.").to_numpy().max() <= 1.0
        elif name == "jsonl":
            lines = [json.loads(ln) for ln in text.splitlines()]
            head, rows = lines[0], lines[1:]
            assert head["format"] == "facemimic.visemes" and len(head["channels"]["oculus"]) == 15
            assert all(len(r["vrm"]) == 5 for r in rows)


def test_unknown_format_suggests():
    with pytest.raises(UnknownNameError, match="did you mean"):
        render(_Result(SPEC_CUES, 2.0), "rhubarb-jsn")
    with pytest.raises(UnknownNameError):
        format_for_path("out.docx")


def test_cli_formats_and_rhubarb_aliases(speech_wavs, tmp_path):
    wav = str(speech_wavs["s04"])
    r = CliRunner().invoke(cli, ["lipsync", wav, "--dialogFile", str(_dialog(tmp_path)), "-f", "json",
                                 "--extendedShapes", "", "-q"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["metadata"]["soundFile"] == str(speech_wavs["s04"].resolve())
    assert {c["value"] for c in data["mouthCues"]} <= set("ABCDEF")
    out = tmp_path / "o.xml"
    r = CliRunner().invoke(cli, ["lipsync", wav, "-o", str(out), "--track", str(tmp_path / "t.csv")])
    assert r.exit_code == 0, r.output
    assert ET.parse(out).getroot().tag == "rhubarbResult"
    assert pd.read_csv(tmp_path / "t.csv")["JawOpen"].max() > 0.2


def _dialog(tmp_path):
    p = tmp_path / "dialog.txt"
    p.write_text("These days a chicken leg is a rare dish.\n", encoding="utf-8")
    return p


def test_cli_batch_skips_bad_files(speech_wavs, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all" * 10)
    outdir = tmp_path / "out"
    outdir.mkdir()
    r = CliRunner().invoke(cli, ["lipsync", str(speech_wavs["s04"]), str(bad), str(speech_wavs["s10"]),
                                 "-o", str(outdir), "-f", "rhubarb-tsv"])
    assert r.exit_code == 0, r.output
    assert "skipping" in r.output and "bad.wav" in r.output
    assert sorted(p.name for p in outdir.iterdir()) == ["s04.tsv", "s10.tsv"]


def test_cli_errors_are_one_line(tmp_path):
    r = CliRunner().invoke(cli, ["lipsync", str(tmp_path / "missing.wav")])
    assert r.exit_code == 1 and r.output.strip().splitlines() == [f"Error: {tmp_path / 'missing.wav'}: file not found"]
    r = CliRunner().invoke(cli, ["lipsync", str(tmp_path / "x.wav"), "--text", "a", "--dialog", __file__])
    assert r.exit_code == 2
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    r = CliRunner().invoke(cli, ["lipsync", str(empty), "-o", str(tmp_path / "o.tsv")])
    assert r.exit_code == 1 and "empty" in r.output and not (tmp_path / "o.tsv").exists()


def test_cli_machine_readable_status(speech_wavs, tmp_path):
    """Rhubarb's --machineReadable protocol (used by its After Effects/OpenToonz integrations)."""
    r = CliRunner().invoke(cli, ["lipsync", str(speech_wavs["s10"]), "--machineReadable", "-r", "phonetic",
                                 "--threads", "2", "-o", str(tmp_path / "o.tsv")])
    assert r.exit_code == 0, r.output
    lines = [json.loads(ln) for ln in r.output.splitlines() if ln.startswith("{")]
    assert [ln["type"] for ln in lines][0] == "start" and lines[-1]["type"] == "success"
    prog = [ln["value"] for ln in lines if ln["type"] == "progress"]
    assert prog and prog == sorted(prog) and prog[-1] == 1.0
    assert all({"level", "message"} <= ln["log"].keys() for ln in lines)
    r = CliRunner().invoke(cli, ["lipsync", str(tmp_path / "none.wav"), "--machineReadable"])
    fail = [json.loads(ln) for ln in r.output.splitlines() if ln.startswith("{")][-1]
    assert r.exit_code == 1 and fail["type"] == "failure" and "file not found" in fail["reason"]


def test_recognised_phones_stay_inside_the_sound(tmp_path):
    # Speech from the file's first sample: the recogniser's segment is re-cut 87 ms before it
    # (recognize.anchor_segment), and `lipsync speech.wav -o x.phones.tsv` wrote rows from -0.077 s
    # and past the end (2.199 s of a 2.12 s file). Phones are now kept inside [0, duration].
    from facemimic.common.audio import write_wav
    from facemimic.lipsync.api import lipsync
    from facemimic.voice import say

    sp = say("Hello there! Nice to meet you.")
    write_wav(tmp_path / "hi.wav", sp.audio, sp.sample_rate)
    r = lipsync(tmp_path / "hi.wav")
    assert r.method != "align" and any(p.name != "SIL" for p in r.phones)
    assert r.phones[0].start == 0.0 and r.phones[-1].end <= r.duration
    assert all(0 <= p.start < p.end <= r.duration for p in r.phones)
    rows = list(csv.DictReader(io.StringIO(render(r, "phones")), delimiter="\t"))
    assert float(rows[0]["start"]) == 0 and all(float(x["start"]) >= 0 for x in rows)
    assert max(float(x["end"]) for x in rows) <= round(r.duration, 3)
    assert r.cues[0].start == 0.0  # the cues always started at 0
