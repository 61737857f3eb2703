"""Sliders: the few inputs founders argue about, set over a scenario as the web page's
sliders do (users, growth, queries per active user, output tokens, plan price, cache hit
rate, routing share, annual price change).

A slider left unset keeps the scenario's value. Factors scale what the scenario says (x2 on
queries doubles every feature's queries per active user, median and p95 alike); the rest
replace one value. The result is validated like a scenario file, so a slid scenario can
be run, saved or written back as YAML."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from costline.errors import InputError, ScenarioError
from costline.scenario.models import Scenario

Factor = Annotated[float, Field(gt=0, le=1000)]
Share = Annotated[float, Field(ge=0, le=1)]


class Sliders(BaseModel):
    """Values set over a scenario; None keeps the scenario's own."""

    model_config = ConfigDict(extra="forbid")

    users_start: Annotated[float, Field(gt=0, le=1e10)] | None = None
    """Monthly active users in the first month (replaces users.start; scales by_month)."""
    monthly_growth: Annotated[float, Field(ge=-1, le=1)] | None = None
    """Month-over-month MAU growth as a fraction (0.08 = +8% a month)."""
    queries_factor: Factor | None = None
    """Multiplies every feature's queries per active user (per day or per month, every
    plan's override too)."""
    output_tokens_factor: Factor | None = None
    """Multiplies every feature's text output tokens per call."""
    plan_price_factor: Factor | None = None
    """Multiplies every plan's price per user per month."""
    cache_hit_rate: Share | None = None
    """A response cache with this hit rate in front of every API feature (the levers
    what-if `response_cache.hit_rate`)."""
    routing_share: Share | None = None
    """Share of every API feature's queries routed to `route_to` (the levers what-if
    `routing`); needs `route_to`."""
    route_to: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """The cheaper model the routing share goes to (`provider:model`)."""
    annual_price_change: Annotated[float, Field(ge=-1, le=1)] | None = None
    """Yearly change of every model price (-0.3 = 30% cheaper a year)."""

    def what_if(self) -> dict[str, dict[str, Any]]:
        """The levers these sliders set, as `Costline.levers(what_if=...)` takes them."""
        out: dict[str, dict[str, Any]] = {}
        if self.cache_hit_rate is not None:
            out["response_cache"] = {"hit_rate": self.cache_hit_rate}
        if self.routing_share is not None:
            if self.route_to is None:
                raise InputError(
                    "a routing share needs the model it routes to (route_to: provider:model)",
                    field="sliders.route_to",
                )
            out["routing"] = {"model": self.route_to, "share": self.routing_share}
        return out


def _scaled(quantity: Any, factor: float) -> Any:
    """A dumped Quantity ({value} | {median, p95} | {samples}) times `factor`."""
    if not isinstance(quantity, dict):
        return quantity
    out = dict(quantity)
    for key in ("value", "median", "p95"):
        if isinstance(out.get(key), int | float):
            out[key] = out[key] * factor
    if isinstance(out.get("samples"), list):
        out["samples"] = [s * factor for s in out["samples"]]
    return out


def _scale_rates(trigger: dict[str, Any], factor: float) -> None:
    for key in ("queries_per_day", "queries_per_month"):
        if key in trigger and trigger[key] is not None:
            trigger[key] = _scaled(trigger[key], factor)


def with_sliders(scenario: Scenario, sliders: Sliders, label: str = "<scenario>") -> Scenario:
    """`scenario` with the scenario-field sliders applied (users, growth, queries, output
    tokens, plan price, price change), validated like a file. The cache and routing
    sliders are levers: see `Sliders.what_if`."""
    from costline.scenario.load import parse_scenario

    s = sliders
    data: dict[str, Any] = scenario.model_dump(mode="json", exclude_unset=True)
    users = data.setdefault("users", {})
    if s.users_start is not None:
        if users.get("by_month"):
            first = users["by_month"][0] or 1.0
            users["by_month"] = [u * s.users_start / first for u in users["by_month"]]
        else:
            users["start"] = s.users_start
            if users.get("cap") is not None and users["cap"] < s.users_start:
                users["cap"] = s.users_start
    if s.monthly_growth is not None:
        if users.get("by_month"):
            raise InputError(
                "the scenario gives users month by month (users.by_month): growth does not apply",
                field="sliders.monthly_growth",
            )
        users["monthly_growth"] = s.monthly_growth
    for feature in data.get("features", []):
        if s.queries_factor is not None:
            _scale_rates(feature.setdefault("trigger", {}), s.queries_factor)
            for override in (feature.get("trigger_by_plan") or {}).values():
                _scale_rates(override, s.queries_factor)
        if s.output_tokens_factor is not None:
            usage = feature.setdefault("usage", {})
            if "output_tokens" in usage:
                usage["output_tokens"] = _scaled(usage["output_tokens"], s.output_tokens_factor)
    if s.plan_price_factor is not None:
        for plan in data.get("plans", []):
            plan["price_usd_per_month"] = plan["price_usd_per_month"] * s.plan_price_factor
    if s.annual_price_change is not None:
        data.setdefault("price_trajectory", {})["annual_change"] = s.annual_price_change
    try:
        return parse_scenario(json.dumps(data), "json", label)
    except ScenarioError as err:
        raise InputError(f"with these sliders, {err}", field="sliders") from None
