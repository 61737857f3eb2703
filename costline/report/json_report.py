"""Every result of costline's library as one JSON document: what `--format json` prints.

Models keep their field names; USD amounts, fractions for shares, ISO dates. A result that
carries a whole `Result` for the views (a brief, a levers waterfall) leaves it out: `run`
prints that one."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

from pydantic import BaseModel

from costline.catalog.units import UNITS


def render_json(result: BaseModel) -> str:
    """A pydantic result as indented JSON."""
    return result.model_dump_json(indent=2)


def to_json(outcome: Any) -> str:
    """`outcome` (any result a `Costline` method returns) as indented JSON."""
    if _is(outcome, "costline.engine.brief", "Brief"):
        exclude: Any = {"result": True, "verdict": {"waterfall": {"result"}}}
        return outcome.model_dump_json(indent=2, exclude=exclude)
    if _is(outcome, "costline.engine.waterfall", "Waterfall"):
        return outcome.model_dump_json(indent=2, exclude={"result"})
    if isinstance(outcome, BaseModel):
        return outcome.model_dump_json(indent=2)
    if _is(outcome, "costline.catalog.gpus", "HardwareCatalog"):
        rows = [dataclasses.asdict(gpu) for gpu in outcome.gpus.values()]
        return json.dumps(rows, indent=2, default=str)
    if _is(outcome, "costline.api", "Classified"):
        payload = [
            {"line": line, **item.model_dump(exclude={"rules"})}
            for line, item in zip(outcome.lines, outcome.items, strict=True)
        ]
        if outcome.agreement is None:
            return json.dumps(payload, indent=2)
        return json.dumps({"lines": payload, "agreement": outcome.agreement.model_dump()}, indent=2)
    if isinstance(outcome, list):
        if all(_is(m, "costline.catalog.prices", "CatalogModel") for m in outcome):
            return json.dumps([_catalog_model(m) for m in outcome], indent=2)
        return json.dumps([json_ready(m) for m in outcome], indent=2, default=str)
    if dataclasses.is_dataclass(outcome) and not isinstance(outcome, type):
        return json.dumps(json_ready(outcome), indent=2, default=str)
    return json.dumps(outcome, indent=2, default=str)


def json_ready(value: Any) -> Any:
    """`value` as JSON-ready data: models dumped, dataclasses by field (a Written's
    Result left out: `run` prints that one), paths as text."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: json_ready(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "result"
        }
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def _is(outcome: Any, module: str, name: str) -> bool:
    """Whether `outcome` is a `module.name`, without importing the module to ask: an
    object of a module nobody imported cannot exist (a run's JSON need not load the
    brief's models)."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(outcome, getattr(loaded, name))


def _catalog_model(m: Any) -> dict[str, Any]:
    """One model of `costline models search`: its base-tier prices per 1M tokens."""
    rates = m.rates
    return {
        "ref": m.ref,
        "name": m.name,
        "input_usd_per_mtok": rates.input.base if rates.input else None,
        "output_usd_per_mtok": rates.output.base if rates.output else None,
        "cached_input_usd_per_mtok": rates.cache_read.base if rates.cache_read else None,
        # the same shape as a run's models[].unit_prices
        "unit_prices": [
            {
                "unit": name,
                "usd": rate.base,
                "per": UNITS[name].per,
                "label": UNITS[name].price_label,
            }
            for name, rate in rates.units
        ],
        "context_window": m.context_window,
        "deprecated": m.deprecated,
        "shutdown": m.shutdown.isoformat() if m.shutdown else None,
        "service_tiers": list(m.tiers),
    }
