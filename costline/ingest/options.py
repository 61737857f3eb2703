"""What a user tells the ingest beyond the files: a column mapping and prices for models
the catalog does not know, from the command line or small YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from costline.errors import InputError
from costline.ingest.formats import FIELDS
from costline.scenario.common import PriceOverride


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class MappingFile(_Strict):
    """A column mapping file: where each field is, and the cached-token convention."""

    fields: dict[str, str | list[str]]
    input_includes_cache: bool = True


class PricesFile(_Strict):
    """Prices by model name as logged (or `provider:model`): each a scenario's explicit
    price (`PriceOverride`) whose name is its key."""

    models: dict[str, dict[str, Any]]


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except yaml.YAMLError as err:
        raise InputError(f"{path}: not valid YAML: {str(err).splitlines()[0]}") from None


def _validated(model: type[BaseModel], data: Any, path: Path, prefix: str = "") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = prefix + ".".join(str(p) for p in first["loc"]) or "the top level"
        raise InputError(f"{path}: {where}: {first['msg']}") from None


def _check_field(name: str, where: str) -> None:
    if name not in FIELDS:
        known = ", ".join(FIELDS)
        if where == "map":  # the CLI's --map
            raise InputError(f"unknown field {name!r}; fields are {known}", field="map")
        raise InputError(f"{where}: unknown field {name!r}; fields are {known}")


def mapping_from(
    maps: list[str] | None, mapping_file: Path | None
) -> tuple[dict[str, list[str]] | None, bool]:
    """(field -> places, whether input tokens include cached ones) from --map FIELD=PLACE
    options and a --mapping file (options win); (None, True) when neither is given."""
    fields: dict[str, list[str]] = {}
    includes = True
    if mapping_file is not None:
        parsed = _validated(MappingFile, _read_yaml(mapping_file), mapping_file)
        for name, places in parsed.fields.items():
            _check_field(name, f"{mapping_file}: fields.{name}")
            fields[name] = [places] if isinstance(places, str) else list(places)
        includes = parsed.input_includes_cache
    for item in maps or []:
        name, sep, place = item.partition("=")
        if not sep or not place:
            raise InputError(f"expected FIELD=COLUMN_OR_PATH, got {item!r}", field="map")
        _check_field(name.strip(), "map")
        fields[name.strip()] = [place.strip()]
    return (fields or None), includes


def prices_from(path: Path | None) -> dict[str, PriceOverride]:
    """Prices for models the catalog does not know, from a --prices file."""
    if path is None:
        return {}
    parsed = _validated(PricesFile, _read_yaml(path), path)
    out = {}
    for name, entry in parsed.models.items():
        for key, why in (
            ("name", "the model's name is its key"),
            ("follows_price_trajectory", "logs are priced as they were; no trajectory applies"),
        ):
            if key in entry:
                raise InputError(f"{path}: models.{name}.{key}: not set here: {why}")
        out[name] = _validated(PriceOverride, {**entry, "name": name}, path, f"models.{name}.")
    return out
