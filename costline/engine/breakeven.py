"""API vs self-hosting: monthly cost of each as a function of volume, where they cross and
the month on the scenario's growth curve when self-hosting becomes cheaper.

Only what changes hands is compared: the features' LLM calls (tokens and request fees, with
their orchestration overhead). Retrieval, tools and per-query infrastructure are paid the
same either way and left out of both sides.

    replica-seconds per query = calls x (input tokens / prefill rate + output tokens / decode rate)
    capacity                  = seconds in a month / replica-seconds per query x utilisation target
                                / peak-to-average         (queries a month one replica carries)
    replicas(V)               = max(min replicas, ceil(V / capacity))
    self-hosted(V)            = replicas x GPUs x USD per GPU-hour x hours a month x (1 + overhead)
                                + staff per month        (idle capacity is paid all the same)
    API(V)                    = V x the API's mean USD per query for its LLM calls
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, ConfigDict

from costline.engine.result import FeatureResult, Result
from costline.engine.selfhost import ServingPoint
from costline.errors import InputError

HOURS_PER_MONTH = 730.0  # 8,760 hours a year / 12
SECONDS_PER_HOUR = 3600.0


class FleetPlan(BaseModel):
    """How a self-hosted fleet is sized and what it costs per month (USD)."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)

    replica_seconds_per_query: float
    """Replica-seconds one query takes: its LLM calls' prefill plus their share of decode
    steps."""
    queries_per_replica_month: float
    """Queries one replica serves in a month at 100% load."""
    peak_to_average: float
    utilisation_target: float
    """Share of a replica's capacity the busiest hour may use."""
    min_replicas: int
    replica_usd_per_month: float
    """GPU rent of one replica for a month, before overhead."""
    overhead_share: float = 0.0
    """Orchestration overhead on the rent, as on API model spend (0.1 = 10%)."""
    staff_usd_per_month: float

    @property
    def capacity(self) -> float:
        """Monthly queries one replica carries with the busiest hour at the target."""
        return self.queries_per_replica_month * self.utilisation_target / self.peak_to_average

    @property
    def replica_cost(self) -> float:
        """USD a month of one more replica, overhead included."""
        return self.replica_usd_per_month * (1 + self.overhead_share)


class Breakeven(BaseModel):
    """Both monthly cost curves and where they cross."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)

    features: list[str]
    serving: ServingPoint
    fleet: FleetPlan
    api_usd_per_query: float
    """The API's mean USD per query for the features' LLM calls in the first month."""
    crossover_queries_per_month: float | None
    """Monthly queries from which self-hosting first costs no more than the API, at
    first-month API prices; None if it never does."""
    always_cheaper_from_queries_per_month: float | None
    """Monthly queries above which self-hosting costs no more at every volume: past the
    first crossing a new replica can make the API cheaper again for a while."""
    crossover_month: str | None
    """First month of the timeline in which self-hosting is cheaper; None: not within the
    horizon."""
    always_cheaper_from_month: str | None
    """First month from which self-hosting is cheaper in every later month of the horizon."""
    volumes: list[float]
    """Queries per month of the sweep."""
    api_usd: list[float]
    selfhost_usd: list[float]
    months: list[str]
    timeline_queries: list[float]
    timeline_api_usd: list[float]
    timeline_selfhost_usd: list[float]
    replicas_by_month: list[int]
    left_out: dict[str, str] = {}
    """API features not moved (none were named), and why."""
    notes: list[str] = []
    """The defaults taken and their sources, and what the comparison leaves out."""


def plan_fleet(
    serving: ServingPoint,
    calls_per_query: float,
    input_tokens_per_call: float,
    output_tokens_per_call: float,
    *,
    peak_to_average: float,
    utilisation_target: float,
    min_replicas: int,
    staff_usd_per_month: float,
    overhead_share: float = 0.0,
) -> FleetPlan:
    """Fleet sizing parameters for queries of `calls_per_query` LLM calls of the given size
    (tokens) on `serving`."""
    seconds = calls_per_query * (
        input_tokens_per_call / serving.prefill_tokens_per_s
        + output_tokens_per_call / serving.decode_tokens_per_s
    )
    return FleetPlan(
        replica_seconds_per_query=seconds,
        # a feature that makes no LLM call needs no capacity: only the minimum replicas
        queries_per_replica_month=(
            HOURS_PER_MONTH * SECONDS_PER_HOUR / seconds if seconds > 0 else math.inf
        ),
        peak_to_average=peak_to_average,
        utilisation_target=utilisation_target,
        min_replicas=min_replicas,
        replica_usd_per_month=serving.replica_usd_per_hour * HOURS_PER_MONTH,
        overhead_share=overhead_share,
        staff_usd_per_month=staff_usd_per_month,
    )


def replicas_needed(fleet: FleetPlan, queries_per_month: np.ndarray) -> np.ndarray:
    """Replicas for the peak hour at each monthly volume, at least the minimum."""
    load = np.asarray(queries_per_month, dtype=float) / fleet.capacity
    # a load that is a whole number of replicas up to rounding error needs no extra one
    return np.maximum(fleet.min_replicas, np.ceil(load - 1e-9))


def selfhost_cost(fleet: FleetPlan, queries_per_month: np.ndarray) -> np.ndarray:
    """Monthly USD of the self-hosted fleet at each volume (GPUs rented 24/7, overhead and
    staff)."""
    return replicas_needed(fleet, queries_per_month) * fleet.replica_cost + (
        fleet.staff_usd_per_month
    )


def crossover_volume(fleet: FleetPlan, api_usd_per_query: float) -> float | None:
    """The smallest monthly volume at which self-hosting costs no more than the API."""
    if api_usd_per_query <= 0 or api_usd_per_query * fleet.capacity <= fleet.replica_cost:
        return None  # each replica added costs more than the API bill it replaces
    # With r replicas the fleet serves up to r x capacity; self-hosting wins from the volume
    # where the API bill reaches the fleet's cost, if that volume still fits in r replicas.
    replicas = fleet.min_replicas
    while True:
        cost = replicas * fleet.replica_cost + fleet.staff_usd_per_month
        volume = cost / api_usd_per_query
        low = (replicas - 1) * fleet.capacity if replicas > fleet.min_replicas else 0.0
        if volume <= replicas * fleet.capacity:
            return max(volume, low)
        replicas = max(replicas + 1, math.ceil(volume / fleet.capacity))


def always_cheaper_volume(fleet: FleetPlan, api_usd_per_query: float) -> float | None:
    """The monthly volume above which self-hosting costs no more than the API at every
    volume, replica steps included; None if there is none."""
    a, c, r, s = api_usd_per_query, fleet.capacity, fleet.replica_cost, fleet.staff_usd_per_month
    m = fleet.min_replicas
    if a <= 0 or a * c <= r:
        return None
    # k replicas serve ((k-1)c, kc] and cost kr + s; the API bill at the bottom of that
    # range covers it for every k >= (ac + s) / (ac - r), and the margin only grows.
    first_whole = max(m + 1, math.ceil((a * c + s) / (a * c - r)))
    k = first_whole - 1  # the last range not won from its bottom end
    low = (k - 1) * c if k > m else 0.0
    volume = (k * r + s) / a
    return max(volume, low) if volume <= k * c else k * c


def query_tokens(result: Result, features: list[str] | None = None) -> tuple[float, float, float]:
    """Mean LLM calls per query and (input, output) tokens per call over `features` (all
    when None): calls weighted by their share of first-month queries, tokens by calls."""
    chosen = _chosen(result, features)
    queries = np.array([f.queries_per_month for f in chosen], dtype=float)
    if queries.sum() <= 0:
        queries = np.ones(len(chosen))
    calls = np.array([f.llm_calls_per_query for f in chosen])
    per_query = float((queries * calls).sum() / queries.sum())
    weight = queries * calls
    if weight.sum() <= 0:
        weight = np.ones(len(chosen))
    share = weight / weight.sum()
    return (
        per_query,
        float(sum(w * f.input_tokens_per_call for w, f in zip(share, chosen, strict=True))),
        float(sum(w * f.output_tokens_per_call for w, f in zip(share, chosen, strict=True))),
    )


def stands_in(open_params: float, place: float | None, small: float, frontier: float) -> bool:
    """Whether an open model of `open_params` total parameters is assumed to stand in for
    an API model at `place` in its vendor's line-up (0 = the top tier, 1 = the bottom;
    None: not placed, treated as a middle tier): from `small` parameters for the middle
    tiers, from `frontier` for the top. A costline assumption, not a quality measure."""
    if place is None or 0 < place < 1:
        return open_params >= small
    if place == 0:
        return open_params >= frontier
    return True


_BILLED_BY_UNITS = (
    "billed for audio, images, pages or searches (usage besides text tokens), which a "
    "fleet serving an open LLM's text tokens does not replace"
)


def default_features(
    result: Result,
    open_params: float,
    place_of: Callable[[str], float | None],
    small: float,
    frontier: float,
) -> tuple[list[str], dict[str, str]]:
    """The API features a breakeven moves when none are named: those with LLM tokens to
    serve whose main model the open model is assumed to stand in for; and each left out
    with why."""
    chosen: list[str] = []
    left: dict[str, str] = {}
    for f in result.features:
        if f.deployment == "self_hosted":
            continue
        main = max(f.models, key=lambda m: m.share, default=None)
        if f.input_tokens_per_call + f.output_tokens_per_call <= 0 or main is None:
            left[f.name] = "no LLM tokens to serve"
        elif f.breakdown.other_units_usd > 0:
            left[f.name] = _BILLED_BY_UNITS
        elif main.output_usd_per_mtok is None and not main.is_override:
            left[f.name] = f"{main.ref} has no output price (an embedding model?): not an LLM"
        elif not stands_in(open_params, place_of(main.ref), small, frontier):
            left[f.name] = (
                f"{main.ref} is a higher tier than the open model is assumed to stand in for "
                "(name it among the features to compare, to compare it anyway)"
            )
        else:
            chosen.append(f.name)
    return chosen, left


def api_features(result: Result, names: list[str] | None) -> list[str]:
    """The features a breakeven moves: `names`, or every feature on an API; refuses a
    feature that is self-hosted already."""
    hosted = [f.name for f in result.features if f.deployment == "self_hosted"]
    if names:
        already = [n for n in names if n in hosted]
        by_units = [
            f.name for f in result.features if f.name in names and f.breakdown.other_units_usd > 0
        ]
        if by_units:
            raise InputError(
                f"{', '.join(by_units)}: {_BILLED_BY_UNITS}, so a breakeven cannot compare it",
                "feature",
            )
        if already:
            raise InputError(
                f"{', '.join(already)} is self-hosted already (deployment: self_hosted), so "
                "there is no API bill to compare; `costline run` prices its fleet",
                "feature",
            )
        return list(names)
    chosen = [f.name for f in result.features if f.deployment != "self_hosted"]
    if not chosen:
        raise InputError(
            "every feature is self-hosted already (deployment: self_hosted): there is no API "
            "bill to compare; `costline run` prices the fleets"
        )
    return chosen


def _chosen(result: Result, features: list[str] | None) -> list:
    return [f for f in result.features if features is None or f.name in features]


def breakeven(
    result: Result,
    serving: ServingPoint,
    features: list[str] | None = None,
    *,
    peak_to_average: float,
    utilisation_target: float,
    min_replicas: int,
    staff_usd_per_month: float,
    sweep_points: int = 200,
) -> Breakeven:
    """API vs self-hosted monthly cost (USD) of the LLM calls of `features` (every API
    feature when None) of `result`, `serving` sized for their calls' tokens."""
    chosen = _chosen(result, api_features(result, features))
    queries = np.sum([f.queries_by_month for f in chosen], axis=0)
    api = np.sum(
        [np.multiply(f.queries_by_month, f.llm_cost_per_query_by_month) for f in chosen], axis=0
    )
    calls, input_tokens, output_tokens = query_tokens(result, [f.name for f in chosen])
    fleet = plan_fleet(
        serving,
        calls,
        input_tokens,
        output_tokens,
        peak_to_average=peak_to_average,
        utilisation_target=utilisation_target,
        min_replicas=min_replicas,
        staff_usd_per_month=staff_usd_per_month,
        overhead_share=_overhead(chosen),
    )
    api_per_query = (
        float(api[0] / queries[0])
        if queries[0] > 0
        else float(np.mean([f.llm_cost_per_query_by_month[0] for f in chosen]))
    )
    crossing = crossover_volume(fleet, api_per_query)
    always = always_cheaper_volume(fleet, api_per_query)
    top = max(float(queries.max()) * 10, (always or crossing or 0) * 4, 1e4)
    volumes = np.geomspace(max(top / 1e6, 1.0), top, sweep_points)
    self_by_month = selfhost_cost(fleet, queries)
    cheaper = self_by_month < api
    first = np.flatnonzero(cheaper)
    # the first month of the run of cheaper months that lasts to the horizon
    losing = np.flatnonzero(~cheaper)
    tail = 0 if not losing.size else int(losing[-1]) + 1
    months = [m.month for m in result.timeline]
    return Breakeven(
        features=[f.name for f in chosen],
        serving=serving,
        fleet=fleet,
        api_usd_per_query=api_per_query,
        crossover_queries_per_month=crossing,
        always_cheaper_from_queries_per_month=always,
        crossover_month=months[int(first[0])] if first.size else None,
        always_cheaper_from_month=months[tail] if tail < len(months) else None,
        volumes=volumes.tolist(),
        api_usd=(volumes * api_per_query).tolist(),
        selfhost_usd=selfhost_cost(fleet, volumes).tolist(),
        months=months,
        timeline_queries=queries.tolist(),
        timeline_api_usd=api.tolist(),
        timeline_selfhost_usd=self_by_month.tolist(),
        replicas_by_month=[int(r) for r in replicas_needed(fleet, queries)],
    )


def _overhead(chosen: list[FeatureResult]) -> float:
    """The features' orchestration overhead share, weighted by their first-month queries."""
    weights = np.array([f.queries_per_month for f in chosen], dtype=float)
    if weights.sum() <= 0:
        weights = np.ones(len(chosen))
    return float(np.average([f.overhead_share for f in chosen], weights=weights))
