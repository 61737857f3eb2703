"""The `costline` command line: each command parses its options, makes one `Costline` call
and renders the result (`costline.cli.app` holds what they share)."""

# isort: skip_file
# the order of these imports is the order of the commands in `costline --help`
from costline.cli import scenarios  # noqa: F401
from costline.cli import compute  # noqa: F401
from costline.cli import logs  # noqa: F401
from costline.cli import catalog  # noqa: F401
from costline.cli import serve  # noqa: F401
from costline.cli.app import app, main

__all__ = ["app", "main"]
