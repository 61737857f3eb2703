"""LLM API prices: an adapter over the genai-prices package (bundled data, no network).

`PriceCatalog.resolve` turns a `provider:model` reference into a `ModelPricing`: the
model's token rates at each of the catalog's price start dates, for one service tier.
`costline.scenario.prices.price_book` binds a scenario's models to these.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import genai_prices
from genai_prices import data_snapshot
from genai_prices import types as gp

from costline.catalog.types import CatalogInfo, ModelPricing, Rates, TieredRate
from costline.errors import UnknownModelError

# How each costline service tier is named in genai-prices' price variants.
TIER_CONTEXT: dict[str, dict[str, str] | None] = {
    "default": None,
    "batch": {"processing": "batch"},
    "flex": {"service_tier": "flex"},
    "priority": {"service_tier": "priority"},
}
_PRICE_KEYS = {
    "input": "input_mtok",
    "output": "output_mtok",
    "cache_read": "cache_read_mtok",
    "cache_write": "cache_write_mtok",
}
# genai-prices dates are UTC days; a price is looked up at noon so no offset moves a day.
_NOON = dt.time(12, 0, tzinfo=dt.UTC)
_EARLIEST = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class CatalogModel:
    """One model of the catalog, for `costline models search`."""

    ref: str
    name: str
    rates: Rates
    context_window: int | None
    deprecated: bool
    tiers: tuple[str, ...]


class PriceCatalog:
    """The price catalog: genai-prices' bundled snapshot, or one passed in (tests)."""

    def __init__(self, snapshot: data_snapshot.DataSnapshot | None = None) -> None:
        self._snapshot = snapshot or data_snapshot.get_snapshot()

    @property
    def version(self) -> str:
        """The genai-prices package version that holds the price data."""
        return genai_prices.__version__

    @cached_property
    def latest_price_change(self) -> dt.date | None:
        """The newest start date anywhere in the price data."""
        dates = [d for _, model in self._models() for d in _start_dates(model)]
        return max(dates, default=None)

    def info(self, as_of: dt.date) -> CatalogInfo:
        """What a run priced at `as_of` was priced with."""
        return CatalogInfo(
            source=f"genai-prices {self.version}",
            version=self.version,
            latest_price_change=self.latest_price_change,
            as_of=as_of,
        )

    def resolve(self, ref: str, service_tier: str = "default") -> ModelPricing:
        """The rates of `ref` (`provider:model`) at every catalog start date, for one tier."""
        provider, model = self._find(ref)
        context = TIER_CONTEXT[service_tier]
        tier_since = None
        if context is not None:
            # genai-prices ignores the context for a model borrowed from a fallback
            # provider: that would price the tier at the standard price, so refuse.
            borrowed = not any(model is m for m in provider.models)
            variants = [] if borrowed else _variants(model, context)
            if not variants:
                raise UnknownModelError(
                    ref,
                    [],
                    reason=f"the catalog has no {service_tier!r} service-tier price for {ref!r}",
                )
            starts = [v.constraint for v in variants]
            if all(isinstance(c, gp.StartDateConstraint) for c in starts):
                tier_since = min(c.start_date for c in starts)  # type: ignore[union-attr]
        dates = sorted(set(_start_dates(model)))
        schedule: list[tuple[dt.date | None, Rates]] = []
        for start in [None, *dates]:
            day = start or _EARLIEST
            prices = model.get_prices(dt.datetime.combine(day, _NOON), context)
            rates = _rates(prices)
            if not schedule or schedule[-1][1] != rates:
                schedule.append((start, rates))
        urls = ", ".join(provider.pricing_urls or [])
        return ModelPricing(
            ref=ref,
            provider=provider.id,
            model_id=model.id,
            schedule=tuple(schedule),
            source=f"genai-prices {self.version}" + (f" ({urls})" if urls else ""),
            service_tier=service_tier,
            price_changes=tuple(dates),
            tier_since=tier_since,
        )

    def search(self, query: str, at: dt.date, limit: int = 20) -> list[CatalogModel]:
        """Models whose reference or name contains every word of `query`, best match first,
        with the prices in force on `at`."""
        words = query.lower().split()
        found = []
        for ref, (provider, model) in self._refs().items():
            haystack = f"{ref} {model.name or ''}".lower()
            if all(word in haystack for word in words):
                found.append((provider, model, ref))
        found.sort(
            key=lambda item: (
                # unpriced entries (subscription products) last: `run` cannot use them
                _rates(item[1].get_prices(dt.datetime.combine(at, _NOON))).output is None,
                bool(item[1].deprecated),
                -difflib.SequenceMatcher(None, query.lower(), item[1].id).ratio(),
                item[2],
            )
        )
        when = dt.datetime.combine(at, _NOON)
        out = []
        for _provider, model, ref in found[:limit]:
            tiers = tuple(
                name
                for name, context in TIER_CONTEXT.items()
                if context is None or _has_variant(model, context)
            )
            out.append(
                CatalogModel(
                    ref=ref,
                    name=model.name or model.id,
                    rates=_rates(model.get_prices(when)),
                    context_window=model.context_window,
                    deprecated=bool(model.deprecated),
                    tiers=tiers,
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

    def _find(self, ref: str) -> tuple[gp.Provider, gp.ModelInfo]:
        provider_id, model_ref = _split_ref(ref, {p.id for p in self._snapshot.providers})
        try:
            return self._snapshot.find_provider_model(model_ref, None, provider_id, None)
        except LookupError:
            raise UnknownModelError(ref, self.suggest(ref)) from None

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


def _split_ref(ref: str, provider_ids: set[str]) -> tuple[str | None, str]:
    # Model ids may contain ':' themselves (Bedrock's `...-v1:0`), so only a known
    # provider id before the first ':' counts as the provider.
    head, sep, tail = ref.partition(":")
    if sep and head.lower() in provider_ids:
        return head.lower(), tail
    return None, ref


def _start_dates(model: gp.ModelInfo) -> list[dt.date]:
    dates = []
    if isinstance(model.prices, list):
        dates += [
            c.constraint.start_date
            for c in model.prices
            if isinstance(c.constraint, gp.StartDateConstraint)
        ]
    dates += [
        v.constraint.start_date
        for v in model.price_variants or ()
        if isinstance(v.constraint, gp.StartDateConstraint)
    ]
    return dates


def _variants(model: gp.ModelInfo, context: dict[str, str]) -> list[gp.PriceVariant]:
    """The model's price variants that apply to `context` and set at least one price."""
    return [
        variant
        for variant in model.price_variants or ()
        if all(context.get(k) == value for k, value in variant.when.items())
        and any(p is not None for p in variant.prices.__dict__.values())
    ]


def _has_variant(model: gp.ModelInfo, context: dict[str, str]) -> bool:
    return bool(_variants(model, context))


def _rates(prices: gp.ModelPrice) -> Rates:
    values = {name: _rate(getattr(prices, key, None)) for name, key in _PRICE_KEYS.items()}
    requests = getattr(prices, "requests_kcount", None)
    return Rates(
        **values,
        requests_per_k=None if requests is None else float(_base(requests)),
    )


def _rate(price: Any) -> TieredRate | None:
    if price is None:
        return None
    if isinstance(price, gp.TieredPrices):
        return TieredRate(
            float(price.base), tuple((tier.start, float(tier.price)) for tier in price.tiers)
        )
    return TieredRate(float(price))


def _base(price: Decimal | gp.TieredPrices) -> Decimal:
    return price.base if isinstance(price, gp.TieredPrices) else price
