"""What pilot logs show of a product, as the CTO brief reads it beside a scenario: each
feature's calls, users, cost per call line by line and model mix in one month.

Neutral ground: `ingest` measures these from a usage file and `engine` sets them beside
its figures, and neither imports the other."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from costline.stats import Stats


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)


class CostLine(_Frozen):
    """One line of the cost per query over the simulated queries (USD per query)."""

    line: str
    """A key of the result's `breakdown`: input_usd, cached_input_usd, output_usd, ..."""
    mean_usd: float
    median_usd: float
    p95_usd: float


class ObservedModel(_Frozen):
    """A model in the pilot logs of one feature."""

    ref: str
    share_of_calls: float
    share_of_cost: float


class ObservedFeature(_Frozen):
    """One feature as its pilot logs show it, in one month (a query is a logged call)."""

    name: str
    calls: int
    users: int
    user_share: float
    """Its users over the month's users."""
    cost_usd: float
    cost_per_query: Stats
    lines: list[CostLine]
    """Lines the logs price: input, cached input, output, request fees."""
    models: list[ObservedModel]
    queries_per_active_user: float
    queries_per_active_user_p95: float
    input_tokens_mean: float
    output_tokens_mean: float


class ObservedUsage(_Frozen):
    """Pilot logs priced by `costline ingest`, one month of them."""

    source: str
    month: str
    calls: int
    users: int
    cost_usd: float
    catalog: str | None
    priced_on: str | None
    features: list[ObservedFeature]
