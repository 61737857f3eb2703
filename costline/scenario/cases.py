"""Cases (low / base / high): named sets of overrides of a scenario's fields.

A case maps field paths to values: `users.start: 5000`,
`features.chat.usage.output_tokens: {median: 600, p95: 2000}`,
`plans.pro.price_usd_per_month: 25`. Lists of named items (plans, features, monthly,
one_time) are addressed by name (or by index); the overridden scenario is validated as a
whole, so a case can no more break a rule than the file itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from costline.errors import ScenarioError
from costline.scenario.models import Scenario

BASE_CASE = "base"


def case_scenarios(scenario: Scenario, file: str = "<scenario>") -> dict[str, Scenario]:
    """The scenario as written (`base`) and each of its cases, by name."""
    out = {BASE_CASE: scenario}
    for name, overrides in scenario.cases.items():
        out[name] = apply_case(scenario, name, overrides, file)
    return out


def apply_case(
    scenario: Scenario, name: str, overrides: dict[str, Any], file: str = "<scenario>"
) -> Scenario:
    """`scenario` with the case's overrides applied; errors located at `cases.NAME.PATH`."""
    data = scenario.model_dump(mode="json", exclude_unset=True)
    data.pop("cases", None)
    for path, value in overrides.items():
        where = f"cases.{name}.{path}"
        _set(data, [part for part in str(path).split(".") if part], value, file, where)
    from costline.scenario.load import describe_errors

    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        at, message = describe_errors(err.errors(), data)
        raise ScenarioError(file, f"cases.{name}: {at or 'the top level'}", message) from None


@contextmanager
def in_case(name: str) -> Iterator[None]:
    """Errors raised while pricing or running case `name` name the case: a model or a
    figure only the case sets is the case's mistake, not the file's."""
    try:
        yield
    except ScenarioError as err:
        if err.location and err.location.startswith("cases."):
            raise
        where = f"cases.{name}: {err.location}" if err.location else f"cases.{name}"
        raise ScenarioError(err.file, where, err.message) from None


def _set(data: Any, parts: list[str], value: Any, file: str, where: str) -> None:
    if not parts:
        raise ScenarioError(file, where, "an empty field path")
    head, rest = parts[0], parts[1:]
    if isinstance(data, list):
        index = _find(data, head, file, where)
        if not rest:
            data[index] = value
        else:
            _set(data[index], rest, value, file, where)
        return
    if not isinstance(data, dict):
        raise ScenarioError(file, where, f"{head!r} is inside a value, not a field")
    if not rest:
        data[head] = value
        return
    if head not in data:
        data[head] = {}
    _set(data[head], rest, value, file, where)


def _find(items: list[Any], key: str, file: str, where: str) -> int:
    """Index of the item named `key` (or at index `key`) in a list."""
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if key in names:
        return names.index(key)
    if key.isdigit() and int(key) < len(items):
        return int(key)
    known = ", ".join(str(n) for n in names if n is not None) or "none named"
    raise ScenarioError(file, where, f"no item named {key!r}; the names are {known}")
