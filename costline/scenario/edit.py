"""Change a scenario's YAML in place: set a field, delete one, append to a list.

The page's form edits the founder's own file, so everything it does not touch (comments,
key order, flow or block style, quoting) comes back as it was written. Paths are spelt as
the validation errors spell them: `features[1].usage.output_tokens.p95`.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from costline.errors import InputError
from costline.scenario.common import yaml_float
from costline.scenario.models import Scenario

_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d{1,6})\]")


class _Representer(RoundTripRepresenter):
    """Writes floats as PyYAML (YAML 1.1, what costline reads with) reads a float:
    1.0e-06, where YAML 1.2's 1e-06 would read back as text."""


_Representer.add_representer(
    float, lambda r, v: r.represent_scalar("tag:yaml.org,2002:float", yaml_float(repr(v)))
)


class Edit(BaseModel):
    """One change to a scenario document."""

    path: str = Field(max_length=300, examples=["plans[0].price_usd_per_month"])
    """The field, as validation errors spell it."""
    op: Literal["set", "delete", "append"] = "set"
    """`set` the field to `value`, `delete` it (a key, or an item of a list), or `append`
    `value` to the list at `path` (made when missing)."""
    value: Any = None
    """The new value (a number, text, or a mapping or list of them)."""

    @field_validator("value")
    @classmethod
    def _shallow(cls, value: Any) -> Any:
        # a scenario nests a handful of levels; a value deeper than this is not one
        if _depth(value) > MAX_VALUE_DEPTH:
            raise PydanticCustomError(
                "too_deep", "nests deeper than {depth} levels", {"depth": MAX_VALUE_DEPTH}
            )
        return value


WRITTEN_FIGURES = 4
"""Significant figures of a number the sliders change when written into the scenario."""
MAX_VALUE_DEPTH = 12
"""How deep an edit's value may nest (the deepest scenario field is about 6 levels)."""


def _depth(value: Any) -> int:
    stack, deepest = [(value, 1)], 0
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_VALUE_DEPTH:
            break
        if isinstance(node, dict):
            stack += [(v, depth + 1) for v in node.values()]
        elif isinstance(node, list):
            stack += [(v, depth + 1) for v in node]
    return deepest


def _steps(path: str, where: str) -> list[str | int]:
    steps: list[str | int] = []
    at = 0
    for match in _STEP.finditer(path):
        gap = path[at : match.start()]
        name, index = match.group(1), match.group(2)
        if gap != ("." if name and steps else "") or (index and not steps):
            steps = []
            break
        steps.append(name if name else int(index))
        at = match.end()
    if not steps or at != len(path):
        raise InputError(
            f"expected a field path such as plans[0].price_usd_per_month (got {path!r})", where
        )
    return steps


def _plain(value: Any) -> Any:
    # a text PyYAML would read back as something else (yes, 1e3, 2026-01-01) is quoted
    if isinstance(value, str):
        try:
            same = yaml.safe_load(value) == value
        except yaml.YAMLError:
            same = False
        return value if same else DoubleQuotedScalarString(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _apply(document: Any, edit: Edit, where: str) -> None:
    steps = _steps(edit.path, f"{where}.path")
    node = document
    for depth, step in enumerate(steps[:-1]):
        child = _child(node, step)
        if child is None:
            if edit.op == "delete":
                return  # nothing there to delete
            if isinstance(step, int) or not isinstance(node, dict):
                raise InputError(f"{edit.path}: there is no {_spell(steps[: depth + 1])}", where)
            child = [] if isinstance(steps[depth + 1], int) else {}
            node[step] = child
        node = child
    last = steps[-1]
    if edit.op == "delete":
        if isinstance(node, dict) and isinstance(last, str):
            _drop_key(node, last)
        elif isinstance(node, list) and isinstance(last, int) and last < len(node):
            del node[last]
            if not node and len(steps) > 1:
                # a list left empty goes with its key, so `one_time: []` does not appear;
                # unless the user commented on it: then `one_time: []  # the comment`
                parent = document
                for step in steps[:-2]:
                    parent = _child(parent, step)
                if isinstance(parent, dict) and isinstance(steps[-2], str):
                    comment = _key_comment(parent, steps[-2])
                    if comment is None or not isinstance(parent, CommentedMap):
                        _drop_key(parent, steps[-2])
                    else:
                        empty = CommentedSeq()
                        empty.fa.set_flow_style()
                        parent[steps[-2]] = empty
                        parent.yaml_add_eol_comment(comment, steps[-2])
        return
    if edit.op == "append":
        target = _child(node, last)
        if target is None and isinstance(node, dict) and isinstance(last, str):
            target = node[last] = []
        if not isinstance(target, list):
            raise InputError(f"{edit.path}: expected a list to append to", where)
        item = _plain(edit.value)
        if isinstance(item, dict) and target and _is_flow(target[-1]):
            item = CommentedMap(item)  # written like its siblings, on one line
            item.fa.set_flow_style()
        target.append(item)
        return
    settable = (isinstance(node, dict) and isinstance(last, str)) or (
        isinstance(node, list) and isinstance(last, int) and last < len(node)
    )
    if not settable:
        raise InputError(f"{edit.path}: there is no {_spell(steps)}", where)
    node[last] = _plain(edit.value)


def _drop_key(node: dict[str, Any], key: str) -> None:
    """Delete `key`, keeping the blank lines and comments written after its line (YAML's
    round-trip parser attaches them to the key before it) on the key before."""
    if key not in node:
        return
    keys = list(node)
    at = keys.index(key)
    comments = getattr(node, "ca", None)
    if comments is None:  # a plain mapping: no layout to keep
        del node[key]
        return
    token = comments.items.get(key, [None] * 3)[2]
    del node[key]
    if token is None or at == 0 or "\n" not in token.value:
        return
    rest = token.value.split("\n", 1)[1]  # what follows the deleted line's own comment
    before = keys[at - 1]
    if not rest or isinstance(node[before], (dict, list)):
        return
    slot = comments.items.setdefault(before, [None, None, None, None])
    if slot[2] is None:
        slot[2] = CommentToken("\n" + rest, CommentMark(0), None)
    else:
        slot[2].value += rest


def _key_comment(parent: Any, key: str) -> str | None:
    """The comment written on `key:`'s own line, when its value is a block list."""
    comments = getattr(parent, "ca", None)
    token = comments.items.get(key, [None] * 3)[2] if comments is not None else None
    if token is None:
        tokens = getattr(getattr(parent.get(key), "ca", None), "comment", None) or []
        token = tokens[0] if tokens and not isinstance(tokens[0], list) else None
    text = getattr(token, "value", "") or ""
    first = text.split("\n", 1)[0].strip()
    return first if first.startswith("#") else None


def _is_flow(node: Any) -> bool:
    return isinstance(node, CommentedMap) and bool(node.fa.flow_style())


def _sequence_offset(text: str) -> int:
    # how this file indents a list under its key: "key:\n  - item" (2) or "key:\n- item" (0)
    lines = text.splitlines()
    for before, line in itertools.pairwise(lines):
        key = re.match(r"^(\s*)[^\s#-][^#]*:\s*(#.*)?$", before)
        item = re.match(r"^(\s*)- ", line)
        if key and item:
            return max(0, len(item.group(1)) - len(key.group(1)))
    return 2


def _child(node: Any, step: str | int) -> Any:
    if isinstance(step, str):
        return node.get(step) if isinstance(node, dict) else None
    if isinstance(node, list) and step < len(node):
        return node[step]
    return None


def _spell(steps: Sequence[str | int]) -> str:
    return "".join(
        f"[{s}]" if isinstance(s, int) else ("." if i else "") + s for i, s in enumerate(steps)
    )


def edit_yaml(text: str, edits: Sequence[Edit], where: str = "edits") -> str:
    """`text` (a scenario's YAML, or JSON) with `edits` applied in order, keeping the
    comments, order and style of everything they do not touch. Raises InputError naming
    the edit (`edits[0].path`) when a path cannot be followed, or the text is not YAML."""
    from costline.scenario.load import parse_document

    # the reader costline validates with first: its messages, and libyaml's depth limit
    # before the round-trip parser (which recurses) sees the text
    plain = parse_document(text, "yaml", "scenario")
    if text.lstrip().startswith("{"):
        return _edit_json(text, plain, edits, where)
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never re-wrap a line the user wrote
    rt.Representer = _Representer
    offset = _sequence_offset(text)
    rt.indent(mapping=2, sequence=offset + 2, offset=offset)
    try:
        document = rt.load(text) if text.strip() else None
    except YAMLError as err:
        raise InputError(f"the scenario is not valid YAML: {err}".splitlines()[0], "yaml") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise InputError("expected the scenario to be a mapping of fields", "yaml")
    for i, edit in enumerate(edits):
        _apply(document, edit, f"{where}[{i}]")
    out = io.StringIO()
    rt.dump(document, out)
    return out.getvalue()


def _edit_json(text: str, document: dict[str, Any], edits: Sequence[Edit], where: str) -> str:
    """A JSON scenario stays JSON, indented as it was (JSON has no comments to keep)."""
    import json

    for i, edit in enumerate(edits):
        _apply(document, edit, f"{where}[{i}]")
    lines = text.strip().splitlines()
    indent = None
    if len(lines) > 1:
        second = lines[1]
        indent = len(second) - len(second.lstrip(" ")) or None
    return json.dumps(document, indent=indent, ensure_ascii=False) + "\n"


def edits_to(document: Any, target: Any, path: str = "") -> list[Edit]:
    """The edits that turn `document` (a scenario as the user wrote it) into `target` (the
    same scenario changed and dumped with only its set fields), keeping the user's way of
    writing a figure: a bare `200` stays bare where the target says `{value: 400}`."""
    if isinstance(target, dict) and not isinstance(document, dict):
        if set(target) == {"value"} and _number(document):
            target = target["value"]
        else:
            return [Edit(path=path, value=_tidy(target))]
    if isinstance(target, dict) and isinstance(document, dict):
        edits: list[Edit] = []
        for key, value in target.items():
            where = f"{path}.{key}" if path else key
            if key in document:
                edits += edits_to(document[key], value, where)
            else:
                edits.append(Edit(path=where, value=_tidy(value)))
        edits += [
            Edit(path=f"{path}.{key}" if path else key, op="delete")
            for key in document
            if key not in target
        ]
        return edits
    if isinstance(target, list) and isinstance(document, list) and len(target) == len(document):
        return [
            e
            for i, (d, t) in enumerate(zip(document, target, strict=True))
            for e in edits_to(d, t, f"{path}[{i}]")
        ]
    if _same(document, target):
        return []
    return [Edit(path=path, value=_tidy(target))]


def _tidy(value: Any) -> Any:
    # a figure a slider scaled, as a person writes it: 4 significant figures ($34.49, 16.97
    # queries), and 10000.0 as 10000
    if isinstance(value, float):
        value = float(f"{value:.{WRITTEN_FIGURES}g}")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    if _number(a) and _number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def rewrite_yaml(text: str, scenario: Scenario) -> str:
    """`text` (a scenario's YAML) changed to say `scenario` (e.g. the same scenario with
    sliders written into it), keeping the comments and layout of every field that did not
    change; the whole scenario written afresh when the text cannot be edited into it."""
    from costline.scenario.load import parse_document, parse_scenario

    data = scenario.model_dump(mode="json", exclude_unset=True)
    try:
        edited = edit_yaml(text, edits_to(parse_document(text, "yaml"), data))
        parse_scenario(edited, "yaml")
        # every changed figure reached, as rounded: nothing left to edit
        if not edits_to(parse_document(edited, "yaml"), _tidy(data)):
            return edited
    except InputError:
        pass  # a shape the edits cannot reach: write it afresh below
    return yaml.safe_dump(_tidy(data), sort_keys=False, allow_unicode=True)
