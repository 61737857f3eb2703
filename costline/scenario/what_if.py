"""What-if levers: a scenario with levers set on some of its features, as `costline levers`
and `Costline.levers(what_if=...)` take them (kind -> lever fields)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from costline.errors import InputError
from costline.scenario.levers import (
    BatchProcessing,
    Caps,
    Compression,
    Levers,
    PromptCache,
    ResponseCache,
    RouteToCheaper,
)
from costline.scenario.load import is_percent
from costline.scenario.models import SELF_HOSTED_LEVERS, Scenario

LEVER_TYPES: dict[str, type[BaseModel]] = {
    "response_cache": ResponseCache,
    "prompt_cache": PromptCache,
    "routing": RouteToCheaper,
    "compression": Compression,
    "batch": BatchProcessing,
    "caps": Caps,
}
"""The levers a what-if may set, by the key of a scenario's `levers:` block."""

UNIT_SENSITIVE_LEVERS = ("batch", "routing")
"""What-if levers that change a call's price list: set on every API feature, they leave out
features that declare audio, images, pages or searches (see `with_what_ifs`)."""


def check_features(scenario: Scenario, names: list[str] | None) -> None:
    """Refuse a feature name the scenario does not have."""
    known = [f.name for f in scenario.features]
    for name in names or []:
        if name not in known:
            raise InputError(
                f"unknown feature {name!r}; features are " + ", ".join(known), field="features"
            )


def what_if_levers(given: dict[str, dict[str, Any]]) -> dict[str, BaseModel]:
    """Validated lever models from `given` (kind -> fields); a kind whose fields are all
    None is left out. An error's field is `kind.field` (`routing.share`)."""
    out: dict[str, BaseModel] = {}
    for kind, values in given.items():
        if kind not in LEVER_TYPES:
            raise InputError(
                f"unknown what-if lever {kind!r}; levers are " + ", ".join(LEVER_TYPES),
                field="what_if",
            )
        present = {k: v for k, v in values.items() if v is not None}
        if not present:
            continue
        try:
            out[kind] = LEVER_TYPES[kind].model_validate(present)
        except ValidationError as err:
            raise validation_error(err, prefix=f"{kind}.") from None
    return out


def validation_error(err: ValidationError, prefix: str = "") -> InputError:
    """The first problem of `err` as an InputError whose field is the input's name; a
    misspelt field first (it is why a required one looks missing)."""
    errors = err.errors()
    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    if unknown:
        loc = unknown[0]["loc"]
        known = _fields(err.title)
        listed = f"; expected one of {', '.join(known)}" if known else ""
        return InputError(
            f"unknown field {loc[-1]!r}{listed}", field=f"{prefix}{loc[0]}" if loc else None
        )
    first = errors[0]
    loc = first["loc"]
    field = f"{prefix}{loc[0]}" if loc else None
    message = str(first["msg"]).removeprefix("Value error, ")
    given = first.get("input")
    got = f" (got {given!r})" if not isinstance(given, dict) and first["type"] != "missing" else ""
    if is_percent(first):
        got += f"; shares and rates are fractions: write {given / 100:g} for {given:g}%"
    if field is None:
        # a rule across fields names the rule (active_params, attention_term)
        field = {"active_params": "active_params", "attention_term": "attention_term"}.get(
            first["type"]
        )
    return InputError(f"{message}{got}", field=field)


def _fields(title: str) -> list[str]:
    """The fields of the lever model named `title` (a validation error's title)."""
    for model in LEVER_TYPES.values():
        if model.__name__ == title:
            return list(model.model_fields)
    return []


def with_what_ifs(
    scenario: Scenario, levers: dict[str, BaseModel], names: list[str] | None
) -> Scenario:
    """`scenario` with the what-if levers set on the features `names` (every API feature
    when None, leaving the UNIT_SENSITIVE_LEVERS off those that declare audio, images,
    pages or searches), over the levers each already has."""
    if not levers:
        if names:
            raise InputError("give a lever what-if to apply to it", field="features")
        return scenario
    check_features(scenario, names)
    features = []
    for feature in scenario.features:
        chosen = feature.name in names if names else feature.deployment is None
        if not chosen:
            features.append(feature)
            continue
        refused = [k for k in levers if k not in SELF_HOSTED_LEVERS]
        if feature.deployment is not None and refused:
            raise InputError(
                f"{feature.name!r} is self-hosted; it takes the cache, compression "
                f"and cap what-ifs, not {', '.join(refused)}",
                field="features",
            )
        if "batch" in levers and feature.service_tier == "batch":
            raise InputError(
                f"{feature.name!r} is on the batch service tier already", field="batch.share"
            )
        chosen_levers = levers
        if not names and feature.usage.units():
            # a provider's documented batch discount is for text calls, and a cheaper model
            # for text need not price audio or pages: such features get these what-ifs only
            # when the user names them
            chosen_levers = {k: v for k, v in levers.items() if k not in UNIT_SENSITIVE_LEVERS}
        current = feature.levers.model_dump(exclude_none=True) if feature.levers else {}
        merged = Levers.model_validate({**current, **chosen_levers})
        features.append(feature.model_copy(update={"levers": merged}))
    return scenario.model_copy(update={"features": features})


def what_if_notes(
    scenario: Scenario, levers: dict[str, BaseModel], names: list[str] | None
) -> list[tuple[str, str, str]]:
    """(code, features, message) for what the what-ifs did not reach: the features that
    declare audio, images, pages or searches, left out of a batch or route-to set on every
    feature (WHAT_IF_LEFT_OFF), and those billed by no text token, where a prompt-cache,
    compression or output-cap what-if saves nothing (WHAT_IF_NO_TEXT)."""
    out = []
    api = [f for f in scenario.features if f.deployment is None]
    kinds = [k for k in UNIT_SENSITIVE_LEVERS if k in levers]
    left_off = [f.name for f in api if kinds and not names and f.usage.units()]
    if left_off:
        said = {"batch": "batch", "routing": "route-to"}
        why = {
            "batch": "a provider's documented batch discount is for text tokens",
            "routing": "a model chosen for text need not price them",
        }
        out.append(
            (
                "WHAT_IF_LEFT_OFF",
                ", ".join(left_off),
                f"The {' and '.join(said[k] for k in kinds)} what-if leaves out "
                f"{', '.join(map(repr, left_off))}: they declare audio, images, pages or "
                f"searches, and {'; '.join(why[k] for k in kinds)}. Name a feature with "
                "--feature to apply it there.",
            )
        )
    caps = levers.get("caps")
    text_only = [k for k in ("prompt_cache", "compression") if k in levers] + (
        ["caps"] if getattr(caps, "max_output_tokens", None) else []
    )
    untouched = [
        f.name
        for f in api
        if text_only
        and (not names or f.name in names)
        and f.usage.input_tokens.is_zero
        and f.usage.output_tokens.is_zero
    ]
    if untouched:
        said = {
            "prompt_cache": "the prompt cache",
            "compression": "compression",
            "caps": "the output cap",
        }
        out.append(
            (
                "WHAT_IF_NO_TEXT",
                ", ".join(untouched),
                f"{' and '.join(said[k] for k in text_only).capitalize()} "
                f"{'act' if len(text_only) > 1 else 'acts'} on text tokens, which "
                f"{', '.join(map(repr, untouched))} "
                f"{'do' if len(untouched) > 1 else 'does'} not use (billed by audio, images or "
                "pages): no saving there.",
            )
        )
    return out
