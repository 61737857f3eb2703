"""Every command the README shows and every `Example:` in a command's help runs as written,
from a fresh copy of the project's `examples/`, through the installed `costline` script;
and the README's Python section runs too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from costline.cli import app

from .conftest import ROOT

README = (ROOT / "README.md").read_text()
SCRIPTS = Path(sys.executable).parent


def commands() -> dict[str, list[str]]:
    """Every registered command by its words (`models search`), with its help text."""
    found: dict[str, list[str]] = {}

    def walk(group: object, prefix: list[str]) -> None:
        for name, command in getattr(group, "commands", {}).items():
            if getattr(command, "commands", None):
                walk(command, [*prefix, name])
            else:
                found[" ".join([*prefix, name])] = (command.help or "").splitlines()

    walk(typer.main.get_command(app), [])
    return found


def _joined(lines: list[str]) -> list[str]:
    """Shell lines with their backslash continuations joined."""
    out: list[str] = []
    for line in lines:
        if out and out[-1].endswith("\\"):
            out[-1] = out[-1][:-1].rstrip() + " " + line.strip()
        else:
            out.append(line.strip())
    return [line for line in out if line]


def help_examples() -> dict[str, list[str]]:
    """Each command's `Example:` lines."""
    out = {}
    for name, lines in commands().items():
        if "Example:" not in [line.strip() for line in lines]:
            out[name] = []
            continue
        start = [line.strip() for line in lines].index("Example:") + 1
        out[name] = _joined(lines[start:])
    return out


def readme_commands() -> list[str]:
    """The shell lines of the README's ```sh blocks, but the set-up (make)."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        lines += [line for line in _joined(block.splitlines()) if not line.startswith("make ")]
    return lines


def test_every_command_has_an_example_in_its_help():
    examples = help_examples()
    assert {"run", "brief", "models search", "classify"} <= set(examples)
    missing = [name for name, lines in examples.items() if not lines]
    assert missing == []
    for name, lines in examples.items():
        assert any(line.startswith(f"costline {name}") for line in lines), name


def _order(name: str) -> int:
    # the logs a later example reads come from the ingest example
    return {"ingest": 0, "fit": 2}.get(name, 1)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder with a copy of `examples/`, as a new clone has it."""
    folder = tmp_path_factory.mktemp("fresh-clone")
    shutil.copytree(ROOT / "examples", folder / "examples")
    return folder


def _serve(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`costline serve ...` runs until stopped: start it, load the page it prints, stop it."""
    import urllib.request

    with subprocess.Popen(
        ["bash", "-c", f"exec {line}"],
        cwd=cwd,
        env={**env, "BROWSER": "true"},  # --open: a browser that opens nothing
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        code = 0
        try:
            url = first.split()[2]
            with urllib.request.urlopen(url, timeout=30) as page:
                code = 0 if page.status == 200 else 1
        except (IndexError, OSError) as exc:
            code, first = 1, f"{first} ({exc})"
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(line, code, first, err)


def _run(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{SCRIPTS}{os.pathsep}{os.environ.get('PATH', '')}"}
    if line.startswith("costline serve"):
        return _serve(line.split(" #")[0], cwd, env)
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", line],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_readme_command_and_help_example_runs_as_written(workdir):
    examples = help_examples()
    lines = [line for name in sorted(examples, key=_order) for line in examples[name]]
    lines += readme_commands()
    seen: set[str] = set()
    failed = []
    for line in lines:
        key = line.split(" #")[0].strip()
        if key in seen:
            continue
        seen.add(key)
        done = _run(line, workdir)
        if done.returncode != 0 or "Traceback" in done.stderr:
            failed.append(f"{line}\n  exit {done.returncode}: {done.stderr.strip()[-500:]}")
    assert failed == []
    assert len(seen) > 40


def test_the_readme_python_section_runs(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    blocks = re.findall(r"## Python\n.*?```python\n(.*?)```", README, re.S)
    assert blocks, "the README has a Python section with a ```python block"
    code = blocks[0]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
