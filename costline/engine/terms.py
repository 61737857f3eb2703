"""A feature's mean cost per query as a sum of terms `units x price`, so a spreadsheet can
rebuild it with formulas: for each model, each kind of token (uncached input, cache
reads, cache writes, output), each long-context tier and requests, the mean units per
query over the simulated queries and the catalog's USD per unit in each month.

Exact, not an approximation: a call is priced at its own tier (its total input tokens),
so grouping the calls by tier keeps the sum linear; cache tokens a model does not price
pay the input price (genai-prices' rule), so their price is the input price there.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from pydantic import BaseModel, ConfigDict

from costline.catalog.types import ModelPricing, Rates, TieredRate
from costline.catalog.units import UNITS
from costline.engine.per_query import REQUESTS_PER_K, TOKENS_PER_MTOK, QuerySample, tier_tokens

LINES = ("input", "cached_input", "cache_write", "output", "requests")


class CostTerm(BaseModel):
    """Mean units of one kind per query and their catalog price in each month."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)

    model: str
    """The model's reference (or a price override's name)."""
    key: str
    """Its price-book key (model, service tier)."""
    line: str
    """input (uncached), cached_input (cache reads), cache_write, output, requests,
    retrieval (the embedding model's input tokens), or a usage unit's name
    (input_audio_minutes, web_searches, ...: `costline.catalog.units`)."""
    tier_above: int
    """Calls whose total input tokens exceed this (-1: from zero) and reach the next
    term's; the long-context tier they pay."""
    units_per_query: float
    """Mean tokens (requests, audio minutes, searches...) per query."""
    usd_per_mtok_by_month: list[float]
    """Catalog USD per `per` units (1M tokens, 1K requests, one audio minute) in each
    month, before the price trajectory."""
    per: int = TOKENS_PER_MTOK
    """How many units the price is for."""


def _price(rate: TieredRate | None, total_input: float) -> float:
    if rate is None:
        return 0.0
    price = rate.base
    for start, tier_price in rate.tiers:
        if total_input > start:
            price = tier_price
    return price


def _line_rate(rates: Rates, line: str) -> TieredRate | None:
    if line == "input":
        return rates.input
    if line == "cached_input":
        return rates.cache_read if rates.cache_read is not None else rates.input
    if line == "cache_write":
        return rates.cache_write if rates.cache_write is not None else rates.input
    return rates.output


def _thresholds(pricing: ModelPricing) -> list[int]:
    starts: set[int] = set()
    for _, rates in pricing.schedule:
        parts = (rates.input, rates.output, rates.cache_read, rates.cache_write)
        for rate in (*parts, *(rate for _, rate in rates.units)):
            if rate is not None:
                starts |= {start for start, _ in rate.tiers}
    return sorted(starts)


def cost_terms(
    sample: QuerySample, book: dict[str, ModelPricing], months: list[dt.date], name: dict[str, str]
) -> list[CostTerm]:
    """The terms of `sample`'s mean cost per query (LLM calls and retrieval), before
    overhead and the price trajectory; `name` gives each key's model name."""
    n = max(sample.n, 1)
    terms = []
    write = (
        np.zeros(sample.call_input.shape)
        if sample.call_cache_write is None
        else sample.call_cache_write
    )
    for r, key in enumerate(sample.route_keys):
        pricing = book[key]
        calls = sample.call_route == r
        declared = {name: counts[calls] for name, counts in sample.call_units.items()}
        total = tier_tokens(sample.call_input[calls], declared)
        text = sample.call_input[calls]
        units = {
            "input": text - sample.call_cached[calls] - write[calls],
            "cached_input": sample.call_cached[calls],
            "cache_write": write[calls],
            "output": sample.call_output[calls],
            "requests": np.ones(total.shape),
        }
        bounds = [-1, *_thresholds(pricing)]
        for lo, hi in zip(bounds, [*bounds[1:], None], strict=True):
            chosen = (total > lo) & (True if hi is None else total <= hi)
            probe = lo + 1
            for line in LINES:
                amount = float(units[line][chosen].sum()) / n
                if amount == 0:
                    continue
                if line == "requests":
                    prices = [pricing.rates_at(m).requests_per_k or 0.0 for m in months]
                else:
                    prices = [_price(_line_rate(pricing.rates_at(m), line), probe) for m in months]
                terms.append(
                    CostTerm(
                        model=name.get(key, pricing.model_id),
                        key=key,
                        line=line,
                        tier_above=lo,
                        units_per_query=amount,
                        usd_per_mtok_by_month=prices,
                        per=REQUESTS_PER_K if line == "requests" else TOKENS_PER_MTOK,
                    )
                )
            for unit, counts in declared.items():
                amount = float(counts[chosen].sum()) / n
                if amount == 0:
                    continue
                terms.append(
                    CostTerm(
                        model=name.get(key, pricing.model_id),
                        key=key,
                        line=unit,
                        tier_above=lo,
                        units_per_query=amount,
                        usd_per_mtok_by_month=[
                            _price(pricing.rates_at(m).unit(unit), probe) for m in months
                        ],
                        per=UNITS[unit].per,
                    )
                )
    if sample.retrieval_key is not None:
        pricing = book[sample.retrieval_key]
        tokens = sample.retrieval_tokens
        bounds = [-1, *_thresholds(pricing)]
        for lo, hi in zip(bounds, [*bounds[1:], None], strict=True):
            chosen = (tokens > lo) & (True if hi is None else tokens <= hi)
            amount = float(tokens[chosen].sum()) / n
            if amount:
                terms.append(
                    CostTerm(
                        model=name.get(sample.retrieval_key, pricing.model_id),
                        key=sample.retrieval_key,
                        line="retrieval",
                        tier_above=lo,
                        units_per_query=amount,
                        usd_per_mtok_by_month=[
                            _price(pricing.rates_at(m).input, lo + 1) for m in months
                        ],
                    )
                )
        requests = [pricing.rates_at(m).requests_per_k or 0.0 for m in months]
        if any(requests):
            terms.append(
                CostTerm(
                    model=name.get(sample.retrieval_key, pricing.model_id),
                    key=sample.retrieval_key,
                    line="retrieval_requests",
                    tier_above=-1,
                    units_per_query=1.0,
                    usd_per_mtok_by_month=requests,
                    per=REQUESTS_PER_K,
                )
            )
    return terms


def term_usd(term: CostTerm, month: int, factor: float = 1.0) -> float:
    """USD per query of `term` in month index `month` at a trajectory `factor`."""
    return term.units_per_query * term.usd_per_mtok_by_month[month] * factor / term.per
