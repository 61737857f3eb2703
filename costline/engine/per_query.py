"""Cost per query: token prices applied to simulated queries of a feature, vectorised.

A query is what a user does once (asks a question); it makes one or more LLM calls, each
with its own input and output tokens, plus retrieval, tool calls and per-query infra.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from costline.catalog.types import ModelPricing, Rates, TieredRate
from costline.catalog.units import UNITS
from costline.engine.distributions import draw, stochastic_round
from costline.scenario.models import Feature

TOKENS_PER_MTOK = 1_000_000
REQUESTS_PER_K = 1_000

COMPONENTS = (
    "input_usd",
    "cached_input_usd",
    "output_usd",
    "request_fees_usd",
    "other_units_usd",
    "retrieval_usd",
    "tools_usd",
    "infra_usd",
    "lever_costs_usd",
    "overhead_usd",
)
"""The lines of a cost per query, in report order."""


def _rate_per_token(rate: TieredRate, total_input_tokens: np.ndarray) -> np.ndarray | float:
    if not rate.tiers:
        return rate.base / TOKENS_PER_MTOK
    # Cliff tiers: crossing a tier's start re-prices every token of the unit.
    price = np.full(total_input_tokens.shape, rate.base, dtype=float)
    for start, tier_price in rate.tiers:
        price = np.where(total_input_tokens > start, tier_price, price)
    return price / TOKENS_PER_MTOK


def tier_tokens(input_tokens: np.ndarray, units: Mapping[str, np.ndarray]) -> np.ndarray:
    """Each call's total input tokens, which set its long-context tier: its text input and
    any audio, image or video input tokens."""
    total = np.asarray(input_tokens, dtype=float)
    for name, counts in units.items():
        if UNITS[name].adds_input_tokens:
            total = total + counts
    return total


def token_cost_usd(
    rates: Rates,
    input_tokens: np.ndarray,
    output_tokens: np.ndarray,
    cache_read_tokens: np.ndarray | None = None,
    cache_write_tokens: np.ndarray | None = None,
    units: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """USD per call by line (input, cache_read, cache_write, output, requests, and
    `units`: the usage units the call declares, at their all-in prices).

    `input_tokens` counts all text prompt tokens, cached ones included (genai-prices'
    convention); `units` are counts per call by unit name (`costline.catalog.units`), which
    the model must price (the price book checks it)."""
    units = units or {}
    input_tokens = np.asarray(input_tokens, dtype=float)
    total_input = tier_tokens(input_tokens, units) if units else input_tokens
    zeros = np.zeros_like(input_tokens)
    cache_read = zeros if cache_read_tokens is None else np.asarray(cache_read_tokens, float)
    cache_write = zeros if cache_write_tokens is None else np.asarray(cache_write_tokens, float)
    output_tokens = np.asarray(output_tokens, dtype=float)

    # Cache tokens come out of the input count only where the model prices them.
    uncached = input_tokens.copy()
    out = {"input": zeros, "cache_read": zeros, "cache_write": zeros, "output": zeros}
    if rates.cache_read is not None:
        uncached -= cache_read
        out["cache_read"] = cache_read * _rate_per_token(rates.cache_read, total_input)
    if rates.cache_write is not None:
        uncached -= cache_write
        out["cache_write"] = cache_write * _rate_per_token(rates.cache_write, total_input)
    if rates.input is not None:
        out["input"] = uncached * _rate_per_token(rates.input, total_input)
    if rates.output is not None:
        out["output"] = output_tokens * _rate_per_token(rates.output, total_input)
    requests = rates.requests_per_k or 0.0
    out["requests"] = np.full(input_tokens.shape, requests / REQUESTS_PER_K)
    other = zeros
    for name, counts in units.items():
        rate = rates.unit(name)
        if rate is not None:
            per = _rate_per_token(rate, total_input) * TOKENS_PER_MTOK / UNITS[name].per
            other = other + np.asarray(counts, dtype=float) * per
    out["units"] = other
    return out


@dataclass(frozen=True)
class QuerySample:
    """Simulated queries of one feature; prices are applied later, month by month."""

    n: int
    route_keys: tuple[str, ...]
    """Price-book key of each route."""
    call_query: np.ndarray
    """For each LLM call, the index of its query."""
    call_route: np.ndarray
    """For each LLM call, the index of its route."""
    call_input: np.ndarray
    call_output: np.ndarray
    call_cached: np.ndarray
    """Input tokens of each call read from the provider's prompt cache."""
    calls_per_query: np.ndarray
    retrieval_key: str | None
    retrieval_tokens: np.ndarray
    tools_usd: np.ndarray
    infra_usd: np.ndarray
    """USD per query of infrastructure (0 for queries a response cache answers)."""
    overhead: float
    call_cache_write: np.ndarray | None = None
    """Input tokens of each call written to the prompt cache; none when None."""
    lever_usd: np.ndarray | None = None
    """USD per query the levers themselves cost (cache lookup, router, compressor)."""
    call_units: Mapping[str, np.ndarray] = field(default_factory=dict)
    """For each LLM call, its usage units besides text tokens (audio minutes, image
    tokens, searches), by unit name."""


def simulate_queries(
    feature: Feature,
    route_keys: list[str],
    retrieval_key: str | None,
    n: int,
    rng: np.random.Generator,
) -> QuerySample:
    """Draw `n` queries of `feature`: calls, routes and tokens (no prices yet)."""
    extras = feature.extras
    calls = stochastic_round(draw(extras.llm_calls_per_query, n, rng), rng)
    shares = np.array([route.share for route in feature.routes], dtype=float)
    route_of_query = rng.choice(len(shares), size=n, p=shares / shares.sum())
    call_query = np.repeat(np.arange(n), calls)
    total_calls = int(calls.sum())
    call_input = draw(feature.usage.input_tokens, total_calls, rng)
    call_output = draw(feature.usage.output_tokens, total_calls, rng)
    retrieval = extras.retrieval
    retrieval_tokens = (
        draw(retrieval.tokens_per_query, n, rng) if retrieval is not None else np.zeros(n)
    )
    tools = extras.tool_calls
    tools_usd = (
        draw(tools.per_query, n, rng) * tools.usd_per_call if tools is not None else np.zeros(n)
    )
    # drawn last, so a scenario without them keeps every other draw as it was
    call_units = {
        name: draw(quantity, total_calls, rng) for name, quantity in feature.usage.units().items()
    }
    return QuerySample(
        n=n,
        route_keys=tuple(route_keys),
        call_query=call_query,
        call_route=route_of_query[call_query],
        call_input=call_input,
        call_output=call_output,
        call_cached=call_input * feature.usage.cached_input_share,
        calls_per_query=calls,
        retrieval_key=retrieval_key,
        retrieval_tokens=retrieval_tokens,
        tools_usd=tools_usd,
        infra_usd=np.full(n, extras.infra_usd_per_query),
        overhead=extras.orchestration_overhead,
        call_units=call_units,
    )


MODEL_LINES = (
    "input_usd",
    "cached_input_usd",
    "output_usd",
    "request_fees_usd",
    "other_units_usd",
    "retrieval_usd",
)
"""The lines paid to a model provider, which move with its prices."""

LLM_LINES = ("input_usd", "cached_input_usd", "output_usd", "request_fees_usd", "other_units_usd")
"""The lines of a feature's LLM calls: what self-hosting the model replaces (retrieval's
embedding model stays on its API)."""


def model_lines_by_key(
    sample: QuerySample, book: dict[str, ModelPricing], day: dt.date
) -> dict[str, dict[str, np.ndarray]]:
    """USD per query on each model (price-book key) by model line, at catalog prices on `day`."""
    n = sample.n
    out: dict[str, dict[str, np.ndarray]] = {}
    single = len(sample.route_keys) == 1
    for r, key in enumerate(sample.route_keys):
        calls = slice(None) if single else sample.call_route == r
        cost = token_cost_usd(
            book[key].rates_at(day),
            sample.call_input[calls],
            sample.call_output[calls],
            sample.call_cached[calls],
            None if sample.call_cache_write is None else sample.call_cache_write[calls],
            {name: counts[calls] for name, counts in sample.call_units.items()},
        )
        where = sample.call_query[calls]
        lines = out.setdefault(key, {name: np.zeros(n) for name in MODEL_LINES})
        for line, parts in (
            ("input_usd", ("input",)),
            ("cached_input_usd", ("cache_read", "cache_write")),
            ("output_usd", ("output",)),
            ("request_fees_usd", ("requests",)),
            ("other_units_usd", ("units",)),
        ):
            per_call = sum(cost[part] for part in parts)
            lines[line] += np.bincount(where, weights=per_call, minlength=n)
    if sample.retrieval_key is not None:
        cost = token_cost_usd(
            book[sample.retrieval_key].rates_at(day), sample.retrieval_tokens, np.zeros(n)
        )
        lines = out.setdefault(sample.retrieval_key, {name: np.zeros(n) for name in MODEL_LINES})
        lines["retrieval_usd"] += cost["input"] + cost["cache_read"] + cost["requests"]
    return out


def query_costs(
    sample: QuerySample,
    book: dict[str, ModelPricing],
    day: dt.date,
    factors: dict[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """USD per query by line (see COMPONENTS) at the prices in force on `day`, each model's
    prices multiplied by its factor in `factors` (the price trajectory; 1 when absent)."""
    n = sample.n
    lines = {name: np.zeros(n) for name in COMPONENTS}
    for key, by_line in model_lines_by_key(sample, book, day).items():
        factor = 1.0 if factors is None else factors.get(key, 1.0)
        for line in MODEL_LINES:
            lines[line] += by_line[line] * factor
    model_spend = np.sum([lines[line] for line in MODEL_LINES], axis=0)
    lines["overhead_usd"] = model_spend * sample.overhead
    lines["tools_usd"] = sample.tools_usd.copy()
    lines["infra_usd"] = sample.infra_usd.copy()
    if sample.lever_usd is not None:
        lines["lever_costs_usd"] = sample.lever_usd.copy()
    return lines


def total(lines: dict[str, np.ndarray]) -> np.ndarray:
    """USD per query: the sum of its lines."""
    return np.sum([lines[name] for name in COMPONENTS], axis=0)
