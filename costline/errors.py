"""The errors costline raises on bad input.

CostlineError                 anything costline reports to the user instead of a traceback
└── InputError                bad input: the CLI prints one message and exits with code 2
    ├── ScenarioError         a scenario file that cannot be read or fails validation
    └── UnknownModelError     a model reference the price catalog cannot price
"""

from __future__ import annotations


class CostlineError(Exception):
    """Base of every error costline explains to the user."""


class InputError(CostlineError):
    """Bad input. `str(err)` is the whole message shown to the user; `field` names the
    input it is about (a spec field such as `gpu`), where one does."""

    exit_code = 2

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class ScenarioError(InputError):
    """A scenario file problem, located by file and field path (or line)."""

    def __init__(self, file: str, location: str | None, message: str) -> None:
        self.file = file
        self.location = location
        self.message = message
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
