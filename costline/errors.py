"""The errors costline raises on bad input.

CostlineError                 anything costline reports to the user instead of a traceback
└── InputError                bad input: the CLI prints one message and exits with code 2
    ├── ScenarioError         a scenario file that cannot be read or fails validation
    └── UnknownModelError     a model reference the price catalog cannot price
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_MARK = re.compile("\x00([^\x00\x1f]*)\x1f([^\x00\x1f]*)\x1f([^\x00\x1f]*)\x00")


def option(name: str, python: str | None = None, cli: str | None = None) -> str:
    """An input named in a message, spelt for whoever reads it: `python` (or `name`) in
    the library's message, `cli` (or the option the CLI maps `name` to) on the command
    line. `InputError(f"... add {option('force', 'force=True')} to replace it")`."""
    return f"\x00{name}\x1f{python or name}\x1f{cli or ''}\x00"


class CostlineError(Exception):
    """Base of every error costline explains to the user."""


class InputError(CostlineError):
    """Bad input. `str(err)` is the whole message shown to the user; `field` names the
    input it is about (a spec field such as `gpu`), where one does."""

    exit_code = 2

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        self.template = message
        """The message with its `option` marks, for `render`."""
        super().__init__(self.render())

    def render(self, cli_name: Callable[[str], str] | None = None) -> str:
        """The message with each `option` spelt for the library (`str(err)`), or for the
        command line by `cli_name(name)` where an option has no spelling of its own."""

        def spelt(m: re.Match[str]) -> str:
            if cli_name is None:
                return m.group(2)
            return m.group(3) or cli_name(m.group(1))

        return _MARK.sub(spelt, self.template)

    def spelt(self, names: Mapping[str, str]) -> str:
        """The message with each `option` named as a surface of its own names it (the web
        page: "the Columns box"); the library's spelling for any it does not name."""
        return _MARK.sub(lambda m: names.get(m.group(1), m.group(2)), self.template)


class ScenarioError(InputError):
    """A scenario file problem, located by `file` and `location` (a field path such as
    `features[0].usage.input_tokens`, or a line); `field` stays None: the input it is
    about is the scenario itself, and its message already names where."""

    def __init__(self, file: str, location: str | None, message: str) -> None:
        self.file = file
        self.location = location
        self.message = _MARK.sub(lambda m: m.group(2), message)
        where = f"{file}: {location}" if location else file
        super().__init__(f"{where}: {message}")


class UnknownModelError(InputError):
    """A model reference the catalog cannot price; carries the closest matches."""

    def __init__(self, ref: str, suggestions: list[str], reason: str | None = None) -> None:
        self.ref = ref
        self.suggestions = suggestions
        text = reason or f"unknown model {ref!r}: the price catalog cannot price it"
        if suggestions:
            text += "; closest matches: " + ", ".join(suggestions)
        text += (
            " (or give an explicit price: model: {name: ..., input_usd_per_mtok: ...,"
            " output_usd_per_mtok: ...})"
        )
        super().__init__(text)
