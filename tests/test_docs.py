"""The README's scenario runs and every command it shows exists."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from costline.cli import app
from costline.scenario.load import parse_scenario

from .conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_the_readme_scenario_is_valid_and_runs(cl):
    block = re.search(r"```yaml\n(.*?)```", README, re.S)
    assert block is not None
    scenario = parse_scenario(block.group(1), "yaml", "README.md")
    result = cl.run(scenario)
    assert result.features[0].cost_per_query.mean > 0


def test_every_command_in_the_readme_has_help():
    shell = "\n".join(re.findall(r"```sh\n(.*?)```", README, re.S))
    commands = set(re.findall(r"^costline ([a-z]+(?: [a-z]+)?)", shell, re.M))
    assert {"run", "schema"} <= {c.split()[0] for c in commands}
    runner = CliRunner()
    for command in commands:
        words = [w for w in command.split() if not w.startswith("examples")]
        words = words[:2] if words[0] == "models" else words[:1]
        result = runner.invoke(app, [*words, "--help"], catch_exceptions=False)
        assert result.exit_code == 0, command


def test_the_readme_opens_with_the_two_set_up_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    assert first_block.splitlines()[0].startswith("make demo")
    assert first_block.splitlines()[1].startswith("make test")
