"""LLM API prices: the one adapter over the genai-prices package (bundled data, no network).

Every price costline applies comes from here, in one form. A `PriceCell` is the price of
one model under one price context (service tier) over one cell of UTC day, UTC time of day
and total input tokens (a long-context tier). Within a cell genai-prices' price is linear
in the counts a call has (input, cache read, cache write and output tokens, plus a fee per
request), so a cell is stored as its coefficients, obtained by asking genai-prices' own
`calc_price` for the price of a few usages: whatever its unit rules (which cache tokens come
out of the input count, cliff tiers, 5-minute or 1-hour cache writes), a cell agrees with
`calc_price` by construction, and nothing downstream re-implements them.

Two readers, one table:

- the engine: `PriceCatalog.resolve` gives a `ModelPricing`, whose `Rates` on each of the
  catalog's start dates are the cells in force at noon of that day;
- the log pricing SQL (`costline.ingest.price_sql`): `PriceCatalog.cells` of each logged
  model, every cell, compiled into the query.

`costline.scenario.prices.price_book` binds a scenario's models to these.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

import genai_prices
from genai_prices import Usage, data_snapshot
from genai_prices import types as gp

from costline.catalog.types import CatalogInfo, ModelPricing, Rates, TieredRate
from costline.catalog.units import (
    DECLARABLE_PRICE_KEYS,
    UNITS,
    USAGE_UNITS,
    UnitNeed,
    UsageUnit,
    load_unit_needs,
)
from costline.errors import UnknownModelError

SERVICE_TIERS = ("default", "batch", "flex", "priority")
"""The service tiers a scenario can name."""
SECONDS_PER_DAY = 86_400.0
NO_LIMIT = 2**62
"""An upper bound no token count reaches: the last tier's end."""
_NOON = 43_200.0
"""The engine prices a day at noon UTC, so no time zone moves a start date by a day."""
_EARLIEST = dt.date(2000, 1, 1)
_PROBE = 1_000
"""Input tokens of the probe usages above a tier's start (a one-token cache probe then
never exceeds the input)."""
_TOKEN_KEYS = frozenset(
    {
        "input_mtok",
        "output_mtok",
        "cache_read_mtok",
        "cache_write_mtok",
        "cache_write_5m_mtok",
        "cache_write_1h_mtok",
        "requests_kcount",
    }
)
"""Price keys a scenario's text usage (tokens, cache reads and writes, calls) covers."""
_TOOL_FEES = frozenset(
    {
        "web_searches_kcount",
        "storage_searches_kcount",
        "code_executions_kcount",
        "rerank_searches_kcount",
        "social_searches_kcount",
    }
)
"""Per-use fees of optional tools: charged only when a call uses the tool."""
_MTOK = Decimal(1_000_000)
_KREQ = Decimal(1_000)
# Which price keys make each of the engine's token parts "priced": a part the model does
# not price is None in `Rates` (its tokens pay the input price, as calc_price charges).
_PART_KEYS = {
    "input": "input_mtok",
    "output": "output_mtok",
    "cache_read": "cache_read_mtok",
    "cache_write": "cache_write_mtok",
}


def context_of(service_tier: str | None) -> dict[str, str] | None:
    """The genai-prices price context of a service tier (as a scenario names it or a log
    records it): None for the default tier, `processing: batch` for a batch job, any other
    tier (flex, priority, ...) its `service_tier`."""
    if not service_tier:
        return None
    tier = service_tier.strip().lower()
    if tier in ("", "default", "standard", "auto"):
        return None
    if tier == "batch":
        return {"processing": "batch"}
    return {"service_tier": tier}


@dataclass(frozen=True)
class CatalogEntry:
    """A (provider, model) as a scenario or a log names it, and the catalog model that
    genai-prices matches it to."""

    provider_named: str | None
    model_named: str
    provider: gp.Provider
    model: gp.ModelInfo

    @property
    def provider_id(self) -> str:
        return self.provider.id

    @property
    def model_id(self) -> str:
        return self.model.id

    @property
    def borrowed(self) -> bool:
        """True for a model found under a fallback provider: `calc_price` then ignores the
        price context, so such a model has no tier prices of its own."""
        return not any(self.model is m for m in self.provider.models)

    def has_tier(self, context: dict[str, str] | None) -> bool:
        """Whether the catalog has a price of its own for `context` (None: the default)."""
        return context is None or (not self.borrowed and bool(_variants(self.model, context)))


@dataclass(frozen=True)
class PriceCell:
    """The price of one model under one context over one cell: USD per unit a call adds,
    in genai-prices' counting (input tokens count every prompt token, cached ones too, so
    a cache read's coefficient is what it costs beyond an input token, often negative)."""

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
    usd_per_input: Decimal
    usd_per_cache_read: Decimal
    usd_per_cache_write: Decimal
    usd_per_output: Decimal
    usd_per_request: Decimal
    priced: frozenset[str]
    """The genai-prices price keys the model sets in this cell (`input_mtok`, ...)."""
    usd_per_unit: tuple[tuple[str, Decimal], ...] = ()
    """USD one more unit of each usage unit the cell prices (`costline.catalog.units`)
    adds, all in: an input audio token's includes its being an input token."""

    @property
    def usd_per_cached_token(self) -> Decimal:
        """USD a cache-read token costs in all (its input price and its difference)."""
        return self.usd_per_input + self.usd_per_cache_read

    @property
    def usd_per_written_token(self) -> Decimal:
        """USD a cache-write token costs in all."""
        return self.usd_per_input + self.usd_per_cache_write


@dataclass(frozen=True)
class CatalogModel:
    """One model of the catalog, for `costline models search`."""

    ref: str
    name: str
    rates: Rates
    context_window: int | None
    deprecated: bool
    tiers: tuple[str, ...]
    shutdown: dt.date | None = None
    """The day its vendor shuts it down, where model_retirements.yml knows it (filled in by
    `Costline.models`: the price catalog itself does not know)."""


class PriceCatalog:
    """The price catalog: genai-prices' bundled snapshot, or one passed in (tests)."""

    def __init__(self, snapshot: data_snapshot.DataSnapshot | None = None) -> None:
        self._snapshot = snapshot or data_snapshot.get_snapshot()

    @property
    def version(self) -> str:
        """The genai-prices package version that holds the price data."""
        return genai_prices.__version__

    @property
    def label(self) -> str:
        """The price data, as results and usage files record it (`genai-prices 0.2.3`)."""
        return f"genai-prices {self.version}"

    @cached_property
    def latest_price_change(self) -> dt.date | None:
        """The newest start date anywhere in the price data."""
        dates = [d for _, model in self._models() for d in _day_breaks(model)]
        return max(dates, default=None)

    def info(self, as_of: dt.date) -> CatalogInfo:
        """What a run priced at `as_of` was priced with."""
        return CatalogInfo(
            source=self.label,
            version=self.version,
            latest_price_change=self.latest_price_change,
            as_of=as_of,
        )

    def find(self, provider: str | None, model: str) -> CatalogEntry | None:
        """The catalog model a logged (provider, model) names, matched as `calc_price`
        matches it; None when the catalog does not know it."""
        try:
            found_provider, found = self._snapshot.find_provider_model(
                model, None, provider or None, None
            )
        except LookupError:
            return None
        return CatalogEntry(provider, model, found_provider, found)

    def cells(self, entry: CatalogEntry, context: dict[str, str] | None) -> list[PriceCell]:
        """Every cell of `entry`'s price under `context` (the default price where the
        catalog has none for it), as `calc_price` computes it."""
        return _cells(entry, context, None)

    def resolve(self, ref: str, service_tier: str = "default") -> ModelPricing:
        """The rates of `ref` (`provider:model`) at every catalog start date, for one tier."""
        entry = self._find(ref)
        return _pricing(entry, ref, service_tier, self.label)

    def search(
        self, query: str, at: dt.date, limit: int = 20, unit: str | None = None
    ) -> list[CatalogModel]:
        """Models whose reference or name contains every word of `query`, best match first,
        with the prices in force on `at`; with `unit`, only those whose price then sets it."""
        words = query.lower().split()
        found = []
        for ref, (provider, model) in self._refs().items():
            haystack = f"{ref} {model.name or ''}".lower()
            if all(word in haystack for word in words):
                if unit is not None:
                    entry = CatalogEntry(provider.id, model.id, provider, model)
                    kind = _kind(entry)
                    if _rates(_cells(entry, None, at)).unit(unit) is None or (
                        kind is not None and unit in kind.refuses
                    ):
                        continue
                found.append((provider, model, ref))
        when = dt.datetime.combine(at, dt.time(12), tzinfo=dt.UTC)
        found.sort(
            key=lambda item: (
                # unpriced entries (subscription products) last: `run` cannot use them
                item[1].get_prices(when).output_mtok is None,
                bool(item[1].deprecated),
                -difflib.SequenceMatcher(None, query.lower(), item[1].id).ratio(),
                item[2],
            )
        )
        out = []
        for provider, model, ref in found[:limit]:
            entry = CatalogEntry(provider.id, model.id, provider, model)
            rates = _rates(_cells(entry, None, at))
            kind = _kind(entry)
            if kind is not None and kind.refuses:
                # a unit this kind of model cannot have is not one of its prices to show
                kept = tuple((u, r) for u, r in rates.units if u not in kind.refuses)
                rates = dataclasses.replace(rates, units=kept)
            out.append(
                CatalogModel(
                    ref=ref,
                    name=model.name or model.id,
                    rates=rates,
                    context_window=model.context_window,
                    deprecated=bool(model.deprecated),
                    tiers=tuple(t for t in SERVICE_TIERS if entry.has_tier(context_of(t))),
                )
            )
        return out

    def suggest(self, ref: str, n: int = 5) -> list[str]:
        """The catalog references closest to `ref`."""
        refs = list(self._refs())
        lowered = ref.lower()
        by_id = {r.split(":", 1)[1]: r for r in refs}
        close = difflib.get_close_matches(lowered, refs, n=n, cutoff=0.5)
        bare = lowered.split(":", 1)[-1]
        for match in difflib.get_close_matches(bare, list(by_id), n=n, cutoff=0.5):
            if by_id[match] not in close:
                close.append(by_id[match])
        return close[:n]

    def _find(self, ref: str) -> CatalogEntry:
        provider_id, model_ref = _split_ref(ref, {p.id for p in self._snapshot.providers})
        entry = self.find(provider_id, model_ref)
        if entry is None and provider_id is not None:
            # a catalog id its own match rule does not match (`models search` lists it)
            listed = self._refs().get(f"{provider_id}:{model_ref}")
            if listed is not None:
                entry = CatalogEntry(provider_id, model_ref, *listed)
        if entry is None:
            raise UnknownModelError(ref, self.suggest(ref))
        return entry

    def _models(self) -> Iterable[tuple[gp.Provider, gp.ModelInfo]]:
        for provider in self._snapshot.providers:
            for model in provider.models:
                yield provider, model

    @cached_property
    def _refs_cache(self) -> dict[str, tuple[gp.Provider, gp.ModelInfo]]:
        return {f"{p.id}:{m.id}": (p, m) for p, m in self._models()}

    def _refs(self) -> dict[str, tuple[gp.Provider, gp.ModelInfo]]:
        return self._refs_cache


def prices_as_of(pricing: ModelPricing, day: dt.date) -> ModelPricing:
    """`pricing` as the catalog stood on `day`: changes dated after it are not known yet,
    so the price in force on `day` holds from then on."""
    kept = tuple(
        (start, rates) for start, rates in pricing.schedule if start is None or start <= day
    )
    return dataclasses.replace(
        pricing,
        schedule=kept or pricing.schedule[:1],
        price_changes=tuple(d for d in pricing.price_changes if d <= day),
    )


def _pricing(entry: CatalogEntry, ref: str, service_tier: str, label: str) -> ModelPricing:
    """The engine's view of `entry` at one tier: `Rates` from the cells in force at noon
    of each start date, consecutive equal ones merged."""
    context = context_of(service_tier)
    tier_since = None
    if context is not None:
        if not entry.has_tier(context):
            raise UnknownModelError(
                ref,
                [],
                reason=f"the catalog has no {service_tier!r} service-tier price for {ref!r}",
            )
        starts = [v.constraint for v in _variants(entry.model, context)]
        if all(isinstance(c, gp.StartDateConstraint) for c in starts):
            tier_since = min(c.start_date for c in starts)  # type: ignore[union-attr]
    dates = _day_breaks(entry.model)
    schedule: list[tuple[dt.date | None, Rates]] = []
    for start in [None, *dates]:
        rates = _rates(_cells(entry, context, start or _EARLIEST))
        if not schedule or schedule[-1][1] != rates:
            schedule.append((start, rates))
    urls = ", ".join(entry.provider.pricing_urls or [])
    needs, why = _needs(entry, schedule[-1][1])
    product, what = _product_tokens(entry, schedule[-1][1])
    refuses = _kind(entry)
    return ModelPricing(
        ref=ref,
        provider=entry.provider_id,
        model_id=entry.model_id,
        schedule=tuple(schedule),
        source=label + (f" ({urls})" if urls else ""),
        service_tier=service_tier,
        # a change is a day this tier's rates change: another tier's start (a batch or
        # priority variant's) is not a change of this one
        price_changes=tuple(start for start, _ in schedule if start is not None),
        tier_since=tier_since,
        other_units=_other_units(entry, context),
        needs_one_of=needs,
        needs_why=why,
        product_tokens=product,
        product_what=what,
        refuses=refuses.refuses if refuses else (),
        refuses_why=refuses.refuses_why if refuses else "",
    )


def _needs(entry: CatalogEntry, rates: Rates) -> tuple[tuple[str, ...], str]:
    """The usage units a call on `entry` must declare one of (see `unit_needs.yml`), and
    why; none when text tokens will do."""
    priced = [name for name, _ in rates.units]
    if not priced:
        return (), ""
    for need in load_unit_needs():
        if need.pattern.search(entry.model_id):
            units = tuple(u for u in need.units if u in priced)
            if units:
                return units, need.why
    if rates.input is None and rates.output is None:
        return tuple(priced), "it is priced by no text token"
    return (), ""


def _kind(entry: CatalogEntry) -> UnitNeed | None:
    """The first `unit_needs.yml` kind `entry`'s model id matches, if any."""
    for need in load_unit_needs():
        if need.pattern.search(entry.model_id):
            return need
    return None


def _product_tokens(entry: CatalogEntry, rates: Rates) -> tuple[str | None, str]:
    """The text-token part ("input"/"output") a model of a `unit_needs.yml` kind bills its
    product as, when its price sets none of that kind's units (openai:gpt-image-1's images
    are output tokens); None for every other model."""
    priced = {name for name, _ in rates.units}
    for need in load_unit_needs():
        if need.pattern.search(entry.model_id):
            if need.billed_as is None or priced & set(need.units):
                return None, ""
            if getattr(rates, need.billed_as) is None:
                return None, ""
            return need.billed_as, need.what
    return None, ""


def _other_units(
    entry: CatalogEntry, context: dict[str, str] | None
) -> tuple[tuple[str, float], ...]:
    """The units besides text tokens and tool fees the model's newest price is set in, with
    their (base) prices."""
    use_context = None if entry.borrowed else context
    newest = max(_day_breaks(entry.model), default=_EARLIEST)
    price = entry.model.get_prices(dt.datetime.combine(newest, dt.time(12), dt.UTC), use_context)
    out = []
    for key, value in sorted(price.__dict__.items()):
        # cached audio or image reads are left out of the figures, which price every such
        # token uncached: an upper bound, not a price in disguise
        if (
            value is None
            or key in _TOKEN_KEYS
            or key in DECLARABLE_PRICE_KEYS
            or key.startswith(("_", "cache_"))
        ):
            continue
        base = value.base if isinstance(value, gp.TieredPrices) else value
        out.append((key, float(base)))
    return tuple(out)


def _rates(cells: list[PriceCell]) -> Rates:
    """The engine's rates (USD per 1M tokens, per 1K requests, per usage unit's `per`) of
    one day's cells at noon: each part's price in its first input tier, and the tiers
    where it changes."""
    first = cells[0]

    def rate(part: str, usd_per_token: Callable[[PriceCell], Decimal]) -> TieredRate | None:
        if _PART_KEYS[part] not in first.priced:
            return None
        return _tiered(cells, lambda c: usd_per_token(c) * _MTOK)

    def unit_rate(name: str) -> TieredRate:
        per = Decimal(UNITS[name].per)
        return _tiered(cells, lambda c: dict(c.usd_per_unit).get(name, Decimal(0)) * per)

    return Rates(
        input=rate("input", lambda c: c.usd_per_input),
        output=rate("output", lambda c: c.usd_per_output),
        cache_read=rate("cache_read", lambda c: c.usd_per_cached_token),
        cache_write=rate("cache_write", lambda c: c.usd_per_written_token),
        requests_per_k=(
            float(first.usd_per_request * _KREQ) if "requests_kcount" in first.priced else None
        ),
        units=tuple((name, unit_rate(name)) for name, _ in first.usd_per_unit),
    )


def _tiered(cells: list[PriceCell], price_of: Callable[[PriceCell], Decimal]) -> TieredRate:
    """One price over a day's cells (ascending input tiers): its first tier's value and
    the tiers where it changes."""
    prices = [float(price_of(c)) for c in cells]
    tiers = tuple(
        (c.input_above, price)
        for c, price, before in zip(cells[1:], prices[1:], prices, strict=False)
        if price != before
    )
    return TieredRate(prices[0], tiers)


def _cells(
    entry: CatalogEntry, context: dict[str, str] | None, day: dt.date | None
) -> list[PriceCell]:
    """The cells of `entry` under `context`: every one, or (given `day`) those in force at
    noon on `day`, in ascending order of input tokens."""
    model = entry.model
    use_context = None if entry.borrowed else context
    days: list[dt.date | None] = [None, *_day_breaks(model)]
    seconds = _second_breaks(model)
    cells = []
    for i, start in enumerate(days):
        end = days[i + 1] if i + 1 < len(days) else None
        if day is not None and not ((start is None or start <= day) and (end is None or day < end)):
            continue
        probe_day = start or _EARLIEST
        for s_from, s_to in itertools.pairwise(seconds):
            if day is not None and not s_from <= _NOON < s_to:
                continue
            at = dt.datetime.combine(probe_day, dt.time(0), tzinfo=dt.UTC) + dt.timedelta(
                seconds=s_from
            )
            price = model.get_prices(at, use_context)
            priced = frozenset(k for k, v in price.__dict__.items() if v is not None)
            bounds = [-1, *_tier_breaks(price), NO_LIMIT]
            units = [u for u in USAGE_UNITS if u.own_prices & priced]
            for lo, hi in itertools.pairwise(bounds):
                coef = _coefficients(price, lo, hi)
                per_unit = _unit_coefficients(price, lo, hi, units, coef[0])
                cells.append(PriceCell(start, end, s_from, s_to, lo, hi, *coef, priced, per_unit))
    return cells


def _split_ref(ref: str, provider_ids: set[str]) -> tuple[str | None, str]:
    # Model ids may contain ':' themselves (Bedrock's `...-v1:0`), so only a known
    # provider id before the first ':' counts as the provider.
    head, sep, tail = ref.partition(":")
    if sep and head.lower() in provider_ids:
        return head.lower(), tail
    return None, ref


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


def _variants(model: gp.ModelInfo, context: dict[str, str]) -> list[gp.PriceVariant]:
    """The model's price variants that apply to `context` and set at least one price."""
    return [
        variant
        for variant in model.price_variants or ()
        if all(context.get(k) == value for k, value in variant.when.items())
        and any(p is not None for p in variant.prices.__dict__.values())
    ]


def _price(
    price: gp.ModelPrice, inputs: int, read: int, write: int, output: int, **more: int
) -> Decimal:
    usage = Usage(
        input_tokens=inputs,
        cache_read_tokens=read,
        cache_write_tokens=write,
        output_tokens=output,
        **more,
    )
    return price.calc_price(usage)["total_price"]


def _unit_coefficients(
    price: gp.ModelPrice,
    lo: int,
    hi: int,
    units: list[UsageUnit],
    per_input: Decimal,
) -> tuple[tuple[str, Decimal], ...]:
    """USD one more unit of each of `units` adds to a call whose input tokens are in
    (lo, hi], all in (probing genai-prices' own arithmetic there)."""
    n = min(hi, lo + _PROBE)
    base = _price(price, n, 0, 0, 0)
    out = []
    for unit in units:
        more = dict(unit.usage)
        # an input-token unit is probed as one of the n input tokens, so the call stays
        # in its tier; its all-in price is then an input token's plus the difference
        added = per_input if more.pop("input_tokens", 0) else Decimal(0)
        # an output-token unit adds its output token in the probe itself
        probed = _price(price, n, 0, 0, more.pop("output_tokens", 0), **more)
        out.append((unit.name, probed - base + added))
    return tuple(out)


def _coefficients(
    price: gp.ModelPrice, lo: int, hi: int
) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    """USD per input, cache-read, cache-write and output token and per request, for calls
    whose input tokens are in (lo, hi] (probing genai-prices' own arithmetic there)."""
    n = min(hi, lo + _PROBE)  # n and n - 1 both in (lo, hi]
    base = _price(price, n, 0, 0, 0)
    per_input = base - _price(price, n - 1, 0, 0, 0)
    per_read = _price(price, n, 1, 0, 0) - base
    per_write = _price(price, n, 0, 1, 0) - base
    per_output = _price(price, n, 0, 0, 1) - base
    per_request = base - per_input * n
    return per_input, per_read, per_write, per_output, per_request
