"""A scenario bound to prices: every model it names (feature models, routes, lever
targets, retrieval) priced from the catalog or from the scenario's own price, and the
batch-API price of each model a batch lever sends queries to. The one place that walks a
scenario for its models, so the catalog knows nothing of scenarios."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from costline.catalog.levers import LeverDefaults, load_lever_defaults
from costline.catalog.prices import PriceCatalog
from costline.catalog.types import ModelPricing, Rates, TieredRate, batch_key
from costline.catalog.units import UNITS
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
        units=tuple((unit, TieredRate(usd)) for unit, usd in override.usage_prices.items()),
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
    for path, model, tier, needs, units in _models_of(scenario):
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
        _check_usage(book[key], model, needs, units, scenario.start_date, file, path)
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
        for _, model, tier, _, _ in _feature_models(i, feature, with_retrieval=False):
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
            if feature.usage.units() or base.needs_one_of or base.product_tokens:
                # the documented discounts are for text models: a batch API need not take
                # speech, image or OCR calls at all (OpenAI's lists text endpoints: chat,
                # responses, embeddings, completions, moderations)
                raise ScenarioError(
                    file,
                    f"{where}.discount",
                    f"the catalog has no batch price for {_name(base)!r}, and the batch "
                    f"discount documented for {base.provider!r} is for text tokens, not the "
                    "audio, images, pages or searches a call declares; give the discount if "
                    "your provider's batch API takes this model (0.5 = half price), or leave "
                    "the feature out of the batch lever",
                )
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


_Named = tuple[str, str | PriceOverride, str, tuple[str, ...], tuple[str, ...]]
"""(field path, model, tier, the token prices it must have, the usage units it must price)."""


def _models_of(scenario: Scenario) -> Iterable[_Named]:
    """Every model the scenario names, with what it must price."""
    for i, feature in enumerate(scenario.features):
        yield from _feature_models(i, feature)


def _feature_models(i: int, feature: Feature, with_retrieval: bool = True) -> Iterable[_Named]:
    usage = feature.usage
    chat = tuple(
        part
        for part, quantity in (("input", usage.input_tokens), ("output", usage.output_tokens))
        if not quantity.is_zero
    )
    units = tuple(usage.units())
    tier = feature.service_tier
    # a self-hosted feature is priced by the engine from its serving point
    if feature.model is not None:
        yield f"features[{i}].model", feature.model, tier, chat, units
    for j, route in enumerate(feature.routing or []):
        yield f"features[{i}].routing[{j}].model", route.model, tier, chat, units
    levers = feature.levers
    if levers is not None and levers.routing is not None:
        path = f"features[{i}].levers.routing.model"
        yield path, levers.routing.model, tier, chat, units
    if levers is not None and levers.distillation is not None:
        path = f"features[{i}].levers.distillation.model"
        yield path, levers.distillation.model, tier, chat, units
    retrieval = feature.extras.retrieval
    if with_retrieval and retrieval is not None:
        path = f"features[{i}].extras.retrieval.model"
        yield path, retrieval.model, "default", ("input",), ()


def _check_usage(
    pricing: ModelPricing,
    model: str | PriceOverride,
    needs: tuple[str, ...],
    units: tuple[str, ...],
    start: dt.date,
    file: str,
    path: str,
) -> None:
    """A located error unless `pricing` prices every token part and usage unit the call
    declares, and the call declares a unit the model needs (a speech-to-text model's
    audio): anything else would be a price in disguise."""
    name = _name(pricing)
    refused = [unit for unit in units if unit in pricing.refuses]
    if refused:
        raise ScenarioError(
            file,
            path.split(".", 1)[0] + f".usage.{refused[0]}",
            f"{name!r} takes no {' or '.join(refused)}: {pricing.refuses_why}",
        )
    schedule = pricing.schedule
    for k, (since, rates) in enumerate(schedule):
        ends = schedule[k + 1][0] if k + 1 < len(schedule) else None
        if ends is not None and ends <= start:
            continue  # over before the scenario starts
        since_text = f" from {since}" if since and since > start else ""
        priced = [unit for unit, _ in rates.units]
        priced_text = _unit_list(priced)
        missing = [part for part in needs if getattr(rates, part) is None]
        if missing:
            if priced:
                by = _unit_list(list(pricing.needs_one_of or priced), "or")
                hint = (
                    f"; it is priced by {by}: declare that under usage and leave "
                    f"out {' and '.join(p + '_tokens' for p in missing)}"
                )
            elif pricing.other_units:
                hint = (
                    f"; it is priced by {', '.join(u for u, _ in pricing.other_units)}, which a "
                    "scenario cannot declare"
                )
            else:
                hint = " (an embedding model where a chat model is expected?)"
            raise ScenarioError(
                file,
                path,
                f"the catalog has no {' or '.join(missing)} token price for {name!r}"
                f"{since_text}{hint}; choose another model or give an explicit price",
            )
        unpriced = [unit for unit in units if unit not in priced]
        if unpriced:
            if isinstance(model, PriceOverride):
                hint = "give its price under the explicit price's usage_prices"
            elif priced:
                hint = f"it prices {priced_text}"
            else:
                hint = "it prices text tokens only"
            if pricing.product_tokens:
                hint += (
                    f"; it bills {pricing.product_what} as {pricing.product_tokens} tokens, "
                    f"so count them in {pricing.product_tokens}_tokens"
                )
            raise ScenarioError(
                file,
                path.split(".", 1)[0] + ".usage",
                f"the call declares {_unit_list(unpriced)}, which the catalog does not price "
                f"for {name!r}{since_text}; {hint}. Declare what its price is set in, or "
                f"choose a model that prices it{_shared_usage(path)}",
            )
    part = pricing.product_tokens
    if part and part not in needs:
        raise ScenarioError(
            file,
            path.split(".", 1)[0] + f".usage.{part}_tokens",
            f"{name!r} bills {pricing.product_what} as {part} tokens (the catalog sets no "
            f"separate price for them): declare {part}_tokens per call counting those tokens "
            "as the vendor's page gives them",
        )
    if pricing.needs_one_of and not set(pricing.needs_one_of) & set(units):
        raise ScenarioError(
            file,
            path.split(".", 1)[0] + ".usage",
            f"{name!r} needs usage its price is set in ({pricing.needs_why}): declare "
            f"{_unit_list(list(pricing.needs_one_of), 'or')} per call; priced on text tokens "
            f"alone, its calls would cost too little{_shared_usage(path)}",
        )


def _shared_usage(path: str) -> str:
    """For a model a feature routes or levers to: the usage it is checked against is the
    feature's, shared by every model the feature's calls go to."""
    if path.endswith("].model") and ".routing[" not in path and ".levers." not in path:
        return ""
    where = path.removesuffix(".model")
    lever = " (a --route-to what-if sets levers.routing)" if ".levers.routing" in path else ""
    return (
        f". Usage is declared once per feature and shared by every model its calls go to, "
        f"so {where}{lever} must price it too"
    )


def _unit_list(names: list[str], joiner: str = "and") -> str:
    """`input_audio_minutes (USD per input audio minute) and web_searches (...)`."""
    said = [f"{n} ({UNITS[n].price_label})" for n in names]
    if len(said) <= 1:
        return "".join(said)
    return ", ".join(said[:-1]) + f" {joiner} {said[-1]}"
