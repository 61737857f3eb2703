"""Read a scenario file (YAML, TOML or JSON) and validate it.

Every failure becomes one `ScenarioError` naming the file, the field path in the
`features[1].usage.output_tokens.p95` style, and what was expected.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from costline.errors import ScenarioError
from costline.scenario.common import reads_as_number, yaml_float
from costline.scenario.models import Scenario


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml's when PyYAML has it: several times faster) that refuses
    a key written twice in one mapping, where YAML would silently keep the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_YAML_LOADER = _YamlLoader
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate the scenario at `path`; raises ScenarioError on any problem."""
    path = Path(path)
    name = str(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ScenarioError(name, None, "expected a .yaml, .yml, .toml or .json scenario file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(name, None, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(name, None, "is a folder; expected a scenario file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(name, None, f"cannot be read: {err}") from None
    return parse_scenario(text, kind, name)


def parse_scenario(text: str, kind: str, name: str = "<scenario>") -> Scenario:
    """Validate scenario text of `kind` yaml, toml or json; `name` labels errors."""
    if not text.strip():
        raise ScenarioError(name, None, "the file is empty; expected a scenario")
    data = _parse(text, kind, name)
    if not isinstance(data, dict):
        raise ScenarioError(name, None, "expected a mapping of scenario fields at the top level")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(name, *describe_errors(err.errors(), data)) from None
    slip = percent_slip(scenario)
    if slip is not None:
        raise ScenarioError(name, *slip)
    return scenario


def parse_document(text: str, kind: str, name: str = "<scenario>") -> dict[str, Any]:
    """Scenario text of `kind` as the plain mapping the user wrote (before validation
    fills any default), e.g. for a form that shows only the fields a file sets."""
    data = _parse(text, kind, name) if text.strip() else {}
    if not isinstance(data, dict):
        raise ScenarioError(name, None, "expected a mapping of scenario fields at the top level")
    return data


def percent_slip(scenario: Scenario) -> tuple[str, str] | None:
    """The first value that can only be a percentage written where a fraction goes (a
    price rise above 100% a year, an overhead above 100%), as (field path, message);
    None when there is none or the scenario sets `allow_extreme: true`."""
    if scenario.allow_extreme:
        return None
    allow = " (if you mean it, set allow_extreme: true at the top of the scenario)"
    change = scenario.price_trajectory.annual_change
    if change > 1:
        return (
            "price_trajectory.annual_change",
            f"{change:g} means prices x{1 + change:g} every year (+{change * 100:g}%); the "
            f"change is a fraction: write -{change / 100:g} for {change:g}% cheaper a year, "
            f"{change / 100:g} for {change:g}% dearer{allow}",
        )
    for i, feature in enumerate(scenario.features):
        overhead = feature.extras.orchestration_overhead
        if overhead > 1:
            return (
                f"features[{i}].extras.orchestration_overhead",
                f"{overhead:g} means +{overhead * 100:g}% on every LLM call; the overhead is "
                f"a fraction: write {overhead / 100:g} for {overhead:g}%{allow}",
            )
    return None


def _parse(text: str, kind: str, name: str) -> Any:
    try:
        if kind == "yaml":
            return yaml.load(text, Loader=_YAML_LOADER)
        if kind == "toml":
            return tomllib.loads(text)
        return json.loads(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(err, "problem", None) or str(err)
        raise ScenarioError(name, where, f"malformed YAML: {problem}") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(name, None, f"malformed TOML: {err}") from None
    except json.JSONDecodeError as err:
        where = f"line {err.lineno}, column {err.colno}"
        raise ScenarioError(name, where, f"malformed JSON: {err.msg}") from None


def format_path(loc: tuple[str | int, ...]) -> str:
    """`('features', 1, 'usage', 'p95')` -> `features[1].usage.p95`, without union tags."""
    out = ""
    for item in loc:
        if isinstance(item, int):
            out += f"[{item}]"
        elif _is_union_tag(item):
            continue
        else:
            out += f".{item}" if out else item
    return out


def _is_union_tag(item: str) -> bool:
    # pydantic names the branch of a union it tried: 'str', 'PriceOverride',
    # 'constrained-str', 'function-after[...]'; field names are snake_case.
    return item[:1].isupper() or "[" in item or "-" in item or item in _TYPE_NAMES


_TYPE_NAMES = {"str", "float", "int", "bool", "list", "dict"}
# Errors whose message already says what was given.
_OWN_MESSAGES = {
    "p95_below_median",
    "quantity_form",
    "share_sum",
    "reference",
    "trigger_rate",
    "model_or_routing",
    "users_form",
    "year_month",  # says what it got, a date as a date
    "too_many",
}


def describe_errors(errors: list[Any], data: Any) -> tuple[str | None, str]:
    # A typo'd key also makes its real key "missing": report the typo.
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    if extra:
        loc = tuple(extra[0]["loc"])
        return format_path(loc), _unknown_key_message(loc, data)
    first = format_path(tuple(errors[0]["loc"]))
    # A union reports each branch it tried; the deepest path is the branch that fit.
    related = [e for e in errors if format_path(tuple(e["loc"])).startswith(first)]
    path = max((format_path(tuple(e["loc"])) for e in related), key=len)
    same = [e for e in related if format_path(tuple(e["loc"])) == path]
    messages = list(dict.fromkeys(_message(e) for e in same))
    if path.endswith(".value") and not isinstance(_at(data, same[0]["loc"][:-1]), dict):
        # a bare number is a quantity's `value`: the user wrote the field itself
        path = path.removesuffix(".value")
    return (path or None), " or ".join(messages)


def _at(data: Any, loc: tuple[str | int, ...]) -> Any:
    """What the user wrote at pydantic location `loc` (union tags skipped); None if absent."""
    for item in loc:
        if isinstance(item, str) and _is_union_tag(item):
            continue
        if isinstance(data, list) and isinstance(item, int):
            data = data[item] if 0 <= item < len(data) else None
        elif isinstance(data, dict):
            data = data.get(item)
        else:
            return None
    return data


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "required field is missing"
    text = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] not in _OWN_MESSAGES and "input" in error:
        given = error["input"]
        if not isinstance(given, dict | list):
            text += f" (got {given!r})"
        if is_percent(error):
            text += f"; shares and rates are fractions: write {given / 100:g} for {given:g}%"
        if isinstance(given, str) and "e" in given.lower() and reads_as_number(given):
            text += f"; YAML reads {given} as text: write {yaml_float(given)}"
    return text


def is_percent(error: Any) -> bool:
    """A share written as a percentage: above a limit of 1, at most 100."""
    given, limit = error.get("input"), (error.get("ctx") or {}).get("le")
    return (
        error["type"] == "less_than_equal"
        and limit == 1
        and isinstance(given, int | float)
        and not isinstance(given, bool)
        and 1 < given <= 100
    )


def _unknown_key_message(loc: tuple[str | int, ...], data: Any) -> str:
    key = str(loc[-1])
    model = _model_at(loc[:-1])
    if model is None:
        return f"unknown field {key!r}"
    fields = list(model.model_fields)
    close = difflib.get_close_matches(key, fields, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown field {key!r}{hint}; expected one of: {', '.join(fields)}"


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping found at `loc`."""
    model: type[BaseModel] | None = Scenario
    for item in loc:
        if model is None:
            return None
        if isinstance(item, int) or _is_union_tag(item):
            continue
        field = model.model_fields.get(item)
        if field is None:
            # a dict key such as a plan name in trigger_by_plan
            continue
        model = _model_in(field.annotation)
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    metadata_origin = getattr(annotation, "__origin__", None)
    if metadata_origin is not None and metadata_origin is not annotation:
        return _model_in(metadata_origin)
    return None
