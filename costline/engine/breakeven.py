"""API vs self-hosting: monthly cost of each as a function of volume, where they cross, and
the month on the scenario's growth curve when self-hosting becomes cheaper.

    GPU-seconds per query = input tokens / prefill rate + output tokens / decode rate
    replicas(V)           = max(min replicas, ceil(V x GPU-seconds x peak-to-average
                                                   / seconds in a month))
    self-hosted(V)        = replicas x GPUs per replica x USD per GPU-hour x hours a month
                            + staff per month           (idle capacity is paid all the same)
    API(V)                = V x the API's mean USD per query
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict

from costline.engine.result import Result
from costline.engine.selfhost import ServingPoint

HOURS_PER_MONTH = 730.0  # 8,760 hours a year / 12
SECONDS_PER_HOUR = 3600.0


class FleetPlan(BaseModel):
    """How a self-hosted fleet is sized and what it costs per month (USD)."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    gpu_seconds_per_query: float
    """Replica-seconds one query takes: its prefill plus its share of decode steps."""
    queries_per_replica_month: float
    """Queries one replica serves in a month at 100% load."""
    peak_to_average: float
    min_replicas: int
    replica_usd_per_month: float
    staff_usd_per_month: float


class Breakeven(BaseModel):
    """Both monthly cost curves and where they cross."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    features: list[str]
    serving: ServingPoint
    fleet: FleetPlan
    api_usd_per_query: float
    """The API's mean USD per query in the first month."""
    crossover_queries_per_month: float | None
    """Monthly queries above which self-hosting is cheaper, at first-month API prices;
    None if it never is (the API costs less per query than a replica's marginal cost)."""
    crossover_month: str | None
    """First month of the timeline in which self-hosting is cheaper; None: not within the
    horizon."""
    volumes: list[float]
    """Queries per month of the sweep."""
    api_usd: list[float]
    selfhost_usd: list[float]
    months: list[str]
    timeline_queries: list[float]
    timeline_api_usd: list[float]
    timeline_selfhost_usd: list[float]
    replicas_by_month: list[int]


def plan_fleet(
    serving: ServingPoint,
    input_tokens_per_query: float,
    output_tokens_per_query: float,
    peak_to_average: float,
    min_replicas: int,
    staff_usd_per_month: float,
) -> FleetPlan:
    """Fleet sizing parameters for queries of the given size (tokens) on `serving`."""
    seconds = (
        input_tokens_per_query / serving.prefill_tokens_per_s
        + output_tokens_per_query / serving.decode_tokens_per_s
    )
    return FleetPlan(
        gpu_seconds_per_query=seconds,
        queries_per_replica_month=HOURS_PER_MONTH * SECONDS_PER_HOUR / seconds,
        peak_to_average=peak_to_average,
        min_replicas=min_replicas,
        replica_usd_per_month=serving.replica_usd_per_hour * HOURS_PER_MONTH,
        staff_usd_per_month=staff_usd_per_month,
    )


def replicas_needed(fleet: FleetPlan, queries_per_month: np.ndarray) -> np.ndarray:
    """Replicas for the peak hour at each monthly volume, at least the minimum."""
    peak_load = np.asarray(queries_per_month) * fleet.peak_to_average
    return np.maximum(fleet.min_replicas, np.ceil(peak_load / fleet.queries_per_replica_month))


def selfhost_cost(fleet: FleetPlan, queries_per_month: np.ndarray) -> np.ndarray:
    """Monthly USD of the self-hosted fleet at each volume (GPUs rented 24/7 + staff)."""
    return replicas_needed(fleet, queries_per_month) * fleet.replica_usd_per_month + (
        fleet.staff_usd_per_month
    )


def crossover_volume(fleet: FleetPlan, api_usd_per_query: float) -> float | None:
    """The smallest monthly volume at which self-hosting costs no more than the API."""
    if api_usd_per_query <= 0:
        return None
    marginal = fleet.replica_usd_per_month * fleet.peak_to_average / fleet.queries_per_replica_month
    if api_usd_per_query <= marginal:
        return None  # each replica added costs more than the API bill it replaces
    # With r replicas the fleet serves up to r x capacity / peak-to-average; self-hosting
    # wins from the volume where the API bill reaches the fleet's cost, if that volume
    # still fits in r replicas. Try r = min, min+1, ...
    capacity = fleet.queries_per_replica_month / fleet.peak_to_average
    replicas = fleet.min_replicas
    while True:
        cost = replicas * fleet.replica_usd_per_month + fleet.staff_usd_per_month
        volume = cost / api_usd_per_query
        low = (replicas - 1) * capacity if replicas > fleet.min_replicas else 0.0
        if volume <= replicas * capacity:
            return max(volume, low)
        replicas = max(replicas + 1, math.ceil(volume / capacity))


def query_tokens(result: Result, features: list[str] | None = None) -> tuple[float, float]:
    """Mean (input, output) tokens per query over `features` (all when None), weighted by
    their first-month queries; all LLM calls of a query counted."""
    chosen = _chosen(result, features)
    weights = np.array([f.queries_per_month for f in chosen], dtype=float)
    share = weights / weights.sum() if weights.sum() > 0 else np.full(len(chosen), 1 / len(chosen))
    pairs = list(zip(share, chosen, strict=True))
    return (
        float(sum(s * f.llm_calls_per_query * f.input_tokens_per_call for s, f in pairs)),
        float(sum(s * f.llm_calls_per_query * f.output_tokens_per_call for s, f in pairs)),
    )


def _chosen(result: Result, features: list[str] | None) -> list:
    return [f for f in result.features if features is None or f.name in features]


def breakeven(
    result: Result,
    serving: ServingPoint,
    features: list[str] | None = None,
    *,
    peak_to_average: float,
    min_replicas: int,
    staff_usd_per_month: float,
    sweep_points: int = 200,
) -> Breakeven:
    """API vs self-hosted monthly cost for `features` (all when None) of `result`."""
    chosen = _chosen(result, features)
    queries = np.sum([f.queries_by_month for f in chosen], axis=0)
    api = np.sum(
        [np.multiply(f.queries_by_month, f.cost_per_query_by_month) for f in chosen], axis=0
    )
    input_tokens, output_tokens = query_tokens(result, features)
    fleet = plan_fleet(
        serving, input_tokens, output_tokens, peak_to_average, min_replicas, staff_usd_per_month
    )
    api_per_query = (
        float(api[0] / queries[0])
        if queries[0] > 0
        else float(np.mean([f.cost_per_query.mean for f in chosen]))
    )
    crossing = crossover_volume(fleet, api_per_query)
    top = max(float(queries.max()) * 10, (crossing or 0) * 4, 1e4)
    volumes = np.geomspace(max(top / 1e6, 1.0), top, sweep_points)
    self_by_month = selfhost_cost(fleet, queries)
    cheaper = np.flatnonzero(self_by_month < api)
    return Breakeven(
        features=[f.name for f in chosen],
        serving=serving,
        fleet=fleet,
        api_usd_per_query=api_per_query,
        crossover_queries_per_month=crossing,
        crossover_month=result.timeline[int(cheaper[0])].month if cheaper.size else None,
        volumes=volumes.tolist(),
        api_usd=(volumes * api_per_query).tolist(),
        selfhost_usd=selfhost_cost(fleet, volumes).tolist(),
        months=[m.month for m in result.timeline],
        timeline_queries=queries.tolist(),
        timeline_api_usd=api.tolist(),
        timeline_selfhost_usd=self_by_month.tolist(),
        replicas_by_month=[int(r) for r in replicas_needed(fleet, queries)],
    )
