"""A scenario bound to prices: every model it names (feature models, routes, lever
targets, retrieval) priced from the catalog or from the scenario's own price, and the
batch-API price of each model a batch lever sends queries to. The one place that walks a
scenario for its models, so the catalog knows nothing of scenarios."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from costline.catalog.levers import LeverDefaults, load_lever_defaults
from costline.catalog.prices import PriceCatalog
from costline.catalog.types import ModelPricing, Rates, TieredRate, batch_key
from costline.errors import ScenarioError, UnknownModelError
from costline.scenario.models import Feature, PriceOverride, Scenario


def pricing_key(model: str | PriceOverride, service_tier: str = "default") -> str:
    """The key of a model (at a tier) in a price book."""
    if isinstance(model, PriceOverride):
        return f"override:{model.name}:{model.model_dump_json()}"
    return f"{model}@{service_tier}"


def override_pricing(override: PriceOverride) -> ModelPricing:
    """A `ModelPricing` for a price written in the scenario itself."""
    cached = override.cached_input_usd_per_mtok
    rates = Rates(
        input=TieredRate(override.input_usd_per_mtok),
        output=TieredRate(override.output_usd_per_mtok),
        cache_read=None if cached is None else TieredRate(cached),
    )
    return ModelPricing(
        ref=pricing_key(override),
        provider="override",
        model_id=override.name,
        schedule=((None, rates),),
        source=override.source or "no source given",
        is_override=True,
        follows_trajectory=override.follows_price_trajectory,
    )


def price_book(
    scenario: Scenario,
    catalog: PriceCatalog,
    file: str = "<scenario>",
    lever_defaults: LeverDefaults | None = None,
) -> dict[str, ModelPricing]:
    """Every model the scenario names, priced; an unknown one raises a located ScenarioError.
    `lever_defaults` documents each provider's batch discount (the shipped ones when None)."""
    book: dict[str, ModelPricing] = {}
    for path, model, tier, needs in _models_of(scenario):
        key = pricing_key(model, tier)
        if key not in book:
            if isinstance(model, PriceOverride):
                book[key] = override_pricing(model)
            else:
                try:
                    book[key] = catalog.resolve(model, tier)
                except UnknownModelError as err:
                    raise ScenarioError(file, path, str(err)) from None
        since = book[key].tier_since
        if since is not None and scenario.start_date < since:
            raise ScenarioError(
                file,
                path,
                f"the catalog prices the {tier!r} service tier of {model!r} only from {since}; "
                f"the scenario starts {scenario.start}. Start later, use service_tier: default, "
                "or give an explicit price",
            )
        for start, rates in book[key].schedule:
            missing = [name for name in needs if getattr(rates, name) is None]
            if missing:
                start_text = f" from {start}" if start else ""
                units = [unit for unit, _ in book[key].other_units]
                priced_by = (
                    f"; it is priced by {', '.join(units)}, which a scenario cannot declare yet"
                    if units
                    else " (an embedding or audio model where a chat model is expected?)"
                )
                raise ScenarioError(
                    file,
                    path,
                    f"the catalog has no {' or '.join(missing)} token price for {model!r}"
                    f"{start_text}{priced_by}; choose another model or give an explicit price",
                )
    _batch_prices(scenario, catalog, book, file, lever_defaults or load_lever_defaults())
    return book


def _batch_prices(
    scenario: Scenario,
    catalog: PriceCatalog,
    book: dict[str, ModelPricing],
    file: str,
    lever_defaults: LeverDefaults,
) -> None:
    """Add the batch-API price of every model a batch lever sends queries to."""
    for i, feature in enumerate(scenario.features):
        lever = feature.levers.batch if feature.levers else None
        if lever is None:
            continue
        where = f"features[{i}].levers.batch"
        for _, model, tier, _ in _feature_models(i, feature, with_retrieval=False):
            key = pricing_key(model, tier)
            if batch_key(key) in book:
                continue
            base = book[key]
            if lever.discount is not None:
                book[batch_key(key)] = _discounted(base, lever.discount, "given in the scenario")
                continue
            if isinstance(model, str):
                try:
                    priced = catalog.resolve(model, "batch")
                except UnknownModelError:
                    priced = None
                if priced is not None and (
                    priced.tier_since is None or priced.tier_since <= scenario.start_date
                ):
                    book[batch_key(key)] = priced
                    continue
            documented = lever_defaults.batch_discount(base.provider)
            if documented is None:
                raise ScenarioError(
                    file,
                    f"{where}.discount",
                    f"the catalog has no batch price for {_name(base)!r} and no batch discount is "
                    f"documented for its provider {base.provider!r}; give the discount your "
                    "provider offers (0.5 = half price)",
                )
            book[batch_key(key)] = _discounted(base, documented.value, documented.source)


def _name(pricing: ModelPricing) -> str:
    return pricing.model_id if pricing.is_override else pricing.ref


def _discounted(base: ModelPricing, discount: float, source: str) -> ModelPricing:
    return dataclasses.replace(
        base,
        schedule=tuple((start, rates.scaled(1 - discount)) for start, rates in base.schedule),
        source=f"{base.source}; batch API at {discount:.0%} off ({source})",
        service_tier="batch",
    )


def _models_of(
    scenario: Scenario,
) -> Iterable[tuple[str, str | PriceOverride, str, tuple[str, ...]]]:
    """(field path, model, tier, the token prices it must have) for every model named."""
    for i, feature in enumerate(scenario.features):
        yield from _feature_models(i, feature)


def _feature_models(
    i: int, feature: Feature, with_retrieval: bool = True
) -> Iterable[tuple[str, str | PriceOverride, str, tuple[str, ...]]]:
    chat = ("input", "output")
    tier = feature.service_tier
    # a self-hosted feature is priced by the engine from its serving point
    if feature.model is not None:
        yield f"features[{i}].model", feature.model, tier, chat
    for j, route in enumerate(feature.routing or []):
        yield f"features[{i}].routing[{j}].model", route.model, tier, chat
    levers = feature.levers
    if levers is not None and levers.routing is not None:
        yield f"features[{i}].levers.routing.model", levers.routing.model, tier, chat
    if levers is not None and levers.distillation is not None:
        yield f"features[{i}].levers.distillation.model", levers.distillation.model, tier, chat
    retrieval = feature.extras.retrieval
    if with_retrieval and retrieval is not None:
        yield f"features[{i}].extras.retrieval.model", retrieval.model, "default", ("input",)
