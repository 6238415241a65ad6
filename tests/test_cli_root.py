"""The command-line root: version, help, lazy imports, one-line errors."""

import subprocess
import sys

from click.testing import CliRunner

from facemimic import __version__
from facemimic.cli import cli


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_help_lists_every_command_module():
    from facemimic.cli import _command_modules

    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in _command_modules():
        assert name in result.output


def test_help_is_lazy_in_a_fresh_interpreter():
    code = ("import sys; from facemimic.cli import cli\n"
            "try:\n    cli(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('mediapipe', 'cv2', 'av', 'numpy', 'pocketsphinx', 'pygltflib') "
            "if m in sys.modules]\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out, out


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["trak"])
    assert result.exit_code == 2 and "No such command" in result.output


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    block = readme.split("## Set-up: two commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines() if line.strip()]
    assert commands == ["pip install . && facemimic demo", "bash scripts/test.sh"]
    assert "bash scripts/test.sh" in (root / ".ci" / "run").read_text()
