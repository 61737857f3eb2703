"""The price table the ingest joins log rows to, built once from genai-prices.

A row's price depends on its model, the service tier it records, the UTC day (start-date
price changes), the UTC time of day (off-peak prices) and its total input tokens (cliff
tiers). Within one cell of those, genai-prices' price is linear in the four token counts
a log gives (input, cache read, cache write, output) plus a per-request fee, so each cell
is stored as coefficients (USD per token, USD per request) obtained by asking genai-prices
itself for the price of a few usages: the table agrees with `calc_price` by construction,
whatever its unit rules (which cache tokens come out of the input count, 1h cache writes).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from genai_prices import Usage, data_snapshot
from genai_prices import types as gp

SECONDS_PER_DAY = 86_400.0
NO_LIMIT = 2**62
"""An upper bound no token count reaches: the last tier's end."""
_PROBE = 1_000
"""Input tokens of the probe usages above a tier's start (a one-token cache probe then
never exceeds the input)."""


@dataclass(frozen=True)
class ResolvedModel:
    """A (provider, model) pair as logged, and what genai-prices matched it to."""

    provider_logged: str | None
    model_logged: str
    provider: str
    model_id: str
    model: gp.ModelInfo
    provider_info: gp.Provider


@dataclass(frozen=True)
class PriceCell:
    """Coefficients of the price of one model and context over one cell."""

    day_from: dt.date | None
    """First UTC day (None: from the beginning)."""
    day_to: dt.date | None
    """First UTC day after the cell (None: no end)."""
    second_from: float
    second_to: float
    """Seconds of the UTC day [from, to)."""
    input_above: int
    """The cell applies to calls whose input tokens exceed this (-1: from zero)."""
    input_upto: int
    """... and are at most this."""
    usd_per_input: float
    usd_per_cache_read: float
    usd_per_cache_write: float
    usd_per_output: float
    usd_per_request: float


def context_of(service_tier: str | None) -> dict[str, str] | None:
    """The genai-prices price context of a logged service tier: a batch job is
    `processing: batch`, any other tier (flex, priority, default) its `service_tier`."""
    if not service_tier:
        return None
    tier = service_tier.strip().lower()
    if tier == "batch":
        return {"processing": "batch"}
    return {"service_tier": tier}


def resolve(
    provider: str | None, model: str, snapshot: data_snapshot.DataSnapshot | None = None
) -> ResolvedModel | None:
    """The catalog model a logged (provider, model) names, as `calc_price` would match it;
    None when the catalog does not know it."""
    snap = snapshot or data_snapshot.get_snapshot()
    try:
        found_provider, found = snap.find_provider_model(model, None, provider or None, None)
    except LookupError:
        return None
    return ResolvedModel(provider, model, found_provider.id, found.id, found, found_provider)


def _constraints(model: gp.ModelInfo) -> Iterable[object]:
    if isinstance(model.prices, list):
        yield from (c.constraint for c in model.prices)
    yield from (v.constraint for v in model.price_variants or ())


def _day_breaks(model: gp.ModelInfo) -> list[dt.date]:
    return sorted(
        {c.start_date for c in _constraints(model) if isinstance(c, gp.StartDateConstraint)}
    )


def _utc_seconds(value: dt.time) -> float:
    if value.tzinfo is not None:
        value = dt.datetime.combine(dt.date(1970, 1, 1), value).astimezone(dt.UTC).time()
    return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6


def _second_breaks(model: gp.ModelInfo) -> list[float]:
    out = {0.0, SECONDS_PER_DAY}
    for c in _constraints(model):
        if isinstance(c, gp.TimeOfDateConstraint):
            out |= {_utc_seconds(c.start_time), _utc_seconds(c.end_time)}
    return sorted(out)


def _tier_breaks(price: gp.ModelPrice) -> list[int]:
    starts = set()
    for value in price.__dict__.values():
        if isinstance(value, gp.TieredPrices):
            starts |= {tier.start for tier in value.tiers}
    return sorted(starts)


def _price(price: gp.ModelPrice, inputs: int, read: int, write: int, output: int) -> Decimal:
    usage = Usage(
        input_tokens=inputs, cache_read_tokens=read, cache_write_tokens=write, output_tokens=output
    )
    return price.calc_price(usage)["total_price"]


def _coefficients(price: gp.ModelPrice, lo: int, hi: int) -> tuple[float, ...]:
    """USD per input, cache-read, cache-write and output token and per request, for calls
    whose input tokens are in (lo, hi] (probing genai-prices' own arithmetic there)."""
    n = min(hi, lo + _PROBE)  # n and n - 1 both in (lo, hi]
    base = _price(price, n, 0, 0, 0)
    per_input = base - _price(price, n - 1, 0, 0, 0)
    per_read = _price(price, n, 1, 0, 0) - base
    per_write = _price(price, n, 0, 1, 0) - base
    per_output = _price(price, n, 0, 0, 1) - base
    per_request = base - per_input * n
    return tuple(float(x) for x in (per_input, per_read, per_write, per_output, per_request))


def price_cells(resolved: ResolvedModel, context: dict[str, str] | None) -> list[PriceCell]:
    """Every cell of `resolved`'s price under `context`, as `calc_price` computes it."""
    model = resolved.model
    # calc_price ignores the context for a model borrowed from another provider
    borrowed = not any(model is m for m in resolved.provider_info.models)
    use_context = None if borrowed else context
    days: list[dt.date | None] = [None, *_day_breaks(model)]
    seconds = _second_breaks(model)
    cells = []
    for i, day in enumerate(days):
        day_to = days[i + 1] if i + 1 < len(days) else None
        probe_day = day or dt.date(2000, 1, 1)
        for s_from, s_to in itertools.pairwise(seconds):
            at = dt.datetime.combine(probe_day, dt.time(0), tzinfo=dt.UTC) + dt.timedelta(
                seconds=s_from
            )
            price = model.get_prices(at, use_context)
            bounds = [-1, *_tier_breaks(price), NO_LIMIT]
            for lo, hi in itertools.pairwise(bounds):
                coef = _coefficients(price, lo, hi)
                cells.append(PriceCell(day, day_to, s_from, s_to, lo, hi, *coef))
    return cells
