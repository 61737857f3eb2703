"""The CTO brief: the five questions a founder should answer for each AI feature, and the
verdict on the margin, assembled from runs of the engine.

1. all-in cost per query at median and p95, line by line;
2. p95 latency per query;
3. the model tier, and what the next cheaper tier of the same family would save;
4. the trigger: what makes a call happen and how often, per active user;
5. the 10x projection, and the month the scenario gets there.

The verdict sets the first month's COGS share of ARPU and gross margin against the
scenario's thresholds, and lists what closes a gap: the levers already on (waterfall),
a move to a cheaper tier, and each input the solver can move (price, output cap, quota,
model price, cache hit rate).

Pure: the runs, the price books and the solver come in as functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from costline.catalog.tiers import ModelTiers
from costline.catalog.types import ModelPricing
from costline.engine.distributions import percentile95
from costline.engine.per_query import COMPONENTS
from costline.engine.result import (
    ActionResult,
    CaseSummary,
    CatalogUsed,
    CostWarning,
    FeatureResult,
    Latency,
    ModelUse,
    Result,
    Simulation,
    Stats,
)
from costline.engine.solve import Solved, meets, metric
from costline.engine.unit_economics import (
    DAYS_IN_MONTH_MAX,
    queries_per_user_with_quota,
    quota_of,
    simulate_monthly_queries,
)
from costline.engine.waterfall import Waterfall, lever_waterfall
from costline.observed import CostLine, ObservedFeature, ObservedUsage
from costline.scenario.models import Feature, PriceOverride, Quantity, Route, Scenario, Trigger

Book = dict[str, ModelPricing]
Runner = Callable[[Scenario, Book], Result]
Pricer = Callable[[Scenario], Book]
Solver = Callable[[str, float], Solved]
ListPrice = Callable[[str], float | None]
"""A catalog model's list price today (USD per 1M input + 1M output tokens), None when
the catalog cannot price it: how tiers across a line-up are ordered."""

SCALE_MULTIPLE = 10.0
TRIGGER_USERS_SIMULATED = 20_000
"""Active users simulated for a trigger's p95 queries per month (fixed seed)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)


class TierMove(_Frozen):
    """The feature on the next cheaper tier of its models' families, the rest unchanged."""

    model: str | None = None
    """The feature's main model (most of its queries), when a catalog model."""
    family: str | None = None
    """The family of the feature's main model, e.g. GPT-4.1."""
    tier: int | None = None
    """Its tier in the family, 1 = the most capable."""
    tiers: int | None = None
    """Tiers in the family."""
    moves: dict[str, str] = {}
    """Model -> the cheaper model that replaces it."""
    cost_per_query_usd: float | None = None
    """The feature's mean USD per query after the move."""
    saving_usd: float | None = None
    """Inference USD a month the move saves in the first month."""
    saving_share: float | None = None
    """saving_usd over the feature's inference cost."""
    cogs_share_of_arpu: float | None = None
    """The product's COGS share of ARPU after the move."""
    gross_margin: float | None = None
    """The product's gross margin after the move."""
    shutdowns: dict[str, str] = {}
    """Model -> the day (YYYY-MM-DD) its vendor shuts it down, for the feature's models and
    the cheaper ones, where costline's tier data sources a date."""
    reason: str | None = None
    """Why there is no move (no cheaper tier known, self-hosted, explicit price)."""
    source: str | None = None
    """Where the family's tiers come from."""
    across: str | None = None
    """How the cheaper model was chosen: `family` (the next tier of the model's family),
    `line-up` (the provider's current line-up, the next price below) or `other provider`
    (another vendor's line-up, the same position in it, the cheapest such)."""
    other_provider: TierMove | None = None
    """The cheapest other provider's model at the cheaper tier's position in its own
    line-up, priced by a full run (quality is not compared)."""


class PlanTrigger(_Frozen):
    """How often one plan's users call the feature."""

    plan: str
    user_share: float
    """Share of the plan's monthly active users who use the feature."""
    per: str
    """day or month: the unit the rate is given in."""
    rate_typical: float
    """Queries per active user per `per` (the median, or the value)."""
    rate_p95: float
    active_days_per_month: float | None
    """Typical active days a month (rates per day only)."""
    queries_per_active_user: float
    """Expected queries a month of a user who uses the feature (quota applied)."""
    queries_per_active_user_p95: float
    """95th percentile of the same over simulated users."""
    quota: int | None = None


class FeatureBrief(_Frozen):
    """The five answers for one feature."""

    name: str
    description: str | None
    deployment: str
    queries_per_month: float
    inference_cost_usd: float
    cost_per_query: Stats
    """1. All-in USD per query."""
    lines: list[CostLine]
    latency: Latency
    """2. Seconds per query."""
    models: list[ModelUse]
    """3. The models serving it and their prices."""
    cheaper_tier: TierMove
    llm_calls_per_query: float
    """4. LLM calls a query makes."""
    triggers: list[PlanTrigger]
    scale_multiple: float
    """5. The projection's multiple of the start month's users."""
    scale_queries: float
    scale_inference_cost_usd: float
    scale_cost_per_query_usd: float
    observed: ObservedFeature | None = None
    """The feature in the pilot logs (`--usage`), matched by name."""
    observed_gap: float | None = None
    """The logs' mean cost per call over the scenario's mean cost per query, minus 1
    (+0.12: the logs cost 12% more); None without logs or a modelled cost."""


class Gap(_Frozen):
    """One threshold and where the first month stands against it."""

    metric: str
    """cogs-share or gross-margin."""
    value: float | None
    threshold: float
    met: bool
    points_off: float | None = None
    """How far the value is from the threshold, in percentage points (None: no revenue)."""
    closes_with: list[str] = []
    """Tier moves that meet the threshold alone (feature names)."""


class Verdict(_Frozen):
    """The margin against the scenario's thresholds, and what would close the gaps."""

    month: str
    cogs_share: Gap
    gross_margin: Gap
    waterfall: Waterfall | None
    """The scenario's own levers, each one's saving (already in the figures)."""
    solutions: list[Solved]
    """The solver's answer for each threshold missed."""


class Retirement(_Frozen):
    """A model the scenario prices that its vendor shuts down."""

    ref: str
    day: str
    """YYYY-MM-DD."""
    features: list[str]
    when: str
    """before (the first month), during (the horizon) or after."""


class Brief(_Frozen):
    """Everything `costline brief` reports."""

    costline_version: str
    catalog: CatalogUsed
    simulation: Simulation

    scenario: str | None
    month: str
    users: float
    arpu_usd: float
    scale_month: str | None
    """First month the scenario's users reach `SCALE_MULTIPLE` x the start; None within
    the horizon."""
    users_multiple_at_horizon: float | None
    """Users in the last month over the first (None when the first is 0)."""
    features: list[FeatureBrief]
    verdict: Verdict
    cases: list[CaseSummary] = []
    usage: ObservedUsage | None = None
    """The pilot logs the brief was given, if any."""
    only_in_logs: list[str] = []
    """Features the logs have and the scenario does not."""
    retiring: list[Retirement] = []
    actions: list[ActionResult] = []
    """The scenario's user actions that span features, each priced per action."""
    """Models in use whose vendor shuts them down (costline's tier data)."""
    warnings: list[CostWarning] = []
    """The scenario's warnings (as `costline run` gives them)."""
    result: Result


def scale_month(result: Result, multiple: float = SCALE_MULTIPLE) -> str | None:
    """The first month whose users reach `multiple` x the first month's."""
    start = result.timeline[0].users
    if start <= 0:
        return None
    for month in result.timeline:
        if month.users >= start * multiple * (1 - 1e-12):
            return month.month
    return None


def _typical(quantity: Quantity) -> float:
    if quantity.value is not None:
        return quantity.value
    if quantity.median is not None:
        return quantity.median
    assert quantity.samples is not None
    return float(np.median(quantity.samples))


def plan_trigger(plan: str, trigger: Trigger, quota: int | None, seed: int) -> PlanTrigger:
    """How often an active user of `plan` calls the feature: the rate as written, the
    expected and the p95 queries a month (a quota truncating both)."""
    per_day = trigger.queries_per_day is not None
    rate = trigger.queries_per_day if per_day else trigger.queries_per_month
    assert rate is not None
    active = trigger.model_copy(update={"user_share": 1.0})
    queries = simulate_monthly_queries(
        active, TRIGGER_USERS_SIMULATED, np.random.default_rng(seed)
    ).astype(float)
    if quota is not None:
        queries = np.minimum(queries, quota)
    return PlanTrigger(
        plan=plan,
        user_share=trigger.user_share,
        per="day" if per_day else "month",
        rate_typical=_typical(rate),
        rate_p95=percentile95(rate),
        active_days_per_month=(
            min(_typical(trigger.active_days_per_month), DAYS_IN_MONTH_MAX) if per_day else None
        ),
        queries_per_active_user=queries_per_user_with_quota(active, quota),
        queries_per_active_user_p95=float(np.percentile(queries, 95)),
        quota=quota,
    )


def cheaper_model(ref: str, tiers: ModelTiers, list_price: ListPrice | None) -> str | None:
    """The next cheaper model for `ref`: in its provider's current line-up, the one whose
    list price is next below `ref`'s (skipping models already shut down); without prices,
    or when the line-up has none, the next tier of `ref`'s own family."""
    provider = ref.partition(":")[0].lower()
    lineup = tiers.lineup(provider)
    price = list_price(ref) if list_price is not None else None
    if lineup is not None and list_price is not None and price is not None:
        shut = dict(lineup.shutdown)
        below = [
            (p, f"{provider}:{m}")
            for m in lineup.models
            if m not in shut and (p := list_price(f"{provider}:{m}")) is not None and p < price
        ]
        if below:
            return max(below)[1]
    return tiers.cheaper(ref)


def other_provider_model(ref: str, tiers: ModelTiers, list_price: ListPrice) -> str | None:
    """The cheapest model, among the other providers' current line-ups, at the position
    `ref` holds in its own (top, bottom, or the same fraction of the way down)."""
    provider, _, model = ref.partition(":")
    own = tiers.lineup(provider)
    if own is None or model not in own.models:
        return None
    share = own.models.index(model) / max(len(own.models) - 1, 1)
    found = []
    for family in tiers.families:
        if family is not tiers.lineup(family.provider) or family.provider == provider.lower():
            continue
        pick = family.models[round(share * (len(family.models) - 1))]
        other = f"{family.provider}:{pick}"
        if (p := list_price(other)) is not None:
            found.append((p, other))
    return min(found)[1] if found else None


def tier_variant(
    scenario: Scenario,
    index: int,
    tiers: ModelTiers,
    models: list[ModelUse],
    list_price: ListPrice | None = None,
) -> tuple[Scenario | None, TierMove]:
    """`scenario` with feature `index` moved one tier down (see `_tier_variant`), with the
    shutdown dates of the models involved."""
    variant, move = _tier_variant(scenario, index, tiers, models, list_price)
    refs = [m.ref for m in models if m.share > 0 and m.provider != "override"]
    refs += list(move.moves.values())
    days = {ref: day.isoformat() for ref in refs if (day := tiers.shutdown(ref)) is not None}
    return variant, move.model_copy(update={"shutdowns": days})


def _tier_variant(
    scenario: Scenario,
    index: int,
    tiers: ModelTiers,
    models: list[ModelUse],
    list_price: ListPrice | None = None,
) -> tuple[Scenario | None, TierMove]:
    """`scenario` with feature `index` moved one tier down in each of its models' families,
    or None and the reason there is no such move; `models` are the models the feature's
    calls reach (with its levers)."""
    feature = scenario.features[index]
    if feature.deployment is not None:
        return None, TierMove(
            reason="self-hosted: compare other open models and GPUs with costline selfhost "
            "and costline breakeven"
        )
    routes = feature.routes
    main = max(routes, key=lambda r: r.share).model
    placed = tiers.place(main) if isinstance(main, str) else None
    family: dict[str, Any] = (
        {"family": placed[0].family, "tier": placed[1] + 1, "tiers": len(placed[0].models)}
        if placed
        else {}
    )
    if isinstance(main, str):
        family["model"] = main
    source = placed[0].source if placed else None
    moves = {
        r.model: cheaper
        for r in routes
        if isinstance(r.model, str)
        and (cheaper := cheaper_model(r.model, tiers, list_price)) is not None
    }

    def in_lineup(ref: str) -> bool:
        provider, _, model = ref.partition(":")
        lineup = tiers.lineup(provider)
        return lineup is not None and model in lineup.models

    across = (
        "line-up"
        if list_price is not None and moves and all(in_lineup(c) for c in moves.values())
        else "family"
    )
    served = {m.ref for m in models if m.share > 0}
    if moves and not served & set(moves):
        listed = ", ".join(sorted(served)) or "none"
        return None, TierMove(
            **family,
            reason=f"its levers send every call to other models ({listed})",
            source=source,
        )
    if not moves:
        if isinstance(main, PriceOverride):
            why = f"{main.name} has an explicit price; costline knows no tiers for it"
        elif placed and list_price is not None:
            why = (
                f"{main} is the cheapest model costline knows in its family "
                f"({placed[0].family}) and in its provider's current line-up"
            )
        elif placed:
            why = f"{main} is the cheapest tier costline knows in its family ({placed[0].family})"
        else:
            why = f"costline knows no tier family for {main} (catalog/data/model_tiers.yml)"
        return None, TierMove(**family, reason=why, source=source)
    return _with_moves(scenario, index, moves), TierMove(
        **family, moves=moves, source=source, across=across
    )


def _with_moves(scenario: Scenario, index: int, moves: dict[str, str]) -> Scenario:
    features = list(scenario.features)
    features[index] = _moved(features[index], moves)
    return scenario.model_copy(update={"features": features})


def _priced(move: TierMove, moved: Result, fr: FeatureResult, i: int) -> TierMove:
    """`move` with what its full run gives: the feature's cost per query, its saving and
    the product's COGS share and margin."""
    saving = fr.inference_cost_usd - moved.features[i].inference_cost_usd
    return move.model_copy(
        update={
            "cost_per_query_usd": moved.features[i].cost_per_query.mean,
            "saving_usd": saving,
            "saving_share": saving / fr.inference_cost_usd if fr.inference_cost_usd else None,
            "cogs_share_of_arpu": moved.blended.cogs_share_of_arpu,
            "gross_margin": moved.blended.gross_margin,
        }
    )


def _moved(feature: Feature, moves: dict[str, str]) -> Feature:
    def move(model: str | PriceOverride | None) -> str | PriceOverride | None:
        return moves.get(model, model) if isinstance(model, str) else model

    if feature.routing is None:
        return feature.model_copy(update={"model": move(feature.model)})
    # a route always names a model: moving it keeps one
    routing = [Route(model=move(r.model) or r.model, share=r.share) for r in feature.routing]
    return feature.model_copy(update={"routing": routing})


def _gap(result: Result, target: str, threshold: float) -> Gap:
    value = metric(result, target)
    return Gap(
        metric=target,
        value=value,
        threshold=threshold,
        met=meets(value, target, threshold),
        points_off=None if value is None else abs(value - threshold) * 100,
    )


def cto_brief(
    scenario: Scenario,
    price: Pricer,
    run: Runner,
    solver: Solver | None,
    tiers: ModelTiers,
    *,
    seed: int = 0,
    observed: ObservedUsage | None = None,
    list_price: ListPrice | None = None,
) -> Brief:
    """The brief of `scenario`: `price` gives a scenario's price book, `run` prices a
    scenario with a book, `solver` answers a target (skipped when None); `observed` adds
    what pilot logs show of each feature; `list_price` orders tiers across a provider's
    line-up and finds another provider's equivalent (within a family only when None)."""
    if SCALE_MULTIPLE not in scenario.scale_multiples:
        # a fleet grows in steps: the projection needs the run to size it at 10x
        multiples = [*scenario.scale_multiples, SCALE_MULTIPLE]
        scenario = scenario.model_copy(update={"scale_multiples": multiples})
    book = price(scenario)
    result = run(scenario, book)
    thresholds = scenario.thresholds
    cogs = _gap(result, "cogs-share", thresholds.cogs_share_max)
    margin = _gap(result, "gross-margin", thresholds.gross_margin_min)

    features = []
    closes: dict[str, list[str]] = {"cogs-share": [], "gross-margin": []}
    for i, (feature, fr) in enumerate(zip(scenario.features, result.features, strict=True)):
        variant, move = tier_variant(scenario, i, tiers, fr.models, list_price)
        if variant is not None:
            moved = run(variant, price(variant))
            move = _priced(move, moved, fr, i)
            for target, gap in (("cogs-share", cogs), ("gross-margin", margin)):
                if not gap.met and meets(metric(moved, target), target, gap.threshold):
                    closes[target].append(feature.name)
            cheaper = {m for m in move.moves.values()}
            others = {
                m: o
                for m in cheaper
                if list_price is not None
                and (o := other_provider_model(m, tiers, list_price)) is not None
            }
            if others:
                # the same moves, each cheaper model swapped for its other-provider peer
                swapped = {k: others.get(v, v) for k, v in move.moves.items()}
                alt = _with_moves(scenario, i, swapped)
                other = _priced(
                    TierMove(moves=swapped, across="other provider"), run(alt, price(alt)), fr, i
                )
                move = move.model_copy(update={"other_provider": other})
        seen = (
            next((o for o in observed.features if o.name == feature.name), None)
            if observed
            else None
        )
        brief = _feature_brief(scenario, feature, fr, move, seed)
        modelled = brief.cost_per_query.mean
        off = seen.cost_per_query.mean / modelled - 1 if seen is not None and modelled else None
        features.append(brief.model_copy(update={"observed": seen, "observed_gap": off}))

    waterfall = (
        lever_waterfall(scenario, lambda v: run(v, book))
        if any(f.levers for f in scenario.features)
        else None
    )
    solutions = [
        solver(gap.metric, gap.threshold)
        for gap in (cogs, margin)
        if solver is not None and not gap.met and gap.value is not None
    ]
    first, last = result.timeline[0], result.timeline[-1]
    return Brief(
        costline_version=result.costline_version,
        catalog=result.catalog,
        simulation=result.simulation,
        retiring=_retiring(result, tiers),
        actions=list(result.actions),
        warnings=result.warnings,
        scenario=scenario.name,
        month=first.month,
        users=first.users,
        arpu_usd=result.blended.arpu_usd,
        scale_month=scale_month(result),
        users_multiple_at_horizon=last.users / first.users if first.users else None,
        features=features,
        verdict=Verdict(
            month=first.month,
            cogs_share=cogs.model_copy(update={"closes_with": closes["cogs-share"]}),
            gross_margin=margin.model_copy(update={"closes_with": closes["gross-margin"]}),
            waterfall=waterfall,
            solutions=solutions,
        ),
        usage=observed,
        only_in_logs=[
            o.name
            for o in (observed.features if observed else [])
            if o.name not in {f.name for f in scenario.features}
        ],
        result=result,
    )


def _retiring(result: Result, tiers: ModelTiers) -> list[Retirement]:
    """Models the features use that their vendors shut down, each once."""
    first, last = result.timeline[0].month, result.timeline[-1].month
    found: dict[str, list[str]] = {}
    for feature in result.features:
        for model in feature.models:
            if model.share > 0 and tiers.shutdown(model.ref) is not None:
                found.setdefault(model.ref, []).append(feature.name)
    out = []
    for ref, names in found.items():
        day = tiers.shutdown(ref)
        assert day is not None
        month = day.strftime("%Y-%m")
        when = "before" if month < first else "during" if month <= last else "after"
        out.append(Retirement(ref=ref, day=day.isoformat(), features=sorted(set(names)), when=when))
    return sorted(out, key=lambda r: r.day)


def _feature_brief(
    scenario: Scenario, feature: Feature, fr: FeatureResult, move: TierMove, seed: int
) -> FeatureBrief:
    key = f"{SCALE_MULTIPLE:g}x"
    scale_queries = fr.queries_per_month * SCALE_MULTIPLE
    scale_cost = fr.inference_cost_at_scale_usd[key]
    quota = quota_of(feature)
    return FeatureBrief(
        name=fr.name,
        description=feature.description,
        deployment=fr.deployment,
        queries_per_month=fr.queries_per_month,
        inference_cost_usd=fr.inference_cost_usd,
        cost_per_query=fr.cost_per_query,
        lines=[
            CostLine(
                line=k,
                mean_usd=fr.line_stats[k].mean,
                median_usd=fr.line_stats[k].median,
                p95_usd=fr.line_stats[k].p95,
            )
            for k in COMPONENTS
            if k in fr.line_stats
        ],
        latency=fr.latency,
        models=fr.models,
        cheaper_tier=move,
        llm_calls_per_query=fr.llm_calls_per_query,
        triggers=[
            plan_trigger(plan.name, feature.trigger_for(plan.name), quota, seed)
            for plan in scenario.plans_of(feature)
        ],
        scale_multiple=SCALE_MULTIPLE,
        scale_queries=scale_queries,
        scale_inference_cost_usd=scale_cost,
        scale_cost_per_query_usd=scale_cost / scale_queries if scale_queries else 0.0,
    )
